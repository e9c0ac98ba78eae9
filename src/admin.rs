//! The control API under `/__admin/`, which no document may use: reset a session's world to
//! the fixtures, read it whole, read and clear its journal. Every endpoint takes the
//! `X-Understudy-Session` header like any other request. Answers are JSON; errors are RFC 9457
//! problem details.

use bytes::Bytes;
use http::{HeaderValue, Method, header};
use serde_json::{Map, Value, json};

use crate::engine::{Engine, MockRequest, MockResponse, Outcome, error_outcome, push_header};
use crate::errors::{ErrorCatalog, reason};
use crate::violation::ErrorFacts;

/// The endpoints, for `Allow` and 404 messages.
const ENDPOINTS: &[(&str, &[Method])] = &[
    ("/__admin/reset", &[Method::POST]),
    ("/__admin/state", &[Method::GET]),
    ("/__admin/requests", &[Method::GET, Method::DELETE]),
];

pub fn handle(engine: &Engine, req: &MockRequest) -> Outcome {
    let path = req.path.trim_end_matches('/');
    let Some((_, methods)) = ENDPOINTS.iter().find(|(p, _)| *p == path) else {
        let known: Vec<&str> = ENDPOINTS.iter().map(|(p, _)| *p).collect();
        return problem(
            404,
            format!(
                "No control endpoint at {}; there are: {}.",
                req.path,
                known.join(", ")
            ),
        );
    };
    if !methods.contains(&req.method) {
        let allow = methods
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        let mut outcome = problem(405, format!("{} is not allowed on {path}.", req.method));
        push_header(&mut outcome.response, header::ALLOW, &allow);
        return outcome;
    }
    let session = match engine.session_of(req) {
        Ok(s) => s,
        Err(outcome) => return *outcome,
    };
    match (req.method.clone(), path) {
        (Method::POST, "/__admin/reset") => {
            session.reset(engine.sessions().behaviours());
            empty(204)
        }
        (Method::GET, "/__admin/state") => {
            let mut apis = Map::new();
            for (i, api) in engine.apis().iter().enumerate() {
                let world = match (engine.sessions().behaviours().get(i), session.part(i)) {
                    (Some(Some(b)), Some(part)) => b.snapshot(part),
                    _ => Value::Null,
                };
                apis.insert(api.name.clone(), world);
            }
            json_answer(json!({"session": session.name, "apis": apis}))
        }
        (Method::GET, "/__admin/requests") => {
            json_answer(json!({"session": session.name, "requests": session.journal()}))
        }
        (Method::DELETE, "/__admin/requests") => {
            session.clear_journal();
            empty(204)
        }
        _ => problem(405, format!("{} is not allowed on {path}.", req.method)),
    }
}

fn problem(status: u16, detail: String) -> Outcome {
    let facts = ErrorFacts::new(status, reason(status), detail);
    error_outcome(&ErrorCatalog::default(), facts, Vec::new(), false)
}

fn empty(status: u16) -> Outcome {
    outcome(MockResponse {
        status,
        headers: Vec::new(),
        body: Bytes::new(),
    })
}

fn json_answer(body: Value) -> Outcome {
    outcome(MockResponse {
        status: 200,
        headers: vec![(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body: Bytes::from(serde_json::to_vec(&body).unwrap_or_default()),
    })
}

fn outcome(response: MockResponse) -> Outcome {
    Outcome {
        response,
        operation: None,
        violations: std::sync::Arc::default(),
        response_violations: Vec::new(),
    }
}
