//! The client's tests, written as a user of understudy writes them: one `MockServer` per
//! test, started from the bundled GitBook document (a user passes their own with
//! `.spec("openapi.yaml")`), stubs for the answers the test needs, and the journal to assert
//! on what the client sent.

use std::time::Duration;

use spaces_client::{Error, Member, Spaces};
use understudy::{Fault, MockServer, Stub};

const TOKEN: &str = "gb_api_jAnEdOe0aDm1nAcMe0t0kEn";
const EMPTY_SPACE: &str = "sPaCeNotes03";
const CAROL: &str = "Q2Fyb2xMZWU";

fn client(server: &MockServer) -> Spaces {
    Spaces::new(&server.uri(), TOKEN, Duration::from_secs(5))
}

#[test]
fn an_invited_user_is_listed_with_their_role() {
    let server = MockServer::builder().start_blocking().unwrap();
    let spaces = client(&server);

    spaces.invite(EMPTY_SPACE, "edit", &[CAROL]).unwrap();

    let members = spaces.members(EMPTY_SPACE).unwrap();
    assert_eq!(
        members,
        [Member {
            id: CAROL.to_owned(),
            role: "edit".to_owned()
        }]
    );
    let invites = server
        .requests()
        .into_iter()
        .filter(|r| r.is("POST", "inviteToSpace"))
        .count();
    assert_eq!(invites, 1, "the client invites exactly once");
}

#[test]
fn an_invite_the_api_refuses_comes_back_as_its_error() {
    let server = MockServer::builder().start_blocking().unwrap();
    let refused = client(&server).invite(EMPTY_SPACE, "boss", &[CAROL]);
    match refused {
        Err(Error::Status(400, body)) => assert!(body.contains("role"), "{body}"),
        other => panic!("expected GitBook's 400, got {other:?}"),
    }
}

#[test]
fn the_client_retries_a_dropped_connection_twice() {
    let server = MockServer::builder().start_blocking().unwrap();
    // Two dropped connections in a row, then the mock's own answer.
    for (from, to) in [
        ("started", "dropped-once"),
        ("dropped-once", "dropped-twice"),
    ] {
        server
            .stub(
                Stub::operation("listUserPermissionsInSpace")
                    .fault(Fault::Reset)
                    .in_scenario("flaky", from, Some(to)),
            )
            .unwrap();
    }

    let members = client(&server).members(EMPTY_SPACE).unwrap();

    assert!(members.is_empty());
    assert_eq!(server.requests().len(), 3, "two dropped, one answered");
}

#[test]
fn a_slow_answer_trips_the_clients_timeout() {
    let server = MockServer::builder().start_blocking().unwrap();
    server
        .stub(Stub::operation("listUserPermissionsInSpace").delay(Duration::from_secs(3)))
        .unwrap();
    let impatient = Spaces::new(&server.uri(), TOKEN, Duration::from_millis(200));

    let late = impatient.members(EMPTY_SPACE);

    assert!(matches!(late, Err(Error::Transport(_))), "{late:?}");
}

#[test]
fn an_answer_the_api_declares_can_be_forced() {
    let server = MockServer::builder().start_blocking().unwrap();
    server
        .stub(
            Stub::on("GET", "/v1/spaces/{spaceId}/permissions/users")
                .status(404)
                .body(serde_json::json!({"error": {"code": 404, "message": "No such space"}})),
        )
        .unwrap();

    let missing = client(&server).members(EMPTY_SPACE);

    assert!(matches!(missing, Err(Error::Status(404, _))), "{missing:?}");
}
