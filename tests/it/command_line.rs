//! The command line a Prism user already knows, through the binary: `mock DOC...`, `-p`,
//! `--host localhost`, `-d/--dynamic`, `--errors`; every warning on request (`--show-warnings`,
//! `routes --warnings`) and a hint that names the command that shows them; the request log
//! line naming each violation.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use crate::harness::{Reply, doc_path};
use crate::running::Running;

/// One request on its own connection, read to its close.
fn send(addr: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connect to the binary");
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("Content-Length: 0\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    Reply::parse(&raw, method)
}

fn doc(name: &str) -> String {
    doc_path(name).to_str().expect("a UTF-8 path").to_owned()
}

#[test]
fn mock_serves_the_documents_given_as_arguments_on_the_port_given_with_p_and_a_host_name() {
    let running = Running::start(
        &[
            "mock",
            &doc("serving-prism-flags.yaml"),
            &doc("serving-slack.yaml"),
            "-p",
            "0",
            "--host",
            "localhost",
        ],
        &[],
    );
    assert!(running.addr.starts_with("127.0.0.1:"), "{}", running.addr);
    let greeting = send(&running.addr, "GET", "/greeting", &[]);
    greeting.expect(200);
    assert_eq!(greeting.json()["text"], "hello from the example");
    let slack = send(
        &running.addr,
        "POST",
        "/api/chat.postMessage",
        &[("token", "t")],
    );
    slack.expect(200);
}

#[test]
fn dynamic_answers_with_generated_data_where_an_example_exists_unless_prefer_names_it() {
    let running = Running::start(
        &["serve", &doc("serving-prism-flags.yaml"), "-p", "0", "-d"],
        &[],
    );
    let generated = send(&running.addr, "GET", "/greeting", &[]);
    generated.expect(200);
    let text = generated.json()["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_ne!(text, "hello from the example");
    assert!((12..=40).contains(&text.chars().count()), "{text}");
    let named = send(
        &running.addr,
        "GET",
        "/greeting",
        &[("Prefer", "example=hello")],
    );
    assert_eq!(named.json()["text"], "hello from the example");
}

/// A header whose example breaks its own schema: the mock sends it as it is, and so breaks
/// the document (kept out of `tests/docs`, whose documents all answer as they declare).
const BROKEN_HEADER: &str = "\
openapi: 3.0.3
info: {title: An answer that breaks its document, version: '1'}
paths:
  /limited:
    get:
      operationId: getLimited
      responses:
        '200':
          description: A header whose example breaks its schema
          headers:
            X-Rate-Limit:
              required: true
              schema: {type: integer, minimum: 1}
              example: lots
          content:
            application/json:
              schema: {type: object}
  /fine:
    get:
      operationId: getFine
      responses:
        '200':
          description: An answer that keeps to the document
          content:
            application/json:
              schema: {type: object}
";

/// `text` written to a file of the system's temporary folder named `name`; its path.
fn scratch(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("understudy-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the document");
    path.to_str().expect("a UTF-8 path").to_owned()
}

#[test]
fn errors_sends_a_500_naming_what_breaks_the_document_instead_of_the_answer_that_breaks_it() {
    let broken = scratch("broken-header.yaml", BROKEN_HEADER);
    let plain = Running::start(&["mock", &broken, "-p", "0"], &[]);
    let sent = send(&plain.addr, "GET", "/limited", &[]);
    sent.expect(200);
    assert_eq!(sent.header("x-rate-limit"), Some("lots"));
    drop(plain);

    let strict = Running::start(&["mock", &broken, "-p", "0", "--errors"], &[]);
    let replaced = send(&strict.addr, "GET", "/limited", &[]);
    replaced.expect(500);
    let body = replaced.json();
    assert_eq!(
        body["violations"][0]["path"], "header.X-Rate-Limit",
        "{body}"
    );
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("--errors")),
        "{body}"
    );
    // An answer that keeps to the document is sent as it is.
    send(&strict.addr, "GET", "/fine", &[]).expect(200);
    std::fs::remove_file(&broken).ok();
}

#[test]
fn the_request_line_names_where_each_violation_is_and_the_keyword_it_broke() {
    let mut running = Running::start(&["mock", &doc("serving-slack.yaml"), "-p", "0"], &[]);
    send(&running.addr, "POST", "/api/chat.postMessage", &[]).expect(400);
    let line = running.line("the request", |l| l.contains(" request "));
    assert!(
        line.contains(r#"violations=1 violated="header.token: required""#),
        "{line}"
    );
}

/// A document with `count` answers whose examples break their schema: a warning each.
fn many_warnings(count: usize) -> String {
    let mut text =
        String::from("openapi: 3.0.3\ninfo: {title: Many warnings, version: '1'}\npaths:\n");
    for i in 0..count {
        text.push_str(&format!(
            "  /w{i}:\n    get:\n      operationId: w{i}\n      responses:\n        '200':\n          \
             description: ok\n          content:\n            application/json:\n              \
             schema: {{type: integer}}\n              example: not a number\n"
        ));
    }
    scratch("many-warnings.yaml", &text)
}

fn run(args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_understudy"))
        .args(args)
        .env("UNDERSTUDY_LOG", "info")
        .output()
        .expect("the binary runs");
    assert!(out.status.success(), "{out:?}");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_warning_is_available_and_the_hint_after_twenty_names_the_command_that_shows_them() {
    let path = &many_warnings(23);
    let (_, log) = run(&["routes", "--spec", path]);
    let warned = |log: &str| log.lines().filter(|l| l.contains("example breaks")).count();
    assert_eq!(warned(&log), 20, "{log}");
    let hint =
        format!("... and 3 more warnings (`understudy routes --spec {path} --show-warnings`");
    assert!(log.contains(&hint), "{log}");

    let (_, log) = run(&["routes", "--spec", path, "--show-warnings"]);
    assert_eq!(warned(&log), 23, "{log}");
    assert!(!log.contains("more warnings"), "{log}");

    let (listed, _) = run(&["routes", "--spec", path, "--warnings"]);
    assert_eq!(listed.lines().count(), 23, "{listed}");
    assert!(
        listed.lines().all(|l| l.starts_with("many-warnings: ")),
        "{listed}"
    );
    std::fs::remove_file(path).ok();
}
