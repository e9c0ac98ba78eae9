//! The proxy's upstream side: the real API's address, and a request forwarded to it with its
//! method, path, query, headers and body (hop-by-hop headers dropped, `Host` the upstream's,
//! as a client of the upstream would send it), its answer read whole, within a time and size
//! bound. Connections are pooled and kept alive (hyper-util's client), so a forwarded request
//! costs no new connection.

use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Request, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::mock::message::{MockRequest, MockResponse};

/// The largest answer read from the upstream; a bigger one is a 502.
pub const MAX_UPSTREAM_BODY: usize = 64 * 1024 * 1024;

/// Where requests are forwarded: `http://host[:port][/base]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamUrl {
    /// `http://host:port`, without a trailing `/`.
    pub origin: String,
    /// The `Host` a client of the upstream sends (`host[:port]`, as the URL writes it).
    pub authority: String,
    /// A path prefix every forwarded path is put under (`/v2`); empty for none.
    pub base: String,
}

/// An `--upstream` URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadUpstream {
    #[error("`{0}` is not a URL: {1}")]
    NotAUrl(String, String),
    #[error("`{0}`: only http:// upstreams are supported for now")]
    Scheme(String),
    #[error("`{0}` names no host")]
    NoHost(String),
    #[error("`{0}` has a query or a fragment; give the origin and an optional base path")]
    QueryOrFragment(String),
}

impl std::str::FromStr for UpstreamUrl {
    type Err = BadUpstream;

    fn from_str(text: &str) -> Result<Self, BadUpstream> {
        let url =
            url::Url::parse(text).map_err(|e| BadUpstream::NotAUrl(text.into(), e.to_string()))?;
        if url.scheme() != "http" {
            return Err(BadUpstream::Scheme(text.into()));
        }
        let Some(host) = url.host_str() else {
            return Err(BadUpstream::NoHost(text.into()));
        };
        if url.query().is_some() || url.fragment().is_some() {
            return Err(BadUpstream::QueryOrFragment(text.into()));
        }
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        Ok(UpstreamUrl {
            origin: format!("http://{authority}"),
            authority,
            base: url.path().trim_end_matches('/').to_owned(),
        })
    }
}

/// Why the upstream gave no answer to pass on; each knows the status the client gets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    /// No connection could be made (refused, no route, a name that does not resolve).
    #[error("the upstream {origin} could not be reached: {cause}")]
    Unreachable { origin: String, cause: String },
    #[error("the upstream did not answer within {} ms", .0.as_millis())]
    TimedOut(Duration),
    /// Connected, but no answer came back that HTTP can read (a reset, garbage, a close).
    #[error("the upstream's answer could not be read: {0}")]
    Broken(String),
    #[error("the upstream's answer is larger than {} bytes", MAX_UPSTREAM_BODY)]
    TooLarge,
    /// The request cannot be written as one to the upstream (its target does not parse).
    #[error("the request cannot be forwarded: {0}")]
    Unforwardable(String),
}

impl UpstreamError {
    pub fn status(&self) -> u16 {
        match self {
            UpstreamError::TimedOut(_) => 504,
            _ => 502,
        }
    }
}

/// The upstream and the pooled client that reaches it.
pub struct Upstream {
    url: UpstreamUrl,
    host: Option<HeaderValue>,
    timeout: Duration,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Upstream {
    /// Needs a tokio runtime when requests are sent, not when built.
    pub fn new(url: UpstreamUrl, timeout: Duration) -> Upstream {
        let mut connector = HttpConnector::new();
        // Small requests and answers: waiting to fill a packet only adds latency.
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(timeout));
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Upstream {
            host: HeaderValue::from_str(&url.authority).ok(),
            url,
            timeout,
            client,
        }
    }

    pub fn url(&self) -> &UpstreamUrl {
        &self.url
    }

    /// `req` sent to the upstream, and its answer read whole; within the upstream timeout,
    /// from the first byte sent to the last read.
    pub async fn forward(&self, req: &MockRequest) -> Result<MockResponse, UpstreamError> {
        let request = self.request(req)?;
        let exchange = async {
            let answer = self.client.request(request).await.map_err(|e| {
                let cause = causes(&e);
                if e.is_connect() {
                    UpstreamError::Unreachable {
                        origin: self.url.origin.clone(),
                        cause,
                    }
                } else {
                    UpstreamError::Broken(cause)
                }
            })?;
            let (parts, body) = answer.into_parts();
            let body = Limited::new(body, MAX_UPSTREAM_BODY)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        UpstreamError::TooLarge
                    } else {
                        UpstreamError::Broken(causes(&*e))
                    }
                })?
                .to_bytes();
            Ok(MockResponse {
                status: parts.status.as_u16(),
                headers: end_to_end(&parts.headers)
                    .map(|(n, v)| (n.clone(), v.clone()))
                    .collect(),
                body,
            })
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(answer) => answer,
            Err(_elapsed) => Err(UpstreamError::TimedOut(self.timeout)),
        }
    }

    /// The request as the upstream gets it.
    fn request(&self, req: &MockRequest) -> Result<Request<Full<Bytes>>, UpstreamError> {
        let query_len = req.query.as_ref().map_or(0, |q| q.len() + 1);
        let mut target = String::with_capacity(
            self.url.origin.len() + self.url.base.len() + req.path.len() + query_len,
        );
        target.push_str(&self.url.origin);
        target.push_str(&self.url.base);
        target.push_str(&req.path);
        if let Some(query) = &req.query {
            target.push('?');
            target.push_str(query);
        }
        let uri: Uri = target
            .parse()
            .map_err(|e: http::uri::InvalidUri| UpstreamError::Unforwardable(e.to_string()))?;
        let mut request = Request::new(Full::new(req.body.clone()));
        *request.method_mut() = req.method.clone();
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        for (name, value) in end_to_end(&req.headers) {
            // The body is whole: hyper writes its length, and nothing is left to continue.
            if name != header::HOST && name != header::CONTENT_LENGTH && name != header::EXPECT {
                headers.append(name.clone(), value.clone());
            }
        }
        if let Some(host) = &self.host {
            headers.insert(header::HOST, host.clone());
        }
        Ok(request)
    }
}

/// Headers meant for the one connection they came on (RFC 9110 section 7.6.1).
static HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
];

/// The headers that go on past this hop: without the hop-by-hop ones, those `Connection`
/// names, and `Upgrade` (the proxy speaks HTTP/1.1 on both sides and switches to nothing).
fn end_to_end(headers: &HeaderMap) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
    let named: Vec<&str> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    headers.iter().filter(move |(name, _)| {
        !HOP_BY_HOP.contains(name)
            && *name != header::UPGRADE
            && !named.iter().any(|n| n.eq_ignore_ascii_case(name.as_str()))
    })
}

/// An error and its causes, outermost first: hyper-util's own words ("client error
/// (Connect)") say little without the causes under them.
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upstream_url_gives_its_origin_host_and_base() {
        let url: UpstreamUrl = "http://127.0.0.1:8080/api/v2/".parse().unwrap();
        assert_eq!(url.origin, "http://127.0.0.1:8080");
        assert_eq!(url.authority, "127.0.0.1:8080");
        assert_eq!(url.base, "/api/v2");
        let url: UpstreamUrl = "http://staging.test".parse().unwrap();
        assert_eq!(
            (url.authority.as_str(), url.base.as_str()),
            ("staging.test", "")
        );
    }

    #[test]
    fn upstream_urls_that_cannot_be_used_are_refused_with_the_reason() {
        assert!(matches!(
            "https://a.test".parse::<UpstreamUrl>(),
            Err(BadUpstream::Scheme(_))
        ));
        assert!(matches!(
            "http://a.test/?x=1".parse::<UpstreamUrl>(),
            Err(BadUpstream::QueryOrFragment(_))
        ));
        assert!(matches!(
            "a.test:80".parse::<UpstreamUrl>(),
            Err(BadUpstream::Scheme(_) | BadUpstream::NotAUrl(..))
        ));
    }

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_stay_behind() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("connection", "keep-alive, x-secret-hop"),
            ("keep-alive", "timeout=5"),
            ("x-secret-hop", "1"),
            ("transfer-encoding", "chunked"),
            ("authorization", "Bearer t"),
            ("accept", "application/json"),
        ] {
            headers.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let kept: Vec<&str> = end_to_end(&headers).map(|(n, _)| n.as_str()).collect();
        assert_eq!(kept, ["authorization", "accept"]);
    }

    #[test]
    fn a_forwarded_request_keeps_path_query_and_body_and_names_the_upstream_host() {
        let upstream = Upstream::new(
            "http://127.0.0.1:9/base".parse().unwrap(),
            Duration::from_secs(1),
        );
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("proxy.local:4010"));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("2"));
        let req = MockRequest {
            method: http::Method::POST,
            path: "/v1/things/a%20b".to_owned(),
            query: Some("x=1&y=%2F".to_owned()),
            headers,
            body: Bytes::from_static(b"{}"),
        };
        let request = upstream.request(&req).unwrap();
        assert_eq!(
            request.uri().to_string(),
            "http://127.0.0.1:9/base/v1/things/a%20b?x=1&y=%2F"
        );
        assert_eq!(request.method(), http::Method::POST);
        assert_eq!(request.headers()[header::HOST], "127.0.0.1:9");
        assert!(request.headers().get(header::CONTENT_LENGTH).is_none());
    }

    #[test]
    fn a_timeout_is_a_504_and_every_other_failure_a_502() {
        assert_eq!(
            UpstreamError::TimedOut(Duration::from_secs(1)).status(),
            504
        );
        assert_eq!(UpstreamError::Broken("reset".into()).status(), 502);
        assert_eq!(UpstreamError::TooLarge.status(), 502);
    }
}
