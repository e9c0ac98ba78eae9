//! What the GitBook behaviour refuses: each variant its status and the text the client reads
//! (in GitBook's error format, `{"error": {"code", "message"}}`).
//!
//! The statuses are GitBook's where its document declares one for the operation (404 for an
//! unknown space, user or team); the others are the mock's choices, which `docs/vendors.md`
//! gives: 403 for a member without the role to manage permissions, 400 for a `role` that
//! names no role. The tests below say which operation leaves which status undeclared.

use serde_json::Value;

use super::world::Role;
use crate::world::behaviour::{DomainError, Reply};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GitbookError {
    /// The aggregate list's `role=` filter names no role.
    #[error("`{filter}` is not a role.")]
    NotAFilterRole { filter: String },
    /// A body's `role` is neither a role's name nor `null`.
    #[error("role: {role} is not a role.")]
    NotARole { role: Value },
    /// No such space, or one the caller cannot access (it is not there for them).
    #[error("No space was found with the given Id `{space}`.")]
    NoSpace { space: String },
    /// The user has no permission of their own in the space.
    #[error("No user found with the given ID `{user}` in space `{space}`.")]
    NoUser { space: String, user: String },
    /// The team has no permission of its own in the space.
    #[error("No team found with the given ID `{team}` in space `{space}`.")]
    NoTeam { space: String, team: String },
    /// The caller can access the space, with a role too low to manage its permissions.
    #[error(
        "You cannot manage the permissions of space `{space}`: your role in it is `{}`; \
         it takes `admin` or `create`.",
        .role.as_str()
    )]
    NotAManager { space: String, role: Role },
    /// An invitation names a user the directory does not have.
    #[error("No team or user with the provided Id: no user `{user}`.")]
    UnknownInvitee { user: String },
    /// An invitation names a team the directory does not have.
    #[error("No team or user with the provided Id: no team `{team}`.")]
    UnknownTeam { team: String },
    /// An invitation names a team of another organization than the space's.
    #[error(
        "No team or user with the provided Id: team `{team}` is not in the space's \
         organization."
    )]
    ForeignTeam { team: String },
    /// A `page` token this very list did not give.
    #[error(
        "The page token `{token}` was not given by this list; pass `next.page` of the \
         previous answer, or no `page` for the first page."
    )]
    ForeignPage { token: String },
}

impl DomainError for GitbookError {
    fn status(&self) -> u16 {
        match self {
            GitbookError::NotAFilterRole { .. } | GitbookError::NotARole { .. } => 400,
            GitbookError::NotAManager { .. } => 403,
            GitbookError::NoSpace { .. }
            | GitbookError::NoUser { .. }
            | GitbookError::NoTeam { .. }
            | GitbookError::UnknownInvitee { .. }
            | GitbookError::UnknownTeam { .. }
            | GitbookError::ForeignTeam { .. }
            | GitbookError::ForeignPage { .. } => 404,
        }
    }
}

impl From<GitbookError> for Reply {
    fn from(error: GitbookError) -> Reply {
        Reply::domain(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::api::Api;
    use crate::world::behaviours::declared::{bundled_api, undeclared};

    /// One of each variant, with the operations that can answer it.
    fn every_variant() -> Vec<(GitbookError, &'static [&'static str])> {
        let s = || "sPaCe1".to_owned();
        let reads = &[
            "listUserPermissionsInSpace",
            "listTeamPermissionsInSpace",
            "listPermissionsAggregateInSpace",
        ][..];
        let writes = &[
            "inviteToSpace",
            "updateUserPermissionInSpace",
            "removeUserFromSpace",
            "updateTeamPermissionInSpace",
            "removeTeamFromSpace",
        ][..];
        let changes = &[
            "inviteToSpace",
            "updateUserPermissionInSpace",
            "updateTeamPermissionInSpace",
        ][..];
        vec![
            (
                GitbookError::NotAFilterRole { filter: "x".into() },
                &["listPermissionsAggregateInSpace"][..],
            ),
            (GitbookError::NotARole { role: 7.into() }, changes),
            (GitbookError::NoSpace { space: s() }, reads),
            (GitbookError::NoSpace { space: s() }, writes),
            (
                GitbookError::NoUser {
                    space: s(),
                    user: "u1".into(),
                },
                &["updateUserPermissionInSpace"],
            ),
            (
                GitbookError::NoTeam {
                    space: s(),
                    team: "t1".into(),
                },
                &["updateTeamPermissionInSpace"],
            ),
            (
                GitbookError::NotAManager {
                    space: s(),
                    role: Role::Edit,
                },
                writes,
            ),
            (
                GitbookError::UnknownInvitee { user: "u1".into() },
                &["inviteToSpace"],
            ),
            (
                GitbookError::UnknownTeam { team: "t1".into() },
                &["inviteToSpace"],
            ),
            (
                GitbookError::ForeignTeam { team: "t1".into() },
                &["inviteToSpace"],
            ),
            (GitbookError::ForeignPage { token: "a".into() }, reads),
        ]
    }

    #[test]
    fn each_refusal_has_its_status_and_its_words() {
        let table: Vec<(u16, String)> = every_variant()
            .into_iter()
            .map(|(e, _)| (e.status(), e.to_string()))
            .collect();
        let expected = [
            (400, "`x` is not a role."),
            (400, "role: 7 is not a role."),
            (404, "No space was found with the given Id `sPaCe1`."),
            (404, "No space was found with the given Id `sPaCe1`."),
            (
                404,
                "No user found with the given ID `u1` in space `sPaCe1`.",
            ),
            (
                404,
                "No team found with the given ID `t1` in space `sPaCe1`.",
            ),
            (
                403,
                "You cannot manage the permissions of space `sPaCe1`: your role in it is \
                 `edit`; it takes `admin` or `create`.",
            ),
            (404, "No team or user with the provided Id: no user `u1`."),
            (404, "No team or user with the provided Id: no team `t1`."),
            (
                404,
                "No team or user with the provided Id: team `t1` is not in the space's \
                 organization.",
            ),
            (
                404,
                "The page token `a` was not given by this list; pass `next.page` of the \
                 previous answer, or no `page` for the first page.",
            ),
        ];
        let expected: Vec<(u16, String)> = expected
            .iter()
            .map(|(s, t)| (*s, (*t).to_owned()))
            .collect();
        assert_eq!(table, expected);
    }

    #[test]
    fn a_refusal_is_answered_with_its_status_its_reason_and_its_words() {
        let e = GitbookError::NoSpace { space: "s".into() };
        let Reply::Err(facts) = Reply::from(e.clone()) else {
            panic!("not an error answer")
        };
        assert_eq!(
            (facts.status, &*facts.title, &*facts.detail),
            (404, "Not Found", e.to_string().as_str())
        );
        assert!(facts.violations.is_empty());
    }

    /// GitBook's document declares 404 on most of these operations; where it declares
    /// nothing for a refusal, the status is the mock's documented choice. This pins which:
    /// a status changed, or a document that starts declaring one, shows here.
    #[test]
    fn statuses_the_document_does_not_declare_are_the_known_choices() {
        let api: Api = bundled_api("gitbook");
        assert_eq!(
            undeclared(&api, every_variant()),
            [
                // A `role` that names no role: GitBook declares no 400 but on removing a team.
                (400, "listPermissionsAggregateInSpace"),
                (400, "inviteToSpace"),
                (400, "updateUserPermissionInSpace"),
                (400, "updateTeamPermissionInSpace"),
                // An unknown space, or a page token not the list's, where 404 is not declared.
                (404, "listPermissionsAggregateInSpace"),
                (404, "removeUserFromSpace"),
                (404, "removeTeamFromSpace"),
                // A member without the role to manage permissions: GitBook publishes no 403.
                (403, "inviteToSpace"),
                (403, "updateUserPermissionInSpace"),
                (403, "removeUserFromSpace"),
                (403, "updateTeamPermissionInSpace"),
                (403, "removeTeamFromSpace"),
            ]
        );
    }
}
