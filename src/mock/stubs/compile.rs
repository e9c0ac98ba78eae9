//! A stub checked and compiled once, when it is made: the operation its match names, its
//! answer prepared whole (status, headers, body bytes) and judged against the response the
//! operation declares for that status with the check every answer of the mock goes through
//! (`respond::check`), the declared headers it leaves out filled as the mock fills them.
//! Nothing of this runs again per request: matching compares text and JSON.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, header};
use serde_json::Value;

use super::CompiledStub;
use super::spec::{AnswerSpec, DEFAULT_PRIORITY, DelaySpec, MatchSpec, StubError, StubSpec};
use crate::mock::delay::Delay;
use crate::mock::engine::{Engine, Routed};
use crate::mock::message::{MockResponse, declared_headers};
use crate::operation::api::{Api, Operation};
use crate::operation::negotiate;
use crate::operation::respond::{self, Answer, Fault, Sent};
use crate::world::stubs::StoredStub;

/// Where a stub's match leads.
struct Target {
    /// (API, operation) index; `None`: a path no document serves (`--allow-off-spec-stubs`).
    op: Option<(usize, usize)>,
    method: Option<Method>,
    /// The whole path as requests send it, percent-decoded; `None`: any path of `op`.
    exact: Option<String>,
}

/// `spec` checked against the served documents and compiled, with `id` (the caller's fresh
/// one when the stub names none).
pub fn compile(
    engine: &Engine,
    mut spec: StubSpec,
    fresh_id: &str,
) -> Result<StoredStub, StubError> {
    let id = match spec.id.take() {
        Some(id) if valid_id(&id) => id,
        Some(_) => {
            return Err(StubError::field(
                "id",
                "an id is 1 to 64 letters, digits, `-`, `_` or `.`",
            ));
        }
        None => fresh_id.to_owned(),
    };
    let allow = engine.config().allow_off_spec_stubs;
    let target = target(engine, &spec.matcher, allow)?;
    let response = match target.op {
        Some((ai, oi)) => {
            let api = &engine.apis()[ai];
            prepare(engine, api, &api.operations[oi], &spec.answer, allow)?
        }
        None => prepare_off_spec(&spec.answer)?,
    };
    if spec.times == Some(0) {
        return Err(StubError::field(
            "times",
            "a stub answers at least once (`times`: 1 or more)",
        ));
    }
    if spec.priority == Some(0) {
        return Err(StubError::field(
            "priority",
            "1 is the highest priority; 0 is none",
        ));
    }
    if spec.scenario.is_none() && (spec.requires.is_some() || spec.then.is_some()) {
        return Err(StubError::field(
            "scenario",
            "`requires` and `then` name states of a scenario: give `scenario` too",
        ));
    }
    for (field, value) in [
        ("scenario", &spec.scenario),
        ("requires", &spec.requires),
        ("then", &spec.then),
    ] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(StubError::field(field, "it is empty"));
        }
    }
    let compiled = CompiledStub {
        op: target.op,
        method: target.method,
        exact: target.exact,
        query: spec
            .matcher
            .query
            .iter()
            .map(|(k, v)| (k.clone(), v.text()))
            .collect(),
        headers: match_headers(&spec.matcher)?,
        body: spec.matcher.body.clone(),
        response,
        delay: delay(spec.answer.delay_ms)?,
        fault: match &spec.answer.fault {
            None => None,
            Some(kind) => Some(Fault::parse(kind).ok_or_else(|| {
                StubError::field(
                    "answer.fault",
                    format!("`{kind}` is no fault: give reset, empty, truncated or malformed"),
                )
            })?),
        },
    };
    spec.id = Some(id.clone());
    let definition = serde_json::to_value(&spec).map_err(|e| StubError::Format(e.to_string()))?;
    let priority = spec.priority.unwrap_or(DEFAULT_PRIORITY);
    let mut stored = StoredStub::new(
        id.into(),
        priority,
        Arc::new(definition),
        Arc::new(compiled),
    );
    stored.remaining = spec.times;
    stored.scenario = spec.scenario.map(Into::into);
    stored.requires = spec.requires.map(Into::into);
    stored.then = spec.then.map(Into::into);
    Ok(stored)
}

fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// The operation `m` names: by `operationId`, by a template, or by a path a request would
/// send (with or without the document's mount).
fn target(engine: &Engine, m: &MatchSpec, allow: bool) -> Result<Target, StubError> {
    let method = match &m.method {
        Some(text) => Some(
            Method::from_bytes(text.trim().to_ascii_uppercase().as_bytes()).map_err(|_| {
                StubError::field("match.method", format!("`{text}` is no HTTP method"))
            })?,
        ),
        None => None,
    };
    let ops = || {
        engine.apis().iter().enumerate().flat_map(|(ai, api)| {
            api.operations
                .iter()
                .enumerate()
                .map(move |(oi, op)| ((ai, oi), api, op))
        })
    };
    if let Some(id) = &m.operation_id {
        let found: Vec<_> = ops().filter(|(_, _, op)| &*op.id == id.as_str()).collect();
        let ((ai, oi), _, op) = match found.as_slice() {
            [one] => *one,
            [] => {
                return Err(StubError::NoOperation(format!(
                    "No served document has the operationId `{id}`."
                )));
            }
            _ => {
                return Err(StubError::NoOperation(format!(
                    "Several served documents have the operationId `{id}`: give `match.method` \
                     and `match.path` instead."
                )));
            }
        };
        if method.as_ref().is_some_and(|m| *m != op.method) {
            return Err(StubError::NoOperation(format!(
                "The operation `{id}` is {} {}, not {}.",
                op.method,
                op.template,
                m.method.as_deref().unwrap_or_default()
            )));
        }
        let exact = match &m.path {
            None => None,
            Some(path) => {
                let other = target(
                    engine,
                    &MatchSpec {
                        operation_id: None,
                        method: Some(op.method.to_string()),
                        path: Some(path.clone()),
                        ..MatchSpec::default()
                    },
                    false,
                )?;
                if other.op != Some((ai, oi)) {
                    return Err(StubError::NoOperation(format!(
                        "`match.path` {path} is not a path of the operation `{id}` ({} {}).",
                        op.method, op.template
                    )));
                }
                other.exact
            }
        };
        return Ok(Target {
            op: Some((ai, oi)),
            method: Some(op.method.clone()),
            exact,
        });
    }
    let (Some(method), Some(path)) = (method, &m.path) else {
        return Err(StubError::NoTarget);
    };
    if !path.starts_with('/') {
        return Err(StubError::field(
            "match.path",
            format!("`{path}` does not start with `/`"),
        ));
    }
    // A key of the document (a template, or a path with a discriminator, `/#X-Amz-Target=…`,
    // `/{Bucket}?acl`), with or without the mount: every request routed to its operation.
    let found: Vec<_> = ops()
        .filter(|(_, _, op)| op.method == method && (op.route == *path || op.template == *path))
        .map(|(at, _, _)| at)
        .collect();
    match found.as_slice() {
        [one] => {
            return Ok(Target {
                op: Some(*one),
                method: Some(method),
                exact: None,
            });
        }
        [] if path.contains('{') => {
            return Err(StubError::NoOperation(format!(
                "No served document has the operation {method} {path} (a template is matched \
                 as the document writes it, with or without its mount)."
            )));
        }
        [] => {}
        _ => {
            return Err(StubError::NoOperation(format!(
                "Several served documents have {method} {path}: give it with the document's \
                 mount, or `match.operationId`."
            )));
        }
    }
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned();
    let mut allowed = None;
    let mounted = engine
        .apis()
        .iter()
        .filter(|a| !a.mount.is_empty())
        .map(|a| format!("{}{path}", a.mount));
    for full in std::iter::once(path.clone()).chain(mounted) {
        match engine.route_of(&method, &full) {
            Routed::Operation { api, op, .. } => {
                let at = index_of(engine, api, op);
                let decoded = percent_encoding::percent_decode_str(&full).decode_utf8_lossy();
                return Ok(Target {
                    op: at,
                    method: Some(method),
                    exact: Some(decoded.into_owned()),
                });
            }
            Routed::MethodNotAllowed {
                allowed: methods, ..
            } => allowed = Some(methods),
            Routed::NotFound => {}
        }
    }
    if allow {
        return Ok(Target {
            op: None,
            method: Some(method),
            exact: Some(decoded),
        });
    }
    Err(StubError::NoOperation(match allowed {
        Some(methods) => format!(
            "{path} is served, but not for {method} (it allows {}).",
            methods
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => format!(
            "No served operation answers {method} {path}; a stub answers for an operation of a \
             served document (serve with --allow-off-spec-stubs for other paths)."
        ),
    }))
}

fn index_of(engine: &Engine, api: &Api, op: &Operation) -> Option<(usize, usize)> {
    let ai = engine.apis().iter().position(|a| std::ptr::eq(a, api))?;
    let oi = api.operations.iter().position(|o| std::ptr::eq(o, op))?;
    Some((ai, oi))
}

fn match_headers(m: &MatchSpec) -> Result<Vec<(HeaderName, String)>, StubError> {
    m.headers
        .iter()
        .map(|(name, value)| {
            let name = HeaderName::from_bytes(name.trim().to_ascii_lowercase().as_bytes())
                .map_err(|_| {
                    StubError::field("match.headers", format!("`{name}` is no header name"))
                })?;
            Ok((name, value.text()))
        })
        .collect()
}

fn delay(spec: Option<DelaySpec>) -> Result<Option<Delay>, StubError> {
    let text = match spec {
        None => return Ok(None),
        Some(DelaySpec::Fixed(ms)) => ms.to_string(),
        Some(DelaySpec::Range { min, max }) => format!("{min}-{max}"),
    };
    Delay::parse(&text)
        .map(Some)
        .map_err(|why| StubError::field("answer.delay_ms", why))
}

/// The answer's own headers, checked; `Content-Type` among them, if given.
fn answer_headers(a: &AnswerSpec) -> Result<Vec<(HeaderName, HeaderValue)>, StubError> {
    let mut out = Vec::with_capacity(a.headers.len());
    for (name, value) in &a.headers {
        if respond::never_sent(name) {
            return Err(StubError::field(
                "answer.headers",
                format!("`{name}` is written by the server from the answer itself"),
            ));
        }
        let n =
            HeaderName::from_bytes(name.trim().to_ascii_lowercase().as_bytes()).map_err(|_| {
                StubError::field("answer.headers", format!("`{name}` is no header name"))
            })?;
        let v = HeaderValue::from_str(&value.text()).map_err(|_| {
            StubError::field(
                "answer.headers",
                format!("the value of `{name}` cannot be sent"),
            )
        })?;
        out.push((n, v));
    }
    Ok(out)
}

/// The answer of a stub for `op`, made and judged once.
fn prepare(
    engine: &Engine,
    api: &Api,
    op: &Operation,
    a: &AnswerSpec,
    allow: bool,
) -> Result<MockResponse, StubError> {
    let given = [a.body.is_some(), a.example.is_some(), a.generated]
        .iter()
        .filter(|g| **g)
        .count();
    if given > 1 {
        return Err(StubError::field(
            "answer",
            "give one of `body`, `example` and `generated`",
        ));
    }
    let status = match a.status {
        Some(s) if (100..=599).contains(&s) => s,
        Some(s) => {
            return Err(StubError::field(
                "answer.status",
                format!("{s} is no HTTP status"),
            ));
        }
        None => respond::choose(&op.responses, None)
            .ok()
            .flatten()
            .map_or(200, |r| r.status.concrete()),
    };
    let declared = respond::declared(&op.responses, status);
    let mut headers = answer_headers(a)?;
    let given_type = headers
        .iter()
        .find(|(n, _)| n == header::CONTENT_TYPE)
        .and_then(|(_, v)| v.to_str().ok())
        .map(str::to_owned);
    let offered: &[String] = declared.map_or(&[], |d| d.offered.as_slice());
    let content_type = given_type.clone().unwrap_or_else(|| {
        offered
            .iter()
            .find(|m| negotiate::is_json(m))
            .or(offered.first())
            .filter(|m| !m.contains('*'))
            .cloned()
            .unwrap_or_else(|| "application/json".to_owned())
    });
    let media = declared.and_then(|d| {
        d.media_for(&content_type).or_else(|| {
            negotiate::match_content_type(&content_type, &d.offered).and_then(|m| d.media_for(m))
        })
    });
    let no_media = |what: &str| {
        let none = if offered.is_empty() {
            format!("no body for {status}")
        } else {
            format!(
                "no {content_type} body for {status} (it declares {})",
                offered.join(", ")
            )
        };
        StubError::field(
            "answer",
            format!(
                "`{what}` takes the spec's body, and {} declares {none}",
                op.id
            ),
        )
    };
    let answer: Option<Answer> = if let Some(body) = &a.body {
        Some(Answer::new(Arc::new(body.clone()), &content_type))
    } else if let Some(example) = &a.example {
        let media = media.ok_or_else(|| no_media("example"))?;
        let value = match example {
            Value::String(name) => media.named_example(name).ok_or_else(|| {
                let names: Vec<&str> = media.examples.iter().map(|(n, _)| n.as_str()).collect();
                StubError::field(
                    "answer.example",
                    format!(
                        "the {status} response of {} has no example `{name}` (it has: {})",
                        op.id,
                        names.join(", ")
                    ),
                )
            })?,
            Value::Bool(true) => media.first_example().ok_or_else(|| {
                StubError::field(
                    "answer.example",
                    format!("the {status} response of {} has no example", op.id),
                )
            })?,
            _ => {
                return Err(StubError::field(
                    "answer.example",
                    "give an example's name, or `true` for the first",
                ));
            }
        };
        Some(Answer::new(Arc::new(value.clone()), &content_type))
    } else if a.generated {
        let media = media.ok_or_else(|| no_media("generated"))?;
        let seed = engine.static_seed(api, op, status, &media.media_type);
        let value = media
            .generate(&api.matchers, seed, false)
            .map_err(|e| StubError::field("answer.generated", e.to_string()))?;
        Some(Answer::new(Arc::new(value), &content_type))
    } else {
        // No body given: the spec's, as the mock would answer with this status.
        match (declared, media) {
            (Some(_), Some(media)) if !respond::bodiless(status) => {
                let seed = engine.static_seed(api, op, status, &media.media_type);
                Some(
                    media
                        .static_answer(&api.matchers, seed)
                        .map_err(|e| StubError::field("answer", e.to_string()))?,
                )
            }
            _ => None,
        }
    };
    if answer.is_some() && given_type.is_none() {
        if let Ok(v) = HeaderValue::from_str(&content_type) {
            headers.push((header::CONTENT_TYPE, v));
        }
    }
    let mut violations = Vec::new();
    match declared {
        None => violations.push(respond::undeclared_status(&op.id, status)),
        Some(spec) => {
            for (name, value) in declared_headers(engine, api, op, spec, status) {
                if !headers.iter().any(|(n, _)| n == name) {
                    headers.push((name.clone(), value.clone()));
                }
            }
            let body = answer.as_ref().map_or(&[][..], |a| &a.bytes[..]);
            let sent = Sent {
                status,
                headers: &headers,
                body,
                value: answer.as_ref().map(|a| &*a.value),
            };
            violations.extend(respond::check(spec, &sent));
        }
    }
    if !violations.is_empty() {
        if !allow {
            return Err(StubError::Breaks {
                operation: op.id.to_string(),
                count: violations.len(),
                violations,
            });
        }
        let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
        tracing::warn!(operation = %op.id, "a stub breaks the spec (--allow-off-spec-stubs): {}", list.join("; "));
    }
    Ok(MockResponse {
        status,
        headers,
        body: answer.map_or_else(Bytes::new, |a| a.bytes),
    })
}

/// The answer of a stub for a path no document serves: as given, JSON by default.
fn prepare_off_spec(a: &AnswerSpec) -> Result<MockResponse, StubError> {
    if a.example.is_some() || a.generated {
        return Err(StubError::field(
            "answer",
            "`example` and `generated` take the spec's body; this path has no operation",
        ));
    }
    let status = a.status.unwrap_or(200);
    if !(100..=599).contains(&status) {
        return Err(StubError::field(
            "answer.status",
            format!("{status} is no HTTP status"),
        ));
    }
    let mut headers = answer_headers(a)?;
    let body = match &a.body {
        None => Bytes::new(),
        Some(body) => {
            let given = headers
                .iter()
                .find(|(n, _)| n == header::CONTENT_TYPE)
                .and_then(|(_, v)| v.to_str().ok())
                .map(str::to_owned);
            let content_type = given
                .clone()
                .unwrap_or_else(|| "application/json".to_owned());
            if given.is_none() {
                headers.push((
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                ));
            }
            Answer::new(Arc::new(body.clone()), &content_type).bytes
        }
    };
    Ok(MockResponse {
        status,
        headers,
        body,
    })
}
