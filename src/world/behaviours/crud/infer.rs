//! Reading resources out of a document's paths, once, at install: which operations create,
//! list, read, replace, patch and delete which collection, what an item looks like, which
//! property is its id and how new ids are made, and what each answer's body looks like.
//!
//! A *resource* is a collection path `C` (last segment literal) with a `POST` (create) and at
//! least one of `GET C` (list) or an operation on its item path `C/{param}` (`GET` read,
//! `PUT` replace, `PATCH` merge-patch, `DELETE` remove) whose answer it can give. A `POST`
//! alone (`/login`), a `POST` answering a list or the same page as the `GET` (`/search`), a
//! list of something other than the items created, and items without an id property (a
//! client could never find them again) are not resources. `C` may sit under another resource's item path
//! (`/owners/{ownerId}/pets`): such a collection is kept per parent, and its parent must
//! exist. Path segments that mix text and parameters (`/pets/{id}.json`) are never matched.

use std::collections::BTreeMap;
use std::sync::Arc;

use http::Method;

use super::answers::{self, ListShape, Paging, Target};
use super::ids::{IdKind, PathId, id_kind};
use super::schema::Facts;
use crate::document::refs::{Located, Resources};
use crate::operation::api::{Api, Operation, template_params};
use crate::operation::negotiate;
use crate::operation::params::ParamIn;
use crate::operation::respond::{self, StatusKey};
use crate::schema::facts::TypeSet;
use crate::schema::validators::CompiledSchema;

/// What an operation does to its collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Create,
    List,
    Read,
    Replace,
    Patch,
    Delete,
}

/// One inferred collection.
#[derive(Debug)]
pub struct Resource {
    /// The collection's path as clients call it (mount included), for the snapshot.
    pub route: String,
    /// The resource whose item path this collection sits under.
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    pub model: Model,
}

/// What an item is: its schema, its id and how new ids are made.
#[derive(Debug)]
pub struct Model {
    /// The item schema (response view): every stored item satisfies it.
    pub schema: Option<Arc<CompiledSchema>>,
    /// The id property: the item schema's, or the create's body's or answer's (see `model`).
    pub id: Option<String>,
    pub id_kind: IdKind,
    /// The item path's parameter, which names an item by its id.
    pub path: Option<PathId>,
    /// Top-level members the server owns (ignored in request bodies) or never shows.
    pub read_only: Vec<String>,
    pub write_only: Vec<String>,
    pub required: Vec<String>,
    /// The declared members, when the schema allows no others.
    pub closed: Option<Vec<String>>,
}

/// How one handled operation maps onto a resource.
#[derive(Debug)]
pub struct OpPlan {
    pub op_id: String,
    pub role: Role,
    pub resource: usize,
    /// The path parameters naming the parents, outermost first.
    pub parents: Vec<String>,
    /// The path parameter naming the item (item operations).
    pub id_param: Option<String>,
    pub target: Target,
    pub list: Option<(ListShape, Paging)>,
    /// The status for an item that would break the item schema, where the operation declares
    /// one (422); `None`: the item is completed instead (`render::complete`).
    pub invalid: Option<u16>,
    /// The status for a cursor this server did not give, where the operation declares 422;
    /// `None`: the list starts from the beginning.
    pub bad_cursor: Option<u16>,
}

/// Everything inferred from one document.
#[derive(Debug, Default)]
pub struct Inferred {
    pub resources: Vec<Resource>,
    pub ops: BTreeMap<String, OpPlan>,
}

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Text(String),
    Param(String),
}

/// The segments of a template; `None` when one mixes text and a parameter.
fn segments(template: &str) -> Option<Vec<Seg>> {
    template
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let inner = s.strip_prefix('{').and_then(|r| r.strip_suffix('}'));
            match inner {
                Some(name) if !name.contains(['{', '}']) => Some(Seg::Param(name.to_owned())),
                _ if s.contains(['{', '}']) => None,
                _ => Some(Seg::Text(s.to_owned())),
            }
        })
        .collect()
}

/// A template with parameter names erased: `/owners/{}/pets`.
fn shape_key(segs: &[Seg]) -> String {
    segs.iter()
        .map(|s| match s {
            Seg::Text(t) => format!("/{t}"),
            Seg::Param(_) => "/{}".to_owned(),
        })
        .collect()
}

#[derive(Default)]
struct Candidate {
    create: Option<usize>,
    list: Option<usize>,
    items: Vec<(Role, usize)>,
    parent_key: Option<String>,
}

/// Infers the resources of `api`; operations that fit no pattern are left out.
pub fn infer(api: &Api) -> Inferred {
    let mut candidates: BTreeMap<String, Candidate> = BTreeMap::new();
    for (i, op) in api.operations.iter().enumerate() {
        let Some(segs) = segments(&op.template) else {
            continue;
        };
        let Some(last) = segs.last() else {
            continue;
        };
        match last {
            Seg::Text(_) => {
                let key = shape_key(&segs);
                let c = candidates.entry(key).or_default();
                if segs.len() >= 3 && matches!(segs[segs.len() - 2], Seg::Param(_)) {
                    c.parent_key = Some(shape_key(&segs[..segs.len() - 2]));
                }
                match op.method {
                    Method::POST => c.create = Some(i),
                    Method::GET => c.list = Some(i),
                    _ => {}
                }
            }
            Seg::Param(_) => {
                let role = match op.method {
                    Method::GET => Role::Read,
                    Method::PUT => Role::Replace,
                    Method::PATCH => Role::Patch,
                    Method::DELETE => Role::Delete,
                    _ => continue,
                };
                let key = shape_key(&segs[..segs.len() - 1]);
                candidates.entry(key).or_default().items.push((role, i));
            }
        }
    }
    let mut out = Inferred::default();
    let mut index_of: BTreeMap<String, usize> = BTreeMap::new();
    let mut parents: Vec<Option<String>> = Vec::new();
    for (key, c) in &candidates {
        let Some(create) = c.create else { continue };
        if c.list.is_none() && c.items.is_empty() {
            continue;
        }
        let create_op = &api.operations[create];
        if !takes_objects(create_op) || !creates_items(api, create_op, c.list) {
            continue;
        }
        let ops: Vec<(Role, usize)> = std::iter::once((Role::Create, create))
            .chain(c.list.map(|l| (Role::List, l)))
            .chain(c.items.iter().copied())
            .filter(|(_, i)| success(&api.operations[*i]).is_some())
            .collect();
        let model = model(api, &ops);
        // Items whose id is nowhere in them cannot be found again by a client.
        if model.id.is_none() {
            continue;
        }
        let resource = out.resources.len();
        let plans: Vec<OpPlan> = ops
            .into_iter()
            .filter(|(role, i)| {
                !matches!(role, Role::Replace | Role::Patch) || takes_objects(&api.operations[*i])
            })
            .filter_map(|(role, i)| op_plan(api, &api.operations[i], role, resource, &model))
            .collect();
        // A create whose items can be neither listed nor read is no resource (`/anything`).
        if plans.iter().all(|p| p.role == Role::Create) {
            continue;
        }
        for plan in plans {
            out.ops.insert(plan.op_id.clone(), plan);
        }
        out.resources.push(Resource {
            route: create_op.route.clone(),
            parent: None,
            children: Vec::new(),
            model,
        });
        index_of.insert(key.clone(), resource);
        parents.push(c.parent_key.clone());
    }
    for (child, parent_key) in parents.iter().enumerate() {
        if let Some(parent) = parent_key.as_ref().and_then(|k| index_of.get(k)) {
            out.resources[child].parent = Some(*parent);
            out.resources[*parent].children.push(child);
        }
    }
    out
}

/// The operation's success response: the status the static answer would use, when 2xx.
pub fn success(op: &Operation) -> Option<&respond::ResponseSpec> {
    respond::choose(&op.responses, None)
        .ok()
        .flatten()
        .filter(|r| (200..300).contains(&r.status.concrete()))
}

/// Whether a `POST` makes one item: its answer is not a list, nor the same page the
/// collection's `GET` answers (`POST /animal/search` next to `GET /animal/search`).
fn creates_items(api: &Api, create: &Operation, list: Option<usize>) -> bool {
    if success(create).is_none() {
        return false;
    }
    let Some(schema) = success_schema(create) else {
        return true;
    };
    let is_list =
        located(&api.resources, &schema).is_some_and(|l| Facts::of(&api.resources, l).is_array());
    let same_as_list = list
        .and_then(|l| success_schema(&api.operations[l]))
        .is_some_and(|l| l.loc == schema.loc);
    !is_list && !same_as_list
}

/// Whether the operation's body, if any, can be a JSON object.
fn takes_objects(op: &Operation) -> bool {
    op.body.as_ref().is_none_or(|b| {
        b.media
            .iter()
            .any(|m| negotiate::is_json(&m.media_type) || m.form.is_some())
    })
}

/// The schema of an operation's success body: a JSON one first.
pub fn success_schema(op: &Operation) -> Option<Arc<CompiledSchema>> {
    let spec = success(op)?;
    spec.media
        .iter()
        .filter(|m| negotiate::is_json(&m.media_type))
        .chain(spec.media.iter())
        .find_map(|m| m.validator.clone())
}

/// A compiled schema's value in `resources`, located for `$ref`s and generation.
pub fn located<'a>(resources: &'a Resources, schema: &CompiledSchema) -> Option<Located<'a>> {
    let (base, file) = resources.files().find(|(uri, _)| *uri == schema.loc.file)?;
    Some(Located {
        base,
        value: file.pointer(&schema.loc.pointer)?,
    })
}

fn model(api: &Api, ops: &[(Role, usize)]) -> Model {
    let resources = &api.resources;
    let by_role = |role: Role| {
        ops.iter()
            .find(|(r, _)| *r == role)
            .map(|(_, i)| &api.operations[*i])
    };
    let schema = [Role::Read, Role::Create, Role::Replace, Role::Patch]
        .into_iter()
        .filter_map(by_role)
        .filter_map(success_schema)
        .find(|s| located(resources, s).is_some_and(|l| Facts::of(resources, l).is_object()));
    let item_op = [Role::Read, Role::Replace, Role::Patch, Role::Delete]
        .into_iter()
        .find_map(by_role);
    let id_param = item_op.and_then(|op| template_params(&op.template).pop());
    let path = item_op.zip(id_param.as_deref()).and_then(|(op, name)| {
        op.params
            .iter()
            .find(|p| p.plan.location == ParamIn::Path && p.plan.name == name)
            .map(|p| PathId {
                plan: p.plan.clone(),
                schema: p.validator.clone(),
            })
    });
    let of = |s: Option<&Arc<CompiledSchema>>| {
        s.and_then(|s| located(resources, s))
            .map(|l| Facts::of(resources, l))
            .unwrap_or_default()
    };
    let facts = of(schema.as_ref());
    let create = by_role(Role::Create);
    let body = of(create.and_then(body_schema).as_ref());
    let made = of(create.and_then(success_schema).as_ref());
    // The id: the member named like the item path's parameter, in any case (AWS's `{id}` is
    // the item's `Id`), of the item; else of the create's body (a client names what it
    // creates: Amazon's `{"GroupName": ...}` for `/groups/{GroupName}`, whose answers hold the
    // group under a wrapper) or of the create's answer (`{"ScheduleId": ...}`), where the item
    // may hold it: where the contract check looks for what a create made. Else `id`, else the
    // first member named like an id.
    // An id is written in a path: a member whose type is no string nor number (Meshery's
    // `UUID`, an array of bytes) cannot be one, whatever its name.
    let can_be_id = |f: &Facts<'_>, name: &str| {
        f.property(resources, name).is_some_and(|p| {
            p.types
                .is_none_or(|t| t.intersects(TypeSet::STRING | TypeSet::INTEGER | TypeSet::NUMBER))
        })
    };
    let by_param = |f: &Facts<'_>| {
        id_param
            .as_deref()
            .and_then(|p| named_like(f, p))
            .filter(|name| can_be_id(f, name))
            .map(str::to_owned)
    };
    // Each with the view that judges its values, and whether the item can hold its member.
    let owners = [
        (&facts, &api.matchers.response, true),
        (&body, &api.matchers.request, !facts.closed),
        (&made, &api.matchers.response, !facts.closed),
    ];
    let found = owners
        .into_iter()
        .filter(|(_, _, held)| *held)
        .find_map(|(f, view, _)| Some((by_param(f)?, f, view)));
    let (id, owner, view) = match found {
        Some((name, owner, view)) => (Some(name), owner, view),
        None => {
            let name = (facts.declares("id") && can_be_id(&facts, "id"))
                .then(|| "id".to_owned())
                .or_else(|| {
                    facts
                        .properties
                        .iter()
                        .map(|(n, _)| n)
                        .filter(|n| n.ends_with("id") || n.ends_with("Id") || n.ends_with("ID"))
                        .find(|n| can_be_id(&facts, n))
                        .cloned()
                });
            (name, &facts, &api.matchers.response)
        }
    };
    let id_schema = id.as_deref().and_then(|name| {
        let (_, schemas) = owner.properties.iter().find(|(n, _)| n == name)?;
        schemas.first().copied()
    });
    let id_facts = id.as_deref().and_then(|n| owner.property(resources, n));
    let param_schema = path
        .as_ref()
        .and_then(|p| p.schema.as_deref())
        .and_then(|s| located(resources, s));
    let id_kind = match (&id_facts, param_schema) {
        (Some(f), _) => id_kind(f, id_schema, path.as_ref(), (&api.matchers, view)),
        (None, Some(l)) => id_kind(
            &Facts::of(resources, l),
            Some(l),
            None,
            (&api.matchers, view),
        ),
        (None, None) => IdKind::Integer { first: 1 },
    };
    let mut read_only = Vec::new();
    let mut write_only = Vec::new();
    for (name, _) in &facts.properties {
        if let Some(p) = facts.property(resources, name) {
            if p.read_only {
                read_only.push(name.clone());
            }
            if p.write_only {
                write_only.push(name.clone());
            }
        }
    }
    Model {
        closed: closed(&facts),
        required: facts.required.clone(),
        schema,
        id,
        id_kind,
        path,
        read_only,
        write_only,
    }
}

/// The member of `facts` named `name`, else one named so in another case (`Id` for `id`).
pub fn named_like<'f>(facts: &'f Facts<'_>, name: &str) -> Option<&'f str> {
    let names = || facts.properties.iter().map(|(n, _)| n.as_str());
    names()
        .find(|n| *n == name)
        .or_else(|| names().find(|n| n.eq_ignore_ascii_case(name)))
}

/// The schema of an operation's request body: a JSON one first.
fn body_schema(op: &Operation) -> Option<Arc<CompiledSchema>> {
    let body = op.body.as_ref()?;
    body.media
        .iter()
        .filter(|m| negotiate::is_json(&m.media_type))
        .chain(body.media.iter())
        .find_map(|m| m.validator.clone())
}

pub fn closed(facts: &Facts<'_>) -> Option<Vec<String>> {
    facts
        .closed
        .then(|| facts.properties.iter().map(|(n, _)| n.clone()).collect())
}

fn op_plan(
    api: &Api,
    op: &Operation,
    role: Role,
    resource: usize,
    model: &Model,
) -> Option<OpPlan> {
    let mut params = template_params(&op.template);
    let id_param = match role {
        Role::Create | Role::List => None,
        _ => params.pop(),
    };
    let target = answers::target_of(api, op, model)?;
    let list = match role {
        Role::List => Some((
            answers::list_shape(api, &target, model)?,
            answers::paging(api, op),
        )),
        _ => None,
    };
    let declares = |s: u16| op.responses.iter().any(|r| r.status == StatusKey::Code(s));
    // A declared 422 is a domain refusal a client is told to expect; a 400 is the protocol's
    // answer to a malformed request, which a request fitting its schema is not (a cursor is
    // any text its schema allows: Lucidtech's `nextToken`, declared beside a 400).
    let invalid = declares(422).then_some(422);
    let bad_cursor = invalid;
    Some(OpPlan {
        op_id: op.id.to_string(),
        role,
        resource,
        parents: params,
        id_param,
        target,
        list,
        invalid,
        bad_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_into_text_and_parameters() {
        assert_eq!(
            segments("/owners/{ownerId}/pets"),
            Some(vec![
                Seg::Text("owners".into()),
                Seg::Param("ownerId".into()),
                Seg::Text("pets".into())
            ])
        );
        assert_eq!(segments("/pets/{id}.json"), None);
        assert_eq!(
            shape_key(&segments("/a/{x}/b").unwrap_or_default()),
            "/a/{}/b"
        );
    }
}
