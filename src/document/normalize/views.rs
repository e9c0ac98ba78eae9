//! The validation views of normalised files: `readOnly` (requests) or `writeOnly` (responses)
//! properties out of `required`, discriminators made an explicit selection, and choices among
//! fixed values folded into one `enum`, remembered in [`Folds`].

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::document::normalize::share::{SHARED_REF, SharedTargets, can_share};
use crate::document::refs::{Resources, pointer_join, push_token, unescape_token};

/// The direction a validation view is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Request,
    Response,
}

/// A validation view: the rewritten files, where choices were folded into `enum`s, and the
/// targets of its shared references (see `share`).
#[derive(Debug, Clone)]
pub struct ValidationView {
    pub resources: Resources,
    pub folds: Arc<Folds>,
    pub shared: Arc<SharedTargets>,
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
/// among fixed values folded, and references to schemas numbered to be shared where the
/// document allows it.
pub fn validation_view(resources: &Resources, view: View) -> ValidationView {
    let mut out = resources.clone();
    let mut folds = Folds::default();
    let mut shared = can_share(resources).then(SharedTargets::sharing);
    let uris: Vec<String> = out.files().map(|(u, _)| u.to_owned()).collect();
    for uri in uris {
        // Resolution needs the untouched files, so read from `resources`, write to `out`.
        if let Some(file) = out.file_mut(&uri) {
            let mut walk = Walk {
                resources,
                base: &uri,
                view,
                folds: &mut folds,
                shared: shared.as_mut(),
                pointer: String::new(),
            };
            walk.rewrite(file);
        }
    }
    ValidationView {
        resources: out,
        folds: Arc::new(folds),
        shared: Arc::new(shared.unwrap_or_default()),
    }
}

/// One file's rewrite, with the pointer of the node at hand.
struct Walk<'a> {
    resources: &'a Resources,
    base: &'a str,
    view: View,
    folds: &'a mut Folds,
    shared: Option<&'a mut SharedTargets>,
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
                // The document's own `x-understudy-ref` extension means nothing to
                // validation; a schema (a property of that name) stays.
                if map
                    .get(SHARED_REF)
                    .is_some_and(|v| !(v.is_object() || v.is_boolean()))
                {
                    map.remove(SHARED_REF);
                }
                if let Some(shared) = self.shared.as_deref_mut() {
                    shared.rewrite(map, self.resources, self.base);
                }
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
