//! Documents given by URL, through the binary: fetched from a loopback server with the files
//! their relative `$ref`s reach on the same origin; a `$ref` to another origin, and a URL the
//! server does not have, stop startup with a message that names them.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::harness::doc_path;

/// A document with a `$ref` to another origin (port 1 on loopback, where nothing listens).
/// Not in `tests/docs`, whose documents all load from their files.
const REMOTE_REF: &str = "\
openapi: 3.1.0
info: {title: A reference to another origin, version: '1'}
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        '200':
          description: Pets
          content:
            application/json:
              schema:
                $ref: 'http://127.0.0.1:1/shared/pet.yaml#/Pet'
";

/// A loopback HTTP server of the files under `tests/docs` and of `/remote-ref.yaml`
/// ([`REMOTE_REF`]), for 60 s at most. Its base URL and the paths it was asked for.
fn docs_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener.set_nonblocking(true).expect("non-blocking");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let Ok((mut stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            stream.set_nonblocking(false).ok();
            stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let head = String::from_utf8_lossy(&head);
            let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
            seen.lock().expect("lock").push(path.clone());
            let file = doc_path(path.trim_start_matches('/'));
            let body = if path == "/remote-ref.yaml" {
                Some(REMOTE_REF.as_bytes().to_vec())
            } else {
                std::fs::read(&file).ok().filter(|_| !path.contains(".."))
            };
            let answer = match body {
                Some(body) => {
                    let mut a = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/yaml\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    a.extend_from_slice(&body);
                    a
                }
                None => b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = stream.write_all(&answer);
        }
    });
    (base, asked)
}

/// `understudy routes --spec URL`: its exit code, stdout and stderr.
fn routes(url: &str) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_understudy"))
        .args(["routes", "--spec", url, "--fetch-timeout", "20"])
        .output()
        .expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_document_given_by_url_is_fetched_with_the_files_its_relative_refs_reach() {
    let (base, asked) = docs_server();
    let (code, routes, log) = routes(&format!("{base}/edge-30.yaml"));
    assert_eq!(code, Some(0), "{log}");
    assert!(routes.contains("addExternalPet"), "{routes}");
    let asked = asked.lock().expect("lock").clone();
    assert_eq!(asked, ["/edge-30.yaml", "/shared/pet.yaml"]);
}

#[test]
fn a_ref_to_another_origin_than_the_documents_is_refused_naming_the_ref() {
    let (base, asked) = docs_server();
    let (code, _, log) = routes(&format!("{base}/remote-ref.yaml"));
    assert_eq!(code, Some(2), "{log}");
    assert!(
        log.contains("`http://127.0.0.1:1/shared/pet.yaml` is on another origin"),
        "{log}"
    );
    assert!(log.contains(&format!("({base})")), "{log}");
    assert_eq!(asked.lock().expect("lock").len(), 1, "only the document");
}

#[test]
fn a_document_url_that_cannot_be_fetched_stops_startup_naming_the_url_and_why() {
    let (base, _) = docs_server();
    let url = format!("{base}/no-such-document.yaml");
    let (code, _, log) = routes(&url);
    assert_eq!(code, Some(2), "{log}");
    assert!(
        log.contains(&format!("cannot fetch {url}: the server answered 404")),
        "{log}"
    );
    // A document given by URL is served too (`mock URL`), and refused the same way.
    let out = Command::new(env!("CARGO_BIN_EXE_understudy"))
        .args(["mock", &url, "-p", "0"])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("404"));
}
