//! Alumio: assigning users to a space (`assignSpaceUsers`) and allocating workers to spaces
//! (`postSpaceWorkerAllocation`), over the world `fixtures/alumio.yaml` describes.
//!
//! What the vendor documents: the two operations, their schemas, `Error` with a string
//! `status` and Symfony-style violations (`propertyPath`), the licence figures `workers` and
//! `workersPerSpace`, space identifiers matching `^[a-z0-9-]+$`, a `default` space, no
//! declared security. Everything below is the mock's own choice (`docs/vendors.md` says which):
//!
//! - assign_users: each listed user gets exactly the listed roles (added when new, roles
//!   replaced when present). Emails are compared without case; a user keeps the spelling it was
//!   first assigned with. Two entries naming one email are refused: a violation at each later
//!   entry's `users[i].email`, nothing changed. An unknown space is a 404 whose `status` is
//!   `"404"`. The 200 answer is `{space, users: [{email, roles}]}`: every user of the space in
//!   the order first assigned, as the document's `assigned` example shows.
//! - allocation: each listed space gets the listed workers, all or nothing. Refused entries,
//!   all reported together, one violation each: a missing member, an unknown space or one
//!   listed twice (`spaceWorkers[i].spaceIdentifier`), more than `workersPerSpace`, or a raise
//!   that takes the total over the licence (`spaceWorkers[i].workers`). The total is the sum
//!   over all spaces after the change; exactly the licence's figure is allowed. The 201 answer
//!   lists every space; with `?space=` only that one, and an unknown `?space=` is a 404 (checked
//!   first: nothing changes).
//! - Domain violations are 422, as API Platform answers validation failures and as the
//!   document's own examples show (`status: '422'`); the document declares only `default`.
//! - Any bearer token is accepted (none is needed); a fixture API key names its user as the
//!   caller, informational only.

mod error;
mod fixtures;
mod world;

use std::sync::Arc;

use serde_json::{Value, json};

use crate::operation::api::Api;
use crate::schema::violation::{Location, Segment, Violation};
use crate::world::behaviour::{
    Access, Behaviour, Call, Installed, Reply, RestoreError, WithFixtures,
};
use crate::world::fixtures::FixtureError;

pub use error::AlumioError;
use world::{Allocation, AllocationProblem, AssignError, Space};
pub use world::{Licence, Member, Role, World};

const ASSIGN: &str = "assignSpaceUsers";
const ALLOCATE: &str = "postSpaceWorkerAllocation";

/// The caller of a request whose token is no fixture API key.
const ANONYMOUS: &str = "anonymous";

/// The behaviour of the bundled Alumio document.
pub struct AlumioBehaviour;

impl Behaviour for AlumioBehaviour {
    type World = World;

    fn access(&self, op_id: &str) -> Option<Access> {
        match op_id {
            ASSIGN | ALLOCATE => Some(Access::Write),
            _ => None,
        }
    }

    fn read(&self, _world: &World, _call: &Call<'_>) -> Option<Reply> {
        None
    }

    fn write(&self, world: &mut World, call: &Call<'_>) -> Option<Reply> {
        match call.op_id() {
            ASSIGN => Some(assign(world, call).unwrap_or_else(Reply::from)),
            ALLOCATE => Some(allocate(world, call).unwrap_or_else(Reply::from)),
            _ => None,
        }
    }

    fn authenticate(&self, world: &World, token: &str) -> Option<String> {
        Some(world.user_of_key(token).unwrap_or(ANONYMOUS).to_owned())
    }

    fn snapshot(&self, world: &World) -> Value {
        json!({
            "licence": {
                "workers": world.licence.workers,
                "workersPerSpace": world.licence.workers_per_space,
            },
            "spaces": world.spaces().map(|s| json!({
                "identifier": s.identifier,
                "workers": s.workers,
                "users": users_json(s),
            })).collect::<Vec<_>>(),
            "apiKeys": world.api_keys()
                .map(|(token, user)| json!({"token": token, "user": user}))
                .collect::<Vec<_>>(),
        })
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
        behaviour: AlumioBehaviour,
        initial: fixtures::world(text, file)?,
    }))
}

/// `POST /spaces/{space}/assign_users`.
fn assign(world: &mut World, call: &Call<'_>) -> Result<Reply, AlumioError> {
    let space = call.path_str("space").unwrap_or_default();
    if world.space(space).is_none() {
        return Err(space_not_found(space));
    }
    let items = call
        .body
        .and_then(|b| b.get("users"))
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let mut users = Vec::with_capacity(items.len());
    let mut violations = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let email = item.get("email").and_then(Value::as_str);
        let roles = item.get("roles").and_then(Value::as_array);
        match (email, roles.and_then(|r| parse_roles(r))) {
            (Some(email), Some(roles)) if !roles.is_empty() => users.push((email, roles)),
            // The request validator lets none of these through; kept so a reply never panics.
            _ => violations.push(Violation::new(
                body_at(&[key("users"), Segment::Index(i)]),
                "type",
                "This value should be a user with an email and roles.",
            )),
        }
    }
    if !violations.is_empty() {
        return Err(AlumioError::Unprocessable { violations });
    }
    match world.assign(space, users) {
        Ok(()) => match world.space(space) {
            Some(s) => Ok(Reply::ok(
                200,
                json!({"space": s.identifier, "users": users_json(s)}),
            )),
            None => Err(space_not_found(space)),
        },
        Err(AssignError::UnknownSpace) => Err(space_not_found(space)),
        Err(AssignError::RepeatedEmails(at)) => Err(AlumioError::Unprocessable {
            violations: at
                .into_iter()
                .map(|i| {
                    Violation::new(
                        body_at(&[key("users"), Segment::Index(i), key("email")]),
                        "unique",
                        "This email address is listed more than once.",
                    )
                })
                .collect(),
        }),
    }
}

/// `POST /space_workers/allocation?space=`.
fn allocate(world: &mut World, call: &Call<'_>) -> Result<Reply, AlumioError> {
    let only = call.query.get("space").and_then(Value::as_str);
    if let Some(space) = only
        && world.space(space).is_none()
    {
        return Err(space_not_found(space));
    }
    let items = call
        .body
        .and_then(|b| b.get("spaceWorkers"))
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let entries: Vec<Allocation<'_>> = items
        .iter()
        .map(|item| Allocation {
            space: item.get("spaceIdentifier").and_then(Value::as_str),
            workers: item.get("workers").and_then(workers_of),
        })
        .collect();
    if let Err(problems) = world.allocate(&entries) {
        let licence = world.licence;
        return Err(AlumioError::Unprocessable {
            violations: problems
                .into_iter()
                .map(|(i, problem)| allocation_violation(i, &problem, &entries, licence))
                .collect(),
        });
    }
    let listed: Vec<Value> = world
        .spaces()
        .filter(|s| only.is_none_or(|o| o == s.identifier))
        .map(|s| json!({"spaceIdentifier": s.identifier, "workers": s.workers}))
        .collect();
    Ok(Reply::ok(
        201,
        json!({
            "workers": world.licence.workers,
            "workersPerSpace": world.licence.workers_per_space,
            "spaceWorkers": listed,
        }),
    ))
}

/// A whole number of workers, however JSON writes it: `2`, `2.0`, `2e0` and `-0` are whole
/// numbers (the schema's `integer` takes them all), so they are 2, 2, 2 and 0. One too big
/// for `u64` (JSON allows it) counts as `u64::MAX`, which is over any licence. A negative or
/// fractional number is not a count (the schema refuses it before this runs).
fn workers_of(value: &Value) -> Option<u64> {
    if let Some(n) = value.as_u64() {
        return Some(n);
    }
    let f = value.as_f64().filter(|f| *f >= 0.0 && f.fract() == 0.0)?;
    // 2^64 is exactly representable; every whole `f64` below it converts exactly.
    const TWO_TO_64: f64 = 18_446_744_073_709_551_616.0;
    Some(if f < TWO_TO_64 { f as u64 } else { u64::MAX })
}

fn parse_roles(items: &[Value]) -> Option<Vec<Role>> {
    items
        .iter()
        .map(|r| r.as_str().and_then(Role::parse))
        .collect()
}

fn allocation_violation(
    i: usize,
    problem: &AllocationProblem,
    entries: &[Allocation<'_>],
    licence: Licence,
) -> Violation {
    let space = entries.get(i).and_then(|e| e.space).unwrap_or_default();
    let (member, keyword, message) = match problem {
        AllocationProblem::MissingSpace => (
            "spaceIdentifier",
            "required",
            "This field is missing.".to_owned(),
        ),
        AllocationProblem::MissingWorkers => {
            ("workers", "required", "This field is missing.".to_owned())
        }
        AllocationProblem::UnknownSpace => (
            "spaceIdentifier",
            "exists",
            format!("Space \"{space}\" not found."),
        ),
        AllocationProblem::RepeatedSpace => (
            "spaceIdentifier",
            "unique",
            "This space is listed more than once.".to_owned(),
        ),
        AllocationProblem::OverPerSpace => (
            "workers",
            "workersPerSpace",
            format!(
                "A space can have at most {} workers.",
                licence.workers_per_space
            ),
        ),
        AllocationProblem::OverLicence { total } => (
            "workers",
            "workers",
            format!(
                "The licence allows {} workers in total; this allocation would use {total}.",
                licence.workers
            ),
        ),
    };
    Violation::new(
        body_at(&[key("spaceWorkers"), Segment::Index(i), key(member)]),
        keyword,
        message,
    )
}

fn users_json(space: &Space) -> Vec<Value> {
    space
        .users
        .iter()
        .map(|m: &Member| {
            let roles: Vec<&str> = m.roles.iter().map(|r| r.as_str()).collect();
            json!({"email": m.email, "roles": roles})
        })
        .collect()
}

fn space_not_found(space: &str) -> AlumioError {
    AlumioError::NoSpace {
        space: space.to_owned(),
    }
}

fn key(name: &str) -> Segment {
    Segment::Key(name.to_owned())
}

fn body_at(steps: &[Segment]) -> Location {
    Location::Body(steps.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_of_workers_count_however_json_writes_them() {
        for (text, expected) in [
            ("2", Some(2)),
            ("2.0", Some(2)),
            ("1e0", Some(1)),
            ("2E0", Some(2)),
            ("-0", Some(0)),
            ("-0.0", Some(0)),
            ("0.5e1", Some(5)),
            ("18446744073709551615", Some(u64::MAX)),
            ("18446744073709551616", Some(u64::MAX)),
            ("1e300", Some(u64::MAX)),
            ("2.5", None),
            ("-1", None),
            ("\"2\"", None),
        ] {
            let value: Value = serde_json::from_str(text).expect("JSON");
            assert_eq!(workers_of(&value), expected, "{text}");
        }
    }
}
