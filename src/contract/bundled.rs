//! The bundled APIs' stories, for any loaded document that has their operations (recognised by
//! operationId, so a user's copy of a vendor document gets them too). Ids come from the
//! document's own `example`s, which are the bundled fixtures' ids.
//!
//! - GitBook, per user and per team: remove first (204 or 205), invite with a role (204), the
//!   list (every page) shows it with that role, PATCH a new role and the list shows it, DELETE
//!   (205: there was a permission), the list no longer shows it, and PATCH (404) and DELETE
//!   (204, not 205) find nothing.
//! - Arize: remove first (204 or 404), add (200), add again (200, the same membership: an
//!   upsert), remove (204), remove again (404).
//! - Alumio (no read, no delete): assign a new email some roles, then others; each answer
//!   shows the user with the roles just given (replaced, not added).

use serde_json::{Value, json};

use super::expect::{Expect, Match, same};
use super::links::op_object;
use super::stories::{Bind, Paging, Step, StoryPlan};
use crate::conformance::checks::Check;
use crate::operation::api::{Api, Operation};
use crate::operation::params::ParamIn;

const ERA: Option<Check> = Some(Check::EnsureResourceAvailability);
const UAF: Option<Check> = Some(Check::UseAfterFree);

/// The stories of `api` (`api_index` in the engine) if it has a bundled API's operations.
pub(crate) fn plans(api: &Api, api_index: usize) -> Vec<StoryPlan> {
    let mut out = Vec::new();
    for kind in [Member::User, Member::Team] {
        out.extend(gitbook(api, kind));
    }
    out.extend(arize(api));
    out.extend(alumio(api));
    for plan in &mut out {
        plan.api = api_index;
    }
    out
}

/// A GitBook member kind: its operations and where its id is in lists and invitations.
#[derive(Clone, Copy)]
enum Member {
    User,
    Team,
}

impl Member {
    fn ops(self) -> [&'static str; 3] {
        match self {
            Member::User => [
                "listUserPermissionsInSpace",
                "updateUserPermissionInSpace",
                "removeUserFromSpace",
            ],
            Member::Team => [
                "listTeamPermissionsInSpace",
                "updateTeamPermissionInSpace",
                "removeTeamFromSpace",
            ],
        }
    }

    /// The invitation's member, the path parameter, and the id's pointer in a list item.
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Member::User => ("users", "userId", "/user/id"),
            Member::Team => ("teams", "teamId", "/team/id"),
        }
    }
}

fn gitbook(api: &Api, kind: Member) -> Option<StoryPlan> {
    let invite = op_index(api, "inviteToSpace")?;
    let [list, update, remove] = kind.ops().map(|id| op_index(api, id));
    let (list, update, remove) = (list?, update?, remove?);
    let (members, param, key) = kind.names();
    let space = param_example(api, &api.operations[invite], "spaceId")?;
    // The first invitation example listing this kind of member, with a role.
    let (id, role) = body_examples(api, &api.operations[invite])
        .into_iter()
        .find_map(|e| {
            let id = e.get(members)?.get(0)?.as_str()?.to_owned();
            let role = e.get("role")?.as_str()?.to_owned();
            Some((id, role))
        })?;
    let new_role = body_examples(api, &api.operations[update])
        .iter()
        .filter_map(|e| e.get("role")?.as_str().map(str::to_owned))
        .chain(["admin", "read"].map(str::to_owned))
        .find(|r| *r != role)?;
    let space = (ParamIn::Path, "spaceId".to_owned(), Bind::Const(space));
    let item = vec![
        space.clone(),
        (ParamIn::Path, param.to_owned(), Bind::Const(json!(id))),
    ];
    let mut list_pins = vec![space.clone()];
    let list_op = &api.operations[list];
    if declares(list_op, "limit") {
        // Small pages, so that reading every page is part of the story.
        list_pins.push((ParamIn::Query, "limit".to_owned(), Bind::Const(json!(2))));
    }
    let pages = declares(list_op, "page").then(|| Paging {
        next: "/next/page".to_owned(),
        param: "page".to_owned(),
    });
    let listed = |role: &str, check, why: String| Step {
        pins: list_pins.clone(),
        pages: pages.clone(),
        why,
        ..Step::new(
            list,
            Expect::Holds(
                Match::new(key, Bind::Const(json!(id)))
                    .with("/permission", Bind::Const(json!(role))),
            ),
            check,
        )
    };
    let at_item = |op: usize, expect: Expect, check, body: Option<Value>, why: &str| Step {
        pins: item.clone(),
        body: body.map(Bind::Const),
        why: why.to_owned(),
        ..Step::new(op, expect, check)
    };
    let invited = format!("step 2 invited {id} as {role}");
    let mut steps = vec![
        at_item(
            remove,
            Expect::Status(vec![204, 205]),
            None,
            None,
            "the story starts with no permission",
        ),
        Step {
            pins: vec![space.clone()],
            body: Some(Bind::Const(json!({"role": role, members: [id]}))),
            why: "an invitation of a known member to a known space".to_owned(),
            ..Step::new(invite, Expect::Status(vec![204]), None)
        },
        listed(&role, ERA, invited.clone()),
    ];
    if let (Member::User, Some(aggregate)) =
        (kind, op_index(api, "listPermissionsAggregateInSpace"))
    {
        steps.push(Step {
            pins: vec![space.clone()],
            pages: pages.clone(),
            why: format!("{invited}: everyone with access is listed"),
            ..Step::new(
                aggregate,
                Expect::Holds(Match::new(key, Bind::Const(json!(id)))),
                ERA,
            )
        });
    }
    let role_body = Some(json!({"role": new_role}));
    steps.push(at_item(
        update,
        Expect::Status(vec![204]),
        ERA,
        role_body.clone(),
        &invited,
    ));
    let patched = format!("step {} made {id} {new_role}", steps.len());
    steps.push(listed(&new_role, ERA, patched));
    steps.push(at_item(
        remove,
        Expect::Status(vec![205]),
        ERA,
        None,
        &format!("{invited}, so there is a permission to remove"),
    ));
    let removed = format!("step {} removed {id}'s permission", steps.len());
    steps.push(Step {
        pins: list_pins.clone(),
        pages,
        why: removed.clone(),
        ..Step::new(
            list,
            Expect::Lacks(Match::new(key, Bind::Const(json!(id)))),
            UAF,
        )
    });
    steps.push(at_item(update, Expect::Gone, UAF, role_body, &removed));
    steps.push(at_item(
        remove,
        Expect::Status(vec![204]),
        UAF,
        None,
        &format!("{removed}: nothing is left to remove (204, not 205)"),
    ));
    let name = match kind {
        Member::User => "gitbook-user-membership",
        Member::Team => "gitbook-team-membership",
    };
    Some(StoryPlan {
        name: name.to_owned(),
        api: 0,
        steps,
    })
}

fn arize(api: &Api) -> Option<StoryPlan> {
    let add = op_index(api, "spaces_add_user")?;
    let remove = op_index(api, "spaces_remove_user")?;
    let space = param_example(api, &api.operations[add], "space_id")?;
    let examples = body_examples(api, &api.operations[add]);
    let body = examples
        .iter()
        .find(|e| e.pointer("/role/type").and_then(Value::as_str) == Some("predefined"))
        .or(examples.first())?
        .clone();
    let user = body.get("user_id")?.clone();
    let item = vec![
        (
            ParamIn::Path,
            "space_id".to_owned(),
            Bind::Const(space.clone()),
        ),
        (
            ParamIn::Path,
            "user_id".to_owned(),
            Bind::Const(user.clone()),
        ),
    ];
    let adding = |expect, check, why: &str| Step {
        pins: vec![(
            ParamIn::Path,
            "space_id".to_owned(),
            Bind::Const(space.clone()),
        )],
        body: Some(Bind::Const(body.clone())),
        why: why.to_owned(),
        ..Step::new(add, expect, check)
    };
    let removing = |expect, check, why: &str| Step {
        pins: item.clone(),
        why: why.to_owned(),
        ..Step::new(remove, expect, check)
    };
    let membership = Bind::Expr {
        step: 1,
        expr: super::expr::Expr::Response(super::expr::Source::Body("/id".to_owned())),
    };
    let steps = vec![
        removing(
            Expect::Status(vec![204, 404]),
            None,
            "the story starts with no membership",
        ),
        adding(
            Expect::Holds(Match::new("/user_id", Bind::Const(user.clone()))),
            None,
            "a user of the space's organization added by a space admin",
        ),
        adding(
            Expect::Holds(Match::new("/id", membership).with("/user_id", Bind::Const(user))),
            ERA,
            "step 2 added the user: adding again updates the same membership (an upsert)",
        ),
        removing(Expect::Status(vec![204]), ERA, "step 2 added the user"),
        removing(Expect::Gone, UAF, "step 4 removed the user"),
    ];
    Some(StoryPlan {
        name: "arize-space-membership".to_owned(),
        api: 0,
        steps,
    })
}

fn alumio(api: &Api) -> Option<StoryPlan> {
    let assign = op_index(api, "assignSpaceUsers")?;
    let space = param_example(api, &api.operations[assign], "space")?;
    let role_sets: Vec<Value> = body_examples(api, &api.operations[assign])
        .iter()
        .filter_map(|e| e.get("users")?.as_array().cloned())
        .flatten()
        .filter_map(|u| u.get("roles").cloned())
        .collect();
    let first = role_sets.first()?.clone();
    let second = role_sets.iter().find(|r| !same(r, &first))?.clone();
    // Lower case: emails are matched without case, and no example uses this one.
    let email = json!("understudy.story@example.com");
    let assigning = |roles: &Value, why: &str| Step {
        pins: vec![(
            ParamIn::Path,
            "space".to_owned(),
            Bind::Const(space.clone()),
        )],
        body: Some(Bind::Const(
            json!({"users": [{"email": email, "roles": roles}]}),
        )),
        why: why.to_owned(),
        ..Step::new(
            assign,
            Expect::Holds(
                Match::new("/email", Bind::Const(email.clone()))
                    .with("/roles", Bind::Const(roles.clone())),
            ),
            ERA,
        )
    };
    Some(StoryPlan {
        name: "alumio-space-users".to_owned(),
        api: 0,
        steps: vec![
            assigning(
                &first,
                "the answer shows the space's users after the change",
            ),
            assigning(
                &second,
                "step 1 assigned the user: assigning again replaces the roles",
            ),
        ],
    })
}

fn op_index(api: &Api, id: &str) -> Option<usize> {
    api.operations.iter().position(|o| *o.id == *id)
}

fn declares(op: &Operation, query: &str) -> bool {
    op.params
        .iter()
        .any(|p| p.plan.location == ParamIn::Query && p.plan.name == query)
}

/// A parameter's `example` (or first of its `examples`), on the operation or its path item.
fn param_example(api: &Api, op: &Operation, name: &str) -> Option<Value> {
    let res = &api.resources;
    let op_obj = op_object(res, op)?;
    let item = res
        .root()
        .get("paths")
        .and_then(|p| p.get(&op.template))
        .and_then(|i| res.deref(res.root_uri(), i).ok());
    let lists = [
        Some((op_obj.base, op_obj.value.get("parameters"))),
        item.map(|i| (i.base, i.value.get("parameters"))),
    ];
    for (base, list) in lists.into_iter().flatten() {
        for p in list.and_then(Value::as_array).into_iter().flatten() {
            let Ok(p) = res.deref(base, p) else { continue };
            if p.value.get("name").and_then(Value::as_str) != Some(name) {
                continue;
            }
            if let Some(e) = p.value.get("example") {
                return Some(e.clone());
            }
            let first = p.value.get("examples")?.as_object()?.values().next()?;
            return res.deref(p.base, first).ok()?.value.get("value").cloned();
        }
    }
    None
}

/// The request body's examples (`example`, then each of `examples`), JSON media types first.
fn body_examples(api: &Api, op: &Operation) -> Vec<Value> {
    let res = &api.resources;
    let mut out = Vec::new();
    let Some(op_obj) = op_object(res, op) else {
        return out;
    };
    let Some(body) = op_obj
        .value
        .get("requestBody")
        .and_then(|b| res.deref(op_obj.base, b).ok())
    else {
        return out;
    };
    let Some(Value::Object(content)) = body.value.get("content") else {
        return out;
    };
    let mut media: Vec<(&String, &Value)> = content.iter().collect();
    media.sort_by_key(|(k, _)| !k.contains("json"));
    for (_, m) in media {
        out.extend(m.get("example").cloned());
        for e in m
            .get("examples")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(_, e)| e)
        {
            if let Some(v) = res
                .deref(body.base, e)
                .ok()
                .and_then(|e| e.value.get("value"))
            {
                out.push(v.clone());
            }
        }
    }
    out
}
