//! The bundled GitBook document (OpenAPI 3.0.3, mounted at `/v1`): every operation answered
//! for a valid request, and refused, in GitBook's `{"error": {"code", "message"}}` format, for
//! each kind of violation it can have. Violations are folded into `message` as
//! `detail (path: message; path: message)`.

use crate::harness::*;

use serde_json::{Value, json};

const SPACE: &str = "/v1/spaces/sPaCe4Docs01";
/// Jane Doe's token (`fixtures/gitbook.yaml`): an admin of the space's organization.
const TOKEN: &str = "gb_api_jAnEdOe0aDm1nAcMe0t0kEn";
/// `MemberRole`, in the document's order.
const ROLES: [&str; 6] = ["admin", "create", "edit", "review", "comment", "read"];

fn invite() -> String {
    format!("{SPACE}/permissions")
}
fn users() -> String {
    format!("{SPACE}/permissions/users")
}
fn user(id: &str) -> String {
    format!("{SPACE}/permissions/users/{id}")
}
fn aggregate() -> String {
    format!("{SPACE}/permissions/aggregate")
}
fn teams() -> String {
    format!("{SPACE}/permissions/teams")
}
fn team(id: &str) -> String {
    format!("{SPACE}/permissions/teams/{id}")
}

// --- helpers ------------------------------------------------------------------------------

/// Asserts the status and GitBook's error format (`error.code` is the integer HTTP status,
/// `error.message` a non-empty string, nothing else), and gives the message.
pub(crate) fn gitbook_error(reply: &Reply, status: u16) -> String {
    reply.expect(status);
    let content_type = reply.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "error Content-Type is {content_type:?}"
    );
    let body = reply.json();
    assert_eq!(keys(&body), ["error"], "error body: {body}");
    let error = &body["error"];
    assert_eq!(keys(error), ["code", "message"], "error body: {body}");
    assert!(
        error["code"].is_i64(),
        "error.code is not an integer: {body}"
    );
    assert_eq!(
        error["code"].as_i64(),
        Some(i64::from(status)),
        "error body: {body}"
    );
    let message = error["message"]
        .as_str()
        .unwrap_or_else(|| panic!("error.message is not a string: {body}"));
    assert!(!message.trim().is_empty(), "error.message is empty");
    message.to_owned()
}

/// The violations folded into a message: the `path: message` entries inside the trailing
/// parentheses of `detail (path: message; path: message)`.
fn folded(message: &str) -> Vec<String> {
    let open = message
        .find(" (")
        .unwrap_or_else(|| panic!("no folded violations in {message:?}"));
    let inner = message[open + 2..]
        .strip_suffix(')')
        .unwrap_or_else(|| panic!("folded violations are not closed in {message:?}"));
    inner.split("; ").map(str::to_owned).collect()
}

/// Asserts that `message` reports `entry` (`path: message`) among its violations.
fn reports(message: &str, entry: &str) {
    let entries = folded(message);
    assert!(
        entries.iter().any(|e| e == entry),
        "expected `{entry}` among the violations of {message:?}"
    );
}

/// Asserts that some violation of `message` sits at `path`, and gives its text.
fn violation_at(message: &str, path: &str) -> String {
    let prefix = format!("{path}: ");
    folded(message)
        .into_iter()
        .find_map(|e| e.strip_prefix(&prefix).map(str::to_owned))
        .unwrap_or_else(|| panic!("no violation at `{path}` in {message:?}"))
}

fn assert_401(reply: &Reply) {
    gitbook_error(reply, 401);
    let challenge = reply
        .header("www-authenticate")
        .unwrap_or_else(|| panic!("a 401 without WWW-Authenticate: {reply:?}"));
    assert!(
        challenge.to_ascii_lowercase().starts_with("bearer"),
        "WWW-Authenticate is not a bearer challenge: {challenge}"
    );
}

pub(crate) fn assert_empty(reply: &Reply, status: u16) {
    reply.expect(status);
    assert!(
        reply.body.is_empty(),
        "a {status} with a body: {}",
        reply.text()
    );
    if let Some(length) = reply.header("content-length") {
        assert_eq!(length, "0");
    }
}

fn is_role(v: &Value) -> bool {
    v.as_str().is_some_and(|s| ROLES.contains(&s))
}

/// An absolute URI: a scheme, then `:`.
fn is_uri(s: &str) -> bool {
    match s.split_once(':') {
        Some((scheme, rest)) => {
            !rest.is_empty()
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }
        None => false,
    }
}

/// RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`.
fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if !(digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && matches!(b.get(10), Some(b'T' | b't'))
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16)
        && b.get(16) == Some(&b':')
        && digits(17..19))
    {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let n = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()),
        _ => false,
    }
}

/// The `List` part of a list answer: `next.page` a string when present, `count` a number.
fn assert_list_envelope(body: &Value) -> &Vec<Value> {
    let items = body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("`items` is not an array: {body}"));
    if let Some(next) = body.get("next") {
        assert!(
            next["page"].is_string(),
            "next.page is not a string: {body}"
        );
    }
    if let Some(count) = body.get("count") {
        assert!(count.is_number(), "count is not a number: {body}");
    }
    items
}

/// `{items: UserContentPermission[], next?, count?}`.
fn assert_user_permission_list(body: &Value) {
    for item in assert_list_envelope(body) {
        assert!(
            is_role(&item["permission"]),
            "permission is not a MemberRole: {item}"
        );
        let user = &item["user"];
        assert_eq!(user["object"], "user", "user.object: {item}");
        assert!(user["id"].is_string(), "user.id: {item}");
        assert!(user["displayName"].is_string(), "user.displayName: {item}");
        for optional in ["email", "photoURL"] {
            if let Some(v) = user.get(optional) {
                assert!(v.is_string(), "user.{optional}: {item}");
            }
        }
        let location = user["urls"]["location"].as_str().unwrap_or_default();
        assert!(is_uri(location), "user.urls.location is not a URI: {item}");
    }
}

/// `{items: {permission: MemberRole, team: OrganizationTeam}[], next?, count?}`.
fn assert_team_permission_list(body: &Value) {
    for item in assert_list_envelope(body) {
        assert!(
            is_role(&item["permission"]),
            "permission is not a MemberRole: {item}"
        );
        let team = &item["team"];
        assert_eq!(team["object"], "team", "team.object: {item}");
        assert!(team["id"].is_string(), "team.id: {item}");
        let title = team["title"].as_str().unwrap_or_default();
        assert!(
            (1..=64).contains(&title.chars().count()),
            "team.title is not 1..64 characters: {item}"
        );
        assert!(
            team["members"].is_i64() || team["members"].is_u64(),
            "team.members: {item}"
        );
        assert!(team["spaces"].is_number(), "team.spaces: {item}");
        let created = team["createdAt"].as_str().unwrap_or_default();
        assert!(
            is_date_time(created),
            "team.createdAt is not a date-time: {item}"
        );
        assert!(
            team["permissions"]["admin"].is_boolean(),
            "team.permissions.admin: {item}"
        );
        assert!(
            team["permissions"]["view"].is_boolean(),
            "team.permissions.view: {item}"
        );
    }
}

// --- routing ------------------------------------------------------------------------------

#[test]
fn an_unknown_path_under_v1_is_a_404_in_gitbook_error_format() {
    let server = Server::bundled();
    let reply = server
        .get("/v1/spaces/sPaCe4Docs01/nothing-here")
        .bearer(TOKEN)
        .send();
    gitbook_error(&reply, 404);
}

#[test]
fn a_path_with_a_trailing_slash_is_a_404_in_gitbook_error_format() {
    let server = Server::bundled();
    let reply = server.get(&format!("{}/", users())).bearer(TOKEN).send();
    gitbook_error(&reply, 404);
}

#[test]
fn put_on_a_space_user_is_a_405_allowing_patch_and_delete() {
    let server = Server::bundled();
    let reply = server
        .request("PUT", &user("u1x2Y3z4"))
        .bearer(TOKEN)
        .json(json!({"role": "read"}))
        .send();
    gitbook_error(&reply, 405);
    let allow: Vec<String> = reply
        .header("allow")
        .expect("a 405 without Allow")
        .split(',')
        .map(|m| m.trim().to_owned())
        .collect();
    assert!(allow.iter().any(|m| m == "PATCH"), "Allow: {allow:?}");
    assert!(allow.iter().any(|m| m == "DELETE"), "Allow: {allow:?}");
    assert!(
        !allow.iter().any(|m| m == "PUT" || m == "POST"),
        "Allow: {allow:?}"
    );
}

#[test]
fn delete_on_the_team_list_is_a_405_allowing_get() {
    let server = Server::bundled();
    let reply = server.delete(&teams()).bearer(TOKEN).send();
    gitbook_error(&reply, 405);
    let allow = reply.header("allow").expect("a 405 without Allow");
    assert!(
        allow.split(',').any(|m| m.trim() == "GET"),
        "Allow: {allow}"
    );
    assert!(
        !allow.split(',').any(|m| m.trim() == "DELETE"),
        "Allow: {allow}"
    );
}

// --- inviteToSpace ------------------------------------------------------------------------

#[test]
fn inviting_users_with_a_role_is_a_204_without_a_body() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .json(json!({"role": "edit", "users": ["u1x2Y3z4", "Qm9iU21pdGg"]}))
        .send();
    assert_empty(&reply, 204);
}

#[test]
fn inviting_a_team_is_a_204() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .json(json!({"role": "read", "teams": ["tEaMdOcS01"]}))
        .send();
    assert_empty(&reply, 204);
}

#[test]
fn inviting_as_guests_with_a_null_role_is_valid() {
    // 3.0 `nullable`: what GitBook's JS client sends literally for guests.
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .json(json!({"role": null, "users": ["u1x2Y3z4"]}))
        .send();
    assert_empty(&reply, 204);
}

#[test]
fn an_invite_with_a_json_charset_content_type_is_accepted() {
    let server = Server::bundled();
    let body = json!({"role": "comment", "teams": ["tEaMdOcS01"]}).to_string();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .raw_body("application/json; charset=utf-8", body.as_bytes())
        .send();
    assert_empty(&reply, 204);
}

#[test]
fn an_invite_with_members_the_schema_does_not_name_is_accepted() {
    // InviteUsersAndTeams does not forbid additional properties.
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .json(json!({"role": "read", "users": ["u1x2Y3z4"], "message": "welcome"}))
        .send();
    assert_empty(&reply, 204);
}

#[test]
fn an_invite_without_credentials_is_a_401_with_a_bearer_challenge() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .json(json!({"role": "edit", "users": ["u1x2Y3z4"]}))
        .send();
    assert_401(&reply);
}

#[test]
fn an_invite_with_basic_credentials_is_a_401() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .json(json!({"role": "edit", "users": ["u1x2Y3z4"]}))
        .send();
    assert_401(&reply);
}

#[test]
fn missing_credentials_are_reported_before_a_broken_body() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .raw_body("application/json", b"{")
        .send();
    assert_401(&reply);
}

#[test]
fn an_invite_without_a_role_is_a_400_naming_role() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .json(json!({"users": ["u1x2Y3z4"]}))
        .send();
    let message = gitbook_error(&reply, 400);
    reports(&message, "role: This field is missing.");
    assert_eq!(folded(&message).len(), 1, "{message}");
}

#[test]
fn an_invite_with_an_unknown_role_is_a_400_naming_role() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .json(json!({"role": "boss", "users": ["u1x2Y3z4"]}))
        .send();
    let message = gitbook_error(&reply, 400);
    violation_at(&message, "role");
    assert_eq!(folded(&message).len(), 1, "{message}");
}

#[test]
fn an_invite_with_an_unknown_role_lists_the_valid_roles() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .json(json!({"role": "boss", "users": ["u1x2Y3z4"]}))
        .send();
    let message = gitbook_error(&reply, 400);
    let text = violation_at(&message, "role");
    assert!(
        text.starts_with("The value you selected is not a valid choice. Valid choices: "),
        "{text}"
    );
    for role in ROLES {
        assert!(
            text.contains(&format!("\"{role}\"")),
            "{role} missing from {text}"
        );
    }
    assert!(
        text.contains("null"),
        "the guest choice null is missing from {text}"
    );
}

#[test]
fn an_invite_with_a_numeric_role_is_a_400_naming_role() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .json(json!({"role": 3, "teams": ["tEaMdOcS01"]}))
        .send();
    let message = gitbook_error(&reply, 400);
    violation_at(&message, "role");
}

#[test]
fn an_invite_naming_neither_users_nor_teams_is_a_400() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .json(json!({"role": "edit"}))
        .send();
    let message = gitbook_error(&reply, 400);
    assert_eq!(folded(&message).len(), 1, "{message}");
}

#[test]
fn an_invite_naming_neither_users_nor_teams_says_one_of_them_is_needed() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .json(json!({"role": "edit"}))
        .send();
    let message = gitbook_error(&reply, 400);
    let entries = folded(&message);
    assert_eq!(entries.len(), 1, "{message}");
    assert!(entries[0].contains("users"), "{message}");
    assert!(entries[0].contains("teams"), "{message}");
}

#[test]
fn an_invite_with_an_empty_users_list_is_a_400() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .json(json!({"role": "edit", "users": []}))
        .send();
    let message = gitbook_error(&reply, 400);
    assert_eq!(folded(&message).len(), 1, "{message}");
}

#[test]
fn an_invite_with_an_empty_users_list_names_users_and_its_minimum() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .json(json!({"role": "edit", "users": []}))
        .send();
    let message = gitbook_error(&reply, 400);
    reports(
        &message,
        "users: This collection should contain 1 element or more.",
    );
}

#[test]
fn an_invite_whose_teams_is_not_a_list_names_teams_and_its_type() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .json(json!({"role": "edit", "teams": "tEaMdOcS01"}))
        .send();
    let message = gitbook_error(&reply, 400);
    reports(&message, "teams: This value should be of type array.");
}

#[test]
fn an_invite_with_a_numeric_user_id_names_that_entry() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .json(json!({"role": "edit", "users": ["u1x2Y3z4", 42]}))
        .send();
    let message = gitbook_error(&reply, 400);
    reports(&message, "users[1]: This value should be of type string.");
}

#[test]
fn an_invite_with_an_unknown_role_and_no_members_reports_both() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .json(json!({"role": "boss"}))
        .send();
    let message = gitbook_error(&reply, 400);
    let entries = folded(&message);
    assert_eq!(entries.len(), 2, "{message}");
    violation_at(&message, "role");
}

#[test]
fn an_empty_invite_reports_the_missing_role_and_the_missing_members_together() {
    let server = Server::bundled();
    let reply = server.post(&invite()).bearer(TOKEN).json(json!({})).send();
    let message = gitbook_error(&reply, 400);
    reports(&message, "role: This field is missing.");
    assert_eq!(folded(&message).len(), 2, "{message}");
}

#[test]
fn an_invite_that_is_not_an_object_is_a_400() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .json(json!(["u1x2Y3z4"]))
        .send();
    let message = gitbook_error(&reply, 400);
    reports(&message, "This value should be of type object.");
}

#[test]
fn an_invite_with_malformed_json_is_a_400_naming_line_and_column() {
    let server = Server::bundled();
    let body = "{\n  \"role\": \"read\",\n  \"users\": [\"a\",]\n}";
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .raw_body("application/json", body.as_bytes())
        .send();
    let message = gitbook_error(&reply, 400);
    // The stray `]` is line 3, column 17.
    assert!(message.contains("line 3"), "{message}");
    assert!(message.contains("column 17"), "{message}");
}

#[test]
fn an_invite_without_a_body_is_a_400() {
    let server = Server::bundled();
    let reply = server.post(&invite()).bearer(TOKEN).send();
    let message = gitbook_error(&reply, 400);
    assert_eq!(folded(&message).len(), 1, "{message}");
}

#[test]
fn an_invite_sent_as_text_is_a_415() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .raw_body("text/plain", br#"{"role": "read", "users": ["u1x2Y3z4"]}"#)
        .send();
    let message = gitbook_error(&reply, 415);
    assert!(message.contains("application/json"), "{message}");
}

#[test]
fn an_invite_sent_as_a_form_is_a_415() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .raw_body(
            "application/x-www-form-urlencoded",
            b"role=read&users=u1x2Y3z4",
        )
        .send();
    gitbook_error(&reply, 415);
}

#[test]
fn prefer_code_404_on_invite_gives_the_not_found_error() {
    let server = Server::bundled();
    let reply = server
        .post(&invite())
        .bearer(TOKEN)
        .header("Prefer", "code=404")
        .json(json!({"role": "read", "users": ["nobody"]}))
        .send();
    gitbook_error(&reply, 404);
}

// --- listUserPermissionsInSpace -----------------------------------------------------------

#[test]
fn listing_user_permissions_is_a_200_with_user_permission_items() {
    let server = Server::bundled();
    let reply = server.get(&users()).bearer(TOKEN).send();
    reply.expect(200);
    assert!(
        reply
            .header("content-type")
            .unwrap_or_default()
            .starts_with("application/json")
    );
    assert_user_permission_list(&reply.json());
}

#[test]
fn listing_user_permissions_with_accept_any_as_the_js_client_sends_is_a_200() {
    let server = Server::bundled();
    let reply = server
        .get(&users())
        .bearer(TOKEN)
        .header("Accept", "*/*")
        .send();
    reply.expect(200);
    assert!(
        reply
            .header("content-type")
            .unwrap_or_default()
            .starts_with("application/json")
    );
    assert_user_permission_list(&reply.json());
}

#[test]
fn listing_user_permissions_as_html_is_a_406() {
    let server = Server::bundled();
    let reply = server
        .get(&users())
        .bearer(TOKEN)
        .header("Accept", "text/html")
        .send();
    gitbook_error(&reply, 406);
}

#[test]
fn listing_user_permissions_without_credentials_is_a_401() {
    let server = Server::bundled();
    let reply = server.get(&users()).send();
    assert_401(&reply);
}

#[test]
fn a_limit_above_1000_is_a_400_naming_query_limit() {
    let server = Server::bundled();
    let reply = server
        .get(&format!("{}?limit=1001", users()))
        .bearer(TOKEN)
        .send();
    let message = gitbook_error(&reply, 400);
    reports(
        &message,
        "query.limit: This value should be less than or equal to 1000.",
    );
    assert_eq!(folded(&message).len(), 1, "{message}");
}

#[test]
fn a_limit_that_is_not_a_number_is_a_400_naming_query_limit() {
    let server = Server::bundled();
    let reply = server
        .get(&format!("{}?limit=abc", users()))
        .bearer(TOKEN)
        .send();
    let message = gitbook_error(&reply, 400);
    reports(
        &message,
        "query.limit: This value should be of type number.",
    );
}

#[test]
fn a_negative_limit_is_a_400_naming_query_limit() {
    let server = Server::bundled();
    let reply = server
        .get(&format!("{}?limit=-1", users()))
        .bearer(TOKEN)
        .send();
    let message = gitbook_error(&reply, 400);
    reports(
        &message,
        "query.limit: This value should be greater than or equal to 0.",
    );
}

#[test]
fn limits_at_the_bounds_and_fractional_limits_are_accepted() {
    // `limit` is `type: number`, 0..1000 inclusive.
    let server = Server::bundled();
    for limit in ["0", "1000", "2.5", "50"] {
        let reply = server
            .get(&format!("{}?limit={limit}", users()))
            .bearer(TOKEN)
            .send();
        assert_eq!(reply.status, 200, "limit={limit}: {}", reply.text());
        assert_user_permission_list(&reply.json());
    }
}

#[test]
fn the_page_cursor_from_next_is_accepted() {
    let server = Server::bundled();
    let first = server
        .get(&format!("{}?limit=1", users()))
        .bearer(TOKEN)
        .send();
    first.expect(200);
    let page = first.json()["next"]["page"]
        .as_str()
        .unwrap_or_else(|| panic!("a first page of one without next: {}", first.text()))
        .to_owned();
    let reply = server
        .get(&format!("{}?page={page}&limit=1", users()))
        .bearer(TOKEN)
        .send();
    reply.expect(200);
    assert_user_permission_list(&reply.json());
}

#[test]
fn a_page_cursor_this_server_did_not_give_is_a_404_in_gitbook_error_format() {
    let server = Server::bundled();
    let reply = server
        .get(&format!("{}?page=cGFnZToy&limit=1", users()))
        .bearer(TOKEN)
        .send();
    let message = gitbook_error(&reply, 404);
    assert!(message.contains("cGFnZToy"), "{message}");
}

#[test]
fn a_percent_encoded_space_id_is_decoded_before_use() {
    // `%30%31` is `01`: the fixtures' space sPaCe4Docs01.
    let server = Server::bundled();
    let reply = server
        .get("/v1/spaces/sPaCe4Docs%30%31/permissions/users")
        .bearer(TOKEN)
        .send();
    reply.expect(200);
    let body = reply.json();
    assert_user_permission_list(&body);
    assert!(body["count"].as_u64().unwrap_or(0) > 0, "{body}");
}

#[test]
fn an_unknown_space_id_is_a_404_in_gitbook_error_format() {
    let server = Server::bundled();
    let reply = server
        .get("/v1/spaces/c3BhY2U%3D/permissions/users")
        .bearer(TOKEN)
        .send();
    let message = gitbook_error(&reply, 404);
    // The id is reported decoded.
    assert!(message.contains("c3BhY2U="), "{message}");
}

#[test]
fn the_last_page_example_has_no_next() {
    let server = Server::bundled();
    let reply = server
        .get(&users())
        .bearer(TOKEN)
        .header("Prefer", "example=lastPage")
        .send();
    reply.expect(200);
    let body = reply.json();
    assert_user_permission_list(&body);
    assert!(
        body.get("next").is_none(),
        "the last page has a next: {body}"
    );
}

#[test]
fn prefer_code_404_on_the_user_list_gives_the_not_found_error() {
    let server = Server::bundled();
    let reply = server
        .get(&users())
        .bearer(TOKEN)
        .header("Prefer", "code=404")
        .send();
    gitbook_error(&reply, 404);
}

#[test]
fn generated_user_lists_have_the_declared_shape() {
    let server = Server::bundled();
    for _ in 0..5 {
        let reply = server
            .get(&users())
            .bearer(TOKEN)
            .header("Prefer", "dynamic=true")
            .send();
        reply.expect(200);
        assert_user_permission_list(&reply.json());
    }
}

#[test]
fn lists_count_a_whole_number_of_objects_at_least_the_page() {
    let server = Server::bundled();
    for path in [users(), aggregate(), teams()] {
        for limit in [0, 1, 2, 1000] {
            let reply = server
                .get(&format!("{path}?limit={limit}"))
                .bearer(TOKEN)
                .send();
            reply.expect(200);
            let body = reply.json();
            let count = body["count"].as_f64().unwrap_or(-1.0);
            assert!(
                count >= 0.0 && count.fract() == 0.0,
                "{path}: count {count}: {body}"
            );
            let page = body["items"].as_array().map_or(0, Vec::len);
            assert!(
                count >= page as f64,
                "{path}: count {count} < {page} items: {body}"
            );
            assert!(
                page <= limit,
                "{path}: {page} items for limit={limit}: {body}"
            );
        }
    }
}

// --- listPermissionsAggregateInSpace ------------------------------------------------------

#[test]
fn listing_everyone_with_access_is_a_200_with_user_permission_items() {
    let server = Server::bundled();
    let reply = server.get(&aggregate()).bearer(TOKEN).send();
    reply.expect(200);
    assert_user_permission_list(&reply.json());
}

#[test]
fn listing_everyone_with_a_role_filter_is_a_200() {
    let server = Server::bundled();
    for role in ROLES {
        let reply = server
            .get(&format!("{}?role={role}", aggregate()))
            .bearer(TOKEN)
            .send();
        assert_eq!(reply.status, 200, "role={role}: {}", reply.text());
        assert_user_permission_list(&reply.json());
    }
}

#[test]
fn the_role_filter_keeps_only_members_with_that_role() {
    let server = Server::bundled();
    let reply = server
        .get(&format!("{}?role=admin", aggregate()))
        .bearer(TOKEN)
        .send();
    reply.expect(200);
    let body = reply.json();
    assert_user_permission_list(&body);
    for item in body["items"].as_array().into_iter().flatten() {
        assert_eq!(item["permission"], "admin", "{body}");
    }
}

#[test]
fn an_unknown_role_filter_is_a_400_listing_the_roles() {
    let server = Server::bundled();
    let reply = server
        .get(&format!("{}?role=boss", aggregate()))
        .bearer(TOKEN)
        .send();
    let message = gitbook_error(&reply, 400);
    let text = violation_at(&message, "query.role");
    assert!(
        text.starts_with("The value you selected is not a valid choice. Valid choices: "),
        "{text}"
    );
    for role in ROLES {
        assert!(
            text.contains(&format!("\"{role}\"")),
            "{role} missing from {text}"
        );
    }
}

#[test]
fn role_filters_are_case_sensitive() {
    let server = Server::bundled();
    let reply = server
        .get(&format!("{}?role=ADMIN", aggregate()))
        .bearer(TOKEN)
        .send();
    let message = gitbook_error(&reply, 400);
    violation_at(&message, "query.role");
}

#[test]
fn a_bad_role_and_a_bad_limit_are_reported_together() {
    let server = Server::bundled();
    let reply = server
        .get(&format!("{}?role=boss&limit=abc", aggregate()))
        .bearer(TOKEN)
        .send();
    let message = gitbook_error(&reply, 400);
    assert_eq!(folded(&message).len(), 2, "{message}");
    violation_at(&message, "query.role");
    reports(
        &message,
        "query.limit: This value should be of type number.",
    );
}

#[test]
fn a_limit_above_1000_on_the_aggregate_list_is_a_400() {
    let server = Server::bundled();
    let reply = server
        .get(&format!("{}?limit=1001", aggregate()))
        .bearer(TOKEN)
        .send();
    let message = gitbook_error(&reply, 400);
    reports(
        &message,
        "query.limit: This value should be less than or equal to 1000.",
    );
}

#[test]
fn listing_everyone_without_credentials_is_a_401() {
    let server = Server::bundled();
    let reply = server.get(&aggregate()).send();
    assert_401(&reply);
}

#[test]
fn listing_everyone_as_html_is_a_406() {
    let server = Server::bundled();
    let reply = server
        .get(&aggregate())
        .bearer(TOKEN)
        .header("Accept", "text/html")
        .send();
    gitbook_error(&reply, 406);
}

#[test]
fn parameter_violations_are_reported_before_an_unacceptable_accept() {
    let server = Server::bundled();
    let reply = server
        .get(&format!("{}?limit=abc", aggregate()))
        .bearer(TOKEN)
        .header("Accept", "text/html")
        .send();
    let message = gitbook_error(&reply, 400);
    violation_at(&message, "query.limit");
}

// --- listTeamPermissionsInSpace -----------------------------------------------------------

#[test]
fn listing_team_permissions_is_a_200_with_team_items() {
    let server = Server::bundled();
    let reply = server.get(&teams()).bearer(TOKEN).send();
    reply.expect(200);
    assert!(
        reply
            .header("content-type")
            .unwrap_or_default()
            .starts_with("application/json")
    );
    assert_team_permission_list(&reply.json());
}

#[test]
fn generated_team_lists_have_the_declared_shape() {
    let server = Server::bundled();
    for _ in 0..5 {
        let reply = server
            .get(&teams())
            .bearer(TOKEN)
            .header("Prefer", "dynamic=true")
            .send();
        reply.expect(200);
        assert_team_permission_list(&reply.json());
    }
}

#[test]
fn listing_team_permissions_with_accept_any_is_a_200() {
    let server = Server::bundled();
    let reply = server
        .get(&teams())
        .bearer(TOKEN)
        .header("Accept", "*/*")
        .send();
    reply.expect(200);
    assert_team_permission_list(&reply.json());
}

#[test]
fn listing_team_permissions_as_html_is_a_406() {
    let server = Server::bundled();
    let reply = server
        .get(&teams())
        .bearer(TOKEN)
        .header("Accept", "text/html")
        .send();
    gitbook_error(&reply, 406);
}

#[test]
fn listing_team_permissions_without_credentials_is_a_401() {
    let server = Server::bundled();
    let reply = server.get(&teams()).send();
    assert_401(&reply);
}

#[test]
fn a_negative_limit_on_the_team_list_is_a_400() {
    let server = Server::bundled();
    let reply = server
        .get(&format!("{}?limit=-1", teams()))
        .bearer(TOKEN)
        .send();
    let message = gitbook_error(&reply, 400);
    reports(
        &message,
        "query.limit: This value should be greater than or equal to 0.",
    );
}

#[test]
fn a_limit_given_twice_is_a_400_naming_query_limit() {
    let server = Server::bundled();
    let reply = server
        .get(&format!("{}?limit=1&limit=2", teams()))
        .bearer(TOKEN)
        .send();
    let message = gitbook_error(&reply, 400);
    violation_at(&message, "query.limit");
}

// --- updateUserPermissionInSpace ----------------------------------------------------------

#[test]
fn changing_a_user_role_is_a_204_without_a_body() {
    let server = Server::bundled();
    let reply = server
        .patch(&user("u1x2Y3z4"))
        .bearer(TOKEN)
        .json(json!({"role": "admin"}))
        .send();
    assert_empty(&reply, 204);
}

#[test]
fn turning_a_user_into_a_guest_with_a_null_role_is_valid() {
    let server = Server::bundled();
    let reply = server
        .patch(&user("u1x2Y3z4"))
        .bearer(TOKEN)
        .json(json!({"role": null}))
        .send();
    assert_empty(&reply, 204);
}

#[test]
fn a_user_update_without_a_role_is_valid() {
    let server = Server::bundled();
    let reply = server
        .patch(&user("u1x2Y3z4"))
        .bearer(TOKEN)
        .json(json!({}))
        .send();
    assert_empty(&reply, 204);
}

#[test]
fn a_user_update_with_an_unknown_role_is_a_400_naming_role() {
    let server = Server::bundled();
    let reply = server
        .patch(&user("u1x2Y3z4"))
        .bearer(TOKEN)
        .json(json!({"role": "boss"}))
        .send();
    let message = gitbook_error(&reply, 400);
    violation_at(&message, "role");
    assert_eq!(folded(&message).len(), 1, "{message}");
}

#[test]
fn a_user_update_with_an_unknown_role_lists_the_valid_roles() {
    let server = Server::bundled();
    let reply = server
        .patch(&user("u1x2Y3z4"))
        .bearer(TOKEN)
        .json(json!({"role": "boss"}))
        .send();
    let message = gitbook_error(&reply, 400);
    let text = violation_at(&message, "role");
    assert!(
        text.starts_with("The value you selected is not a valid choice. Valid choices: "),
        "{text}"
    );
    assert!(
        text.contains("\"admin\"") && text.contains("null"),
        "{text}"
    );
}

#[test]
fn a_user_update_that_is_not_an_object_is_a_400() {
    let server = Server::bundled();
    let reply = server
        .patch(&user("u1x2Y3z4"))
        .bearer(TOKEN)
        .json(json!("admin"))
        .send();
    let message = gitbook_error(&reply, 400);
    reports(&message, "This value should be of type object.");
}

#[test]
fn a_user_update_without_a_body_is_a_400() {
    let server = Server::bundled();
    let reply = server.patch(&user("u1x2Y3z4")).bearer(TOKEN).send();
    let message = gitbook_error(&reply, 400);
    assert_eq!(folded(&message).len(), 1, "{message}");
}

#[test]
fn a_user_update_with_malformed_json_is_a_400_naming_line_and_column() {
    let server = Server::bundled();
    let reply = server
        .patch(&user("u1x2Y3z4"))
        .bearer(TOKEN)
        .raw_body("application/json", b"{\"role\" \"admin\"}")
        .send();
    let message = gitbook_error(&reply, 400);
    // The missing `:` is noticed at the second string, line 1 column 9.
    assert!(message.contains("line 1"), "{message}");
    assert!(message.contains("column 9"), "{message}");
}

#[test]
fn a_user_update_sent_as_text_is_a_415() {
    let server = Server::bundled();
    let reply = server
        .patch(&user("u1x2Y3z4"))
        .bearer(TOKEN)
        .raw_body("text/plain", b"admin")
        .send();
    gitbook_error(&reply, 415);
}

#[test]
fn a_user_update_without_credentials_is_a_401() {
    let server = Server::bundled();
    let reply = server
        .patch(&user("u1x2Y3z4"))
        .json(json!({"role": "read"}))
        .send();
    assert_401(&reply);
}

#[test]
fn prefer_code_404_on_a_user_update_gives_the_not_found_error() {
    let server = Server::bundled();
    let reply = server
        .patch(&user("nobody"))
        .bearer(TOKEN)
        .header("Prefer", "code=404")
        .json(json!({"role": "read"}))
        .send();
    gitbook_error(&reply, 404);
}

// --- removeUserFromSpace ------------------------------------------------------------------

#[test]
fn removing_a_member_is_a_205_without_a_body() {
    let server = Server::bundled();
    let reply = server.delete(&user("u1x2Y3z4")).bearer(TOKEN).send();
    assert_empty(&reply, 205);
}

#[test]
fn removing_a_user_who_is_not_a_member_is_a_204_without_a_body() {
    let server = Server::bundled();
    let reply = server.delete(&user("SXZhbk9ybG92")).bearer(TOKEN).send();
    assert_empty(&reply, 204);
}

#[test]
fn prefer_code_205_on_removing_a_user_is_a_205_without_a_body() {
    let server = Server::bundled();
    let reply = server
        .delete(&user("u1x2Y3z4"))
        .bearer(TOKEN)
        .header("Prefer", "code=205")
        .send();
    assert_empty(&reply, 205);
}

#[test]
fn removing_a_user_without_credentials_is_a_401() {
    let server = Server::bundled();
    let reply = server.delete(&user("u1x2Y3z4")).send();
    assert_401(&reply);
}

#[test]
fn prefer_asking_for_an_undeclared_status_on_removing_a_user_is_a_400() {
    let server = Server::bundled();
    let reply = server
        .delete(&user("u1x2Y3z4"))
        .bearer(TOKEN)
        .header("Prefer", "code=400")
        .send();
    gitbook_error(&reply, 400);
}

// --- updateTeamPermissionInSpace ----------------------------------------------------------

#[test]
fn changing_a_team_role_is_a_204_without_a_body() {
    let server = Server::bundled();
    let reply = server
        .patch(&team("tEaMdOcS01"))
        .bearer(TOKEN)
        .json(json!({"role": "comment"}))
        .send();
    assert_empty(&reply, 204);
}

#[test]
fn turning_a_team_into_guests_with_a_null_role_is_valid() {
    let server = Server::bundled();
    let reply = server
        .patch(&team("tEaMdOcS01"))
        .bearer(TOKEN)
        .json(json!({"role": null}))
        .send();
    assert_empty(&reply, 204);
}

#[test]
fn a_team_update_without_a_role_is_valid() {
    let server = Server::bundled();
    let reply = server
        .patch(&team("tEaMdOcS01"))
        .bearer(TOKEN)
        .json(json!({}))
        .send();
    assert_empty(&reply, 204);
}

#[test]
fn a_team_update_with_an_unknown_role_is_a_400_naming_role() {
    let server = Server::bundled();
    let reply = server
        .patch(&team("tEaMdOcS01"))
        .bearer(TOKEN)
        .json(json!({"role": "boss"}))
        .send();
    let message = gitbook_error(&reply, 400);
    violation_at(&message, "role");
}

#[test]
fn a_team_update_with_a_boolean_role_is_a_400_naming_role() {
    let server = Server::bundled();
    let reply = server
        .patch(&team("tEaMdOcS01"))
        .bearer(TOKEN)
        .json(json!({"role": true}))
        .send();
    let message = gitbook_error(&reply, 400);
    violation_at(&message, "role");
}

#[test]
fn a_team_update_that_is_not_an_object_is_a_400() {
    let server = Server::bundled();
    let reply = server
        .patch(&team("tEaMdOcS01"))
        .bearer(TOKEN)
        .json(json!(null))
        .send();
    let message = gitbook_error(&reply, 400);
    reports(&message, "This value should be of type object.");
}

#[test]
fn a_team_update_without_a_body_is_a_400() {
    let server = Server::bundled();
    let reply = server.patch(&team("tEaMdOcS01")).bearer(TOKEN).send();
    gitbook_error(&reply, 400);
}

#[test]
fn a_team_update_with_malformed_json_is_a_400() {
    let server = Server::bundled();
    let reply = server
        .patch(&team("tEaMdOcS01"))
        .bearer(TOKEN)
        .raw_body("application/json", b"{'role': 'read'}")
        .send();
    let message = gitbook_error(&reply, 400);
    assert!(message.contains("line 1"), "{message}");
    assert!(message.contains("column 2"), "{message}");
}

#[test]
fn a_team_update_sent_as_text_is_a_415() {
    let server = Server::bundled();
    let reply = server
        .patch(&team("tEaMdOcS01"))
        .bearer(TOKEN)
        .raw_body("text/plain", br#"{"role": "read"}"#)
        .send();
    gitbook_error(&reply, 415);
}

#[test]
fn a_team_update_without_credentials_is_a_401() {
    let server = Server::bundled();
    let reply = server
        .patch(&team("tEaMdOcS01"))
        .json(json!({"role": "read"}))
        .send();
    assert_401(&reply);
}

#[test]
fn prefer_code_404_on_a_team_update_gives_the_not_found_error() {
    let server = Server::bundled();
    let reply = server
        .patch(&team("nobody"))
        .bearer(TOKEN)
        .header("Prefer", "code=404")
        .json(json!({"role": "read"}))
        .send();
    gitbook_error(&reply, 404);
}

// --- removeTeamFromSpace ------------------------------------------------------------------

#[test]
fn removing_a_team_with_access_is_a_205_without_a_body() {
    let server = Server::bundled();
    let reply = server.delete(&team("tEaMdOcS01")).bearer(TOKEN).send();
    assert_empty(&reply, 205);
}

#[test]
fn removing_a_team_without_access_is_a_204_without_a_body() {
    let server = Server::bundled();
    let reply = server.delete(&team("tEaMsUpPort3")).bearer(TOKEN).send();
    assert_empty(&reply, 204);
}

#[test]
fn prefer_code_205_on_removing_a_team_is_a_205_without_a_body() {
    let server = Server::bundled();
    let reply = server
        .delete(&team("tEaMdOcS01"))
        .bearer(TOKEN)
        .header("Prefer", "code=205")
        .send();
    assert_empty(&reply, 205);
}

#[test]
fn prefer_code_400_on_removing_a_team_gives_its_declared_bad_request_error() {
    let server = Server::bundled();
    let reply = server
        .delete(&team("tEaMdOcS01"))
        .bearer(TOKEN)
        .header("Prefer", "code=400")
        .send();
    gitbook_error(&reply, 400);
}

#[test]
fn removing_a_team_without_credentials_is_a_401() {
    let server = Server::bundled();
    let reply = server.delete(&team("tEaMdOcS01")).send();
    assert_401(&reply);
}
