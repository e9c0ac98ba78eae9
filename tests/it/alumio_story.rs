//! Alumio's behaviour through HTTP: a client's story (assign users, change their roles, allocate
//! workers, read back one space), each domain error with its exact `Error` shape, the
//! atomicity of a refused allocation, session isolation, concurrent writes, and fixtures that
//! fail startup naming their file and entry.
//!
//! The figures below are the bundled `fixtures/alumio.yaml` (the tests' input): a licence of
//! 10 workers, 5 per space; `default` (2 workers: admin@example.com as administrator,
//! jane.doe@example.com as viewer), `webshop-sync` (3 workers: admin@example.com as
//! administrator, dev@example.com as editor and viewer), `erp-import` (0 workers, no users).

use std::path::PathBuf;

use serde_json::{Value, json};
use understudy::EngineConfig;
use understudy::world::fixtures::FixtureSource;

use crate::alumio::{alumio_error, violations};
use crate::harness::*;

const LICENCE_WORKERS: u64 = 10;
const WORKERS_PER_SPACE: u64 = 5;
const ALLOCATE: &str = "/api/v1/space_workers/allocation";
const SESSION: &str = "X-Understudy-Session";

/// Requests of one session.
struct Alumio<'s> {
    server: &'s Server,
    session: &'s str,
}

impl<'s> Alumio<'s> {
    fn new(server: &'s Server, session: &'s str) -> Self {
        Self { server, session }
    }

    fn assign(&self, space: &str, users: Value) -> Reply {
        self.server
            .post(&format!("/api/v1/spaces/{space}/assign_users"))
            .header(SESSION, self.session)
            .json(json!({ "users": users }))
            .send()
    }

    fn allocate(&self, entries: Value) -> Reply {
        self.allocate_at(ALLOCATE, entries)
    }

    fn allocate_at(&self, path: &str, entries: Value) -> Reply {
        self.server
            .post(path)
            .header(SESSION, self.session)
            .json(json!({ "spaceWorkers": entries }))
            .send()
    }

    /// Every space's workers as the API shows them, read with an allocation that lists none.
    fn workers(&self) -> Value {
        let reply = self.allocate(json!([]));
        reply.expect(201);
        reply.json()["spaceWorkers"].clone()
    }

    /// The users of `space` as `GET /__admin/state` shows them.
    fn users(&self, space: &str) -> Value {
        let reply = self
            .server
            .get("/__admin/state")
            .header(SESSION, self.session)
            .send();
        reply.expect(200);
        let state = reply.json();
        let spaces = state["apis"]["alumio"]["spaces"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        spaces
            .into_iter()
            .find(|s| s["identifier"] == space)
            .map(|s| s["users"].clone())
            .unwrap_or_else(|| panic!("no space {space} in the state: {state}"))
    }
}

fn user(email: &str, roles: &[&str]) -> Value {
    json!({ "email": email, "roles": roles })
}

fn entry(space: &str, workers: u64) -> Value {
    json!({ "spaceIdentifier": space, "workers": workers })
}

/// The workers the bundled fixtures start with, in fixture order.
fn fixture_workers() -> Value {
    json!([
        entry("default", 2),
        entry("webshop-sync", 3),
        entry("erp-import", 0)
    ])
}

/// A 422 Alumio `Error`; its violations as (propertyPath, title), in the order given.
fn unprocessable(reply: &Reply) -> Vec<(String, String)> {
    let body = alumio_error(reply, 422, true);
    let found = violations(&body);
    for (path, title) in &found {
        let line = format!("{path}: {title}");
        assert!(
            body["detail"].as_str().unwrap_or_default().contains(&line),
            "the detail lists `{line}`: {body}"
        );
    }
    found
}

fn paths(found: &[(String, String)]) -> Vec<&str> {
    found.iter().map(|(p, _)| p.as_str()).collect()
}

// --- The story ----------------------------------------------------------------------------------

#[test]
fn a_client_assigns_users_changes_their_roles_allocates_workers_and_reads_one_space_back() {
    let server = Server::bundled();
    let alumio = Alumio::new(&server, "story");

    // A new user and an existing one (dev@example.com, written in another case).
    let reply = alumio.assign(
        "webshop-sync",
        json!([
            user("ops@example.com", &["ROLE_USER"]),
            user("Dev@Example.com", &["ROLE_ADMINISTRATOR"]),
        ]),
    );
    reply.expect(200);
    assert_eq!(
        reply.json(),
        json!({"space": "webshop-sync", "users": [
            user("admin@example.com", &["ROLE_ADMINISTRATOR"]),
            user("dev@example.com", &["ROLE_ADMINISTRATOR"]),
            user("ops@example.com", &["ROLE_USER"]),
        ]})
    );

    // Re-assigning replaces the roles; the user keeps its place.
    let reply = alumio.assign(
        "webshop-sync",
        json!([user("ops@example.com", &["ROLE_EDITOR", "ROLE_USER"])]),
    );
    reply.expect(200);
    let expected_users = json!([
        user("admin@example.com", &["ROLE_ADMINISTRATOR"]),
        user("dev@example.com", &["ROLE_ADMINISTRATOR"]),
        user("ops@example.com", &["ROLE_EDITOR", "ROLE_USER"]),
    ]);
    assert_eq!(
        reply.json(),
        json!({"space": "webshop-sync", "users": expected_users})
    );
    assert_eq!(alumio.users("webshop-sync"), expected_users);
    // Other spaces are untouched.
    assert_eq!(
        alumio.users("default"),
        json!([
            user("admin@example.com", &["ROLE_ADMINISTRATOR"]),
            user("jane.doe@example.com", &["ROLE_USER"]),
        ])
    );

    // Allocate: every space is listed after the change.
    let reply = alumio.allocate(json!([entry("default", 1), entry("erp-import", 4)]));
    reply.expect(201);
    assert_eq!(
        reply.json(),
        json!({
            "workers": LICENCE_WORKERS,
            "workersPerSpace": WORKERS_PER_SPACE,
            "spaceWorkers": [entry("default", 1), entry("webshop-sync", 3), entry("erp-import", 4)],
        })
    );

    // Read one space back with `?space=` (an allocation listing nothing changes nothing).
    let reply = alumio.allocate_at(&format!("{ALLOCATE}?space=erp-import"), json!([]));
    reply.expect(201);
    assert_eq!(
        reply.json(),
        json!({
            "workers": LICENCE_WORKERS,
            "workersPerSpace": WORKERS_PER_SPACE,
            "spaceWorkers": [entry("erp-import", 4)],
        })
    );
}

#[test]
fn an_email_already_in_the_space_in_another_case_is_the_same_user() {
    let server = Server::bundled();
    let alumio = Alumio::new(&server, "case");
    let reply = alumio.assign(
        "default",
        json!([user("JANE.DOE@EXAMPLE.COM", &["ROLE_EDITOR"])]),
    );
    reply.expect(200);
    assert_eq!(
        reply.json()["users"],
        json!([
            user("admin@example.com", &["ROLE_ADMINISTRATOR"]),
            user("jane.doe@example.com", &["ROLE_EDITOR"]),
        ])
    );
}

#[test]
fn a_user_is_per_space_so_the_same_email_can_hold_other_roles_elsewhere() {
    let server = Server::bundled();
    let alumio = Alumio::new(&server, "per-space");
    alumio
        .assign(
            "erp-import",
            json!([user("admin@example.com", &["ROLE_USER"])]),
        )
        .expect(200);
    assert_eq!(
        alumio.users("erp-import"),
        json!([user("admin@example.com", &["ROLE_USER"])])
    );
    assert_eq!(
        alumio.users("default")[0],
        user("admin@example.com", &["ROLE_ADMINISTRATOR"])
    );
}

#[test]
fn an_allocation_is_accepted_with_a_fixture_api_key_an_unknown_token_or_none() {
    let server = Server::bundled();
    for token in [Some("alumio-admin-key"), Some("not-a-key"), None] {
        let mut req = server.post(ALLOCATE).json(json!({"spaceWorkers": []}));
        if let Some(token) = token {
            req = req.bearer(token);
        }
        let reply = req.send();
        assert_eq!(reply.status, 201, "token {token:?}: {}", reply.text());
    }
}

// --- assignSpaceUsers errors -------------------------------------------------------------------

#[test]
fn assigning_to_an_unknown_space_is_a_404_whose_status_is_the_string_404() {
    let server = Server::bundled();
    let alumio = Alumio::new(&server, "unknown-space");
    let reply = alumio.assign(
        "no-such-space",
        json!([user("jane.doe@example.com", &["ROLE_EDITOR"])]),
    );
    let body = alumio_error(&reply, 404, false);
    assert_eq!(body["status"], "404");
    assert_eq!(body["detail"], "Space \"no-such-space\" not found.");
    // Nothing was assigned anywhere.
    assert_eq!(
        alumio.users("default")[1],
        user("jane.doe@example.com", &["ROLE_USER"])
    );
}

#[test]
fn an_email_listed_twice_in_one_request_is_a_422_at_the_later_entry_and_nothing_is_assigned() {
    let server = Server::bundled();
    let alumio = Alumio::new(&server, "twice");
    let reply = alumio.assign(
        "default",
        json!([
            user("new@example.com", &["ROLE_USER"]),
            user("jane.doe@example.com", &["ROLE_EDITOR"]),
            user("New@Example.com", &["ROLE_EDITOR"]),
        ]),
    );
    let found = unprocessable(&reply);
    assert_eq!(
        found,
        [(
            "users[2].email".to_owned(),
            "This email address is listed more than once.".to_owned()
        )]
    );
    assert_eq!(
        alumio.users("default"),
        json!([
            user("admin@example.com", &["ROLE_ADMINISTRATOR"]),
            user("jane.doe@example.com", &["ROLE_USER"]),
        ])
    );
}

// --- postSpaceWorkerAllocation errors and limits -----------------------------------------------

#[test]
fn a_space_above_workers_per_space_is_a_422_at_its_workers() {
    let server = Server::bundled();
    let alumio = Alumio::new(&server, "per-space-limit");
    let reply = alumio.allocate(json!([
        entry("default", 1),
        entry("erp-import", WORKERS_PER_SPACE + 1),
    ]));
    let found = unprocessable(&reply);
    assert_eq!(
        found,
        [(
            "spaceWorkers[1].workers".to_owned(),
            format!("A space can have at most {WORKERS_PER_SPACE} workers.")
        )]
    );
}

#[test]
fn exactly_workers_per_space_is_allowed() {
    let server = Server::bundled();
    let alumio = Alumio::new(&server, "per-space-boundary");
    let reply = alumio.allocate(json!([entry("webshop-sync", WORKERS_PER_SPACE)]));
    reply.expect(201);
    assert_eq!(
        reply.json()["spaceWorkers"][1],
        entry("webshop-sync", WORKERS_PER_SPACE)
    );
}

#[test]
fn a_whole_number_of_workers_written_as_a_float_is_that_number() {
    // `2.0`, `2e0` and `-0` are integers by the schema (JSON Schema's `integer` is any number
    // without a fractional part): they are allocated as 2, 2 and 0, not refused as too many.
    let server = Server::bundled();
    for (written, workers) in [("2.0", 2), ("2e0", 2), ("1E0", 1), ("-0", 0), ("4.00", 4)] {
        let session = format!("float-workers-{workers}-{}", written.len());
        let body = format!(
            r#"{{"spaceWorkers": [{{"spaceIdentifier": "erp-import", "workers": {written}}}]}}"#
        );
        let reply = server
            .post(ALLOCATE)
            .header(SESSION, &session)
            .raw_body("application/json", body.as_bytes())
            .send();
        reply.expect(201);
        assert_eq!(
            reply.json()["spaceWorkers"][2],
            entry("erp-import", workers),
            "{written}"
        );
    }
}

#[test]
fn a_total_exactly_at_the_licence_is_allowed() {
    let server = Server::bundled();
    let alumio = Alumio::new(&server, "licence-boundary");
    // 2 + 3 + 5 = 10, the licence's workers.
    let reply = alumio.allocate(json!([entry("erp-import", 5)]));
    reply.expect(201);
    assert_eq!(
        reply.json()["spaceWorkers"],
        json!([
            entry("default", 2),
            entry("webshop-sync", 3),
            entry("erp-import", 5)
        ])
    );
}

#[test]
fn a_total_above_the_licence_is_a_422_at_each_entry_that_raises_its_space() {
    let server = Server::bundled();
    let alumio = Alumio::new(&server, "licence-over");
    // After the change: 3 + 3 + 5 = 11 > 10. webshop-sync keeps its 3 and is not to blame.
    let reply = alumio.allocate(json!([
        entry("webshop-sync", 3),
        entry("default", 3),
        entry("erp-import", 5),
    ]));
    let found = unprocessable(&reply);
    let title = "The licence allows 10 workers in total; this allocation would use 11.";
    assert_eq!(
        found,
        [
            ("spaceWorkers[1].workers".to_owned(), title.to_owned()),
            ("spaceWorkers[2].workers".to_owned(), title.to_owned()),
        ]
    );
    assert_eq!(alumio.workers(), fixture_workers());
}

#[test]
fn the_total_counts_every_space_after_the_change_so_lowering_one_makes_room() {
    let server = Server::bundled();
    let alumio = Alumio::new(&server, "licence-room");
    // Alone, erp-import 5 and webshop-sync 5 would make 2 + 5 + 5 = 12; with default at 0, 10.
    let reply = alumio.allocate(json!([
        entry("erp-import", 5),
        entry("webshop-sync", 5),
        entry("default", 0),
    ]));
    reply.expect(201);
    assert_eq!(
        reply.json()["spaceWorkers"],
        json!([
            entry("default", 0),
            entry("webshop-sync", 5),
            entry("erp-import", 5)
        ])
    );
}

#[test]
fn an_unknown_space_in_an_allocation_is_a_422_at_its_space_identifier() {
    let server = Server::bundled();
    let alumio = Alumio::new(&server, "allocate-unknown");
    let reply = alumio.allocate(json!([entry("default", 1), entry("no-such-space", 1)]));
    let found = unprocessable(&reply);
    assert_eq!(
        found,
        [(
            "spaceWorkers[1].spaceIdentifier".to_owned(),
            "Space \"no-such-space\" not found.".to_owned()
        )]
    );
}

#[test]
fn a_space_listed_twice_in_an_allocation_is_a_422_at_the_later_entry() {
    let server = Server::bundled();
    let alumio = Alumio::new(&server, "allocate-twice");
    let reply = alumio.allocate(json!([entry("default", 1), entry("default", 2)]));
    let found = unprocessable(&reply);
    assert_eq!(
        found,
        [(
            "spaceWorkers[1].spaceIdentifier".to_owned(),
            "This space is listed more than once.".to_owned()
        )]
    );
    assert_eq!(alumio.workers(), fixture_workers());
}

#[test]
fn an_entry_without_a_space_identifier_or_workers_is_a_422_naming_the_missing_member() {
    // The schema requires neither member; an allocation needs both.
    let server = Server::bundled();
    let alumio = Alumio::new(&server, "allocate-missing");
    let reply = alumio.allocate(json!([{"workers": 1}, {"spaceIdentifier": "default"}]));
    let found = unprocessable(&reply);
    assert_eq!(
        found,
        [
            (
                "spaceWorkers[0].spaceIdentifier".to_owned(),
                "This field is missing.".to_owned()
            ),
            (
                "spaceWorkers[1].workers".to_owned(),
                "This field is missing.".to_owned()
            ),
        ]
    );
}

#[test]
fn every_offending_entry_is_reported_together_one_violation_each() {
    let server = Server::bundled();
    let alumio = Alumio::new(&server, "allocate-all");
    let reply = alumio.allocate(json!([
        entry("no-such-space", 1),
        entry("webshop-sync", WORKERS_PER_SPACE + 1),
        entry("default", 3),
        entry("erp-import", 5),
        entry("default", 1),
    ]));
    let found = unprocessable(&reply);
    assert_eq!(
        paths(&found),
        [
            "spaceWorkers[0].spaceIdentifier",
            "spaceWorkers[1].workers",
            "spaceWorkers[2].workers",
            "spaceWorkers[3].workers",
            "spaceWorkers[4].spaceIdentifier",
        ]
    );
    assert!(found[1].1.contains("at most 5 workers"), "{found:?}");
    assert!(found[2].1.contains("would use 11"), "{found:?}");
}

#[test]
fn a_refused_allocation_changes_no_space_even_those_whose_entries_were_fine() {
    let server = Server::bundled();
    let alumio = Alumio::new(&server, "atomic");
    let reply = alumio.allocate(json!([
        entry("default", 1),
        entry("erp-import", 4),
        entry("no-such-space", 1),
    ]));
    unprocessable(&reply);
    assert_eq!(alumio.workers(), fixture_workers());
    // The same entries without the bad one are accepted.
    alumio
        .allocate(json!([entry("default", 1), entry("erp-import", 4)]))
        .expect(201);
    assert_eq!(
        alumio.workers(),
        json!([
            entry("default", 1),
            entry("webshop-sync", 3),
            entry("erp-import", 4)
        ])
    );
}

#[test]
fn an_unknown_space_query_is_a_404_and_the_allocation_is_not_made() {
    let server = Server::bundled();
    let alumio = Alumio::new(&server, "unknown-query");
    let reply = alumio.allocate_at(
        &format!("{ALLOCATE}?space=no-such-space"),
        json!([entry("default", 1)]),
    );
    let body = alumio_error(&reply, 404, false);
    assert_eq!(body["status"], "404");
    assert_eq!(body["detail"], "Space \"no-such-space\" not found.");
    assert_eq!(alumio.workers(), fixture_workers());
}

// --- Sessions and concurrency ------------------------------------------------------------------

#[test]
fn alumio_writes_in_one_session_are_invisible_to_another_and_to_the_default_one() {
    let server = Server::bundled();
    let a = Alumio::new(&server, "job-a");
    let b = Alumio::new(&server, "job-b");
    a.assign("erp-import", json!([user("a@example.com", &["ROLE_USER"])]))
        .expect(200);
    a.allocate(json!([entry("erp-import", 5)])).expect(201);

    assert_eq!(b.users("erp-import"), json!([]));
    assert_eq!(b.workers(), fixture_workers());
    // B can use the whole licence room A used: the worlds are separate.
    b.allocate(json!([entry("erp-import", 5)])).expect(201);

    let default = server
        .post(ALLOCATE)
        .json(json!({"spaceWorkers": []}))
        .send();
    default.expect(201);
    assert_eq!(default.json()["spaceWorkers"], fixture_workers());

    // A reset brings A back to the fixtures.
    server
        .post("/__admin/reset")
        .header(SESSION, "job-a")
        .send()
        .expect(204);
    assert_eq!(a.users("erp-import"), json!([]));
    assert_eq!(a.workers(), fixture_workers());
}

#[test]
fn concurrent_assignments_to_one_space_all_land() {
    let server = Server::bundled();
    let threads = 8;
    let per_thread = 10;
    std::thread::scope(|scope| {
        for t in 0..threads {
            let server = &server;
            scope.spawn(move || {
                let alumio = Alumio::new(server, "concurrent");
                for n in 0..per_thread {
                    let email = format!("user-{t}-{n}@example.com");
                    alumio
                        .assign("erp-import", json!([user(&email, &["ROLE_USER"])]))
                        .expect(200);
                }
            });
        }
    });
    let users = Alumio::new(&server, "concurrent").users("erp-import");
    let mut emails: Vec<String> = users
        .as_array()
        .map(|u| {
            u.iter()
                .filter_map(|u| u["email"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    emails.sort();
    let mut expected: Vec<String> = (0..threads)
        .flat_map(|t| (0..per_thread).map(move |n| format!("user-{t}-{n}@example.com")))
        .collect();
    expected.sort();
    assert_eq!(emails, expected);
}

// --- Fixtures -----------------------------------------------------------------------------------

/// A fixture folder holding `alumio` as `alumio.yaml` and the bundled GitBook and Arize files
/// (a folder replaces every bundled fixture); removed when dropped.
struct FixtureDir(PathBuf);

impl FixtureDir {
    fn new(name: &str, alumio: &str) -> FixtureDir {
        let dir =
            std::env::temp_dir().join(format!("understudy-alumio-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary fixture folder");
        let bundled = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        for other in ["gitbook.yaml", "arize.yaml"] {
            std::fs::copy(bundled.join(other), dir.join(other)).expect("copy a bundled fixture");
        }
        std::fs::write(dir.join("alumio.yaml"), alumio).expect("write alumio.yaml");
        FixtureDir(dir)
    }

    fn config(&self) -> EngineConfig {
        EngineConfig {
            seed: 0,
            check_responses: true,
            fixtures: FixtureSource::Dir(self.0.clone()),
            ..EngineConfig::default()
        }
    }
}

impl Drop for FixtureDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The (file, entry, message) of the one startup error `alumio` causes.
fn startup_error(name: &str, alumio: &str) -> (String, String, String) {
    let dir = FixtureDir::new(name, alumio);
    let failures =
        match understudy::Engine::load(&understudy::document::load::bundled(), dir.config()) {
            Ok(_) => panic!("the fixture was accepted:\n{alumio}"),
            Err(failures) => failures,
        };
    let problems: Vec<_> = failures.iter().flat_map(|f| f.problems.iter()).collect();
    assert_eq!(problems.len(), 1, "one problem: {problems:?}");
    let p = problems[0];
    (p.file.clone(), p.pointer.clone(), p.message.clone())
}

/// Checks that `alumio` fails startup at `entry` of `alumio.yaml`, with a message containing
/// `says`.
fn assert_refused(name: &str, alumio: &str, entry: &str, says: &str) {
    let (file, at, message) = startup_error(name, alumio);
    assert!(file.ends_with("alumio.yaml"), "names the file: {file}");
    assert_eq!(at, entry, "names the entry: {message}");
    assert!(message.contains(says), "`{says}` in: {message}");
}

const LICENCE: &str = "licence: {workers: 4, workersPerSpace: 3}\n";

#[test]
fn a_fixture_folder_gives_alumio_its_licence_and_spaces() {
    let text = format!(
        "{LICENCE}spaces:\n  - identifier: default\n    workers: 1\n  - identifier: crm\n    \
         workers: 3\n    users: [{{email: a@example.com, roles: [ROLE_EDITOR]}}]\n"
    );
    let dir = FixtureDir::new("valid", &text);
    let server = Server::start(understudy::document::load::bundled(), dir.config());
    let reply = server
        .post(ALLOCATE)
        .json(json!({"spaceWorkers": []}))
        .send();
    reply.expect(201);
    assert_eq!(
        reply.json(),
        json!({"workers": 4, "workersPerSpace": 3,
               "spaceWorkers": [entry("default", 1), entry("crm", 3)]})
    );
    // The licence is full: one more worker anywhere is refused.
    let reply = server
        .post(ALLOCATE)
        .json(json!({"spaceWorkers": [entry("default", 2)]}))
        .send();
    unprocessable(&reply);
}

#[test]
fn a_space_identifier_outside_the_pattern_fails_startup_naming_it() {
    let text = format!("{LICENCE}spaces:\n  - identifier: default\n  - identifier: Webshop_Sync\n");
    assert_refused("pattern", &text, "spaces[1].identifier", "Webshop_Sync");
}

#[test]
fn a_fixture_without_a_default_space_fails_startup() {
    let text = format!("{LICENCE}spaces:\n  - identifier: crm\n");
    assert_refused("no-default", &text, "spaces", "default");
}

#[test]
fn a_space_listed_twice_fails_startup_naming_the_later_one() {
    let text = format!(
        "{LICENCE}spaces:\n  - identifier: default\n  - identifier: crm\n  - identifier: crm\n"
    );
    assert_refused("repeated-space", &text, "spaces[2].identifier", "crm");
}

#[test]
fn an_invalid_email_fails_startup_naming_the_user() {
    let text = format!(
        "{LICENCE}spaces:\n  - identifier: default\n    users:\n      - {{email: a@example.com, \
         roles: [ROLE_USER]}}\n      - {{email: not-an-email, roles: [ROLE_USER]}}\n"
    );
    assert_refused("email", &text, "spaces[0].users[1].email", "not-an-email");
}

#[test]
fn an_email_twice_in_one_space_in_any_case_fails_startup() {
    let text = format!(
        "{LICENCE}spaces:\n  - identifier: default\n    users:\n      - {{email: a@example.com, \
         roles: [ROLE_USER]}}\n      - {{email: A@Example.com, roles: [ROLE_EDITOR]}}\n"
    );
    assert_refused(
        "email-twice",
        &text,
        "spaces[0].users[1].email",
        "A@Example.com",
    );
}

#[test]
fn an_unknown_role_fails_startup_naming_the_role() {
    let text = format!(
        "{LICENCE}spaces:\n  - identifier: default\n    users:\n      - {{email: a@example.com, \
         roles: [ROLE_OWNER]}}\n"
    );
    assert_refused("role", &text, "spaces[0].users[0].roles[0]", "ROLE_OWNER");
}

#[test]
fn a_user_without_roles_fails_startup() {
    let text = format!(
        "{LICENCE}spaces:\n  - identifier: default\n    users:\n      - {{email: a@example.com, \
         roles: []}}\n"
    );
    assert_refused(
        "no-roles",
        &text,
        "spaces[0].users[0].roles",
        "at least one role",
    );
}

#[test]
fn a_space_above_workers_per_space_fails_startup() {
    let text =
        format!("{LICENCE}spaces:\n  - identifier: default\n  - identifier: crm\n    workers: 4\n");
    assert_refused(
        "per-space",
        &text,
        "spaces[1].workers",
        "workersPerSpace (3)",
    );
}

#[test]
fn spaces_above_the_licence_together_fail_startup() {
    let text = format!(
        "{LICENCE}spaces:\n  - identifier: default\n    workers: 3\n  - identifier: crm\n    \
         workers: 2\n"
    );
    assert_refused("total", &text, "spaces", "add up to 5");
}

#[test]
fn an_api_key_of_an_unknown_user_fails_startup() {
    let text = format!(
        "{LICENCE}spaces:\n  - identifier: default\n    users: [{{email: a@example.com, roles: \
         [ROLE_USER]}}]\napiKeys:\n  - {{token: k1, user: ghost@example.com}}\n"
    );
    assert_refused("key-user", &text, "apiKeys[0].user", "ghost@example.com");
}

#[test]
fn an_api_key_listed_twice_fails_startup() {
    let text = format!(
        "{LICENCE}spaces:\n  - identifier: default\n    users: [{{email: a@example.com, roles: \
         [ROLE_USER]}}]\napiKeys:\n  - {{token: k1, user: a@example.com}}\n  - {{token: k1, \
         user: a@example.com}}\n"
    );
    assert_refused("key-twice", &text, "apiKeys[1].token", "earlier entry");
}

#[test]
fn a_misspelt_member_fails_startup_naming_it() {
    let text = "licence: {workers: 4, workersPerSpace: 3}\nspaces:\n  - identifier: default\n    \
                worker: 1\n";
    let (file, _, message) = startup_error("typo", text);
    assert!(file.ends_with("alumio.yaml"), "{file}");
    assert!(message.contains("worker"), "{message}");
}
