//! The proxy's upstream side: the real API's address, and a request forwarded to it with its
//! method, path, query, headers and body (hop-by-hop headers dropped, `Host` the upstream's,
//! as a client of the upstream would send it), its answer read whole, within a time and size
//! bound. Connections are pooled and kept alive (hyper-util's client), so a forwarded request
//! costs no new connection.
//!
//! `https://` upstreams are reached through rustls (the ring provider, TLS 1.2 and 1.3), as a
//! client of theirs would: the certificate is checked against the upstream's host name (sent
//! as SNI), with the webpki roots (Mozilla's) and any `--ca-file` certificates as anchors.
//! Implementation rationale: the webpki roots are compiled in, so the same binary trusts the
//! same public CAs everywhere, with no dependency on the system's store; a private CA is
//! named explicitly.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Request, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::mock::message::{MockRequest, MockResponse};

/// The largest answer read from the upstream; a bigger one is a 502.
pub const MAX_UPSTREAM_BODY: usize = 64 * 1024 * 1024;

/// Where requests are forwarded: `http[s]://host[:port][/base]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamUrl {
    /// `http[s]://host[:port]`, without a trailing `/`.
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
    #[error("`{0}`: an upstream is an http:// or https:// URL")]
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
        let scheme = url.scheme();
        if scheme != "http" && scheme != "https" {
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
            origin: format!("{scheme}://{authority}"),
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

/// A `--ca-file` that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BadCaFile {
    #[error("{0}: {1}")]
    Unreadable(String, String),
    #[error("{0}: no PEM certificate (`-----BEGIN CERTIFICATE-----`) in it")]
    Empty(String),
}

/// The certificates of a PEM file (`--ca-file`), to trust besides the public roots.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, BadCaFile> {
    let name = path.display().to_string();
    let unreadable =
        |e: rustls_pki_types::pem::Error| BadCaFile::Unreadable(name.clone(), e.to_string());
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(unreadable)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable)?;
    if certs.is_empty() {
        return Err(BadCaFile::Empty(name));
    }
    Ok(certs)
}

/// The upstream and the pooled client that reaches it.
pub struct Upstream {
    url: UpstreamUrl,
    host: Option<HeaderValue>,
    timeout: Duration,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// rustls' client settings: the ring provider, the webpki roots and `extra_roots`. A
/// certificate rustls cannot read as an anchor is left out, with a warning.
fn tls_config(extra_roots: &[CertificateDer<'static>]) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for cert in extra_roots {
        if let Err(e) = roots.add(cert.clone()) {
            tracing::warn!("a --ca-file certificate is not a trust anchor: {e}");
        }
    }
    // rustls 0.23.48 deprecates its ring provider for lacking post-quantum key exchange; its
    // alternative, aws-lc-rs, needs cmake and nasm to build, which this crate must not.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(builder) => builder.with_root_certificates(roots).with_no_client_auth(),
        // The ring provider supports the default versions: not reached, but a config with
        // the process-wide default provider is as good an answer.
        Err(_) => rustls::ClientConfig::builder()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth(),
    }
}

impl Upstream {
    /// Needs a tokio runtime when requests are sent, not when built. `extra_roots` are
    /// trusted for `https://` upstreams besides the public roots.
    pub fn new(
        url: UpstreamUrl,
        timeout: Duration,
        extra_roots: &[CertificateDer<'static>],
    ) -> Upstream {
        let mut http = HttpConnector::new();
        // Small requests and answers: waiting to fill a packet only adds latency.
        http.set_nodelay(true);
        http.set_connect_timeout(Some(timeout));
        // https:// URIs reach the TLS layer wrapped around this connector.
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config(extra_roots))
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
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
            "ftp://a.test".parse::<UpstreamUrl>(),
            Err(BadUpstream::Scheme(_))
        ));
        let tls: UpstreamUrl = "https://a.test:8443/v1".parse().unwrap();
        assert_eq!(tls.origin, "https://a.test:8443");
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
            &[],
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
