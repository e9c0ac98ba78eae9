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
//!   bodies dribbled past `--body-timeout` (408), and heads dribbled within it (answered).
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
use understudy::client::Client;

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
/// The server's body limit, so an oversized body is cheap to send.
const MAX_BODY: usize = 64 * 1024;
/// Bounds every wait on the server, so a hang fails the test rather than blocking it.
const PATIENCE: Duration = Duration::from_secs(60);

const GITBOOK_TOKEN: &str = "gb_api_jAnEdOe0aDm1nAcMe0t0kEn";
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

// --- GitBook ------------------------------------------------------------------------------

const GITBOOK_SPACES: [&str; 4] = [
    "sPaCe4Docs01",
    "sPaCeApiRef02",
    "sPaCeNotes03",
    "sPaCeGlobex1",
];
/// Every user but Jane, whose token the clients use.
const GITBOOK_USERS: [&str; 8] = [
    "Qm9iU21pdGg",
    "Q2Fyb2xMZWU",
    "RGF2ZU5ndXllbg",
    "RXZlTWFydGlu",
    "RnJhbmtPa2Fmb3I",
    "SXZhbk9ybG92",
    "R3JhY2VIb3BwZXI",
    "SGVpZGlLYXJsc3Nvbg",
];
const GITBOOK_ROLES: [&str; 6] = ["admin", "create", "edit", "review", "comment", "read"];
/// Teams and the spaces of their organization.
const GITBOOK_TEAMS: [(&str, &[&str]); 4] = [
    (
        "tEaMdOcS01",
        &["sPaCe4Docs01", "sPaCeApiRef02", "sPaCeNotes03"],
    ),
    (
        "tEaMeNg02",
        &["sPaCe4Docs01", "sPaCeApiRef02", "sPaCeNotes03"],
    ),
    (
        "tEaMsUpPort3",
        &["sPaCe4Docs01", "sPaCeApiRef02", "sPaCeNotes03"],
    ),
    ("tEaMgLoBeX4", &["sPaCeGlobex1"]),
];

/// Members (user or team) with a role in a space, as the fixtures have them.
fn gitbook_fixture(kind: Kind) -> BTreeMap<(String, String), String> {
    let entries: &[(&str, &str, &str)] = match kind {
        Kind::User => &[
            ("sPaCe4Docs01", "u1x2Y3z4", "admin"),
            ("sPaCe4Docs01", "Qm9iU21pdGg", "edit"),
            ("sPaCe4Docs01", "Q2Fyb2xMZWU", "read"),
            ("sPaCeApiRef02", "Qm9iU21pdGg", "admin"),
            ("sPaCeGlobex1", "SGVpZGlLYXJsc3Nvbg", "admin"),
        ],
        Kind::Team => &[
            ("sPaCe4Docs01", "tEaMdOcS01", "review"),
            ("sPaCeApiRef02", "tEaMeNg02", "edit"),
            ("sPaCeGlobex1", "tEaMgLoBeX4", "comment"),
        ],
    };
    entries
        .iter()
        .map(|(s, m, r)| ((s.to_string(), m.to_string()), r.to_string()))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    User,
    Team,
}

impl Kind {
    fn segment(self) -> &'static str {
        match self {
            Kind::User => "users",
            Kind::Team => "teams",
        }
    }
}

/// One GitBook writer: the (space, member) pairs it owns, and what it knows of them.
/// `None` in `known` is "no role"; a pair missing from `known` is unknown (its write got no
/// answer) until an invite sets it again.
struct GitbookWriter {
    pairs: Vec<(Kind, String, String)>,
    known: BTreeMap<(Kind, String, String), Option<String>>,
}

impl GitbookWriter {
    /// Writer `i` of `n`: every n-th pair of users and teams.
    fn new(i: usize, n: usize) -> GitbookWriter {
        let mut all = Vec::new();
        for space in GITBOOK_SPACES {
            for user in GITBOOK_USERS {
                all.push((Kind::User, space.to_owned(), user.to_owned()));
            }
        }
        for (team, spaces) in GITBOOK_TEAMS {
            for space in spaces {
                all.push((Kind::Team, space.to_string(), team.to_owned()));
            }
        }
        let pairs: Vec<_> = all.into_iter().skip(i).step_by(n).collect();
        let known = pairs
            .iter()
            .map(|p| {
                let fixture = gitbook_fixture(p.0);
                (p.clone(), fixture.get(&(p.1.clone(), p.2.clone())).cloned())
            })
            .collect();
        GitbookWriter { pairs, known }
    }

    fn step(&mut self, client: &mut Client, rng: &mut Rng, tally: &mut Tally) {
        let pair = rng.pick(&self.pairs).clone();
        let (kind, space, member) = &pair;
        let known = self.known.get(&pair).cloned();
        let role = rng.pick(&GITBOOK_ROLES).to_string();
        let base = format!("/v1/spaces/{space}/permissions");
        let item = format!("{base}/{}/{member}", kind.segment());
        let op = if known.is_none() { 0 } else { rng.below(4) };
        let (req, expected, after) = match op {
            // Invite (an upsert); now and then with `role: null`, which removes.
            0 | 1 => {
                let role = (rng.below(6) > 0).then_some(role);
                let list = match kind {
                    Kind::User => "users",
                    Kind::Team => "teams",
                };
                let body = json!({"role": role, list: [member]});
                (
                    request("POST", &base, Some(GITBOOK_TOKEN), Some(body)),
                    204,
                    role,
                )
            }
            2 => {
                let present = known.clone().flatten().is_some();
                let body = json!({"role": role});
                let req = request("PATCH", &item, Some(GITBOOK_TOKEN), Some(body));
                let after = if present { Some(role) } else { None };
                (req, if present { 204 } else { 404 }, after)
            }
            _ => {
                let present = known.clone().flatten().is_some();
                let req = request("DELETE", &item, Some(GITBOOK_TOKEN), None);
                (req, if present { 205 } else { 204 }, None)
            }
        };
        self.known.remove(&pair);
        let Some((status, body)) = send(client, &req, tally) else {
            return; // unknown until the next invite
        };
        if status != expected {
            tally.wrong(format!(
                "{} {}{}: {status}, the model says {expected} ({known:?}); {body}",
                req.method,
                req.path,
                req.query.map(|q| format!("?{q}")).unwrap_or_default()
            ));
            return; // unknown
        }
        self.known.insert(pair, after);
    }
}

// --- Arize --------------------------------------------------------------------------------

const FRAUD: &str = "U3BhY2U6MTIzNDU=";
const SEARCH: &str = "U3BhY2U6MTIzNDY=";
/// The users the writers add and remove, with the roles they give them: never a role that
/// lets its holder add or remove users, as Manny's token sends invalid requests, which must
/// stay invalid (a 403 or, once he is removed, a 404).
const ARIZE_USERS: [(&str, &[&str]); 3] = [
    ("VXNlcjoxMjM0NQ==", &["member", "read-only"]), // Grace
    ("VXNlcjoxMDAwNA==", &["member", "read-only"]), // Manny
    ("VXNlcjoxMDAwNg==", &["annotator"]),           // Theo
];

/// The memberships of the fixtures: (space, user) to the predefined role or custom role id.
fn arize_fixture() -> BTreeMap<(String, String), String> {
    [
        (FRAUD, "VXNlcjoxMDAwMQ==", "admin"),
        (FRAUD, "VXNlcjoxMDAwMg==", "Um9sZTo3"),
        (FRAUD, "VXNlcjoxMDAwMw==", "Um9sZTo4"),
        (FRAUD, "VXNlcjoxMDAwNA==", "member"),
        (FRAUD, "VXNlcjoxMDAwNQ==", "annotator"),
        (SEARCH, "VXNlcjoxMDAwMQ==", "admin"),
        (SEARCH, "VXNlcjoxMDAwMg==", "read-only"),
        (SEARCH, "VXNlcjoxMDAwMw==", "read-only"),
        ("U3BhY2U6MjAwMDE=", "VXNlcjoyMDAwMQ==", "admin"),
    ]
    .iter()
    .map(|(s, u, r)| ((s.to_string(), u.to_string()), r.to_string()))
    .collect()
}

/// One Arize writer, owning the [`ARIZE_USERS`] of one space.
struct ArizeWriter {
    space: &'static str,
    known: BTreeMap<String, Option<String>>,
}

impl ArizeWriter {
    fn new(space: &'static str) -> ArizeWriter {
        let fixture = arize_fixture();
        let known = ARIZE_USERS
            .iter()
            .map(|(u, _)| {
                let role = fixture.get(&(space.to_owned(), u.to_string())).cloned();
                (u.to_string(), role)
            })
            .collect();
        ArizeWriter { space, known }
    }

    fn step(&mut self, client: &mut Client, rng: &mut Rng, tally: &mut Tally) {
        let (user, roles) = *rng.pick(&ARIZE_USERS);
        let known = self.known.get(user).cloned();
        let users = format!("/v2/spaces/{}/users", segment(self.space));
        let (req, expected, after) = if known.is_none() || rng.below(2) == 0 {
            let role = rng.pick(roles).to_string();
            let body = json!({"user_id": user, "role": {"type": "predefined", "name": role}});
            (
                request("POST", &users, Some(ARIZE_TOKEN), Some(body)),
                200,
                Some(role),
            )
        } else {
            let present = known.clone().flatten().is_some();
            let path = format!("{users}/{}", segment(user));
            let req = request("DELETE", &path, Some(ARIZE_TOKEN), None);
            (req, if present { 204 } else { 404 }, None)
        };
        self.known.remove(user);
        let Some((status, body)) = send(client, &req, tally) else {
            return;
        };
        if status != expected {
            tally.wrong(format!(
                "{} {}: {status}, the model says {expected} ({known:?}); {body}",
                req.method, req.path
            ));
            return;
        }
        self.known.insert(user.to_owned(), after);
    }
}

// --- Alumio -------------------------------------------------------------------------------

const ALUMIO_SPACES: [&str; 3] = ["default", "webshop-sync", "erp-import"];
const ALUMIO_ROLES: [&str; 3] = ["ROLE_USER", "ROLE_EDITOR", "ROLE_ADMINISTRATOR"];
/// The emails the writer assigns: a bounded pool, so the world (and memory) stays bounded.
const ALUMIO_POOL: usize = 12;
const LICENCE_WORKERS: u64 = 10;
const WORKERS_PER_SPACE: u64 = 5;

fn pool_email(n: usize) -> String {
    format!("soak-{n}@example.com")
}

/// The users of the fixtures, by space.
fn alumio_fixture_users() -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (space, email, roles) in [
        ("default", "admin@example.com", &["ROLE_ADMINISTRATOR"][..]),
        ("default", "jane.doe@example.com", &["ROLE_USER"]),
        ("webshop-sync", "admin@example.com", &["ROLE_ADMINISTRATOR"]),
        (
            "webshop-sync",
            "dev@example.com",
            &["ROLE_EDITOR", "ROLE_USER"],
        ),
    ] {
        out.entry(space.into())
            .or_default()
            .insert(email.into(), roles.iter().map(|r| r.to_string()).collect());
    }
    out.entry("erp-import".into()).or_default();
    out
}

/// The Alumio writer: assignments of the pool's emails, and the worker allocation.
struct AlumioWriter {
    /// Roles (sorted) by space and email; a write without an answer makes the whole space
    /// unknown (an assignment may list several emails), until the end.
    users: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    workers: Option<BTreeMap<String, u64>>,
    unknown_spaces: Vec<String>,
}

impl AlumioWriter {
    fn new() -> AlumioWriter {
        let mut users = BTreeMap::new();
        for space in ALUMIO_SPACES {
            users.insert(space.to_owned(), BTreeMap::new());
        }
        let workers = [("default", 2), ("webshop-sync", 3), ("erp-import", 0)]
            .iter()
            .map(|(s, w)| (s.to_string(), *w))
            .collect();
        AlumioWriter {
            users,
            workers: Some(workers),
            unknown_spaces: Vec::new(),
        }
    }

    fn step(&mut self, client: &mut Client, rng: &mut Rng, tally: &mut Tally) {
        if rng.below(3) == 0 && self.workers.is_some() {
            self.allocate(client, rng, tally);
        } else {
            self.assign(client, rng, tally);
        }
    }

    fn assign(&mut self, client: &mut Client, rng: &mut Rng, tally: &mut Tally) {
        let space = rng.pick(&ALUMIO_SPACES).to_string();
        let mut entries: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for _ in 0..1 + rng.below(3) {
            let mut roles: Vec<String> = ALUMIO_ROLES
                .iter()
                .filter(|_| rng.below(2) == 0)
                .map(|r| r.to_string())
                .collect();
            if roles.is_empty() {
                roles.push(rng.pick(&ALUMIO_ROLES).to_string());
            }
            entries.insert(pool_email(rng.below(ALUMIO_POOL)), roles);
        }
        let body = json!({"users": entries
            .iter()
            .map(|(email, roles)| json!({"email": email, "roles": roles}))
            .collect::<Vec<_>>()});
        let path = format!("/api/v1/spaces/{space}/assign_users");
        let req = request("POST", &path, None, Some(body));
        let Some((status, body)) = send(client, &req, tally) else {
            self.unknown_spaces.push(space);
            return;
        };
        if status != 200 {
            tally.wrong(format!("POST {path}: {status}, the model says 200; {body}"));
            self.unknown_spaces.push(space);
            return;
        }
        let model = self.users.entry(space.clone()).or_default();
        for (email, roles) in entries {
            let mut roles = roles;
            roles.sort();
            model.insert(email, roles);
        }
        // The answer lists every user of the space: the pool's must be as modelled.
        if !self.unknown_spaces.contains(&space) {
            let answered = pool_users(&body["users"]);
            if &answered != model {
                tally.wrong(format!(
                    "POST {path}: the space's users are {answered:?}, the model says {model:?}"
                ));
                self.unknown_spaces.push(space);
            }
        }
    }

    fn allocate(&mut self, client: &mut Client, rng: &mut Rng, tally: &mut Tally) {
        let Some(current) = self.workers.clone() else {
            return;
        };
        let mut asked: BTreeMap<String, u64> = BTreeMap::new();
        for _ in 0..1 + rng.below(2) {
            asked.insert(rng.pick(&ALUMIO_SPACES).to_string(), rng.below(7) as u64);
        }
        let mut after = current.clone();
        after.extend(asked.clone());
        let fits = asked.values().all(|w| *w <= WORKERS_PER_SPACE)
            && after.values().sum::<u64>() <= LICENCE_WORKERS;
        let body = json!({"spaceWorkers": asked
            .iter()
            .map(|(s, w)| json!({"spaceIdentifier": s, "workers": w}))
            .collect::<Vec<_>>()});
        let path = "/api/v1/space_workers/allocation";
        let req = request("POST", path, None, Some(body.clone()));
        let expected = if fits { 201 } else { 422 };
        let Some((status, answer)) = send(client, &req, tally) else {
            self.workers = None;
            return;
        };
        if status != expected {
            tally.wrong(format!(
                "POST {path} {body}: {status}, the model ({current:?}) says {expected}; {answer}"
            ));
            self.workers = None;
            return;
        }
        if fits {
            self.workers = Some(after);
        }
    }
}

/// The pool's users in a list of `{email, roles}`, roles sorted.
fn pool_users(list: &Value) -> BTreeMap<String, Vec<String>> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| {
            let email = u["email"].as_str()?;
            email.starts_with("soak-").then(|| {
                let mut roles: Vec<String> = u["roles"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r.as_str().map(str::to_owned))
                    .collect();
                roles.sort();
                (email.to_owned(), roles)
            })
        })
        .collect()
}

// --- invalid requests ---------------------------------------------------------------------

/// Requests every one of which must get a 4xx, whatever the world: none may change it.
fn invalid_requests() -> Vec<MockRequest> {
    let g = Some(GITBOOK_TOKEN);
    let a = Some(ARIZE_TOKEN);
    let docs = "/v1/spaces/sPaCe4Docs01/permissions";
    let fraud = format!("/v2/spaces/{}/users", segment(FRAUD));
    let assign = "/api/v1/spaces/default/assign_users";
    let mut out = vec![
        request("GET", &format!("{docs}/users"), None, None),
        request(
            "GET",
            &format!("{docs}/users"),
            Some("gb_not_a_token"),
            None,
        ),
        request("GET", "/v1/spaces/nOsUcHsPaCe/permissions/users", g, None),
        request("GET", &format!("{docs}/users?limit=abc"), g, None),
        request("GET", &format!("{docs}/users?limit=1&limit=2"), g, None),
        request("GET", &format!("{docs}/users?page=bm9wZQ"), g, None),
        request("GET", &format!("{docs}/aggregate?role=boss"), g, None),
        request("GET", &format!("{docs}/users/%FF"), g, None),
        request(
            "POST",
            "/v1/spaces/sPaCeNotes03/permissions",
            g,
            Some(json!({"role": "boss", "users": []})),
        ),
        // One unknown user: nobody is invited, Bob included.
        request(
            "POST",
            "/v1/spaces/sPaCeNotes03/permissions",
            g,
            Some(json!({"role": "edit", "users": ["Qm9iU21pdGg", "nOsUcHuSeR"]})),
        ),
        // A team of another organization: nothing changes.
        request(
            "POST",
            "/v1/spaces/sPaCeNotes03/permissions",
            g,
            Some(json!({"role": "edit", "teams": ["tEaMdOcS01", "tEaMgLoBeX4"]})),
        ),
        request(
            "PATCH",
            &format!("{docs}/users/Qm9iU21pdGg"),
            g,
            Some(json!({"role": 5})),
        ),
        request(
            "PATCH",
            &format!("{docs}/users/nOsUcHuSeR"),
            g,
            Some(json!({"role": "edit"})),
        ),
        request(
            "POST",
            &fraud,
            Some("arize-member-key"),
            Some(
                json!({"user_id": "VXNlcjoxMjM0NQ==", "role": {"type": "predefined", "name": "admin"}}),
            ),
        ),
        request(
            "POST",
            &fraud,
            Some("arize-outsider-key"),
            Some(
                json!({"user_id": "VXNlcjoxMjM0NQ==", "role": {"type": "predefined", "name": "member"}}),
            ),
        ),
        request(
            "POST",
            &fraud,
            a,
            Some(json!({"user_id": "VXNlcjoxMjM0NQ==", "role": {"type": "wizard"}})),
        ),
        request(
            "POST",
            &fraud,
            a,
            Some(
                json!({"user_id": "VXNlcjoyMDAwMQ==", "role": {"type": "predefined", "name": "member"}}),
            ),
        ),
        request(
            "POST",
            &fraud,
            Some("arize-annotator-key"),
            Some(
                json!({"user_id": "VXNlcjoxMjM0NQ==", "role": {"type": "custom", "id": "Um9sZTo3"}}),
            ),
        ),
        request(
            "DELETE",
            &format!("{fraud}/{}", segment("VXNlcjoxMDAwNA==")),
            Some("arize-member-key"),
            None,
        ),
        request("DELETE", &format!("{fraud}/bm9wZQ"), Some("nope"), None),
        request(
            "POST",
            assign,
            None,
            Some(json!({"users": [{"email": "nope", "roles": ["ROLE_X"]}]})),
        ),
        request(
            "POST",
            assign,
            None,
            Some(json!({"users": [
                {"email": "soak-0@example.com", "roles": ["ROLE_USER"]},
                {"email": "SOAK-0@example.com", "roles": ["ROLE_EDITOR"]}
            ]})),
        ),
        request(
            "POST",
            "/api/v1/spaces/no-such-space/assign_users",
            None,
            Some(json!({"users": []})),
        ),
        request(
            "POST",
            "/api/v1/space_workers/allocation",
            None,
            Some(json!({"spaceWorkers": [{"spaceIdentifier": "default", "workers": 9}]})),
        ),
        request(
            "POST",
            "/api/v1/space_workers/allocation",
            None,
            Some(json!({"spaceWorkers": [{"spaceIdentifier": "nope", "workers": 1}]})),
        ),
        request("GET", "/nothing/here", None, None),
        request("PUT", &format!("{docs}/users"), g, None),
        request("GET", "/__admin/nothing", None, None),
    ];
    // A body that is not JSON, one of the wrong type, one over the size limit.
    let mut bad = request("POST", assign, None, None);
    bad.headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    bad.body = bytes::Bytes::from_static(b"{\"users\": [");
    out.push(bad.clone());
    let mut text = bad.clone();
    text.headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain"),
    );
    text.body = bytes::Bytes::from_static(b"users");
    out.push(text);
    let mut big = bad.clone();
    big.body = bytes::Bytes::from(vec![b' '; MAX_BODY + 1]);
    out.push(big);
    // A target over the limit (8 KiB), an unacceptable `Accept`, a bad session name.
    out.push(request(
        "GET",
        &format!("{docs}/users?x={}", "a".repeat(9000)),
        g,
        None,
    ));
    let mut xml = request("GET", &format!("{docs}/users"), g, None);
    xml.headers.insert(
        http::header::ACCEPT,
        http::HeaderValue::from_static("application/xml"),
    );
    out.push(xml);
    let mut session = request("GET", &format!("{docs}/users"), g, None);
    session.headers.insert(
        "x-understudy-session",
        http::HeaderValue::from_str(&"s".repeat(200)).expect("a header value"),
    );
    out.push(session);
    out
}

fn invalid_step(client: &mut Client, requests: &[MockRequest], rng: &mut Rng, tally: &mut Tally) {
    let req = rng.pick(requests);
    if let Some((status, body)) = send(client, req, tally)
        && !(400..500).contains(&status)
    {
        tally.wrong(format!(
            "{} {}: {status} to an invalid request; {body}",
            req.method, req.path
        ));
    }
}

// --- readers ------------------------------------------------------------------------------

/// A paged GitBook list read to its end (pages of `limit`), or the control API's state.
fn read_step(client: &mut Client, rng: &mut Rng, tally: &mut Tally) {
    if rng.below(10) == 0 {
        let req = request("GET", "/__admin/state", None, None);
        if let Some((status, _)) = send(client, &req, tally)
            && status != 200
        {
            tally.wrong(format!("GET /__admin/state: {status}"));
        }
        return;
    }
    let space = rng.pick(&GITBOOK_SPACES);
    let list = rng.pick(&["users", "teams", "aggregate"]);
    let limit = 1 + rng.below(4);
    if let Err(e) = read_pages(client, space, list, limit, tally) {
        tally.wrong(e);
    }
}

/// Every item of a GitBook list, page by page.
fn read_pages(
    client: &mut Client,
    space: &str,
    list: &str,
    limit: usize,
    tally: &mut Tally,
) -> Result<Vec<Value>, String> {
    let mut items = Vec::new();
    let mut page: Option<String> = None;
    for _ in 0..100 {
        let mut path = format!("/v1/spaces/{space}/permissions/{list}?limit={limit}");
        if let Some(p) = &page {
            path.push_str(&format!("&page={p}"));
        }
        let req = request("GET", &path, Some(GITBOOK_TOKEN), None);
        let (status, body) = send(client, &req, tally).ok_or(format!("GET {path}: no answer"))?;
        if status != 200 {
            return Err(format!("GET {path}: {status}; {body}"));
        }
        items.extend(body["items"].as_array().cloned().unwrap_or_default());
        match body["next"]["page"].as_str() {
            Some(next) => page = Some(next.to_owned()),
            None => return Ok(items),
        }
    }
    Err(format!("{space} {list}: more than 100 pages"))
}

// --- aborting and slow clients ------------------------------------------------------------

fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, PATIENCE)?;
    stream.set_read_timeout(Some(PATIENCE))?;
    stream.set_write_timeout(Some(PATIENCE))?;
    Ok(stream)
}

fn list_head() -> String {
    format!(
        "GET /v1/spaces/sPaCe4Docs01/permissions/users?limit=2 HTTP/1.1\r\nHost: soak\r\n\
         Authorization: Bearer {GITBOOK_TOKEN}\r\n\r\n"
    )
}

/// An invalid write (its body breaks the schema), whole.
fn invalid_write() -> Vec<u8> {
    let body = r#"{"users": [{"email": "nope", "roles": ["ROLE_X"]}]}"#;
    format!(
        "POST /api/v1/spaces/default/assign_users HTTP/1.1\r\nHost: soak\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Opens a connection and abandons it: part of a read or of an invalid write then a close,
/// a whole read then a reset (its answer left unread), or nothing at all.
fn abort_step(addr: SocketAddr, rng: &mut Rng, tally: &mut Tally) {
    let Ok(mut stream) = connect(addr) else {
        tally.transport_errors += 1;
        tally.wrong("an aborting client could not connect".into());
        return;
    };
    let what = rng.below(4);
    let bytes = match what {
        0 => list_head().into_bytes(),
        1 => invalid_write(),
        _ => list_head().into_bytes(),
    };
    match what {
        0 | 1 => {
            let cut = 1 + rng.below(bytes.len() - 1);
            let _ = stream.write_all(&bytes[..cut]);
            tally.count("closed mid-request");
        }
        2 => {
            let _ = stream.write_all(&bytes);
            // The answer arrives and is never read: closing now resets the connection.
            thread::sleep(Duration::from_millis(20));
            tally.count("reset after the request");
        }
        _ => tally.count("closed at once"),
    }
    drop(stream);
}

/// Slow clients: a head dribbled past the header timeout (cut, no answer), a body dribbled
/// past the body timeout (408), or a head dribbled within the header timeout (200).
fn slow_step(addr: SocketAddr, rng: &mut Rng, tally: &mut Tally) {
    let Ok(mut stream) = connect(addr) else {
        tally.transport_errors += 1;
        tally.wrong("a slow client could not connect".into());
        return;
    };
    let started = Instant::now();
    match rng.below(3) {
        0 => {
            // 1 byte every 100 ms: the head would take seconds.
            let head = list_head().into_bytes();
            let mut sent = 0;
            for byte in &head {
                if stream.write_all(&[*byte]).is_err() {
                    break;
                }
                sent += 1;
                thread::sleep(Duration::from_millis(100));
                if started.elapsed() > HEADER_TIMEOUT * 3 {
                    break;
                }
            }
            let answer = read_all(&mut stream);
            let took = started.elapsed();
            match answer {
                Some(a) if a.is_empty() && sent < head.len() && took < PATIENCE => {
                    tally.count("cut (slow head)");
                }
                other => tally.wrong(format!(
                    "a slow head ({sent} of {} bytes in {took:?}) was not cut: {:?}",
                    head.len(),
                    other.map(|a| String::from_utf8_lossy(&a).into_owned())
                )),
            }
        }
        1 => {
            let write = invalid_write();
            let split = write.len() - 20;
            let _ = stream.write_all(&write[..split]);
            for byte in &write[split..] {
                // Stops once the 408 is there: writing on would meet the closed socket, and
                // the reset it answers with could discard the 408 unread.
                if answer_waiting(&stream) || stream.write_all(&[*byte]).is_err() {
                    break;
                }
                thread::sleep(Duration::from_millis(100));
                if started.elapsed() > BODY_TIMEOUT * 3 {
                    break;
                }
            }
            match read_all(&mut stream).as_deref().and_then(status_of) {
                Some(status) => {
                    tally.answer(status);
                    if status != 408 {
                        tally.wrong(format!("a slow body got {status}, not 408"));
                    }
                }
                None => tally.wrong("a slow body got no 408".into()),
            }
        }
        _ => {
            // The head in five pieces, 20 ms apart: well within the header timeout, with room
            // for a loaded machine.
            let head = format!(
                "GET /v1/spaces/sPaCe4Docs01/permissions/users HTTP/1.1\r\nHost: soak\r\n\
                 Connection: close\r\nAuthorization: Bearer {GITBOOK_TOKEN}\r\n\r\n"
            );
            for piece in head.as_bytes().chunks(head.len().div_ceil(5)) {
                let _ = stream.write_all(piece);
                thread::sleep(Duration::from_millis(20));
            }
            match read_all(&mut stream).as_deref().and_then(status_of) {
                Some(status) => {
                    tally.answer(status);
                    if status != 200 {
                        tally.wrong(format!("a slow but timely head got {status}"));
                    }
                }
                None => tally.wrong("a slow but timely head got no answer".into()),
            }
        }
    }
}

/// Whether the server has sent something (or closed) that is not read yet.
fn answer_waiting(stream: &TcpStream) -> bool {
    let _ = stream.set_nonblocking(true);
    let waiting =
        !matches!(stream.peek(&mut [0u8; 1]), Err(e) if e.kind() == ErrorKind::WouldBlock);
    let _ = stream.set_nonblocking(false);
    waiting
}

/// Everything the server sends until it closes (a reset counts as a close).
fn read_all(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Some(out),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return None;
            }
            Err(_) => return Some(out),
        }
    }
}

fn status_of(raw: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(raw);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
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
