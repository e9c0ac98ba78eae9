//! A `oneOf` whose branches include two that accept the same values: no value can match
//! exactly one of them, so every value breaks it, and neither the mock's answers nor the
//! client's requests could ever fit. Real documents write such choices between error shapes
//! that differ only in their descriptions (Vonage's `ErrorInvalidJson` and
//! `ErrorUnsupportedProduct`, DigiLocker's four `ResponseOne`..`ResponseFour`; 21 documents of
//! the APIs.guru directory). What the author meant is "one of these shapes", which `anyOf`
//! says: the choice is read so, and warned about.
//!
//! Two branches are the same when, after following the `$ref`s that name them, they are
//! equal but for annotations ([`ANNOTATIONS`]) and extensions. Only identical branches are
//! caught: branches that merely overlap (two objects with different optional members) are a
//! choice a value can still make, when it has members of one only.

use serde_json::{Map, Value};

use crate::document::problems::Problems;
use crate::document::refs::{Resources, pointer_join};

/// Keywords that describe without constraining: two branches differing only in them accept
/// the same values.
const ANNOTATIONS: &[&str] = &[
    "description",
    "summary",
    "title",
    "example",
    "examples",
    "$comment",
    "deprecated",
    "externalDocs",
    "xml",
];

/// Rewrites each `oneOf` at `places` (file, pointer of the schema holding it) to `anyOf`
/// where two of its branches are the same, with a warning naming them.
pub(super) fn read_identical_as_any(
    resources: &mut Resources,
    places: &[(String, String)],
    problems: &mut Problems,
) {
    for (file, pointer) in places {
        let Some(Value::Array(branches)) = resources
            .file(file)
            .and_then(|f| f.pointer(pointer))
            .and_then(|s| s.get("oneOf"))
        else {
            continue;
        };
        let Some((first, second)) = identical_pair(resources, file, branches) else {
            continue;
        };
        let Some(Value::Object(schema)) = resources
            .file_mut(file)
            .and_then(|f| f.pointer_mut(pointer))
        else {
            continue;
        };
        if schema.contains_key("anyOf") {
            // Both cannot be one keyword; the `oneOf` stays, and breaks as written.
            continue;
        }
        if let Some(branches) = schema.remove("oneOf") {
            schema.insert("anyOf".to_owned(), branches);
        }
        problems.warning(
            file,
            &pointer_join(pointer, &["oneOf"]),
            format!(
                "branches {first} and {second} of this `oneOf` accept the same values, so no \
                 value can match exactly one of them: read as `anyOf`"
            ),
        );
    }
}

/// The first two branches that are the same, by index.
fn identical_pair(resources: &Resources, file: &str, branches: &[Value]) -> Option<(usize, usize)> {
    let shapes: Vec<Option<Value>> = branches
        .iter()
        .map(|b| {
            resources
                .deref(file, b)
                .ok()
                .map(|target| constraints(target.value))
        })
        .collect();
    for (i, a) in shapes.iter().enumerate() {
        let Some(a) = a else { continue };
        for (j, b) in shapes.iter().enumerate().skip(i + 1) {
            if b.as_ref() == Some(a) {
                return Some((i, j));
            }
        }
    }
    None
}

/// `schema` without its annotations and extensions, at every depth.
fn constraints(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !k.starts_with("x-") && !ANNOTATIONS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), constraints_in(k, v)))
                .collect::<Map<String, Value>>(),
        ),
        other => other.clone(),
    }
}

/// The value of keyword `key`, without annotations where it holds schemas. Data (`enum`,
/// `const`, `default`) and names (`required`) are kept whole; `properties` and the like map
/// authors' names to schemas.
fn constraints_in(key: &str, value: &Value) -> Value {
    match (key, value) {
        ("enum" | "const" | "default" | "required", v) => v.clone(),
        (_, Value::Object(map)) if is_name_map(key) => Value::Object(
            map.iter()
                .map(|(name, s)| (name.clone(), constraints(s)))
                .collect(),
        ),
        (_, Value::Array(list)) => Value::Array(list.iter().map(constraints).collect()),
        (_, v) => constraints(v),
    }
}

/// Keywords whose value maps names (an author's, free to be `description`) to schemas.
fn is_name_map(key: &str) -> bool {
    matches!(
        key,
        "properties" | "patternProperties" | "$defs" | "definitions" | "dependentSchemas"
    )
}
