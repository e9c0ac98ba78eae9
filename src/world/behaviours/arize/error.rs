//! What the Arize behaviour refuses: each variant its status, one the operations declare
//! (400, 401, 403, 404, 422), and the text the client reads. The module doc of `arize` says
//! in which order they are checked, so that each tells the caller no more than they may know.

use super::world::{ROLE_BINDING_CREATE, ROLE_BINDING_DELETE};
use crate::world::behaviour::{DomainError, Reply};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArizeError {
    /// The request came without a caller the engine knows (it authenticated the token).
    #[error("The bearer token is not known.")]
    UnknownToken,
    /// Not a space id, no such space, or one the caller has no membership in: one answer.
    #[error("Space {space} not found.")]
    NoSpace { space: String },
    /// `spaces_add_user` without a body.
    #[error("The request body is missing.")]
    NoBody,
    /// `role.name` of a predefined role assignment names none.
    #[error("role.name {name:?} is not a predefined role.")]
    NotAPredefinedRole { name: String },
    /// `role` is neither a predefined nor a custom role assignment.
    #[error("role is not a role assignment.")]
    NotARoleAssignment,
    /// Assigning a predefined role without the space admin role.
    #[error("Assigning a predefined role requires the space admin role.")]
    PredefinedNeedsAdmin,
    /// Assigning a custom role without `ROLE_BINDING_CREATE` in the space.
    #[error(
        "Assigning a custom role requires the {} permission in this space.",
        ROLE_BINDING_CREATE
    )]
    CustomNeedsCreate,
    /// Removing a user without the space admin role or `ROLE_BINDING_DELETE`.
    #[error(
        "Removing a user from a space requires the space admin role or the {} permission in \
         this space.",
        ROLE_BINDING_DELETE
    )]
    RemovalNeedsDelete,
    /// The custom role asked for does not exist.
    #[error("Custom role {role} not found.")]
    NoCustomRole { role: String },
    /// The user to add is not a member of the space's organization (or is no user at all).
    #[error("The user {user} is not a member of the space's organization.")]
    NotInOrganization { user: String },
    /// The role does not fit the user's account role (the annotator rule); `why` says how.
    #[error("The user {user} {why}.")]
    RoleDoesNotFit { user: String, why: &'static str },
    /// The user to remove has no membership in the space (or is no user id at all).
    #[error("The user {user} is not a member of the space.")]
    NotAMember { user: String },
}

impl DomainError for ArizeError {
    fn status(&self) -> u16 {
        match self {
            ArizeError::NotInOrganization { .. } | ArizeError::RoleDoesNotFit { .. } => 400,
            ArizeError::UnknownToken => 401,
            ArizeError::PredefinedNeedsAdmin
            | ArizeError::CustomNeedsCreate
            | ArizeError::RemovalNeedsDelete => 403,
            ArizeError::NoSpace { .. }
            | ArizeError::NoCustomRole { .. }
            | ArizeError::NotAMember { .. } => 404,
            ArizeError::NoBody
            | ArizeError::NotAPredefinedRole { .. }
            | ArizeError::NotARoleAssignment => 422,
        }
    }
}

impl From<ArizeError> for Reply {
    fn from(error: ArizeError) -> Reply {
        Reply::domain(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::behaviours::declared::{bundled_api, undeclared};

    const ADD: &[&str] = &[super::super::ADD_USER];
    const REMOVE: &[&str] = &[super::super::REMOVE_USER];
    const BOTH: &[&str] = &[super::super::ADD_USER, super::super::REMOVE_USER];

    /// One of each variant, its status and words, and the operations that can answer it.
    fn every_variant() -> Vec<(ArizeError, u16, &'static str, &'static [&'static str])> {
        let s = |t: &str| t.to_owned();
        vec![
            (
                ArizeError::UnknownToken,
                401,
                "The bearer token is not known.",
                BOTH,
            ),
            (
                ArizeError::NoSpace {
                    space: s("U3BhY2U6MQ=="),
                },
                404,
                "Space U3BhY2U6MQ== not found.",
                BOTH,
            ),
            (ArizeError::NoBody, 422, "The request body is missing.", ADD),
            (
                ArizeError::NotAPredefinedRole { name: s("boss") },
                422,
                "role.name \"boss\" is not a predefined role.",
                ADD,
            ),
            (
                ArizeError::NotARoleAssignment,
                422,
                "role is not a role assignment.",
                ADD,
            ),
            (
                ArizeError::PredefinedNeedsAdmin,
                403,
                "Assigning a predefined role requires the space admin role.",
                ADD,
            ),
            (
                ArizeError::CustomNeedsCreate,
                403,
                "Assigning a custom role requires the ROLE_BINDING_CREATE permission in this \
                 space.",
                ADD,
            ),
            (
                ArizeError::RemovalNeedsDelete,
                403,
                "Removing a user from a space requires the space admin role or the \
                 ROLE_BINDING_DELETE permission in this space.",
                REMOVE,
            ),
            (
                ArizeError::NoCustomRole {
                    role: s("Um9sZTo5"),
                },
                404,
                "Custom role Um9sZTo5 not found.",
                ADD,
            ),
            (
                ArizeError::NotInOrganization {
                    user: s("VXNlcjo5"),
                },
                400,
                "The user VXNlcjo5 is not a member of the space's organization.",
                ADD,
            ),
            (
                ArizeError::RoleDoesNotFit {
                    user: s("VXNlcjo5"),
                    why: "may not",
                },
                400,
                "The user VXNlcjo5 may not.",
                ADD,
            ),
            (
                ArizeError::NotAMember {
                    user: s("VXNlcjo5"),
                },
                404,
                "The user VXNlcjo5 is not a member of the space.",
                REMOVE,
            ),
        ]
    }

    #[test]
    fn each_refusal_has_its_status_and_its_words() {
        for (error, status, text, _) in every_variant() {
            assert_eq!((error.status(), error.to_string()), (status, text.into()));
        }
    }

    #[test]
    fn every_refusal_is_a_status_its_operations_declare() {
        let api = bundled_api("arize");
        let cases = every_variant().into_iter().map(|(e, _, _, ops)| (e, ops));
        assert_eq!(undeclared(&api, cases), []);
    }

    #[test]
    fn a_refusal_is_answered_with_its_status_its_reason_and_its_words() {
        let Reply::Err(facts) = Reply::from(ArizeError::PredefinedNeedsAdmin) else {
            panic!("not an error answer")
        };
        assert_eq!(
            (facts.status, &*facts.title, &*facts.detail),
            (
                403,
                "Forbidden",
                "Assigning a predefined role requires the space admin role."
            )
        );
    }
}
