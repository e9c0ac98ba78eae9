//! The bundled Alumio document (`specs/alumio.yaml`, OpenAPI 3.1.0, served under `/api/v1`):
//! both operations, a valid request each and one request per kind of violation, with the exact
//! status and the exact shape of Alumio's error (`status` is a *string*, violations carry a
//! `propertyPath` such as `users[0].email`).
//!
//! The document declares `security: []`, so there is no 401 to test: requests are accepted
//! with or without credentials. Neither operation declares 422, so a broken body is a 400.

use crate::harness::*;
use serde_json::{Value, json};

const ASSIGN: &str = "/api/v1/spaces/default/assign_users";
const ALLOCATE: &str = "/api/v1/space_workers/allocation";

/// From `components.schemas.SpaceWorkerAllocation.spaceIdentifier.pattern`.
const SPACE_PATTERN: &str = "^[a-z0-9-]+$";
const ROLES: [&str; 3] = ["ROLE_USER", "ROLE_EDITOR", "ROLE_ADMINISTRATOR"];

fn one_user(user: Value) -> Value {
    json!({ "users": [user] })
}

fn an_editor() -> Value {
    one_user(json!({"email": "jane.doe@example.com", "roles": ["ROLE_EDITOR"]}))
}

fn one_allocation(entry: Value) -> Value {
    json!({ "spaceWorkers": [entry] })
}

fn two_workers_for_default() -> Value {
    one_allocation(json!({"spaceIdentifier": "default", "workers": 2}))
}

/// Checks that `reply` is an Alumio `Error` for HTTP `status` and returns its body: JSON, only
/// the members the schema names, `status` the status as a string, `type`, `title` and `detail`
/// strings, `context` (optional) an object. `with_violations` says whether the list must be there
/// (the member set is then exact, `context` aside).
pub(crate) fn alumio_error(reply: &Reply, status: u16, with_violations: bool) -> Value {
    reply.expect(status);
    let content_type = reply.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "error Content-Type: {content_type}"
    );
    let body = reply.json();
    let mut members = keys(&body);
    members.retain(|k| k != "context");
    let mut expected = vec!["detail", "status", "title", "type"];
    if with_violations {
        expected.push("violations");
    }
    assert_eq!(members, expected, "error members: {body}");
    assert_eq!(
        body["status"],
        json!(status.to_string()),
        "status is a string: {body}"
    );
    for member in ["type", "title", "detail"] {
        let text = body[member].as_str();
        assert!(
            text.is_some_and(|t| !t.is_empty()),
            "`{member}` is a non-empty string: {body}"
        );
    }
    if let Some(context) = body.get("context") {
        assert!(context.is_object(), "`context` is an object: {body}");
    }
    body
}

/// The violations of an Alumio error as (propertyPath, title), each checked to be an object of
/// exactly `title`, `propertyPath` and `type`, all strings.
pub(crate) fn violations(body: &Value) -> Vec<(String, String)> {
    let list = body["violations"].as_array().expect("a violations list");
    list.iter()
        .map(|v| {
            assert_eq!(keys(v), ["propertyPath", "title", "type"], "violation: {v}");
            assert!(v["type"].is_string(), "violation type: {v}");
            let path = v["propertyPath"].as_str().expect("a string propertyPath");
            let title = v["title"].as_str().expect("a string title");
            (path.to_owned(), title.to_owned())
        })
        .collect()
}

/// A 400 with exactly one violation, at `path`; returns its title.
fn the_one_violation_at(reply: &Reply, path: &str) -> String {
    let body = alumio_error(reply, 400, true);
    let found = violations(&body);
    assert_eq!(found.len(), 1, "one violation: {body}");
    assert_eq!(found[0].0, path, "propertyPath: {body}");
    found[0].1.clone()
}

fn assert_is_a_space_worker_allocation(entry: &Value) {
    let id = entry["spaceIdentifier"]
        .as_str()
        .expect("a string spaceIdentifier");
    assert!(
        !id.is_empty()
            && id.len() <= 255
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
        "spaceIdentifier matches {SPACE_PATTERN}: {entry}"
    );
    assert!(
        entry["workers"].as_u64().is_some(),
        "workers is an integer >= 0: {entry}"
    );
}

// --- assignSpaceUsers: POST /api/v1/spaces/{space}/assign_users -------------------------------

#[test]
fn a_valid_assignment_is_a_200_with_a_json_object() {
    let server = Server::bundled();
    let reply = server.post(ASSIGN).json(an_editor()).send();
    reply.expect(200);
    assert!(
        reply
            .header("content-type")
            .unwrap_or_default()
            .starts_with("application/json")
    );
    assert!(reply.json().is_object(), "{}", reply.text());
}

#[test]
fn an_assignment_is_accepted_with_and_without_a_bearer_token() {
    let server = Server::bundled();
    server.post(ASSIGN).json(an_editor()).send().expect(200);
    server
        .post(ASSIGN)
        .bearer("x")
        .json(an_editor())
        .send()
        .expect(200);
}

#[test]
fn each_of_the_three_roles_is_a_valid_choice() {
    let server = Server::bundled();
    let user = json!({"email": "admin@example.com", "roles": ROLES});
    server.post(ASSIGN).json(one_user(user)).send().expect(200);
}

#[test]
fn members_the_schema_does_not_name_are_accepted() {
    // Neither SpaceUsers nor User forbids additional properties.
    let server = Server::bundled();
    let body = json!({
        "users": [{"email": "jane.doe@example.com", "roles": ["ROLE_USER"], "name": "Jane"}],
        "notify": true
    });
    server.post(ASSIGN).json(body).send().expect(200);
}

#[test]
fn a_role_that_is_none_of_the_consts_is_a_400_listing_the_valid_choices() {
    let server = Server::bundled();
    let user = json!({"email": "jane.doe@example.com", "roles": ["ROLE_X"]});
    let reply = server.post(ASSIGN).json(one_user(user)).send();
    let title = the_one_violation_at(&reply, "users[0].roles[0]");
    assert!(
        title.starts_with("The value you selected is not a valid choice."),
        "{title}"
    );
    for role in ROLES {
        assert!(
            title.contains(&format!("\"{role}\"")),
            "names {role}: {title}"
        );
    }
    assert!(!title.contains("ROLE_X"), "{title}");
}

#[test]
fn a_role_that_is_not_a_string_is_a_400_for_its_type() {
    let server = Server::bundled();
    let user = json!({"email": "jane.doe@example.com", "roles": [1]});
    let reply = server.post(ASSIGN).json(one_user(user)).send();
    let title = the_one_violation_at(&reply, "users[0].roles[0]");
    assert_eq!(title, "This value should be of type string.");
}

#[test]
fn an_empty_roles_list_is_a_400_for_min_items() {
    let server = Server::bundled();
    let user = json!({"email": "jane.doe@example.com", "roles": []});
    let reply = server.post(ASSIGN).json(one_user(user)).send();
    let title = the_one_violation_at(&reply, "users[0].roles");
    assert_eq!(title, "This collection should contain 1 element or more.");
}

#[test]
fn a_repeated_role_is_a_400_for_unique_items() {
    let server = Server::bundled();
    let user = json!({"email": "jane.doe@example.com", "roles": ["ROLE_USER", "ROLE_USER"]});
    let reply = server.post(ASSIGN).json(one_user(user)).send();
    let title = the_one_violation_at(&reply, "users[0].roles");
    assert_eq!(
        title,
        "This collection should contain only unique elements."
    );
}

#[test]
fn roles_that_are_not_a_list_are_a_400_for_their_type() {
    let server = Server::bundled();
    let user = json!({"email": "jane.doe@example.com", "roles": "ROLE_USER"});
    let reply = server.post(ASSIGN).json(one_user(user)).send();
    let title = the_one_violation_at(&reply, "users[0].roles");
    assert_eq!(title, "This value should be of type array.");
}

#[test]
fn an_invalid_email_is_a_400_naming_users_0_email() {
    let server = Server::bundled();
    let user = json!({"email": "jane.doe.example.com", "roles": ["ROLE_USER"]});
    let reply = server.post(ASSIGN).json(one_user(user)).send();
    let title = the_one_violation_at(&reply, "users[0].email");
    assert_eq!(title, "This value is not a valid email address.");
}

#[test]
fn an_email_that_is_not_a_string_is_a_400_for_its_type() {
    let server = Server::bundled();
    let user = json!({"email": 5, "roles": ["ROLE_USER"]});
    let reply = server.post(ASSIGN).json(one_user(user)).send();
    let title = the_one_violation_at(&reply, "users[0].email");
    assert_eq!(title, "This value should be of type string.");
}

#[test]
fn a_body_without_users_is_a_400_naming_users() {
    let server = Server::bundled();
    let reply = server.post(ASSIGN).json(json!({})).send();
    let title = the_one_violation_at(&reply, "users");
    assert_eq!(title, "This field is missing.");
}

#[test]
fn a_user_without_email_and_roles_is_a_400_naming_both() {
    let server = Server::bundled();
    let reply = server.post(ASSIGN).json(one_user(json!({}))).send();
    let body = alumio_error(&reply, 400, true);
    let mut found = violations(&body);
    found.sort();
    assert_eq!(
        found,
        [
            (
                "users[0].email".to_owned(),
                "This field is missing.".to_owned()
            ),
            (
                "users[0].roles".to_owned(),
                "This field is missing.".to_owned()
            ),
        ]
    );
}

#[test]
fn users_that_are_not_a_list_are_a_400_naming_users() {
    let server = Server::bundled();
    let body = json!({"users": {"email": "jane.doe@example.com", "roles": ["ROLE_USER"]}});
    let reply = server.post(ASSIGN).json(body).send();
    let title = the_one_violation_at(&reply, "users");
    assert_eq!(title, "This value should be of type array.");
}

#[test]
fn a_user_that_is_not_an_object_is_a_400_naming_the_item() {
    let server = Server::bundled();
    let reply = server
        .post(ASSIGN)
        .json(json!({"users": ["jane.doe@example.com"]}))
        .send();
    let title = the_one_violation_at(&reply, "users[0]");
    assert_eq!(title, "This value should be of type object.");
}

#[test]
fn a_body_that_is_not_an_object_is_a_400_at_the_root() {
    let server = Server::bundled();
    let reply = server.post(ASSIGN).json(json!([])).send();
    let title = the_one_violation_at(&reply, "");
    assert_eq!(title, "This value should be of type object.");
}

#[test]
fn several_broken_users_are_reported_together_each_with_its_own_path() {
    let server = Server::bundled();
    let body = json!({"users": [
        {"email": "not-an-email", "roles": ["ROLE_X"]},
        {"email": "admin@example.com", "roles": ["ROLE_USER", "ROLE_USER"]},
        {"roles": []}
    ]});
    let reply = server.post(ASSIGN).json(body).send();
    let body = alumio_error(&reply, 400, true);
    let found = violations(&body);
    let mut paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "users[0].email",
            "users[0].roles[0]",
            "users[1].roles",
            "users[2].email",
            "users[2].roles",
        ],
        "{body}"
    );
    let title_at = |path: &str| {
        found
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.as_str())
            .unwrap_or_default()
    };
    assert_eq!(
        title_at("users[0].email"),
        "This value is not a valid email address."
    );
    assert_eq!(
        title_at("users[1].roles"),
        "This collection should contain only unique elements."
    );
    assert_eq!(title_at("users[2].email"), "This field is missing.");
    assert_eq!(
        title_at("users[2].roles"),
        "This collection should contain 1 element or more."
    );
}

#[test]
fn an_empty_body_is_a_400_because_the_body_is_required() {
    let server = Server::bundled();
    let reply = server.post(ASSIGN).send();
    let body = alumio_error(&reply, 400, true);
    let found = violations(&body);
    assert_eq!(found.len(), 1, "{body}");
    assert!(
        found[0].1.contains("missing"),
        "says the body is missing: {body}"
    );
}

#[test]
fn malformed_json_is_a_400_with_a_violation_naming_line_and_column() {
    let server = Server::bundled();
    // Line 3 is `    {"email": }`: the value is missing where `}` stands, column 15.
    let text = b"{\n  \"users\": [\n    {\"email\": }\n]}";
    let reply = server
        .post(ASSIGN)
        .raw_body("application/json", text)
        .send();
    let body = alumio_error(&reply, 400, true);
    let found = violations(&body);
    assert_eq!(found.len(), 1, "{body}");
    assert!(found[0].1.contains("line 3, column 15"), "{body}");
}

#[test]
fn malformed_json_is_a_400_whose_detail_names_line_and_column() {
    let server = Server::bundled();
    let text = b"{\n  \"users\": [\n    {\"email\": }\n]}";
    let reply = server
        .post(ASSIGN)
        .raw_body("application/json", text)
        .send();
    let body = alumio_error(&reply, 400, true);
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("line 3") && detail.contains("column 15"),
        "{body}"
    );
}

#[test]
fn a_body_that_is_not_json_is_a_415() {
    let server = Server::bundled();
    let reply = server
        .post(ASSIGN)
        .raw_body("text/plain", an_editor().to_string().as_bytes())
        .send();
    let body = alumio_error(&reply, 415, false);
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("text/plain"),
        "{body}"
    );
}

#[test]
fn a_json_content_type_with_a_charset_is_accepted() {
    let server = Server::bundled();
    let text = an_editor().to_string();
    let reply = server
        .post(ASSIGN)
        .raw_body("application/json; charset=utf-8", text.as_bytes())
        .send();
    reply.expect(200);
}

#[test]
fn an_accept_without_json_is_a_406() {
    let server = Server::bundled();
    let reply = server
        .post(ASSIGN)
        .header("Accept", "text/html")
        .json(an_editor())
        .send();
    alumio_error(&reply, 406, false);
}

#[test]
fn the_accept_headers_real_clients_send_are_acceptable() {
    let server = Server::bundled();
    for accept in ["*/*", "application/json, application/problem+json"] {
        let reply = server
            .post(ASSIGN)
            .header("Accept", accept)
            .json(an_editor())
            .send();
        assert_eq!(reply.status, 200, "Accept: {accept}: {}", reply.text());
    }
}

// --- postSpaceWorkerAllocation: POST /api/v1/space_workers/allocation?space= ------------------

#[test]
fn a_valid_allocation_is_a_201_with_the_licence_and_the_spaces() {
    let server = Server::bundled();
    let reply = server.post(ALLOCATE).json(two_workers_for_default()).send();
    reply.expect(201);
    let body = reply.json();
    assert!(body["workers"].as_u64().is_some(), "workers: {body}");
    assert!(
        body["workersPerSpace"].as_u64().is_some(),
        "workersPerSpace: {body}"
    );
    let spaces = body["spaceWorkers"]
        .as_array()
        .expect("a spaceWorkers list");
    assert!(!spaces.is_empty(), "{body}");
    spaces.iter().for_each(assert_is_a_space_worker_allocation);
}

#[test]
fn an_allocation_is_accepted_with_and_without_a_bearer_token() {
    let server = Server::bundled();
    server
        .post(ALLOCATE)
        .json(two_workers_for_default())
        .send()
        .expect(201);
    server
        .post(ALLOCATE)
        .bearer("x")
        .json(two_workers_for_default())
        .send()
        .expect(201);
}

#[test]
fn an_allocation_with_a_space_query_is_a_201() {
    let server = Server::bundled();
    let path = format!("{ALLOCATE}?space=default");
    server
        .post(&path)
        .json(two_workers_for_default())
        .send()
        .expect(201);
}

#[test]
fn zero_workers_is_allowed() {
    let server = Server::bundled();
    let body = one_allocation(json!({"spaceIdentifier": "default", "workers": 0}));
    server.post(ALLOCATE).json(body).send().expect(201);
}

#[test]
fn negative_workers_are_a_400_for_the_minimum() {
    let server = Server::bundled();
    let body = one_allocation(json!({"spaceIdentifier": "default", "workers": -1}));
    let reply = server.post(ALLOCATE).json(body).send();
    let title = the_one_violation_at(&reply, "spaceWorkers[0].workers");
    assert_eq!(title, "This value should be greater than or equal to 0.");
}

#[test]
fn fractional_workers_are_a_400_for_the_integer_type() {
    let server = Server::bundled();
    let body = one_allocation(json!({"spaceIdentifier": "default", "workers": 1.5}));
    let reply = server.post(ALLOCATE).json(body).send();
    let title = the_one_violation_at(&reply, "spaceWorkers[0].workers");
    assert_eq!(title, "This value should be of type integer.");
}

#[test]
fn workers_as_a_string_are_a_400_for_the_integer_type() {
    let server = Server::bundled();
    let body = one_allocation(json!({"spaceIdentifier": "default", "workers": "3"}));
    let reply = server.post(ALLOCATE).json(body).send();
    let title = the_one_violation_at(&reply, "spaceWorkers[0].workers");
    assert_eq!(title, "This value should be of type integer.");
}

#[test]
fn a_space_identifier_outside_the_pattern_is_a_400_quoting_the_pattern() {
    let server = Server::bundled();
    let body = one_allocation(json!({"spaceIdentifier": "Webshop Sync", "workers": 2}));
    let reply = server.post(ALLOCATE).json(body).send();
    let title = the_one_violation_at(&reply, "spaceWorkers[0].spaceIdentifier");
    assert_eq!(
        title,
        format!("This value is not valid: it should match the pattern {SPACE_PATTERN}.")
    );
}

#[test]
fn a_space_identifier_of_256_characters_is_a_400_for_the_max_length() {
    let server = Server::bundled();
    let long = "a".repeat(256);
    let body = one_allocation(json!({"spaceIdentifier": long, "workers": 2}));
    let reply = server.post(ALLOCATE).json(body).send();
    let title = the_one_violation_at(&reply, "spaceWorkers[0].spaceIdentifier");
    assert_eq!(
        title,
        "This value is too long. It should have 255 characters or less."
    );
}

#[test]
fn a_space_identifier_that_is_not_a_string_is_a_400_for_its_type() {
    let server = Server::bundled();
    let body = one_allocation(json!({"spaceIdentifier": 7, "workers": 2}));
    let reply = server.post(ALLOCATE).json(body).send();
    let title = the_one_violation_at(&reply, "spaceWorkers[0].spaceIdentifier");
    assert_eq!(title, "This value should be of type string.");
}

#[test]
fn space_workers_that_are_not_a_list_are_a_400_naming_space_workers() {
    let server = Server::bundled();
    let reply = server
        .post(ALLOCATE)
        .json(json!({"spaceWorkers": "default"}))
        .send();
    let title = the_one_violation_at(&reply, "spaceWorkers");
    assert_eq!(title, "This value should be of type array.");
}

#[test]
fn several_broken_entries_are_reported_together_each_with_its_own_path() {
    let server = Server::bundled();
    let body = json!({"spaceWorkers": [
        {"spaceIdentifier": "default", "workers": -1},
        {"spaceIdentifier": "Not_Valid", "workers": 1.5},
        {"spaceIdentifier": "b".repeat(256), "workers": "3"}
    ]});
    let reply = server.post(ALLOCATE).json(body).send();
    let body = alumio_error(&reply, 400, true);
    let mut found = violations(&body);
    found.sort();
    let expected = [
        (
            "spaceWorkers[0].workers",
            "This value should be greater than or equal to 0.",
        ),
        (
            "spaceWorkers[1].spaceIdentifier",
            "This value is not valid: it should match the pattern ^[a-z0-9-]+$.",
        ),
        (
            "spaceWorkers[1].workers",
            "This value should be of type integer.",
        ),
        (
            "spaceWorkers[2].spaceIdentifier",
            "This value is too long. It should have 255 characters or less.",
        ),
        (
            "spaceWorkers[2].workers",
            "This value should be of type integer.",
        ),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
        .collect();
    assert_eq!(found, expected, "{body}");
}

#[test]
fn an_empty_allocation_body_is_a_400_because_the_body_is_required() {
    let server = Server::bundled();
    let reply = server.post(ALLOCATE).send();
    let body = alumio_error(&reply, 400, true);
    assert_eq!(violations(&body).len(), 1, "{body}");
}

#[test]
fn malformed_allocation_json_is_a_400() {
    let server = Server::bundled();
    let reply = server
        .post(ALLOCATE)
        .raw_body("application/json", b"{\"spaceWorkers\": [")
        .send();
    let body = alumio_error(&reply, 400, true);
    let found = violations(&body);
    assert_eq!(found.len(), 1, "{body}");
    assert!(found[0].1.contains("line 1, column 18"), "{body}");
}

#[test]
fn an_allocation_sent_as_a_form_is_a_415() {
    let server = Server::bundled();
    let reply = server
        .post(ALLOCATE)
        .raw_body("application/x-www-form-urlencoded", b"spaceWorkers=default")
        .send();
    alumio_error(&reply, 415, false);
}

// --- Routing under /api/v1 ----------------------------------------------------------------------

#[test]
fn an_unknown_path_under_api_v1_is_a_404_in_alumios_format() {
    let server = Server::bundled();
    let reply = server.post("/api/v1/spaces").json(json!({})).send();
    alumio_error(&reply, 404, false);
}

#[test]
fn an_unknown_path_is_typed_like_every_other_alumio_error() {
    let server = Server::bundled();
    let operation_error = server.post(ASSIGN).json(json!({})).send();
    let operation_type = alumio_error(&operation_error, 400, true)["type"].clone();
    let not_found = server.get("/api/v1/nowhere").send();
    assert_eq!(alumio_error(&not_found, 404, false)["type"], operation_type);
    let wrong_method = server.get(ALLOCATE).send();
    assert_eq!(
        alumio_error(&wrong_method, 405, false)["type"],
        operation_type
    );
}

#[test]
fn a_get_on_the_allocation_is_a_405_allowing_post() {
    let server = Server::bundled();
    let reply = server.get(ALLOCATE).send();
    alumio_error(&reply, 405, false);
    let allow = reply.header("allow").unwrap_or_default();
    assert!(allow.split(", ").any(|m| m == "POST"), "Allow: {allow}");
    assert!(!allow.split(", ").any(|m| m == "GET"), "Allow: {allow}");
}

// --- Behaviour the reference decides (docs/vendors.md, "Alumio") ---------------------

#[test]
fn assigning_users_to_an_unknown_space_is_a_404() {
    let server = Server::bundled();
    let path = "/api/v1/spaces/no-such-space/assign_users";
    let reply = server.post(path).json(an_editor()).send();
    let body = alumio_error(&reply, 404, false);
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("no-such-space"),
        "{body}"
    );
}

#[test]
fn an_assignment_answers_with_the_spaces_users_after_the_change() {
    let server = Server::bundled();
    let user = json!({"email": "new.viewer@example.com", "roles": ["ROLE_USER"]});
    let reply = server.post(ASSIGN).json(one_user(user)).send();
    reply.expect(200);
    let body = reply.json();
    let users = body["users"].as_array().expect("a users list");
    let added = users
        .iter()
        .find(|u| u["email"] == "new.viewer@example.com")
        .unwrap_or_else(|| panic!("the assigned user is listed: {body}"));
    assert_eq!(added["roles"], json!(["ROLE_USER"]), "{body}");
}

#[test]
fn an_allocation_answers_with_the_workers_it_set() {
    let server = Server::bundled();
    let body = one_allocation(json!({"spaceIdentifier": "default", "workers": 1}));
    let reply = server.post(ALLOCATE).json(body).send();
    reply.expect(201);
    let body = reply.json();
    let spaces = body["spaceWorkers"]
        .as_array()
        .expect("a spaceWorkers list");
    let default = spaces.iter().find(|s| s["spaceIdentifier"] == "default");
    assert_eq!(default.map(|s| &s["workers"]), Some(&json!(1)), "{body}");
}

#[test]
fn an_allocation_with_a_space_query_lists_only_that_space() {
    let server = Server::bundled();
    let path = format!("{ALLOCATE}?space=default");
    let reply = server.post(&path).json(two_workers_for_default()).send();
    reply.expect(201);
    let body = reply.json();
    let spaces = body["spaceWorkers"]
        .as_array()
        .expect("a spaceWorkers list");
    assert!(!spaces.is_empty(), "{body}");
    assert!(
        spaces.iter().all(|s| s["spaceIdentifier"] == "default"),
        "{body}"
    );
}

#[test]
fn more_workers_than_one_space_may_have_is_an_error_naming_the_entry() {
    let server = Server::bundled();
    let licence = server
        .post(ALLOCATE)
        .json(two_workers_for_default())
        .send()
        .json();
    let per_space = licence["workersPerSpace"]
        .as_u64()
        .expect("workersPerSpace");
    let body = json!({"spaceWorkers": [
        {"spaceIdentifier": "default", "workers": 1},
        {"spaceIdentifier": "webshop-sync", "workers": per_space + 1}
    ]});
    let reply = server.post(ALLOCATE).json(body).send();
    // 422, as in the document's own `tooManyForOneSpace` example.
    let body = alumio_error(&reply, 422, true);
    let paths: Vec<String> = violations(&body).into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths, ["spaceWorkers[1].workers"], "{body}");
}

#[test]
fn an_allocation_for_an_unknown_space_is_an_error_naming_the_entry() {
    let server = Server::bundled();
    let body = json!({"spaceWorkers": [
        {"spaceIdentifier": "default", "workers": 1},
        {"spaceIdentifier": "no-such-space", "workers": 1}
    ]});
    let reply = server.post(ALLOCATE).json(body).send();
    assert!(
        (400..500).contains(&reply.status),
        "a client error: {}",
        reply.text()
    );
    let body = alumio_error(&reply, reply.status, true);
    let found = violations(&body);
    assert_eq!(found.len(), 1, "{body}");
    assert!(found[0].0.starts_with("spaceWorkers[1]"), "{body}");
}
