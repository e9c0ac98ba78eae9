//! The bundled Arize AX document (`specs/arize.yaml`): `spaces_add_user` and
//! `spaces_remove_user`, a valid request each and every kind of violation they can have, with
//! the status and the RFC 9457 problem body asserted. `Problem` has no violation list, so the
//! violations are read back from the detail, where they are folded as
//! `detail (path: message; path: message)`.

use crate::harness::*;
use serde_json::{Value, json};

/// `Space:12345` and `User:12345`, base64: ids as the real API hands them out. In the
/// bundled fixtures the space is "Fraud models", whose admin holds the token `arize-key`, and
/// the user is Grace, a member of its organization who is in no space yet.
const SPACE: &str = "U3BhY2U6MTIzNDU=";
const USER: &str = "VXNlcjoxMjM0NQ==";
/// `Role:42`, the custom role "Dataset curator".
const CUSTOM_ROLE: &str = "Um9sZTo0Mg==";
/// `User:10006`, Theo, whose account role is annotator.
const ANNOTATOR_USER: &str = "VXNlcjoxMDAwNg==";
/// Ben's token: his custom role in the space grants `ROLE_BINDING_CREATE`, which assigning a
/// custom role needs (the space admin role is for predefined roles).
const BINDER: &str = "arize-binder-key";
const ADD: &str = "/v2/spaces/U3BhY2U6MTIzNDU=/users";
/// The vendor's error reference; each problem type is this URL with a fragment per status.
const ERRORS: &str = "https://arize.com/docs/ax/rest-reference/errors";
const PREDEFINED_NAMES: [&str; 4] = ["admin", "member", "read-only", "annotator"];
const ROLE_NAME_CHOICES: &str = "The value you selected is not a valid choice. Valid choices: \
     \"admin\", \"member\", \"read-only\", \"annotator\".";
const ROLE_TYPE_CHOICES: &str =
    "The value you selected is not a valid choice. Valid choices: \"predefined\", \"custom\".";

fn member_body() -> Value {
    json!({"user_id": USER, "role": {"type": "predefined", "name": "member"}})
}

fn add_user(server: &Server, body: Value) -> Reply {
    server.post(ADD).bearer("arize-key").json(body).send()
}

fn add_custom(server: &Server, body: Value) -> Reply {
    server.post(ADD).bearer(BINDER).json(body).send()
}

fn remove_path() -> String {
    format!("/v2/spaces/{SPACE}/users/{USER}")
}

/// Asserts an Arize problem: served as `application/problem+json`, exactly the five members,
/// `status` the integer HTTP status (the JS client picks its error class from it), `type` the
/// error reference with the status's fragment, the reason phrase as title, and the request's
/// path as instance. Returns the body.
pub(crate) fn problem(
    reply: &Reply,
    status: u16,
    fragment: &str,
    title: &str,
    instance: &str,
) -> Value {
    reply.expect(status);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    let body = reply.json();
    assert_eq!(
        keys(&body),
        ["detail", "instance", "status", "title", "type"],
        "{body}"
    );
    assert_eq!(body["status"].as_u64(), Some(u64::from(status)), "{body}");
    assert_eq!(body["type"], format!("{ERRORS}#{fragment}"));
    assert_eq!(body["title"], title);
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    assert_eq!(body["instance"], instance);
    body
}

fn unprocessable(reply: &Reply) -> Value {
    problem(
        reply,
        422,
        "unprocessable-entity",
        "Unprocessable Entity",
        ADD,
    )
}

/// A problem for a status the vendor's error reference has no section for: RFC 9457's
/// `about:blank` type, whose title is the reason phrase.
fn generic_problem(reply: &Reply, status: u16, title: &str, instance: &str) -> Value {
    reply.expect(status);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    let body = reply.json();
    assert_eq!(
        keys(&body),
        ["detail", "instance", "status", "title", "type"],
        "{body}"
    );
    assert_eq!(body["status"].as_u64(), Some(u64::from(status)), "{body}");
    assert_eq!(body["type"], "about:blank");
    assert_eq!(body["title"], title);
    assert_eq!(body["instance"], instance);
    body
}

/// The `(path, message)` pairs folded into a problem's detail: `detail (p: m; p: m)`. A
/// violation of the body as a whole has no path (an empty one here).
fn violations(problem: &Value) -> Vec<(String, String)> {
    let detail = problem["detail"].as_str().expect("a detail");
    let (_, list) = detail
        .split_once(" (")
        .unwrap_or_else(|| panic!("no folded violations in {detail:?}"));
    let list = list
        .strip_suffix(')')
        .unwrap_or_else(|| panic!("the folded violations are not closed in {detail:?}"));
    list.split("; ")
        .map(|item| match item.split_once(": ") {
            Some((path, message)) if !path.contains(' ') => (path.to_owned(), message.to_owned()),
            _ => (String::new(), item.to_owned()),
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(p, m)| ((*p).to_owned(), (*m).to_owned()))
        .collect()
}

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}

/// A non-empty string member.
fn is_id(v: &Value) -> bool {
    v.as_str().is_some_and(|s| !s.is_empty())
}

/// Asserts the declared shape of `SpaceMembership` and of the role's chosen branch.
fn assert_membership(m: &Value) {
    assert_eq!(keys(m), ["id", "role", "space_id", "user_id"], "{m}");
    for member in ["id", "user_id", "space_id"] {
        assert!(is_id(&m[member]), "{member} is not an id: {m}");
    }
    let role = &m["role"];
    match role["type"].as_str() {
        Some("predefined") => {
            assert_eq!(keys(role), ["name", "type"], "{role}");
            let name = role["name"].as_str().expect("a role name");
            assert!(PREDEFINED_NAMES.contains(&name), "{name} is not predefined");
        }
        Some("custom") => {
            assert!(is_id(&role["id"]), "{role}");
            let extra: Vec<String> = keys(role)
                .into_iter()
                .filter(|k| !["id", "name", "type"].contains(&k.as_str()))
                .collect();
            assert!(extra.is_empty(), "{role}");
            if let Some(name) = role.get("name") {
                assert!(name.is_string(), "{role}");
            }
        }
        other => panic!("the role's type is {other:?}: {m}"),
    }
}

// --- spaces_add_user: valid requests ------------------------------------------------------

#[test]
fn adding_a_user_with_a_predefined_role_answers_200_with_a_membership() {
    let server = Server::bundled();
    let reply = add_user(&server, member_body());
    reply.expect(200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_membership(&reply.json());
}

#[test]
fn every_predefined_role_name_is_accepted() {
    let server = Server::bundled();
    for name in PREDEFINED_NAMES {
        // Only an annotator may get the annotator role.
        let user = if name == "annotator" {
            ANNOTATOR_USER
        } else {
            USER
        };
        let body = json!({"user_id": user, "role": {"type": "predefined", "name": name}});
        let reply = add_user(&server, body);
        assert_eq!(reply.status, 200, "{name}: {}", reply.text());
        assert_membership(&reply.json());
    }
}

#[test]
fn adding_a_user_with_a_custom_role_answers_200_with_a_membership() {
    let server = Server::bundled();
    let body = json!({"user_id": USER, "role": {"type": "custom", "id": CUSTOM_ROLE}});
    let reply = add_custom(&server, body);
    reply.expect(200);
    assert_membership(&reply.json());
}

#[test]
fn a_custom_role_sent_with_its_read_only_name_is_still_accepted() {
    let server = Server::bundled();
    let body = json!({
        "user_id": USER,
        "role": {"type": "custom", "id": CUSTOM_ROLE, "name": "Anything at all"}
    });
    let reply = add_custom(&server, body);
    reply.expect(200);
    assert_membership(&reply.json());
}

#[test]
fn a_json_content_type_with_a_charset_is_accepted() {
    let server = Server::bundled();
    let reply = server
        .post(ADD)
        .bearer("arize-key")
        .raw_body(
            "application/json; charset=utf-8",
            member_body().to_string().as_bytes(),
        )
        .send();
    reply.expect(200);
    assert_membership(&reply.json());
}

#[test]
fn the_accept_header_of_arizes_python_client_is_accepted() {
    let server = Server::bundled();
    let reply = server
        .post(ADD)
        .bearer("arize-key")
        .header("Accept", "application/json, application/problem+json")
        .json(member_body())
        .send();
    reply.expect(200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_membership(&reply.json());
}

#[test]
fn a_percent_encoded_base64_space_id_is_routed_and_accepted() {
    let server = Server::bundled();
    let reply = server
        .post("/v2/spaces/U3BhY2U6MTIzNDU%3D/users")
        .bearer("arize-key")
        .json(member_body())
        .send();
    reply.expect(200);
    assert_membership(&reply.json());
}

#[test]
fn the_membership_answered_is_the_one_asked_for() {
    let server = Server::bundled();
    let body = json!({"user_id": USER, "role": {"type": "custom", "id": CUSTOM_ROLE}});
    let reply = server
        .post("/v2/spaces/U3BhY2U6MTIzNDU%3D/users")
        .bearer(BINDER)
        .json(body)
        .send();
    reply.expect(200);
    let membership = reply.json();
    assert_membership(&membership);
    assert_eq!(membership["user_id"], USER);
    // The path parameter, percent-decoded.
    assert_eq!(membership["space_id"], SPACE);
    assert_eq!(membership["role"]["type"], "custom");
    assert_eq!(membership["role"]["id"], CUSTOM_ROLE);
    // The custom role's name comes from the account's roles, not from the request.
    assert_eq!(membership["role"]["name"], "Dataset curator");
}

#[test]
fn prefer_example_custom_answers_a_membership_with_a_custom_role() {
    let server = Server::bundled();
    let reply = server
        .post(ADD)
        .bearer("arize-key")
        .header("Prefer", "example=custom")
        .json(member_body())
        .send();
    reply.expect(200);
    let membership = reply.json();
    assert_membership(&membership);
    assert_eq!(membership["role"]["type"], "custom");
    assert!(membership["role"]["name"].is_string(), "{membership}");
}

#[test]
fn prefer_dynamic_answers_a_generated_membership_of_the_declared_shape() {
    let server = Server::bundled();
    for _ in 0..5 {
        let reply = server
            .post(ADD)
            .bearer("arize-key")
            .header("Prefer", "dynamic=true")
            .json(member_body())
            .send();
        reply.expect(200);
        assert_membership(&reply.json());
    }
}

#[test]
fn prefer_code_404_answers_the_declared_not_found_problem() {
    let server = Server::bundled();
    let reply = server
        .post(ADD)
        .bearer("arize-key")
        .header("Prefer", "code=404")
        .json(member_body())
        .send();
    reply.expect(404);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    let body = reply.json();
    assert_eq!(body["status"], 404);
    assert_eq!(body["type"], format!("{ERRORS}#resource-not-found"));
    assert!(body["title"].is_string(), "{body}");
}

#[test]
fn prefer_code_429_answers_a_rate_limit_problem_with_retry_after() {
    let server = Server::bundled();
    let reply = server
        .post(ADD)
        .bearer("arize-key")
        .header("Prefer", "code=429")
        .json(member_body())
        .send();
    reply.expect(429);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    let retry_after = reply.header("retry-after").expect("a Retry-After header");
    assert!(retry_after.parse::<u64>().is_ok(), "{retry_after}");
    let body = reply.json();
    assert_eq!(body["status"], 429);
    assert_eq!(body["type"], format!("{ERRORS}#rate-limit-exceeded"));
}

// --- spaces_add_user: body violations (422: the body parses but breaks the schema) ---------

#[test]
fn a_body_without_user_id_is_a_422_naming_user_id() {
    let server = Server::bundled();
    let reply = add_user(
        &server,
        json!({"role": {"type": "predefined", "name": "member"}}),
    );
    let body = unprocessable(&reply);
    assert_eq!(
        violations(&body),
        pairs(&[("user_id", "This field is missing.")])
    );
}

#[test]
fn a_body_without_role_is_a_422_naming_role() {
    let server = Server::bundled();
    let reply = add_user(&server, json!({"user_id": USER}));
    let body = unprocessable(&reply);
    assert_eq!(
        violations(&body),
        pairs(&[("role", "This field is missing.")])
    );
}

#[test]
fn an_empty_object_is_a_422_naming_user_id_and_role_together() {
    let server = Server::bundled();
    let reply = add_user(&server, json!({}));
    let body = unprocessable(&reply);
    assert_eq!(
        sorted(violations(&body)),
        pairs(&[
            ("role", "This field is missing."),
            ("user_id", "This field is missing."),
        ])
    );
}

#[test]
fn a_role_whose_type_matches_no_branch_is_a_422_naming_role_type() {
    let server = Server::bundled();
    let reply = add_user(
        &server,
        json!({"user_id": USER, "role": {"type": "wizard"}}),
    );
    let body = unprocessable(&reply);
    assert_eq!(
        violations(&body),
        pairs(&[("role.type", ROLE_TYPE_CHOICES)])
    );
}

#[test]
fn an_uppercase_role_type_is_a_discriminator_mismatch_since_the_document_follows_the_seed() {
    let server = Server::bundled();
    let reply = add_user(
        &server,
        json!({"user_id": USER, "role": {"type": "PREDEFINED", "name": "READ_ONLY"}}),
    );
    let body = unprocessable(&reply);
    assert_eq!(
        violations(&body),
        pairs(&[("role.type", ROLE_TYPE_CHOICES)])
    );
}

#[test]
fn a_role_without_a_type_is_a_422_naming_role_type() {
    let server = Server::bundled();
    let reply = add_user(&server, json!({"user_id": USER, "role": {"name": "admin"}}));
    let body = unprocessable(&reply);
    assert_eq!(
        violations(&body),
        pairs(&[("role.type", "This field is missing.")])
    );
}

#[test]
fn a_custom_role_without_an_id_is_a_422_naming_role_id() {
    let server = Server::bundled();
    let reply = add_user(
        &server,
        json!({"user_id": USER, "role": {"type": "custom"}}),
    );
    let body = unprocessable(&reply);
    assert_eq!(
        violations(&body),
        pairs(&[("role.id", "This field is missing.")])
    );
}

#[test]
fn a_predefined_role_named_owner_is_a_422_naming_role_name_and_its_choices() {
    let server = Server::bundled();
    let reply = add_user(
        &server,
        json!({"user_id": USER, "role": {"type": "predefined", "name": "owner"}}),
    );
    let body = unprocessable(&reply);
    assert_eq!(
        violations(&body),
        pairs(&[("role.name", ROLE_NAME_CHOICES)])
    );
}

#[test]
fn a_predefined_role_with_an_id_but_no_name_is_judged_by_its_type_alone() {
    // The discriminator picks the predefined branch: the custom branch's verdict is not
    // reported.
    let server = Server::bundled();
    let reply = add_user(
        &server,
        json!({"user_id": USER, "role": {"type": "predefined", "id": CUSTOM_ROLE}}),
    );
    let body = unprocessable(&reply);
    assert_eq!(
        violations(&body),
        pairs(&[("role.name", "This field is missing.")])
    );
}

#[test]
fn a_user_id_that_is_not_a_string_is_a_422_naming_user_id() {
    let server = Server::bundled();
    let reply = add_user(
        &server,
        json!({"user_id": 12345, "role": {"type": "predefined", "name": "member"}}),
    );
    let body = unprocessable(&reply);
    assert_eq!(
        violations(&body),
        pairs(&[("user_id", "This value should be of type string.")])
    );
}

#[test]
fn a_custom_role_id_that_is_not_a_string_is_a_422_naming_role_id() {
    let server = Server::bundled();
    let reply = add_user(
        &server,
        json!({"user_id": USER, "role": {"type": "custom", "id": 42}}),
    );
    let body = unprocessable(&reply);
    assert_eq!(
        violations(&body),
        pairs(&[("role.id", "This value should be of type string.")])
    );
}

#[test]
fn a_role_that_is_not_an_object_is_a_422_naming_role_once() {
    let server = Server::bundled();
    let reply = add_user(&server, json!({"user_id": USER, "role": "admin"}));
    let body = unprocessable(&reply);
    assert_eq!(
        violations(&body),
        pairs(&[("role", "This value should be of type object.")])
    );
}

#[test]
fn a_body_that_is_an_array_is_a_422_on_the_body_itself() {
    let server = Server::bundled();
    let reply = add_user(&server, json!([member_body()]));
    let body = unprocessable(&reply);
    assert_eq!(
        violations(&body),
        pairs(&[("", "This value should be of type object.")])
    );
}

#[test]
fn several_body_violations_are_reported_together() {
    let server = Server::bundled();
    let reply = add_user(
        &server,
        json!({"user_id": 12345, "role": {"type": "predefined", "name": "owner"}}),
    );
    let body = unprocessable(&reply);
    assert_eq!(
        sorted(violations(&body)),
        pairs(&[
            ("role.name", ROLE_NAME_CHOICES),
            ("user_id", "This value should be of type string."),
        ])
    );
}

#[test]
fn a_missing_body_is_a_422_saying_the_body_is_missing() {
    // Arize declares 422 for bodies that break the request's schema; a required body that is
    // absent is one (FastAPI-style servers, as Arize's v2 is, answer it with 422 too).
    let server = Server::bundled();
    let reply = server.post(ADD).bearer("arize-key").send();
    let body = unprocessable(&reply);
    assert_eq!(
        violations(&body),
        pairs(&[("", "The request body is missing.")])
    );
}

// --- spaces_add_user: malformed requests ---------------------------------------------------

#[test]
fn malformed_json_is_a_400_invalid_request_naming_line_and_column() {
    let server = Server::bundled();
    // The value of `role` is missing: the `}` on line 3, column 11.
    let text = "{\n  \"user_id\": \"VXNlcjoxMjM0NQ==\",\n  \"role\": }";
    let reply = server
        .post(ADD)
        .bearer("arize-key")
        .raw_body("application/json", text.as_bytes())
        .send();
    let body = problem(&reply, 400, "invalid-request", "Bad Request", ADD);
    let detail = body["detail"].as_str().expect("a detail");
    assert!(detail.contains("not valid JSON"), "{detail}");
    assert!(detail.contains("line 3, column 11"), "{detail}");
}

#[test]
fn a_truncated_json_body_is_a_400_not_a_422() {
    let server = Server::bundled();
    let reply = server
        .post(ADD)
        .bearer("arize-key")
        .raw_body("application/json", b"{\"user_id\": ")
        .send();
    let body = problem(&reply, 400, "invalid-request", "Bad Request", ADD);
    let detail = body["detail"].as_str().expect("a detail");
    assert!(detail.contains("line 1, column 12"), "{detail}");
}

#[test]
fn a_text_plain_body_is_a_415_problem() {
    let server = Server::bundled();
    let reply = server
        .post(ADD)
        .bearer("arize-key")
        .raw_body("text/plain", member_body().to_string().as_bytes())
        .send();
    let body = generic_problem(&reply, 415, "Unsupported Media Type", ADD);
    let detail = body["detail"].as_str().expect("a detail");
    assert!(detail.contains("application/json"), "{detail}");
}

#[test]
fn an_accept_header_without_json_is_a_406_problem() {
    let server = Server::bundled();
    let reply = server
        .post(ADD)
        .bearer("arize-key")
        .header("Accept", "text/html")
        .json(member_body())
        .send();
    let body = generic_problem(&reply, 406, "Not Acceptable", ADD);
    let detail = body["detail"].as_str().expect("a detail");
    assert!(detail.contains("application/json"), "{detail}");
}

// --- spaces_add_user: credentials ---------------------------------------------------------

fn assert_bearer_challenge(reply: &Reply) {
    let challenge = reply
        .header("www-authenticate")
        .expect("a WWW-Authenticate header");
    assert!(
        challenge.to_ascii_lowercase().starts_with("bearer"),
        "{challenge}"
    );
}

#[test]
fn adding_without_credentials_is_a_401_with_a_bearer_challenge() {
    let server = Server::bundled();
    let reply = server.post(ADD).json(member_body()).send();
    problem(&reply, 401, "authentication-required", "Unauthorized", ADD);
    assert_bearer_challenge(&reply);
}

#[test]
fn a_basic_authorization_header_is_a_401_with_a_bearer_challenge() {
    let server = Server::bundled();
    let reply = server
        .post(ADD)
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .json(member_body())
        .send();
    problem(&reply, 401, "authentication-required", "Unauthorized", ADD);
    assert_bearer_challenge(&reply);
}

#[test]
fn credentials_are_checked_before_the_body() {
    let server = Server::bundled();
    for (content_type, bytes) in [
        ("application/json", &b"{\"user_id\": "[..]),
        ("application/json", &b"{}"[..]),
        ("text/plain", &b"hello"[..]),
    ] {
        let reply = server.post(ADD).raw_body(content_type, bytes).send();
        problem(&reply, 401, "authentication-required", "Unauthorized", ADD);
    }
}

// --- spaces_remove_user ---------------------------------------------------------------------

#[test]
fn removing_a_user_answers_204_with_an_empty_body() {
    let server = Server::bundled();
    add_user(&server, member_body()).expect(200);
    let reply = server.delete(&remove_path()).bearer("arize-key").send();
    reply.expect(204);
    assert!(reply.body.is_empty(), "{}", reply.text());
    assert_eq!(reply.header("content-type"), None);
}

#[test]
fn removing_with_percent_encoded_base64_ids_is_routed_and_answers_204() {
    let server = Server::bundled();
    add_user(&server, member_body()).expect(200);
    let reply = server
        .delete("/v2/spaces/U3BhY2U6MTIzNDU%3D/users/VXNlcjoxMjM0NQ%3D%3D")
        .bearer("arize-key")
        .header("Accept", "application/json, application/problem+json")
        .send();
    reply.expect(204);
    assert!(reply.body.is_empty(), "{}", reply.text());
}

#[test]
fn removing_without_credentials_is_a_401_with_a_bearer_challenge() {
    let server = Server::bundled();
    let path = "/v2/spaces/U3BhY2U6MTIzNDU%3D/users/VXNlcjoxMjM0NQ%3D%3D";
    let reply = server.delete(path).send();
    // The instance is the path as sent.
    problem(&reply, 401, "authentication-required", "Unauthorized", path);
    assert_bearer_challenge(&reply);
}

#[test]
fn removing_a_user_twice_is_a_404_the_second_time() {
    let server = Server::bundled();
    add_user(&server, member_body()).expect(200);
    let path = remove_path();
    server.delete(&path).bearer("arize-key").send().expect(204);
    let again = server.delete(&path).bearer("arize-key").send();
    problem(&again, 404, "resource-not-found", "Not Found", &path);
}

#[test]
fn get_on_a_membership_is_a_405_allowing_delete() {
    let server = Server::bundled();
    let path = remove_path();
    let reply = server.get(&path).bearer("arize-key").send();
    generic_problem(&reply, 405, "Method Not Allowed", &path);
    let allow = reply.header("allow").expect("an Allow header");
    let methods: Vec<&str> = allow.split(',').map(str::trim).collect();
    assert!(methods.contains(&"DELETE"), "{allow}");
    assert!(!methods.contains(&"GET"), "{allow}");
}

#[test]
fn put_on_the_users_of_a_space_is_a_405_allowing_post() {
    let server = Server::bundled();
    let reply = server
        .request("PUT", ADD)
        .bearer("arize-key")
        .json(member_body())
        .send();
    generic_problem(&reply, 405, "Method Not Allowed", ADD);
    let allow = reply.header("allow").expect("an Allow header");
    let methods: Vec<&str> = allow.split(',').map(str::trim).collect();
    assert!(methods.contains(&"POST"), "{allow}");
    assert!(!methods.contains(&"PUT"), "{allow}");
}

// --- the document as a whole --------------------------------------------------------------

#[test]
fn an_unknown_path_under_v2_is_a_404_resource_not_found_problem() {
    let server = Server::bundled();
    for path in [
        "/v2/nothing-here",
        "/v2/spaces/U3BhY2U6MTIzNDU=/users/VXNlcjoxMjM0NQ==/roles",
        "/v2/spaces/U3BhY2U6MTIzNDU=/users/",
    ] {
        let reply = server.get(path).bearer("arize-key").send();
        problem(&reply, 404, "resource-not-found", "Not Found", path);
    }
}

#[test]
fn every_error_is_problem_json_with_its_status_in_the_body() {
    let server = Server::bundled();
    let member = member_body().to_string();
    let replies = [
        server.post(ADD).json(member_body()).send(),
        server
            .post(ADD)
            .bearer("arize-key")
            .raw_body("application/json", b"{")
            .send(),
        server.post(ADD).bearer("arize-key").json(json!({})).send(),
        server
            .post(ADD)
            .bearer("arize-key")
            .raw_body("application/xml", member.as_bytes())
            .send(),
        server
            .post(ADD)
            .bearer("arize-key")
            .header("Accept", "image/png")
            .json(member_body())
            .send(),
        server.delete(&remove_path()).send(),
        server.get(&remove_path()).bearer("arize-key").send(),
        server.get("/v2/unknown").bearer("arize-key").send(),
    ];
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [401, 400, 422, 415, 406, 401, 405, 404]);
    for reply in &replies {
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json"),
            "{}: {}",
            reply.status,
            reply.text()
        );
        let body = reply.json();
        assert_eq!(
            body["status"].as_u64(),
            Some(u64::from(reply.status)),
            "{body}"
        );
        assert!(body["title"].is_string(), "{body}");
    }
}
