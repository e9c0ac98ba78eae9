//! A quick, partial look at whether a value satisfies a schema, used by the generator to steer
//! (an `enum` value must fit its siblings, a `not` must not match, a `oneOf` value must match
//! one branch only). Never the final word: callers validate what the generator returns.
//!
//! Implementation rationale: the generator runs on request paths without a cache of compiled
//! validators (it takes only the document), so it cannot afford `jsonschema` here; the
//! compiled tree (`tree`) asks real validators instead. This matcher goes once generation
//! reads the compiled tree too.

use serde_json::Value;

use super::Generator;
use super::values::is_multiple;
use crate::document::refs::Located;
use crate::schema::merge::{ANY, INT, types_of, value_bits};
use crate::schema::pattern::Pattern;

/// What a quick look says about a value against a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    Yes,
    No,
    Unknown,
}

/// Keywords the quick check may ignore: annotations and OpenAPI extras.
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "examples",
    "example",
    "default",
    "readOnly",
    "writeOnly",
    "deprecated",
    "discriminator",
    "xml",
    "externalDocs",
    "$comment",
    "$id",
    "$schema",
    "$anchor",
    "format",
    "contentMediaType",
    "contentEncoding",
];

impl<'a> Generator<'a, '_> {
    // ----- the quick check -----------------------------------------------------------------

    /// A cheap, partial look at whether `v` satisfies `schema`: `Yes` only when every keyword
    /// was understood and holds. Used to steer choices, never as the final word.
    pub(super) fn check(&self, schema: Located<'a>, v: &Value, fuel: usize) -> Verdict {
        let o = match schema.value {
            Value::Bool(b) => return if *b { Verdict::Yes } else { Verdict::No },
            Value::Object(o) => o,
            _ => return Verdict::Unknown,
        };
        if fuel == 0 {
            return Verdict::Unknown;
        }
        let mut verdict = Verdict::Yes;
        let mut and = |x: Verdict| {
            verdict = match (verdict, x) {
                (Verdict::No, _) | (_, Verdict::No) => Verdict::No,
                (Verdict::Unknown, _) | (_, Verdict::Unknown) => Verdict::Unknown,
                _ => Verdict::Yes,
            };
            verdict == Verdict::No
        };
        let yes_if = |b: bool| if b { Verdict::Yes } else { Verdict::No };
        let sub = |s: &'a Value| Located {
            base: schema.base,
            value: s,
        };
        for (k, kv) in o {
            let x = match k.as_str() {
                "$ref" => match kv.as_str().map(|r| self.resources.resolve(schema.base, r)) {
                    Some(Ok(t)) => self.check(t, v, fuel - 1),
                    _ => Verdict::Unknown,
                },
                "type" => {
                    let bits = types_of(kv).unwrap_or(ANY);
                    let vb = value_bits(v);
                    // An integral number is an integer; a fractional one only a `number`.
                    yes_if(if vb & INT != 0 {
                        bits & INT != 0
                    } else {
                        bits & vb != 0
                    })
                }
                "const" => yes_if(kv == v),
                "enum" => yes_if(kv.as_array().is_some_and(|e| e.contains(v))),
                "required" => match v {
                    Value::Object(m) => yes_if(kv.as_array().is_some_and(|r| {
                        r.iter()
                            .filter_map(Value::as_str)
                            .all(|k| m.contains_key(k))
                    })),
                    _ => Verdict::Yes,
                },
                "properties" => match (v, kv) {
                    (Value::Object(m), Value::Object(props)) => {
                        let mut all = Verdict::Yes;
                        for (pk, ps) in props {
                            if let Some(pv) = m.get(pk) {
                                match self.check(sub(ps), pv, fuel - 1) {
                                    Verdict::No => return Verdict::No,
                                    Verdict::Unknown => all = Verdict::Unknown,
                                    Verdict::Yes => {}
                                }
                            }
                        }
                        all
                    }
                    _ => Verdict::Yes,
                },
                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                    match (v.as_f64(), kv.as_f64()) {
                        (Some(x), Some(b)) => yes_if(match k.as_str() {
                            "minimum" => x >= b,
                            "maximum" => x <= b,
                            "exclusiveMinimum" => x > b,
                            _ => x < b,
                        }),
                        _ => Verdict::Yes,
                    }
                }
                "multipleOf" => match (v.as_f64(), kv.as_f64()) {
                    (Some(x), Some(m)) => yes_if(is_multiple(x, m)),
                    _ => Verdict::Yes,
                },
                "minLength" | "maxLength" => match (v.as_str(), kv.as_u64()) {
                    (Some(s), Some(n)) => {
                        let len = s.chars().count() as u64;
                        yes_if(if k == "minLength" { len >= n } else { len <= n })
                    }
                    _ => Verdict::Yes,
                },
                "pattern" => match (v.as_str(), kv.as_str().map(Pattern::parse)) {
                    (Some(s), Some(Ok(p))) => p.is_match(s).map_or(Verdict::Unknown, yes_if),
                    (Some(_), _) => Verdict::Unknown,
                    _ => Verdict::Yes,
                },
                "allOf" | "anyOf" | "oneOf" => {
                    let results: Vec<Verdict> = kv
                        .as_array()
                        .map(|a| a.iter().map(|s| self.check(sub(s), v, fuel - 1)).collect())
                        .unwrap_or_default();
                    let count = |x| results.iter().filter(|r| **r == x).count();
                    match k.as_str() {
                        "allOf" if count(Verdict::No) > 0 => Verdict::No,
                        "allOf" if count(Verdict::Unknown) > 0 => Verdict::Unknown,
                        "allOf" => Verdict::Yes,
                        "anyOf" if count(Verdict::Yes) > 0 => Verdict::Yes,
                        _ if count(Verdict::No) == results.len() => Verdict::No,
                        "oneOf" if count(Verdict::Yes) > 1 => Verdict::No,
                        "oneOf" if count(Verdict::Yes) == 1 && count(Verdict::Unknown) == 0 => {
                            Verdict::Yes
                        }
                        _ => Verdict::Unknown,
                    }
                }
                "not" => match self.check(sub(kv), v, fuel - 1) {
                    Verdict::Yes => Verdict::No,
                    Verdict::No => Verdict::Yes,
                    Verdict::Unknown => Verdict::Unknown,
                },
                k if ANNOTATIONS.contains(&k) || k.starts_with("x-") => Verdict::Yes,
                _ => Verdict::Unknown,
            };
            if and(x) {
                break;
            }
        }
        verdict
    }
}
