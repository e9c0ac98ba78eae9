//! What can go wrong with a request, as one enum: each variant knows its status, the
//! text the client reads, and (for the mock's own failures) the cause only the log sees.
//!
//! Implementation rationale: the pipeline used to build `ErrorFacts` by hand at each exit,
//! status and text side by side, and one exit (an answer the mock could not generate) sent
//! the generator's internal message to the client. With the variants here, a status cannot
//! drift from its error, and the client's text and the log's are kept apart by construction.

use std::borrow::Cow;
use std::sync::Arc;

use http::{HeaderName, Method, header};

use crate::operation::errors::reason;
use crate::operation::respond::NoAnswer;
use crate::schema::violation::{ErrorFacts, Keyword, Violation};

/// Why the mock refuses (or cannot answer) a request.
#[derive(Debug)]
pub enum RequestError {
    /// No operation of the served documents has this path (404).
    NotFound { path: String },
    /// The path is served, the method is not (405); `allow` lists the methods that are.
    MethodNotAllowed {
        method: Method,
        path: String,
        allow: String,
    },
    /// `X-Understudy-Session` is not a valid session name (400).
    BadSession,
    /// The edge could not take the request whole (a body over the limit, a `Host` not
    /// served): its status and text.
    Edge { status: u16, detail: String },
    /// The body's `Content-Type` is not one the operation takes (415).
    UnsupportedMediaType { detail: String },
    /// Credentials are missing or wrong (401), with the `WWW-Authenticate` challenges.
    Unauthenticated {
        detail: String,
        challenges: Vec<String>,
    },
    /// The request breaks the spec: `status` is 400 or the 422 the operation declares.
    Invalid {
        status: u16,
        violations: Vec<Violation>,
    },
    /// `Accept` allows none of the media types the response has (406).
    NotAcceptable {
        accept: String,
        offered: Vec<String>,
    },
    /// `Prefer: code=` names a status the operation does not declare (400).
    UndeclaredPreferCode { code: u16, operation: String },
    /// `Prefer: example=` names an example the response does not have (400).
    UnknownPreferExample { name: String },
    /// The world refuses: a behaviour's domain error (an unknown space, a missing role), as
    /// the behaviour states it.
    Domain(ErrorFacts),
    /// The mock could not make the declared answer (500): the spec leaves no value to
    /// generate. `cause` is for the log.
    NoAnswer { cause: Arc<NoAnswer> },
    /// The answer the mock would send breaks the document (500, `--errors`): the
    /// violations are named to the client, as Prism's `--errors` does.
    AnswerBreaksSpec { violations: Vec<Violation> },
}

impl RequestError {
    pub fn status(&self) -> u16 {
        match self {
            RequestError::NotFound { .. } => 404,
            RequestError::MethodNotAllowed { .. } => 405,
            RequestError::BadSession => 400,
            RequestError::Edge { status, .. } => *status,
            RequestError::UnsupportedMediaType { .. } => 415,
            RequestError::Unauthenticated { .. } => 401,
            RequestError::Invalid { status, .. } => *status,
            RequestError::NotAcceptable { .. } => 406,
            RequestError::UndeclaredPreferCode { .. }
            | RequestError::UnknownPreferExample { .. } => 400,
            RequestError::Domain(facts) => facts.status,
            RequestError::NoAnswer { .. } | RequestError::AnswerBreaksSpec { .. } => 500,
        }
    }

    /// Whether an answer with this error should have a status the operation declares, so
    /// that `--check-responses` calls one it does not declare a violation: the mock's own
    /// failure should. A request refused for what it is (it breaks the document or HTTP, or
    /// asks for what the mock does not have) is answered with the protocol's status whatever
    /// the document declares, as the contract checks agree (`status_code_conformance` judges
    /// conforming requests only). A behaviour's domain errors are not held to it either: the
    /// bundled APIs answer statuses their vendors publish nowhere (`docs/vendors.md`).
    pub fn owes_a_declared_status(&self) -> bool {
        matches!(self, RequestError::NoAnswer { .. })
    }

    /// What the client reads: never an internal message.
    pub fn detail(&self) -> Cow<'static, str> {
        match self {
            RequestError::NotFound { path } => {
                format!("No operation of the served documents matches {path}.").into()
            }
            RequestError::MethodNotAllowed {
                method,
                path,
                allow,
            } => format!("{method} is not allowed on {path}; allowed: {allow}.").into(),
            RequestError::BadSession => {
                "X-Understudy-Session must be 1 to 128 visible ASCII characters.".into()
            }
            RequestError::UnsupportedMediaType { detail }
            | RequestError::Unauthenticated { detail, .. }
            | RequestError::Edge { detail, .. } => detail.clone().into(),
            RequestError::Invalid { violations, .. } => {
                match (
                    violations.iter().find(|v| is_malformed(v)),
                    violations.len(),
                ) {
                    // A body that cannot be read says so first, with its line and column.
                    (Some(m), _) => m.message.to_string().into(),
                    (None, 1) => "The request has 1 violation.".into(),
                    (None, n) => format!("The request has {n} violations.").into(),
                }
            }
            RequestError::NotAcceptable { accept, offered } => format!(
                "Nothing acceptable to `Accept: {accept}`; this operation answers with: {}.",
                offered.join(", ")
            )
            .into(),
            RequestError::UndeclaredPreferCode { code, operation } => {
                format!("Prefer asks for status {code}, which {operation} does not declare.").into()
            }
            RequestError::UnknownPreferExample { name } => {
                format!("Prefer asks for example `{name}`, which this response does not have.")
                    .into()
            }
            RequestError::Domain(facts) => facts.detail.clone(),
            RequestError::NoAnswer { .. } => {
                "The mock cannot make an answer that fits this response's schema.".into()
            }
            RequestError::AnswerBreaksSpec { violations } => format!(
                "The answer the mock would send breaks the document ({} violation{}): \
                 --errors sends this error instead.",
                violations.len(),
                if violations.len() == 1 { "" } else { "s" }
            )
            .into(),
        }
    }

    /// The facts an error format renders, for the request at `path`. The violations stay in
    /// `self` (see [`RequestError::into_parts`]), and a domain error's title is its own.
    pub fn facts(&self, path: &str) -> ErrorFacts {
        let status = self.status();
        ErrorFacts::new(status, reason(status), self.detail()).with_instance(path.to_owned())
    }

    /// The facts with the request's violations moved into them, the headers the answer
    /// needs (`WWW-Authenticate`, `Allow`), and the log's cause.
    pub fn into_parts(self, path: &str) -> Refused {
        let facts = match self {
            RequestError::Domain(mut facts) => {
                facts.instance.get_or_insert_with(|| path.to_owned());
                return Refused {
                    facts,
                    headers: Vec::new(),
                    cause: None,
                };
            }
            _ => self.facts(path),
        };
        let mut refused = Refused {
            facts,
            headers: Vec::new(),
            cause: None,
        };
        match self {
            RequestError::Invalid { violations, .. }
            | RequestError::AnswerBreaksSpec { violations } => {
                refused.facts = refused.facts.with_violations(violations);
            }
            RequestError::Unauthenticated { challenges, .. } => {
                let www = header::WWW_AUTHENTICATE;
                refused.headers = challenges.into_iter().map(|c| (www.clone(), c)).collect();
            }
            RequestError::MethodNotAllowed { allow, .. } => {
                refused.headers.push((header::ALLOW, allow));
            }
            RequestError::NoAnswer { cause } => refused.cause = Some(cause.to_string()),
            _ => {}
        }
        refused
    }
}

/// A [`RequestError`] taken apart for rendering.
#[derive(Debug)]
pub struct Refused {
    pub facts: ErrorFacts,
    pub headers: Vec<(HeaderName, String)>,
    /// For the log only.
    pub cause: Option<String>,
}

/// A violation saying the body could not be read at all (not JSON, bad encoding).
pub(crate) fn is_malformed(v: &Violation) -> bool {
    matches!(v.keyword, Keyword::Json | Keyword::Encoding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::violation::Location;

    #[test]
    fn the_client_never_reads_why_the_mock_could_not_answer() {
        let e = RequestError::NoAnswer {
            cause: Arc::new(NoAnswer::NoSchema {
                at: "file:///secret.yaml#/components/schemas/X".into(),
            }),
        };
        assert_eq!(e.status(), 500);
        assert!(!e.detail().contains("secret"), "{}", e.detail());
        let refused = e.into_parts("/x");
        assert!(!refused.facts.detail.contains("secret"));
        assert!(refused.cause.is_some_and(|c| c.contains("secret")));
    }

    #[test]
    fn an_invalid_request_counts_its_violations_and_moves_them_into_the_facts() {
        let v = |m: &str| Violation::new(Location::Body(Vec::new()), "type", m.to_owned());
        let e = RequestError::Invalid {
            status: 422,
            violations: vec![v("a"), v("b")],
        };
        assert_eq!(e.detail(), "The request has 2 violations.");
        let refused = e.into_parts("/x");
        assert_eq!(
            (refused.facts.status, refused.facts.violations.len()),
            (422, 2)
        );
        assert!(refused.headers.is_empty());
    }

    #[test]
    fn a_405_says_what_is_allowed_in_its_text_and_its_header() {
        let e = RequestError::MethodNotAllowed {
            method: Method::PATCH,
            path: "/v1/x".into(),
            allow: "GET, POST".into(),
        };
        assert_eq!(e.status(), 405);
        assert!(e.detail().contains("allowed: GET, POST"));
        let refused = e.into_parts("/v1/x");
        assert_eq!(
            refused.headers,
            vec![(header::ALLOW, "GET, POST".to_owned())]
        );
    }
}
