//! The load-and-fault soak: the real binary (`understudy serve --port 0`) and many clients at
//! once, for a bounded time, on loopback:
//!
//! - **writers** doing valid writes whose effect is modelled: GitBook invites, role changes
//!   and removals of users and teams, Arize adds and removes, Alumio user assignments (from a
//!   bounded pool of emails) and worker allocations. The things written are shared out so that
//!   each (space, member) pair has one writer, which keeps its own model from the answers it
//!   got (an acknowledged write is one whose answer arrived) and checks every answer against
//!   it as it goes (`PATCH` of a pair the model says is absent must be a 404, ...);
//! - **invalid** clients: bad bodies, parameters, tokens, content types, paths, methods,
//!   sizes; every answer must be a 4xx (never a 2xx: none may change the world);
//! - **aborting** clients: half a request then a close, a whole read then a reset (the answer
//!   left unread), a connection opened and dropped; they send only reads and invalid requests,
//!   so an abort never leaves a write the model cannot know about;
//! - **slow** clients: heads dribbled past `--header-timeout` (the connection must be cut),
//!   bodies dribbled past `--body-timeout` (408), heads dribbled within it (answered), and
//!   clients that pipeline lists and read none of the answers (cut at `--write-timeout`).
//!
//! Afterwards: no answer any client got was a 5xx and the server's log shows no 5xx and no
//! panic (its log has a line per request, so requests whose answer was lost to an abort count
//! too); the world read back through the API (GitBook's paged lists, every page) and through
//! `GET /__admin/state` is exactly what the writers' models say, every pair no writer owns
//! as the fixtures have it; the server's RSS, once idle after the soak, is within
//! [`RSS_MARGIN_KIB`] of its RSS after a warm-up; and it stops on SIGTERM with exit code 0.
//!
//! `cargo test` soaks for [`DEFAULT_SECONDS`]; `UNDERSTUDY_SOAK_SECONDS=N` for N seconds.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use understudy::MockRequest;
use understudy::contract::client::Client;

mod rude;
mod writers;

use rude::*;
use writers::*;

/// The soak's length in `cargo test`.
const DEFAULT_SECONDS: u64 = 20;
/// The warm-up before the baseline RSS is taken: the same mix of clients.
const WARM_UP: Duration = Duration::from_secs(4);
/// How long the server is left idle before its RSS is read.
const SETTLE: Duration = Duration::from_secs(2);
/// How far above the warm-up's RSS the RSS after the soak may be: generous, as allocators
/// keep freed memory; a leak per request would pass it within a minute of soaking.
const RSS_MARGIN_KIB: u64 = 20 * 1024;
/// The server's timeouts: short, so slow clients are cut within the soak.
const HEADER_TIMEOUT: Duration = Duration::from_secs(1);
const BODY_TIMEOUT: Duration = Duration::from_secs(1);
const WRITE_TIMEOUT: Duration = Duration::from_secs(1);
/// The server's body limit, so an oversized body is cheap to send.
const MAX_BODY: usize = 64 * 1024;
/// Bounds every wait on the server, so a hang fails the test rather than blocking it.
const PATIENCE: Duration = Duration::from_secs(60);

const GITBOOK_TOKEN: &str = "gb_api_jAnEdOe0aDm1nAcMe0t0kEn";
/// Heidi, admin of Globex: the one who manages (and sees) Globex's space.
const GLOBEX_TOKEN: &str = "gb_api_hE1d1Gl0bEx0aDm1n0t0kEn";

/// The token of an organization admin of `space`'s organization: one who may read and
/// change its permissions whatever the writes before did.
fn gitbook_token(space: &str) -> &'static str {
    if space == "sPaCeGlobex1" {
        GLOBEX_TOKEN
    } else {
        GITBOOK_TOKEN
    }
}
const ARIZE_TOKEN: &str = "arize-key";

fn soak_time() -> Duration {
    let secs = std::env::var("UNDERSTUDY_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SECONDS);
    Duration::from_secs(secs)
}

// --- the server ---------------------------------------------------------------------------

/// `understudy --log-format json serve --port 0` with short timeouts; its log is read to the
/// end by a thread that counts answers by status class. Killed when dropped.
struct Serve {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<Log>>,
    reader: Option<thread::JoinHandle<()>>,
}

/// What the server's log says.
#[derive(Debug, Default)]
struct Log {
    /// Requests by status class (`2xx`, ...), one log line each.
    classes: BTreeMap<String, u64>,
    /// Lines at level ERROR (a panic caught, an answer breaking the spec), the first few.
    errors: Vec<String>,
    error_count: u64,
}

impl Serve {
    fn start() -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_understudy"))
            .args(["--log-format", "json", "serve", "--host", "127.0.0.1"])
            .args(["--port", "0", "--max-body", "64KiB"])
            .args([
                "--header-timeout",
                &HEADER_TIMEOUT.as_secs_f64().to_string(),
            ])
            .args(["--body-timeout", &BODY_TIMEOUT.as_secs_f64().to_string()])
            .args(["--write-timeout", &WRITE_TIMEOUT.as_secs_f64().to_string()])
            .args(["--idle-timeout", "30", "--check-responses"])
            .env("UNDERSTUDY_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().expect("its stderr");
        let log = Arc::new(Mutex::new(Log::default()));
        let (tx, rx) = mpsc::channel();
        let counts = log.clone();
        let reader = thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(port) = line
                    .split("listening on http://127.0.0.1:")
                    .nth(1)
                    .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect())
                {
                    let _ = tx.send(port);
                }
                let entry: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
                let mut log = counts.lock().expect("the log counts");
                if entry["message"] == "request" {
                    let status = entry["status"].as_u64().unwrap_or(0);
                    *log.classes
                        .entry(format!("{}xx", status / 100))
                        .or_default() += 1;
                }
                if entry["level"] == "ERROR" || line.contains("panicked") {
                    log.error_count += 1;
                    if log.errors.len() < 5 {
                        log.errors.push(line);
                    }
                }
            }
        });
        let port: String = rx
            .recv_timeout(PATIENCE)
            .expect("the server logs its address");
        let addr = format!("127.0.0.1:{port}").parse().expect("an address");
        Serve {
            child,
            addr,
            log,
            reader: Some(reader),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's resident memory in KiB (`VmRSS` of /proc/PID/status).
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server's /proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("a VmRSS line")
    }

    /// SIGTERM, the exit code, and the whole log counted.
    fn stop(mut self) -> (Option<i32>, Log) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + PATIENCE;
        let code = loop {
            if let Some(exit) = self.child.try_wait().expect("the child's status") {
                break exit.code();
            }
            assert!(Instant::now() < deadline, "the server did not stop");
            thread::sleep(Duration::from_millis(20));
        };
        if let Some(reader) = self.reader.take() {
            reader.join().expect("the log reader");
        }
        let log = std::mem::take(&mut *self.log.lock().expect("the log counts"));
        (code, log)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// --- what the clients saw -----------------------------------------------------------------

/// Counts of one kind of client, merged at the end of each phase.
#[derive(Debug, Default, Clone)]
struct Tally {
    /// Answers by status class; `cut` for connections closed without an answer, as expected.
    classes: BTreeMap<String, u64>,
    /// Connections that failed where an answer was due.
    transport_errors: u64,
    /// Answers that were not what they should have been: the first few, and how many.
    wrong: Vec<String>,
    wrong_count: u64,
}

impl Tally {
    fn answer(&mut self, status: u16) {
        *self
            .classes
            .entry(format!("{}xx", status / 100))
            .or_default() += 1;
    }

    fn count(&mut self, what: &str) {
        *self.classes.entry(what.to_owned()).or_default() += 1;
    }

    fn wrong(&mut self, what: String) {
        self.wrong_count += 1;
        if self.wrong.len() < 10 {
            self.wrong.push(what);
        }
    }

    fn merge(&mut self, other: &Tally) {
        for (k, v) in &other.classes {
            *self.classes.entry(k.clone()).or_default() += v;
        }
        self.transport_errors += other.transport_errors;
        self.wrong_count += other.wrong_count;
        for w in &other.wrong {
            if self.wrong.len() < 10 {
                self.wrong.push(w.clone());
            }
        }
    }

    fn total(&self) -> u64 {
        self.classes.values().sum()
    }
}

/// A small deterministic generator (xorshift64*), one per client, seeded from the run's seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn request(method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> MockRequest {
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (path.to_owned(), None),
    };
    let mut headers = http::HeaderMap::new();
    if let Some(token) = token {
        let value = format!("Bearer {token}");
        headers.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_str(&value).expect("a header value"),
        );
    }
    let body = match body {
        Some(b) => {
            headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            bytes::Bytes::from(b.to_string())
        }
        None => bytes::Bytes::new(),
    };
    MockRequest {
        method: method.parse().expect("a method"),
        path,
        query,
        headers,
        body,
    }
}

/// Sends `req`; the answer, or `None` (counted as a transport error) when none came.
fn send(client: &mut Client, req: &MockRequest, tally: &mut Tally) -> Option<(u16, Value)> {
    match client.send(req) {
        Ok(resp) => {
            tally.answer(resp.status);
            let body = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
            Some((resp.status, body))
        }
        Err(e) => {
            tally.transport_errors += 1;
            tally.wrong(format!("{} {}: no answer: {e}", req.method, req.path));
            None
        }
    }
}

fn client(serve_url: &str) -> Client {
    Client::new(serve_url, PATIENCE).expect("a client")
}

/// Arize's ids end in `=`, which a path segment carries percent-encoded.
fn segment(id: &str) -> String {
    id.replace('=', "%3D")
}

// --- the soak -----------------------------------------------------------------------------

/// The writers, whose models carry over from the warm-up to the soak.
struct Writers {
    gitbook: Vec<GitbookWriter>,
    arize: Vec<ArizeWriter>,
    alumio: AlumioWriter,
}

/// Counts per kind of client.
type Tallies = BTreeMap<&'static str, Tally>;

/// Runs every kind of client at once for `length`; the counts per kind.
fn phase(serve: &Serve, writers: &mut Writers, length: Duration, seed: u64) -> Tallies {
    let until = Instant::now() + length;
    let url = serve.url();
    let addr = serve.addr;
    let invalid = invalid_requests();
    let tallies: Mutex<Tallies> = Mutex::new(BTreeMap::new());
    let report = |kind: &'static str, tally: Tally| {
        tallies
            .lock()
            .expect("the tallies")
            .entry(kind)
            .or_default()
            .merge(&tally);
    };
    thread::scope(|s| {
        let mut n = 0u64;
        let mut rng = || {
            n += 1;
            Rng::new(seed ^ n)
        };
        for writer in &mut writers.gitbook {
            let (url, mut rng, report) = (&url, rng(), &report);
            s.spawn(move || {
                let (mut client, mut tally) = (client(url), Tally::default());
                while Instant::now() < until {
                    writer.step(&mut client, &mut rng, &mut tally);
                }
                report("writer", tally);
            });
        }
        for writer in &mut writers.arize {
            let (url, mut rng, report) = (&url, rng(), &report);
            s.spawn(move || {
                let (mut client, mut tally) = (client(url), Tally::default());
                while Instant::now() < until {
                    writer.step(&mut client, &mut rng, &mut tally);
                }
                report("writer", tally);
            });
        }
        {
            let (url, mut rng, report, writer) = (&url, rng(), &report, &mut writers.alumio);
            s.spawn(move || {
                let (mut client, mut tally) = (client(url), Tally::default());
                while Instant::now() < until {
                    writer.step(&mut client, &mut rng, &mut tally);
                }
                report("writer", tally);
            });
        }
        for _ in 0..2 {
            let (url, mut rng, report, invalid) = (&url, rng(), &report, &invalid);
            s.spawn(move || {
                let (mut client, mut tally) = (client(url), Tally::default());
                while Instant::now() < until {
                    invalid_step(&mut client, invalid, &mut rng, &mut tally);
                }
                report("invalid", tally);
            });
        }
        {
            let (url, mut rng, report) = (&url, rng(), &report);
            s.spawn(move || {
                let (mut client, mut tally) = (client(url), Tally::default());
                while Instant::now() < until {
                    read_step(&mut client, &mut rng, &mut tally);
                }
                report("reader", tally);
            });
        }
        for _ in 0..2 {
            let (mut rng, report) = (rng(), &report);
            s.spawn(move || {
                let mut tally = Tally::default();
                while Instant::now() < until {
                    abort_step(addr, &mut rng, &mut tally);
                    // Aborts are cheap: unpaced, they would crowd the other clients out.
                    thread::sleep(Duration::from_millis(5));
                }
                report("aborting", tally);
            });
        }
        for _ in 0..3 {
            let (mut rng, report) = (rng(), &report);
            s.spawn(move || {
                let mut tally = Tally::default();
                while Instant::now() < until {
                    slow_step(addr, &mut rng, &mut tally);
                }
                report("slow", tally);
            });
        }
    });
    tallies.into_inner().expect("the tallies")
}

#[test]
fn a_crowd_of_good_and_bad_clients_leaves_the_modelled_world_no_5xx_and_memory_back() {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    let length = soak_time();
    eprintln!("soak: seed {seed}, {length:?} after a warm-up of {WARM_UP:?}");
    let serve = Serve::start();
    let mut writers = Writers {
        gitbook: (0..3).map(|i| GitbookWriter::new(i, 3)).collect(),
        arize: vec![ArizeWriter::new(FRAUD), ArizeWriter::new(SEARCH)],
        alumio: AlumioWriter::new(),
    };
    let started_rss = serve.rss_kib();
    let mut tallies = phase(&serve, &mut writers, WARM_UP, seed);
    thread::sleep(SETTLE);
    let baseline = serve.rss_kib();

    let started = Instant::now();
    let sampler_stop = std::sync::atomic::AtomicBool::new(false);
    let (soak, peak) = thread::scope(|s| {
        let peak = s.spawn(|| {
            let mut peak = 0;
            while !sampler_stop.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(serve.rss_kib());
                thread::sleep(Duration::from_millis(250));
            }
            peak
        });
        let soak = phase(&serve, &mut writers, length, seed.rotate_left(17));
        sampler_stop.store(true, std::sync::atomic::Ordering::Relaxed);
        (soak, peak.join().expect("the RSS sampler"))
    });
    let soaked = started.elapsed();
    thread::sleep(SETTLE);
    let after = serve.rss_kib();
    for (kind, tally) in &soak {
        tallies.entry(kind).or_default().merge(tally);
    }

    let total: u64 = tallies.values().map(Tally::total).sum();
    eprintln!(
        "soak: {total} client outcomes in {:.1}s (and the warm-up); RSS KiB at start \
         {started_rss}, after the warm-up {baseline}, peak {peak}, after the soak {after}",
        soaked.as_secs_f64()
    );
    for (kind, tally) in &tallies {
        eprintln!(
            "soak: {kind}: {:?}, transport errors {}, wrong {}",
            tally.classes, tally.transport_errors, tally.wrong_count
        );
        for wrong in &tally.wrong {
            eprintln!("soak: {kind}: wrong: {wrong}");
        }
    }

    // Every kind of client did its thing, and every answer was as it should be.
    for kind in ["writer", "invalid", "reader", "aborting", "slow"] {
        let tally = tallies.get(kind).cloned().unwrap_or_default();
        assert!(tally.total() >= 10, "{kind} clients barely ran: {tally:?}");
        assert_eq!(tally.wrong_count, 0, "{kind}: {:#?}", tally.wrong);
        assert_eq!(tally.transport_errors, 0, "{kind}: {:#?}", tally.wrong);
        assert!(!tally.classes.contains_key("5xx"), "{kind}: {tally:?}");
    }
    let slow = &tallies["slow"].classes;
    assert!(slow.contains_key("cut (slow head)"), "{slow:?}");
    assert!(slow.contains_key("4xx"), "no 408 seen: {slow:?}");
    assert!(slow.contains_key("cut (reads nothing)"), "{slow:?}");

    // The world is what the acknowledged writes say.
    check_world(&serve, &writers);

    // Memory is back near where the warm-up left it.
    assert!(
        after <= baseline + RSS_MARGIN_KIB,
        "RSS after the soak {after} KiB, after the warm-up {baseline} KiB"
    );

    // The log: a line per request, aborted ones included; no 5xx, no panic, no answer that
    // broke the spec (`--check-responses` logs those as errors).
    let (code, log) = serve.stop();
    eprintln!(
        "soak: the server's log: {:?}, errors {}",
        log.classes, log.error_count
    );
    assert_eq!(code, Some(0), "the server's exit code after SIGTERM");
    assert!(!log.classes.contains_key("5xx"), "{log:?}");
    assert_eq!(log.error_count, 0, "{:#?}", log.errors);
    // Every answer a client got went through the server's one path that logs it.
    let answered: u64 = tallies
        .values()
        .flat_map(|t| &t.classes)
        .filter(|(class, _)| class.ends_with("xx"))
        .map(|(_, n)| n)
        .sum();
    assert!(
        log.classes.values().sum::<u64>() >= answered,
        "{answered} answers, {log:?}"
    );
}

/// The world read back through the API and `/__admin/state` against the writers' models.
fn check_world(serve: &Serve, writers: &Writers) {
    let mut c = client(&serve.url());
    let mut tally = Tally::default();
    let (status, state) = send(
        &mut c,
        &request("GET", "/__admin/state", None, None),
        &mut tally,
    )
    .expect("the state");
    assert_eq!(status, 200);
    let apis = &state["apis"];

    // GitBook: every pair a writer knows, as it knows it; every other as the fixtures have it.
    for kind in [Kind::User, Kind::Team] {
        let mut expected = gitbook_fixture(kind);
        let mut unknown = Vec::new();
        for w in &writers.gitbook {
            for pair in w.pairs.iter().filter(|p| p.0 == kind) {
                let key = (pair.1.clone(), pair.2.clone());
                match w.known.get(pair) {
                    Some(Some(role)) => {
                        expected.insert(key, role.clone());
                    }
                    Some(None) => {
                        expected.remove(&key);
                    }
                    None => unknown.push(key),
                }
            }
        }
        let mut listed = BTreeMap::new();
        let mut in_state = BTreeMap::new();
        for space in GITBOOK_SPACES {
            let items = read_pages(&mut c, space, kind.segment(), 3, &mut tally)
                .unwrap_or_else(|e| panic!("{e}"));
            let member = match kind {
                Kind::User => "user",
                Kind::Team => "team",
            };
            for item in items {
                let id = item[member]["id"].as_str().expect("an id").to_owned();
                let role = item["permission"].as_str().expect("a role").to_owned();
                let earlier = listed.insert((space.to_owned(), id.clone()), role);
                assert!(earlier.is_none(), "{space}: {id} listed twice");
            }
            let spaces = apis["gitbook"]["spaces"].as_array().expect("spaces");
            let saved = spaces
                .iter()
                .find(|s| s["id"] == space)
                .expect("the space in the state");
            for entry in saved[kind.segment()].as_array().expect("members") {
                let id = entry[member].as_str().expect("an id").to_owned();
                let role = entry["role"].as_str().expect("a role").to_owned();
                in_state.insert((space.to_owned(), id), role);
            }
        }
        for key in &unknown {
            listed.remove(key);
            in_state.remove(key);
            expected.remove(key);
        }
        assert_eq!(listed, expected, "GitBook {kind:?} lists against the model");
        assert_eq!(
            in_state, expected,
            "GitBook {kind:?} state against the model"
        );
    }

    // Arize: the writers' pairs as modelled, the rest as the fixtures have them.
    let mut expected = arize_fixture();
    for w in &writers.arize {
        for (user, role) in &w.known {
            let key = (w.space.to_owned(), user.clone());
            match role {
                Some(role) => expected.insert(key, role.clone()),
                None => expected.remove(&key),
            };
        }
    }
    let mut found = BTreeMap::new();
    for space in apis["arize"]["spaces"].as_array().expect("arize spaces") {
        for m in space["memberships"].as_array().expect("memberships") {
            let role = m["role"]["name"]
                .as_str()
                .filter(|_| m["role"]["type"] == "predefined")
                .or(m["role"]["id"].as_str())
                .expect("a role")
                .to_owned();
            let key = (
                space["id"].as_str().expect("an id").to_owned(),
                m["user_id"].as_str().expect("a user").to_owned(),
            );
            found.insert(key, role);
        }
    }
    for w in &writers.arize {
        for user in ARIZE_USERS.iter().map(|(u, _)| u.to_string()) {
            if !w.known.contains_key(&user) {
                let key = (w.space.to_owned(), user);
                found.remove(&key);
                expected.remove(&key);
            }
        }
    }
    assert_eq!(found, expected, "Arize memberships against the model");

    // Alumio: the fixtures' users untouched, the pool's as modelled, the workers too.
    let fixtures = alumio_fixture_users();
    let alumio = &writers.alumio;
    for space in apis["alumio"]["spaces"].as_array().expect("alumio spaces") {
        let id = space["identifier"].as_str().expect("an identifier");
        let users = space["users"].as_array().expect("users");
        let mut others: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for u in users {
            let email = u["email"].as_str().expect("an email");
            if !email.starts_with("soak-") {
                let roles = u["roles"].as_array().expect("roles");
                let roles = roles.iter().filter_map(|r| r.as_str().map(str::to_owned));
                others.insert(email.to_owned(), roles.collect());
            }
        }
        assert_eq!(Some(&others), fixtures.get(id), "Alumio {id}: other users");
        if !alumio.unknown_spaces.iter().any(|s| s == id) {
            assert_eq!(
                Some(&pool_users(&space["users"])),
                alumio.users.get(id),
                "Alumio {id}: the pool's users against the model"
            );
        }
        if let Some(workers) = &alumio.workers {
            assert_eq!(
                space["workers"].as_u64(),
                workers.get(id).copied(),
                "Alumio {id}: workers against the model"
            );
        }
    }
    assert_eq!(tally.wrong_count, 0, "{:#?}", tally.wrong);
}
