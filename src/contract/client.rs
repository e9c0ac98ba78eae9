//! A small blocking HTTP/1.1 client for `understudy check`: one kept-alive connection,
//! connect/read/write timeouts, `Content-Length`, chunked and read-to-close bodies. Plain
//! `http://` only.
//!
//! # Implementation rationale
//!
//! `check` sends one request at a time and judges each answer before the next (stories depend
//! on order), so a blocking client on `std::net::TcpStream` is all it needs, and it keeps
//! hyper's client, TLS and an async runtime out of the dependency tree. A ready-made client
//! (ureq) was not used: it validates and rewrites what it sends (its own `Host`, `User-Agent`
//! and `Accept`, URIs through `http::Uri`), and `check` must send each generated request as it
//! is, header bytes included. The socket and the writing are ours; answers are read by
//! `httparse` (heads and chunk sizes), the parser hyper uses, so garbage in an answer is a
//! `Malformed` error, never a panic.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue};

use crate::mock::message::{MockRequest, MockResponse};

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("`{0}` is not an http:// URL (understudy check speaks plain HTTP/1.1)")]
    BadUrl(String),
    #[error("cannot resolve {0}")]
    Resolve(String),
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The server closed the connection while the body was being sent, without an answer.
    #[error(
        "the server closed the connection before the whole body ({len} bytes) was sent, and \
         gave no answer ({source})"
    )]
    BodyCut {
        len: usize,
        #[source]
        source: std::io::Error,
    },
    #[error("malformed answer: {0}")]
    Malformed(String),
}

/// Largest body read from a server.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Largest head (status line and headers) read from a server, and most headers in it.
const MAX_HEAD: usize = 1024 * 1024;
const MAX_HEADERS: usize = 256;

/// A connection to one server, reopened when the server closes it.
pub struct Client {
    addr: SocketAddr,
    host: String,
    /// The URL's path, prepended to every request path (`http://h/base` → `/base/...`).
    prefix: String,
    /// `scheme://host[:port]` plus prefix, for curl commands.
    pub origin: String,
    timeout: Duration,
    conn: Option<BufReader<TcpStream>>,
}

impl Client {
    /// A client for `base_url` (`http://host[:port][/prefix]`); connects on the first request.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Client, ClientError> {
        let url = url::Url::parse(base_url).map_err(|_| ClientError::BadUrl(base_url.into()))?;
        if url.scheme() != "http" {
            return Err(ClientError::BadUrl(base_url.into()));
        }
        let host = url
            .host_str()
            .ok_or_else(|| ClientError::BadUrl(base_url.into()))?;
        let port = url.port_or_known_default().unwrap_or(80);
        let addr = (host, port)
            .to_socket_addrs()
            .map_err(|_| ClientError::Resolve(format!("{host}:{port}")))?
            .next()
            .ok_or_else(|| ClientError::Resolve(format!("{host}:{port}")))?;
        let host_header = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        let prefix = url.path().trim_end_matches('/').to_owned();
        Ok(Client {
            addr,
            origin: format!("http://{host_header}{prefix}"),
            host: host_header,
            prefix,
            timeout,
            conn: None,
        })
    }

    /// Opens a connection now, so an unreachable server is known before any work.
    pub fn connect(&mut self) -> Result<(), ClientError> {
        if self.conn.is_none() {
            let stream =
                TcpStream::connect_timeout(&self.addr, self.timeout).map_err(|source| {
                    ClientError::Connect {
                        addr: self.addr.to_string(),
                        source,
                    }
                })?;
            stream.set_read_timeout(Some(self.timeout))?;
            stream.set_write_timeout(Some(self.timeout))?;
            let _ = stream.set_nodelay(true);
            self.conn = Some(BufReader::new(stream));
        }
        Ok(())
    }

    /// Sends `req` and reads the answer. A kept-alive connection the server closed in the
    /// meantime is reopened once.
    pub fn send(&mut self, req: &MockRequest) -> Result<MockResponse, ClientError> {
        let reused = self.conn.is_some();
        match self.try_send(req) {
            Ok(resp) => Ok(resp),
            Err(ClientError::Io(_) | ClientError::Malformed(_) | ClientError::BodyCut { .. })
                if reused =>
            {
                self.conn = None;
                self.try_send(req)
            }
            Err(e) => {
                self.conn = None;
                Err(e)
            }
        }
    }

    fn try_send(&mut self, req: &MockRequest) -> Result<MockResponse, ClientError> {
        self.connect()?;
        let head = self.head_of(req);
        let Some(conn) = self.conn.as_mut() else {
            return Err(ClientError::Malformed("no connection".into()));
        };
        let head_request = req.method == http::Method::HEAD;
        let stream = conn.get_mut();
        let written = stream
            .write_all(&head)
            .and_then(|()| stream.write_all(&req.body))
            .and_then(|()| stream.flush());
        if let Err(e) = written {
            // A server may answer before reading the whole body (413 for a body over its
            // limit) and close: its answer is the one to judge, not the broken pipe.
            let answered = read_response(conn, head_request);
            self.conn = None;
            return match answered {
                Ok((resp, _)) => Ok(resp),
                Err(_) if !req.body.is_empty() => Err(ClientError::BodyCut {
                    len: req.body.len(),
                    source: e,
                }),
                Err(_) => Err(ClientError::Io(e)),
            };
        }
        let (resp, keep) = read_response(conn, head_request)?;
        if !keep {
            self.conn = None;
        }
        Ok(resp)
    }

    /// The request's head as sent: header values byte for byte, whatever they hold.
    fn head_of(&self, req: &MockRequest) -> Vec<u8> {
        let mut target = format!("{}{}", self.prefix, req.path);
        if let Some(q) = &req.query {
            target.push('?');
            target.push_str(q);
        }
        let mut head = format!(
            "{} {target} HTTP/1.1\r\nhost: {}\r\n",
            req.method, self.host
        )
        .into_bytes();
        for (name, value) in &req.headers {
            if matches!(
                name.as_str(),
                "host" | "content-length" | "transfer-encoding" | "connection"
            ) {
                continue;
            }
            head.extend_from_slice(name.as_str().as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        if !req.body.is_empty() || matches!(req.method.as_str(), "POST" | "PUT" | "PATCH") {
            head.extend_from_slice(format!("content-length: {}\r\n", req.body.len()).as_bytes());
        }
        head.extend_from_slice(b"\r\n");
        head
    }
}

/// One answer, and whether the connection stays open after it.
fn read_response(
    conn: &mut BufReader<TcpStream>,
    head_request: bool,
) -> Result<(MockResponse, bool), ClientError> {
    let (status, version, headers) = read_head(conn)?;
    let get = |n: &str| {
        headers
            .iter()
            .find(|(h, _)| h.as_str() == n)
            .and_then(|(_, v)| v.to_str().ok())
    };
    let connection = get("connection").unwrap_or_default().to_ascii_lowercase();
    let mut keep = version != 0 && !connection.contains("close");
    let bodiless = head_request || status == 204 || status == 304 || (100..200).contains(&status);
    let body = if bodiless {
        Vec::new()
    } else if get("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        read_chunked(conn)?
    } else if let Some(len) = get("content-length") {
        let len: usize = len
            .trim()
            .parse()
            .map_err(|_| ClientError::Malformed(format!("Content-Length `{len}`")))?;
        if len > MAX_BODY {
            return Err(ClientError::Malformed(format!("a body of {len} bytes")));
        }
        let mut body = vec![0; len];
        conn.read_exact(&mut body)?;
        body
    } else {
        keep = false;
        let mut body = Vec::new();
        conn.take(MAX_BODY as u64).read_to_end(&mut body)?;
        body
    };
    Ok((
        MockResponse {
            status,
            headers,
            body: Bytes::from(body),
        },
        keep,
    ))
}

type Head = (u16, u8, Vec<(HeaderName, HeaderValue)>);

/// The status, HTTP/1.x minor version and headers of an answer. Only the head is taken from
/// the reader: its body stays there.
fn read_head(conn: &mut BufReader<TcpStream>) -> Result<Head, ClientError> {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let available = conn.fill_buf()?;
        if available.is_empty() {
            return Err(if buf.is_empty() {
                // Closed before answering: a kept-alive connection the server let go.
                ClientError::Io(std::io::ErrorKind::UnexpectedEof.into())
            } else {
                ClientError::Malformed("an answer's head cut short".into())
            });
        }
        let (before, read) = (buf.len(), available.len());
        buf.extend_from_slice(available);
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut answer = httparse::Response::new(&mut slots);
        match answer.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                conn.consume(len - before);
                let status = answer.code.unwrap_or_default();
                let version = answer.version.unwrap_or_default();
                let headers = answer
                    .headers
                    .iter()
                    .map(|h| {
                        let name = HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| {
                            ClientError::Malformed(format!("header name `{}`", h.name))
                        })?;
                        let value = HeaderValue::from_bytes(h.value).map_err(|_| {
                            ClientError::Malformed(format!("header value of {name}"))
                        })?;
                        Ok((name, value))
                    })
                    .collect::<Result<_, ClientError>>()?;
                return Ok((status, version, headers));
            }
            Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD => conn.consume(read),
            Ok(httparse::Status::Partial) => {
                return Err(ClientError::Malformed("header block too large".into()));
            }
            Err(e) => {
                let start = String::from_utf8_lossy(&buf[..buf.len().min(80)]).into_owned();
                return Err(ClientError::Malformed(format!("{e} in the head `{start}`")));
            }
        }
    }
}

/// One line, without its line ending; a line over 64 KiB is cut there.
fn read_line(conn: &mut BufReader<TcpStream>) -> Result<Vec<u8>, ClientError> {
    let mut line = Vec::new();
    conn.by_ref().take(64 * 1024).read_until(b'\n', &mut line)?;
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    Ok(line)
}

fn read_chunked(conn: &mut BufReader<TcpStream>) -> Result<Vec<u8>, ClientError> {
    let mut body = Vec::new();
    loop {
        let mut line = read_line(conn)?;
        line.extend_from_slice(b"\r\n");
        let size = match httparse::parse_chunk_size(&line) {
            Ok(httparse::Status::Complete((_, size))) => {
                usize::try_from(size).unwrap_or(usize::MAX)
            }
            _ => {
                let line = String::from_utf8_lossy(&line[..line.len() - 2]).into_owned();
                return Err(ClientError::Malformed(format!("chunk size `{line}`")));
            }
        };
        if size == 0 {
            // Trailers, up to the empty line.
            while !read_line(conn)?.is_empty() {}
            return Ok(body);
        }
        if size > MAX_BODY - body.len() {
            return Err(ClientError::Malformed("body too large".into()));
        }
        let start = body.len();
        body.resize(start + size, 0);
        conn.read_exact(&mut body[start..])?;
        read_line(conn)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A one-shot server answering every request on one connection with `answers`, in turn.
    fn serve(answers: Vec<&'static str>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream);
            for answer in answers {
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line == "\r\n" {
                        break;
                    }
                }
                reader.get_mut().write_all(answer.as_bytes()).unwrap();
            }
        });
        format!("http://{addr}")
    }

    fn get(path: &str) -> MockRequest {
        MockRequest {
            method: http::Method::GET,
            path: path.into(),
            query: None,
            headers: http::HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    #[test]
    fn reads_length_and_chunked_bodies_on_one_kept_alive_connection() {
        let url = serve(vec![
            "HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nhello",
            "HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
            "HTTP/1.1 204 No Content\r\n\r\n",
        ]);
        let mut client = Client::new(&url, Duration::from_secs(5)).unwrap();
        let a = client.send(&get("/a")).unwrap();
        assert_eq!((a.status, &a.body[..]), (200, &b"hello"[..]));
        assert_eq!(a.header("content-type"), Some("text/plain"));
        let b = client.send(&get("/b")).unwrap();
        assert_eq!((b.status, &b.body[..]), (201, &b"abcde"[..]));
        let c = client.send(&get("/c")).unwrap();
        assert_eq!((c.status, c.body.len()), (204, 0));
    }

    #[test]
    fn garbage_answers_are_malformed_not_a_panic() {
        for garbage in [
            "garbage\r\n\r\n",
            "HTTP/1.1 20 OK\r\n\r\n",
            "HTTP/1.1 200 OK\r\nbad header\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n",
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
        ] {
            let url = serve(vec![garbage]);
            let mut client = Client::new(&url, Duration::from_secs(5)).unwrap();
            let got = client.send(&get("/a"));
            assert!(
                matches!(got, Err(ClientError::Malformed(_))),
                "{garbage:?}: {got:?}"
            );
        }
    }

    /// A server that reads one request's head, answers `answer` and closes without reading
    /// the body (as a server does with a body over its limit).
    fn refuse_bodies(answer: Option<&'static str>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream);
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" {
                    break;
                }
            }
            if let Some(answer) = answer {
                reader.get_mut().write_all(answer.as_bytes()).unwrap();
            }
            // Dropped with the body unread: the client's writes meet a reset.
        });
        format!("http://{addr}")
    }

    fn big_post() -> MockRequest {
        MockRequest {
            method: http::Method::POST,
            body: Bytes::from(vec![b'x'; 10 * 1024 * 1024]),
            ..get("/upload")
        }
    }

    #[test]
    fn a_body_the_server_refuses_midway_is_judged_by_the_answer_it_gave_not_a_broken_pipe() {
        let url = refuse_bodies(Some(
            "HTTP/1.1 413 Payload Too Large\r\ncontent-length: 9\r\nconnection: close\r\n\r\ntoo large",
        ));
        let mut client = Client::new(&url, Duration::from_secs(5)).unwrap();
        let answer = client.send(&big_post()).expect("the 413 is read");
        assert_eq!((answer.status, &answer.body[..]), (413, &b"too large"[..]));
    }

    #[test]
    fn a_body_cut_without_an_answer_says_so() {
        let url = refuse_bodies(None);
        let mut client = Client::new(&url, Duration::from_secs(5)).unwrap();
        let err = client.send(&big_post()).expect_err("no answer");
        assert!(matches!(err, ClientError::BodyCut { .. }), "{err:?}");
        assert!(err.to_string().contains("10485760 bytes"), "{err}");
    }

    #[test]
    fn an_unreachable_server_is_a_connect_error_and_https_is_refused() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut client =
            Client::new(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2)).unwrap();
        assert!(matches!(client.connect(), Err(ClientError::Connect { .. })));
        assert!(matches!(
            Client::new("https://127.0.0.1:1", Duration::from_secs(1)),
            Err(ClientError::BadUrl(_))
        ));
    }
}
