//! The journal's questions: `GET /__admin/requests` filtered by method, path (as sent, or a
//! template of the document), operationId and status, and `GET /__admin/requests/count`,
//! each per session; filters that can never match are refused.

use serde_json::{Value, json};

use crate::harness::*;

/// Jane's token in the bundled GitBook fixtures.
const TOKEN: &str = "gb_api_jAnEdOe0aDm1nAcMe0t0kEn";
const DOCS: &str = "sPaCe4Docs01";
const NOTES: &str = "sPaCeNotes03";
/// Bob, not yet in the Docs space's user list.
const BOB: &str = "Qm9iU21pdGg";

fn in_session<'s>(req: Req<'s>, session: Option<&str>) -> Req<'s> {
    match session {
        Some(name) => req.header("X-Understudy-Session", name),
        None => req,
    }
}

/// The journal entries `query` keeps, and the count for the same filters (which must agree).
fn filtered(s: &Server, session: Option<&str>, query: &str) -> Vec<Value> {
    let r = in_session(s.get(&format!("/__admin/requests?{query}")), session).send();
    r.expect(200);
    let entries = r.json()["requests"].as_array().cloned().unwrap_or_default();
    assert_eq!(count(s, session, query), entries.len(), "{query}");
    entries
}

fn count(s: &Server, session: Option<&str>, query: &str) -> usize {
    let r = in_session(s.get(&format!("/__admin/requests/count?{query}")), session).send();
    r.expect(200);
    let n = &r.json()["count"];
    n.as_u64()
        .unwrap_or_else(|| panic!("no count in {}", r.text())) as usize
}

fn invite(s: &Server, session: Option<&str>) {
    in_session(s.post(&format!("/v1/spaces/{DOCS}/permissions")), session)
        .bearer(TOKEN)
        .json(json!({"role": "read", "users": [BOB]}))
        .send()
        .expect(204);
}

/// Five requests: an invite (204), two lists (200), a bad list (400) and an unknown path (404).
fn traffic(s: &Server) {
    invite(s, None);
    for space in [DOCS, NOTES] {
        s.get(&format!("/v1/spaces/{space}/permissions/users"))
            .bearer(TOKEN)
            .send()
            .expect(200);
    }
    s.get(&format!("/v1/spaces/{DOCS}/permissions/users?limit=abc"))
        .bearer(TOKEN)
        .send()
        .expect(400);
    s.get("/nowhere").send().expect(404);
}

fn field<'v>(entries: &'v [Value], name: &str) -> Vec<&'v Value> {
    entries.iter().map(|e| &e[name]).collect()
}

#[test]
fn the_journal_is_filtered_by_method_in_any_case_and_by_status_or_class() {
    let s = Server::bundled();
    traffic(&s);
    let posts = filtered(&s, None, "method=post");
    assert_eq!(field(&posts, "operationId"), [&json!("inviteToSpace")]);
    let gets = filtered(&s, None, "method=GET");
    assert_eq!(gets.len(), 4, "{gets:#?}");
    assert_eq!(
        field(&filtered(&s, None, "status=4xx"), "status"),
        [&json!(400), &json!(404)]
    );
    assert_eq!(
        field(&filtered(&s, None, "status=404"), "path"),
        [&json!("/nowhere")]
    );
    assert_eq!(count(&s, None, "status=2XX"), 3);
    assert_eq!(count(&s, None, "status=201"), 0);
    assert_eq!(count(&s, None, ""), 5, "no filter counts everything");
}

#[test]
fn a_path_filter_is_the_path_as_sent_or_a_template_of_the_document() {
    let s = Server::bundled();
    traffic(&s);
    let exact = filtered(
        &s,
        None,
        &format!("path=/v1/spaces/{DOCS}/permissions/users"),
    );
    assert_eq!(field(&exact, "status"), [&json!(200), &json!(400)]);
    // With the mount, as routed, or as the document writes it; braces encoded or not.
    for template in [
        "/v1/spaces/%7BspaceId%7D/permissions/users",
        "/spaces/%7BspaceId%7D/permissions/users",
        "/v1/spaces/{spaceId}/permissions/users",
    ] {
        let listed = filtered(&s, None, &format!("path={template}"));
        assert_eq!(
            field(&listed, "operationId"),
            [&json!("listUserPermissionsInSpace"); 3],
            "{template}"
        );
    }
    assert_eq!(count(&s, None, "path=/nowhere"), 1);
    assert_eq!(count(&s, None, "path=/v1/spaces"), 0);
}

#[test]
fn filters_combine_and_the_count_says_the_client_called_invite_exactly_once() {
    let s = Server::bundled();
    traffic(&s);
    assert_eq!(count(&s, None, "operationId=inviteToSpace"), 1);
    let bad_lists = filtered(
        &s,
        None,
        "path=/v1/spaces/%7BspaceId%7D/permissions/users&status=400&method=get",
    );
    assert_eq!(field(&bad_lists, "query"), [&json!("limit=abc")]);
    assert_eq!(
        count(
            &s,
            None,
            "operationId=listUserPermissionsInSpace&status=2xx"
        ),
        2
    );
    assert_eq!(count(&s, None, "operationId=inviteToSpace&method=GET"), 0);
    invite(&s, None);
    assert_eq!(count(&s, None, "operationId=inviteToSpace"), 2);
}

#[test]
fn filters_and_counts_answer_for_the_session_named_only() {
    let s = Server::bundled();
    invite(&s, Some("suite-a"));
    invite(&s, Some("suite-b"));
    invite(&s, Some("suite-b"));
    let r = s
        .get("/__admin/requests/count?operationId=inviteToSpace")
        .header("X-Understudy-Session", "suite-b")
        .send();
    r.expect(200);
    assert_eq!(r.json(), json!({"session": "suite-b", "count": 2}));
    assert_eq!(count(&s, Some("suite-a"), "operationId=inviteToSpace"), 1);
    assert_eq!(count(&s, None, "operationId=inviteToSpace"), 0);
    let listed = filtered(&s, Some("suite-a"), "method=POST");
    assert_eq!(listed.len(), 1);
}

#[test]
fn an_unknown_filter_or_a_malformed_value_is_a_400_naming_it() {
    let s = Server::bundled();
    for endpoint in ["/__admin/requests", "/__admin/requests/count"] {
        for (query, names) in [
            ("verb=GET", "`verb`"),
            ("status=6xx", "`status`"),
            ("status=20", "`status`"),
            ("method=", "`method`"),
            ("method=G%20T", "`method`"),
            ("path=nowhere", "`path`"),
            ("path=/v1/%7Bnothing%7D", "/v1/{nothing}"),
            ("operationId=inviteToSpaces", "inviteToSpaces"),
            ("status=200&status=201", "more than once"),
        ] {
            let r = s.get(&format!("{endpoint}?{query}")).send();
            r.expect(400);
            assert_eq!(r.header("content-type"), Some("application/problem+json"));
            let detail = r.json()["detail"].as_str().unwrap_or_default().to_owned();
            assert!(detail.contains(names), "{endpoint}?{query}: {detail}");
        }
    }
}

#[test]
fn the_count_endpoint_allows_get_only_and_clearing_takes_no_filters() {
    let s = Server::bundled();
    let r = s.post("/__admin/requests/count").send();
    r.expect(405);
    assert_eq!(r.header("allow"), Some("GET"));
    let r = s.request("OPTIONS", "/__admin/requests/count").send();
    r.expect(405);
    assert_eq!(r.header("allow"), Some("GET"));
    let r = s.get("/__admin/nope").send();
    r.expect(404);
    let detail = r.json()["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.contains("/__admin/requests/count"), "{detail}");
    s.get("/nowhere").send().expect(404);
    s.delete("/__admin/requests?status=404").send().expect(400);
    assert_eq!(count(&s, None, ""), 1, "a refused clear clears nothing");
}
