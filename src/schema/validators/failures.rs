//! What a validator's errors say, in violations.
//!
//! The errors are first read into [`Failure`]s: a failed shared reference (see `shared`) is
//! replaced by the errors of its target on the same part of the value, so every error reads
//! as if the target were written where it is referenced, as a `$ref` reads.

use std::borrow::Cow;
use std::cell::RefCell;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::{Location as SchemaPath, LocationSegment};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use crate::document::normalize::{Choice, Folds};
use crate::schema::validators::shared::{Shared, failed_number};
use crate::schema::violation::{Location, Segment, Violation};

/// One error of a validation, located in the whole value validated.
pub(super) struct Failure {
    kind: ValidationErrorKind,
    /// Where in the value, as a JSON pointer.
    path: String,
    /// The same place, step by step.
    steps: Vec<Segment>,
    /// Where the keyword is in its file, and the file (for a folded `enum` only).
    schema_path: SchemaPath,
    keyword_file: Option<Box<str>>,
    /// The validator's own words, for a kind of error not described here.
    text: Option<String>,
    /// For a failed `anyOf`/`oneOf`: each branch's failures.
    branches: Vec<Vec<Failure>>,
}

impl Failure {
    /// One error, not expanded (a schema's compile error).
    pub(super) fn of(error: ValidationError<'_>) -> Self {
        let mut out = Vec::with_capacity(1);
        read(vec![error], &Prefix::root(), None, &mut out);
        out.pop()
            .unwrap_or_else(|| Failure::unexplained(&Prefix::root()))
    }

    /// A failed shared reference whose target gave no error: said, not dropped.
    fn unexplained(at: &Prefix<'_>) -> Self {
        Failure {
            kind: ValidationErrorKind::FalseSchema,
            path: at.path.to_owned(),
            steps: at.steps.to_vec(),
            schema_path: SchemaPath::new(),
            keyword_file: None,
            text: None,
            branches: Vec::new(),
        }
    }
}

/// The errors of `validator` on `value`, shared references expanded.
pub(super) fn failures(validator: &Validator, value: &Value, shared: &Shared) -> Vec<Failure> {
    let mut out = Vec::new();
    let expand = Expand {
        root: value,
        shared,
        expanding: RefCell::default(),
    };
    read(
        validator.iter_errors(value).collect(),
        &Prefix::root(),
        Some(&expand),
        &mut out,
    );
    out
}

/// Where a validation of a part of the value started.
struct Prefix<'p> {
    path: &'p str,
    steps: &'p [Segment],
}

impl Prefix<'_> {
    fn root() -> Prefix<'static> {
        Prefix {
            path: "",
            steps: &[],
        }
    }
}

/// What expanding a shared reference needs: the whole value, the view's targets, and the
/// references being expanded, each with the place in the value.
struct Expand<'v> {
    root: &'v Value,
    shared: &'v Shared,
    expanding: RefCell<Vec<(u32, String)>>,
}

fn read(
    errors: Vec<ValidationError<'_>>,
    at: &Prefix<'_>,
    expand: Option<&Expand<'_>>,
    out: &mut Vec<Failure>,
) {
    for error in errors {
        let text = needs_text(error.kind()).then(|| error.to_string());
        let parts = error.into_parts();
        let mut path = String::with_capacity(at.path.len() + parts.instance_path.as_str().len());
        path.push_str(at.path);
        path.push_str(parts.instance_path.as_str());
        let mut steps = at.steps.to_vec();
        steps.extend(parts.instance_path.segments().map(|s| match s {
            LocationSegment::Property(p) => Segment::Key(p.into_owned()),
            LocationSegment::Index(i) => Segment::Index(i),
        }));
        let here = Prefix {
            path: &path,
            steps: &steps,
        };
        if let Some(expand) = expand
            && let Some(number) = failed_number(&parts.kind)
        {
            // A reference met again on the same part of the value, within its own
            // expansion, is a cycle without progress: it adds nothing.
            let key = (number, path.clone());
            if expand.expanding.borrow().contains(&key) {
                continue;
            }
            expand.expanding.borrow_mut().push(key);
            let before = out.len();
            if let (Some(target), Some(part)) =
                (expand.shared.get(number), expand.root.pointer(&path))
            {
                read(target.iter_errors(part).collect(), &here, Some(expand), out);
            }
            expand.expanding.borrow_mut().pop();
            if out.len() == before {
                out.push(Failure::unexplained(&here));
            }
            continue;
        }
        let mut kind = parts.kind;
        let branches = match &mut kind {
            ValidationErrorKind::AnyOf { context }
            | ValidationErrorKind::OneOfNotValid { context } => std::mem::take(context)
                .into_iter()
                .map(|branch| {
                    let mut failures = Vec::with_capacity(branch.len());
                    read(branch, at, expand, &mut failures);
                    failures
                })
                .collect(),
            _ => Vec::new(),
        };
        let keyword_file = match kind {
            ValidationErrorKind::Enum { .. } => parts.absolute_keyword_location.map(|uri| {
                let uri = uri.as_str();
                uri.split_once('#').map_or(uri, |(f, _)| f).into()
            }),
            _ => None,
        };
        out.push(Failure {
            kind,
            path,
            steps,
            schema_path: parts.schema_path,
            keyword_file,
            text,
            branches,
        });
    }
}

/// Whether `describe` quotes the validator's own words for this kind of error.
fn needs_text(kind: &ValidationErrorKind) -> bool {
    use ValidationErrorKind as K;
    !matches!(
        kind,
        K::Type { .. }
            | K::Enum { .. }
            | K::Constant { .. }
            | K::Format { .. }
            | K::Pattern { .. }
            | K::MinLength { .. }
            | K::MaxLength { .. }
            | K::Minimum { .. }
            | K::Maximum { .. }
            | K::ExclusiveMinimum { .. }
            | K::ExclusiveMaximum { .. }
            | K::MultipleOf { .. }
            | K::MinItems { .. }
            | K::MaxItems { .. }
            | K::UniqueItems
            | K::MinProperties { .. }
            | K::MaxProperties { .. }
            | K::Contains
            | K::AnyOf { .. }
            | K::OneOfNotValid { .. }
            | K::OneOfMultipleValid { .. }
            | K::Not { .. }
            | K::FalseSchema
            | K::PropertyNames { .. }
            | K::AdditionalItems { .. }
            | K::UnevaluatedItems { .. }
            | K::AdditionalProperties { .. }
            | K::UnevaluatedProperties { .. }
            | K::Required { .. }
    )
}

/// Turns validator errors into violations. A failed `anyOf`/`oneOf` is explained rather than
/// reported as "matches none": by an error deeper inside the same value, else by the branch
/// that got furthest (its own errors), else as a choice among fixed values or fields. An
/// `enum` folded from a choice (see `normalize`) is reported as that choice.
pub(super) fn to_violations(
    errors: &[Failure],
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
fn folded_choice(e: &Failure, folds: &Folds) -> Option<Choice> {
    if folds.is_empty() || !matches!(e.kind, ValidationErrorKind::Enum { .. }) {
        return None;
    }
    folds.choice(e.keyword_file.as_deref(), e.schema_path.as_str())
}

fn is_choice(e: &Failure, folds: &Folds) -> bool {
    matches!(
        e.kind,
        ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. }
    ) || folded_choice(e, folds).is_some()
}

/// Whether another error says more about the failed choice `errors[i]` than "none of the
/// choices": a wrong type at the same place, or anything wrong inside the value.
fn explained(errors: &[Failure], i: usize, here: &str, folds: &Folds) -> bool {
    errors.iter().enumerate().any(|(j, other)| {
        let there = other.path.as_str();
        j != i
            && !is_choice(other, folds)
            && (below(there, here)
                || (there == here && matches!(other.kind, ValidationErrorKind::Type { .. })))
    })
}

fn collect(
    errors: &[Failure],
    at: &dyn Fn(Vec<Segment>) -> Location,
    folds: &Folds,
    out: &mut Vec<Violation>,
) {
    for (i, e) in errors.iter().enumerate() {
        let here = e.path.as_str();
        let mut steps = e.steps.clone();
        if let Some(choice) = folded_choice(e, folds) {
            if !explained(errors, i, here, folds) {
                let (_, message) = describe(e, folds);
                out.push(Violation::new(at(steps), choice.keyword(), message));
            }
            continue;
        }
        match &e.kind {
            ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => {
                if explained(errors, i, here, folds) {
                    continue;
                }
                match furthest_branch(&e.branches, here) {
                    Some(branch) => collect(branch, at, folds, out),
                    None => {
                        let keyword = if matches!(e.kind, ValidationErrorKind::AnyOf { .. }) {
                            "anyOf"
                        } else {
                            "oneOf"
                        };
                        out.push(Violation::new(
                            at(steps),
                            keyword,
                            choice_message(&e.branches, here, folds),
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
            _ => {
                let (keyword, message) = describe(e, folds);
                out.push(Violation::new(at(steps), keyword, message));
            }
        }
    }
}

/// The branch whose every error lies inside the value (its shape fit, something within did
/// not): the one the client meant. The one with fewest errors when several qualify.
fn furthest_branch<'c>(context: &'c [Vec<Failure>], here: &str) -> Option<&'c [Failure]> {
    context
        .iter()
        .filter(|branch| !branch.is_empty() && branch.iter().all(|e| below(&e.path, here)))
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
pub(super) fn describe(e: &Failure, folds: &Folds) -> (&'static str, Cow<'static, str>) {
    use ValidationErrorKind as K;
    match &e.kind {
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
        K::AnyOf { .. } => ("anyOf", choice_message(&e.branches, &e.path, folds).into()),
        K::OneOfNotValid { .. } => ("oneOf", choice_message(&e.branches, &e.path, folds).into()),
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
        _ => (
            "schema",
            format!(
                "This value is not valid: {}.",
                e.text.as_deref().unwrap_or("it does not fit its schema")
            )
            .into(),
        ),
    }
}

/// What a failed choice wanted: one of some fields, one of some fixed values, or (when the
/// branches differ in shape) one of the allowed forms.
///
/// A folded `enum` in a branch stands for the choice it was written as, which is not a fixed
/// value of this choice.
fn choice_message<'c>(context: &'c [Vec<Failure>], here: &str, folds: &Folds) -> String {
    let mut fields = Vec::new();
    let only_missing_fields = !context.is_empty()
        && context.iter().all(|branch| {
            !branch.is_empty()
                && branch.iter().all(|e| match &e.kind {
                    ValidationErrorKind::Required { property } if e.path == here => {
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
                && branch.iter().all(|e| match &e.kind {
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
