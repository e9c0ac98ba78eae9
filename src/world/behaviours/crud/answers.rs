//! What answers look like, read once at install: an item answer (the item, or the item under
//! a wrapper member), a list answer (a bare array, or an object around one with counts,
//! flags, echoed paging values and the next cursor), and the paging parameters a list takes.
//! Members and parameters are recognised by conventional names.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::infer::{Model, closed, located, named_like, success, success_schema};
use super::render;
use super::schema::{self, Facts};
use crate::operation::api::{Api, Operation};
use crate::operation::params::ParamIn;
use crate::schema::validators::CompiledSchema;

/// What a successful answer of one operation looks like.
#[derive(Debug)]
pub struct Target {
    pub status: u16,
    /// Whether the answer has a body at all.
    pub content: bool,
    pub schema: Option<Arc<CompiledSchema>>,
    /// The answer's schema is the item schema itself.
    pub same_as_item: bool,
    /// The item sits under this member of an object answer (`{"data": {...}}`).
    pub wrap: Option<String>,
    /// Generated values for the answer's required members (wrappers only).
    pub template: Map<String, Value>,
    /// The declared members, when the answer's schema allows no others.
    pub closed: Option<Vec<String>>,
    /// Where an answer of another schema (neither the item nor a wrapper of it) names the
    /// item: the item's id member where it declares it, else its member named like the item
    /// path's parameter, else its `id` (where a client, and the contract check, look).
    pub id_member: Option<String>,
}

/// How a list answer is shaped.
#[derive(Debug)]
pub struct ListShape {
    /// The array member of an object answer; `None` for a bare array.
    pub array: Option<String>,
    /// The array's items are the item schema itself.
    pub items_same: bool,
    /// The items' declared members, when their schema allows no others.
    pub items_closed: Option<Vec<String>>,
    pub max_items: Option<usize>,
    /// Generated values for the wrapper's required members.
    pub template: Map<String, Value>,
    /// Counts set to the total, flags set to whether more follow, echoed paging values.
    pub total: Vec<String>,
    pub has_more: Vec<String>,
    pub limit: Vec<String>,
    pub offset: Vec<String>,
    pub page: Vec<String>,
    /// The member carrying the next cursor.
    pub next: Option<NextMember>,
}

#[derive(Debug, Clone)]
pub struct NextMember {
    pub name: String,
    pub integer: bool,
    /// What the member holds on the last page: `None` removes it.
    pub last: Option<Value>,
}

/// The paging parameters a list operation declares.
#[derive(Debug, Clone, Default)]
pub struct Paging {
    pub limit: Option<String>,
    pub default_limit: Option<usize>,
    pub offset: Option<String>,
    /// A page number and the number of the first page.
    pub page: Option<(String, i64)>,
    pub cursor: Option<String>,
}

/// Names recognised by convention, compared case-insensitively without `_` and `-`.
const ARRAY_MEMBERS: &[&str] = &[
    "items", "data", "results", "records", "entries", "values", "list", "content", "elements",
];
const TOTAL_MEMBERS: &[&str] = &[
    "total",
    "count",
    "totalcount",
    "totalitems",
    "totalresults",
    "totalsize",
    "totalelements",
];
const HAS_MORE_MEMBERS: &[&str] = &["hasmore", "more", "hasnext", "hasnextpage"];
const LIMIT_PARAMS: &[&str] = &["limit", "perpage", "pagesize", "size", "maxresults"];
const OFFSET_PARAMS: &[&str] = &["offset", "skip", "start"];
const PAGE_PARAMS: &[&str] = &["page", "pagenumber", "pageno"];
const CURSOR_PARAMS: &[&str] = &[
    "cursor",
    "after",
    "pagetoken",
    "nexttoken",
    "continuation",
    "continuationtoken",
    "startingafter",
    "page",
];
const NEXT_MEMBERS: &[&str] = &[
    "nextcursor",
    "next",
    "cursor",
    "nextpagetoken",
    "nexttoken",
    "continuation",
    "continuationtoken",
    "endcursor",
    "after",
];

fn plain(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn named(name: &str, list: &[&str]) -> bool {
    list.contains(&plain(name).as_str())
}

pub fn target_of(api: &Api, op: &Operation, model: &Model) -> Option<Target> {
    let resources = &api.resources;
    let spec = success(op)?;
    let schema = success_schema(op);
    let same_as_item = match (&schema, &model.schema) {
        (Some(a), Some(b)) => a.loc == b.loc,
        _ => false,
    };
    let item_value = model.schema.as_ref().and_then(|s| s.loc.get(resources));
    let facts = schema
        .as_deref()
        .and_then(|s| located(resources, s))
        .map(|l| Facts::of(resources, l));
    let wrap = match (&facts, item_value) {
        (Some(f), Some(item)) if !same_as_item && f.is_object() => {
            f.properties.iter().find_map(|(name, schemas)| {
                schemas
                    .iter()
                    .any(|s| std::ptr::eq(schema::target(resources, *s), item))
                    .then(|| name.clone())
            })
        }
        _ => None,
    };
    let template = match (&wrap, &schema, &facts) {
        (Some(_), Some(s), Some(f)) => required_members(api, s, f),
        _ => Map::new(),
    };
    let id_member = facts
        .as_ref()
        .filter(|_| !same_as_item && wrap.is_none())
        .and_then(|f| {
            model
                .id
                .as_deref()
                .filter(|id| f.declares(id))
                .or_else(|| named_like(f, &model.path.as_ref()?.plan.name))
                .or_else(|| f.declares("id").then_some("id"))
                .map(str::to_owned)
        });
    Some(Target {
        status: spec.status.concrete(),
        content: !spec.media.is_empty(),
        closed: facts.as_ref().and_then(closed),
        schema,
        same_as_item,
        wrap,
        template,
        id_member,
    })
}

/// Generated values for the required members of an object schema.
fn required_members(api: &Api, schema: &CompiledSchema, facts: &Facts<'_>) -> Map<String, Value> {
    let seed = 0x5EED_C0DE ^ schema.loc.pointer.len() as u64;
    let Some(Value::Object(generated)) = render::generated(&api.matchers, schema, seed) else {
        return Map::new();
    };
    generated
        .into_iter()
        .filter(|(k, _)| facts.required.contains(k))
        .collect()
}

pub fn list_shape(api: &Api, target: &Target, model: &Model) -> Option<ListShape> {
    let resources = &api.resources;
    let schema = target.schema.as_deref()?;
    let facts = Facts::of(resources, located(resources, schema)?);
    let item_value = model.schema.as_ref().and_then(|s| s.loc.get(resources));
    let (array, array_facts) = if facts.is_array() {
        (None, facts.clone())
    } else if facts.is_object() {
        let arrays: Vec<(String, Facts<'_>)> = facts
            .properties
            .iter()
            .filter_map(|(n, _)| Some((n.clone(), facts.property(resources, n)?)))
            .filter(|(_, f)| f.is_array())
            .collect();
        let chosen = arrays
            .iter()
            .find(|(n, _)| named(n, ARRAY_MEMBERS))
            .or_else(|| (arrays.len() == 1).then(|| &arrays[0]))?;
        (Some(chosen.0.clone()), chosen.1.clone())
    } else {
        return None;
    };
    let items_same = item_value.is_some_and(|item| {
        array_facts
            .items
            .iter()
            .any(|i| std::ptr::eq(schema::target(resources, *i), item))
    });
    let items_facts = array_facts.items(resources);
    // The list must be of the items created: the item schema itself, one that shows the id,
    // or anything at all when neither says what an item is.
    let related = items_same
        || match (&items_facts, &model.id) {
            (Some(f), Some(id)) => f.declares(id),
            (None, _) => model.schema.is_none(),
            (Some(_), None) => false,
        };
    if !related {
        return None;
    }
    let items_closed = items_facts.as_ref().and_then(closed);
    let members = |list: &[&str], integer: bool| -> Vec<String> {
        facts
            .properties
            .iter()
            .filter(|(n, _)| Some(n) != array.as_ref() && named(n, list))
            .filter(|(n, _)| {
                facts.property(resources, n).is_some_and(|p| {
                    if integer {
                        p.has_type("integer") || p.has_type("number")
                    } else {
                        p.has_type("boolean")
                    }
                })
            })
            .map(|(n, _)| n.clone())
            .collect()
    };
    let next = if array.is_some() {
        facts
            .properties
            .iter()
            .map(|(n, _)| n)
            .find(|n| named(n, NEXT_MEMBERS))
            .and_then(|n| {
                let p = facts.property(resources, n)?;
                let integer = p.has_type("integer");
                if !integer && !p.has_type("string") {
                    return None;
                }
                let last = if !facts.required.contains(n) {
                    None
                } else if p.has_type("null") {
                    Some(Value::Null)
                } else if integer {
                    Some(Value::from(0))
                } else {
                    Some(Value::String(String::new()))
                };
                Some(NextMember {
                    name: n.clone(),
                    integer,
                    last,
                })
            })
    } else {
        None
    };
    let template = if array.is_some() {
        required_members(api, schema, &facts)
    } else {
        Map::new()
    };
    Some(ListShape {
        template,
        total: members(TOTAL_MEMBERS, true),
        has_more: members(HAS_MORE_MEMBERS, false),
        limit: members(LIMIT_PARAMS, true),
        offset: members(OFFSET_PARAMS, true),
        page: members(PAGE_PARAMS, true),
        next,
        max_items: array_facts.max_items.map(|m| m as usize),
        array,
        items_same,
        items_closed,
    })
}

pub fn paging(api: &Api, op: &Operation) -> Paging {
    let resources = &api.resources;
    let mut paging = Paging::default();
    for p in op
        .params
        .iter()
        .filter(|p| p.plan.location == ParamIn::Query)
    {
        let name = &p.plan.name;
        let facts = p
            .validator
            .as_deref()
            .and_then(|s| located(resources, s))
            .map(|l| Facts::of(resources, l))
            .unwrap_or_default();
        let integer = facts.has_type("integer") || facts.has_type("number");
        if named(name, LIMIT_PARAMS) && integer && paging.limit.is_none() {
            paging.limit = Some(name.clone());
            paging.default_limit = facts
                .default
                .as_ref()
                .and_then(Value::as_u64)
                .map(|d| d as usize);
        } else if named(name, OFFSET_PARAMS) && integer && paging.offset.is_none() {
            paging.offset = Some(name.clone());
        } else if named(name, PAGE_PARAMS) && integer && paging.page.is_none() {
            let first = if facts.minimum == Some(0.0) { 0 } else { 1 };
            paging.page = Some((name.clone(), first));
        } else if named(name, CURSOR_PARAMS) && paging.cursor.is_none() {
            paging.cursor = Some(name.clone());
        }
    }
    paging
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventional_names_ignore_case_and_separators() {
        assert!(named("per_page", LIMIT_PARAMS));
        assert!(named("pageSize", LIMIT_PARAMS));
        assert!(named("next_cursor", NEXT_MEMBERS));
        assert!(named("totalCount", TOTAL_MEMBERS));
        assert!(!named("name", LIMIT_PARAMS));
    }
}
