//! `--record FILE.har`: every exchange the proxy saw, written as HAR 1.2 (the format
//! `validate` reads), with its secrets redacted unless asked to keep them.
//!
//! Implementation rationale: entries are written as they come, each whole in one write,
//! to `FILE.har.tmp`; at shutdown the closing brackets are written and the file is renamed to
//! `FILE.har`. Memory stays bounded (nothing is kept once written), a reader never sees half
//! a file under the final name, and a crash leaves every entry written so far in the `.tmp`
//! file, a HAR but for its last `]}}`. The writes happen under a std mutex on the request's
//! task: one `write` of an already serialised entry, never held across an `.await`.
//!
//! A redacted value still reads as a credential to the checks, so `validate` gives a
//! recording the verdicts the proxy gave live: `Authorization: Bearer REDACTED` keeps its
//! scheme word, `Basic` carries the base64 of `REDACTED:REDACTED`, cookies keep their names.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue};

use crate::conformance::recording::{
    HarContent, HarEntry, HarPair, HarPostData, HarRequest, HarResponse,
};
use crate::mock::engine::Engine;
use crate::mock::message::{MockRequest, MockResponse};
use crate::operation::security::SchemeKind;

/// What a redacted value becomes.
pub const REDACTED: &str = "REDACTED";

/// The secrets a recording leaves out: the credential headers HTTP names, and every api key
/// the documents' operations accept (in a header, the query or a cookie).
#[derive(Debug, Clone, Default)]
pub struct Redaction {
    headers: Vec<HeaderName>,
    query: Vec<String>,
}

impl Redaction {
    /// The credential headers, and the api keys of every operation of `engine` (read once,
    /// at startup).
    pub fn of(engine: &Engine) -> Redaction {
        let mut out = Redaction::default();
        let schemes = engine
            .apis()
            .iter()
            .flat_map(|api| &api.operations)
            .flat_map(|op| op.security.alternatives())
            .flatten();
        for scheme in schemes {
            match &scheme.kind {
                SchemeKind::ApiKeyHeader(name) => {
                    if let Ok(name) = HeaderName::from_bytes(name.as_bytes())
                        && !out.headers.contains(&name)
                    {
                        out.headers.push(name);
                    }
                }
                SchemeKind::ApiKeyQuery(name) if !out.query.contains(name) => {
                    out.query.push(name.clone());
                }
                // Every cookie's value is redacted already.
                _ => {}
            }
        }
        out
    }

    fn header(&self, name: &HeaderName, value: &HeaderValue) -> String {
        let text = String::from_utf8_lossy(value.as_bytes());
        if name == header::AUTHORIZATION || name == header::PROXY_AUTHORIZATION {
            return credential(&text);
        }
        if name == header::COOKIE {
            return cookies(&text);
        }
        if name == header::SET_COOKIE {
            return set_cookie(&text);
        }
        if self.headers.contains(name) {
            return REDACTED.to_owned();
        }
        text.into_owned()
    }

    fn query(&self, query: &str) -> String {
        if self.query.is_empty() {
            return query.to_owned();
        }
        let pairs = query.split('&').map(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            let decoded = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
            if self.query.iter().any(|q| *q == decoded) {
                format!("{name}={REDACTED}")
            } else {
                pair.to_owned()
            }
        });
        pairs.collect::<Vec<_>>().join("&")
    }
}

/// An `Authorization` value with its scheme word kept: the checks still see a credential of
/// its kind.
fn credential(value: &str) -> String {
    match value.trim().split_once(' ') {
        Some((scheme, _)) if scheme.eq_ignore_ascii_case("basic") => format!(
            "{scheme} {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{REDACTED}:{REDACTED}"))
        ),
        Some((scheme, _)) => format!("{scheme} {REDACTED}"),
        None => REDACTED.to_owned(),
    }
}

/// `a=1; b=2` as `a=REDACTED; b=REDACTED`.
fn cookies(value: &str) -> String {
    let pieces = value.split(';').map(|piece| match piece.split_once('=') {
        Some((name, _)) => format!("{}={REDACTED}", name.trim()),
        None => piece.trim().to_owned(),
    });
    pieces.collect::<Vec<_>>().join("; ")
}

/// `id=abc; Path=/; HttpOnly` as `id=REDACTED; Path=/; HttpOnly`.
fn set_cookie(value: &str) -> String {
    match value.split_once(';') {
        Some((first, attributes)) => format!("{};{attributes}", cookies(first)),
        None => cookies(value),
    }
}

/// A recording being written.
pub struct Recorder {
    path: PathBuf,
    partial: PathBuf,
    /// `None` once redaction is turned off (`--record-secrets`).
    redaction: Option<Redaction>,
    out: Mutex<Writing>,
}

struct Writing {
    /// `None` after a write failed (said once in the log) or the recording was finished.
    file: Option<File>,
    entries: u64,
}

impl Recorder {
    /// Starts `path` (as `path.tmp` until [`Recorder::finish`]); `None` redaction keeps the
    /// secrets.
    pub fn create(path: &Path, redaction: Option<Redaction>) -> std::io::Result<Recorder> {
        let mut partial = path.as_os_str().to_owned();
        partial.push(".tmp");
        let partial = PathBuf::from(partial);
        // Never over one a crash left behind: it holds a recording that can still be read.
        let mut file = File::options()
            .write(true)
            .create_new(true)
            .open(&partial)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    std::io::Error::new(
                        e.kind(),
                        format!(
                            "{} exists: a recording left by a proxy that did not stop \
                             (append `]}}}}` to read it), or one still running; move it away",
                            partial.display()
                        ),
                    )
                } else {
                    e
                }
            })?;
        let head = serde_json::json!({
            "name": "understudy proxy",
            "version": env!("CARGO_PKG_VERSION"),
        });
        writeln!(
            file,
            "{{\"log\": {{\"version\": \"1.2\", \"creator\": {head}, \"entries\": ["
        )?;
        Ok(Recorder {
            path: path.to_owned(),
            partial,
            redaction,
            out: Mutex::new(Writing {
                file: Some(file),
                entries: 0,
            }),
        })
    }

    /// One exchange; `answer` is `Err(why)` when the upstream gave none (a HAR status 0,
    /// which `validate` passes over).
    pub fn write(
        &self,
        req: &MockRequest,
        answer: Result<&MockResponse, &str>,
        started: SystemTime,
        took: Duration,
    ) {
        let entry = self.entry(req, answer, started, took);
        let Ok(text) = serde_json::to_vec(&entry) else {
            return;
        };
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let first = out.entries == 0;
        let Some(file) = out.file.as_mut() else {
            return;
        };
        let mut line = Vec::with_capacity(text.len() + 2);
        if !first {
            line.extend_from_slice(b",\n");
        }
        line.extend_from_slice(&text);
        if let Err(e) = file.write_all(&line) {
            tracing::error!(file = %self.partial.display(), "recording stopped: {e}");
            out.file = None;
            return;
        }
        out.entries += 1;
    }

    /// Closes the recording and gives it its name; the number of entries written.
    pub fn finish(&self) -> std::io::Result<(PathBuf, u64)> {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let Some(mut file) = out.file.take() else {
            return Err(std::io::Error::other(format!(
                "{} was left incomplete after a failed write",
                self.partial.display()
            )));
        };
        file.write_all(b"\n]}}\n")?;
        file.sync_all()?;
        std::fs::rename(&self.partial, &self.path)?;
        Ok((self.path.clone(), out.entries))
    }

    fn entry(
        &self,
        req: &MockRequest,
        answer: Result<&MockResponse, &str>,
        started: SystemTime,
        took: Duration,
    ) -> HarEntry {
        let host = req
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let query = req.query.as_deref().map(|q| match &self.redaction {
            Some(r) => r.query(q),
            None => q.to_owned(),
        });
        let mut url = format!("http://{host}{}", req.path);
        if let Some(q) = &query {
            url.push('?');
            url.push_str(q);
        }
        let query_string = query
            .iter()
            .flat_map(|q| q.split('&'))
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                let decode = |s: &str| {
                    percent_encoding::percent_decode_str(&s.replace('+', " "))
                        .decode_utf8_lossy()
                        .into_owned()
                };
                HarPair {
                    name: decode(name),
                    value: decode(value),
                }
            })
            .collect();
        let post_data = (!req.body.is_empty()).then(|| {
            let (text, encoding) = body_text(&req.body);
            HarPostData {
                mime_type: content_type(&req.headers),
                text: Some(text),
                encoding,
                params: None,
            }
        });
        let response = match answer {
            Ok(resp) => {
                let (text, encoding) = body_text(&resp.body);
                let headers: HeaderMap = resp.headers.iter().cloned().collect();
                HarResponse {
                    status: resp.status,
                    status_text: reason(resp.status),
                    http_version: "HTTP/1.1".to_owned(),
                    headers: self.pairs(&headers),
                    cookies: Vec::new(),
                    content: HarContent {
                        size: resp.body.len() as i64,
                        mime_type: content_type(&headers),
                        text: Some(text),
                        encoding,
                    },
                    redirect_url: String::new(),
                    headers_size: -1,
                    body_size: resp.body.len() as i64,
                }
            }
            Err(why) => HarResponse {
                status: 0,
                status_text: why.to_owned(),
                http_version: "HTTP/1.1".to_owned(),
                headers: Vec::new(),
                cookies: Vec::new(),
                content: HarContent::default(),
                redirect_url: String::new(),
                headers_size: -1,
                body_size: -1,
            },
        };
        let millis = started
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        HarEntry {
            started_date_time: crate::text::rfc3339_millis(millis),
            time: took.as_secs_f64() * 1000.0,
            request: HarRequest {
                method: req.method.to_string(),
                url,
                http_version: "HTTP/1.1".to_owned(),
                headers: self.pairs(&req.headers),
                query_string,
                cookies: Vec::new(),
                post_data,
                headers_size: -1,
                body_size: req.body.len() as i64,
            },
            response,
        }
    }

    fn pairs(&self, headers: &HeaderMap) -> Vec<HarPair> {
        headers
            .iter()
            .map(|(name, value)| HarPair {
                name: name.as_str().to_owned(),
                value: match &self.redaction {
                    Some(r) => r.header(name, value),
                    None => String::from_utf8_lossy(value.as_bytes()).into_owned(),
                },
            })
            .collect()
    }
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn reason(status: u16) -> String {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or_default()
        .to_owned()
}

/// A body as HAR text: itself when it is UTF-8, else base64 (saying so).
fn body_text(body: &[u8]) -> (String, Option<String>) {
    match std::str::from_utf8(body) {
        Ok(text) => (text.to_owned(), None),
        Err(_) => (
            base64::engine::general_purpose::STANDARD.encode(body),
            Some("base64".to_owned()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::recording;

    #[test]
    fn credentials_are_redacted_but_keep_their_scheme_and_cookie_names() {
        assert_eq!(credential("Bearer s3cret"), "Bearer REDACTED");
        assert_eq!(credential("token"), "REDACTED");
        let basic = credential("Basic dXNlcjpwYXNz");
        let encoded = basic.strip_prefix("Basic ").expect("the scheme is kept");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("base64");
        assert_eq!(decoded, b"REDACTED:REDACTED");
        assert_eq!(cookies("a=1; b=\"2\""), "a=REDACTED; b=REDACTED");
        assert_eq!(
            set_cookie("id=abc; Path=/; HttpOnly"),
            "id=REDACTED; Path=/; HttpOnly"
        );
        let r = Redaction {
            headers: vec![HeaderName::from_static("x-api-key")],
            query: vec!["api_key".to_owned()],
        };
        assert_eq!(r.query("a=1&api_key=k&b"), "a=1&api_key=REDACTED&b");
        let key = HeaderValue::from_static("k");
        assert_eq!(
            r.header(&HeaderName::from_static("x-api-key"), &key),
            REDACTED
        );
        assert_eq!(r.header(&HeaderName::from_static("x-other"), &key), "k");
    }

    #[test]
    fn a_recording_is_named_only_when_finished_and_reads_back_as_it_was_sent() {
        let dir = std::env::temp_dir().join(format!("understudy-record-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        let path = dir.join("traffic.har");
        let recorder = Recorder::create(&path, Some(Redaction::default())).expect("created");
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("proxy.test:4010"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer t"));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let req = MockRequest {
            method: http::Method::POST,
            path: "/v1/pets".to_owned(),
            query: Some("a=1".to_owned()),
            headers,
            body: bytes::Bytes::from_static(b"{\"name\":\"Rex\"}"),
        };
        let resp = MockResponse {
            status: 201,
            headers: vec![(header::SET_COOKIE, HeaderValue::from_static("s=1; Path=/"))],
            body: bytes::Bytes::from_static(&[0xff, 0x00]),
        };
        let now = SystemTime::now();
        recorder.write(&req, Ok(&resp), now, Duration::from_millis(3));
        recorder.write(&req, Err("refused"), now, Duration::ZERO);
        assert!(!path.exists(), "not named before it is finished");
        assert!(
            Recorder::create(&path, None).is_err(),
            "a second recording to the same file is refused while the first is written"
        );
        let (_, entries) = recorder.finish().expect("finished");
        assert_eq!(entries, 2);
        let read = recording::read_file(&path).expect("a HAR validate reads");
        assert_eq!(read.len(), 1, "the entry without an answer is passed over");
        let got = &read[0];
        assert_eq!(got.origin.as_deref(), Some("http://proxy.test:4010"));
        assert_eq!(got.request.path, "/v1/pets");
        assert_eq!(got.request.query.as_deref(), Some("a=1"));
        assert_eq!(
            got.request.headers[header::AUTHORIZATION],
            "Bearer REDACTED"
        );
        assert_eq!(got.request.body, req.body);
        assert_eq!(got.response.status, 201);
        assert_eq!(got.response.body, resp.body);
        let cookie = got
            .response
            .headers
            .iter()
            .find(|(n, _)| n == header::SET_COOKIE);
        assert_eq!(
            cookie.map(|(_, v)| v.to_str().unwrap_or_default()),
            Some("s=REDACTED; Path=/")
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
