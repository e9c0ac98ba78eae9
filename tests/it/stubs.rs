//! Stubs and scenarios through the control API (`/__admin/stubs`, `/__admin/scenarios`), end
//! to end over HTTP: what a stub matches, in which order, how many times; stubs whose answers
//! break the spec refused with their violations; scenarios ("fail twice, then succeed");
//! sessions kept apart; stubs and scenario states kept across a state-file restart.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use serde_json::{Value, json};
use understudy::{Engine, EngineConfig, MockRequest};

use crate::harness::*;

/// Jane's token in the bundled GitBook fixtures.
const TOKEN: &str = "gb_api_jAnEdOe0aDm1nAcMe0t0kEn";
const USERS: &str = "/v1/spaces/sPaCe4Docs01/permissions/users";
const USERS_TEMPLATE: &str = "/v1/spaces/{spaceId}/permissions/users";

fn add(s: &Server, stub: Value) -> Value {
    s.post("/__admin/stubs")
        .json(stub)
        .send()
        .expect(201)
        .json()
}

fn add_in(s: &Server, session: &str, stub: Value) -> Value {
    s.post("/__admin/stubs")
        .header("X-Understudy-Session", session)
        .json(stub)
        .send()
        .expect(201)
        .json()
}

fn users(s: &Server) -> Reply {
    s.get(USERS).bearer(TOKEN).send()
}

fn users_in(s: &Server, session: &str) -> Reply {
    s.get(USERS)
        .bearer(TOKEN)
        .header("X-Understudy-Session", session)
        .send()
}

/// The 404 the GitBook list declares (its body the spec's), twice.
fn missing_twice() -> Value {
    json!({"match": {"method": "GET", "path": USERS_TEMPLATE}, "answer": {"status": 404}, "times": 2})
}

#[test]
fn a_stub_answers_its_operation_times_times_then_the_mock_answers_again() {
    let s = Server::bundled();
    let made = add(&s, missing_twice());
    assert_eq!(made["id"], "stub-1", "{made}");
    assert_eq!(made["remaining"], 2);
    for _ in 0..2 {
        let r = users(&s);
        r.expect(404);
        assert!(r.json().is_object(), "the spec's 404 body: {}", r.text());
    }
    users(&s).expect(200);
    let listed = s.get("/__admin/stubs").send().expect(200).json();
    let stub = &listed["stubs"][0];
    assert_eq!(
        (stub["matched"].clone(), stub["remaining"].clone()),
        (json!(2), json!(0))
    );
    let journal = s.get("/__admin/requests").send().expect(200).json();
    let stubs: Vec<Value> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.get("stub").cloned().unwrap_or(Value::Null))
        .collect();
    assert_eq!(stubs, [json!("stub-1"), json!("stub-1"), Value::Null]);
}

#[test]
fn a_stubbed_answer_leaves_the_world_as_it_is() {
    let s = Server::bundled();
    let path = "/v1/spaces/sPaCe4Docs01/permissions/users/u1x2Y3z4";
    add(
        &s,
        json!({"match": {"operationId": "updateUserPermissionInSpace"}, "answer": {"status": 204}}),
    );
    let before = s.get("/__admin/state").send().expect(200).json();
    s.patch(path)
        .bearer(TOKEN)
        .json(json!({"role": "read"}))
        .send()
        .expect(204);
    assert_eq!(s.get("/__admin/state").send().expect(200).json(), before);
}

#[test]
fn a_stub_whose_answer_breaks_the_spec_is_refused_with_its_violations() {
    let s = Server::bundled();
    let undeclared = s
        .post("/__admin/stubs")
        .json(json!({"match": {"method": "GET", "path": USERS}, "answer": {"status": 503}}))
        .send()
        .expect(400)
        .json();
    let violations = undeclared["violations"].to_string();
    assert!(violations.contains("503"), "{undeclared}");
    assert!(
        undeclared["detail"]
            .as_str()
            .unwrap()
            .contains("listUserPermissionsInSpace")
    );
    let no_items = s
        .post("/__admin/stubs")
        .json(json!({"match": {"method": "GET", "path": USERS},
                     "answer": {"status": 200, "body": {"count": 1}}}))
        .send()
        .expect(400)
        .json();
    let listed = no_items["violations"].as_array().expect("violations");
    assert!(listed.iter().any(|v| v["path"] == "items"), "{no_items}");
    // Nothing was added.
    let stubs = s.get("/__admin/stubs").send().expect(200).json();
    assert_eq!(stubs["stubs"], json!([]));
}

#[test]
fn allow_off_spec_stubs_takes_a_broken_answer_and_a_path_no_document_has() {
    let s = Server::start(
        understudy::document::load::bundled(),
        EngineConfig {
            allow_off_spec_stubs: true,
            ..EngineConfig::default()
        },
    );
    add(
        &s,
        json!({"match": {"method": "GET", "path": USERS}, "answer": {"status": 503}}),
    );
    users(&s).expect(503);
    add(
        &s,
        json!({"match": {"method": "GET", "path": "/health"}, "answer": {"body": {"ok": true}}}),
    );
    let health = s.get("/health").send();
    health.expect(200);
    assert_eq!(health.json(), json!({"ok": true}));
}

#[test]
fn a_stub_must_name_one_served_operation() {
    let s = Server::bundled();
    for (stub, says) in [
        (
            json!({"match": {"method": "GET", "path": "/v1/nothing"}}),
            "No served operation",
        ),
        (
            json!({"match": {"method": "DELETE", "path": USERS}}),
            "not for DELETE",
        ),
        (
            json!({"match": {"operationId": "noSuchThing"}}),
            "noSuchThing",
        ),
        (json!({"match": {"path": USERS}}), "names no operation"),
        (
            json!({"match": {"method": "GET", "path": USERS}, "answr": {}}),
            "answr",
        ),
        (
            json!({"match": {"method": "GET", "path": USERS}, "times": 0}),
            "times",
        ),
        (
            json!({"match": {"method": "GET", "path": USERS}, "answer": {"fault": "boom"}}),
            "reset, empty",
        ),
        (
            json!({"match": {"method": "GET", "path": USERS}, "answer": {"example": "nope"}}),
            "firstPage",
        ),
    ] {
        let r = s.post("/__admin/stubs").json(stub.clone()).send();
        r.expect(400);
        assert!(
            r.json()["detail"].as_str().unwrap_or("").contains(says),
            "{stub}: {}",
            r.text()
        );
    }
}

#[test]
fn a_path_is_taken_with_or_without_the_mount_and_as_a_template() {
    let s = Server::bundled();
    // Without the /v1 mount, exact: only that space's list.
    add(
        &s,
        json!({"match": {"method": "GET", "path": "/spaces/sPaCe4Docs01/permissions/users"},
               "answer": {"status": 404}}),
    );
    users(&s).expect(404);
    // Another space is routed to the same operation but not matched by the exact path.
    s.get("/v1/spaces/other/permissions/users")
        .bearer(TOKEN)
        .send();
    let journal = s.get("/__admin/requests").send().expect(200).json();
    assert_eq!(journal["requests"][0]["stub"], "stub-1", "{journal}");
    assert_eq!(journal["requests"][1].get("stub"), None, "{journal}");
}

#[test]
fn query_headers_and_a_body_subset_must_all_match() {
    let s = Server::bundled();
    add(
        &s,
        json!({"match": {"method": "GET", "path": USERS_TEMPLATE,
                         "query": {"limit": 2}, "headers": {"X-Trace": "on"}},
               "answer": {"status": 404}}),
    );
    users(&s).expect(200);
    s.get(&format!("{USERS}?limit=2"))
        .bearer(TOKEN)
        .send()
        .expect(200);
    s.get(&format!("{USERS}?limit=2&page=x"))
        .bearer(TOKEN)
        .header("x-trace", "on")
        .send()
        .expect(404);
    let path = "/v1/spaces/sPaCe4Docs01/permissions/users/u1x2Y3z4";
    add(
        &s,
        json!({"match": {"method": "PATCH", "path": "/v1/spaces/{spaceId}/permissions/users/{userId}",
                         "body": {"role": "admin"}},
               "answer": {"status": 404}}),
    );
    let patch = |role: &str| {
        s.patch(path)
            .bearer(TOKEN)
            .json(json!({"role": role}))
            .send()
    };
    patch("read").expect(204);
    patch("admin").expect(404);
}

#[test]
fn an_invalid_or_unauthenticated_request_gets_the_apis_error_not_the_stub() {
    let s = Server::bundled();
    add(
        &s,
        json!({"match": {"method": "GET", "path": USERS_TEMPLATE}, "answer": {"status": 404}}),
    );
    s.get(USERS).send().expect(401);
    s.get(&format!("{USERS}?limit=abc"))
        .bearer(TOKEN)
        .send()
        .expect(400);
    let listed = s.get("/__admin/stubs/stub-1").send().expect(200).json();
    assert_eq!(listed["matched"], 0);
}

#[test]
fn the_highest_priority_answers_and_the_newest_among_equals() {
    let s = Server::bundled();
    let low = json!({"match": {"method": "GET", "path": USERS}, "answer": {"status": 404}, "priority": 9});
    add(&s, low);
    add(
        &s,
        json!({"match": {"method": "GET", "path": USERS}, "answer": {"example": "lastPage"}}),
    );
    add(
        &s,
        json!({"match": {"method": "GET", "path": USERS}, "answer": {"example": "firstPage"}}),
    );
    let r = users(&s);
    r.expect(200);
    assert!(
        r.json()["next"].is_object(),
        "the newest (firstPage): {}",
        r.text()
    );
    s.delete("/__admin/stubs/stub-3").send().expect(204);
    assert!(users(&s).json().get("next").is_none(), "then lastPage");
    s.delete("/__admin/stubs/stub-2").send().expect(204);
    users(&s).expect(404);
    s.delete("/__admin/stubs/stub-2").send().expect(404);
    s.delete("/__admin/stubs").send().expect(204);
    users(&s).expect(200);
}

#[test]
fn example_generated_and_given_headers_make_the_answer() {
    let s = Server::docs(&["petstore.yaml"]);
    let made = add(
        &s,
        json!({"id": "pets-generated", "match": {"operationId": "listPets"},
               "answer": {"generated": true, "headers": {"x-next": "/v1/pets?page=2"}}}),
    );
    assert_eq!(made["id"], "pets-generated");
    let r = s.get("/v1/pets").send();
    r.expect(200);
    assert_eq!(r.header("x-next"), Some("/v1/pets?page=2"));
    assert!(r.json().is_array(), "{}", r.text());
    s.post("/__admin/stubs")
        .json(json!({"id": "pets-generated", "match": {"operationId": "listPets"}}))
        .send()
        .expect(409);
}

#[test]
fn fail_twice_then_succeed_with_a_scenario() {
    let s = Server::bundled();
    add(
        &s,
        json!({"match": {"method": "GET", "path": USERS}, "answer": {"status": 404},
               "scenario": "flaky", "requires": "started", "then": "failed-once"}),
    );
    add(
        &s,
        json!({"match": {"method": "GET", "path": USERS}, "answer": {"status": 404},
               "scenario": "flaky", "requires": "failed-once", "then": "recovered"}),
    );
    let statuses: Vec<u16> = (0..3).map(|_| users(&s).status).collect();
    assert_eq!(statuses, [404, 404, 200]);
    let listed = s.get("/__admin/scenarios").send().expect(200).json();
    assert_eq!(
        listed["scenarios"],
        json!([{"name": "flaky", "state": "recovered"}])
    );
    // Resetting the world puts the scenarios back, and keeps the stubs.
    s.post("/__admin/reset").send().expect(204);
    assert_eq!(users(&s).status, 404);
    s.request("PUT", "/__admin/scenarios/flaky")
        .json(json!({"state": "recovered"}))
        .send()
        .expect(200);
    users(&s).expect(200);
    s.post("/__admin/scenarios/reset").send().expect(204);
    users(&s).expect(404);
    s.request("PUT", "/__admin/scenarios/unknown")
        .json(json!({"state": "x"}))
        .send()
        .expect(404);
}

#[test]
fn stubs_and_scenarios_belong_to_their_session() {
    let s = Server::bundled();
    add_in(&s, "a", missing_twice());
    users_in(&s, "a").expect(404);
    users_in(&s, "b").expect(200);
    users(&s).expect(200);
    let b = s
        .get("/__admin/stubs")
        .header("X-Understudy-Session", "b")
        .send()
        .expect(200)
        .json();
    assert_eq!(b["stubs"], json!([]));
}

fn request(method: Method, path: &str, body: Option<Value>) -> MockRequest {
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_static("Bearer gb_api_jAnEdOe0aDm1nAcMe0t0kEn"),
    );
    headers.insert("x-understudy-session", HeaderValue::from_static("ci"));
    if body.is_some() {
        headers.insert("content-type", HeaderValue::from_static("application/json"));
    }
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (path.to_owned(), None),
    };
    MockRequest {
        method,
        path,
        query,
        headers,
        body: body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string())),
    }
}

fn engine() -> Arc<Engine> {
    let sources = understudy::document::load::bundled();
    Arc::new(Engine::load(&sources, EngineConfig::default()).expect("the bundled documents"))
}

#[test]
fn stubs_their_counts_and_scenario_states_come_back_after_a_state_file_restart() {
    let dir = std::env::temp_dir().join(format!("understudy-stubs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let file = dir.join("state.json");
    let _ = std::fs::remove_file(&file);
    let first = engine();
    let stub = json!({"match": {"method": "GET", "path": USERS}, "answer": {"status": 404},
                      "times": 3, "scenario": "s", "then": "moved"});
    let made = first.handle(&request(Method::POST, "/__admin/stubs", Some(stub)));
    assert_eq!(made.response.status, 201);
    assert_eq!(
        first
            .handle(&request(Method::GET, USERS, None))
            .response
            .status,
        404
    );
    first.save_state(&file).expect("saved");

    let second = engine();
    second.load_state(&file).expect("loaded");
    let listed = second.handle(&request(Method::GET, "/__admin/stubs", None));
    let listed: Value = serde_json::from_slice(&listed.response.body).unwrap();
    assert_eq!(listed["stubs"][0]["remaining"], 2, "{listed}");
    assert_eq!(listed["stubs"][0]["matched"], 1);
    let scenarios = second.handle(&request(Method::GET, "/__admin/scenarios", None));
    let scenarios: Value = serde_json::from_slice(&scenarios.response.body).unwrap();
    assert_eq!(
        scenarios["scenarios"],
        json!([{"name": "s", "state": "moved"}])
    );
    let statuses: Vec<u16> = (0..3)
        .map(|_| {
            second
                .handle(&request(Method::GET, USERS, None))
                .response
                .status
        })
        .collect();
    assert_eq!(statuses, [404, 404, 200]);
    // A file of an earlier build, without stubs, still loads.
    let mut old: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    for session in old["sessions"].as_array_mut().unwrap() {
        session.as_object_mut().unwrap().remove("stubs");
    }
    std::fs::write(&file, old.to_string()).unwrap();
    // Its sessions start with the stubs of `--stubs DIR`, as new sessions do.
    let third = engine();
    let folder = dir.join("stubs");
    std::fs::create_dir_all(&folder).unwrap();
    let default =
        json!({"id": "from-folder", "match": {"operationId": "listUserPermissionsInSpace"}});
    std::fs::write(folder.join("one.json"), default.to_string()).unwrap();
    assert_eq!(third.load_stubs(&folder).expect("the folder's stubs"), 1);
    third.load_state(&file).expect("an older file loads");
    let listed = third.handle(&request(Method::GET, "/__admin/stubs", None));
    let listed: Value = serde_json::from_slice(&listed.response.body).unwrap();
    assert_eq!(listed["stubs"][0]["id"], "from-folder", "{listed}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_key_with_a_discriminator_names_its_operation_as_the_document_writes_it() {
    // Found on AWS documents of the APIs.guru directory: `/#X-Amz-Target=…` has no `{`, and
    // was routed as a literal path, which no request has.
    let s = Server::docs(&["routing-discriminators.yaml"]);
    add(
        &s,
        json!({"match": {"method": "POST", "path": "/#X-Amz-Target=Store_2012.PutItem"},
               "answer": {"status": 400}}),
    );
    let put = |target: &str| {
        s.post("/aws/")
            .header("X-Amz-Target", target)
            .json(json!({"Key": "k", "Item": {}}))
            .send()
    };
    put("Store_2012.PutItem").expect(400);
    put("Store_2012.GetItem").expect(200);
}

#[test]
fn the_library_adds_a_stub_as_the_control_api_does() {
    let e = engine();
    let stub = json!({"match": {"method": "GET", "path": USERS}, "answer": {"status": 404}});
    let made = e.add_stub("ci", &stub).expect("a stub");
    assert_eq!(made["id"], "stub-1");
    assert_eq!(
        e.handle(&request(Method::GET, USERS, None)).response.status,
        404
    );
    let broken = json!({"match": {"method": "GET", "path": USERS}, "answer": {"status": 503}});
    let refused = e
        .add_stub("ci", &broken)
        .expect_err("a 503 GitBook does not declare");
    assert!(
        matches!(&refused, understudy::mock::stubs::StubError::Breaks { violations, .. } if violations.len() == 1),
        "{refused}"
    );
}
