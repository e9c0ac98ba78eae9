//! The public face of error rendering: an [`ErrorShape`], compiled once from an API's error
//! schema, and [`problem_json`] for documents that declare none.

use serde_json::{Map, Value, json};

use crate::document::refs::{Located, Resources};
use crate::schema::violation::ErrorFacts;

use super::compile::compile;
use super::plan::{Cx, ObjectPlan, fold_violations, uri_reference};

/// A compiled plan for one error schema: built once at startup from the schema merged by
/// `schema::merge`, so rendering on the request path walks no schema.
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
        let root = compile(resources, schema, example)?;
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

    /// This shape with each top-level member named in `values` written as that value, whatever
    /// the facts: for members whose own constraints the facts cannot meet (a `pattern` on a
    /// `code`, a `format` on a `type`), given values known to fit.
    pub fn with_members(&self, values: &Map<String, Value>) -> ErrorShape {
        let root = self.root.with_members(values);
        let lists_violations = root.lists_violations();
        ErrorShape {
            root,
            lists_violations,
        }
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
    body.insert("detail".into(), json!(plain_text(facts)));
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

/// The facts as one text: the detail, the violations folded into it. What an error says
/// where its format is a bare string (a `text/plain` body, a JSON string).
pub fn plain_text(facts: &ErrorFacts) -> String {
    if facts.violations.is_empty() {
        facts.detail.to_string()
    } else {
        fold_violations(facts)
    }
}
