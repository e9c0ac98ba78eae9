//! Bad input never hurts the server: size limits answered in the API's own error format
//! (413, 414, 431), hyper's harder bounds above them, bad bytes (invalid UTF-8, NUL, overlong
//! numbers, duplicated parameters, deep nesting) answered 400, and the timeouts (slow heads,
//! slow bodies, idle keep-alive connections) closing connections without holding other
//! clients up. Servers with tight limits use timeouts of a few hundred milliseconds; only
//! lower bounds on time are asserted (a timer never fires early).

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::json;
use understudy::server::ServerConfig;

use crate::alumio::alumio_error;
use crate::gitbook::gitbook_error;
use crate::harness::*;

const ASSIGN: &str = "/api/v1/spaces/default/assign_users";
const GITBOOK_USERS: &str = "/v1/spaces/sPaCe4Docs01/permissions/users";
const GITBOOK_TOKEN: &str = "gb_api_jAnEdOe0aDm1nAcMe0t0kEn";
/// How long a test waits for an answer or a close before failing: far above every timeout
/// the tight server has.
const PATIENCE: Duration = Duration::from_secs(10);

fn tight() -> ServerConfig {
    ServerConfig {
        max_body: 1024,
        max_uri: 256,
        max_header_bytes: 1024,
        max_headers: 20,
        header_timeout: Duration::from_millis(300),
        body_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_secs(2),
        write_timeout: Duration::from_millis(500),
        shutdown_grace: Duration::from_millis(300),
        max_connections: 64,
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect to the test server");
    stream.set_read_timeout(Some(PATIENCE)).ok();
    stream.set_write_timeout(Some(PATIENCE)).ok();
    stream
}

/// Sends raw bytes (the request says `Connection: close`) and reads the whole answer.
fn exchange(addr: SocketAddr, request: &[u8]) -> Reply {
    let mut stream = connect(addr);
    stream.write_all(request).expect("write the request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the answer");
    Reply::parse(&raw, "GET")
}

/// Reads one answer from a connection that stays open.
fn read_one(stream: &mut TcpStream) -> Reply {
    Reply::read(stream, "GET")
}

/// Whether the server closed the connection: a read sees the end (or a reset) within `wait`.
fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    stream.set_read_timeout(Some(wait)).ok();
    let mut buf = [0u8; 256];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

fn get_head(path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\r\n")
        .into_bytes()
}

fn post(path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// A GitBook list request that must succeed: the server still serves.
fn assert_serves(server: &Server) {
    server
        .get(GITBOOK_USERS)
        .bearer(GITBOOK_TOKEN)
        .send()
        .expect(200);
}

fn detail(body: &serde_json::Value) -> String {
    body["detail"].as_str().unwrap_or_default().to_owned()
}

// --- sizes --------------------------------------------------------------------------------

#[test]
fn a_body_over_the_limit_is_a_413_in_the_apis_format() {
    let server = Server::bundled_with(tight());
    let body = format!("{{\"users\": [], \"pad\": \"{}\"}}", "x".repeat(2000));
    let reply = exchange(
        server.addr,
        &post(ASSIGN, "application/json", body.as_bytes()),
    );
    let error = alumio_error(&reply, 413, false);
    assert!(detail(&error).contains("1 KiB"), "{error}");
    assert_eq!(reply.header("connection"), Some("close"));
    assert_serves(&server);
}

#[test]
fn a_client_that_writes_a_body_far_over_the_limit_before_reading_still_gets_the_413() {
    // 4 MiB against the default 1 MiB: far more than the socket buffers hold, so a server
    // that closed without reading the rest would leave the client a reset, not an answer.
    let server = Server::bundled();
    let body = format!(
        "{{\"users\": [], \"pad\": \"{}\"}}",
        "x".repeat(4 * 1024 * 1024)
    );
    let reply = exchange(
        server.addr,
        &post(ASSIGN, "application/json", body.as_bytes()),
    );
    let error = alumio_error(&reply, 413, false);
    assert!(detail(&error).contains("1 MiB"), "{error}");
    assert_serves(&server);
}

#[test]
fn a_declared_length_over_the_limit_is_refused_before_the_body_is_sent() {
    let server = Server::bundled();
    // No body follows: the answer comes from the head alone (the default limit is 1 MiB).
    let head = format!(
        "POST {ASSIGN} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        1024 * 1024 + 1
    );
    let mut stream = connect(server.addr);
    stream.write_all(head.as_bytes()).unwrap();
    let reply = read_one(&mut stream);
    let error = alumio_error(&reply, 413, false);
    assert!(detail(&error).contains("1 MiB"), "{error}");
}

#[test]
fn a_body_of_exactly_the_limit_is_read() {
    let server = Server::bundled_with(tight());
    let mut body = br#"{"users": []}"#.to_vec();
    body.resize(1024, b' ');
    let reply = exchange(server.addr, &post(ASSIGN, "application/json", &body));
    assert_ne!(reply.status, 413, "{}", reply.text());
}

#[test]
fn a_chunked_body_over_the_limit_is_a_413() {
    let server = Server::bundled_with(tight());
    let chunk = "x".repeat(700);
    let request = format!(
        "POST {ASSIGN} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
         2bc\r\n{chunk}\r\n2bc\r\n{chunk}\r\n0\r\n\r\n"
    );
    let reply = exchange(server.addr, request.as_bytes());
    alumio_error(&reply, 413, false);
}

#[test]
fn a_target_over_the_limit_is_a_414_in_the_apis_format() {
    let server = Server::bundled_with(tight());
    let path = format!("{GITBOOK_USERS}?pad={}", "x".repeat(300));
    let reply = exchange(server.addr, &get_head(&path, ""));
    let message = gitbook_error(&reply, 414);
    assert!(message.contains("256 bytes"), "{message}");
    assert_serves(&server);
}

#[test]
fn too_many_header_lines_are_a_431_in_the_apis_format() {
    let server = Server::bundled_with(tight());
    let extra: String = (0..25).map(|i| format!("X-Pad-{i}: {i}\r\n")).collect();
    let reply = exchange(server.addr, &get_head(ASSIGN, &extra));
    let error = alumio_error(&reply, 431, false);
    assert!(detail(&error).contains("limit is 20"), "{error}");
}

#[test]
fn by_default_65_header_lines_are_a_431_in_the_apis_format_and_64_are_served() {
    let server = Server::bundled_with(ServerConfig::default());
    let lines = |n: usize| -> String { (0..n).map(|i| format!("X-Pad-{i}: {i}\r\n")).collect() };
    // The request's own Host and Connection lines count too.
    let reply = exchange(server.addr, &get_head(ASSIGN, &lines(62)));
    assert_ne!(reply.status, 431, "{reply:?}");
    let reply = exchange(server.addr, &get_head(ASSIGN, &lines(63)));
    let error = alumio_error(&reply, 431, false);
    assert!(detail(&error).contains("limit is 64"), "{error}");
}

#[test]
fn a_header_section_over_the_limit_is_a_431_in_the_apis_format() {
    let server = Server::bundled_with(tight());
    let extra = format!("X-Pad: {}\r\n", "x".repeat(1500));
    let reply = exchange(server.addr, &get_head(GITBOOK_USERS, &extra));
    let message = gitbook_error(&reply, 431);
    assert!(message.contains("1 KiB"), "{message}");
}

#[test]
fn past_hypers_own_bounds_a_client_gets_a_bare_431_and_others_are_still_served() {
    let server = Server::bundled_with(tight());
    // hyper's bounds are twice ours (at least 8 KiB of head; 100 header lines, its own
    // default, below 100 of ours): far past them, its own answer, with no body, and a closed
    // connection.
    let huge = format!("X-Pad: {}\r\n", "x".repeat(64 * 1024));
    let many: String = (0..120).map(|i| format!("X-Pad-{i}: {i}\r\n")).collect();
    for extra in [huge, many] {
        let mut stream = connect(server.addr);
        // The server may close before reading all of it.
        let _ = stream.write_all(&get_head(ASSIGN, &extra));
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw);
        assert!(
            raw.is_empty() || text.starts_with("HTTP/1.1 431"),
            "hyper's answer: {text}"
        );
        assert_serves(&server);
    }
}

// --- bad bytes ----------------------------------------------------------------------------

#[test]
fn invalid_utf8_in_a_path_parameter_is_a_400_naming_it() {
    let server = Server::bundled();
    let reply = server
        .post("/api/v1/spaces/%FF%FE/assign_users")
        .json(json!({"users": []}))
        .send();
    let error = alumio_error(&reply, 400, true);
    assert!(
        error.to_string().contains("path.space"),
        "names the parameter: {error}"
    );
}

#[test]
fn invalid_utf8_in_a_query_value_is_a_400_naming_it() {
    let server = Server::bundled();
    let reply = server
        .get(&format!("{GITBOOK_USERS}?limit=%FF"))
        .bearer(GITBOOK_TOKEN)
        .send();
    let message = gitbook_error(&reply, 400);
    assert!(message.contains("query.limit"), "{message}");
}

#[test]
fn raw_bytes_that_are_not_utf8_in_the_target_are_a_bare_400_and_others_are_served() {
    let server = Server::bundled();
    // hyper refuses such a request line before the mock sees it: its own 400, no body.
    let mut request = format!("GET {GITBOOK_USERS}?limit=").into_bytes();
    request.extend_from_slice(&[0xFF, 0xFE]);
    request.extend_from_slice(b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let mut stream = connect(server.addr);
    stream.write_all(&request).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert_serves(&server);
}

#[test]
fn a_header_parameter_that_is_not_utf8_is_a_400_naming_it() {
    let server = Server::docs(&["strict.yaml"]);
    let mut request = b"GET /strict/orders HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
                        X-Request-Id: "
        .to_vec();
    request.extend_from_slice(&[0xFF, 0xFE, b'a']);
    request.extend_from_slice(b"\r\n\r\n");
    let reply = exchange(server.addr, &request);
    assert_eq!(reply.status, 400, "{}", reply.text());
    let text = reply.text();
    assert!(text.contains("X-Request-Id"), "{text}");
    assert!(text.contains("UTF-8"), "says why: {text}");
}

#[test]
fn header_values_that_are_not_utf8_never_hurt_the_server() {
    let server = Server::bundled();
    for name in [
        "Authorization",
        "Content-Type",
        "Accept",
        "Prefer",
        "Origin",
        "Cookie",
        "X-Understudy-Session",
    ] {
        let mut request = format!(
            "POST {ASSIGN} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 2\r\n\
             {}{name}: ",
            if name == "Content-Type" {
                ""
            } else {
                "Content-Type: application/json\r\n"
            }
        )
        .into_bytes();
        request.extend_from_slice(&[0xFF, 0xFE, b'x']);
        request.extend_from_slice(b"\r\n\r\n{}");
        let reply = exchange(server.addr, &request);
        assert!(
            (200..500).contains(&reply.status),
            "{name}: {} {}",
            reply.status,
            reply.text()
        );
        assert!(
            reply.header("x-understudy-response-violations").is_none(),
            "{name}: {}",
            reply.text()
        );
    }
    assert_serves(&server);
}

#[test]
fn a_json_body_that_is_not_utf8_is_a_400_naming_the_body() {
    let server = Server::bundled();
    let mut body = br#"{"users": [{"email": ""#.to_vec();
    body.extend_from_slice(&[0xFF, 0xFE]);
    body.extend_from_slice(br#"", "roles": ["ROLE_USER"]}]}"#);
    let reply = exchange(server.addr, &post(ASSIGN, "application/json", &body));
    let error = alumio_error(&reply, 400, true);
    assert!(error.to_string().contains("JSON"), "{error}");
}

#[test]
fn nul_bytes_in_parameters_are_a_400_naming_them() {
    let server = Server::bundled();
    let reply = server
        .get(&format!("{GITBOOK_USERS}?limit=1%00"))
        .bearer(GITBOOK_TOKEN)
        .send();
    let message = gitbook_error(&reply, 400);
    assert!(message.contains("query.limit"), "{message}");
    let reply = server
        .post("/api/v1/spaces/de%00fault/assign_users")
        .json(json!({"users": []}))
        .send();
    let error = alumio_error(&reply, 400, true);
    assert!(error.to_string().contains("path.space"), "{error}");
}

#[test]
fn a_query_parameter_given_twice_is_a_400_naming_it() {
    let server = Server::bundled();
    let reply = server
        .get(&format!("{GITBOOK_USERS}?limit=1&limit=2"))
        .bearer(GITBOOK_TOKEN)
        .send();
    let message = gitbook_error(&reply, 400);
    assert!(message.contains("query.limit"), "{message}");
}

#[test]
fn overlong_numbers_are_a_400_naming_the_parameter() {
    let server = Server::bundled();
    for limit in [
        "1e999".to_owned(),
        "9".repeat(400),
        format!("0.{}1", "0".repeat(400)),
    ] {
        let reply = server
            .get(&format!("{GITBOOK_USERS}?limit={limit}"))
            .bearer(GITBOOK_TOKEN)
            .send();
        if limit.starts_with("0.") {
            // A tiny number is still a number in range: the first page of no items.
            reply.expect(200);
            continue;
        }
        let message = gitbook_error(&reply, 400);
        assert!(message.contains("query.limit"), "{limit}: {message}");
    }
}

/// A CRUD document whose paging parameters have no bounds at all.
const UNBOUNDED: &str = r#"
openapi: 3.1.0
info: {title: Unbounded, version: '1'}
servers: [{url: /unbounded}]
paths:
  /things:
    get:
      operationId: listThings
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
        - {name: offset, in: query, schema: {type: integer}}
        - {name: page, in: query, schema: {type: integer}}
      responses:
        '200':
          description: A page of things
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Thing'}}
    post:
      operationId: createThing
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Thing'}
      responses:
        '201':
          description: The new thing
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
  /things/{id}:
    get:
      operationId: getThing
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses:
        '200':
          description: A thing
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
components:
  schemas:
    Thing:
      type: object
      properties:
        id: {type: integer}
        name: {type: string}
"#;

fn unbounded_server() -> Server {
    Server::start(
        vec![understudy::Source::Text {
            name: "unbounded.yaml".to_owned(),
            text: UNBOUNDED.to_owned(),
        }],
        understudy::EngineConfig {
            check_responses: true,
            ..Default::default()
        },
    )
}

#[test]
fn very_large_limits_offsets_and_pages_are_answered_without_panicking_or_allocating_by_them() {
    let server = unbounded_server();
    server
        .post("/unbounded/things")
        .json(json!({"name": "one"}))
        .send()
        .expect(201);
    let max = i64::MAX;
    let min = i64::MIN;
    for query in [
        format!("limit={max}"),
        format!("limit={min}"),
        format!("offset={max}"),
        format!("offset={min}"),
        format!("page={max}"),
        format!("page={min}"),
        format!("page={max}&limit={max}"),
        format!("page={max}&limit={max}&offset={max}"),
        format!("page={min}&limit={max}&offset={max}"),
        "limit=18446744073709551616".to_owned(),
        "limit=1e300".to_owned(),
    ] {
        let reply = server.get(&format!("/unbounded/things?{query}")).send();
        assert!(
            matches!(reply.status, 200 | 400),
            "{query}: {} {}",
            reply.status,
            reply.text()
        );
    }
    let bounded = Server::docs(&["petstore.yaml", "crud-nested.yaml"]);
    for (path, expected) in [
        ("/v1/pets?limit=2147483647", 400),
        ("/v1/pets?limit=-9223372036854775808", 200),
        ("/api/owners?page=9223372036854775807", 200),
        ("/api/owners?page=9223372036854775807&per_page=50", 200),
        ("/api/owners?page=99999999999999999999999", 400),
    ] {
        let reply = bounded.get(path).send();
        assert_eq!(reply.status, expected, "{path}: {}", reply.text());
    }
}

#[test]
fn a_body_of_100000_nested_arrays_is_a_400_not_a_stack_overflow() {
    let server = Server::bundled();
    let depth = 100_000;
    let body = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let reply = exchange(
        server.addr,
        &post(ASSIGN, "application/json", body.as_bytes()),
    );
    let error = alumio_error(&reply, 400, true);
    assert!(error.to_string().contains("recursion"), "{error}");
    let reply = exchange(
        server.addr,
        &post(
            "/v1/spaces/sPaCe4Docs01/permissions",
            "application/json",
            body.as_bytes(),
        ),
    );
    // GitBook checks the token first; either way the server answers and lives on.
    assert!(matches!(reply.status, 400 | 401), "{}", reply.text());
    assert_serves(&server);
}

#[test]
fn deep_but_allowed_bodies_are_validated_stored_and_answered() {
    // 120 levels: under serde_json's limit of 128. Validation, storage, the answers and the
    // admin state all walk it.
    let mut deep = json!("leaf");
    for _ in 0..120 {
        deep = json!([deep]);
    }
    let server = unbounded_server();
    let reply = server
        .post("/unbounded/things")
        .json(json!({"name": "deep", "extra": deep.clone()}))
        .send()
        .expect(201)
        .json();
    assert_eq!(reply["extra"], deep);
    let list = server.get("/unbounded/things").send().expect(200).json();
    assert_eq!(list[0]["extra"], deep);
    let state = server.get("/__admin/state").send().expect(200).text();
    assert!(state.contains("leaf"), "{state}");
    let server = Server::bundled();
    let reply = server.post(ASSIGN).json(json!({"users": [deep]})).send();
    alumio_error(&reply, 400, true);
}

#[test]
fn deep_object_parameters_nested_past_the_limit_are_a_400_not_a_stack_overflow() {
    let server = Server::docs(&["edge-30.yaml"]);
    let deep = format!("/edge30/search?filter[color]{}=1", "[a]".repeat(2500));
    let reply = server.get(&deep).header("X-API-Key", "k").send();
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(reply.text().contains("filter"), "{}", reply.text());
    assert!(reply.text().contains("nested deeper"), "{}", reply.text());
    // Within the limit, the nesting is read (and `color`, a string, is then broken).
    let shallow = format!("/edge30/search?filter[color]{}=1", "[a]".repeat(10));
    let reply = server.get(&shallow).header("X-API-Key", "k").send();
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(!reply.text().contains("nested deeper"), "{}", reply.text());
    server
        .get("/edge30/search?filter[color]=red")
        .header("X-API-Key", "k")
        .send()
        .expect(200);
}

// --- timeouts -----------------------------------------------------------------------------

#[test]
fn a_body_sent_too_slowly_is_a_408_in_the_apis_format_and_the_connection_closes() {
    let server = Server::bundled_with(tight());
    let mut stream = connect(server.addr);
    let started = Instant::now();
    let head = format!(
        "POST {ASSIGN} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{\"users\""
    );
    stream.write_all(head.as_bytes()).unwrap();
    let reply = read_one(&mut stream);
    assert!(started.elapsed() >= tight().body_timeout);
    let error = alumio_error(&reply, 408, false);
    assert!(detail(&error).contains("300 ms"), "{error}");
    assert_eq!(reply.header("connection"), Some("close"));
    assert!(
        closed_within(&mut stream, PATIENCE),
        "the connection stays open"
    );
    assert_serves(&server);
}

/// Trickles a request head one byte per 100 ms; how long until the server cut it, if it did
/// before `bytes` were sent.
fn trickle(addr: SocketAddr, bytes: usize) -> Option<Duration> {
    // Before connecting: the server's clock starts when it accepts.
    let started = Instant::now();
    let mut stream = connect(addr);
    let head = format!("GET {GITBOOK_USERS} HTTP/1.1\r\nHost: localhost\r\nX-Slow: ");
    let mut text = head.into_bytes();
    text.resize(bytes, b'a');
    for byte in text {
        if stream.write_all(&[byte]).is_err()
            || closed_within(&mut stream, Duration::from_millis(100))
        {
            return Some(started.elapsed());
        }
    }
    None
}

#[test]
fn slow_heads_are_cut_at_the_header_timeout_while_other_clients_are_served() {
    // A header timeout long enough that the slow clients are surely still connected while
    // the others are served (the harness serves everything on one thread).
    let config = ServerConfig {
        header_timeout: Duration::from_secs(3),
        ..tight()
    };
    let server = Server::bundled_with(config);
    let addr = server.addr;
    // 100 bytes at one per 100 ms would take 10 s.
    let slow: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(move || trickle(addr, 100)))
        .collect();
    for _ in 0..5 {
        assert_serves(&server);
    }
    assert!(
        slow.iter().all(|t| !t.is_finished()),
        "a slow client was cut before the header timeout"
    );
    for t in slow {
        let cut = t.join().expect("a slow client");
        let cut = cut.expect("a slow head was never cut");
        assert!(cut >= config.header_timeout, "cut after {cut:?}");
    }
}

#[test]
fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    let server = Server::bundled_with(tight());
    let started = Instant::now();
    let mut stream = connect(server.addr);
    assert!(closed_within(&mut stream, PATIENCE), "never closed");
    assert!(started.elapsed() >= tight().header_timeout);
}

#[test]
fn an_idle_keep_alive_connection_outlives_the_header_timeout_and_closes_after_the_idle_one() {
    let server = Server::bundled_with(tight());
    let mut stream = connect(server.addr);
    let request = format!(
        "GET {GITBOOK_USERS} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {GITBOOK_TOKEN}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    read_one(&mut stream).expect(200);
    // Idle past the header timeout (300 ms), well inside the idle one (2 s): still served.
    std::thread::sleep(Duration::from_millis(600));
    // Before the request: the server's idle clock starts once it has answered.
    let idle_since = Instant::now();
    stream.write_all(request.as_bytes()).unwrap();
    read_one(&mut stream).expect(200);
    assert!(closed_within(&mut stream, PATIENCE), "never closed");
    assert!(idle_since.elapsed() >= tight().idle_timeout);
}

/// A client that pipelines GitBook lists and reads none of the answers (about 7 MB of them,
/// more than loopback's socket buffers hold): the server's writes to it stall.
fn reads_nothing(addr: SocketAddr) -> TcpStream {
    let stream = connect(addr);
    let mut writer = stream.try_clone().expect("clone the socket");
    let request = format!(
        "GET {GITBOOK_USERS} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {GITBOOK_TOKEN}\r\n\r\n"
    );
    let many = request.repeat(10_000);
    // Its writes block too once the server stops reading; they end when it closes.
    std::thread::spawn(move || writer.write_all(many.as_bytes()).is_ok());
    stream
}

/// With one connection allowed, a second client is served only once the first is closed:
/// how long it waits behind a client that reads nothing, if it is served within `wait`.
fn served_behind_a_client_that_reads_nothing(
    config: ServerConfig,
    wait: Duration,
) -> Option<Duration> {
    let server = Server::bundled_with(ServerConfig {
        max_connections: 1,
        ..config
    });
    let _stuck = reads_nothing(server.addr);
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    let mut other = connect(server.addr);
    let request = format!(
        "GET {GITBOOK_USERS} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {GITBOOK_TOKEN}\r\n\r\n"
    );
    other.write_all(request.as_bytes()).unwrap();
    other.set_read_timeout(Some(wait)).ok();
    let mut first = [0u8; 1];
    match other.peek(&mut first) {
        Ok(1) => {}
        Ok(_) => panic!("the second client's connection was closed unanswered"),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return None,
        Err(e) => panic!("the second client failed: {e}"),
    }
    let waited = started.elapsed();
    other.set_read_timeout(Some(PATIENCE)).ok();
    read_one(&mut other).expect(200);
    Some(waited)
}

#[test]
fn a_client_that_reads_none_of_its_answers_is_cut_at_the_write_timeout() {
    // Header and idle timeouts far away: only the write timeout can free the connection.
    let config = ServerConfig {
        header_timeout: Duration::from_secs(20),
        idle_timeout: Duration::from_secs(20),
        ..tight()
    };
    let waited = served_behind_a_client_that_reads_nothing(config, PATIENCE)
        .expect("the client that reads nothing was never cut");
    // It was cut no sooner than its writes had stalled for the write timeout (500 ms), and
    // they stalled after the second client's clock started 100 ms after it connected.
    assert!(
        waited >= config.write_timeout - Duration::from_millis(100),
        "served after {waited:?}"
    );
    // The control: with a long write timeout the same client holds its connection.
    let patient = ServerConfig {
        write_timeout: Duration::from_secs(20),
        ..config
    };
    assert_eq!(
        served_behind_a_client_that_reads_nothing(patient, Duration::from_millis(1500)),
        None,
        "the second client was served while the first held the only connection"
    );
}

#[test]
fn connections_over_the_limit_wait_until_one_is_free() {
    let server = Server::bundled_with(ServerConfig {
        max_connections: 2,
        header_timeout: Duration::from_secs(20),
        idle_timeout: Duration::from_secs(20),
        ..tight()
    });
    let request = format!(
        "GET {GITBOOK_USERS} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {GITBOOK_TOKEN}\r\n\r\n"
    );
    let mut held: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = connect(server.addr);
            s.write_all(request.as_bytes()).unwrap();
            read_one(&mut s).expect(200);
            s
        })
        .collect();
    let mut waiting = connect(server.addr);
    waiting.write_all(request.as_bytes()).unwrap();
    waiting
        .set_read_timeout(Some(Duration::from_millis(300)))
        .ok();
    let mut byte = [0u8; 1];
    let early = waiting.read(&mut byte);
    assert!(
        matches!(&early, Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "a third connection was served while two were held: {early:?}"
    );
    drop(held.pop());
    waiting.set_read_timeout(Some(PATIENCE)).ok();
    read_one(&mut waiting).expect(200);
}

// --- shutdown -----------------------------------------------------------------------------

/// `understudy serve --port 0` as a child process; killed when dropped if still running.
struct Binary {
    child: std::process::Child,
    addr: SocketAddr,
}

impl Binary {
    fn start(flags: &[&str]) -> Binary {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_understudy"))
            .args(["serve", "--host", "127.0.0.1", "--port", "0"])
            .args(flags)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start understudy");
        let stderr = child.stderr.take().expect("its stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the log to its end, so the child never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    let _ = tx.send(addr);
                }
            }
        });
        let mut binary = Binary {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server logs its address");
        binary.addr = addr.parse().expect("an address");
        binary
    }

    fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// The exit status, once the process has ended (within `PATIENCE`).
    fn wait(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for understudy") {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Sends a request head that asks for `100 Continue` and waits for it: the server is then
/// reading the body, so the request is in flight.
fn start_slow_upload(addr: SocketAddr, length: usize) -> TcpStream {
    let mut stream = connect(addr);
    let head = format!(
        "POST {ASSIGN} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Expect: 100-continue\r\nContent-Length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).expect("read 100 Continue"), 1);
        got.push(byte[0]);
    }
    assert!(got.starts_with(b"HTTP/1.1 100"), "{got:?}");
    stream
}

/// Whether connecting is refused, trying for up to `PATIENCE`.
fn refuses_connections(addr: SocketAddr) -> bool {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => return true,
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    false
}

#[test]
fn on_sigterm_the_request_in_flight_is_answered_new_connections_are_refused_and_it_exits_0() {
    let mut server = Binary::start(&["--shutdown-grace", "20", "--body-timeout", "20"]);
    let body = json!({"users": [{"email": "ann@example.com", "roles": ["ROLE_USER"]}]});
    let body = body.to_string();
    let mut upload = start_slow_upload(server.addr, body.len());
    let mut idle = connect(server.addr);
    let request = format!(
        "GET {GITBOOK_USERS} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {GITBOOK_TOKEN}\r\n\r\n"
    );
    idle.write_all(request.as_bytes()).unwrap();
    read_one(&mut idle).expect(200);
    server.terminate();
    assert!(refuses_connections(server.addr), "still accepting");
    assert!(
        closed_within(&mut idle, PATIENCE),
        "an idle connection was kept"
    );
    upload.write_all(body.as_bytes()).unwrap();
    let mut raw = Vec::new();
    upload.read_to_end(&mut raw).expect("the answer");
    let reply = Reply::parse(&raw, "POST");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("connection"), Some("close"));
    let status = server.wait();
    assert_eq!(status.code(), Some(0), "{status}");
}

#[test]
fn on_sigterm_a_request_still_running_after_the_grace_period_is_dropped_and_it_exits_0() {
    let mut server = Binary::start(&["--shutdown-grace", "0.3", "--body-timeout", "60"]);
    let mut upload = start_slow_upload(server.addr, 100);
    server.terminate();
    let status = server.wait();
    assert_eq!(status.code(), Some(0), "{status}");
    assert!(
        closed_within(&mut upload, PATIENCE),
        "the connection outlived the server"
    );
}

// --- Host ---------------------------------------------------------------------------------

#[test]
fn an_http_1_1_request_without_host_is_a_400_in_the_apis_format() {
    let server = Server::bundled_with(ServerConfig::default());
    let request = format!(
        "GET {GITBOOK_USERS} HTTP/1.1\r\nAuthorization: Bearer {GITBOOK_TOKEN}\r\n\
         Connection: close\r\n\r\n"
    );
    let reply = exchange(server.addr, request.as_bytes());
    let message = gitbook_error(&reply, 400);
    assert!(message.contains("Host"), "{message}");
    // Two Host lines are as bad, whatever the version.
    for version in ["HTTP/1.1", "HTTP/1.0"] {
        let request = format!(
            "GET {GITBOOK_USERS} {version}\r\nHost: localhost\r\nHost: localhost\r\n\
             Authorization: Bearer {GITBOOK_TOKEN}\r\nConnection: close\r\n\r\n"
        );
        gitbook_error(&exchange(server.addr, request.as_bytes()), 400);
    }
    // HTTP/1.0 may go without.
    let request =
        format!("GET {GITBOOK_USERS} HTTP/1.0\r\nAuthorization: Bearer {GITBOOK_TOKEN}\r\n\r\n");
    exchange(server.addr, request.as_bytes()).expect(200);
}

#[test]
fn an_absolute_form_target_is_judged_by_its_own_host() {
    let server = Server::bundled_with(ServerConfig::default());
    let request = format!(
        "GET http://rebind.evil.test{GITBOOK_USERS} HTTP/1.1\r\nHost: localhost\r\n\
         Authorization: Bearer {GITBOOK_TOKEN}\r\nConnection: close\r\n\r\n"
    );
    gitbook_error(&exchange(server.addr, request.as_bytes()), 421);
    let request = format!(
        "GET http://localhost{GITBOOK_USERS} HTTP/1.1\r\nHost: localhost\r\n\
         Authorization: Bearer {GITBOOK_TOKEN}\r\nConnection: close\r\n\r\n"
    );
    exchange(server.addr, request.as_bytes()).expect(200);
}
