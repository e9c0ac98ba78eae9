//! Compiling an error schema into a plan: the schema merged by `schema::merge` (`$ref`,
//! `allOf`, the tightest bounds), an `anyOf`/`oneOf` branch picked, then each member's role
//! decided (see `names`) and what it carries planned.

use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use crate::document::refs::{Located, Resources};
use crate::schema::merge::{ARR, MergeError, Merged, Merger, OBJ, Reach};

use super::names::{
    Mode, Role, Shape, error_role, item_role, names_an_error_part, normalise, settle_roles,
};
use super::plan::{Fill, ItemPlan, ListPlan, Member, ObjectPlan};
use super::scalar::{Kind, Scalar, same};

/// How deep schemas may nest (through properties, items and `anyOf`/`oneOf` branches) before
/// compiling gives up: a schema that deep is a cycle, not an error format. (`$ref` and `allOf`
/// cycles are the merge's to find.)
const MAX_DEPTH: usize = 32;

/// The most characters or items a member is padded to (`minLength`, `minItems`). A schema
/// that asks for more is no error format: compiling fails and the caller falls back, where
/// filling it would take the loader's time and memory (`minLength: 9007199254740993`).
pub(super) const MAX_FILL: u64 = 10_000;

/// Stands in for timestamps the facts do not carry: a constant keeps answers reproducible.
const EPOCH: &str = "1970-01-01T00:00:00Z";
const EPOCH_DATE: &str = "1970-01-01";
/// Stands in for request and trace ids the facts do not carry.
const NIL_ID: &str = "00000000-0000-0000-0000-000000000000";

/// The plan for the error schema `schema` (see `ErrorShape::compile`): fails, with the reason,
/// when the schema is not an object with a member that can carry the status, title, detail or
/// violations.
pub(super) fn compile<'a>(
    resources: &'a Resources,
    schema: Located<'a>,
    example: Option<&'a Value>,
) -> Result<ObjectPlan, String> {
    let compiler = Compiler {
        merger: Merger {
            resources,
            reach: Reach {
                dynamic_ref: false,
                if_then: false,
            },
        },
    };
    let mut flat = compiler.flatten(&[schema], 0)?;
    if let Some(reason) = &flat.merged.never {
        return Err(format!("{reason}: no body can match the schema"));
    }
    if !flat.is_object() {
        return Err(match flat.merged.types {
            Some(bits) => {
                let names: Vec<&str> = Kind::from_bits(bits).into_iter().map(Kind::name).collect();
                format!("the schema is of type {}, not an object", names.join("|"))
            }
            None => "the schema declares no object properties".to_owned(),
        });
    }
    let mut root = compiler.object(&flat, example, Mode::Error, 0)?;
    if !root.carries_facts() && flat.add_example_members(example) {
        root = compiler.object(&flat, example, Mode::Error, 0)?;
    }
    if !root.carries_facts() {
        return Err(
            "no member of the schema can carry the status, title, detail or violations".to_owned(),
        );
    }
    Ok(root)
}

/// One schema merged, with its `anyOf`/`oneOf`s settled: the branch to fill merged in too, or,
/// when no branch is an object to fill, every branch kept as an alternative.
struct Flat<'a> {
    merged: Merged<'a>,
    /// Each property's schemas, one per member of the conjunction that declares it, in the
    /// order met.
    properties: Vec<(&'a String, Vec<Located<'a>>)>,
    /// The `items` of every member.
    items: Vec<Located<'a>>,
    /// `enum` and `const`, intersected.
    allowed: Option<Vec<Value>>,
    /// The branches of an `anyOf`/`oneOf` none of which is an object to fill.
    alternatives: Vec<Flat<'a>>,
    /// How many of the last `properties` only the example shows (see
    /// [`Flat::add_example_members`]).
    from_example: usize,
}

impl<'a> Flat<'a> {
    fn new(merged: Merged<'a>, alternatives: Vec<Flat<'a>>) -> Self {
        let mut properties: Vec<(&'a String, Vec<Located<'a>>)> = Vec::new();
        for branch in &merged.obj {
            for (name, value) in branch.props.into_iter().flatten() {
                let at = Located {
                    base: branch.base,
                    value,
                };
                match properties.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, subs)) => subs.push(at),
                    None => properties.push((name, vec![at])),
                }
            }
        }
        let items = merged
            .arr
            .iter()
            .filter_map(|b| {
                b.items.map(|value| Located {
                    base: b.base,
                    value,
                })
            })
            .collect();
        let allowed = allowed(&merged);
        Flat {
            merged,
            properties,
            items,
            allowed,
            alternatives,
            from_example: 0,
        }
    }

    /// The declared kinds, text first; empty when no `type` says (or none is known).
    fn kinds(&self) -> Vec<Kind> {
        self.merged.types.map(Kind::from_bits).unwrap_or_default()
    }

    fn is_object(&self) -> bool {
        match self.merged.types {
            Some(bits) => bits & OBJ != 0,
            None => !self.properties.is_empty(),
        }
    }

    /// An object with properties to fill.
    fn fills_object(&self) -> bool {
        self.is_object() && !self.properties.is_empty()
    }

    fn is_array(&self) -> bool {
        match self.merged.types {
            Some(bits) => bits & ARR != 0,
            None => !self.items.is_empty(),
        }
    }

    /// Has a property whose name says it carries part of an error.
    fn looks_like_error(&self) -> bool {
        self.properties
            .iter()
            .any(|(name, _)| names_an_error_part(&normalise(name)))
    }

    /// The schema's own example: `examples[0]` (else `default`), else `example`.
    fn sample(&self) -> Option<&'a Value> {
        self.merged.example.or(self.merged.oas_example)
    }

    fn is_required(&self, name: &str) -> bool {
        self.merged.required.contains(&name)
    }

    /// Whether the object takes members it does not declare, whatever their names and values.
    fn takes_any_member(&self) -> bool {
        let any = |schema: Option<&Value>| match schema {
            None | Some(Value::Bool(true)) => true,
            Some(Value::Object(m)) => m.is_empty(),
            Some(_) => false,
        };
        !self.merged.closed
            && self.merged.prop_names.is_empty()
            && self
                .merged
                .obj
                .iter()
                .all(|b| b.patterns.is_none() && any(b.additional))
    }

    /// Declares the example's members named like part of an error (a string or a number)
    /// that the schema does not declare but takes: Slack's errors declare only `ok: false`,
    /// and their examples show the `error` member the API says what went wrong in. Says
    /// whether any was added.
    fn add_example_members(&mut self, example: Option<&'a Value>) -> bool {
        let Some(Value::Object(members)) = example else {
            return false;
        };
        if !self.takes_any_member() {
            return false;
        }
        let before = self.properties.len();
        for (name, value) in members {
            let schema: &'static Value = match value {
                Value::String(_) => &STRING,
                Value::Number(n) if n.is_i64() || n.is_u64() => &INTEGER,
                _ => continue,
            };
            let known = self.properties.iter().any(|(n, _)| *n == name);
            if !known && names_an_error_part(&normalise(name)) {
                let at = Located {
                    base: "",
                    value: schema,
                };
                self.properties.push((name, vec![at]));
            }
        }
        self.from_example = self.properties.len() - before;
        self.from_example > 0
    }

    /// Whether the property at `index` is one only the example shows.
    fn only_in_example(&self, index: usize) -> bool {
        index >= self.properties.len() - self.from_example
    }
}

/// The schemas of members only an example shows (see `Flat::add_example_members`).
static STRING: LazyLock<Value> = LazyLock::new(|| json!({"type": "string"}));
static INTEGER: LazyLock<Value> = LazyLock::new(|| json!({"type": "integer"}));

/// The values every `const` and `enum` allow, in the order of the first; `None` when there is
/// neither.
fn allowed(merged: &Merged<'_>) -> Option<Vec<Value>> {
    let mut lists = merged
        .consts
        .iter()
        .map(|c| std::slice::from_ref(*c))
        .chain(merged.enums.iter().copied());
    let first = lists.next()?;
    let rest: Vec<&[Value]> = lists.collect();
    Some(
        first
            .iter()
            .filter(|v| rest.iter().all(|list| list.iter().any(|o| same(o, v))))
            .cloned()
            .collect(),
    )
}

fn merge_error(e: MergeError) -> String {
    match e {
        MergeError::Ref { source, .. } => source.to_string(),
        MergeError::Cycle { origin } => match origin {
            Some(origin) => format!("the schema at {origin} includes itself through `$ref`"),
            None => "the schema includes itself through `$ref` or `allOf`".to_owned(),
        },
    }
}

fn too_deep(depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("the schema nests too deeply (a reference cycle?)".to_owned());
    }
    Ok(())
}

/// `Err` when a member must be padded past [`MAX_FILL`].
fn fillable(keyword: &str, bound: usize) -> Result<(), String> {
    let n = u64::try_from(bound).unwrap_or(u64::MAX);
    if n > MAX_FILL {
        return Err(format!(
            "`{keyword}: {n}` asks for more than an error body is padded to ({MAX_FILL})"
        ));
    }
    Ok(())
}

struct Compiler<'a> {
    merger: Merger<'a>,
}

impl<'a> Compiler<'a> {
    /// The conjunction `schemas` merged, each `anyOf`/`oneOf` met settled: the first branch
    /// that is an object with a property named like part of an error is merged in, else the
    /// first object with properties, else every branch is kept as an alternative.
    fn flatten(&self, schemas: &[Located<'a>], depth: usize) -> Result<Flat<'a>, String> {
        too_deep(depth)?;
        let mut conj = schemas.to_vec();
        let mut settled = Vec::new();
        let mut alternatives = Vec::new();
        loop {
            let merged = self.merger.merge(&conj, &settled).map_err(merge_error)?;
            let Some(choice) = merged.choices.first() else {
                return Ok(Flat::new(merged, alternatives));
            };
            settled.push(choice.id);
            let (base, branches) = (choice.base, choice.branches);
            let mut flats = Vec::with_capacity(branches.len());
            for value in branches {
                let at = Located { base, value };
                flats.push((at, self.flatten(&[at], depth + 1)?));
            }
            let objects = || flats.iter().filter(|(_, f)| f.fills_object());
            let chosen = objects()
                .find(|(_, f)| f.looks_like_error())
                .or_else(|| objects().next())
                .map(|(at, _)| *at);
            match chosen {
                Some(at) => conj.push(at),
                None => alternatives.extend(flats.into_iter().map(|(_, f)| f)),
            }
        }
    }

    fn scalar(&self, flat: &Flat<'a>, depth: usize) -> Result<Scalar, String> {
        let alternatives = flat
            .alternatives
            .iter()
            .map(|alt| self.scalar(alt, depth + 1))
            .collect::<Result<_, _>>()?;
        let m = &flat.merged;
        fillable("minLength", m.min_len)?;
        Ok(Scalar {
            kinds: flat.kinds(),
            allowed: flat.allowed.clone(),
            min_length: (m.min_len > 0).then_some(m.min_len),
            max_length: m.max_len,
            lo: m.lo,
            hi: m.hi,
            alternatives,
            fallback: self.minimal(flat, depth)?,
        })
    }

    fn object(
        &self,
        flat: &Flat<'a>,
        example: Option<&Value>,
        mode: Mode,
        depth: usize,
    ) -> Result<ObjectPlan, String> {
        too_deep(depth)?;
        let mut props = Vec::with_capacity(flat.properties.len());
        let mut names = Vec::with_capacity(flat.properties.len());
        let mut roles = Vec::with_capacity(flat.properties.len());
        for (name, schemas) in &flat.properties {
            let sub = self.flatten(schemas, depth + 1)?;
            let shape = if sub.fills_object() {
                Shape::Object
            } else if sub.is_array() {
                Shape::Array
            } else {
                Shape::Scalar
            };
            let scalar = self.scalar(&sub, depth + 1)?;
            let normalised = normalise(name);
            roles.push(match mode {
                Mode::Error => error_role(&normalised, shape, &scalar),
                Mode::Item => item_role(&normalised, shape, &scalar),
            });
            names.push(normalised);
            props.push((*name, sub, scalar));
        }
        settle_roles(&names, &mut roles, mode);
        // A member only the example shows, where the schema has no place for the detail
        // (Slack's `error` beside `ok: false`): it says what went wrong, violations and all,
        // as the one place the API has for it. (A lone title-like member the schema declares
        // keeps the title: see the module doc.)
        if mode == Mode::Error && !roles.iter().any(|r| matches!(r, Role::Detail | Role::List)) {
            let shown =
                (0..roles.len()).find(|&i| flat.only_in_example(i) && roles[i] == Role::Title);
            if let Some(i) = shown {
                roles[i] = Role::Detail;
            }
        }

        let list_carries_facts = !roles
            .iter()
            .any(|r| matches!(r, Role::Title | Role::Detail | Role::Message));

        let mut members = Vec::with_capacity(props.len());
        for ((name, sub, scalar), role) in props.into_iter().zip(roles) {
            let required = flat.is_required(name);
            let own_example = example.and_then(|e| e.get(name.as_str()));
            let fill = match role {
                Role::Status => Some(Fill::Status(scalar)),
                Role::Title => Some(Fill::Title(scalar)),
                Role::Detail => Some(Fill::Detail(scalar)),
                Role::Message => Some(Fill::Message(scalar)),
                Role::Keyword => Some(Fill::Keyword(scalar)),
                Role::TypeUrn => Some(Fill::TypeUrn(scalar)),
                Role::Path(form) => Some(Fill::Path(scalar, form)),
                Role::PathSegments => {
                    let element = self.flatten(&sub.items, depth + 1)?;
                    Some(Fill::PathSegments {
                        element: self.scalar(&element, depth + 1)?,
                    })
                }
                Role::ProblemType => {
                    let candidates: Vec<Value> = own_example
                        .cloned()
                        .into_iter()
                        .chain([json!("about:blank")])
                        .collect();
                    Some(Fill::Fixed(scalar.fit(&candidates)))
                }
                Role::Instance => Some(Fill::Instance(
                    scalar,
                    own_example.or(sub.sample()).cloned(),
                )),
                Role::Timestamp | Role::RequestId if required || own_example.is_some() => {
                    let constant = match (role, sub.merged.format) {
                        (Role::RequestId, _) => json!(NIL_ID),
                        (_, Some("date")) => json!(EPOCH_DATE),
                        (_, _) if scalar.prefers_number() => json!(0),
                        _ => json!(EPOCH),
                    };
                    let candidates: Vec<Value> =
                        own_example.cloned().into_iter().chain([constant]).collect();
                    Some(Fill::Fixed(scalar.fit(&candidates)))
                }
                Role::Timestamp | Role::RequestId => None,
                Role::List => {
                    let item_flat = self.flatten(&sub.items, depth + 1)?;
                    let item_example = own_example.and_then(|e| e.get(0));
                    // Items with no place for a path or a message (Google's `details`) take
                    // no violations: those are folded into the detail instead.
                    let item = if item_flat.fills_object() {
                        let plan = self.object(&item_flat, item_example, Mode::Item, depth + 1)?;
                        plan.carries_violations()
                            .then(|| ItemPlan::Object(plan.item()))
                    } else {
                        let scalar = self.scalar(&item_flat, depth + 1)?;
                        scalar.is_text().then(|| ItemPlan::Text(Box::new(scalar)))
                    };
                    fillable("minItems", sub.merged.min_items)?;
                    match item {
                        Some(item) => Some(Fill::List(ListPlan {
                            item,
                            min_items: sub.merged.min_items,
                            max_items: sub.merged.max_items,
                            carries_facts: list_carries_facts,
                        })),
                        None if required => {
                            Some(Fill::Fixed(self.known_value(&sub, own_example, depth)?))
                        }
                        None => None,
                    }
                }
                Role::Nested => {
                    let plan = self.object(&sub, own_example, mode, depth + 1)?;
                    let useful = match mode {
                        Mode::Error => plan.carries_facts(),
                        Mode::Item => plan.carries_violations(),
                    };
                    if useful {
                        Some(Fill::Object(plan))
                    } else if required {
                        Some(Fill::Fixed(self.known_value(&sub, own_example, depth)?))
                    } else {
                        None
                    }
                }
                Role::Context => Some(Fill::Fixed(self.minimal(&sub, depth + 1)?)),
                Role::Other if required => {
                    Some(Fill::Fixed(self.known_value(&sub, own_example, depth)?))
                }
                Role::Other => None,
            };
            if let Some(fill) = fill {
                members.push(Member {
                    key: format!("{}:", Value::String(name.clone())).into(),
                    fill,
                    required,
                    fallback: self.known_value(&sub, own_example, depth)?,
                });
            }
        }
        Ok(ObjectPlan { members })
    }

    /// The example's value, else the schema's own example, else a minimal valid value.
    fn known_value(
        &self,
        flat: &Flat<'a>,
        example: Option<&Value>,
        depth: usize,
    ) -> Result<Value, String> {
        match example.or(flat.sample()) {
            Some(v) => Ok(v.clone()),
            None => self.minimal(flat, depth + 1),
        }
    }

    /// A small value valid against `flat` (short of `pattern`s, `multipleOf`s and most
    /// `format`s). Fails when the value could not be small (see [`MAX_FILL`]).
    fn minimal(&self, flat: &Flat<'a>, depth: usize) -> Result<Value, String> {
        too_deep(depth)?;
        if let Some(allowed) = &flat.allowed {
            return Ok(allowed
                .iter()
                .find(|v| !v.is_null())
                .or(allowed.first())
                .cloned()
                .unwrap_or(Value::Null));
        }
        let m = &flat.merged;
        if m.types.is_none()
            && let Some(first) = flat.alternatives.first()
        {
            return self.minimal(first, depth + 1);
        }
        let kind = match m.types {
            Some(_) => {
                let kinds = flat.kinds();
                if kinds.contains(&Kind::Object) && !flat.properties.is_empty() {
                    Kind::Object
                } else {
                    kinds
                        .iter()
                        .copied()
                        .find(|k| *k != Kind::Null)
                        .or(kinds.first().copied())
                        .unwrap_or(Kind::Null)
                }
            }
            None if !flat.properties.is_empty() || !m.required.is_empty() => Kind::Object,
            None if !flat.items.is_empty() => Kind::Array,
            None => Kind::Null,
        };
        Ok(match kind {
            Kind::Object => {
                let mut out = Map::new();
                for name in &m.required {
                    let value = match flat.properties.iter().find(|(n, _)| n == name) {
                        Some((_, schemas)) => {
                            self.minimal(&self.flatten(schemas, depth + 1)?, depth + 1)?
                        }
                        None => Value::Null,
                    };
                    out.insert((*name).to_owned(), value);
                }
                Value::Object(out)
            }
            Kind::Array => {
                fillable("minItems", m.min_items)?;
                let item = self.minimal(&self.flatten(&flat.items, depth + 1)?, depth + 1)?;
                Value::Array(vec![item; m.min_items])
            }
            Kind::String => {
                let mut s = match m.format {
                    Some("date-time") => EPOCH.to_owned(),
                    Some("date") => EPOCH_DATE.to_owned(),
                    Some("uri" | "iri") => "about:blank".to_owned(),
                    Some("uuid") => NIL_ID.to_owned(),
                    Some("email") => "user@example.com".to_owned(),
                    _ => String::new(),
                };
                fillable("minLength", m.min_len)?;
                // At most `MAX_FILL`, checked just above.
                let short = m.min_len.saturating_sub(s.chars().count());
                s.extend(std::iter::repeat_n('x', short));
                Value::String(s)
            }
            Kind::Integer | Kind::Number => {
                let mut n = 0.0_f64;
                if let Some(b) = m.lo {
                    n = n.max(if b.exclusive {
                        b.value.floor() + 1.0
                    } else {
                        b.value.ceil()
                    });
                }
                if let Some(b) = m.hi {
                    n = n.min(if b.exclusive {
                        b.value.ceil() - 1.0
                    } else {
                        b.value.floor()
                    });
                }
                json!(n as i64)
            }
            Kind::Boolean => Value::Bool(false),
            Kind::Null => Value::Null,
        })
    }
}
