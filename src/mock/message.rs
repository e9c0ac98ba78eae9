//! What passes through the mock: a request, an answer, and the outcome (the answer and how
//! it came to be); error answers are rendered here, in the API's own format, for the engine,
//! the control API and the request pipeline alike.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};

use crate::mock::rejection::RequestError;
use crate::operation::errors::ErrorCatalog;
use crate::schema::violation::{ErrorFacts, Location, Violation};

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
}

/// The answer to a refused request, rendered by `catalog`: the request's violations move to
/// the outcome (for the journal), the headers the error needs are set, the cause kept for the
/// log.
pub(crate) fn refuse(
    catalog: &ErrorCatalog,
    error: RequestError,
    path: &str,
    check: bool,
) -> Outcome {
    let refused = error.into_parts(path);
    let mut outcome = render_error(catalog, &refused.facts, check);
    outcome.violations = refused.facts.violations.into();
    for (name, value) in &refused.headers {
        push_header(&mut outcome.response, name.clone(), value);
    }
    outcome.cause = refused.cause.map(Into::into);
    outcome
}

/// An error answer rendered by a catalog, with no violations of the request's recorded.
pub(crate) fn render_error(catalog: &ErrorCatalog, facts: &ErrorFacts, check: bool) -> Outcome {
    let renderer = catalog.for_status(facts.status);
    let body = renderer.render_bytes(facts);
    let mut response_violations = Vec::new();
    if check && let Some(v) = &renderer.validator {
        let value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        response_violations = v.violations(&value, &Location::Body);
    }
    let mut headers = Vec::new();
    if let Ok(v) = HeaderValue::from_str(&renderer.content_type) {
        headers.push((header::CONTENT_TYPE, v));
    }
    Outcome {
        response: MockResponse {
            status: facts.status,
            headers,
            body: Bytes::from(body),
        },
        operation: None,
        violations: Arc::default(),
        response_violations,
        cause: None,
    }
}

pub(crate) fn push_header(response: &mut MockResponse, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers.push((name, v));
    }
}
