//! `understudy proxy` as a user runs it: the binary in front of the broken double, stopped by
//! SIGTERM, leaves its report, its JUnit file and its recording behind.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::broken::{self, Fault};
use crate::harness::{Reply, doc_path};
use crate::running::Running;

/// One request on its own connection, read to its close.
fn send(addr: &str, method: &str, path: &str, body: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connect to the binary");
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    Reply::parse(&raw, method)
}

/// SIGTERM, then the exit code, within 20 s.
fn terminate(mut child: Child) -> Option<i32> {
    let pid = child.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status();
    assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the binary did not stop within 20 s of SIGTERM");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn at_sigterm_the_binary_writes_its_report_junit_and_recording_and_exits_1_for_a_failure() {
    let dir = std::env::temp_dir().join(format!("understudy-proxy-bin-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let (report, junit, har) = (
        dir.join("report.json"),
        dir.join("junit.xml"),
        dir.join("traffic.har"),
    );
    // Valid requests are answered as the mock answers them; an invalid one gets a 200.
    let upstream = format!(
        "http://{}",
        broken::serve_docs(&["petstore.yaml"], Fault::AcceptAll)
    );
    let spec = doc_path("petstore.yaml");
    let running = Running::start(
        &[
            "proxy",
            "--port",
            "0",
            "--upstream",
            &upstream,
            "--spec",
            spec.to_str().expect("a UTF-8 path"),
            "--report",
            report.to_str().expect("a UTF-8 path"),
            "--junit",
            junit.to_str().expect("a UTF-8 path"),
            "--record",
            har.to_str().expect("a UTF-8 path"),
        ],
        &[],
    );
    let addr = running.addr.clone();
    let passing = send(&addr, "GET", "/v1/pets", "");
    let failing = send(&addr, "POST", "/v1/pets", r#"{"tag": 7}"#);
    let code = terminate(running.into_child());
    passing.expect(200);
    failing.expect(200);
    assert_eq!(code, Some(1), "a check failed");

    let report: Value = serde_json::from_str(&read(&report)).expect("a JSON report");
    assert_eq!(report["passed"], false, "{report}");
    assert_eq!(report["exchanges"], 2, "{report}");
    let failures = report["failures"].as_array().cloned().unwrap_or_default();
    assert!(!failures.is_empty(), "{report}");
    assert!(
        failures.iter().all(|f| f["exchange"] == "exchange 2"),
        "only the invalid request's exchange failed: {report}"
    );
    assert!(
        failures
            .iter()
            .all(|f| f["curl"].as_str().is_some_and(|c| c.contains(&upstream))),
        "each failure names the upstream in its curl command: {report}"
    );
    let junit = read(&junit);
    assert!(junit.contains("<testsuite"), "{junit}");
    let first = failures[0]["check"].as_str().unwrap_or_default();
    assert!(
        junit.contains(first) && junit.contains("<failure"),
        "{junit}"
    );

    let mut partial = har.as_os_str().to_owned();
    partial.push(".tmp");
    assert!(!Path::new(&partial).exists(), "the recording was renamed");
    let recording: Value = serde_json::from_str(&read(&har)).expect("a HAR file");
    let entries = recording["log"]["entries"].as_array().map_or(0, Vec::len);
    assert_eq!(entries, 2, "{recording}");
    std::fs::remove_dir_all(&dir).ok();
}
