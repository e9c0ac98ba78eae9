//! Delayed answers: `Prefer: delay=MS` on one request and `serve --delay` on all, held back
//! without holding up other requests (the harness's server runs on one thread: a blocking
//! delay would stop it). Lower bounds only: the machine may be loaded.

use std::time::{Duration, Instant};

use crate::harness::*;
use crate::running::Running;

/// Jane's token in the bundled GitBook fixtures.
const TOKEN: &str = "gb_api_jAnEdOe0aDm1nAcMe0t0kEn";
const USERS: &str = "/v1/spaces/sPaCe4Docs01/permissions/users";

/// Sends `prefer` (if any) on a GitBook list from another thread: when it started, when the
/// first byte of its answer came, and its status.
fn in_background(
    s: &Server,
    prefer: Option<&'static str>,
) -> std::thread::JoinHandle<(Instant, Instant, u16)> {
    let addr = s.addr;
    std::thread::spawn(move || {
        let started = Instant::now();
        let (status, first_byte) = get_users(addr, prefer);
        (started, first_byte, status)
    })
}

/// A GitBook list sent to the server at `addr`, with `Prefer: prefer`: its status, and when
/// the first byte of its answer came (a server that blocked on a delay would write this
/// answer whole before reading anyone else's request).
fn get_users(addr: std::net::SocketAddr, prefer: Option<&str>) -> (u16, Instant) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let prefer = prefer.map_or(String::new(), |p| format!("Prefer: {p}\r\n"));
    let request = format!(
        "GET {USERS} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n{prefer}\
         Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("write");
    let mut raw = vec![0; 1];
    stream.read_exact(&mut raw).expect("read");
    let first_byte = Instant::now();
    stream.read_to_end(&mut raw).expect("read");
    (Reply::parse(&raw, "GET").status, first_byte)
}

#[test]
fn a_delayed_answer_waits_its_time_while_an_undelayed_one_goes_first() {
    let s = Server::bundled();
    let delayed = in_background(&s, Some("delay=200"));
    std::thread::sleep(Duration::from_millis(50));
    let (quick, _) = get_users(s.addr, None);
    let quick_done = Instant::now();
    let (delayed_started, delayed_answered, status) = delayed.join().expect("the delayed request");
    assert_eq!((quick, status), (200, 200));
    assert!(
        quick_done < delayed_answered,
        "the undelayed request, sent after the delayed one, was answered first"
    );
    let waited = delayed_answered - delayed_started;
    assert!(waited >= Duration::from_millis(200), "{waited:?}");
}

#[test]
fn a_delay_past_the_bound_or_unreadable_is_ignored_as_other_preferences_are() {
    let s = Server::bundled();
    for prefer in ["delay=60001", "delay=soon", "delay=-1"] {
        let started = Instant::now();
        let r = s.get(USERS).bearer(TOKEN).header("Prefer", prefer).send();
        r.expect(200);
        // Honoured, 60 s would pass the client's 10 s timeout.
        assert!(started.elapsed() < Duration::from_secs(10), "{prefer}");
    }
}

fn delayed_server(delay: &str) -> Server {
    Server::start(
        understudy::document::load::bundled(),
        understudy::EngineConfig {
            check_responses: true,
            delay: Some(understudy::mock::delay::Delay::parse(delay).expect("a delay")),
            ..Default::default()
        },
    )
}

#[test]
fn a_server_delay_holds_back_every_api_answer_but_never_the_control_api() {
    let s = delayed_server("1000");
    let delayed = in_background(&s, None);
    std::thread::sleep(Duration::from_millis(50));
    // The control API and a request asking for no delay are not held back: both are
    // answered while the first request still waits.
    s.get("/__admin/requests").send().expect(200);
    let (opted_out, _) = get_users(s.addr, Some("delay=0"));
    let quick_done = Instant::now();
    let (started, answered, status) = delayed.join().expect("the delayed request");
    assert_eq!((opted_out, status), (200, 200));
    assert!(
        quick_done < answered,
        "the control API and delay=0 went first"
    );
    assert!(answered - started >= Duration::from_millis(1000));
}

#[test]
fn a_server_delay_range_waits_at_least_its_lower_bound() {
    let s = delayed_server("150-250");
    for _ in 0..3 {
        let started = Instant::now();
        s.get(USERS).bearer(TOKEN).send().expect(200);
        assert!(started.elapsed() >= Duration::from_millis(150));
    }
    let started = Instant::now();
    s.get(USERS)
        .bearer(TOKEN)
        .header("Prefer", "delay=400")
        .send()
        .expect(200);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "Prefer overrides the server's range"
    );
}

#[test]
fn the_binary_takes_delay_and_its_log_line_says_how_long_an_answer_was_held() {
    let mut running = Running::start(
        &["serve", "--port", "0", "--delay", "120-180", "--seed", "3"],
        &[],
    );
    let addr: std::net::SocketAddr = running.addr.parse().expect("an address");
    let started = Instant::now();
    let (status, answered) = get_users(addr, None);
    let waited = answered - started;
    let request_line = running.line("the request", |l| {
        l.contains(" request ") && l.contains(USERS)
    });
    drop(running);
    assert_eq!(status, 200);
    assert!(waited >= Duration::from_millis(120), "{waited:?}");
    let ms: u64 = request_line
        .split(" delayed_ms=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no delayed_ms in {request_line}"));
    assert!((120..=180).contains(&ms), "{request_line}");
}

#[test]
fn a_bad_delay_flag_stops_the_binary_with_the_reason() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_understudy"))
        .args(["serve", "--port", "0", "--delay", "500-100"])
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ends before it starts"), "{stderr}");
}
