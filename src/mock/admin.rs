//! The control API under `/__admin/`, which no document may use: reset a session's world to
//! the fixtures (and its scenarios to `started`, keeping its stubs), read it whole, read
//! (filtered, or counted) and clear its journal, its stubs and scenarios (`stubs::admin`; each
//! takes the `X-Understudy-Session` header like any other request), and list or drop sessions.
//! Answers are JSON; errors are RFC 9457 problem details. Who may call it at all is `access`'s.

use bytes::Bytes;
use http::{HeaderValue, Method, header};
use serde_json::{Map, Value, json};

use crate::mock::access::Denied;
use crate::mock::engine::Engine;
use crate::mock::journal::JournalFilter;
use crate::mock::message::{MockRequest, MockResponse, Outcome, push_header, render_error};
use crate::mock::stubs;
use crate::operation::errors::{ErrorCatalog, reason};
use crate::schema::violation::{ErrorFacts, Violation};
use crate::world::state::{now_millis, valid_session_name};

/// The endpoints, for `Allow` and 404 messages.
const ENDPOINTS: &[(&str, &[Method])] = &[
    ("/__admin/reset", &[Method::POST]),
    ("/__admin/state", &[Method::GET]),
    ("/__admin/requests", &[Method::GET, Method::DELETE]),
    ("/__admin/requests/count", &[Method::GET]),
    ("/__admin/sessions", &[Method::GET, Method::DELETE]),
    ("/__admin/sessions/{name}", &[Method::DELETE]),
    (
        "/__admin/stubs",
        &[Method::GET, Method::POST, Method::DELETE],
    ),
    ("/__admin/stubs/{id}", &[Method::GET, Method::DELETE]),
    ("/__admin/scenarios", &[Method::GET]),
    ("/__admin/scenarios/reset", &[Method::POST]),
    ("/__admin/scenarios/{name}", &[Method::PUT]),
];

/// Where the endpoint of one named session starts.
const ONE_SESSION: &str = "/__admin/sessions/";

/// The answer to a control request `access` refused.
pub fn denied(denied: &Denied) -> Outcome {
    let mut outcome = problem(denied.status(), denied.detail());
    if let Some(header) = denied.headers() {
        outcome.response.headers.push(header);
    }
    outcome
}

pub fn handle(engine: &Engine, req: &MockRequest) -> Outcome {
    if let Some(name) = req.path.strip_prefix(ONE_SESSION) {
        return one_session(engine, req, name.trim_end_matches('/'));
    }
    let path = req.path.trim_end_matches('/');
    if stubs::admin::owns(path) {
        return match engine.session_of(req, std::time::Instant::now()) {
            Ok(session) => stubs::admin::handle(engine, req, &session, path),
            Err(outcome) => *outcome,
        };
    }
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
    if path == "/__admin/sessions" {
        return sessions(engine, &req.method);
    }
    let session = match engine.session_of(req, std::time::Instant::now()) {
        Ok(s) => s,
        Err(outcome) => return *outcome,
    };
    match (req.method.clone(), path) {
        (Method::POST, "/__admin/reset") => {
            session.reset(engine.sessions().behaviours());
            // WireMock's reset drops the stubs too; here a test resets the world between
            // cases and keeps its setup (`DELETE /__admin/stubs` drops them).
            session.with_stub_book(|b| b.reset_scenarios());
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
        (Method::GET, "/__admin/requests" | "/__admin/requests/count") => {
            let filter = match JournalFilter::parse(req.query.as_deref(), engine.apis()) {
                Ok(filter) => filter,
                Err(detail) => return problem(400, detail),
            };
            let keep = |e: &_| filter.matches(e);
            if path.ends_with("/count") {
                json_answer(json!({"session": session.name, "count": session.count_where(keep)}))
            } else {
                json_answer(
                    json!({"session": session.name, "requests": session.journal_where(keep)}),
                )
            }
        }
        (Method::DELETE, "/__admin/requests")
            if req.query.as_deref().is_some_and(|q| !q.is_empty()) =>
        {
            problem(
                400,
                "DELETE /__admin/requests clears the whole journal; it takes no filters."
                    .to_owned(),
            )
        }
        (Method::DELETE, "/__admin/requests") => {
            session.clear_journal();
            empty(204)
        }
        _ => problem(405, format!("{} is not allowed on {path}.", req.method)),
    }
}

/// `GET /__admin/sessions`: every session with when it was last used; `DELETE`: drops every
/// named one.
fn sessions(engine: &Engine, method: &Method) -> Outcome {
    let sessions = engine.sessions();
    if *method == Method::DELETE {
        let dropped = sessions.remove_named();
        tracing::info!(
            dropped,
            "dropped every named session (DELETE /__admin/sessions)"
        );
        return empty(204);
    }
    let now = now_millis();
    let listed: Vec<Value> = sessions
        .all()
        .iter()
        .map(|s| {
            let last = s.last_used();
            json!({
                "name": s.name,
                "default": s.name.is_empty(),
                "lastUsed": crate::text::rfc3339_millis(last),
                "idleMs": now.saturating_sub(last),
                "requests": s.journal_len(),
            })
        })
        .collect();
    json_answer(json!({
        "maxSessions": sessions.max_named(),
        "named": listed.len().saturating_sub(1),
        "sessions": listed,
    }))
}

/// `DELETE /__admin/sessions/NAME` (the name percent-encoded as in any path).
fn one_session(engine: &Engine, req: &MockRequest, raw: &str) -> Outcome {
    if req.method != Method::DELETE {
        let mut outcome = problem(
            405,
            format!("{} is not allowed on {ONE_SESSION}NAME.", req.method),
        );
        push_header(&mut outcome.response, header::ALLOW, "DELETE");
        return outcome;
    }
    let name = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    if !valid_session_name(&name) {
        return problem(
            400,
            "A session name is 1 to 128 visible ASCII characters (the default session cannot \
             be dropped: POST /__admin/reset resets it)."
                .to_owned(),
        );
    }
    if engine.sessions().remove(&name) {
        tracing::info!(session = %name, "dropped a session (DELETE /__admin/sessions/NAME)");
        empty(204)
    } else {
        problem(404, format!("There is no session named {name:?}."))
    }
}

pub(crate) fn problem(status: u16, detail: String) -> Outcome {
    problem_with(status, detail, Vec::new())
}

/// A problem listing `violations`, each worded as the rest of the product words it.
pub(crate) fn problem_with(status: u16, detail: String, violations: Vec<Violation>) -> Outcome {
    let mut facts = ErrorFacts::new(status, reason(status), detail);
    facts.violations = violations;
    render_error(&ErrorCatalog::default(), &facts, false)
}

pub(crate) fn empty(status: u16) -> Outcome {
    Outcome::from(MockResponse {
        status,
        headers: Vec::new(),
        body: Bytes::new(),
    })
}

pub(crate) fn json_answer(body: Value) -> Outcome {
    Outcome::from(MockResponse {
        status: 200,
        headers: vec![(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body: Bytes::from(serde_json::to_vec(&body).unwrap_or_default()),
    })
}
