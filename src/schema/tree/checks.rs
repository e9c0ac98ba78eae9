//! Validators compiled once per schema position, for the few places where building a value
//! cannot decide and a filter must know whether a value matches a schema: a `oneOf` value must
//! match no other branch, a value must match no `not`, an `enum` value must fit its siblings.
//!
//! Implementation rationale: the filters ask the same `jsonschema` validators the server uses
//! (draft 2020-12, formats checked, `$ref`s resolved through one registry of the document's
//! files), so they are exact where a hand-written matcher could only guess. A validator is
//! compiled by reference (`{"$ref": "file#pointer"}`), so relative `$ref`s inside the schema
//! resolve against its own file; the pointer of a located schema is looked up in an index of
//! the files built on first need. Nothing is compiled for a schema no filter asks about. The
//! registry holds its own copy of the files, so the checks live as long as the cache holding
//! them, across compiles.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;

use jsonschema::{Draft, Registry, Validator};
use serde_json::{Value, json};

use crate::document::refs::{Located, Resources};
use crate::schema::validators::SchemaLoc;

/// The validators of one document's schemas, compiled on first use and shared by position.
pub(crate) struct Checks {
    resources: Arc<Resources>,
    registry: OnceCell<Option<Registry<'static>>>,
    /// Where each schema of the files sits.
    places: OnceCell<HashMap<*const Value, SchemaLoc>>,
    compiled: RefCell<HashMap<*const Value, Option<Arc<Validator>>>>,
}

impl Checks {
    pub(crate) fn new(resources: Arc<Resources>) -> Self {
        Self {
            resources,
            registry: OnceCell::new(),
            places: OnceCell::new(),
            compiled: RefCell::new(HashMap::new()),
        }
    }

    /// The validator of `schema`; `None` when it is not a schema of the document's files or
    /// does not compile (the filter then lets values through and the final validation, which
    /// every caller makes, decides).
    pub(crate) fn validator(&self, schema: Located<'_>) -> Option<Arc<Validator>> {
        let key = schema.value as *const Value;
        if let Some(found) = self.compiled.borrow().get(&key) {
            return found.clone();
        }
        let built = self.build(key);
        self.compiled.borrow_mut().insert(key, built.clone());
        built
    }

    /// Whether `v` satisfies `schema`; `None` when no validator could be had.
    pub(crate) fn is_valid(&self, schema: Located<'_>, v: &Value) -> Option<bool> {
        self.validator(schema).map(|s| s.is_valid(v))
    }

    fn build(&self, key: *const Value) -> Option<Arc<Validator>> {
        let loc = self
            .places
            .get_or_init(|| index(&self.resources))
            .get(&key)?;
        let registry = self
            .registry
            .get_or_init(|| {
                Registry::new()
                    .draft(Draft::Draft202012)
                    .extend(
                        self.resources
                            .files()
                            .map(|(uri, file)| (uri.to_owned(), file.clone())),
                    )
                    .and_then(|b| b.prepare())
                    .ok()
            })
            .as_ref()?;
        jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(registry)
            .should_validate_formats(true)
            .build(&json!({ "$ref": loc.uri() }))
            .ok()
            .map(Arc::new)
    }
}

/// Every object and boolean of the files (the values that can be schemas), by address.
fn index(resources: &Resources) -> HashMap<*const Value, SchemaLoc> {
    fn walk(
        file: &str,
        v: &Value,
        pointer: &mut String,
        out: &mut HashMap<*const Value, SchemaLoc>,
    ) {
        match v {
            Value::Object(m) => {
                out.insert(v as *const Value, SchemaLoc::new(file, pointer.clone()));
                for (k, child) in m {
                    let len = pointer.len();
                    crate::document::refs::push_token(pointer, k);
                    walk(file, child, pointer, out);
                    pointer.truncate(len);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    let len = pointer.len();
                    crate::document::refs::push_token(pointer, &i.to_string());
                    walk(file, child, pointer, out);
                    pointer.truncate(len);
                }
            }
            Value::Bool(_) => {
                out.insert(v as *const Value, SchemaLoc::new(file, pointer.clone()));
            }
            _ => {}
        }
    }
    let mut out = HashMap::new();
    for (file, root) in resources.files() {
        walk(file, root, &mut String::new(), &mut out);
    }
    out
}
