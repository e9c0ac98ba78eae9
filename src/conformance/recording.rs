//! Recorded traffic: HAR 1.2 files (what browsers and proxies export) and JSON Lines of
//! request/response pairs, read into the mock's own request and response types. Anything
//! unreadable is an error naming the file and the entry (HAR) or line (JSON Lines).
//!
//! A JSON Lines recording holds one exchange per line (blank lines are skipped):
//!
//! ```json
//! {"request": {"method": "POST", "url": "/v1/things?dry=1", "headers": {"Content-Type": "application/json"},
//!              "body": {"name": "x"}},
//!  "response": {"status": 201, "headers": {"Content-Type": "application/json"}, "body": {"id": 1}}}
//! ```
//!
//! `url` may be absolute or a path with its query (`path` is accepted too); header values are
//! strings or lists of strings; a `body` that is a string is sent as that text, any other JSON
//! value as its JSON text, `null` or no `body` as no body; `body_base64` carries bytes.

use std::path::Path;

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::mock::message::{MockRequest, MockResponse};

/// One recorded exchange.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Where it is: `traffic.har entry 3`, `calls.jsonl line 7`.
    pub label: String,
    /// `scheme://host[:port]` when the recording gives an absolute URL.
    pub origin: Option<String>,
    pub request: MockRequest,
    pub response: MockResponse,
}

/// A recording that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {place}: {message}")]
pub struct RecordingError {
    pub file: String,
    /// `entry 3`, `line 7`, or `the file` when it cannot be read at all.
    pub place: String,
    pub message: String,
}

/// Reads a recording: HAR when the file is one JSON document with a `log`, else JSON Lines.
pub fn read_file(path: &Path) -> Result<Vec<Recorded>, RecordingError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| RecordingError {
        file: file.clone(),
        place: "the file".to_owned(),
        message: format!("cannot be read: {e}"),
    })?;
    let is_har = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("har"));
    parse(&file, &text, is_har)
}

/// Parses a recording's text; `is_har` insists on HAR (a `.har` file), else the content
/// decides.
pub fn parse(file: &str, text: &str, is_har: bool) -> Result<Vec<Recorded>, RecordingError> {
    let whole = serde_json::from_str::<Value>(text);
    match whole {
        Ok(doc) if is_har || doc.get("log").is_some() => har(file, &doc),
        Err(e) if is_har => Err(RecordingError {
            file: file.to_owned(),
            place: format!("line {}", e.line()),
            message: format!("not a HAR file: not JSON ({e})"),
        }),
        _ => json_lines(file, text),
    }
}

fn har(file: &str, doc: &Value) -> Result<Vec<Recorded>, RecordingError> {
    let whole = |message: &str| RecordingError {
        file: file.to_owned(),
        place: "the file".to_owned(),
        message: message.to_owned(),
    };
    let entries = doc
        .get("log")
        .ok_or_else(|| whole("not a HAR file: there is no `log`"))?
        .get("entries")
        .and_then(Value::as_array)
        .ok_or_else(|| whole("not a HAR file: `log.entries` is not a list"))?;
    let mut out = Vec::with_capacity(entries.len());
    // Entry by entry rather than `Har` whole: an error names its entry apart from its field.
    for (i, entry) in entries.iter().enumerate() {
        let place = format!("entry {} (log.entries[{i}])", i + 1);
        let fail = |message: String| RecordingError {
            file: file.to_owned(),
            place: place.clone(),
            message,
        };
        let entry: HarEntry =
            serde_path_to_error::deserialize(entry).map_err(|e| fail(field_error(e)))?;
        let recorded = entry.exchange().map_err(fail)?;
        let Some((request, origin, response)) = recorded else {
            tracing::warn!(
                file,
                entry = i + 1,
                "skipped: no response was recorded (status 0)"
            );
            continue;
        };
        out.push(Recorded {
            label: format!("{file} entry {}", i + 1),
            origin,
            request,
            response,
        });
    }
    Ok(out)
}

/// A field of an entry that is missing or of the wrong type, named by its path in the entry.
fn field_error(e: serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = e.path().to_string();
    let inner = e.into_inner().to_string();
    match inner
        .strip_prefix("missing field `")
        .and_then(|f| f.strip_suffix('`'))
    {
        Some(field) if path == "." => format!("`{field}` is missing"),
        Some(field) => format!("`{path}.{field}` is missing"),
        None => format!("`{path}`: {inner}"),
    }
}

type Parsed = (MockRequest, Option<String>, MockResponse);

impl HarEntry {
    /// The exchange; `None` for a request that got no response (browsers record status 0).
    fn exchange(self) -> Result<Option<Parsed>, String> {
        let (req, res) = (self.request, self.response);
        let method = method(&req.method)?;
        let (origin, path, query) = split_url(&req.url)?;
        let mut headers = har_headers(&req.headers, "request")?;
        let mut body = Bytes::new();
        if let Some(post) = req.post_data {
            body = match (post.text, post.params) {
                (Some(text), _) => {
                    decode_text(&text, post.encoding.as_deref(), "request.postData")?
                }
                (None, Some(params)) => Bytes::from(form_encode(&params)),
                (None, None) => Bytes::new(),
            };
            if !post.mime_type.is_empty()
                && !headers.contains_key(http::header::CONTENT_TYPE)
                && let Ok(v) = HeaderValue::from_str(&post.mime_type)
            {
                headers.insert(http::header::CONTENT_TYPE, v);
            }
        }
        let status = status(res.status)?;
        if status == 0 {
            return Ok(None);
        }
        let response_headers = har_headers(&res.headers, "response")?;
        let response_body = match res.content.text {
            Some(text) => decode_text(&text, res.content.encoding.as_deref(), "response.content")?,
            None => Bytes::new(),
        };
        Ok(Some((
            MockRequest {
                method,
                path,
                query,
                headers,
                body,
            },
            origin,
            MockResponse {
                status,
                headers: response_headers
                    .iter()
                    .map(|(n, v)| (n.clone(), v.clone()))
                    .collect(),
                body: response_body,
            },
        )))
    }
}

fn json_lines(file: &str, text: &str) -> Result<Vec<Recorded>, RecordingError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fail = |message: String| RecordingError {
            file: file.to_owned(),
            place: format!("line {}", i + 1),
            message,
        };
        let value: Value = serde_json::from_str(line).map_err(|e| {
            fail(format!(
                "not JSON ({e}); expected one {{\"request\", \"response\"}} object per line"
            ))
        })?;
        let (request, origin, response) = json_line(&value).map_err(fail)?;
        out.push(Recorded {
            label: format!("{file} line {}", i + 1),
            origin,
            request,
            response,
        });
    }
    Ok(out)
}

fn json_line(value: &Value) -> Result<Parsed, String> {
    let req = field(value, "request")?;
    let res = field(value, "response")?;
    let method = method(text_field(req, "method", "request")?)?;
    let url = match req.get("url").or_else(|| req.get("path")) {
        Some(Value::String(s)) => s,
        _ => return Err("`request.url` (or `request.path`) is missing or not a string".to_owned()),
    };
    let (origin, path, query) = split_url(url)?;
    let status = json_status(res)?;
    let response_headers = map_headers(res.get("headers"), "response")?;
    Ok((
        MockRequest {
            method,
            path,
            query,
            headers: map_headers(req.get("headers"), "request")?,
            body: line_body(req, "request")?,
        },
        origin,
        MockResponse {
            status,
            headers: response_headers
                .iter()
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect(),
            body: line_body(res, "response")?,
        },
    ))
}

fn field<'v>(value: &'v Value, name: &str) -> Result<&'v Value, String> {
    match value.get(name) {
        Some(v @ Value::Object(_)) => Ok(v),
        Some(_) => Err(format!("`{name}` is not an object")),
        None => Err(format!("`{name}` is missing")),
    }
}

fn text_field<'v>(value: &'v Value, name: &str, parent: &str) -> Result<&'v str, String> {
    value
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("`{parent}.{name}` is missing or not a string"))
}

fn method(text: &str) -> Result<Method, String> {
    Method::from_bytes(text.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("`request.method` `{text}` is not an HTTP method"))
}

fn status(status: u16) -> Result<u16, String> {
    if status == 0 || (100..=599).contains(&status) {
        Ok(status)
    } else {
        Err(format!("`response.status` {status} is not an HTTP status"))
    }
}

fn json_status(res: &Value) -> Result<u16, String> {
    match res.get("status").and_then(Value::as_u64) {
        Some(s) => u16::try_from(s)
            .map_err(|_| format!("`response.status` {s} is not an HTTP status"))
            .and_then(status),
        None => Err("`response.status` is missing or not a number".to_owned()),
    }
}

/// (origin, path as sent, query) of an absolute URL or a path with its query.
fn split_url(url: &str) -> Result<(Option<String>, String, Option<String>), String> {
    if url.starts_with('/') {
        let url = url.split('#').next().unwrap_or_default();
        let (path, query) = match url.split_once('?') {
            Some((p, q)) => (p, Some(q.to_owned())),
            None => (url, None),
        };
        return Ok((None, path.to_owned(), query));
    }
    let parsed = url::Url::parse(url).map_err(|e| format!("URL `{url}` cannot be read: {e}"))?;
    if parsed.cannot_be_a_base() {
        return Err(format!("URL `{url}` has no path"));
    }
    let origin = parsed.origin().ascii_serialization();
    Ok((
        Some(origin),
        parsed.path().to_owned(),
        parsed.query().map(str::to_owned),
    ))
}

/// HAR headers; HTTP/2 pseudo-headers (`:authority`) are skipped.
fn har_headers(list: &[HarPair], side: &str) -> Result<HeaderMap, String> {
    let mut out = HeaderMap::new();
    for h in list.iter().filter(|h| !h.name.starts_with(':')) {
        let (n, v) = header(&h.name, &h.value, side)?;
        out.append(n, v);
    }
    Ok(out)
}

/// JSON Lines headers: `{"name": "value" | ["value", ...]}`.
fn map_headers(map: Option<&Value>, side: &str) -> Result<HeaderMap, String> {
    let mut out = HeaderMap::new();
    let Some(map) = map.filter(|m| !m.is_null()) else {
        return Ok(out);
    };
    let Value::Object(map) = map else {
        return Err(format!("`{side}.headers` is not an object"));
    };
    for (name, value) in map {
        let values: Vec<&str> = match value {
            Value::String(s) => vec![s],
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => {
                return Err(format!(
                    "`{side}.headers.{name}` is not a string or a list of strings"
                ));
            }
        };
        for v in values {
            let (n, v) = header(name, v, side)?;
            out.append(n, v);
        }
    }
    Ok(out)
}

fn header(name: &str, value: &str, side: &str) -> Result<(HeaderName, HeaderValue), String> {
    let n = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("`{name}` in the {side} headers is not a header name"))?;
    let v = HeaderValue::from_str(value)
        .map_err(|_| format!("the {side} header `{name}` has a value that cannot be sent"))?;
    Ok((n, v))
}

fn line_body(side: &Value, name: &str) -> Result<Bytes, String> {
    if let Some(b64) = side.get("body_base64") {
        let text = b64
            .as_str()
            .ok_or_else(|| format!("`{name}.body_base64` is not a string"))?;
        return base64::engine::general_purpose::STANDARD
            .decode(text)
            .map(Bytes::from)
            .map_err(|e| format!("`{name}.body_base64` is not base64: {e}"));
    }
    Ok(match side.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(s)) => Bytes::from(s.clone()),
        Some(other) => Bytes::from(other.to_string()),
    })
}

/// HAR text, base64-decoded when `encoding` says so.
fn decode_text(text: &str, encoding: Option<&str>, at: &str) -> Result<Bytes, String> {
    match encoding {
        Some(e) if e.eq_ignore_ascii_case("base64") => base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map(Bytes::from)
            .map_err(|err| format!("`{at}.text` is not base64: {err}")),
        None | Some("") => Ok(Bytes::from(text.to_owned())),
        Some(other) => Err(format!(
            "`{at}.encoding` `{other}` is not supported (only base64)"
        )),
    }
}

/// HAR form `params` as an `application/x-www-form-urlencoded` body.
fn form_encode(params: &[HarParam]) -> String {
    let enc = |s: &str| -> String {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    params
        .iter()
        .map(|p| {
            format!(
                "{}={}",
                enc(&p.name),
                enc(p.value.as_deref().unwrap_or_default())
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

// --- HAR 1.2 -------------------------------------------------------------------------------
//
// The parts of a HAR file (http://www.softwareishard.com/blog/har-12-spec/) understudy reads,
// and the members a writer must give. Reading ignores unknown members and defaults the ones
// understudy does not need; only an entry's `request.method`, `request.url` and
// `response.status` are required.

/// A HAR file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Har {
    pub log: HarLog,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HarLog {
    #[serde(default = "har_version")]
    pub version: String,
    #[serde(default)]
    pub creator: HarCreator,
    pub entries: Vec<HarEntry>,
}

impl Default for HarLog {
    fn default() -> Self {
        HarLog {
            version: har_version(),
            creator: HarCreator::default(),
            entries: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HarCreator {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HarEntry {
    /// ISO 8601.
    #[serde(default)]
    pub started_date_time: String,
    /// Milliseconds, request sent to response received.
    #[serde(default)]
    pub time: f64,
    pub request: HarRequest,
    pub response: HarResponse,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HarRequest {
    pub method: String,
    /// Absolute, with the query.
    pub url: String,
    #[serde(default = "http_1_1")]
    pub http_version: String,
    #[serde(default)]
    pub headers: Vec<HarPair>,
    #[serde(default)]
    pub query_string: Vec<HarPair>,
    /// Not read: cookies travel in the `Cookie` header too.
    #[serde(default)]
    pub cookies: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_data: Option<HarPostData>,
    /// -1: unknown.
    #[serde(default = "unknown_size")]
    pub headers_size: i64,
    #[serde(default = "unknown_size")]
    pub body_size: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HarResponse {
    /// 0: no response was recorded.
    pub status: u16,
    #[serde(default)]
    pub status_text: String,
    #[serde(default = "http_1_1")]
    pub http_version: String,
    #[serde(default)]
    pub headers: Vec<HarPair>,
    #[serde(default)]
    pub cookies: Vec<Value>,
    #[serde(default)]
    pub content: HarContent,
    #[serde(default, rename = "redirectURL")]
    pub redirect_url: String,
    #[serde(default = "unknown_size")]
    pub headers_size: i64,
    #[serde(default = "unknown_size")]
    pub body_size: i64,
}

/// A header or a query parameter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HarPair {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HarPostData {
    #[serde(default)]
    pub mime_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// `base64` for bytes; not in HAR 1.2's `postData`, but written by some tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// A form, when `text` is not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Vec<HarParam>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HarParam {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HarContent {
    /// The body's length in bytes, decoded.
    #[serde(default)]
    pub size: i64,
    #[serde(default)]
    pub mime_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// `base64` when `text` holds bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
}

fn har_version() -> String {
    "1.2".to_owned()
}

fn http_1_1() -> String {
    "HTTP/1.1".to_owned()
}

fn unknown_size() -> i64 {
    -1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_har_entry_becomes_a_request_and_a_response() {
        let har_text = r#"{"log": {"version": "1.2", "entries": [{
            "request": {"method": "post", "url": "https://api.example.com/v1/things?x=1",
                        "headers": [{"name": ":authority", "value": "api.example.com"}],
                        "postData": {"mimeType": "application/json", "text": "{\"a\":1}"}},
            "response": {"status": 201, "headers": [{"name": "Content-Type", "value": "application/json"}],
                         "content": {"mimeType": "application/json", "text": "eyJpZCI6MX0=", "encoding": "base64"}}}]}}"#;
        let out = parse("t.har", har_text, true).unwrap();
        let r = &out[0];
        assert_eq!(r.label, "t.har entry 1");
        assert_eq!(r.origin.as_deref(), Some("https://api.example.com"));
        assert_eq!(r.request.method, Method::POST);
        assert_eq!(r.request.path, "/v1/things");
        assert_eq!(r.request.query.as_deref(), Some("x=1"));
        assert_eq!(r.request.headers["content-type"], "application/json");
        assert_eq!(&r.response.body[..], br#"{"id":1}"#);
    }

    #[test]
    fn json_lines_take_json_bodies_text_bodies_and_header_lists() {
        let text = "\n{\"request\": {\"method\": \"GET\", \"path\": \"/a?b=1\", \"headers\": {\"X\": [\"1\", \"2\"]}}, \"response\": {\"status\": 200, \"body\": {\"k\": true}}}\n";
        let out = parse("t.jsonl", text, false).unwrap();
        assert_eq!(out[0].label, "t.jsonl line 2");
        assert_eq!(out[0].request.headers.get_all("x").iter().count(), 2);
        assert_eq!(&out[0].response.body[..], br#"{"k":true}"#);
    }

    #[test]
    fn bad_entries_are_named_by_file_and_place() {
        let err = parse("t.jsonl", "{\"request\": {\"method\": \"GET\"}}", false).unwrap_err();
        assert_eq!(err.place, "line 1");
        assert!(err.message.contains("`response` is missing"));
        let err = parse(
            "t.jsonl",
            "{\"request\": {\"method\": \"GET\", \"url\": \"/\"}, \"response\": {\"status\": 70000}}",
            false,
        )
        .unwrap_err();
        assert_eq!(err.message, "`response.status` 70000 is not an HTTP status");
        let err = parse(
            "t.har",
            r#"{"log": {"entries": [{"request": {}, "response": {}}]}}"#,
            true,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.har: entry 1 (log.entries[0]): `request.method` is missing"
        );
        let err = parse(
            "t.har",
            r#"{"log": {"entries": [{"request": {"method": "GET", "url": "/", "headers": [{"name": "x"}]}, "response": {"status": "200"}}]}}"#,
            true,
        )
        .unwrap_err();
        assert_eq!(err.message, "`request.headers[0].value` is missing");
    }

    #[test]
    fn har_types_write_what_they_read() {
        let text = r#"{"log": {"entries": [{"request": {"method": "GET", "url": "http://h/a"},
            "response": {"status": 204}}]}}"#;
        let har: Har = serde_json::from_str(text).unwrap();
        assert_eq!(har.log.version, "1.2");
        assert_eq!(har.log.entries[0].request.headers_size, -1);
        let again: Har = serde_json::from_value(serde_json::to_value(&har).unwrap()).unwrap();
        assert_eq!(again, har);
    }
}
