//! The HTTP edge: hyper connections in, [`Handler`] calls (the mock's `Engine`, or the
//! proxy), hyper responses out, one log line per request. Nothing else in the crate knows
//! about hyper's server side.
//!
//! - `config`: the limits and timeouts a client gets ([`ServerConfig`]).
//! - `request`: one request: limits checked, body read, the handler asked, the answer logged.
//! - `handler`: what answers a request read whole ([`Handler`]; the engine is one).
//! - `deadline`: the idle and header timeouts of a connection's reads.
//! - `fault`: answers broken on purpose (`Prefer: fault=`): reset, empty, truncated, malformed.
//! - `tls`: the rustls settings [`run_tls`] serves HTTPS with (PEM files, or self-signed).
//!
//! Implementation rationale: every connection is a task in one `JoinSet`, so shutdown can wait
//! for all of them (bounded by the grace period) and then abort the rest and wait for the
//! aborts: when [`run`] returns, no request is still touching the engine, and whoever called
//! it may save the engine's state. A semaphore bounds the connections served at once: each
//! holds buffers (a request head, up to `max_body` of body), so without a bound the memory a
//! crowd of clients can pin is unbounded; over the bound, clients wait in the listen queue
//! instead of being refused. [`serve_connection`] serves one connection over any byte stream
//! with the very service `run` gives each TCP connection, so tests can feed it bytes through
//! memory (`tokio::io::duplex`, see `tests/it/raw_fuzz.rs`) without sockets.

mod config;
mod deadline;
mod fault;
mod handler;
pub(crate) mod logline;
pub(crate) mod logsink;
mod request;
pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

pub use config::{ServerConfig, parse_size, show_size};
use deadline::{Activity, Deadlines, Timeouts};
pub use handler::{Handled, Handler, answer_safely};

/// How long to wait before accepting again after the listener failed (out of file
/// descriptors, say), so a persistent failure does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `handler` (the mock's engine, or the proxy) on `listener` until `shutdown`
/// completes. Then it stops accepting (new connections are refused), closes idle keep-alive
/// connections, lets requests in flight finish for up to `config.shutdown_grace`, drops those
/// still running, and returns.
pub async fn run<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) {
    serve_listener(listener, handler, config, None, shutdown).await;
}

/// [`run`] over TLS: each connection's handshake (bounded by the header timeout) in its own
/// task, then HTTP/1.1 exactly as [`run`] serves it.
pub async fn run_tls<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    config: ServerConfig,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    serve_listener(listener, handler, config, Some(acceptor), shutdown).await;
}

async fn serve_listener<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    config: ServerConfig,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let (stop, stopping) = watch::channel(false);
    let permits = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = accept(&listener, &permits) => {
                let Some((stream, peer, permit)) = accepted else {
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                };
                let handler = handler.clone();
                let mut stopping = stopping.clone();
                let tls = tls.clone();
                connections.spawn(async move {
                    let stop = async move {
                        // Whether asked to stop or the sender is gone, it is time to stop.
                        let _ = stopping.wait_for(|stop| *stop).await;
                    };
                    let ended = match tls {
                        None => connection(stream, handler, config, stop, fault::reset_tcp).await,
                        Some(acceptor) => {
                            let handshake = tokio::time::timeout(
                                config.header_timeout,
                                acceptor.accept(stream),
                            );
                            match handshake.await {
                                Ok(Ok(stream)) => {
                                    let reset = |s: &tokio_rustls::server::TlsStream<TcpStream>| {
                                        fault::reset_tcp(s.get_ref().0);
                                    };
                                    connection(stream, handler, config, stop, reset).await
                                }
                                Ok(Err(e)) => {
                                    tracing::debug!(error = %e, %peer, "TLS handshake failed");
                                    Ok(())
                                }
                                Err(_) => {
                                    tracing::debug!(%peer, "TLS handshake timed out");
                                    Ok(())
                                }
                            }
                        }
                    };
                    if let Err(e) = ended {
                        tracing::debug!(error = %e, %peer, "connection ended with an error");
                    }
                    drop(permit);
                });
            }
        }
    }
    // Connections are told first, then refused: a client that sees the refusal knows that
    // every connection has been told, so an answer it gets from now on says `close`.
    let _ = stop.send(true);
    drop(listener);
    let in_flight = connections.len();
    if in_flight > 0 {
        tracing::info!(
            connections = in_flight,
            "stopping: letting requests in flight finish"
        );
    }
    let drained = tokio::time::timeout(config.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = connections.len(),
            grace_ms = config.shutdown_grace.as_millis() as u64,
            "stopping: dropping connections still busy after the grace period"
        );
        connections.shutdown().await;
    }
}

/// The next connection, once one may be served; `None` when accepting failed.
async fn accept(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
) -> Option<(TcpStream, SocketAddr, OwnedSemaphorePermit)> {
    // The semaphore is never closed, so this only waits.
    let permit = permits.clone().acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, peer)) => Some((stream, peer, permit)),
        Err(e) => {
            tracing::warn!(error = %e, "accept failed");
            None
        }
    }
}

/// Serves one connection over `io` (a TCP stream, or `tokio::io::duplex` in tests) with the
/// limits and timeouts of `config`, exactly as [`run`] serves each connection it accepts,
/// until the client closes it or a limit or timeout does. There is no shutdown signal: drop
/// the future to stop. The error, if any, is why the connection ended (a malformed request,
/// a timeout, a reset): the client's fault, never a failure of the server.
pub async fn serve_connection<I, H: Handler>(
    io: I,
    handler: Arc<H>,
    config: ServerConfig,
) -> Result<(), hyper::Error>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // An in-memory stream has no reset: `fault=reset` closes it.
    connection(io, handler, config, std::future::pending(), |_| {}).await
}

/// One connection until it ends, or until `stop` completes and its request in flight (if any)
/// is answered. `on_reset` makes `io`'s close a reset (`Prefer: fault=reset`).
async fn connection<I, H: Handler>(
    io: I,
    handler: Arc<H>,
    config: ServerConfig,
    stop: impl Future<Output = ()>,
    on_reset: fn(&I),
) -> Result<(), hyper::Error>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::default());
    let timeouts = Timeouts {
        idle: config.idle_timeout,
        header: config.header_timeout,
        write: config.write_timeout,
    };
    let reset = Arc::new(AtomicBool::new(false));
    let io = fault::Faulty::new(io, reset.clone(), on_reset);
    let io = Deadlines::new(io, activity.clone(), timeouts);
    let service = service_fn(move |req| {
        let handler = handler.clone();
        let activity = activity.clone();
        let reset = reset.clone();
        async move {
            activity.start();
            let response = request::serve(&*handler, &config, req).await;
            activity.finish();
            if let Err(dropped) = &response {
                reset.store(dropped.reset, Ordering::Release);
            }
            response
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .keep_alive(true)
        // `Deadlines` keeps the header and idle clocks (see there why not hyper's).
        .header_read_timeout(None)
        .max_header_size(config.hard_head_bytes())
        .max_buf_size(config.read_buffer());
    if let Some(count) = config.hard_header_count() {
        builder.max_headers(count);
    }
    let connection = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    tokio::pin!(stop);
    tokio::select! {
        // The stop first: a request whose last bytes arrive together with the stop is
        // answered with `Connection: close`, as every answer after the stop is.
        biased;
        () = &mut stop => {
            // Closes the connection if idle, else once the request in flight is answered.
            connection.as_mut().graceful_shutdown();
            connection.await
        }
        ended = connection.as_mut() => ended,
    }
}
