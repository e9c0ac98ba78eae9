//! The control API's stub and scenario endpoints, for the session the request names:
//!
//! - `POST /__admin/stubs` makes a stub (201 with it and its `id`; a stub whose answer breaks
//!   its operation's declared responses is a 400 listing the violations); `GET` lists them
//!   in the order they are consulted, with `matched` and `remaining`; `DELETE` drops them all.
//! - `GET`, `DELETE /__admin/stubs/{id}`: one stub.
//! - `GET /__admin/scenarios`: every scenario and its state; `POST /__admin/scenarios/reset`
//!   puts them all back to `started`; `PUT /__admin/scenarios/{name}` with `{"state": ...}`
//!   sets one.

use http::{Method, header};
use serde_json::{Value, json};

use super::spec::{self, StubError};
use crate::mock::admin::{empty, json_answer, problem, problem_with};
use crate::mock::engine::Engine;
use crate::mock::message::{MockRequest, Outcome, push_header};
use crate::world::state::Session;

pub const STUBS: &str = "/__admin/stubs";
pub const SCENARIOS: &str = "/__admin/scenarios";

/// Whether `path` (without a trailing `/`) is one of these endpoints.
pub fn owns(path: &str) -> bool {
    [STUBS, SCENARIOS]
        .iter()
        .any(|p| path == *p || path.strip_prefix(p).is_some_and(|r| r.starts_with('/')))
}

/// Answers a request to one of these endpoints (see [`owns`]).
pub fn handle(engine: &Engine, req: &MockRequest, session: &Session, path: &str) -> Outcome {
    let one = |prefix: &str| {
        path.strip_prefix(prefix)
            .and_then(|r| r.strip_prefix('/'))
            .map(|raw| {
                percent_encoding::percent_decode_str(raw)
                    .decode_utf8_lossy()
                    .into_owned()
            })
    };
    let m = &req.method;
    if path == STUBS {
        return match *m {
            Method::GET => {
                let stubs: Vec<Value> =
                    session.with_stub_book(|b| b.stubs().iter().map(|s| s.to_json()).collect());
                json_answer(json!({"session": session.name, "stubs": stubs}))
            }
            Method::POST => create(engine, req, session),
            Method::DELETE => {
                session.with_stub_book(|b| b.clear());
                empty(204)
            }
            _ => not_allowed(m, path, "GET, POST, DELETE"),
        };
    }
    if path == SCENARIOS {
        return match *m {
            Method::GET => scenarios(session),
            _ => not_allowed(m, path, "GET"),
        };
    }
    if path == "/__admin/scenarios/reset" {
        return match *m {
            Method::POST => {
                session.with_stub_book(|b| b.reset_scenarios());
                empty(204)
            }
            _ => not_allowed(m, path, "POST"),
        };
    }
    if let Some(id) = one(STUBS) {
        let listed = session.with_stub_book(|b| b.get(&id).map(|s| s.to_json()));
        return match (m.clone(), listed) {
            (Method::GET | Method::DELETE, None) => {
                problem(404, format!("There is no stub {id:?} in this session."))
            }
            (Method::GET, Some(stub)) => json_answer(stub),
            (Method::DELETE, Some(_)) => {
                session.with_stub_book(|b| b.remove(&id));
                empty(204)
            }
            _ => not_allowed(m, "/__admin/stubs/{id}", "GET, DELETE"),
        };
    }
    match (one(SCENARIOS), m.clone()) {
        (Some(name), Method::PUT) => set_scenario(req, session, &name),
        _ => not_allowed(m, "/__admin/scenarios/{name}", "PUT"),
    }
}

fn create(engine: &Engine, req: &MockRequest, session: &Session) -> Outcome {
    let value: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(e) => return problem(400, format!("The body is not a JSON stub: {e}.")),
    };
    match add(engine, session, &value) {
        Ok(stub) => {
            let mut outcome = json_answer(stub);
            outcome.response.status = 201;
            outcome
        }
        Err(error) => refusal(&error),
    }
}

/// Adds the stub `value` to `session`: the stub as listed, or why it is refused.
fn add(engine: &Engine, session: &Session, value: &Value) -> Result<Value, StubError> {
    let spec = spec::parse(value)?;
    let asked = spec.id.clone();
    let fresh = session.with_stub_book(|b| b.fresh_id());
    let mut stub = super::compile(engine, spec, &fresh)?;
    let listed = session
        .with_stub_book(|b| {
            // Another request of the session took the fresh id meanwhile: take the next.
            if asked.is_none() && b.get(&stub.id).is_some() {
                let id = b.fresh_id();
                if let Some(map) = std::sync::Arc::make_mut(&mut stub.definition).as_object_mut() {
                    map.insert("id".to_owned(), Value::from(id.as_str()));
                }
                stub.id = id.into();
            }
            let listed = stub.to_json();
            b.add(stub).then_some(listed)
        })
        .ok_or_else(|| StubError::TakenId(asked.unwrap_or(fresh)))?;
    tracing::info!(session = %session.name, stub = %listed["id"], "added a stub");
    Ok(listed)
}

impl Engine {
    /// `POST /__admin/stubs` without HTTP: adds the stub `stub` (the same JSON) to the session
    /// `session` (`""`: the default one); the stub as listed, with its `id`, or why it is
    /// refused (a [`StubError::Breaks`] carries the violations).
    pub fn add_stub(&self, session: &str, stub: &Value) -> Result<Value, StubError> {
        add(self, &self.sessions().get(session), stub)
    }
}

/// A refused stub: its status, its words, and the violations of a stub breaking the spec.
pub fn refusal(error: &StubError) -> Outcome {
    match error {
        StubError::Breaks { violations, .. } => {
            problem_with(error.status(), error.to_string(), violations.clone())
        }
        other => problem(other.status(), other.to_string()),
    }
}

fn scenarios(session: &Session) -> Outcome {
    let listed: Vec<Value> = session.with_stub_book(|b| {
        b.scenarios()
            .into_iter()
            .map(|(name, state)| json!({"name": name, "state": state}))
            .collect()
    });
    json_answer(json!({"session": session.name, "scenarios": listed}))
}

fn set_scenario(req: &MockRequest, session: &Session, name: &str) -> Outcome {
    let state = serde_json::from_slice::<Value>(&req.body)
        .ok()
        .and_then(|v| v.get("state").and_then(Value::as_str).map(str::to_owned))
        .filter(|s| !s.trim().is_empty());
    let Some(state) = state else {
        return problem(
            400,
            "Give the scenario's new state: {\"state\": \"...\"}.".to_owned(),
        );
    };
    if session.with_stub_book(|b| b.set_state(name, &state)) {
        json_answer(json!({"name": name, "state": state}))
    } else {
        problem(
            404,
            format!("No stub of this session names the scenario {name:?}."),
        )
    }
}

fn not_allowed(method: &Method, path: &str, allow: &str) -> Outcome {
    let mut outcome = problem(405, format!("{method} is not allowed on {path}."));
    push_header(&mut outcome.response, header::ALLOW, allow);
    outcome
}
