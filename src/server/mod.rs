//! The HTTP edge: hyper connections in, `Engine` calls, hyper responses out, one log line per
//! request. Nothing else in the crate knows about hyper.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::engine::{Engine, MockRequest, MockResponse, Outcome};

/// Largest request body read; bigger bodies get 413.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// Serves `engine` on `listener` until `shutdown` completes; in-flight connections are left to
/// finish on their own tasks.
pub async fn run(listener: TcpListener, engine: Arc<Engine>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let engine = engine.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let engine = engine.clone();
                        async move { Ok::<_, Infallible>(serve_one(&engine, req, peer).await) }
                    });
                    if let Err(e) = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await
                    {
                        tracing::debug!(error = %e, %peer, "connection ended with an error");
                    }
                });
            }
        }
    }
}

async fn serve_one(
    engine: &Engine,
    req: Request<Incoming>,
    _peer: SocketAddr,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let mut mock_request = MockRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body: Bytes::new(),
    };
    let outcome = match Limited::new(body, DEFAULT_MAX_BODY).collect().await {
        Ok(collected) => {
            mock_request.body = collected.to_bytes();
            engine.handle(&mock_request)
        }
        Err(e) => {
            let too_large = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            let (status, detail) = if too_large {
                let limit = DEFAULT_MAX_BODY;
                (
                    413,
                    format!("The request body is larger than the limit of {limit} bytes."),
                )
            } else {
                (400, format!("The request body could not be read: {e}."))
            };
            engine.reject(&mock_request, status, detail)
        }
    };
    log(&mock_request, &outcome, started);
    to_hyper(outcome.response)
}

fn log(req: &MockRequest, outcome: &Outcome, started: Instant) {
    let micros = started.elapsed().as_micros() as u64;
    let operation = outcome.operation.as_deref().unwrap_or("-");
    tracing::info!(
        method = %req.method,
        path = %req.path,
        status = outcome.response.status,
        operation,
        micros,
        violations = outcome.violations.len(),
        "request"
    );
    if !outcome.response_violations.is_empty() {
        let list: Vec<String> = outcome
            .response_violations
            .iter()
            .map(ToString::to_string)
            .collect();
        tracing::error!(operation, "the answer breaks the spec: {}", list.join("; "));
    }
}

fn to_hyper(response: MockResponse) -> Response<Full<Bytes>> {
    let mut out = Response::new(Full::new(response.body));
    *out.status_mut() = http::StatusCode::from_u16(response.status)
        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = out.headers_mut();
    for (name, value) in response.headers {
        headers.append(name, value);
    }
    out
}
