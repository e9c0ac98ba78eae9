//! Alumio's world: the licence, the spaces (in fixture order) with their workers and users, and
//! the API keys. Pure domain, no HTTP: each operation checks everything first and changes
//! nothing when it refuses, so a rejected request leaves the world as it was.
//!
//! Implementation rationale: spaces and users keep insertion order in a `Vec` with a `HashMap`
//! index beside it (position by key), so finding a space or a user is O(1), an upsert is O(1)
//! and listing is in a stable order. Nothing is ever removed (neither operation removes), so
//! positions never move. Emails are keyed case-insensitively (see [`email_key`]).

// A seeded hash much quicker than SipHash: every write looks its space and users up.
use foldhash::{HashMap, HashMapExt};

mod saved;

/// A user's role in a space, as the document's `User.roles` consts name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Role {
    #[serde(rename = "ROLE_USER")]
    User,
    #[serde(rename = "ROLE_EDITOR")]
    Editor,
    #[serde(rename = "ROLE_ADMINISTRATOR")]
    Administrator,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::User, Role::Editor, Role::Administrator];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "ROLE_USER",
            Role::Editor => "ROLE_EDITOR",
            Role::Administrator => "ROLE_ADMINISTRATOR",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// The licence figures: the most workers over all spaces together, and in any one space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Licence {
    pub workers: u64,
    pub workers_per_space: u64,
}

/// One user of a space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The spelling the user was first assigned with.
    pub email: String,
    /// In the order last assigned; never empty, no repeats.
    pub roles: Vec<Role>,
}

/// The key that identifies a user within a space: emails are compared without case
/// (`Jane@Example.com` and `jane@example.com` are one user), as login forms do.
pub fn email_key(email: &str) -> String {
    email.to_lowercase()
}

/// The users of one space, in the order they were first assigned.
#[derive(Debug, Clone, Default)]
pub struct Members {
    list: Vec<Member>,
    by_key: HashMap<String, usize>,
}

impl Members {
    /// Adds the user, or replaces the roles of the user already there (keeping its first
    /// spelling and its place). True when the user is new.
    pub fn upsert(&mut self, email: &str, roles: Vec<Role>) -> bool {
        let key = email_key(email);
        match self.by_key.get(&key).and_then(|&i| self.list.get_mut(i)) {
            Some(member) => {
                member.roles = roles;
                false
            }
            None => {
                self.by_key.insert(key, self.list.len());
                self.list.push(Member {
                    email: email.to_owned(),
                    roles,
                });
                true
            }
        }
    }

    pub fn get(&self, email: &str) -> Option<&Member> {
        self.by_key
            .get(&email_key(email))
            .and_then(|&i| self.list.get(i))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Member> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// One space.
#[derive(Debug, Clone)]
pub struct Space {
    pub identifier: String,
    pub workers: u64,
    pub users: Members,
}

/// Why an assignment was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignError {
    UnknownSpace,
    /// The positions in the request of users whose email an earlier entry already lists.
    RepeatedEmails(Vec<usize>),
}

/// One entry of an allocation request: the space it names and the workers it asks for
/// (`None` when the entry leaves either out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation<'a> {
    pub space: Option<&'a str>,
    pub workers: Option<u64>,
}

/// What is wrong with one entry of an allocation; at most one per entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllocationProblem {
    MissingSpace,
    MissingWorkers,
    UnknownSpace,
    /// An earlier entry already names this space.
    RepeatedSpace,
    /// More than `workersPerSpace`.
    OverPerSpace,
    /// The entry raises its space's workers and, with every listed change, the spaces
    /// together would have `total` workers, above the licence.
    OverLicence {
        total: u128,
    },
}

/// The whole of Alumio's world.
#[derive(Debug, Clone)]
pub struct World {
    pub licence: Licence,
    spaces: Vec<Space>,
    by_identifier: HashMap<String, usize>,
    /// API key → the email of the user it belongs to.
    api_keys: HashMap<String, String>,
    /// The API keys in fixture order, for the snapshot.
    key_order: Vec<String>,
}

impl World {
    pub fn new(licence: Licence) -> World {
        World {
            licence,
            spaces: Vec::new(),
            by_identifier: HashMap::new(),
            api_keys: HashMap::new(),
            key_order: Vec::new(),
        }
    }

    /// Adds a space; false (and no change) when its identifier is taken.
    pub fn add_space(&mut self, space: Space) -> bool {
        if self.by_identifier.contains_key(&space.identifier) {
            return false;
        }
        self.by_identifier
            .insert(space.identifier.clone(), self.spaces.len());
        self.spaces.push(space);
        true
    }

    /// Binds an API key to a user; false (and no change) when the key is taken.
    pub fn add_api_key(&mut self, token: &str, email: &str) -> bool {
        if self.api_keys.contains_key(token) {
            return false;
        }
        self.api_keys.insert(token.to_owned(), email.to_owned());
        self.key_order.push(token.to_owned());
        true
    }

    pub fn user_of_key(&self, token: &str) -> Option<&str> {
        self.api_keys.get(token).map(String::as_str)
    }

    pub fn api_keys(&self) -> impl Iterator<Item = (&str, &str)> {
        self.key_order.iter().filter_map(|t| {
            self.api_keys
                .get(t)
                .map(|email| (t.as_str(), email.as_str()))
        })
    }

    pub fn space(&self, identifier: &str) -> Option<&Space> {
        self.by_identifier
            .get(identifier)
            .and_then(|&i| self.spaces.get(i))
    }

    pub fn spaces(&self) -> impl Iterator<Item = &Space> {
        self.spaces.iter()
    }

    /// The workers of all spaces together.
    pub fn total_workers(&self) -> u128 {
        self.spaces.iter().map(|s| u128::from(s.workers)).sum()
    }

    /// Gives each listed user exactly the listed roles in `space` (adding users not there
    /// yet). Refused as a whole when the space is unknown or two entries name one email.
    pub fn assign(
        &mut self,
        space: &str,
        users: Vec<(&str, Vec<Role>)>,
    ) -> Result<(), AssignError> {
        let index = *self
            .by_identifier
            .get(space)
            .ok_or(AssignError::UnknownSpace)?;
        let mut seen = HashMap::with_capacity(users.len());
        let repeated: Vec<usize> = users
            .iter()
            .enumerate()
            .filter(|(i, (email, _))| *seen.entry(email_key(email)).or_insert(*i) != *i)
            .map(|(i, _)| i)
            .collect();
        if !repeated.is_empty() {
            return Err(AssignError::RepeatedEmails(repeated));
        }
        let members = &mut self
            .spaces
            .get_mut(index)
            .ok_or(AssignError::UnknownSpace)?
            .users;
        for (email, roles) in users {
            members.upsert(email, roles);
        }
        Ok(())
    }

    /// Sets the workers of each listed space. Refused as a whole, with every offending entry
    /// (its position and what is wrong), when an entry misses a member, names an unknown or
    /// an already listed space, asks for more than `workersPerSpace`, or when the spaces
    /// together would have more workers than the licence: the total is the sum over *all*
    /// spaces after the change (listed ones at their new figure, the others as they are), and
    /// exactly the licence's figure is allowed. The entries blamed for a total over the
    /// licence are those that raise their space's workers (lowering ones cannot be at fault).
    pub fn allocate(
        &mut self,
        entries: &[Allocation<'_>],
    ) -> Result<(), Vec<(usize, AllocationProblem)>> {
        let mut problems: Vec<(usize, AllocationProblem)> = Vec::new();
        // Valid entries as (entry position, space position, new workers).
        let mut changes: Vec<(usize, usize, u64)> = Vec::with_capacity(entries.len());
        let mut listed: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let Some(identifier) = entry.space else {
                problems.push((i, AllocationProblem::MissingSpace));
                continue;
            };
            let Some(&space) = self.by_identifier.get(identifier) else {
                problems.push((i, AllocationProblem::UnknownSpace));
                continue;
            };
            if *listed.entry(identifier).or_insert(i) != i {
                problems.push((i, AllocationProblem::RepeatedSpace));
                continue;
            }
            let Some(workers) = entry.workers else {
                problems.push((i, AllocationProblem::MissingWorkers));
                continue;
            };
            if workers > self.licence.workers_per_space {
                problems.push((i, AllocationProblem::OverPerSpace));
                continue;
            }
            changes.push((i, space, workers));
        }
        let current = |space: usize| self.spaces.get(space).map_or(0, |s| s.workers);
        let total = changes
            .iter()
            .fold(self.total_workers(), |sum, &(_, s, w)| {
                sum - u128::from(current(s)) + u128::from(w)
            });
        if total > u128::from(self.licence.workers) {
            problems.extend(
                changes
                    .iter()
                    .filter(|&&(_, s, w)| w > current(s))
                    .map(|&(i, _, _)| (i, AllocationProblem::OverLicence { total })),
            );
        }
        if !problems.is_empty() {
            problems.sort_by_key(|(i, _)| *i);
            return Err(problems);
        }
        for (_, space, workers) in changes {
            if let Some(s) = self.spaces.get_mut(space) {
                s.workers = workers;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> World {
        let mut w = World::new(Licence {
            workers: 10,
            workers_per_space: 5,
        });
        for (id, workers) in [("default", 2), ("a", 3), ("b", 0)] {
            w.add_space(Space {
                identifier: id.to_owned(),
                workers,
                users: Members::default(),
            });
        }
        w
    }

    fn entry(space: &str, workers: u64) -> Allocation<'_> {
        Allocation {
            space: Some(space),
            workers: Some(workers),
        }
    }

    #[test]
    fn an_upsert_keeps_the_first_spelling_and_the_place() {
        let mut m = Members::default();
        assert!(m.upsert("Jane@Example.com", vec![Role::User]));
        assert!(m.upsert("bob@example.com", vec![Role::User]));
        assert!(!m.upsert("jane@example.com", vec![Role::Editor]));
        let first = m.iter().next().cloned();
        assert_eq!(
            first,
            Some(Member {
                email: "Jane@Example.com".into(),
                roles: vec![Role::Editor]
            })
        );
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn a_total_exactly_at_the_licence_is_allowed() {
        let mut w = world();
        assert_eq!(w.allocate(&[entry("b", 5)]), Ok(()));
        assert_eq!(w.total_workers(), 10);
    }

    #[test]
    fn a_total_over_the_licence_blames_only_the_entries_that_raise() {
        let mut w = world();
        let found = w.allocate(&[entry("default", 1), entry("a", 5), entry("b", 5)]);
        let over = AllocationProblem::OverLicence { total: 11 };
        assert_eq!(found, Err(vec![(1, over.clone()), (2, over)]));
        assert_eq!(w.space("a").map(|s| s.workers), Some(3));
    }

    #[test]
    fn a_repeated_space_is_a_problem_of_the_later_entry() {
        let mut w = world();
        let found = w.allocate(&[entry("a", 1), entry("a", 2)]);
        assert_eq!(found, Err(vec![(1, AllocationProblem::RepeatedSpace)]));
    }

    #[test]
    fn repeated_emails_are_found_without_case() {
        let mut w = world();
        let users = vec![
            ("x@example.com", vec![Role::User]),
            ("y@example.com", vec![Role::User]),
            ("X@EXAMPLE.COM", vec![Role::Editor]),
        ];
        assert_eq!(
            w.assign("default", users),
            Err(AssignError::RepeatedEmails(vec![2]))
        );
        assert!(w.space("default").is_some_and(|s| s.users.is_empty()));
    }
}
