//! Latency and faults per stub (`answer.delay_ms`, `answer.fault`), per operation and for the
//! whole server (`serve --fault`), as a real TCP client sees them; and stubs loaded at start
//! (`--stubs DIR`), refused ones stopping the binary. Lower bounds and ordering only on time:
//! the machine may be loaded.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use understudy::EngineConfig;

use crate::harness::*;
use crate::running::Running;

const TOKEN: &str = "gb_api_jAnEdOe0aDm1nAcMe0t0kEn";
const USERS: &str = "/v1/spaces/sPaCe4Docs01/permissions/users";
const TEAMS: &str = "/v1/spaces/sPaCe4Docs01/permissions/teams";

/// `GET path` with Jane's token on a fresh connection, read until the server closes it: every
/// byte, and the error that ended the reading (none for a plain close).
fn raw_get(addr: std::net::SocketAddr, path: &str) -> (Vec<u8>, Option<std::io::Error>) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a read timeout");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("write");
    crate::harness::read_until_closed(&mut stream)
}

fn stub(s: &Server, stub: Value) {
    s.post("/__admin/stubs").json(stub).send().expect(201);
}

fn faulty(fault: &str) -> Server {
    let s = Server::bundled();
    stub(
        &s,
        json!({"match": {"method": "GET", "path": USERS}, "answer": {"fault": fault}}),
    );
    s
}

#[test]
fn a_stub_delay_holds_back_its_operation_while_another_goes_first() {
    let s = Server::bundled();
    stub(
        &s,
        json!({"match": {"operationId": "listUserPermissionsInSpace"}, "answer": {"delay_ms": 200}}),
    );
    let addr = s.addr;
    let slow = std::thread::spawn(move || {
        let started = Instant::now();
        let (got, _) = raw_get(addr, USERS);
        (started, Instant::now(), Reply::parse(&got, "GET").status)
    });
    std::thread::sleep(Duration::from_millis(50));
    let (quick, _) = raw_get(s.addr, TEAMS);
    let quick_done = Instant::now();
    let (started, answered, status) = slow.join().expect("the delayed request");
    assert_eq!((Reply::parse(&quick, "GET").status, status), (200, 200));
    assert!(
        quick_done < answered,
        "the other operation was answered first"
    );
    assert!(
        answered - started >= Duration::from_millis(200),
        "{:?}",
        answered - started
    );
}

#[test]
fn a_stub_delay_range_is_drawn_within_its_bounds() {
    let s = Server::bundled();
    stub(
        &s,
        json!({"match": {"method": "GET", "path": USERS},
               "answer": {"delay_ms": {"min": 30, "max": 60}}}),
    );
    let started = Instant::now();
    s.get(USERS).bearer(TOKEN).send().expect(200);
    assert!(started.elapsed() >= Duration::from_millis(30));
    s.post("/__admin/stubs")
        .json(json!({"match": {"method": "GET", "path": USERS},
                     "answer": {"delay_ms": {"min": 60, "max": 30}}}))
        .send()
        .expect(400);
}

#[test]
fn a_stub_reset_fault_resets_the_connection() {
    let s = faulty("reset");
    let (got, error) = raw_get(s.addr, USERS);
    assert!(got.is_empty(), "{}", got.escape_ascii());
    if cfg!(target_os = "linux") {
        assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::ConnectionReset));
    }
    let journal = s.get("/__admin/requests").send().expect(200).json();
    assert_eq!(journal["requests"][0]["fault"], "reset");
    assert_eq!(journal["requests"][0]["stub"], "stub-1");
}

#[test]
fn a_stub_empty_fault_closes_without_a_byte() {
    let s = faulty("empty");
    let (got, error) = raw_get(s.addr, USERS);
    assert!(got.is_empty() && error.is_none(), "{error:?}");
}

#[test]
fn a_stub_truncated_fault_sends_less_than_it_announces() {
    let s = faulty("truncated");
    let (got, _) = raw_get(s.addr, USERS);
    let head = answer_head(&got)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no whole head: {}", got.escape_ascii()));
    let Framing::Length(announced) = head.framing("GET") else {
        panic!("no Content-Length: {:?}", head.headers);
    };
    let sent = got.len() - head.len;
    assert!(0 < sent && sent < announced, "{sent} of {announced}");
}

#[test]
fn a_stub_malformed_fault_sends_a_whole_answer_that_is_no_json() {
    let s = faulty("malformed");
    let (got, error) = raw_get(s.addr, USERS);
    assert!(error.is_none(), "{error:?}");
    let reply = Reply::parse(&got, "GET");
    assert_eq!(reply.status, 200);
    assert!(
        serde_json::from_slice::<Value>(&reply.body).is_err(),
        "{}",
        reply.text()
    );
}

fn with_faults(flags: &[&str]) -> Server {
    Server::start(
        understudy::document::load::bundled(),
        EngineConfig {
            faults: flags
                .iter()
                .map(|f| f.parse().expect("a fault flag"))
                .collect(),
            ..EngineConfig::default()
        },
    )
}

#[test]
fn a_fault_for_one_operation_breaks_its_answers_only() {
    let s = with_faults(&["listUserPermissionsInSpace=empty"]);
    let (got, error) = raw_get(s.addr, USERS);
    assert!(got.is_empty() && error.is_none(), "{}", got.escape_ascii());
    let (teams, _) = raw_get(s.addr, TEAMS);
    assert_eq!(Reply::parse(&teams, "GET").status, 200);
    // The control API is never broken.
    s.get("/__admin/requests").send().expect(200);
}

#[test]
fn a_fault_for_the_whole_server_breaks_about_its_share_of_answers() {
    let s = with_faults(&["malformed:50"]);
    let broken = (0..40)
        .filter(|_| {
            let (got, _) = raw_get(s.addr, TEAMS);
            serde_json::from_slice::<Value>(&Reply::parse(&got, "GET").body).is_err()
        })
        .count();
    assert!((5..=35).contains(&broken), "{broken} of 40");
}

#[test]
fn a_fault_for_an_unknown_operation_stops_loading_naming_it() {
    let failed = understudy::Engine::load(
        &understudy::document::load::bundled(),
        EngineConfig {
            faults: vec!["noSuchOp=reset".parse().expect("a fault flag")],
            ..EngineConfig::default()
        },
    );
    let Err(errors) = failed else {
        panic!("an unknown operationId loads");
    };
    assert!(format!("{errors:?}").contains("noSuchOp"), "{errors:?}");
}

/// A folder of its own, emptied first; removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir()
            .join("understudy-stub-tests")
            .join(format!("{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn stubs_from_a_folder_start_every_session_and_the_log_names_the_stub() {
    let dir = Scratch::new("folder");
    std::fs::write(
        dir.0.join("missing.yaml"),
        format!(
            "- id: missing\n  match: {{method: GET, path: '{USERS}'}}\n  answer: {{status: 404}}\n  \
             times: 1\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.0.join("ignored.txt"), "not a stub").unwrap();
    let folder = dir.0.to_string_lossy().into_owned();
    let mut running = Running::start(&["serve", "--port", "0", "--stubs", &folder], &[]);
    for session in ["", "other"] {
        let mut stream = TcpStream::connect(&running.addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
        let named = if session.is_empty() {
            String::new()
        } else {
            format!("X-Understudy-Session: {session}\r\n")
        };
        let request = format!(
            "GET {USERS} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\n{named}\
             Connection: close\r\n\r\n",
            running.addr
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut got = Vec::new();
        stream.read_to_end(&mut got).unwrap();
        assert_eq!(Reply::parse(&got, "GET").status, 404, "session {session:?}");
        running.line("the stub on the request line", |l| {
            l.contains("status=404") && l.contains("stub=missing")
        });
    }
}

#[test]
fn a_refused_stub_in_the_folder_stops_the_binary_naming_the_file_and_violations() {
    let dir = Scratch::new("refused");
    std::fs::write(
        dir.0.join("broken.json"),
        json!({"match": {"method": "GET", "path": USERS}, "answer": {"status": 503}}).to_string(),
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_understudy"))
        .args(["serve", "--port", "0", "--stubs"])
        .arg(&dir.0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("the binary's status") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the binary started with a refused stub");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success());
    let mut said = String::new();
    child
        .stderr
        .take()
        .expect("its stderr")
        .read_to_string(&mut said)
        .expect("its log");
    assert!(
        said.contains("broken.json") && said.contains("503"),
        "{said}"
    );
}
