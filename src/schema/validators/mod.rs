//! Compiled JSON Schema validators and the translation of their errors into violations.
//!
//! Every schema of a document is compiled once, at startup, through one `jsonschema`
//! registry holding the document's files, so `$ref`s anywhere resolve as they do in the
//! document. Validators are shared by schema location: the hundred responses that reference
//! `#/components/schemas/Error` share one validator. Inside them, every target of a view's
//! shared references is compiled once (`shared`), so the components a thousand schemas reach
//! are compiled once, not once per schema.
//!
//! - `shared`: the compiled targets and the keyword that reaches them.
//! - `failures`: the validators' errors read as violations.
//!
//! Messages are written for people and read like the constraint violations of Symfony's
//! validator (the style Alumio's API speaks); the keyword that failed travels with each one.

mod failures;
mod matcher;
mod shared;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Registry, ValidationError, Validator};
use serde_json::{Value, json};

use crate::document::normalize::{
    Folds, SHARED_REF, SharedTargets, ValidationView, View, same_in_both,
};
use crate::document::problems::{excerpt_n, excerpt_value};
use crate::document::refs::{Resources, pointer_fragment};
use crate::schema::validators::failures::Failure;
use crate::schema::validators::shared::{Shared, SharedRef};
use crate::schema::violation::{Location, Segment, Violation};
pub use matcher::{Check, Matcher, Matchers};

/// How a compile error caused by a dangling `$ref` starts.
pub const UNRESOLVED: &str = "a `$ref` cannot be resolved";

/// Where a schema lives: a file URI and a JSON pointer in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchemaLoc {
    pub file: String,
    pub pointer: String,
}

impl SchemaLoc {
    pub fn new(file: impl Into<String>, pointer: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            pointer: pointer.into(),
        }
    }

    /// The absolute reference `file#pointer`, pointer percent-encoded as a URI fragment.
    pub fn uri(&self) -> String {
        format!("{}#{}", self.file, pointer_fragment(&self.pointer))
    }

    /// The schema itself, in `resources`.
    pub fn get<'a>(&self, resources: &'a Resources) -> Option<&'a Value> {
        resources.file(&self.file)?.pointer(&self.pointer)
    }
}

/// A compiled schema and where it came from.
#[derive(Debug)]
pub struct CompiledSchema {
    pub loc: SchemaLoc,
    validator: Validator,
    /// The compiled targets of its view's shared references.
    shared: Arc<Shared>,
    /// The `enum`s of the view that were written as choices.
    folds: Arc<Folds>,
}

impl CompiledSchema {
    pub fn is_valid(&self, instance: &Value) -> bool {
        shared::enter(&self.shared);
        self.validator.is_valid(instance)
    }

    /// A body sent as text (`text/plain`, `text/csv`, ...), as the value this schema reads:
    /// the text itself; or, where the schema takes no such string and the text spells a JSON
    /// value other than a string (`42`, `true`, an object), that value, as answers write
    /// non-strings, so that what breaks the schema is said of the value meant.
    pub fn read_text(&self, text: &str) -> Value {
        let string = Value::String(text.to_owned());
        if self.is_valid(&string) {
            return string;
        }
        match serde_json::from_str::<Value>(text.trim()) {
            Ok(value) if !value.is_string() => value,
            _ => string,
        }
    }

    /// Every violation of `instance`, located under `at` (a parameter or the body).
    pub fn violations(
        &self,
        instance: &Value,
        at: &dyn Fn(Vec<Segment>) -> Location,
    ) -> Vec<Violation> {
        // Most values are valid, and `is_valid` stops at the first failure without building
        // errors: collecting them (an iterator, locations, a vector) cost more than a whole
        // validation of a valid value.
        if self.is_valid(instance) {
            return Vec::new();
        }
        let failures = failures::failures(&self.validator, instance, &self.shared);
        failures::to_violations(&failures, at, &self.folds)
    }
}

/// Compiles validators for the schemas of one document, sharing them by location, and each
/// target of the views' shared references once: once for both views where it reads the same
/// in both, with everything it reaches.
pub struct SchemaCompiler<'r> {
    request: Side<'r>,
    response: Side<'r>,
    /// The compiled targets: the request view's by number, then the response view's that
    /// differ.
    shared: Arc<Shared>,
    /// The slots the last compilations reached, to be compiled.
    reached: Arc<Mutex<Vec<u32>>>,
    /// Slots that do not compile, and why.
    broken: HashMap<u32, String>,
    /// The view and target number of each slot.
    origin: Vec<(ViewKey, u32)>,
    cache: HashMap<(ViewKey, SchemaLoc), Arc<CompiledSchema>>,
}

/// What the compiler holds for one view.
struct Side<'r> {
    registry: Registry<'r>,
    folds: Arc<Folds>,
    targets: Arc<SharedTargets>,
    /// The slot of each target number.
    slots: Arc<[u32]>,
}

impl Side<'_> {
    /// The validator of the schema at `uri`: through its shared slot when it is a target, so
    /// that a component a response names is compiled once, as its target.
    fn build_root(&self, uri: &str, reached: &Arc<Mutex<Vec<u32>>>) -> Result<Validator, String> {
        match self.targets.number_of(uri) {
            Some(n) => self.build(&json!({ SHARED_REF: n }), reached),
            None => self.build(&json!({ "$ref": uri }), reached),
        }
    }

    fn build(&self, schema: &Value, reached: &Arc<Mutex<Vec<u32>>>) -> Result<Validator, String> {
        jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(&self.registry)
            .should_validate_formats(true)
            .with_keyword(
                SHARED_REF,
                SharedRef::factory(self.slots.clone(), reached.clone()),
            )
            .build(schema)
            .map_err(compile_message)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ViewKey {
    Request,
    Response,
}

impl<'r> SchemaCompiler<'r> {
    /// For the document's validation views (see `normalize`).
    pub fn for_views(
        request: &'r ValidationView,
        response: &'r ValidationView,
    ) -> Result<Self, String> {
        let same = same_in_both(request, response);
        let numbers = |n: usize| u32::try_from(n).map_err(|_| "too many schemas".to_owned());
        let mut origin = Vec::with_capacity(request.shared.len());
        let mut request_slots = Vec::with_capacity(request.shared.len());
        for n in 0..request.shared.len() {
            request_slots.push(numbers(origin.len())?);
            origin.push((ViewKey::Request, numbers(n)?));
        }
        let mut response_slots = Vec::with_capacity(response.shared.len());
        for n in 0..response.shared.len() {
            if same.get(n).copied().unwrap_or(false) {
                response_slots.push(numbers(n)?);
            } else {
                response_slots.push(numbers(origin.len())?);
                origin.push((ViewKey::Response, numbers(n)?));
            }
        }
        Ok(Self {
            request: Side {
                registry: registry(&request.resources)?,
                folds: request.folds.clone(),
                targets: request.shared.clone(),
                slots: request_slots.into(),
            },
            response: Side {
                registry: registry(&response.resources)?,
                folds: response.folds.clone(),
                targets: response.shared.clone(),
                slots: response_slots.into(),
            },
            shared: Arc::new(Shared::new(origin.len())),
            reached: Arc::default(),
            broken: HashMap::new(),
            origin,
            cache: HashMap::new(),
        })
    }

    /// For files with no folded choices and no shared references (schemas as written).
    pub fn new(request: &'r Resources, response: &'r Resources) -> Result<Self, String> {
        let side = |resources| -> Result<Side<'r>, String> {
            Ok(Side {
                registry: registry(resources)?,
                folds: Arc::default(),
                targets: Arc::default(),
                slots: Arc::new([]),
            })
        };
        Ok(Self {
            request: side(request)?,
            response: side(response)?,
            shared: Arc::new(Shared::new(0)),
            reached: Arc::default(),
            broken: HashMap::new(),
            origin: Vec::new(),
            cache: HashMap::new(),
        })
    }

    /// The validator for the schema at `loc`, compiled on first request, with every shared
    /// schema it reaches.
    pub fn compile(&mut self, loc: &SchemaLoc, view: View) -> Result<Arc<CompiledSchema>, String> {
        let key_view = match view {
            View::Request => ViewKey::Request,
            View::Response => ViewKey::Response,
        };
        let key = (key_view, loc.clone());
        if let Some(found) = self.cache.get(&key) {
            return Ok(found.clone());
        }
        let side = match view {
            View::Request => &self.request,
            View::Response => &self.response,
        };
        let validator = match side.build_root(&loc.uri(), &self.reached) {
            Ok(v) => v,
            Err(why) => return Err(self.abandon(why)),
        };
        let folds = side.folds.clone();
        self.settle()?;
        let compiled = Arc::new(CompiledSchema {
            loc: loc.clone(),
            validator,
            shared: self.shared.clone(),
            folds,
        });
        self.cache.insert(key, compiled.clone());
        Ok(compiled)
    }

    /// The matchers of the document `resources` holds (the files the views were derived
    /// from), one per view: through the targets the views share once every validator is
    /// compiled, else through a registry of the files.
    pub fn matchers(&self, resources: &Arc<Resources>) -> Matchers {
        let side = |side: &Side<'_>| {
            Arc::new(if side.targets.is_sharing() {
                Matcher::shared(
                    resources.clone(),
                    side.targets.clone(),
                    side.slots.clone(),
                    self.shared.clone(),
                )
            } else {
                Matcher::standalone(resources.clone())
            })
        };
        let request = side(&self.request);
        let response = if self.request.targets.is_sharing() {
            side(&self.response)
        } else {
            // One registry, made on first need, serves both.
            request.clone()
        };
        Matchers { request, response }
    }

    /// Compiles every slot reached and not compiled yet, and the slots those reach.
    fn settle(&mut self) -> Result<(), String> {
        loop {
            let next = match self.reached.lock() {
                Ok(mut reached) => reached.pop(),
                Err(_) => return Err("a compilation of shared schemas failed".to_owned()),
            };
            let Some(slot) = next else {
                return Ok(());
            };
            if self.shared.get(slot).is_some() {
                continue;
            }
            if let Some(why) = self.broken.get(&slot) {
                return Err(self.abandon(why.clone()));
            }
            let (side, uri) = match self.origin.get(slot as usize) {
                Some((ViewKey::Request, n)) => (&self.request, self.request.targets.uri(*n)),
                Some((ViewKey::Response, n)) => (&self.response, self.response.targets.uri(*n)),
                None => (&self.response, None),
            };
            let built = match uri {
                Some(uri) => side.build(&json!({ "$ref": uri }), &self.reached),
                None => Err(format!("shared schema {slot} is not in the document")),
            };
            match built {
                Ok(validator) => self.shared.fill(slot, validator),
                Err(why) => {
                    self.broken.insert(slot, why.clone());
                    return Err(self.abandon(why));
                }
            }
        }
    }

    /// Forgets what was reached by a compilation that failed, and says why it failed.
    fn abandon(&self, why: String) -> String {
        if let Ok(mut reached) = self.reached.lock() {
            reached.clear();
        }
        why
    }
}

fn registry(resources: &Resources) -> Result<Registry<'_>, String> {
    Registry::new()
        .draft(Draft::Draft202012)
        .extend(resources.files())
        .and_then(|b| b.prepare())
        .map_err(|e| format!("the document's schemas cannot be indexed: {e}"))
}

/// Why a schema does not compile. The validator's own message quotes the schema (the
/// instance it checked against the meta-schema) whole, and a `$ref` may have made that
/// schema a file's entire text: the schema is quoted only as an excerpt.
fn compile_message(e: ValidationError<'_>) -> String {
    if let ValidationErrorKind::Referencing(r) = e.kind() {
        return format!("{UNRESOLVED}: {r}");
    }
    let found = excerpt_value(e.instance());
    let at = e.schema_path().as_str().to_owned();
    let (keyword, message) = failures::describe(&Failure::of(e), &Folds::default());
    // The sentences quote the meta-schema's values, but the catch-all and the
    // `propertyNames` one embed the validator's message, which quotes the schema.
    let message = excerpt_n(message.trim_end_matches('.'), 120);
    let what = format!("`{keyword}`: {message} (found: {found})");
    if at.is_empty() {
        format!("the schema is not valid: {what}")
    } else {
        format!("the schema is not valid at {at}: {what}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(doc: Value, pointer: &str) -> Arc<CompiledSchema> {
        let r = Resources::new("file:///t.yaml", doc);
        let mut c = SchemaCompiler::new(&r, &r).unwrap();
        c.compile(&SchemaLoc::new("file:///t.yaml", pointer), View::Request)
            .unwrap()
    }

    fn body(steps: Vec<Segment>) -> Location {
        Location::Body(steps)
    }

    #[test]
    fn violations_name_their_place_and_keyword() {
        let v = compile(
            json!({"components": {"schemas": {"U": {"type": "object", "required": ["users"],
                "properties": {"users": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}}},
                "User": {"type": "object", "required": ["email", "roles"],
                    "properties": {"email": {"type": "string", "format": "email"}, "roles": {"type": "array"}}}}}}),
            "/components/schemas/U",
        );
        let got = v.violations(
            &json!({"users": [{"email": "x@example.com", "roles": []}, {"email": "nope"}]}),
            &body,
        );
        let rendered: Vec<String> = got.iter().map(|v| v.to_string()).collect();
        assert!(
            rendered
                .contains(&"users[1].email: This value is not a valid email address.".to_owned()),
            "{rendered:?}"
        );
        assert!(
            rendered.contains(&"users[1].roles: This field is missing.".to_owned()),
            "{rendered:?}"
        );
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn shared_references_report_what_references_as_written_report() {
        let doc = json!({"components": {"schemas": {
            "Tree": {"type": "object", "required": ["name"], "properties": {
                "name": {"$ref": "#/components/schemas/Name"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}},
                "owner": {"anyOf": [{"$ref": "#/components/schemas/User"},
                                    {"$ref": "#/components/schemas/Team"}]}}},
            "Name": {"type": "string", "minLength": 2},
            "User": {"type": "object", "required": ["email"],
                     "properties": {"email": {"type": "string", "format": "email"}}},
            "Team": {"type": "object", "required": ["members"],
                     "properties": {"members": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}}}
        }}});
        let r = Resources::new("file:///t.yaml", doc);
        let view = crate::document::normalize::validation_view(&r, View::Request);
        assert!(!view.shared.is_empty(), "the view is meant to share");
        let loc = SchemaLoc::new("file:///t.yaml", "/components/schemas/Tree");
        let mut written = SchemaCompiler::new(&r, &r).unwrap();
        let written = written.compile(&loc, View::Request).unwrap();
        let mut shared = SchemaCompiler::for_views(&view, &view).unwrap();
        let shared = shared.compile(&loc, View::Request).unwrap();
        let cases = [
            json!({"name": "root", "children": [{"name": "a"}, {"name": "bb", "children": [{}]}]}),
            json!({"name": "x", "owner": {"email": "nope"}}),
            json!({"name": "xy", "owner": {"members": [{"email": "a@b.example"}, {"email": 5}]}}),
            json!({"name": "xy", "owner": 3, "children": "no"}),
            json!([]),
            json!({"name": "fine", "children": [{"name": "also", "owner": {"email": "a@b.example"}}]}),
        ];
        for case in cases {
            let render = |v: &CompiledSchema| -> Vec<String> {
                v.violations(&case, &body)
                    .iter()
                    .map(ToString::to_string)
                    .collect()
            };
            assert_eq!(render(&shared), render(&written), "{case}");
            assert_eq!(shared.is_valid(&case), written.is_valid(&case), "{case}");
        }
        assert!(!shared.is_valid(&json!({"name": "ok", "children": [{"name": "z"}]})));
    }

    #[test]
    fn a_cycle_of_shared_references_without_progress_ends_as_references_as_written_do() {
        let doc = json!({"components": {"schemas": {
            "A": {"type": "string", "allOf": [{"$ref": "#/components/schemas/B"}]},
            "B": {"minLength": 2, "anyOf": [{"$ref": "#/components/schemas/A"}]},
            "Self": {"$ref": "#/components/schemas/Self"}
        }}});
        let r = Resources::new("file:///t.yaml", doc);
        let view = crate::document::normalize::validation_view(&r, View::Request);
        let mut written = SchemaCompiler::new(&r, &r).unwrap();
        let mut shared = SchemaCompiler::for_views(&view, &view).unwrap();
        for name in ["A", "B"] {
            let loc = SchemaLoc::new("file:///t.yaml", format!("/components/schemas/{name}"));
            let w = written.compile(&loc, View::Request).unwrap();
            let s = shared.compile(&loc, View::Request).unwrap();
            for case in [json!("ok"), json!("x"), json!(5), json!({"a": [1]})] {
                assert_eq!(s.is_valid(&case), w.is_valid(&case), "{name} {case}");
                let render = |v: &CompiledSchema| -> Vec<String> {
                    v.violations(&case, &body)
                        .iter()
                        .map(ToString::to_string)
                        .collect()
                };
                assert_eq!(render(&s), render(&w), "{name} {case}");
            }
        }
        let loc = SchemaLoc::new("file:///t.yaml", "/components/schemas/Self");
        if let Ok(s) = shared.compile(&loc, View::Request) {
            // Whatever it says, it says it without running out of stack.
            let _ = s.violations(&json!({"a": 1}), &body);
        }
    }

    #[test]
    fn a_documents_own_extension_of_the_shared_keywords_name_is_an_annotation() {
        let doc = json!({"components": {"schemas": {
            "N": {"type": "string", "minLength": 2, "x-understudy-ref": 0},
            "O": {"type": "integer", "x-understudy-ref": {"why": "mine"}},
            "P": {"type": "object", "additionalProperties": false,
                  "properties": {"x-understudy-ref": {"$ref": "#/components/schemas/N"}}}
        }}});
        let r = Resources::new("file:///t.yaml", doc);
        let view = crate::document::normalize::validation_view(&r, View::Request);
        let mut compiler = SchemaCompiler::for_views(&view, &view).unwrap();
        let compile = |c: &mut SchemaCompiler<'_>, name: &str| {
            let loc = SchemaLoc::new("file:///t.yaml", format!("/components/schemas/{name}"));
            c.compile(&loc, View::Request).unwrap()
        };
        let n = compile(&mut compiler, "N");
        assert!(n.is_valid(&json!("ok")));
        assert!(!n.is_valid(&json!("x")));
        let o = compile(&mut compiler, "O");
        assert!(o.is_valid(&json!(3)));
        assert!(!o.is_valid(&json!("3")));
        let p = compile(&mut compiler, "P");
        assert!(p.is_valid(&json!({"x-understudy-ref": "ok"})));
        let got = p.violations(&json!({"x-understudy-ref": "x"}), &body);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].keyword, "minLength");
    }

    #[test]
    fn a_const_choice_failure_lists_the_choices() {
        let v = compile(
            json!({"s": {"type": "string", "anyOf": [{"const": "A"}, {"const": "B"}]}}),
            "/s",
        );
        let got = v.violations(&json!("C"), &body);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].keyword, "anyOf");
        assert!(got[0].message.contains("\"A\""), "{}", got[0].message);
    }

    #[test]
    fn pointers_with_special_characters_compile() {
        let v = compile(
            json!({"paths": {"/pets/{id}": {"get": {"x": {"type": "integer"}}}}}),
            "/paths/~1pets~1{id}/get/x",
        );
        assert!(v.is_valid(&json!(3)));
        assert!(!v.is_valid(&json!("3")));
    }

    #[test]
    fn an_unresolvable_reference_is_a_compile_error() {
        let r = Resources::new("file:///t.yaml", json!({"s": {"$ref": "#/nope"}}));
        let mut c = SchemaCompiler::new(&r, &r).unwrap();
        let err = c
            .compile(&SchemaLoc::new("file:///t.yaml", "/s"), View::Request)
            .unwrap_err();
        assert!(err.contains("nope"), "{err}");
    }

    #[test]
    fn a_schema_that_is_a_files_whole_text_is_quoted_only_in_part() {
        // What a `$ref` to a file of plain text gives: the text, as one YAML string.
        let text = format!("SECRET {}", "x".repeat(5000));
        let r = Resources::new("file:///t.yaml", json!({ "s": text }));
        let mut c = SchemaCompiler::new(&r, &r).unwrap();
        let err = c
            .compile(&SchemaLoc::new("file:///t.yaml", "/s"), View::Request)
            .unwrap_err();
        assert!(err.contains("`type`"), "{err}");
        assert!(err.contains("(found: SECRET xxx"), "{err}");
        assert!(err.len() < 200, "{err}");
    }
}
