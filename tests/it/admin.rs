//! The control API under `/__admin/`: the journal, sessions, and its own errors. (Resetting a
//! world is tested with each API's behaviour, where there is a world to change.)

use serde_json::json;

use crate::harness::*;
use crate::running::Running;

/// Jane's token in the bundled GitBook fixtures.
const GITBOOK_TOKEN: &str = "gb_api_jAnEdOe0aDm1nAcMe0t0kEn";

fn journal(s: &Server, session: Option<&str>) -> Vec<serde_json::Value> {
    let mut req = s.get("/__admin/requests");
    if let Some(name) = session {
        req = req.header("X-Understudy-Session", name);
    }
    let r = req.send();
    r.expect(200);
    r.json()["requests"].as_array().cloned().unwrap_or_default()
}

#[test]
fn the_journal_lists_requests_newest_last_with_operation_status_and_violations() {
    let s = Server::bundled();
    s.get("/v1/spaces/sPaCe4Docs01/permissions/users?limit=abc")
        .bearer(GITBOOK_TOKEN)
        .send()
        .expect(400);
    s.post("/api/v1/spaces/default/assign_users")
        .json(json!({"users": []}))
        .send();
    s.get("/nowhere").send().expect(404);
    let entries = journal(&s, None);
    assert_eq!(entries.len(), 3, "{entries:#?}");
    assert_eq!(
        entries[0]["operationId"],
        json!("listUserPermissionsInSpace")
    );
    assert_eq!(entries[0]["status"], json!(400));
    assert_eq!(entries[0]["violations"][0]["path"], json!("query.limit"));
    assert_eq!(entries[1]["operationId"], json!("assignSpaceUsers"));
    assert_eq!(entries[2]["path"], json!("/nowhere"));
    assert_eq!(entries[2]["operationId"], json!(null));
    assert_eq!(entries[2]["status"], json!(404));
}

#[test]
fn clearing_the_journal_empties_it_and_control_requests_are_not_journaled() {
    let s = Server::bundled();
    s.get("/nowhere").send();
    s.delete("/__admin/requests").send().expect(204);
    assert!(journal(&s, None).is_empty());
}

#[test]
fn each_session_has_its_own_journal() {
    let s = Server::bundled();
    s.get("/nowhere")
        .header("X-Understudy-Session", "ci-a")
        .send();
    s.get("/elsewhere")
        .header("X-Understudy-Session", "ci-b")
        .send();
    s.get("/elsewhere")
        .header("X-Understudy-Session", "ci-b")
        .send();
    assert_eq!(journal(&s, Some("ci-a")).len(), 1);
    assert_eq!(journal(&s, Some("ci-b")).len(), 2);
    assert!(journal(&s, None).is_empty());
}

#[test]
fn the_state_names_the_session_and_every_served_api() {
    let s = Server::bundled();
    let r = s
        .get("/__admin/state")
        .header("X-Understudy-Session", "x")
        .send();
    r.expect(200);
    let body = r.json();
    assert_eq!(body["session"], json!("x"));
    assert_eq!(keys(&body["apis"]), ["alumio", "arize", "gitbook"]);
}

#[test]
fn unknown_control_endpoints_and_methods_are_problems() {
    let s = Server::bundled();
    let r = s.get("/__admin/nope").send();
    r.expect(404);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("/__admin/reset")
    );
    let r = s.get("/__admin/reset").send();
    r.expect(405);
    assert_eq!(r.header("allow"), Some("POST"));
    let r = s.request("PUT", "/__admin/requests").send();
    r.expect(405);
    assert_eq!(r.header("allow"), Some("GET, DELETE"));
}

#[test]
fn a_session_name_that_is_not_visible_ascii_is_a_400() {
    let s = Server::bundled();
    let r = s
        .get("/v1/spaces/space1/permissions/users")
        .bearer("t")
        .header("X-Understudy-Session", &"x".repeat(200))
        .send();
    r.expect(400);
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("X-Understudy-Session")
    );
}

#[test]
fn resetting_a_session_answers_204() {
    let s = Server::bundled();
    s.post("/__admin/reset")
        .header("X-Understudy-Session", "fresh")
        .send()
        .expect(204);
}

#[test]
fn the_journal_shows_the_violations_of_a_domain_error() {
    let s = Server::bundled();
    let over_the_limit = json!({"spaceWorkers": [{"spaceIdentifier": "default", "workers": 9}]});
    let r = s
        .post("/api/v1/space_workers/allocation")
        .json(over_the_limit)
        .send();
    assert_eq!(r.status / 100, 4, "{}", r.text());
    let entries = journal(&s, None);
    let violations = entries[0]["violations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        violations
            .iter()
            .any(|v| v["path"] == json!("spaceWorkers[0].workers")),
        "{entries:#?}"
    );
}

// --- who may reach the control API ---------------------------------------------------------

use understudy::EngineConfig;
use understudy::mock::access::{AccessConfig, Cors};

const DOCS_USERS: &str = "/v1/spaces/sPaCe4Docs01/permissions/users";
const NOTES_INVITE: &str = "/v1/spaces/sPaCeNotes03/permissions";
const IVAN: &str = "SXZhbk9ybG92";

/// The bundled documents with this access configuration.
fn with_access(access: AccessConfig) -> Server {
    Server::start(
        understudy::document::load::bundled(),
        EngineConfig {
            check_responses: true,
            access,
            ..EngineConfig::default()
        },
    )
}

/// Invites Ivan to Release notes in `session`: a write to look for afterwards.
fn invite_ivan(s: &Server, session: &str) {
    s.post(NOTES_INVITE)
        .bearer(GITBOOK_TOKEN)
        .header("X-Understudy-Session", session)
        .json(json!({"role": "read", "users": [IVAN]}))
        .send()
        .expect(204);
}

/// How many users Release notes has in `session`.
fn notes_users(s: &Server, session: &str) -> usize {
    let r = s
        .get("/v1/spaces/sPaCeNotes03/permissions/users")
        .bearer(GITBOOK_TOKEN)
        .header("X-Understudy-Session", session)
        .send();
    r.expect(200);
    r.json()["items"].as_array().map_or(0, Vec::len)
}

fn no_cors(r: &Reply) {
    for name in [
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
    ] {
        assert_eq!(r.header(name), None, "{name} on {r:?}");
    }
}

#[test]
fn a_web_page_of_another_origin_can_neither_read_nor_reset_the_control_api() {
    let s = Server::bundled();
    invite_ivan(&s, "victim");
    let evil = "http://evil.test";
    let r = s
        .get("/__admin/state")
        .header("Origin", evil)
        .header("X-Understudy-Session", "victim")
        .send();
    r.expect(403);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert!(
        !r.text().contains("gb_api_"),
        "no token leaks: {}",
        r.text()
    );
    no_cors(&r);
    // A browser sends this POST without a preflight: it must change nothing.
    for (method, path) in [
        ("POST", "/__admin/reset"),
        ("DELETE", "/__admin/requests"),
        ("DELETE", "/__admin/sessions"),
        ("DELETE", "/__admin/sessions/victim"),
        ("OPTIONS", "/__admin/reset"),
    ] {
        let r = s
            .request(method, path)
            .header("Origin", evil)
            .header("Access-Control-Request-Method", "POST")
            .header("X-Understudy-Session", "victim")
            .send();
        r.expect(403);
        no_cors(&r);
    }
    assert_eq!(notes_users(&s, "victim"), 1, "the session's world survived");
    // A page on this very server (same scheme, host and port) is the local user's.
    let own = format!("http://{}", s.addr);
    let r = s.get("/__admin/state").header("Origin", &own).send();
    r.expect(200);
    no_cors(&r);
    // The APIs still answer browsers of any origin, as before.
    let r = s
        .get(DOCS_USERS)
        .bearer(GITBOOK_TOKEN)
        .header("Origin", evil)
        .send();
    r.expect(200);
    assert_eq!(r.header("access-control-allow-origin"), Some(evil));
}

#[test]
fn a_host_name_that_is_not_this_server_s_is_a_421_on_the_control_api_and_the_apis() {
    let s = Server::bundled();
    let port = s.addr.port();
    // DNS rebinding: the browser names the attacker's host, the request reaches 127.0.0.1.
    let rebound = format!("rebind.evil.test:{port}");
    let r = s.get("/__admin/state").host(&rebound).send();
    r.expect(421);
    assert!(r.text().contains("rebind.evil.test"), "{}", r.text());
    let r = s.post("/__admin/reset").host(&rebound).send();
    r.expect(421);
    let r = s
        .get(DOCS_USERS)
        .bearer(GITBOOK_TOKEN)
        .host(&rebound)
        .send();
    r.expect(421);
    no_cors(&r);
    // GitBook's own error format, since the path is GitBook's.
    assert_eq!(r.json()["error"]["code"], json!(421));
    assert!(
        journal(&s, None).is_empty(),
        "a refused host touches no session"
    );
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("app.localhost:{port}"),
    ] {
        s.get("/__admin/state").host(&host).send().expect(200);
        s.get(DOCS_USERS)
            .bearer(GITBOOK_TOKEN)
            .host(&host)
            .send()
            .expect(200);
    }
}

#[test]
fn names_given_with_allow_host_are_answered() {
    let s = with_access(AccessConfig {
        allowed_hosts: vec!["mock.internal".into()],
        ..AccessConfig::default()
    });
    s.get("/__admin/state")
        .host("mock.internal:4010")
        .send()
        .expect(200);
    s.get("/__admin/state")
        .host("other.internal:4010")
        .send()
        .expect(421);
}

#[test]
fn with_an_admin_token_the_control_api_needs_it_and_the_apis_do_not() {
    let s = with_access(AccessConfig {
        admin_token: Some("l0cal-0nly".into()),
        ..AccessConfig::default()
    });
    let r = s.get("/__admin/state").send();
    r.expect(401);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer realm=\"understudy control API\"")
    );
    s.get("/__admin/state").bearer("wrong").send().expect(401);
    let r = s.post("/__admin/reset").bearer("l0cal-0nly").send();
    r.expect(204);
    s.get("/__admin/state")
        .bearer("l0cal-0nly")
        .send()
        .expect(200);
    s.get(DOCS_USERS).bearer(GITBOOK_TOKEN).send().expect(200);
}

#[test]
fn cors_can_be_turned_off_or_limited_to_some_origins() {
    let preflight = |s: &Server, origin: &str| {
        s.request("OPTIONS", DOCS_USERS)
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .send()
    };
    let off = with_access(AccessConfig {
        cors: Cors::Off,
        ..AccessConfig::default()
    });
    let r = off
        .get(DOCS_USERS)
        .bearer(GITBOOK_TOKEN)
        .header("Origin", "http://localhost:3000")
        .send();
    r.expect(200);
    no_cors(&r);
    let r = preflight(&off, "http://localhost:3000");
    r.expect(204);
    no_cors(&r);

    let some = with_access(AccessConfig {
        cors: "http://localhost:3000".parse().expect("an origin"),
        ..AccessConfig::default()
    });
    let r = preflight(&some, "http://localhost:3000");
    r.expect(204);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    assert!(r.header("access-control-allow-methods").is_some());
    let r = preflight(&some, "http://evil.test");
    r.expect(204);
    no_cors(&r);
    let r = some
        .get(DOCS_USERS)
        .bearer(GITBOOK_TOKEN)
        .header("Origin", "http://evil.test")
        .send();
    r.expect(200);
    no_cors(&r);
}

// --- sessions ------------------------------------------------------------------------------

/// The names `GET /__admin/sessions` lists, the default session's `""` first.
fn session_names(s: &Server) -> Vec<String> {
    let r = s.get("/__admin/sessions").send();
    r.expect(200);
    r.json()["sessions"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|v| v["name"].as_str().unwrap_or("?").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn past_max_sessions_a_new_name_takes_the_place_of_the_session_idle_the_longest() {
    let s = Server::start(
        understudy::document::load::bundled(),
        EngineConfig {
            check_responses: true,
            max_sessions: 3,
            ..EngineConfig::default()
        },
    );
    let pause = || std::thread::sleep(std::time::Duration::from_millis(5));
    for name in ["a", "b", "c"] {
        invite_ivan(&s, name);
        pause();
    }
    // `a` is used again: `b` is now the one idle the longest.
    assert_eq!(notes_users(&s, "a"), 1);
    pause();
    invite_ivan(&s, "d");
    assert_eq!(session_names(&s), ["", "a", "c", "d"]);
    // Never a 429: every new name is served, the bound holds.
    for i in 0..20 {
        let name = format!("n{i}");
        assert_eq!(notes_users(&s, &name), 0, "{name} starts from the fixtures");
    }
    assert_eq!(session_names(&s).len(), 4);
    // `b` comes back as a new session, from the fixtures.
    assert_eq!(notes_users(&s, "b"), 0);
}

#[test]
fn sessions_are_listed_with_their_last_use_and_can_be_dropped_one_or_all() {
    let s = Server::bundled();
    invite_ivan(&s, "ci-job-1");
    invite_ivan(&s, "ci-job/2");
    let r = s.get("/__admin/sessions").send();
    r.expect(200);
    let body = r.json();
    assert_eq!(body["maxSessions"], json!(1024));
    assert_eq!(body["named"], json!(2));
    let listed = body["sessions"].as_array().cloned().unwrap_or_default();
    assert_eq!(listed.len(), 3, "{body}");
    assert_eq!(listed[0]["default"], json!(true));
    for session in &listed {
        let last = session["lastUsed"].as_str().unwrap_or_default();
        // RFC 3339 in UTC, to the millisecond: 2026-12-06T13:02:08.123Z
        assert_eq!(last.len(), 24, "{session}");
        assert!(
            last.ends_with('Z') && last.as_bytes()[10] == b'T',
            "{session}"
        );
        assert!(session["idleMs"].is_u64(), "{session}");
    }
    assert_eq!(listed[2]["name"], json!("ci-job/2"));
    assert_eq!(listed[2]["requests"], json!(1));
    // One by name (percent-encoded as any path), then it is gone.
    s.delete("/__admin/sessions/ci%20job").send().expect(400);
    s.delete("/__admin/sessions/ci-job%2F2").send().expect(204);
    s.delete("/__admin/sessions/ci-job-1").send().expect(204);
    s.delete("/__admin/sessions/ci-job-1").send().expect(404);
    assert_eq!(
        notes_users(&s, "ci-job-1"),
        0,
        "a dropped session starts afresh"
    );
    // The default session is reset, never dropped; a missing name is not "all".
    s.delete("/__admin/sessions/").send().expect(400);
    let r = s.get("/__admin/sessions/ci-job-1").send();
    r.expect(405);
    assert_eq!(r.header("allow"), Some("DELETE"));
    s.delete("/__admin/sessions").send().expect(204);
    assert_eq!(session_names(&s), [""]);
}

/// One request to the server at `addr`, by hand: the binary is not a harness `Server`.
fn raw_get(addr: &str, path: &str, headers: &str) -> Reply {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect to the binary");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .ok();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}\r\n");
    stream.write_all(request.as_bytes()).expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    Reply::parse(&raw, "GET")
}

#[test]
fn the_binary_takes_the_admin_token_from_the_environment_and_max_sessions_from_its_flag() {
    let running = Running::start(
        &["serve", "--port", "0", "--max-sessions", "2"],
        &[("UNDERSTUDY_ADMIN_TOKEN", "fr0m-the-env")],
    );
    let addr = running.addr.clone();
    let without = raw_get(&addr, "/__admin/sessions", "");
    let with = raw_get(
        &addr,
        "/__admin/sessions",
        "Authorization: Bearer fr0m-the-env\r\n",
    );
    drop(running);
    without.expect(401);
    with.expect(200);
    assert_eq!(with.json()["maxSessions"], json!(2));
}
