//! Invalid values: each breaks one constraint of the schema, everything else about it valid,
//! and names the constraint as the validator reports it (keyword and instance path).
//!
//! Only constraints the schema has can be broken, and only where one break is one report:
//! a wrong type where `type` was written (not next to an `enum`, which would fail too), a
//! bound crossed by a value that is still a multiple of `multipleOf`, a string too long only
//! where no `pattern` or `format` also speaks about it. Inside an `anyOf`/`oneOf`, a break in
//! one branch is only offered when no other branch could take the value (the branches' types
//! differ, or a discriminator selects the branch); at the branch's own level the validator
//! reports the choice itself, so the keyword becomes `anyOf`/`oneOf`.

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::valid::{number, plain_char};
use super::{Broken, Invalid};
use crate::schema::pattern::Pattern;
use crate::schema::tree::{
    ANY, ARR, ArrSpec, BOOL, INT, IntSpec, Kind, NULL, NUM, Node, NumSpec, OBJ, ObjSpec, STR,
    StrSpec, UnionNode, node_types, round_to,
};
use crate::schema::violation::{Keyword, Segment};

/// One way to break the schema: what breaks, and the values that break it so.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub broken: Broken,
    pub values: BoxedStrategy<Value>,
}

impl Case {
    fn new(keyword: &str, values: BoxedStrategy<Value>) -> Self {
        Case {
            broken: Broken {
                keyword: Keyword::named(keyword.to_owned()),
                path: Vec::new(),
            },
            values,
        }
    }

    /// How many steps into the value the validator's error sits: `required` and
    /// `additionalProperties` are errors of the object, reported with the key appended.
    fn level(&self) -> usize {
        match self.broken.keyword.as_str() {
            "required" | "additionalProperties" => self.broken.path.len().saturating_sub(1),
            _ => self.broken.path.len(),
        }
    }

    /// The same break one step down: its values placed at `step` in values of `shell`.
    fn under(mut self, step: Segment, shell: BoxedStrategy<Value>) -> Self {
        let at = step.clone();
        self.values = (shell, self.values)
            .prop_map(move |(mut outer, inner)| {
                match (&mut outer, &at) {
                    (Value::Object(m), Segment::Key(k)) => {
                        m.insert(k.clone(), inner);
                    }
                    (Value::Array(items), Segment::Index(i)) => {
                        if let Some(slot) = items.get_mut(*i) {
                            *slot = inner;
                        }
                    }
                    _ => {}
                }
                outer
            })
            .boxed();
        self.broken.path.insert(0, step);
        self
    }

    pub(crate) fn strategy(self) -> BoxedStrategy<Invalid> {
        let broken = self.broken;
        self.values
            .prop_map(move |value| Invalid {
                value,
                broken: broken.clone(),
            })
            .boxed()
    }
}

fn just(value: Value, keyword: &str) -> Case {
    Case::new(keyword, Just(value).boxed())
}

fn from(s: BoxedStrategy<Value>, keyword: &str) -> Case {
    Case::new(keyword, s)
}

/// A value of a type outside `types`, if there is one.
fn wrong_type(types: u8) -> Option<Value> {
    let candidates = [
        (STR, Value::String("not-the-right-type".into())),
        (INT, Value::from(7)),
        (OBJ, Value::Object(Map::new())),
        (ARR, Value::Array(Vec::new())),
        (BOOL, Value::Bool(true)),
        (NULL, Value::Null),
    ];
    for (bits, v) in candidates {
        if types & bits == 0 {
            return Some(v);
        }
    }
    // Integers only: a fraction is the wrong type.
    (types & NUM == 0).then(|| number(1.5))
}

/// Every way to break one constraint of `node`.
pub(crate) fn invalids(node: &Node) -> Vec<Case> {
    match node {
        Node::Any => Vec::new(),
        Node::Fixed {
            values, keyword, ..
        } => outside(values, keyword).into_iter().collect(),
        Node::Union(u) => union(u),
        Node::Typed {
            explicit, kinds, ..
        } => {
            let mut out = Vec::new();
            let types = kinds.iter().fold(0, |a, k| a | k.bits());
            if *explicit
                && types != ANY
                && let Some(v) = wrong_type(types)
            {
                out.push(just(v, "type"));
            }
            for k in kinds {
                out.extend(kind(k));
            }
            out
        }
    }
}

/// A value like the listed ones but not among them.
fn outside(values: &[Value], keyword: &'static str) -> Option<Case> {
    let first = values.first()?;
    let vs = values.to_vec();
    let s = match first {
        Value::String(_) => "[a-z]{1,6}"
            .prop_map(|s| Value::String(format!("zz-{s}")))
            .boxed(),
        Value::Number(_) => {
            let top = values.iter().filter_map(Value::as_f64).fold(0.0, f64::max);
            let start = top.floor() as i64 + 1;
            (start..start + 100).prop_map(Value::from).boxed()
        }
        Value::Bool(b) if values.len() == 1 => Just(Value::Bool(!b)).boxed(),
        Value::Object(_) => Just(serde_json::json!({"zz-unexpected": true})).boxed(),
        Value::Array(_) => Just(serde_json::json!(["zz-unexpected"])).boxed(),
        _ => return None,
    };
    Some(from(
        s.prop_filter("not among the values", move |v| !vs.contains(v))
            .boxed(),
        keyword,
    ))
}

fn union(u: &UnionNode) -> Vec<Case> {
    let mut out = Vec::new();
    let choice_kw = if u.explicit_type || u.discriminated.is_some() {
        "type"
    } else {
        u.keyword
    };
    if u.types != ANY
        && let Some(v) = wrong_type(u.types)
    {
        out.push(just(v, choice_kw));
    }
    if let Some(prop) = &u.discriminated {
        // The validation view turns the choice into a selection by the property: an unknown
        // value is an `enum` failure on it, and a break inside a branch is reported as is.
        if let Some(first) = u.alts.first() {
            let key = prop.clone();
            let values = first
                .node
                .valid()
                .prop_filter_map("an object", move |v| {
                    let mut m = v.as_object()?.clone();
                    m.insert(key.clone(), Value::String("zz-unknown-kind".into()));
                    Some(Value::Object(m))
                })
                .boxed();
            let mut case = Case::new("enum", values);
            case.broken.path.push(Segment::Key(prop.clone()));
            out.push(case);
        }
        let own = Segment::Key(prop.clone());
        for alt in &u.alts {
            for case in branch_cases(&alt.node) {
                if case.broken.path.first() != Some(&own) {
                    out.push(case);
                }
            }
        }
        return out;
    }
    for (i, alt) in u.alts.iter().enumerate() {
        let others = u
            .alts
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .fold(0, |a, (_, o)| a | node_types(&o.node));
        if node_types(&alt.node) & others != 0 {
            continue;
        }
        for mut case in branch_cases(&alt.node) {
            if case.level() == 0 {
                // The branch's type fits: the choice is what the validator reports.
                case.broken = Broken {
                    keyword: Keyword::named(u.keyword.to_owned()),
                    path: Vec::new(),
                };
            }
            out.push(case);
        }
    }
    out
}

/// The breaks of one branch of a choice, without wrong types of the branch itself (the
/// choice reports those).
fn branch_cases(node: &Node) -> Vec<Case> {
    match node {
        Node::Typed { kinds, .. } => kinds.iter().flat_map(kind).collect(),
        other => invalids(other),
    }
}

fn kind(k: &Kind) -> Vec<Case> {
    match k {
        Kind::Null | Kind::Bool => Vec::new(),
        Kind::Int(i) => int(i),
        Kind::Num(n) => num(n),
        Kind::Str(s) => string(s),
        Kind::Arr(a) => array(a),
        Kind::Obj(o) => object(o),
    }
}

fn int(i: &IntSpec) -> Vec<Case> {
    let mut out = Vec::new();
    let step = i.step;
    if let Some(lo) = i.lo {
        let start = (i.kmin - 1).saturating_mul(step);
        out.push(from(
            (0i64..50)
                .prop_map(move |k| Value::from(start - k * step))
                .boxed(),
            lo.keyword(true),
        ));
    }
    if let Some(hi) = i.hi {
        let start = (i.kmax + 1).saturating_mul(step);
        out.push(from(
            (0i64..50)
                .prop_map(move |k| Value::from(start + k * step))
                .boxed(),
            hi.keyword(false),
        ));
    }
    if i.multiple_of.is_some_and(|m| m == step as f64) && step > 1 && i.kmax > i.kmin {
        out.push(from(
            (i.kmin..i.kmax)
                .prop_map(move |k| Value::from(k * step + 1))
                .boxed(),
            "multipleOf",
        ));
    }
    out
}

fn num(n: &NumSpec) -> Vec<Case> {
    let mut out = Vec::new();
    // A number that is still a multiple when there is a `multipleOf`.
    let m = n.multiple_of;
    let floor_to = move |v: f64, strict: bool| match m {
        Some(m) => {
            let mut k = (v / m).floor();
            if strict && (k * m - v).abs() < 1e-12 {
                k -= 1.0;
            }
            k * m
        }
        None if strict => v - 1.0,
        None => v,
    };
    let ceil_to = move |v: f64, strict: bool| match m {
        Some(m) => {
            let mut k = (v / m).ceil();
            if strict && (k * m - v).abs() < 1e-12 {
                k += 1.0;
            }
            k * m
        }
        None if strict => v + 1.0,
        None => v,
    };
    let unit = m.unwrap_or(1.0);
    let decimals = m.map_or(0, |m| {
        format!("{m}").split_once('.').map_or(0, |(_, f)| f.len())
    });
    if let Some(lo) = n.lo {
        let start = floor_to(lo.value, !lo.exclusive);
        out.push(from(
            (0u32..50)
                .prop_map(move |k| number(round_to(start - f64::from(k) * unit, decimals)))
                .boxed(),
            lo.keyword(true),
        ));
    }
    if let Some(hi) = n.hi {
        let start = ceil_to(hi.value, !hi.exclusive);
        out.push(from(
            (0u32..50)
                .prop_map(move |k| number(round_to(start + f64::from(k) * unit, decimals)))
                .boxed(),
            hi.keyword(false),
        ));
    }
    if let Some(m) = m {
        let spec = n.clone();
        let a = n.lo.map_or(0.0, |b| b.value);
        let k0 = (a / m).ceil() as i64;
        out.push(from(
            (k0..k0 + 50)
                .prop_map(move |k| number(round_to((k as f64 + 0.5) * m, decimals + 1)))
                .prop_filter("within the bounds", move |v| {
                    v.as_f64().is_some_and(|x| {
                        spec.lo.is_none_or(|b| x > b.value) && spec.hi.is_none_or(|b| x < b.value)
                    })
                })
                .boxed(),
            "multipleOf",
        ));
    }
    out
}

/// Strings that break formats the validator checks.
fn bad_format(format: &str) -> Option<&'static str> {
    Some(match format {
        "email" | "idn-email" => "not-an-email",
        "uuid" => "not-a-uuid",
        "date-time" => "2024-13-45T99:99:99Z",
        "date" => "2024-13-45",
        "time" => "25:61:61Z",
        "ipv4" => "999.1.1.1",
        "ipv6" => "not:an:ipv6",
        "hostname" | "idn-hostname" => "-bad-.example.com",
        "uri" | "iri" => "no scheme here",
        _ => return None,
    })
}

fn string(s: &StrSpec) -> Vec<Case> {
    let mut out = Vec::new();
    let free = s.patterns.is_empty() && s.format.is_none();
    if free && s.min > 0 {
        out.push(from(
            proptest::collection::vec(plain_char(), 0..s.min)
                .prop_map(|cs| Value::String(cs.into_iter().collect()))
                .boxed(),
            "minLength",
        ));
    }
    if free && let Some(max) = s.max {
        out.push(from(
            proptest::collection::vec(plain_char(), max + 1..=max + 4)
                .prop_map(|cs| Value::String(cs.into_iter().collect()))
                .boxed(),
            "maxLength",
        ));
    }
    if s.format.is_none()
        && let Some(first) = s.patterns.first()
        && let Ok(p) = Pattern::parse(first)
    {
        let others: Vec<Pattern> = s.patterns[1..]
            .iter()
            .filter_map(|o| Pattern::parse(o).ok())
            .collect();
        let n = s.min.max(1);
        let candidates: Vec<Value> = [
            String::new(),
            "!".repeat(n),
            "~".repeat(n),
            " ".repeat(n),
            "0".repeat(n),
            "a".repeat(n),
            "A".repeat(n),
            "-".repeat(n),
            "é".repeat(n),
            "zz top".to_owned(),
        ]
        .into_iter()
        .filter(|c| {
            s.fits(c)
                && p.is_match(c) == Some(false)
                && others.iter().all(|o| o.is_match(c) == Some(true))
        })
        .map(Value::String)
        .collect();
        if !candidates.is_empty() {
            out.push(from(
                proptest::sample::select(candidates).boxed(),
                "pattern",
            ));
        }
    }
    if s.patterns.is_empty()
        && let Some(bad) = s.format.as_deref().and_then(bad_format)
        && s.fits(bad)
    {
        out.push(just(Value::String(bad.to_owned()), "format"));
    }
    out
}

/// Arrays of `lo..=hi` valid items.
fn sized(a: &ArrSpec, lo: usize, hi: usize) -> BoxedStrategy<Value> {
    let mut wide = a.clone();
    wide.min = lo;
    wide.max = Some(hi);
    wide.minimal = false;
    let unique = a.unique;
    let slots: Vec<BoxedStrategy<Value>> = (0..hi)
        .map(|i| match a.prefix.get(i) {
            Some(n) => n.valid(),
            None => a
                .items
                .as_ref()
                .map_or_else(|| Just(Value::Null).boxed(), |n| n.valid()),
        })
        .collect();
    (slots, lo..=hi)
        .prop_map(|(mut items, n)| {
            items.truncate(n);
            Value::Array(items)
        })
        .prop_filter("items are unique", move |v| {
            !unique || super::valid::all_unique(v)
        })
        .boxed()
}

/// Whether the items can take at least `n` distinct values.
fn roomy(node: &Node, n: usize) -> bool {
    match node {
        Node::Fixed { values, .. } => values.len() >= n,
        Node::Typed { kinds, .. } => {
            !(kinds.len() == 1
                && matches!(kinds[0], Kind::Null | Kind::Bool)
                && n > kinds.len() * 2 - 1)
        }
        _ => true,
    }
}

fn array(a: &ArrSpec) -> Vec<Case> {
    let mut out = Vec::new();
    if a.min > 0 {
        out.push(from(sized(a, 0, a.min - 1), "minItems"));
    }
    if let (Some(max), Some(items)) = (a.max, &a.items)
        && (!a.unique || roomy(items, max + 1))
    {
        out.push(from(sized(a, max + 1, max + 1), "maxItems"));
    }
    if a.unique && a.prefix.is_empty() && a.items.is_some() && a.max.is_none_or(|m| m >= 2) {
        let n = a.min.max(2);
        out.push(from(
            sized(a, n - 1, n - 1)
                .prop_map(|v| match v {
                    Value::Array(mut items) => {
                        if let Some(first) = items.first().cloned() {
                            items.insert(1, first);
                        }
                        Value::Array(items)
                    }
                    other => other,
                })
                .boxed(),
            "uniqueItems",
        ));
    }
    let item_nodes: Vec<&Node> = if a.prefix.is_empty() {
        a.items.iter().map(|b| &**b).collect()
    } else {
        a.prefix.iter().map(|n| &**n).collect()
    };
    for (i, node) in item_nodes.into_iter().enumerate() {
        if a.max.is_some_and(|m| i >= m) {
            break;
        }
        for case in invalids(node) {
            let shell = a.valid(Some((i, Just(Value::Null).boxed())));
            out.push(case.under(Segment::Index(i), shell));
        }
    }
    out
}

/// A valid object without property `i` (required).
fn missing(o: &ObjSpec, i: usize) -> Case {
    let mut case = Case::new("required", o.valid(None, Some(i)));
    case.broken.path.push(Segment::Key(o.props[i].name.clone()));
    case
}

/// A valid object plus a key no member allows.
fn extra_property(o: &ObjSpec) -> Option<Case> {
    if !o.closed || o.has_patterns || o.max_props.is_some() {
        return None;
    }
    let key = "zz_unexpected";
    if o.props.iter().any(|p| p.name == key) {
        return None;
    }
    let values = o
        .valid(None, None)
        .prop_map(move |v| {
            let mut m = match v {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            m.insert(key.to_owned(), Value::Bool(true));
            Value::Object(m)
        })
        .boxed();
    let mut case = Case::new("additionalProperties", values);
    case.broken.path.push(Segment::Key(key.to_owned()));
    Some(case)
}

fn object(o: &ObjSpec) -> Vec<Case> {
    let mut out = Vec::new();
    for (i, p) in o.props.iter().enumerate() {
        if p.required && o.min_props == 0 {
            out.push(missing(o, i));
        }
        for case in invalids(&p.node) {
            let shell = o.valid(Some((i, Just(Value::Null).boxed())), None);
            out.push(case.under(Segment::Key(p.name.clone()), shell));
        }
    }
    out.extend(extra_property(o));
    let required = o.props.iter().filter(|p| p.required).count();
    if o.min_props > required {
        let mut only = o.clone();
        for p in &mut only.props {
            p.always = p.required;
            p.hidden |= !p.required;
        }
        only.extra = None;
        only.min_props = 0;
        out.push(from(only.valid(None, None), "minProperties"));
    }
    if let Some(max) = o.max_props
        && o.props.len() > max
    {
        let mut all = o.clone();
        for p in &mut all.props {
            p.always = true;
        }
        all.max_props = None;
        out.push(from(all.valid(None, None), "maxProperties"));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    use serde_json::json;

    use super::super::{Direction, compile};
    use crate::document::refs::{Located, Resources};

    fn compiled(schema: serde_json::Value) -> (super::super::Compiled, jsonschema::Validator) {
        let r = Arc::new(Resources::new("file:///t.yaml", json!({"s": schema})));
        let loc = Located {
            base: "file:///t.yaml",
            value: &r.root()["s"],
        };
        let c = compile(&r, loc, Direction::Request).unwrap();
        (c, jsonschema::validator_for(&r.root()["s"]).unwrap())
    }

    #[test]
    fn a_schema_without_constraints_has_no_invalid_values() {
        assert!(compiled(json!({})).0.invalid().is_none());
    }

    #[test]
    fn each_invalid_value_fails_and_names_a_constraint_the_schema_has() {
        let (c, v) = compiled(json!({"type": "object", "required": ["n"],
            "additionalProperties": false, "properties": {
                "n": {"type": "integer", "minimum": 1, "maximum": 9},
                "s": {"type": "string", "pattern": "^[a-z]+$"}}}));
        let s = c.invalid().unwrap();
        let mut runner = TestRunner::deterministic();
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..256 {
            let inv = s.new_tree(&mut runner).unwrap().current();
            assert!(!v.is_valid(&inv.value), "{inv:?}");
            seen.insert(inv.broken.keyword.to_string());
        }
        let want = [
            "additionalProperties",
            "maximum",
            "minimum",
            "pattern",
            "required",
            "type",
        ];
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), want);
    }
}
