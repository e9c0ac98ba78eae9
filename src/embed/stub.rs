//! A stub written in Rust: [`Stub`] builds the JSON `POST /__admin/stubs` takes (the format
//! of `docs/stubs.md`), so a stub added from a test and one posted by a script are the same
//! thing, checked against the document the same way.

use std::time::Duration;

use serde_json::{Map, Value, json};

pub use crate::operation::respond::Fault;

/// A stub: which requests it answers, and how. Built from a match
/// ([`Stub::on`], [`Stub::operation`]) and refined; or taken as the control API's JSON
/// (`Stub::from(json!({...}))`).
///
/// ```
/// use understudy::{Fault, Stub};
/// let stub = Stub::on("GET", "/v1/spaces/{spaceId}/permissions/users")
///     .query("limit", "2")
///     .status(404)
///     .body(serde_json::json!({"error": {"code": 404, "message": "Not found"}}))
///     .delay(std::time::Duration::from_millis(200))
///     .times(2);
/// assert_eq!(stub.json()["answer"]["delay_ms"], 200);
/// let broken = Stub::operation("listUserPermissionsInSpace").fault(Fault::Reset);
/// assert_eq!(broken.json()["answer"]["fault"], "reset");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use = "a stub does nothing until added with `MockServer::stub`"]
pub struct Stub(Value);

impl Stub {
    /// Requests of `method` on `path`: an exact path (`/v1/spaces/abc/permissions/users`) or
    /// a template as the document writes it, with or without the document's base path.
    pub fn on(method: &str, path: &str) -> Stub {
        Stub(json!({"match": {"method": method, "path": path}, "answer": {}}))
    }

    /// Every request routed to the operation `operation_id`.
    pub fn operation(operation_id: &str) -> Stub {
        Stub(json!({"match": {"operationId": operation_id}, "answer": {}}))
    }

    /// Only requests whose query has `name=value`.
    pub fn query(self, name: &str, value: &str) -> Stub {
        self.set(&["match", "query", name], json!(value))
    }

    /// Only requests with the header `name: value` (the name in any case).
    pub fn header(self, name: &str, value: &str) -> Stub {
        self.set(&["match", "headers", name], json!(value))
    }

    /// Only requests whose JSON body holds `subset`: every member it names, recursively.
    pub fn body_contains(self, subset: Value) -> Stub {
        self.set(&["match", "body"], subset)
    }

    /// The answer's status (it must be one the operation declares); by default its first
    /// 2xx.
    pub fn status(self, status: u16) -> Stub {
        self.set(&["answer", "status"], json!(status))
    }

    /// The answer's body (it must fit the declared response).
    pub fn body(self, body: Value) -> Stub {
        self.set(&["answer", "body"], body)
    }

    /// An answer header; declared ones the stub leaves out are filled in.
    pub fn answer_header(self, name: &str, value: &str) -> Stub {
        self.set(&["answer", "headers", name], json!(value))
    }

    /// The response's example named `name` as the body.
    pub fn example(self, name: &str) -> Stub {
        self.set(&["answer", "example"], json!(name))
    }

    /// A body generated from the response's schema.
    pub fn generated(self) -> Stub {
        self.set(&["answer", "generated"], json!(true))
    }

    /// Holds the answer back this long (other requests are not held).
    pub fn delay(self, delay: Duration) -> Stub {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.set(&["answer", "delay_ms"], json!(ms))
    }

    /// Breaks the answer instead of sending it whole.
    pub fn fault(self, fault: Fault) -> Stub {
        self.set(&["answer", "fault"], json!(fault.as_str()))
    }

    /// Answers `n` times, then lets requests through to the mock.
    pub fn times(self, n: u64) -> Stub {
        self.set(&["times"], json!(n))
    }

    /// Consulted before stubs of a larger number (1 first; 5 by default).
    pub fn priority(self, priority: u32) -> Stub {
        self.set(&["priority"], json!(priority))
    }

    /// Answers only while `scenario` is in state `requires` (every scenario starts in
    /// `started`), and moves it to `then` when it answers.
    pub fn in_scenario(self, scenario: &str, requires: &str, then: Option<&str>) -> Stub {
        let stub = self
            .set(&["scenario"], json!(scenario))
            .set(&["requires"], json!(requires));
        match then {
            Some(then) => stub.set(&["then"], json!(then)),
            None => stub,
        }
    }

    /// The stub in the control API's JSON.
    pub fn json(&self) -> &Value {
        &self.0
    }

    fn set(mut self, path: &[&str], value: Value) -> Stub {
        let Some((last, parents)) = path.split_last() else {
            return self;
        };
        let mut at = &mut self.0;
        for key in parents {
            if !at.is_object() {
                *at = Value::Object(Map::new());
            }
            let Value::Object(map) = at else { break };
            at = map
                .entry((*key).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
        }
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        if let Value::Object(map) = at {
            map.insert((*last).to_owned(), value);
        }
        self
    }
}

/// The stub in the control API's JSON, as `POST /__admin/stubs` takes it.
impl From<Value> for Stub {
    fn from(json: Value) -> Stub {
        Stub(json)
    }
}

/// Why a stub was not added: the control API's answer to it, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}{}", if violations.is_empty() { String::new() } else { format!(" {}", violations.join("; ")) })]
#[non_exhaustive]
pub struct StubRefused {
    /// The status `POST /__admin/stubs` would have answered (400, or 409 for a taken id).
    pub status: u16,
    pub message: String,
    /// How the answer breaks the document, one violation each (`body.items: ...`).
    pub violations: Vec<String>,
}
