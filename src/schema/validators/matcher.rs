//! Whether a value matches one schema of the document, for the makers of values: the generator
//! and the strategies of the compiled trees. Where building a value cannot decide, a filter
//! must know: a `oneOf` value must match no other branch, a value must match no `not`, an
//! `enum` value must fit the schemas beside it.
//!
//! Implementation rationale: the filters ask `jsonschema` validators (draft 2020-12, formats
//! checked), the kind that judges every answer, so they are exact where a hand-written matcher
//! could only guess. Each schema a filter asks about is compiled once, on first need, and kept
//! by its address in the document (stable: the matcher holds the files). Generation is made
//! once per answer and kept, so these compilations happen once per schema, not per request.
//! Two ways to compile:
//! - **through the shared targets** of a loaded document's validation view: the schema alone
//!   is compiled, each of its `$ref`s written as the shared reference to a target the server's
//!   validators already compiled. It costs what the schema itself holds, nothing for what it
//!   reaches. A schema reaching a target no validator reached is not judged (`None`).
//! - **through a registry** of a copy of the files, built on first need: for a document whose
//!   references cannot be shared (see `document::normalize`), and for documents held without
//!   their validators (tests, the strategies over a bare document).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::{Draft, Registry, Validator};
use serde_json::{Value, json};

use super::SchemaLoc;
use super::shared::{self, Shared, SharedRef};
use crate::document::normalize::{SHARED_REF, SharedTargets};
use crate::document::refs::{Located, Resources, push_token};

/// A compiled schema a filter asks: valid or not, nothing more.
#[derive(Debug)]
pub struct Check {
    validator: Validator,
    /// The table its shared references reach, if it has any.
    shared: Option<Arc<Shared>>,
}

impl Check {
    pub fn is_valid(&self, v: &Value) -> bool {
        if let Some(shared) = &self.shared {
            shared::enter(shared);
        }
        self.validator.is_valid(v)
    }
}

/// A document's matchers, one per view: requests and responses.
#[derive(Debug, Clone)]
pub struct Matchers {
    pub request: Arc<Matcher>,
    pub response: Arc<Matcher>,
}

impl Matchers {
    /// For a document held without its validators (see [`Matcher::standalone`]): one
    /// matcher serves both views.
    pub fn standalone(resources: Arc<Resources>) -> Self {
        let one = Arc::new(Matcher::standalone(resources));
        Self {
            request: one.clone(),
            response: one,
        }
    }

    /// The document's files.
    pub fn resources(&self) -> &Resources {
        self.request.resources()
    }
}

/// Judges values against the schemas of one document, for one view of it.
pub struct Matcher {
    resources: Arc<Resources>,
    through: Through,
    /// By the schema's address in `resources`; `None` when it could not be compiled.
    compiled: Mutex<HashMap<usize, Option<Arc<Check>>>>,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher").finish_non_exhaustive()
    }
}

enum Through {
    Shared {
        targets: Arc<SharedTargets>,
        /// The slot of each target number.
        slots: Arc<[u32]>,
        table: Arc<Shared>,
    },
    Registry(Box<OnDemand>),
}

/// A registry of a copy of the files, and the index of their schemas, made on first need.
struct OnDemand {
    registry: OnceLock<Option<Registry<'static>>>,
    /// Where each object and boolean of the files sits.
    places: OnceLock<HashMap<usize, SchemaLoc>>,
}

/// Keywords whose values are data, never schemas: a `$ref` there is not a reference.
const DATA: &[&str] = &["const", "enum", "default", "example", "examples"];

impl Matcher {
    /// For a document held without its validators: schemas compile through a registry of
    /// a copy of its files, made on first need.
    pub fn standalone(resources: Arc<Resources>) -> Self {
        Self::with(
            resources,
            Through::Registry(Box::new(OnDemand {
                registry: OnceLock::new(),
                places: OnceLock::new(),
            })),
        )
    }

    /// Through the targets a view numbered and their compiled `table`, `slots` giving the
    /// slot of each number.
    pub(super) fn shared(
        resources: Arc<Resources>,
        targets: Arc<SharedTargets>,
        slots: Arc<[u32]>,
        table: Arc<Shared>,
    ) -> Self {
        Self::with(
            resources,
            Through::Shared {
                targets,
                slots,
                table,
            },
        )
    }

    fn with(resources: Arc<Resources>, through: Through) -> Self {
        Self {
            resources,
            through,
            compiled: Mutex::new(HashMap::new()),
        }
    }

    /// The document's files.
    pub fn resources(&self) -> &Resources {
        &self.resources
    }

    pub fn resources_arc(&self) -> Arc<Resources> {
        self.resources.clone()
    }

    /// Whether `v` satisfies `schema`, a schema of this matcher's document; `None` when it
    /// cannot be judged (the caller's final validation then decides).
    pub fn matches(&self, schema: Located<'_>, v: &Value) -> Option<bool> {
        if let Value::Bool(b) = schema.value {
            return Some(*b);
        }
        self.check(schema).map(|c| c.is_valid(v))
    }

    /// The compiled form of `schema`, compiled on first need.
    pub fn check(&self, schema: Located<'_>) -> Option<Arc<Check>> {
        let key = schema.value as *const Value as usize;
        if let Some(found) = self.compiled.lock().ok()?.get(&key) {
            return found.clone();
        }
        let built = self.build(schema).map(Arc::new);
        self.compiled.lock().ok()?.insert(key, built.clone());
        built
    }

    fn build(&self, schema: Located<'_>) -> Option<Check> {
        match &self.through {
            Through::Shared {
                targets,
                slots,
                table,
            } => {
                let mut copy = schema.value.clone();
                number_refs(&mut copy, schema.base, targets, slots, table)?;
                let validator = jsonschema::options()
                    .with_draft(Draft::Draft202012)
                    .should_validate_formats(true)
                    .with_keyword(
                        SHARED_REF,
                        SharedRef::factory(slots.clone(), Arc::default()),
                    )
                    .build(&copy)
                    .ok()?;
                Some(Check {
                    validator,
                    shared: Some(table.clone()),
                })
            }
            Through::Registry(on_demand) => {
                let OnDemand { registry, places } = &**on_demand;
                let key = schema.value as *const Value as usize;
                let loc = places.get_or_init(|| index(&self.resources)).get(&key)?;
                let registry = registry
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
                let validator = jsonschema::options()
                    .with_draft(Draft::Draft202012)
                    .with_registry(registry)
                    .should_validate_formats(true)
                    .build(&json!({ "$ref": loc.uri() }))
                    .ok()?;
                Some(Check {
                    validator,
                    shared: None,
                })
            }
        }
    }
}

/// Writes every `$ref` of `schema` (a copy of a schema of the file `base`) as the shared
/// reference to its target; `None` when one names a schema that is not a target or whose
/// compiled form no validator reached.
fn number_refs(
    schema: &mut Value,
    base: &str,
    targets: &SharedTargets,
    slots: &[u32],
    table: &Shared,
) -> Option<()> {
    match schema {
        Value::Object(map) => {
            if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                let absolute = Resources::absolute(base, reference).ok()?;
                let number = targets.number_of(&absolute)?;
                let slot = *slots.get(usize::try_from(number).ok()?)?;
                table.get(slot)?;
                map.remove("$ref");
                map.insert(SHARED_REF.to_owned(), Value::from(number));
            }
            for (key, child) in map.iter_mut() {
                if !DATA.contains(&key.as_str()) && !key.starts_with("x-") {
                    number_refs(child, base, targets, slots, table)?;
                }
            }
            Some(())
        }
        Value::Array(items) => items
            .iter_mut()
            .try_for_each(|child| number_refs(child, base, targets, slots, table)),
        _ => Some(()),
    }
}

/// Every object and boolean of the files (the values that can be schemas), by address.
fn index(resources: &Resources) -> HashMap<usize, SchemaLoc> {
    fn walk(file: &str, v: &Value, pointer: &mut String, out: &mut HashMap<usize, SchemaLoc>) {
        let children: Box<dyn Iterator<Item = (String, &Value)>> = match v {
            Value::Object(m) => Box::new(m.iter().map(|(k, c)| (k.clone(), c))),
            Value::Array(items) => {
                Box::new(items.iter().enumerate().map(|(i, c)| (i.to_string(), c)))
            }
            Value::Bool(_) => Box::new(std::iter::empty()),
            _ => return,
        };
        if !v.is_array() {
            out.insert(
                v as *const Value as usize,
                SchemaLoc::new(file, pointer.clone()),
            );
        }
        for (token, child) in children {
            let len = pointer.len();
            push_token(pointer, &token);
            walk(file, child, pointer, out);
            pointer.truncate(len);
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
    use serde_json::json;

    use super::*;
    use crate::document::normalize::{View, validation_view};
    use crate::schema::validators::SchemaCompiler;

    const URI: &str = "file:///api.json";

    /// The matchers of `doc` once the validators of `roots` (response schemas) are compiled.
    fn loaded(doc: Value, roots: &[&str]) -> Matchers {
        let r = Arc::new(Resources::new(URI, doc));
        let request = validation_view(&r, View::Request);
        let response = validation_view(&r, View::Response);
        let mut compiler = SchemaCompiler::for_views(&request, &response).unwrap();
        for root in roots {
            compiler
                .compile(&SchemaLoc::new(URI, *root), View::Response)
                .unwrap();
        }
        compiler.matchers(&r)
    }

    fn at<'a>(m: &'a Matcher, pointer: &str) -> Located<'a> {
        Located {
            base: URI,
            value: m.resources().root().pointer(pointer).unwrap(),
        }
    }

    fn doc() -> Value {
        json!({"components": {"schemas": {
            "Pet": {"type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string", "minLength": 2}}},
            "Id": {"type": "integer", "minimum": 1},
            "Choice": {"oneOf": [
                {"$ref": "#/components/schemas/Pet"},
                {"type": "object", "required": ["id"],
                 "properties": {"id": {"$ref": "#/components/schemas/Id"}}}]},
            "Lonely": {"type": "string"},
            "NotLonely": {"not": {"$ref": "#/components/schemas/Lonely"}}
        }}})
    }

    #[test]
    fn a_matcher_judges_through_the_targets_the_validators_compiled() {
        let matchers = loaded(doc(), &["/components/schemas/Choice"]);
        let m = &matchers.response;
        let alone = Matcher::standalone(Arc::new(Resources::new(URI, doc())));
        let cases = [
            (
                "/components/schemas/Choice/oneOf/0",
                json!({"name": "ab"}),
                true,
            ),
            (
                "/components/schemas/Choice/oneOf/0",
                json!({"name": "a"}),
                false,
            ),
            ("/components/schemas/Choice/oneOf/1", json!({"id": 3}), true),
            (
                "/components/schemas/Choice/oneOf/1",
                json!({"id": 0}),
                false,
            ),
            (
                "/components/schemas/Choice",
                json!({"id": 2, "name": "ab"}),
                false,
            ),
            ("/components/schemas/Choice", json!({"name": "ab"}), true),
        ];
        for (pointer, value, expected) in cases {
            assert_eq!(
                m.matches(at(m, pointer), &value),
                Some(expected),
                "{pointer} {value}"
            );
            // The same answer as the schema's own validator over the whole document.
            assert_eq!(alone.matches(at(&alone, pointer), &value), Some(expected));
        }
        // Each schema is compiled once.
        let first = m
            .check(at(m, "/components/schemas/Choice/oneOf/1"))
            .unwrap();
        let again = m
            .check(at(m, "/components/schemas/Choice/oneOf/1"))
            .unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        // No validator reached `Lonely`: not judged here, where a registry would judge it.
        let not = "/components/schemas/NotLonely/not";
        assert_eq!(m.matches(at(m, not), &json!("x")), None);
        assert_eq!(alone.matches(at(&alone, not), &json!("x")), Some(true));
        assert_eq!(
            m.matches(at(m, "/components/schemas/Lonely"), &json!(1)),
            Some(false)
        );
    }

    #[test]
    fn references_that_cannot_be_shared_are_judged_through_a_registry() {
        let mut d = doc();
        d["components"]["schemas"]["Anchored"] = json!({"$anchor": "here", "type": "string"});
        let matchers = loaded(d, &["/components/schemas/Choice"]);
        let m = &matchers.response;
        assert!(Arc::ptr_eq(&matchers.request, &matchers.response));
        let not = "/components/schemas/NotLonely/not";
        assert_eq!(m.matches(at(m, not), &json!("x")), Some(true));
        assert_eq!(m.matches(at(m, not), &json!(1)), Some(false));
        let branch = "/components/schemas/Choice/oneOf/1";
        assert_eq!(m.matches(at(m, branch), &json!({"id": 0})), Some(false));
    }
}
