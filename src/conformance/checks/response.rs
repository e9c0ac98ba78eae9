//! The verdicts on an answer whose status the operation declares: a `Content-Type` among the
//! declared media types, a body valid against their schema, the declared headers present and
//! valid.

use http::{Method, header};
use serde_json::Value;

use super::{Check, Verdict, short};
use crate::mock::message::{MockRequest, MockResponse};
use crate::operation::api::Operation;
use crate::operation::negotiate;
use crate::operation::respond::{self, ResponseSpec, StatusKey};
use crate::schema::violation::Location;

/// Content type, schema and headers of an answer whose status is declared.
pub(super) fn response_checks(
    spec: &ResponseSpec,
    req: &MockRequest,
    resp: &MockResponse,
) -> Vec<Verdict> {
    let mut out = Vec::new();
    if !spec.header_checks.is_empty() {
        out.push(headers_verdict(spec, resp));
    }
    if spec.media.is_empty() || respond::bodiless(resp.status) || req.method == Method::HEAD {
        return out;
    }
    let content_type = resp.header(header::CONTENT_TYPE.as_str());
    let offered = spec.offered.join(", ");
    let Some(ct) = content_type else {
        let got = if resp.body.is_empty() {
            "no body and no Content-Type".to_owned()
        } else {
            format!("a body of {} bytes without Content-Type", resp.body.len())
        };
        out.push(Verdict::fail(
            Check::ContentTypeConformance,
            format!("a body of a declared media type ({offered})"),
            got,
        ));
        return out;
    };
    let Some(declared) = negotiate::match_content_type(ct, &spec.offered) else {
        out.push(Verdict::fail(
            Check::ContentTypeConformance,
            format!("Content-Type of a declared media type ({offered})"),
            format!("Content-Type: {ct}"),
        ));
        return out;
    };
    let media = spec.media_for(declared);
    let value = if negotiate::is_json(ct) || negotiate::is_json(declared) {
        match serde_json::from_slice::<Value>(&resp.body) {
            Ok(v) => Some(v),
            Err(e) => {
                out.push(Verdict::fail(
                    Check::ContentTypeConformance,
                    format!("a JSON body, as Content-Type: {ct} says"),
                    format!("not JSON: {e}"),
                ));
                return out;
            }
        }
    } else if ct.starts_with("text/") {
        let text = String::from_utf8_lossy(&resp.body);
        Some(match media.and_then(|m| m.validator.as_ref()) {
            Some(validator) => validator.read_text(&text),
            None => Value::String(text.into_owned()),
        })
    } else {
        None
    };
    out.push(Verdict::pass(Check::ContentTypeConformance));
    if let (Some(value), Some(validator)) = (value, media.and_then(|m| m.validator.as_ref())) {
        let violations = validator.violations(&value, &Location::Body);
        let texts: Vec<String> = violations.iter().map(ToString::to_string).collect();
        out.push(Verdict::decide(
            Check::ResponseSchemaConformance,
            violations.is_empty(),
            format!(
                "a body valid against {} for {} {declared}",
                validator.loc.pointer,
                spec_status(spec)
            ),
            format!("{} violation(s): {}", texts.len(), short(&texts)),
        ));
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
