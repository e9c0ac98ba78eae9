//! Documents given by URL (`--spec https://...`): fetched once, at start, over HTTP/1.1 with
//! rustls (the ring provider, the webpki roots), within a timeout and a size limit. Nothing
//! on the request path fetches anything.
//!
//! Implementation rationale: hyper-util's client is already the proxy's, so fetching adds no
//! HTTP library. Loading is synchronous and may be called from inside a runtime (a library
//! user's, a test's), where `block_on` would panic; each fetch therefore runs its own
//! current-thread runtime on a thread of its own. Redirects are followed (at most
//! [`MAX_REDIRECTS`]); a `$ref`'s fetch may only be redirected within the document's origin,
//! so a redirect cannot carry it where a `$ref` may not go.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use url::{Origin, Url};

/// Redirects followed for one fetch.
pub const MAX_REDIRECTS: usize = 5;

/// How long a fetch may take and how much it may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    /// From the connection to the last byte of the body (`--fetch-timeout`).
    pub timeout: Duration,
    /// The largest document (or referenced file) read.
    pub max_bytes: usize,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits {
            timeout: Duration::from_secs(30),
            // GitHub's description, the largest in the APIs.guru directory, is about 11 MB
            // of JSON: this leaves room without letting a server stream forever.
            max_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Why a URL could not be fetched. Each names the URL it was asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("cannot fetch {url}: only http:// and https:// URLs are fetched")]
    Scheme { url: String },
    #[error("cannot fetch {url}: {reason}")]
    Failed { url: String, reason: String },
    #[error("cannot fetch {url}: no whole answer within {}s (--fetch-timeout)", *millis as f64 / 1000.0)]
    Timeout { url: String, millis: u128 },
    #[error("cannot fetch {url}: the server answered {status}")]
    Status { url: String, status: u16 },
    #[error("cannot fetch {url}: it is larger than {limit} bytes")]
    TooBig { url: String, limit: usize },
    #[error("cannot fetch {url}: it is not UTF-8 text")]
    NotText { url: String },
    #[error(
        "cannot fetch {url}: redirected to {to}, another origin than the document's \
         (a `$ref` is fetched from the document's own origin only)"
    )]
    CrossOrigin { url: String, to: String },
    #[error("cannot fetch {url}: more than {MAX_REDIRECTS} redirects")]
    Redirects { url: String },
}

/// The text at `url`. With `origin`, every redirect must stay in it (a `$ref`'s fetch).
pub fn fetch(
    url: &Url,
    origin: Option<&Origin>,
    limits: FetchLimits,
) -> Result<String, FetchError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::Scheme {
            url: url.to_string(),
        });
    }
    let (asked, origin) = (url.clone(), origin.cloned());
    let failed = |reason: &str| FetchError::Failed {
        url: url.to_string(),
        reason: reason.to_owned(),
    };
    let worker = std::thread::Builder::new()
        .name("understudy-fetch".to_owned())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| FetchError::Failed {
                    url: asked.to_string(),
                    reason: format!("cannot start a runtime: {e}"),
                })?;
            runtime.block_on(async {
                match tokio::time::timeout(limits.timeout, get(&asked, origin.as_ref(), limits))
                    .await
                {
                    Ok(got) => got,
                    Err(_) => Err(FetchError::Timeout {
                        url: asked.to_string(),
                        millis: limits.timeout.as_millis(),
                    }),
                }
            })
        })
        .map_err(|e| failed(&format!("cannot start a thread: {e}")))?;
    worker
        .join()
        .unwrap_or_else(|_| Err(failed("the fetch stopped unexpectedly")))
}

async fn get(
    asked: &Url,
    origin: Option<&Origin>,
    limits: FetchLimits,
) -> Result<String, FetchError> {
    let failed = |reason: String| FetchError::Failed {
        url: asked.to_string(),
        reason,
    };
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(connector());
    let mut url = asked.clone();
    for _ in 0..=MAX_REDIRECTS {
        let request = http::Request::get(url.as_str())
            .header(
                http::header::USER_AGENT,
                concat!("understudy/", env!("CARGO_PKG_VERSION")),
            )
            .header(
                http::header::ACCEPT,
                "application/json, application/yaml, text/yaml, text/plain;q=0.9, */*;q=0.8",
            )
            .body(Empty::new())
            .map_err(|e| failed(e.to_string()))?;
        let response = client
            .request(request)
            .await
            .map_err(|e| failed(causes(&e)))?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| failed(format!("the server answered {status} with no Location")))?;
            let next = url
                .join(location)
                .map_err(|e| failed(format!("redirected to `{location}`: {e}")))?;
            if !matches!(next.scheme(), "http" | "https") {
                return Err(FetchError::Scheme {
                    url: next.to_string(),
                });
            }
            if origin.is_some_and(|o| *o != next.origin()) {
                return Err(FetchError::CrossOrigin {
                    url: asked.to_string(),
                    to: next.to_string(),
                });
            }
            url = next;
            continue;
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: asked.to_string(),
                status: status.as_u16(),
            });
        }
        let too_big = || FetchError::TooBig {
            url: asked.to_string(),
            limit: limits.max_bytes,
        };
        let declared = response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limits.max_bytes as u64) {
            return Err(too_big());
        }
        let body = Limited::new(response.into_body(), limits.max_bytes)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    too_big()
                } else {
                    failed(causes(&*e))
                }
            })?
            .to_bytes();
        return String::from_utf8(body.to_vec()).map_err(|_| FetchError::NotText {
            url: asked.to_string(),
        });
    }
    Err(FetchError::Redirects {
        url: asked.to_string(),
    })
}

/// http:// and https:// (rustls with ring and the webpki roots), HTTP/1.1.
fn connector() -> hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    // rustls 0.23.48 deprecates its ring provider for lacking post-quantum key exchange; its
    // alternative, aws-lc-rs, needs cmake and nasm to build, which this crate must not.
    #[allow(deprecated)]
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let tls = match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(builder) => builder.with_root_certificates(roots).with_no_client_auth(),
        // The ring provider supports the default versions: not reached.
        Err(_) => rustls::ClientConfig::builder()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth(),
    };
    hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build()
}

/// An error and its causes, `: `-separated (hyper-util's own text is only "client error").
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;

    use super::*;

    /// A loopback server that answers each of `answers`, in order, one per connection (each
    /// connection bounded to 10 s), then stops. Its `http://127.0.0.1:PORT`.
    fn serve(answers: Vec<Vec<u8>>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for answer in answers {
                let Ok((mut stream, _)) = listener.accept() else {
                    return;
                };
                stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = stream.write_all(&answer);
            }
        });
        base
    }

    fn ok(body: &str) -> Vec<u8> {
        format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    fn redirect(to: &str) -> Vec<u8> {
        format!(
            "HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )
        .into_bytes()
    }

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn a_url_of_another_scheme_is_refused_before_anything_is_sent() {
        let e = fetch(
            &url("ftp://example.test/api.yaml"),
            None,
            FetchLimits::default(),
        )
        .unwrap_err();
        assert!(matches!(e, FetchError::Scheme { .. }), "{e}");
        assert!(e.to_string().contains("ftp://example.test/api.yaml"), "{e}");
    }

    #[test]
    fn an_unreachable_server_is_named_with_the_cause() {
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        let e = fetch(
            &url("http://127.0.0.1:1/api.yaml"),
            None,
            FetchLimits::default(),
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("cannot fetch http://127.0.0.1:1/api.yaml: "),
            "{text}"
        );
        assert!(text.contains("refused"), "{text}");
    }

    #[test]
    fn a_document_is_fetched_through_a_redirect() {
        let base = serve(vec![redirect("/moved.yaml"), ok("openapi: 3.1.0")]);
        let text = fetch(
            &url(&format!("{base}/api.yaml")),
            None,
            FetchLimits::default(),
        );
        assert_eq!(text, Ok("openapi: 3.1.0".to_owned()));
    }

    #[test]
    fn a_body_over_the_size_limit_is_refused_whether_or_not_its_length_is_declared() {
        let limits = FetchLimits {
            max_bytes: 1000,
            ..FetchLimits::default()
        };
        let big = "x".repeat(1001);
        let unsized_answer = format!("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{big}");
        let base = serve(vec![ok(&big), unsized_answer.into_bytes()]);
        for _ in 0..2 {
            let e = fetch(&url(&format!("{base}/big.yaml")), None, limits).unwrap_err();
            assert!(matches!(e, FetchError::TooBig { limit: 1000, .. }), "{e}");
        }
        let base = serve(vec![ok(&"x".repeat(1000))]);
        assert!(fetch(&url(&format!("{base}/just.yaml")), None, limits).is_ok());
    }

    #[test]
    fn a_refs_fetch_may_not_be_redirected_to_another_origin() {
        let base = serve(vec![redirect("http://127.0.0.1:1/elsewhere.yaml")]);
        let asked = url(&format!("{base}/part.yaml"));
        let e = fetch(&asked, Some(&asked.origin()), FetchLimits::default()).unwrap_err();
        assert!(matches!(e, FetchError::CrossOrigin { .. }), "{e}");
        assert!(
            e.to_string().contains("http://127.0.0.1:1/elsewhere.yaml"),
            "{e}"
        );
    }

    #[test]
    fn a_server_that_never_answers_is_given_up_after_the_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let asked = url(&format!(
            "http://{}/slow.yaml",
            listener.local_addr().unwrap()
        ));
        let limits = FetchLimits {
            timeout: Duration::from_millis(200),
            ..FetchLimits::default()
        };
        // The listener is kept (connections queue and are never answered) until the end.
        let e = fetch(&asked, None, limits).unwrap_err();
        assert!(matches!(e, FetchError::Timeout { .. }), "{e}");
        assert!(e.to_string().contains("--fetch-timeout"), "{e}");
        drop(listener);
    }
}
