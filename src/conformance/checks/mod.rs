//! The named contract checks: for each exchange (a request and the answer it got), a verdict
//! per check that applies, judged with the validators and request pipeline the mock serves
//! with. `understudy validate` feeds recorded traffic through a [`Checker`]; `understudy check`
//! feeds live traffic through the same one.
//!
//! Which checks apply is decided from the request itself, as the server's pipeline reads it
//! ([`crate::mock::exchange::inspect_request`]): a request with a violation is judged by
//! `negative_data_rejection`, a valid one by `positive_data_acceptance` and
//! `status_code_conformance`, one without credentials by `ignored_auth`. The response checks
//! (content type, schema, headers) apply whenever the answer's status is declared.
//!
//! # Implementation rationale
//!
//! `status_code_conformance` is not applied to requests the server rightly rejected: a 400
//! for a broken body is the protocol's answer even where a document declares no 400, and its
//! rejection is what `negative_data_rejection`, `missing_required_header` and `ignored_auth`
//! judge. Two answers to a schema-valid request are accepted though a document may not list
//! them: 404 from an operation with path parameters (the thing a generated id names rarely
//! exists), and a 422 the operation's responses cover (exactly, by range or `default`): a
//! business rule the schema cannot express, such as an unknown space in an allocation; 400
//! and 415 are never right for a valid request. Whether a bearer token is *known* cannot be told from a document, so a request
//! with well-formed credentials counts as authenticated.

mod stories;

use std::fmt;
use std::str::FromStr;

use http::{Method, header};
use serde_json::Value;

use crate::mock::engine::{Engine, Routed};
use crate::mock::exchange::{RequestFindings, inspect_request};
use crate::mock::message::{MockRequest, MockResponse};
use crate::operation::api::Operation;
use crate::operation::negotiate;
use crate::operation::params::ParamIn;
use crate::operation::respond::{self, ResponseSpec, StatusKey};
use crate::schema::violation::{Keyword, Location, Violation};

pub use stories::Stories;
pub(crate) use stories::created_id;

/// The named checks, each selectable with `--checks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Check {
    NotAServerError,
    StatusCodeConformance,
    ContentTypeConformance,
    ResponseSchemaConformance,
    ResponseHeadersConformance,
    NegativeDataRejection,
    PositiveDataAcceptance,
    UnsupportedMethod,
    MissingRequiredHeader,
    IgnoredAuth,
    UseAfterFree,
    EnsureResourceAvailability,
}

impl Check {
    /// Every check, in the order reports list them.
    pub const ALL: [Check; 12] = [
        Check::NotAServerError,
        Check::StatusCodeConformance,
        Check::ContentTypeConformance,
        Check::ResponseSchemaConformance,
        Check::ResponseHeadersConformance,
        Check::NegativeDataRejection,
        Check::PositiveDataAcceptance,
        Check::UnsupportedMethod,
        Check::MissingRequiredHeader,
        Check::IgnoredAuth,
        Check::UseAfterFree,
        Check::EnsureResourceAvailability,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Check::NotAServerError => "not_a_server_error",
            Check::StatusCodeConformance => "status_code_conformance",
            Check::ContentTypeConformance => "content_type_conformance",
            Check::ResponseSchemaConformance => "response_schema_conformance",
            Check::ResponseHeadersConformance => "response_headers_conformance",
            Check::NegativeDataRejection => "negative_data_rejection",
            Check::PositiveDataAcceptance => "positive_data_acceptance",
            Check::UnsupportedMethod => "unsupported_method",
            Check::MissingRequiredHeader => "missing_required_header",
            Check::IgnoredAuth => "ignored_auth",
            Check::UseAfterFree => "use_after_free",
            Check::EnsureResourceAvailability => "ensure_resource_availability",
        }
    }

    /// A `--checks` list: names separated by commas (`all` for every check); blanks and
    /// repeats are ignored.
    pub fn parse_list(list: &str) -> Result<Vec<Check>, UnknownCheck> {
        let mut out = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name == "all" {
                return Ok(Check::ALL.to_vec());
            }
            let check = name.parse::<Check>()?;
            if !out.contains(&check) {
                out.push(check);
            }
        }
        out.sort();
        Ok(out)
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of the checks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a check; the checks are: {names}", names = Check::ALL.map(Check::name).join(", "))]
pub struct UnknownCheck(pub String);

impl FromStr for Check {
    type Err = UnknownCheck;

    fn from_str(s: &str) -> Result<Check, UnknownCheck> {
        Check::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| UnknownCheck(s.to_owned()))
    }
}

/// What a verdict is about: a named check, or traffic that no served operation matches
/// (always reported, whatever `--checks` selects).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    Check(Check),
    UnknownOperation,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::Check(c) => c.name(),
            Rule::UnknownOperation => "unknown_operation",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What was expected and what came back, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub expected: String,
    pub got: String,
}

/// One rule decided for one exchange: passed (`mismatch` is `None`) or failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub rule: Rule,
    pub mismatch: Option<Mismatch>,
}

impl Verdict {
    fn pass(check: Check) -> Verdict {
        Verdict {
            rule: Rule::Check(check),
            mismatch: None,
        }
    }

    fn fail(check: Check, expected: impl Into<String>, got: impl Into<String>) -> Verdict {
        Verdict {
            rule: Rule::Check(check),
            mismatch: Some(Mismatch {
                expected: expected.into(),
                got: got.into(),
            }),
        }
    }

    /// Passes when `ok`, else fails with what was expected and what came back.
    fn decide(check: Check, ok: bool, expected: impl Into<String>, got: impl Into<String>) -> Self {
        if ok {
            Verdict::pass(check)
        } else {
            Verdict::fail(check, expected, got)
        }
    }

    pub fn passed(&self) -> bool {
        self.mismatch.is_none()
    }
}

/// The verdicts of one exchange, and the operation it was matched to.
#[derive(Debug, Clone, Default)]
pub struct Judged {
    pub operation: Option<String>,
    pub verdicts: Vec<Verdict>,
}

/// Judges exchanges against the documents an [`Engine`] serves. Story checks
/// (`use_after_free`, `ensure_resource_availability`) remember what earlier exchanges did, so
/// feed one story's exchanges in the order they happened.
pub struct Checker<'e> {
    engine: &'e Engine,
    selected: Vec<Check>,
    stories: Stories,
}

impl<'e> Checker<'e> {
    /// `selected` empty means every check.
    pub fn new(engine: &'e Engine, selected: &[Check]) -> Checker<'e> {
        let selected = if selected.is_empty() {
            Check::ALL.to_vec()
        } else {
            selected.to_vec()
        };
        Checker {
            engine,
            selected,
            stories: Stories::default(),
        }
    }

    pub fn selected(&self) -> &[Check] {
        &self.selected
    }

    /// Forgets earlier exchanges: the next one starts a new story.
    pub fn new_story(&mut self) {
        self.stories = Stories::default();
    }

    /// Every selected check that applies to this exchange, decided.
    pub fn judge(&mut self, req: &MockRequest, resp: &MockResponse) -> Judged {
        let mut judged = match self.engine.route_of(&req.method, &req.path) {
            Routed::NotFound => Judged {
                operation: None,
                verdicts: vec![Verdict {
                    rule: Rule::UnknownOperation,
                    mismatch: Some(Mismatch {
                        expected: "a path that an operation of the served documents declares"
                            .to_owned(),
                        got: format!("{} {} matches no operation", req.method, req.path),
                    }),
                }],
            },
            Routed::MethodNotAllowed { allowed, .. } => Judged {
                operation: None,
                verdicts: method_not_allowed(req, resp, &allowed),
            },
            Routed::Operation {
                api,
                op,
                raw_params,
            } => {
                let findings = inspect_request(op, req, &raw_params);
                let mut verdicts = judge_operation(op, req, resp, &findings);
                verdicts.extend(self.stories.observe(api, op, req, resp));
                Judged {
                    operation: Some(op.id.to_string()),
                    verdicts,
                }
            }
        };
        judged.verdicts.retain(|v| match v.rule {
            Rule::Check(c) => self.selected.contains(&c),
            Rule::UnknownOperation => true,
        });
        judged
    }
}

/// A path the documents serve, with a method they do not declare for it.
fn method_not_allowed(req: &MockRequest, resp: &MockResponse, allowed: &[Method]) -> Vec<Verdict> {
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
fn judge_operation(
    op: &Operation,
    req: &MockRequest,
    resp: &MockResponse,
    findings: &RequestFindings,
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
        out.extend(response_checks(spec, req, resp));
    }
    out
}

/// Content type, schema and headers of an answer whose status is declared.
fn response_checks(spec: &ResponseSpec, req: &MockRequest, resp: &MockResponse) -> Vec<Verdict> {
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
        Some(Value::String(
            String::from_utf8_lossy(&resp.body).into_owned(),
        ))
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

/// Declared headers: required ones present, every present one valid against its schema.
fn headers_verdict(spec: &ResponseSpec, resp: &MockResponse) -> Verdict {
    let mut problems = Vec::new();
    for h in &spec.header_checks {
        let values: Vec<&str> = resp
            .headers
            .iter()
            .filter(|(n, _)| n.as_str().eq_ignore_ascii_case(&h.name))
            .filter_map(|(_, v)| v.to_str().ok())
            .collect();
        if values.is_empty() {
            if h.required {
                problems.push(format!("{} is missing", h.name));
            }
            continue;
        }
        let Some(plan) = &h.plan else { continue };
        match plan.from_header(&values.join(",")) {
            Err(v) => problems.push(format!("{}: {}", h.name, v.message)),
            Ok(value) => {
                if let Some(validator) = &h.validator {
                    for v in validator.violations(&value, &Location::Body) {
                        problems.push(format!("{}: {}", h.name, v.message));
                    }
                }
            }
        }
    }
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

fn spec_status(spec: &ResponseSpec) -> String {
    match spec.status {
        StatusKey::Code(c) => c.to_string(),
        StatusKey::Range(d) => format!("{d}XX"),
        StatusKey::Default => "default".to_owned(),
    }
}

fn status_text(resp: &MockResponse) -> String {
    resp.status.to_string()
}

fn list(violations: &[&Violation]) -> String {
    violations
        .iter()
        .map(|v| v.path())
        .collect::<Vec<_>>()
        .join(", ")
}

/// At most three items, and how many more.
fn short(items: &[String]) -> String {
    let mut text = items.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
    if items.len() > 3 {
        text.push_str(&format!("; and {} more", items.len() - 3));
    }
    text
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A request as reports show it, with a `curl` command that sends it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSummary {
    pub method: String,
    /// Absolute when the origin is known.
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy for binary bodies); `None` without one.
    pub body: Option<String>,
}

/// Where requests whose recording names no host are sent again: the mock's own address.
pub const DEFAULT_ORIGIN: &str = "http://127.0.0.1:4010";

/// Headers a `curl` command sets by itself.
const CURL_SETS: &[&str] = &["host", "content-length", "connection", "transfer-encoding"];

impl RequestSummary {
    /// `origin` is `scheme://host[:port]`; without one, [`DEFAULT_ORIGIN`].
    pub fn of(req: &MockRequest, origin: Option<&str>) -> RequestSummary {
        let origin = origin.unwrap_or(DEFAULT_ORIGIN).trim_end_matches('/');
        let mut url = format!("{origin}{}", req.path);
        if let Some(q) = &req.query {
            url.push('?');
            url.push_str(q);
        }
        RequestSummary {
            method: req.method.to_string(),
            url,
            headers: req
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: (!req.body.is_empty()).then(|| String::from_utf8_lossy(&req.body).into_owned()),
        }
    }

    /// A shell command that sends the request again.
    pub fn curl(&self) -> String {
        let mut out = String::from("curl");
        if self.method != "GET" {
            out.push_str(" -X ");
            out.push_str(&self.method);
        }
        out.push(' ');
        out.push_str(&shell_quote(&self.url));
        for (name, value) in &self.headers {
            if CURL_SETS.contains(&name.to_ascii_lowercase().as_str()) {
                continue;
            }
            out.push_str(" -H ");
            out.push_str(&shell_quote(&format!("{name}: {value}")));
        }
        if let Some(body) = &self.body {
            out.push_str(" --data-raw ");
            out.push_str(&shell_quote(body));
        }
        out
    }
}

/// Single-quoted for POSIX shells.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_names_round_trip_and_lists_parse() {
        for c in Check::ALL {
            assert_eq!(c.name().parse::<Check>(), Ok(c));
        }
        assert_eq!(
            Check::parse_list("ignored_auth, not_a_server_error,ignored_auth"),
            Ok(vec![Check::NotAServerError, Check::IgnoredAuth])
        );
        assert_eq!(Check::parse_list("all").map(|l| l.len()), Ok(12));
        let err = Check::parse_list("not_a_server_error,nope").unwrap_err();
        assert!(err.to_string().contains("`nope` is not a check"));
        assert!(err.to_string().contains("use_after_free"));
    }

    #[test]
    fn curl_commands_quote_what_the_shell_would_read() {
        let summary = RequestSummary {
            method: "POST".to_owned(),
            url: "http://h/x?a=1&b=2".to_owned(),
            headers: vec![
                ("content-type".to_owned(), "application/json".to_owned()),
                ("host".to_owned(), "h".to_owned()),
            ],
            body: Some(r#"{"name": "O'Brien"}"#.to_owned()),
        };
        assert_eq!(
            summary.curl(),
            r#"curl -X POST 'http://h/x?a=1&b=2' -H 'content-type: application/json' --data-raw '{"name": "O'\''Brien"}'"#
        );
    }
}
