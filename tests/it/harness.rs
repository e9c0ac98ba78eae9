//! The test harness: a real understudy server on 127.0.0.1, port 0, in-process, and a small
//! blocking HTTP/1.1 client with timeouts. Every answer is checked against the spec by the
//! server itself (`check_responses`); the client fails the test when the server says an
//! answer broke it.

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
            runtime.block_on(understudy::server::run(listener, engine, limits, async {
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
        Req {
            server: self,
            method: method.to_owned(),
            path: path.to_owned(),
            host: self.addr.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
        }
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

/// A request being built.
pub struct Req<'s> {
    server: &'s Server,
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
        let mut stream = TcpStream::connect(self.server.addr).expect("connect to the test server");
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
    /// Parses a raw answer to a request of `method`; panics (failing the test) on a bad one.
    pub fn parse(raw: &[u8], method: &str) -> Reply {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("an HTTP head");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().expect("a status line");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status code");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        let chunked = headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
        if chunked {
            body = dechunk(&body);
        }
        if method == "HEAD" {
            body.clear();
        }
        Reply {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
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

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&body[..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.trim(), 16).unwrap_or(0);
        let start = line_end + 2;
        if size == 0 || body.len() < start + size {
            break;
        }
        out.extend_from_slice(&body[start..start + size]);
        body = body.get(start + size + 2..).unwrap_or_default();
    }
    out
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
/// the one that is broken on purpose.
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
