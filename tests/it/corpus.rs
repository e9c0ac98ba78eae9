//! The edge-case documents of npm's `@readme/oas-examples` (3.0 and 3.1 folders): each one
//! loads and answers every operation without a server error it does not declare, or fails to
//! load with the clear message listed here for it.
//!
//! `.ci/run` fetches the package into `.corpus/` (ignored by git) and sets
//! `UNDERSTUDY_REQUIRE_CORPUS`; `UNDERSTUDY_CORPUS` points at another unpacked copy. Without a
//! corpus (a plain `cargo test` on a fresh clone) the test says so and checks nothing.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use understudy::mock::engine::RESPONSE_VIOLATIONS;
use understudy::operation::api::template_params;
use understudy::schema::violation::Keyword;
use understudy::{Engine, EngineConfig, MockRequest, Source};

/// Documents that cannot be served, and a phrase their load error must contain: each is a
/// real mistake in the document, not an unsupported feature.
const EXPECTED_FAILURES: &[(&str, &str)] = &[
    // Operations name a security scheme the document never defines.
    (
        "3.0/json/response-http-behavior.json",
        "security scheme `api_key` is not defined",
    ),
    // 3.1 is JSON Schema 2020-12: `exclusiveMinimum` must be a number, not `true`.
    (
        "3.1/json/schema-validation-local.json",
        "exclusiveMinimum: `type`: This value should be of type number (found: true)",
    ),
    (
        "3.1/json/schema-validation-top-level.json",
        "exclusiveMinimum: `type`: This value should be of type number (found: true)",
    ),
];

/// Operations whose success schema admits no finite JSON value (a required property that is
/// the schema itself): the mock answers 500 saying so.
const UNANSWERABLE: &[(&str, &str)] =
    &[("3.0/json/circular-request-bodies.json", "directCircular")];

/// Documents whose error answers no answer of the mock can fit, with the keyword
/// `--check-responses` names, as it must:
/// - readme-legacy's 401 and 403 are each a `oneOf` of branches that differ only in their
///   `default`s, so every body matches several;
/// - request-examples declares its 400 in `application/xml` only, which the mock does not
///   write: it answers in problem+json.
const UNFITTABLE_ERRORS: &[(&str, Keyword)] = &[
    ("3.0/json/readme-legacy.json", Keyword::OneOf),
    ("3.0/json/request-examples.json", Keyword::Enum),
];

fn corpus_root() -> Option<PathBuf> {
    let root = match std::env::var_os("UNDERSTUDY_CORPUS") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join(".corpus/package"),
    };
    root.join("3.0").is_dir().then_some(root)
}

fn documents(root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for folder in ["3.0/json", "3.1/json"] {
        let Ok(entries) = std::fs::read_dir(root.join(folder)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                let name = format!("{folder}/{}", entry.file_name().to_string_lossy());
                out.push((name, path));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_oas_examples_corpus_loads_and_serves_or_fails_clearly() {
    let Some(root) = corpus_root() else {
        // CI fetches the corpus and insists on it; a plain `cargo test` may not have it.
        assert!(
            std::env::var_os("UNDERSTUDY_REQUIRE_CORPUS").is_none(),
            "UNDERSTUDY_REQUIRE_CORPUS is set but there is no corpus"
        );
        eprintln!(
            "no corpus: run .ci/run, or set UNDERSTUDY_CORPUS to an unpacked @readme/oas-examples"
        );
        return;
    };
    let docs = documents(&root);
    assert!(
        docs.len() >= 50,
        "only {} documents in {}",
        docs.len(),
        root.display()
    );
    let mut served_operations = 0;
    for (name, path) in &docs {
        let config = EngineConfig {
            seed: 0,
            check_responses: true,
            ..Default::default()
        };
        let loaded = Engine::load(&[Source::File(path.clone())], config);
        let expected = EXPECTED_FAILURES.iter().find(|(n, _)| n == name);
        let engine = match (loaded, expected) {
            (Ok(engine), None) => engine,
            (Err(failures), Some((_, phrase))) => {
                let text: String = failures.iter().map(ToString::to_string).collect();
                assert!(
                    text.contains(phrase),
                    "{name} failed, but not with `{phrase}`:\n{text}"
                );
                continue;
            }
            (Ok(_), Some(_)) => panic!("{name} was expected to fail loading, and loaded"),
            (Err(failures), None) => panic!(
                "{name} failed to load:\n{}",
                failures
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        };
        served_operations += serve_every_operation(name, &engine);
    }
    assert!(
        served_operations >= 400,
        "only {served_operations} operations answered"
    );
}

/// Sends one plausible request per operation; returns how many were answered.
fn serve_every_operation(name: &str, engine: &Engine) -> usize {
    let mut answered = 0;
    for api in engine.apis() {
        for op in &api.operations {
            let mut path = op.route.clone();
            for param in template_params(&op.template) {
                path = path.replace(&format!("{{{param}}}"), "1");
            }
            let mut headers = HeaderMap::new();
            headers.insert("authorization", HeaderValue::from_static("Bearer corpus"));
            let req = MockRequest {
                method: op.method.clone(),
                path,
                query: None,
                headers,
                body: Bytes::new(),
            };
            let outcome = engine.handle(&req);
            let status = outcome.response.status;
            // 3.1 makes `responses` optional: an operation without any answers 204.
            let declared = op.responses.iter().any(|r| r.status.covers(status))
                || (op.responses.is_empty() && status == 204);
            let validation = [400, 401, 404, 406, 415, 422].contains(&status);
            if UNANSWERABLE.contains(&(name, &*op.id)) {
                let body = String::from_utf8_lossy(&outcome.response.body).into_owned();
                assert_eq!(status, 500, "{name} {}: {body}", op.id);
                // Why goes to the log; the client reads that the mock failed, not its words.
                let cause = outcome.cause.as_deref().unwrap_or_default();
                assert!(cause.contains("requires itself without end"), "{cause}");
                assert!(!body.contains("requires itself"), "{body}");
                continue;
            }
            assert!(
                declared || validation || (op.method == Method::HEAD && status < 300),
                "{name} {} {}: undeclared {status}: {}",
                op.method,
                op.route,
                String::from_utf8_lossy(&outcome.response.body)
            );
            let flagged = outcome
                .response
                .header(RESPONSE_VIOLATIONS.as_str())
                .is_some();
            let unfittable = UNFITTABLE_ERRORS.iter().find(|(doc, _)| *doc == name);
            if let (true, true, Some((_, keyword))) = (flagged, status >= 400, unfittable) {
                assert!(
                    outcome
                        .response_violations
                        .iter()
                        .all(|v| v.keyword == *keyword),
                    "{name} {}: {:?}",
                    op.id,
                    outcome.response_violations
                );
                continue;
            }
            assert!(
                !flagged,
                "{name} {}: the answer breaks the spec: {:?}",
                op.id, outcome.response_violations
            );
            answered += 1;
        }
    }
    answered
}
