//! Validators compiled once per schema position, for the few places where building a value
//! cannot decide and a filter must know whether a value matches a schema: a `oneOf` value must
//! match no other branch, a value must match no `not`, an `enum` value must fit its siblings.
//!
//! Implementation rationale: the filters ask the same `jsonschema` validators the server uses
//! (draft 2020-12, formats checked, `$ref`s resolved through one registry of the document's
//! files), so they are exact where a hand-written matcher could only guess. A validator is
//! compiled by reference (`{"$ref": "file#pointer"}`), so relative `$ref`s inside the schema
//! resolve against its own file; the pointer of a located schema is looked up in an index of
//! the files built on first need. Nothing is compiled for a schema no filter asks about.
//!
//! The checks are kept with the document itself (`Resources::memo`): the tree's cache and the
//! generator, on the request path, share one registry and one validator per position for as
//! long as the document lives, without any caller holding a cache. They are keyed by the
//! addresses of the files' values, which the document keeps stable (a change to its files
//! drops what was kept).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use jsonschema::{Draft, Registry, Validator};
use serde_json::{Value, json};

use crate::document::refs::{Located, Resources};
use crate::schema::validators::SchemaLoc;

/// The validators of one document's schemas, compiled on first use and shared by position;
/// kept with the document (see [`Checker::of`]), so every reader of it shares them.
#[derive(Default)]
pub(crate) struct Checks {
    registry: OnceLock<Option<Registry<'static>>>,
    /// Where each schema of the files sits, by address.
    places: OnceLock<HashMap<usize, SchemaLoc>>,
    compiled: RwLock<HashMap<usize, Option<Arc<Validator>>>>,
}

/// The checks of one document, with the document they read.
#[derive(Clone, Copy)]
pub(crate) struct Checker<'r> {
    resources: &'r Resources,
    checks: Option<&'r Checks>,
}

impl<'r> Checker<'r> {
    /// The checks kept with `resources`, made empty on first need.
    pub(crate) fn of(resources: &'r Resources) -> Self {
        Self {
            resources,
            checks: resources.memo(Checks::default),
        }
    }

    /// The validator of `schema`; `None` when it is not a schema of the document's files or
    /// does not compile (the filter then lets values through and the final validation, which
    /// every caller makes, decides).
    pub(crate) fn validator(&self, schema: Located<'_>) -> Option<Arc<Validator>> {
        let checks = self.checks?;
        let key = schema.value as *const Value as usize;
        let read = |c: &HashMap<usize, Option<Arc<Validator>>>| c.get(&key).cloned();
        if let Some(found) = read(
            &checks
                .compiled
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        ) {
            return found;
        }
        // Values outside the files (a temporary `false`, a copied header) have no place: they
        // are not remembered, so the map only grows with the document's own schemas.
        let loc = checks
            .places
            .get_or_init(|| index(self.resources))
            .get(&key)?;
        let built = self.build(checks, loc);
        checks
            .compiled
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_insert(built)
            .clone()
    }

    /// Whether `v` satisfies `schema`; `None` when no validator could be had. The schemas
    /// `true` and `false` need none.
    pub(crate) fn is_valid(&self, schema: Located<'_>, v: &Value) -> Option<bool> {
        if let Value::Bool(b) = schema.value {
            return Some(*b);
        }
        self.validator(schema).map(|s| s.is_valid(v))
    }

    fn build(&self, checks: &Checks, loc: &SchemaLoc) -> Option<Arc<Validator>> {
        let registry = checks
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
fn index(resources: &Resources) -> HashMap<usize, SchemaLoc> {
    fn walk(file: &str, v: &Value, pointer: &mut String, out: &mut HashMap<usize, SchemaLoc>) {
        match v {
            Value::Object(m) => {
                out.insert(
                    v as *const Value as usize,
                    SchemaLoc::new(file, pointer.clone()),
                );
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
                out.insert(
                    v as *const Value as usize,
                    SchemaLoc::new(file, pointer.clone()),
                );
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

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "file:///t.yaml";

    #[test]
    fn a_documents_validators_are_compiled_once_and_kept_with_it() {
        let r = Resources::new(
            URI,
            json!({"components": {"schemas": {"Small": {"type": "integer", "maximum": 3}}}}),
        );
        let small = Located {
            base: URI,
            value: &r.root()["components"]["schemas"]["Small"],
        };
        let first = Checker::of(&r).validator(small).unwrap();
        assert!(Arc::ptr_eq(
            &first,
            &Checker::of(&r).validator(small).unwrap()
        ));
        assert_eq!(Checker::of(&r).is_valid(small, &json!(4)), Some(false));
        assert_eq!(Checker::of(&r).is_valid(small, &json!(3)), Some(true));
        // A copy's values sit elsewhere: it keeps nothing of the original's.
        let copy = r.clone();
        let copied = Located {
            base: URI,
            value: &copy.root()["components"]["schemas"]["Small"],
        };
        let again = Checker::of(&copy).validator(copied).unwrap();
        assert!(!Arc::ptr_eq(&first, &again));
        // A schema outside the files has no validator; `true` and `false` need none.
        let outside = json!({"type": "string"});
        let outside = Located {
            base: URI,
            value: &outside,
        };
        assert_eq!(Checker::of(&r).is_valid(outside, &json!(1)), None);
        let no = Located {
            base: URI,
            value: &Value::Bool(false),
        };
        assert_eq!(Checker::of(&r).is_valid(no, &json!(1)), Some(false));
    }
}
