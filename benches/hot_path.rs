//! Micro-benchmarks of the request hot path, through the library's public API, so a
//! regression shows up in numbers: routing, reading parameters, validating bodies, rendering
//! errors in each API's format, generating answers, and whole `Engine::handle` calls for the
//! scenarios `bench/run` loads over HTTP.
//!
//! ```sh
//! cargo bench --bench hot_path                # all of them
//! cargo bench --bench hot_path -- routing     # the ones whose name contains `routing`
//! ```
//!
//! The engine serves the bundled documents from a fixtures folder written here with a GitBook
//! space of 20 members (as `bench/gitbook_fixtures.py` writes for `bench/run`).

use std::hint::black_box;
use std::path::PathBuf;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, Method, header};
use serde_json::Value;
use understudy::mock::engine::Routed;
use understudy::operation::api::Operation;
use understudy::operation::params::{ParamIn, parse_query};
use understudy::schema::violation::{ErrorFacts, Location, Segment, Violation};
use understudy::world::fixtures::FixtureSource;
use understudy::{Engine, EngineConfig, MockRequest};

const GITBOOK_LIST: &str = "/v1/spaces/sPaCeBench01/permissions/users";
const GITBOOK_INVITE: &str = "/v1/spaces/sPaCeBench02/permissions";
const ALUMIO_ASSIGN: &str = "/api/v1/spaces/default/assign_users";
const ARIZE_USERS: &str = "/v2/spaces/U3BhY2U6MTIzNDU%3D/users";
const GITBOOK_TOKEN: &str = "Bearer gb_bench_token";
const ALUMIO_INVALID: &str = r#"{"users": [{"email": "nope", "roles": ["ROLE_X"]}]}"#;
const ALUMIO_VALID: &str = r#"{"users": [{"email": "ann@example.com", "roles": ["ROLE_EDITOR"]}]}"#;
const ARIZE_ADD: &str =
    r#"{"user_id": "VXNlcjoxMjM0NQ==", "role": {"type": "predefined", "name": "member"}}"#;
const GITBOOK_INVITE_BODY: &str = r#"{"role": "edit", "users": ["uBench1"]}"#;

/// A fixtures folder: the bundled Alumio and Arize worlds, and a GitBook world whose space
/// `sPaCeBench01` has 20 members and `sPaCeBench02` none.
fn fixtures() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("understudy-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    for name in ["alumio.yaml", "arize.yaml"] {
        std::fs::copy(root.join("fixtures").join(name), dir.join(name)).expect("fixtures/");
    }
    let roles = ["admin", "create", "edit", "review", "comment", "read"];
    let mut yaml = String::from(
        "organizations:\n  - {id: oRgBench01, title: Bench, admins: [uBench0]}\nusers:\n",
    );
    for i in 0..20 {
        yaml += &format!(
            "  - {{id: uBench{i}, displayName: User {i}, email: user{i}@example.com, \
             photoURL: 'https://avatars.example.com/uBench{i}.png'}}\n"
        );
    }
    yaml += "teams: []\nspaces:\n  - id: sPaCeBench01\n    organization: oRgBench01\n    title: Bench\n    users:\n";
    for i in 0..20 {
        yaml += &format!("      - {{user: uBench{i}, role: {}}}\n", roles[i % 6]);
    }
    yaml += "  - id: sPaCeBench02\n    organization: oRgBench01\n    title: Empty\n    users: []\n";
    yaml += "tokens:\n  - {token: gb_bench_token, user: uBench0}\n";
    std::fs::write(dir.join("gitbook.yaml"), yaml).expect("gitbook.yaml");
    dir
}

fn engine() -> Engine {
    let dir = fixtures();
    let config = EngineConfig {
        seed: 0,
        check_responses: false,
        fixtures: FixtureSource::Dir(dir.clone()),
        ..EngineConfig::default()
    };
    let engine = Engine::load(&understudy::document::load::bundled(), config)
        .unwrap_or_else(|e| panic!("the bundled documents load: {e:?}"));
    let _ = std::fs::remove_dir_all(dir);
    engine
}

fn request(
    method: Method,
    path: &str,
    headers: &[(&'static str, &str)],
    body: &str,
) -> MockRequest {
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q.to_owned())),
        None => (path, None),
    };
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, HeaderValue::from_str(value).expect("a header value"));
    }
    if !body.is_empty() {
        map.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    MockRequest {
        method,
        path: path.to_owned(),
        query,
        headers: map,
        body: Bytes::copy_from_slice(body.as_bytes()),
    }
}

/// The operation a method and path lead to.
fn operation<'e>(engine: &'e Engine, method: Method, path: &str) -> &'e Operation {
    match engine.route_of(&method, path) {
        Routed::Operation { op, .. } => op,
        other => panic!("{method} {path} routes to {other:?}"),
    }
}

/// The operation's JSON body validator.
fn body_validator(op: &Operation) -> &understudy::schema::validators::CompiledSchema {
    op.body
        .as_ref()
        .and_then(|b| b.media.iter().find(|m| m.media_type.contains("json")))
        .and_then(|m| m.validator.as_deref())
        .unwrap_or_else(|| panic!("{} has a JSON body schema", op.id))
}

fn routing(c: &mut Criterion) {
    let engine = engine();
    let mut g = c.benchmark_group("routing");
    for (name, method, path) in [
        ("gitbook_list", Method::GET, GITBOOK_LIST),
        ("arize_percent_encoded", Method::POST, ARIZE_USERS),
        ("alumio", Method::POST, ALUMIO_ASSIGN),
        ("not_found", Method::GET, "/v1/nothing/here"),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| black_box(engine.route_of(black_box(&method), black_box(path))).is_found())
        });
    }
    g.finish();
}

/// `Routed` has no `is_found`: a small extension keeps the benchmark's closure short.
trait Found {
    fn is_found(&self) -> bool;
}

impl Found for Routed<'_, '_> {
    fn is_found(&self) -> bool {
        matches!(self, Routed::Operation { .. })
    }
}

fn parameters(c: &mut Criterion) {
    let engine = engine();
    let op = operation(&engine, Method::GET, GITBOOK_LIST);
    let query = "limit=20&page=Z2JwMS91c2Vycy9zUGFDZUJlbmNoMDEvLzIw";
    let mut g = c.benchmark_group("parameters");
    // Query string split and decoded, each parameter read in its style, converted to its
    // schema's types and validated; the path parameter likewise.
    g.bench_function("gitbook_list_path_and_query", |b| {
        b.iter(|| {
            let pairs = parse_query(black_box(query));
            let mut violations = 0;
            for p in &op.params {
                let value = match p.plan.location {
                    ParamIn::Path => p.plan.from_path("sPaCeBench01").ok(),
                    ParamIn::Query => p.plan.from_query(&pairs).ok().flatten(),
                    _ => None,
                };
                if let (Some(v), Some(validator)) = (value, &p.validator) {
                    violations += validator.violations(&v, &|s| p.location(s)).len();
                }
            }
            black_box(violations)
        })
    });
    // What the contract checks use: credentials, every parameter and the body.
    let req = request(
        Method::GET,
        &format!("{GITBOOK_LIST}?{query}"),
        &[("authorization", GITBOOK_TOKEN)],
        "",
    );
    g.bench_function("gitbook_list_inspect_request", |b| {
        b.iter(|| {
            let findings =
                understudy::mock::exchange::inspect_request(op, black_box(&req), &["sPaCeBench01"]);
            black_box(findings.violations.len())
        })
    });
    g.finish();
}

fn body_validation(c: &mut Criterion) {
    let engine = engine();
    let alumio = body_validator(operation(&engine, Method::POST, ALUMIO_ASSIGN));
    let arize = body_validator(operation(&engine, Method::POST, ARIZE_USERS));
    let gitbook = body_validator(operation(&engine, Method::POST, GITBOOK_INVITE));
    let at = |steps: Vec<Segment>| Location::Body(steps);
    let mut g = c.benchmark_group("body_validation");
    for (name, validator, body, expected) in [
        ("alumio_valid", alumio, ALUMIO_VALID, 0),
        ("alumio_invalid", alumio, ALUMIO_INVALID, 2),
        ("arize_discriminator", arize, ARIZE_ADD, 0),
        ("gitbook_invite", gitbook, GITBOOK_INVITE_BODY, 0),
    ] {
        let value: Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(validator.violations(&value, &at).len(), expected, "{name}");
        // Parsing is part of reading a body: measured with the validation.
        g.bench_function(name, |b| {
            b.iter(|| {
                let value: Value =
                    serde_json::from_slice(black_box(body.as_bytes())).unwrap_or_default();
                black_box(validator.violations(&value, &at).len())
            })
        });
    }
    g.finish();
}

fn error_rendering(c: &mut Criterion) {
    let engine = engine();
    let violations = vec![
        Violation::new(
            Location::Body(vec![
                Segment::Key("users".into()),
                Segment::Index(0),
                Segment::Key("email".into()),
            ]),
            "format",
            "This value is not a valid email address.",
        ),
        Violation::new(
            Location::Body(vec![
                Segment::Key("users".into()),
                Segment::Index(0),
                Segment::Key("roles".into()),
                Segment::Index(0),
            ]),
            "enum",
            "The value you selected is not a valid choice.",
        ),
    ];
    let mut g = c.benchmark_group("error_rendering");
    for (name, method, path, status) in [
        ("alumio_400", Method::POST, ALUMIO_ASSIGN, 400),
        ("gitbook_400", Method::POST, GITBOOK_INVITE, 400),
        ("arize_422", Method::POST, ARIZE_USERS, 422),
    ] {
        let op = operation(&engine, method, path);
        let facts = ErrorFacts::new(status, "Bad Request", "The request has 2 violations.")
            .with_violations(violations.clone())
            .with_instance(path);
        g.bench_function(name, |b| {
            b.iter(|| {
                let renderer = op.errors.for_status(status);
                black_box(renderer.render_bytes(black_box(&facts)))
            })
        });
    }
    g.finish();
}

fn response_generation(c: &mut Criterion) {
    let engine = engine();
    let mut g = c.benchmark_group("response_generation");
    // Data generated from the schema (no examples), as `Prefer: dynamic=true` asks per request.
    for (name, api, operation_id) in [
        (
            "gitbook_list_teams",
            "gitbook",
            "listTeamPermissionsInSpace",
        ),
        ("arize_add_user", "arize", "spaces_add_user"),
        ("alumio_assign", "alumio", "assignSpaceUsers"),
    ] {
        let api = engine
            .apis()
            .iter()
            .find(|a| a.name == api)
            .unwrap_or_else(|| panic!("{api} is bundled"));
        let Some(op) = api.operations.iter().find(|o| *o.id == *operation_id) else {
            let ids: Vec<&str> = api.operations.iter().map(|o| &*o.id).collect();
            panic!("{operation_id} is not one of {ids:?}");
        };
        let media = op
            .responses
            .iter()
            .flat_map(|r| &r.media)
            .find(|m| m.schema.is_some())
            .unwrap_or_else(|| panic!("{operation_id} has a response schema"));
        let mut seed = 0;
        g.bench_function(name, |b| {
            b.iter(|| {
                seed += 1;
                black_box(media.generate(&api.matchers, seed, false).ok())
            })
        });
    }
    g.finish();
}

fn engine_handle(c: &mut Criterion) {
    let engine = engine();
    let mut g = c.benchmark_group("engine_handle");
    for (name, req, expected) in [
        (
            "gitbook_list_20",
            request(
                Method::GET,
                GITBOOK_LIST,
                &[("authorization", GITBOOK_TOKEN)],
                "",
            ),
            200,
        ),
        (
            "gitbook_invite",
            request(
                Method::POST,
                GITBOOK_INVITE,
                &[("authorization", GITBOOK_TOKEN)],
                GITBOOK_INVITE_BODY,
            ),
            204,
        ),
        (
            "alumio_assign_invalid",
            request(Method::POST, ALUMIO_ASSIGN, &[], ALUMIO_INVALID),
            400,
        ),
        (
            "arize_add_user",
            request(
                Method::POST,
                ARIZE_USERS,
                &[("authorization", "Bearer arize-key")],
                ARIZE_ADD,
            ),
            200,
        ),
    ] {
        let status = engine.handle(&req).response.status;
        assert_eq!(status, expected, "{name}");
        g.bench_function(name, |b| {
            b.iter(|| black_box(engine.handle(black_box(&req)).response.status))
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    routing,
    parameters,
    body_validation,
    error_rendering,
    response_generation,
    engine_handle
);
criterion_main!(benches);
