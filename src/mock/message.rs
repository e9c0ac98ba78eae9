//! What passes through the mock: a request, an answer, and the outcome (the answer and how
//! it came to be); error answers are rendered here, in the API's own format (the media type
//! and schema the operation declares for the status, where it declares one), for the engine,
//! the control API and the request pipeline alike, and judged with the check every answer
//! goes through (`--check-responses`).

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};

use crate::mock::engine::Engine;
use crate::mock::rejection::RequestError;
use crate::operation::api::{Api, Operation};
use crate::operation::errors::{ErrorCatalog, ErrorRenderer};
use crate::operation::respond::{self, ResponseSpec, Sent};
use crate::schema::violation::{ErrorFacts, Location, Violation};
use crate::world::state::JournalEntry;

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
    pub operation: Option<Arc<str>>,
    /// Shared with the journal entry, not copied into it.
    pub violations: Arc<[Violation]>,
    /// Where the answer breaks its own spec (only checked when asked to).
    pub response_violations: Vec<Violation>,
    /// Why the mock could not answer as the spec says (its own failure): for the log, never
    /// sent to the client.
    pub cause: Option<Box<str>>,
    /// What was done to the answer on purpose: the stub that gave it, its delay, its fault.
    pub staged: Staged,
}

/// What an answer was given on purpose, beyond the spec: the stub that gave it, how much
/// longer than the server's own delay it waits (a stub's `delay_ms`), and how its delivery
/// breaks (`Prefer: fault=`, a stub's `fault`, `--fault`). The server's edge applies the
/// delay and the fault; the journal and the log line name them.
#[derive(Debug, Clone, Default)]
pub struct Staged {
    pub stub: Option<Arc<str>>,
    /// How long the answer takes in all (the stub's delay): what `--delay` already waited
    /// counts toward it.
    pub delay: Option<std::time::Duration>,
    pub fault: Option<crate::operation::respond::Fault>,
}

/// An answer of no operation, nothing wrong with the request, nothing staged: the control
/// API's, a preflight's, an error outside any operation.
impl From<MockResponse> for Outcome {
    fn from(response: MockResponse) -> Outcome {
        Outcome {
            response,
            operation: None,
            violations: Arc::default(),
            response_violations: Vec::new(),
            cause: None,
            staged: Staged::default(),
        }
    }
}

impl Outcome {
    /// The journal's entry for `req` answered so, `started` when it arrived: not proxied (the
    /// proxy says so), with the stub and the fault the answer was given.
    pub(crate) fn journal_entry(&self, req: &MockRequest, started: Instant) -> JournalEntry {
        JournalEntry {
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            operation: self.operation.clone(),
            status: self.response.status,
            violations: Arc::clone(&self.violations),
            micros: started.elapsed().as_micros() as u64,
            proxied: None,
            fault: self.staged.fault,
            stub: self.staged.stub.clone(),
        }
    }
}

/// What an error answer is rendered with and judged by.
pub(crate) struct ErrorScope<'a> {
    pub catalog: &'a ErrorCatalog,
    /// The request's `Accept`: it picks among the media types declared for the status.
    pub accept: Option<&'a str>,
    /// The response the operation declares for the answer's status, and its headers' values;
    /// `None` outside operations, or where the operation declares nothing for the status.
    pub declared: Option<Declared<'a>>,
    /// Judge the answer (`--check-responses`).
    pub check: bool,
}

/// A declared response, with the values of its headers as the mock sends them.
#[derive(Clone, Copy)]
pub(crate) struct Declared<'a> {
    pub spec: &'a ResponseSpec,
    pub headers: &'a [(HeaderName, HeaderValue)],
}

impl<'a> ErrorScope<'a> {
    /// For an answer that belongs to no operation (404, 405): the document's error format.
    pub fn outside(catalog: &'a ErrorCatalog, req: &'a MockRequest, check: bool) -> Self {
        Self {
            catalog,
            accept: accept_of(req),
            declared: None,
            check,
        }
    }

    /// For an error answer with `status` to a request for `op` of `api`.
    pub fn operation(
        engine: &'a Engine,
        api: &'a Api,
        op: &'a Operation,
        req: &'a MockRequest,
        status: u16,
    ) -> Self {
        let declared = respond::declared(&op.responses, status).map(|spec| Declared {
            spec,
            headers: declared_headers(engine, api, op, spec, status),
        });
        Self {
            catalog: &op.errors,
            accept: accept_of(req),
            declared,
            check: engine.config().check_responses,
        }
    }
}

/// The values of the headers `spec` declares, as answers of `op` with `status` send them.
pub(crate) fn declared_headers<'a>(
    engine: &Engine,
    api: &Api,
    op: &Operation,
    spec: &'a ResponseSpec,
    status: u16,
) -> &'a [(HeaderName, HeaderValue)] {
    let seed = engine.static_seed(api, op, status, "headers");
    spec.header_values(&api.matchers, seed)
}

fn accept_of(req: &MockRequest) -> Option<&str> {
    req.headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
}

/// The answer to a refused request, rendered in `scope`: the request's violations move to
/// the outcome (for the journal), the headers the error needs are set (then the declared
/// ones it does not set itself), the cause kept for the log; judged when asked.
pub(crate) fn refuse(scope: &ErrorScope<'_>, error: RequestError, path: &str) -> Outcome {
    let refused = error.into_parts(path);
    let renderer = scope.catalog.negotiated(refused.facts.status, scope.accept);
    let mut outcome = rendered(&renderer, &refused.facts);
    outcome.violations = refused.facts.violations.into();
    for (name, value) in &refused.headers {
        push_header(&mut outcome.response, name.clone(), value);
    }
    if let Some(declared) = &scope.declared {
        for (name, value) in declared.headers {
            let response = &mut outcome.response;
            if !response.headers.iter().any(|(n, _)| n == name) {
                response.headers.push((name.clone(), value.clone()));
            }
        }
    }
    if scope.check {
        let response = &outcome.response;
        let mut found = match &scope.declared {
            Some(declared) => {
                let sent = Sent {
                    status: response.status,
                    headers: &response.headers,
                    body: &response.body,
                    value: None,
                };
                respond::check(declared.spec, &sent)
            }
            None => Vec::new(),
        };
        // A body the declaration leaves free is still judged by the format it was written in.
        if scope.declared.is_none_or(|d| d.spec.media.is_empty()) {
            found.extend(format_violations(&renderer, &response.body));
        }
        outcome.response_violations = found;
    }
    outcome.cause = refused.cause.map(Into::into);
    outcome
}

/// An error answer rendered by a catalog, with no violations of the request's recorded.
pub(crate) fn render_error(catalog: &ErrorCatalog, facts: &ErrorFacts, check: bool) -> Outcome {
    let renderer = catalog.for_status(facts.status);
    let mut outcome = rendered(&renderer, facts);
    if check {
        outcome.response_violations = format_violations(&renderer, &outcome.response.body);
    }
    outcome
}

fn rendered(renderer: &ErrorRenderer, facts: &ErrorFacts) -> Outcome {
    let body = renderer.render_bytes(facts);
    let mut headers = Vec::new();
    if let Ok(v) = HeaderValue::from_str(&renderer.content_type) {
        headers.push((header::CONTENT_TYPE, v));
    }
    Outcome::from(MockResponse {
        status: facts.status,
        headers,
        body: Bytes::from(body),
    })
}

/// Where an error body breaks the schema of the format it was rendered in.
fn format_violations(renderer: &ErrorRenderer, body: &[u8]) -> Vec<Violation> {
    let Some(validator) = &renderer.validator else {
        return Vec::new();
    };
    let value = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
    validator.violations(&value, &Location::Body)
}

pub(crate) fn push_header(response: &mut MockResponse, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers.push((name, v));
    }
}
