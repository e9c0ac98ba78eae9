//! Compiled JSON Schema validators and the translation of their errors into violations.
//!
//! Every schema of a document is compiled once, at startup, through one `jsonschema`
//! registry holding the document's files, so `$ref`s anywhere resolve as they do in the
//! document. Validators are shared by schema location: the hundred responses that reference
//! `#/components/schemas/Error` share one validator.
//!
//! Messages are written for people and read like the constraint violations of Symfony's
//! validator (the style Alumio's API speaks); the keyword that failed travels with each one.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{Draft, Registry, ValidationError, Validator};
use serde_json::{Value, json};

use crate::document::normalize::{Choice, Folds, ValidationView, View};
use crate::document::problems::{excerpt_n, excerpt_value};
use crate::document::refs::Resources;
use crate::schema::violation::{Location, Segment, Violation};

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
        let fragment: String =
            percent_encoding::utf8_percent_encode(&self.pointer, &FRAGMENT_ENCODE).collect();
        format!("{}#{fragment}", self.file)
    }

    /// The schema itself, in `resources`.
    pub fn get<'a>(&self, resources: &'a Resources) -> Option<&'a Value> {
        resources.file(&self.file)?.pointer(&self.pointer)
    }
}

/// Characters to escape in a JSON pointer used as a URI fragment.
const FRAGMENT_ENCODE: percent_encoding::AsciiSet = percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'[')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// A compiled schema and where it came from.
#[derive(Debug)]
pub struct CompiledSchema {
    pub loc: SchemaLoc,
    pub validator: Validator,
    /// The `enum`s of the view that were written as choices.
    folds: Arc<Folds>,
}

impl CompiledSchema {
    pub fn is_valid(&self, instance: &Value) -> bool {
        self.validator.is_valid(instance)
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
        if self.validator.is_valid(instance) {
            return Vec::new();
        }
        let errors: Vec<ValidationError<'_>> = self.validator.iter_errors(instance).collect();
        to_violations(&errors, at, &self.folds)
    }
}

/// Compiles validators for the schemas of one document, sharing them by location.
pub struct SchemaCompiler<'r> {
    request: Registry<'r>,
    response: Registry<'r>,
    request_folds: Arc<Folds>,
    response_folds: Arc<Folds>,
    cache: HashMap<(ViewKey, SchemaLoc), Arc<CompiledSchema>>,
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
        Ok(Self {
            request: registry(&request.resources)?,
            response: registry(&response.resources)?,
            request_folds: request.folds.clone(),
            response_folds: response.folds.clone(),
            cache: HashMap::new(),
        })
    }

    /// For files with no folded choices (schemas as written).
    pub fn new(request: &'r Resources, response: &'r Resources) -> Result<Self, String> {
        Ok(Self {
            request: registry(request)?,
            response: registry(response)?,
            request_folds: Arc::default(),
            response_folds: Arc::default(),
            cache: HashMap::new(),
        })
    }

    /// The validator for the schema at `loc`, compiled on first request.
    pub fn compile(&mut self, loc: &SchemaLoc, view: View) -> Result<Arc<CompiledSchema>, String> {
        let key_view = match view {
            View::Request => ViewKey::Request,
            View::Response => ViewKey::Response,
        };
        let key = (key_view, loc.clone());
        if let Some(found) = self.cache.get(&key) {
            return Ok(found.clone());
        }
        let (registry, folds) = match view {
            View::Request => (&self.request, &self.request_folds),
            View::Response => (&self.response, &self.response_folds),
        };
        let validator = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(registry)
            .should_validate_formats(true)
            .build(&json!({ "$ref": loc.uri() }))
            .map_err(|e| compile_message(&e))?;
        let compiled = Arc::new(CompiledSchema {
            loc: loc.clone(),
            validator,
            folds: folds.clone(),
        });
        self.cache.insert(key, compiled.clone());
        Ok(compiled)
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
fn compile_message(e: &ValidationError<'_>) -> String {
    let what = match e.kind() {
        ValidationErrorKind::Referencing(r) => return format!("{UNRESOLVED}: {r}"),
        kind => {
            let (keyword, message) = describe(kind, e, &Folds::default());
            // The sentences quote the meta-schema's values, but the catch-all and the
            // `propertyNames` one embed the validator's message, which quotes the schema.
            let message = excerpt_n(message.trim_end_matches('.'), 120);
            format!(
                "`{keyword}`: {message} (found: {})",
                excerpt_value(e.instance())
            )
        }
    };
    let at = e.schema_path().as_str();
    if at.is_empty() {
        format!("the schema is not valid: {what}")
    } else {
        format!("the schema is not valid at {at}: {what}")
    }
}

/// Turns validator errors into violations. A failed `anyOf`/`oneOf` is explained rather than
/// reported as "matches none": by an error deeper inside the same value, else by the branch
/// that got furthest (its own errors), else as a choice among fixed values or fields. An
/// `enum` folded from a choice (see `normalize`) is reported as that choice.
fn to_violations(
    errors: &[ValidationError<'_>],
    at: &dyn Fn(Vec<Segment>) -> Location,
    folds: &Folds,
) -> Vec<Violation> {
    let mut out = Vec::with_capacity(errors.len());
    collect(errors, at, folds, &mut out);
    // Branches of an `anyOf`/`oneOf` can fail the same way at the same place; say it once.
    let mut i = 1;
    while i < out.len() {
        if out[..i].contains(&out[i]) {
            out.remove(i);
        } else {
            i += 1;
        }
    }
    out
}

/// The choice an `enum` error's keyword was written as, if a view folded it.
fn folded_choice(e: &ValidationError<'_>, folds: &Folds) -> Option<Choice> {
    if folds.is_empty() || !matches!(e.kind(), ValidationErrorKind::Enum { .. }) {
        return None;
    }
    let file = e.absolute_keyword_location().map(|uri| {
        uri.as_str()
            .split_once('#')
            .map_or(uri.as_str(), |(f, _)| f)
    });
    folds.choice(file, e.schema_path().as_str())
}

fn is_choice(e: &ValidationError<'_>, folds: &Folds) -> bool {
    matches!(
        e.kind(),
        ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. }
    ) || folded_choice(e, folds).is_some()
}

/// Whether another error says more about the failed choice `errors[i]` than "none of the
/// choices": a wrong type at the same place, or anything wrong inside the value.
fn explained(errors: &[ValidationError<'_>], i: usize, here: &str, folds: &Folds) -> bool {
    errors.iter().enumerate().any(|(j, other)| {
        let there = other.instance_path().as_str();
        j != i
            && !is_choice(other, folds)
            && (below(there, here)
                || (there == here && matches!(other.kind(), ValidationErrorKind::Type { .. })))
    })
}

fn collect(
    errors: &[ValidationError<'_>],
    at: &dyn Fn(Vec<Segment>) -> Location,
    folds: &Folds,
    out: &mut Vec<Violation>,
) {
    for (i, e) in errors.iter().enumerate() {
        let here = e.instance_path().as_str();
        let mut steps: Vec<Segment> = e
            .instance_path()
            .segments()
            .map(|s| match s {
                LocationSegment::Property(p) => Segment::Key(p.into_owned()),
                LocationSegment::Index(i) => Segment::Index(i),
            })
            .collect();
        if let Some(choice) = folded_choice(e, folds) {
            if !explained(errors, i, here, folds) {
                let (_, message) = describe(e.kind(), e, folds);
                out.push(Violation::new(at(steps), choice.keyword(), message));
            }
            continue;
        }
        match e.kind() {
            ValidationErrorKind::AnyOf { context }
            | ValidationErrorKind::OneOfNotValid { context } => {
                if explained(errors, i, here, folds) {
                    continue;
                }
                match furthest_branch(context, here) {
                    Some(branch) => collect(branch, at, folds, out),
                    None => {
                        let keyword = if matches!(e.kind(), ValidationErrorKind::AnyOf { .. }) {
                            "anyOf"
                        } else {
                            "oneOf"
                        };
                        out.push(Violation::new(
                            at(steps),
                            keyword,
                            choice_message(context, here, folds),
                        ));
                    }
                }
            }
            ValidationErrorKind::AdditionalProperties { unexpected }
            | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
                for name in unexpected {
                    let mut s = steps.clone();
                    s.push(Segment::Key(name.clone()));
                    out.push(Violation::new(
                        at(s),
                        "additionalProperties",
                        "This field was not expected.",
                    ));
                }
            }
            ValidationErrorKind::Required { property } => {
                steps.push(Segment::Key(
                    property
                        .as_str()
                        .map_or_else(|| property.to_string(), str::to_owned),
                ));
                out.push(Violation::new(
                    at(steps),
                    "required",
                    "This field is missing.",
                ));
            }
            kind => {
                let (keyword, message) = describe(kind, e, folds);
                out.push(Violation::new(at(steps), keyword, message));
            }
        }
    }
}

/// The branch whose every error lies inside the value (its shape fit, something within did
/// not): the one the client meant. The one with fewest errors when several qualify.
fn furthest_branch<'c>(
    context: &'c [Vec<ValidationError<'static>>],
    here: &str,
) -> Option<&'c [ValidationError<'static>]> {
    context
        .iter()
        .filter(|branch| {
            !branch.is_empty()
                && branch
                    .iter()
                    .all(|e| below(e.instance_path().as_str(), here))
        })
        .min_by_key(|branch| branch.len())
        .map(Vec::as_slice)
}

/// Whether instance location `inner` is strictly below `outer`.
fn below(inner: &str, outer: &str) -> bool {
    inner.len() > outer.len() && inner.starts_with(outer) && inner[outer.len()..].starts_with('/')
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The keyword and message for one kind of failure.
fn describe(
    kind: &ValidationErrorKind,
    e: &ValidationError<'_>,
    folds: &Folds,
) -> (&'static str, Cow<'static, str>) {
    use ValidationErrorKind as K;
    match kind {
        K::Type { kind } => (
            "type",
            format!("This value should be of type {}.", type_names(kind)).into(),
        ),
        K::Enum { options } => {
            let mut message = String::with_capacity(CHOICES.len() + 80);
            message.push_str(CHOICES);
            match &**options {
                Value::Array(values) => push_values(&mut message, values),
                other => push_values(&mut message, [other]),
            }
            message.push('.');
            ("enum", message.into())
        }
        K::Constant { expected_value } => (
            "const",
            format!("This value should be equal to {expected_value}.").into(),
        ),
        K::Format { format } => ("format", format_message(format)),
        K::Pattern { pattern } => (
            "pattern",
            format!("This value is not valid: it should match the pattern {pattern}.").into(),
        ),
        K::MinLength { limit } => (
            "minLength",
            format!(
                "This value is too short. It should have {} or more.",
                plural(*limit, "character", "characters")
            )
            .into(),
        ),
        K::MaxLength { limit } => (
            "maxLength",
            format!(
                "This value is too long. It should have {} or less.",
                plural(*limit, "character", "characters")
            )
            .into(),
        ),
        K::Minimum { limit } => (
            "minimum",
            format!("This value should be greater than or equal to {limit}.").into(),
        ),
        K::Maximum { limit } => (
            "maximum",
            format!("This value should be less than or equal to {limit}.").into(),
        ),
        K::ExclusiveMinimum { limit } => (
            "exclusiveMinimum",
            format!("This value should be greater than {limit}.").into(),
        ),
        K::ExclusiveMaximum { limit } => (
            "exclusiveMaximum",
            format!("This value should be less than {limit}.").into(),
        ),
        K::MultipleOf { multiple_of } => (
            "multipleOf",
            format!("This value should be a multiple of {multiple_of}.").into(),
        ),
        K::MinItems { limit } => (
            "minItems",
            format!(
                "This collection should contain {} or more.",
                plural(*limit, "element", "elements")
            )
            .into(),
        ),
        K::MaxItems { limit } => (
            "maxItems",
            format!(
                "This collection should contain {} or less.",
                plural(*limit, "element", "elements")
            )
            .into(),
        ),
        K::UniqueItems => (
            "uniqueItems",
            Cow::Borrowed("This collection should contain only unique elements."),
        ),
        K::MinProperties { limit } => (
            "minProperties",
            format!(
                "This object should have {} or more.",
                plural(*limit, "property", "properties")
            )
            .into(),
        ),
        K::MaxProperties { limit } => (
            "maxProperties",
            format!(
                "This object should have {} or less.",
                plural(*limit, "property", "properties")
            )
            .into(),
        ),
        K::Contains => (
            "contains",
            Cow::Borrowed("This collection should contain at least one matching element."),
        ),
        K::AnyOf { context } => (
            "anyOf",
            choice_message(context, e.instance_path().as_str(), folds).into(),
        ),
        K::OneOfNotValid { context } => (
            "oneOf",
            choice_message(context, e.instance_path().as_str(), folds).into(),
        ),
        K::OneOfMultipleValid { .. } => (
            "oneOf",
            Cow::Borrowed("This value matches more than one of the allowed forms."),
        ),
        K::Not { .. } | K::FalseSchema => ("not", Cow::Borrowed("This value is not allowed.")),
        K::PropertyNames { error } => (
            "propertyNames",
            format!("This property name is not valid: {error}.").into(),
        ),
        K::AdditionalItems { .. } | K::UnevaluatedItems { .. } => (
            "items",
            Cow::Borrowed("This collection has more elements than allowed."),
        ),
        _ => ("schema", format!("This value is not valid: {e}.").into()),
    }
}

/// What a failed choice wanted: one of some fields, one of some fixed values, or (when the
/// branches differ in shape) one of the allowed forms.
///
/// A folded `enum` in a branch stands for the choice it was written as, which is not a fixed
/// value of this choice.
fn choice_message<'c>(
    context: &'c [Vec<ValidationError<'static>>],
    here: &str,
    folds: &Folds,
) -> String {
    let mut fields = Vec::new();
    let only_missing_fields = !context.is_empty()
        && context.iter().all(|branch| {
            !branch.is_empty()
                && branch.iter().all(|e| match e.kind() {
                    ValidationErrorKind::Required { property }
                        if e.instance_path().as_str() == here =>
                    {
                        let name = property
                            .as_str()
                            .map_or_else(|| property.to_string(), str::to_owned);
                        if !fields.contains(&name) {
                            fields.push(name);
                        }
                        true
                    }
                    _ => false,
                })
        });
    if only_missing_fields {
        return format!("One of these fields is required: {}.", fields.join(", "));
    }
    // The values, each once (equal values are written alike), borrowed from the errors.
    let mut choices: Vec<&Value> = Vec::new();
    let mut add = |v: &'c Value| {
        if !choices.contains(&v) {
            choices.push(v);
        }
    };
    let all_fixed = !context.is_empty()
        && context.iter().all(|branch| {
            !branch.is_empty()
                && branch.iter().all(|e| match e.kind() {
                    ValidationErrorKind::Constant { expected_value } => {
                        add(expected_value);
                        true
                    }
                    ValidationErrorKind::Enum { .. } if folded_choice(e, folds).is_some() => false,
                    ValidationErrorKind::Enum { options } => {
                        match &**options {
                            Value::Array(values) => values.iter().for_each(&mut add),
                            other => add(other),
                        }
                        true
                    }
                    ValidationErrorKind::Type { .. } => true,
                    _ => false,
                })
        });
    if all_fixed && !choices.is_empty() {
        let mut message = String::with_capacity(CHOICES.len() + 80);
        message.push_str(CHOICES);
        push_values(&mut message, choices);
        message.push('.');
        message
    } else {
        "This value does not match any of the allowed forms.".to_owned()
    }
}

/// How the message of a failed choice among fixed values starts.
const CHOICES: &str = "The value you selected is not a valid choice. Valid choices: ";

/// Appends each value as JSON, separated by `, `. Serialised straight into the bytes:
/// `Display` of a `Value` goes through a formatter adapter, a third of a choice's message.
fn push_values<'v>(out: &mut String, values: impl IntoIterator<Item = &'v Value>) {
    let mut bytes = std::mem::take(out).into_bytes();
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            bytes.extend_from_slice(b", ");
        }
        // Serialising a `Value` into memory cannot fail.
        let _ = serde_json::to_writer(&mut bytes, v);
    }
    // JSON text is UTF-8; the lossy branch is never taken.
    *out = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
}

fn type_names(kind: &TypeKind) -> String {
    match kind {
        TypeKind::Single(t) => t.to_string(),
        TypeKind::Multiple(set) => {
            let names: Vec<String> = set.iter().map(|t| t.to_string()).collect();
            names.join(" or ")
        }
    }
}

fn format_message(format: &str) -> Cow<'static, str> {
    match format {
        "email" | "idn-email" => Cow::Borrowed("This value is not a valid email address."),
        "uuid" => Cow::Borrowed("This value is not a valid UUID."),
        "date-time" => Cow::Borrowed("This value is not a valid datetime."),
        "date" => Cow::Borrowed("This value is not a valid date."),
        "time" => Cow::Borrowed("This value is not a valid time."),
        "uri" | "uri-reference" | "iri" | "iri-reference" | "url" => {
            Cow::Borrowed("This value is not a valid URL.")
        }
        "ipv4" | "ipv6" => Cow::Borrowed("This value is not a valid IP address."),
        "hostname" | "idn-hostname" => Cow::Borrowed("This value is not a valid hostname."),
        other => format!("This value is not a valid {other}.").into(),
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
