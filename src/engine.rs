//! The mock itself: a request in, an answer out, with no HTTP library in sight.
//!
//! The pipeline for a routed request: credentials (401), then every parameter and the body
//! (all violations collected: 400, or 422 where the spec declares it for body schemas), the
//! content type (415), then `Accept` (406), then the declared response. Unknown paths are
//! 404, other methods 405 with `Allow`, `OPTIONS` answers CORS preflights. Every error is
//! rendered in the format the operation's (or the document's) spec gives.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use serde_json::Value;

use crate::api::{Api, Operation, template_params};
use crate::errors::{ErrorCatalog, reason};
use crate::load::Source;
use crate::negotiate;
use crate::params::{self, ParamIn};
use crate::problems::{LoadError, Problem, Problems};
use crate::respond::{self, Answer, Prefer};
use crate::router::{RouteMatch, RouteSpec, Router, common_prefix};
use crate::security::CredentialSources;
use crate::violation::{ErrorFacts, Location, Violation};

/// Set on an answer that breaks its own spec, when answers are checked.
pub static RESPONSE_VIOLATIONS: HeaderName =
    HeaderName::from_static("x-understudy-response-violations");

/// A request as the mock sees it.
#[derive(Debug, Clone)]
pub struct MockRequest {
    pub method: Method,
    /// The path as sent: still percent-encoded.
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// An answer.
#[derive(Debug, Clone)]
pub struct MockResponse {
    pub status: u16,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl MockResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.as_str().eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.to_str().ok())
    }
}

/// An answer and what is known about how it came to be, for logs and the journal.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub response: MockResponse,
    pub operation: Option<String>,
    pub violations: Vec<Violation>,
    /// Where the answer breaks its own spec (only checked when asked to).
    pub response_violations: Vec<Violation>,
}

/// Settings of the mock that are not in any document.
#[derive(Debug, Clone, Copy)]
pub struct EngineConfig {
    /// Seeds generated data: same seed, same bodies.
    pub seed: u64,
    /// Validate every answer against the spec (tests turn this on).
    pub check_responses: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            check_responses: cfg!(debug_assertions),
        }
    }
}

pub struct Engine {
    apis: Vec<Api>,
    router: Router,
    config: EngineConfig,
    /// Varies `Prefer: dynamic=true` answers from one request to the next.
    dynamic: AtomicU64,
}

impl Engine {
    /// Loads every source; fails with every problem of every document that cannot be served.
    pub fn load(sources: &[Source], config: EngineConfig) -> Result<Engine, Vec<LoadError>> {
        let mut apis = Vec::new();
        let mut failures = Vec::new();
        for source in sources {
            match Api::load(source, config.seed) {
                Ok(api) => apis.push(api),
                Err(e) => failures.push(e),
            }
        }
        if !failures.is_empty() {
            return Err(failures);
        }
        Engine::new(apis, config).map_err(|e| vec![e])
    }

    /// Routes the given APIs; mount collisions and route conflicts fail.
    pub fn new(apis: Vec<Api>, config: EngineConfig) -> Result<Engine, LoadError> {
        let mut problems = Problems::default();
        for (i, a) in apis.iter().enumerate() {
            for b in &apis[..i] {
                if a.mount == b.mount {
                    problems.error(
                        &a.name,
                        "/servers/0/url",
                        format!(
                            "`{}` and `{}` are both mounted at `{}`: give one another server URL",
                            b.name,
                            a.name,
                            if a.mount.is_empty() { "/" } else { &a.mount }
                        ),
                    );
                }
            }
            for op in &a.operations {
                if op.route.starts_with("/__admin") {
                    problems.error(
                        &a.name,
                        &crate::refs::pointer_join("/paths", &[&op.template]),
                        "paths under /__admin/ are reserved for understudy's own control API",
                    );
                }
            }
        }
        let routes = apis.iter().enumerate().flat_map(|(ai, api)| {
            api.operations
                .iter()
                .enumerate()
                .map(move |(oi, op)| RouteSpec {
                    op: (ai, oi),
                    method: &op.method,
                    route: &op.route,
                    file: &api.name,
                    pointer: crate::refs::pointer_join("/paths", &[&op.template]),
                })
        });
        let homes = apis
            .iter()
            .enumerate()
            .map(|(i, api)| {
                let home = if api.mount.is_empty() {
                    let prefix = common_prefix(api.operations.iter().map(|o| o.route.as_str()));
                    let first = prefix
                        .trim_start_matches('/')
                        .split('/')
                        .next()
                        .unwrap_or_default();
                    format!("/{first}")
                } else {
                    api.mount.clone()
                };
                (i, home)
            })
            .collect();
        let router = Router::build(routes, homes, &mut problems);
        if problems.has_errors() {
            return Err(LoadError {
                name: "the served documents".to_owned(),
                problems: problems.errors().cloned().collect::<Vec<Problem>>(),
            });
        }
        Ok(Engine {
            apis,
            router,
            config,
            dynamic: AtomicU64::new(0),
        })
    }

    pub fn apis(&self) -> &[Api] {
        &self.apis
    }

    pub fn handle(&self, req: &MockRequest) -> Outcome {
        let mut outcome = self.route(req);
        if req.method == Method::HEAD {
            outcome.response.body = Bytes::new();
        }
        add_cors(&req.headers, &mut outcome.response);
        if let Some(first) = outcome.response_violations.first() {
            // Visible to the client, so a test suite notices a mock that breaks its spec.
            let note = format!("{}; first: {first}", outcome.response_violations.len());
            push_header(&mut outcome.response, RESPONSE_VIOLATIONS.clone(), &note);
        }
        outcome
    }

    /// Answers a request the server could not read whole (a body over the limit), in the
    /// error format of the operation it was meant for.
    pub fn reject(&self, req: &MockRequest, status: u16, detail: String) -> Outcome {
        let facts = ErrorFacts::new(status, reason(status), detail).with_instance(req.path.clone());
        let check = self.config.check_responses;
        let mut outcome = match self.router.find(&req.method, &req.path) {
            RouteMatch::Found { op, .. } => {
                let operation = &self.apis[op.0].operations[op.1];
                let mut o = error_outcome(&operation.errors, facts, Vec::new(), check);
                o.operation = Some(operation.id.clone());
                o
            }
            RouteMatch::MethodNotAllowed { api, .. } | RouteMatch::NotFound { api: Some(api) } => {
                error_outcome(&self.apis[api].errors, facts, Vec::new(), check)
            }
            RouteMatch::NotFound { api: None } => {
                error_outcome(&ErrorCatalog::default(), facts, Vec::new(), check)
            }
        };
        add_cors(&req.headers, &mut outcome.response);
        outcome
    }

    fn route(&self, req: &MockRequest) -> Outcome {
        match self.router.find(&req.method, &req.path) {
            RouteMatch::Found { op, params } => {
                let api = &self.apis[op.0];
                let operation = &api.operations[op.1];
                let raw: Vec<&str> = params.iter().map(|(_, v)| *v).collect();
                let mut outcome = Request {
                    engine: self,
                    api,
                    op: operation,
                    req,
                    raw_path_params: &raw,
                }
                .answer();
                outcome.operation = Some(operation.id.clone());
                outcome
            }
            RouteMatch::MethodNotAllowed { allowed, api } => {
                if req.method == Method::OPTIONS {
                    return preflight(req, &allowed);
                }
                let allow = allowed
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                let facts = ErrorFacts::new(
                    405,
                    reason(405),
                    format!(
                        "{} is not allowed on {}; allowed: {allow}.",
                        req.method, req.path
                    ),
                )
                .with_instance(req.path.clone());
                let mut outcome = error_outcome(
                    &self.apis[api].errors,
                    facts,
                    Vec::new(),
                    self.config.check_responses,
                );
                push_header(&mut outcome.response, header::ALLOW, &allow);
                outcome
            }
            RouteMatch::NotFound { api } => {
                let facts = ErrorFacts::new(
                    404,
                    reason(404),
                    format!("No operation of the served documents matches {}.", req.path),
                )
                .with_instance(req.path.clone());
                let catalog = api.map(|i| &self.apis[i].errors);
                match catalog {
                    Some(c) => error_outcome(c, facts, Vec::new(), self.config.check_responses),
                    None => error_outcome(
                        &ErrorCatalog::default(),
                        facts,
                        Vec::new(),
                        self.config.check_responses,
                    ),
                }
            }
        }
    }

    /// The seed of an operation's static generated bodies.
    fn static_seed(&self, api: &Api, op: &Operation, status: u16, media: &str) -> u64 {
        let mut h = Fnv::new(self.config.seed);
        for part in [api.name.as_str(), op.id.as_str(), media] {
            h.write(part.as_bytes());
        }
        h.write(&status.to_le_bytes());
        h.finish()
    }
}

/// One routed request being answered.
struct Request<'e> {
    engine: &'e Engine,
    api: &'e Api,
    op: &'e Operation,
    req: &'e MockRequest,
    raw_path_params: &'e [&'e str],
}

impl Request<'_> {
    fn answer(&self) -> Outcome {
        let req = self.req;
        let query = params::parse_query(req.query.as_deref().unwrap_or(""));
        let cookie_header = req
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join("; ");
        let cookies = params::parse_cookies(&cookie_header);
        let sources = CredentialSources {
            headers: &req.headers,
            query: &query,
            cookies: &cookies,
        };
        if let Err(unauthenticated) = self.op.security.check(&sources) {
            let facts = ErrorFacts::new(401, reason(401), unauthenticated.detail)
                .with_instance(req.path.clone());
            let mut outcome = self.error(facts, Vec::new());
            for challenge in unauthenticated.challenges {
                push_header(&mut outcome.response, header::WWW_AUTHENTICATE, &challenge);
            }
            return outcome;
        }
        let mut violations = self.parameter_violations(&query, &cookies);
        let body = match self.body(&mut violations) {
            Ok(b) => b,
            Err(outcome) => return *outcome,
        };
        let _ = body;
        if !violations.is_empty() {
            let status = self.bad_request_status(&violations);
            let malformed = violations.iter().find(|v| is_malformed(v));
            let detail = match (malformed, violations.len()) {
                // A body that cannot be read says so first, with its line and column.
                (Some(m), _) => m.message.clone(),
                (None, 1) => "The request has 1 violation.".to_owned(),
                (None, n) => format!("The request has {n} violations."),
            };
            let facts = ErrorFacts::new(status, reason(status), detail)
                .with_violations(violations.clone())
                .with_instance(req.path.clone());
            return self.error(facts, violations);
        }
        self.success()
    }

    fn parameter_violations(
        &self,
        query: &[(String, String)],
        cookies: &[(String, String)],
    ) -> Vec<Violation> {
        let mut out = params::query_encoding_violations(self.req.query.as_deref().unwrap_or(""));
        let names = template_params(&self.op.template);
        let query_names: Vec<&str> = self
            .op
            .params
            .iter()
            .filter(|p| p.plan.location == ParamIn::Query)
            .map(|p| p.plan.name.as_str())
            .collect();
        for p in &self.op.params {
            let plan = &p.plan;
            let extracted: Result<Option<Value>, Violation> = match plan.location {
                ParamIn::Path => {
                    let raw = names
                        .iter()
                        .position(|n| *n == plan.name)
                        .and_then(|i| self.raw_path_params.get(i));
                    match raw {
                        Some(raw) => plan.from_path(raw).map(Some),
                        None => Ok(None),
                    }
                }
                ParamIn::Query => {
                    let others: Vec<&str> = query_names
                        .iter()
                        .copied()
                        .filter(|n| *n != plan.name)
                        .collect();
                    plan.from_query_except(query, &others)
                }
                ParamIn::Header => {
                    let values: Vec<&str> = self
                        .req
                        .headers
                        .get_all(plan.name.as_str())
                        .iter()
                        .filter_map(|v| v.to_str().ok())
                        .collect();
                    if values.is_empty() {
                        Ok(None)
                    } else {
                        plan.from_header(&values.join(",")).map(Some)
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
                    if let Some(validator) = &p.validator {
                        out.extend(validator.violations(&value, &|steps| p.location(steps)));
                    }
                }
            }
        }
        out
    }

    /// Checks the body against the declared media types; an unsupported content type is an
    /// answer of its own (415), a body that is not JSON adds a violation.
    fn body(&self, violations: &mut Vec<Violation>) -> Result<Option<Value>, Box<Outcome>> {
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
            let facts = ErrorFacts::new(415, reason(415), detail).with_instance(req.path.clone());
            return Err(Box::new(self.error(facts, Vec::new())));
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
    fn bad_request_status(&self, violations: &[Violation]) -> u16 {
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

    fn success(&self) -> Outcome {
        let req = self.req;
        let prefer = Prefer::parse(req.headers.get("prefer").and_then(|v| v.to_str().ok()));
        let response = match respond::choose(&self.op.responses, prefer.code) {
            Ok(Some(r)) => r,
            Ok(None) => {
                return self.plain(204, None, Vec::new());
            }
            Err(code) => {
                let facts = ErrorFacts::new(
                    400,
                    reason(400),
                    format!(
                        "Prefer asks for status {code}, which {} does not declare.",
                        self.op.id
                    ),
                )
                .with_instance(req.path.clone());
                return self.error(facts, Vec::new());
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
            let facts = ErrorFacts::new(
                406,
                reason(406),
                format!(
                    "Nothing acceptable to `Accept: {}`; this operation answers with: {}.",
                    accept.unwrap_or_default(),
                    response.offered.join(", ")
                ),
            )
            .with_instance(req.path.clone());
            return self.error(facts, Vec::new());
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
                    let facts = ErrorFacts::new(
                        400,
                        reason(400),
                        format!(
                            "Prefer asks for example `{name}`, which this response does not have."
                        ),
                    )
                    .with_instance(req.path.clone());
                    return self.error(facts, Vec::new());
                }
            }
        } else if prefer.dynamic {
            let n = self.engine.dynamic.fetch_add(1, Ordering::Relaxed);
            let seed = self.engine.static_seed(self.api, self.op, status, chosen)
                ^ n.wrapping_mul(0x2545_F491_4F6C_DD1D);
            media
                .generate(resources, seed, false)
                .map(|v| Answer::new(Arc::new(v), content_type))
        } else {
            let seed = self.engine.static_seed(self.api, self.op, status, chosen);
            media.static_answer(resources, seed)
        };
        let answer = match answer {
            Ok(a) => a,
            Err(e) => {
                let facts = ErrorFacts::new(500, reason(500), e).with_instance(req.path.clone());
                return self.error(facts, Vec::new());
            }
        };
        let mut response_violations = Vec::new();
        if self.engine.config.check_responses
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
            violations: Vec::new(),
            response_violations: Vec::new(),
        }
    }

    fn error(&self, facts: ErrorFacts, violations: Vec<Violation>) -> Outcome {
        error_outcome(
            &self.op.errors,
            facts,
            violations,
            self.engine.config.check_responses,
        )
    }
}

/// An error answer rendered by a catalog.
fn error_outcome(
    catalog: &ErrorCatalog,
    facts: ErrorFacts,
    violations: Vec<Violation>,
    check: bool,
) -> Outcome {
    let renderer = catalog.for_status(facts.status);
    let body = renderer.render(&facts);
    let mut response_violations = Vec::new();
    if check && let Some(v) = &renderer.validator {
        response_violations = v.violations(&body, &Location::Body);
    }
    let mut headers = Vec::new();
    if let Ok(v) = HeaderValue::from_str(&renderer.content_type) {
        headers.push((header::CONTENT_TYPE, v));
    }
    Outcome {
        response: MockResponse {
            status: facts.status,
            headers,
            body: Bytes::from(serde_json::to_vec(&body).unwrap_or_default()),
        },
        operation: None,
        violations,
        response_violations,
    }
}

/// `OPTIONS` on a known path: a CORS preflight answer, or the list of methods.
fn preflight(req: &MockRequest, allowed: &[Method]) -> Outcome {
    let allow = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut response = MockResponse {
        status: 204,
        headers: Vec::new(),
        body: Bytes::new(),
    };
    push_header(&mut response, header::ALLOW, &allow);
    if req
        .headers
        .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        push_header(&mut response, header::ACCESS_CONTROL_ALLOW_METHODS, &allow);
        let requested = req
            .headers
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("*")
            .to_owned();
        push_header(
            &mut response,
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            &requested,
        );
        push_header(&mut response, header::ACCESS_CONTROL_MAX_AGE, "86400");
    }
    Outcome {
        response,
        operation: None,
        violations: Vec::new(),
        response_violations: Vec::new(),
    }
}

/// Browsers may read every answer: the mock stands in for an API a front end calls.
fn add_cors(request_headers: &HeaderMap, response: &mut MockResponse) {
    let Some(origin) = request_headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return;
    };
    let origin = origin.to_owned();
    push_header(response, header::ACCESS_CONTROL_ALLOW_ORIGIN, &origin);
    push_header(response, header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
    push_header(response, header::ACCESS_CONTROL_EXPOSE_HEADERS, "*");
    push_header(response, header::VARY, "Origin");
}

fn push_header(response: &mut MockResponse, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers.push((name, v));
    }
}

/// A body that could not be read at all.
fn is_malformed(v: &Violation) -> bool {
    v.keyword == "json" || v.keyword == "encoding"
}

/// serde_json's message without its own " at line L column C" suffix.
fn json_error_text(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// FNV-1a: a hash whose output is the same on every run and platform, for seeds.
struct Fnv(u64);

impl Fnv {
    fn new(seed: u64) -> Self {
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        h.write(&seed.to_le_bytes());
        h
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // Separate parts so ("ab","c") and ("a","bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}
