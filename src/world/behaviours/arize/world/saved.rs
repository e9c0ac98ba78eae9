//! Arize's world in the state file: each space's memberships in the order they were created
//! (their ids, users and roles, encoded as the API shows them) and the counter behind the next
//! membership id. Organizations, users, custom roles and tokens are the fixtures'.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Members, Membership, Predefined, SpaceRole, World};
use crate::world::behaviour::RestoreError;
use crate::world::behaviours::arize::ids::{Id, MembershipId, RoleId, SpaceId, UserId};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Saved {
    /// The number of the next membership id.
    next_membership: u64,
    spaces: Vec<SavedSpace>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedSpace {
    id: String,
    memberships: Vec<SavedMembership>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedMembership {
    id: String,
    user_id: String,
    role: SavedRole,
}

/// A space role as the API writes it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum SavedRole {
    Predefined { name: Predefined },
    Custom { id: String },
}

impl World {
    /// The world as the state file keeps it.
    pub fn save(&self) -> Value {
        let spaces = self
            .spaces
            .iter()
            .map(|(id, space)| SavedSpace {
                id: id.encode(),
                memberships: space
                    .members
                    .iter()
                    .map(|(user, m)| SavedMembership {
                        id: m.id.encode(),
                        user_id: user.encode(),
                        role: match m.role {
                            SpaceRole::Predefined(name) => SavedRole::Predefined { name },
                            SpaceRole::Custom(id) => SavedRole::Custom { id: id.encode() },
                        },
                    })
                    .collect(),
            })
            .collect();
        let saved = Saved {
            next_membership: self.next_membership,
            spaces,
        };
        // Only string keys and plain values: serialising cannot fail.
        serde_json::to_value(saved).unwrap_or(Value::Null)
    }

    /// The world `saved` describes, over `initial`'s organizations, users, roles and tokens:
    /// every space of the fixtures once, known users and roles, membership ids given out by
    /// the counter and each used once.
    pub fn restore(initial: &World, saved: Value) -> Result<World, RestoreError> {
        let saved: Saved = serde_json::from_value(saved)?;
        let mut world = initial.clone();
        world.next_membership = saved.next_membership;
        let mut seen_spaces = HashSet::new();
        let mut seen_ids = HashSet::new();
        for space in saved.spaces {
            let at = |what: String| RestoreError::new(format!("space {}: {what}", space.id));
            let id = SpaceId::parse(&space.id).ok_or_else(|| at("is not a space id".into()))?;
            if !seen_spaces.insert(id) {
                return Err(at("appears twice".into()));
            }
            let mut members = Members::default();
            for m in &space.memberships {
                let (user, membership) = parse_membership(initial, m, saved.next_membership)
                    .map_err(|e| at(format!("membership {}: {e}", m.id)))?;
                if !seen_ids.insert(membership.id) || members.get(user).is_some() {
                    return Err(at(format!(
                        "membership {} (or user {}) appears twice",
                        m.id, m.user_id
                    )));
                }
                members.upsert(user, membership.role, || membership.id);
            }
            let Some(target) = world.spaces.get_mut(&id) else {
                return Err(at("is not in the fixtures".into()));
            };
            target.members = members;
        }
        if let Some(missing) = world.spaces.keys().find(|id| !seen_spaces.contains(*id)) {
            return Err(RestoreError::new(format!(
                "space {} of the fixtures is missing",
                missing.encode()
            )));
        }
        Ok(world)
    }
}

fn parse_membership(
    initial: &World,
    m: &SavedMembership,
    next: u64,
) -> Result<(UserId, Membership), String> {
    let id = MembershipId::parse(&m.id).ok_or("not a membership id")?;
    if id.number() >= next {
        return Err(format!(
            "the id was never given out (the next is number {next})"
        ));
    }
    let user = UserId::parse(&m.user_id).ok_or("user_id is not a user id")?;
    if !initial.users.contains_key(&user) {
        return Err(format!("user {} is not in the fixtures", m.user_id));
    }
    let role = match &m.role {
        SavedRole::Predefined { name } => SpaceRole::Predefined(*name),
        SavedRole::Custom { id } => {
            let role = RoleId::parse(id).ok_or("role.id is not a role id")?;
            if !initial.roles.contains_key(&role) {
                return Err(format!("custom role {id} is not in the fixtures"));
            }
            SpaceRole::Custom(role)
        }
    };
    Ok((user, Membership { id, role }))
}
