//! A routed request read for one operation: parameters decoded by their plans and validated,
//! the body matched to a declared media type and validated, all violations together. The
//! server's answers and the contract checks' [`inspect_request`] share this one reader.

use http::header;
use serde_json::Value;

use super::Values;
use crate::mock::message::MockRequest;
use crate::mock::rejection::is_malformed;
use crate::operation::api::Operation;
use crate::operation::negotiate;
use crate::operation::params::{self, ParamIn};
use crate::operation::respond;
use crate::operation::security::CredentialSources;
use crate::schema::violation::{Location, Segment, Violation};

/// What the server's pipeline finds wrong with a request, found without answering it or
/// touching any world: the contract checks judge recorded and live traffic with it.
#[derive(Debug, Clone, Default)]
pub struct RequestFindings {
    /// Why the credentials do not satisfy the operation's security (the 401's detail).
    pub unauthenticated: Option<String>,
    /// The body's `Content-Type` is not one the operation declares (the 415's detail).
    pub unsupported_media_type: Option<String>,
    /// Every parameter and body violation, as the server would list them.
    pub violations: Vec<Violation>,
}

impl RequestFindings {
    /// Nothing wrong: the server would go on to answer it.
    pub fn is_valid(&self) -> bool {
        self.unauthenticated.is_none()
            && self.unsupported_media_type.is_none()
            && self.violations.is_empty()
    }
}

/// Inspects a routed request the way [`Engine::handle`] does, but only reports: credentials
/// (present and well formed; whether a token is *known* is a world's business and is not
/// asked), every parameter, the body's content type and schema. `raw_path_params` are the
/// router's values, in template order.
///
/// [`Engine::handle`]: crate::mock::engine::Engine::handle
pub fn inspect_request(
    op: &Operation,
    req: &MockRequest,
    raw_path_params: &[&str],
) -> RequestFindings {
    let reader = RequestReader {
        op,
        req,
        raw_path_params,
    };
    let (query, cookies) = reader.query_and_cookies();
    let sources = CredentialSources {
        headers: &req.headers,
        query: &query,
        cookies: &cookies,
    };
    let unauthenticated = op.security.check(&sources).err().map(|u| u.detail);
    let (mut violations, _) = reader.parameters(&query, &cookies);
    let unsupported_media_type = reader.body(&mut violations).err();
    RequestFindings {
        unauthenticated,
        unsupported_media_type,
        violations,
    }
}

/// Decoded (name, value) pairs of a query string or a `Cookie` header.
type Pairs<'a> = Vec<params::Pair<'a>>;

/// Reads a request's parameters and body for one operation: shared by the server's answers
/// and [`inspect_request`], so both see the same violations.
pub(crate) struct RequestReader<'a> {
    pub op: &'a Operation,
    pub req: &'a MockRequest,
    pub raw_path_params: &'a [&'a str],
}

impl RequestReader<'_> {
    /// The query pairs and cookies, decoded.
    pub(super) fn query_and_cookies(&self) -> (Pairs<'_>, Pairs<'_>) {
        let query = params::parse_query(self.req.query.as_deref().unwrap_or(""));
        // Several `Cookie` lines are read as one joined with `; `: pieces never span a `;`.
        let mut cookies = Vec::new();
        for line in self.req.headers.get_all(header::COOKIE) {
            if let Ok(line) = line.to_str() {
                cookies.extend(params::parse_cookies(line));
            }
        }
        (query, cookies)
    }

    /// Reads and validates every parameter: the violations, and the values by location.
    pub(super) fn parameters(
        &self,
        query: &[params::Pair<'_>],
        cookies: &[params::Pair<'_>],
    ) -> (Vec<Violation>, Values<'_>) {
        let mut values = Values::default();
        let mut out = params::query_encoding_violations(self.req.query.as_deref().unwrap_or(""));
        for p in &self.op.params {
            let plan = &p.plan;
            let extracted: Result<Option<Value>, Violation> = match plan.location {
                ParamIn::Path => {
                    let raw = p.path_index.and_then(|i| self.raw_path_params.get(i));
                    match raw {
                        Some(raw) => plan.from_path(raw).map(Some),
                        None => Ok(None),
                    }
                }
                ParamIn::Query if plan.needs_other_names() => {
                    let others: Vec<&str> = self
                        .op
                        .params
                        .iter()
                        .filter(|o| o.plan.location == ParamIn::Query && o.plan.name != plan.name)
                        .map(|o| o.plan.name.as_str())
                        .collect();
                    plan.from_query_except(query, &others)
                }
                ParamIn::Query => plan.from_query(query),
                ParamIn::Header => {
                    // Bytes past ASCII are read as UTF-8 text; a value that is not UTF-8 is
                    // refused rather than taken for a missing header.
                    let values: Result<Vec<&str>, _> = self
                        .req
                        .headers
                        .get_all(plan.name.as_str())
                        .iter()
                        .map(|v| std::str::from_utf8(v.as_bytes()))
                        .collect();
                    match values {
                        Err(_) => Err(Violation::new(
                            p.location(Vec::new()),
                            "malformed",
                            "This header value is not valid UTF-8.",
                        )),
                        Ok(values) if values.is_empty() => Ok(None),
                        Ok(values) => plan.from_header(&values.join(",")).map(Some),
                    }
                }
                ParamIn::Cookie => plan.from_cookie(cookies),
            };
            match extracted {
                Err(v) => out.push(v),
                Ok(None) if plan.required => out.push(Violation::new(
                    p.location(Vec::new()),
                    "required",
                    "This parameter is missing.",
                )),
                Ok(None) => {}
                Ok(Some(value)) => {
                    if let Some(steps) = nul_at(&value) {
                        out.push(Violation::new(
                            p.location(steps),
                            "malformed",
                            "This value contains a NUL character (%00).",
                        ));
                        continue;
                    }
                    if let Some(validator) = &p.validator {
                        out.extend(validator.violations(&value, &|steps| p.location(steps)));
                    }
                    let into = match plan.location {
                        ParamIn::Path => &mut values.path,
                        ParamIn::Query => &mut values.query,
                        ParamIn::Header | ParamIn::Cookie => &mut values.headers,
                    };
                    into.insert(&plan.name, value);
                }
            }
        }
        (out, values)
    }

    /// Checks the body against the declared media types; an unsupported content type is an
    /// answer of its own (415: `Err` with its detail), a body that is not JSON adds a
    /// violation.
    pub(super) fn body(&self, violations: &mut Vec<Violation>) -> Result<Option<Value>, String> {
        let Some(spec) = &self.op.body else {
            return Ok(None);
        };
        let req = self.req;
        if req.body.is_empty() {
            if spec.required {
                violations.push(Violation::new(
                    Location::Body(Vec::new()),
                    "required",
                    "The request body is missing.",
                ));
            }
            return Ok(None);
        }
        let content_type = req
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let matched = content_type.and_then(|ct| negotiate::match_content_type(ct, &spec.declared));
        let Some(declared) = matched else {
            let detail = match content_type {
                Some(ct) => format!(
                    "The body's Content-Type `{ct}` is not one of: {}.",
                    spec.declared.join(", ")
                ),
                None => format!(
                    "The request has a body but no Content-Type; expected one of: {}.",
                    spec.declared.join(", ")
                ),
            };
            return Err(detail);
        };
        let Some(media) = spec.media.iter().find(|m| m.media_type == declared) else {
            return Ok(None);
        };
        let value = if negotiate::is_json(content_type.unwrap_or(declared))
            || negotiate::is_json(declared)
        {
            match serde_json::from_slice::<Value>(&req.body) {
                Ok(v) => v,
                Err(e) => {
                    violations.push(Violation::new(
                        Location::Body(Vec::new()),
                        "json",
                        format!(
                            "The body is not valid JSON: {} at line {}, column {}.",
                            json_error_text(&e),
                            e.line(),
                            e.column()
                        ),
                    ));
                    return Ok(None);
                }
            }
        } else if let Some(form) = &media.form {
            let text = String::from_utf8_lossy(&req.body);
            let fields = params::parse_query(&text);
            match form.from_query(&fields) {
                Ok(v) => v.unwrap_or_else(|| Value::Object(serde_json::Map::new())),
                Err(mut v) => {
                    v.location = Location::Body(Vec::new());
                    violations.push(v);
                    return Ok(None);
                }
            }
        } else if declared.starts_with("text/") {
            match std::str::from_utf8(&req.body) {
                Ok(s) => match &media.validator {
                    Some(validator) => validator.read_text(s),
                    None => Value::String(s.to_owned()),
                },
                Err(_) => {
                    violations.push(Violation::new(
                        Location::Body(Vec::new()),
                        "encoding",
                        "The body is not valid UTF-8 text.",
                    ));
                    return Ok(None);
                }
            }
        } else {
            // Binary and multipart bodies are accepted as they are.
            return Ok(None);
        };
        if let Some(validator) = &media.validator {
            violations.extend(validator.violations(&value, &Location::Body));
        }
        Ok(Some(value))
    }

    /// 400 for malformed requests and parameters; 422 for a body that parses but breaks its
    /// schema, where the operation declares 422.
    pub fn rejection_status(&self, violations: &[Violation]) -> u16 {
        let declares = |s: u16| {
            self.op
                .responses
                .iter()
                .any(|r| r.status == respond::StatusKey::Code(s))
        };
        if violations.iter().any(is_malformed) {
            return 400;
        }
        let only_body = violations
            .iter()
            .all(|v| matches!(v.location, Location::Body(_)));
        if only_body && declares(422) {
            return 422;
        }
        if !declares(400) && declares(422) {
            return 422;
        }
        400
    }
}

/// Where a parameter's value holds a NUL character, in a string or a member name. No API
/// means one there, and many back ends cannot store it: the mock refuses it as unreadable.
/// (Parameter values are at most as deep as the deepObject nesting limit.)
fn nul_at(value: &Value) -> Option<Vec<Segment>> {
    match value {
        Value::String(s) => s.contains('\0').then(Vec::new),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let mut steps = nul_at(item)?;
            steps.insert(0, Segment::Index(i));
            Some(steps)
        }),
        Value::Object(map) => map.iter().find_map(|(key, member)| {
            let mut steps = if key.contains('\0') {
                Vec::new()
            } else {
                nul_at(member)?
            };
            steps.insert(0, Segment::Key(key.clone()));
            Some(steps)
        }),
        _ => None,
    }
}

/// A body that could not be read at all.
/// serde_json's message without its own " at line L column C" suffix.
fn json_error_text(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_characters_are_found_in_strings_items_members_and_member_names() {
        assert_eq!(nul_at(&json!("a\u{0}b")), Some(vec![]));
        assert_eq!(nul_at(&json!("ab")), None);
        assert_eq!(nul_at(&json!(12)), None);
        assert_eq!(
            nul_at(&json!(["a", "b\u{0}"])),
            Some(vec![Segment::Index(1)])
        );
        assert_eq!(
            nul_at(&json!({"ok": "x", "r": ["\u{0}"]})),
            Some(vec![Segment::Key("r".into()), Segment::Index(0)])
        );
        assert_eq!(
            nul_at(&json!({"k\u{0}": 1})),
            Some(vec![Segment::Key("k\u{0}".into())])
        );
    }
}
