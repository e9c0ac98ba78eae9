//! Whole requests for one operation: path, query, headers and body drawn from the schemas,
//! serialized the way the operation's parameters say, valid or with exactly one violation.
//!
//! Every parameter value is checked to read back as itself through the operation's own
//! `ParamPlan` (the server's reader), so a value the chosen style cannot carry (an empty
//! array in an exploded query, a comma inside a header list item) is never sent as if it
//! could.
use std::sync::Arc;

use base64::Engine as _;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::Value;

use crate::mock::message::MockRequest;
use crate::operation::api::{Api, Operation, Param};
use crate::operation::negotiate::is_json;
use crate::operation::params::{self, ParamIn, ParamPlan, Shape, Style};
use crate::operation::security::SchemeKind;
pub use crate::schema::strategy::Direction;
use crate::schema::strategy::{Cache, Compiled, SchemaError, invalid::invalids, schema_at};
use crate::schema::violation::{Keyword, Location};

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

// ----- serialization ---------------------------------------------------------------------

/// Everything but unreserved characters (and `.`, which some path styles use as separator).
const PATH: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'~');
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'~')
    .remove(b'.');

fn enc(s: &str, set: &'static AsciiSet) -> String {
    utf8_percent_encode(s, set).to_string()
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("null".to_owned()),
        _ => None,
    }
}

/// Items of an array, or alternating keys and values of an object, or `k=v` assignments.
fn pieces(v: &Value, assign: bool, set: &'static AsciiSet) -> Option<Vec<String>> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| scalar_text(i).map(|t| enc(&t, set)))
            .collect(),
        Value::Object(m) => {
            let mut out = Vec::new();
            for (k, x) in m {
                let t = enc(&scalar_text(x)?, set);
                if assign {
                    out.push(format!("{}={t}", enc(k, set)));
                } else {
                    out.push(enc(k, set));
                    out.push(t);
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// The path segment text of a path parameter.
fn path_text(plan: &ParamPlan, v: &Value) -> Option<String> {
    if plan.shape == Shape::Content {
        return Some(enc(&v.to_string(), PATH));
    }
    let name = enc(&plan.name, PATH);
    let scalar = scalar_text(v).map(|t| enc(&t, PATH));
    Some(match plan.style {
        Style::Label => match scalar {
            Some(t) => format!(".{t}"),
            None => {
                let sep = if plan.explode { "." } else { "," };
                format!(".{}", pieces(v, plan.explode, PATH)?.join(sep))
            }
        },
        Style::Matrix => match (scalar, v) {
            (Some(t), _) => format!(";{name}={t}"),
            (None, Value::Array(_)) if plan.explode => pieces(v, false, PATH)?
                .iter()
                .map(|i| format!(";{name}={i}"))
                .collect(),
            (None, Value::Object(_)) if plan.explode => pieces(v, true, PATH)?
                .iter()
                .map(|i| format!(";{i}"))
                .collect(),
            (None, _) => format!(";{name}={}", pieces(v, false, PATH)?.join(",")),
        },
        _ => match scalar {
            Some(t) => t,
            None => pieces(v, plan.explode, PATH)?.join(","),
        },
    })
}

/// The (encoded) query pairs of a query parameter.
fn query_pairs(plan: &ParamPlan, v: &Value) -> Option<Vec<(String, String)>> {
    let name = enc(&plan.name, QUERY);
    if plan.shape == Shape::Content {
        return Some(vec![(name, enc(&v.to_string(), QUERY))]);
    }
    if let Some(t) = scalar_text(v) {
        return Some(vec![(name, enc(&t, QUERY))]);
    }
    Some(match (plan.style, v) {
        (Style::DeepObject, Value::Object(m)) => {
            let mut out = Vec::new();
            for (k, x) in m {
                out.push((
                    format!("{name}%5B{}%5D", enc(k, QUERY)),
                    enc(&scalar_text(x)?, QUERY),
                ));
            }
            out
        }
        (Style::Form, Value::Array(_)) if plan.explode => pieces(v, false, QUERY)?
            .into_iter()
            .map(|i| (name.clone(), i))
            .collect(),
        (Style::Form, Value::Object(m)) if plan.explode => {
            let mut out = Vec::new();
            for (k, x) in m {
                out.push((enc(k, QUERY), enc(&scalar_text(x)?, QUERY)));
            }
            out
        }
        (Style::SpaceDelimited, _) => vec![(name, pieces(v, false, QUERY)?.join("%20"))],
        (Style::PipeDelimited, _) => vec![(name, pieces(v, false, QUERY)?.join("%7C"))],
        _ => vec![(name, pieces(v, false, QUERY)?.join(","))],
    })
}

/// The field value of a header parameter (no percent-encoding: header text is taken as is).
fn header_text(plan: &ParamPlan, v: &Value) -> Option<String> {
    let t = if plan.shape == Shape::Content {
        v.to_string()
    } else if let Some(t) = scalar_text(v) {
        t
    } else {
        let raw = |s: &str| s.to_owned();
        match v {
            Value::Array(items) => items
                .iter()
                .map(|i| scalar_text(i).map(|t| raw(&t)))
                .collect::<Option<Vec<_>>>()?
                .join(","),
            Value::Object(m) => {
                let mut out = Vec::new();
                for (k, x) in m {
                    let t = scalar_text(x)?;
                    if plan.explode {
                        out.push(format!("{k}={t}"));
                    } else {
                        out.push(k.clone());
                        out.push(t);
                    }
                }
                out.join(",")
            }
            _ => return None,
        }
    };
    let printable = t.chars().all(|c| c == ' ' || c.is_ascii_graphic());
    (printable && t.trim() == t && HeaderValue::from_str(&t).is_ok()).then_some(t)
}

/// Where a parameter's serialized value goes.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Path(String),
    Query(Vec<(String, String)>),
    Header(String),
    Cookie(String),
}

/// The serialization of `v`, if the server reads it back as `v`.
fn serialize(plan: &ParamPlan, others: &[String], v: &Value) -> Option<Part> {
    match plan.location {
        ParamIn::Path => {
            let t = path_text(plan, v)?;
            (!t.is_empty() && plan.from_path(&t).ok().as_ref() == Some(v)).then_some(Part::Path(t))
        }
        ParamIn::Query => {
            let pairs = query_pairs(plan, v)?;
            let raw: Vec<String> = pairs.iter().map(|(k, x)| format!("{k}={x}")).collect();
            let joined = raw.join("&");
            let parsed = params::parse_query(&joined);
            let others: Vec<&str> = others.iter().map(String::as_str).collect();
            let back = plan.from_query_except(&parsed, &others).ok().flatten();
            let empty = pairs.iter().any(|(_, x)| x.is_empty()) && !plan.allow_empty_value;
            (back.as_ref() == Some(v) && !empty).then_some(Part::Query(pairs))
        }
        ParamIn::Header => {
            let t = header_text(plan, v)?;
            (!t.is_empty() && plan.from_header(&t).ok().as_ref() == Some(v))
                .then_some(Part::Header(t))
        }
        ParamIn::Cookie => {
            let t = enc(&scalar_text(v)?, QUERY);
            let header = format!("{}={t}", plan.name);
            let cookies = params::parse_cookies(&header);
            (plan.from_cookie(&cookies).ok().flatten().as_ref() == Some(v))
                .then_some(Part::Cookie(t))
        }
    }
}

// ----- the operation's shape ---------------------------------------------------------------

/// What building a request needs from an operation, owned (strategies outlive the borrow).
#[derive(Debug)]
struct Template {
    method: Method,
    route: String,
    plans: Vec<ParamPlan>,
    /// Names of the operation's query parameters other than each one, by index.
    query_others: Vec<Vec<String>>,
    content_type: Option<String>,
    credential: Option<CredentialSlot>,
}

impl Template {
    fn assemble(
        &self,
        parts: &[Option<Part>],
        body: Option<Value>,
        violation: Option<RequestViolation>,
    ) -> GeneratedRequest {
        let mut path = self.route.clone();
        let mut query = Vec::new();
        let mut headers = Vec::new();
        let mut cookies = Vec::new();
        for (plan, part) in self.plans.iter().zip(parts) {
            match part {
                Some(Part::Path(t)) => path = path.replace(&format!("{{{}}}", plan.name), t),
                Some(Part::Query(pairs)) => query.extend(pairs.iter().cloned()),
                Some(Part::Header(t)) => headers.push((plan.name.clone(), t.clone())),
                Some(Part::Cookie(t)) => cookies.push(format!("{}={t}", plan.name)),
                None => {}
            }
        }
        match &self.credential {
            Some(CredentialSlot::Bearer) => headers.push((
                "Authorization".into(),
                format!("Bearer {CREDENTIAL_PLACEHOLDER}"),
            )),
            Some(CredentialSlot::Basic) => headers.push((
                "Authorization".into(),
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD
                        .encode(format!("{CREDENTIAL_PLACEHOLDER}:"))
                ),
            )),
            Some(CredentialSlot::Header(n)) => {
                headers.push((n.clone(), CREDENTIAL_PLACEHOLDER.into()));
            }
            Some(CredentialSlot::Query(n)) => {
                query.push((enc(n, QUERY), CREDENTIAL_PLACEHOLDER.into()));
            }
            Some(CredentialSlot::Cookie(n)) => {
                cookies.push(format!("{n}={CREDENTIAL_PLACEHOLDER}"));
            }
            None => {}
        }
        if !cookies.is_empty() {
            headers.push(("Cookie".into(), cookies.join("; ")));
        }
        if body.is_some()
            && let Some(ct) = &self.content_type
        {
            headers.push(("Content-Type".into(), ct.clone()));
        }
        GeneratedRequest {
            method: self.method.clone(),
            path,
            query,
            headers,
            body,
            credential: self.credential.clone(),
            violation,
        }
    }
}

/// The credential the operation's security requirements ask for: the first alternative one
/// credential satisfies (a request carries one), else the first scheme of the first.
fn credential_of(op: &Operation) -> Option<CredentialSlot> {
    if op.security.is_open() {
        return None;
    }
    let alternatives = op.security.alternatives();
    let alternative = alternatives
        .iter()
        .find(|a| a.len() == 1)
        .or_else(|| alternatives.first())?;
    let scheme = alternative.first()?;
    match &scheme.kind {
        SchemeKind::Basic => Some(CredentialSlot::Basic),
        SchemeKind::Bearer => Some(CredentialSlot::Bearer),
        SchemeKind::ApiKeyHeader(n) => Some(CredentialSlot::Header(n.clone())),
        SchemeKind::ApiKeyQuery(n) => Some(CredentialSlot::Query(n.clone())),
        SchemeKind::ApiKeyCookie(n) => Some(CredentialSlot::Cookie(n.clone())),
        SchemeKind::Unchecked => None,
    }
}

/// The media type a body is sent as, and its compiled schema (for JSON bodies).
fn body_choice(
    api: &Api,
    op: &Operation,
    cache: &Cache,
) -> Result<Option<(String, Option<Compiled>)>, SchemaError> {
    let Some(body) = &op.body else {
        return Ok(None);
    };
    let concrete = |m: &str| {
        if m.contains('*') {
            "application/json".to_owned()
        } else {
            m.to_owned()
        }
    };
    let media = body
        .media
        .iter()
        .find(|m| is_json(&concrete(&m.media_type)))
        .or_else(|| body.media.iter().find(|m| m.form.is_some()))
        .or_else(|| body.media.first());
    let Some(media) = media else {
        return Ok(None);
    };
    let compiled = match &media.validator {
        Some(v) => match schema_at(&api.resources, &v.loc) {
            Some(schema) => Some(cache.compile(schema)?),
            None => None,
        },
        None => None,
    };
    Ok(Some((concrete(&media.media_type), compiled)))
}

fn param_schema(api: &Api, p: &Param, cache: &Cache) -> Result<Option<Compiled>, SchemaError> {
    let Some(v) = &p.validator else {
        return Ok(None);
    };
    match schema_at(&api.resources, &v.loc) {
        Some(schema) => Ok(Some(cache.compile(schema)?)),
        None => Ok(None),
    }
}

fn template(op: &Operation) -> Template {
    let plans: Vec<ParamPlan> = op.params.iter().map(|p| p.plan.clone()).collect();
    let query_others = plans
        .iter()
        .map(|p| {
            plans
                .iter()
                .filter(|o| o.location == ParamIn::Query && o.name != p.name)
                .map(|o| o.name.clone())
                .collect()
        })
        .collect();
    Template {
        method: op.method.clone(),
        route: op.route.clone(),
        plans,
        query_others,
        content_type: None,
        credential: credential_of(op),
    }
}

/// Serialized values of parameter `i` that read back as themselves.
fn part_strategy(
    tpl: &Arc<Template>,
    i: usize,
    values: BoxedStrategy<Value>,
) -> BoxedStrategy<Part> {
    let tpl = tpl.clone();
    values
        .prop_filter_map("the style can carry the value", move |v| {
            serialize(&tpl.plans[i], &tpl.query_others[i], &v)
        })
        .boxed()
}

/// Strategies of every parameter's part (`None`: left out) and of the body.
struct Pieces {
    tpl: Arc<Template>,
    parts: Vec<BoxedStrategy<Option<Part>>>,
    schemas: Vec<Option<Compiled>>,
    body: Option<(bool, Option<Compiled>)>,
}

fn pieces_of(api: &Api, op: &Operation) -> Result<Pieces, SchemaError> {
    let mut tpl = template(op);
    let cache = Cache::new(&api.resources, Direction::Request);
    let body = body_choice(api, op, &cache)?;
    tpl.content_type = body.as_ref().map(|(ct, _)| ct.clone());
    let tpl = Arc::new(tpl);
    let mut parts = Vec::new();
    let mut schemas = Vec::new();
    for (i, p) in op.params.iter().enumerate() {
        let compiled = match param_schema(api, p, &cache) {
            Ok(c) => c,
            Err(e) if p.plan.required => return Err(e),
            Err(_) => None,
        };
        let values = compiled.as_ref().map_or_else(
            || "[a-z0-9]{1,8}".prop_map(Value::String).boxed(),
            Compiled::valid,
        );
        let part = part_strategy(&tpl, i, values);
        parts.push(if p.plan.required {
            part.prop_map(Some).boxed()
        } else if p.plan.location == ParamIn::Header
            && p.plan.name.eq_ignore_ascii_case("content-type")
        {
            Just(None).boxed()
        } else {
            proptest::option::weighted(0.5, part).boxed()
        });
        schemas.push(compiled);
    }
    let required = op.body.as_ref().is_some_and(|b| b.required);
    Ok(Pieces {
        tpl,
        parts,
        schemas,
        body: body.map(|(_, c)| (required, c)),
    })
}

fn body_values(body: &Option<(bool, Option<Compiled>)>) -> BoxedStrategy<Option<Value>> {
    match body {
        None => Just(None).boxed(),
        Some((required, compiled)) => {
            let values = compiled.as_ref().map_or_else(
                || Just(Value::String("understudy".into())).boxed(),
                Compiled::valid,
            );
            if *required {
                values.prop_map(Some).boxed()
            } else {
                proptest::option::weighted(0.7, values).boxed()
            }
        }
    }
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
