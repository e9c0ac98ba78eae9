//! GitBook as a stateful service, through HTTP: the story end to end, every domain
//! error, paging, authentication by the fixtures' tokens, session isolation and the control
//! API, a consistency test under concurrent writes, and fixture validation at startup.
//!
//! Expected values come from `fixtures/gitbook.yaml` (or from fixtures written here) and from
//! the reference's rules, never from the code under test.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use understudy::world::fixtures::FixtureSource;
use understudy::{Engine, EngineConfig, Source};

use crate::gitbook::{assert_empty, gitbook_error};
use crate::harness::*;

/// Jane Doe: admin of the Product documentation space, admin of the Acme Docs organization.
const JANE_TOKEN: &str = "gb_api_jAnEdOe0aDm1nAcMe0t0kEn";
/// Bob Smith: editor of Product documentation, nothing in the organization.
const BOB_TOKEN: &str = "gb_api_b0bSm1tH0eD1t0rAcMe0t0kEn";

const DOCS: &str = "sPaCe4Docs01";
const API_REF: &str = "sPaCeApiRef02";
const NOTES: &str = "sPaCeNotes03";
const GLOBEX: &str = "sPaCeGlobex1";

const JANE: &str = "u1x2Y3z4";
const BOB: &str = "Qm9iU21pdGg";
const CAROL: &str = "Q2Fyb2xMZWU";
const DAVE: &str = "RGF2ZU5ndXllbg";
const EVE: &str = "RXZlTWFydGlu";
const FRANK: &str = "RnJhbmtPa2Fmb3I";
const IVAN: &str = "SXZhbk9ybG92";
const GRACE: &str = "R3JhY2VIb3BwZXI";

/// Carol, Dave, Eve; `review` in Product documentation.
const DOCUMENTATION: &str = "tEaMdOcS01";
/// Bob, Frank; `edit` in API reference.
const ENGINEERING: &str = "tEaMeNg02";
/// Frank, Ivan; no permission anywhere.
const SUPPORT: &str = "tEaMsUpPort3";
/// Globex's team.
const GLOBEX_WRITERS: &str = "tEaMgLoBeX4";

fn invite(space: &str) -> String {
    format!("/v1/spaces/{space}/permissions")
}
fn users(space: &str) -> String {
    format!("/v1/spaces/{space}/permissions/users")
}
fn user(space: &str, id: &str) -> String {
    format!("/v1/spaces/{space}/permissions/users/{id}")
}
fn teams(space: &str) -> String {
    format!("/v1/spaces/{space}/permissions/teams")
}
fn team(space: &str, id: &str) -> String {
    format!("/v1/spaces/{space}/permissions/teams/{id}")
}
fn aggregate(space: &str) -> String {
    format!("/v1/spaces/{space}/permissions/aggregate")
}

// --- helpers ------------------------------------------------------------------------------

/// A request as Jane, in `session` (`None`: the default session).
fn as_jane<'s>(req: Req<'s>, session: Option<&str>) -> Req<'s> {
    let req = req.bearer(JANE_TOKEN);
    match session {
        Some(s) => req.header("X-Understudy-Session", s),
        None => req,
    }
}

/// Every item of a list, following `next.page` with pages of `limit`; asserts that every page
/// gives the same `count`, no page is larger than `limit`, only the last page lacks `next`,
/// and the items add up to `count`.
fn list_all(server: &Server, path: &str, limit: usize, session: Option<&str>) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut out = Vec::new();
    let mut page: Option<String> = None;
    let mut count = None;
    for _ in 0..10_000 {
        let url = match &page {
            Some(p) => format!("{path}{sep}limit={limit}&page={p}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let reply = as_jane(server.get(&url), session).send();
        reply.expect(200);
        let body = reply.json();
        let items = body["items"].as_array().cloned().unwrap_or_default();
        assert!(items.len() <= limit, "{url}: {body}");
        let this_count = body["count"].as_u64();
        assert!(this_count.is_some(), "{url}: no count: {body}");
        if let Some(c) = count {
            assert_eq!(this_count, Some(c), "{url}: the count changed: {body}");
        }
        count = this_count;
        out.extend(items);
        match body.get("next") {
            Some(next) => {
                assert_eq!(
                    out.len() % limit,
                    0,
                    "{url}: a short page with a next: {body}"
                );
                page = Some(next["page"].as_str().unwrap_or_default().to_owned());
            }
            None => break,
        }
    }
    assert_eq!(
        Some(out.len() as u64),
        count,
        "{path}: items and count differ"
    );
    out
}

/// `(user id, permission)` of each item of a user list.
fn user_roles(items: &[Value]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|i| {
            (
                i["user"]["id"].as_str().unwrap_or_default().to_owned(),
                i["permission"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// `(team id, permission)` of each item of a team list.
fn team_roles(items: &[Value]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|i| {
            (
                i["team"]["id"].as_str().unwrap_or_default().to_owned(),
                i["permission"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

fn no_repeats(items: &[(String, String)]) {
    let mut seen = HashSet::new();
    for (id, _) in items {
        assert!(seen.insert(id), "{id} is listed twice: {items:?}");
    }
}

fn team_item(server: &Server, space: &str, id: &str, token: &str) -> Value {
    let reply = server
        .get(&format!("{}?limit=1000", teams(space)))
        .bearer(token)
        .send();
    reply.expect(200);
    reply.json()["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["team"]["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("team {id} is not listed in {space}"))
}

/// A fresh directory under the system's temporary directory.
fn temp_dir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "understudy-gitbook-{tag}-{}-{n}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// The bundled GitBook document alone.
fn gitbook_source() -> Vec<Source> {
    understudy::document::load::bundled()
        .into_iter()
        .filter(|s| s.name() == "gitbook")
        .collect()
}

/// An engine config whose GitBook world is `yaml`.
fn config_with_fixture(tag: &str, yaml: &str) -> EngineConfig {
    let dir = temp_dir(tag);
    std::fs::write(dir.join("gitbook.yaml"), yaml).expect("write the fixture");
    EngineConfig {
        seed: 0,
        check_responses: true,
        fixtures: FixtureSource::Dir(dir),
        ..EngineConfig::default()
    }
}

/// A fixture with one organization, `n` users `uSeR0001`..., one empty space `sPaCeBig01`,
/// the given teams (`(id, member indexes)`) and one token for the first user.
fn generated_fixture(n: usize, team_members: &[(&str, Vec<usize>)]) -> String {
    let mut y = String::from(
        "organizations:\n  - id: oRgLoAd01\n    title: Load\n    admins: [uSeR0000]\nusers:\n",
    );
    for i in 0..n {
        y.push_str(&format!(
            "  - id: uSeR{i:04}\n    displayName: User {i}\n    email: user{i}@example.com\n"
        ));
    }
    y.push_str("teams:\n");
    for (id, members) in team_members {
        let members: Vec<String> = members.iter().map(|i| format!("uSeR{i:04}")).collect();
        y.push_str(&format!(
            "  - id: {id}\n    organization: oRgLoAd01\n    title: Team {id}\n    \
             createdAt: '2024-01-01T00:00:00Z'\n    members: [{}]\n",
            members.join(", ")
        ));
    }
    y.push_str(
        "spaces:\n  - id: sPaCeBig01\n    organization: oRgLoAd01\n    title: Big\n\
         tokens:\n  - token: gb_api_l0AdT0kEn\n    user: uSeR0000\n",
    );
    y
}

// --- the story ----------------------------------------------------------------------------

#[test]
fn the_gitbook_story_invite_list_aggregate_patch_remove_and_list_again() {
    let server = Server::bundled();

    // Invite a user and a team.
    let reply = as_jane(server.post(&invite(DOCS)), None)
        .json(json!({"role": "comment", "users": [IVAN]}))
        .send();
    assert_empty(&reply, 204);
    let reply = as_jane(server.post(&invite(DOCS)), None)
        .json(json!({"role": "edit", "teams": [SUPPORT]}))
        .send();
    assert_empty(&reply, 204);

    // Users with limit=1 across every page: the fixture's three, then Ivan.
    let listed = user_roles(&list_all(&server, &users(DOCS), 1, None));
    no_repeats(&listed);
    assert_eq!(
        listed,
        pairs(&[
            (JANE, "admin"),
            (BOB, "edit"),
            (CAROL, "read"),
            (IVAN, "comment")
        ])
    );

    // Teams: Documentation from the fixtures, then Support.
    let listed = team_roles(&list_all(&server, &teams(DOCS), 1, None));
    assert_eq!(
        listed,
        pairs(&[(DOCUMENTATION, "review"), (SUPPORT, "edit")])
    );

    // Everyone, each with their highest role, in the order they gained access.
    let everyone = user_roles(&list_all(&server, &aggregate(DOCS), 2, None));
    no_repeats(&everyone);
    assert_eq!(
        everyone,
        pairs(&[
            (JANE, "admin"),
            (BOB, "edit"),
            (CAROL, "review"), // read directly, review through Documentation
            (DAVE, "review"),
            (EVE, "review"),
            (IVAN, "edit"), // comment directly, edit through Support
            (FRANK, "edit"),
        ])
    );
    let editors = user_roles(&list_all(
        &server,
        &format!("{}?role=edit", aggregate(DOCS)),
        1,
        None,
    ));
    assert_eq!(
        editors,
        pairs(&[(BOB, "edit"), (IVAN, "edit"), (FRANK, "edit")])
    );

    // Patch Ivan to admin, Support down to read.
    let reply = as_jane(server.patch(&user(DOCS, IVAN)), None)
        .json(json!({"role": "admin"}))
        .send();
    assert_empty(&reply, 204);
    let reply = as_jane(server.patch(&team(DOCS, SUPPORT)), None)
        .json(json!({"role": "read"}))
        .send();
    assert_empty(&reply, 204);
    let admins = user_roles(&list_all(
        &server,
        &format!("{}?role=admin", aggregate(DOCS)),
        1,
        None,
    ));
    assert_eq!(admins, pairs(&[(JANE, "admin"), (IVAN, "admin")]));

    // Remove Ivan twice: 205, then 204.
    assert_empty(&as_jane(server.delete(&user(DOCS, IVAN)), None).send(), 205);
    assert_empty(&as_jane(server.delete(&user(DOCS, IVAN)), None).send(), 204);

    // List again: Ivan has no permission of his own, but still reaches the space through
    // Support, now as a reader; he never lost access, so he keeps his place in the aggregate.
    let listed = user_roles(&list_all(&server, &users(DOCS), 1, None));
    assert_eq!(
        listed,
        pairs(&[(JANE, "admin"), (BOB, "edit"), (CAROL, "read")])
    );
    let everyone = user_roles(&list_all(&server, &aggregate(DOCS), 3, None));
    assert_eq!(
        everyone,
        pairs(&[
            (JANE, "admin"),
            (BOB, "edit"),
            (CAROL, "review"),
            (DAVE, "review"),
            (EVE, "review"),
            (IVAN, "read"),
            (FRANK, "read"),
        ])
    );

    // Remove Support: 205 then 204; Ivan and Frank lose access.
    assert_empty(
        &as_jane(server.delete(&team(DOCS, SUPPORT)), None).send(),
        205,
    );
    assert_empty(
        &as_jane(server.delete(&team(DOCS, SUPPORT)), None).send(),
        204,
    );
    let everyone = user_roles(&list_all(&server, &aggregate(DOCS), 20, None));
    assert_eq!(
        everyone,
        pairs(&[
            (JANE, "admin"),
            (BOB, "edit"),
            (CAROL, "review"),
            (DAVE, "review"),
            (EVE, "review"),
        ])
    );
}

// --- inviteToSpace ------------------------------------------------------------------------

#[test]
fn inviting_a_current_member_sets_the_new_role_and_keeps_their_place() {
    let server = Server::bundled();
    let reply = as_jane(server.post(&invite(DOCS)), None)
        .json(json!({"role": "create", "users": [BOB]}))
        .send();
    assert_empty(&reply, 204);
    let listed = user_roles(&list_all(&server, &users(DOCS), 10, None));
    assert_eq!(
        listed,
        pairs(&[(JANE, "admin"), (BOB, "create"), (CAROL, "read")])
    );
}

#[test]
fn inviting_a_current_team_sets_the_new_role_for_the_team_and_its_members() {
    let server = Server::bundled();
    let reply = as_jane(server.post(&invite(DOCS)), None)
        .json(json!({"role": "admin", "teams": [DOCUMENTATION]}))
        .send();
    assert_empty(&reply, 204);
    let listed = team_roles(&list_all(&server, &teams(DOCS), 10, None));
    assert_eq!(listed, pairs(&[(DOCUMENTATION, "admin")]));
    let admins = user_roles(&list_all(
        &server,
        &format!("{}?role=admin", aggregate(DOCS)),
        10,
        None,
    ));
    assert_eq!(
        admins,
        pairs(&[
            (JANE, "admin"),
            (CAROL, "admin"),
            (DAVE, "admin"),
            (EVE, "admin")
        ])
    );
}

#[test]
fn inviting_users_and_teams_in_one_request_gives_all_of_them_the_role() {
    let server = Server::bundled();
    let reply = as_jane(server.post(&invite(NOTES)), None)
        .json(json!({"role": "read", "users": [DAVE, EVE], "teams": [ENGINEERING]}))
        .send();
    assert_empty(&reply, 204);
    assert_eq!(
        user_roles(&list_all(&server, &users(NOTES), 10, None)),
        pairs(&[(DAVE, "read"), (EVE, "read")])
    );
    assert_eq!(
        team_roles(&list_all(&server, &teams(NOTES), 10, None)),
        pairs(&[(ENGINEERING, "read")])
    );
    assert_eq!(
        user_roles(&list_all(&server, &aggregate(NOTES), 10, None)),
        pairs(&[
            (DAVE, "read"),
            (EVE, "read"),
            (BOB, "read"),
            (FRANK, "read")
        ])
    );
}

#[test]
fn inviting_with_a_null_role_removes_the_explicit_permission() {
    let server = Server::bundled();
    let reply = as_jane(server.post(&invite(DOCS)), None)
        .json(json!({"role": null, "users": [BOB], "teams": [DOCUMENTATION]}))
        .send();
    assert_empty(&reply, 204);
    assert_eq!(
        user_roles(&list_all(&server, &users(DOCS), 10, None)),
        pairs(&[(JANE, "admin"), (CAROL, "read")])
    );
    assert!(list_all(&server, &teams(DOCS), 10, None).is_empty());
    assert_eq!(
        user_roles(&list_all(&server, &aggregate(DOCS), 10, None)),
        pairs(&[(JANE, "admin"), (CAROL, "read")])
    );
}

#[test]
fn inviting_as_guests_someone_without_a_permission_changes_nothing() {
    let server = Server::bundled();
    let reply = as_jane(server.post(&invite(DOCS)), None)
        .json(json!({"role": null, "users": [IVAN]}))
        .send();
    assert_empty(&reply, 204);
    assert_eq!(list_all(&server, &users(DOCS), 10, None).len(), 3);
}

#[test]
fn inviting_an_unknown_user_is_a_404_and_invites_nobody() {
    let server = Server::bundled();
    let reply = as_jane(server.post(&invite(NOTES)), None)
        .json(json!({"role": "edit", "users": [IVAN, "nObOdY000"]}))
        .send();
    let message = gitbook_error(&reply, 404);
    assert!(message.contains("nObOdY000"), "{message}");
    assert!(list_all(&server, &users(NOTES), 10, None).is_empty());
}

#[test]
fn inviting_an_unknown_team_is_a_404_and_invites_nobody() {
    let server = Server::bundled();
    let reply = as_jane(server.post(&invite(NOTES)), None)
        .json(json!({"role": "edit", "users": [IVAN], "teams": ["tEaMnOnE9"]}))
        .send();
    let message = gitbook_error(&reply, 404);
    assert!(message.contains("tEaMnOnE9"), "{message}");
    assert!(list_all(&server, &users(NOTES), 10, None).is_empty());
    assert!(list_all(&server, &teams(NOTES), 10, None).is_empty());
}

#[test]
fn inviting_a_team_of_another_organization_is_a_404() {
    let server = Server::bundled();
    let reply = as_jane(server.post(&invite(DOCS)), None)
        .json(json!({"role": "read", "teams": [GLOBEX_WRITERS]}))
        .send();
    let message = gitbook_error(&reply, 404);
    assert!(message.contains(GLOBEX_WRITERS), "{message}");
    assert_eq!(list_all(&server, &teams(DOCS), 10, None).len(), 1);
}

#[test]
fn inviting_to_an_unknown_space_is_a_404() {
    let server = Server::bundled();
    let reply = as_jane(server.post(&invite("sPaCeNoNe99")), None)
        .json(json!({"role": "read", "users": [IVAN]}))
        .send();
    let message = gitbook_error(&reply, 404);
    assert!(message.contains("sPaCeNoNe99"), "{message}");
}

// --- lists and paging ---------------------------------------------------------------------

#[test]
fn listing_an_unknown_space_is_a_404_for_each_list() {
    let server = Server::bundled();
    for path in [
        users("sPaCeNoNe99"),
        teams("sPaCeNoNe99"),
        aggregate("sPaCeNoNe99"),
    ] {
        let reply = as_jane(server.get(&path), None).send();
        let message = gitbook_error(&reply, 404);
        assert!(message.contains("sPaCeNoNe99"), "{path}: {message}");
    }
}

#[test]
fn a_user_item_is_the_fixture_user_with_its_api_location() {
    let server = Server::bundled();
    let items = list_all(&server, &users(DOCS), 1, None);
    assert_eq!(
        items[0],
        json!({
            "permission": "admin",
            "user": {
                "object": "user",
                "id": JANE,
                "displayName": "Jane Doe",
                "email": "jane.doe@example.com",
                "photoURL": "https://avatars.example.com/u1x2Y3z4.png",
                "urls": {"location": "https://api.gitbook.com/v1/users/u1x2Y3z4"},
            }
        })
    );
    // Bob has no email or photo in the fixtures: the optional members are left out.
    assert_eq!(
        keys(&items[1]["user"]),
        ["displayName", "id", "object", "urls"]
    );
}

#[test]
fn a_team_item_counts_its_members_and_spaces_and_follows_invites_and_removals() {
    let server = Server::bundled();
    let item = team_item(&server, DOCS, DOCUMENTATION, JANE_TOKEN);
    assert_eq!(
        item,
        json!({
            "permission": "review",
            "team": {
                "object": "team",
                "id": DOCUMENTATION,
                "title": "Documentation",
                "members": 3,
                "spaces": 1,
                "createdAt": "2024-03-18T09:30:00.000Z",
                "permissions": {"admin": true, "view": true},
            }
        })
    );
    for space in [API_REF, NOTES] {
        let reply = as_jane(server.post(&invite(space)), None)
            .json(json!({"role": "read", "teams": [DOCUMENTATION]}))
            .send();
        assert_empty(&reply, 204);
    }
    let item = team_item(&server, NOTES, DOCUMENTATION, JANE_TOKEN);
    assert_eq!(item["team"]["spaces"], json!(3), "{item}");
    assert_empty(
        &as_jane(server.delete(&team(API_REF, DOCUMENTATION)), None).send(),
        205,
    );
    let item = team_item(&server, DOCS, DOCUMENTATION, JANE_TOKEN);
    assert_eq!(item["team"]["spaces"], json!(2), "{item}");
}

#[test]
fn team_admin_permission_is_for_admins_of_the_teams_organization() {
    let server = Server::bundled();
    let as_bob = team_item(&server, DOCS, DOCUMENTATION, BOB_TOKEN);
    assert_eq!(
        as_bob["team"]["permissions"],
        json!({"admin": false, "view": true})
    );
    let as_jane = team_item(&server, DOCS, DOCUMENTATION, JANE_TOKEN);
    assert_eq!(
        as_jane["team"]["permissions"],
        json!({"admin": true, "view": true})
    );
}

#[test]
fn the_default_page_holds_20_items() {
    let server = Server::start(
        gitbook_source(),
        config_with_fixture("default-page", &generated_fixture(45, &[])),
    );
    let ids: Vec<String> = (0..45).map(|i| format!("uSeR{i:04}")).collect();
    let reply = server
        .post(&invite("sPaCeBig01"))
        .bearer("gb_api_l0AdT0kEn")
        .json(json!({"role": "read", "users": ids}))
        .send();
    assert_empty(&reply, 204);
    let mut sizes = Vec::new();
    let mut seen = Vec::new();
    let mut page: Option<String> = None;
    loop {
        let path = match &page {
            Some(p) => format!("{}?page={p}", users("sPaCeBig01")),
            None => users("sPaCeBig01"),
        };
        let reply = server.get(&path).bearer("gb_api_l0AdT0kEn").send();
        reply.expect(200);
        let body = reply.json();
        assert_eq!(body["count"], json!(45));
        let items = user_roles(body["items"].as_array().map_or(&[][..], Vec::as_slice));
        sizes.push(items.len());
        seen.extend(items.into_iter().map(|(id, _)| id));
        match body["next"]["page"].as_str() {
            Some(p) => page = Some(p.to_owned()),
            None => break,
        }
    }
    assert_eq!(sizes, [20, 20, 5]);
    assert_eq!(seen, ids, "insertion order, nothing skipped or repeated");
}

#[test]
fn limit_zero_gives_the_count_and_no_next_page() {
    let server = Server::bundled();
    let reply = as_jane(server.get(&format!("{}?limit=0", users(DOCS))), None).send();
    reply.expect(200);
    assert_eq!(reply.json(), json!({"items": [], "count": 3}));
}

#[test]
fn a_client_following_next_with_limit_zero_stops_on_every_list() {
    // The loop a client writes: ask, then follow `next` until there is none. With a `next`
    // that does not move, it never ends; bounded here.
    let server = Server::bundled();
    for list in [users(DOCS), teams(DOCS), aggregate(DOCS)] {
        let mut page: Option<String> = None;
        let mut requests = 0;
        loop {
            requests += 1;
            assert!(
                requests <= 3,
                "{list}: still paging after {requests} requests"
            );
            let path = match &page {
                None => format!("{list}?limit=0"),
                Some(p) => format!("{list}?limit=0&page={p}"),
            };
            let reply = as_jane(server.get(&path), None).send();
            reply.expect(200);
            match reply.json()["next"]["page"].as_str() {
                Some(next) => page = Some(next.to_owned()),
                None => break,
            }
        }
    }
}

#[test]
fn limit_zero_on_an_empty_list_is_the_last_page() {
    let server = Server::bundled();
    let reply = as_jane(server.get(&format!("{}?limit=0", users(NOTES))), None).send();
    reply.expect(200);
    let body = reply.json();
    assert_eq!(body, json!({"items": [], "count": 0}));
}

#[test]
fn a_fractional_limit_is_rounded_down() {
    let server = Server::bundled();
    let reply = as_jane(server.get(&format!("{}?limit=2.5", users(DOCS))), None).send();
    reply.expect(200);
    assert_eq!(reply.json()["items"].as_array().map(Vec::len), Some(2));
}

#[test]
fn the_last_page_has_no_next() {
    let server = Server::bundled();
    let reply = as_jane(server.get(&format!("{}?limit=3", users(DOCS))), None).send();
    reply.expect(200);
    let body = reply.json();
    assert_eq!(body["items"].as_array().map(Vec::len), Some(3));
    assert!(body.get("next").is_none(), "{body}");
}

#[test]
fn pages_neither_skip_nor_repeat_when_earlier_items_are_removed_between_pages() {
    let server = Server::bundled();
    let first = as_jane(server.get(&format!("{}?limit=2", users(DOCS))), None).send();
    first.expect(200);
    let body = first.json();
    assert_eq!(
        user_roles(body["items"].as_array().map_or(&[][..], Vec::as_slice)),
        pairs(&[(JANE, "admin"), (BOB, "edit")])
    );
    let page = body["next"]["page"].as_str().unwrap_or_default().to_owned();
    assert_empty(&as_jane(server.delete(&user(DOCS, JANE)), None).send(), 205);
    let second = as_jane(
        server.get(&format!("{}?limit=2&page={page}", users(DOCS))),
        None,
    )
    .send();
    second.expect(200);
    let body = second.json();
    assert_eq!(
        user_roles(body["items"].as_array().map_or(&[][..], Vec::as_slice)),
        pairs(&[(CAROL, "read")])
    );
    assert_eq!(body["count"], json!(2));
}

#[test]
fn a_page_token_of_another_list_is_a_404() {
    let server = Server::bundled();
    let reply = as_jane(server.get(&format!("{}?limit=1", users(DOCS))), None).send();
    let token = reply.json()["next"]["page"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for other in [
        teams(DOCS),
        aggregate(DOCS),
        users(API_REF),
        format!("{}?role=admin", aggregate(DOCS)),
    ] {
        let sep = if other.contains('?') { '&' } else { '?' };
        let reply = as_jane(server.get(&format!("{other}{sep}page={token}")), None).send();
        let message = gitbook_error(&reply, 404);
        assert!(message.contains(&token), "{other}: {message}");
    }
}

#[test]
fn a_made_up_page_token_is_a_404_on_every_list() {
    let server = Server::bundled();
    for path in [users(DOCS), teams(DOCS), aggregate(DOCS)] {
        let reply = as_jane(server.get(&format!("{path}?page=bm9wZQ")), None).send();
        gitbook_error(&reply, 404);
    }
}

// --- the aggregate list -------------------------------------------------------------------

#[test]
fn the_aggregate_gives_each_user_the_highest_of_their_roles() {
    let server = Server::bundled();
    // Frank: read directly, edit through Engineering, comment through Support: edit.
    for body in [
        json!({"role": "read", "users": [FRANK]}),
        json!({"role": "edit", "teams": [ENGINEERING]}),
        json!({"role": "comment", "teams": [SUPPORT]}),
    ] {
        assert_empty(
            &as_jane(server.post(&invite(NOTES)), None).json(body).send(),
            204,
        );
    }
    let everyone = user_roles(&list_all(&server, &aggregate(NOTES), 10, None));
    assert_eq!(
        everyone,
        pairs(&[(FRANK, "edit"), (BOB, "edit"), (IVAN, "comment")])
    );
    // Engineering removed: Frank falls back to comment (Support), over his own read.
    assert_empty(
        &as_jane(server.delete(&team(NOTES, ENGINEERING)), None).send(),
        205,
    );
    let everyone = user_roles(&list_all(&server, &aggregate(NOTES), 10, None));
    assert_eq!(everyone, pairs(&[(FRANK, "comment"), (IVAN, "comment")]));
}

#[test]
fn the_role_filter_pages_over_that_effective_role_only() {
    let server = Server::bundled();
    for (role, expected) in [
        ("admin", vec![JANE]),
        ("edit", vec![BOB]),
        ("review", vec![CAROL, DAVE, EVE]),
        ("read", vec![]),
        ("create", vec![]),
    ] {
        let listed = user_roles(&list_all(
            &server,
            &format!("{}?role={role}", aggregate(DOCS)),
            1,
            None,
        ));
        let ids: Vec<&str> = listed.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, expected, "role={role}");
        assert!(listed.iter().all(|(_, r)| r == role), "{listed:?}");
    }
}

// --- updateUserPermissionInSpace / updateTeamPermissionInSpace ------------------------------

#[test]
fn patching_a_user_without_a_permission_in_the_space_is_a_404() {
    let server = Server::bundled();
    // Dave reaches the space only through Documentation; Ivan not at all; nObOdY000 does not
    // exist.
    for id in [DAVE, IVAN, "nObOdY000"] {
        let reply = as_jane(server.patch(&user(DOCS, id)), None)
            .json(json!({"role": "read"}))
            .send();
        let message = gitbook_error(&reply, 404);
        assert!(message.contains(id), "{message}");
    }
    assert_eq!(list_all(&server, &users(DOCS), 10, None).len(), 3);
}

#[test]
fn patching_a_user_in_an_unknown_space_is_a_404() {
    let server = Server::bundled();
    let reply = as_jane(server.patch(&user("sPaCeNoNe99", JANE)), None)
        .json(json!({"role": "read"}))
        .send();
    gitbook_error(&reply, 404);
}

#[test]
fn patching_a_user_without_a_role_is_a_204_that_changes_nothing() {
    let server = Server::bundled();
    let reply = as_jane(server.patch(&user(DOCS, BOB)), None)
        .json(json!({}))
        .send();
    assert_empty(&reply, 204);
    assert_eq!(
        user_roles(&list_all(&server, &users(DOCS), 10, None)),
        pairs(&[(JANE, "admin"), (BOB, "edit"), (CAROL, "read")])
    );
}

#[test]
fn patching_a_user_to_a_null_role_removes_the_permission() {
    let server = Server::bundled();
    let reply = as_jane(server.patch(&user(DOCS, BOB)), None)
        .json(json!({"role": null}))
        .send();
    assert_empty(&reply, 204);
    assert_eq!(
        user_roles(&list_all(&server, &users(DOCS), 10, None)),
        pairs(&[(JANE, "admin"), (CAROL, "read")])
    );
    // No permission left to patch.
    let reply = as_jane(server.patch(&user(DOCS, BOB)), None)
        .json(json!({"role": "read"}))
        .send();
    gitbook_error(&reply, 404);
}

#[test]
fn patching_a_user_keeps_their_place_in_the_list() {
    let server = Server::bundled();
    let reply = as_jane(server.patch(&user(DOCS, JANE)), None)
        .json(json!({"role": "read"}))
        .send();
    assert_empty(&reply, 204);
    assert_eq!(
        user_roles(&list_all(&server, &users(DOCS), 10, None)),
        pairs(&[(JANE, "read"), (BOB, "edit"), (CAROL, "read")])
    );
}

#[test]
fn patching_a_team_without_a_permission_in_the_space_is_a_404() {
    let server = Server::bundled();
    for id in [SUPPORT, "tEaMnOnE9"] {
        let reply = as_jane(server.patch(&team(DOCS, id)), None)
            .json(json!({"role": "read"}))
            .send();
        let message = gitbook_error(&reply, 404);
        assert!(message.contains(id), "{message}");
    }
    let reply = as_jane(server.patch(&team("sPaCeNoNe99", DOCUMENTATION)), None)
        .json(json!({"role": "read"}))
        .send();
    gitbook_error(&reply, 404);
}

#[test]
fn patching_a_team_changes_its_members_roles() {
    let server = Server::bundled();
    let reply = as_jane(server.patch(&team(DOCS, DOCUMENTATION)), None)
        .json(json!({"role": "comment"}))
        .send();
    assert_empty(&reply, 204);
    assert_eq!(
        team_roles(&list_all(&server, &teams(DOCS), 10, None)),
        pairs(&[(DOCUMENTATION, "comment")])
    );
    assert_eq!(
        user_roles(&list_all(&server, &aggregate(DOCS), 10, None)),
        pairs(&[
            (JANE, "admin"),
            (BOB, "edit"),
            (CAROL, "comment"),
            (DAVE, "comment"),
            (EVE, "comment"),
        ])
    );
}

#[test]
fn patching_a_team_without_a_role_changes_nothing_and_null_removes_it() {
    let server = Server::bundled();
    let reply = as_jane(server.patch(&team(DOCS, DOCUMENTATION)), None)
        .json(json!({}))
        .send();
    assert_empty(&reply, 204);
    assert_eq!(
        team_roles(&list_all(&server, &teams(DOCS), 10, None)),
        pairs(&[(DOCUMENTATION, "review")])
    );
    let reply = as_jane(server.patch(&team(DOCS, DOCUMENTATION)), None)
        .json(json!({"role": null}))
        .send();
    assert_empty(&reply, 204);
    assert!(list_all(&server, &teams(DOCS), 10, None).is_empty());
    let item = team_item(&server, API_REF, ENGINEERING, JANE_TOKEN);
    assert_eq!(item["team"]["spaces"], json!(1));
}

// --- removeUserFromSpace / removeTeamFromSpace ----------------------------------------------

#[test]
fn removing_from_an_unknown_space_is_a_404() {
    let server = Server::bundled();
    gitbook_error(
        &as_jane(server.delete(&user("sPaCeNoNe99", JANE)), None).send(),
        404,
    );
    gitbook_error(
        &as_jane(server.delete(&team("sPaCeNoNe99", DOCUMENTATION)), None).send(),
        404,
    );
}

#[test]
fn removing_a_team_without_access_is_a_204_not_the_declared_400() {
    // The reference: "DELETE: 205 ... when a permission was removed, 204 when there was none".
    let server = Server::bundled();
    for id in [SUPPORT, GLOBEX_WRITERS, "tEaMnOnE9"] {
        assert_empty(&as_jane(server.delete(&team(DOCS, id)), None).send(), 204);
    }
}

#[test]
fn removing_a_user_reached_only_through_a_team_is_a_204_and_keeps_their_access() {
    let server = Server::bundled();
    assert_empty(&as_jane(server.delete(&user(DOCS, DAVE)), None).send(), 204);
    let everyone = user_roles(&list_all(&server, &aggregate(DOCS), 10, None));
    assert!(everyone.contains(&(DAVE.to_owned(), "review".to_owned())));
}

// --- authentication -----------------------------------------------------------------------

#[test]
fn an_unknown_token_is_a_401_and_changes_nothing() {
    let server = Server::bundled();
    let reply = server
        .post(&invite(NOTES))
        .bearer("gb_api_nOtAkNoWnT0kEn")
        .json(json!({"role": "read", "users": [IVAN]}))
        .send();
    gitbook_error(&reply, 401);
    assert!(reply.header("www-authenticate").is_some());
    let reply = server
        .get(&users(DOCS))
        .bearer("gb_api_nOtAkNoWnT0kEn")
        .send();
    gitbook_error(&reply, 401);
    assert!(list_all(&server, &users(NOTES), 10, None).is_empty());
}

#[test]
fn every_fixture_token_is_accepted_in_a_space_its_user_can_access() {
    let server = Server::bundled();
    for (token, space) in [
        (JANE_TOKEN, DOCS),
        (BOB_TOKEN, API_REF),
        (HEIDI_TOKEN, GLOBEX),
    ] {
        server.get(&users(space)).bearer(token).send().expect(200);
    }
}

// --- who may do what ----------------------------------------------------------------------

/// Heidi Karlsson: admin of the Globex organization and of its space, nothing at Acme.
const HEIDI_TOKEN: &str = "gb_api_hE1d1Gl0bEx0aDm1n0t0kEn";

/// The users of Product documentation with their roles, read as Jane.
fn docs_users(server: &Server) -> Vec<(String, String)> {
    user_roles(&list_all(server, &users(DOCS), 10, None))
}

#[test]
fn another_organizations_member_finds_no_such_space_to_read_or_change() {
    let server = Server::bundled();
    let before = docs_users(&server);
    for path in [users(DOCS), teams(DOCS), aggregate(DOCS)] {
        let message = gitbook_error(&server.get(&path).bearer(HEIDI_TOKEN).send(), 404);
        assert!(message.contains(DOCS), "{path}: {message}");
    }
    let attempts = [
        server
            .post(&invite(DOCS))
            .bearer(HEIDI_TOKEN)
            .json(json!({"role": "admin", "users": [GRACE]})),
        server.delete(&user(DOCS, JANE)).bearer(HEIDI_TOKEN),
        server
            .patch(&user(DOCS, CAROL))
            .bearer(HEIDI_TOKEN)
            .json(json!({"role": "admin"})),
        server
            .delete(&team(DOCS, DOCUMENTATION))
            .bearer(HEIDI_TOKEN),
        server
            .patch(&team(DOCS, DOCUMENTATION))
            .bearer(HEIDI_TOKEN)
            .json(json!({"role": "admin"})),
    ];
    for attempt in attempts {
        gitbook_error(&attempt.send(), 404);
    }
    assert_eq!(docs_users(&server), before, "nothing changed");
    assert_eq!(
        before,
        pairs(&[(JANE, "admin"), (BOB, "edit"), (CAROL, "read")])
    );
}

#[test]
fn a_member_without_admin_or_create_can_list_but_not_manage_permissions() {
    let server = Server::bundled();
    // Bob edits Product documentation: he sees its lists...
    for path in [users(DOCS), teams(DOCS), aggregate(DOCS)] {
        server.get(&path).bearer(BOB_TOKEN).send().expect(200);
    }
    // ...and every change is a 403 that says why, in GitBook's format.
    let attempts = [
        server.delete(&user(DOCS, CAROL)).bearer(BOB_TOKEN),
        server
            .patch(&user(DOCS, CAROL))
            .bearer(BOB_TOKEN)
            .json(json!({"role": "admin"})),
        server
            .post(&invite(DOCS))
            .bearer(BOB_TOKEN)
            .json(json!({"role": "admin", "users": [BOB]})),
        server.delete(&team(DOCS, DOCUMENTATION)).bearer(BOB_TOKEN),
    ];
    for attempt in attempts {
        let message = gitbook_error(&attempt.send(), 403);
        assert!(message.contains("edit"), "{message}");
    }
    assert_eq!(
        docs_users(&server),
        pairs(&[(JANE, "admin"), (BOB, "edit"), (CAROL, "read")])
    );
}

#[test]
fn space_admins_and_creators_manage_permissions_without_being_organization_admins() {
    let server = Server::bundled();
    // Bob is admin of API reference: he manages it.
    let reply = server
        .post(&invite(API_REF))
        .bearer(BOB_TOKEN)
        .json(json!({"role": "read", "users": [IVAN]}))
        .send();
    assert_empty(&reply, 204);
    // Made a creator of Product documentation by Jane, he manages that space too.
    let reply = as_jane(server.patch(&user(DOCS, BOB)), None)
        .json(json!({"role": "create"}))
        .send();
    assert_empty(&reply, 204);
    let reply = server.delete(&user(DOCS, CAROL)).bearer(BOB_TOKEN).send();
    assert_empty(&reply, 205);
    assert_eq!(
        docs_users(&server),
        pairs(&[(JANE, "admin"), (BOB, "create")])
    );
}

#[test]
fn an_organization_admin_manages_every_space_of_the_organization_and_no_other() {
    let server = Server::bundled();
    // Heidi administers Globex; she has no permission of her own in Release notes at Acme.
    let reply = server
        .post(&invite(GLOBEX))
        .bearer(HEIDI_TOKEN)
        .json(json!({"role": "edit", "users": [GRACE]}))
        .send();
    assert_empty(&reply, 204);
    gitbook_error(
        &server
            .post(&invite(NOTES))
            .bearer(HEIDI_TOKEN)
            .json(json!({"role": "edit", "users": [GRACE]}))
            .send(),
        404,
    );
    // Jane administers Acme and has no permission of her own in Release notes.
    let reply = as_jane(server.post(&invite(NOTES)), None)
        .json(json!({"role": "read", "users": [IVAN]}))
        .send();
    assert_empty(&reply, 204);
}

// --- sessions and the control API ---------------------------------------------------------

#[test]
fn sessions_do_not_see_each_others_writes_and_reset_restores_only_their_own() {
    let server = Server::bundled();
    let write = |session: &str, who: &str| {
        let reply = as_jane(server.post(&invite(NOTES)), Some(session))
            .json(json!({"role": "edit", "users": [who]}))
            .send();
        assert_empty(&reply, 204);
    };
    write("job-a", IVAN);
    write("job-b", FRANK);
    let ids = |session: Option<&str>| -> Vec<String> {
        user_roles(&list_all(&server, &users(NOTES), 10, session))
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    };
    assert_eq!(ids(Some("job-a")), [IVAN]);
    assert_eq!(ids(Some("job-b")), [FRANK]);
    assert!(
        ids(None).is_empty(),
        "the default session saw a named one's write"
    );

    let reply = server
        .post("/__admin/reset")
        .header("X-Understudy-Session", "job-a")
        .send();
    reply.expect(204);
    assert!(ids(Some("job-a")).is_empty());
    assert_eq!(ids(Some("job-b")), [FRANK], "resetting job-a reset job-b");
}

#[test]
fn admin_state_shows_the_sessions_gitbook_world() {
    let server = Server::bundled();
    let reply = as_jane(server.post(&invite(NOTES)), Some("state"))
        .json(json!({"role": "create", "users": [IVAN], "teams": [SUPPORT]}))
        .send();
    assert_empty(&reply, 204);
    let reply = server
        .get("/__admin/state")
        .header("X-Understudy-Session", "state")
        .send();
    reply.expect(200);
    let state = reply.json();
    let world = &state["apis"]["gitbook"];
    let notes = world["spaces"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["id"] == NOTES)
        .cloned()
        .unwrap_or_else(|| panic!("no {NOTES} in {world}"));
    assert_eq!(notes["users"], json!([{"user": IVAN, "role": "create"}]));
    assert_eq!(notes["teams"], json!([{"team": SUPPORT, "role": "create"}]));
    assert_eq!(
        notes["aggregate"],
        json!([{"user": IVAN, "role": "create"}, {"user": FRANK, "role": "create"}])
    );
    let support = world["teams"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["id"] == SUPPORT)
        .cloned()
        .unwrap_or_default();
    assert_eq!(support["spaces"], json!(1));
    // The default session's world is the fixtures'.
    let reply = server.get("/__admin/state").send();
    let default_notes = reply.json()["apis"]["gitbook"]["spaces"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["id"] == NOTES)
        .cloned()
        .unwrap_or_default();
    assert_eq!(default_notes["users"], json!([]));
}

#[test]
fn admin_requests_lists_the_sessions_requests_newest_last_and_can_be_emptied() {
    let server = Server::bundled();
    let session = Some("journal");
    assert_empty(
        &as_jane(server.post(&invite(DOCS)), session)
            .json(json!({"role": "read", "users": [IVAN]}))
            .send(),
        204,
    );
    as_jane(server.get(&users(DOCS)), session)
        .send()
        .expect(200);
    gitbook_error(
        &as_jane(server.patch(&user(DOCS, GRACE)), session)
            .json(json!({"role": "read"}))
            .send(),
        404,
    );
    assert_empty(
        &as_jane(server.delete(&user(DOCS, IVAN)), session).send(),
        205,
    );
    // Another session's request is not in this journal.
    as_jane(server.get(&teams(DOCS)), Some("other"))
        .send()
        .expect(200);

    let reply = server
        .get("/__admin/requests")
        .header("X-Understudy-Session", "journal")
        .send();
    reply.expect(200);
    let seen: Vec<(String, u64)> = reply.json()["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["operationId"].as_str().unwrap_or_default().to_owned(),
                r["status"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("inviteToSpace".to_owned(), 204),
            ("listUserPermissionsInSpace".to_owned(), 200),
            ("updateUserPermissionInSpace".to_owned(), 404),
            ("removeUserFromSpace".to_owned(), 205),
        ]
    );
    server
        .delete("/__admin/requests")
        .header("X-Understudy-Session", "journal")
        .send()
        .expect(204);
    let reply = server
        .get("/__admin/requests")
        .header("X-Understudy-Session", "journal")
        .send();
    assert_eq!(reply.json()["requests"], json!([]));
}

// --- consistency under concurrent writes --------------------------------------------------

/// A server on a multi-threaded runtime, so that requests really run in parallel (the
/// harness's server runs on one thread).
struct ParallelServer {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ParallelServer {
    fn start(config: EngineConfig) -> ParallelServer {
        let engine = match Engine::load(&gitbook_source(), config) {
            Ok(e) => std::sync::Arc::new(e),
            Err(e) => panic!("the engine did not start: {e:?}"),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .expect("a runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port");
        let addr = listener.local_addr().expect("an address");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(understudy::server::run(
                listener,
                engine,
                understudy::server::ServerConfig::default(),
                async {
                    let _ = rx.await;
                },
            ));
        });
        ParallelServer {
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// One request; the status and the body. Fails on answers that break the spec.
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Vec<u8>) {
        let mut stream = TcpStream::connect(self.addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
        let body = body.map(Value::to_string).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
             Authorization: Bearer gb_api_l0AdT0kEn\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        stream.write_all(request.as_bytes()).expect("write");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read");
        let reply = Reply::parse(&raw, method);
        assert!(
            reply.header("x-understudy-response-violations").is_none(),
            "an answer broke the spec: {reply:?}"
        );
        (reply.status, reply.body)
    }
}

impl Drop for ParallelServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

const THREADS: usize = 8;
const OPS: usize = 50;
const USERS_PER_THREAD: usize = 4;
const ROLE_NAMES: [&str; 6] = ["admin", "create", "edit", "review", "comment", "read"];

/// One thread's part of the space, as a sequential model sees it: its users' direct roles
/// and its team's role, each list in the order the reference gives (appended when gained,
/// in place when changed).
#[derive(Default)]
struct Model {
    users: Vec<(String, String)>,
    team: Option<String>,
    /// Everyone of this thread who can access the space, in the order they gained access.
    everyone: Vec<String>,
}

impl Model {
    fn direct(&self, u: &str) -> Option<&str> {
        self.users
            .iter()
            .find(|(id, _)| id == u)
            .map(|(_, r)| r.as_str())
    }

    fn set_user(&mut self, u: &str, role: Option<&str>) {
        match (self.users.iter().position(|(id, _)| id == u), role) {
            (Some(i), Some(r)) => self.users[i].1 = r.to_owned(),
            (Some(i), None) => {
                self.users.remove(i);
            }
            (None, Some(r)) => self.users.push((u.to_owned(), r.to_owned())),
            (None, None) => {}
        }
    }

    /// The highest of a user's roles (the earliest in `ROLE_NAMES`).
    fn effective(&self, u: &str, in_team: bool) -> Option<String> {
        let via = if in_team { self.team.as_deref() } else { None };
        [self.direct(u), via]
            .into_iter()
            .flatten()
            .min_by_key(|r| ROLE_NAMES.iter().position(|n| n == r))
            .map(str::to_owned)
    }

    /// Brings `everyone` up to date after a change, users considered in `order`.
    fn follow_access(&mut self, order: &[String], team_members: &[String]) {
        for u in order {
            let has = self.effective(u, team_members.contains(u)).is_some();
            let listed = self.everyone.iter().position(|x| x == u);
            match (has, listed) {
                (true, None) => self.everyone.push(u.clone()),
                (false, Some(i)) => {
                    self.everyone.remove(i);
                }
                _ => {}
            }
        }
    }
}

/// A small deterministic generator (xorshift), one per thread.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One request of a worker thread, and the status its sequential model expects.
struct Step {
    method: &'static str,
    path: String,
    body: Option<Value>,
    expected: u16,
    /// A team change reaches the team's members in the team's order; a user change only
    /// that user.
    reaches: Vec<String>,
}

/// Picks thread `t`'s next operation on its own users and team, and applies it to `model`.
fn next_step(rng: &mut Rng, model: &mut Model, base: &str, t: usize) -> Step {
    let mine: Vec<String> = (0..USERS_PER_THREAD)
        .map(|i| format!("uSeR{:04}", t * USERS_PER_THREAD + i))
        .collect();
    let members = mine[..2].to_vec();
    let team_id = format!("tEaMlOaD{t}");
    let u = mine[rng.below(mine.len())].clone();
    let role = ROLE_NAMES[rng.below(ROLE_NAMES.len())];
    let user_step = |method, path, body, expected| Step {
        method,
        path,
        body,
        expected,
        reaches: vec![u.clone()],
    };
    let team_step = |method, path, body, expected| Step {
        method,
        path,
        body,
        expected,
        reaches: members.clone(),
    };
    match rng.below(8) {
        0 | 1 => {
            let r = if rng.below(6) == 0 {
                Value::Null
            } else {
                json!(role)
            };
            model.set_user(&u, r.as_str());
            let body = json!({"role": r, "users": [u]});
            user_step("POST", base.to_owned(), Some(body), 204)
        }
        2 | 3 => {
            let present = model.direct(&u).is_some();
            if present {
                model.set_user(&u, Some(role));
            }
            let status = if present { 204 } else { 404 };
            let path = format!("{base}/users/{u}");
            user_step("PATCH", path, Some(json!({"role": role})), status)
        }
        4 => {
            let present = model.direct(&u).is_some();
            model.set_user(&u, None);
            let status = if present { 205 } else { 204 };
            user_step("DELETE", format!("{base}/users/{u}"), None, status)
        }
        5 => {
            model.team = Some(role.to_owned());
            let body = json!({"role": role, "teams": [team_id]});
            team_step("POST", base.to_owned(), Some(body), 204)
        }
        6 => {
            let present = model.team.is_some();
            if present {
                model.team = Some(role.to_owned());
            }
            let status = if present { 204 } else { 404 };
            let path = format!("{base}/teams/{team_id}");
            team_step("PATCH", path, Some(json!({"role": role})), status)
        }
        _ => {
            let present = model.team.take().is_some();
            let status = if present { 205 } else { 204 };
            team_step("DELETE", format!("{base}/teams/{team_id}"), None, status)
        }
    }
}

/// Thread `t`'s operations, each checked against its model as it goes; the final model.
fn one_thread(server: &ParallelServer, base: &str, t: usize) -> Model {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (t as u64 + 1));
    let members: Vec<String> = (0..2)
        .map(|i| format!("uSeR{:04}", t * USERS_PER_THREAD + i))
        .collect();
    let mut model = Model::default();
    for n in 0..OPS {
        let step = next_step(&mut rng, &mut model, base, t);
        model.follow_access(&step.reaches, &members);
        let (status, answer) = server.call(step.method, &step.path, step.body.as_ref());
        assert_eq!(
            status,
            step.expected,
            "thread {t} step {n}: {} {} {:?}: {}",
            step.method,
            step.path,
            step.body,
            String::from_utf8_lossy(&answer)
        );
    }
    model
}

#[test]
fn concurrent_invites_role_changes_and_removals_match_a_sequential_model() {
    // Thread t owns users t*4 .. t*4+3 and team tEaMlOaD{t} (its first two users).
    let team_members: Vec<(String, Vec<usize>)> = (0..THREADS)
        .map(|t| {
            (
                format!("tEaMlOaD{t}"),
                vec![t * USERS_PER_THREAD, t * USERS_PER_THREAD + 1],
            )
        })
        .collect();
    let teams_spec: Vec<(&str, Vec<usize>)> = team_members
        .iter()
        .map(|(id, m)| (id.as_str(), m.clone()))
        .collect();
    let fixture = generated_fixture(THREADS * USERS_PER_THREAD, &teams_spec);
    let server = ParallelServer::start(config_with_fixture("concurrency", &fixture));
    let base = "/v1/spaces/sPaCeBig01/permissions";

    let models: Vec<Model> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let server = &server;
                scope.spawn(move || one_thread(server, base, t))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker thread"))
            .collect()
    });

    // Read the final lists in pages of 7.
    let read = |path: &str| -> Vec<Value> {
        let mut out = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let url = match &page {
                Some(p) => format!("{path}?limit=7&page={p}"),
                None => format!("{path}?limit=7"),
            };
            let (status, body) = server.call("GET", &url, None);
            assert_eq!(status, 200, "{url}");
            let body: Value = serde_json::from_slice(&body).expect("a JSON list");
            out.extend(body["items"].as_array().cloned().unwrap_or_default());
            match body["next"]["page"].as_str() {
                Some(p) => page = Some(p.to_owned()),
                None => {
                    assert_eq!(body["count"].as_u64(), Some(out.len() as u64), "{path}");
                    break;
                }
            }
        }
        out
    };
    let listed_users = user_roles(&read(&format!("{base}/users")));
    let listed_teams = team_roles(&read(&format!("{base}/teams")));
    let listed_everyone = user_roles(&read(&format!("{base}/aggregate")));
    no_repeats(&listed_users);
    no_repeats(&listed_everyone);

    let owner = |id: &str| -> usize {
        id.trim_start_matches("uSeR")
            .parse::<usize>()
            .map_or(usize::MAX, |n| n / USERS_PER_THREAD)
    };
    let mut expected_users = 0;
    let mut expected_everyone = 0;
    for (t, model) in models.iter().enumerate() {
        // Each thread's users appear in the model's order, with the model's roles.
        let theirs: Vec<(String, String)> = listed_users
            .iter()
            .filter(|(id, _)| owner(id) == t)
            .cloned()
            .collect();
        assert_eq!(theirs, model.users, "direct permissions of thread {t}");
        expected_users += model.users.len();

        let team_id = format!("tEaMlOaD{t}");
        let team_row: Vec<&(String, String)> = listed_teams
            .iter()
            .filter(|(id, _)| *id == team_id)
            .collect();
        match &model.team {
            Some(r) => assert_eq!(team_row, [&(team_id.clone(), r.clone())]),
            None => assert!(team_row.is_empty(), "{team_id} is still listed"),
        }

        let members = &team_members[t].1;
        let expected: Vec<(String, String)> = model
            .everyone
            .iter()
            .filter_map(|u| {
                let in_team = members.iter().any(|m| format!("uSeR{m:04}") == *u);
                model.effective(u, in_team).map(|r| (u.clone(), r))
            })
            .collect();
        let theirs: Vec<(String, String)> = listed_everyone
            .iter()
            .filter(|(id, _)| owner(id) == t)
            .cloned()
            .collect();
        assert_eq!(theirs, expected, "everyone of thread {t}");
        expected_everyone += expected.len();
    }
    assert_eq!(listed_users.len(), expected_users);
    assert_eq!(listed_everyone.len(), expected_everyone);
    assert_eq!(
        listed_teams.len(),
        models.iter().filter(|m| m.team.is_some()).count()
    );
}

// --- fixtures -----------------------------------------------------------------------------

/// Starting the engine with `yaml` as the GitBook fixture fails; the message.
fn startup_failure(tag: &str, yaml: &str) -> String {
    match Engine::load(&gitbook_source(), config_with_fixture(tag, yaml)) {
        Ok(_) => panic!("a bad fixture ({tag}) was accepted"),
        Err(failures) => failures
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// The bundled fixture with `from` replaced by `to` (once).
fn bundled_with(from: &str, to: &str) -> String {
    let text = understudy::world::fixtures::BUNDLED
        .iter()
        .find(|(n, _)| *n == "gitbook")
        .map(|(_, t)| *t)
        .unwrap_or_default();
    assert!(text.contains(from), "the bundled fixture has no {from:?}");
    text.replacen(from, to, 1)
}

#[test]
fn a_fixture_that_does_not_fit_fails_startup_naming_the_file_and_the_entry() {
    let cases: [(&str, String, &str); 8] = [
        (
            "unknown-member",
            bundled_with(
                "{user: Qm9iU21pdGg, role: edit}",
                "{user: nObOdY000, role: edit}",
            ),
            "spaces[0].users[1]",
        ),
        (
            "team-member",
            bundled_with(
                "members: [Q2Fyb2xMZWU, RGF2ZU5ndXllbg, RXZlTWFydGlu]",
                "members: [Q2Fyb2xMZWU, gHoSt0001]",
            ),
            "teams[0].members[1]",
        ),
        (
            "token-user",
            bundled_with("    user: Qm9iU21pdGg\n", "    user: nObOdY000\n"),
            "tokens[1]",
        ),
        (
            "duplicate-id",
            bundled_with("  - id: Qm9iU21pdGg\n", "  - id: u1x2Y3z4\n"),
            "users[1]",
        ),
        (
            "id-style",
            bundled_with("  - id: sPaCeNotes03\n", "  - id: space-notes-03\n"),
            "spaces[2]",
        ),
        (
            "role",
            bundled_with(
                "{team: tEaMdOcS01, role: review}",
                "{team: tEaMdOcS01, role: owner}",
            ),
            "spaces[0].teams[0]",
        ),
        (
            "unknown-team",
            bundled_with(
                "{team: tEaMeNg02, role: edit}",
                "{team: tEaMnOnE9, role: edit}",
            ),
            "spaces[1].teams[0]",
        ),
        (
            "unknown-organization",
            bundled_with(
                "    organization: oRgGlObEx02\n    title: Globex Writers",
                "    organization: oRgNoNe99\n    title: Globex Writers",
            ),
            "teams[3]",
        ),
    ];
    for (tag, yaml, entry) in cases {
        let message = startup_failure(tag, &yaml);
        assert!(message.contains("gitbook.yaml"), "{tag}: {message}");
        assert!(message.contains(entry), "{tag}: no {entry} in {message}");
    }
}

#[test]
fn a_misspelt_fixture_field_fails_startup() {
    let message = startup_failure(
        "typo",
        &bundled_with(
            "    displayName: Carol Lee\n",
            "    displayname: Carol Lee\n",
        ),
    );
    assert!(message.contains("gitbook.yaml"), "{message}");
    assert!(message.contains("displayname"), "{message}");
}
