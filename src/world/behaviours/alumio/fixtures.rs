//! `fixtures/alumio.yaml`: the licence, the spaces with their workers and users, and the API
//! keys, read into a [`World`] and checked against everything the API promises (identifiers
//! match `^[a-z0-9-]+$`, a `default` space exists, emails are valid and unique per space,
//! roles known, non-empty and not repeated, allocations within the licence, API keys unique and
//! bound to a known user). The first problem fails startup, naming the file and the entry.

use serde::Deserialize;
use serde_json::{Value, json};

use super::world::{Licence, Members, Role, Space, World};
use crate::world::fixtures::{self, FixtureError};

/// The space every Alumio environment has.
pub const DEFAULT_SPACE: &str = "default";

/// The longest space identifier (`SpaceWorkerAllocation.spaceIdentifier.maxLength`).
const MAX_IDENTIFIER: usize = 255;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FixtureFile {
    licence: LicenceEntry,
    spaces: Vec<SpaceEntry>,
    #[serde(default)]
    api_keys: Vec<ApiKeyEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LicenceEntry {
    workers: u64,
    workers_per_space: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpaceEntry {
    identifier: String,
    #[serde(default)]
    workers: u64,
    #[serde(default)]
    users: Vec<UserEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    email: String,
    roles: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiKeyEntry {
    token: String,
    /// The email of the user the key belongs to.
    user: String,
}

/// The world `text` (the fixture file `file`) describes.
pub fn world(text: &str, file: &str) -> Result<World, FixtureError> {
    let parsed: FixtureFile = fixtures::parse(text, file)?;
    let fail = |entry: String, message: String| FixtureError::new(file, entry, message);
    let emails = EmailCheck::new().map_err(|e| fail(String::new(), e))?;
    let licence = Licence {
        workers: parsed.licence.workers,
        workers_per_space: parsed.licence.workers_per_space,
    };
    let mut world = World::new(licence);
    for (s, entry) in parsed.spaces.into_iter().enumerate() {
        let at = format!("spaces[{s}]");
        if let Some(problem) = identifier_problem(&entry.identifier) {
            return Err(fail(
                format!("{at}.identifier"),
                format!("`{}` {problem}", entry.identifier),
            ));
        }
        if entry.workers > licence.workers_per_space {
            return Err(fail(
                format!("{at}.workers"),
                format!(
                    "{} workers, above the licence's workersPerSpace ({})",
                    entry.workers, licence.workers_per_space
                ),
            ));
        }
        let mut users = Members::default();
        for (u, user) in entry.users.iter().enumerate() {
            let at = format!("{at}.users[{u}]");
            if !emails.is_valid(&user.email) {
                return Err(fail(
                    format!("{at}.email"),
                    format!("`{}` is not a valid email address", user.email),
                ));
            }
            if let Some(first) = users.get(&user.email) {
                return Err(fail(
                    format!("{at}.email"),
                    format!(
                        "`{}` is already a user of space `{}` (as `{}`; emails are compared \
                         without case)",
                        user.email, entry.identifier, first.email
                    ),
                ));
            }
            let roles = roles(&user.roles).map_err(|(r, m)| fail(format!("{at}.roles{r}"), m))?;
            users.upsert(&user.email, roles);
        }
        let identifier = entry.identifier.clone();
        let added = world.add_space(Space {
            identifier: entry.identifier,
            workers: entry.workers,
            users,
        });
        if !added {
            return Err(fail(
                format!("{at}.identifier"),
                format!("`{identifier}` names an earlier space too"),
            ));
        }
    }
    if world.space(DEFAULT_SPACE).is_none() {
        return Err(fail(
            "spaces".to_owned(),
            format!("there is no `{DEFAULT_SPACE}` space (every Alumio environment has one)"),
        ));
    }
    let total = world.total_workers();
    if total > u128::from(licence.workers) {
        return Err(fail(
            "spaces".to_owned(),
            format!(
                "the spaces' workers add up to {total}, above the licence's workers ({})",
                licence.workers
            ),
        ));
    }
    for (k, key) in parsed.api_keys.iter().enumerate() {
        let at = format!("apiKeys[{k}]");
        if key.token.trim().is_empty() {
            return Err(fail(format!("{at}.token"), "the token is empty".to_owned()));
        }
        let known = world.spaces().any(|s| s.users.get(&key.user).is_some());
        if !known {
            return Err(fail(
                format!("{at}.user"),
                format!("`{}` is not a user of any space", key.user),
            ));
        }
        if !world.add_api_key(&key.token, &key.user) {
            return Err(fail(
                format!("{at}.token"),
                "the token is bound to an earlier entry too".to_owned(),
            ));
        }
    }
    Ok(world)
}

/// Why `identifier` cannot name a space, if it cannot.
fn identifier_problem(identifier: &str) -> Option<String> {
    let fits = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
    if identifier.is_empty() || !identifier.bytes().all(fits) {
        Some("does not match ^[a-z0-9-]+$".to_owned())
    } else if identifier.len() > MAX_IDENTIFIER {
        Some(format!("is longer than {MAX_IDENTIFIER} characters"))
    } else {
        None
    }
}

/// The roles of one user: known, at least one, none twice. An error names the place
/// (`""` for the list, `[i]` for an item) and what is wrong.
fn roles(names: &[String]) -> Result<Vec<Role>, (String, String)> {
    if names.is_empty() {
        return Err((String::new(), "a user needs at least one role".to_owned()));
    }
    let mut out = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let Some(role) = Role::parse(name) else {
            let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            return Err((
                format!("[{i}]"),
                format!("`{name}` is not a role (one of: {})", known.join(", ")),
            ));
        };
        if out.contains(&role) {
            return Err((format!("[{i}]"), format!("`{name}` is listed twice")));
        }
        out.push(role);
    }
    Ok(out)
}

/// JSON Schema's `email` format, the check the request validator applies to
/// `User.email`: a fixture accepts exactly the emails a request may send.
struct EmailCheck(jsonschema::Validator);

impl EmailCheck {
    fn new() -> Result<EmailCheck, String> {
        jsonschema::options()
            .should_validate_formats(true)
            .build(&json!({"type": "string", "format": "email"}))
            .map(EmailCheck)
            .map_err(|e| format!("the email check cannot be built: {e}"))
    }

    fn is_valid(&self, email: &str) -> bool {
        self.0.is_valid(&Value::String(email.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "fixtures/alumio.yaml";

    fn error_of(text: &str) -> FixtureError {
        match world(text, FILE) {
            Ok(_) => panic!("the fixture was accepted:\n{text}"),
            Err(e) => e,
        }
    }

    #[test]
    fn the_bundled_fixture_is_valid() {
        let text = include_str!("../../../../fixtures/alumio.yaml");
        let w = world(text, FILE).unwrap_or_else(|e| panic!("{e}"));
        assert!(w.space(DEFAULT_SPACE).is_some());
    }

    #[test]
    fn a_repeated_role_names_its_item() {
        let e = error_of(
            "licence: {workers: 1, workersPerSpace: 1}\nspaces:\n  - identifier: default\n    \
             users: [{email: a@example.com, roles: [ROLE_USER, ROLE_USER]}]\n",
        );
        assert_eq!(e.entry, "spaces[0].users[0].roles[1]");
    }

    #[test]
    fn an_empty_role_list_names_the_list() {
        let e = error_of(
            "licence: {workers: 1, workersPerSpace: 1}\nspaces:\n  - identifier: default\n    \
             users: [{email: a@example.com, roles: []}]\n",
        );
        assert_eq!(e.entry, "spaces[0].users[0].roles");
    }

    #[test]
    fn an_unknown_member_is_refused() {
        let e = error_of("licence: {workers: 1, workersPerSpace: 1, seats: 3}\nspaces: []\n");
        assert!(e.message.contains("seats"), "{e}");
    }
}
