//! The test harness: a real understudy server on 127.0.0.1, port 0, in-process, and a small
//! blocking HTTP/1.1 client with timeouts. Every answer is checked against the spec by the
//! server itself (`check_responses`); the client fails the test when the server says an
//! answer broke it.
//!
//! Requests are written by hand (tests send malformed ones on purpose); answers are read in
//! one place, at the bottom, on httparse: `Reply::parse` for an answer read to the close of its
//! connection, `Reply::read` for one on a connection that stays open, `answer_head` for tests
//! that split answers themselves.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;
use understudy::server::ServerConfig;
use understudy::{Engine, EngineConfig, Source};

/// A running server; stopped when dropped.
pub struct Server {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// The bundled documents.
    pub fn bundled() -> Server {
        Server::start(
            understudy::document::load::bundled(),
            EngineConfig {
                seed: 0,
                check_responses: true,
                ..Default::default()
            },
        )
    }

    /// Documents from files under `tests/docs/`.
    pub fn docs(names: &[&str]) -> Server {
        let sources = names.iter().map(|n| Source::File(doc_path(n))).collect();
        Server::start(
            sources,
            EngineConfig {
                seed: 0,
                check_responses: true,
                ..Default::default()
            },
        )
    }

    /// The bundled documents, served with these limits and timeouts.
    pub fn bundled_with(limits: ServerConfig) -> Server {
        Server::start_with(
            understudy::document::load::bundled(),
            EngineConfig {
                seed: 0,
                check_responses: true,
                ..Default::default()
            },
            limits,
        )
    }

    pub fn start(sources: Vec<Source>, config: EngineConfig) -> Server {
        Server::start_with(sources, config, ServerConfig::default())
    }

    pub fn start_with(sources: Vec<Source>, config: EngineConfig, limits: ServerConfig) -> Server {
        let engine = match Engine::load(&sources, config) {
            Ok(e) => std::sync::Arc::new(e),
            Err(failures) => panic!(
                "documents failed to load: {}",
                failures
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        };
        Server::serving(engine, limits)
    }

    /// Any handler (the mock, the proxy) on the server edge, with these limits.
    pub fn serving<H: understudy::server::Handler>(
        handler: std::sync::Arc<H>,
        limits: ServerConfig,
    ) -> Server {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a test runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port");
        let addr = listener.local_addr().expect("a local address");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(understudy::server::run(listener, handler, limits, async {
                let _ = rx.await;
            }));
        });
        Server {
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn request(&self, method: &str, path: &str) -> Req<'_> {
        request_to(self.addr, method, path)
    }

    pub fn get(&self, path: &str) -> Req<'_> {
        self.request("GET", path)
    }
    pub fn post(&self, path: &str) -> Req<'_> {
        self.request("POST", path)
    }
    pub fn patch(&self, path: &str) -> Req<'_> {
        self.request("PATCH", path)
    }
    pub fn delete(&self, path: &str) -> Req<'_> {
        self.request("DELETE", path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub fn doc_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/docs")
        .join(name)
}

/// Reads `stream` until the server closes it: every byte read, and the error that ended the
/// reading (none for a plain close). A server that neither answers nor closes within the
/// stream's read timeout fails the test.
pub fn read_until_closed(stream: &mut TcpStream) -> (Vec<u8>, Option<std::io::Error>) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (got, None),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                panic!("the server neither answered nor closed in time: {got:?}")
            }
            Err(e) => return (got, Some(e)),
        }
    }
}

/// A request to any server at `addr` (one the test started otherwise).
pub fn request_to(addr: SocketAddr, method: &str, path: &str) -> Req<'static> {
    Req {
        addr,
        _server: std::marker::PhantomData,
        method: method.to_owned(),
        path: path.to_owned(),
        host: addr.to_string(),
        headers: Vec::new(),
        body: Vec::new(),
    }
}

/// A request being built.
pub struct Req<'s> {
    addr: SocketAddr,
    _server: std::marker::PhantomData<&'s Server>,
    method: String,
    path: String,
    /// The `Host` header: the server's address unless a test says otherwise.
    host: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Req<'_> {
    /// Sends `host` as the `Host` header instead of the server's address.
    pub fn host(mut self, host: &str) -> Self {
        self.host = host.to_owned();
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("Authorization", &format!("Bearer {token}"))
    }

    pub fn json(self, body: Value) -> Self {
        self.raw_body("application/json", body.to_string().as_bytes())
    }

    pub fn raw_body(mut self, content_type: &str, body: &[u8]) -> Self {
        self.headers
            .push(("Content-Type".to_owned(), content_type.to_owned()));
        self.body = body.to_vec();
        self
    }

    /// Sends the request and reads the whole answer; panics (failing the test) on transport
    /// errors and on answers the server found to break the spec.
    pub fn send(self) -> Reply {
        let reply = self.send_unchecked();
        if let Some(v) = reply.header("x-understudy-response-violations") {
            panic!(
                "the server's answer breaks the spec: {v}\nbody: {}",
                reply.text()
            );
        }
        reply
    }

    pub fn send_unchecked(self) -> Reply {
        let mut stream = TcpStream::connect(self.addr).expect("connect to the test server");
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
        stream.set_write_timeout(Some(Duration::from_secs(10))).ok();
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.method, self.path, self.host
        );
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if !self.body.is_empty() || matches!(self.method.as_str(), "POST" | "PUT" | "PATCH") {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        head.push_str("\r\n");
        stream
            .write_all(head.as_bytes())
            .expect("write the request");
        stream.write_all(&self.body).expect("write the body");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read the answer");
        Reply::parse(&raw, &self.method)
    }
}

/// An answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// Parses a raw answer to a request of `method`, read to the close of its connection;
    /// panics (failing the test) on a bad one or one cut short.
    pub fn parse(raw: &[u8], method: &str) -> Reply {
        match parse_answer(raw, method, true) {
            Ok(Some((reply, _))) => reply,
            Ok(None) => panic!("an answer cut short: {}", raw.escape_ascii()),
            Err(e) => panic!("{e}"),
        }
    }

    /// Reads one answer to a request of `method` from a connection that stays open, byte by
    /// byte so that what follows it stays unread (the answers read so are small). Panics
    /// (failing the test) on a bad answer or a connection closed mid-answer.
    pub fn read(stream: &mut impl Read, method: &str) -> Reply {
        let mut raw = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            if stream.read(&mut byte).expect("read an answer") == 0 {
                return Reply::parse(&raw, method);
            }
            raw.push(byte[0]);
            if let Some((reply, _)) =
                parse_answer(&raw, method, false).unwrap_or_else(|e| panic!("{e}"))
            {
                return reply;
            }
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }

    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    /// Asserts the status, showing the body when it differs.
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            self.text()
        );
        self
    }
}

// --- reading answers ------------------------------------------------------------------------

/// The head of an answer.
#[derive(Debug)]
pub struct Head {
    pub status: u16,
    /// Names in lower case, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The bytes the head takes, its empty line included.
    pub len: usize,
}

/// Where the body of an answer ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body: an answer to HEAD, a 1xx, 204 or 304.
    Empty,
    Length(usize),
    Chunked,
    /// At the close of the connection.
    Close,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }

    /// Where the body ends, for an answer to a request of `method`.
    pub fn framing(&self, method: &str) -> Framing {
        let chunked = self
            .header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        let length = self.header("content-length").and_then(|v| v.parse().ok());
        match length {
            _ if method == "HEAD" || self.status < 200 || matches!(self.status, 204 | 304) => {
                Framing::Empty
            }
            _ if chunked => Framing::Chunked,
            Some(length) => Framing::Length(length),
            None => Framing::Close,
        }
    }
}

fn header_in<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    let name = name.to_ascii_lowercase();
    headers
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.as_str())
}

/// The head of the answer at the start of `raw`; `Ok(None)` while it is cut short.
pub fn answer_head(raw: &[u8]) -> Result<Option<Head>, String> {
    let mut slots = [httparse::EMPTY_HEADER; 128];
    let mut answer = httparse::Response::new(&mut slots);
    let len = match answer.parse(raw) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => {
            return Err(format!(
                "not an HTTP answer ({e}): {}",
                raw[..raw.len().min(200)].escape_ascii()
            ));
        }
    };
    Ok(Some(Head {
        status: answer.code.unwrap_or_default(),
        headers: answer
            .headers
            .iter()
            .map(|h| {
                let value = String::from_utf8_lossy(h.value);
                (h.name.to_ascii_lowercase(), value.trim().to_owned())
            })
            .collect(),
        len,
    }))
}

/// The whole answer at the start of `raw` and the bytes it takes; `Ok(None)` while it is cut
/// short. `closed`: `raw` is all the connection sent, so a body without a length ends there.
pub fn parse_answer(
    raw: &[u8],
    method: &str,
    closed: bool,
) -> Result<Option<(Reply, usize)>, String> {
    let Some(head) = answer_head(raw)? else {
        return Ok(None);
    };
    let rest = &raw[head.len..];
    let (body, taken) = match head.framing(method) {
        Framing::Empty => (Vec::new(), 0),
        Framing::Length(length) if rest.len() >= length => (rest[..length].to_vec(), length),
        Framing::Length(_) => return Ok(None),
        Framing::Chunked => match dechunk(rest)? {
            Some(done) => done,
            None => return Ok(None),
        },
        Framing::Close if closed => (rest.to_vec(), rest.len()),
        Framing::Close => return Ok(None),
    };
    let reply = Reply {
        status: head.status,
        headers: head.headers,
        body,
    };
    Ok(Some((reply, head.len + taken)))
}

/// A chunked body at the start of `raw`, decoded, and the bytes it takes (trailers included);
/// `Ok(None)` while it is cut short.
fn dechunk(raw: &[u8]) -> Result<Option<(Vec<u8>, usize)>, String> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let (taken, size) = match httparse::parse_chunk_size(&raw[at..]) {
            Ok(httparse::Status::Complete(done)) => done,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(_) => return Err(format!("a bad chunk size: {}", raw[at..].escape_ascii())),
        };
        at += taken;
        let size = usize::try_from(size).map_err(|_| "a chunk too large")?;
        if size == 0 {
            // Trailers, up to the empty line.
            let end = if raw[at..].starts_with(b"\r\n") {
                Some(2)
            } else {
                raw[at..]
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .map(|p| p + 4)
            };
            return Ok(end.map(|end| (body, at + end)));
        }
        let Some(chunk) = raw.get(at..at + size) else {
            return Ok(None);
        };
        body.extend_from_slice(chunk);
        at += size;
        match raw.get(at..at + 2) {
            None => return Ok(None),
            Some(b"\r\n") => at += 2,
            Some(_) => return Err("a chunk longer than its size".to_owned()),
        }
    }
}

/// The sorted member names of a JSON object: the shape of an error body.
pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

/// An engine that checks its own answers, seed 0; a document that does not load fails the
/// test with every problem listed.
pub fn checking_engine(sources: Vec<Source>) -> Engine {
    let config = EngineConfig {
        seed: 0,
        check_responses: true,
        ..Default::default()
    };
    match Engine::load(&sources, config) {
        Ok(e) => e,
        Err(errors) => panic!(
            "documents failed to load: {}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

/// Every engine under test: the bundled documents, and each document of `tests/docs/` but
/// `bad.yaml`, which is made not to load.
pub fn every_engine() -> Vec<Engine> {
    let mut out = vec![checking_engine(understudy::document::load::bundled())];
    let mut docs: Vec<_> = std::fs::read_dir(doc_path(""))
        .expect("tests/docs is readable")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .filter(|p| p.file_name().is_some_and(|n| n != "bad.yaml"))
        .collect();
    docs.sort();
    assert!(docs.len() >= 5, "tests/docs has {} documents", docs.len());
    for path in docs {
        out.push(checking_engine(vec![Source::File(path)]));
    }
    out
}
