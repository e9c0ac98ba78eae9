//! One request at the edge: the head held to the limits, the body read (bounded in size and
//! time), the handler asked (the mock, or the proxy), the answer logged and turned into a
//! hyper response. A request
//! refused here is answered in the error format of the API its path belongs to.

use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CONNECTION, HOST, HeaderValue};
use http::{HeaderMap, Uri};
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use hyper::{Request, Response};

use super::config::{ServerConfig, show_size};
use super::fault::{self, AnswerBody, Dropped};
use super::handler::{Handled, Handler};
use crate::mock::message::{MockRequest, MockResponse};
use crate::operation::respond::Fault;

/// Why a request is answered at the edge instead of by the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    /// HTTP/1.1 without `Host`: RFC 9112 section 3.2 has the server answer 400.
    NoHost,
    /// More than one `Host` line (also RFC 9112's 400).
    RepeatedHost {
        count: usize,
    },
    UriTooLong {
        len: usize,
        max: usize,
    },
    TooManyHeaders {
        count: usize,
        max: usize,
    },
    HeadersTooLarge {
        bytes: usize,
        max: usize,
    },
    BodyTooLarge {
        max: usize,
    },
    BodyTooSlow {
        timeout: Duration,
    },
    BodyUnreadable(String),
}

impl Refusal {
    fn status(&self) -> u16 {
        match self {
            Refusal::NoHost | Refusal::RepeatedHost { .. } => 400,
            Refusal::UriTooLong { .. } => 414,
            Refusal::TooManyHeaders { .. } | Refusal::HeadersTooLarge { .. } => 431,
            Refusal::BodyTooLarge { .. } => 413,
            Refusal::BodyTooSlow { .. } => 408,
            Refusal::BodyUnreadable(_) => 400,
        }
    }

    fn detail(&self) -> String {
        match self {
            Refusal::NoHost => "An HTTP/1.1 request must carry a Host header.".to_owned(),
            Refusal::RepeatedHost { count } => {
                format!("The request has {count} Host headers; it must have one.")
            }
            Refusal::UriTooLong { len, max } => format!(
                "The request target is {len} bytes long; the limit is {}.",
                show_size(*max)
            ),
            Refusal::TooManyHeaders { count, max } => {
                format!("The request has {count} header lines; the limit is {max}.")
            }
            Refusal::HeadersTooLarge { bytes, max } => format!(
                "The request headers take {bytes} bytes; the limit is {}.",
                show_size(*max)
            ),
            Refusal::BodyTooLarge { max } => format!(
                "The request body is larger than the limit of {}.",
                show_size(*max)
            ),
            Refusal::BodyTooSlow { timeout } => format!(
                "The request body did not arrive within {} ms.",
                timeout.as_millis()
            ),
            Refusal::BodyUnreadable(e) => format!("The request body could not be read: {e}."),
        }
    }
}

/// Answers one request.
pub(super) async fn serve<H: Handler>(
    handler: &H,
    config: &ServerConfig,
    req: Request<Incoming>,
) -> Result<Response<AnswerBody>, Dropped> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let mut headers = parts.headers;
    let host = check_host(parts.version, &parts.uri, &mut headers);
    let mut mock_request = MockRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers,
        body: Bytes::new(),
    };
    let read = match host.and_then(|()| check_head(config, &parts.uri, &mock_request.headers)) {
        Err(refusal) => Err(refusal),
        Ok(()) => read_body(config, &mock_request.headers, body).await,
    };
    let handled = match read {
        Ok(bytes) => {
            mock_request.body = bytes;
            handler.handle(&mock_request).await
        }
        Err(refusal) => {
            let mut outcome = handler.reject(&mock_request, refusal.status(), refusal.detail());
            // The rest of the request may still be on its way: start the next one afresh.
            outcome
                .response
                .headers
                .push((CONNECTION, HeaderValue::from_static("close")));
            Handled::from(outcome)
        }
    };
    log(&mock_request, &handled, started);
    to_hyper(handled.outcome.response, handled.fault)
}

/// The request's `Host`, as RFC 9112 section 3.2 has it: exactly one in HTTP/1.1 (none is
/// fine in HTTP/1.0), and, when the target is in absolute form (`GET http://host/path`),
/// the target's authority in its place, since the server must then ignore the header.
fn check_host(version: http::Version, uri: &Uri, headers: &mut HeaderMap) -> Result<(), Refusal> {
    let count = headers.get_all(HOST).iter().count();
    if count > 1 {
        return Err(Refusal::RepeatedHost { count });
    }
    if count == 0 && version == http::Version::HTTP_11 {
        return Err(Refusal::NoHost);
    }
    if let Some(authority) = uri.authority()
        && let Ok(value) = HeaderValue::from_str(authority.as_str())
    {
        headers.insert(HOST, value);
    }
    Ok(())
}

/// The request head against the limits: target length, then header count and size.
fn check_head(config: &ServerConfig, uri: &Uri, headers: &HeaderMap) -> Result<(), Refusal> {
    let len = target_len(uri);
    if len > config.max_uri {
        return Err(Refusal::UriTooLong {
            len,
            max: config.max_uri,
        });
    }
    if headers.len() > config.max_headers {
        return Err(Refusal::TooManyHeaders {
            count: headers.len(),
            max: config.max_headers,
        });
    }
    let bytes = header_bytes(headers);
    if bytes > config.max_header_bytes {
        return Err(Refusal::HeadersTooLarge {
            bytes,
            max: config.max_header_bytes,
        });
    }
    Ok(())
}

/// The request target's length as sent (absolute-form targets count their scheme and host).
fn target_len(uri: &Uri) -> usize {
    let prefix = match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => scheme.len() + "://".len() + authority.as_str().len(),
        _ => 0,
    };
    prefix + uri.path_and_query().map_or(0, |pq| pq.as_str().len())
}

/// The header section's size on the wire: `name: value\r\n` per line.
fn header_bytes(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum()
}

/// The whole body, within the size limit and the body timeout.
///
/// A body over the limit is still read to its end and thrown away, up to [`DRAIN_FACTOR`]
/// times the limit and within the body timeout, before the 413 goes out: a client that writes
/// its whole body before reading (most do) would otherwise meet a closed socket and a reset
/// instead of the answer. A client that asked for `100 Continue` is refused before anything
/// is read (it sends nothing until told to), and so is a declared length past the drain bound.
async fn read_body(
    config: &ServerConfig,
    headers: &HeaderMap,
    body: Incoming,
) -> Result<Bytes, Refusal> {
    let max = config.max_body;
    let declared = body.size_hint().lower();
    let drain_bound = (max as u64).saturating_mul(DRAIN_FACTOR);
    if declared > max as u64 && (expects_continue(headers) || declared > drain_bound) {
        return Err(Refusal::BodyTooLarge { max });
    }
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    // Most bodies arrive with their head, and reading them then needs no timer (making one
    // and letting it go is a lock on the runtime's timers, on every request).
    let mut collecting = std::pin::pin!(collect(body, max, drain_bound));
    if let Poll::Ready(done) =
        std::future::poll_fn(|cx| Poll::Ready(collecting.as_mut().poll(cx))).await
    {
        return done;
    }
    match tokio::time::timeout(config.body_timeout, collecting).await {
        Err(_elapsed) => Err(Refusal::BodyTooSlow {
            timeout: config.body_timeout,
        }),
        Ok(result) => result,
    }
}

/// How many times the body limit an oversized body is read (and dropped) before the 413.
const DRAIN_FACTOR: u64 = 8;

/// The body's bytes up to `max`; past it, the rest is read and dropped up to `drain_bound`
/// bytes in all, and the body is refused as too large.
async fn collect(mut body: Incoming, max: usize, drain_bound: u64) -> Result<Bytes, Refusal> {
    let mut kept = bytes::BytesMut::new();
    let mut seen: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Refusal::BodyUnreadable(e.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        seen = seen.saturating_add(data.len() as u64);
        if seen > drain_bound {
            break;
        }
        if seen <= max as u64 {
            kept.extend_from_slice(&data);
        }
    }
    if seen > max as u64 {
        return Err(Refusal::BodyTooLarge { max });
    }
    Ok(kept.freeze())
}

fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"))
}

fn log(req: &MockRequest, handled: &Handled, started: Instant) {
    let outcome = &handled.outcome;
    let micros = started.elapsed().as_micros() as u64;
    let operation = outcome.operation.as_deref().unwrap_or("-");
    let delayed_ms = handled.delayed.map(|d| d.as_millis() as u64);
    let fault = handled.fault.map(Fault::as_str);
    let stub = outcome.staged.stub.as_deref();
    let violated = crate::server::logline::violated(&outcome.violations);
    let line = crate::server::logline::RequestLine {
        target: module_path!(),
        method: req.method.as_str(),
        path: &req.path,
        status: outcome.response.status,
        operation,
        micros,
        violations: outcome.violations.len(),
        violated: violated.as_deref(),
        delayed_ms,
        fault,
        stub,
    };
    if !crate::server::logline::request(&line, tracing::enabled!(tracing::Level::INFO)) {
        tracing::info!(
            method = %req.method,
            path = %req.path,
            status = outcome.response.status,
            operation,
            micros,
            violations = outcome.violations.len(),
            violated = violated.as_deref(),
            delayed_ms,
            fault = fault.map(tracing::field::display),
            stub = stub.map(tracing::field::display),
            "request"
        );
    }
    if let Some(cause) = &outcome.cause {
        tracing::error!(
            operation,
            "the mock could not answer as the spec says: {cause}"
        );
    }
    if !outcome.response_violations.is_empty() {
        let list: Vec<String> = outcome
            .response_violations
            .iter()
            .map(ToString::to_string)
            .collect();
        tracing::error!(operation, "the answer breaks the spec: {}", list.join("; "));
    }
    if !handled.failures.is_empty() {
        tracing::warn!(
            operation,
            "the exchange breaks the contract: {}",
            handled.failures.join("; ")
        );
    }
}

/// The hyper answer, broken as `fault` asks (see `fault`).
fn to_hyper(response: MockResponse, fault: Option<Fault>) -> Result<Response<AnswerBody>, Dropped> {
    let body = match fault {
        None => AnswerBody::whole(response.body),
        Some(Fault::Reset) => return Err(Dropped { reset: true }),
        Some(Fault::Empty) => return Err(Dropped { reset: false }),
        Some(Fault::Truncated) => AnswerBody::truncated(response.body),
        Some(Fault::Malformed) => AnswerBody::whole(fault::malformed(&response.body)),
    };
    let mut out = Response::new(body);
    *out.status_mut() = http::StatusCode::from_u16(response.status)
        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = out.headers_mut();
    for (name, value) in response.headers {
        headers.append(name, value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(target: &str, headers: &[(&str, &str)]) -> (Uri, HeaderMap) {
        let uri: Uri = target.parse().unwrap();
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        (uri, map)
    }

    fn small() -> ServerConfig {
        ServerConfig {
            max_uri: 20,
            max_headers: 2,
            max_header_bytes: 30,
            ..ServerConfig::default()
        }
    }

    #[test]
    fn a_head_within_every_limit_passes() {
        let (uri, headers) = head("/a?b=c", &[("host", "x"), ("accept", "*/*")]);
        assert_eq!(check_head(&small(), &uri, &headers), Ok(()));
    }

    #[test]
    fn the_target_counts_its_query_and_an_absolute_form_counts_its_host() {
        let (uri, _) = head("/abc?d=e", &[]);
        assert_eq!(target_len(&uri), 8);
        let (uri, _) = head("http://h:1/abc?d=e", &[]);
        assert_eq!(target_len(&uri), "http://h:1/abc?d=e".len());
    }

    #[test]
    fn each_limit_names_what_went_over_it() {
        let config = small();
        let (uri, headers) = head("/aaaaaaaaaaaaaaaaaaaaaaaaa", &[]);
        assert_eq!(
            check_head(&config, &uri, &headers),
            Err(Refusal::UriTooLong { len: 26, max: 20 })
        );
        let (uri, headers) = head("/", &[("a", "1"), ("b", "2"), ("a", "3")]);
        assert_eq!(
            check_head(&config, &uri, &headers),
            Err(Refusal::TooManyHeaders { count: 3, max: 2 })
        );
        let (uri, headers) = head("/", &[("a", &"x".repeat(40))]);
        assert_eq!(
            check_head(&config, &uri, &headers),
            Err(Refusal::HeadersTooLarge { bytes: 45, max: 30 })
        );
    }

    #[test]
    fn refusals_carry_their_status_and_a_detail_with_the_limit() {
        let r = Refusal::BodyTooLarge { max: 1024 * 1024 };
        assert_eq!(r.status(), 413);
        assert!(r.detail().contains("1 MiB"), "{}", r.detail());
        let r = Refusal::BodyTooSlow {
            timeout: Duration::from_millis(250),
        };
        assert_eq!(r.status(), 408);
        assert!(r.detail().contains("250 ms"), "{}", r.detail());
        assert_eq!(Refusal::UriTooLong { len: 2, max: 1 }.status(), 414);
        assert_eq!(Refusal::BodyUnreadable("x".into()).status(), 400);
    }

    #[test]
    fn http_1_1_needs_exactly_one_host_and_http_1_0_may_go_without() {
        use http::Version;
        let (uri, mut headers) = head("/", &[]);
        assert_eq!(
            check_host(Version::HTTP_11, &uri, &mut headers),
            Err(Refusal::NoHost)
        );
        assert_eq!(check_host(Version::HTTP_10, &uri, &mut headers), Ok(()));
        let (uri, mut headers) = head("/", &[("host", "a"), ("host", "b")]);
        for version in [Version::HTTP_10, Version::HTTP_11] {
            assert_eq!(
                check_host(version, &uri, &mut headers),
                Err(Refusal::RepeatedHost { count: 2 })
            );
        }
        let (uri, mut headers) = head("/", &[("host", "localhost:4010")]);
        assert_eq!(check_host(Version::HTTP_11, &uri, &mut headers), Ok(()));
        assert_eq!(headers["host"], "localhost:4010");
        assert_eq!(Refusal::NoHost.status(), 400);
    }

    #[test]
    fn an_absolute_form_target_s_authority_stands_in_for_the_host_header() {
        let (uri, mut headers) = head("http://evil.test:4010/v1", &[("host", "127.0.0.1")]);
        assert_eq!(
            check_host(http::Version::HTTP_11, &uri, &mut headers),
            Ok(())
        );
        assert_eq!(headers["host"], "evil.test:4010");
    }
}
