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
//!
//! - `request`: the verdicts a routed request decides (auth, required headers, negative and
//!   positive data, status codes), and those of a method a path does not declare.
//! - `response`: the verdicts on an answer whose status is declared (content type, schema,
//!   headers).
//! - `summary`: a request as reports show it, with a `curl` command that sends it again.
//! - `stories`: the checks that follow a sequence of exchanges.

mod request;
mod response;
mod stories;
mod summary;

use std::fmt;
use std::str::FromStr;

use crate::mock::engine::{Engine, Routed};
use crate::mock::exchange::{RequestFindings, inspect_request};
use crate::mock::message::{MockRequest, MockResponse};
use crate::operation::api::{Api, Operation};
use request::{judge_operation, method_not_allowed};

pub use response::declared_response;
pub use stories::Stories;
pub(crate) use stories::created_id;
pub use summary::{DEFAULT_ORIGIN, RequestSummary};

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
        let stories = &mut self.stories;
        let routed = self.engine.route_request(req);
        judge_with(routed, None, &self.selected, req, resp, |api, op| {
            stories.observe(api, op, req, resp)
        })
    }
}

/// A [`Checker`] shared by the tasks of a server (the proxy): the story checks' memory is
/// locked only while they look up and note an exchange, never while it is validated.
pub struct SharedChecker {
    selected: Vec<Check>,
    stories: std::sync::Mutex<Stories>,
}

impl SharedChecker {
    /// `selected` empty means every check.
    pub fn new(selected: &[Check]) -> SharedChecker {
        SharedChecker {
            selected: if selected.is_empty() {
                Check::ALL.to_vec()
            } else {
                selected.to_vec()
            },
            stories: std::sync::Mutex::default(),
        }
    }

    pub fn selected(&self) -> &[Check] {
        &self.selected
    }

    /// [`Checker::judge`], one story for all the traffic (sessions keep theirs apart), of a
    /// request already routed (`Engine::route_request`) and, when routed to an operation,
    /// already inspected (`inspect_request`): the server looked at it before answering.
    pub fn judge_routed(
        &self,
        routed: Routed<'_, '_>,
        findings: Option<&RequestFindings>,
        req: &MockRequest,
        resp: &MockResponse,
    ) -> Judged {
        judge_with(routed, findings, &self.selected, req, resp, |api, op| {
            // A panic elsewhere cannot leave the maps half written: take them as they are.
            let mut stories = self.stories.lock().unwrap_or_else(|p| p.into_inner());
            stories.observe(api, op, req, resp)
        })
    }
}

/// The verdicts of one exchange routed as `routed` (with `findings`, when already known):
/// `stories` gives those of the story checks for a routed one.
fn judge_with(
    routed: Routed<'_, '_>,
    findings: Option<&RequestFindings>,
    selected: &[Check],
    req: &MockRequest,
    resp: &MockResponse,
    stories: impl FnOnce(&Api, &Operation) -> Vec<Verdict>,
) -> Judged {
    let mut judged = match routed {
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
            let inspected;
            let findings = match findings {
                Some(f) => f,
                None => {
                    inspected = inspect_request(op, req, &raw_params);
                    &inspected
                }
            };
            let mut verdicts = judge_operation(op, req, resp, findings, selected);
            let stories_wanted = [Check::UseAfterFree, Check::EnsureResourceAvailability];
            if stories_wanted.iter().any(|c| selected.contains(c)) {
                verdicts.extend(stories(api, op));
            }
            Judged {
                operation: Some(op.id.to_string()),
                verdicts,
            }
        }
    };
    judged.verdicts.retain(|v| match v.rule {
        Rule::Check(c) => selected.contains(&c),
        Rule::UnknownOperation => true,
    });
    judged
}

fn status_text(resp: &MockResponse) -> String {
    resp.status.to_string()
}

/// At most three items, and how many more.
fn short(items: &[String]) -> String {
    let mut text = items.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
    if items.len() > 3 {
        text.push_str(&format!("; and {} more", items.len() - 3));
    }
    text
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
}
