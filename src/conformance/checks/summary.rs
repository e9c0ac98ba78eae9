//! A request as reports show it, and a `curl` command that sends it again.

use crate::mock::message::MockRequest;

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
