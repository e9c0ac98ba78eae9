//! `--state-file`: every session's world saved and loaded again, losslessly, through the
//! library (`Engine::save_state`, `Engine::load_state`) and through the real binary stopped
//! with SIGTERM; files that cannot be used are refused and left as they are.
//!
//! A restart is judged against an engine that never restarted: both get the same requests
//! after the restart and must answer them alike (the next ids, list order, page tokens).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde_json::{Value, json};
use understudy::mock::engine::RESPONSE_VIOLATIONS;
use understudy::world::fixtures::{BUNDLED, FixtureSource};
use understudy::world::persist::{Loaded, StateFileError, temp_path};
use understudy::{Engine, EngineConfig, MockRequest, Source};

use crate::harness::doc_path;

const GITBOOK: &str = "gb_api_jAnEdOe0aDm1nAcMe0t0kEn";
const NOTES: &str = "/v1/spaces/sPaCeNotes03/permissions";
const FRAUD: &str = "/v2/spaces/U3BhY2U6MTIzNDU%3D/users";
const SESSION: &str = "ci-job";

// --- in-process requests ------------------------------------------------------------------

/// One request: method, path with query, session, bearer token, JSON body.
#[derive(Clone)]
struct Step {
    method: &'static str,
    path: String,
    session: Option<&'static str>,
    token: Option<&'static str>,
    body: Option<Value>,
}

fn step(method: &'static str, path: impl Into<String>) -> Step {
    Step {
        method,
        path: path.into(),
        session: None,
        token: None,
        body: None,
    }
}

impl Step {
    fn session(mut self, name: &'static str) -> Self {
        self.session = Some(name);
        self
    }
    fn token(mut self, token: &'static str) -> Self {
        self.token = Some(token);
        self
    }
    fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

fn request(s: &Step) -> MockRequest {
    let (path, query) = match s.path.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (s.path.clone(), None),
    };
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).expect("a header value"),
        );
    };
    if let Some(session) = s.session {
        set("x-understudy-session", session.to_owned());
    }
    if let Some(token) = s.token {
        set("authorization", format!("Bearer {token}"));
    }
    let body = match &s.body {
        Some(b) => {
            set("content-type", "application/json".to_owned());
            Bytes::from(b.to_string())
        }
        None => Bytes::new(),
    };
    MockRequest {
        method: Method::from_bytes(s.method.as_bytes()).expect("a method"),
        path,
        query,
        headers,
        body,
    }
}

/// The status and body (JSON, or `null` when empty) of `step` answered by `engine`; fails
/// the test when the answer breaks the spec.
fn send(engine: &Engine, s: &Step) -> (u16, Value) {
    let outcome = engine.handle(&request(s));
    let r = outcome.response;
    assert!(
        r.header(RESPONSE_VIOLATIONS.as_str()).is_none(),
        "{} {}: the answer breaks the spec: {:?}",
        s.method,
        s.path,
        r.header(RESPONSE_VIOLATIONS.as_str())
    );
    let body = if r.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{} {}: {e}", s.method, s.path))
    };
    (r.status, body)
}

fn engine(sources: Vec<Source>, fixtures: FixtureSource) -> Engine {
    let config = EngineConfig {
        seed: 0,
        check_responses: true,
        fixtures,
        ..EngineConfig::default()
    };
    Engine::load(&sources, config).unwrap_or_else(|e| panic!("documents failed to load: {e:?}"))
}

fn bundled() -> Engine {
    engine(
        understudy::document::load::bundled(),
        FixtureSource::Bundled,
    )
}

fn crud() -> Engine {
    engine(
        vec![Source::File(doc_path("crud-nested.yaml"))],
        FixtureSource::Bundled,
    )
}

/// The whole world of a session, as `GET /__admin/state` shows it.
fn state(engine: &Engine, session: Option<&'static str>) -> Value {
    let mut s = step("GET", "/__admin/state");
    s.session = session;
    let (status, body) = send(engine, &s);
    assert_eq!(status, 200, "{body}");
    body
}

/// A folder of its own under the system's temporary folder, emptied first; removed when
/// dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir()
            .join("understudy-state-tests")
            .join(format!("{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `steps` on `engine`, each expected to answer `status`.
fn run(engine: &Engine, steps: &[(Step, u16)]) {
    for (s, status) in steps {
        let (got, body) = send(engine, s);
        assert_eq!(got, *status, "{} {}: {body}", s.method, s.path);
    }
}

/// Asserts that two engines' worlds are the same in `session`, API by API.
fn same_worlds(a: &Engine, b: &Engine, session: Option<&'static str>) {
    let (a, b) = (state(a, session), state(b, session));
    let apis = b["apis"].as_object().expect("the APIs' worlds");
    assert_eq!(a["apis"].as_object().map(|m| m.len()), Some(apis.len()));
    for (name, world) in apis {
        assert_eq!(&a["apis"][name], world, "{name} in session {session:?}");
    }
}

/// Saves `before` into `file`, loads it into a fresh engine, and checks that it answers
/// `reads`, then `after`, then `reads` again exactly as `before` does, which never restarted.
fn restart_changes_nothing(
    before: &Engine,
    fresh: impl Fn() -> Engine,
    file: &Path,
    reads: &[Step],
    after: &[Step],
) {
    let sessions = before.save_state(file).expect("the state is saved");
    assert_eq!(sessions, 2, "the default session and {SESSION}");
    let restarted = fresh();
    for session in [None, Some(SESSION)] {
        assert_ne!(
            state(&restarted, session),
            state(before, session),
            "the writes changed the world, so loading has something to show"
        );
    }
    assert_eq!(
        restarted.load_state(file).expect("the state loads"),
        Loaded::Sessions {
            restored: 2,
            dropped: 0
        }
    );
    let compare = |steps: &[Step]| {
        for s in steps {
            assert_eq!(
                send(&restarted, s),
                send(before, s),
                "{} {} after a restart",
                s.method,
                s.path
            );
        }
        for session in [None, Some(SESSION)] {
            same_worlds(&restarted, before, session);
        }
    };
    compare(reads);
    compare(after);
    compare(reads);
}

// --- round trips --------------------------------------------------------------------------

#[test]
fn every_bundled_world_comes_back_after_a_restart_and_the_next_writes_answer_alike() {
    let dir = Scratch::new("bundled");
    let before = bundled();
    let gitbook = |m, p: &str| step(m, p).token(GITBOOK);
    let ada = |m, p: &str| step(m, p).token("arize-key");
    let writes = [
        // GitBook: users and a team invited, a role changed, a removal, in both sessions.
        (
            gitbook("POST", NOTES)
                .json(json!({"role": "edit", "users": ["Q2Fyb2xMZWU", "Qm9iU21pdGg"]})),
            204,
        ),
        (
            gitbook("POST", NOTES).json(json!({"role": "review", "teams": ["tEaMdOcS01"]})),
            204,
        ),
        (
            gitbook("PATCH", &format!("{NOTES}/users/Q2Fyb2xMZWU")).json(json!({"role": "admin"})),
            204,
        ),
        (
            gitbook("DELETE", "/v1/spaces/sPaCe4Docs01/permissions/users/Qm9iU21pdGg"),
            205,
        ),
        (
            gitbook("POST", NOTES)
                .session(SESSION)
                .json(json!({"role": "read", "users": ["RGF2ZU5ndXllbg"]})),
            204,
        ),
        // Alumio: a user in the first spelling, workers allocated.
        (
            step("POST", "/api/v1/spaces/default/assign_users")
                .json(json!({"users": [{"email": "Ann@Example.com", "roles": ["ROLE_EDITOR", "ROLE_USER"]}]})),
            200,
        ),
        (
            step("POST", "/api/v1/space_workers/allocation")
                .json(json!({"spaceWorkers": [{"spaceIdentifier": "erp-import", "workers": 4}]})),
            201,
        ),
        (
            step("POST", "/api/v1/space_workers/allocation")
                .session(SESSION)
                .json(json!({"spaceWorkers": [{"spaceIdentifier": "default", "workers": 5}]})),
            201,
        ),
        // Arize: a custom role given by Ben, a member removed and added back (new ids).
        (
            step("POST", FRAUD).token("arize-binder-key").json(
                json!({"user_id": "VXNlcjoxMjM0NQ==", "role": {"type": "custom", "id": "Um9sZTo0Mg=="}}),
            ),
            200,
        ),
        (ada("DELETE", &format!("{FRAUD}/VXNlcjoxMDAwNA%3D%3D")), 204),
        (
            ada("POST", FRAUD).json(
                json!({"user_id": "VXNlcjoxMDAwNA==", "role": {"type": "predefined", "name": "read-only"}}),
            ),
            200,
        ),
        (
            ada("POST", FRAUD).session(SESSION).json(
                json!({"user_id": "VXNlcjoxMjM0NQ==", "role": {"type": "predefined", "name": "member"}}),
            ),
            200,
        ),
    ];
    run(&before, &writes);

    let (_, first) = send(&before, &gitbook("GET", &format!("{NOTES}/users?limit=1")));
    let token = first["next"]["page"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let reads = [
        gitbook("GET", &format!("{NOTES}/users?limit=1")),
        gitbook("GET", &format!("{NOTES}/users?limit=1&page={token}")),
        gitbook("GET", &format!("{NOTES}/teams")),
        gitbook("GET", &format!("{NOTES}/aggregate")),
        gitbook("GET", &format!("{NOTES}/aggregate?role=review")),
        gitbook("GET", "/v1/spaces/sPaCe4Docs01/permissions/users"),
        gitbook("GET", &format!("{NOTES}/aggregate")).session(SESSION),
    ];
    let after = [
        gitbook("POST", NOTES).json(json!({"role": "comment", "users": ["RXZlTWFydGlu"]})),
        gitbook("DELETE", &format!("{NOTES}/teams/tEaMdOcS01")),
        gitbook("POST", NOTES)
            .session(SESSION)
            .json(json!({"role": "edit", "users": ["Qm9iU21pdGg"]})),
        step("POST", "/api/v1/spaces/default/assign_users")
            .json(json!({"users": [{"email": "ann@example.com", "roles": ["ROLE_USER"]}]})),
        // Over the licence only if the allocation above came back.
        step("POST", "/api/v1/space_workers/allocation")
            .json(json!({"spaceWorkers": [{"spaceIdentifier": "webshop-sync", "workers": 5}]})),
        ada("POST", FRAUD).json(
            json!({"user_id": "VXNlcjoxMDAwNg==", "role": {"type": "predefined", "name": "annotator"}}),
        ),
        ada("DELETE", &format!("{FRAUD}/VXNlcjoxMjM0NQ%3D%3D")),
        ada("DELETE", &format!("{FRAUD}/VXNlcjoxMjM0NQ%3D%3D")),
        step("POST", FRAUD).token("arize-binder-key").session(SESSION).json(
            json!({"user_id": "VXNlcjoxMDAwNg==", "role": {"type": "predefined", "name": "annotator"}}),
        ),
    ];
    restart_changes_nothing(&before, bundled, &dir.path("state.json"), &reads, &after);
}

#[test]
fn crud_items_ids_and_cursors_come_back_after_a_restart() {
    let dir = Scratch::new("crud");
    let before = crud();
    let (_, ann) = send(
        &before,
        &step("POST", "/api/owners").json(json!({"name": "Ann"})),
    );
    let (_, bob) = send(
        &before,
        &step("POST", "/api/owners").json(json!({"name": "Bob"})),
    );
    let ann = ann["id"].as_str().expect("an id").to_owned();
    let bob = bob["id"].as_str().expect("an id").to_owned();
    let pets = format!("/api/owners/{ann}/pets");
    let mut pet_ids = Vec::new();
    for name in ["Rex", "Tom", "Kit", "Max"] {
        let body = json!({"name": name, "species": "dog"});
        let (status, pet) = send(&before, &step("POST", &pets).json(body));
        assert_eq!(status, 201, "{pet}");
        pet_ids.push(pet["petId"].as_str().expect("a pet id").to_owned());
    }
    run(
        &before,
        &[
            (step("DELETE", format!("{pets}/{}", pet_ids[1])), 204),
            (step("DELETE", format!("/api/owners/{bob}")), 204),
            (
                step("POST", "/api/owners")
                    .session(SESSION)
                    .json(json!({"name": "Cy"})),
                201,
            ),
        ],
    );
    let (_, page) = send(&before, &step("GET", format!("{pets}?limit=1")));
    let cursor = page["next_cursor"].as_str().expect("a cursor").to_owned();
    let reads = [
        step("GET", "/api/owners?per_page=1&page=2"),
        step("GET", format!("{pets}?limit=2")),
        step("GET", format!("{pets}?limit=2&cursor={cursor}")),
        step("GET", format!("{pets}/{}", pet_ids[2])),
        step("GET", format!("/api/owners/{bob}/pets")),
        step("GET", "/api/owners").session(SESSION),
    ];
    let after = [
        step("POST", "/api/owners").json(json!({"name": "Dee"})),
        step("POST", &pets).json(json!({"name": "Ivy", "species": "cat"})),
        step("PATCH", format!("{pets}/{}", pet_ids[0])).json(json!({"name": "Rexy"})),
        step("POST", "/api/owners")
            .session(SESSION)
            .json(json!({"name": "Eli"})),
    ];
    restart_changes_nothing(&before, crud, &dir.path("state.json"), &reads, &after);
}

#[test]
fn a_missing_file_leaves_the_fixtures_and_saving_creates_it() {
    let dir = Scratch::new("missing");
    let file = dir.path("new.json");
    let e = bundled();
    assert_eq!(
        e.load_state(&file).expect("no file is fine"),
        Loaded::Missing
    );
    assert_eq!(state(&e, None), state(&bundled(), None));
    assert!(!file.exists(), "loading never writes");
    assert!(
        !temp_path(&file).exists(),
        "the check that the folder takes a file leaves nothing behind"
    );
    assert_eq!(e.save_state(&file).expect("saved"), 1);
    assert_eq!(
        bundled().load_state(&file).expect("loads"),
        Loaded::Sessions {
            restored: 1,
            dropped: 0
        }
    );
}

#[test]
fn a_reset_after_loading_goes_back_to_the_fixtures_not_to_the_file() {
    let dir = Scratch::new("reset");
    let file = dir.path("state.json");
    let before = bundled();
    run(
        &before,
        &[(
            step("POST", "/api/v1/space_workers/allocation")
                .json(json!({"spaceWorkers": [{"spaceIdentifier": "erp-import", "workers": 1}]})),
            201,
        )],
    );
    before.save_state(&file).expect("saved");
    let restarted = bundled();
    restarted.load_state(&file).expect("loads");
    assert_eq!(state(&restarted, None), state(&before, None));
    run(&restarted, &[(step("POST", "/__admin/reset"), 204)]);
    assert_eq!(state(&restarted, None), state(&bundled(), None));
}

// --- refusals -----------------------------------------------------------------------------

/// A state file of the bundled engine with one write in it.
fn saved_file(dir: &Scratch) -> (PathBuf, Vec<u8>) {
    let file = dir.path("state.json");
    let e = bundled();
    run(
        &e,
        &[(
            step("POST", "/api/v1/space_workers/allocation")
                .json(json!({"spaceWorkers": [{"spaceIdentifier": "erp-import", "workers": 1}]})),
            201,
        )],
    );
    e.save_state(&file).expect("saved");
    let bytes = std::fs::read(&file).expect("the saved file");
    (file, bytes)
}

/// Loading `file` into a bundled engine is refused with a message naming it and containing
/// `reason`; the file is unchanged and the engine's world is still the fixtures'.
fn refused(file: &Path, reason: &str) -> StateFileError {
    let before = std::fs::read(file).ok();
    let e = bundled();
    let err = e.load_state(file).expect_err("the file is refused");
    let message = err.to_string();
    assert!(
        message.contains(&file.display().to_string()),
        "the message names the file: {message}"
    );
    assert!(message.contains(reason), "{reason:?} in: {message}");
    assert_eq!(
        std::fs::read(file).ok(),
        before,
        "the file is left as it is"
    );
    assert_eq!(
        state(&e, None),
        state(&bundled(), None),
        "nothing was loaded"
    );
    err
}

#[test]
fn a_truncated_file_is_refused_as_corrupt() {
    let dir = Scratch::new("truncated");
    let (file, bytes) = saved_file(&dir);
    std::fs::write(&file, &bytes[..bytes.len() / 2]).expect("write");
    let err = refused(&file, "is corrupt: EOF while parsing");
    assert!(matches!(err, StateFileError::Corrupt { .. }), "{err:?}");
}

#[test]
fn a_file_of_another_format_version_or_no_state_file_at_all_is_refused() {
    let dir = Scratch::new("version");
    let (file, bytes) = saved_file(&dir);
    let mut doc: Value = serde_json::from_slice(&bytes).expect("JSON");
    doc["understudy_state"] = json!(99);
    std::fs::write(&file, doc.to_string()).expect("write");
    let err = refused(
        &file,
        "has format version 99; this understudy reads version 1",
    );
    assert!(matches!(err, StateFileError::Version { .. }), "{err:?}");

    let other = dir.path("package.json");
    std::fs::write(&other, r#"{"name": "not-state", "version": "1.0.0"}"#).expect("write");
    let err = refused(&other, "is not an understudy state file");
    assert!(
        matches!(err, StateFileError::NotAStateFile { .. }),
        "{err:?}"
    );
}

#[test]
fn a_file_saved_for_other_documents_or_fixtures_is_refused_as_foreign() {
    let dir = Scratch::new("foreign");
    let file = dir.path("crud.json");
    crud().save_state(&file).expect("saved");
    let err = refused(&file, "saved for other documents or fixtures");
    assert!(matches!(err, StateFileError::Foreign { .. }), "{err:?}");

    // The same documents, but GitBook's fixtures differ by a comment.
    let fixtures = dir.path("fixtures");
    std::fs::create_dir_all(&fixtures).expect("a fixtures folder");
    for (name, text) in BUNDLED {
        let text = if *name == "gitbook" {
            format!("{text}\n# changed\n")
        } else {
            (*text).to_owned()
        };
        std::fs::write(fixtures.join(format!("{name}.yaml")), text).expect("write");
    }
    let other = engine(
        understudy::document::load::bundled(),
        FixtureSource::Dir(fixtures),
    );
    let file = dir.path("other-fixtures.json");
    other.save_state(&file).expect("saved");
    refused(&file, "the document or fixtures of gitbook differ");
}

#[test]
fn a_world_that_does_not_fit_the_fixtures_is_refused_naming_the_session_and_api() {
    let dir = Scratch::new("world");
    let (file, bytes) = saved_file(&dir);
    let mut doc: Value = serde_json::from_slice(&bytes).expect("JSON");
    let arize = doc["sessions"][0]["worlds"]
        .as_array_mut()
        .and_then(|w| w.iter_mut().find(|w| w["api"] == json!("arize")))
        .expect("the arize world");
    // `User:999`, whom the fixtures do not know.
    arize["world"]["spaces"][0]["memberships"][0]["user_id"] = json!("VXNlcjo5OTk=");
    std::fs::write(&file, doc.to_string()).expect("write");
    let err = refused(&file, "session \"\", API arize: space U3BhY2U6MTIzNDU=");
    assert!(
        err.to_string()
            .contains("VXNlcjo5OTk= is not in the fixtures"),
        "{err}"
    );
}

#[test]
fn a_folder_that_takes_no_new_file_is_refused_before_anything_is_served() {
    let dir = Scratch::new("unwritable");
    // A "folder" that is a file: nothing can be created in it, even by root.
    let not_a_dir = dir.path("plain-file");
    std::fs::write(&not_a_dir, "x").expect("write");
    let err = refused(&not_a_dir.join("state.json"), "does not take a new file");
    assert!(matches!(err, StateFileError::Unwritable { .. }), "{err:?}");

    // A good file whose temporary file cannot be made (its place is taken by a folder).
    let (file, _) = saved_file(&dir);
    std::fs::create_dir(temp_path(&file)).expect("a folder in the way");
    let err = refused(&file, "does not take a new file");
    assert!(matches!(err, StateFileError::Unwritable { .. }), "{err:?}");
}

// --- atomicity ----------------------------------------------------------------------------

#[test]
fn a_temporary_file_left_by_a_crashed_save_does_not_confuse_loading() {
    let dir = Scratch::new("leftover");
    let (file, _) = saved_file(&dir);
    let saved = bundled();
    saved.load_state(&file).expect("loads");
    // A save that died mid-write: half a file, under this process's and another's names.
    std::fs::write(temp_path(&file), b"{\"understudy_state\": 1, \"apis\": [").expect("write");
    std::fs::write(dir.path(".state.json.1.tmp"), b"{").expect("write");
    let e = bundled();
    assert_eq!(
        e.load_state(&file).expect("loads"),
        Loaded::Sessions {
            restored: 1,
            dropped: 0
        }
    );
    assert_eq!(state(&e, None), state(&saved, None));
    e.save_state(&file).expect("a save replaces the leftover");
    assert!(!temp_path(&file).exists());
}

#[test]
fn a_failed_save_leaves_the_previous_file_whole() {
    let dir = Scratch::new("failed-save");
    let (file, bytes) = saved_file(&dir);
    let e = bundled();
    e.load_state(&file).expect("loads");
    run(
        &e,
        &[(
            step("POST", "/api/v1/spaces/default/assign_users")
                .json(json!({"users": [{"email": "zed@example.com", "roles": ["ROLE_USER"]}]})),
            200,
        )],
    );
    std::fs::create_dir(temp_path(&file)).expect("a folder in the way");
    let err = e.save_state(&file).expect_err("the save fails");
    assert!(matches!(err, StateFileError::Write { .. }), "{err:?}");
    assert!(
        err.to_string().contains("the previous file is as it was"),
        "{err}"
    );
    assert_eq!(std::fs::read(&file).expect("still there"), bytes);

    std::fs::remove_dir(temp_path(&file)).expect("out of the way");
    e.save_state(&file).expect("the save succeeds now");
    let back = bundled();
    back.load_state(&file).expect("loads");
    assert_eq!(state(&back, None), state(&e, None));
}

// --- the real binary ----------------------------------------------------------------------

/// `understudy serve --port 0 --state-file FILE`, killed when dropped.
struct Serve {
    child: Child,
    port: u16,
    /// Every line of its stderr, as it comes.
    lines: mpsc::Receiver<String>,
    /// The lines read so far.
    seen: Vec<String>,
}

/// Bounds every wait on the binary, so a hang fails the test rather than blocking it.
const PATIENCE: Duration = Duration::from_secs(120);

impl Serve {
    /// Starts the binary and waits until it listens.
    fn start(file: &Path) -> Serve {
        let mut serve = Serve::spawn(file);
        let line = serve.wait_for("listening on http://");
        serve.port = line
            .split("listening on http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        serve
    }

    fn spawn(file: &Path) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_understudy"))
            .args(["serve", "--port", "0", "--state-file"])
            .arg(file)
            .env("UNDERSTUDY_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Serve {
            child,
            port: 0,
            lines,
            seen: Vec::new(),
        }
    }

    /// The first stderr line containing `text`, waiting for it.
    fn wait_for(&mut self, text: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(text)) {
            return line.clone();
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(e) => panic!(
                    "no line with {text:?} on stderr: {e}; so far: {:#?}",
                    self.seen
                ),
            }
        }
    }

    /// All of stderr, once the binary has ended.
    fn rest(&mut self) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => return self.seen.join("\n"),
                Err(e) => panic!("stderr did not end: {e}"),
            }
        }
    }

    fn send(&self, s: &Step) -> (u16, Value) {
        let url = format!("http://127.0.0.1:{}", self.port);
        let mut client = understudy::contract::client::Client::new(&url, Duration::from_secs(30))
            .expect("a client");
        let r = client.send(&request(s)).expect("an answer");
        let body = if r.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&r.body).expect("a JSON body")
        };
        (r.status, body)
    }

    /// SIGTERM, then the exit code.
    fn terminate(mut self) -> Option<i32> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
        self.wait_exit()
    }

    /// The exit code, once the binary ends (stderr is read to its end first).
    fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(exit) = self.child.try_wait().expect("the child's status") {
                return exit.code();
            }
            assert!(Instant::now() < deadline, "the server did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
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

#[test]
fn the_binary_saves_on_sigterm_loads_at_start_and_refuses_a_corrupt_file() {
    let dir = Scratch::new("binary");
    let file = dir.path("state.json");
    let assign = step("POST", "/api/v1/spaces/erp-import/assign_users")
        .session(SESSION)
        .json(json!({"users": [{"email": "kept@example.com", "roles": ["ROLE_EDITOR"]}]}));

    let mut first = Serve::start(&file);
    first.wait_for("no state file yet");
    let (status, body) = first.send(&assign);
    assert_eq!(status, 200, "{body}");
    assert_eq!(first.terminate(), Some(0));
    assert!(file.exists(), "the state file is written at shutdown");

    let mut second = Serve::start(&file);
    let loaded = second.wait_for("loaded 2 session(s) from the state file");
    assert!(loaded.contains(&file.display().to_string()), "{loaded}");
    let (_, world) = second.send(&step("GET", "/__admin/state").session(SESSION));
    let users = &world["apis"]["alumio"]["spaces"][2]["users"];
    assert_eq!(
        users,
        &json!([{"email": "kept@example.com", "roles": ["ROLE_EDITOR"]}]),
        "{world}"
    );
    assert_eq!(second.terminate(), Some(0));

    let bytes = std::fs::read(&file).expect("the file");
    std::fs::write(&file, &bytes[..bytes.len() - 10]).expect("truncate");
    let corrupt = std::fs::read(&file).expect("the file");
    let mut refused = Serve::spawn(&file);
    assert_eq!(refused.wait_exit(), Some(2));
    let stderr = refused.rest();
    assert!(
        stderr.contains(&format!("the state file {} is corrupt", file.display())),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&file).expect("the file"), corrupt);
}

#[test]
fn a_file_with_more_sessions_than_the_bound_loads_the_most_recently_used() {
    let dir = Scratch::new("bound");
    let file = dir.path("state.json");
    let e = bundled();
    let names = ["s1", "s2", "s3", "s4", "s5"];
    for name in names {
        run(
            &e,
            &[(
                step("POST", "/v1/spaces/sPaCeNotes03/permissions")
                    .session(name)
                    .token(GITBOOK)
                    .json(json!({"role": "read", "users": ["SXZhbk9ybG92"]})),
                204,
            )],
        );
        std::thread::sleep(std::time::Duration::from_millis(3));
    }
    let used: Vec<(String, u64)> = e
        .sessions()
        .all()
        .iter()
        .map(|s| (s.name.clone(), s.last_used()))
        .collect();
    assert_eq!(e.save_state(&file).expect("saved"), 6);

    let small = Engine::load(
        &understudy::document::load::bundled(),
        EngineConfig {
            check_responses: true,
            max_sessions: 2,
            ..EngineConfig::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        small.load_state(&file).expect("loads within the bound"),
        Loaded::Sessions {
            restored: 3,
            dropped: 3
        }
    );
    let kept: Vec<(String, u64)> = small
        .sessions()
        .all()
        .iter()
        .map(|s| (s.name.clone(), s.last_used()))
        .collect();
    // The default session and the two used last, each with its last use as saved.
    let expected: Vec<(String, u64)> = used
        .iter()
        .filter(|(name, _)| ["", "s4", "s5"].contains(&name.as_str()))
        .cloned()
        .collect();
    assert_eq!(kept, expected);
    same_worlds(&e, &small, Some("s5"));
    // Past the bound again, the session idle the longest (s4) makes room.
    run(
        &small,
        &[(
            step("GET", "/v1/spaces/sPaCeNotes03/permissions/users")
                .session("s6")
                .token(GITBOOK),
            200,
        )],
    );
    let names: Vec<String> = small
        .sessions()
        .all()
        .iter()
        .map(|s| s.name.clone())
        .collect();
    assert_eq!(names, ["", "s5", "s6"]);
}
