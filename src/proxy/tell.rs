//! What the proxy says about an exchange, where a user looks: the failures in words (the log
//! line, `X-Understudy-Violations`), the journal's record of it (`/__admin/requests`), and
//! its own answers in problem+json (the upstream failed, or broke the contract under
//! `--errors`).

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use serde_json::{Value, json};

use crate::conformance::checks::{Judged, Verdict};
use crate::mock::exchange::RequestFindings;
use crate::mock::message::{MockResponse, push_header};

/// How many things broke in an exchange, on the answer the client gets.
pub static VIOLATIONS: HeaderName = HeaderName::from_static("x-understudy-violations");

/// Set when the mock answered in the upstream's place (`--fallback mock`).
pub static FALLBACK: HeaderName = HeaderName::from_static("x-understudy-fallback");

/// What is wrong with the request (as the server's pipeline reads it), one item each.
pub fn request_failures(findings: Option<&RequestFindings>) -> Vec<String> {
    let Some(findings) = findings else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(detail) = &findings.unauthenticated {
        out.push(format!("request: {detail}"));
    }
    if let Some(detail) = &findings.unsupported_media_type {
        out.push(format!("request: {detail}"));
    }
    out.extend(findings.violations.iter().map(|v| format!("request: {v}")));
    out
}

/// Each failed verdict, as `check: expected ..., got ...`.
pub fn verdict_failures(judged: &Judged) -> impl Iterator<Item = String> + '_ {
    judged.verdicts.iter().filter_map(|v| {
        v.mismatch
            .as_ref()
            .map(|m| format!("{}: expected {}, got {}", v.rule, m.expected, m.got))
    })
}

/// `X-Understudy-Violations: N` on an answer, when anything broke.
pub fn mark(response: &mut MockResponse, failures: usize) {
    if failures > 0 {
        push_header(response, VIOLATIONS.clone(), &failures.to_string());
    }
}

/// The proxy's own answer: problem+json (RFC 9457) with `status`, `detail`, and the
/// violations it is about, if any.
pub fn problem(status: u16, detail: &str, violations: &[String]) -> MockResponse {
    let title = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let mut body = json!({
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    });
    if !violations.is_empty()
        && let Some(map) = body.as_object_mut()
    {
        map.insert("violations".to_owned(), json!(violations));
    }
    MockResponse {
        status,
        headers: vec![(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        )],
        body: Bytes::from(body.to_string()),
    }
}

/// The journal's record of a forwarded exchange: what the upstream answered (its body kept
/// when the client got another one), and the verdicts.
pub fn journal(upstream: Upstream<'_>, judged: Option<&Judged>) -> Value {
    let mut out = json!({ "upstream": upstream.status_or_error() });
    let Some(map) = out.as_object_mut() else {
        return out;
    };
    if let Upstream::Replaced(answer) = upstream {
        map.insert(
            "upstreamBody".to_owned(),
            json!(String::from_utf8_lossy(&answer.body)),
        );
    }
    if let Some(judged) = judged {
        let verdicts: Vec<Value> = judged.verdicts.iter().map(verdict_json).collect();
        map.insert("verdicts".to_owned(), Value::Array(verdicts));
    }
    out
}

/// What came of the upstream, for the journal.
pub enum Upstream<'a> {
    /// Its answer went to the client.
    Passed(u16),
    /// Its answer was replaced (it broke the contract under `--errors`).
    Replaced(&'a MockResponse),
    /// No answer came (why, in words).
    Failed(&'a str),
}

impl Upstream<'_> {
    fn status_or_error(&self) -> Value {
        match self {
            Upstream::Passed(status) => json!({ "status": status }),
            Upstream::Replaced(answer) => json!({ "status": answer.status, "replaced": true }),
            Upstream::Failed(why) => json!({ "error": why }),
        }
    }
}

fn verdict_json(v: &Verdict) -> Value {
    match &v.mismatch {
        None => json!({ "check": v.rule.name(), "passed": true }),
        Some(m) => json!({
            "check": v.rule.name(),
            "passed": false,
            "expected": m.expected,
            "got": m.got,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_names_its_status_and_the_violations() {
        let answer = problem(
            502,
            "The upstream broke the contract.",
            &["a: b".to_owned()],
        );
        assert_eq!(answer.status, 502);
        assert_eq!(
            answer.header("content-type"),
            Some("application/problem+json")
        );
        let body: Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(body["title"], "Bad Gateway");
        assert_eq!(body["violations"][0], "a: b");
        let plain: Value = serde_json::from_slice(&problem(504, "late", &[]).body).unwrap();
        assert_eq!(plain["title"], "Gateway Timeout");
        assert!(plain.get("violations").is_none());
    }

    #[test]
    fn the_violation_count_is_set_only_when_something_broke() {
        let mut answer = problem(200, "", &[]);
        mark(&mut answer, 0);
        assert_eq!(answer.header("x-understudy-violations"), None);
        mark(&mut answer, 3);
        assert_eq!(answer.header("x-understudy-violations"), Some("3"));
    }
}
