//! Alumio's world in the state file: each space's workers and users (first spelling, roles in
//! the order last assigned), spaces in fixture order. The licence and API keys are the
//! fixtures'.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Members, Role, World};
use crate::world::behaviour::RestoreError;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Saved {
    spaces: Vec<SavedSpace>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedSpace {
    identifier: String,
    workers: u64,
    users: Vec<SavedMember>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedMember {
    email: String,
    roles: Vec<Role>,
}

impl World {
    /// The world as the state file keeps it.
    pub fn save(&self) -> Value {
        let saved = Saved {
            spaces: self
                .spaces
                .iter()
                .map(|s| SavedSpace {
                    identifier: s.identifier.clone(),
                    workers: s.workers,
                    users: s
                        .users
                        .iter()
                        .map(|m| SavedMember {
                            email: m.email.clone(),
                            roles: m.roles.clone(),
                        })
                        .collect(),
                })
                .collect(),
        };
        // Only string keys and plain values: serialising cannot fail.
        serde_json::to_value(saved).unwrap_or(Value::Null)
    }

    /// The world `saved` describes, over `initial`'s licence and keys: the same spaces in the
    /// same order, each user once with roles that are not empty and do not repeat.
    pub fn restore(initial: &World, saved: Value) -> Result<World, RestoreError> {
        let saved: Saved = serde_json::from_value(saved)?;
        let mut world = initial.clone();
        let expected: Vec<&str> = initial
            .spaces
            .iter()
            .map(|s| s.identifier.as_str())
            .collect();
        let found: Vec<&str> = saved.spaces.iter().map(|s| s.identifier.as_str()).collect();
        if expected != found {
            return Err(RestoreError::new(format!(
                "the spaces are {found:?}; the fixtures have {expected:?}"
            )));
        }
        for (space, saved) in world.spaces.iter_mut().zip(saved.spaces) {
            let at =
                |what: String| RestoreError::new(format!("space {}: {what}", space.identifier));
            let mut users = Members::default();
            for member in saved.users {
                let distinct: HashSet<Role> = member.roles.iter().copied().collect();
                if member.roles.is_empty() || distinct.len() != member.roles.len() {
                    return Err(at(format!(
                        "user {} has no roles or a role twice",
                        member.email
                    )));
                }
                let SavedMember { email, roles } = member;
                if !users.upsert(&email, roles) {
                    return Err(at(format!("user {email} appears twice")));
                }
            }
            space.workers = saved.workers;
            space.users = users;
        }
        Ok(world)
    }
}
