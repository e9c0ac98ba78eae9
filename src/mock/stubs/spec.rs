//! The stub format, as `POST /__admin/stubs` takes it, `--stubs DIR` files hold it and the
//! state file saves it, and what can be wrong with a stub ([`StubError`]).
//!
//! ```json
//! {"match": {"method": "GET", "path": "/v1/spaces/{spaceId}/permissions/users",
//!            "query": {"limit": "2"}, "headers": {"x-trace": "1"}, "body": {"role": "admin"}},
//!  "answer": {"status": 404, "headers": {...}, "body": {...}, "delay_ms": 200, "fault": "reset"},
//!  "times": 2, "priority": 1, "scenario": "pay", "requires": "started", "then": "failed"}
//! ```
//!
//! Unknown keys are refused (a typo would otherwise match everything); the keys the control API
//! adds when it lists a stub (`matched`, `remaining`) are read and ignored, so a listed stub
//! can be posted or saved to a file as it is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::schema::violation::Violation;

/// The priority of a stub that names none (WireMock's: 1 is consulted first).
pub const DEFAULT_PRIORITY: u32 = 5;

/// One stub as given.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StubSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "match")]
    pub matcher: MatchSpec,
    #[serde(default)]
    pub answer: AnswerSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub then: Option<String>,
    /// Listed, never read: how often the stub matched.
    #[serde(default, skip_serializing)]
    pub matched: Option<Value>,
    /// Listed, never read: how many answers the stub has left.
    #[serde(default, skip_serializing)]
    pub remaining: Option<Value>,
}

/// Which requests a stub answers: all of what it names.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// An exact path or a template of a served document, with or without its mount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(
        default,
        rename = "operationId",
        skip_serializing_if = "Option::is_none"
    )]
    pub operation_id: Option<String>,
    /// Query parameters, each equal to its value as text (a request may have more).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, Scalar>,
    /// Headers (any case), each equal to its value (a request may have more).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Scalar>,
    /// A JSON subset of the body: every member given matches, recursively.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// What a stub answers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerSpec {
    /// The operation's first success when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// A named example of the response (`"name"`), or its first (`true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<Value>,
    /// A body generated from the response's schema (from `--seed`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub generated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<DelaySpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

/// `delay_ms`: a number, or a range drawn from uniformly.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DelaySpec {
    Fixed(u32),
    Range { min: u32, max: u32 },
}

/// A query, header value: text, or a number or boolean read as its text.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
}

impl Scalar {
    pub fn text(&self) -> String {
        match self {
            Scalar::Text(s) => s.clone(),
            Scalar::Number(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

/// What is wrong with a stub: each variant is a 400 of the control API (a taken id a 409),
/// worded for its `detail`; [`StubError::Breaks`] carries the violations.
#[derive(Debug, thiserror::Error)]
pub enum StubError {
    #[error("The stub cannot be read: {0}.")]
    Format(String),
    #[error("The stub's {field} is wrong: {why}")]
    Field { field: &'static str, why: String },
    #[error(
        "The stub names no operation: give `match.method` and `match.path`, or \
         `match.operationId`."
    )]
    NoTarget,
    #[error("{0}")]
    NoOperation(String),
    #[error(
        "The stub's answer breaks the responses {operation} declares ({count} violation(s)); \
         serve with --allow-off-spec-stubs to allow it."
    )]
    Breaks {
        operation: String,
        count: usize,
        violations: Vec<Violation>,
    },
    #[error("There is already a stub with the id {0:?} in this session.")]
    TakenId(String),
}

impl StubError {
    pub fn status(&self) -> u16 {
        match self {
            StubError::TakenId(_) => 409,
            _ => 400,
        }
    }

    pub fn field(field: &'static str, why: impl Into<String>) -> StubError {
        StubError::Field {
            field,
            why: why.into(),
        }
    }
}

/// Reads a stub from JSON (or YAML read as JSON).
pub fn parse(value: &Value) -> Result<StubSpec, StubError> {
    StubSpec::deserialize(value).map_err(|e| StubError::Format(e.to_string()))
}
