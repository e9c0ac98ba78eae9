//! An answer judged against the response its operation declares for the answer's status: the
//! declared headers present and valid, a `Content-Type` among the declared media types, and a
//! body valid against that media type's schema. With `--check-responses` every answer the mock
//! sends goes through this one check, error answers as well as successes.

use http::{HeaderName, HeaderValue, header};
use serde_json::Value;

use super::{ResponseSpec, bodiless};
use crate::operation::negotiate;
use crate::schema::violation::{Keyword, Location, Violation};

/// An answer as it is sent, for [`check`].
#[derive(Debug, Clone, Copy)]
pub struct Sent<'a> {
    pub status: u16,
    pub headers: &'a [(HeaderName, HeaderValue)],
    pub body: &'a [u8],
    /// The body's value, when the sender has it: spares parsing the body back.
    pub value: Option<&'a Value>,
}

impl Sent<'_> {
    fn header(&self, name: &HeaderName) -> impl Iterator<Item = &str> {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .filter_map(|(_, v)| v.to_str().ok())
    }
}

/// Everything `sent` breaks in `spec`, the response declared for its status.
pub fn check(spec: &ResponseSpec, sent: &Sent<'_>) -> Vec<Violation> {
    let mut out = header_violations(spec, sent.headers);
    match judge_body(spec, sent) {
        Body::Unjudged => {}
        Body::Framing(violation) => out.push(violation),
        Body::Judged { schema, .. } => out.extend(schema.map(|(_, v)| v).unwrap_or_default()),
    }
    out
}

/// What the body of an answer comes to, judged against the response declared for its status.
#[derive(Debug)]
pub enum Body<'s> {
    /// Nothing to judge: the response declares no content, or the status has no body.
    Unjudged,
    /// The body's framing breaks the declaration: no `Content-Type`, one not declared, or a
    /// JSON media type whose body is not JSON.
    Framing(Violation),
    /// In the declared media type `declared`; with its schema's pointer and what the body
    /// breaks in it, when there is a schema and the body can be read (binary cannot).
    Judged {
        declared: &'s str,
        schema: Option<(&'s str, Vec<Violation>)>,
    },
}

/// The body of `sent` judged against `spec`: its `Content-Type`, then its value (parsed
/// from JSON, read from text as its schema reads it, or taken as sent) against the declared
/// media type's schema. Binary and XML bodies are judged by their `Content-Type` only. The mock's answer check and the contract checks both judge so.
pub fn judge_body<'s>(spec: &'s ResponseSpec, sent: &Sent<'_>) -> Body<'s> {
    if spec.media.is_empty() || bodiless(sent.status) {
        return Body::Unjudged;
    }
    let content_type = || Location::Header(header::CONTENT_TYPE.as_str().to_owned(), Vec::new());
    let offered = spec.offered.join(", ");
    let Some(ct) = sent.header(&header::CONTENT_TYPE).next() else {
        let what = if sent.body.is_empty() {
            "no body and no Content-Type".to_owned()
        } else {
            format!("a body of {} bytes and no Content-Type", sent.body.len())
        };
        return Body::Framing(Violation::new(
            content_type(),
            Keyword::Missing,
            format!("The answer has {what}; its response declares {offered}."),
        ));
    };
    let Some(declared) = negotiate::match_content_type(ct, &spec.offered) else {
        return Body::Framing(Violation::new(
            content_type(),
            Keyword::Enum,
            format!("`{ct}` is not a media type its response declares ({offered})."),
        ));
    };
    let validator = spec.media_for(declared).and_then(|m| m.validator.as_ref());
    let parsed;
    let value = match sent.value {
        Some(v) => Some(v),
        None if negotiate::is_json(ct) || negotiate::is_json(declared) => {
            match serde_json::from_slice::<Value>(sent.body) {
                Ok(v) => {
                    parsed = v;
                    Some(&parsed)
                }
                Err(e) => {
                    return Body::Framing(Violation::new(
                        Location::Body(Vec::new()),
                        Keyword::Json,
                        format!("The body is not JSON, as `{ct}` says: {e}."),
                    ));
                }
            }
        }
        // XML is not JSON Schema's to judge: no reading of elements as members is sure.
        None if super::xml::is_xml(ct) || negotiate::essence_is(ct, "text/xml") => None,
        None if ct.starts_with("text/") => {
            let text = String::from_utf8_lossy(sent.body);
            parsed = match validator {
                Some(validator) => validator.read_text(&text),
                None => Value::String(text.into_owned()),
            };
            Some(&parsed)
        }
        // Binary bodies are not judged.
        None => None,
    };
    let schema = match (value, validator) {
        (Some(value), Some(validator)) => Some((
            validator.loc.pointer.as_str(),
            validator.violations(value, &Location::Body),
        )),
        _ => None,
    };
    Body::Judged { declared, schema }
}

/// An answer with a status the operation declares no response for.
pub fn undeclared_status(operation: &str, status: u16) -> Violation {
    Violation::new(
        Location::Request,
        Keyword::Status,
        format!("{operation} declares no response with status {status}."),
    )
}

/// The headers `spec` declares, in `headers`: required ones present, every present one valid
/// against its schema.
pub fn header_violations(
    spec: &ResponseSpec,
    headers: &[(HeaderName, HeaderValue)],
) -> Vec<Violation> {
    let mut out = Vec::new();
    for h in &spec.header_checks {
        let at = || Location::Header(h.name.clone(), Vec::new());
        let values: Vec<&str> = headers
            .iter()
            .filter(|(n, _)| n.as_str().eq_ignore_ascii_case(&h.name))
            .filter_map(|(_, v)| v.to_str().ok())
            .collect();
        if values.is_empty() {
            if h.required {
                out.push(Violation::new(
                    at(),
                    Keyword::Missing,
                    "This header is declared required and is missing.",
                ));
            }
            continue;
        }
        let Some(plan) = &h.plan else { continue };
        match plan.from_header(&values.join(",")) {
            Err(mut v) => {
                v.location = at();
                out.push(v);
            }
            Ok(value) => {
                if let Some(validator) = &h.validator {
                    out.extend(
                        validator
                            .violations(&value, &|steps| Location::Header(h.name.clone(), steps)),
                    );
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::respond::{ResponseMedia, StatusKey};

    fn json_response() -> ResponseSpec {
        let media = ResponseMedia::new("application/json".into(), None, None, vec![], None);
        ResponseSpec::new(StatusKey::Code(400), vec![media], vec![])
    }

    fn sent<'a>(headers: &'a [(HeaderName, HeaderValue)], body: &'a [u8]) -> Sent<'a> {
        Sent {
            status: 400,
            headers,
            body,
            value: None,
        }
    }

    #[test]
    fn an_answer_in_a_media_type_its_response_does_not_declare_is_a_violation() {
        let spec = json_response();
        let problem = [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        )];
        let found = check(&spec, &sent(&problem, b"{}"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("application/problem+json"));
        let json = [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )];
        assert_eq!(check(&spec, &sent(&json, b"{}")), vec![]);
        assert_eq!(check(&spec, &sent(&[], b"{}"))[0].keyword, Keyword::Missing);
    }

    #[test]
    fn a_status_not_declared_is_named_with_its_operation() {
        let v = undeclared_status("listThings", 418);
        assert_eq!(v.keyword, Keyword::Status);
        assert_eq!(
            v.to_string(),
            "listThings declares no response with status 418."
        );
    }
}
