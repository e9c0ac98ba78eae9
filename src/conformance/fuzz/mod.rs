//! Whole requests for one operation: path, query, headers and body drawn from the schemas,
//! serialized the way the operation's parameters say, valid or with exactly one violation.
//!
//! Every parameter value is checked to read back as itself through the operation's own
//! `ParamPlan` (the server's reader), so a value the chosen style cannot carry (an empty
//! array in an exploded query, a comma inside a header list item) is never sent as if it
//! could.
//!
//! - `serialize`: a parameter value written in its location and style, kept only when the
//!   operation's own plan reads it back as the same value.
//! - `shape`: what a request needs from an operation (its template, credential and body
//!   media type) and the strategies of its pieces.
//! - here: the [`GeneratedRequest`] and the valid, pinned and invalid requests built from
//!   those pieces.

mod serialize;
mod shape;

use base64::Engine as _;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::Value;

use crate::mock::message::MockRequest;
use crate::operation::api::{Api, Operation};
use crate::operation::negotiate::is_json;
use crate::operation::params::{ParamIn, ParamPlan};
pub use crate::schema::strategy::Direction;
use crate::schema::strategy::{SchemaError, invalid::invalids};
use crate::schema::violation::{Keyword, Location};
use serialize::{PATH, Part, QUERY, enc, scalar_text, serialize};
use shape::{body_values, part_strategy, pieces_of};

/// What a generated request carries where a credential goes; replace it with
/// [`GeneratedRequest::with_credential`].
pub const CREDENTIAL_PLACEHOLDER: &str = "understudy-credential";

/// The one violation an invalid request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestViolation {
    /// Where, as the server's violations name it (a parameter and the steps inside its value,
    /// or the body).
    pub location: Location,
    /// The JSON Schema keyword broken (`required` for a missing parameter or body).
    pub keyword: Keyword,
}

/// How the operation takes its credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSlot {
    Bearer,
    Basic,
    Header(String),
    Query(String),
    Cookie(String),
}

/// One request, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedRequest {
    pub method: Method,
    /// The full route (mount included), path parameters serialized and percent-encoded.
    pub path: String,
    /// Query pairs, already percent-encoded.
    pub query: Vec<(String, String)>,
    /// Header parameters, `Content-Type` and the credential (with the placeholder).
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
    pub credential: Option<CredentialSlot>,
    /// `None` for a valid request.
    pub violation: Option<RequestViolation>,
}

impl GeneratedRequest {
    /// `path?query`.
    pub fn target(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            let q: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{}?{}", self.path, q.join("&"))
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as sent, per its `Content-Type`: JSON, a form, or text.
    pub fn body_bytes(&self) -> Vec<u8> {
        let Some(body) = &self.body else {
            return Vec::new();
        };
        let ct = self.header("content-type").unwrap_or("application/json");
        if is_json(ct) {
            serde_json::to_vec(body).unwrap_or_default()
        } else if ct.starts_with("application/x-www-form-urlencoded") {
            let mut pairs = Vec::new();
            if let Value::Object(m) = body {
                for (k, v) in m {
                    let items = match v {
                        Value::Array(items) => items.clone(),
                        other => vec![other.clone()],
                    };
                    for item in items {
                        let text = scalar_text(&item).unwrap_or_default();
                        pairs.push(format!("{}={}", enc(k, QUERY), enc(&text, QUERY)));
                    }
                }
            }
            pairs.join("&").into_bytes()
        } else {
            match body {
                Value::String(s) => s.clone().into_bytes(),
                other => other.to_string().into_bytes(),
            }
        }
    }

    /// The same request with `secret` as its credential (a token, an API key, or
    /// `user:password` for Basic).
    pub fn with_credential(mut self, secret: &str) -> Self {
        let basic = base64::engine::general_purpose::STANDARD.encode(secret);
        let placeholder_basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{CREDENTIAL_PLACEHOLDER}:"));
        for (_, v) in &mut self.headers {
            *v = v
                .replace(&placeholder_basic, &basic)
                .replace(CREDENTIAL_PLACEHOLDER, secret);
        }
        for (_, v) in &mut self.query {
            *v = v.replace(CREDENTIAL_PLACEHOLDER, &enc(secret, QUERY));
        }
        self
    }
}

/// Feeds a generated request to the engine directly.
pub fn to_mock_request(req: &GeneratedRequest) -> MockRequest {
    let mut headers = HeaderMap::new();
    for (name, value) in &req.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(n, v);
        }
    }
    let query = (!req.query.is_empty()).then(|| {
        req.query
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    });
    MockRequest {
        method: req.method.clone(),
        path: req.path.clone(),
        query,
        headers,
        body: req.body_bytes().into(),
    }
}

/// A copy-pasteable `curl` command sending `req` to `base_url` (no trailing slash needed).
pub fn curl(req: &GeneratedRequest, base_url: &str) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let mut out = format!("curl -sS -i -X {}", req.method);
    for (name, value) in &req.headers {
        out.push_str(&format!(" -H {}", quote(&format!("{name}: {value}"))));
    }
    if req.body.is_some() {
        let body = String::from_utf8_lossy(&req.body_bytes()).into_owned();
        out.push_str(&format!(" --data-binary {}", quote(&body)));
    }
    let url = format!("{}{}", base_url.trim_end_matches('/'), req.target());
    out.push_str(&format!(" {}", quote(&url)));
    out
}

/// Valid requests for `op`: every required parameter and body present, optional ones now and
/// then, each value from its schema.
pub fn valid_request(
    api: &Api,
    op: &Operation,
) -> Result<BoxedStrategy<GeneratedRequest>, SchemaError> {
    let p = pieces_of(api, op)?;
    let tpl = p.tpl.clone();
    Ok((p.parts, body_values(&p.body))
        .prop_map(move |(parts, body)| tpl.assemble(&parts, body, None))
        .boxed())
}

/// Parameter values and a body fixed in advance: the steps of a stateful story, whose ids come
/// from earlier answers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pins {
    /// (where, name, value); a value is sent as its text in the parameter's style, whether or
    /// not it fits the schema (an id read from an answer is sent as the server gave it).
    pub params: Vec<(ParamIn, String, Value)>,
    /// Replaces the generated body.
    pub body: Option<Value>,
}

/// Requests for `op` as a story sends them: the pinned parameters and body as given, the other
/// required parameters and the body generated, optional parameters left out (a story is
/// about state, and a stray filter or page token would change what a read shows).
pub fn pinned_request(
    api: &Api,
    op: &Operation,
    pins: &Pins,
) -> Result<BoxedStrategy<GeneratedRequest>, SchemaError> {
    let mut p = pieces_of(api, op)?;
    for (i, param) in op.params.iter().enumerate() {
        let plan = &param.plan;
        let pinned = pins
            .params
            .iter()
            .find(|(at, name, _)| *at == plan.location && *name == plan.name);
        p.parts[i] = match pinned {
            Some((_, _, v)) => Just(pinned_part(plan, &p.tpl.query_others[i], v)).boxed(),
            None if plan.required => p.parts[i].clone(),
            None => Just(None).boxed(),
        };
    }
    let body = match (&pins.body, &p.body) {
        (Some(b), _) => Just(Some(b.clone())).boxed(),
        (None, Some((_, compiled))) => body_values(&Some((true, compiled.clone()))),
        (None, None) => Just(None).boxed(),
    };
    let tpl = p.tpl.clone();
    Ok((p.parts, body)
        .prop_map(move |(parts, body)| tpl.assemble(&parts, body, None))
        .boxed())
}

/// A pinned value's serialization: the read-back one when the style carries it, else its
/// plain text.
fn pinned_part(plan: &ParamPlan, others: &[String], v: &Value) -> Option<Part> {
    if let Some(part) = serialize(plan, others, v) {
        return Some(part);
    }
    let text = scalar_text(v).unwrap_or_else(|| v.to_string());
    Some(match plan.location {
        ParamIn::Path => Part::Path(enc(&text, PATH)),
        ParamIn::Query => Part::Query(vec![(enc(&plan.name, QUERY), enc(&text, QUERY))]),
        ParamIn::Header => Part::Header(text),
        ParamIn::Cookie => Part::Cookie(enc(&text, QUERY)),
    })
}

/// Whether some of a strategy's first values pass `keep` (a case that never can is dropped
/// rather than left to be rejected forever).
fn ever<T: std::fmt::Debug>(s: &BoxedStrategy<T>, keep: impl Fn(&T) -> bool) -> bool {
    let mut runner = TestRunner::deterministic();
    (0..16).any(|_| s.new_tree(&mut runner).is_ok_and(|t| keep(&t.current())))
}

/// Requests with exactly one violation: a parameter value or the body breaking one
/// constraint, or a required parameter or body left out. `None` when the operation has
/// nothing to break.
pub fn invalid_request(
    api: &Api,
    op: &Operation,
) -> Result<Option<BoxedStrategy<GeneratedRequest>>, SchemaError> {
    let p = pieces_of(api, op)?;
    let mut out: Vec<BoxedStrategy<GeneratedRequest>> = Vec::new();
    let valid_body = body_values(&p.body);
    for (i, param) in op.params.iter().enumerate() {
        let plan = &param.plan;
        // Nor is a missing or other value of what the key's discriminator reads
        // (`/#X-Amz-Target=…`, `/?Action=…`): that is another operation, or none.
        if op.routing.conditions.iter().any(|c| {
            c.name.eq_ignore_ascii_case(&plan.name)
                && matches!(plan.location, ParamIn::Query | ParamIn::Header)
        }) {
            continue;
        }
        // A missing path parameter is another route, not a violation.
        if plan.required && plan.location != ParamIn::Path && plan.location != ParamIn::Cookie {
            let mut parts = p.parts.clone();
            parts[i] = Just(None).boxed();
            let tpl = p.tpl.clone();
            let violation = RequestViolation {
                location: param.location(Vec::new()),
                keyword: "required".into(),
            };
            out.push(
                (parts, valid_body.clone())
                    .prop_map(move |(parts, body)| {
                        tpl.assemble(&parts, body, Some(violation.clone()))
                    })
                    .boxed(),
            );
        }
        let Some(compiled) = &p.schemas[i] else {
            continue;
        };
        for case in invalids(&compiled.node) {
            let location = param.location(case.broken.path.clone());
            let violation = RequestViolation {
                location,
                keyword: case.broken.keyword.clone(),
            };
            let tpl = p.tpl.clone();
            let part = part_strategy(&tpl, i, case.values.clone());
            let serializable = case.values.clone();
            let check_tpl = tpl.clone();
            if !ever(&serializable, |v| {
                serialize(&check_tpl.plans[i], &check_tpl.query_others[i], v).is_some()
            }) {
                continue;
            }
            let mut parts = p.parts.clone();
            parts[i] = part.prop_map(Some).boxed();
            out.push(
                (parts, valid_body.clone())
                    .prop_map(move |(parts, body)| {
                        tpl.assemble(&parts, body, Some(violation.clone()))
                    })
                    .boxed(),
            );
        }
    }
    if let Some((required, compiled)) = &p.body {
        if *required {
            let tpl = p.tpl.clone();
            let violation = RequestViolation {
                location: Location::Body(Vec::new()),
                keyword: "required".into(),
            };
            out.push(
                p.parts
                    .clone()
                    .prop_map(move |parts| tpl.assemble(&parts, None, Some(violation.clone())))
                    .boxed(),
            );
        }
        let json = p.tpl.content_type.as_deref().is_some_and(is_json);
        if let (Some(compiled), true) = (compiled, json) {
            for case in invalids(&compiled.node) {
                let tpl = p.tpl.clone();
                let violation = RequestViolation {
                    location: Location::Body(case.broken.path.clone()),
                    keyword: case.broken.keyword.clone(),
                };
                out.push(
                    (p.parts.clone(), case.values)
                        .prop_map(move |(parts, body)| {
                            tpl.assemble(&parts, Some(body), Some(violation.clone()))
                        })
                        .boxed(),
                );
            }
        }
    }
    if out.is_empty() {
        return Ok(None);
    }
    Ok(Some(proptest::strategy::Union::new(out).boxed()))
}

#[cfg(test)]
mod tests {
    use super::serialize::path_text;
    use super::shape::credential_of;
    use super::*;
    use serde_json::json;

    fn plan(param: Value) -> ParamPlan {
        let r = crate::document::refs::Resources::new("file:///t.yaml", json!({}));
        ParamPlan::compile(&r, "file:///t.yaml", &param).unwrap()
    }

    #[test]
    fn path_styles_serialize_as_openapi_describes() {
        let simple = plan(
            json!({"name": "id", "in": "path", "schema": {"type": "array",
            "items": {"type": "integer"}}}),
        );
        assert_eq!(path_text(&simple, &json!([1, 2])).unwrap(), "1,2");
        let label = plan(
            json!({"name": "id", "in": "path", "style": "label", "explode": true,
            "schema": {"type": "array", "items": {"type": "string"}}}),
        );
        assert_eq!(path_text(&label, &json!(["a", "b"])).unwrap(), ".a.b");
        let matrix = plan(json!({"name": "id", "in": "path", "style": "matrix",
            "schema": {"type": "string"}}));
        assert_eq!(path_text(&matrix, &json!("a b")).unwrap(), ";id=a%20b");
    }

    #[test]
    fn query_values_read_back_through_the_servers_own_reader() {
        let form = plan(
            json!({"name": "tags", "in": "query", "schema": {"type": "array",
            "items": {"type": "string"}}}),
        );
        let part = serialize(&form, &[], &json!(["x y", "z"])).unwrap();
        assert_eq!(
            part,
            Part::Query(vec![
                ("tags".into(), "x%20y".into()),
                ("tags".into(), "z".into())
            ])
        );
        // An empty exploded array cannot be told from an absent parameter.
        assert_eq!(serialize(&form, &[], &json!([])), None);
    }

    #[test]
    fn the_credential_is_one_that_satisfies_an_alternative_alone() {
        // Header key and cookie key together, or basic alone: one credential can only be
        // basic (taking the header key alone, every "valid" request was a 401).
        let doc = r#"
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /both:
    get:
      security:
        - headerKey: []
          cookieKey: []
        - basic: []
      responses:
        '204': {description: ok}
components:
  securitySchemes:
    headerKey: {type: apiKey, in: header, name: X-Key}
    cookieKey: {type: apiKey, in: cookie, name: SESSION}
    basic: {type: http, scheme: basic}
"#;
        let api = Api::load(&crate::document::load::Source::Bundled {
            name: "t",
            text: doc,
        })
        .unwrap();
        assert_eq!(
            credential_of(&api.operations[0]),
            Some(CredentialSlot::Basic)
        );
    }

    #[test]
    fn curl_commands_quote_what_the_shell_would_split() {
        let req = GeneratedRequest {
            method: Method::POST,
            path: "/v1/x".into(),
            query: vec![("q".into(), "a%20b".into())],
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Some(json!({"name": "it's"})),
            credential: None,
            violation: None,
        };
        assert_eq!(
            curl(&req, "http://127.0.0.1:4010/"),
            "curl -sS -i -X POST -H 'Content-Type: application/json' \
             --data-binary '{\"name\":\"it'\\''s\"}' 'http://127.0.0.1:4010/v1/x?q=a%20b'"
        );
    }
}
