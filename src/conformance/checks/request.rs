//! The verdicts a routed request decides, from what the server's pipeline finds wrong with
//! it: a 5xx, ignored credentials, a missing required header, broken data let through, valid
//! data refused, an undeclared status; and a method the path does not declare.

use http::{Method, header};

use super::response::{declared_response, response_checks};
use super::{Check, Verdict, short, status_text};
use crate::mock::exchange::RequestFindings;
use crate::mock::message::{MockRequest, MockResponse};
use crate::operation::api::Operation;
use crate::operation::params::ParamIn;
use crate::operation::respond::StatusKey;
use crate::schema::violation::{Keyword, Location, Violation};

/// A path the documents serve, with a method they do not declare for it.
pub(super) fn method_not_allowed(
    req: &MockRequest,
    resp: &MockResponse,
    allowed: &[Method],
) -> Vec<Verdict> {
    let mut out = vec![Verdict::decide(
        Check::NotAServerError,
        resp.status < 500,
        "an answer other than 5xx",
        status_text(resp),
    )];
    // `OPTIONS` on a served path is a CORS preflight, not an unsupported method.
    if req.method != Method::OPTIONS {
        let allow = resp.header(header::ALLOW.as_str());
        let expected = format!(
            "405 with an Allow header ({} is not declared for this path; allowed: {})",
            req.method,
            allowed
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        );
        let got = match allow {
            Some(a) => format!("{} with Allow: {a}", status_text(resp)),
            None => format!("{} without Allow", status_text(resp)),
        };
        out.push(Verdict::decide(
            Check::UnsupportedMethod,
            resp.status == 405 && allow.is_some(),
            expected,
            got,
        ));
    }
    out
}

/// The per-exchange checks of a routed request.
pub(super) fn judge_operation(
    op: &Operation,
    req: &MockRequest,
    resp: &MockResponse,
    findings: &RequestFindings,
    selected: &[Check],
) -> Vec<Verdict> {
    let status = resp.status;
    let declared = declared_response(op, status);
    let mut out = Vec::new();

    let declares_5xx = op.responses.iter().any(|r| {
        matches!(r.status, StatusKey::Code(c) if c == status) || r.status == StatusKey::Range(5)
    });
    out.push(Verdict::decide(
        Check::NotAServerError,
        status < 500 || declares_5xx,
        "an answer other than 5xx (or a 5xx the operation declares)",
        status_text(resp),
    ));

    if !op.security.is_open()
        && let Some(why) = &findings.unauthenticated
    {
        out.push(Verdict::decide(
            Check::IgnoredAuth,
            status == 401,
            format!("401: the operation is secured and {}", lower_first(why)),
            status_text(resp),
        ));
    }

    let missing_headers: Vec<&Violation> = findings
        .violations
        .iter()
        .filter(|v| v.keyword == Keyword::Required && matches!(v.location, Location::Header(..)))
        .collect();
    if !missing_headers.is_empty() {
        out.push(Verdict::decide(
            Check::MissingRequiredHeader,
            (400..500).contains(&status),
            format!("a 4xx: the request lacks {}", list(&missing_headers)),
            status_text(resp),
        ));
    }

    if !findings.violations.is_empty() || findings.unsupported_media_type.is_some() {
        let mut why: Vec<String> = findings
            .violations
            .iter()
            .map(ToString::to_string)
            .collect();
        why.extend(findings.unsupported_media_type.iter().cloned());
        out.push(Verdict::decide(
            Check::NegativeDataRejection,
            (400..500).contains(&status),
            format!("a 4xx: the request breaks the spec ({})", short(&why)),
            status_text(resp),
        ));
    }

    if findings.is_valid() {
        let business_rule = status == 422 && declared.is_some();
        out.push(Verdict::decide(
            Check::PositiveDataAcceptance,
            !matches!(status, 400 | 415 | 422) || business_rule,
            "not 400, 415 or an undeclared 422: the request conforms to the spec",
            status_text(resp),
        ));
        let names_a_thing = op.params.iter().any(|p| p.plan.location == ParamIn::Path);
        out.push(Verdict::decide(
            Check::StatusCodeConformance,
            declared.is_some() || (status == 404 && names_a_thing),
            format!("a status the operation declares ({})", declared_list(op)),
            status.to_string(),
        ));
    }

    if let Some(spec) = declared {
        out.extend(response_checks(spec, req, resp, selected));
    }
    out
}

fn declared_list(op: &Operation) -> String {
    let keys: Vec<String> = op
        .responses
        .iter()
        .map(|r| match r.status {
            StatusKey::Code(c) => c.to_string(),
            StatusKey::Range(d) => format!("{d}XX"),
            StatusKey::Default => "default".to_owned(),
        })
        .collect();
    if keys.is_empty() {
        "none declared".to_owned()
    } else {
        keys.join(", ")
    }
}

fn list(violations: &[&Violation]) -> String {
    violations
        .iter()
        .map(|v| v.path())
        .collect::<Vec<_>>()
        .join(", ")
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
