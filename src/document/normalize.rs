//! Normalising every schema of a document to JSON Schema 2020-12, once, at load.
//!
//! OpenAPI 3.0 schemas are a dialect: `nullable`, boolean `exclusiveMinimum`/`exclusiveMaximum`
//! and a single `example`. They are rewritten in place so that everything downstream (the
//! validators, the generator, the error shaper) sees one dialect. Unknown keywords are
//! reported as warnings with their location, because a misspelt constraint (`min: 0`) is
//! silently not enforced.
//!
//! Two *validation views* are derived from the normalised files: in requests a `readOnly`
//! property is never required, in responses a `writeOnly` one is never required (OpenAPI's
//! rule), and a `oneOf`/`anyOf` with a `discriminator` gains an explicit branch selection so
//! that a mismatch is reported on the discriminator property rather than as "matches none".
//! A choice among fixed values written as branches (`anyOf: [{const: A, title: ...}, ...]`,
//! OpenAPI 3.1's documented enum) becomes an `enum` of the values in the same schema, and the
//! view remembers where ([`Folds`]) so that its failure is still reported as the choice it
//! was written as: the same violation, without the validator building an error, a copy of
//! the value and locations for every branch.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::document::problems::{Problems, excerpt};
use crate::document::refs::{Resources, pointer_join, push_token, unescape_token};

/// Which OpenAPI dialect the document's schemas are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// OpenAPI 3.0.x: a JSON Schema draft 4/5 subset with OpenAPI's extensions.
    Oas30,
    /// OpenAPI 3.1.x: JSON Schema 2020-12.
    Oas31,
}

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
/// keywords. `Structure` nodes are walked generically: the value under a `schema` key, and
/// every entry of `components.schemas`, is a schema.
pub fn normalize(resources: &mut Resources, dialect: Dialect, problems: &mut Problems) {
    let mut queue: VecDeque<(String, String, Context)> = VecDeque::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    queue.push_back((
        resources.root_uri().to_owned(),
        String::new(),
        Context::Structure,
    ));
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
}

struct Walker<'a> {
    file: &'a str,
    dialect: Dialect,
    problems: &'a mut Problems,
    refs: &'a mut Vec<(String, Context)>,
}

impl Walker<'_> {
    fn structure(&mut self, node: &mut Value, pointer: &str) {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    self.refs.push((r.clone(), Context::Structure));
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
        if let Some(Value::String(pattern)) = map.get_mut("pattern")
            && let Some(strict) = escape_lone_braces(pattern)
        {
            *pattern = strict;
        }
        if let Some(Value::String(pattern)) = map.get("pattern")
            && jsonschema::validator_for(&json!({ "pattern": pattern })).is_err()
        {
            // Checked here, not only when a validator is compiled, so that a pattern in a
            // schema no operation uses yet is reported too. The validator's error only
            // repeats the pattern, whole.
            self.problems.error(
                self.file,
                &pointer_join(pointer, &["pattern"]),
                format!("`{}` is not a valid regular expression", excerpt(pattern)),
            );
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

/// ECMA-262 (Annex B, what browsers and JSON Schema validators in JavaScript run) reads a `{`
/// or `}` that does not form a quantifier as a literal; the Rust regex engines refuse it.
/// Such braces are escaped; `None` when nothing needs to change.
fn escape_lone_braces(pattern: &str) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut changed = false;
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                out.push(c);
                if let Some(next) = chars.get(i + 1) {
                    out.push(*next);
                }
                i += 2;
                continue;
            }
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '{' if !in_class => {
                let quantifier = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '}')
                    .map(|end| chars[i + 1..i + 1 + end].iter().collect::<String>())
                    .is_some_and(|inner| is_quantifier_body(&inner));
                if quantifier && i > 0 {
                    let end = i + 1 + chars[i + 1..].iter().position(|&c| c == '}').unwrap_or(0);
                    out.extend(&chars[i..=end]);
                    i = end + 1;
                    continue;
                }
                out.push_str("\\{");
                changed = true;
                i += 1;
                continue;
            }
            '}' if !in_class => {
                out.push_str("\\}");
                changed = true;
                i += 1;
                continue;
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    changed.then_some(out)
}

/// `n`, `n,` or `n,m`.
fn is_quantifier_body(inner: &str) -> bool {
    let mut parts = inner.splitn(2, ',');
    let low = parts.next().unwrap_or_default();
    let high = parts.next();
    !low.is_empty()
        && low.chars().all(|c| c.is_ascii_digit())
        && high.is_none_or(|h| h.chars().all(|c| c.is_ascii_digit()))
}

/// Rewrites one 3.0 schema object into 2020-12 (not its subschemas: the walker recurses).
fn rewrite_oas30(map: &mut Map<String, Value>) {
    if let Some(Value::Bool(nullable)) = map.remove("nullable")
        && nullable
    {
        if map.contains_key("$ref") {
            // 3.0 ignores siblings of `$ref`, but `nullable` next to one always means "this,
            // or null": say exactly that.
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

/// The direction a validation view is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Request,
    Response,
}

/// A validation view: the rewritten files, and where choices were folded into `enum`s.
#[derive(Debug, Clone)]
pub struct ValidationView {
    pub resources: Resources,
    pub folds: Arc<Folds>,
}

/// Which choice keyword an `enum` of a validation view was written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    AnyOf,
    OneOf,
}

impl Choice {
    pub fn keyword(self) -> &'static str {
        match self {
            Choice::AnyOf => "anyOf",
            Choice::OneOf => "oneOf",
        }
    }
}

/// The `enum` keywords a view made of choices among fixed values, by the keyword's JSON
/// pointer (as validators report a keyword location) and file.
#[derive(Debug, Clone, Default)]
pub struct Folds {
    by_pointer: HashMap<Box<str>, Vec<FoldIn>, foldhash::fast::RandomState>,
}

/// A fold in one file: the file's URI and the choice.
type FoldIn = (Box<str>, Choice);

impl Folds {
    fn insert(&mut self, file: &str, pointer: String, choice: Choice) {
        self.by_pointer
            .entry(pointer.into_boxed_str())
            .or_default()
            .push((file.into(), choice));
    }

    /// The choice the `enum` at `pointer` in `file` was folded from, if it was. Without a
    /// file, a pointer folded in one file only is enough.
    pub fn choice(&self, file: Option<&str>, pointer: &str) -> Option<Choice> {
        let found = self.by_pointer.get(pointer)?;
        match file {
            Some(file) => found.iter().find(|(f, _)| &**f == file).map(|(_, c)| *c),
            None if found.len() == 1 => Some(found[0].1),
            None => None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_pointer.is_empty()
    }
}

/// Derives a validation view of normalised files: readOnly (requests) or writeOnly
/// (responses) properties dropped from `required`, discriminators made explicit, choices
/// among fixed values folded.
pub fn validation_view(resources: &Resources, view: View) -> ValidationView {
    let mut out = resources.clone();
    let mut folds = Folds::default();
    let uris: Vec<String> = out.files().map(|(u, _)| u.to_owned()).collect();
    for uri in uris {
        // Resolution needs the untouched files, so read from `resources`, write to `out`.
        if let Some(file) = out.file_mut(&uri) {
            let mut walk = Walk {
                resources,
                base: &uri,
                view,
                folds: &mut folds,
                pointer: String::new(),
            };
            walk.rewrite(file);
        }
    }
    ValidationView {
        resources: out,
        folds: Arc::new(folds),
    }
}

/// One file's rewrite, with the pointer of the node at hand.
struct Walk<'a> {
    resources: &'a Resources,
    base: &'a str,
    view: View,
    folds: &'a mut Folds,
    pointer: String,
}

impl Walk<'_> {
    fn rewrite(&mut self, node: &mut Value) {
        let mark = self.pointer.len();
        match node {
            Value::Object(map) => {
                drop_directional_required(map, self.resources, self.base, self.view);
                add_discriminator_selection(map, self.resources, self.base);
                self.fold_fixed_choices(map);
                for (k, v) in map.iter_mut() {
                    if k == "example" || k == "examples" || k == "const" || k == "enum" {
                        continue;
                    }
                    push_token(&mut self.pointer, k);
                    self.rewrite(v);
                    self.pointer.truncate(mark);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter_mut().enumerate() {
                    // Writing to a `String` cannot fail.
                    let _ = write!(self.pointer, "/{i}");
                    self.rewrite(v);
                    self.pointer.truncate(mark);
                }
            }
            _ => {}
        }
    }

    /// `anyOf`/`oneOf` whose every branch is a `const` (and annotations) → an `enum` of the
    /// values, remembered in [`Folds`]. Validators collect an error per branch of a failed
    /// choice (a copy of the value, two locations each); an `enum` makes one, and the
    /// violation drawn from it (keyword, place, the list of valid choices) is the same. It is
    /// checked where an `enum` is, with the cheap keywords (`jsonschema` orders keywords by
    /// cost), so it is listed before violations of keywords such as `minLength` where the
    /// choice came after them. Where the schema has an `enum` already (or both keywords
    /// fold), the choice keeps its keyword with one `enum` branch instead. `oneOf` is folded
    /// only when no two values can be equal (strings, booleans and null compared as written;
    /// numbers, arrays and objects are left alone, as `1` and `1.0` are one value to JSON
    /// Schema).
    fn fold_fixed_choices(&mut self, map: &mut Map<String, Value>) {
        for (keyword, choice) in [("anyOf", Choice::AnyOf), ("oneOf", Choice::OneOf)] {
            let values = match map.get(keyword) {
                Some(Value::Array(branches)) if branches.len() > 1 => {
                    fixed_values(branches, choice == Choice::OneOf)
                }
                _ => None,
            };
            let Some(values) = values else {
                continue;
            };
            if map.contains_key("enum") {
                map.insert(keyword.into(), json!([{ "enum": values }]));
                continue;
            }
            map.remove(keyword);
            map.insert("enum".into(), Value::Array(values));
            self.folds
                .insert(self.base, pointer_join(&self.pointer, &["enum"]), choice);
        }
    }
}

fn drop_directional_required(
    map: &mut Map<String, Value>,
    resources: &Resources,
    base: &str,
    view: View,
) {
    let flag = match view {
        View::Request => "readOnly",
        View::Response => "writeOnly",
    };
    let (Some(Value::Array(required)), Some(Value::Object(props))) =
        (map.get("required"), map.get("properties"))
    else {
        return;
    };
    let keep: Vec<Value> = required
        .iter()
        .filter(|name| {
            let Some(prop) = name.as_str().and_then(|n| props.get(n)) else {
                return true;
            };
            let resolved = resources.deref(base, prop).map(|l| l.value).unwrap_or(prop);
            let directional = |v: &Value| v.get(flag).and_then(Value::as_bool) == Some(true);
            !(directional(prop) || directional(resolved))
        })
        .cloned()
        .collect();
    if keep.len() != required.len() {
        map.insert("required".into(), Value::Array(keep));
    }
}

/// `oneOf`/`anyOf` + `discriminator` → an `allOf` that requires the property, restricts it to
/// the known values and applies the named branch (`if`/`then`), OpenAPI's meaning of a
/// discriminator, so the validator's errors point at the discriminator or into the branch.
fn add_discriminator_selection(map: &mut Map<String, Value>, resources: &Resources, base: &str) {
    let Some(prop) = map
        .get("discriminator")
        .and_then(|d| d.get("propertyName"))
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return;
    };
    let branches = match map.get("oneOf").or_else(|| map.get("anyOf")) {
        Some(Value::Array(b)) => b.clone(),
        _ => return,
    };
    let mapping = map
        .get("discriminator")
        .and_then(|d| d.get("mapping"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut selections: Vec<(String, Value)> = Vec::new();
    for branch in &branches {
        let reference = branch.get("$ref").and_then(Value::as_str);
        let mut keys: Vec<String> = mapping
            .iter()
            .filter(|(_, target)| {
                let t = target.as_str().unwrap_or_default();
                reference.is_some_and(|r| r == t || r.ends_with(&format!("/{t}")))
            })
            .map(|(k, _)| k.clone())
            .collect();
        if keys.is_empty() {
            // The branch may pin the property itself.
            let resolved = resources
                .deref(base, branch)
                .map(|l| l.value)
                .unwrap_or(branch);
            let pinned = resolved.get("properties").and_then(|p| p.get(&prop));
            if let Some(c) = pinned.and_then(|p| p.get("const")).and_then(Value::as_str) {
                keys.push(c.to_owned());
            } else if let Some(Value::Array(e)) = pinned.and_then(|p| p.get("enum")) {
                keys.extend(e.iter().filter_map(Value::as_str).map(str::to_owned));
            } else if mapping.is_empty()
                && let Some(name) = reference.and_then(|r| r.rsplit('/').next())
            {
                keys.push(unescape_token(name));
            } else {
                // A branch we cannot name: leave the schema as written.
                return;
            }
        }
        for k in keys {
            selections.push((k, branch.clone()));
        }
    }
    if selections.is_empty() {
        return;
    }
    let names: Vec<Value> = selections.iter().map(|(k, _)| json!(k)).collect();
    // The discriminator picks the branch: the choice is replaced by that selection, so a
    // mismatch is one error on the property rather than one per branch.
    map.remove("oneOf");
    map.remove("anyOf");
    let mut all: Vec<Value> = vec![json!({
        "type": "object",
        "required": [prop],
        "properties": { &prop: { "enum": names } }
    })];
    for (k, branch) in selections {
        all.push(json!({
            "if": { "properties": { &prop: { "const": k } }, "required": [prop] },
            "then": branch
        }));
    }
    match map.get_mut("allOf") {
        Some(Value::Array(existing)) => existing.extend(all),
        _ => {
            map.insert("allOf".into(), Value::Array(all));
        }
    }
}

/// Keywords that annotate a schema without constraining it.
fn is_annotation(keyword: &str) -> bool {
    matches!(
        keyword,
        "title" | "description" | "$comment" | "deprecated" | "examples" | "example"
    ) || keyword.starts_with("x-")
}

/// The values of branches that are each a `const` and annotations; `None` if one is not, or
/// (when `distinct` is asked for) if two values could be equal.
fn fixed_values(branches: &[Value], distinct: bool) -> Option<Vec<Value>> {
    let mut values: Vec<Value> = Vec::with_capacity(branches.len());
    for branch in branches {
        let fields = branch.as_object()?;
        let value = fields.get("const")?;
        if !fields.keys().all(|k| k == "const" || is_annotation(k)) {
            return None;
        }
        let comparable = matches!(value, Value::String(_) | Value::Bool(_) | Value::Null);
        if distinct && (!comparable || values.contains(value)) {
            return None;
        }
        // Each value once, as the choice's violation lists them.
        if !values.contains(value) {
            values.push(value.clone());
        }
    }
    Some(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(value: Value) -> Resources {
        Resources::new("file:///t.yaml", value)
    }

    #[test]
    fn oas30_nullable_becomes_a_null_type_and_enum_member() {
        let mut r = doc(json!({"components": {"schemas": {
            "A": {"type": "string", "nullable": true, "enum": ["a", null]},
            "B": {"type": "integer", "nullable": true},
            "C": {"$ref": "#/components/schemas/B", "nullable": true}
        }}}));
        let mut p = Problems::default();
        normalize(&mut r, Dialect::Oas30, &mut p);
        let s = &r.root()["components"]["schemas"];
        assert_eq!(
            s["A"],
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
        assert_eq!(s["B"], json!({"type": ["integer", "null"]}));
        assert_eq!(
            s["C"],
            json!({"anyOf": [{"$ref": "#/components/schemas/B"}, {"type": "null"}]})
        );
    }

    #[test]
    fn oas30_boolean_exclusive_bounds_and_example_are_rewritten() {
        let mut r = doc(
            json!({"paths": {"/x": {"get": {"parameters": [{"name": "n", "in": "query",
            "schema": {"type": "number", "minimum": 0, "exclusiveMinimum": true,
                       "maximum": 9, "exclusiveMaximum": false, "example": 3}}]}}}}),
        );
        normalize(&mut r, Dialect::Oas30, &mut Problems::default());
        let s = &r.root()["paths"]["/x"]["get"]["parameters"][0]["schema"];
        assert_eq!(
            s,
            &json!({"type": "number", "maximum": 9, "exclusiveMinimum": 0, "examples": [3]})
        );
    }

    #[test]
    fn unknown_keywords_are_warned_about_with_their_location() {
        let mut r = doc(json!({"components": {"schemas": {"W": {"type": "object",
            "properties": {"workers": {"type": "integer", "min": 0}}}}}}));
        let mut p = Problems::default();
        normalize(&mut r, Dialect::Oas31, &mut p);
        let w: Vec<_> = p.warnings().collect();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].pointer, "/components/schemas/W/properties/workers/min");
        assert!(w[0].message.contains("`min`"));
        assert!(!p.has_errors());
    }

    #[test]
    fn the_31_dialect_is_left_as_written() {
        let original = json!({"components": {"schemas": {"A": {"type": "integer",
            "exclusiveMinimum": 0, "examples": [1]}}}});
        let mut r = doc(original.clone());
        normalize(&mut r, Dialect::Oas31, &mut Problems::default());
        assert_eq!(r.root(), &original);
    }

    #[test]
    fn braces_that_are_not_quantifiers_are_escaped_as_ecma_reads_them() {
        assert_eq!(
            escape_lone_braces("^(?:{[0-9a-f]{4}}|x)$").as_deref(),
            Some("^(?:\\{[0-9a-f]{4}\\}|x)$")
        );
        assert_eq!(escape_lone_braces("^a{2,}b{1,3}[{}]\\{$"), None);
        assert_eq!(escape_lone_braces("{x}").as_deref(), Some("\\{x\\}"));
    }

    #[test]
    fn request_views_do_not_require_read_only_properties() {
        let r = doc(json!({"components": {"schemas": {"P": {"type": "object",
            "required": ["id", "name"],
            "properties": {"id": {"type": "integer", "readOnly": true}, "name": {"type": "string"}}}}}}));
        let req = validation_view(&r, View::Request);
        assert_eq!(
            req.resources.root()["components"]["schemas"]["P"]["required"],
            json!(["name"])
        );
        let resp = validation_view(&r, View::Response);
        assert_eq!(
            resp.resources.root()["components"]["schemas"]["P"]["required"],
            json!(["id", "name"])
        );
    }

    #[test]
    fn discriminators_gain_an_explicit_selection() {
        let r = doc(json!({"components": {"schemas": {
            "R": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}],
                  "discriminator": {"propertyName": "type"}},
            "A": {"type": "object", "properties": {"type": {"const": "a"}}},
            "B": {"type": "object", "properties": {"type": {"const": "b"}}}
        }}}));
        let v = validation_view(&r, View::Request);
        let all = &v.resources.root()["components"]["schemas"]["R"]["allOf"];
        assert_eq!(all[0]["properties"]["type"]["enum"], json!(["a", "b"]));
        assert_eq!(all[1]["if"]["properties"]["type"]["const"], json!("a"));
        assert_eq!(all[2]["then"]["$ref"], json!("#/components/schemas/B"));
    }

    #[test]
    fn choices_among_constants_become_an_enum_in_their_place() {
        let r = doc(json!({"components": {"schemas": {
            "Role": {"type": "string", "anyOf": [
                {"const": "A", "title": "Viewer", "description": "reads", "x-order": 1},
                {"const": "B"}, {"const": "A"}], "minLength": 1},
            "One": {"oneOf": [{"const": "a"}, {"const": true}, {"const": null}]},
            "En/um": {"enum": ["A", "B", "C"], "anyOf": [{"const": "A"}, {"const": "B"}]},
            "Both": {"anyOf": [{"const": "A"}, {"const": "B"}], "oneOf": [{"const": "B"}, {"const": "C"}]},
            "Typed": {"anyOf": [{"const": "A", "type": "string"}, {"const": "B"}]},
            "Numbers": {"oneOf": [{"const": 1}, {"const": 2}]},
            "Twice": {"oneOf": [{"const": "a"}, {"const": "a"}]},
            "Alone": {"anyOf": [{"const": "a"}]},
            "Sl/a~sh": {"items": [{"oneOf": [{"const": "a"}, {"const": "b"}]}]}
        }}}));
        let v = validation_view(&r, View::Request);
        let s = &v.resources.root()["components"]["schemas"];
        // Each value once.
        assert_eq!(
            s["Role"],
            json!({"type": "string", "enum": ["A", "B"], "minLength": 1})
        );
        assert_eq!(s["One"], json!({"enum": ["a", true, null]}));
        // Beside an `enum` already there, or a second folded choice, the choice keeps its
        // keyword with one `enum` branch.
        assert_eq!(s["En/um"]["anyOf"], json!([{"enum": ["A", "B"]}]));
        assert_eq!(s["En/um"]["enum"], json!(["A", "B", "C"]));
        assert_eq!(
            s["Both"],
            json!({"enum": ["A", "B"], "oneOf": [{"enum": ["B", "C"]}]})
        );
        // A branch that constrains more than its value, numbers under `oneOf` (1 and 1.0 are
        // one value), a repeated value under `oneOf` and a single branch are left as written.
        for kept in ["Typed", "Numbers", "Twice", "Alone"] {
            assert_eq!(s[kept], r.root()["components"]["schemas"][kept], "{kept}");
        }
        // The view remembers which `enum`s were choices, by file and keyword pointer.
        let file = Some("file:///t.yaml");
        let at = |name: &str| format!("/components/schemas/{name}/enum");
        assert_eq!(v.folds.choice(file, &at("Role")), Some(Choice::AnyOf));
        assert_eq!(v.folds.choice(file, &at("One")), Some(Choice::OneOf));
        assert_eq!(v.folds.choice(file, &at("Both")), Some(Choice::AnyOf));
        assert_eq!(v.folds.choice(None, &at("Role")), Some(Choice::AnyOf));
        assert_eq!(v.folds.choice(file, &at("En~1um")), None);
        // Pointers are escaped and step into arrays as validators report them.
        assert_eq!(
            v.folds
                .choice(file, "/components/schemas/Sl~1a~0sh/items/0/enum"),
            Some(Choice::OneOf)
        );
        assert_eq!(v.folds.choice(Some("file:///u.yaml"), &at("Role")), None);
    }

    #[test]
    fn folded_choices_report_the_same_violations() {
        use crate::schema::validators::{SchemaCompiler, SchemaLoc};
        use crate::schema::violation::{Location, Violation};
        let mut r = doc(json!({"components": {"schemas": {
            "Roles": {"type": "array", "items": {"type": "string", "minLength": 2,
                "anyOf": [{"const": "ROLE_USER", "title": "Viewer"}, {"const": "ROLE_EDITOR"},
                          {"const": "ROLE_ADMINISTRATOR"}]}},
            "Kind": {"oneOf": [{"const": "a"}, {"const": "b"}, {"const": null}]},
            "Outer": {"anyOf": [
                {"type": "object", "required": ["r"], "properties": {"r": {"anyOf": [{"const": "x"}, {"const": "y"}]}}},
                {"type": "string", "format": "email"}]},
            // A folded choice inside a choice whose other branch is a value.
            "Nested": {"anyOf": [{"anyOf": [{"const": "a"}, {"const": "b"}]}, {"const": "c"}]},
            "Both": {"type": ["string", "integer"], "anyOf": [{"const": "A"}, {"const": "B"}],
                "oneOf": [{"const": "B"}, {"const": "C"}], "minLength": 1},
            // The same pointer in another file holds an `enum` as written.
            "Role": {"anyOf": [{"const": "A"}, {"const": "B"}]},
            "Pair": {"type": "object", "properties": {
                "here": {"$ref": "#/components/schemas/Role"},
                "there": {"$ref": "other.yaml#/components/schemas/Role"}}}
        }}}));
        r.insert(
            "file:///other.yaml",
            json!({"components": {"schemas": {"Role": {"enum": ["C", "D"]}}}}),
        );
        let view = validation_view(&r, View::Request);
        assert_ne!(
            view.resources.root(),
            r.root(),
            "the schemas above are meant to be folded"
        );
        // The request registry holds the document as written, the response one the view.
        let written = ValidationView {
            resources: r.clone(),
            folds: Arc::default(),
        };
        let mut compiler = SchemaCompiler::for_views(&written, &view).unwrap();
        let body = |steps| Location::Body(steps);
        let cases = [
            (
                "Roles",
                vec![
                    json!(["ROLE_USER"]),
                    json!(["ROLE_X", "R", 5, null, "ROLE_EDITOR"]),
                    json!([{}]),
                ],
            ),
            (
                "Kind",
                vec![json!("a"), json!(null), json!("c"), json!(1), json!(["a"])],
            ),
            (
                "Outer",
                vec![
                    json!({"r": "x"}),
                    json!({"r": "z"}),
                    json!({"r": 1}),
                    json!({}),
                    json!("nope"),
                    json!(3),
                ],
            ),
            ("Nested", vec![json!("a"), json!("c"), json!("d"), json!(1)]),
            (
                "Both",
                vec![
                    json!("B"),
                    json!("A"),
                    json!("C"),
                    json!(""),
                    json!(7),
                    json!(null),
                ],
            ),
            (
                "Pair",
                vec![
                    json!({"here": "A", "there": "C"}),
                    json!({"here": "C", "there": "A"}),
                    json!({"here": "X", "there": "X"}),
                ],
            ),
        ];
        let mut failing = 0;
        for (name, instances) in cases {
            let loc = SchemaLoc::new("file:///t.yaml", format!("/components/schemas/{name}"));
            let written = compiler.compile(&loc, View::Request).unwrap();
            let folded = compiler.compile(&loc, View::Response).unwrap();
            for instance in instances {
                // The same violations; a folded choice is checked with the cheap keywords, so
                // it may be listed before a `minLength` it came after as written.
                let sorted = |mut v: Vec<Violation>| {
                    v.sort_by_key(|v| format!("{v:?}"));
                    v
                };
                let expected = sorted(written.violations(&instance, &body));
                failing += usize::from(!expected.is_empty());
                assert_eq!(
                    sorted(folded.violations(&instance, &body)),
                    expected,
                    "{name}: {instance}"
                );
            }
        }
        assert!(
            failing >= 14,
            "most cases should be invalid, {failing} were"
        );
    }
}
