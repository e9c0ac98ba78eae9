//! Error bodies in the API's own format: an [`ErrorShape`] is compiled once from the error
//! schema a document declares, then renders the facts of any error ([`ErrorFacts`]) into a
//! body that fits that schema. [`problem_json`] is the format for documents that declare none.
//!
//! # Implementation rationale
//!
//! Members are recognised by well-known names (compared without case, `_` or `-`, so
//! `statusCode`, `status_code` and `StatusCode` are one name) and by the kind of their schema.
//! All schema work (`$ref`, `allOf`, picking an `anyOf`/`oneOf` branch, minimal values for
//! members nobody knows) happens in [`ErrorShape::compile`]; [`ErrorShape::render`] only walks
//! the compiled plan.
//!
//! Precedence, where a schema leaves room for choice:
//! - The status goes to every status-like member (`status`, `code`, `statusCode`, `httpStatus`)
//!   in the member's own type (`400` or `"400"`). A string enum is matched against the status,
//!   the google.rpc canonical code names (`NOT_FOUND`) and the reason phrase (`Not Found`),
//!   ignoring case and separators, and the enum's own spelling is used. When no allowed value
//!   fits, the first allowed value is used (the body still validates, but says the wrong
//!   status): callers ask [`ErrorShape::holds_status`] first and pick another schema.
//! - Title-like members (`title`, `summary`, `reason`, `error` as a string) take the title;
//!   detail-like members (`detail`, `message`, `msg`, `description`, ...) take the detail. A
//!   lone title-like member keeps the title: a title is the same for every occurrence of a kind
//!   of error, and clients branch on it.
//! - Violations go one item each into a list member (`violations`, `errors`, `detail` as an
//!   array, ...) whose items have a place for a path or a message. When there is no violation
//!   but the list is the only place for the facts (no title or detail beside it, as in JSON:API
//!   or FastAPI), one item carries them. When the schema has no such list, violations are
//!   folded into the detail text: `detail (path: message; path: message)`.
//! - Inside a list item, path-like members take the violation's path (`users[0].email`), split
//!   into segments when the member is an array (FastAPI's `loc`, prefixed with the location
//!   like `["body", "users", 0, "email"]`); `pointer` takes an RFC 6901 pointer for the body; a
//!   `location`/`in` member beside another path member takes the location (`body`, `query`). A
//!   `title` beside another message-like member takes the error's title, otherwise the
//!   violation's message, as do `message`, `msg`, `detail` and friends. A string `type` takes
//!   the violation's type URN, a string `code`/`keyword`/`rule` its keyword, and an integer one
//!   the status.
//! - `type` takes the example's value, else `about:blank`; `instance` (and a top-level `path`)
//!   the request path, else the example's; `context`/`meta`/`extensions` their minimal value.
//!   Timestamps and request ids appear only when required or shown by the example, with the
//!   example's value or a constant (the mock's answers are reproducible).
//! - Any other required member gets the example's value, else the schema's own example, else
//!   a minimal valid value. Optional unknown members are left out.
//!
//! `pattern` and `format` are not checked here, nor whether a body rendered for the chosen
//! `oneOf` branch also matches another: the caller validates the rendered body and falls back.

use std::borrow::Cow;

use serde_json::{Map, Number, Value, json};

use crate::document::refs::{Located, Resources, push_token};
use crate::schema::violation::{ErrorFacts, Location, Segment, Violation};

/// How deep schemas may nest (through `$ref`, `allOf` and properties) before compiling gives up:
/// a schema that deep is a cycle, not an error format.
const MAX_DEPTH: usize = 32;

/// The most characters or items a member is padded to (`minLength`, `minItems`). A schema
/// that asks for more is no error format: compiling fails and the caller falls back, where
/// filling it would take the loader's time and memory (`minLength: 9007199254740993`).
const MAX_FILL: u64 = 10_000;

/// Stands in for timestamps the facts do not carry: a constant keeps answers reproducible.
const EPOCH: &str = "1970-01-01T00:00:00Z";
const EPOCH_DATE: &str = "1970-01-01";
/// Stands in for request and trace ids the facts do not carry.
const NIL_ID: &str = "00000000-0000-0000-0000-000000000000";

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

/// A compiled plan for one error schema: built once at startup by walking the schema
/// (resolving `$ref`s, merging `allOf`), so rendering on the request path walks no schema.
#[derive(Debug, Clone)]
pub struct ErrorShape {
    root: ObjectPlan,
    /// Whether some member lists violations one by one; when none does, the detail text
    /// carries them.
    lists_violations: bool,
}

impl ErrorShape {
    /// Compiles the plan for `schema`, found in `resources`. `example` is the response's
    /// example for that status if the spec has one: its values fill members the facts do not
    /// cover (a docs URL in `type`, a required member of the API's own).
    ///
    /// Fails, with the reason, when the schema is not an object with a member that can carry
    /// the status, title, detail or violations: the caller then falls back to another schema.
    pub fn compile(
        resources: &Resources,
        schema: Located<'_>,
        example: Option<&Value>,
    ) -> Result<ErrorShape, String> {
        let compiler = Compiler { resources };
        let flat = compiler.flatten(&[schema], 0)?;
        if flat.never {
            return Err("the schema is `false`: no body can match it".to_owned());
        }
        if !flat.is_object() {
            return Err(match &flat.types {
                Some(types) => format!("the schema is of type {}, not an object", types.join("|")),
                None => "the schema declares no object properties".to_owned(),
            });
        }
        let root = compiler.object(&flat, example, Mode::Error, 0)?;
        if !root.carries_facts() {
            return Err(
                "no member of the schema can carry the status, title, detail or violations"
                    .to_owned(),
            );
        }
        let lists_violations = root.lists_violations();
        Ok(ErrorShape {
            root,
            lists_violations,
        })
    }

    /// The body for `facts`, in this shape, as JSON text: written straight from the plan,
    /// with no `Value` in between (building one, hashing its member names and serialising it
    /// was half of answering an invalid request).
    pub fn write(&self, facts: &ErrorFacts) -> Vec<u8> {
        let cx = Cx {
            facts,
            violation: None,
            fold_violations: !self.lists_violations,
        };
        let mut out = Vec::with_capacity(256);
        self.root.write(&cx, &mut out);
        out
    }

    /// The body for `facts`, in this shape: [`ErrorShape::write`] read back, so the two can
    /// never disagree.
    pub fn render(&self, facts: &ErrorFacts) -> Value {
        // The plan writes well-formed JSON by construction (objects of escaped keys and
        // serialised values); `Null` would show up in every test of a rendered error.
        serde_json::from_slice(&self.write(facts)).unwrap_or(Value::Null)
    }

    /// Whether every status-like member can say `status` (a member pinned by `enum` or `const`
    /// to other codes cannot): when not, [`render`](Self::render) writes an allowed code that
    /// is not the status, and the caller should prefer another schema.
    pub fn holds_status(&self, status: u16) -> bool {
        self.root.holds_status(status)
    }
}

/// RFC 9457 problem details, for documents that declare no error schema at all. Violations go
/// in a `violations` extension member, as `{path, message, type}` items, and are also folded
/// into `detail` so that a person reading only the detail sees them.
pub fn problem_json(facts: &ErrorFacts) -> Value {
    let mut body = Map::new();
    body.insert("type".into(), json!("about:blank"));
    body.insert("title".into(), json!(facts.title));
    body.insert("status".into(), json!(facts.status));
    let detail = if facts.violations.is_empty() {
        facts.detail.to_string()
    } else {
        fold_violations(facts)
    };
    body.insert("detail".into(), json!(detail));
    if let Some(instance) = &facts.instance {
        body.insert("instance".into(), json!(uri_reference(instance)));
    }
    if !facts.violations.is_empty() {
        let items = facts
            .violations
            .iter()
            .map(|v| json!({"path": v.path(), "message": v.message, "type": v.type_urn()}))
            .collect();
        body.insert("violations".into(), Value::Array(items));
    }
    Value::Object(body)
}

// ---------------------------------------------------------------------------------------------
// The compiled plan.

#[derive(Debug, Clone)]
struct ObjectPlan {
    members: Vec<Member>,
}

#[derive(Debug, Clone)]
struct Member {
    /// `"name":`, the member's name escaped once at compile time.
    key: Box<str>,
    fill: Fill,
    required: bool,
    /// Written when the fill has nothing to say but the member is required.
    fallback: Value,
}

#[derive(Debug, Clone)]
enum Fill {
    Status(Scalar),
    Title(Scalar),
    Detail(Scalar),
    /// The request path, else the example's.
    Instance(Scalar, Option<Value>),
    Fixed(Value),
    Object(ObjectPlan),
    List(ListPlan),
    // The members below only occur inside list items.
    Path(Scalar, PathForm),
    PathSegments {
        element: Scalar,
    },
    Message(Scalar),
    Keyword(Scalar),
    TypeUrn(Scalar),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PathForm {
    /// `users[0].email`, `query.limit`.
    Dotted,
    /// An RFC 6901 pointer for the body; `split` when a parameter member sits beside it, so
    /// parameter violations are left to that member.
    Pointer { split: bool },
    /// The parameter's name; `split` when a pointer member sits beside it.
    Parameter { split: bool },
    /// Where the violation is: `body`, `query`, `path`, `header`, `cookie`, `request`.
    Place,
}

#[derive(Debug, Clone)]
struct ListPlan {
    item: ItemPlan,
    min_items: usize,
    max_items: Option<usize>,
    /// With no violation, one item carries the facts (the list is their only place).
    carries_facts: bool,
}

#[derive(Debug, Clone)]
enum ItemPlan {
    Text(Box<Scalar>),
    Object(ObjectPlan),
}

/// What a render walks with: the facts, and the violation when inside a list item.
struct Cx<'f> {
    facts: &'f ErrorFacts,
    violation: Option<&'f Violation>,
    fold_violations: bool,
}

impl ObjectPlan {
    fn write(&self, cx: &Cx<'_>, out: &mut Vec<u8>) {
        out.push(b'{');
        let mut first = true;
        for m in &self.members {
            let mark = out.len();
            if !first {
                out.push(b',');
            }
            out.extend_from_slice(m.key.as_bytes());
            if !m.fill.write(cx, out) {
                if !m.required {
                    out.truncate(mark);
                    continue;
                }
                write_value(out, &m.fallback);
            }
            first = false;
        }
        out.push(b'}');
    }

    fn carries_facts(&self) -> bool {
        self.members.iter().any(|m| match &m.fill {
            Fill::Status(_) | Fill::Title(_) | Fill::Detail(_) | Fill::List(_) => true,
            Fill::Object(inner) => inner.carries_facts(),
            _ => false,
        })
    }

    fn carries_violations(&self) -> bool {
        self.members.iter().any(|m| match &m.fill {
            Fill::Path(..) | Fill::PathSegments { .. } | Fill::Message(_) => true,
            Fill::Object(inner) => inner.carries_violations(),
            _ => false,
        })
    }

    fn lists_violations(&self) -> bool {
        self.members.iter().any(|m| match &m.fill {
            Fill::List(_) => true,
            Fill::Object(inner) => inner.lists_violations(),
            _ => false,
        })
    }

    fn holds_status(&self, status: u16) -> bool {
        self.members.iter().all(|m| match &m.fill {
            Fill::Status(s) => s.fits(&status_candidates(status)).is_some(),
            Fill::Object(inner) => inner.holds_status(status),
            Fill::List(list) => match &list.item {
                ItemPlan::Object(inner) => inner.holds_status(status),
                ItemPlan::Text(_) => true,
            },
            _ => true,
        })
    }
}

impl Fill {
    /// Writes this member's value and says so; writes nothing and says `false` when the facts
    /// hold nothing for it (a violation's path outside a list item, an unknown instance).
    fn write(&self, cx: &Cx<'_>, out: &mut Vec<u8>) -> bool {
        let facts = cx.facts;
        let value = match self {
            // The candidates one by one, each made only if the ones before do not fit.
            Fill::Status(s) => {
                if s.write_status_digits(facts.status, out) {
                    return true;
                }
                status_candidates_lazily(facts.status)
                    .find_map(|c| s.fits_one(&c))
                    .unwrap_or_else(|| s.fit(&status_candidates(facts.status)))
            }
            Fill::Title(s) => {
                s.write_text(&facts.title, out);
                return true;
            }
            Fill::Detail(s) => {
                if cx.fold_violations && !facts.violations.is_empty() {
                    s.write_text(&fold_violations(facts), out);
                } else {
                    s.write_text(&facts.detail, out);
                }
                return true;
            }
            Fill::Instance(s, example) => match (&facts.instance, example) {
                (Some(instance), _) => s.fit(&[Value::String(uri_reference(instance))]),
                (None, Some(example)) => {
                    write_value(out, example);
                    return true;
                }
                (None, None) => return false,
            },
            Fill::Fixed(v) => {
                write_value(out, v);
                return true;
            }
            Fill::Object(plan) => {
                plan.write(cx, out);
                return true;
            }
            Fill::List(list) => return list.write(cx, out),
            Fill::Path(s, form) => {
                let Some(v) = cx.violation else {
                    return false;
                };
                let text: Cow<'_, str> = match form {
                    PathForm::Dotted => v.path().into(),
                    PathForm::Place => place(&v.location).into(),
                    PathForm::Pointer { split } => match &v.location {
                        Location::Body(steps) => pointer(steps).into(),
                        _ if *split => return false,
                        _ => v.path().into(),
                    },
                    PathForm::Parameter { split } => match parameter(&v.location) {
                        Some(name) => name.into(),
                        None if *split => return false,
                        None => v.path().into(),
                    },
                };
                s.write_fit_text(&text, out);
                return true;
            }
            Fill::PathSegments { element } => {
                let Some(v) = cx.violation else {
                    return false;
                };
                Value::Array(
                    path_segments(&v.location)
                        .into_iter()
                        .map(|seg| element.fit(&[seg]))
                        .collect(),
                )
            }
            Fill::Message(s) | Fill::Keyword(s) => {
                let Some(v) = cx.violation else {
                    return false;
                };
                let text = if matches!(self, Fill::Message(_)) {
                    &v.message
                } else {
                    &v.keyword
                };
                s.write_text(text, out);
                return true;
            }
            Fill::TypeUrn(s) => {
                let Some(v) = cx.violation else {
                    return false;
                };
                s.write_fit_text(&v.type_urn(), out);
                return true;
            }
        };
        write_value(out, &value);
        true
    }
}

/// Appends `value` as JSON text. Serialising a `Value` into a `Vec` cannot fail: its keys are
/// strings and writing to memory has no I/O error.
fn write_value(out: &mut Vec<u8>, value: &Value) {
    let _ = serde_json::to_writer(out, value);
}

impl ListPlan {
    fn write(&self, cx: &Cx<'_>, out: &mut Vec<u8>) -> bool {
        let facts = cx.facts;
        // A violation made of the facts themselves, for lists that must not stay empty: made
        // only then.
        let needs_stand_in = facts.violations.len() < self.min_items
            || (facts.violations.is_empty() && self.carries_facts);
        let stand_in = needs_stand_in
            .then(|| Violation::new(Location::Request, slug(&facts.title), facts.detail.clone()));
        let mut chosen: Vec<&Violation> = facts.violations.iter().collect();
        if let Some(stand_in) = &stand_in {
            if chosen.is_empty() {
                chosen.push(stand_in);
            }
            while chosen.len() < self.min_items {
                chosen.push(stand_in);
            }
        }
        if let Some(max) = self.max_items {
            chosen.truncate(max);
        }
        if chosen.is_empty() {
            // Optional members are left out; required ones fall back to `[]`.
            return false;
        }
        out.push(b'[');
        for (i, violation) in chosen.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match &self.item {
                ItemPlan::Text(s) => write_value(out, &s.fit(&[json!(violation.to_string())])),
                ItemPlan::Object(plan) => {
                    let item_cx = Cx {
                        facts,
                        violation: Some(violation),
                        fold_violations: false,
                    };
                    plan.write(&item_cx, out);
                }
            }
        }
        out.push(b']');
        true
    }
}

/// The request path as a URI reference (RFC 3986), as `instance` members are declared: a
/// target hyper accepts may still hold a stray `%` (`/spac%es`) or characters such as `"`,
/// `{` or `|` that a URI may not, and those are percent-encoded; valid escapes are kept.
fn uri_reference(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    for (i, &b) in bytes.iter().enumerate() {
        let escape = b == b'%'
            && bytes.len() > i + 2
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit();
        let allowed = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&b);
        if allowed || escape {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn fold_violations(facts: &ErrorFacts) -> String {
    // A detail that already says a violation (a malformed body) does not repeat it.
    let listed: Vec<String> = facts
        .violations
        .iter()
        .map(Violation::to_string)
        .filter(|v| !facts.detail.contains(v.as_str()))
        .collect();
    let listed = listed.join("; ");
    if facts.detail.is_empty() {
        listed
    } else if listed.is_empty() {
        facts.detail.to_string()
    } else {
        format!("{} ({listed})", facts.detail)
    }
}

fn pointer(steps: &[Segment]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(32);
    for step in steps {
        match step {
            Segment::Key(k) => push_token(&mut out, k),
            // Writing to a `String` cannot fail.
            Segment::Index(i) => {
                let _ = write!(out, "/{i}");
            }
        }
    }
    out
}

fn parameter(location: &Location) -> Option<&str> {
    match location {
        Location::Path(n, _)
        | Location::Query(n, _)
        | Location::Header(n, _)
        | Location::Cookie(n, _) => Some(n),
        Location::Body(_) | Location::Request => None,
    }
}

fn place(location: &Location) -> &'static str {
    match location {
        Location::Path(..) => "path",
        Location::Query(..) => "query",
        Location::Header(..) => "header",
        Location::Cookie(..) => "cookie",
        Location::Body(_) => "body",
        Location::Request => "request",
    }
}

/// FastAPI's `loc`: the location, the parameter name, then the steps inside the value.
fn path_segments(location: &Location) -> Vec<Value> {
    let (name, steps) = match location {
        Location::Path(n, s)
        | Location::Query(n, s)
        | Location::Header(n, s)
        | Location::Cookie(n, s) => (Some(n), s.as_slice()),
        Location::Body(s) => (None, s.as_slice()),
        Location::Request => return Vec::new(),
    };
    let mut out = vec![json!(place(location))];
    out.extend(name.map(|n| json!(n)));
    out.extend(steps.iter().map(|s| match s {
        Segment::Key(k) => json!(k),
        Segment::Index(i) => json!(i),
    }));
    out
}

// ---------------------------------------------------------------------------------------------
// Scalars: converting a fact into a member's declared type.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    Null,
    Object,
    Array,
}

impl Kind {
    fn parse(name: &str) -> Option<Kind> {
        Some(match name {
            "string" => Kind::String,
            "integer" => Kind::Integer,
            "number" => Kind::Number,
            "boolean" => Kind::Boolean,
            "null" => Kind::Null,
            "object" => Kind::Object,
            "array" => Kind::Array,
            _ => return None,
        })
    }

    fn of(value: &Value) -> Kind {
        match value {
            Value::String(_) => Kind::String,
            Value::Number(n) if n.is_i64() || n.is_u64() => Kind::Integer,
            Value::Number(_) => Kind::Number,
            Value::Bool(_) => Kind::Boolean,
            Value::Null => Kind::Null,
            Value::Object(_) => Kind::Object,
            Value::Array(_) => Kind::Array,
        }
    }

    fn holds(self, value: &Value) -> bool {
        match (self, value) {
            (Kind::Integer, Value::Number(n)) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            (Kind::Number, Value::Number(_)) => true,
            _ => self == Kind::of(value),
        }
    }

    /// `value` converted to this kind, if it has a faithful reading in it.
    fn convert(self, value: &Value) -> Option<Value> {
        match (self, value) {
            _ if self.holds(value) => Some(value.clone()),
            (Kind::String, Value::Number(n)) => Some(json!(n.to_string())),
            (Kind::String, Value::Bool(b)) => Some(json!(b.to_string())),
            (Kind::Integer, Value::String(s)) => s.trim().parse::<i64>().ok().map(Value::from),
            (Kind::Number, Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(Value::Number),
            (Kind::Boolean, Value::String(s)) => s.parse::<bool>().ok().map(Value::Bool),
            _ => None,
        }
    }
}

/// The constraints of one scalar member that a rendered value must meet.
#[derive(Debug, Clone, Default)]
struct Scalar {
    /// Empty: any kind.
    kinds: Vec<Kind>,
    allowed: Option<Vec<Value>>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: Option<f64>,
    exclusive_maximum: Option<f64>,
    /// `anyOf`/`oneOf` branches: a value must meet one of them.
    alternatives: Vec<Scalar>,
    /// A valid value, for when no candidate can be made to fit.
    fallback: Value,
}

impl Scalar {
    /// The first candidate that fits, converted to a declared kind; failing that, the first
    /// allowed value; failing that, the first candidate trimmed or padded into the bounds.
    fn fit(&self, candidates: &[Value]) -> Value {
        if let Some(v) = self.fits(candidates) {
            return v;
        }
        if let Some(first) = self.allowed.as_ref().and_then(|a| a.first()) {
            return first.clone();
        }
        candidates
            .first()
            .and_then(|c| self.kinds_for(c).find_map(|k| k.convert(c)))
            .map(|v| self.squeeze(v))
            .filter(|v| self.accepts(v))
            .unwrap_or_else(|| self.fallback.clone())
    }

    /// [`Scalar::fit`] of a text and then its slug (`Not Found`, `not_found`), the slug made
    /// only when the text itself does not fit: most members take any string, and making
    /// slugs for every text was a sixth of rendering an error.
    /// Appends [`Scalar::fit_text`] of `text`: the text itself, unwrapped, when it fits as it
    /// is (most members take any string).
    fn write_text(&self, text: &str, out: &mut Vec<u8>) {
        if self.accepts_text(text) {
            let _ = serde_json::to_writer(out, text);
        } else {
            write_value(out, &self.fit_text(text));
        }
    }

    /// Appends [`Scalar::fit`] of the one candidate `text`, without making it a `Value` when
    /// it fits as it is: the first thing `fit` tries.
    fn write_fit_text(&self, text: &str, out: &mut Vec<u8>) {
        if self.takes_own_kind(Kind::String) && self.accepts_text(text) {
            let _ = serde_json::to_writer(out, text);
        } else {
            write_value(out, &self.fit(&[Value::String(text.to_owned())]));
        }
    }

    /// Appends a status as its digits in a string, when that is what [`Scalar::fits_one`]
    /// makes of the number for a member declared as a string only, and says so.
    fn write_status_digits(&self, status: u16, out: &mut Vec<u8>) -> bool {
        if !(self.kinds == [Kind::String] && self.alternatives.is_empty()) {
            return false;
        }
        let mut buf = [0u8; 20];
        let digits = crate::text::decimal(u64::from(status), &mut buf);
        if !self.accepts_text(digits) {
            return false;
        }
        out.push(b'"');
        out.extend_from_slice(digits.as_bytes());
        out.push(b'"');
        true
    }

    /// Whether a candidate of `kind` is tried as it is, before any conversion.
    fn takes_own_kind(&self, kind: Kind) -> bool {
        if self.kinds.is_empty() {
            self.alternatives.is_empty()
        } else {
            self.kinds.contains(&kind)
        }
    }

    fn fit_text(&self, text: &str) -> Value {
        let plain = Value::String(text.to_owned());
        match self.fits(std::slice::from_ref(&plain)) {
            Some(v) => v,
            None => self.fit(&[plain, Value::String(slug(text))]),
        }
    }

    fn fits(&self, candidates: &[Value]) -> Option<Value> {
        candidates.iter().find_map(|c| self.fits_one(c))
    }

    /// `candidate`, converted to a declared kind, if it can be made to meet the constraints.
    fn fits_one(&self, c: &Value) -> Option<Value> {
        // The candidate as it is, when its own kind is declared (or any kind may be): what
        // the search below tries first, without converting it.
        if self.takes_own_kind(Kind::of(c)) && self.accepts(c) {
            return Some(c.clone());
        }
        self.kinds_for(c)
            .filter_map(|k| k.convert(c))
            .find_map(|v| self.admit(v))
    }

    /// The kinds to try for `candidate`: its own first, then the declared ones in order.
    fn kinds_for(&self, candidate: &Value) -> impl Iterator<Item = Kind> {
        let declared = self.all_kinds();
        let own = Kind::of(candidate);
        let mut kinds = KindList::default();
        if declared.is_empty() || declared.contains(own) {
            kinds.push(own);
        }
        for k in declared.iter() {
            kinds.push(k);
        }
        kinds.iter()
    }

    fn all_kinds(&self) -> KindList {
        let mut kinds = KindList::default();
        if !self.kinds.is_empty() {
            for k in &self.kinds {
                kinds.push(*k);
            }
            return kinds;
        }
        for alt in &self.alternatives {
            for k in alt.all_kinds().iter() {
                kinds.push(k);
            }
        }
        kinds
    }

    /// `value` if it meets the constraints; a string enum also admits a value spelled
    /// differently (`not_found` for `NOT_FOUND`), in the enum's own spelling.
    fn admit(&self, value: Value) -> Option<Value> {
        if self.accepts(&value) {
            return Some(value);
        }
        let text = value.as_str()?;
        let allowed = self.allowed.as_ref()?;
        allowed
            .iter()
            .find(|a| a.as_str().is_some_and(|a| normalise(a) == normalise(text)))
            .filter(|a| self.accepts(a))
            .cloned()
    }

    fn accepts(&self, value: &Value) -> bool {
        if let Value::String(text) = value {
            return self.accepts_text(text);
        }
        if !self.kinds.is_empty() && !self.kinds.iter().any(|k| k.holds(value)) {
            return false;
        }
        if let Some(allowed) = &self.allowed
            && !allowed.iter().any(|a| same(a, value))
        {
            return false;
        }
        if let Some(n) = value.as_f64() {
            let out = self.minimum.is_some_and(|m| n < m)
                || self.maximum.is_some_and(|m| n > m)
                || self.exclusive_minimum.is_some_and(|m| n <= m)
                || self.exclusive_maximum.is_some_and(|m| n >= m);
            if out {
                return false;
            }
        }
        self.alternatives.is_empty() || self.alternatives.iter().any(|a| a.accepts(value))
    }

    /// [`Scalar::accepts`] of a string, asked without making it a `Value` first.
    fn accepts_text(&self, text: &str) -> bool {
        if !self.kinds.is_empty() && !self.kinds.contains(&Kind::String) {
            return false;
        }
        if let Some(allowed) = &self.allowed
            && !allowed.iter().any(|a| a.as_str() == Some(text))
        {
            return false;
        }
        if self.min_length.is_some() || self.max_length.is_some() {
            let len = text.chars().count();
            if self.min_length.is_some_and(|m| len < m) || self.max_length.is_some_and(|m| len > m)
            {
                return false;
            }
        }
        self.alternatives.is_empty() || self.alternatives.iter().any(|a| a.accepts_text(text))
    }

    /// Strings cut or padded to the length bounds (padding with `.`, which reads as an
    /// ellipsis), numbers clamped to the inclusive bounds.
    fn squeeze(&self, value: Value) -> Value {
        match value {
            Value::String(s) => {
                let mut s: String = match self.max_length {
                    Some(max) => s.chars().take(max).collect(),
                    None => s,
                };
                // `min_length` is at most `MAX_FILL` (see `Compiler::scalar`).
                let short = self
                    .min_length
                    .map_or(0, |m| m.saturating_sub(s.chars().count()));
                s.extend(std::iter::repeat_n('.', short));
                Value::String(s)
            }
            Value::Number(n) => {
                let mut f = n.as_f64().unwrap_or_default();
                if let Some(m) = self.minimum {
                    f = f.max(m);
                }
                if let Some(m) = self.maximum {
                    f = f.min(m);
                }
                if n.is_i64() || n.is_u64() {
                    json!(f as i64)
                } else {
                    Number::from_f64(f).map_or(Value::Number(n), Value::Number)
                }
            }
            other => other,
        }
    }

    fn prefers_number(&self) -> bool {
        let kinds = self.all_kinds();
        !kinds.is_empty()
            && !kinds.contains(Kind::String)
            && kinds
                .iter()
                .any(|k| matches!(k, Kind::Integer | Kind::Number))
    }

    fn is_text(&self) -> bool {
        let kinds = self.all_kinds();
        kinds.is_empty() || kinds.contains(Kind::String)
    }
}

/// Distinct kinds in the order first met, held inline: rendering asks for them per member
/// per error, and a `Vec` each time was a tenth of rendering one.
#[derive(Debug, Clone, Copy)]
struct KindList {
    kinds: [Kind; KindList::ALL],
    len: usize,
}

impl Default for KindList {
    fn default() -> Self {
        KindList {
            kinds: [Kind::Null; KindList::ALL],
            len: 0,
        }
    }
}

impl KindList {
    /// How many kinds there are: a list never holds more.
    const ALL: usize = 7;

    fn push(&mut self, kind: Kind) {
        if !self.contains(kind) && self.len < Self::ALL {
            self.kinds[self.len] = kind;
            self.len += 1;
        }
    }

    fn contains(&self, kind: Kind) -> bool {
        self.kinds[..self.len].contains(&kind)
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn iter(self) -> impl Iterator<Item = Kind> {
        self.kinds.into_iter().take(self.len)
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn status_candidates(status: u16) -> Vec<Value> {
    status_candidates_lazily(status).collect()
}

/// The ways a status can be said, most faithful first: the number, its digits, the canonical
/// codes, the reason phrase.
fn status_candidates_lazily(status: u16) -> impl Iterator<Item = Value> {
    std::iter::once_with(move || json!(status))
        .chain(std::iter::once_with(move || json!(status.to_string())))
        .chain(canonical_codes(status).iter().map(|c| json!(c)))
        .chain(reason_phrase(status).into_iter().map(|r| json!(r)))
}

/// The google.rpc canonical codes an HTTP status stands for, most usual first.
fn canonical_codes(status: u16) -> &'static [&'static str] {
    match status {
        400 | 422 => &["INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE"],
        401 => &["UNAUTHENTICATED"],
        403 => &["PERMISSION_DENIED"],
        404 => &["NOT_FOUND"],
        409 => &["ALREADY_EXISTS", "ABORTED"],
        412 => &["FAILED_PRECONDITION"],
        416 => &["OUT_OF_RANGE"],
        429 => &["RESOURCE_EXHAUSTED"],
        499 => &["CANCELLED"],
        500 => &["INTERNAL", "UNKNOWN", "DATA_LOSS"],
        501 => &["UNIMPLEMENTED"],
        503 => &["UNAVAILABLE"],
        504 => &["DEADLINE_EXCEEDED"],
        _ => &[],
    }
}

/// The reason phrase, as `http` knows it (`Not Found`; `Unprocessable Entity` and
/// `Payload Too Large`, the names titles are given too, rather than RFC 9110's newer ones).
fn reason_phrase(status: u16) -> Option<&'static str> {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
}

/// `Not Found` → `not_found`.
fn slug(text: &str) -> String {
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
fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Compiling: flattening schemas, then deciding what each member carries.

/// One schema with its `$ref`s followed and its `allOf` branches (and the chosen
/// `anyOf`/`oneOf` branch) merged in.
#[derive(Debug, Clone, Default)]
struct Flat<'a> {
    /// `false` somewhere: nothing matches.
    never: bool,
    /// `None`: unconstrained; several `type`s intersect.
    types: Option<Vec<String>>,
    /// `enum` and `const`, intersected.
    allowed: Option<Vec<Value>>,
    format: Option<String>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: Option<f64>,
    exclusive_maximum: Option<f64>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    properties: Vec<(String, Vec<Located<'a>>)>,
    required: Vec<String>,
    items: Vec<Located<'a>>,
    /// The branches of an `anyOf`/`oneOf` none of which is an object to fill.
    alternatives: Vec<Flat<'a>>,
    /// The schema's own example (`examples[0]` or `example`).
    sample: Option<Value>,
}

impl Flat<'_> {
    fn has_type(&self, name: &str) -> bool {
        self.types
            .as_ref()
            .is_some_and(|t| t.iter().any(|t| t == name))
    }

    fn is_object(&self) -> bool {
        match &self.types {
            Some(_) => self.has_type("object"),
            None => !self.properties.is_empty(),
        }
    }

    fn is_array(&self) -> bool {
        match &self.types {
            Some(_) => self.has_type("array"),
            None => !self.items.is_empty(),
        }
    }

    /// Has a property whose name says it carries part of an error.
    fn looks_like_error(&self) -> bool {
        self.properties.iter().any(|(name, _)| {
            let n = normalise(name);
            [
                STATUS_NAMES,
                TITLE_NAMES,
                DETAIL_NAMES,
                LIST_NAMES,
                MESSAGE_NAMES,
            ]
            .iter()
            .any(|names| names.contains(&n.as_str()))
        })
    }
}

/// What a member is for, decided by its name, its kind and its siblings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
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
enum Mode {
    Error,
    Item,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Object,
    Array,
    Scalar,
}

struct Compiler<'a> {
    resources: &'a Resources,
}

/// `Err` when a member must be padded past [`MAX_FILL`].
fn fillable(keyword: &str, bound: Option<u64>) -> Result<(), String> {
    match bound {
        Some(n) if n > MAX_FILL => Err(format!(
            "`{keyword}: {n}` asks for more than an error body is padded to ({MAX_FILL})"
        )),
        _ => Ok(()),
    }
}

impl<'a> Compiler<'a> {
    fn flatten(&self, schemas: &[Located<'a>], depth: usize) -> Result<Flat<'a>, String> {
        let mut flat = Flat::default();
        for s in schemas {
            self.absorb(&mut flat, *s, depth)?;
        }
        Ok(flat)
    }

    fn absorb(&self, flat: &mut Flat<'a>, schema: Located<'a>, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("the schema nests too deeply (a reference cycle?)".to_owned());
        }
        let obj = match schema.value {
            Value::Object(obj) => obj,
            Value::Bool(false) => {
                flat.never = true;
                return Ok(());
            }
            _ => return Ok(()),
        };
        let at = |value: &'a Value| Located {
            base: schema.base,
            value,
        };
        // A `$ref` with siblings applies both, as in 2020-12: the target is one more branch.
        if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
            let target = self
                .resources
                .resolve(schema.base, reference)
                .map_err(|e| e.to_string())?;
            self.absorb(flat, target, depth + 1)?;
        }
        for branch in obj
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.absorb(flat, at(branch), depth + 1)?;
        }
        for (key, value) in obj {
            match key.as_str() {
                "type" => {
                    let types: Vec<String> = match value {
                        Value::String(t) => vec![t.clone()],
                        Value::Array(ts) => ts
                            .iter()
                            .filter_map(|t| t.as_str().map(str::to_owned))
                            .collect(),
                        _ => continue,
                    };
                    flat.types = Some(match flat.types.take() {
                        Some(old) => old.into_iter().filter(|t| types.contains(t)).collect(),
                        None => types,
                    });
                }
                "enum" | "const" => {
                    let values = match (key.as_str(), value) {
                        ("enum", Value::Array(vs)) => vs.clone(),
                        ("const", v) => vec![v.clone()],
                        _ => continue,
                    };
                    flat.allowed = Some(match flat.allowed.take() {
                        Some(old) => old
                            .into_iter()
                            .filter(|o| values.iter().any(|v| same(o, v)))
                            .collect(),
                        None => values,
                    });
                }
                "format" => flat.format = flat.format.take().or(value.as_str().map(Into::into)),
                "minLength" => flat.min_length = tighter(flat.min_length, value.as_u64(), u64::max),
                "maxLength" => flat.max_length = tighter(flat.max_length, value.as_u64(), u64::min),
                "minItems" => flat.min_items = tighter(flat.min_items, value.as_u64(), u64::max),
                "maxItems" => flat.max_items = tighter(flat.max_items, value.as_u64(), u64::min),
                "minimum" => flat.minimum = tighter(flat.minimum, value.as_f64(), f64::max),
                "maximum" => flat.maximum = tighter(flat.maximum, value.as_f64(), f64::min),
                "exclusiveMinimum" => {
                    flat.exclusive_minimum =
                        tighter(flat.exclusive_minimum, value.as_f64(), f64::max);
                }
                "exclusiveMaximum" => {
                    flat.exclusive_maximum =
                        tighter(flat.exclusive_maximum, value.as_f64(), f64::min);
                }
                "properties" => {
                    for (name, sub) in value.as_object().into_iter().flatten() {
                        match flat.properties.iter_mut().find(|(n, _)| n == name) {
                            Some((_, subs)) => subs.push(at(sub)),
                            None => flat.properties.push((name.clone(), vec![at(sub)])),
                        }
                    }
                }
                "required" => {
                    for name in value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                    {
                        if !flat.required.iter().any(|r| r == name) {
                            flat.required.push(name.to_owned());
                        }
                    }
                }
                "items" => flat.items.push(at(value)),
                "examples" if flat.sample.is_none() => {
                    flat.sample = value.as_array().and_then(|a| a.first()).cloned();
                }
                "example" if flat.sample.is_none() => flat.sample = Some(value.clone()),
                _ => {}
            }
        }
        // OpenAPI 3.0's `nullable`, should the loader have left one.
        if obj.get("nullable") == Some(&Value::Bool(true))
            && let Some(types) = &mut flat.types
            && !types.iter().any(|t| t == "null")
        {
            types.push("null".to_owned());
        }
        for key in ["anyOf", "oneOf"] {
            let Some(branches) = obj.get(key).and_then(Value::as_array) else {
                continue;
            };
            let mut flats = Vec::with_capacity(branches.len());
            for branch in branches {
                flats.push((branch, self.flatten(&[at(branch)], depth + 1)?));
            }
            let objects = || {
                flats
                    .iter()
                    .filter(|(_, f)| f.is_object() && !f.properties.is_empty())
            };
            let chosen = objects()
                .find(|(_, f)| f.looks_like_error())
                .or_else(|| objects().next());
            match chosen {
                Some((branch, _)) => self.absorb(flat, at(branch), depth + 1)?,
                None => flat.alternatives.extend(flats.into_iter().map(|(_, f)| f)),
            }
        }
        Ok(())
    }

    fn scalar(&self, flat: &Flat<'a>, depth: usize) -> Result<Scalar, String> {
        let alternatives = flat
            .alternatives
            .iter()
            .map(|alt| self.scalar(alt, depth + 1))
            .collect::<Result<_, _>>()?;
        let len = |n: Option<u64>| n.and_then(|n| usize::try_from(n).ok());
        fillable("minLength", flat.min_length)?;
        Ok(Scalar {
            kinds: flat
                .types
                .iter()
                .flatten()
                .filter_map(|t| Kind::parse(t))
                .collect(),
            allowed: flat.allowed.clone(),
            min_length: len(flat.min_length),
            max_length: len(flat.max_length),
            minimum: flat.minimum,
            maximum: flat.maximum,
            exclusive_minimum: flat.exclusive_minimum,
            exclusive_maximum: flat.exclusive_maximum,
            alternatives,
            fallback: self.minimal(flat, depth)?,
        })
    }

    fn object(
        &self,
        flat: &Flat<'a>,
        example: Option<&Value>,
        mode: Mode,
        depth: usize,
    ) -> Result<ObjectPlan, String> {
        if depth > MAX_DEPTH {
            return Err("the schema nests too deeply (a reference cycle?)".to_owned());
        }
        let mut props = Vec::with_capacity(flat.properties.len());
        for (name, schemas) in &flat.properties {
            let sub = self.flatten(schemas, depth + 1)?;
            let shape = if sub.is_object() && !sub.properties.is_empty() {
                Shape::Object
            } else if sub.is_array() {
                Shape::Array
            } else {
                Shape::Scalar
            };
            let scalar = self.scalar(&sub, depth + 1)?;
            let role = match mode {
                Mode::Error => error_role(&normalise(name), shape, &scalar),
                Mode::Item => item_role(&normalise(name), shape, &scalar),
            };
            props.push((name, sub, scalar, role));
        }
        settle_roles(&mut props, mode);

        let has = |wanted: &[Role]| props.iter().any(|(_, _, _, r)| wanted.contains(r));
        let list_carries_facts = !has(&[Role::Title, Role::Detail, Role::Message]);

        let mut members = Vec::with_capacity(props.len());
        for (name, sub, scalar, role) in props {
            let required = flat.required.iter().any(|r| r == name);
            let own_example = example.and_then(|e| e.get(name.as_str()));
            let fill = match role {
                Role::Status => Some(Fill::Status(scalar)),
                Role::Title => Some(Fill::Title(scalar)),
                Role::Detail => Some(Fill::Detail(scalar)),
                Role::Message => Some(Fill::Message(scalar)),
                Role::Keyword => Some(Fill::Keyword(scalar)),
                Role::TypeUrn => Some(Fill::TypeUrn(scalar)),
                Role::Path(form) => Some(Fill::Path(scalar, form)),
                Role::PathSegments => {
                    let element = self.flatten(&sub.items, depth + 1)?;
                    Some(Fill::PathSegments {
                        element: self.scalar(&element, depth + 1)?,
                    })
                }
                Role::ProblemType => {
                    let candidates: Vec<Value> = own_example
                        .cloned()
                        .into_iter()
                        .chain([json!("about:blank")])
                        .collect();
                    Some(Fill::Fixed(scalar.fit(&candidates)))
                }
                Role::Instance => Some(Fill::Instance(
                    scalar,
                    own_example.or(sub.sample.as_ref()).cloned(),
                )),
                Role::Timestamp | Role::RequestId if required || own_example.is_some() => {
                    let constant = match (role, sub.format.as_deref()) {
                        (Role::RequestId, _) => json!(NIL_ID),
                        (_, Some("date")) => json!(EPOCH_DATE),
                        (_, _) if scalar.prefers_number() => json!(0),
                        _ => json!(EPOCH),
                    };
                    let candidates: Vec<Value> =
                        own_example.cloned().into_iter().chain([constant]).collect();
                    Some(Fill::Fixed(scalar.fit(&candidates)))
                }
                Role::Timestamp | Role::RequestId => None,
                Role::List => {
                    let item_flat = self.flatten(&sub.items, depth + 1)?;
                    let item_example = own_example.and_then(|e| e.get(0));
                    // Items with no place for a path or a message (Google's `details`) take
                    // no violations: those are folded into the detail instead.
                    let item = if item_flat.is_object() && !item_flat.properties.is_empty() {
                        let plan = self.object(&item_flat, item_example, Mode::Item, depth + 1)?;
                        plan.carries_violations().then_some(ItemPlan::Object(plan))
                    } else {
                        let scalar = self.scalar(&item_flat, depth + 1)?;
                        scalar.is_text().then(|| ItemPlan::Text(Box::new(scalar)))
                    };
                    let count = |n: Option<u64>| n.and_then(|n| usize::try_from(n).ok());
                    fillable("minItems", sub.min_items)?;
                    match item {
                        Some(item) => Some(Fill::List(ListPlan {
                            item,
                            min_items: count(sub.min_items).unwrap_or(0),
                            max_items: count(sub.max_items),
                            carries_facts: list_carries_facts,
                        })),
                        None if required => {
                            Some(Fill::Fixed(self.known_value(&sub, own_example, depth)?))
                        }
                        None => None,
                    }
                }
                Role::Nested => {
                    let plan = self.object(&sub, own_example, mode, depth + 1)?;
                    let useful = match mode {
                        Mode::Error => plan.carries_facts(),
                        Mode::Item => plan.carries_violations(),
                    };
                    if useful {
                        Some(Fill::Object(plan))
                    } else if required {
                        Some(Fill::Fixed(self.known_value(&sub, own_example, depth)?))
                    } else {
                        None
                    }
                }
                Role::Context => Some(Fill::Fixed(self.minimal(&sub, depth + 1)?)),
                Role::Other if required => {
                    Some(Fill::Fixed(self.known_value(&sub, own_example, depth)?))
                }
                Role::Other => None,
            };
            if let Some(fill) = fill {
                members.push(Member {
                    key: format!("{}:", Value::String(name.clone())).into(),
                    fill,
                    required,
                    fallback: self.known_value(&sub, own_example, depth)?,
                });
            }
        }
        Ok(ObjectPlan { members })
    }

    /// The example's value, else the schema's own example, else a minimal valid value.
    fn known_value(
        &self,
        flat: &Flat<'a>,
        example: Option<&Value>,
        depth: usize,
    ) -> Result<Value, String> {
        match example.or(flat.sample.as_ref()) {
            Some(v) => Ok(v.clone()),
            None => self.minimal(flat, depth + 1),
        }
    }

    /// A small value valid against `flat` (short of `pattern`s and most `format`s).
    /// Fails when the value could not be small (see [`MAX_FILL`]).
    fn minimal(&self, flat: &Flat<'a>, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("the schema nests too deeply (a reference cycle?)".to_owned());
        }
        if let Some(allowed) = &flat.allowed {
            return Ok(allowed
                .iter()
                .find(|v| !v.is_null())
                .or(allowed.first())
                .cloned()
                .unwrap_or(Value::Null));
        }
        if flat.types.is_none()
            && let Some(first) = flat.alternatives.first()
        {
            return self.minimal(first, depth + 1);
        }
        let kind = match &flat.types {
            Some(types) => {
                let kinds: Vec<Kind> = types.iter().filter_map(|t| Kind::parse(t)).collect();
                if kinds.contains(&Kind::Object) && !flat.properties.is_empty() {
                    Kind::Object
                } else {
                    kinds
                        .iter()
                        .copied()
                        .find(|k| *k != Kind::Null)
                        .or(kinds.first().copied())
                        .unwrap_or(Kind::Null)
                }
            }
            None if !flat.properties.is_empty() || !flat.required.is_empty() => Kind::Object,
            None if !flat.items.is_empty() => Kind::Array,
            None => Kind::Null,
        };
        Ok(match kind {
            Kind::Object => {
                let mut out = Map::new();
                for name in &flat.required {
                    let value = match flat.properties.iter().find(|(n, _)| n == name) {
                        Some((_, schemas)) => {
                            self.minimal(&self.flatten(schemas, depth + 1)?, depth + 1)?
                        }
                        None => Value::Null,
                    };
                    out.insert(name.clone(), value);
                }
                Value::Object(out)
            }
            Kind::Array => {
                fillable("minItems", flat.min_items)?;
                let count = flat.min_items.unwrap_or(0);
                let item = self.minimal(&self.flatten(&flat.items, depth + 1)?, depth + 1)?;
                Value::Array((0..count).map(|_| item.clone()).collect())
            }
            Kind::String => {
                let mut s = match flat.format.as_deref() {
                    Some("date-time") => EPOCH.to_owned(),
                    Some("date") => EPOCH_DATE.to_owned(),
                    Some("uri" | "iri") => "about:blank".to_owned(),
                    Some("uuid") => NIL_ID.to_owned(),
                    Some("email") => "user@example.com".to_owned(),
                    _ => String::new(),
                };
                fillable("minLength", flat.min_length)?;
                let short = flat
                    .min_length
                    .map_or(0, |m| m.saturating_sub(s.chars().count() as u64));
                // At most `MAX_FILL`, checked just above.
                s.extend(std::iter::repeat_n('x', short as usize));
                Value::String(s)
            }
            Kind::Integer | Kind::Number => {
                let mut n = 0.0_f64;
                if let Some(m) = flat.minimum {
                    n = n.max(m.ceil());
                }
                if let Some(m) = flat.exclusive_minimum {
                    n = n.max(m.floor() + 1.0);
                }
                if let Some(m) = flat.maximum {
                    n = n.min(m.floor());
                }
                if let Some(m) = flat.exclusive_maximum {
                    n = n.min(m.ceil() - 1.0);
                }
                json!(n as i64)
            }
            Kind::Boolean => Value::Bool(false),
            Kind::Null => Value::Null,
        })
    }
}

fn tighter<T: Copy>(old: Option<T>, new: Option<T>, pick: fn(T, T) -> T) -> Option<T> {
    match (old, new) {
        (Some(a), Some(b)) => Some(pick(a, b)),
        (a, b) => a.or(b),
    }
}

fn error_role(name: &str, shape: Shape, scalar: &Scalar) -> Role {
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

fn item_role(name: &str, shape: Shape, scalar: &Scalar) -> Role {
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
fn settle_roles(props: &mut [(&String, Flat<'_>, Scalar, Role)], mode: Mode) {
    if mode != Mode::Item {
        return;
    }
    let message_beside_title = props
        .iter()
        .any(|(n, _, _, r)| *r == Role::Message && normalise(n) != "title");
    let is_path = |r: Role| matches!(r, Role::Path(_) | Role::PathSegments);
    let pointer = props
        .iter()
        .any(|(n, _, _, r)| is_path(*r) && normalise(n) == "pointer");
    let parameter = props
        .iter()
        .any(|(n, _, _, r)| is_path(*r) && matches!(normalise(n).as_str(), "param" | "parameter"));
    let other_paths: Vec<bool> = props
        .iter()
        .map(|(n, _, _, _)| {
            let own = normalise(n);
            props.iter().any(|(m, _, _, r)| {
                let other = normalise(m);
                is_path(*r) && other != own && !matches!(other.as_str(), "location" | "in")
            })
        })
        .collect();
    for ((name, _, _, role), beside_path) in props.iter_mut().zip(other_paths) {
        match (normalise(name).as_str(), *role) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::violation::segments_from_pointer;

    const URI: &str = "https://understudy.test/openapi.json";

    fn doc(schemas: Value) -> Value {
        json!({"openapi": "3.1.0", "components": {"schemas": schemas}})
    }

    fn compile(doc: &Value, pointer: &str, example: Option<&Value>) -> Result<ErrorShape, String> {
        let resources = Resources::new(URI, doc.clone());
        let schema = resources.resolve(URI, &format!("#{pointer}")).unwrap();
        ErrorShape::compile(&resources, schema, example)
    }

    /// Fails the test unless `body` validates against the schema at `pointer` in `doc`.
    fn assert_fits(doc: &Value, pointer: &str, body: &Value) {
        let draft = jsonschema::Draft::Draft202012;
        let registry = jsonschema::Registry::new()
            .draft(draft)
            .add(URI, doc)
            .unwrap()
            .prepare()
            .unwrap();
        let validator = jsonschema::options()
            .with_draft(draft)
            .with_registry(&registry)
            .build(&json!({"$ref": format!("{URI}#{pointer}")}))
            .unwrap();
        let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
        assert!(
            errors.is_empty(),
            "{body:#}\ndoes not fit {pointer}: {errors:#?}"
        );
    }

    /// Compiles, renders and validates; returns the body.
    fn render(doc: &Value, pointer: &str, example: Option<&Value>, facts: &ErrorFacts) -> Value {
        let shape = compile(doc, pointer, example).unwrap();
        let body = shape.render(facts);
        assert_fits(doc, pointer, &body);
        // What goes on the wire is that body exactly: well-formed, each member once, in the
        // plan's order, written as serde_json writes it.
        let written = String::from_utf8(shape.write(facts)).unwrap();
        assert_eq!(written, serde_json::to_string(&body).unwrap());
        body
    }

    fn email_violation() -> Violation {
        Violation::new(
            Location::Body(segments_from_pointer("/users/0/email")),
            "format",
            "This value is not a valid email address.",
        )
    }

    fn limit_violation() -> Violation {
        Violation::new(
            Location::Query("limit".into(), vec![]),
            "maximum",
            "must be at most 100",
        )
    }

    fn invalid_body() -> ErrorFacts {
        ErrorFacts::new(400, "Validation failed", "The request body is invalid.")
            .with_violations(vec![email_violation()])
    }

    fn not_found() -> ErrorFacts {
        ErrorFacts::new(404, "Not Found", "No user found with the given ID")
            .with_instance("/v2/spaces/U3BhY2U6MTIzNDU%3D/users")
    }

    fn alumio() -> Value {
        doc(json!({"Error": {
            "type": "object",
            "properties": {
                "status": {"type": "string"},
                "context": {"type": "object"},
                "type": {"type": "string"},
                "title": {"type": "string"},
                "detail": {"type": "string"},
                "violations": {"type": "array", "items": {
                    "type": "object",
                    "properties": {
                        "title": {"type": "string"},
                        "propertyPath": {"type": "string"},
                        "type": {"type": "string"}
                    }
                }}
            }
        }}))
    }

    fn gitbook() -> Value {
        json!({
            "openapi": "3.0.3",
            "components": {
                "schemas": {"Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": {"type": "integer", "format": "int32"},
                            "message": {"type": "string"}
                        }
                    }}
                }},
                "responses": {"NotFoundError": {
                    "description": "Not Found",
                    "content": {"application/json": {"schema": {
                        "type": "object",
                        "required": ["error"],
                        "properties": {"error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "integer", "format": "int32", "enum": [404]},
                                "message": {"type": "string"}
                            },
                            "required": ["code", "message"]
                        }}
                    }}}
                }}
            }
        })
    }

    const GITBOOK_NOT_FOUND: &str =
        "/components/responses/NotFoundError/content/application~1json/schema";

    fn arize() -> Value {
        doc(json!({"Problem": {
            "type": "object",
            "required": ["title", "status"],
            "properties": {
                "type": {"type": "string", "format": "uri-reference"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "instance": {"type": "string", "format": "uri-reference"}
            }
        }}))
    }

    #[test]
    fn alumio_errors_carry_a_string_status_and_one_violation_per_property_path() {
        let doc = alumio();
        let facts = invalid_body();
        let body = render(&doc, "/components/schemas/Error", None, &facts);
        assert_eq!(body["status"], json!("400"));
        assert_eq!(body["title"], json!(facts.title));
        assert_eq!(body["detail"], json!(facts.detail));
        assert_eq!(body["type"], json!("about:blank"));
        assert_eq!(body["context"], json!({}));
        assert_eq!(
            body["violations"],
            json!([{
                "title": "This value is not a valid email address.",
                "propertyPath": "users[0].email",
                "type": "urn:understudy:violation:format"
            }])
        );
    }

    #[test]
    fn alumio_errors_without_violations_leave_the_list_out() {
        let doc = alumio();
        let facts = ErrorFacts::new(404, "Not Found", "No space `nope`.");
        let body = render(&doc, "/components/schemas/Error", None, &facts);
        assert_eq!(body["status"], json!("404"));
        assert_eq!(body["detail"], json!("No space `nope`."));
        assert!(body.get("violations").is_none(), "{body}");
    }

    #[test]
    fn gitbook_errors_nest_an_integer_code_and_a_message_with_the_violations_folded_in() {
        let doc = gitbook();
        let facts = invalid_body();
        let body = render(&doc, "/components/schemas/Error", None, &facts);
        assert_eq!(
            body,
            json!({"error": {
                "code": 400,
                "message": "The request body is invalid. \
                    (users[0].email: This value is not a valid email address.)"
            }})
        );
    }

    #[test]
    fn gitbook_not_found_errors_hold_only_their_pinned_code() {
        let doc = gitbook();
        let facts = not_found();
        let shape = compile(&doc, GITBOOK_NOT_FOUND, None).unwrap();
        assert!(shape.holds_status(404));
        assert!(!shape.holds_status(400));
        let body = render(&doc, GITBOOK_NOT_FOUND, None, &facts);
        assert_eq!(
            body,
            json!({"error": {"code": 404, "message": "No user found with the given ID"}})
        );
        // A status the schema cannot say still renders a valid body, with the pinned code.
        let body = render(&doc, GITBOOK_NOT_FOUND, None, &invalid_body());
        assert_eq!(body["error"]["code"], json!(404));
    }

    #[test]
    fn an_instance_is_a_uri_reference_even_when_the_path_sent_is_not_one() {
        // Found by tests/it/raw_fuzz.rs: `/v2/spac%es/...` made Arize's 404 break its schema.
        assert_eq!(uri_reference("/v2/spac%es/a%3D"), "/v2/spac%25es/a%3D");
        assert_eq!(uri_reference("/a\"{|}^`%"), "/a%22%7B%7C%7D%5E%60%25");
        assert_eq!(
            uri_reference("/v1/x?limit=1&a=b:c@d"),
            "/v1/x?limit=1&a=b:c@d"
        );
        let mut facts = not_found();
        facts.instance = Some("/v2/spac%es/aa/users".into());
        let body = render(&arize(), "/components/schemas/Problem", None, &facts);
        assert_eq!(body["instance"], json!("/v2/spac%25es/aa/users"));
    }

    #[test]
    fn arize_problems_take_their_type_from_the_example_and_their_instance_from_the_request() {
        let doc = arize();
        let example = json!({
            "type": "https://arize.com/docs/api#resource-not-found",
            "title": "Not Found",
            "status": 404,
            "detail": "Space not found",
            "instance": "/v2/spaces/abc/users"
        });
        let facts = not_found();
        let body = render(&doc, "/components/schemas/Problem", Some(&example), &facts);
        assert_eq!(
            body,
            json!({
                "type": "https://arize.com/docs/api#resource-not-found",
                "title": "Not Found",
                "status": 404,
                "detail": "No user found with the given ID",
                "instance": "/v2/spaces/U3BhY2U6MTIzNDU%3D/users"
            })
        );
    }

    #[test]
    fn arize_problems_without_an_example_are_about_blank_and_omit_an_unknown_instance() {
        let doc = arize();
        let example = json!({"type": "https://arize.com/docs/api#invalid-request"});
        let facts = invalid_body();
        let body = render(&doc, "/components/schemas/Problem", Some(&example), &facts);
        assert_eq!(
            body["type"],
            json!("https://arize.com/docs/api#invalid-request")
        );
        assert_eq!(body["status"], json!(400));
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("users[0].email: This value is not a valid email address.")
        );
        let body = render(&doc, "/components/schemas/Problem", None, &facts);
        assert_eq!(body["type"], json!("about:blank"));
        assert!(body.get("instance").is_none(), "{body}");
    }

    fn fastapi() -> Value {
        doc(json!({
            "HTTPValidationError": {
                "title": "HTTPValidationError",
                "type": "object",
                "properties": {"detail": {
                    "title": "Detail",
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/ValidationError"}
                }}
            },
            "ValidationError": {
                "title": "ValidationError",
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"title": "Location", "type": "array",
                            "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"title": "Message", "type": "string"},
                    "type": {"title": "Error Type", "type": "string"}
                }
            }
        }))
    }

    #[test]
    fn fastapi_validation_errors_split_the_location_into_segments() {
        let doc = fastapi();
        let facts = ErrorFacts::new(422, "Unprocessable Content", "The request is invalid.")
            .with_violations(vec![email_violation(), limit_violation()]);
        let body = render(
            &doc,
            "/components/schemas/HTTPValidationError",
            None,
            &facts,
        );
        assert_eq!(
            body,
            json!({"detail": [
                {"loc": ["body", "users", 0, "email"],
                 "msg": "This value is not a valid email address.",
                 "type": "urn:understudy:violation:format"},
                {"loc": ["query", "limit"],
                 "msg": "must be at most 100",
                 "type": "urn:understudy:violation:maximum"}
            ]})
        );
    }

    #[test]
    fn a_list_that_is_the_only_place_for_the_facts_carries_them_when_nothing_was_violated() {
        let doc = fastapi();
        let facts = not_found();
        let body = render(
            &doc,
            "/components/schemas/HTTPValidationError",
            None,
            &facts,
        );
        assert_eq!(
            body,
            json!({"detail": [{
                "loc": [],
                "msg": "No user found with the given ID",
                "type": "urn:understudy:violation:not_found"
            }]})
        );
    }

    #[test]
    fn google_style_errors_name_the_status_by_its_canonical_code() {
        let doc = doc(json!({"Status": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "required": ["code", "message", "status"],
                "properties": {
                    "code": {"type": "integer", "format": "int32"},
                    "message": {"type": "string"},
                    "details": {"type": "array", "items": {
                        "type": "object",
                        "required": ["@type"],
                        "properties": {"@type": {"type": "string"}}
                    }},
                    "status": {"type": "string", "enum": [
                        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                        "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "UNAUTHENTICATED",
                        "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
                        "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS"
                    ]}
                }
            }}
        }}));
        let pointer = "/components/schemas/Status";
        let facts = not_found();
        let body = render(&doc, pointer, None, &facts);
        assert_eq!(
            body,
            json!({"error": {
                "code": 404,
                "message": "No user found with the given ID",
                "status": "NOT_FOUND"
            }})
        );
        // `details` items have no place for a violation: the message carries them.
        let body = render(&doc, pointer, None, &invalid_body());
        assert_eq!(body["error"]["code"], json!(400));
        assert_eq!(body["error"]["status"], json!("INVALID_ARGUMENT"));
        assert!(body["error"].get("details").is_none(), "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .ends_with("(users[0].email: This value is not a valid email address.)")
        );
        let shape = compile(&doc, pointer, None).unwrap();
        assert!(shape.holds_status(429));
        assert!(!shape.holds_status(418));
    }

    fn json_api() -> Value {
        doc(json!({"Errors": {
            "type": "object",
            "required": ["errors"],
            "properties": {"errors": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "status": {"type": "string"},
                        "title": {"type": "string"},
                        "detail": {"type": "string"},
                        "source": {
                            "type": "object",
                            "properties": {
                                "pointer": {"type": "string"},
                                "parameter": {"type": "string"}
                            }
                        }
                    }
                }
            }}
        }}))
    }

    #[test]
    fn json_api_errors_point_at_the_body_and_name_the_parameter() {
        let doc = json_api();
        let facts = ErrorFacts::new(422, "Invalid Attribute", "The request is invalid.")
            .with_violations(vec![email_violation(), limit_violation()]);
        let body = render(&doc, "/components/schemas/Errors", None, &facts);
        assert_eq!(
            body,
            json!({"errors": [
                {"status": "422", "title": "Invalid Attribute",
                 "detail": "This value is not a valid email address.",
                 "source": {"pointer": "/users/0/email"}},
                {"status": "422", "title": "Invalid Attribute",
                 "detail": "must be at most 100",
                 "source": {"parameter": "limit"}}
            ]})
        );
    }

    #[test]
    fn json_api_errors_without_violations_hold_one_error_with_the_facts() {
        let doc = json_api();
        let facts = not_found();
        let body = render(&doc, "/components/schemas/Errors", None, &facts);
        assert_eq!(
            body,
            json!({"errors": [{
                "status": "404",
                "title": "Not Found",
                "detail": "No user found with the given ID",
                "source": {}
            }]})
        );
    }

    #[test]
    fn unusual_required_members_get_the_example_or_a_minimal_valid_value() {
        let doc = doc(json!({"Error": {
            "type": "object",
            "required": ["statusCode", "message", "tenant", "retryable", "attempts", "tags",
                         "timestamp", "requestId", "docs"],
            "properties": {
                "statusCode": {"type": "string", "pattern": "^[0-9]{3}$"},
                "message": {"type": "string", "maxLength": 20},
                "tenant": {"type": "string", "minLength": 3},
                "retryable": {"type": "boolean"},
                "attempts": {"type": "integer", "minimum": 1, "maximum": 5},
                "tags": {"type": "array", "minItems": 2,
                         "items": {"type": "string", "enum": ["a", "b"]}},
                "timestamp": {"type": "string", "format": "date-time"},
                "requestId": {"type": "string", "format": "uuid"},
                "docs": {"type": "object", "required": ["url"],
                         "properties": {"url": {"type": "string", "format": "uri"}}},
                "hint": {"type": "string"}
            }
        }}));
        let example = json!({"tenant": "acme", "hint": "left out: optional and unknown"});
        let facts = not_found();
        let body = render(&doc, "/components/schemas/Error", Some(&example), &facts);
        assert_eq!(
            body,
            json!({
                "statusCode": "404",
                "message": "No user found with t",
                "tenant": "acme",
                "retryable": false,
                "attempts": 1,
                "tags": ["a", "a"],
                "timestamp": "1970-01-01T00:00:00Z",
                "requestId": "00000000-0000-0000-0000-000000000000",
                "docs": {"url": "about:blank"}
            })
        );
        // Without the example, the tenant is padded to its minimum length.
        let body = render(&doc, "/components/schemas/Error", None, &facts);
        assert_eq!(body["tenant"], json!("xxx"));
    }

    #[test]
    fn all_of_branches_and_ref_siblings_are_merged_and_the_first_fillable_one_of_is_chosen() {
        let mut resources = Resources::new(
            URI,
            doc(json!({
                "Base": {"type": "object", "required": ["status"],
                         "properties": {"status": {"type": ["integer", "null"]}}},
                "Error": {
                    "description": "a $ref with siblings",
                    "$ref": "#/components/schemas/Base",
                    "allOf": [{"$ref": "common.json#/Message"}],
                    "oneOf": [
                        {"type": "object", "required": ["id"],
                         "properties": {"id": {"type": "string"}}},
                        {"type": "object", "properties": {"fieldErrors": {
                            "type": "array",
                            "items": {"type": "object", "properties": {
                                "field": {"type": "string"},
                                "location": {"type": "string"},
                                "code": {"type": "string"},
                                "message": {"type": "string"}
                            }}
                        }}}
                    ]
                }
            })),
        );
        let common = "https://understudy.test/common.json";
        resources.insert(
            common,
            json!({"Message": {"properties": {"message": {"type": "string"}},
                               "required": ["message"]}}),
        );
        let schema = resources
            .resolve(URI, "#/components/schemas/Error")
            .unwrap();
        let shape = ErrorShape::compile(&resources, schema, None).unwrap();
        let facts = ErrorFacts::new(400, "Bad Request", "Invalid query.")
            .with_violations(vec![limit_violation()]);
        let body = shape.render(&facts);
        assert_eq!(
            body,
            json!({
                "status": 400,
                "message": "Invalid query.",
                "fieldErrors": [{
                    "field": "query.limit",
                    "location": "query",
                    "code": "maximum",
                    "message": "must be at most 100"
                }]
            })
        );
        // Validated against the two files as a registry would hold them.
        let draft = jsonschema::Draft::Draft202012;
        let root = resources.root().clone();
        let registry = jsonschema::Registry::new()
            .draft(draft)
            .add(URI, &root)
            .unwrap()
            .add(common, resources.file(common).unwrap())
            .unwrap()
            .prepare()
            .unwrap();
        let validator = jsonschema::options()
            .with_draft(draft)
            .with_registry(&registry)
            .build(&json!({"$ref": format!("{URI}#/components/schemas/Error")}))
            .unwrap();
        assert!(validator.is_valid(&body), "{body}");
    }

    #[test]
    fn spring_style_errors_get_the_request_path_and_a_constant_timestamp() {
        let doc = doc(json!({"Error": {
            "type": "object",
            "required": ["timestamp", "status", "error", "message", "path"],
            "properties": {
                "timestamp": {"type": "string", "format": "date-time"},
                "status": {"type": "integer", "format": "int32"},
                "error": {"type": "string"},
                "message": {"type": "string"},
                "path": {"type": "string"}
            }
        }}));
        let facts = not_found();
        let body = render(&doc, "/components/schemas/Error", None, &facts);
        assert_eq!(
            body,
            json!({
                "timestamp": "1970-01-01T00:00:00Z",
                "status": 404,
                "error": "Not Found",
                "message": "No user found with the given ID",
                "path": "/v2/spaces/U3BhY2U6MTIzNDU%3D/users"
            })
        );
        // Without a request path, the required member still validates.
        let facts = ErrorFacts::new(500, "Internal Server Error", "boom");
        let body = render(&doc, "/components/schemas/Error", None, &facts);
        assert_eq!(body["path"], json!(""));
    }

    #[test]
    fn string_items_and_enum_titles_take_the_facts_in_the_schema_s_spelling() {
        let doc = doc(json!({"OAuthError": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {"type": "string", "enum": ["invalid_request", "not_found"]},
                "error_description": {"type": "string"},
                "errors": {"type": "array", "items": {"type": "string"}}
            }
        }}));
        let facts = ErrorFacts::new(400, "Invalid Request", "Bad query.")
            .with_violations(vec![limit_violation()]);
        let body = render(&doc, "/components/schemas/OAuthError", None, &facts);
        assert_eq!(
            body,
            json!({
                "error": "invalid_request",
                "error_description": "Bad query.",
                "errors": ["query.limit: must be at most 100"]
            })
        );
    }

    #[test]
    fn schemas_that_cannot_hold_an_error_do_not_compile() {
        let doc = doc(json!({
            "Text": {"type": "string"},
            "List": {"type": "array", "items": {"type": "string"}},
            "Opaque": {"type": "object", "properties": {"id": {"type": "string"}}},
            "Nothing": false,
            "Loop": {"$ref": "#/components/schemas/Loop"}
        }));
        for name in ["Text", "List", "Opaque", "Nothing", "Loop"] {
            let pointer = format!("/components/schemas/{name}");
            let err = compile(&doc, &pointer, None).unwrap_err();
            assert!(!err.is_empty(), "{name}");
        }
        let err = compile(&doc, "/components/schemas/Text", None).unwrap_err();
        assert!(err.contains("string"), "{err}");
    }

    #[test]
    fn problem_json_follows_rfc_9457_with_violations_as_an_extension() {
        let facts = invalid_body().with_instance("/api/v1/spaces/x/assign_users");
        assert_eq!(
            problem_json(&facts),
            json!({
                "type": "about:blank",
                "title": "Validation failed",
                "status": 400,
                "detail": "The request body is invalid. (users[0].email: This value is not a valid email address.)",
                "instance": "/api/v1/spaces/x/assign_users",
                "violations": [{
                    "path": "users[0].email",
                    "message": "This value is not a valid email address.",
                    "type": "urn:understudy:violation:format"
                }]
            })
        );
        let plain = problem_json(&ErrorFacts::new(405, "Method Not Allowed", "Use GET."));
        assert_eq!(
            plain,
            json!({"type": "about:blank", "title": "Method Not Allowed", "status": 405,
                   "detail": "Use GET."})
        );
    }

    #[test]
    fn problem_json_fits_the_arize_problem_schema() {
        let doc = arize();
        assert_fits(
            &doc,
            "/components/schemas/Problem",
            &problem_json(&not_found()),
        );
    }

    #[test]
    fn direct_writes_match_fitting_a_value() {
        let string = |f: fn(&mut Scalar)| {
            let mut s = Scalar {
                kinds: vec![Kind::String],
                fallback: json!("x"),
                ..Scalar::default()
            };
            f(&mut s);
            s
        };
        let scalars = [
            Scalar::default(),
            string(|_| {}),
            string(|s| s.max_length = Some(3)),
            string(|s| s.min_length = Some(20)),
            string(|s| {
                s.allowed = Some(vec![json!("400"), json!("urn:understudy:violation:format")])
            }),
            string(|s| s.kinds.push(Kind::Integer)),
            Scalar {
                kinds: vec![Kind::Integer],
                fallback: json!(0),
                ..Scalar::default()
            },
            Scalar {
                alternatives: vec![string(|s| s.max_length = Some(4)), Scalar::default()],
                fallback: json!("y"),
                ..Scalar::default()
            },
        ];
        for (i, s) in scalars.iter().enumerate() {
            for text in [
                "users[0].email",
                "urn:understudy:violation:format",
                "400",
                "",
                "é\"\n",
            ] {
                let mut direct = Vec::new();
                s.write_fit_text(text, &mut direct);
                let fitted = serde_json::to_vec(&s.fit(&[json!(text)])).unwrap();
                assert_eq!(direct, fitted, "scalar {i}, {text:?}");
            }
            for status in [0, 7, 99, 200, 400, 404, 422, 500, 65535] {
                let mut direct = Vec::new();
                if !s.write_status_digits(status, &mut direct) {
                    continue;
                }
                let fitted = status_candidates_lazily(status)
                    .find_map(|c| s.fits_one(&c))
                    .unwrap_or_else(|| s.fit(&status_candidates(status)));
                assert_eq!(
                    direct,
                    serde_json::to_vec(&fitted).unwrap(),
                    "scalar {i}, {status}"
                );
            }
        }
        // The digits are written for a string member that takes them.
        let mut out = Vec::new();
        assert!(scalars[1].write_status_digits(404, &mut out));
        assert_eq!(out, b"\"404\"");
        assert!(!scalars[6].write_status_digits(404, &mut Vec::new()));
    }

    #[test]
    fn body_pointers_escape_their_keys() {
        let steps = [
            Segment::Key("a/b".into()),
            Segment::Index(3),
            Segment::Key("c~d".into()),
        ];
        assert_eq!(pointer(&steps), "/a~1b/3/c~0d");
        assert_eq!(pointer(&[]), "");
    }

    #[test]
    fn an_error_schema_asking_for_a_huge_member_is_refused_not_filled() {
        // Found by the loader fuzz: `minLength: 2^53+1` on a required member padded a string
        // one character at a time (counting it again each time) and never ended; `minItems`
        // of `u64::MAX` would have asked for that many items.
        for member in [
            json!({"type": "string", "minLength": 9_007_199_254_740_993_u64}),
            json!({"type": "array", "minItems": u64::MAX, "items": {"type": "integer"}}),
            json!({"type": "array", "minItems": MAX_FILL + 1,
                   "items": {"type": "object", "properties": {"message": {"type": "string"}}}}),
        ] {
            let doc = json!({"E": {"type": "object", "required": ["title", "extra"],
                "properties": {"title": {"type": "string"}, "extra": member}}});
            let err = compile(&doc, "/E", None).expect_err("too big to fill");
            assert!(err.contains("asks for more than"), "{err}");
        }
    }

    #[test]
    fn a_member_padded_to_its_bound_is_as_long_as_the_bound() {
        let doc = json!({"E": {"type": "object", "required": ["title", "code"], "properties": {
            "title": {"type": "string", "minLength": 300},
            "code": {"type": "string", "minLength": MAX_FILL}}}});
        let facts = ErrorFacts::new(404, "Not Found", "Nothing here.");
        let body = render(&doc, "/E", None, &facts);
        assert_eq!(body["title"].as_str().map(|t| t.chars().count()), Some(300));
        assert!(
            body["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Not Found."))
        );
        assert_eq!(
            body["code"].as_str().map(|t| t.chars().count() as u64),
            Some(MAX_FILL)
        );
    }
}
