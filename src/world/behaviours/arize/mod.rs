//! Arize AX: adding users to spaces and removing them, over the world of
//! `fixtures/arize.yaml`, with the vendor's rules (organization membership, annotator roles,
//! who may assign which role) and its 404-for-what-you-cannot-read.
//!
//! The order of checks, the same for both operations, so that each answer tells the caller
//! no more than they may know:
//!
//! 1. The space: an id that is not base64 of `Space:n`, an unknown space, and a space the
//!    caller has no membership in are one 404 ("does not exist, or the caller cannot read
//!    it": the API does not tell them apart).
//! 2. Authorisation, 403: assigning a predefined role needs the space admin role; assigning
//!    a custom role needs a custom role in that space granting `ROLE_BINDING_CREATE`;
//!    removing needs the space admin role or `ROLE_BINDING_DELETE`. It is decided by the
//!    request's kind alone, before anything else is looked up, so a caller without the right
//!    learns nothing about roles or users.
//! 3. Add: an unknown custom role is a 404; then the user must belong to the space's
//!    organization (400; an unknown user, or a `user_id` that is not a user id, is the same
//!    400, since such a user is not a member either); then the annotator rule (400).
//!    Remove: a user without a membership in the space (or a `user_id` that is not a user
//!    id) is a 404.
//! 4. The change: an upsert keeps the membership's id; a new membership gets the next
//!    `SpaceMembership:n` of the world's counter.

mod error;
mod fixtures;
mod ids;
mod world;

use std::sync::Arc;

use serde_json::Value;

use crate::operation::api::Api;
use crate::world::behaviour::{
    Access, Behaviour, Call, Installed, Reply, RestoreError, WithFixtures,
};
use crate::world::fixtures::FixtureError;

pub use error::ArizeError;
use ids::{Id, RoleId, SpaceId, UserId};
use world::{
    Grants, Predefined, ROLE_BINDING_CREATE, ROLE_BINDING_DELETE, Space, SpaceRole, World,
};

const ADD_USER: &str = "spaces_add_user";
const REMOVE_USER: &str = "spaces_remove_user";

/// The behaviour of the bundled Arize document.
pub struct ArizeBehaviour;

impl Behaviour for ArizeBehaviour {
    type World = World;

    fn access(&self, op_id: &str) -> Option<Access> {
        match op_id {
            ADD_USER | REMOVE_USER => Some(Access::Write),
            _ => None,
        }
    }

    fn read(&self, _world: &World, _call: &Call<'_>) -> Option<Reply> {
        None
    }

    fn write(&self, world: &mut World, call: &Call<'_>) -> Option<Reply> {
        let reply = match call.op_id() {
            ADD_USER => add_user(world, call),
            REMOVE_USER => remove_user(world, call),
            _ => return None,
        };
        Some(reply.unwrap_or_else(Reply::from))
    }

    fn authenticate(&self, world: &World, token: &str) -> Option<String> {
        world.tokens.get(token).map(|user| user.encode())
    }

    fn snapshot(&self, world: &World) -> Value {
        world.snapshot()
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
        behaviour: ArizeBehaviour,
        initial: fixtures::load(text, file)?,
    }))
}

/// An answer or a refusal, so the checks read as a sequence of `?`.
type Answer = Result<Reply, ArizeError>;

/// The caller's user id; the engine has authenticated the token already, so its absence is
/// a credentials problem.
fn caller(call: &Call<'_>) -> Result<UserId, ArizeError> {
    call.caller
        .and_then(UserId::parse)
        .ok_or(ArizeError::UnknownToken)
}

/// The space of the path, as the caller sees it.
struct Seen<'w> {
    id: SpaceId,
    space: &'w Space,
    grants: Grants<'w>,
}

/// The space of the path, if the caller can read it (has a membership in it), with what they
/// may do there.
fn readable_space<'w>(
    world: &'w World,
    call: &Call<'_>,
    caller: UserId,
) -> Result<Seen<'w>, ArizeError> {
    let text = call.path_str("space_id").unwrap_or_default();
    SpaceId::parse(text)
        .and_then(|id| {
            let space = world.spaces.get(&id)?;
            let grants = world.grants(space, caller)?;
            Some(Seen { id, space, grants })
        })
        .ok_or_else(|| ArizeError::NoSpace {
            space: text.to_owned(),
        })
}

/// The role asked for in the body (already validated against `SpaceRoleAssignment`): a
/// predefined role, or a custom role's id as sent.
enum Asked<'b> {
    Predefined(Predefined),
    Custom(&'b str),
}

fn asked_role(body: &Value) -> Result<Asked<'_>, ArizeError> {
    let role = &body["role"];
    match (
        role["type"].as_str(),
        role["name"].as_str(),
        role["id"].as_str(),
    ) {
        (Some("predefined"), Some(name), _) => Predefined::from_name(name)
            .map(Asked::Predefined)
            .ok_or_else(|| ArizeError::NotAPredefinedRole {
                name: name.to_owned(),
            }),
        (Some("custom"), _, Some(id)) => Ok(Asked::Custom(id)),
        _ => Err(ArizeError::NotARoleAssignment),
    }
}

fn add_user(world: &mut World, call: &Call<'_>) -> Answer {
    let caller = caller(call)?;
    let body = call.body.ok_or(ArizeError::NoBody)?;
    let Seen {
        id: space_id,
        space,
        grants,
    } = readable_space(world, call, caller)?;
    let asked = asked_role(body)?;
    match asked {
        Asked::Predefined(_) if !grants.admin => return Err(ArizeError::PredefinedNeedsAdmin),
        Asked::Custom(_) if !grants.has(ROLE_BINDING_CREATE) => {
            return Err(ArizeError::CustomNeedsCreate);
        }
        _ => {}
    }
    let role = match asked {
        Asked::Predefined(p) => SpaceRole::Predefined(p),
        Asked::Custom(text) => RoleId::parse(text)
            .filter(|id| world.roles.contains_key(id))
            .map(SpaceRole::Custom)
            .ok_or_else(|| ArizeError::NoCustomRole {
                role: text.to_owned(),
            })?,
    };
    let user_text = body["user_id"].as_str().unwrap_or_default();
    let not_in_organization = || ArizeError::NotInOrganization {
        user: user_text.to_owned(),
    };
    let user_id = UserId::parse(user_text).ok_or_else(not_in_organization)?;
    let user = world.users.get(&user_id).ok_or_else(not_in_organization)?;
    if !world.in_organization(space.organization, user_id) {
        return Err(not_in_organization());
    }
    role.fits(user.account_role)
        .map_err(|why| ArizeError::RoleDoesNotFit {
            user: user_text.to_owned(),
            why,
        })?;

    let next = &mut world.next_membership;
    let Some(space) = world.spaces.get_mut(&space_id) else {
        return Err(ArizeError::NoSpace {
            space: space_id.encode(),
        });
    };
    let membership = space
        .members
        .upsert(user_id, role, || World::new_membership_id(next));
    let mut json = Vec::with_capacity(192);
    world.write_membership(&mut json, space_id, user_id, &membership);
    Ok(Reply::json(200, json))
}

fn remove_user(world: &mut World, call: &Call<'_>) -> Answer {
    let caller = caller(call)?;
    let Seen {
        id: space_id,
        grants,
        ..
    } = readable_space(world, call, caller)?;
    if !grants.admin && !grants.has(ROLE_BINDING_DELETE) {
        return Err(ArizeError::RemovalNeedsDelete);
    }
    let user_text = call.path_str("user_id").unwrap_or_default();
    let not_a_member = || ArizeError::NotAMember {
        user: user_text.to_owned(),
    };
    let user_id = UserId::parse(user_text).ok_or_else(not_a_member)?;
    let removed = world
        .spaces
        .get_mut(&space_id)
        .and_then(|space| space.members.remove(user_id));
    match removed {
        Some(_) => Ok(Reply::empty(204)),
        None => Err(not_a_member()),
    }
}
