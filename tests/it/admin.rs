//! The control API under `/__admin/`: the journal, sessions, and its own errors. (Resetting a
//! world is tested with each API's behaviour, where there is a world to change.)

use serde_json::json;

use crate::harness::*;

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
