//! A deliberately broken server for `understudy check` to catch: the real engine answers
//! every request, then one [`Fault`] spoils the answer. A small std server on 127.0.0.1,
//! port 0, HTTP/1.1 with keep-alive; it stops with the test process.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use understudy::{Engine, EngineConfig, MockRequest, MockResponse};

/// How the answers are spoiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 500 to everything.
    ServerError,
    /// Bodies are sent as `text/html`.
    WrongContentType,
    /// JSON bodies become `[42]`.
    WrongShape,
    /// 2xx answers to valid requests become 400.
    RejectValid,
    /// Every 4xx becomes 200 with the body of the operation's success: invalid input,
    /// missing headers, missing credentials and undeclared methods are all accepted.
    AcceptAll,
}

/// Serves the bundled documents, broken by `fault`.
pub fn serve(fault: Fault) -> SocketAddr {
    let engine = Arc::new(
        Engine::load(&understudy::load::bundled(), EngineConfig::default())
            .unwrap_or_else(|_| panic!("the bundled documents load")),
    );
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("a local address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let engine = engine.clone();
            std::thread::spawn(move || connection(stream, &engine, fault));
        }
    });
    addr
}

fn connection(stream: TcpStream, engine: &Engine, fault: Fault) {
    let mut reader = BufReader::new(stream);
    while let Some(req) = read_request(&mut reader) {
        let resp = spoil(engine, &req, fault);
        let mut head = format!("HTTP/1.1 {} X\r\n", resp.status);
        for (n, v) in &resp.headers {
            if n.as_str() != "content-length" {
                head.push_str(&format!("{n}: {}\r\n", v.to_str().unwrap_or_default()));
            }
        }
        head.push_str(&format!("content-length: {}\r\n\r\n", resp.body.len()));
        let out = reader.get_mut();
        if out.write_all(head.as_bytes()).is_err() || out.write_all(&resp.body).is_err() {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<MockRequest> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = Method::from_bytes(parts.next()?.as_bytes()).ok()?;
    let target = parts.next()?.to_owned();
    let mut headers = HeaderMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':')?;
        headers.append(
            HeaderName::from_bytes(n.trim().as_bytes()).ok()?,
            HeaderValue::from_str(v.trim()).ok()?,
        );
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (target, None),
    };
    Some(MockRequest {
        method,
        path,
        query,
        headers,
        body: Bytes::from(body),
    })
}

fn spoil(engine: &Engine, req: &MockRequest, fault: Fault) -> MockResponse {
    let mut resp = engine.handle(req).response;
    let ok = (200..300).contains(&resp.status);
    match fault {
        Fault::ServerError => resp.status = 500,
        Fault::WrongContentType if !resp.body.is_empty() => {
            set(&mut resp, "content-type", "text/html");
        }
        Fault::WrongShape if !resp.body.is_empty() => resp.body = Bytes::from_static(b"[42]"),
        Fault::RejectValid if ok => resp.status = 400,
        Fault::AcceptAll if (400..500).contains(&resp.status) => {
            resp.status = 200;
            resp.headers.retain(|(n, _)| n.as_str() != "allow");
            resp.body = Bytes::new();
            resp.headers.retain(|(n, _)| n.as_str() != "content-type");
        }
        _ => {}
    }
    resp
}

fn set(resp: &mut MockResponse, name: &'static str, value: &'static str) {
    resp.headers.retain(|(n, _)| n.as_str() != name);
    resp.headers.push((
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    ));
}
