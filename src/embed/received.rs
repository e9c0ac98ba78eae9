//! A request the server received, as a test asks about it: read from the journal's own JSON
//! (what `GET /__admin/requests` answers), so the library and the control API can never
//! tell a test two different stories.

use serde::Deserialize;

/// One request in a session's journal, with what the server made of it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Received {
    pub method: String,
    /// The path as sent (still percent-encoded), without the query.
    pub path: String,
    /// The query string as sent, without the `?`.
    pub query: Option<String>,
    /// The operation it was routed to; `None` for a path or method no document serves.
    #[serde(rename = "operationId")]
    pub operation_id: Option<String>,
    /// The status of the answer.
    pub status: u16,
    /// What was wrong with the request, as its error answer said.
    #[serde(default)]
    pub violations: Vec<ReceivedViolation>,
    /// The stub that answered it, if one did.
    #[serde(default)]
    pub stub: Option<String>,
}

/// One violation of a [`Received`] request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ReceivedViolation {
    /// Where: `query.limit`, `body.users[0].email`, `header.Authorization`.
    pub path: String,
    /// The rule broken (`required`, `type`, `format`, ...).
    pub keyword: String,
    pub message: String,
}

impl Received {
    /// Whether it was `method` on `operation` (an operationId), the question most tests ask.
    pub fn is(&self, method: &str, operation: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && self.operation_id.as_deref() == Some(operation)
    }
}
