//! The library face, as a user's test uses it: `understudy::MockServer` started in-process,
//! blocking and async, its journal, reset and sessions, and its stop on drop.

use std::net::TcpStream;

use serde_json::json;
use understudy::{MockServer, StartError, Stub};

use crate::harness::request_to;

const USERS: &str = "/v1/spaces/sPaCeNotes03/permissions/users";
const INVITE: &str = "/v1/spaces/sPaCeNotes03/permissions";
const TOKEN: &str = "gb_api_jAnEdOe0aDm1nAcMe0t0kEn";
const CAROL: &str = "Q2Fyb2xMZWU";

fn invite_carol(server: &MockServer, session: Option<&str>) {
    let mut req = request_to(server.address(), "POST", INVITE)
        .bearer(TOKEN)
        .json(json!({"role": "edit", "users": [CAROL]}));
    if let Some(name) = session {
        req = req.header("X-Understudy-Session", name);
    }
    req.send().expect(204);
}

fn members(server: &MockServer, session: Option<&str>) -> usize {
    let mut req = request_to(server.address(), "GET", USERS).bearer(TOKEN);
    if let Some(name) = session {
        req = req.header("X-Understudy-Session", name);
    }
    let reply = req.send();
    reply.expect(200);
    reply.json()["items"].as_array().map_or(0, Vec::len)
}

#[test]
fn a_blocking_server_serves_the_bundled_documents_and_journals_what_it_received() {
    let server = MockServer::builder().start_blocking().unwrap();
    assert!(server.uri().starts_with("http://127.0.0.1:"));
    assert_eq!(members(&server, None), 0);
    request_to(
        server.address(),
        "GET",
        "/v1/spaces/sPaCeNotes03/permissions/users?limit=nope",
    )
    .bearer(TOKEN)
    .send()
    .expect(400);

    let received = server.requests();
    assert_eq!(received.len(), 2, "{received:?}");
    assert!(received[0].is("get", "listUserPermissionsInSpace"));
    assert_eq!(received[0].status, 200);
    assert_eq!(received[1].query.as_deref(), Some("limit=nope"));
    assert_eq!(received[1].status, 400);
    assert_eq!(received[1].violations[0].path, "query.limit");
}

#[test]
fn reset_brings_the_world_back_to_the_fixtures_and_empties_the_journal() {
    let server = MockServer::builder().start_blocking().unwrap();
    invite_carol(&server, None);
    assert_eq!(members(&server, None), 1);

    server.reset();
    assert!(server.requests().is_empty());
    assert_eq!(members(&server, None), 0, "the invite is gone");
}

#[test]
fn sessions_keep_their_worlds_and_journals_apart() {
    let server = MockServer::builder().start_blocking().unwrap();
    let a = server.session("test-a");
    invite_carol(&server, Some("test-a"));
    assert_eq!(members(&server, Some("test-a")), 1);
    assert_eq!(members(&server, None), 0);

    assert_eq!(a.header(), ("X-Understudy-Session", "test-a"));
    assert_eq!(a.requests().len(), 2);
    assert_eq!(
        server.requests().len(),
        1,
        "only the default session's list"
    );
    a.reset();
    assert_eq!(members(&server, Some("test-a")), 0);
}

/// The server runs on its own thread: a blocking client called from a test on a
/// single-threaded runtime is still answered (a server spawned on that runtime would starve).
#[tokio::test(flavor = "current_thread")]
async fn an_async_start_serves_a_blocking_client_on_a_single_threaded_runtime() {
    let server = MockServer::builder().seed(3).start().await.unwrap();
    assert_eq!(members(&server, None), 0);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_document_given_as_text_is_served() {
    let doc = "openapi: 3.1.0\ninfo: {title: Things, version: '1'}\npaths:\n  /things:\n    get:\n      operationId: listThings\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {type: array, items: {type: string}}\n";
    let server = MockServer::builder().spec(doc).start_blocking().unwrap();
    let reply = request_to(server.address(), "GET", "/things").send();
    reply.expect(200);
    assert!(reply.json().is_array());
    assert!(server.requests()[0].is("GET", "listThings"));
}

#[test]
fn a_document_that_cannot_be_served_is_an_error_naming_its_problem() {
    let doc = "openapi: 3.1.0\ninfo: {title: Broken, version: '1'}\npaths:\n  /things:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/Missing'}\n";
    let failed = MockServer::builder().spec(doc).start_blocking();
    match failed {
        Err(StartError::Load(problems)) => assert!(problems.contains("Missing"), "{problems}"),
        Err(other) => panic!("another error: {other}"),
        Ok(_) => panic!("a document with a dangling $ref was served"),
    }
}

#[test]
fn a_missing_file_is_an_error_naming_the_file() {
    let failed = MockServer::builder()
        .spec("no/such/api.yaml")
        .start_blocking();
    let Err(StartError::Load(problems)) = failed else {
        panic!("a missing file did not fail the start");
    };
    assert!(problems.contains("no/such/api.yaml"), "{problems}");
}

#[test]
fn dropping_the_handle_stops_the_server() {
    let server = MockServer::builder().start_blocking().unwrap();
    let addr = server.address();
    assert!(TcpStream::connect(addr).is_ok());
    drop(server);
    assert!(
        TcpStream::connect(addr).is_err(),
        "still listening on {addr} after the handle was dropped"
    );
}

const NOT_FOUND: &str = "Not found, as the stub says";

fn not_found() -> serde_json::Value {
    json!({"error": {"code": 404, "message": NOT_FOUND}})
}

#[test]
fn a_stub_answers_its_times_then_the_mock_answers_again() {
    let server = MockServer::builder().start_blocking().unwrap();
    let id = server
        .stub(
            Stub::on("GET", "/v1/spaces/{spaceId}/permissions/users")
                .status(404)
                .body(not_found())
                .times(2),
        )
        .unwrap();
    for _ in 0..2 {
        let reply = request_to(server.address(), "GET", USERS)
            .bearer(TOKEN)
            .send();
        reply.expect(404);
        assert_eq!(reply.json()["error"]["message"], NOT_FOUND);
    }
    assert_eq!(members(&server, None), 0, "the third is the mock's own 200");

    let received = server.requests();
    assert_eq!(received[0].stub.as_deref(), Some(id.as_str()));
    assert_eq!(received[2].stub, None);
    assert_eq!(server.stubs()[0]["matched"], 2);
}

#[test]
fn a_stub_that_breaks_the_spec_is_refused_with_its_violations() {
    let server = MockServer::builder().start_blocking().unwrap();
    let refused = server
        .stub(Stub::operation("listUserPermissionsInSpace").body(json!({"items": "nope"})))
        .unwrap_err();
    assert_eq!(refused.status, 400);
    assert!(
        refused.violations.iter().any(|v| v.contains("items")),
        "{refused}"
    );
    assert!(server.stubs().is_empty());
}

#[test]
fn a_scenario_fails_twice_then_succeeds() {
    let server = MockServer::builder().start_blocking().unwrap();
    let failing = |from: &str, to: &str| {
        Stub::operation("listUserPermissionsInSpace")
            .status(404)
            .body(not_found())
            .in_scenario("flaky", from, Some(to))
    };
    server.stub(failing("started", "failed-once")).unwrap();
    server.stub(failing("failed-once", "recovered")).unwrap();

    let statuses: Vec<u16> = (0..3)
        .map(|_| {
            request_to(server.address(), "GET", USERS)
                .bearer(TOKEN)
                .send()
                .status
        })
        .collect();
    assert_eq!(statuses, [404, 404, 200]);
    assert_eq!(server.session("").scenario("flaky"), "recovered");
}

#[test]
fn reset_drops_the_stubs_and_a_session_has_its_own() {
    let server = MockServer::builder().start_blocking().unwrap();
    let a = server.session("test-a");
    a.stub(
        Stub::operation("listUserPermissionsInSpace")
            .status(404)
            .body(not_found()),
    )
    .unwrap();
    assert!(server.stubs().is_empty(), "the default session has none");
    assert_eq!(members(&server, None), 0);
    let reply = request_to(server.address(), "GET", USERS)
        .bearer(TOKEN)
        .header("X-Understudy-Session", "test-a")
        .send();
    reply.expect(404);

    a.reset();
    assert!(a.stubs().is_empty());
    assert_eq!(
        members(&server, Some("test-a")),
        0,
        "answered by the mock again"
    );
}

#[test]
fn a_stub_given_as_the_control_apis_json_is_the_same_stub() {
    let server = MockServer::builder().start_blocking().unwrap();
    let raw = json!({
        "match": {"method": "GET", "path": USERS},
        "answer": {"status": 404, "body": not_found()},
        "priority": 1
    });
    server.stub(raw).unwrap();
    let listed = &server.stubs()[0];
    assert_eq!(listed["priority"], 1);
    assert_eq!(listed["match"]["path"], USERS);
}
