//! Member recognition: the well-known names of an error's parts, compared without case or
//! separators, and the role each member of an error (or of a violation list's item) takes from
//! its name, its kind and its siblings.

use super::plan::PathForm;
use super::scalar::Scalar;

const STATUS_NAMES: &[&str] = &[
    "status",
    "code",
    "statuscode",
    "httpstatus",
    "httpstatuscode",
    "httpcode",
];
const TITLE_NAMES: &[&str] = &["title", "summary", "reason", "error", "errortitle"];
const DETAIL_NAMES: &[&str] = &[
    "detail",
    "details",
    "message",
    "msg",
    "description",
    "errordescription",
    "errormessage",
    "errordetail",
    "errordetails",
];
const LIST_NAMES: &[&str] = &[
    "violations",
    "errors",
    "invalidparams",
    "fielderrors",
    "validationerrors",
    "details",
    "detail",
    "issues",
    "errordetails",
    // Django REST framework's errors that belong to no field.
    "nonfielderrors",
];
const NESTED_NAMES: &[&str] = &["error", "errors"];
const CONTEXT_NAMES: &[&str] = &["context", "meta", "metadata", "extensions"];
const INSTANCE_NAMES: &[&str] = &["instance", "path"];
const TIME_NAMES: &[&str] = &["timestamp", "time", "datetime"];
const ID_NAMES: &[&str] = &["requestid", "traceid", "correlationid"];
const PATH_NAMES: &[&str] = &[
    "propertypath",
    "path",
    "field",
    "fieldname",
    "pointer",
    "name",
    "param",
    "parameter",
    "location",
    "in",
    "loc",
    "property",
    "key",
    // The Microsoft REST API guidelines' (and Azure's) name for what an error is about.
    "target",
];
const MESSAGE_NAMES: &[&str] = &[
    "title",
    "message",
    "msg",
    "detail",
    "description",
    "reason",
    "errormessage",
];
const KEYWORD_NAMES: &[&str] = &["code", "keyword", "rule", "errorcode", "constraint"];

/// What a member is for, decided by its name, its kind and its siblings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Status,
    Title,
    Detail,
    ProblemType,
    Instance,
    Timestamp,
    RequestId,
    List,
    Nested,
    Context,
    Path(PathForm),
    PathSegments,
    Message,
    Keyword,
    TypeUrn,
    Other,
}

/// Whether an object is the error itself (or nested in it) or an item of a violation list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Error,
    Item,
}

/// What a member's schema holds, as far as roles care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    Object,
    Array,
    Scalar,
}

/// Whether `name` (as [`normalise`]d) says a member carries part of an error.
pub(super) fn names_an_error_part(name: &str) -> bool {
    [
        STATUS_NAMES,
        TITLE_NAMES,
        DETAIL_NAMES,
        LIST_NAMES,
        MESSAGE_NAMES,
    ]
    .iter()
    .any(|names| names.contains(&name))
}

pub(super) fn error_role(name: &str, shape: Shape, scalar: &Scalar) -> Role {
    let is = |names: &[&str]| names.contains(&name);
    match shape {
        Shape::Object if is(NESTED_NAMES) => Role::Nested,
        Shape::Object if is(CONTEXT_NAMES) => Role::Context,
        Shape::Array if is(LIST_NAMES) => Role::List,
        Shape::Scalar if is(STATUS_NAMES) => Role::Status,
        Shape::Scalar if is(TITLE_NAMES) => Role::Title,
        Shape::Scalar if is(DETAIL_NAMES) => Role::Detail,
        Shape::Scalar if name == "type" && scalar.is_text() => Role::ProblemType,
        Shape::Scalar if is(INSTANCE_NAMES) => Role::Instance,
        Shape::Scalar if is(TIME_NAMES) => Role::Timestamp,
        Shape::Scalar if is(ID_NAMES) => Role::RequestId,
        // `context: {type: object}` with no properties is still a context.
        Shape::Scalar if is(CONTEXT_NAMES) => Role::Context,
        _ => Role::Other,
    }
}

pub(super) fn item_role(name: &str, shape: Shape, scalar: &Scalar) -> Role {
    let is = |names: &[&str]| names.contains(&name);
    match shape {
        Shape::Object => Role::Nested,
        Shape::Array if is(PATH_NAMES) => Role::PathSegments,
        Shape::Scalar if is(PATH_NAMES) => Role::Path(match name {
            "pointer" => PathForm::Pointer { split: false },
            "param" | "parameter" => PathForm::Parameter { split: false },
            _ => PathForm::Dotted,
        }),
        Shape::Scalar if is(MESSAGE_NAMES) => Role::Message,
        Shape::Scalar if (name == "type" || is(KEYWORD_NAMES)) && scalar.prefers_number() => {
            Role::Status
        }
        Shape::Scalar if name == "type" && scalar.is_text() => Role::TypeUrn,
        Shape::Scalar if is(KEYWORD_NAMES) && scalar.is_text() => Role::Keyword,
        Shape::Scalar if is(STATUS_NAMES) => Role::Status,
        _ => Role::Other,
    }
}

/// Decisions that depend on siblings: which message-like member keeps the title, whether
/// `location` is a place or a path, whether pointer and parameter members share the work.
/// `names` are the members' names, [`normalise`]d, and `roles` their roles so far.
pub(super) fn settle_roles(names: &[String], roles: &mut [Role], mode: Mode) {
    if mode != Mode::Item {
        return;
    }
    let members = || names.iter().map(String::as_str).zip(roles.iter().copied());
    let message_beside_title = members().any(|(n, r)| r == Role::Message && n != "title");
    let is_path = |r: Role| matches!(r, Role::Path(_) | Role::PathSegments);
    let pointer = members().any(|(n, r)| is_path(r) && n == "pointer");
    let parameter = members().any(|(n, r)| is_path(r) && matches!(n, "param" | "parameter"));
    let other_paths: Vec<bool> = names
        .iter()
        .map(|own| {
            members()
                .any(|(other, r)| is_path(r) && other != own && !matches!(other, "location" | "in"))
        })
        .collect();
    for ((name, role), beside_path) in names.iter().zip(roles.iter_mut()).zip(other_paths) {
        match (name.as_str(), *role) {
            ("title", Role::Message) if message_beside_title => *role = Role::Title,
            ("location" | "in", Role::Path(_)) if beside_path => {
                *role = Role::Path(PathForm::Place);
            }
            (_, Role::Path(PathForm::Pointer { .. })) => {
                *role = Role::Path(PathForm::Pointer { split: parameter });
            }
            (_, Role::Path(PathForm::Parameter { .. })) => {
                *role = Role::Path(PathForm::Parameter { split: pointer });
            }
            _ => {}
        }
    }
}

/// `Not Found` → `not_found`.
pub(super) fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

/// A member name as compared: lower case, without `_`, `-` or spaces.
pub(super) fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}
