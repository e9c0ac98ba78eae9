//! OpenAPI runtime expressions (`$response.body#/id`, `$request.path.ownerId`, `$url`, ...),
//! parsed once and evaluated against an exchange a story made: where a link's parameters and
//! body come from.

use std::fmt;

use serde_json::Value;

use super::stories::{Done, decode};

/// Where a runtime expression reads, in a request or a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    Path(String),
    Query(String),
    Header(String),
    /// A JSON pointer into the body (`""` for the whole body).
    Body(String),
}

/// A runtime expression (OpenAPI 3.x, "Runtime Expressions"), or a string embedding some.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    Url,
    Method,
    StatusCode,
    Request(Source),
    Response(Source),
    /// Text with `{expression}`s embedded.
    Template(Vec<Piece>),
}

/// A piece of a template string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Text(String),
    Expr(Expr),
}

/// Text that is not a runtime expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a runtime expression: {why}")]
pub struct BadExpression {
    pub text: String,
    pub why: &'static str,
}

impl Expr {
    /// One expression: `$url`, `$method`, `$statusCode`, `$request.` or `$response.` then
    /// `path.NAME`, `query.NAME`, `header.NAME` or `body` with an optional `#/pointer`.
    pub(crate) fn parse(text: &str) -> Result<Expr, BadExpression> {
        let bad = |why| BadExpression {
            text: text.to_owned(),
            why,
        };
        match text {
            "$url" => return Ok(Expr::Url),
            "$method" => return Ok(Expr::Method),
            "$statusCode" => return Ok(Expr::StatusCode),
            _ => {}
        }
        let (side, rest) = if let Some(rest) = text.strip_prefix("$request.") {
            (true, rest)
        } else if let Some(rest) = text.strip_prefix("$response.") {
            (false, rest)
        } else {
            return Err(bad(
                "expected $url, $method, $statusCode, $request.… or $response.…",
            ));
        };
        let source = if let Some(body) = rest.strip_prefix("body") {
            match body {
                "" => Source::Body(String::new()),
                _ => match body.strip_prefix('#') {
                    Some(p) if p.is_empty() || p.starts_with('/') => Source::Body(decode(p)),
                    _ => return Err(bad("a body reference is `body` or `body#/json/pointer`")),
                },
            }
        } else {
            let (kind, name) = rest
                .split_once('.')
                .ok_or_else(|| bad("expected path., query., header. or body after the source"))?;
            if name.is_empty() {
                return Err(bad("the name after the source is empty"));
            }
            match kind {
                "path" => Source::Path(name.to_owned()),
                "query" => Source::Query(name.to_owned()),
                "header" => Source::Header(name.to_owned()),
                _ => return Err(bad("the source is path, query, header or body")),
            }
        };
        if matches!(source, Source::Path(_)) && !side {
            return Err(bad("a response has no path parameters"));
        }
        Ok(if side {
            Expr::Request(source)
        } else {
            Expr::Response(source)
        })
    }

    /// The value at this expression in an exchange; `None` where it names nothing.
    pub(crate) fn eval(&self, done: &Done) -> Option<Value> {
        match self {
            Expr::Url => Some(Value::String(done.url.clone())),
            Expr::Method => Some(Value::String(done.req.method.to_string())),
            Expr::StatusCode => Some(Value::from(done.resp.status)),
            Expr::Request(Source::Path(name)) => path_param(&done.route, &done.req.path, name),
            Expr::Request(Source::Query(name)) => {
                let query = done.req.query.as_deref().unwrap_or_default();
                query.split('&').find_map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    (decode(k) == *name).then(|| Value::String(decode(v)))
                })
            }
            Expr::Request(Source::Header(name)) => done
                .req
                .headers
                .get(name.as_str())
                .and_then(|v| v.to_str().ok())
                .map(|v| Value::String(v.to_owned())),
            Expr::Response(Source::Header(name)) => {
                done.resp.header(name).map(|v| Value::String(v.to_owned()))
            }
            Expr::Request(Source::Body(ptr)) => body_at(&done.req.body, ptr),
            Expr::Response(Source::Body(ptr)) => body_at(&done.resp.body, ptr),
            Expr::Response(_) => None,
            Expr::Template(pieces) => {
                let mut out = String::new();
                for piece in pieces {
                    match piece {
                        Piece::Text(t) => out.push_str(t),
                        Piece::Expr(e) => out.push_str(&text_of(&e.eval(done)?)),
                    }
                }
                Some(Value::String(out))
            }
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = |f: &mut fmt::Formatter<'_>, side: &str, s: &Source| match s {
            Source::Path(n) => write!(f, "${side}.path.{n}"),
            Source::Query(n) => write!(f, "${side}.query.{n}"),
            Source::Header(n) => write!(f, "${side}.header.{n}"),
            Source::Body(p) if p.is_empty() => write!(f, "${side}.body"),
            Source::Body(p) => write!(f, "${side}.body#{p}"),
        };
        match self {
            Expr::Url => f.write_str("$url"),
            Expr::Method => f.write_str("$method"),
            Expr::StatusCode => f.write_str("$statusCode"),
            Expr::Request(s) => source(f, "request", s),
            Expr::Response(s) => source(f, "response", s),
            Expr::Template(pieces) => {
                for p in pieces {
                    match p {
                        Piece::Text(t) => f.write_str(t)?,
                        Piece::Expr(e) => write!(f, "{{{e}}}")?,
                    }
                }
                Ok(())
            }
        }
    }
}

/// A link's parameter or body value: a constant, an expression, or a string embedding
/// expressions in braces.
pub(crate) fn link_value(v: &Value) -> Result<Option<Expr>, BadExpression> {
    let Value::String(s) = v else {
        return Ok(None);
    };
    if s.starts_with('$') {
        return Expr::parse(s).map(Some);
    }
    if !s.contains("{$") {
        return Ok(None);
    }
    let mut pieces = Vec::new();
    let mut rest = s.as_str();
    while let Some(open) = rest.find("{$") {
        if open > 0 {
            pieces.push(Piece::Text(rest[..open].to_owned()));
        }
        let close = rest[open..].find('}').ok_or_else(|| BadExpression {
            text: s.clone(),
            why: "an embedded expression has no closing brace",
        })?;
        pieces.push(Piece::Expr(Expr::parse(&rest[open + 1..open + close])?));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_owned()));
    }
    Ok(Some(Expr::Template(pieces)))
}

fn body_at(body: &[u8], ptr: &str) -> Option<Value> {
    let value: Value = serde_json::from_slice(body).ok()?;
    value.pointer(ptr).cloned()
}

/// A path parameter's decoded value, matching the request path against the route.
fn path_param(route: &str, path: &str, name: &str) -> Option<Value> {
    let wanted = format!("{{{name}}}");
    let segs: Vec<&str> = route.split('/').collect();
    let got: Vec<&str> = path.split('/').collect();
    if segs.len() != got.len() {
        return None;
    }
    let i = segs.iter().position(|s| *s == wanted)?;
    Some(Value::String(decode(got[i])))
}

/// A value as text in a template: strings as they are, anything else as JSON.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::message::{MockRequest, MockResponse};
    use http::{HeaderMap, HeaderName, HeaderValue, Method};

    fn done() -> Done {
        let mut headers = HeaderMap::new();
        headers.insert("x-trace", HeaderValue::from_static("t-1"));
        Done {
            req: MockRequest {
                method: Method::POST,
                path: "/api/owners/o%201/things".into(),
                query: Some("mode=fast&tag=a%20b".into()),
                headers,
                body: r#"{"name": "box", "tags": ["x"]}"#.into(),
            },
            resp: MockResponse {
                status: 201,
                headers: vec![(
                    HeaderName::from_static("location"),
                    HeaderValue::from_static("/api/owners/o%201/things/7"),
                )],
                body: r#"{"id": 7, "a/b": {"c~d": true}}"#.into(),
            },
            route: "/api/owners/{ownerId}/things".into(),
            url: "http://h/api/owners/o%201/things".into(),
        }
    }

    fn eval(text: &str) -> Option<Value> {
        link_value(&Value::String(text.into()))
            .unwrap()
            .unwrap()
            .eval(&done())
    }

    #[test]
    fn runtime_expressions_read_the_request_and_the_response() {
        assert_eq!(eval("$response.body#/id"), Some(7.into()));
        assert_eq!(eval("$response.body#/a~1b/c~0d"), Some(true.into()));
        assert_eq!(
            eval("$response.header.Location"),
            Some("/api/owners/o%201/things/7".into())
        );
        assert_eq!(eval("$request.path.ownerId"), Some("o 1".into()));
        assert_eq!(eval("$request.query.tag"), Some("a b".into()));
        assert_eq!(eval("$request.header.X-Trace"), Some("t-1".into()));
        assert_eq!(eval("$request.body#/tags/0"), Some("x".into()));
        assert_eq!(eval("$statusCode"), Some(201.into()));
        assert_eq!(eval("$method"), Some("POST".into()));
        assert_eq!(
            eval("$url"),
            Some("http://h/api/owners/o%201/things".into())
        );
        assert_eq!(
            eval("things/{$response.body#/id}?v=1"),
            Some("things/7?v=1".into())
        );
        // Names that are not there have no value.
        assert_eq!(eval("$response.body#/nope"), None);
        assert_eq!(eval("$request.query.nope"), None);
        assert_eq!(eval("$request.path.thingId"), None);
    }

    #[test]
    fn constants_stay_constants_and_bad_expressions_say_why() {
        assert_eq!(link_value(&Value::String("plain".into())), Ok(None));
        assert_eq!(link_value(&serde_json::json!({"a": "$x"})), Ok(None));
        for bad in [
            "$response.body#id",
            "$request.cookies.a",
            "$response.path.id",
            "$request.query.",
            "$resp.body",
            "x{$response.body#/id",
        ] {
            let err = link_value(&Value::String(bad.into())).unwrap_err();
            assert!(
                err.to_string().contains("is not a runtime expression"),
                "{bad}: {err}"
            );
        }
        let e = Expr::parse("$request.body#/a~1b").unwrap();
        assert_eq!(e, Expr::Request(Source::Body("/a~1b".into())));
        assert_eq!(e.to_string(), "$request.body#/a~1b");
    }
}
