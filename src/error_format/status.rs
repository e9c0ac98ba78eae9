//! The ways an HTTP status can be said in a status-like member: the number, its digits, the
//! google.rpc canonical codes and the reason phrase.

use serde_json::{Value, json};

pub(super) fn status_candidates(status: u16) -> Vec<Value> {
    status_candidates_lazily(status).collect()
}

/// The ways a status can be said, most faithful first: the number, its digits, the canonical
/// codes, the reason phrase.
pub(super) fn status_candidates_lazily(status: u16) -> impl Iterator<Item = Value> {
    std::iter::once_with(move || json!(status))
        .chain(std::iter::once_with(move || json!(status.to_string())))
        .chain(canonical_codes(status).iter().map(|c| json!(c)))
        .chain(reason_phrase(status).into_iter().map(|r| json!(r)))
}

/// The google.rpc canonical codes an HTTP status stands for, most usual first.
fn canonical_codes(status: u16) -> &'static [&'static str] {
    match status {
        400 | 422 => &["INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE"],
        401 => &["UNAUTHENTICATED"],
        403 => &["PERMISSION_DENIED"],
        404 => &["NOT_FOUND"],
        409 => &["ALREADY_EXISTS", "ABORTED"],
        412 => &["FAILED_PRECONDITION"],
        416 => &["OUT_OF_RANGE"],
        429 => &["RESOURCE_EXHAUSTED"],
        499 => &["CANCELLED"],
        500 => &["INTERNAL", "UNKNOWN", "DATA_LOSS"],
        501 => &["UNIMPLEMENTED"],
        503 => &["UNAVAILABLE"],
        504 => &["DEADLINE_EXCEEDED"],
        _ => &[],
    }
}

/// The reason phrase, as `http` knows it (`Not Found`; `Unprocessable Entity` and
/// `Payload Too Large`, the names titles are given too, rather than RFC 9110's newer ones).
fn reason_phrase(status: u16) -> Option<&'static str> {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
}
