//! The benchmark's ceiling: a bare hyper server with the same setup as `understudy serve`
//! (multi-thread tokio runtime, HTTP/1.1 with keep-alive, the request body read whole) that
//! answers every request with one fixed JSON body: no routing, no validation, no state.
//!
//! ```sh
//! cargo run --release --example bare -- --port 0 [--body-file FILE]
//! ```
//!
//! Prints `listening on http://ADDR` on stdout once it accepts connections. Without
//! `--body-file` the body is a 20-item list shaped like GitBook's list of a space's users.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The same limit as understudy's default `--max-body` (a test in `tests/it/limits.rs`
/// pins that default at 1 MiB).
const MAX_BODY: usize = 1024 * 1024;

struct Args {
    port: u16,
    body: Bytes,
}

fn usage() -> ! {
    eprintln!("usage: bare [--port N] [--body-file FILE]");
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut port = 0;
    let mut body = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--port", Some(p)) => port = p.parse().unwrap_or_else(|_| usage()),
            ("--body-file", Some(path)) => match std::fs::read(&path) {
                Ok(bytes) => body = Some(Bytes::from(bytes)),
                Err(e) => {
                    eprintln!("bare: cannot read {path}: {e}");
                    std::process::exit(2)
                }
            },
            _ => usage(),
        }
    }
    Args {
        port,
        body: body.unwrap_or_else(list_body),
    }
}

/// A page of 20 users with their permissions, shaped and sized like GitBook's (about 4.7 kB).
fn list_body() -> Bytes {
    let items: Vec<String> = (0..20)
        .map(|i| {
            format!(
                r#"{{"permission":"edit","user":{{"object":"user","id":"uBench{i}","displayName":"User {i}","email":"user{i}@example.com","photoURL":"https://avatars.example.com/uBench{i}.png","urls":{{"location":"https://api.gitbook.com/v1/users/uBench{i}"}}}}}}"#
            )
        })
        .collect();
    Bytes::from(format!(r#"{{"items":[{}],"count":20}}"#, items.join(",")))
}

async fn answer(req: Request<Incoming>, body: Bytes) -> Response<Full<Bytes>> {
    // Read the request body as understudy does, so POSTs cost the same on the wire.
    let status = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(_) => http::StatusCode::OK,
        Err(_) => http::StatusCode::BAD_REQUEST,
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

fn main() -> std::io::Result<()> {
    let args = parse_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
        println!("listening on http://{}", listener.local_addr()?);
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    eprintln!("bare: accept failed: {e}");
                    continue;
                }
            };
            let body = args.body.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let body = body.clone();
                    async move { Ok::<_, Infallible>(answer(req, body).await) }
                });
                // Errors are clients hanging up mid-request: nothing to do about them.
                let _ = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}
