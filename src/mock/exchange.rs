//! One routed request being answered: credentials (and, where the API's fixtures know its
//! tokens, who the caller is), every parameter and the body (all violations together), then
//! the operation's behaviour if its API has one, else the spec's static answer.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, header};
use serde_json::Value;

use crate::mock::engine::Engine;
use crate::mock::message::{MockRequest, MockResponse, Outcome, refuse};
use crate::mock::rejection::{RequestError, is_malformed};
use crate::operation::api::{Api, Operation};
use crate::operation::negotiate;
use crate::operation::params::{self, ParamIn};
use crate::operation::respond::{self, Answer, Prefer};
use crate::operation::security::{CredentialSources, SchemeKind};
use crate::schema::violation::{Location, Segment, Violation};
use crate::world::behaviour::{Call, ParamValues, Reply};
use crate::world::state::Session;

/// `Prefer` (RFC 7240), made once rather than parsed from text on every lookup.
static PREFER: HeaderName = HeaderName::from_static("prefer");

/// Parameter values, decoded and typed, by location and name.
#[derive(Debug, Default)]
struct Values<'a> {
    path: ParamValues<'a>,
    query: ParamValues<'a>,
    headers: ParamValues<'a>,
}

/// A behaviour's body: a value to serialize, or JSON already serialized.
enum ReplyBody {
    Value(Value),
    Json(Bytes),
}

/// One routed request being answered.
pub(crate) struct Exchange<'e> {
    pub engine: &'e Engine,
    /// Index of `api` among the engine's APIs (and of its part of the world).
    pub api_index: usize,
    pub api: &'e Api,
    pub op: &'e Operation,
    pub req: &'e MockRequest,
    pub raw_path_params: &'e [&'e str],
    pub session: &'e Session,
}

impl Exchange<'_> {
    pub fn answer(&self) -> Outcome {
        let req = self.req;
        let reader = RequestReader {
            op: self.op,
            req,
            raw_path_params: self.raw_path_params,
        };
        let (query, cookies) = reader.query_and_cookies();
        let sources = CredentialSources {
            headers: &req.headers,
            query: &query,
            cookies: &cookies,
        };
        let credentials = match self.op.security.check(&sources) {
            Ok(c) => c,
            Err(unauthenticated) => {
                return self.refuse(RequestError::Unauthenticated {
                    detail: unauthenticated.detail,
                    challenges: unauthenticated.challenges,
                });
            }
        };
        let caller = match self.caller(&credentials) {
            Ok(c) => c,
            Err(outcome) => return *outcome,
        };
        let (mut violations, values) = reader.parameters(&query, &cookies);
        let body = match reader.body(&mut violations) {
            Ok(b) => b,
            Err(detail) => return self.refuse(RequestError::UnsupportedMediaType { detail }),
        };
        if !violations.is_empty() {
            let status = reader.rejection_status(&violations);
            return self.refuse(RequestError::Invalid { status, violations });
        }
        let prefer = Prefer::parse(req.headers.get(&PREFER).and_then(|v| v.to_str().ok()));
        // Prism's preferences ask for the spec's static answers: they bypass behaviours.
        let static_asked = prefer.code.is_some() || prefer.example.is_some() || prefer.dynamic;
        if !static_asked && let Some(reply) = self.behave(&values, body.as_ref(), caller.as_deref())
        {
            return self.reply(reply);
        }
        self.success()
    }

    /// The answer to a request the mock refuses or cannot answer, in the operation's error
    /// format.
    fn refuse(&self, error: RequestError) -> Outcome {
        let check = self.engine.config().check_responses;
        refuse(&self.op.errors, error, &self.req.path, check)
    }

    /// Who a bearer token belongs to, where the API's behaviour knows its tokens: an unknown
    /// token is a 401. `None` when no token was needed or the API takes any.
    fn caller(
        &self,
        credentials: &[crate::operation::security::Credential],
    ) -> Result<Option<String>, Box<Outcome>> {
        let Some(token) = credentials.iter().find(|c| c.kind == SchemeKind::Bearer) else {
            return Ok(None);
        };
        let Some(behaviour) = self.engine.behaviour(self.api_index) else {
            return Ok(None);
        };
        let Some(part) = self.session.part(self.api_index) else {
            return Ok(None);
        };
        match behaviour.authenticate(part, &token.secret) {
            Some(user) => Ok(Some(user)),
            None => Err(Box::new(self.refuse(RequestError::Unauthenticated {
                detail: "The bearer token is not known.".to_owned(),
                challenges: vec!["Bearer realm=\"understudy\", error=\"invalid_token\"".to_owned()],
            }))),
        }
    }

    /// The API's behaviour for this operation, if it has one that handles it.
    fn behave(
        &self,
        values: &Values<'_>,
        body: Option<&Value>,
        caller: Option<&str>,
    ) -> Option<Reply> {
        let behaviour = self.engine.behaviour(self.api_index)?;
        if !behaviour.handles(&self.op.id) {
            return None;
        }
        let part = self.session.part(self.api_index)?;
        let call = Call {
            api: self.api,
            op: self.op,
            method: &self.req.method,
            path: &self.req.path,
            path_params: &values.path,
            query: &values.query,
            headers: &values.headers,
            body,
            caller,
            run_seed: self.engine.config().seed,
        };
        behaviour.call(part, &call)
    }

    /// Renders a behaviour's reply: errors in the operation's format, bodies in the declared
    /// media type for their status (406 when `Accept` allows none).
    fn reply(&self, reply: Reply) -> Outcome {
        let (status, body) = match reply {
            // Domain violations are the request's too: the journal shows them.
            Reply::Err(facts) => return self.refuse(RequestError::Domain(facts)),
            Reply::Ok { status, body } => (status, body.map(ReplyBody::Value)),
            Reply::Json { status, json } => (status, Some(ReplyBody::Json(json))),
        };
        let spec = self
            .op
            .responses
            .iter()
            .find(|r| r.status == respond::StatusKey::Code(status))
            .or_else(|| self.op.responses.iter().find(|r| r.status.covers(status)));
        let headers = spec
            .map(|s| self.declared_headers(s, status))
            .unwrap_or_default();
        // A behaviour answering a status its operation does not declare breaks the spec.
        let undeclared = spec.is_none().then(|| {
            Violation::new(
                Location::Body(Vec::new()),
                "status",
                format!("{} declares no response with status {status}.", self.op.id),
            )
        });
        let Some(body) = body.filter(|_| !respond::bodiless(status)) else {
            let mut outcome = self.plain(status, None, headers);
            outcome.response_violations.extend(undeclared);
            return outcome;
        };
        let offered: &[String] = spec.map_or(&[], |s| s.offered.as_slice());
        let accept = self
            .req
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok());
        let chosen = if offered.is_empty() {
            "application/json"
        } else {
            match negotiate::negotiate(accept, offered) {
                Some(c) => c,
                None => return self.not_acceptable(accept, offered),
            }
        };
        let content_type = if chosen.contains('*') {
            "application/json"
        } else {
            chosen
        };
        let (bytes, value) = match body {
            ReplyBody::Json(json) if negotiate::is_json(content_type) => (json, None),
            ReplyBody::Json(json) => match serde_json::from_slice::<Value>(&json) {
                // A JSON string sent as another media type goes as its text, as `Ok`'s does.
                Ok(v) => {
                    let answer = Answer::new(Arc::new(v), content_type);
                    (answer.bytes, Some(answer.value))
                }
                Err(_) => (json, None),
            },
            ReplyBody::Value(v) => {
                let answer = Answer::new(Arc::new(v), content_type);
                (answer.bytes, Some(answer.value))
            }
        };
        let mut response_violations = Vec::new();
        if self.engine.config().check_responses
            && let Some(v) = spec
                .and_then(|s| s.media_for(chosen))
                .and_then(|m| m.validator.as_ref())
        {
            // Serialized bodies are checked as what the client reads: parsed back.
            response_violations = match value {
                Some(value) => v.violations(&value, &Location::Body),
                None => match serde_json::from_slice::<Value>(&bytes) {
                    Ok(value) => v.violations(&value, &Location::Body),
                    Err(e) => vec![Violation::new(
                        Location::Body(Vec::new()),
                        "json",
                        format!("The behaviour's answer is not valid JSON: {e}."),
                    )],
                },
            };
        }
        response_violations.extend(undeclared);
        let mut outcome = self.plain(status, Some((content_type, bytes)), headers);
        outcome.response_violations = response_violations;
        outcome
    }

    fn not_acceptable(&self, accept: Option<&str>, offered: &[String]) -> Outcome {
        self.refuse(RequestError::NotAcceptable {
            accept: accept.unwrap_or_default().to_owned(),
            offered: offered.to_vec(),
        })
    }

    fn success(&self) -> Outcome {
        let req = self.req;
        let prefer = Prefer::parse(req.headers.get(&PREFER).and_then(|v| v.to_str().ok()));
        let response = match respond::choose(&self.op.responses, prefer.code) {
            Ok(Some(r)) => r,
            Ok(None) => {
                return self.plain(204, None, Vec::new());
            }
            Err(code) => {
                return self.refuse(RequestError::UndeclaredPreferCode {
                    code,
                    operation: self.op.id.to_string(),
                });
            }
        };
        let status = match (prefer.code, response.status) {
            (Some(code), _) => code,
            (None, key) => key.concrete(),
        };
        let accept = req
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok());
        if response.offered.is_empty() || respond::bodiless(status) {
            return self.plain(status, None, self.declared_headers(response, status));
        }
        let Some(chosen) = negotiate::negotiate(accept, &response.offered) else {
            return self.not_acceptable(accept, &response.offered);
        };
        let Some(media) = response.media_for(chosen) else {
            return self.plain(status, None, Vec::new());
        };
        let resources = &self.api.resources;
        let content_type = if chosen.contains('*') {
            "application/json"
        } else {
            chosen
        };
        let answer = if let Some(name) = &prefer.example {
            match media.named_example(name) {
                Some(v) => Ok(Answer::new(Arc::new(v.clone()), content_type)),
                None => {
                    return self.refuse(RequestError::UnknownPreferExample { name: name.clone() });
                }
            }
        } else if prefer.dynamic {
            let n = self.engine.next_dynamic();
            let seed = self.engine.static_seed(self.api, self.op, status, chosen)
                ^ n.wrapping_mul(0x2545_F491_4F6C_DD1D);
            media
                .generate(resources, seed, false)
                .map(|v| Answer::new(Arc::new(v), content_type))
                .map_err(Arc::new)
        } else {
            let seed = self.engine.static_seed(self.api, self.op, status, chosen);
            media.static_answer(resources, seed)
        };
        let answer = match answer {
            Ok(a) => a,
            Err(cause) => return self.refuse(RequestError::NoAnswer { cause }),
        };
        let mut response_violations = Vec::new();
        if self.engine.config().check_responses
            && let Some(v) = &media.validator
        {
            response_violations = v.violations(&answer.value, &Location::Body);
        }
        let bytes = answer.bytes;
        let mut outcome = self.plain(
            status,
            Some((content_type, bytes)),
            self.declared_headers(response, status),
        );
        outcome.response_violations = response_violations;
        outcome
    }

    fn declared_headers(
        &self,
        response: &respond::ResponseSpec,
        status: u16,
    ) -> Vec<(HeaderName, HeaderValue)> {
        let seed = self
            .engine
            .static_seed(self.api, self.op, status, "headers");
        response.header_values(&self.api.resources, seed).to_vec()
    }

    fn plain(
        &self,
        status: u16,
        body: Option<(&str, Bytes)>,
        mut headers: Vec<(HeaderName, HeaderValue)>,
    ) -> Outcome {
        let body = match body {
            Some((content_type, bytes)) => {
                if let Ok(v) = HeaderValue::from_str(content_type) {
                    headers.push((header::CONTENT_TYPE, v));
                }
                bytes
            }
            None => Bytes::new(),
        };
        Outcome {
            response: MockResponse {
                status,
                headers,
                body,
            },
            operation: None,
            violations: Arc::default(),
            response_violations: Vec::new(),
            cause: None,
        }
    }
}

/// What the server's pipeline finds wrong with a request, found without answering it or
/// touching any world: the contract checks judge recorded and live traffic with it.
#[derive(Debug, Clone, Default)]
pub struct RequestFindings {
    /// Why the credentials do not satisfy the operation's security (the 401's detail).
    pub unauthenticated: Option<String>,
    /// The body's `Content-Type` is not one the operation declares (the 415's detail).
    pub unsupported_media_type: Option<String>,
    /// Every parameter and body violation, as the server would list them.
    pub violations: Vec<Violation>,
}

impl RequestFindings {
    /// Nothing wrong: the server would go on to answer it.
    pub fn is_valid(&self) -> bool {
        self.unauthenticated.is_none()
            && self.unsupported_media_type.is_none()
            && self.violations.is_empty()
    }
}

/// Inspects a routed request the way [`Engine::handle`] does, but only reports: credentials
/// (present and well formed; whether a token is *known* is a world's business and is not
/// asked), every parameter, the body's content type and schema. `raw_path_params` are the
/// router's values, in template order.
pub fn inspect_request(
    op: &Operation,
    req: &MockRequest,
    raw_path_params: &[&str],
) -> RequestFindings {
    let reader = RequestReader {
        op,
        req,
        raw_path_params,
    };
    let (query, cookies) = reader.query_and_cookies();
    let sources = CredentialSources {
        headers: &req.headers,
        query: &query,
        cookies: &cookies,
    };
    let unauthenticated = op.security.check(&sources).err().map(|u| u.detail);
    let (mut violations, _) = reader.parameters(&query, &cookies);
    let unsupported_media_type = reader.body(&mut violations).err();
    RequestFindings {
        unauthenticated,
        unsupported_media_type,
        violations,
    }
}

/// Decoded (name, value) pairs of a query string or a `Cookie` header.
type Pairs<'a> = Vec<params::Pair<'a>>;

/// Reads a request's parameters and body for one operation: shared by the server's answers
/// and [`inspect_request`], so both see the same violations.
pub(crate) struct RequestReader<'a> {
    pub op: &'a Operation,
    pub req: &'a MockRequest,
    pub raw_path_params: &'a [&'a str],
}

impl RequestReader<'_> {
    /// The query pairs and cookies, decoded.
    fn query_and_cookies(&self) -> (Pairs<'_>, Pairs<'_>) {
        let query = params::parse_query(self.req.query.as_deref().unwrap_or(""));
        // Several `Cookie` lines are read as one joined with `; `: pieces never span a `;`.
        let mut cookies = Vec::new();
        for line in self.req.headers.get_all(header::COOKIE) {
            if let Ok(line) = line.to_str() {
                cookies.extend(params::parse_cookies(line));
            }
        }
        (query, cookies)
    }

    /// Reads and validates every parameter: the violations, and the values by location.
    fn parameters(
        &self,
        query: &[params::Pair<'_>],
        cookies: &[params::Pair<'_>],
    ) -> (Vec<Violation>, Values<'_>) {
        let mut values = Values::default();
        let mut out = params::query_encoding_violations(self.req.query.as_deref().unwrap_or(""));
        for p in &self.op.params {
            let plan = &p.plan;
            let extracted: Result<Option<Value>, Violation> = match plan.location {
                ParamIn::Path => {
                    let raw = p.path_index.and_then(|i| self.raw_path_params.get(i));
                    match raw {
                        Some(raw) => plan.from_path(raw).map(Some),
                        None => Ok(None),
                    }
                }
                ParamIn::Query if plan.needs_other_names() => {
                    let others: Vec<&str> = self
                        .op
                        .params
                        .iter()
                        .filter(|o| o.plan.location == ParamIn::Query && o.plan.name != plan.name)
                        .map(|o| o.plan.name.as_str())
                        .collect();
                    plan.from_query_except(query, &others)
                }
                ParamIn::Query => plan.from_query(query),
                ParamIn::Header => {
                    // Bytes past ASCII are read as UTF-8 text; a value that is not UTF-8 is
                    // refused rather than taken for a missing header.
                    let values: Result<Vec<&str>, _> = self
                        .req
                        .headers
                        .get_all(plan.name.as_str())
                        .iter()
                        .map(|v| std::str::from_utf8(v.as_bytes()))
                        .collect();
                    match values {
                        Err(_) => Err(Violation::new(
                            p.location(Vec::new()),
                            "malformed",
                            "This header value is not valid UTF-8.",
                        )),
                        Ok(values) if values.is_empty() => Ok(None),
                        Ok(values) => plan.from_header(&values.join(",")).map(Some),
                    }
                }
                ParamIn::Cookie => plan.from_cookie(cookies),
            };
            match extracted {
                Err(v) => out.push(v),
                Ok(None) if plan.required => out.push(Violation::new(
                    p.location(Vec::new()),
                    "required",
                    "This parameter is missing.",
                )),
                Ok(None) => {}
                Ok(Some(value)) => {
                    if let Some(steps) = nul_at(&value) {
                        out.push(Violation::new(
                            p.location(steps),
                            "malformed",
                            "This value contains a NUL character (%00).",
                        ));
                        continue;
                    }
                    if let Some(validator) = &p.validator {
                        out.extend(validator.violations(&value, &|steps| p.location(steps)));
                    }
                    let into = match plan.location {
                        ParamIn::Path => &mut values.path,
                        ParamIn::Query => &mut values.query,
                        ParamIn::Header | ParamIn::Cookie => &mut values.headers,
                    };
                    into.insert(&plan.name, value);
                }
            }
        }
        (out, values)
    }

    /// Checks the body against the declared media types; an unsupported content type is an
    /// answer of its own (415: `Err` with its detail), a body that is not JSON adds a
    /// violation.
    fn body(&self, violations: &mut Vec<Violation>) -> Result<Option<Value>, String> {
        let Some(spec) = &self.op.body else {
            return Ok(None);
        };
        let req = self.req;
        if req.body.is_empty() {
            if spec.required {
                violations.push(Violation::new(
                    Location::Body(Vec::new()),
                    "required",
                    "The request body is missing.",
                ));
            }
            return Ok(None);
        }
        let content_type = req
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let matched = content_type.and_then(|ct| negotiate::match_content_type(ct, &spec.declared));
        let Some(declared) = matched else {
            let detail = match content_type {
                Some(ct) => format!(
                    "The body's Content-Type `{ct}` is not one of: {}.",
                    spec.declared.join(", ")
                ),
                None => format!(
                    "The request has a body but no Content-Type; expected one of: {}.",
                    spec.declared.join(", ")
                ),
            };
            return Err(detail);
        };
        let Some(media) = spec.media.iter().find(|m| m.media_type == declared) else {
            return Ok(None);
        };
        let value = if negotiate::is_json(content_type.unwrap_or(declared))
            || negotiate::is_json(declared)
        {
            match serde_json::from_slice::<Value>(&req.body) {
                Ok(v) => v,
                Err(e) => {
                    violations.push(Violation::new(
                        Location::Body(Vec::new()),
                        "json",
                        format!(
                            "The body is not valid JSON: {} at line {}, column {}.",
                            json_error_text(&e),
                            e.line(),
                            e.column()
                        ),
                    ));
                    return Ok(None);
                }
            }
        } else if let Some(form) = &media.form {
            let text = String::from_utf8_lossy(&req.body);
            let fields = params::parse_query(&text);
            match form.from_query(&fields) {
                Ok(v) => v.unwrap_or_else(|| Value::Object(serde_json::Map::new())),
                Err(mut v) => {
                    v.location = Location::Body(Vec::new());
                    violations.push(v);
                    return Ok(None);
                }
            }
        } else if declared.starts_with("text/") {
            match std::str::from_utf8(&req.body) {
                Ok(s) => Value::String(s.to_owned()),
                Err(_) => {
                    violations.push(Violation::new(
                        Location::Body(Vec::new()),
                        "encoding",
                        "The body is not valid UTF-8 text.",
                    ));
                    return Ok(None);
                }
            }
        } else {
            // Binary and multipart bodies are accepted as they are.
            return Ok(None);
        };
        if let Some(validator) = &media.validator {
            violations.extend(validator.violations(&value, &Location::Body));
        }
        Ok(Some(value))
    }

    /// 400 for malformed requests and parameters; 422 for a body that parses but breaks its
    /// schema, where the operation declares 422.
    pub fn rejection_status(&self, violations: &[Violation]) -> u16 {
        let declares = |s: u16| {
            self.op
                .responses
                .iter()
                .any(|r| r.status == respond::StatusKey::Code(s))
        };
        if violations.iter().any(is_malformed) {
            return 400;
        }
        let only_body = violations
            .iter()
            .all(|v| matches!(v.location, Location::Body(_)));
        if only_body && declares(422) {
            return 422;
        }
        if !declares(400) && declares(422) {
            return 422;
        }
        400
    }
}

/// Where a parameter's value holds a NUL character, in a string or a member name. No API
/// means one there, and many back ends cannot store it: the mock refuses it as unreadable.
/// (Parameter values are at most as deep as the deepObject nesting limit.)
fn nul_at(value: &Value) -> Option<Vec<Segment>> {
    match value {
        Value::String(s) => s.contains('\0').then(Vec::new),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let mut steps = nul_at(item)?;
            steps.insert(0, Segment::Index(i));
            Some(steps)
        }),
        Value::Object(map) => map.iter().find_map(|(key, member)| {
            let mut steps = if key.contains('\0') {
                Vec::new()
            } else {
                nul_at(member)?
            };
            steps.insert(0, Segment::Key(key.clone()));
            Some(steps)
        }),
        _ => None,
    }
}

/// A body that could not be read at all.
/// serde_json's message without its own " at line L column C" suffix.
fn json_error_text(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_characters_are_found_in_strings_items_members_and_member_names() {
        assert_eq!(nul_at(&json!("a\u{0}b")), Some(vec![]));
        assert_eq!(nul_at(&json!("ab")), None);
        assert_eq!(nul_at(&json!(12)), None);
        assert_eq!(
            nul_at(&json!(["a", "b\u{0}"])),
            Some(vec![Segment::Index(1)])
        );
        assert_eq!(
            nul_at(&json!({"ok": "x", "r": ["\u{0}"]})),
            Some(vec![Segment::Key("r".into()), Segment::Index(0)])
        );
        assert_eq!(
            nul_at(&json!({"k\u{0}": 1})),
            Some(vec![Segment::Key("k\u{0}".into())])
        );
    }
}
