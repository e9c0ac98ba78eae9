//! Real-world documents that are valid OpenAPI load, and what they mean is served: ECMA-262
//! patterns the Rust regex engines read otherwise, lookaheads in generated answers, the keys
//! OpenAPI 3.0 ignores beside a `$ref`, documents that declare no operations. Refusals name
//! the rule and the place.

use serde_json::json;
use understudy::{Engine, EngineConfig, Source};

use crate::harness::*;

fn warnings_of(name: &str) -> Vec<String> {
    match Engine::load(&[Source::File(doc_path(name))], EngineConfig::default()) {
        Ok(engine) => engine.apis()[0].warnings.clone(),
        Err(failures) => panic!("{name} was refused: {failures:?}"),
    }
}

#[test]
fn patterns_valid_in_ecma_262_load_and_are_enforced_as_ecma_262_reads_them() {
    let s = Server::docs(&["loading-patterns.yaml"]);
    s.post("/patterns/tags")
        .json(
            json!({"label": "p{Print}}", "email": "a-b.c+d@x-y.z", "code": "AabcZ",
                     "letters": "héllo"}),
        )
        .send()
        .expect(201);
    // `^\p\{Print\}+$` is not "printable characters": ECMA-262 reads the letters.
    let r = s
        .post("/patterns/tags")
        .json(json!({"label": "hello", "email": "a@b"}))
        .send();
    r.expect(400);
    let detail = r.json().to_string();
    assert!(detail.contains("label"), "{detail}");
    for (field, value) in [("code", "abc"), ("letters", "a1"), ("email", "a b@c")] {
        let mut body = json!({"label": "p{Print}", "email": "a@b"});
        body[field] = json!(value);
        s.post("/patterns/tags").json(body).send().expect(400);
    }
}

#[test]
fn a_lookahead_or_back_reference_pattern_in_an_answer_is_generated_not_a_500() {
    let s = Server::docs(&["loading-patterns.yaml"]);
    // The server checks its own answer against the schema (`check_responses`).
    let r = s.get("/patterns/domains/1").send();
    r.expect(200);
    let body = r.json();
    let password = body["password"].as_str().unwrap_or_default();
    assert!(password.chars().any(|c| c.is_ascii_uppercase()), "{body}");
    assert!(password.chars().any(|c| c.is_ascii_digit()), "{body}");
    let day = body["day"].as_str().unwrap_or_default();
    assert_eq!(day.get(..2), day.get(3..), "{body}");
}

#[test]
fn keys_beside_a_ref_in_30_are_neither_checked_nor_enforced_and_are_warned_about() {
    let warnings = warnings_of("loading-ref-siblings.yaml");
    for (at, keys) in [
        ("/paths/~1forms/post/parameters/0/schema", "`type`"),
        (
            "/paths/~1forms/post/requestBody/content/application~1json/schema/properties/name",
            "`maxLength`",
        ),
        (
            "/paths/~1monsters~1{index}/get/responses/200/content/application~1json/schema",
            "`allOf`",
        ),
    ] {
        assert!(
            warnings.iter().any(|w| w.contains(&format!("#{at}:"))
                && w.contains("OpenAPI 3.0 ignores the keys beside a `$ref`")
                && w.contains(keys)),
            "no warning at {at}: {warnings:#?}"
        );
    }
    let s = Server::docs(&["loading-ref-siblings.yaml"]);
    // `maxLength: 2` beside the `$ref` is ignored, as 3.0 says.
    s.post("/siblings/forms")
        .header("X-Form", "anything")
        .json(json!({"name": "longer than two"}))
        .send()
        .expect(201);
    s.get("/siblings/monsters/1").send().expect(200);
    // `readOnly: true` beside the `$ref` of a required member: the client leaves it out.
    s.post("/siblings/things")
        .json(json!({"name": "a"}))
        .send()
        .expect(201);
}

#[test]
fn keys_beside_a_ref_in_31_apply() {
    let doc = r#"
openapi: 3.1.0
info: {title: t, version: '1'}
servers: [{url: /siblings31}]
paths:
  /forms:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                name: {$ref: '#/components/schemas/Name', maxLength: 2}
      responses: {'201': {description: created}}
components:
  schemas:
    Name: {type: string}
"#;
    let s = Server::start(
        vec![Source::Text {
            name: "siblings31".to_owned(),
            text: doc.to_owned(),
        }],
        EngineConfig {
            seed: 0,
            check_responses: true,
            ..Default::default()
        },
    );
    s.post("/siblings31/forms")
        .json(json!({"name": "longer than two"}))
        .send()
        .expect(400);
    s.post("/siblings31/forms")
        .json(json!({"name": "ok"}))
        .send()
        .expect(201);
}

#[test]
fn a_document_of_webhooks_only_loads_and_says_nothing_is_served() {
    let warnings = warnings_of("loading-webhooks-only.json");
    assert!(
        warnings
            .first()
            .is_some_and(|w| w.contains("declares no operations")
                && w.contains("its webhook describes a request the API sends")),
        "{warnings:#?}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_understudy"))
        .arg("routes")
        .arg("--spec")
        .arg(doc_path("loading-webhooks-only.json"))
        .output()
        .expect("the understudy binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("declares no operations"), "{stderr}");
    let s = Server::docs(&["loading-webhooks-only.json"]);
    s.get("/balanceChanged").send().expect(404);
}

#[test]
fn a_pattern_that_is_not_ecma_262_is_refused_naming_the_rule_and_the_pointer() {
    let doc = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /codes:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/Code'}\ncomponents:\n  schemas:\n    Code: {type: string, pattern: 'a{3,2}'}\n";
    let failures = match Engine::load(
        &[Source::Text {
            name: "bad".to_owned(),
            text: doc.to_owned(),
        }],
        EngineConfig::default(),
    ) {
        Ok(_) => panic!("an invalid pattern was accepted"),
        Err(failures) => failures,
    };
    let problems: Vec<_> = failures.into_iter().flat_map(|f| f.problems).collect();
    // Said once, where the pattern is: not again by the validator of the schema using it.
    let errors = problems
        .iter()
        .filter(|p| p.severity == understudy::document::problems::Severity::Error)
        .count();
    assert_eq!(errors, 1, "{problems:#?}");
    let error = problems
        .iter()
        .find(|p| p.pointer == "/components/schemas/Code/pattern")
        .unwrap_or_else(|| panic!("{problems:#?}"));
    assert_eq!(
        error.message,
        "`a{3,2}` is not a valid ECMA-262 regular expression: the numbers of a `{}` \
         quantifier are out of order (at character 2)"
    );
}

#[test]
fn a_one_of_with_identical_branches_is_read_as_any_of_and_warned_about() {
    let warnings = warnings_of("loading-identical-choices.yaml");
    let at = "/paths/~1transactions/post/responses/422/content/application~1json/schema/oneOf";
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(&format!("#{at}:")) && w.contains("branches 0 and 1")),
        "{warnings:#?}"
    );
    assert_eq!(
        warnings.len(),
        1,
        "the request's choice differs: {warnings:#?}"
    );
    let s = Server::start(
        vec![Source::File(doc_path("loading-identical-choices.yaml"))],
        EngineConfig {
            seed: 0,
            check_responses: true,
            ..Default::default()
        },
    );
    // The 422 the mock answers fits its declaration: a value of either shape.
    let reply = s.post("/choices/transactions").json(json!({})).send();
    reply.expect(422);
    assert_eq!(
        reply.header("x-understudy-response-violations"),
        None,
        "{}",
        reply.text()
    );
    // The request's `oneOf`, whose branches differ, still refuses a value of both shapes.
    s.post("/choices/transactions")
        .json(json!({"id": "a"}))
        .send()
        .expect(204);
    s.post("/choices/transactions")
        .json(json!({"id": "a", "ids": ["b"]}))
        .send()
        .expect(422);
}
