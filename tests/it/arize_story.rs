//! Arize AX as a stateful service: a user's whole story in a space through HTTP (add with a
//! predefined role, upsert to a custom role, remove, remove again), every domain error with
//! its exact problem document, the order in which the checks apply, session isolation, and
//! the checks on `fixtures/arize.yaml` at startup.
//!
//! The callers and ids are those of the bundled fixtures: in the space "Fraud models"
//! (`Space:12345`), Ada (`arize-key`) is space admin, Ben (`arize-binder-key`) has a custom
//! role granting `ROLE_BINDING_CREATE` only, Rita (`arize-remover-key`) one granting
//! `ROLE_BINDING_DELETE` only, Manny (`arize-member-key`) is a plain member and Anna
//! (`arize-annotator-key`) an annotator; Olga (`arize-outsider-key`) belongs to another
//! organization. The fixtures hold nine memberships, so the next one is `SpaceMembership:10`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use understudy::EngineConfig;
use understudy::document::load;
use understudy::world::fixtures::{BUNDLED, FixtureSource};

use crate::arize::problem;
use crate::harness::*;

/// `Space:12345`, "Fraud models", in the organization Acme ML.
const SPACE: &str = "U3BhY2U6MTIzNDU=";
/// `Space:12346`, "Search ranking": Ben and Rita only hold read-only there.
const OTHER_SPACE: &str = "U3BhY2U6MTIzNDY=";
/// `Space:20001`, in the organization Globex.
const GLOBEX_SPACE: &str = "U3BhY2U6MjAwMDE=";

/// `User:12345`, Grace: in Acme ML, in no space yet.
const GRACE: &str = "VXNlcjoxMjM0NQ==";
/// `User:10004`, Manny, member of Fraud models (`SpaceMembership:4`).
const MANNY: &str = "VXNlcjoxMDAwNA==";
/// `User:10005`, Anna, annotator account, annotator in Fraud models.
const ANNA: &str = "VXNlcjoxMDAwNQ==";
/// `User:10006`, Theo, annotator account, in no space.
const THEO: &str = "VXNlcjoxMDAwNg==";
/// `User:20001`, Olga, in Globex only.
const OLGA: &str = "VXNlcjoyMDAwMQ==";

/// `Role:42`, "Dataset curator".
const CURATOR: &str = "Um9sZTo0Mg==";

const ADMIN: &str = "arize-key";
const BINDER: &str = "arize-binder-key";
const REMOVER: &str = "arize-remover-key";
const MEMBER: &str = "arize-member-key";
const ANNOTATOR: &str = "arize-annotator-key";
const OUTSIDER: &str = "arize-outsider-key";

fn b64(text: &str) -> String {
    STANDARD.encode(text)
}

fn users_of(space: &str) -> String {
    format!("/v2/spaces/{space}/users")
}

fn member_of(space: &str, user: &str) -> String {
    format!("/v2/spaces/{space}/users/{user}")
}

fn predefined(user: &str, name: &str) -> Value {
    json!({"user_id": user, "role": {"type": "predefined", "name": name}})
}

fn custom(user: &str, role: &str) -> Value {
    json!({"user_id": user, "role": {"type": "custom", "id": role}})
}

fn add(server: &Server, token: &str, space: &str, body: Value) -> Reply {
    server
        .post(&users_of(space))
        .bearer(token)
        .json(body)
        .send()
}

fn remove(server: &Server, token: &str, space: &str, user: &str) -> Reply {
    server.delete(&member_of(space, user)).bearer(token).send()
}

/// Asserts a problem of `status` with exactly this detail, in the vendor's shape.
fn assert_problem(reply: &Reply, status: u16, instance: &str, detail: &str) {
    let (fragment, title) = match status {
        400 => ("invalid-request", "Bad Request"),
        401 => ("authentication-required", "Unauthorized"),
        403 => ("access-forbidden", "Forbidden"),
        404 => ("resource-not-found", "Not Found"),
        other => panic!("no Arize problem type for {other}"),
    };
    let body = problem(reply, status, fragment, title, instance);
    assert_eq!(body["detail"], detail, "{body}");
}

/// The memberships of a space in `/__admin/state`, as `(user_id, role)` pairs, in order.
fn memberships(server: &Server, session: Option<&str>, space: &str) -> Vec<(String, Value)> {
    let mut req = server.get("/__admin/state");
    if let Some(name) = session {
        req = req.header("X-Understudy-Session", name);
    }
    let state = req.send();
    state.expect(200);
    let state = state.json();
    let spaces = state["apis"]["arize"]["spaces"]
        .as_array()
        .expect("spaces")
        .clone();
    let space = spaces
        .into_iter()
        .find(|s| s["id"] == space)
        .expect("the space in the state");
    space["memberships"]
        .as_array()
        .expect("memberships")
        .iter()
        .map(|m| {
            assert_eq!(m["space_id"], space["id"]);
            (
                m["user_id"].as_str().unwrap_or("").to_owned(),
                m["role"].clone(),
            )
        })
        .collect()
}

fn role_of(server: &Server, session: Option<&str>, space: &str, user: &str) -> Option<Value> {
    memberships(server, session, space)
        .into_iter()
        .find(|(u, _)| u == user)
        .map(|(_, role)| role)
}

// --- the story ------------------------------------------------------------------------------

#[test]
fn a_user_is_added_given_a_custom_role_removed_and_removing_again_is_a_404() {
    let server = Server::bundled();

    // Ada, space admin, adds Grace as a member.
    let added = add(&server, ADMIN, SPACE, predefined(GRACE, "member"));
    added.expect(200);
    let added = added.json();
    assert_eq!(
        added,
        json!({
            "id": b64("SpaceMembership:10"),
            "user_id": GRACE,
            "space_id": SPACE,
            "role": {"type": "predefined", "name": "member"},
        })
    );

    // Ben, whose custom role grants ROLE_BINDING_CREATE, gives her the "Dataset curator"
    // role: the same membership, the role's name from the account.
    let upserted = add(&server, BINDER, SPACE, custom(GRACE, CURATOR));
    upserted.expect(200);
    assert_eq!(
        upserted.json(),
        json!({
            "id": b64("SpaceMembership:10"),
            "user_id": GRACE,
            "space_id": SPACE,
            "role": {"type": "custom", "id": CURATOR, "name": "Dataset curator"},
        })
    );
    assert_eq!(
        role_of(&server, None, SPACE, GRACE),
        Some(json!({"type": "custom", "id": CURATOR, "name": "Dataset curator"}))
    );

    // Rita, whose custom role grants ROLE_BINDING_DELETE, removes her.
    let path = member_of(SPACE, GRACE);
    let removed = remove(&server, REMOVER, SPACE, GRACE);
    removed.expect(204);
    assert!(removed.body.is_empty(), "{}", removed.text());
    assert_eq!(role_of(&server, None, SPACE, GRACE), None);

    // Removal is not idempotent.
    let again = remove(&server, REMOVER, SPACE, GRACE);
    assert_problem(
        &again,
        404,
        &path,
        &format!("The user {GRACE} is not a member of the space."),
    );

    // Added back, she gets a new membership record.
    let back = add(&server, ADMIN, SPACE, predefined(GRACE, "read-only"));
    back.expect(200);
    assert_eq!(back.json()["id"], b64("SpaceMembership:11"));
}

#[test]
fn adding_a_current_member_again_answers_200_with_their_membership_id_and_the_new_role() {
    let server = Server::bundled();
    let reply = add(&server, ADMIN, SPACE, predefined(MANNY, "read-only"));
    reply.expect(200);
    assert_eq!(
        reply.json(),
        json!({
            "id": b64("SpaceMembership:4"),
            "user_id": MANNY,
            "space_id": SPACE,
            "role": {"type": "predefined", "name": "read-only"},
        })
    );
    assert_eq!(
        role_of(&server, None, SPACE, MANNY),
        Some(json!({"type": "predefined", "name": "read-only"}))
    );
    // Its place among the space's memberships is kept.
    let order: Vec<String> = memberships(&server, None, SPACE)
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    assert_eq!(order.iter().position(|u| u == MANNY), Some(3), "{order:?}");
}

#[test]
fn an_annotator_account_can_be_given_the_annotator_role() {
    let server = Server::bundled();
    let reply = add(&server, ADMIN, SPACE, predefined(THEO, "annotator"));
    reply.expect(200);
    assert_eq!(
        reply.json()["role"],
        json!({"type": "predefined", "name": "annotator"})
    );
}

#[test]
fn a_space_admin_can_remove_a_member() {
    let server = Server::bundled();
    remove(&server, ADMIN, SPACE, MANNY).expect(204);
    assert_eq!(role_of(&server, None, SPACE, MANNY), None);
}

#[test]
fn percent_encoded_ids_in_the_path_name_the_same_space_and_user() {
    let server = Server::bundled();
    add(&server, ADMIN, SPACE, predefined(GRACE, "member")).expect(200);
    let path = "/v2/spaces/U3BhY2U6MTIzNDU%3D/users/VXNlcjoxMjM0NQ%3D%3D";
    server.delete(path).bearer(ADMIN).send().expect(204);
    assert_eq!(role_of(&server, None, SPACE, GRACE), None);
}

// --- 400: the organization and the annotator rule --------------------------------------------

#[test]
fn adding_a_user_outside_the_spaces_organization_is_a_400() {
    let server = Server::bundled();
    let reply = add(&server, ADMIN, SPACE, predefined(OLGA, "member"));
    assert_problem(
        &reply,
        400,
        &users_of(SPACE),
        &format!("The user {OLGA} is not a member of the space's organization."),
    );
    assert_eq!(role_of(&server, None, SPACE, OLGA), None);
}

#[test]
fn adding_an_unknown_user_is_the_same_400_as_a_user_outside_the_organization() {
    let server = Server::bundled();
    let unknown = b64("User:999");
    let reply = add(&server, ADMIN, SPACE, predefined(&unknown, "member"));
    assert_problem(
        &reply,
        400,
        &users_of(SPACE),
        &format!("The user {unknown} is not a member of the space's organization."),
    );
}

#[test]
fn a_user_id_that_is_not_a_user_id_is_a_400() {
    let server = Server::bundled();
    for text in [SPACE, "not-an-id", "VXNlcjowMTIzNDU="] {
        let reply = add(&server, ADMIN, SPACE, predefined(text, "member"));
        assert_problem(
            &reply,
            400,
            &users_of(SPACE),
            &format!("The user {text} is not a member of the space's organization."),
        );
    }
}

#[test]
fn an_annotator_account_given_another_predefined_role_is_a_400() {
    let server = Server::bundled();
    let reply = add(&server, ADMIN, SPACE, predefined(THEO, "member"));
    assert_problem(
        &reply,
        400,
        &users_of(SPACE),
        &format!(
            "The user {THEO} has the annotator account role and may only get the predefined \
             annotator space role."
        ),
    );
    assert_eq!(role_of(&server, None, SPACE, THEO), None);
}

#[test]
fn an_annotator_account_given_a_custom_role_is_a_400() {
    let server = Server::bundled();
    let reply = add(&server, BINDER, SPACE, custom(ANNA, CURATOR));
    assert_problem(
        &reply,
        400,
        &users_of(SPACE),
        &format!(
            "The user {ANNA} has the annotator account role and may only get the predefined \
             annotator space role."
        ),
    );
    assert_eq!(
        role_of(&server, None, SPACE, ANNA),
        Some(json!({"type": "predefined", "name": "annotator"}))
    );
}

#[test]
fn the_annotator_role_for_a_user_who_is_not_an_annotator_is_a_400() {
    let server = Server::bundled();
    let reply = add(&server, ADMIN, SPACE, predefined(MANNY, "annotator"));
    assert_problem(
        &reply,
        400,
        &users_of(SPACE),
        &format!(
            "The user {MANNY} does not have the annotator account role, which the predefined \
             annotator space role requires."
        ),
    );
    assert_eq!(
        role_of(&server, None, SPACE, MANNY),
        Some(json!({"type": "predefined", "name": "member"}))
    );
}

// --- 403: who may assign and remove ---------------------------------------------------------

const PREDEFINED_NEEDS_ADMIN: &str = "Assigning a predefined role requires the space admin role.";
const CUSTOM_NEEDS_CREATE: &str =
    "Assigning a custom role requires the ROLE_BINDING_CREATE permission in this space.";
const REMOVE_NEEDS_DELETE: &str = "Removing a user from a space requires the space admin role \
     or the ROLE_BINDING_DELETE permission in this space.";

#[test]
fn assigning_a_predefined_role_without_the_space_admin_role_is_a_403() {
    let server = Server::bundled();
    // ROLE_BINDING_CREATE, ROLE_BINDING_DELETE, a plain member, an annotator.
    for token in [BINDER, REMOVER, MEMBER, ANNOTATOR] {
        let reply = add(&server, token, SPACE, predefined(GRACE, "member"));
        assert_problem(&reply, 403, &users_of(SPACE), PREDEFINED_NEEDS_ADMIN);
    }
    assert_eq!(role_of(&server, None, SPACE, GRACE), None);
}

#[test]
fn assigning_a_custom_role_without_role_binding_create_is_a_403_even_for_a_space_admin() {
    let server = Server::bundled();
    for token in [ADMIN, REMOVER, MEMBER, ANNOTATOR] {
        let reply = add(&server, token, SPACE, custom(GRACE, CURATOR));
        assert_problem(&reply, 403, &users_of(SPACE), CUSTOM_NEEDS_CREATE);
    }
    assert_eq!(role_of(&server, None, SPACE, GRACE), None);
}

#[test]
fn role_binding_create_counts_only_in_the_space_whose_role_grants_it() {
    // Ben holds read-only in Search ranking.
    let server = Server::bundled();
    let reply = add(&server, BINDER, OTHER_SPACE, custom(GRACE, CURATOR));
    assert_problem(&reply, 403, &users_of(OTHER_SPACE), CUSTOM_NEEDS_CREATE);
}

#[test]
fn removing_without_the_space_admin_role_or_role_binding_delete_is_a_403() {
    let server = Server::bundled();
    for token in [BINDER, MEMBER, ANNOTATOR] {
        let reply = remove(&server, token, SPACE, MANNY);
        assert_problem(&reply, 403, &member_of(SPACE, MANNY), REMOVE_NEEDS_DELETE);
    }
    assert!(role_of(&server, None, SPACE, MANNY).is_some());
}

#[test]
fn role_binding_delete_counts_only_in_the_space_whose_role_grants_it() {
    // Rita holds read-only in Search ranking, where Ben is a member.
    let server = Server::bundled();
    let reply = remove(&server, REMOVER, OTHER_SPACE, b64("User:10002").as_str());
    assert_problem(
        &reply,
        403,
        &member_of(OTHER_SPACE, &b64("User:10002")),
        REMOVE_NEEDS_DELETE,
    );
}

// --- 404: what does not exist or cannot be read -----------------------------------------------

#[test]
fn adding_to_an_unknown_space_is_a_404() {
    let server = Server::bundled();
    let unknown = b64("Space:99999");
    let reply = add(&server, ADMIN, &unknown, predefined(GRACE, "member"));
    assert_problem(
        &reply,
        404,
        &users_of(&unknown),
        &format!("Space {unknown} not found."),
    );
}

#[test]
fn a_space_id_that_is_not_a_space_id_is_a_404() {
    let server = Server::bundled();
    // A user id, text that is not base64, and `Space:012345` (not the canonical spelling).
    for text in [GRACE, "nothing-here", "U3BhY2U6MDEyMzQ1"] {
        let reply = add(&server, ADMIN, text, predefined(GRACE, "member"));
        assert_problem(
            &reply,
            404,
            &users_of(text),
            &format!("Space {text} not found."),
        );
        let reply = remove(&server, ADMIN, text, MANNY);
        assert_problem(
            &reply,
            404,
            &member_of(text, MANNY),
            &format!("Space {text} not found."),
        );
    }
}

#[test]
fn a_space_the_caller_has_no_membership_in_is_the_same_404_as_an_unknown_one() {
    let server = Server::bundled();
    // Olga administers a Globex space but has no membership in Fraud models; Ada none in
    // the Globex space.
    let reply = add(&server, OUTSIDER, SPACE, predefined(GRACE, "member"));
    assert_problem(
        &reply,
        404,
        &users_of(SPACE),
        &format!("Space {SPACE} not found."),
    );
    let reply = remove(&server, OUTSIDER, SPACE, MANNY);
    assert_problem(
        &reply,
        404,
        &member_of(SPACE, MANNY),
        &format!("Space {SPACE} not found."),
    );
    let reply = add(&server, ADMIN, GLOBEX_SPACE, predefined(OLGA, "member"));
    assert_problem(
        &reply,
        404,
        &users_of(GLOBEX_SPACE),
        &format!("Space {GLOBEX_SPACE} not found."),
    );
}

#[test]
fn assigning_an_unknown_custom_role_is_a_404() {
    let server = Server::bundled();
    // An unknown role, and a user id where a role id belongs.
    for role in [b64("Role:99"), GRACE.to_owned()] {
        let reply = add(&server, BINDER, SPACE, custom(GRACE, &role));
        assert_problem(
            &reply,
            404,
            &users_of(SPACE),
            &format!("Custom role {role} not found."),
        );
    }
    assert_eq!(role_of(&server, None, SPACE, GRACE), None);
}

#[test]
fn removing_a_user_who_is_not_a_member_is_a_404() {
    let server = Server::bundled();
    // Grace is in the organization but not the space; Olga is not in the organization;
    // `User:999` does not exist; the last is not a user id.
    for user in [GRACE, OLGA, "VXNlcjo5OTk=", "bm90LWEtdXNlcg=="] {
        let reply = remove(&server, ADMIN, SPACE, user);
        assert_problem(
            &reply,
            404,
            &member_of(SPACE, user),
            &format!("The user {user} is not a member of the space."),
        );
    }
}

// --- 401 ----------------------------------------------------------------------------------

#[test]
fn an_unknown_token_is_a_401_on_add_and_on_remove() {
    let server = Server::bundled();
    let reply = add(&server, "no-such-key", SPACE, predefined(GRACE, "member"));
    assert_problem(
        &reply,
        401,
        &users_of(SPACE),
        "The bearer token is not known.",
    );
    assert!(reply.header("www-authenticate").is_some());
    let reply = remove(&server, "no-such-key", SPACE, MANNY);
    assert_problem(
        &reply,
        401,
        &member_of(SPACE, MANNY),
        "The bearer token is not known.",
    );
    assert!(role_of(&server, None, SPACE, MANNY).is_some());
}

// --- the order of the checks --------------------------------------------------------------

#[test]
fn a_caller_who_cannot_read_the_space_gets_404_before_any_403() {
    let server = Server::bundled();
    // Olga could not assign a custom role even if she could see the space.
    let reply = add(&server, OUTSIDER, SPACE, custom(GRACE, CURATOR));
    reply.expect(404);
}

#[test]
fn a_caller_without_the_right_gets_403_before_the_role_or_user_is_looked_up() {
    let server = Server::bundled();
    // An unknown custom role: 403, not 404.
    let reply = add(&server, MEMBER, SPACE, custom(GRACE, &b64("Role:99")));
    assert_problem(&reply, 403, &users_of(SPACE), CUSTOM_NEEDS_CREATE);
    // A user outside the organization: 403, not 400.
    let reply = add(&server, MEMBER, SPACE, predefined(OLGA, "member"));
    assert_problem(&reply, 403, &users_of(SPACE), PREDEFINED_NEEDS_ADMIN);
    // Removing someone who is not a member: 403, not 404.
    let reply = remove(&server, MEMBER, SPACE, GRACE);
    assert_problem(&reply, 403, &member_of(SPACE, GRACE), REMOVE_NEEDS_DELETE);
}

#[test]
fn an_unknown_custom_role_is_reported_before_the_user() {
    let server = Server::bundled();
    let role = b64("Role:99");
    let reply = add(&server, BINDER, SPACE, custom(OLGA, &role));
    assert_problem(
        &reply,
        404,
        &users_of(SPACE),
        &format!("Custom role {role} not found."),
    );
}

#[test]
fn the_organization_is_checked_before_the_annotator_rule() {
    let server = Server::bundled();
    let reply = add(&server, ADMIN, SPACE, predefined(OLGA, "annotator"));
    assert_problem(
        &reply,
        400,
        &users_of(SPACE),
        &format!("The user {OLGA} is not a member of the space's organization."),
    );
}

fn in_session<'s>(session: &str, req: Req<'s>) -> Req<'s> {
    req.header("X-Understudy-Session", session)
}

// --- sessions -------------------------------------------------------------------------------

#[test]
fn writes_in_one_session_are_not_seen_by_another_or_the_default_session() {
    let server = Server::bundled();

    let added = in_session(
        "ci-a",
        server
            .post(&users_of(SPACE))
            .bearer(ADMIN)
            .json(predefined(GRACE, "member")),
    )
    .send();
    added.expect(200);
    let removed = in_session(
        "ci-a",
        server.delete(&member_of(SPACE, MANNY)).bearer(ADMIN),
    )
    .send();
    removed.expect(204);

    // Session b still has the fixtures: Grace is not a member, Manny still is.
    let grace_in_b = in_session(
        "ci-b",
        server.delete(&member_of(SPACE, GRACE)).bearer(ADMIN),
    )
    .send();
    grace_in_b.expect(404);
    assert!(role_of(&server, Some("ci-b"), SPACE, MANNY).is_some());
    assert_eq!(role_of(&server, None, SPACE, GRACE), None);
    assert!(role_of(&server, None, SPACE, MANNY).is_some());

    // Each session counts its own membership ids.
    let in_b = in_session(
        "ci-b",
        server
            .post(&users_of(SPACE))
            .bearer(ADMIN)
            .json(predefined(GRACE, "member")),
    )
    .send();
    in_b.expect(200);
    assert_eq!(in_b.json()["id"], added.json()["id"]);

    // A reset takes session a back to the fixtures, and only session a.
    let reset = in_session("ci-a", server.post("/__admin/reset")).send();
    reset.expect(204);
    assert_eq!(role_of(&server, Some("ci-a"), SPACE, GRACE), None);
    assert!(role_of(&server, Some("ci-a"), SPACE, MANNY).is_some());
    assert!(role_of(&server, Some("ci-b"), SPACE, GRACE).is_some());
}

// --- the state as the control API shows it --------------------------------------------------

#[test]
fn the_state_shows_the_fixtures_with_ids_as_the_api_writes_them() {
    let server = Server::bundled();
    let state = server.get("/__admin/state").send();
    state.expect(200);
    let arize = &state.json()["apis"]["arize"];
    let space = arize["spaces"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == SPACE))
        .expect("Fraud models");
    assert_eq!(space["name"], "Fraud models");
    assert_eq!(space["organization_id"], b64("Organization:1"));
    assert_eq!(
        space["memberships"][0],
        json!({
            "id": b64("SpaceMembership:1"),
            "user_id": b64("User:10001"),
            "space_id": SPACE,
            "role": {"type": "predefined", "name": "admin"},
        })
    );
    let theo = arize["users"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["id"] == THEO))
        .expect("Theo");
    assert_eq!(theo["account_role"], "annotator");
}

// --- fixtures -------------------------------------------------------------------------------

/// Starts an engine over the bundled documents with the bundled fixtures, `arize.yaml`
/// changed by `edit`; answers the startup error's text.
fn startup_error(edit: impl FnOnce(&mut serde_yaml_ng::Value)) -> String {
    let dir = std::env::temp_dir().join(format!(
        "understudy-arize-fixtures-{}-{}",
        std::process::id(),
        NEXT_DIR.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    // The directory replaces every bundled fixture file.
    for (name, text) in BUNDLED {
        std::fs::write(dir.join(format!("{name}.yaml")), text).expect("a fixture file");
    }
    let arize = BUNDLED
        .iter()
        .find(|(name, _)| *name == "arize")
        .map(|(_, text)| *text)
        .expect("bundled Arize fixtures");
    let mut doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(arize).expect("YAML");
    edit(&mut doc);
    let text = serde_yaml_ng::to_string(&doc).expect("YAML");
    std::fs::write(dir.join("arize.yaml"), text).expect("the changed fixture");
    let config = EngineConfig {
        fixtures: FixtureSource::Dir(dir.clone()),
        ..Default::default()
    };
    let result = understudy::Engine::load(&load::bundled(), config);
    let _ = std::fs::remove_dir_all(&dir);
    match result {
        Ok(_) => panic!("the changed fixtures were accepted"),
        Err(failures) => failures
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

static NEXT_DIR: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn yaml(v: Value) -> serde_yaml_ng::Value {
    serde_yaml_ng::to_value(v).expect("YAML")
}

fn push(doc: &mut serde_yaml_ng::Value, list: &str, entry: Value) {
    doc[list]
        .as_sequence_mut()
        .expect("a list")
        .push(yaml(entry));
}

fn assert_names(error: &str, entry: &str, message: &str) {
    assert!(error.contains("arize.yaml"), "{error}");
    assert!(error.contains(entry), "no {entry:?} in {error}");
    assert!(error.contains(message), "no {message:?} in {error}");
}

#[test]
fn the_bundled_fixtures_copied_to_a_directory_start_the_server() {
    let dir = std::env::temp_dir().join(format!(
        "understudy-arize-fixtures-ok-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    for (name, text) in BUNDLED {
        std::fs::write(dir.join(format!("{name}.yaml")), text).expect("a fixture file");
    }
    let config = EngineConfig {
        fixtures: FixtureSource::Dir(dir.clone()),
        ..Default::default()
    };
    let result = understudy::Engine::load(&load::bundled(), config);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(result.is_ok());
}

#[test]
fn a_membership_naming_an_unknown_user_fails_startup_naming_the_entry() {
    let error = startup_error(|doc| {
        push(
            doc,
            "memberships",
            json!({"space_id": SPACE, "user_id": b64("User:999"), "role": {"type": "predefined", "name": "member"}}),
        );
    });
    assert_names(
        &error,
        "memberships[9]",
        "user VXNlcjo5OTk= is not in users",
    );
}

#[test]
fn an_id_of_the_wrong_type_fails_startup_naming_the_entry() {
    let error = startup_error(|doc| {
        doc["users"][2]["id"] = yaml(json!(b64("Space:10003")));
    });
    assert_names(&error, "users[2]", "is not an Arize User id");

    let error = startup_error(|doc| {
        doc["spaces"][1]["organization_id"] = yaml(json!(SPACE));
    });
    assert_names(&error, "spaces[1]", "is not an Arize Organization id");
}

#[test]
fn an_annotator_holding_another_role_fails_startup() {
    let error = startup_error(|doc| {
        push(
            doc,
            "memberships",
            json!({"space_id": OTHER_SPACE, "user_id": THEO, "role": {"type": "predefined", "name": "read-only"}}),
        );
    });
    assert_names(&error, "memberships[9]", "annotator");

    let error = startup_error(|doc| {
        push(
            doc,
            "memberships",
            json!({"space_id": OTHER_SPACE, "user_id": GRACE, "role": {"type": "predefined", "name": "annotator"}}),
        );
    });
    assert_names(&error, "memberships[9]", "annotator");
}

#[test]
fn a_membership_outside_the_spaces_organization_fails_startup() {
    let error = startup_error(|doc| {
        push(
            doc,
            "memberships",
            json!({"space_id": SPACE, "user_id": OLGA, "role": {"type": "predefined", "name": "member"}}),
        );
    });
    assert_names(&error, "memberships[9]", "is not a member of organization");
}

#[test]
fn duplicates_fail_startup() {
    let error = startup_error(|doc| {
        push(
            doc,
            "memberships",
            json!({"space_id": SPACE, "user_id": MANNY, "role": {"type": "predefined", "name": "admin"}}),
        );
    });
    assert_names(&error, "memberships[9]", "already has a membership");

    let error = startup_error(|doc| {
        doc["users"][1]["id"] = doc["users"][0]["id"].clone();
    });
    assert_names(&error, "users[1]", "listed twice");

    let error = startup_error(|doc| {
        push(doc, "tokens", json!({"token": ADMIN, "user_id": MANNY}));
    });
    assert_names(&error, "tokens[6]", "listed twice");
}

#[test]
fn unresolved_references_fail_startup() {
    let error = startup_error(|doc| {
        push(
            doc,
            "tokens",
            json!({"token": "ghost-key", "user_id": b64("User:999")}),
        );
    });
    assert_names(&error, "tokens[6]", "is not in users");

    let error = startup_error(|doc| {
        push(
            doc,
            "memberships",
            json!({"space_id": SPACE, "user_id": GRACE, "role": {"type": "custom", "id": b64("Role:99")}}),
        );
    });
    assert_names(
        &error,
        "memberships[9]",
        "custom role Um9sZTo5OQ== is not in custom_roles",
    );

    let error = startup_error(|doc| {
        push(
            doc,
            "memberships",
            json!({"space_id": b64("Space:99999"), "user_id": GRACE, "role": {"type": "predefined", "name": "member"}}),
        );
    });
    assert_names(&error, "memberships[9]", "is not in spaces");
}

#[test]
fn a_misspelt_permission_or_field_fails_startup() {
    let error = startup_error(|doc| {
        doc["custom_roles"][0]["permissions"][0] = yaml(json!("ROLE_BINDING_CRATE"));
    });
    assert_names(
        &error,
        "custom_roles[0].permissions[0]",
        "ROLE_BINDING_CRATE",
    );

    let error = startup_error(|doc| {
        doc["users"][0]["acount_role"] = yaml(json!("admin"));
    });
    assert_names(&error, "arize.yaml", "acount_role");
}
