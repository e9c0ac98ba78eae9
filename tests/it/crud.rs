//! CRUD inferred from the paths of documents without a bundled behaviour: the classic pet store
//! (`tests/docs/petstore.yaml`: `/v1/pets`, int64 ids, `Error` = `{code, message}`) and owners
//! with their pets (`tests/docs/crud-nested.yaml`: uuid ids, a nested collection, wrapped and
//! paged lists, problem details), and where real documents name ids (`tests/docs/crud-ids-*`:
//! in another case, only in the create, in answers of another schema, in paths that take fewer
//! ids than items hold). Every answer is checked against the spec by the server.

use crate::harness::*;

use serde_json::{Value, json};

const PETS: &str = "/v1/pets";

fn petstore() -> Server {
    Server::docs(&["petstore.yaml"])
}

fn nested() -> Server {
    Server::docs(&["crud-nested.yaml"])
}

fn pet(id: &Value) -> String {
    format!("{PETS}/{}", id.as_i64().expect("an integer id"))
}

/// Creates a pet and gives its answer.
fn create(s: &Server, body: Value) -> Value {
    s.post(PETS).json(body).send().expect(201).json()
}

/// Asserts the pet store's `Error` format and status, and gives the message.
fn petstore_error(reply: &Reply, status: u16) -> String {
    reply.expect(status);
    let body = reply.json();
    assert_eq!(keys(&body), ["code", "message"], "error body: {body}");
    assert_eq!(body["code"], json!(status), "error body: {body}");
    body["message"].as_str().unwrap_or_default().to_owned()
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|p| p["name"].as_str().unwrap_or_default())
        .collect()
}

// --- the pet store ------------------------------------------------------------------------

#[test]
fn created_pets_get_counting_ids_and_are_listed_in_creation_order() {
    let s = petstore();
    assert_eq!(s.get(PETS).send().expect(200).json(), json!([]));
    let rex = create(&s, json!({"name": "Rex", "tag": "dog"}));
    let tom = create(&s, json!({"name": "Tom"}));
    let kit = create(&s, json!({"name": "Kit", "tag": "cat"}));
    assert_eq!(rex, json!({"id": 1, "name": "Rex", "tag": "dog"}));
    assert_eq!(tom, json!({"id": 2, "name": "Tom"}));
    assert_eq!(kit["id"], json!(3));
    let all = s.get(PETS).send().expect(200).json();
    assert_eq!(all, json!([rex, tom, kit]));
}

#[test]
fn limit_pages_the_pet_list() {
    let s = petstore();
    for name in ["A", "B", "C", "D"] {
        create(&s, json!({ "name": name }));
    }
    let first = s.get(&format!("{PETS}?limit=2")).send().expect(200).json();
    assert_eq!(names(&first), ["A", "B"]);
    let one = s.get(&format!("{PETS}?limit=1")).send().expect(200).json();
    assert_eq!(names(&one), ["A"]);
    let all = s
        .get(&format!("{PETS}?limit=100"))
        .send()
        .expect(200)
        .json();
    assert_eq!(names(&all), ["A", "B", "C", "D"]);
}

#[test]
fn a_pet_is_read_replaced_merge_patched_and_deleted() {
    let s = petstore();
    let rex = create(&s, json!({"name": "Rex", "tag": "dog"}));
    let path = pet(&rex["id"]);
    assert_eq!(s.get(&path).send().expect(200).json(), rex);

    // PUT replaces: the tag not sent is gone, the id stays.
    let replaced = s
        .request("PUT", &path)
        .json(json!({"name": "Max"}))
        .send()
        .expect(200)
        .json();
    assert_eq!(replaced, json!({"id": rex["id"], "name": "Max"}));

    // PATCH merges: members sent change, the others stay.
    let patched = s
        .patch(&path)
        .json(json!({"tag": "good dog"}))
        .send()
        .expect(200)
        .json();
    assert_eq!(
        patched,
        json!({"id": rex["id"], "name": "Max", "tag": "good dog"})
    );
    assert_eq!(s.get(&path).send().expect(200).json(), patched);

    let deleted = s.delete(&path).send();
    deleted.expect(204);
    assert!(deleted.body.is_empty());
    let message = petstore_error(&s.get(&path).send(), 404);
    assert!(message.contains("1"), "{message}");
    assert_eq!(s.get(PETS).send().expect(200).json(), json!([]));
}

#[test]
fn every_item_operation_on_a_missing_pet_is_the_documents_404() {
    let s = petstore();
    create(&s, json!({"name": "Rex"}));
    let missing = format!("{PETS}/99");
    petstore_error(&s.get(&missing).send(), 404);
    petstore_error(
        &s.request("PUT", &missing).json(json!({"name": "X"})).send(),
        404,
    );
    petstore_error(&s.patch(&missing).json(json!({"name": "X"})).send(), 404);
    petstore_error(&s.delete(&missing).send(), 404);
    // A second delete finds nothing either.
    s.delete(&format!("{PETS}/1")).send().expect(204);
    petstore_error(&s.delete(&format!("{PETS}/1")).send(), 404);
}

#[test]
fn an_id_sent_by_the_client_is_kept_and_later_ids_count_past_it() {
    let s = petstore();
    let chosen = create(&s, json!({"id": 42, "name": "Kit"}));
    assert_eq!(chosen["id"], json!(42));
    assert_eq!(
        s.get(&format!("{PETS}/42")).send().expect(200).json(),
        chosen
    );
    let next = create(&s, json!({"name": "Kat"}));
    assert_eq!(next["id"], json!(43));
    // The same id twice is a conflict, in the document's general error format.
    let message = petstore_error(
        &s.post(PETS).json(json!({"id": 42, "name": "Again"})).send(),
        409,
    );
    assert!(message.contains("42"), "{message}");
    assert_eq!(
        names(&s.get(PETS).send().expect(200).json()),
        ["Kit", "Kat"]
    );
}

#[test]
fn a_pet_that_would_break_the_pet_schema_is_refused_with_the_violation() {
    let s = petstore();
    // NewPet says nothing of `id`; Pet says it is an integer: the stored pet would break Pet.
    let message = petstore_error(
        &s.post(PETS)
            .json(json!({"id": "abc", "name": "Rex"}))
            .send(),
        400,
    );
    assert!(message.contains("id"), "{message}");
    assert_eq!(s.get(PETS).send().expect(200).json(), json!([]));
}

#[test]
fn crud_writes_stay_in_their_session_and_reset_clears_them() {
    let s = petstore();
    let mine = s
        .post(PETS)
        .header("X-Understudy-Session", "mine")
        .json(json!({"name": "Rex"}))
        .send()
        .expect(201)
        .json();
    let theirs = s
        .post(PETS)
        .header("X-Understudy-Session", "theirs")
        .json(json!({"name": "Tom"}))
        .send()
        .expect(201)
        .json();
    // Each session counts its own ids.
    assert_eq!(mine["id"], json!(1));
    assert_eq!(theirs["id"], json!(1));
    let list = |session: &str| {
        s.get(PETS)
            .header("X-Understudy-Session", session)
            .send()
            .expect(200)
            .json()
    };
    assert_eq!(names(&list("mine")), ["Rex"]);
    assert_eq!(names(&list("theirs")), ["Tom"]);
    assert_eq!(s.get(PETS).send().expect(200).json(), json!([]));

    let state = s
        .get("/__admin/state")
        .header("X-Understudy-Session", "mine")
        .send()
        .expect(200)
        .json();
    assert_eq!(state["apis"]["petstore"], json!({"/v1/pets": [mine]}));

    s.post("/__admin/reset")
        .header("X-Understudy-Session", "mine")
        .send()
        .expect(204);
    assert_eq!(list("mine"), json!([]));
    assert_eq!(names(&list("theirs")), ["Tom"]);
}

#[test]
fn prefer_still_asks_for_the_static_answer() {
    let s = petstore();
    let example = s
        .get(&format!("{PETS}/1"))
        .header("Prefer", "code=200")
        .send()
        .expect(200)
        .json();
    assert_eq!(example, json!({"id": 1, "name": "Rex", "tag": "dog"}));
    petstore_error(&s.get(&format!("{PETS}/1")).send(), 404);
}

// --- owners and their pets ----------------------------------------------------------------

fn owner(s: &Server, name: &str) -> Value {
    s.post("/api/owners")
        .json(json!({ "name": name }))
        .send()
        .expect(201)
        .json()
}

fn add_pet(s: &Server, owner_id: &str, body: Value) -> Value {
    s.post(&format!("/api/owners/{owner_id}/pets"))
        .json(body)
        .send()
        .expect(201)
        .json()
}

fn is_uuid(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    let parts: Vec<usize> = s.split('-').map(str::len).collect();
    parts == [8, 4, 4, 4, 12] && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

/// Asserts problem details with `status`, and gives the body.
fn problem(reply: &Reply, status: u16) -> Value {
    reply.expect(status);
    let body = reply.json();
    assert_eq!(body["status"], json!(status), "{body}");
    assert!(body["title"].is_string(), "{body}");
    body
}

#[test]
fn new_owners_get_uuids_and_the_required_fields_they_did_not_send() {
    let s = nested();
    let ann = s
        .post("/api/owners")
        .json(json!({
            "name": "Ann",
            // readOnly: a client cannot choose these.
            "id": "00000000-0000-4000-8000-000000000000",
            "createdAt": "2001-01-01T00:00:00Z"
        }))
        .send()
        .expect(201)
        .json();
    assert!(is_uuid(&ann["id"]), "{ann}");
    assert_ne!(ann["id"], json!("00000000-0000-4000-8000-000000000000"));
    assert_eq!(ann["name"], json!("Ann"));
    let created = ann["createdAt"].as_str().unwrap_or_default();
    assert!(
        created.len() >= 20 && created != "2001-01-01T00:00:00Z",
        "{ann}"
    );
    assert!(
        ann.get("email").is_none(),
        "optional members are not made up: {ann}"
    );
    let bob = owner(&s, "Bob");
    assert!(is_uuid(&bob["id"]) && bob["id"] != ann["id"]);

    let id = ann["id"].as_str().unwrap_or_default();
    let read = s
        .get(&format!("/api/owners/{id}"))
        .send()
        .expect(200)
        .json();
    assert_eq!(read, ann);
}

#[test]
fn owners_are_listed_in_a_counted_wrapper_paged_by_page_number() {
    let s = nested();
    let ann = owner(&s, "Ann");
    let bob = owner(&s, "Bob");
    let cy = owner(&s, "Cy");
    let all = s.get("/api/owners").send().expect(200).json();
    assert_eq!(all, json!({"items": [ann, bob, cy], "total": 3, "page": 1}));
    let second = s
        .get("/api/owners?per_page=2&page=2")
        .send()
        .expect(200)
        .json();
    assert_eq!(second, json!({"items": [cy], "total": 3, "page": 2}));
    let past = s
        .get("/api/owners?per_page=2&page=3")
        .send()
        .expect(200)
        .json();
    assert_eq!(past, json!({"items": [], "total": 3, "page": 3}));
}

#[test]
fn each_owner_has_its_own_pets_paged_by_cursor() {
    let s = nested();
    let ann = owner(&s, "Ann");
    let bob = owner(&s, "Bob");
    let (ann, bob) = (ann["id"].as_str().unwrap(), bob["id"].as_str().unwrap());
    let mut created = Vec::new();
    for name in ["a", "b", "c", "d", "e"] {
        created.push(add_pet(&s, ann, json!({"name": name, "species": "cat"})));
    }
    let bobs = add_pet(&s, bob, json!({"name": "z", "species": "dog"}));
    assert!(created.iter().chain([&bobs]).all(|p| is_uuid(&p["petId"])));

    let mut seen = Vec::new();
    let mut url = format!("/api/owners/{ann}/pets?limit=2");
    let mut pages = 0;
    loop {
        let page = s.get(&url).send().expect(200).json();
        pages += 1;
        seen.extend(page["data"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(cursor) => url = format!("/api/owners/{ann}/pets?limit=2&cursor={cursor}"),
            None => {
                assert_eq!(page["next_cursor"], json!(null), "{page}");
                break;
            }
        }
        assert!(pages < 10, "the cursor never ends");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, created);

    let bob_list = s
        .get(&format!("/api/owners/{bob}/pets"))
        .send()
        .expect(200)
        .json();
    assert_eq!(bob_list, json!({"data": [bobs], "next_cursor": null}));
    // Ann's pet is not found under Bob.
    let anns_pet = created[0]["petId"].as_str().unwrap();
    problem(
        &s.get(&format!("/api/owners/{bob}/pets/{anns_pet}")).send(),
        404,
    );
    // A cursor this server never gave is refused with the 422 the list declares for it.
    problem(
        &s.get(&format!("/api/owners/{ann}/pets?cursor=not-mine"))
            .send(),
        422,
    );
}

#[test]
fn a_pet_id_sent_by_the_client_is_kept() {
    let s = nested();
    let ann = owner(&s, "Ann");
    let ann = ann["id"].as_str().unwrap();
    let chosen = "6a2f41a3-c54c-4fe5-8f8c-2b6e5a9b1c01";
    let rex = add_pet(
        &s,
        ann,
        json!({"petId": chosen, "name": "Rex", "species": "dog"}),
    );
    assert_eq!(rex["petId"], json!(chosen));
    let read = s
        .get(&format!("/api/owners/{ann}/pets/{chosen}"))
        .send()
        .expect(200)
        .json();
    assert_eq!(read, rex);
}

#[test]
fn a_merge_patch_null_removes_a_member_and_an_invalid_result_is_a_422() {
    let s = nested();
    let ann = owner(&s, "Ann");
    let ann = ann["id"].as_str().unwrap();
    let rex = add_pet(
        &s,
        ann,
        json!({"name": "Rex", "species": "dog", "nickname": "Rexy"}),
    );
    let path = format!("/api/owners/{ann}/pets/{}", rex["petId"].as_str().unwrap());
    let merge = |body: Value| {
        s.patch(&path)
            .raw_body("application/merge-patch+json", body.to_string().as_bytes())
            .send()
    };
    let patched = merge(json!({"nickname": null, "name": "Max"}))
        .expect(200)
        .json();
    assert_eq!(
        patched,
        json!({"petId": rex["petId"], "name": "Max", "species": "dog"})
    );
    // PetPatch takes any species; Pet does not: the patched pet would break Pet.
    let refused = problem(&merge(json!({"species": "cow"})), 422);
    assert_eq!(
        refused["errors"][0]["pointer"],
        json!("/species"),
        "{refused}"
    );
    assert_eq!(s.get(&path).send().expect(200).json(), patched);
}

#[test]
fn pets_of_a_missing_owner_are_404_and_go_when_their_owner_goes() {
    let s = nested();
    let nobody = "00000000-0000-4000-8000-000000000000";
    let body = problem(&s.get(&format!("/api/owners/{nobody}/pets")).send(), 404);
    assert!(
        body["detail"].as_str().unwrap_or_default().contains(nobody),
        "{body}"
    );
    problem(
        &s.post(&format!("/api/owners/{nobody}/pets"))
            .json(json!({"name": "Rex", "species": "dog"}))
            .send(),
        404,
    );

    let ann = owner(&s, "Ann");
    let ann = ann["id"].as_str().unwrap();
    let rex = add_pet(&s, ann, json!({"name": "Rex", "species": "dog"}));
    let rex_path = format!("/api/owners/{ann}/pets/{}", rex["petId"].as_str().unwrap());
    s.get(&rex_path).send().expect(200);
    s.delete(&format!("/api/owners/{ann}")).send().expect(204);
    problem(&s.get(&format!("/api/owners/{ann}")).send(), 404);
    problem(&s.get(&rex_path).send(), 404);
    let state = s.get("/__admin/state").send().expect(200).json();
    assert_eq!(state["apis"]["crud-nested"], json!({"/api/owners": []}));
}

#[test]
fn the_state_shows_each_collection_under_its_path() {
    let s = nested();
    let ann = owner(&s, "Ann");
    let id = ann["id"].as_str().unwrap();
    let rex = add_pet(&s, id, json!({"name": "Rex", "species": "dog"}));
    let state = s.get("/__admin/state").send().expect(200).json();
    assert_eq!(
        state["apis"]["crud-nested"],
        json!({
            "/api/owners": [ann],
            format!("/api/owners/{id}/pets"): [rex],
        })
    );
}

#[test]
fn operations_that_fit_no_pattern_keep_their_static_answers() {
    let s = nested();
    let health = s.get("/api/health").send().expect(200).json();
    assert_eq!(health, json!({"status": "serving"}));
}

// --- answers stricter than requests ---------------------------------------------------------

fn stricter() -> Server {
    Server::docs(&["crud-stricter.yaml"])
}

#[test]
fn a_create_that_fits_its_request_schema_is_kept_and_completed_where_the_answer_is_stricter() {
    let s = stricter();
    // An empty name, a null description and an output without its answer's members: each
    // fits NewTeam, none fits Team (illumidesk's username, GitHub's teams and check runs).
    let team = s
        .post("/teams")
        .json(json!({"name": "", "description": null, "output": {"title": "t"}}))
        .send()
        .expect(201)
        .json();
    assert_eq!(team["teamId"], json!(1), "{team}");
    assert!(
        team["name"].as_str().is_some_and(|n| !n.is_empty()),
        "{team}"
    );
    assert!(team["description"].is_string(), "{team}");
    // The client's own members of the object are kept, the rest filled in.
    assert_eq!(team["output"]["title"], json!("t"), "{team}");
    assert!(team["output"]["summary"].is_string(), "{team}");
    assert!(team["output"]["annotations_count"].is_u64(), "{team}");
    assert_eq!(s.get("/teams/1").send().expect(200).json(), team);
}

#[test]
fn a_merge_patch_removing_a_required_member_is_kept_and_the_member_filled_in_when_no_422_is_declared()
 {
    let s = stricter();
    s.post("/teams")
        .json(json!({"name": "A", "description": "first"}))
        .send()
        .expect(201);
    let patched = s
        .patch("/teams/1")
        .raw_body(
            "application/merge-patch+json",
            json!({"description": null, "name": "B"})
                .to_string()
                .as_bytes(),
        )
        .send()
        .expect(200)
        .json();
    assert_eq!(patched["name"], json!("B"), "{patched}");
    assert!(patched["description"].is_string(), "{patched}");
    assert_eq!(s.get("/teams/1").send().expect(200).json(), patched);
}

#[test]
fn a_cursor_this_server_did_not_give_starts_the_list_from_the_beginning() {
    let s = stricter();
    for name in ["A", "B", "C"] {
        s.post("/teams")
            .json(json!({ "name": name }))
            .send()
            .expect(201);
    }
    let names = |list: &Value| -> Vec<String> {
        let items = list.as_array().unwrap_or_else(|| panic!("{list}"));
        items.iter().map(|t| t["name"].to_string()).collect()
    };
    // GitHub's `after=a`, Stripe's `starting_after=a`: not the client's mistake to be refused
    // for, though the list declares a 400 (Lucidtech's `nextToken`): the cursor fits its schema.
    let all = s.get("/teams?after=a").send().expect(200).json();
    assert_eq!(names(&all), ["\"A\"", "\"B\"", "\"C\""]);
    let two = s.get("/teams?after=a&per_page=2").send().expect(200).json();
    assert_eq!(names(&two), ["\"A\"", "\"B\""]);
    // A cursor it could have given still pages.
    let rest = s.get("/teams?after=1").send().expect(200).json();
    assert_eq!(names(&rest), ["\"B\"", "\"C\""]);
}

// --- where ids are named, and which ids a path takes ----------------------------------------

/// The id `item`'s member `name` holds, as text.
fn id_text(item: &Value, name: &str) -> String {
    match &item[name] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("no id under {name}: {other} in {item}"),
    }
}

#[test]
fn a_client_id_in_another_case_than_the_items_names_the_item() {
    // MediaPackage: `{"id": ...}` creates the channel answered as `{"Id": ...}`.
    let s = Server::docs(&["crud-ids-named.yaml"]);
    let made = s
        .post("/channels")
        .json(json!({"id": "news", "description": "The news"}))
        .send()
        .expect(200)
        .json();
    assert_eq!(made["Id"], json!("news"), "{made}");
    assert!(made.get("id").is_none(), "one id member: {made}");
    let read = s.get("/channels/news").send().expect(200).json();
    assert_eq!(read, made);
    s.delete("/channels/news").send().expect(202);
    s.get("/channels/news").send().expect(404);
}

#[test]
fn an_id_only_the_creates_body_or_answer_names_names_the_item() {
    let s = Server::docs(&["crud-ids-named.yaml"]);
    // QuickSight's groups: the body's `GroupName`, read at /groups/{GroupName}.
    s.post("/groups")
        .json(json!({"GroupName": "ops", "Description": "Operations"}))
        .send()
        .expect(200);
    let read = s.get("/groups/ops").send().expect(200).json();
    assert_eq!(read["GroupName"], json!("ops"), "{read}");
    s.get("/groups/dev").send().expect(404);
    // Its refresh schedules: the answer's `ScheduleId`, made from its schema.
    let made = s
        .post("/schedules")
        .json(json!({"Schedule": {"Frequency": "DAILY"}}))
        .send()
        .expect(200)
        .json();
    let id = id_text(&made, "ScheduleId");
    assert!(id.starts_with("sch-"), "{made}");
    s.get(&format!("/schedules/{id}")).send().expect(200);
}

#[test]
fn an_empty_client_id_is_no_id_and_the_server_makes_one() {
    let s = Server::docs(&["crud-ids-empty.yaml"]);
    let made = s
        .post("/webproperties")
        .json(json!({"id": "", "name": "Shop"}))
        .send()
        .expect(200)
        .json();
    let id = id_text(&made, "id");
    assert!(!id.is_empty(), "{made}");
    let read = s
        .get(&format!("/webproperties/{id}"))
        .send()
        .expect(200)
        .json();
    assert_eq!(read, made);
    s.post(&format!("/webproperties/{id}/audiences"))
        .json(json!({"id": ""}))
        .send()
        .expect(200);
}

#[test]
fn a_create_answered_in_another_schema_holds_the_new_items_id_where_a_client_looks() {
    let s = Server::docs(&["crud-ids-answers.yaml"]);
    // Compute: an operation, which can hold none of an image's `kind`, still names the image.
    let op = s
        .post("/images")
        .json(json!({"kind": "compute#image", "name": "disk-1"}))
        .send()
        .expect(200)
        .json();
    assert_eq!(op["kind"], json!("compute#operation"), "{op}");
    let image = s
        .get(&format!("/images/{}", id_text(&op, "id")))
        .send()
        .expect(200)
        .json();
    assert_eq!(image["id"], op["id"], "{image}");
    assert_eq!(image["name"], json!("disk-1"), "{image}");
    // Vonage: the answer's `id` is the conversation's `uuid`.
    let made = s
        .post("/conversations")
        .json(json!({"name": "support"}))
        .send()
        .expect(200)
        .json();
    let read = s
        .get(&format!("/conversations/{}", id_text(&made, "id")))
        .send()
        .expect(200)
        .json();
    assert_eq!(read["uuid"], made["id"], "{read}");
}

#[test]
fn new_ids_are_ones_the_item_path_takes() {
    let s = Server::docs(&["crud-ids-path.yaml"]);
    // Linode: a range's path takes an IPv6 address, so that is what a range is given.
    let made = s
        .post("/ranges")
        .json(json!({"prefix_length": 64}))
        .send()
        .expect(200)
        .json();
    let range = id_text(&made, "range");
    assert!(range.parse::<std::net::Ipv6Addr>().is_ok(), "{made}");
    let path = format!("/ranges/{}", range.replace(':', "%3A"));
    s.get(&path).send().expect(200);
    s.delete(&path).send().expect(200);
    s.get(&path).send().expect(404);
    // Tradematic: a strategy's path takes an integer, and its create answers one.
    let made = s
        .post("/strategies")
        .json(json!({"name": "trend"}))
        .send()
        .expect(200)
        .json();
    let n = made["strategyid"]
        .as_i64()
        .unwrap_or_else(|| panic!("an integer: {made}"));
    let read = s.get(&format!("/strategies/{n}")).send().expect(200).json();
    assert_eq!(read["strategyid"], json!(n.to_string()), "{read}");
}
