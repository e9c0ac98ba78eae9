//! Reload on change, through the real binary with documents written by each test into a
//! scratch folder: `serve --watch` picks up a rewritten document (a new route served, the
//! worlds and the journal kept; a broken rewrite logged while the old document keeps
//! serving), `POST /__admin/reload` does the same by hand (its answer says what happened; a
//! broken document gets 422 with the problems), and stubs the new document no longer takes
//! are dropped, and said so.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::harness::{Reply, request_to};
use crate::running::Running;

/// Items with a create and a read (CRUD keeps what was created), and `/version` answering
/// `version` from its example; `extra` paths after them.
fn items(version: &str, extra: &str) -> String {
    document(version, &format!("{}{extra}", collection("items")))
}

/// `/version` answering `version`, then `paths`.
fn document(version: &str, paths: &str) -> String {
    format!(
        "openapi: 3.1.0
info: {{title: Items, version: '1'}}
paths:
  /version:
    get:
      operationId: version
      responses:
        '200':
          description: The version
          content:
            application/json:
              schema: {{type: object, properties: {{version: {{type: string}}}}}}
              example: {{version: {version}}}
{paths}components:
  schemas:
    Item:
      type: object
      required: [name]
      properties:
        id: {{type: string, readOnly: true}}
        name: {{type: string}}
"
    )
}

/// A CRUD collection of items at `/NAME`: a create and a read.
fn collection(name: &str) -> String {
    format!(
        "  /{name}:
    post:
      operationId: create-{name}
      requestBody:
        required: true
        content:
          application/json:
            schema: {{$ref: '#/components/schemas/Item'}}
      responses:
        '201':
          description: Created
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Item'}}
  /{name}/{{id}}:
    get:
      operationId: get-{name}
      parameters:
        - {{name: id, in: path, required: true, schema: {{type: string}}}}
      responses:
        '200':
          description: The item
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Item'}}
        '404':
          description: No such item
"
    )
}

/// A route the second version of the document adds.
const HEALTH: &str = "  /health:
    get:
      operationId: health
      responses:
        '200':
          description: Up
          content:
            application/json:
              schema: {type: object, properties: {up: {type: boolean}}}
              example: {up: true}
";

/// A scratch folder of its own per test, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir()
            .join("understudy-reload-tests")
            .join(format!("{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        Scratch(dir.canonicalize().expect("a canonical scratch folder"))
    }

    /// Writes `text` to `name` the way editors save: a new file renamed over the old one.
    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        let file = path.file_name().expect("a file name").to_string_lossy();
        let temp = path.with_file_name(format!(".{file}.swp"));
        std::fs::write(&temp, text).expect("a scratch file");
        std::fs::rename(&temp, &path).expect("renamed into place");
        path.to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn addr(running: &Running) -> SocketAddr {
    running.addr.parse().expect("a socket address")
}

/// Creates an item named `name` in `/items`; its id.
fn create(at: SocketAddr, name: &str) -> String {
    create_in(at, "/items", name)
}

/// Creates an item named `name` in the collection `path`; its id.
fn create_in(at: SocketAddr, path: &str, name: &str) -> String {
    let reply = request_to(at, "POST", path)
        .json(json!({"name": name}))
        .send();
    reply.expect(201);
    reply.json()["id"]
        .as_str()
        .expect("the new item's id")
        .to_owned()
}

fn get(at: SocketAddr, path: &str) -> Reply {
    request_to(at, "GET", path).send_unchecked()
}

fn reload(at: SocketAddr) -> Reply {
    request_to(at, "POST", "/__admin/reload").send_unchecked()
}

#[test]
fn a_watched_document_that_gains_a_route_serves_it_and_keeps_what_was_created() {
    let dir = Scratch::new("gains");
    let doc = dir.write("items.yaml", &items("one", ""));
    let mut running = Running::start(&["serve", "--port", "0", "--watch", "--spec", &doc], &[]);
    let at = addr(&running);
    let id = create(at, "kept");
    get(at, "/health").expect(404);

    // A route, and a collection: CRUD's world keeps its items, the new collection starts
    // empty.
    let notes = collection("notes");
    dir.write("items.yaml", &items("two", &format!("{HEALTH}{notes}")));
    let line = running.line("the reload", |l| l.contains("reloaded:"));
    assert!(line.contains("1 session kept"), "{line}");
    assert!(line.contains("0 worlds restarted"), "{line}");

    get(at, "/health").expect(200);
    let note = create_in(at, "/notes", "new");
    assert_eq!(
        get(at, &format!("/notes/{note}")).expect(200).json()["name"],
        "new"
    );
    assert_eq!(get(at, "/version").expect(200).json()["version"], "two");
    let item = get(at, &format!("/items/{id}"));
    assert_eq!(item.expect(200).json()["name"], "kept");
    let journal = request_to(at, "GET", "/__admin/requests").send().json();
    let paths: Vec<&str> = journal["requests"]
        .as_array()
        .expect("the journal")
        .iter()
        .filter_map(|r| r["path"].as_str())
        .collect();
    assert_eq!(
        paths[..2],
        ["/items", "/health"],
        "the journal of before the reload is kept"
    );
}

#[test]
fn a_watched_document_rewritten_broken_is_logged_and_the_old_one_keeps_serving() {
    let dir = Scratch::new("broken");
    let doc = dir.write("items.yaml", &items("one", ""));
    let mut running = Running::start(&["serve", "--port", "0", "--watch", "--spec", &doc], &[]);
    let at = addr(&running);
    let id = create(at, "still here");

    // A route whose path parameter is not declared: the document cannot be served.
    let broken = items(
        "two",
        "  /items/{id}/parts:\n    get:\n      responses:\n        '200': {description: ok}\n",
    );
    dir.write("items.yaml", &broken);
    let problem = running.line("the problem", |l| l.contains("reload: error"));
    assert!(problem.contains("items.yaml"), "{problem}");
    running.line("that the old document still serves", |l| {
        l.contains("reload failed") && l.contains("still serving")
    });

    assert_eq!(get(at, "/version").expect(200).json()["version"], "one");
    assert_eq!(
        get(at, &format!("/items/{id}")).expect(200).json()["name"],
        "still here"
    );

    // Fixed again: the next change reloads.
    dir.write("items.yaml", &items("three", ""));
    running.line("the reload", |l| l.contains("reloaded:"));
    assert_eq!(get(at, "/version").expect(200).json()["version"], "three");
}

#[test]
fn reloading_by_hand_says_what_happened_and_a_broken_document_gets_422_with_its_problems() {
    let dir = Scratch::new("by-hand");
    let doc = dir.write("items.yaml", &items("one", ""));
    let running = Running::start(
        &[
            "serve",
            "--port",
            "0",
            "--spec",
            &doc,
            "--admin-token",
            "s3cret",
        ],
        &[],
    );
    let at = addr(&running);
    let bearer = |req: crate::harness::Req<'static>| req.bearer("s3cret");
    let id = create(at, "kept");
    bearer(request_to(at, "GET", "/__admin/state"))
        .header("X-Understudy-Session", "ci")
        .send()
        .expect(200);

    // The control API's rules hold: no token, no reload.
    reload(at).expect(401);
    bearer(request_to(at, "GET", "/__admin/reload"))
        .send_unchecked()
        .expect(405);

    dir.write("items.yaml", &items("two", HEALTH));
    let answer = bearer(request_to(at, "POST", "/__admin/reload")).send();
    let body = answer.expect(200).json();
    assert_eq!(body["reloaded"], true);
    assert_eq!(body["documents"], json!(["items"]));
    assert_eq!(body["changed"], json!([doc]));
    assert_eq!(
        (body["sessions"].clone(), body["kept"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(body["restarted"], json!([]));
    assert_eq!(body["stubsDropped"], json!([]));
    get(at, "/health").expect(200);
    get(at, &format!("/items/{id}")).expect(200);

    // The collection that holds the item is gone: CRUD's world starts again, and says why.
    dir.write("items.yaml", &document("three", &collection("notes")));
    let answer = bearer(request_to(at, "POST", "/__admin/reload")).send();
    let body = answer.expect(200).json();
    assert_eq!(body["kept"], 1, "{body}");
    assert_eq!(body["restarted"][0]["session"], "");
    assert_eq!(body["restarted"][0]["api"], "items");
    let reason = body["restarted"][0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("/items"), "{reason}");

    std::fs::write(&doc, "openapi: 3.1.0\npaths: {\n").unwrap();
    let refused = bearer(request_to(at, "POST", "/__admin/reload")).send_unchecked();
    refused.expect(422);
    assert!(
        refused
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/problem+json")),
        "{:?}",
        refused.headers
    );
    let problems = refused.json()["problems"].clone();
    let listed: Vec<&str> = problems
        .as_array()
        .expect("the problems")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        !listed.is_empty() && listed.iter().all(|p| p.contains("items.yaml")),
        "{problems}"
    );
    get(at, "/version").expect(200);
    assert_eq!(get(at, "/version").json()["version"], "three");
}

#[test]
fn a_stub_the_reloaded_document_no_longer_takes_is_dropped_and_said_so() {
    let dir = Scratch::new("stub");
    let doc = dir.write("items.yaml", &items("one", HEALTH));
    let mut running = Running::start(&["serve", "--port", "0", "--spec", &doc], &[]);
    let at = addr(&running);
    let stub = |id: &str, path: &str, body: Value| {
        request_to(at, "POST", "/__admin/stubs")
            .header("X-Understudy-Session", "ci")
            .json(json!({
                "id": id,
                "match": {"method": "GET", "path": path},
                "answer": {"status": 200, "body": body},
            }))
            .send()
            .expect(201);
    };
    stub("down", "/health", json!({"up": false}));
    stub("old", "/version", json!({"version": "stubbed"}));

    // `/health` is gone.
    dir.write("items.yaml", &items("two", ""));
    let body = reload(at).expect(200).json();
    let dropped = &body["stubsDropped"];
    assert_eq!(dropped.as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(dropped[0]["session"], "ci");
    assert_eq!(dropped[0]["stub"], "down");
    let line = running.line("the dropped stub", |l| l.contains("dropped the stub"));
    assert!(
        line.contains("\"ci\"") && line.contains("\"down\""),
        "{line}"
    );

    let version = request_to(at, "GET", "/version")
        .header("X-Understudy-Session", "ci")
        .send();
    assert_eq!(
        version.expect(200).json()["version"],
        "stubbed",
        "the stub that still fits is kept"
    );
    let listed = request_to(at, "GET", "/__admin/stubs")
        .header("X-Understudy-Session", "ci")
        .send()
        .json();
    let ids: Vec<&str> = listed["stubs"]
        .as_array()
        .expect("the stubs")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(ids, ["old"]);
}

#[test]
fn a_watched_stub_folder_replaces_its_stubs_in_every_session_and_keeps_those_a_test_added() {
    let dir = Scratch::new("stub-folder");
    let doc = dir.write("items.yaml", &items("one", HEALTH));
    std::fs::create_dir_all(dir.0.join("stubs")).expect("a stub folder");
    let folder_stub = |id: &str| {
        json!({"id": id, "match": {"method": "GET", "path": "/health"},
               "answer": {"status": 200, "body": {"up": false}}})
        .to_string()
    };
    dir.write("stubs/health.json", &folder_stub("from-folder"));
    let stubs = dir.0.join("stubs").to_string_lossy().into_owned();
    let mut running = Running::start(
        &[
            "serve", "--port", "0", "--watch", "--spec", &doc, "--stubs", &stubs,
        ],
        &[],
    );
    let at = addr(&running);
    request_to(at, "POST", "/__admin/stubs")
        .header("X-Understudy-Session", "ci")
        .json(
            json!({"id": "mine", "match": {"method": "GET", "path": "/version"},
                     "answer": {"status": 200, "body": {"version": "mine"}}}),
        )
        .send()
        .expect(201);

    dir.write("stubs/health.json", &folder_stub("renamed"));
    let line = running.line("the reload", |l| l.contains("reloaded:"));
    assert!(line.contains("the stubs of"), "{line}");
    running.line("the new folder stubs", |l| {
        l.contains("the stubs of --stubs changed")
    });
    let ids = |session: &str| -> Vec<String> {
        let listed = request_to(at, "GET", "/__admin/stubs")
            .header("X-Understudy-Session", session)
            .send()
            .json();
        listed["stubs"]
            .as_array()
            .expect("the stubs")
            .iter()
            .filter_map(|s| s["id"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(ids("ci"), ["mine", "renamed"]);
    assert_eq!(ids("new-after-the-reload"), ["renamed"]);
    let version = request_to(at, "GET", "/version")
        .header("X-Understudy-Session", "ci")
        .send();
    assert_eq!(version.expect(200).json()["version"], "mine");
}

#[test]
fn a_watched_fixture_file_that_changes_restarts_that_apis_worlds_and_says_so() {
    let dir = Scratch::new("fixtures");
    std::fs::create_dir_all(dir.0.join("fixtures")).expect("a fixture folder");
    let bundled = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for name in ["alumio", "gitbook", "arize"] {
        let text = std::fs::read_to_string(bundled.join(format!("{name}.yaml"))).expect("fixture");
        dir.write(&format!("fixtures/{name}.yaml"), &text);
    }
    let fixtures = dir.0.join("fixtures").to_string_lossy().into_owned();
    let mut running = Running::start(
        &["serve", "--port", "0", "--watch", "--fixtures", &fixtures],
        &[],
    );

    let text = std::fs::read_to_string(bundled.join("gitbook.yaml")).expect("fixture");
    dir.write("fixtures/gitbook.yaml", &format!("{text}\n# edited\n"));
    let line = running.line("the reload", |l| l.contains("reloaded:"));
    assert!(line.contains("1 world restarted"), "{line}");
    assert!(line.contains("fixtures of gitbook"), "{line}");
    let restarted = running.line("the world restarted", |l| l.contains("restarted gitbook"));
    assert!(restarted.contains("its fixtures changed"), "{restarted}");
}
