//! Faults a client asks for (`Prefer: fault=reset|empty|truncated|malformed`), as a real TCP
//! client sees them, with the request still handled (the world changes, the journal says
//! which fault); and delays per operation (`--delay OPERATIONID=MS`). Lower bounds only on
//! time: the machine may be loaded.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use understudy::EngineConfig;
use understudy::mock::delay::Delay;

use crate::harness::*;

const PETS: &str = "/v1/pets";

/// Sends `method path` with `body` (JSON) and `Prefer: prefer` on a fresh connection, and
/// reads until the server closes it: every byte read, and the error that ended the reading
/// (none for a plain close). A server that neither answers nor closes fails the test.
fn raw(
    s: &Server,
    method: &str,
    path: &str,
    body: Option<&Value>,
    prefer: &str,
) -> (Vec<u8>, Option<std::io::Error>) {
    let mut stream = TcpStream::connect(s.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nPrefer: {prefer}\r\nContent-Type: \
         application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        s.addr,
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("write");
    crate::harness::read_until_closed(&mut stream)
}

fn pet_names(s: &Server) -> Vec<String> {
    let list = s.get(PETS).send().expect(200).json();
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|p| p["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The faults the journal recorded, oldest first (`null` for none).
fn journal_faults(s: &Server) -> Vec<Value> {
    let journal = s.get("/__admin/requests").send().expect(200).json();
    journal["requests"]
        .as_array()
        .unwrap_or_else(|| panic!("no requests: {journal}"))
        .iter()
        .map(|r| r.get("fault").cloned().unwrap_or(Value::Null))
        .collect()
}

#[test]
fn a_reset_answers_nothing_but_the_pet_is_created_and_the_journal_says_reset() {
    let s = Server::docs(&["petstore.yaml"]);
    let (got, error) = raw(
        &s,
        "POST",
        PETS,
        Some(&json!({"name": "Rex"})),
        "fault=reset",
    );
    assert!(
        got.is_empty(),
        "a reset sends nothing: {}",
        got.escape_ascii()
    );
    let kind = error.as_ref().map(std::io::Error::kind);
    if cfg!(target_os = "linux") {
        // Linux reports the RST to the reader; other systems may show a plain close.
        assert_eq!(kind, Some(ErrorKind::ConnectionReset), "{error:?}");
    } else {
        assert!(
            matches!(
                kind,
                None | Some(ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted)
            ),
            "{error:?}"
        );
    }
    assert_eq!(pet_names(&s), ["Rex"]);
    assert_eq!(journal_faults(&s)[0], json!("reset"));
}

#[test]
fn an_empty_answer_is_a_close_without_a_byte_after_the_request_was_handled() {
    let s = Server::docs(&["petstore.yaml"]);
    let (got, error) = raw(
        &s,
        "POST",
        PETS,
        Some(&json!({"name": "Tom"})),
        "fault=empty",
    );
    assert!(got.is_empty(), "{}", got.escape_ascii());
    assert!(error.is_none(), "a plain close, not {error:?}");
    assert_eq!(pet_names(&s), ["Tom"]);
    assert_eq!(journal_faults(&s)[0], json!("empty"));
}

#[test]
fn a_truncated_answer_announces_its_whole_length_and_sends_less() {
    let s = Server::docs(&["petstore.yaml"]);
    s.post(PETS).json(json!({"name": "Kit"})).send().expect(201);
    let (got, _) = raw(&s, "GET", PETS, None, "fault=truncated");
    let head = answer_head(&got)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no whole head: {}", got.escape_ascii()));
    assert_eq!(head.status, 200);
    let Framing::Length(announced) = head.framing("GET") else {
        panic!("no Content-Length: {:?}", head.headers);
    };
    let sent = got.len() - head.len;
    assert!(
        0 < sent && sent < announced,
        "{sent} of {announced} bytes: {}",
        got.escape_ascii()
    );
    // What came is the start of the real answer.
    let whole = s.get(PETS).send();
    whole.expect(200);
    assert_eq!(whole.body.len(), announced);
    assert_eq!(&got[head.len..], &whole.body[..sent]);
}

#[test]
fn a_malformed_answer_is_whole_but_its_body_is_no_json() {
    let s = Server::docs(&["petstore.yaml"]);
    let (got, error) = raw(
        &s,
        "POST",
        PETS,
        Some(&json!({"name": "Max"})),
        "fault=malformed",
    );
    assert!(error.is_none(), "{error:?}");
    // `parse` fails the test on an answer shorter than its Content-Length.
    let reply = Reply::parse(&got, "POST");
    assert_eq!(reply.status, 201);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.contains("json")),
        "{:?}",
        reply.headers
    );
    assert!(!reply.body.is_empty());
    assert!(
        serde_json::from_slice::<Value>(&reply.body).is_err(),
        "{}",
        reply.text()
    );
    assert_eq!(pet_names(&s), ["Max"]);
    assert_eq!(journal_faults(&s)[0], json!("malformed"));
}

#[test]
fn unknown_faults_are_ignored_and_the_control_api_is_never_broken() {
    let s = Server::docs(&["petstore.yaml"]);
    let (got, _) = raw(&s, "GET", PETS, None, "fault=explode");
    assert_eq!(Reply::parse(&got, "GET").json(), json!([]));
    let (got, error) = raw(&s, "GET", "/__admin/requests", None, "fault=reset");
    assert!(error.is_none(), "{error:?}");
    let journal = Reply::parse(&got, "GET").json();
    assert_eq!(journal["requests"][0].get("fault"), None, "{journal}");
}

#[test]
fn the_server_keeps_serving_after_faults_on_other_connections() {
    let s = Server::docs(&["petstore.yaml"]);
    for fault in ["reset", "empty", "truncated"] {
        raw(&s, "GET", PETS, None, &format!("fault={fault}"));
    }
    assert_eq!(pet_names(&s), Vec::<String>::new());
}

fn delayed_petstore(id: &str, delay: &str) -> Server {
    Server::start(
        vec![understudy::Source::File(doc_path("petstore.yaml"))],
        EngineConfig {
            check_responses: true,
            operation_delays: vec![(id.to_owned(), Delay::parse(delay).expect("a delay"))],
            ..Default::default()
        },
    )
}

#[test]
fn an_operation_delay_holds_back_that_operation_only() {
    let s = delayed_petstore("listPets", "800");
    let addr = s.addr;
    let delayed = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
        let started = Instant::now();
        let request = format!("GET {PETS} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).expect("write");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read");
        (started, Instant::now(), Reply::parse(&raw, "GET").status)
    });
    std::thread::sleep(Duration::from_millis(50));
    // Another operation of the same document is not held back: answered meanwhile.
    s.get(&format!("{PETS}/1")).send().expect(404);
    let other_done = Instant::now();
    let (started, answered, status) = delayed.join().expect("the delayed request");
    assert_eq!(status, 200);
    assert!(other_done < answered, "showPetById went first");
    assert!(answered - started >= Duration::from_millis(800));
}

#[test]
fn an_operation_delay_for_an_unknown_operation_id_stops_the_binary_naming_it() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_understudy"))
        .args([
            "serve",
            "--port",
            "0",
            "--spec",
            doc_path("petstore.yaml").to_str().expect("a UTF-8 path"),
            "--delay",
            "listPets=100",
            "--delay",
            "listPest=100",
        ])
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`listPest`"), "{stderr}");
    assert!(!stderr.contains("`listPets`"), "{stderr}");
}
