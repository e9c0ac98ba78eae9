//! The verdicts on an answer whose status the operation declares: a `Content-Type` among the
//! declared media types, a body valid against their schema, the declared headers present and
//! valid. Each is judged by the mock's own answer check (`respond`), and only told here as
//! the named check it fails.

use http::Method;

use super::{Check, Verdict, short};
use crate::mock::message::{MockRequest, MockResponse};
use crate::operation::api::Operation;
use crate::operation::respond::{self, Body, ResponseSpec, Sent, StatusKey};
use crate::schema::violation::Keyword;

/// Content type, schema and headers of an answer whose status is declared; only those of
/// them `selected`: reading the body is most of what judging costs (the proxy's, above all),
/// so it is not read for nothing.
pub(super) fn response_checks(
    spec: &ResponseSpec,
    req: &MockRequest,
    resp: &MockResponse,
    selected: &[Check],
) -> Vec<Verdict> {
    let mut out = Vec::new();
    if !spec.header_checks.is_empty() && selected.contains(&Check::ResponseHeadersConformance) {
        out.push(headers_verdict(spec, resp));
    }
    let body_checks = [
        Check::ContentTypeConformance,
        Check::ResponseSchemaConformance,
    ];
    if req.method == Method::HEAD || !body_checks.iter().any(|c| selected.contains(c)) {
        return out;
    }
    let sent = Sent {
        status: resp.status,
        headers: &resp.headers,
        body: &resp.body,
        value: None,
    };
    match respond::judge_body(spec, &sent) {
        Body::Unjudged => {}
        Body::Framing(violation) => {
            let offered = spec.offered.join(", ");
            let expected = match violation.keyword {
                Keyword::Json => "a JSON body, as its Content-Type says".to_owned(),
                _ => format!("a body of a declared media type ({offered})"),
            };
            out.push(Verdict::fail(
                Check::ContentTypeConformance,
                expected,
                violation.message,
            ));
        }
        Body::Judged { declared, schema } => {
            out.push(Verdict::pass(Check::ContentTypeConformance));
            if let Some((pointer, violations)) = schema {
                let texts: Vec<String> = violations.iter().map(ToString::to_string).collect();
                out.push(Verdict::decide(
                    Check::ResponseSchemaConformance,
                    violations.is_empty(),
                    format!(
                        "a body valid against {pointer} for {} {declared}",
                        spec_status(spec)
                    ),
                    format!("{} violation(s): {}", texts.len(), short(&texts)),
                ));
            }
        }
    }
    out
}

/// Declared headers: required ones present, every present one valid against its schema, as
/// the mock judges its own answers.
fn headers_verdict(spec: &ResponseSpec, resp: &MockResponse) -> Verdict {
    let problems: Vec<String> = respond::header_violations(spec, &resp.headers)
        .iter()
        .map(ToString::to_string)
        .collect();
    let names: Vec<&str> = spec.header_checks.iter().map(|h| h.name.as_str()).collect();
    Verdict::decide(
        Check::ResponseHeadersConformance,
        problems.is_empty(),
        format!(
            "the headers {} declares, valid ({})",
            spec_status(spec),
            names.join(", ")
        ),
        problems.join("; "),
    )
}

/// The declared response that describes `status`: exact, else its range, else `default`.
pub fn declared_response(op: &Operation, status: u16) -> Option<&ResponseSpec> {
    let find = |key: StatusKey| op.responses.iter().find(|r| r.status == key);
    find(StatusKey::Code(status))
        .or_else(|| find(StatusKey::Range(status / 100)))
        .or_else(|| find(StatusKey::Default))
}

fn spec_status(spec: &ResponseSpec) -> String {
    match spec.status {
        StatusKey::Code(c) => c.to_string(),
        StatusKey::Range(d) => format!("{d}XX"),
        StatusKey::Default => "default".to_owned(),
    }
}
