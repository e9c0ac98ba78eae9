//! An item's id: how new ids are made (counted, uuids, or strings generated from a schema),
//! and which of those an item path can name. Worked out once, at install (`id_kind`); a create
//! only draws from it (`text_id`).

use std::sync::Arc;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use super::infer::located;
use super::render::{key_of, mix};
use super::schema::Facts;
use crate::document::refs::Located;
use crate::operation::params::ParamPlan;
use crate::schema::generate::{self, Direction, GenOptions};
use crate::schema::validators::{Check, CompiledSchema, Matcher, Matchers};
use crate::world::behaviour::Call;

/// How many generated string ids are tried before giving up on a unique one.
const ID_ATTEMPTS: u64 = 16;

/// How new ids are made.
#[derive(Debug, Clone)]
pub enum IdKind {
    /// The next number of the collection's counter, from `first`.
    Integer { first: i64 },
    /// A UUID (version 4 layout) derived from the call's seed and the counter.
    Uuid,
    /// A string generated from a schema (base URI, schema): the id's own, or, where the id's
    /// own makes nothing the item path takes, the path parameter's (Linode's IPv6 ranges: a
    /// plain string in the item, `format: ipv6` in the path; an integer in the path, a
    /// string in the item), written as text. `fit` tells the ids a path carries, where the
    /// chosen schema makes some; `None` where neither does (the document's id and path
    /// parameter have nothing in common) or there is no item path.
    Text {
        base: String,
        schema: Value,
        fit: Option<Fit>,
    },
}

/// The item path's parameter, which names an item by its id.
#[derive(Debug, Clone)]
pub struct PathId {
    pub plan: ParamPlan,
    pub schema: Option<Arc<CompiledSchema>>,
}

impl PathId {
    /// Whether a path can name the item `id`: its text, as one segment, reads back as a value
    /// the parameter takes. An empty id never does: no path has an empty segment.
    pub fn carries(&self, id: &Value) -> bool {
        let text = key_of(id);
        if text.is_empty() {
            return false;
        }
        let raw = utf8_percent_encode(&text, NON_ALPHANUMERIC).to_string();
        self.plan
            .from_path(&raw)
            .is_ok_and(|v| self.schema.as_ref().is_none_or(|s| s.is_valid(&v)))
    }
}

/// Which generated string ids fit both the item path and the item.
#[derive(Debug, Clone)]
pub struct Fit {
    pub path: PathId,
    /// The id's own schema, for ids generated from the path parameter's; `None` when they
    /// are generated from it.
    pub id: Option<Arc<Check>>,
}

impl Fit {
    pub fn accepts(&self, id: &Value) -> bool {
        self.path.carries(id) && self.id.as_ref().is_none_or(|c| c.is_valid(id))
    }
}

/// How new ids are made for an id with these facts and schema; `path` names items by it. The
/// document's matchers, and the view that judges values of `schema`.
pub(super) fn id_kind(
    facts: &Facts<'_>,
    schema: Option<Located<'_>>,
    path: Option<&PathId>,
    matchers: (&Matchers, &Matcher),
) -> IdKind {
    if facts.has_type("integer") || facts.has_type("number") {
        let first = facts.minimum.map_or(1, |m| (m.ceil() as i64).max(1));
        return IdKind::Integer { first };
    }
    if facts.format.as_deref() == Some("uuid") {
        return IdKind::Uuid;
    }
    match schema {
        Some(l) if facts.has_type("string") => text_kind(l, path, matchers),
        _ => IdKind::Integer { first: 1 },
    }
}

/// How many ids are generated at install to see which schema makes ids a path carries.
const TRIALS: u64 = 8;

/// String ids from the id's own schema where the item path carries some of what it makes;
/// else from the path parameter's, where the id takes some of what that makes (as a real API
/// makes ids its paths take); else from the id's own all the same: no id can be read back
/// then, and the contract check's stories stop before sending one.
fn text_kind(
    own: Located<'_>,
    path: Option<&PathId>,
    (matchers, view): (&Matchers, &Matcher),
) -> IdKind {
    let text = |l: Located<'_>, fit: Option<Fit>| IdKind::Text {
        base: l.base.to_owned(),
        schema: l.value.clone(),
        fit,
    };
    let Some(path) = path else {
        return text(own, None);
    };
    let mut fit = Fit {
        path: path.clone(),
        id: None,
    };
    let some_fit = |schema: Located<'_>, fit: &Fit| {
        (0..TRIALS).any(|i| {
            generated_id(matchers, schema, mix(0x1D5, i)).is_some_and(|id| fit.accepts(&id))
        })
    };
    if some_fit(own, &fit) {
        return text(own, Some(fit));
    }
    let param = path
        .schema
        .as_deref()
        .and_then(|s| located(matchers.resources(), s));
    fit.id = view.check(own);
    match param {
        Some(param) if fit.id.is_some() && some_fit(param, &fit) => text(param, Some(fit)),
        _ => text(own, None),
    }
}

/// A string id generated from `schema`, as text (`438` from an integer path parameter is the
/// id `"438"`).
fn generated_id(matchers: &Matchers, schema: Located<'_>, seed: u64) -> Option<Value> {
    let opts = GenOptions {
        seed,
        direction: Direction::Request,
        use_examples: false,
        ..Default::default()
    };
    match generate::generate(matchers, schema, &opts).ok()? {
        Value::Null => None,
        v => Some(Value::String(key_of(&v))),
    }
}

/// A string id generated from `schema` that no item of the list has: one a path carries where
/// `fit` says which do, else the first one not taken.
pub(super) fn text_id(
    call: &Call<'_>,
    schema: Located<'_>,
    fit: Option<&Fit>,
    seed: u64,
    taken: impl Fn(&str) -> bool,
) -> Option<Value> {
    let mut unfit = None;
    for i in 0..ID_ATTEMPTS {
        let Some(id) = generated_id(&call.api.matchers, schema, mix(seed, i)) else {
            continue;
        };
        if taken(&key_of(&id)) {
            continue;
        }
        if fit.is_none_or(|f| f.accepts(&id)) {
            return Some(id);
        }
        unfit.get_or_insert(id);
    }
    unfit
}
