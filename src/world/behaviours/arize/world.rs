//! The Arize world: organizations and their members, spaces and their memberships, users
//! with their account roles, the account's custom roles, and the API tokens.
//!
//! Implementation rationale: every operation names one space and one user, so a space keeps
//! its memberships in a hash map by user (O(1) upsert, lookup and removal) plus a B-tree by
//! membership id, which is insertion order since ids come from one counter: a space of
//! 100,000 members lists (for `/__admin/state`) in a stable order without any operation
//! paying O(n). Maps over ids are B-trees so the snapshot comes out in id order.

use std::collections::{BTreeMap, BTreeSet};

// Seeded hashes much quicker than SipHash: every request looks its caller and member up.
use foldhash::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::{Value, json};

use super::ids::{Id, MembershipId, OrganizationId, RoleId, SpaceId, UserId};
use crate::world::behaviour::push_str;

mod saved;

/// The permission a custom role needs to assign custom roles in a space.
pub const ROLE_BINDING_CREATE: &str = "ROLE_BINDING_CREATE";
/// The permission a custom role needs to remove users from a space.
pub const ROLE_BINDING_DELETE: &str = "ROLE_BINDING_DELETE";

/// A user's role in the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountRole {
    Admin,
    Member,
    Annotator,
}

impl AccountRole {
    pub fn name(self) -> &'static str {
        match self {
            AccountRole::Admin => "admin",
            AccountRole::Member => "member",
            AccountRole::Annotator => "annotator",
        }
    }
}

/// The predefined space roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum Predefined {
    #[serde(rename = "admin")]
    Admin,
    #[serde(rename = "member")]
    Member,
    #[serde(rename = "read-only")]
    ReadOnly,
    #[serde(rename = "annotator")]
    Annotator,
}

impl Predefined {
    pub fn name(self) -> &'static str {
        match self {
            Predefined::Admin => "admin",
            Predefined::Member => "member",
            Predefined::ReadOnly => "read-only",
            Predefined::Annotator => "annotator",
        }
    }

    pub fn from_name(name: &str) -> Option<Predefined> {
        [
            Predefined::Admin,
            Predefined::Member,
            Predefined::ReadOnly,
            Predefined::Annotator,
        ]
        .into_iter()
        .find(|p| p.name() == name)
    }
}

/// The role a membership gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpaceRole {
    Predefined(Predefined),
    Custom(RoleId),
}

impl SpaceRole {
    /// Whether `account` may hold this role: annotators only the annotator role, and only
    /// annotators that one. `Err` says why not.
    pub fn fits(self, account: AccountRole) -> Result<(), &'static str> {
        let annotator_role = self == SpaceRole::Predefined(Predefined::Annotator);
        match (account == AccountRole::Annotator, annotator_role) {
            (true, false) => Err(
                "has the annotator account role and may only get the predefined annotator space role",
            ),
            (false, true) => Err(
                "does not have the annotator account role, which the predefined annotator space role requires",
            ),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub email: String,
    pub account_role: AccountRole,
}

#[derive(Debug, Clone)]
pub struct Organization {
    pub name: String,
    pub members: HashSet<UserId>,
    /// The members in the fixtures' order, for the snapshot.
    pub listed: Vec<UserId>,
}

#[derive(Debug, Clone)]
pub struct CustomRole {
    pub name: String,
    pub permissions: BTreeSet<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    pub id: MembershipId,
    pub role: SpaceRole,
}

/// A space's memberships: by user for the operations, by id for a stable order.
#[derive(Debug, Clone, Default)]
pub struct Members {
    by_user: HashMap<UserId, Membership>,
    by_id: BTreeMap<MembershipId, UserId>,
}

impl Members {
    pub fn get(&self, user: UserId) -> Option<&Membership> {
        self.by_user.get(&user)
    }

    /// Gives `user` the role `role`: a current member keeps their membership id, a new one
    /// gets `new_id()`.
    pub fn upsert(
        &mut self,
        user: UserId,
        role: SpaceRole,
        new_id: impl FnOnce() -> MembershipId,
    ) -> Membership {
        let membership = self
            .by_user
            .entry(user)
            .or_insert_with(|| Membership { id: new_id(), role });
        membership.role = role;
        self.by_id.insert(membership.id, user);
        *membership
    }

    pub fn remove(&mut self, user: UserId) -> Option<Membership> {
        let membership = self.by_user.remove(&user)?;
        self.by_id.remove(&membership.id);
        Some(membership)
    }

    /// The memberships in the order they were created.
    pub fn iter(&self) -> impl Iterator<Item = (UserId, &Membership)> {
        self.by_id
            .values()
            .filter_map(|user| self.by_user.get(user).map(|m| (*user, m)))
    }

    pub fn len(&self) -> usize {
        self.by_user.len()
    }
}

#[derive(Debug, Clone)]
pub struct Space {
    pub name: String,
    pub organization: OrganizationId,
    pub members: Members,
}

/// One session's Arize world.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub organizations: BTreeMap<OrganizationId, Organization>,
    pub spaces: BTreeMap<SpaceId, Space>,
    pub users: BTreeMap<UserId, User>,
    pub roles: BTreeMap<RoleId, CustomRole>,
    pub tokens: HashMap<String, UserId>,
    /// The number of the next membership id (`SpaceMembership:n`).
    pub next_membership: u64,
}

/// What a caller may do in one space, from their membership there.
#[derive(Debug, Clone, Copy)]
pub struct Grants<'w> {
    pub admin: bool,
    permissions: Option<&'w BTreeSet<String>>,
}

impl Grants<'_> {
    pub fn has(&self, permission: &str) -> bool {
        self.permissions.is_some_and(|p| p.contains(permission))
    }
}

impl World {
    /// A new membership id from the world's counter.
    pub fn new_membership_id(next: &mut u64) -> MembershipId {
        let id = MembershipId::from_number(*next);
        *next += 1;
        id
    }

    /// Whether `user` belongs to organization `org`.
    pub fn in_organization(&self, org: OrganizationId, user: UserId) -> bool {
        self.organizations
            .get(&org)
            .is_some_and(|o| o.members.contains(&user))
    }

    /// What `caller` may do in `space`; `None` when they have no membership there (and so
    /// cannot read it).
    pub fn grants(&self, space: &Space, caller: UserId) -> Option<Grants<'_>> {
        let membership = space.members.get(caller)?;
        Some(match membership.role {
            SpaceRole::Predefined(p) => Grants {
                admin: p == Predefined::Admin,
                permissions: None,
            },
            SpaceRole::Custom(role) => Grants {
                admin: false,
                permissions: self.roles.get(&role).map(|r| &r.permissions),
            },
        })
    }

    /// A membership as the API shows it; a custom role carries its name.
    pub fn membership_json(&self, space: SpaceId, user: UserId, m: &Membership) -> Value {
        json!({
            "id": m.id.encode(),
            "user_id": user.encode(),
            "space_id": space.encode(),
            "role": self.role_json(m.role),
        })
    }

    /// [`World::membership_json`] written straight to JSON bytes: what adding a user answers
    /// (a unit test holds the two to the same text).
    pub fn write_membership(
        &self,
        out: &mut Vec<u8>,
        space: SpaceId,
        user: UserId,
        m: &Membership,
    ) {
        out.extend_from_slice(b"{\"id\":");
        push_str(out, &m.id.encode());
        out.extend_from_slice(b",\"user_id\":");
        push_str(out, &user.encode());
        out.extend_from_slice(b",\"space_id\":");
        push_str(out, &space.encode());
        out.extend_from_slice(b",\"role\":{\"type\":");
        match m.role {
            SpaceRole::Predefined(p) => {
                push_str(out, "predefined");
                out.extend_from_slice(b",\"name\":");
                push_str(out, p.name());
            }
            SpaceRole::Custom(id) => {
                push_str(out, "custom");
                out.extend_from_slice(b",\"id\":");
                push_str(out, &id.encode());
                if let Some(r) = self.roles.get(&id) {
                    out.extend_from_slice(b",\"name\":");
                    push_str(out, &r.name);
                }
            }
        }
        out.extend_from_slice(b"}}");
    }

    fn role_json(&self, role: SpaceRole) -> Value {
        match role {
            SpaceRole::Predefined(p) => json!({"type": "predefined", "name": p.name()}),
            SpaceRole::Custom(id) => match self.roles.get(&id) {
                Some(r) => json!({"type": "custom", "id": id.encode(), "name": r.name}),
                None => json!({"type": "custom", "id": id.encode()}),
            },
        }
    }

    /// The whole world as JSON, ids encoded as the API shows them.
    pub fn snapshot(&self) -> Value {
        let organizations: Vec<Value> = self
            .organizations
            .iter()
            .map(|(id, o)| {
                json!({
                    "id": id.encode(),
                    "name": o.name,
                    "members": o.listed.iter().map(|u| u.encode()).collect::<Vec<_>>(),
                })
            })
            .collect();
        let spaces: Vec<Value> = self
            .spaces
            .iter()
            .map(|(id, s)| {
                json!({
                    "id": id.encode(),
                    "name": s.name,
                    "organization_id": s.organization.encode(),
                    "member_count": s.members.len(),
                    "memberships": s.members.iter()
                        .map(|(user, m)| self.membership_json(*id, user, m))
                        .collect::<Vec<_>>(),
                })
            })
            .collect();
        let users: Vec<Value> = self
            .users
            .iter()
            .map(|(id, u)| {
                json!({
                    "id": id.encode(),
                    "name": u.name,
                    "email": u.email,
                    "account_role": u.account_role.name(),
                })
            })
            .collect();
        let roles: Vec<Value> = self
            .roles
            .iter()
            .map(|(id, r)| json!({"id": id.encode(), "name": r.name, "permissions": r.permissions}))
            .collect();
        let mut tokens: Vec<(&String, &UserId)> = self.tokens.iter().collect();
        tokens.sort();
        let tokens: Vec<Value> = tokens
            .into_iter()
            .map(|(token, user)| json!({"token": token, "user_id": user.encode()}))
            .collect();
        json!({
            "organizations": organizations,
            "spaces": spaces,
            "users": users,
            "custom_roles": roles,
            "tokens": tokens,
            "next_membership_id": MembershipId::from_number(self.next_membership).encode(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(n: u64) -> UserId {
        UserId::from_number(n)
    }

    #[test]
    fn an_upsert_keeps_the_membership_id_and_its_place() {
        let mut members = Members::default();
        let mut next = 1;
        let member = SpaceRole::Predefined(Predefined::Member);
        let admin = SpaceRole::Predefined(Predefined::Admin);
        let first = members.upsert(user(1), member, || World::new_membership_id(&mut next));
        members.upsert(user(2), member, || World::new_membership_id(&mut next));
        let again = members.upsert(user(1), admin, || World::new_membership_id(&mut next));
        assert_eq!(again.id, first.id);
        assert_eq!(again.role, admin);
        let order: Vec<UserId> = members.iter().map(|(u, _)| u).collect();
        assert_eq!(order, [user(1), user(2)]);
        assert_eq!(next, 3);
    }

    #[test]
    fn removing_takes_the_member_out_of_both_indexes() {
        let mut members = Members::default();
        let mut next = 1;
        let member = SpaceRole::Predefined(Predefined::Member);
        members.upsert(user(1), member, || World::new_membership_id(&mut next));
        assert!(members.remove(user(1)).is_some());
        assert!(members.remove(user(1)).is_none());
        assert_eq!(members.iter().count(), 0);
        assert_eq!(members.len(), 0);
    }

    #[test]
    fn a_membership_written_to_bytes_is_the_membership_json() {
        let mut world = World::default();
        world.roles.insert(
            RoleId::from_number(3),
            CustomRole {
                name: "Reviewers \"ML\" \u{e9}".into(),
                permissions: BTreeSet::new(),
            },
        );
        let roles = [
            SpaceRole::Predefined(Predefined::Admin),
            SpaceRole::Predefined(Predefined::ReadOnly),
            SpaceRole::Custom(RoleId::from_number(3)),
            SpaceRole::Custom(RoleId::from_number(4)), // a role the world no longer has
        ];
        for (n, role) in roles.into_iter().enumerate() {
            let m = Membership {
                id: MembershipId::from_number(n as u64 + 1),
                role,
            };
            let (space, user) = (SpaceId::from_number(12345), user(u64::MAX - n as u64));
            let mut bytes = Vec::new();
            world.write_membership(&mut bytes, space, user, &m);
            let written: Value = serde_json::from_slice(&bytes).expect("JSON");
            let built = world.membership_json(space, user, &m);
            assert_eq!(written, built);
            assert_eq!(
                bytes,
                serde_json::to_vec(&built).expect("JSON"),
                "key order"
            );
        }
    }

    #[test]
    fn the_annotator_rule_holds_both_ways() {
        let annotator = SpaceRole::Predefined(Predefined::Annotator);
        let member = SpaceRole::Predefined(Predefined::Member);
        let custom = SpaceRole::Custom(RoleId::from_number(1));
        assert!(annotator.fits(AccountRole::Annotator).is_ok());
        assert!(member.fits(AccountRole::Annotator).is_err());
        assert!(custom.fits(AccountRole::Annotator).is_err());
        assert!(annotator.fits(AccountRole::Member).is_err());
        assert!(annotator.fits(AccountRole::Admin).is_err());
        assert!(custom.fits(AccountRole::Admin).is_ok());
    }
}
