//! Loading and serving documents other than the bundled ones: the edge-case documents in
//! `tests/docs/`, broken documents, several documents at once.

use serde_json::json;
use understudy::document::problems::Severity;
use understudy::{Engine, EngineConfig, Source};

use crate::harness::*;

fn text(name: &str, body: &str) -> Source {
    Source::Text {
        name: name.to_owned(),
        text: body.to_owned(),
    }
}

fn load_errors(sources: Vec<Source>) -> Vec<understudy::document::problems::Problem> {
    match Engine::load(&sources, EngineConfig::default()) {
        Ok(_) => panic!("the documents were expected to fail loading"),
        Err(failures) => failures.into_iter().flat_map(|f| f.problems).collect(),
    }
}

#[test]
fn a_broken_document_lists_every_problem_with_its_pointer() {
    let problems = load_errors(vec![Source::File(doc_path("bad.yaml"))]);
    let at = |pointer: &str, severity: Severity| {
        problems
            .iter()
            .any(|p| p.pointer == pointer && p.severity == severity)
    };
    let expected = [
        (
            "/paths/~1widgets/get/responses/200/content/application~1json/schema/items/$ref",
            Severity::Error,
        ),
        ("/paths/~1widgets~1{widgetId}", Severity::Error),
        (
            "/components/schemas/Widget/properties/code/pattern",
            Severity::Error,
        ),
        (
            "/components/schemas/Widget/properties/count/min",
            Severity::Warning,
        ),
        (
            "/paths/~1widgets~1{widgetId}/get/responses/200/content/application~1json/example",
            Severity::Warning,
        ),
        ("/paths/widgets-by-name", Severity::Error),
    ];
    for (pointer, severity) in expected {
        assert!(
            at(pointer, severity),
            "no {severity:?} at {pointer}: {problems:#?}"
        );
    }
    let regex = problems
        .iter()
        .find(|p| p.pointer.ends_with("/pattern"))
        .map(|p| p.message.clone())
        .unwrap_or_default();
    assert!(regex.contains("regular expression"), "{regex}");
}

#[test]
fn two_documents_on_one_mount_are_refused() {
    let doc =
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\nservers: [{url: /same}]\npaths: {}\n";
    let problems = load_errors(vec![text("a", doc), text("b", doc)]);
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("both mounted at `/same`")),
        "{problems:#?}"
    );
}

#[test]
fn paths_under_the_admin_prefix_are_reserved() {
    let doc = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /__admin/x:\n    get:\n      responses: {'200': {description: ok}}\n";
    let problems = load_errors(vec![text("a", doc)]);
    assert!(
        problems.iter().any(|p| p.message.contains("reserved")),
        "{problems:#?}"
    );
}

#[test]
fn swagger_2_documents_are_refused_with_a_clear_message() {
    let problems = load_errors(vec![text(
        "old",
        "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n",
    )]);
    assert!(problems[0].message.contains("Swagger 2.0"), "{problems:#?}");
}

#[test]
fn unknown_schema_keywords_are_warnings_naming_their_location() {
    let doc = r#"
openapi: 3.1.0
info: {title: t, version: '1'}
paths: {}
components:
  schemas:
    W:
      type: object
      properties:
        workers: {type: integer, min: 0}
"#;
    let engine = Engine::load(&[text("w", doc)], EngineConfig::default()).expect("loads");
    let warnings = &engine.apis()[0].warnings;
    assert!(
        warnings.iter().any(
            |w| w.contains("/components/schemas/W/properties/workers/min") && w.contains("`min`")
        ),
        "{warnings:?}"
    );
}

#[test]
fn several_documents_are_served_side_by_side() {
    let s = Server::docs(&["petstore.yaml", "edge-30.yaml", "edge-31.yaml"]);
    s.get("/v1/pets").send().expect(200);
    s.get("/edge31/health").send().expect(200);
    s.get("/edge30/owners/1")
        .header("X-API-Key", "k")
        .send()
        .expect(200);
}

#[test]
fn a_30_nullable_string_and_object_accept_null() {
    let s = Server::docs(&["edge-30.yaml"]);
    // The `withNulls` example answers with nulls; the server checks it against the schema.
    let r = s
        .get("/edge30/owners/1")
        .header("X-API-Key", "k")
        .header("Prefer", "example=withNulls")
        .send();
    r.expect(200);
    assert_eq!(r.json()["nickname"], json!(null));
    assert_eq!(r.json()["address"], json!(null));
    // A nullable string in a request body, from another file.
    s.post("/edge30/pets")
        .header("X-API-Key", "k")
        .json(json!({"id": 1, "name": "Tom", "tag": null}))
        .send()
        .expect(201);
}

#[test]
fn boolean_exclusive_bounds_of_30_exclude_the_bound() {
    let s = Server::docs(&["edge-30.yaml"]);
    for ratio in [0.0, 1.0] {
        let r = s
            .post("/edge30/measurements")
            .header("X-API-Key", "k")
            .json(json!({"ratio": ratio}))
            .send();
        r.expect(400);
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        let detail = r.json()["detail"].as_str().unwrap_or_default().to_owned();
        assert!(detail.contains("ratio: This value should be"), "{detail}");
    }
    s.post("/edge30/measurements")
        .header("X-API-Key", "k")
        .json(json!({"ratio": 0.5, "celsius": -273}))
        .send()
        .expect(201);
}

#[test]
fn api_keys_in_header_query_and_cookie_and_basic_credentials_are_accepted() {
    let s = Server::docs(&["edge-30.yaml"]);
    let r = s.get("/edge30/owners/1").send();
    r.expect(401);
    assert_eq!(
        r.headers_named("www-authenticate").len(),
        4,
        "{:?}",
        r.headers
    );
    s.get("/edge30/owners/1?api_key=k").send().expect(200);
    s.get("/edge30/owners/1")
        .header("Cookie", "SESSION=k")
        .send()
        .expect(200);
    s.get("/edge30/owners/1")
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .send()
        .expect(200);
    s.get("/edge30/owners/1")
        .header("Authorization", "Basic bm9jb2xvbg==")
        .send()
        .expect(401);
}

#[test]
fn a_requirement_with_two_schemes_needs_both() {
    let s = Server::docs(&["edge-30.yaml"]);
    s.get("/edge30/secure/both")
        .header("X-API-Key", "k")
        .send()
        .expect(401);
    s.get("/edge30/secure/both")
        .header("X-API-Key", "k")
        .header("Cookie", "SESSION=s")
        .send()
        .expect(204);
}

#[test]
fn cookies_are_read_from_every_cookie_line() {
    // HTTP/1.1 clients may send several `Cookie` lines; they are one list, as if joined
    // with `; ` (RFC 6265 section 5.4).
    let s = Server::docs(&["edge-30.yaml"]);
    s.get("/edge30/secure/both")
        .header("X-API-Key", "k")
        .header("Cookie", "theme=dark; lang=en")
        .header("Cookie", "SESSION=s")
        .send()
        .expect(204);
    s.get("/edge30/secure/both")
        .header("X-API-Key", "k")
        .header("Cookie", "theme=dark")
        .header("Cookie", "SESSION=")
        .send()
        .expect(401);
}

#[test]
fn query_parameters_are_read_in_every_style() {
    let s = Server::docs(&["edge-30.yaml"]);
    s.get("/edge30/search?tags=a&tags=b&ids=1,2&words=a%20b&codes=a|b&filter[color]=red&filter[size]=2")
        .header("X-API-Key", "k")
        .header("X-Trace-Ids", "t1,t2")
        .send()
        .expect(200);
    let r = s
        .get("/edge30/search?ids=1,x&filter[size]=big")
        .header("X-API-Key", "k")
        .send();
    r.expect(400);
    let message = r.json()["detail"].as_str().unwrap_or_default().to_owned();
    assert!(
        message.contains("query.ids[1]: This value should be of type integer."),
        "{message}"
    );
    assert!(
        message.contains("query.filter.size: This value should be of type integer."),
        "{message}"
    );
}

#[test]
fn label_and_matrix_path_parameters_are_read() {
    let s = Server::docs(&["edge-30.yaml"]);
    s.get("/edge30/styles/.blue/;matrix=1;matrix=2")
        .header("X-API-Key", "k")
        .send()
        .expect(204);
    let r = s
        .get("/edge30/styles/.blue/;matrix=1;matrix=x")
        .header("X-API-Key", "k")
        .send();
    r.expect(400);
    assert!(r.text().contains("path.matrix[1]"), "{}", r.text());
}

#[test]
fn a_relative_file_reference_validates_the_body() {
    let s = Server::docs(&["edge-30.yaml"]);
    let r = s
        .post("/edge30/pets")
        .header("X-API-Key", "k")
        .json(json!({"id": 1, "tag": "x".repeat(40)}))
        .send();
    r.expect(400);
    let message = r.json()["detail"].as_str().unwrap_or_default().to_owned();
    assert!(
        message.contains("name: This field is missing."),
        "{message}"
    );
    assert!(
        message.contains("tag: This value is too long."),
        "{message}"
    );
}

#[test]
fn a_discriminator_mismatch_is_reported_on_the_discriminator() {
    let s = Server::docs(&["edge-30.yaml"]);
    let ok = json!({"petType": "cat", "name": "Tom", "huntingSkill": "lazy"});
    s.post("/edge30/animals")
        .header("X-API-Key", "k")
        .json(ok)
        .send()
        .expect(201);
    let r = s
        .post("/edge30/animals")
        .header("X-API-Key", "k")
        .json(json!({"petType": "cow", "name": "Daisy"}))
        .send();
    r.expect(400);
    let message = r.json()["detail"].as_str().unwrap_or_default().to_owned();
    assert!(
        message.contains("petType: The value you selected is not a valid choice."),
        "{message}"
    );
    let r = s
        .post("/edge30/animals")
        .header("X-API-Key", "k")
        .json(json!({"petType": "cat", "name": "Tom"}))
        .send();
    r.expect(400);
    assert!(
        r.text().contains("huntingSkill: This field is missing."),
        "{}",
        r.text()
    );
}

#[test]
fn security_can_be_switched_off_per_operation() {
    let s = Server::docs(&["edge-31.yaml"]);
    s.get("/edge31/health").send().expect(200);
    let r = s
        .get("/edge31/trees/6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e")
        .send();
    r.expect(401);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer realm=\"understudy\"")
    );
}

#[test]
fn the_accept_header_chooses_among_response_media_types() {
    let s = Server::docs(&["edge-31.yaml"]);
    let r = s
        .get("/edge31/health")
        .header("Accept", "text/plain")
        .send();
    r.expect(200);
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.text(), "ok");
    let r = s
        .get("/edge31/health")
        .header("Accept", "text/plain;q=0.5, application/json")
        .send();
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json(), json!({"status": "ok"}));
    s.get("/edge31/health")
        .header("Accept", "image/png")
        .send()
        .expect(406);
}

fn member() -> serde_json::Value {
    json!({"id": "6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e", "email": "ann@example.com",
           "roles": ["ROLE_EDITOR"], "kind": "member", "location": [52.3, 4.8], "score": 0.5})
}

#[test]
fn a_31_body_checks_const_prefix_items_formats_and_required_headers() {
    let s = Server::docs(&["edge-31.yaml"]);
    let id = "0b6a3c1e-8f4d-4c57-9a3e-2f1d5c7b9e10";
    s.post("/edge31/members")
        .bearer("t")
        .header("X-Request-Id", id)
        .json(member())
        .send()
        .expect(201);
    let mut bad = member();
    bad["kind"] = json!("admin");
    bad["location"] = json!([95, 4.8]);
    bad["nickname"] = json!("x".repeat(33));
    bad["joinedAt"] = json!("yesterday");
    let r = s.post("/edge31/members").bearer("t").json(bad).send();
    r.expect(400);
    let body = r.json();
    let message = body["message"].as_str().unwrap_or_default().to_owned();
    for expected in [
        "header.X-Request-Id: This parameter is missing.",
        "kind: This value should be equal to \"member\".",
        "location[0]: This value should be less than or equal to 90.",
        "nickname: This value is too long.",
        "joinedAt: This value is not a valid datetime.",
    ] {
        assert!(
            message.contains(expected),
            "missing `{expected}` in {message}"
        );
    }
    assert_eq!(body["code"], json!(400));
}

#[test]
fn a_form_urlencoded_body_is_read_as_typed_fields() {
    let s = Server::docs(&["edge-31.yaml"]);
    let id = "0b6a3c1e-8f4d-4c57-9a3e-2f1d5c7b9e10";
    s.post("/edge31/members")
        .bearer("t")
        .header("X-Request-Id", id)
        .raw_body(
            "application/x-www-form-urlencoded",
            b"email=ann%40example.com&roles=ROLE_USER&roles=ROLE_EDITOR",
        )
        .send()
        .expect(201);
    let r = s
        .post("/edge31/members")
        .bearer("t")
        .header("X-Request-Id", id)
        .raw_body("application/x-www-form-urlencoded", b"email=not-an-email")
        .send();
    r.expect(400);
    assert!(
        r.text()
            .contains("email: This value is not a valid email address."),
        "{}",
        r.text()
    );
}

#[test]
fn prefer_picks_a_named_example_or_fresh_data() {
    let s = Server::docs(&["edge-31.yaml"]);
    let id = "0b6a3c1e-8f4d-4c57-9a3e-2f1d5c7b9e10";
    let post = |prefer: &str| {
        s.post("/edge31/members")
            .bearer("t")
            .header("X-Request-Id", id)
            .header("Prefer", prefer)
            .json(member())
            .send()
    };
    let r = post("example=viewer");
    r.expect(201);
    assert_eq!(r.json()["email"], json!("bob@example.com"));
    post("example=nope").expect(400);
    // Fresh data each time, each valid (the server checks its own answers).
    let a = s
        .get("/edge31/trees/6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e")
        .bearer("t")
        .header("Prefer", "dynamic=true")
        .send();
    a.expect(200);
    assert!(a.json()["name"].is_string());
}

#[test]
fn a_percent_encoded_base64_path_id_is_decoded_before_validation() {
    let doc = r#"
openapi: 3.1.0
info: {title: ids, version: '1'}
servers: [{url: /ids}]
paths:
  /things/{id}:
    get:
      operationId: getThing
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, pattern: '^[A-Za-z0-9+/]+={0,2}$'}}
      responses:
        '204': {description: found}
"#;
    let s = Server::start(
        vec![text("ids", doc)],
        EngineConfig {
            seed: 0,
            check_responses: true,
            ..Default::default()
        },
    );
    s.get("/ids/things/U3BhY2U6MTIzNDU%3D").send().expect(204);
    s.get("/ids/things/U3BhY2U6MTIzNDU=").send().expect(204);
    s.get("/ids/things/not%20base64").send().expect(400);
}

const GENERATED: &str = r#"
openapi: 3.1.0
info: {title: gen, version: '1'}
servers: [{url: /gen}]
paths:
  /things:
    get:
      operationId: listThings
      responses:
        '200':
          description: things
          content:
            application/json:
              schema:
                type: array
                minItems: 3
                items:
                  type: object
                  required: [id, name, size, created]
                  properties:
                    id: {type: string, format: uuid}
                    name: {type: string, minLength: 3}
                    size: {type: integer, minimum: 1, maximum: 1000000}
                    created: {type: string, format: date-time}
"#;

#[test]
fn generated_answers_are_the_same_across_restarts_and_change_with_the_seed() {
    let body = |seed: u64| {
        let s = Server::start(
            vec![text("gen", GENERATED)],
            EngineConfig {
                seed,
                check_responses: true,
                ..Default::default()
            },
        );
        let r = s.get("/gen/things").send();
        r.expect(200);
        r.json()
    };
    let first = body(1);
    assert!(first.as_array().map(Vec::len).unwrap_or(0) >= 3, "{first}");
    assert_eq!(first, body(1));
    assert_ne!(first, body(2));
}

#[test]
fn head_answers_like_get_without_a_body() {
    let s = Server::start(
        vec![text("gen", GENERATED)],
        EngineConfig {
            seed: 0,
            check_responses: true,
            ..Default::default()
        },
    );
    let r = s.request("HEAD", "/gen/things").send();
    r.expect(200);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[test]
fn a_body_over_the_limit_is_a_413_in_the_apis_error_format() {
    let s = Server::bundled();
    let big = format!(
        "{{\"role\": \"edit\", \"users\": [\"{}\"]}}",
        "x".repeat(1024 * 1024)
    );
    let r = s
        .post("/v1/spaces/space1/permissions")
        .bearer("t")
        .raw_body("application/json", big.as_bytes())
        .send();
    r.expect(413);
    assert_eq!(r.json()["error"]["code"], json!(413));
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("limit")
    );
}

/// A document whose one path has `n` parameters, `/a/{p1}/.../{pn}`, each an integer that
/// must equal its place, so that only values read in order are accepted.
fn many_parameters(n: usize) -> (String, String) {
    let template: String = (1..=n).map(|i| format!("/{{p{i}}}")).collect();
    let parameters: String = (1..=n)
        .map(|i| {
            format!(
                "      - {{name: p{i}, in: path, required: true, \
                 schema: {{type: integer, minimum: {i}, maximum: {i}}}}}\n"
            )
        })
        .collect();
    let doc = format!(
        "openapi: 3.1.0\n\
         info: {{title: many, version: '1'}}\n\
         servers: [{{url: /many}}]\n\
         paths:\n  \
           /a{template}:\n    \
             parameters:\n{parameters}    \
             get:\n      \
               operationId: getMany\n      \
               responses:\n        \
                 '200':\n          \
                   description: ok\n          \
                   content: {{application/json: {{schema: {{type: object}}}}}}\n"
    );
    (doc, format!("/many/a{template}"))
}

#[test]
fn a_path_with_30_parameters_is_listed_by_routes_and_served_with_every_value_in_place() {
    let (doc, route) = many_parameters(30);
    let file = std::env::temp_dir().join(format!(
        "understudy-documents-{}-30-parameters.yaml",
        std::process::id()
    ));
    std::fs::write(&file, &doc).expect("a temporary document");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_understudy"))
        .arg("routes")
        .arg("--spec")
        .arg(&file)
        .output()
        .expect("the understudy binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("GET") && l.contains(&route) && l.contains("getMany")),
        "{stdout}"
    );

    let s = Server::start(
        vec![Source::File(file.clone())],
        EngineConfig {
            seed: 0,
            check_responses: true,
            ..Default::default()
        },
    );
    let values: Vec<String> = (1..=30).map(|i| i.to_string()).collect();
    s.get(&format!("/many/a/{}", values.join("/")))
        .send()
        .expect(200);
    // Two values swapped: the path is found, its parameters are not valid.
    let mut swapped = values.clone();
    swapped.swap(0, 29);
    s.get(&format!("/many/a/{}", swapped.join("/")))
        .send()
        .expect(400);
    s.get(&format!("/many/a/{}", values[..29].join("/")))
        .send()
        .expect(404);
    let _ = std::fs::remove_file(&file);
}

// --- `$ref`s of untrusted documents -------------------------------------------------------

/// Written in every file the tests below must never see printed.
const MARKER: &str = "SECRET-MARKER-b41d-never-print-me";

/// A folder under the system's temporary folder (outside the working directory of the
/// tests, the crate), removed when dropped: `docs/` holds the document.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("understudy-documents-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("docs")).expect("a scratch folder");
        // Canonical, so that the paths the messages name are the ones asserted on.
        Scratch(dir.canonicalize().expect("a canonical scratch folder"))
    }

    fn write(&self, rel: &str, text: &str) -> std::path::PathBuf {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("a folder");
        std::fs::write(&path, text).expect("a scratch file");
        path
    }

    /// `docs/api.yaml`, whose one response schema is `$ref: target`.
    fn document(&self, target: &str) -> std::path::PathBuf {
        self.write(
            "docs/api.yaml",
            &format!(
                "openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\npaths:\n  /pets:\n    get:\n      \
                 responses:\n        '200':\n          description: ok\n          content:\n            \
                 application/json:\n              schema: {{$ref: '{target}'}}\n"
            ),
        )
    }

    /// A secret outside `docs/`: a schema (so that, were it read, the document would load)
    /// carrying the marker.
    fn secret(&self) -> std::path::PathBuf {
        self.write(
            "secret/secret.yaml",
            &format!("Pet: {{type: object, description: {MARKER}}}\n"),
        )
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const SCHEMA_REF: &str = "/paths/~1pets/get/responses/200/content/application~1json/schema/$ref";

/// Runs the real binary's `routes` in `cwd`; (exit code, stdout, stderr).
fn routes_in(cwd: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_understudy"))
        .current_dir(cwd)
        .arg("routes")
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_ref_outside_the_documents_folders_is_refused_by_pointer_and_path_without_its_content() {
    let s = Scratch::new("outside");
    let secret = s.secret();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&secret, s.0.join("docs/link.yaml")).expect("a symlink");
    let absolute = format!("{}#/Pet", secret.display());
    let mut targets = vec![
        (absolute.as_str(), secret.clone()),
        ("../secret/secret.yaml#/Pet", secret.clone()),
        ("/etc/passwd", "/etc/passwd".into()),
        (
            "../../../../../../../../../../etc/passwd",
            "/etc/passwd".into(),
        ),
    ];
    if cfg!(unix) {
        targets.push(("link.yaml#/Pet", s.0.join("docs/link.yaml")));
    }
    for (target, path) in targets {
        let problems = load_errors(vec![Source::File(s.document(target))]);
        let refusal = problems
            .iter()
            .find(|p| p.pointer == SCHEMA_REF)
            .unwrap_or_else(|| panic!("{target}: no problem at the $ref: {problems:#?}"));
        let shown = refusal.to_string();
        assert!(shown.contains("outside the folders"), "{target}: {shown}");
        assert!(
            shown.contains(&format!("`$ref` to {}", path.display())),
            "{target}: {shown}"
        );
        assert!(shown.contains("--allow-ref-dir"), "{target}: {shown}");
        for p in &problems {
            let text = p.to_string();
            assert!(!text.contains(MARKER), "{target}: {text}");
            assert!(!text.contains("root:x:0"), "{target}: {text}");
        }
    }
}

#[test]
fn an_allowed_folder_lets_the_same_ref_load() {
    let s = Scratch::new("allowed");
    let secret = s.secret();
    let doc = s.document(&format!("{}#/Pet", secret.display()));
    let policy =
        understudy::document::load::RefPolicy::allowing([s.0.join("secret")]).expect("a folder");
    let api = understudy::operation::api::Api::load_with(&Source::File(doc.clone()), &policy);
    assert!(api.is_ok(), "{:?}", api.err());
    let secret_dir = s.0.join("secret").display().to_string();
    let spec = doc.display().to_string();
    let (code, stdout, stderr) =
        routes_in(&s.0, &["--spec", &spec, "--allow-ref-dir", &secret_dir]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("/pets"), "{stdout}");
}

#[test]
fn a_sibling_folder_ref_loads_when_run_from_their_common_parent() {
    let s = Scratch::new("monorepo");
    s.write("common/pet.yaml", "Pet: {type: object}\n");
    s.document("../common/pet.yaml#/Pet");
    let (code, stdout, stderr) = routes_in(&s.0, &["--spec", "docs/api.yaml"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("/pets"), "{stdout}");
    // From the document's own folder, `../common` is outside both allowed folders.
    let (code, _, stderr) = routes_in(&s.0.join("docs"), &["--spec", "api.yaml"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("outside the folders"), "{stderr}");
}

#[test]
fn the_binary_refuses_an_outside_ref_with_exit_2_and_prints_none_of_the_file() {
    let s = Scratch::new("binary");
    let secret = s.secret();
    for target in [
        format!("{}#/Pet", secret.display()),
        "/etc/passwd".to_owned(),
    ] {
        s.document(&target);
        let (code, stdout, stderr) = routes_in(&s.0.join("docs"), &["--spec", "api.yaml"]);
        assert_eq!(code, 2, "{target}: {stderr}");
        assert!(stderr.contains(SCHEMA_REF), "{target}: {stderr}");
        assert!(stderr.contains("outside the folders"), "{target}: {stderr}");
        for out in [&stdout, &stderr] {
            assert!(!out.contains(MARKER), "{target}: {out}");
            assert!(!out.contains("root:x:0"), "{target}: {out}");
        }
    }
}

#[test]
fn a_readable_file_that_is_not_a_schema_is_quoted_only_in_part() {
    // An `.env`-like file beside the document: readable, but its text must not be printed
    // whole when it turns out not to be what the `$ref` needs.
    let s = Scratch::new("plain");
    s.write(
        "docs/settings.env",
        &format!("API_TOKEN=tok_{} {MARKER}\n", "z".repeat(80)),
    );
    s.write("docs/broken.yaml", &format!("a: !!int {MARKER}\n"));
    for target in ["settings.env", "broken.yaml#/a"] {
        let problems = load_errors(vec![Source::File(s.document(target))]);
        assert!(!problems.is_empty());
        for p in &problems {
            let text = p.to_string();
            assert!(!text.contains(MARKER), "{target}: {text}");
        }
    }
}

#[test]
fn an_answer_the_mock_cannot_generate_is_a_500_that_keeps_the_cause_for_the_log() {
    // Only "a" matches the pattern, and it is shorter than the minimum: no string fits.
    let doc = r#"
openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /odd:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: string, pattern: '^a$', minLength: 3}
"#;
    let engine = Engine::load(&[text("odd", doc)], EngineConfig::default()).expect("loads");
    let req = understudy::MockRequest {
        method: http::Method::GET,
        path: "/odd".into(),
        query: None,
        headers: http::HeaderMap::new(),
        body: bytes::Bytes::new(),
    };
    let outcome = engine.handle(&req);
    assert_eq!(outcome.response.status, 500);
    let body = String::from_utf8_lossy(&outcome.response.body).into_owned();
    let cause = outcome.cause.as_deref().unwrap_or_default();
    assert!(cause.contains("/paths/~1odd/get/responses/200"), "{cause}");
    // The client reads that the mock failed, not the generator's words or the file's path.
    assert!(body.contains("cannot make an answer"), "{body}");
    assert!(
        !body.contains("~1odd") && !body.contains("satisf"),
        "{body}"
    );
}
