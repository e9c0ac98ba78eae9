//! `fixtures/arize.yaml`: the file's shape, and its checks on the way to a [`World`]. Every
//! id must decode to its own type, every reference must resolve, nothing may be listed
//! twice, and existing memberships must obey the API's own rules (organization, annotator);
//! the first entry that does not fit fails startup, named.

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;

use super::ids::{Id, OrganizationId, RoleId, SpaceId, UserId};
use super::world::{
    AccountRole, CustomRole, Members, Organization, Predefined, Space, SpaceRole, User, World,
};
use crate::world::fixtures::{self, FixtureError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    organizations: Vec<OrganizationEntry>,
    spaces: Vec<SpaceEntry>,
    users: Vec<UserEntry>,
    #[serde(default)]
    custom_roles: Vec<RoleEntry>,
    #[serde(default)]
    memberships: Vec<MembershipEntry>,
    tokens: Vec<TokenEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganizationEntry {
    id: String,
    name: String,
    members: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpaceEntry {
    id: String,
    name: String,
    organization_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    id: String,
    name: String,
    email: String,
    account_role: AccountRole,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleEntry {
    id: String,
    name: String,
    permissions: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MembershipEntry {
    space_id: String,
    user_id: String,
    role: RoleAssignment,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum RoleAssignment {
    Predefined { name: Predefined },
    Custom { id: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenEntry {
    token: String,
    user_id: String,
}

/// The world `text` (the fixture file `file`) describes.
pub fn load(text: &str, file: &str) -> Result<World, FixtureError> {
    let parsed: File = fixtures::parse(text, file)?;
    Check { file }.world(parsed)
}

struct Check<'f> {
    file: &'f str,
}

impl Check<'_> {
    fn fail(&self, entry: impl Into<String>, message: impl Into<String>) -> FixtureError {
        FixtureError::new(self.file, entry, message)
    }

    /// `text` as an id of type `I`, or an error naming `entry`.
    fn id<I: Id>(&self, text: &str, entry: &str, field: &str) -> Result<I, FixtureError> {
        I::parse(text).ok_or_else(|| {
            self.fail(
                entry,
                format!(
                    "{field} {text:?} is not an Arize {kind} id (base64 of `{kind}:<number>`, e.g. {example})",
                    kind = I::KIND,
                    example = I::from_number(1).encode(),
                ),
            )
        })
    }

    fn world(&self, file: File) -> Result<World, FixtureError> {
        let mut world = World::default();
        self.users(&mut world, file.users)?;
        self.organizations(&mut world, file.organizations)?;
        self.spaces(&mut world, file.spaces)?;
        self.roles(&mut world, file.custom_roles)?;
        self.memberships(&mut world, file.memberships)?;
        self.tokens(&mut world, file.tokens)?;
        Ok(world)
    }

    fn users(&self, world: &mut World, users: Vec<UserEntry>) -> Result<(), FixtureError> {
        let mut emails: HashMap<String, usize> = HashMap::new();
        for (i, u) in users.into_iter().enumerate() {
            let entry = format!("users[{i}]");
            let id: UserId = self.id(&u.id, &entry, "id")?;
            if world.users.contains_key(&id) {
                return Err(self.fail(entry, format!("user {} is listed twice", u.id)));
            }
            if u.email
                .split_once('@')
                .is_none_or(|(a, b)| a.is_empty() || b.is_empty())
            {
                return Err(self.fail(entry, format!("email {:?} is not an address", u.email)));
            }
            if let Some(first) = emails.insert(u.email.to_ascii_lowercase(), i) {
                return Err(self.fail(
                    entry,
                    format!("email {} is already used by users[{first}]", u.email),
                ));
            }
            world.users.insert(
                id,
                User {
                    name: u.name,
                    email: u.email,
                    account_role: u.account_role,
                },
            );
        }
        Ok(())
    }

    fn organizations(
        &self,
        world: &mut World,
        organizations: Vec<OrganizationEntry>,
    ) -> Result<(), FixtureError> {
        for (i, o) in organizations.into_iter().enumerate() {
            let entry = format!("organizations[{i}]");
            let id: OrganizationId = self.id(&o.id, &entry, "id")?;
            if world.organizations.contains_key(&id) {
                return Err(self.fail(entry, format!("organization {} is listed twice", o.id)));
            }
            let mut members = foldhash::HashSet::default();
            let mut listed = Vec::new();
            for (j, text) in o.members.iter().enumerate() {
                let entry = format!("organizations[{i}].members[{j}]");
                let user: UserId = self.id(text, &entry, "member")?;
                if !world.users.contains_key(&user) {
                    return Err(self.fail(entry, format!("user {text} is not in users")));
                }
                if !members.insert(user) {
                    return Err(self.fail(entry, format!("user {text} is listed twice")));
                }
                listed.push(user);
            }
            world.organizations.insert(
                id,
                Organization {
                    name: o.name,
                    members,
                    listed,
                },
            );
        }
        Ok(())
    }

    fn spaces(&self, world: &mut World, spaces: Vec<SpaceEntry>) -> Result<(), FixtureError> {
        for (i, s) in spaces.into_iter().enumerate() {
            let entry = format!("spaces[{i}]");
            let id: SpaceId = self.id(&s.id, &entry, "id")?;
            if world.spaces.contains_key(&id) {
                return Err(self.fail(entry, format!("space {} is listed twice", s.id)));
            }
            let organization: OrganizationId =
                self.id(&s.organization_id, &entry, "organization_id")?;
            if !world.organizations.contains_key(&organization) {
                return Err(self.fail(
                    entry,
                    format!("organization {} is not in organizations", s.organization_id),
                ));
            }
            world.spaces.insert(
                id,
                Space {
                    name: s.name,
                    organization,
                    members: Members::default(),
                },
            );
        }
        Ok(())
    }

    fn roles(&self, world: &mut World, roles: Vec<RoleEntry>) -> Result<(), FixtureError> {
        let mut names: HashMap<String, usize> = HashMap::new();
        for (i, r) in roles.into_iter().enumerate() {
            let entry = format!("custom_roles[{i}]");
            let id: RoleId = self.id(&r.id, &entry, "id")?;
            if world.roles.contains_key(&id) {
                return Err(self.fail(entry, format!("custom role {} is listed twice", r.id)));
            }
            // Role names are unique within the account, as the vendor's roles API requires.
            if let Some(first) = names.insert(r.name.clone(), i) {
                return Err(self.fail(
                    entry,
                    format!("name {:?} is already used by custom_roles[{first}]", r.name),
                ));
            }
            if r.permissions.is_empty() {
                return Err(self.fail(entry, "a custom role grants at least one permission"));
            }
            let mut permissions = BTreeSet::new();
            for (j, p) in r.permissions.into_iter().enumerate() {
                let entry = format!("custom_roles[{i}].permissions[{j}]");
                if !is_permission(&p) {
                    return Err(self.fail(
                        entry,
                        format!(
                            "{p:?} is not a permission ({{RESOURCE}}_{{ACTION}} in capitals, \
                             the action one of CREATE, READ, UPDATE, DELETE)"
                        ),
                    ));
                }
                if permissions.contains(&p) {
                    return Err(self.fail(entry, format!("{p} is listed twice")));
                }
                permissions.insert(p);
            }
            world.roles.insert(
                id,
                CustomRole {
                    name: r.name,
                    permissions,
                },
            );
        }
        Ok(())
    }

    fn memberships(
        &self,
        world: &mut World,
        memberships: Vec<MembershipEntry>,
    ) -> Result<(), FixtureError> {
        world.next_membership = 1;
        for (i, m) in memberships.into_iter().enumerate() {
            let entry = format!("memberships[{i}]");
            let space_id: SpaceId = self.id(&m.space_id, &entry, "space_id")?;
            let user_id: UserId = self.id(&m.user_id, &entry, "user_id")?;
            let role = match &m.role {
                RoleAssignment::Predefined { name } => SpaceRole::Predefined(*name),
                RoleAssignment::Custom { id } => {
                    let role: RoleId = self.id(id, &entry, "role.id")?;
                    if !world.roles.contains_key(&role) {
                        return Err(
                            self.fail(entry, format!("custom role {id} is not in custom_roles"))
                        );
                    }
                    SpaceRole::Custom(role)
                }
            };
            let Some(user) = world.users.get(&user_id) else {
                return Err(self.fail(entry, format!("user {} is not in users", m.user_id)));
            };
            let account_role = user.account_role;
            let Some(organization) = world.spaces.get(&space_id).map(|s| s.organization) else {
                return Err(self.fail(entry, format!("space {} is not in spaces", m.space_id)));
            };
            if !world.in_organization(organization, user_id) {
                return Err(self.fail(
                    entry,
                    format!(
                        "user {} is not a member of organization {}, which space {} belongs to",
                        m.user_id,
                        organization.encode(),
                        m.space_id
                    ),
                ));
            }
            if let Err(why) = role.fits(account_role) {
                return Err(self.fail(entry, format!("user {} {why}", m.user_id)));
            }
            let next = &mut world.next_membership;
            let Some(space) = world.spaces.get_mut(&space_id) else {
                return Err(self.fail(entry, format!("space {} is not in spaces", m.space_id)));
            };
            if space.members.get(user_id).is_some() {
                return Err(self.fail(
                    entry,
                    format!(
                        "user {} already has a membership in space {}",
                        m.user_id, m.space_id
                    ),
                ));
            }
            space
                .members
                .upsert(user_id, role, || World::new_membership_id(next));
        }
        Ok(())
    }

    fn tokens(&self, world: &mut World, tokens: Vec<TokenEntry>) -> Result<(), FixtureError> {
        for (i, t) in tokens.into_iter().enumerate() {
            let entry = format!("tokens[{i}]");
            if t.token.is_empty() || !t.token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(self.fail(entry, "a token is one or more visible ASCII characters"));
            }
            let user: UserId = self.id(&t.user_id, &entry, "user_id")?;
            if !world.users.contains_key(&user) {
                return Err(self.fail(entry, format!("user {} is not in users", t.user_id)));
            }
            if world.tokens.insert(t.token.clone(), user).is_some() {
                return Err(self.fail(entry, format!("token {:?} is listed twice", t.token)));
            }
        }
        Ok(())
    }
}

/// `{RESOURCE}_{ACTION}`: the vendor's permission strings (`DATASET_CREATE`,
/// `ROLE_BINDING_DELETE`).
fn is_permission(p: &str) -> bool {
    let Some((resource, action)) = p.rsplit_once('_') else {
        return false;
    };
    matches!(action, "CREATE" | "READ" | "UPDATE" | "DELETE")
        && !resource.is_empty()
        && resource
            .split('_')
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_uppercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_fixtures_load() {
        let world = load(
            include_str!("../../../../fixtures/arize.yaml"),
            "fixtures/arize.yaml",
        );
        assert!(world.is_ok(), "{world:?}");
    }

    #[test]
    fn permissions_are_resource_then_action() {
        assert!(is_permission("ROLE_BINDING_CREATE"));
        assert!(is_permission("DATASET_READ"));
        for bad in [
            "ROLE_BINDING",
            "_CREATE",
            "role_binding_create",
            "ROLE__CREATE",
            "CREATE",
        ] {
            assert!(!is_permission(bad), "{bad}");
        }
    }
}
