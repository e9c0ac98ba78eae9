//! One schema conjunction merged into one set of constraints: the type bits, the merged bounds,
//! lengths, `const`/`enum`s and `not`s, the object and array keyword groups per member, and the
//! `anyOf`/`oneOf` choices still open, and the arithmetic on them (the integer step of the
//! `multipleOf`s, decimal rounding). `generate` (deterministic data) and `tree` (the compiled
//! nodes the proptest strategies read) both build their values from a [`Merged`].
//!
//! Implementation rationale: a schema is handled as a *conjunction* of located subschemas.
//! `$ref` (with its siblings) and `allOf` are flattened into one [`Merged`] whose bounds are the
//! tightest of all members; `anyOf`/`oneOf` are left as [`Choice`]s for the caller, which adds a
//! branch to the conjunction and merges again. Object and array keywords stay grouped per member
//! ([`ObjBranch`], [`ArrBranch`]), because `additionalProperties` and `items` only speak about the
//! `properties` and `prefixItems` next to them. The two callers do not honour the same keywords,
//! so what only one of them reads is kept apart (a field the other ignores, a [`Reach`] flag).

mod keys;

use serde_json::{Map, Number, Value};

use crate::document::refs::{Located, RefError, Resources};

// Type bits. `number` is NUM|INT so that intersecting it with `integer` leaves `integer`.
pub(crate) const NULL: u8 = 1;
pub(crate) const BOOL: u8 = 2;
pub(crate) const OBJ: u8 = 4;
pub(crate) const ARR: u8 = 8;
pub(crate) const NUM: u8 = 16;
pub(crate) const INT: u8 = 32;
pub(crate) const STR: u8 = 64;
pub(crate) const ANY: u8 = 127;

/// The bits of one `type` name (0 for an unknown one).
pub(crate) fn type_bits(name: &str) -> u8 {
    match name {
        "null" => NULL,
        "boolean" => BOOL,
        "object" => OBJ,
        "array" => ARR,
        "number" => NUM | INT,
        "integer" => INT,
        "string" => STR,
        _ => 0,
    }
}

/// The bits a `type` keyword's value allows: one name or a list of them; `None` when malformed.
pub(crate) fn types_of(t: &Value) -> Option<u8> {
    match t {
        Value::String(t) => Some(type_bits(t)),
        Value::Array(ts) => Some(
            ts.iter()
                .filter_map(Value::as_str)
                .map(type_bits)
                .fold(0, |a, b| a | b),
        ),
        _ => None,
    }
}

/// The type bits of a value: an integral number is both an integer and a number.
pub(crate) fn value_bits(v: &Value) -> u8 {
    match v {
        Value::Null => NULL,
        Value::Bool(_) => BOOL,
        Value::Object(_) => OBJ,
        Value::Array(_) => ARR,
        Value::String(_) => STR,
        Value::Number(n) => {
            let integral = n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0);
            if integral { NUM | INT } else { NUM }
        }
    }
}

/// A numeric bound and whether it is exclusive.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bound {
    pub value: f64,
    pub exclusive: bool,
}

impl Bound {
    /// The keyword that sets such a bound.
    pub(crate) fn keyword(&self, lower: bool) -> &'static str {
        match (lower, self.exclusive) {
            (true, false) => "minimum",
            (true, true) => "exclusiveMinimum",
            (false, false) => "maximum",
            (false, true) => "exclusiveMaximum",
        }
    }
}

/// The object keywords of one member of the conjunction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ObjBranch<'a> {
    pub base: &'a str,
    pub props: Option<&'a Map<String, Value>>,
    pub patterns: Option<&'a Map<String, Value>>,
    pub additional: Option<&'a Value>,
}

/// The array keywords of one member of the conjunction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ArrBranch<'a> {
    pub base: &'a str,
    pub prefix: &'a [Value],
    pub items: Option<&'a Value>,
}

/// An `anyOf`/`oneOf` still to be resolved.
#[derive(Debug, Clone)]
pub(crate) struct Choice<'a> {
    /// The branches' array, to recognise the choice when it is reached again.
    pub id: *const Value,
    pub one_of: bool,
    pub base: &'a str,
    pub branches: &'a [Value],
    pub discriminator: Option<&'a Value>,
}

/// The constraints of a conjunction, merged.
#[derive(Debug, Default)]
pub(crate) struct Merged<'a> {
    /// Why no value can satisfy the conjunction (a `false` schema, `not: true`, `not: {}`);
    /// the last reason met.
    pub never: Option<String>,
    /// Some member is the schema `false` (`not: true` and `not: {}` do not count here).
    pub false_schema: bool,
    /// The intersection of every well-formed `type`.
    pub types: Option<u8>,
    /// Some member has a `type` keyword, well-formed or not.
    pub typed: bool,
    /// The types the keywords present suggest.
    pub inferred: u8,
    /// The same, leaving out `propertyNames`, `dependentRequired` and `contains` (which the
    /// fuzz strategies do not honour, so they must not steer the type).
    pub inferred_core: u8,
    /// Types a `not: {type: ...}` rules out.
    pub excluded_types: u8,
    pub consts: Vec<&'a Value>,
    pub enums: Vec<&'a [Value]>,
    pub nots: Vec<Located<'a>>,
    /// The first `examples` entry (or `default`) met.
    pub example: Option<&'a Value>,
    /// The first `default` met.
    pub default: Option<&'a Value>,
    /// The first OpenAPI `example` keyword met (deprecated, but 3.1 documents keep it as it is;
    /// the loader turns 3.0's into `examples`). Only error formats read it.
    pub oas_example: Option<&'a Value>,
    pub read_only: bool,
    pub write_only: bool,
    /// The last `$ref` followed, absolute.
    pub origin: Option<String>,
    pub format: Option<&'a str>,
    pub lo: Option<Bound>,
    pub hi: Option<Bound>,
    pub multiple_of: Vec<f64>,
    pub min_len: usize,
    pub max_len: Option<usize>,
    pub patterns: Vec<&'a str>,
    pub arr: Vec<ArrBranch<'a>>,
    pub min_items: usize,
    pub max_items: Option<usize>,
    pub unique: bool,
    pub contains: Vec<Located<'a>>,
    pub min_contains: Option<usize>,
    pub obj: Vec<ObjBranch<'a>>,
    pub required: Vec<&'a str>,
    pub min_props: usize,
    pub max_props: Option<usize>,
    pub prop_names: Vec<Located<'a>>,
    pub dep_required: Vec<(&'a str, &'a [Value])>,
    /// `unevaluatedProperties: false`: everything a member evaluates stays allowed, so this
    /// only stops extras.
    pub closed: bool,
    pub choices: Vec<Choice<'a>>,
}

fn usize_of(v: Option<&Value>) -> Option<usize> {
    v.and_then(Value::as_u64)
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

fn tighten(slot: &mut Option<Bound>, value: f64, exclusive: bool, lower: bool) {
    let tighter = match *slot {
        None => true,
        Some(cur) if lower => {
            value > cur.value || (value == cur.value && exclusive && !cur.exclusive)
        }
        Some(cur) => value < cur.value || (value == cur.value && exclusive && !cur.exclusive),
    };
    if tighter {
        *slot = Some(Bound { value, exclusive });
    }
}

impl<'a> Merged<'a> {
    /// Merges the keywords of one schema object (not its `$ref`/`allOf`, the merge's own).
    fn absorb(&mut self, base: &'a str, o: &'a Map<String, Value>) {
        let has = |keys: &[&str]| keys.iter().any(|k| o.contains_key(*k));
        let mut core = 0;
        if has(&[
            "properties",
            "required",
            "additionalProperties",
            "patternProperties",
            "minProperties",
            "maxProperties",
        ]) {
            core |= OBJ;
        }
        if has(&[
            "items",
            "prefixItems",
            "minItems",
            "maxItems",
            "uniqueItems",
        ]) {
            core |= ARR;
        }
        if has(&["pattern", "minLength", "maxLength"]) {
            core |= STR;
        }
        if has(&[
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
        ]) {
            core |= NUM | INT;
        }
        self.inferred_core |= core;
        self.inferred |= core;
        if has(&["propertyNames", "dependentRequired"]) {
            self.inferred |= OBJ;
        }
        if has(&["contains"]) {
            self.inferred |= ARR;
        }
        if let Some(t) = o.get("type") {
            self.typed = true;
            if let Some(bits) = types_of(t) {
                self.types = Some(self.types.unwrap_or(ANY) & bits);
            }
        }
        if let Some(c) = o.get("const") {
            self.consts.push(c);
        }
        if let Some(Value::Array(e)) = o.get("enum") {
            self.enums.push(e);
        }
        if self.example.is_none() {
            self.example = match o.get("examples") {
                Some(Value::Array(ex)) => ex.first(),
                _ => None,
            }
            .or_else(|| o.get("default"));
        }
        if self.default.is_none() {
            self.default = o.get("default");
        }
        if self.oas_example.is_none() {
            self.oas_example = o.get("example");
        }
        let flag = |k: &str| o.get(k).and_then(Value::as_bool).unwrap_or(false);
        self.read_only |= flag("readOnly");
        self.write_only |= flag("writeOnly");
        self.unique |= flag("uniqueItems");
        if self.format.is_none() {
            self.format = o.get("format").and_then(Value::as_str);
        }
        let num = |k: &str| o.get(k).and_then(Value::as_f64);
        if let Some(v) = num("minimum") {
            tighten(&mut self.lo, v, false, true);
        }
        if let Some(v) = num("exclusiveMinimum") {
            tighten(&mut self.lo, v, true, true);
        }
        if let Some(v) = num("maximum") {
            tighten(&mut self.hi, v, false, false);
        }
        if let Some(v) = num("exclusiveMaximum") {
            tighten(&mut self.hi, v, true, false);
        }
        if let Some(m) = num("multipleOf").filter(|m| *m > 0.0) {
            self.multiple_of.push(m);
        }
        if let Some(n) = usize_of(o.get("minLength")) {
            self.min_len = self.min_len.max(n);
        }
        if let Some(n) = usize_of(o.get("maxLength")) {
            self.max_len = Some(self.max_len.map_or(n, |m| m.min(n)));
        }
        if let Some(p) = o.get("pattern").and_then(Value::as_str) {
            self.patterns.push(p);
        }
        if let Some(n) = usize_of(o.get("minItems")) {
            self.min_items = self.min_items.max(n);
        }
        if let Some(n) = usize_of(o.get("maxItems")) {
            self.max_items = Some(self.max_items.map_or(n, |m| m.min(n)));
        }
        let prefix = match o.get("prefixItems") {
            Some(Value::Array(p)) => p.as_slice(),
            _ => &[],
        };
        if !prefix.is_empty() || o.contains_key("items") {
            self.arr.push(ArrBranch {
                base,
                prefix,
                items: o.get("items"),
            });
        }
        if let Some(c) = o.get("contains") {
            self.contains.push(Located { base, value: c });
            if let Some(n) = usize_of(o.get("minContains")) {
                self.min_contains = Some(self.min_contains.unwrap_or(0).max(n));
            }
        }
        let props = o.get("properties").and_then(Value::as_object);
        let patterns = o.get("patternProperties").and_then(Value::as_object);
        let additional = o.get("additionalProperties");
        if props.is_some() || patterns.is_some() || additional.is_some() {
            self.obj.push(ObjBranch {
                base,
                props,
                patterns,
                additional,
            });
        }
        if let Some(Value::Array(req)) = o.get("required") {
            for r in req.iter().filter_map(Value::as_str) {
                if !self.required.contains(&r) {
                    self.required.push(r);
                }
            }
        }
        if let Some(n) = usize_of(o.get("minProperties")) {
            self.min_props = self.min_props.max(n);
        }
        if let Some(n) = usize_of(o.get("maxProperties")) {
            self.max_props = Some(self.max_props.map_or(n, |m| m.min(n)));
        }
        if let Some(p) = o.get("propertyNames") {
            self.prop_names.push(Located { base, value: p });
        }
        if let Some(Value::Object(deps)) = o.get("dependentRequired") {
            for (k, v) in deps {
                if let Value::Array(names) = v {
                    self.dep_required.push((k, names));
                }
            }
        }
        self.closed |= o.get("unevaluatedProperties") == Some(&Value::Bool(false));
        if let Some(not) = o.get("not") {
            self.absorb_not(Located { base, value: not });
        }
    }

    /// Every `not` is kept for checking values afterwards; the forms that decide something up
    /// front (reject everything, rule out types) are noted as well.
    fn absorb_not(&mut self, not: Located<'a>) {
        match not.value {
            Value::Bool(true) => self.never = Some("`not: true` rejects everything".into()),
            Value::Object(o) if o.is_empty() => {
                self.never = Some("`not: {}` rejects everything".into());
            }
            Value::Object(o) if o.len() == 1 && o.contains_key("type") => {
                let bits = types_of(&o["type"]).unwrap_or(0);
                // `not: {type: number}` rules out integers too; `not: {type: integer}` does not
                // rule out fractional numbers, so keep NUM in that case.
                self.excluded_types |= if bits & NUM != 0 { bits } else { bits & !NUM };
            }
            _ => {}
        }
        self.nots.push(not);
    }

    /// The type bits every `type` allows.
    pub(crate) fn declared_types(&self) -> u8 {
        self.types.unwrap_or(ANY)
    }

    /// The type bits still possible once `not: {type: ...}` is applied too.
    pub(crate) fn allowed_types(&self) -> u8 {
        let mut t = self.declared_types() & !self.excluded_types;
        if t & NUM != 0 && self.excluded_types & INT != 0 && self.excluded_types & NUM == 0 {
            // Only fractional numbers remain.
            t &= !INT;
            t |= NUM;
        }
        t
    }

    /// Whether `const` or `enum` pins the value.
    pub(crate) fn fixes_value(&self) -> bool {
        !self.consts.is_empty() || !self.enums.is_empty()
    }

    /// The schemas item `i` must satisfy: per array member, its `prefixItems` entry or its
    /// `items`.
    pub(crate) fn item_schemas(&self, i: usize) -> Vec<Located<'a>> {
        let at = |base, value| Located { base, value };
        self.arr
            .iter()
            .filter_map(|b| match b.prefix.get(i) {
                Some(p) => Some(at(b.base, p)),
                None => b.items.map(|it| at(b.base, it)),
            })
            .collect()
    }

    /// The step integers must be multiples of: the least common multiple of every
    /// `multipleOf`, each first scaled to its smallest integral multiple (`0.5` → `1`, `2.5` →
    /// `5`); the step stops growing once past `limit`.
    pub(crate) fn integer_step(&self, limit: u64) -> f64 {
        let gcd = |mut a: u64, mut b: u64| {
            while b != 0 {
                (a, b) = (b, a % b);
            }
            a
        };
        let mut step: u64 = 1;
        for &m in &self.multiple_of {
            let scaled = (1..=1000u32)
                .map(|j| m * f64::from(j))
                .find(|x| (x - x.round()).abs() < 1e-9 && *x >= 1.0)
                .map_or(1, |x| x.round() as u64);
            step = step / gcd(step, scaled) * scaled;
            if step > limit {
                break;
            }
        }
        step as f64
    }

    /// How deep a branch of type bits `t` would nest: 0 for scalars and pinned values, 1 for an
    /// object or array that may stay empty, 2 otherwise. Past the soft depth, choices keep the
    /// flattest branches so recursion bottoms out.
    pub(crate) fn nesting_weight(&self, t: u8) -> u8 {
        if t & (OBJ | ARR) == 0 || self.fixes_value() {
            0
        } else if self.required.is_empty() && self.min_items == 0 {
            1
        } else {
            2
        }
    }
}

/// Which keywords besides `$ref` and `allOf` flatten into the conjunction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reach {
    /// Follow `$dynamicRef` like `$ref`.
    pub dynamic_ref: bool,
    /// Take `if` and `then` (both present) as members: a value satisfying both satisfies the
    /// construct.
    pub if_then: bool,
}

/// Why a conjunction could not be merged; `origin` is the last `$ref` followed before.
#[derive(Debug)]
pub(crate) enum MergeError {
    Ref {
        origin: Option<String>,
        source: RefError,
    },
    /// A schema includes itself through `$ref`/`allOf` without any nesting in between.
    Cycle { origin: Option<String> },
}

/// Merges conjunctions whose `$ref`s resolve within `resources`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Merger<'a> {
    pub resources: &'a Resources,
    pub reach: Reach,
}

impl<'a> Merger<'a> {
    /// Flattens a conjunction into one set of constraints; `resolved` lists the
    /// `anyOf`/`oneOf` arrays whose chosen branch is already part of `conj`.
    pub(crate) fn merge(
        &self,
        conj: &[Located<'a>],
        resolved: &[*const Value],
    ) -> Result<Merged<'a>, MergeError> {
        let mut m = Merged::default();
        let mut stack = Vec::new();
        for loc in conj {
            self.collect(*loc, &mut m, &mut stack, resolved)?;
        }
        Ok(m)
    }

    fn collect(
        &self,
        loc: Located<'a>,
        m: &mut Merged<'a>,
        stack: &mut Vec<*const Value>,
        resolved: &[*const Value],
    ) -> Result<(), MergeError> {
        let o = match loc.value {
            Value::Object(o) => o,
            Value::Bool(false) => {
                m.never = Some("the schema is `false`".into());
                m.false_schema = true;
                return Ok(());
            }
            // `true`, and malformed schemas, constrain nothing.
            _ => return Ok(()),
        };
        let id = loc.value as *const Value;
        if stack.contains(&id) {
            return Err(MergeError::Cycle {
                origin: m.origin.clone(),
            });
        }
        stack.push(id);
        m.absorb(loc.base, o);
        let refs: &[&str] = if self.reach.dynamic_ref {
            &["$ref", "$dynamicRef"]
        } else {
            &["$ref"]
        };
        for key in refs {
            if let Some(r) = o.get(*key).and_then(Value::as_str) {
                let target =
                    self.resources
                        .resolve(loc.base, r)
                        .map_err(|source| MergeError::Ref {
                            origin: m.origin.clone(),
                            source,
                        })?;
                m.origin = Resources::absolute(loc.base, r).ok();
                self.collect(target, m, stack, resolved)?;
            }
        }
        let at = |value| Located {
            base: loc.base,
            value,
        };
        if let Some(Value::Array(all)) = o.get("allOf") {
            for s in all {
                self.collect(at(s), m, stack, resolved)?;
            }
        }
        if self.reach.if_then
            && let (Some(cond), Some(then)) = (o.get("if"), o.get("then"))
        {
            self.collect(at(cond), m, stack, resolved)?;
            self.collect(at(then), m, stack, resolved)?;
        }
        for (key, one_of) in [("anyOf", false), ("oneOf", true)] {
            if let Some(arr @ Value::Array(branches)) = o.get(key) {
                let id = arr as *const Value;
                if !resolved.contains(&id) {
                    m.choices.push(Choice {
                        id,
                        one_of,
                        base: loc.base,
                        branches,
                        discriminator: o.get("discriminator"),
                    });
                }
            }
        }
        stack.pop();
        Ok(())
    }
}

/// The key of a discriminator `mapping` whose target is `target` (an absolute reference);
/// mapping values are references, or bare schema names under `#/components/schemas/`.
/// `Err` when a mapping value is not a string (the discriminator is then unusable).
pub(crate) fn mapping_key<'m>(
    base: &str,
    mapping: &'m Map<String, Value>,
    target: &str,
) -> Result<Option<&'m String>, ()> {
    for (key, to) in mapping {
        let to = to.as_str().ok_or(())?;
        let abs = if to.contains('#') || to.contains('/') {
            Resources::absolute(base, to).ok()
        } else {
            Resources::absolute(base, &format!("#/components/schemas/{to}")).ok()
        };
        if abs.as_deref() == Some(target) {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

/// Digits after the decimal point in `m`'s shortest representation.
pub(crate) fn decimals_of(m: f64) -> usize {
    let s = format!("{m}");
    s.split_once('.').map_or(0, |(_, frac)| frac.len())
}

/// `v` rounded to `decimals` digits after the point, as it prints.
pub(crate) fn round_to(v: f64, decimals: usize) -> f64 {
    format!("{v:.decimals$}").parse().unwrap_or(v)
}

/// A JSON number, written as an integer when it is one; `None` when not finite.
pub(crate) fn number_value(v: f64) -> Option<Value> {
    if v.fract() == 0.0 && v.abs() < 9e15 {
        Some(Value::from(v as i64))
    } else {
        Number::from_f64(v).map(Value::Number)
    }
}
