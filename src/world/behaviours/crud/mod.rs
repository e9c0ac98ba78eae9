//! CRUD inferred from the paths of any document without a bundled behaviour: `POST /things`
//! creates, `GET /things` lists what was created (paged with the document's own paging
//! parameters), `GET|PUT|PATCH|DELETE /things/{id}` read, replace, merge-patch and remove;
//! a missing id is the spec's 404. See `infer` for what counts as a resource.
//!
//! - **Ids.** The id property is the member named like the item path's parameter (`petId`,
//!   or `Id` for `{id}`) of the item schema, else of the create's body or answer where the
//!   item may hold it (`GroupName`, `ScheduleId`), else `id`, else the first property whose
//!   name ends in `id`/`Id`/`ID`; each only where its type can be written in a path (a
//!   string or a number: Meshery's array `UUID` is passed over). A client's id (its body's
//!   member of that name, in any case) is kept unless the schema marks it `readOnly` or it is empty (no path could name it);
//!   otherwise it is made in the id's own format: integers count up per collection (past any
//!   id a client chose), `uuid` strings come from the call's seed and the counter, other
//!   strings are generated as text the item path takes, from the id's schema or, where that
//!   makes none, the path parameter's. Ids in paths are matched as text, so `/pets/1` finds
//!   the pet with id `1`.
//! - **Items.** A new item is the client's members (`readOnly` ones ignored, undeclared ones
//!   dropped when the item schema allows no others) plus generated values for whatever the
//!   item schema requires that the client did not send. PUT keeps the id and the server-owned
//!   (`readOnly`) members; PATCH is a JSON merge patch (RFC 7396). The request already fits
//!   the operation's own schema; an item that would still break the item schema (read from
//!   the answers, often stricter: a `minLength`, a member not nullable, an object with more
//!   required members) is refused with the violations only where the operation declares 422,
//!   and otherwise completed: the members that break it are filled in from a generated item
//!   (`render::complete`). A client's id the item schema refuses is refused all the same (422
//!   or 400): the item would be found by it. A client id already taken is 409.
//! - **Answers.** Each operation answers its lowest declared 2xx with the item (or page) in
//!   the shape of its own response schema: the item itself, the item under a wrapper member,
//!   or, for another schema, the item's id where a client looks for it (the member named like
//!   the id, or the path parameter, or `id`; as text or a number) and as many of its members
//!   as that schema holds, over a generated value of it. `writeOnly` members are
//!   never shown. Lists are a bare array or an object around one, with counts, `has_more`
//!   flags, echoed paging values and the next cursor filled in. A cursor this server did not
//!   give (`starting_after=a`) starts the list from the beginning, unless the operation
//!   declares 422, which it is answered then (not a 400: the cursor fits its schema).
//! - **Nesting.** `/owners/{ownerId}/pets` keeps one list per owner; when `/owners` is a
//!   resource too, the owner must exist (else 404) and deleting it deletes its pets.
//! - **Tokens.** Any bearer token is accepted: such documents have no fixtures naming users.
//!
//! Implementation rationale: everything about the document is worked out once, at install
//! (`infer`, and `ids` for how ids are made); a call only looks its operation up, then works
//! on the session's world: one store per resource holding one `List` per parent (see `list`
//! for the paging structure).

mod answers;
mod error;
mod ids;
pub(crate) mod infer;
mod list;
mod render;
mod saved;
mod schema;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::document::refs::Located;
use crate::operation::api::Api;
use crate::operation::respond::bodiless;
use crate::world::behaviour::{
    Access, Behaviour, Call, Installed, Reply, RestoreError, WithFixtures,
};

pub use error::CrudError;
use ids::IdKind;
use infer::{Inferred, OpPlan, Resource, Role};
use list::List;
use render::{PageFacts, key_of, mix};

/// Page size for page-number paging when the document gives no size of its own.
const DEFAULT_PAGE_SIZE: usize = 20;

/// The CRUD behaviour for `api`, or `None` when no path fits a collection/item pattern.
pub fn install(api: &Api) -> Option<Arc<dyn Installed>> {
    let inferred = infer::infer(api);
    if inferred.ops.is_empty() {
        return None;
    }
    let initial = World {
        stores: vec![Store::default(); inferred.resources.len()],
    };
    Some(Arc::new(WithFixtures {
        behaviour: Crud { inferred },
        initial,
    }))
}

/// The behaviour: the resources and operation plans inferred from one document.
pub struct Crud {
    inferred: Inferred,
}

/// Everything created in one session: a store per resource.
#[derive(Debug, Clone, Default)]
pub struct World {
    stores: Vec<Store>,
}

/// One resource's items, one list per parent (the parents' ids, outermost first).
#[derive(Debug, Clone, Default)]
struct Store {
    /// Items ever created here, the seed of generated ids and values.
    created: u64,
    /// The highest integer id given out or chosen by a client.
    highest: i64,
    lists: BTreeMap<Vec<String>, List>,
}

impl Behaviour for Crud {
    type World = World;

    fn access(&self, op_id: &str) -> Option<Access> {
        self.inferred.ops.get(op_id).map(|plan| match plan.role {
            Role::List | Role::Read => Access::Read,
            Role::Create | Role::Replace | Role::Patch | Role::Delete => Access::Write,
        })
    }

    fn read(&self, world: &World, call: &Call<'_>) -> Option<Reply> {
        let plan = self.inferred.ops.get(call.op_id())?;
        let parents = parent_key(plan, call);
        if let Err(e) = self.check_parent(world, plan.resource, &parents, call) {
            return Some(e.into());
        }
        let list = world.stores.get(plan.resource)?.lists.get(&parents);
        match plan.role {
            Role::List => self.list(plan, list, call),
            Role::Read => {
                let id = item_key(plan, call)?;
                match list.and_then(|l| l.get(&id)) {
                    Some(item) => self.answer(plan, item, call),
                    None => Some(missing(&id, call).into()),
                }
            }
            _ => None,
        }
    }

    fn write(&self, world: &mut World, call: &Call<'_>) -> Option<Reply> {
        let plan = self.inferred.ops.get(call.op_id())?;
        let parents = parent_key(plan, call);
        if let Err(e) = self.check_parent(world, plan.resource, &parents, call) {
            return Some(e.into());
        }
        match plan.role {
            Role::Create => self.create(world, plan, parents, call),
            Role::Replace | Role::Patch => self.change(world, plan, &parents, call),
            Role::Delete => self.delete(world, plan, parents, call),
            Role::List | Role::Read => None,
        }
    }

    fn authenticate(&self, _world: &World, token: &str) -> Option<String> {
        Some(token.to_owned())
    }

    fn snapshot(&self, world: &World) -> Value {
        let mut out = Map::new();
        for (resource, store) in self.inferred.resources.iter().zip(&world.stores) {
            if store.lists.is_empty() && !resource.route.contains('{') {
                out.insert(resource.route.clone(), Value::Array(Vec::new()));
            }
            for (parents, list) in &store.lists {
                let items = list.iter().map(|(_, v)| v.clone()).collect();
                out.insert(instantiate(&resource.route, parents), Value::Array(items));
            }
        }
        Value::Object(out)
    }

    fn save(&self, world: &World) -> Value {
        self.save_world(world)
    }

    fn restore(&self, _initial: &World, saved: Value) -> Result<World, RestoreError> {
        self.restore_world(saved)
    }
}

impl Crud {
    fn resource(&self, index: usize) -> Option<&Resource> {
        self.inferred.resources.get(index)
    }

    /// A nested collection's parent must exist, when the parent is a resource too.
    fn check_parent(
        &self,
        world: &World,
        resource: usize,
        parents: &[String],
        call: &Call<'_>,
    ) -> Result<(), CrudError> {
        let Some(parent) = self.resource(resource).and_then(|r| r.parent) else {
            return Ok(());
        };
        let Some((id, outer)) = parents.split_last() else {
            return Ok(());
        };
        let exists = world
            .stores
            .get(parent)
            .and_then(|s| s.lists.get(outer))
            .is_some_and(|l| l.contains(id));
        if exists {
            return Ok(());
        }
        let own = match self.inferred.ops.get(call.op_id()).map(|p| p.role) {
            Some(Role::Create | Role::List) => 1,
            _ => 2,
        };
        Err(CrudError::NoItem {
            id: id.clone(),
            collection: trim_segments(call.path, own + 1).to_owned(),
        })
    }

    fn answer(&self, plan: &OpPlan, item: &Value, call: &Call<'_>) -> Option<Reply> {
        let target = &plan.target;
        if !target.content || bodiless(target.status) {
            return Some(Reply::empty(target.status));
        }
        let model = &self.resource(plan.resource)?.model;
        let body = render::item_answer(&call.api.matchers, target, model, item, call.seed())?;
        Some(Reply::ok(target.status, body))
    }

    fn create(
        &self,
        world: &mut World,
        plan: &OpPlan,
        parents: Vec<String>,
        call: &Call<'_>,
    ) -> Option<Reply> {
        let model = &self.resource(plan.resource)?.model;
        let body = match call.body {
            None => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return None,
        };
        let store = world.stores.get_mut(plan.resource)?;
        let taken =
            |store: &Store, key: &str| store.lists.get(&parents).is_some_and(|l| l.contains(key));
        let n = store.created + 1;
        let seed = mix(call.seed(), n);
        // The client's id: the body's member for it, in any case (AWS's `{"id": ...}` is the
        // item's `Id`). An empty one is none: no path could name the item by it.
        let client_key = model
            .id
            .as_ref()
            .filter(|id| !model.read_only.contains(id))
            .and_then(|id| member_like(&body, id));
        let chosen = client_key
            .and_then(|k| body.get(k))
            .filter(|v| !v.is_null() && !key_of(v).is_empty())
            .cloned();
        let id = match chosen {
            Some(id) => {
                if taken(store, &key_of(&id)) {
                    let error = CrudError::TakenId {
                        id: key_of(&id),
                        collection: call.path.to_owned(),
                    };
                    return Some(error.into());
                }
                id
            }
            None => match &model.id_kind {
                IdKind::Integer { first } => {
                    let mut next = (store.highest + 1).max(*first);
                    while taken(store, &next.to_string()) {
                        next += 1;
                    }
                    Value::from(next)
                }
                IdKind::Uuid => {
                    let mut k = 0;
                    let mut id = render::uuid(seed, k);
                    while taken(store, &id) {
                        k += 1;
                        id = render::uuid(seed, k);
                    }
                    Value::String(id)
                }
                IdKind::Text { base, schema, fit } => {
                    let located = Located {
                        base,
                        value: schema,
                    };
                    let Some(id) =
                        ids::text_id(call, located, fit.as_ref(), seed, |k| taken(store, k))
                    else {
                        let error = CrudError::NoUniqueId {
                            collection: call.path.to_owned(),
                        };
                        return Some(error.into());
                    };
                    id
                }
            },
        };
        // The client's members, its id member (whatever its case) given as the item's.
        let mut members = render::client_members(model, &body);
        if let Some(key) = client_key {
            members.remove(key);
        }
        if let Some(name) = &model.id {
            members.insert(name.clone(), id.clone());
        }
        let (item, violations) = render::compose(&call.api.matchers, model, members, seed);
        let item = match render::settle(&call.api.matchers, plan, model, item, violations, seed) {
            Ok(item) => item,
            Err(e) => return Some(e.into()),
        };
        store.created = n;
        if let Some(i) = id.as_i64() {
            store.highest = store.highest.max(i);
        }
        let key = key_of(&id);
        let reply = self
            .answer(plan, &item, call)
            .map(|r| r.with_created(key.clone()));
        store.lists.entry(parents).or_default().push(key, item);
        reply
    }

    /// PUT (replace) and PATCH (merge patch).
    fn change(
        &self,
        world: &mut World,
        plan: &OpPlan,
        parents: &[String],
        call: &Call<'_>,
    ) -> Option<Reply> {
        let model = &self.resource(plan.resource)?.model;
        let id = item_key(plan, call)?;
        let store = world.stores.get_mut(plan.resource)?;
        let Some(stored) = store.lists.get_mut(parents).and_then(|l| l.get_mut(&id)) else {
            return Some(missing(&id, call).into());
        };
        let body = match call.body {
            Some(Value::Object(m)) => m,
            _ => return None,
        };
        let mut members = render::client_members(model, body);
        let kept = model.read_only.iter().chain(model.id.iter());
        let seed = mix(call.seed(), store_seed(&id));
        let (item, violations) = if plan.role == Role::Patch {
            for name in kept {
                members.remove(name);
            }
            let mut item = stored.clone();
            render::merge_patch(&mut item, &Value::Object(members));
            let violations = render::violations(model, &item);
            (item, violations)
        } else {
            for name in kept {
                match stored.get(name) {
                    Some(v) => members.insert(name.clone(), v.clone()),
                    None => members.remove(name),
                };
            }
            render::compose(&call.api.matchers, model, members, seed)
        };
        let item = match render::settle(&call.api.matchers, plan, model, item, violations, seed) {
            Ok(item) => item,
            Err(e) => return Some(e.into()),
        };
        *stored = item;
        self.answer(plan, stored, call)
    }

    fn delete(
        &self,
        world: &mut World,
        plan: &OpPlan,
        parents: Vec<String>,
        call: &Call<'_>,
    ) -> Option<Reply> {
        let id = item_key(plan, call)?;
        let removed = world
            .stores
            .get_mut(plan.resource)?
            .lists
            .get_mut(&parents)
            .and_then(|l| l.remove(&id));
        let Some(item) = removed else {
            return Some(missing(&id, call).into());
        };
        let mut key = parents;
        key.push(id);
        self.cascade(world, plan.resource, &key);
        self.answer(plan, &item, call)
    }

    /// Removes the nested collections of a removed item, and theirs.
    fn cascade(&self, world: &mut World, resource: usize, key: &[String]) {
        let Some(r) = self.resource(resource) else {
            return;
        };
        for &child in &r.children {
            let Some(list) = world
                .stores
                .get_mut(child)
                .and_then(|s| s.lists.remove(key))
            else {
                continue;
            };
            for (id, _) in list.iter() {
                let mut inner = key.to_vec();
                inner.push(id.to_owned());
                self.cascade(world, child, &inner);
            }
        }
    }

    fn list(&self, plan: &OpPlan, list: Option<&List>, call: &Call<'_>) -> Option<Reply> {
        let (shape, paging) = plan.list.as_ref()?;
        let model = &self.resource(plan.resource)?.model;
        let number = |name: &Option<String>| -> Option<i64> {
            let v = call.query.get(name.as_deref()?)?;
            v.as_i64()
                .or_else(|| v.as_f64().map(|f| f as i64))
                .or_else(|| v.as_str()?.parse().ok())
        };
        let page_number = paging.page.as_ref().map(|(name, first)| {
            let asked = number(&Some(name.clone())).unwrap_or(*first);
            (asked, *first)
        });
        let mut limit = number(&paging.limit)
            .map(|l| l.max(0) as usize)
            .or(paging.default_limit)
            .or_else(|| {
                paging
                    .page
                    .as_ref()
                    .map(|_| shape.max_items.unwrap_or(DEFAULT_PAGE_SIZE))
            });
        if let Some(max) = shape.max_items {
            limit = Some(limit.map_or(max, |l| l.min(max)));
        }
        let cursor = paging
            .cursor
            .as_deref()
            .and_then(|name| Some((name, call.query.get(name)?)));
        let empty = List::default();
        let list = list.unwrap_or(&empty);
        let mut offset = number(&paging.offset).map_or(0, |o| o.max(0) as usize);
        if let Some((page, first)) = page_number {
            // Saturating: a page number near i64::MAX is a page past the end, not a panic.
            let skipped = usize::try_from(page.saturating_sub(first).max(0)).unwrap_or(usize::MAX);
            offset =
                offset.saturating_add(skipped.saturating_mul(limit.unwrap_or(DEFAULT_PAGE_SIZE)));
        }
        // A cursor this server did not give (`starting_after=a`) is the client's business: the
        // list starts from the beginning, unless the operation declares a status for it.
        let seq = match cursor {
            None => None,
            Some((name, value)) => {
                let text = key_of(value);
                match (text.parse::<u64>(), plan.bad_cursor) {
                    (Ok(seq), _) => Some(seq),
                    (Err(_), None) => None,
                    (Err(_), Some(status)) => {
                        let error = CrudError::NotACursor {
                            status,
                            name: name.to_owned(),
                            value: text,
                        };
                        return Some(error.into());
                    }
                }
            }
        };
        let page = match seq {
            Some(seq) => list.page_at_cursor(seq, limit),
            None => list.page_at_offset(offset, limit),
        };
        let more = page.next.is_some();
        let facts = PageFacts {
            total: list.len(),
            more,
            next: page.next.filter(|_| paging.cursor.is_some()),
            limit,
            offset,
            page: page_number.map(|(p, _)| p),
            items: page.items,
        };
        let body = render::page_answer(&plan.target, shape, model, facts)?;
        Some(Reply::ok(plan.target.status, body))
    }
}

/// The key of `body`'s member named `name`, else of one named so in another case.
fn member_like<'b>(body: &'b Map<String, Value>, name: &str) -> Option<&'b String> {
    body.get_key_value(name)
        .map(|(k, _)| k)
        .or_else(|| body.keys().find(|k| k.eq_ignore_ascii_case(name)))
}

/// The parents' ids from the path, outermost first.
fn parent_key(plan: &OpPlan, call: &Call<'_>) -> Vec<String> {
    plan.parents
        .iter()
        .map(|name| call.path_params.get(name).map(key_of).unwrap_or_default())
        .collect()
}

fn item_key(plan: &OpPlan, call: &Call<'_>) -> Option<String> {
    call.path_params.get(plan.id_param.as_deref()?).map(key_of)
}

/// A seed per item, for values generated when it is replaced.
fn store_seed(id: &str) -> u64 {
    id.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    })
}

fn missing(id: &str, call: &Call<'_>) -> CrudError {
    CrudError::NoItem {
        id: id.to_owned(),
        collection: trim_segments(call.path, 1).to_owned(),
    }
}

/// `path` without its last `n` segments.
fn trim_segments(path: &str, n: usize) -> &str {
    let mut out = path.trim_end_matches('/');
    for _ in 0..n {
        out = out.rsplit_once('/').map_or("", |(head, _)| head);
    }
    if out.is_empty() { "/" } else { out }
}

/// A route template with its parameters replaced by `values`, in order.
fn instantiate(route: &str, values: &[String]) -> String {
    let mut out = String::new();
    let mut rest = route;
    let mut values = values.iter();
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str(values.next().map_or("", String::as_str));
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_lose_segments_from_the_end() {
        assert_eq!(trim_segments("/v1/pets/7", 1), "/v1/pets");
        assert_eq!(trim_segments("/owners/a/pets", 2), "/owners");
        assert_eq!(trim_segments("/pets", 1), "/");
    }

    #[test]
    fn routes_are_instantiated_with_parent_ids() {
        assert_eq!(
            instantiate("/v1/owners/{ownerId}/pets", &["a1".to_owned()]),
            "/v1/owners/a1/pets"
        );
        assert_eq!(instantiate("/pets", &[]), "/pets");
    }
}
