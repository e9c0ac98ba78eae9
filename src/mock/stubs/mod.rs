//! Stubs: answers a test sets per session through the control API (`POST /__admin/stubs`) or
//! loads at start (`--stubs DIR`), consulted after a request is routed, validated and
//! authenticated (an invalid request gets the API's own error as always), highest priority
//! first (1 is the highest; the newest first among equals). A match answers with the stub and
//! leaves the world as it is; no match falls through to the mock's own answer.
//!
//! - `spec`: the format, and what can be wrong with a stub.
//! - `compile`: a stub checked against its operation and its answer prepared, once.
//! - `admin`: `/__admin/stubs` and `/__admin/scenarios`.
//! - `files`: `--stubs DIR`.
//!
//! A session's stubs and scenario states are data of the world (`world::stubs`), so the state
//! file keeps them; a session without stubs pays one atomic load per request.

pub mod admin;
mod compile;
pub mod files;
pub mod spec;

use std::sync::Arc;

use http::{HeaderName, Method};
use serde_json::Value;

use crate::mock::delay::Delay;
use crate::mock::engine::Engine;
use crate::mock::message::{MockRequest, MockResponse, Outcome, Staged};
use crate::operation::respond::Fault;
use crate::world::state::Session;
use crate::world::stubs::StoredStub;

pub use compile::compile;
pub use spec::{StubError, StubSpec};

/// A stub as matching and answering need it, made once at creation.
#[derive(Debug)]
pub struct CompiledStub {
    /// (API, operation) index; `None`: a path no document serves (`--allow-off-spec-stubs`).
    op: Option<(usize, usize)>,
    /// For a stub off the spec (an operation has its method).
    method: Option<Method>,
    /// The whole path, percent-decoded; `None`: any path of the operation.
    exact: Option<String>,
    query: Vec<(String, String)>,
    headers: Vec<(HeaderName, String)>,
    body: Option<Value>,
    response: MockResponse,
    delay: Option<Delay>,
    fault: Option<Fault>,
}

/// What a request offers to matching, read once for every stub.
struct Seen<'r> {
    req: &'r MockRequest,
    op: Option<(usize, usize)>,
    path: std::borrow::Cow<'r, str>,
    query: Vec<(String, String)>,
    body: Option<&'r Value>,
}

impl CompiledStub {
    fn matches(&self, seen: &Seen<'_>) -> bool {
        self.op == seen.op
            && self.method.as_ref().is_none_or(|m| *m == seen.req.method)
            && self.exact.as_deref().is_none_or(|p| p == seen.path)
            && self
                .query
                .iter()
                .all(|(k, v)| seen.query.iter().any(|(qk, qv)| qk == k && qv == v))
            && self.headers.iter().all(|(name, value)| {
                seen.req
                    .headers
                    .get_all(name)
                    .iter()
                    .any(|v| v.to_str().is_ok_and(|v| v == value))
            })
            && self
                .body
                .as_ref()
                .is_none_or(|wanted| seen.body.is_some_and(|body| subset(wanted, body)))
    }
}

/// Whether `wanted` is found in `actual`: an object's every member, recursively; anything
/// else equal.
fn subset(wanted: &Value, actual: &Value) -> bool {
    match (wanted, actual) {
        (Value::Object(w), Value::Object(a)) => w
            .iter()
            .all(|(k, wv)| a.get(k).is_some_and(|av| subset(wv, av))),
        _ => wanted == actual,
    }
}

/// The answer of the first of the session's stubs that matches `req`, routed to `op` (`None`:
/// to no operation), with `body` its JSON body; the stub counts it. `None` when no stub
/// matches.
pub(crate) fn answer(
    engine: &Engine,
    session: &Session,
    op: Option<(usize, usize)>,
    req: &MockRequest,
    body: Option<&Value>,
) -> Option<Outcome> {
    if !session.has_stubs() {
        return None;
    }
    let parsed;
    let body = match body {
        Some(b) => Some(b),
        None if op.is_none() => {
            parsed = serde_json::from_slice::<Value>(&req.body).ok();
            parsed.as_ref()
        }
        None => None,
    };
    let seen = Seen {
        req,
        op,
        path: percent_encoding::percent_decode_str(&req.path).decode_utf8_lossy(),
        query: url::form_urlencoded::parse(req.query.as_deref().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        body,
    };
    let hit = session.with_stub_book(|book| {
        book.take(|stored| compiled(stored).is_some_and(|c| c.matches(&seen)))
    })?;
    let stub = hit.compiled.downcast_ref::<CompiledStub>()?;
    Some(Outcome {
        response: stub.response.clone(),
        operation: op.map(|(ai, oi)| Arc::clone(&engine.apis()[ai].operations[oi].id)),
        violations: Arc::default(),
        response_violations: Vec::new(),
        cause: None,
        staged: Staged {
            stub: Some(hit.id),
            delay: stub.delay.map(|d| engine.draw_delay(d)),
            fault: stub.fault,
        },
    })
}

/// The mock's form of a stored stub.
fn compiled(stored: &StoredStub) -> Option<&CompiledStub> {
    stored.compiled.downcast_ref::<CompiledStub>()
}

/// A stub saved in the state file, compiled again as if it were posted (its id kept).
pub(crate) fn restore(engine: &Engine, definition: &Value) -> Result<StoredStub, String> {
    let spec = spec::parse(definition).map_err(|e| e.to_string())?;
    compile(engine, spec, "stub").map_err(|e| match &e {
        StubError::Breaks { violations, .. } => {
            let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
            format!("{e} {}", list.join("; "))
        }
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_body_matches_when_every_member_given_is_found() {
        let actual = json!({"role": "admin", "user": {"id": "u1", "name": "Jane"}, "tags": [1, 2]});
        assert!(subset(&json!({}), &actual));
        assert!(subset(&json!({"user": {"id": "u1"}}), &actual));
        assert!(subset(&json!({"tags": [1, 2]}), &actual));
        assert!(
            !subset(&json!({"tags": [1]}), &actual),
            "arrays are equal or not"
        );
        assert!(!subset(&json!({"role": "edit"}), &actual));
        assert!(!subset(&json!({"missing": null}), &actual));
    }
}
