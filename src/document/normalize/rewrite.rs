//! Every schema of a document found and rewritten to JSON Schema 2020-12, in place: the 3.0
//! dialect's `nullable`, boolean exclusive bounds and `example`; `pattern`s rewritten from
//! ECMA-262 for the Rust regex engines (`ecma`); in 3.0, the keys beside a `$ref` moved aside
//! (`siblings`); unknown keywords reported with their location.

use std::collections::{HashSet, VecDeque};

use serde_json::{Map, Value, json};

use super::siblings::{Ignored, is_path_item};
use super::{Dialect, choices, ecma, served};
use crate::document::problems::{Problems, excerpt, excerpt_value};
use crate::document::refs::{Resources, pointer_join};

/// Keywords of JSON Schema 2020-12 and OpenAPI's schema vocabulary.
const KNOWN_KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "$ref",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$vocabulary",
    "$comment",
    "$defs",
    "definitions",
    "type",
    "enum",
    "const",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxContains",
    "minContains",
    "maxProperties",
    "minProperties",
    "required",
    "dependentRequired",
    "properties",
    "patternProperties",
    "additionalProperties",
    "unevaluatedProperties",
    "propertyNames",
    "items",
    "prefixItems",
    "contains",
    "unevaluatedItems",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "format",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
    "title",
    "description",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "examples",
    // OpenAPI's own schema keywords.
    "discriminator",
    "xml",
    "externalDocs",
    "example",
    "nullable",
];

/// Keywords whose value is one subschema.
const SUBSCHEMA: &[&str] = &[
    "additionalProperties",
    "unevaluatedProperties",
    "propertyNames",
    "contains",
    "unevaluatedItems",
    "not",
    "if",
    "then",
    "else",
    "contentSchema",
];
/// Keywords whose value is a map of subschemas.
const SUBSCHEMA_MAP: &[&str] = &[
    "properties",
    "patternProperties",
    "dependentSchemas",
    "$defs",
    "definitions",
];
/// Keywords whose value is a list of subschemas.
const SUBSCHEMA_LIST: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];

/// What kind of node a queued location is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Context {
    /// A node of the OpenAPI structure (not a schema).
    Structure,
    Schema,
}

/// Normalises every schema reachable in the document, in place, and reports unknown
/// keywords (and, first, a document that declares no operation: see `served`). `Structure`
/// nodes are walked generically: the value under a `schema` key, and every entry of
/// `components.schemas`, is a schema.
pub fn normalize(resources: &mut Resources, dialect: Dialect, problems: &mut Problems) {
    let mut queue: VecDeque<(String, String, Context)> = VecDeque::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut ignored = Ignored::default();
    let mut choices = Vec::new();
    served::warn_when_nothing_is_served(resources, problems);
    queue.push_back((
        resources.root_uri().to_owned(),
        String::new(),
        Context::Structure,
    ));
    loop {
        while let Some((file, pointer, context)) = queue.pop_front() {
            if !seen.insert((file.clone(), pointer.clone())) {
                continue;
            }
            let mut refs = Vec::new();
            if let Some(node) = resources
                .file_mut(&file)
                .and_then(|v| v.pointer_mut(&pointer))
            {
                let mut walker = Walker {
                    file: &file,
                    dialect,
                    problems,
                    refs: &mut refs,
                    ignored: &mut ignored,
                    choices: &mut choices,
                };
                match context {
                    Context::Structure => walker.structure(node, &pointer),
                    Context::Schema => walker.schema(node, &pointer),
                }
            }
            // References reached from here are normalised in their own context, wherever they
            // point (another file, or a part of this one not otherwise walked).
            for (reference, ctx) in refs {
                if let Ok(abs) = Resources::absolute(&file, &reference) {
                    let (f, frag) = abs.split_once('#').unwrap_or((abs.as_str(), ""));
                    let frag = percent_encoding::percent_decode_str(frag)
                        .decode_utf8_lossy()
                        .into_owned();
                    queue.push_back((f.to_owned(), frag, ctx));
                }
            }
        }
        // A `$ref` into siblings moved aside now points at their new place, which is
        // normalised in turn.
        let moved = ignored.redirect(resources);
        if moved.is_empty() {
            break;
        }
        for (file, pointer, schema) in moved {
            let context = if schema {
                Context::Schema
            } else {
                Context::Structure
            };
            queue.push_back((file, pointer, context));
        }
    }
    ignored.report(problems);
    choices::read_identical_as_any(resources, &choices, problems);
}

struct Walker<'a> {
    file: &'a str,
    dialect: Dialect,
    problems: &'a mut Problems,
    refs: &'a mut Vec<(String, Context)>,
    /// The siblings of 3.0 `$ref`s moved aside (see `siblings`).
    ignored: &'a mut Ignored,
    /// Where a schema has a `oneOf` of more than one branch (file, pointer): see `choices`.
    choices: &'a mut Vec<(String, String)>,
}

impl Walker<'_> {
    fn structure(&mut self, node: &mut Value, pointer: &str) {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    self.refs.push((r.clone(), Context::Structure));
                }
                if self.dialect == Dialect::Oas30 && !is_path_item(pointer) {
                    self.ignored.move_siblings(map, self.file, pointer, false);
                }
                let is_components = pointer == "/components";
                for (key, value) in map.iter_mut() {
                    let here = pointer_join(pointer, &[key]);
                    if key.starts_with("x-") || key == "example" || key == "examples" {
                        continue;
                    }
                    if key == "schema" && (value.is_object() || value.is_boolean()) {
                        self.schema(value, &here);
                    } else if is_components && key == "schemas" {
                        if let Value::Object(schemas) = value {
                            for (name, s) in schemas.iter_mut() {
                                self.schema(s, &pointer_join(&here, &[name]));
                            }
                        }
                    } else {
                        self.structure(value, &here);
                    }
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter_mut().enumerate() {
                    self.structure(v, &format!("{pointer}/{i}"));
                }
            }
            _ => {}
        }
    }

    /// Rewrites an ECMA-262 `pattern` for the Rust regex engines (see `ecma`), or reports
    /// why it cannot be run (and answers `false`). Checked here, not only when a validator is
    /// compiled, so that a pattern in a schema no operation uses yet is reported too.
    fn pattern(&mut self, pattern: &mut String, at: &str) -> bool {
        match ecma::translate(pattern) {
            Err(e) => {
                self.problems.error(
                    self.file,
                    at,
                    format!(
                        "`{}` is not a valid ECMA-262 regular expression: {e}",
                        excerpt(pattern)
                    ),
                );
                return false;
            }
            Ok(Some(translated)) => *pattern = translated,
            Ok(None) => {}
        }
        let runs = jsonschema::validator_for(&json!({ "pattern": pattern })).is_ok();
        if !runs {
            // Valid ECMA-262 the engine cannot run: a lookbehind of unbounded length, or a
            // pattern past its size limit. The validator's error only repeats the pattern.
            self.problems.error(
                self.file,
                at,
                format!(
                    "`{}` is a valid ECMA-262 regular expression, but too large or complex \
                     for understudy's regular expression engine",
                    excerpt(pattern)
                ),
            );
        }
        runs
    }

    /// The keys of `patternProperties` are patterns too.
    fn pattern_keys(&mut self, properties: &mut Map<String, Value>, at: &str) {
        let keys: Vec<String> = properties.keys().cloned().collect();
        for key in keys {
            let mut translated = key.clone();
            if !self.pattern(&mut translated, &pointer_join(at, &[&key])) {
                // Reported once, here: the validators need not say it again.
                properties.remove(&key);
                continue;
            }
            if translated != key
                && !properties.contains_key(&translated)
                && let Some(schema) = properties.remove(&key)
            {
                properties.insert(translated, schema);
            }
        }
    }

    fn schema(&mut self, node: &mut Value, pointer: &str) {
        let Value::Object(map) = node else {
            if !node.is_boolean() {
                self.problems.error(
                    self.file,
                    pointer,
                    "a schema must be an object or a boolean",
                );
            }
            return;
        };
        if let Some(Value::String(r)) = map.get("$ref") {
            self.refs.push((r.clone(), Context::Schema));
        }
        if self.dialect == Dialect::Oas30 {
            self.ignored.move_siblings(map, self.file, pointer, true);
        }
        for key in map.keys() {
            if !key.starts_with("x-") && !KNOWN_KEYWORDS.contains(&key.as_str()) {
                self.problems.warning(
                    self.file,
                    &pointer_join(pointer, &[key]),
                    format!(
                        "unknown schema keyword `{}` is ignored: nothing enforces it",
                        excerpt(key)
                    ),
                );
            }
        }
        let pattern_ok = match map.get_mut("pattern") {
            Some(Value::String(pattern)) => {
                self.pattern(pattern, &pointer_join(pointer, &["pattern"]))
            }
            Some(other) => {
                self.problems.error(
                    self.file,
                    &pointer_join(pointer, &["pattern"]),
                    format!(
                        "`pattern` must be a string holding a regular expression (found: {})",
                        excerpt_value(other)
                    ),
                );
                false
            }
            None => true,
        };
        if !pattern_ok {
            // Reported once, here: the validators need not say it again.
            map.remove("pattern");
        }
        if matches!(map.get("oneOf"), Some(Value::Array(b)) if b.len() > 1) {
            self.choices
                .push((self.file.to_owned(), pointer.to_owned()));
        }
        if let Some(Value::Object(properties)) = map.get_mut("patternProperties") {
            self.pattern_keys(properties, &pointer_join(pointer, &["patternProperties"]));
        }
        if self.dialect == Dialect::Oas30 {
            rewrite_oas30(map);
        } else if map.contains_key("nullable") {
            self.problems.warning(
                self.file,
                &pointer_join(pointer, &["nullable"]),
                "`nullable` is not an OpenAPI 3.1 keyword and is ignored; use `type: [T, \"null\"]`",
            );
        }
        for (key, value) in map.iter_mut() {
            let here = pointer_join(pointer, &[key]);
            let k = key.as_str();
            if SUBSCHEMA.contains(&k) || (k == "items" && !value.is_array()) {
                self.schema(value, &here);
            } else if k == "items" {
                // draft 4 tuple form: still schemas
                if let Value::Array(list) = value {
                    for (i, s) in list.iter_mut().enumerate() {
                        self.schema(s, &format!("{here}/{i}"));
                    }
                }
            } else if SUBSCHEMA_MAP.contains(&k) {
                if let Value::Object(m) = value {
                    for (name, s) in m.iter_mut() {
                        self.schema(s, &pointer_join(&here, &[name]));
                    }
                }
            } else if SUBSCHEMA_LIST.contains(&k)
                && let Value::Array(list) = value
            {
                for (i, s) in list.iter_mut().enumerate() {
                    self.schema(s, &format!("{here}/{i}"));
                }
            }
        }
    }
}

/// Rewrites one 3.0 schema object into 2020-12 (not its subschemas: the walker recurses).
fn rewrite_oas30(map: &mut Map<String, Value>) {
    if let Some(Value::Bool(nullable)) = map.remove("nullable")
        && nullable
    {
        if map.contains_key("$ref") {
            // 3.0 ignores siblings of `$ref` (`siblings` dropped the others), but `nullable`
            // next to one always means "this, or null": say exactly that.
            let inner: Map<String, Value> = std::mem::take(map);
            map.insert(
                "anyOf".into(),
                json!([Value::Object(inner), {"type": "null"}]),
            );
        } else {
            match map.get_mut("type") {
                Some(Value::String(t)) => {
                    let t = t.clone();
                    map.insert("type".into(), json!([t, "null"]));
                }
                Some(Value::Array(types)) if !types.contains(&json!("null")) => {
                    types.push(json!("null"));
                }
                _ => {}
            }
            if let Some(Value::Array(values)) = map.get_mut("enum")
                && !values.contains(&Value::Null)
            {
                values.push(Value::Null);
            }
        }
    }
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(Value::Bool(exclusive)) = map.get(flag).cloned() {
            map.remove(flag);
            if exclusive && let Some(limit) = map.remove(bound) {
                map.insert(flag.into(), limit);
            }
        }
    }
    if let Some(example) = map.remove("example")
        && !map.contains_key("examples")
    {
        map.insert("examples".into(), json!([example]));
    }
}
