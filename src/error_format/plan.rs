//! The compiled plan of an error body and its rendering: each member knows what it carries
//! (the status, the title, a violation's path...), so writing a body for an error's facts walks
//! no schema and builds no `Value` on the way.

use std::borrow::Cow;

use serde_json::{Value, json};

use crate::document::refs::push_token;
use crate::schema::violation::{ErrorFacts, Location, Segment, Violation};

use super::names::slug;
use super::scalar::Scalar;
use super::status::{status_candidates, status_candidates_lazily};

/// An object's members, in the order the schema declares them.
#[derive(Debug, Clone)]
pub(super) struct ObjectPlan {
    pub members: Vec<Member>,
}

/// One member: its key, what it carries, and what stands in when the facts say nothing.
#[derive(Debug, Clone)]
pub(super) struct Member {
    /// `"name":`, the member's name escaped once at compile time.
    pub key: Box<str>,
    pub fill: Fill,
    pub required: bool,
    /// Written when the fill has nothing to say but the member is required.
    pub fallback: Value,
}

/// What a member carries, with the constraints of its value.
#[derive(Debug, Clone)]
pub(super) enum Fill {
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
    /// The violation whole, its place first (`query.limit: ...`): the message of an item
    /// with no member for the place.
    Said(Scalar),
    Keyword(Scalar),
    TypeUrn(Scalar),
}

/// How a path-like member says where a violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PathForm {
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

/// A member listing violations, one item each.
#[derive(Debug, Clone)]
pub(super) struct ListPlan {
    pub item: ItemPlan,
    pub min_items: usize,
    pub max_items: Option<usize>,
    /// With no violation, one item carries the facts (the list is their only place).
    pub carries_facts: bool,
}

/// A violation list's item: a sentence, or an object with places for its parts.
#[derive(Debug, Clone)]
pub(super) enum ItemPlan {
    Text(Box<Scalar>),
    Object(ObjectPlan),
}

/// What a render walks with: the facts, and the violation when inside a list item.
pub(super) struct Cx<'f> {
    pub facts: &'f ErrorFacts,
    pub violation: Option<&'f Violation>,
    pub fold_violations: bool,
}

impl ObjectPlan {
    pub(super) fn write(&self, cx: &Cx<'_>, out: &mut Vec<u8>) {
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

    /// This plan with the members named in `values` fixed to those values.
    pub(super) fn with_members(&self, values: &serde_json::Map<String, Value>) -> ObjectPlan {
        let mut plan = self.clone();
        for (name, value) in values {
            // Keys are kept as written: `"name":`, escaped.
            let key = format!("{}:", Value::String(name.clone()));
            if let Some(m) = plan.members.iter_mut().find(|m| *m.key == *key) {
                m.fill = Fill::Fixed(value.clone());
            }
        }
        plan
    }

    pub(super) fn carries_facts(&self) -> bool {
        self.members.iter().any(|m| match &m.fill {
            Fill::Status(_) | Fill::Title(_) | Fill::Detail(_) | Fill::List(_) => true,
            Fill::Object(inner) => inner.carries_facts(),
            _ => false,
        })
    }

    pub(super) fn carries_violations(&self) -> bool {
        self.members.iter().any(|m| match &m.fill {
            Fill::Path(..) | Fill::PathSegments { .. } | Fill::Message(_) | Fill::Said(_) => true,
            Fill::Object(inner) => inner.carries_violations(),
            _ => false,
        })
    }

    /// Whether some member (or a member's member) says where a violation is.
    fn names_places(&self) -> bool {
        self.members.iter().any(|m| match &m.fill {
            Fill::Path(..) | Fill::PathSegments { .. } => true,
            Fill::Object(inner) => inner.names_places(),
            _ => false,
        })
    }

    /// A violation list's item plan: where no member says the place (Azure's `{code,
    /// message, detail}`), its messages say the violation whole, so the place is not lost.
    pub(super) fn item(mut self) -> ObjectPlan {
        if !self.names_places() {
            for m in &mut self.members {
                if let Fill::Message(s) = &m.fill {
                    m.fill = Fill::Said(s.clone());
                }
            }
        }
        self
    }

    pub(super) fn lists_violations(&self) -> bool {
        self.members.iter().any(|m| match &m.fill {
            Fill::List(_) => true,
            Fill::Object(inner) => inner.lists_violations(),
            _ => false,
        })
    }

    pub(super) fn holds_status(&self, status: u16) -> bool {
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
            Fill::Said(s) => {
                let Some(v) = cx.violation else {
                    return false;
                };
                s.write_text(&v.to_string(), out);
                return true;
            }
            Fill::Message(s) | Fill::Keyword(s) => {
                let Some(v) = cx.violation else {
                    return false;
                };
                let text: &str = if matches!(self, Fill::Message(_)) {
                    &v.message
                } else {
                    v.keyword.as_str()
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
#[inline]
pub(super) fn write_value(out: &mut Vec<u8>, value: &Value) {
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
pub fn uri_reference(path: &str) -> String {
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

pub(super) fn fold_violations(facts: &ErrorFacts) -> String {
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

pub(super) fn pointer(steps: &[Segment]) -> String {
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
