//! GitBook: users and teams with a role in a space (`/v1/spaces/{spaceId}/permissions...`),
//! over the world of `fixtures/gitbook.yaml`, as `docs/vendors.md` says.
//!
//! - `inviteToSpace` is an upsert for every listed user and team (a current member gets the
//!   new role and keeps their place in the lists); `role: null` (guest) removes the explicit
//!   permission. An unknown space, user or team (or a team of another organization than the
//!   space's) is a 404, and nothing changes.
//! - The three lists page with `page`/`limit` (see `paging`); an unknown space is a 404.
//! - `update*PermissionInSpace`: 404 when the space is unknown or the user or team has no
//!   permission of its own in it; no `role` in the body changes nothing; `role: null` removes.
//! - `remove*FromSpace`: 205 (empty) when a permission was removed, 204 when there was none
//!   (so the 400 "Team does not have access to space" GitBook declares is only given with
//!   `Prefer: code=400`); an unknown space is a 404.
//! - The aggregate list: every user with a direct permission or in a team with one, with the
//!   highest of their roles; `role=` filters on that role.
//!
//! Who may do what (`standing`): GitBook's roles page says admins and creators manage
//! permissions at a content level, and that everyone else reads, comments, reviews or edits.
//! So the caller (the token's user) may list a space's permissions when they can access the
//! space at all (any effective role in it, or admin of its organization), and may invite,
//! update or remove when their effective role is `admin` or `create`, or they administer the
//! space's organization. GitBook publishes no status for either refusal; the mock's choice:
//! a space the caller cannot access is the declared 404, as if it did not exist (it does
//! not reveal which ids exist), and a member without the role gets 403 in GitBook's error
//! format. `OrganizationTeam.permissions.admin` is true when the caller administers the
//! team's organization; `permissions.view` is always true (the caller is looking at the team).

mod error;
mod fixtures;
mod paging;
mod world;

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::operation::api::Api;
use crate::world::behaviour::{
    Access, Behaviour, Call, Installed, Reply, RestoreError, WithFixtures,
};
use crate::world::fixtures::FixtureError;
pub use error::GitbookError;
use fixtures::{Team, User};
use paging::ListKey;
use world::{Entry, Role, World};

/// Where `User.urls.location` points: the vendor's API host.
const API_BASE: &str = "https://api.gitbook.com/v1";

/// The behaviour of the bundled GitBook document.
pub struct GitbookBehaviour;

impl Behaviour for GitbookBehaviour {
    type World = World;

    fn access(&self, op_id: &str) -> Option<Access> {
        match op_id {
            "listUserPermissionsInSpace"
            | "listTeamPermissionsInSpace"
            | "listPermissionsAggregateInSpace" => Some(Access::Read),
            "inviteToSpace"
            | "updateUserPermissionInSpace"
            | "removeUserFromSpace"
            | "updateTeamPermissionInSpace"
            | "removeTeamFromSpace" => Some(Access::Write),
            _ => None,
        }
    }

    fn read(&self, world: &World, call: &Call<'_>) -> Option<Reply> {
        answered(read(world, call))
    }

    fn write(&self, world: &mut World, call: &Call<'_>) -> Option<Reply> {
        answered(write(world, call))
    }

    fn authenticate(&self, world: &World, token: &str) -> Option<String> {
        world.directory.token_user(token).map(str::to_owned)
    }

    fn snapshot(&self, world: &World) -> Value {
        snapshot(world)
    }

    fn save(&self, world: &World) -> Value {
        world.save()
    }

    fn restore(&self, initial: &World, saved: Value) -> Result<World, RestoreError> {
        World::restore(initial, saved)
    }
}

/// The behaviour with the world `text` (the fixture file `file`) describes.
pub fn install(_api: &Api, text: &str, file: &str) -> Result<Arc<dyn Installed>, FixtureError> {
    Ok(Arc::new(WithFixtures {
        behaviour: GitbookBehaviour,
        initial: fixtures::load(text, file)?,
    }))
}

/// An operation's answer or refusal; `None` for an operation this behaviour leaves to the
/// spec's static answers.
type Answer = Result<Option<Reply>, GitbookError>;

fn answered(answer: Answer) -> Option<Reply> {
    answer.unwrap_or_else(|e| Some(e.into()))
}

fn read(world: &World, call: &Call<'_>) -> Answer {
    let space = call.path_str("spaceId").unwrap_or_default();
    let Some(perms) = world.space(space) else {
        return Err(no_space(space));
    };
    if standing(world, space, call.caller) == Standing::Outside {
        return Err(no_space(space));
    }
    let reply = match call.op_id() {
        "listUserPermissionsInSpace" => {
            let key = ListKey {
                kind: "users",
                space,
                filter: "",
            };
            paging::answer(call.query, &key, perms.users.index(), user_items(world))?
        }
        "listTeamPermissionsInSpace" => {
            let key = ListKey {
                kind: "teams",
                space,
                filter: "",
            };
            paging::answer(call.query, &key, perms.teams.index(), |entry, out| {
                let Some(team) = world.directory.team_in(entry.at) else {
                    return false;
                };
                // A team's item depends on the caller and the world: built each time.
                let member = team_json(world, team, call.caller);
                let item = permission_item(entry.value, "team", member);
                serde_json::to_writer(&mut *out, &item).is_ok()
            })?
        }
        "listPermissionsAggregateInSpace" => {
            let filter = call
                .query
                .get("role")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let role = Role::parse(filter);
            if role.is_none() && !filter.is_empty() {
                return Err(GitbookError::NotAFilterRole {
                    filter: filter.to_owned(),
                });
            }
            let key = ListKey {
                kind: "aggregate",
                space,
                filter,
            };
            paging::answer(
                call.query,
                &key,
                perms.everyone.index(role),
                user_items(world),
            )?
        }
        _ => return Ok(None),
    };
    Ok(Some(reply))
}

fn write(world: &mut World, call: &Call<'_>) -> Answer {
    let space = call.path_str("spaceId").unwrap_or_default();
    if world.space(space).is_none() {
        return Err(no_space(space));
    }
    match standing(world, space, call.caller) {
        Standing::Outside => return Err(no_space(space)),
        Standing::Member(role) => {
            return Err(GitbookError::NotAManager {
                space: space.to_owned(),
                role,
            });
        }
        Standing::Manager => {}
    }
    let reply = match call.op_id() {
        "inviteToSpace" => invite(world, space, call.body)?,
        "updateUserPermissionInSpace" => {
            let user = call.path_str("userId").unwrap_or_default();
            if world.space(space).and_then(|p| p.users.get(user)).is_none() {
                return Err(GitbookError::NoUser {
                    space: space.to_owned(),
                    user: user.to_owned(),
                });
            }
            if let Some(role) = requested_role(call.body)? {
                world.set_user(space, user, role);
            }
            Reply::empty(204)
        }
        "updateTeamPermissionInSpace" => {
            let team = call.path_str("teamId").unwrap_or_default();
            if world.space(space).and_then(|p| p.teams.get(team)).is_none() {
                return Err(GitbookError::NoTeam {
                    space: space.to_owned(),
                    team: team.to_owned(),
                });
            }
            if let Some(role) = requested_role(call.body)? {
                world.set_team(space, team, role);
            }
            Reply::empty(204)
        }
        "removeUserFromSpace" => {
            let user = call.path_str("userId").unwrap_or_default();
            removed(world.set_user(space, user, None))
        }
        "removeTeamFromSpace" => {
            let team = call.path_str("teamId").unwrap_or_default();
            removed(world.set_team(space, team, None))
        }
        _ => return Ok(None),
    };
    Ok(Some(reply))
}

/// What the caller may do in a space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// No access to the space: it is not there for them.
    Outside,
    /// Access with this effective role, not enough to manage permissions.
    Member(Role),
    /// An admin or creator of the space, or an admin of its organization.
    Manager,
}

/// The caller's standing in `space` (a known space): see the module's notes. The caller's
/// role in the space is looked at first: it settles most requests in one lookup.
fn standing(world: &World, space: &str, caller: Option<&str>) -> Standing {
    let Some(caller) = caller else {
        return Standing::Outside;
    };
    let role = world.space(space).and_then(|p| p.everyone.role_of(caller));
    if matches!(role, Some(Role::Admin | Role::Create)) {
        return Standing::Manager;
    }
    let directory = &world.directory;
    let org_admin = directory
        .space(space)
        .and_then(|s| directory.organization(&s.organization))
        .is_some_and(|o| o.admins.contains(caller));
    match role {
        _ if org_admin => Standing::Manager,
        Some(role) => Standing::Member(role),
        None => Standing::Outside,
    }
}

fn no_space(space: &str) -> GitbookError {
    GitbookError::NoSpace {
        space: space.to_owned(),
    }
}

/// 205 when a permission was removed, 204 when there was none.
fn removed(previous: Option<Role>) -> Reply {
    Reply::empty(if previous.is_some() { 205 } else { 204 })
}

/// The role a body's `role` asks for: `None` when the body has no `role` (no change),
/// `Some(None)` for `null` (guest: no explicit permission).
fn requested_role(body: Option<&Value>) -> Result<Option<Option<Role>>, GitbookError> {
    match body.and_then(|b| b.get("role")) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(v) => v
            .as_str()
            .and_then(Role::parse)
            .map(|r| Some(Some(r)))
            .ok_or_else(|| GitbookError::NotARole { role: v.clone() }),
    }
}

/// Invites every listed user and team, or (any of them unknown) nobody.
fn invite(world: &mut World, space: &str, body: Option<&Value>) -> Result<Reply, GitbookError> {
    let role = requested_role(body)?.flatten();
    let ids = |name: &str| -> Vec<String> {
        body.and_then(|b| b.get(name))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (users, teams) = (ids("users"), ids("teams"));
    let directory = Arc::clone(&world.directory);
    let organization = directory
        .space(space)
        .map(|s| s.organization.as_str())
        .unwrap_or_default();
    for user in &users {
        if directory.user(user).is_none() {
            return Err(GitbookError::UnknownInvitee { user: user.clone() });
        }
    }
    for team in &teams {
        match directory.team(team) {
            Some(t) if t.organization == organization => {}
            Some(_) => return Err(GitbookError::ForeignTeam { team: team.clone() }),
            None => return Err(GitbookError::UnknownTeam { team: team.clone() }),
        }
    }
    for user in &users {
        world.set_user(space, user, role);
    }
    for team in &teams {
        world.set_team(space, team, role);
    }
    Ok(Reply::empty(204))
}

fn user_json(user: &User) -> Value {
    // Sized up front: a list page builds 20 of these, and growing each map rehashes it.
    let mut out = Map::with_capacity(6);
    out.insert("object".into(), json!("user"));
    out.insert("id".into(), json!(user.id));
    out.insert("displayName".into(), json!(user.display_name));
    if let Some(email) = &user.email {
        out.insert("email".into(), json!(email));
    }
    if let Some(photo) = &user.photo_url {
        out.insert("photoURL".into(), json!(photo));
    }
    out.insert(
        "urls".into(),
        json!({"location": format!("{API_BASE}/users/{}", user.id)}),
    );
    Value::Object(out)
}

/// A user list's items for `paging::answer`: `{"permission", "user"}` as `serde_json`
/// writes `permission_item(role, "user", user_json(user))`, around the user's JSON made at
/// load (`User::json`), for each entry of the list's index (with its role and its place in
/// the directory) that is a user.
fn user_items(world: &World) -> impl FnMut(&Entry<Role>, &mut Vec<u8>) -> bool + '_ {
    move |entry, out| {
        let Some(user) = world.directory.user_in(entry.at) else {
            return false;
        };
        // Role names are lowercase words: nothing in them to escape.
        out.extend_from_slice(b"{\"permission\":\"");
        out.extend_from_slice(entry.value.as_str().as_bytes());
        out.extend_from_slice(b"\",\"user\":");
        out.extend_from_slice(user.json.as_bytes());
        out.push(b'}');
        true
    }
}

/// `{"permission", "user"|"team"}`, built by moving `member` in: `json!` would serialize the
/// already built `Value` again, which was a quarter of a list page's cost.
fn permission_item(role: Role, kind: &str, member: Value) -> Value {
    let mut out = Map::with_capacity(2);
    out.insert("permission".into(), Value::from(role.as_str()));
    out.insert(kind.into(), member);
    Value::Object(out)
}

fn team_json(world: &World, team: &Team, caller: Option<&str>) -> Value {
    let admin = caller.is_some_and(|c| {
        world
            .directory
            .organization(&team.organization)
            .is_some_and(|o| o.admins.contains(c))
    });
    json!({
        "object": "team",
        "id": team.id,
        "title": team.title,
        "members": team.members.len(),
        "spaces": world.team_space_count(&team.id),
        "createdAt": team.created_at,
        "permissions": {"admin": admin, "view": true},
    })
}

/// The whole world, for `GET /__admin/state`.
fn snapshot(world: &World) -> Value {
    let d = &world.directory;
    let organizations: Vec<Value> = d
        .organizations
        .iter()
        .map(|o| {
            let mut admins: Vec<&String> = o.admins.iter().collect();
            admins.sort();
            json!({"id": o.id, "title": o.title, "admins": admins})
        })
        .collect();
    let users: Vec<Value> = d.users.iter().map(user_json).collect();
    let teams: Vec<Value> = d
        .teams
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "organization": t.organization,
                "title": t.title,
                "createdAt": t.created_at,
                "members": t.members,
                "spaces": world.team_space_count(&t.id),
            })
        })
        .collect();
    let spaces: Vec<Value> = d
        .spaces
        .iter()
        .map(|s| {
            let perms = world.space(&s.id);
            let users: Vec<Value> = perms
                .map(|p| {
                    p.users
                        .iter()
                        .map(|(u, r)| json!({"user": u, "role": r.as_str()}))
                        .collect()
                })
                .unwrap_or_default();
            let teams: Vec<Value> = perms
                .map(|p| {
                    p.teams
                        .iter()
                        .map(|(t, r)| json!({"team": t, "role": r.as_str()}))
                        .collect()
                })
                .unwrap_or_default();
            let everyone: Vec<Value> = perms
                .map(|p| {
                    p.everyone
                        .index(None)
                        .values()
                        .map(|e| json!({"user": e.id, "role": e.value.as_str()}))
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "id": s.id,
                "organization": s.organization,
                "title": s.title,
                "users": users,
                "teams": teams,
                "aggregate": everyone,
            })
        })
        .collect();
    let tokens: Vec<Value> = d
        .tokens
        .iter()
        .map(|(token, user)| json!({"token": token, "user": user}))
        .collect();
    json!({
        "organizations": organizations,
        "users": users,
        "teams": teams,
        "spaces": spaces,
        "tokens": tokens,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::behaviour::ParamValues;

    /// Users whose names need escaping (quotes, a backslash, a control character, text past
    /// ASCII), with and without the optional members, in a space with a role each.
    const WORLD: &str = r#"
organizations:
  - {id: oRgTest01, title: Test, admins: [uTest0]}
users:
  - {id: uTest0, displayName: "Ann \"the\" Admin", email: ann@example.com, photoURL: "https://example.com/a.png"}
  - {id: uTest1, displayName: "Bob \\ Backslash\t"}
  - {id: uTest2, displayName: "Zoë </script> ☃", email: zoe@example.com}
  - {id: uTest3, displayName: "Dee", photoURL: "https://example.com/d.png?x=1&y=\u00e9"}
teams: []
spaces:
  - id: sPaCeTest1
    organization: oRgTest01
    title: Test
    users:
      - {user: uTest0, role: admin}
      - {user: uTest1, role: read}
      - {user: uTest2, role: edit}
      - {user: uTest3, role: comment}
tokens: []
"#;

    /// The page as the `Value` path built it before pages were written as bytes.
    fn value_page(world: &World, ids: &[&str], next: Option<String>, count: usize) -> Vec<u8> {
        let perms = world.space("sPaCeTest1").expect("the space");
        let items: Vec<Value> = ids
            .iter()
            .map(|id| {
                let role = perms.users.get(id).expect("a role");
                let user = world.directory.user(id).expect("a user");
                permission_item(role, "user", user_json(user))
            })
            .collect();
        let mut body = Map::new();
        body.insert("items".into(), Value::Array(items));
        if let Some(page) = next {
            body.insert("next".into(), json!({ "page": page }));
        }
        body.insert("count".into(), json!(count));
        serde_json::to_vec(&Value::Object(body)).expect("a value serializes")
    }

    #[test]
    fn a_user_page_written_as_bytes_is_byte_for_byte_the_value_paths_json() {
        let world = fixtures::load(WORLD, "gitbook.yaml").expect("the fixture loads");
        let perms = world.space("sPaCeTest1").expect("the space");
        let key = ListKey {
            kind: "users",
            space: "sPaCeTest1",
            filter: "",
        };
        let all = ["uTest0", "uTest1", "uTest2", "uTest3"];
        // The sequence number of each item, in list order: what page tokens carry.
        let seqs: Vec<u64> = perms.users.index().keys().copied().collect();
        let cases: [(Value, &[&str], Option<u64>); 4] = [
            (json!({}), &all, None),
            (json!({"limit": 2}), &all[..2], Some(seqs[2])),
            (json!({"limit": 0}), &[], None),
            (
                json!({"limit": 3, "page": key.token(seqs[2])}),
                &all[2..],
                None,
            ),
        ];
        for (query, ids, next) in cases {
            let Value::Object(query) = query else {
                unreachable!("the queries are objects")
            };
            let mut params = ParamValues::default();
            for (name, value) in &query {
                params.insert(name, value.clone());
            }
            let reply = paging::answer(&params, &key, perms.users.index(), user_items(&world))
                .expect("a page");
            let Reply::Json { status, json } = reply else {
                panic!("{query:?}: not a page of bytes: {reply:?}")
            };
            assert_eq!(status, 200);
            let expected = value_page(&world, ids, next.map(|seq| key.token(seq)), all.len());
            assert_eq!(
                String::from_utf8_lossy(&json),
                String::from_utf8_lossy(&expected),
                "{query:?}"
            );
        }
    }
}
