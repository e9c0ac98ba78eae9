//! Values CRUD makes: ids, items filled in from their schema (and completed where the item
//! schema is stricter than the request's), merge patches, and answers in the shape each
//! operation's response schema gives them.

use serde_json::{Map, Value};

use super::CrudError;
use super::answers::{ListShape, Target};
use super::infer::{Model, OpPlan};
use crate::schema::generate::{self, Direction, GenOptions, Rng};
use crate::schema::validators::{CompiledSchema, Matchers};
use crate::schema::violation::{Location, Segment, Violation};

/// A value generated for `schema` that satisfies it: schema examples first, then several
/// seeds without them. `None` when the schema defeats the generator.
pub fn generated(matchers: &Matchers, schema: &CompiledSchema, seed: u64) -> Option<Value> {
    let located = super::infer::located(matchers.resources(), schema)?;
    (0..8u64).find_map(|i| {
        let opts = GenOptions {
            seed: mix(seed, i),
            direction: Direction::Response,
            use_examples: i == 0,
            ..GenOptions::default()
        };
        generate::generate(matchers, located, &opts)
            .ok()
            .filter(|v| schema.is_valid(v))
    })
}

/// A seed for the `n`-th thing made from `seed`.
pub fn mix(seed: u64, n: u64) -> u64 {
    Rng::new(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)).next_u64()
}

/// The key an id is stored under: `1` whether it came as the number 1 or the text "1".
pub fn key_of(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => (f as i64).to_string(),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// A UUID with the version 4 layout, made from `seed` and `n`: the same calls give the same
/// ids on every run.
pub fn uuid(seed: u64, n: u64) -> String {
    let mut rng = Rng::new(mix(seed, n));
    let (a, b) = (rng.next_u64(), rng.next_u64());
    let a = (a & !0xF000) | 0x4000;
    let b = (b & !(0xC000 << 48)) | (0x8000 << 48);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

/// Applies a JSON merge patch (RFC 7396): members set to `null` are removed.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(members) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in members {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// A client's members for an item: the ones the server owns (`readOnly`) dropped, and, where
/// the item schema allows no others, the undeclared ones.
pub fn client_members(model: &Model, body: &Map<String, Value>) -> Map<String, Value> {
    body.iter()
        .filter(|(k, _)| !model.read_only.contains(k))
        .filter(|(k, _)| model.closed.as_ref().is_none_or(|c| c.contains(k)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// An item from the client's members: whatever the item schema requires that the client did
/// not send is generated. With the violations the result still has of the item schema (none,
/// mostly): the caller refuses it or [`complete`]s it.
pub fn compose(
    matchers: &Matchers,
    model: &Model,
    members: Map<String, Value>,
    seed: u64,
) -> (Value, Vec<Violation>) {
    let Some(schema) = &model.schema else {
        return (Value::Object(members), Vec::new());
    };
    let filler = generated(matchers, schema, seed);
    let mut item = members.clone();
    if let Some(Value::Object(filler)) = &filler {
        for name in &model.required {
            if !item.contains_key(name)
                && let Some(v) = filler.get(name)
            {
                item.insert(name.clone(), v.clone());
            }
        }
    }
    let item = Value::Object(item);
    let violations = schema.violations(&item, &Location::Body);
    if violations.is_empty() {
        return (item, violations);
    }
    // Schemas whose requirements are not plain `required` lists (`oneOf`, dependencies):
    // the whole generated item under the client's members.
    if let Some(Value::Object(mut full)) = filler {
        full.extend(members);
        let full = Value::Object(full);
        if schema.is_valid(&full) {
            return (full, Vec::new());
        }
    }
    (item, violations)
}

/// An item a request made, as it is stored. The request fitted the operation's own schema
/// (the pipeline checked it), so an item breaking the item schema, which is read from the
/// answers, is the answers' schema being stricter: refused only where the operation declares
/// a status for it (422), else completed from a generated item. A client's id the item schema
/// refuses is refused all the same (400 where no 422 is declared): the item is found by it.
pub fn settle(
    matchers: &Matchers,
    plan: &OpPlan,
    model: &Model,
    item: Value,
    violations: Vec<Violation>,
    seed: u64,
) -> Result<Value, CrudError> {
    if violations.is_empty() {
        return Ok(item);
    }
    let on_id = violations
        .iter()
        .any(|v| member_of(v).is_some_and(|m| model.id.as_deref() == Some(m)));
    match (plan.invalid, on_id) {
        (Some(status), _) => Err(CrudError::Invalid { status, violations }),
        (None, true) => Err(CrudError::Invalid {
            status: 400,
            violations,
        }),
        (None, false) => Ok(complete(matchers, model, item, &violations, seed)),
    }
}

/// An item that breaks the item schema only where the item schema is stricter than the
/// request's (a `minLength` the request body does not have, a member the request may send as
/// `null`, an object the answer gives more members), completed from a generated item: each
/// top-level member a violation is under becomes the client's value over the generated one
/// (objects, member by member), else the generated value, else it is left out (when not
/// required); failing that, the generated item under the client's members that broke
/// nothing. The id member is never touched: the item is stored under it. The item as it was
/// when nothing generated fits.
pub fn complete(
    matchers: &Matchers,
    model: &Model,
    item: Value,
    violations: &[Violation],
    seed: u64,
) -> Value {
    let (Some(schema), Value::Object(members)) = (&model.schema, &item) else {
        return item;
    };
    let Some(Value::Object(filler)) = generated(matchers, schema, seed) else {
        return item;
    };
    let is_id = |name: &str| model.id.as_deref() == Some(name);
    let broken = |violations: &[Violation]| -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for name in violations.iter().filter_map(member_of) {
            if !is_id(name) && !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
        names
    };
    let bad = broken(violations);
    let mut fixed = members.clone();
    let mut todo = bad.clone();
    // First the client's values over the generated ones; then, for the members still broken,
    // the generated ones alone.
    for round in 0..2 {
        for name in &todo {
            match (round, members.get(name), filler.get(name)) {
                (0, Some(c), Some(g)) => {
                    fixed.insert(name.clone(), under(g, c));
                }
                (_, _, Some(g)) => {
                    fixed.insert(name.clone(), g.clone());
                }
                (_, _, None) if !model.required.contains(name) => {
                    fixed.remove(name);
                }
                _ => {}
            }
        }
        let candidate = Value::Object(fixed.clone());
        let left = schema.violations(&candidate, &Location::Body);
        if left.is_empty() {
            return candidate;
        }
        let still = broken(&left);
        todo.retain(|n| still.contains(n));
    }
    let mut whole = filler;
    for (name, value) in members {
        if is_id(name) || !bad.contains(name) {
            whole.insert(name.clone(), value.clone());
        }
    }
    let whole = Value::Object(whole);
    if schema.is_valid(&whole) {
        return whole;
    }
    item
}

/// The top-level member of an item a violation is under.
pub fn member_of(v: &Violation) -> Option<&str> {
    match &v.location {
        Location::Body(steps) => match steps.first() {
            Some(Segment::Key(name)) => Some(name),
            _ => None,
        },
        _ => None,
    }
}

/// `top` over `base`: objects member by member (recursively), anything else `top`.
fn under(base: &Value, top: &Value) -> Value {
    match (base, top) {
        (Value::Object(b), Value::Object(t)) => {
            let mut out = b.clone();
            for (k, v) in t {
                let merged = match out.get(k) {
                    Some(bv) => under(bv, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        _ => top.clone(),
    }
}

/// Checks an item against the item schema.
pub fn violations(model: &Model, item: &Value) -> Vec<Violation> {
    model
        .schema
        .as_ref()
        .map(|s| s.violations(item, &Location::Body))
        .unwrap_or_default()
}

fn visible(model: &Model, item: &Value) -> Value {
    match item {
        Value::Object(m) if !model.write_only.is_empty() => Value::Object(
            m.iter()
                .filter(|(k, _)| !model.write_only.contains(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A stored item in the shape of an answer's schema; `None` when no value of that schema
/// can carry it (the static answer is used then).
pub fn item_answer(
    matchers: &Matchers,
    target: &Target,
    model: &Model,
    item: &Value,
    seed: u64,
) -> Option<Value> {
    let item = visible(model, item);
    let Some(schema) = &target.schema else {
        return Some(item);
    };
    if target.same_as_item {
        return Some(item);
    }
    if let Some(member) = &target.wrap {
        let mut wrapped = target.template.clone();
        wrapped.insert(member.clone(), item.clone());
        let wrapped = Value::Object(wrapped);
        if schema.is_valid(&wrapped) {
            return Some(wrapped);
        }
    }
    // Another schema (a summary, an operation's status, a different type): the item's id
    // where a client looks for it, and as many of the item's members as it holds.
    let id = model.id.as_ref().and_then(|n| item.get(n)).cloned();
    if schema.is_valid(&item) {
        let mut answer = item;
        name_item(schema, target, id.as_ref(), &mut answer);
        return Some(answer);
    }
    let base = generated(matchers, schema, seed)?;
    let Value::Object(members) = &item else {
        return Some(base);
    };
    let held = |k: &String| target.closed.as_ref().is_none_or(|c| c.contains(k));
    // All at once, where it holds them all: else one by one, the id first.
    let mut all = base.clone();
    if let Value::Object(over) = &mut all {
        over.extend(
            members
                .iter()
                .filter(|(k, _)| held(k))
                .map(|(k, v)| (k.clone(), v.clone())),
        );
    }
    if schema.is_valid(&all) {
        name_item(schema, target, id.as_ref(), &mut all);
        return Some(all);
    }
    let mut answer = base;
    name_item(schema, target, id.as_ref(), &mut answer);
    for (k, v) in members {
        if held(k) && Some(k) != target.id_member.as_ref() {
            put(schema, &mut answer, k, v.clone());
        }
    }
    Some(answer)
}

/// Puts the item's id under the answer's member for it (`Target::id_member`), as text or as a
/// number, whichever the answer's schema takes; where it takes neither, the answer is left as
/// it was.
fn name_item(schema: &CompiledSchema, target: &Target, id: Option<&Value>, answer: &mut Value) {
    let (Some(name), Some(id)) = (&target.id_member, id) else {
        return;
    };
    if answer.get(name) == Some(id) {
        return;
    }
    let other = match id {
        Value::String(s) => s
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| s.parse::<u64>().map(Value::from))
            .ok(),
        number => Some(Value::String(key_of(number))),
    };
    for form in std::iter::once(id.clone()).chain(other) {
        if put(schema, answer, name, form) {
            return;
        }
    }
}

/// Puts `value` under `name` in an object answer when the answer's schema still takes it;
/// else the answer stays as it was. Whether it was put.
fn put(schema: &CompiledSchema, answer: &mut Value, name: &str, value: Value) -> bool {
    let Some(map) = answer.as_object_mut() else {
        return false;
    };
    let before = map.insert(name.to_owned(), value);
    if schema.is_valid(answer) {
        return true;
    }
    if let Some(map) = answer.as_object_mut() {
        match before {
            Some(b) => map.insert(name.to_owned(), b),
            None => map.remove(name),
        };
    }
    false
}

/// One page of a list answer.
#[derive(Debug)]
pub struct PageFacts<'a> {
    pub items: Vec<&'a Value>,
    pub total: usize,
    pub more: bool,
    /// The cursor to send for the next page (cursor paging only).
    pub next: Option<u64>,
    pub limit: Option<usize>,
    pub offset: usize,
    pub page: Option<i64>,
}

/// A page in the shape of the list operation's schema; `None` when that schema cannot hold
/// it (the static answer is used then).
pub fn page_answer(
    target: &Target,
    shape: &ListShape,
    model: &Model,
    page: PageFacts<'_>,
) -> Option<Value> {
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|item| {
            let v = visible(model, item);
            match (&shape.items_closed, v) {
                (Some(declared), Value::Object(m)) if !shape.items_same => Value::Object(
                    m.into_iter()
                        .filter(|(k, _)| declared.contains(k))
                        .collect(),
                ),
                (_, v) => v,
            }
        })
        .collect();
    let body = match &shape.array {
        None => Value::Array(items),
        Some(array) => {
            let mut body = shape.template.clone();
            body.insert(array.clone(), Value::Array(items));
            for name in &shape.total {
                body.insert(name.clone(), Value::from(page.total));
            }
            for name in &shape.has_more {
                body.insert(name.clone(), Value::Bool(page.more));
            }
            if let Some(limit) = page.limit {
                for name in &shape.limit {
                    body.insert(name.clone(), Value::from(limit));
                }
            }
            for name in &shape.offset {
                body.insert(name.clone(), Value::from(page.offset));
            }
            if let Some(number) = page.page {
                for name in &shape.page {
                    body.insert(name.clone(), Value::from(number));
                }
            }
            if let Some(next) = &shape.next {
                let value = match page.next {
                    Some(seq) if next.integer => Some(Value::from(seq)),
                    Some(seq) => Some(Value::String(seq.to_string())),
                    None => next.last.clone(),
                };
                match value {
                    Some(v) => body.insert(next.name.clone(), v),
                    None => body.remove(&next.name),
                };
            }
            Value::Object(body)
        }
    };
    match &target.schema {
        Some(schema) if !schema.is_valid(&body) => None,
        _ => Some(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patches_follow_rfc_7396() {
        // The examples of RFC 7396, appendix A.
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!([1, 2]),
                json!({"a": "b", "c": null}),
                json!({"a": "b"}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
            (json!({"a": "b"}), json!(["c"]), json!(["c"])),
        ];
        for (mut target, patch, want) in cases {
            merge_patch(&mut target, &patch);
            assert_eq!(target, want, "patch {patch}");
        }
    }

    #[test]
    fn ids_are_keyed_alike_as_numbers_and_text() {
        assert_eq!(key_of(&json!(1)), "1");
        assert_eq!(key_of(&json!("1")), "1");
        assert_eq!(key_of(&json!(1.0)), "1");
        assert_eq!(key_of(&json!("a b")), "a b");
    }

    #[test]
    fn uuids_have_the_version_4_layout_and_repeat_per_seed() {
        let u = uuid(7, 1);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        assert_eq!(u, uuid(7, 1));
        assert_ne!(u, uuid(7, 2));
    }
}
