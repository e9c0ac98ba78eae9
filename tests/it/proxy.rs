//! `understudy proxy` in front of real upstreams on 127.0.0.1: understudy's own `serve` (the
//! pet store), the deliberately broken double of `broken`, and raw doubles that echo the
//! request, hang, close without answering, reset, answer garbage or 501.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use understudy::proxy::record::{Recorder, Redaction};
use understudy::proxy::{Proxy, ProxyConfig};
use understudy::server::ServerConfig;
use understudy::{Engine, EngineConfig, Source};

use crate::broken::{self, Fault};
use crate::harness::{Server, doc_path};

const PETS: &str = "/v1/pets";

/// A proxy for the pet store in front of `upstream` (`http://127.0.0.1:port`).
fn proxy(upstream: &str, configure: impl FnOnce(&mut ProxyConfig)) -> (Server, Arc<Proxy>) {
    proxy_for("petstore.yaml", upstream, configure, None)
}

/// A proxy for the document `doc` of tests/docs in front of `upstream`, writing `record`.
fn proxy_for(
    doc: &str,
    upstream: &str,
    configure: impl FnOnce(&mut ProxyConfig),
    record: Option<Recorder>,
) -> (Server, Arc<Proxy>) {
    let engine = Engine::load(
        &[Source::File(doc_path(doc))],
        EngineConfig {
            check_responses: true,
            ..EngineConfig::default()
        },
    )
    .unwrap_or_else(|_| panic!("the pet store loads"));
    let mut config = ProxyConfig {
        upstream: upstream.parse().expect("an upstream URL"),
        upstream_timeout: Duration::from_secs(5),
        errors: false,
        fallback_to_mock: false,
        checks: Vec::new(),
        keep_report: true,
        extra_roots: Vec::new(),
    };
    configure(&mut config);
    let proxy = Proxy::new(Arc::new(engine), config);
    let proxy = Arc::new(match record {
        Some(recorder) => proxy.with_recorder(recorder),
        None => proxy,
    });
    (
        Server::serving(proxy.clone(), ServerConfig::default()),
        proxy,
    )
}

fn url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// The proxy's journal of the default session, newest last.
fn journal(server: &Server) -> Vec<Value> {
    let reply = server.get("/__admin/requests").send();
    reply.json()["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The verdicts of a journal entry that failed.
fn failed_checks(entry: &Value) -> Vec<String> {
    entry["proxy"]["verdicts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["passed"] == false)
        .filter_map(|v| v["check"].as_str().map(str::to_owned))
        .collect()
}

/// What a raw double does with each request.
#[derive(Clone, Copy)]
enum Raw {
    /// 200 with the request as it arrived (head and body) as the body.
    Echo,
    /// Reads the request and answers nothing, for as long as the client waits (5 s at most).
    Hang,
    /// Closes the connection without answering.
    Close,
    /// Resets the connection: closed with the request unread, so the kernel sends an RST.
    Reset,
    /// Writes bytes that are not HTTP.
    Garbage,
    /// 501 Not Implemented.
    NotImplemented,
}

/// A raw double on 127.0.0.1, port 0, for at most 8 connections.
fn raw(behaviour: Raw) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("a local address");
    std::thread::spawn(move || {
        for mut stream in listener.incoming().take(8).flatten() {
            std::thread::spawn(move || answer_raw(&mut stream, behaviour));
        }
    });
    addr
}

fn answer_raw(stream: &mut TcpStream, behaviour: Raw) {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    if matches!(behaviour, Raw::Reset) {
        // One byte read once the request is here; the rest left unread makes the close an RST.
        let _ = stream.read(&mut buf[..1]);
        std::thread::sleep(Duration::from_millis(50));
        return;
    }
    // The head, and the body its Content-Length announces.
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
        let text = String::from_utf8_lossy(&seen).to_ascii_lowercase();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if seen.len() >= end + 4 + length {
                break;
            }
        }
    }
    let answer: Vec<u8> = match behaviour {
        Raw::Echo => {
            let mut a = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n",
                seen.len()
            )
            .into_bytes();
            a.extend_from_slice(&seen);
            a
        }
        Raw::Hang => {
            let _ = stream.read(&mut buf);
            return;
        }
        Raw::Close | Raw::Reset => return,
        Raw::Garbage => b"this is not HTTP at all\r\n\r\n".to_vec(),
        Raw::NotImplemented => {
            b"HTTP/1.1 501 Not Implemented\r\ncontent-length: 0\r\n\r\n".to_vec()
        }
    };
    let _ = stream.write_all(&answer);
}

#[test]
fn a_valid_exchange_comes_back_as_the_upstream_gave_it_with_its_verdicts_in_the_journal() {
    let upstream = Server::docs(&["petstore.yaml"]);
    let (server, _) = proxy(&url(upstream.addr), |_| {});
    let direct = upstream.get(&format!("{PETS}?limit=2")).send();
    let through = server.get(&format!("{PETS}?limit=2")).send();
    through.expect(200);
    assert_eq!(through.body, direct.body);
    assert_eq!(
        through.header("content-type"),
        direct.header("content-type")
    );
    assert_eq!(through.header("x-understudy-violations"), None);
    let entries = journal(&server);
    let entry = entries.last().expect("the exchange is in the journal");
    assert_eq!(entry["operationId"], "listPets");
    assert_eq!(entry["proxy"]["upstream"]["status"], 200);
    let verdicts = entry["proxy"]["verdicts"].as_array().expect("verdicts");
    assert!(
        verdicts
            .iter()
            .any(|v| v["check"] == "response_schema_conformance"),
        "{entry}"
    );
    assert!(failed_checks(entry).is_empty(), "{entry}");
}

#[test]
fn the_request_reaches_the_upstream_whole_with_its_host_and_without_hop_by_hop_headers() {
    let echo = raw(Raw::Echo);
    let (server, _) = proxy(&format!("{}/base/", url(echo)), |_| {});
    let reply = server
        .post(&format!("{PETS}?a=1&b=%2F"))
        .header("Connection", "close, x-hop")
        .header("X-Hop", "secret")
        .header("X-Trace", "kept")
        .json(json!({"name": "Rex"}))
        .send();
    reply.expect(200);
    let seen = reply.text();
    let lower = seen.to_ascii_lowercase();
    assert!(
        seen.starts_with("POST /base/v1/pets?a=1&b=%2F HTTP/1.1\r\n"),
        "{seen}"
    );
    assert!(lower.contains(&format!("\r\nhost: {echo}\r\n")), "{seen}");
    assert!(lower.contains("\r\nx-trace: kept\r\n"), "{seen}");
    assert!(!lower.contains("x-hop"), "{seen}");
    assert!(seen.ends_with(r#"{"name":"Rex"}"#), "{seen}");
    // A text/plain echo is not what createPets declares: the answer says so, and is unchanged.
    assert!(reply.header("x-understudy-violations").is_some());
}

#[test]
fn an_upstream_answer_that_breaks_the_contract_is_counted_named_and_passed_on() {
    let upstream = broken::serve_docs(&["petstore.yaml"], Fault::WrongShape);
    let (server, proxy) = proxy(&url(upstream), |_| {});
    let reply = server.get(PETS).send();
    reply.expect(200);
    assert_eq!(reply.json(), json!([42]));
    let count: usize = reply
        .header("x-understudy-violations")
        .and_then(|v| v.parse().ok())
        .expect("a violation count");
    assert!(count >= 1);
    let entries = journal(&server);
    let entry = entries.last().expect("an entry");
    assert!(
        failed_checks(entry).contains(&"response_schema_conformance".to_owned()),
        "{entry}"
    );
    let (report, _) = proxy.take_report().expect("a report was asked for");
    let json = report.json();
    let text = json.to_string();
    assert!(text.contains("response_schema_conformance"), "{text}");
    assert!(!report.passed());
}

#[test]
fn with_errors_a_broken_answer_becomes_a_502_naming_the_check_and_the_journal_keeps_it() {
    let upstream = broken::serve_docs(&["petstore.yaml"], Fault::WrongShape);
    let (server, _) = proxy(&url(upstream), |c| c.errors = true);
    let reply = server.get(PETS).send();
    reply.expect(502);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    let body = reply.json();
    assert!(
        body["violations"]
            .to_string()
            .contains("response_schema_conformance"),
        "{body}"
    );
    let entries = journal(&server);
    let entry = entries.last().expect("an entry");
    assert_eq!(entry["status"], 502);
    assert_eq!(entry["proxy"]["upstream"]["status"], 200);
    assert_eq!(entry["proxy"]["upstreamBody"], "[42]");
}

#[test]
fn an_invalid_request_is_forwarded_and_counted_without_errors_and_answered_by_the_mock_with() {
    let body = json!({"tag": 7});
    let upstream = Server::docs(&["petstore.yaml"]);
    let (plain, _) = proxy(&url(upstream.addr), |_| {});
    let reply = plain.post(PETS).json(body.clone()).send();
    reply.expect(400);
    assert!(reply.header("x-understudy-violations").is_some());
    assert_eq!(journal(&upstream).len(), 1, "the request was forwarded");

    let untouched = Server::docs(&["petstore.yaml"]);
    let (strict, _) = proxy(&url(untouched.addr), |c| c.errors = true);
    let reply = strict.post(PETS).json(body).send();
    reply.expect(400);
    assert!(reply.header("x-understudy-violations").is_some());
    assert!(journal(&untouched).is_empty(), "the request was forwarded");
}

#[test]
fn an_unreachable_upstream_is_a_502_with_the_cause_or_the_mock_s_answer_with_fallback() {
    // A port that was free a moment ago: nothing listens there now.
    let gone = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port");
    let (server, _) = proxy(&url(gone), |_| {});
    let reply = server.get(PETS).send();
    reply.expect(502);
    assert!(
        reply.json()["detail"]
            .as_str()
            .is_some_and(|d| d.contains("could not be reached")),
        "{}",
        reply.text()
    );
    let (fallback, _) = proxy(&url(gone), |c| c.fallback_to_mock = true);
    let reply = fallback.get(PETS).send();
    reply.expect(200);
    assert_eq!(reply.header("x-understudy-fallback"), Some("mock"));
}

#[test]
fn an_upstream_501_is_passed_on_or_answered_by_the_mock_with_fallback() {
    let upstream = raw(Raw::NotImplemented);
    let (server, _) = proxy(&url(upstream), |_| {});
    let reply = server.get(PETS).send();
    reply.expect(501);
    assert_eq!(reply.header("x-understudy-fallback"), None);
    let (fallback, _) = proxy(&url(upstream), |c| c.fallback_to_mock = true);
    let reply = fallback.get(PETS).send();
    reply.expect(200);
    assert_eq!(reply.header("x-understudy-fallback"), Some("mock"));
}

#[test]
fn an_upstream_that_hangs_is_a_504() {
    let upstream = raw(Raw::Hang);
    let (server, _) = proxy(&url(upstream), |c| {
        c.upstream_timeout = Duration::from_millis(300);
    });
    let reply = server.get(PETS).send();
    reply.expect(504);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
}

#[test]
fn an_upstream_that_closes_resets_or_answers_garbage_is_a_502() {
    for behaviour in [Raw::Close, Raw::Reset, Raw::Garbage] {
        let upstream = raw(behaviour);
        let (server, _) = proxy(&url(upstream), |c| c.fallback_to_mock = true);
        let reply = server.get(PETS).send();
        reply.expect(502);
        assert_eq!(reply.header("x-understudy-fallback"), None);
        assert!(
            reply.json()["detail"]
                .as_str()
                .is_some_and(|d| d.contains("could not be read")),
            "{}",
            reply.text()
        );
        let entries = journal(&server);
        let entry = entries.last().expect("an entry");
        assert!(entry["proxy"]["upstream"]["error"].is_string(), "{entry}");
    }
}

#[test]
fn the_control_api_is_the_proxy_s_own_and_never_forwarded() {
    let upstream = Server::docs(&["petstore.yaml"]);
    let (server, _) = proxy(&url(upstream.addr), |_| {});
    server.get(PETS).send().expect(200);
    server.delete("/__admin/requests").send();
    assert!(journal(&server).is_empty());
    assert_eq!(journal(&upstream).len(), 1);
}

#[test]
fn a_fallback_answer_is_judged_and_reported_like_an_upstream_s() {
    let gone = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port");
    let (server, proxy) = proxy(&url(gone), |c| c.fallback_to_mock = true);
    server.get(PETS).send().expect(200);
    let (report, _) = proxy.take_report().expect("a report was asked for");
    let json = report.json();
    assert_eq!(json["exchanges"], 1, "{json}");
    let applied = json["totals"]["response_schema_conformance"]["applied"].as_u64();
    assert_eq!(applied, Some(1), "{json}");
}

/// Per exchange (1-based, in order), the checks that failed; and per check, (applied, failed).
type Verdicts = (
    std::collections::BTreeMap<usize, Vec<String>>,
    std::collections::BTreeMap<String, (u64, u64)>,
);

fn live_verdicts(entries: &[Value]) -> Verdicts {
    let mut failed = std::collections::BTreeMap::new();
    let mut totals = std::collections::BTreeMap::<String, (u64, u64)>::new();
    for (i, entry) in entries.iter().enumerate() {
        let mut checks = failed_checks(entry);
        checks.sort();
        if !checks.is_empty() {
            failed.insert(i + 1, checks);
        }
        for v in entry["proxy"]["verdicts"].as_array().into_iter().flatten() {
            let name = v["check"].as_str().unwrap_or_default().to_owned();
            let t = totals.entry(name).or_default();
            t.0 += 1;
            t.1 += u64::from(v["passed"] == false);
        }
    }
    (failed, totals)
}

fn validate_verdicts(report: &Value) -> Verdicts {
    let mut failed = std::collections::BTreeMap::<usize, Vec<String>>::new();
    for f in report["failures"].as_array().into_iter().flatten() {
        let label = f["exchange"].as_str().unwrap_or_default();
        let number: usize = label
            .rsplit("entry ")
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("an entry number in {label}"));
        let check = f["check"].as_str().unwrap_or_default().to_owned();
        failed.entry(number).or_default().push(check);
    }
    failed.values_mut().for_each(|c| c.sort());
    let totals = report["totals"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, t)| t["applied"].as_u64() > Some(0))
        .map(|(name, t)| {
            let n = |k: &str| t[k].as_u64().unwrap_or_default();
            (name.clone(), (n("applied"), n("failed")))
        })
        .collect();
    (failed, totals)
}

#[test]
fn a_recording_gets_from_validate_the_verdicts_the_proxy_gave_live_and_keeps_no_secret() {
    const DOC: &str = "serving-trivia.yaml";
    const SECRET: &str = "s3cret-key-7";
    let dir = std::env::temp_dir().join(format!("understudy-proxy-record-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let har = dir.join("traffic.har");
    // Valid requests are answered as the mock answers them; invalid ones get a 200.
    let upstream = broken::serve_docs(&[DOC], Fault::AcceptAll);
    let engine = Engine::load(&[Source::File(doc_path(DOC))], EngineConfig::default())
        .unwrap_or_else(|_| panic!("the document loads"));
    let recorder = Recorder::create(&har, Some(Redaction::of(&engine))).expect("a recording");
    let (server, proxy) = proxy_for(DOC, &url(upstream), |_| {}, Some(recorder));
    let passing = server
        .get("/trivia/random?category=film")
        .header("X-Fungenerators-Api-Secret", SECRET)
        .header("Authorization", "Bearer tok-9")
        .send();
    passing.expect(200);
    assert_eq!(passing.header("x-understudy-violations"), None);
    // No credentials: the upstream should refuse it, and does not.
    let failing = server.get("/trivia/random").send();
    failing.expect(200);
    assert!(failing.header("x-understudy-violations").is_some());
    let live = live_verdicts(&journal(&server));
    assert!(
        live.0.contains_key(&2) && !live.0.contains_key(&1),
        "{live:?}"
    );
    let (_, entries) = proxy
        .finish_recording()
        .expect("recording")
        .expect("finished");
    assert_eq!(entries, 2);

    let text = std::fs::read_to_string(&har).expect("the recording");
    assert!(!text.contains(SECRET) && !text.contains("tok-9"), "{text}");
    assert!(text.contains("Bearer REDACTED"), "{text}");
    let json = dir.join("validate.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_understudy"))
        .arg("validate")
        .arg("--spec")
        .arg(doc_path(DOC))
        .arg("--json")
        .arg(&json)
        .arg(&har)
        .output()
        .expect("validate runs");
    assert_eq!(out.status.code(), Some(1), "a check failed: {out:?}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the report")).expect("JSON");
    assert_eq!(report["exchanges"], 2, "{report}");
    assert_eq!(validate_verdicts(&report), live, "{report}");
    std::fs::remove_dir_all(&dir).ok();
}

/// An https:// double on 127.0.0.1 (for at most 8 connections, each 5 s at most) with a
/// self-signed certificate for `localhost`: it answers 200 with the request head it read as
/// the body and the SNI name the client gave in `X-Sni`. Its port and its certificate (PEM).
fn tls_echo() -> (u16, String) {
    use tokio_rustls::rustls;
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .expect("a self-signed certificate");
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(made.key_pair.serialize_der().into());
    // The ring provider, as understudy's client uses (see src/proxy/upstream.rs).
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![made.cert.der().clone()], key)
        .expect("a server configuration");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener.set_nonblocking(true).expect("non-blocking");
    let port = listener.local_addr().expect("a local address").port();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("a listener");
            for _ in 0..8 {
                let wait = tokio::time::timeout(Duration::from_secs(20), listener.accept());
                let Ok(Ok((tcp, _))) = wait.await else {
                    return;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(tokio::time::timeout(
                    Duration::from_secs(5),
                    answer_tls(acceptor, tcp),
                ));
            }
        });
    });
    (port, made.cert.pem())
}

async fn answer_tls(acceptor: tokio_rustls::TlsAcceptor, tcp: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut tls) = acceptor.accept(tcp).await else {
        return;
    };
    let sni = tls.get_ref().1.server_name().unwrap_or("none").to_owned();
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match tls.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let mut answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nx-sni: {sni}\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        head.len()
    )
    .into_bytes();
    answer.extend_from_slice(&head);
    let _ = tls.write_all(&answer).await;
    let _ = tls.shutdown().await;
}

#[test]
fn an_https_upstream_is_reached_with_its_host_and_sni_when_its_ca_file_is_trusted() {
    let (port, pem) = tls_echo();
    let dir = std::env::temp_dir().join(format!("understudy-proxy-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, pem).expect("the CA file");
    let roots = understudy::proxy::read_ca_file(&ca_file).expect("a PEM certificate");
    let upstream = format!("https://localhost:{port}");
    let (server, _) = proxy(&upstream, |c| c.extra_roots = roots);
    let reply = server.get(PETS).send();
    reply.expect(200);
    assert_eq!(reply.header("x-sni"), Some("localhost"));
    let seen = reply.text().to_ascii_lowercase();
    assert!(seen.starts_with("get /v1/pets http/1.1\r\n"), "{seen}");
    assert!(
        seen.contains(&format!("\r\nhost: localhost:{port}\r\n")),
        "{seen}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_https_upstream_whose_certificate_is_not_trusted_is_a_502_naming_the_certificate() {
    let (port, _) = tls_echo();
    let (server, _) = proxy(&format!("https://localhost:{port}"), |_| {});
    let reply = server.get(PETS).send();
    reply.expect(502);
    let detail = reply.json()["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        detail.contains("certificate") && detail.contains("UnknownIssuer"),
        "{detail}"
    );
}

#[test]
fn a_ca_file_without_a_certificate_is_refused_by_name() {
    let dir = std::env::temp_dir().join(format!("understudy-proxy-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").expect("a file");
    let err = understudy::proxy::read_ca_file(&empty).expect_err("no certificate in it");
    assert!(err.to_string().contains("empty.pem"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
