//! A deliberately broken server for `understudy check` to catch: the real engine answers
//! every request, then one [`Fault`] spoils the answer (or, for the stateful faults, the
//! request goes to a throwaway session of the engine instead of its own). A small std server on 127.0.0.1,
//! port 0, HTTP/1.1 with keep-alive; it stops with the test process. It serves the bundled
//! documents ([`serve`]) or documents of `tests/docs/` ([`serve_docs`]).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use understudy::conformance::checks::declared_response;
use understudy::mock::engine::Routed;
use understudy::operation::params::ParamIn;
use understudy::{Engine, EngineConfig, MockRequest, MockResponse, Source};

use crate::harness::doc_path;

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
    /// 2xx answers to valid requests become 418, a status no operation of a strict document
    /// declares.
    UndeclaredStatus,
    /// A request that lacks a required header is answered as if it had one: the header is
    /// filled in from a generated valid request and the request answered again.
    IgnoreRequiredHeader,
    /// The response headers the answer's declared response marks as required are left out.
    DropResponseHeader,
    /// A `DELETE` is answered as the server would answer it (a success when the thing
    /// exists), but nothing is deleted: it is applied to a throwaway copy of the session
    /// (its writes replayed in a fresh one).
    DeleteIsNoop,
    /// `POST`, `PUT` and `PATCH` are answered from a fresh throwaway session, so later reads
    /// do not see what they made or changed.
    ForgetCreates,
    /// A create's answer names what it made with an empty id: its `id` member is `""`, and
    /// it has no `Location`.
    EmptyIds,
}

/// The engine behind the double, with what the stateful faults need.
struct Double {
    engine: Engine,
    fault: Fault,
    /// Per session (`X-Understudy-Session`, empty for the default one): its writes, in order.
    writes: Mutex<HashMap<String, Vec<MockRequest>>>,
    throwaways: AtomicU64,
}

impl Double {
    fn answer(&self, req: &MockRequest) -> MockResponse {
        let write = matches!(req.method, Method::POST | Method::PUT | Method::PATCH);
        match self.fault {
            Fault::DeleteIsNoop if req.method == Method::DELETE => {
                let past = self.writes_of(req);
                return self.in_throwaway(req, &past);
            }
            Fault::DeleteIsNoop if write => {
                if let Ok(mut writes) = self.writes.lock() {
                    writes.entry(session(req)).or_default().push(req.clone());
                }
            }
            Fault::ForgetCreates if write => return self.in_throwaway(req, &[]),
            _ => {}
        }
        spoil(&self.engine, req, self.fault)
    }

    fn writes_of(&self, req: &MockRequest) -> Vec<MockRequest> {
        self.writes
            .lock()
            .map(|w| w.get(&session(req)).cloned().unwrap_or_default())
            .unwrap_or_default()
    }

    /// `req` answered in a fresh session where `past` was sent first.
    fn in_throwaway(&self, req: &MockRequest, past: &[MockRequest]) -> MockResponse {
        let n = self.throwaways.fetch_add(1, Ordering::Relaxed);
        let name = HeaderValue::from_str(&format!("broken-throwaway-{n}"))
            .unwrap_or_else(|_| HeaderValue::from_static("broken-throwaway"));
        let moved = |r: &MockRequest| {
            let mut r = r.clone();
            r.headers.insert(SESSION, name.clone());
            r
        };
        for p in past {
            self.engine.handle(&moved(p));
        }
        self.engine.handle(&moved(req)).response
    }
}

const SESSION: &str = "x-understudy-session";

fn session(req: &MockRequest) -> String {
    req.headers
        .get(SESSION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Serves the bundled documents, broken by `fault`.
pub fn serve(fault: Fault) -> SocketAddr {
    serve_sources(&understudy::document::load::bundled(), fault)
}

/// Serves documents of `tests/docs/`, broken by `fault`.
pub fn serve_docs(names: &[&str], fault: Fault) -> SocketAddr {
    let sources: Vec<Source> = names.iter().map(|n| Source::File(doc_path(n))).collect();
    serve_sources(&sources, fault)
}

fn serve_sources(sources: &[Source], fault: Fault) -> SocketAddr {
    let engine = Engine::load(sources, EngineConfig::default())
        .unwrap_or_else(|_| panic!("the documents load"));
    let double = Arc::new(Double {
        engine,
        fault,
        writes: Mutex::new(HashMap::new()),
        throwaways: AtomicU64::new(0),
    });
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("a local address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let double = double.clone();
            std::thread::spawn(move || connection(stream, &double));
        }
    });
    addr
}

fn connection(stream: TcpStream, double: &Double) {
    let mut reader = BufReader::new(stream);
    while let Some(req) = read_request(&mut reader) {
        let resp = double.answer(&req);
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
        Fault::UndeclaredStatus if ok => resp.status = 418,
        Fault::EmptyIds if ok && req.method == Method::POST => {
            resp.headers.retain(|(n, _)| n.as_str() != "location");
            if let Ok(serde_json::Value::Object(mut body)) = serde_json::from_slice(&resp.body)
                && body.contains_key("id")
            {
                body.insert("id".to_owned(), serde_json::Value::String(String::new()));
                resp.body = Bytes::from(serde_json::Value::Object(body).to_string());
            }
        }
        Fault::IgnoreRequiredHeader if (400..500).contains(&resp.status) => {
            if let Some(filled) = with_required_headers(engine, req) {
                resp = engine.handle(&filled).response;
            }
        }
        Fault::DropResponseHeader => {
            if let Routed::Operation { op, .. } = engine.route_of(&req.method, &req.path)
                && let Some(spec) = declared_response(op, resp.status)
            {
                for h in spec.header_checks.iter().filter(|h| h.required) {
                    resp.headers
                        .retain(|(n, _)| !n.as_str().eq_ignore_ascii_case(&h.name));
                }
            }
        }
        _ => {}
    }
    resp
}

/// `req` with the required header parameters it lacks, valued as in a generated valid
/// request of its operation; `None` when it lacks none.
fn with_required_headers(engine: &Engine, req: &MockRequest) -> Option<MockRequest> {
    let Routed::Operation { api, op, .. } = engine.route_of(&req.method, &req.path) else {
        return None;
    };
    let missing: Vec<&str> = op
        .params
        .iter()
        .map(|p| &p.plan)
        .filter(|p| p.location == ParamIn::Header && p.required)
        .map(|p| p.name.as_str())
        .filter(|n| !req.headers.contains_key(*n))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let strategy = understudy::conformance::fuzz::valid_request(api, op).ok()?;
    let generated = strategy
        .new_tree(&mut TestRunner::deterministic())
        .ok()?
        .current();
    let mut filled = req.clone();
    for (name, value) in &generated.headers {
        if missing.iter().any(|m| m.eq_ignore_ascii_case(name)) {
            filled.headers.insert(
                HeaderName::from_bytes(name.as_bytes()).ok()?,
                HeaderValue::from_str(value).ok()?,
            );
        }
    }
    Some(filled)
}

fn set(resp: &mut MockResponse, name: &'static str, value: &'static str) {
    resp.headers.retain(|(n, _)| n.as_str() != name);
    resp.headers.push((
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    ));
}
