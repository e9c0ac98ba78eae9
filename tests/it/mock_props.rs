//! Property tests of the mock itself: generated requests (the `fuzz` strategies) for every
//! operation of the bundled documents and of `tests/docs/` (but the broken `bad.yaml`), sent to
//! the engine and, for a subset, over TCP to the real server. What is asserted of every answer:
//!
//! - **Never a server error, never a panic.** No 5xx, and a panic while answering fails the
//!   case (proptest catches it and shrinks the request like any other failure).
//! - **Conformance.** Every answer, to valid and invalid requests alike, passes the named checks
//!   of [`Checker::judge`] (status code, content type, body schema and headers for the status
//!   the operation declares, exactly, by range or `default`): the judge `understudy validate`
//!   and `check` use, so the mock is held to what it holds other servers to, with no second
//!   validator written here. The engine's own answer check (`X-Understudy-Response-Violations`)
//!   must stay silent too.
//! - **Valid requests are accepted**: no 400, 401 or 415 (they carry the fixtures' tokens), and
//!   no violation from reading and validating the request. A behaviour may still refuse one for
//!   reasons of its world (an unknown space is a 404, Arize's admin may not assign a custom
//!   role: 403), and such refusals must be conformant; the refusals of valid requests the vendor
//!   documents with a 400 are listed in [`VENDOR_REFUSALS`].
//! - **One violation, one 4xx that names it.** A request breaking one constraint gets a 4xx;
//!   its body fits the error schema the document declares for that status (judged by the
//!   checks above; for a status the operation does not declare, the document's general error
//!   format the mock renders in); and it names the broken place where the API's format lists
//!   violations: Alumio's `violations[].propertyPath` (with the constraint's
//!   `urn:understudy:violation:<keyword>` as `type`), GitBook's `error.message`, Arize's problem
//!   `detail`; for the test documents RFC 9457 `violations[].path`, or whatever list or message
//!   their own error schema has. The place is written out here as the README gives it
//!   (`users[0].email`, `query.limit`, `header.X-Request-Id`), not taken from the library.
//! - **A stateful mock keeps its state.** Sequences of valid and invalid requests go to one
//!   world, which they change (strings of the fixtures' world are swapped into the requests
//!   where their schemas allow, so that reads, writes and removals meet real spaces, users and
//!   ids rather than 404s); after every step the above holds, the journal has every step with
//!   the status it got, and `/__admin/state` still answers. The story checks (`use_after_free`,
//!   `ensure_resource_availability`) judge each sequence as they would recorded traffic.
//!
//! Failures shrink to a minimal request (or sequence), shown as `curl` commands. The seeds of
//! failing cases are written to `tests/regressions/mock_props_*.txt` (committed) and replayed
//! before new cases; each bug they found also has a named `..._regression` test at the end.
//!
//! Each single-request case starts from the fixtures' world (`POST /__admin/reset`), so it
//! replays and shrinks alone; only the sequences let the world evolve.

use std::cell::RefCell;
use std::time::Instant;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use serde_json::Value;
use understudy::conformance::checks::{Check, Checker, Rule, declared_response};
use understudy::conformance::fuzz::{self, GeneratedRequest};
use understudy::contract::client::Client;
use understudy::mock::engine::Routed;
use understudy::mock::exchange::inspect_request;
use understudy::operation::api::{Api, Operation};
use understudy::operation::params::{ParamIn, Style};
use understudy::schema::violation::{Location, Segment, Violation};
use understudy::{Engine, MockRequest, MockResponse, Source};

use crate::harness::{Server, checking_engine, doc_path, every_engine};

// Case counts, sized for CI: the module's three properties together take about 14 s of one
// core in a debug build (the requests 9 s, the sequences 5 s, TCP under 1 s), so under 10 s
// on two cores. `PROPTEST_CASES` raises every count (never lowers it) for a longer local run.

/// Cases per operation, valid and again with one violation: 41 operations, about 39,000
/// requests, each judged.
const OPERATION_CASES: u32 = 512;
/// Sequences per engine under test (the bundled documents, each test document), each of 1 to
/// [`STORY_STEPS`] requests: 1,152 sequences, about 10,000 requests.
const STORY_CASES: u32 = 192;
const STORY_STEPS: usize = 16;
/// Requests through the real server over TCP (hyper, the HTTP/1.1 client): a few dozen, as
/// the engine's properties have covered the rest.
const HTTP_CASES: u32 = 48;
/// How many string values of a request (path parameters first, then the body's strings) a
/// sequence step may swap for an id of the world.
const SWAPS: usize = 6;

/// Seeds of failing cases, one file per property; proptest replays them before new cases.
const REQUEST_REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/regressions/mock_props_requests.txt"
);
const STORY_REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/regressions/mock_props_stories.txt"
);
const HTTP_REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/regressions/mock_props_http.txt"
);

/// Where `curl` commands in failure messages send their requests: the mock's default address.
const ORIGIN: &str = "http://127.0.0.1:4010";

/// `default`, or `PROPTEST_CASES` when that is larger.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse::<u32>().ok())
        .map_or(default, |n| n.max(default))
}

fn runner(cases: u32, regressions: &'static str) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(regressions))),
        ..Config::default()
    })
}

/// The bundled fixtures' credentials (Alumio is open but accepts this key; the test documents
/// take any well-formed one).
fn token(api: &str) -> &'static str {
    match api {
        "gitbook" => "gb_api_jAnEdOe0aDm1nAcMe0t0kEn",
        "arize" => "arize-key",
        _ => "alumio-admin-key",
    }
}

/// The credential a request carries: the API's token, or a user and password for Basic.
fn secret(target: &Target<'_>, req: &GeneratedRequest) -> &'static str {
    match req.credential {
        Some(fuzz::CredentialSlot::Basic) => "understudy:secret",
        _ => token(&target.api.name),
    }
}

/// Refusals of schema-valid requests that the vendor documents (the status, and words of the
/// error's message), which `positive_data_acceptance` flags as it would against the real
/// service: Arize adds only users of the space's organization, and says so with a 400.
const VENDOR_REFUSALS: &[(&str, &str, u16, &str)] = &[(
    "arize",
    "spaces_add_user",
    400,
    "is not a member of the space's organization",
)];

fn vendor_refusal(target: &Target<'_>, resp: &MockResponse) -> bool {
    let body = String::from_utf8_lossy(&resp.body);
    VENDOR_REFUSALS.iter().any(|(api, op, status, words)| {
        target.api.name == *api
            && *target.op.id == **op
            && resp.status == *status
            && body.contains(words)
    })
}

/// One operation and its request strategies, built once.
struct Target<'e> {
    api: &'e Api,
    op: &'e Operation,
    valid: BoxedStrategy<GeneratedRequest>,
    /// `None` when the operation has nothing to break.
    invalid: Option<BoxedStrategy<GeneratedRequest>>,
}

/// Every operation an engine serves; operations without strategies are a failure.
fn targets(engine: &Engine) -> Vec<Target<'_>> {
    let mut out = Vec::new();
    for api in engine.apis() {
        for op in &api.operations {
            let valid = fuzz::valid_request(api, op)
                .unwrap_or_else(|e| panic!("{}: no valid requests: {e}", op.id));
            let invalid = fuzz::invalid_request(api, op)
                .unwrap_or_else(|e| panic!("{}: no invalid requests: {e}", op.id));
            out.push(Target {
                api,
                op,
                valid,
                invalid,
            });
        }
    }
    out
}

/// A request with the API's credential, as the engine takes it.
fn prepared(target: &Target<'_>, req: GeneratedRequest) -> (GeneratedRequest, MockRequest) {
    let secret = secret(target, &req);
    let req = req.with_credential(secret);
    let mock = fuzz::to_mock_request(&req);
    (req, mock)
}

fn admin(method: http::Method, path: &str) -> MockRequest {
    MockRequest {
        method,
        path: path.to_owned(),
        query: None,
        headers: http::HeaderMap::new(),
        body: bytes::Bytes::new(),
    }
}

/// The session's world back to the fixtures and its journal emptied, through the engine.
fn reset(engine: &Engine) {
    let reset = engine.handle(&admin(http::Method::POST, "/__admin/reset"));
    assert_eq!(reset.response.status, 204, "POST /__admin/reset");
    let cleared = engine.handle(&admin(http::Method::DELETE, "/__admin/requests"));
    assert_eq!(cleared.response.status, 204, "DELETE /__admin/requests");
}

/// The violations the server's request pipeline finds in `req` (what it would list).
fn findings(engine: &Engine, req: &MockRequest) -> Vec<Violation> {
    match engine.route_of(&req.method, &req.path) {
        Routed::Operation { op, raw_params, .. } => {
            inspect_request(op, req, &raw_params).violations
        }
        _ => Vec::new(),
    }
}

// ----- what every answer must satisfy ----------------------------------------------------------

/// Everything asserted of one exchange: `reported` is what the server found wrong with the
/// request. `Err` says what broke, with the request as a `curl` command.
fn assess(
    checker: &mut Checker<'_>,
    target: &Target<'_>,
    req: &GeneratedRequest,
    mock: &MockRequest,
    resp: &MockResponse,
    reported: &[Violation],
) -> Result<(), String> {
    let problems = problems_of(checker, target, req, mock, resp, reported);
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{} {}\n  {}\n  -> {} {}\n  {}",
        target.api.name,
        target.op.id,
        fuzz::curl(req, ORIGIN),
        resp.status,
        String::from_utf8_lossy(&resp.body),
        problems.join("\n  ")
    ))
}

fn problems_of(
    checker: &mut Checker<'_>,
    target: &Target<'_>,
    req: &GeneratedRequest,
    mock: &MockRequest,
    resp: &MockResponse,
    reported: &[Violation],
) -> Vec<String> {
    let status = resp.status;
    let mut problems = Vec::new();
    if status >= 500 {
        problems.push(format!("a server error: {status}"));
    }
    if let Some(v) = resp.header("x-understudy-response-violations") {
        problems.push(format!(
            "the engine found its own answer breaks the spec: {v}"
        ));
    }
    let refusal = req.violation.is_none() && vendor_refusal(target, resp);
    for verdict in checker.judge(mock, resp).verdicts {
        if refusal && verdict.rule == Rule::Check(Check::PositiveDataAcceptance) {
            continue;
        }
        if let Some(m) = verdict.mismatch {
            problems.push(format!(
                "{}: expected {}; got {}",
                verdict.rule, m.expected, m.got
            ));
        }
    }
    match &req.violation {
        None => {
            // Valid requests carry the fixtures' credentials: a 401 would mean the property
            // never reached the operation. (A 403 is the world's: Arize's admin may not
            // assign custom roles.)
            if matches!(status, 400 | 401 | 415) && !refusal {
                problems.push(format!("a valid request got {status}"));
            }
            // A behaviour may list violations of a body its schema accepts (a field its story
            // needs): those are about the world. Anything reading and validation produce is not.
            let body_ok = match (&req.body, body_validator(target.op)) {
                (Some(b), Some(v)) => v.is_valid(b),
                _ => true,
            };
            let validation: Vec<String> = reported
                .iter()
                .filter(|v| !matches!(v.location, Location::Body(_)) || !body_ok)
                .map(|v| format!("{v} ({})", v.keyword))
                .collect();
            if !validation.is_empty() {
                problems.push(format!("a valid request has violations: {validation:?}"));
            }
        }
        Some(broken) => {
            if !(400..500).contains(&status) {
                problems.push(format!(
                    "{} breaks {} but got {status}, not a 4xx",
                    place_of(&broken.location),
                    broken.keyword
                ));
            }
            let found = reported
                .iter()
                .find(|v| v.location == broken.location && v.keyword == broken.keyword);
            match found {
                None => problems.push(format!(
                    "the server does not report {:?} {}; it reports {:?}",
                    broken.location,
                    broken.keyword,
                    reported
                        .iter()
                        .map(|v| format!("{:?} {}", v.location, v.keyword))
                        .collect::<Vec<_>>()
                )),
                Some(v) => {
                    if let Err(why) = body_names(target, resp, broken, &v.message) {
                        problems.push(why);
                    }
                }
            }
            if (400..500).contains(&status) {
                problems.extend(error_schema_problem(target, resp));
            }
        }
    }
    problems
}

/// The error body fits an error schema. Where the operation declares the status (exactly, by
/// range or `default`) `response_schema_conformance` has judged it; this makes sure the judge
/// did not skip it for want of a matching media type. Where it declares nothing for it, the
/// body must fit the document's general error format, the schema the mock renders it in.
fn error_schema_problem(target: &Target<'_>, resp: &MockResponse) -> Option<String> {
    let ct = resp.header("content-type").unwrap_or_default();
    match declared_response(target.op, resp.status) {
        Some(spec) => {
            let has_schema = spec.media.iter().any(|m| m.validator.is_some());
            let judged = understudy::operation::negotiate::match_content_type(ct, &spec.offered)
                .and_then(|declared| spec.media_for(declared))
                .is_some_and(|m| m.validator.is_some());
            (has_schema && !judged).then(|| {
                format!(
                    "the {} answer (Content-Type `{ct}`) was not judged against the declared \
                     error schema",
                    resp.status
                )
            })
        }
        None => {
            let renderer = target.op.errors.for_status(resp.status);
            let validator = renderer.validator.as_ref()?;
            let body: Value = serde_json::from_slice(&resp.body).ok()?;
            let broken: Vec<String> = validator
                .violations(&body, &Location::Body)
                .iter()
                .map(ToString::to_string)
                .collect();
            (!broken.is_empty()).then(|| {
                format!(
                    "the {} error body breaks the document's error format {}: {broken:?}",
                    resp.status, validator.loc.pointer
                )
            })
        }
    }
}

/// The schema of the body's media type (the one generated requests send first).
fn body_validator(op: &Operation) -> Option<&understudy::schema::validators::CompiledSchema> {
    op.body
        .iter()
        .flat_map(|b| &b.media)
        .find_map(|m| m.validator.as_deref())
}

fn place_of(location: &Location) -> String {
    let path = place_text(location);
    if path.is_empty() {
        "the body".to_owned()
    } else {
        path
    }
}

// ----- where each error format names the broken place -----------------------------------------

/// Where the bundled APIs' error formats list violations, as JSON pointers into the body
/// (`*` for any array index). The test documents may name it anywhere a list item or a message
/// can.
fn listing_place(api: &str) -> Option<&'static str> {
    match api {
        "alumio" => Some("/violations/*/propertyPath"),
        "gitbook" => Some("/error/message"),
        "arize" => Some("/detail"),
        _ => None,
    }
}

/// The error body names the broken place: a list item whose path member is the place
/// (`users[0].email`, `query.limit`; or an RFC 6901 pointer into the body) and, when the item
/// carries understudy's violation type, that type names the broken keyword; or a message
/// folding the violations in as `detail (place: message; ...)`. A break of the body itself has
/// no place to name: its message stands in the folded form, its item has the empty path.
fn body_names(
    target: &Target<'_>,
    resp: &MockResponse,
    broken: &fuzz::RequestViolation,
    message: &str,
) -> Result<(), String> {
    let body: Value = serde_json::from_slice(&resp.body)
        .map_err(|e| format!("the error body is not JSON ({e})"))?;
    let place = place_text(&broken.location);
    let pointer = match &broken.location {
        Location::Body(steps) => Some(pointer_text(steps)),
        _ => None,
    };
    let urn = format!("urn:understudy:violation:{}", broken.keyword);
    let folded = if place.is_empty() {
        message.to_owned()
    } else {
        format!("{place}: ")
    };
    let mut places = Vec::new();
    find_names(&body, "", &mut |at, parent, text| {
        // A list item: an object whose own place is an index of an array.
        let in_list = at
            .rsplit('/')
            .nth(1)
            .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
        let listed = in_list
            && parent.is_some_and(|item| {
                let is_place = text == place || pointer.as_deref() == Some(text);
                let typed = item
                    .get("type")
                    .and_then(Value::as_str)
                    .filter(|t| t.starts_with("urn:understudy:violation:"));
                is_place && typed.is_none_or(|t| t == urn)
            });
        let in_text = [format!("({folded}"), format!("; {folded}")]
            .iter()
            .any(|f| text.contains(f.as_str()));
        if listed || in_text {
            places.push(at.to_owned());
        }
    });
    let expected = listing_place(&target.api.name);
    let named = match expected {
        Some(e) => places.iter().any(|p| any_index(p) == e),
        None => !places.is_empty(),
    };
    if named {
        Ok(())
    } else {
        Err(format!(
            "the error body does not name `{}` ({}){}; found at {places:?}",
            place_of(&broken.location),
            broken.keyword,
            expected.map_or(String::new(), |e| format!(" at {e}")),
        ))
    }
}

/// A place as the README says clients see it, written here rather than taken from the
/// library: `users[0].email` in the body, `query.limit`, `header.X-Request-Id`, `path.id[1]`.
fn place_text(location: &Location) -> String {
    let (mut out, steps) = match location {
        Location::Path(n, s) => (format!("path.{n}"), s),
        Location::Query(n, s) => (format!("query.{n}"), s),
        Location::Header(n, s) => (format!("header.{n}"), s),
        Location::Cookie(n, s) => (format!("cookie.{n}"), s),
        Location::Body(s) => (String::new(), s),
        Location::Request => return String::new(),
    };
    for step in steps {
        match step {
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
            Segment::Key(k) if out.is_empty() => out.push_str(k),
            Segment::Key(k) => out.push_str(&format!(".{k}")),
        }
    }
    out
}

fn pointer_text(steps: &[Segment]) -> String {
    steps
        .iter()
        .map(|s| match s {
            Segment::Key(k) => format!("/{}", k.replace('~', "~0").replace('/', "~1")),
            Segment::Index(i) => format!("/{i}"),
        })
        .collect()
}

/// `/violations/3/propertyPath` as `/violations/*/propertyPath`.
fn any_index(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|s| {
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                "*"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// What [`find_names`] calls for each string: its JSON pointer, the object holding it (none
/// for an array item or the root), and the string.
type OnString<'f> = dyn FnMut(&str, Option<&serde_json::Map<String, Value>>, &str) + 'f;

/// Calls `found` for every string in `value`.
fn find_names(value: &Value, at: &str, found: &mut OnString<'_>) {
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                let here = format!("{at}/{k}");
                if let Value::String(s) = v {
                    found(&here, Some(m), s);
                } else {
                    find_names(v, &here, found);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let here = format!("{at}/{i}");
                if let Value::String(s) = v {
                    found(&here, None, s);
                } else {
                    find_names(v, &here, found);
                }
            }
        }
        Value::String(s) => found(at, None, s),
        _ => {}
    }
}

// ----- sequences: ids of the world swapped in --------------------------------------------------

/// One step of a sequence: which operation, its generated request, and which of its string
/// values to swap for an id of the world.
type Step = (usize, GeneratedRequest, Vec<Option<Index>>);

/// Every valid and one-violation request of every target, with the target's index.
fn any_request(targets: &[Target<'_>]) -> BoxedStrategy<(usize, GeneratedRequest)> {
    let mut all = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        all.push(t.valid.clone().prop_map(move |r| (i, r)).boxed());
        if let Some(invalid) = &t.invalid {
            all.push(invalid.clone().prop_map(move |r| (i, r)).boxed());
        }
    }
    proptest::strategy::Union::new(all).boxed()
}

fn any_step(targets: &[Target<'_>]) -> BoxedStrategy<Step> {
    let picks = proptest::collection::vec(proptest::option::weighted(0.5, any::<Index>()), SWAPS);
    (any_request(targets), picks)
        .prop_map(|((i, r), picks)| (i, r, picks))
        .boxed()
}

/// The strings of the world as `/__admin/state` shows it (ids, emails, names): what a swap
/// may put into a request.
fn world_strings(engine: &Engine) -> Vec<String> {
    reset(engine);
    let state = engine.handle(&admin(http::Method::GET, "/__admin/state"));
    let state: Value = serde_json::from_slice(&state.response.body).expect("the state is JSON");
    let mut out = Vec::new();
    find_names(&state["apis"], "", &mut |_, _, s| out.push(s.to_owned()));
    out.retain(|s| !s.is_empty() && s.len() <= 64);
    out.sort();
    out.dedup();
    out
}

/// Path segments are percent-encoded like the fuzz strategies do (Arize's ids end in `=`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'~');

/// Swaps string values of `req` for strings of the world (`picks[k]` for the k-th: simple
/// path parameters first, then the body's strings), each swap kept only when the value's
/// schema still accepts the result: a valid request stays valid, and an invalid one keeps its
/// one violation (its broken parameter, and a broken body, are left alone).
fn swap(
    target: &Target<'_>,
    mut req: GeneratedRequest,
    picks: &[Option<Index>],
    world: &[String],
) -> GeneratedRequest {
    if world.is_empty() {
        return req;
    }
    let mut picks = picks.iter();
    let broken = req.violation.as_ref().map(|v| v.location.clone());
    let template: Vec<&str> = target.op.route.split('/').collect();
    let mut segments: Vec<String> = req.path.split('/').map(str::to_owned).collect();
    if template.len() == segments.len() {
        for (k, t) in template.iter().enumerate() {
            let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) else {
                continue;
            };
            let Some(param) = target.op.params.iter().find(|p| {
                p.plan.location == ParamIn::Path
                    && p.plan.name == name
                    && p.plan.style == Style::Simple
            }) else {
                continue;
            };
            let pick = picks.next().cloned().flatten();
            let is_broken = matches!(&broken, Some(Location::Path(n, _)) if n == name);
            if let (Some(pick), false) = (pick, is_broken) {
                let id = &world[pick.index(world.len())];
                if param
                    .validator
                    .as_ref()
                    .is_none_or(|v| v.is_valid(&Value::String(id.clone())))
                {
                    segments[k] = utf8_percent_encode(id, SEGMENT).to_string();
                }
            }
        }
        req.path = segments.join("/");
    }
    let body_broken = matches!(broken, Some(Location::Body(_)));
    let json = req
        .header("content-type")
        .is_some_and(understudy::operation::negotiate::is_json);
    if let (Some(body), Some(validator), false, true) =
        (&req.body, body_validator(target.op), body_broken, json)
    {
        let mut body = body.clone();
        let mut leaves = Vec::new();
        find_names(&body, "", &mut |at, _, _| leaves.push(at.to_owned()));
        for leaf in leaves {
            let Some(pick) = picks.next() else { break };
            let Some(pick) = pick else { continue };
            let id = &world[pick.index(world.len())];
            let mut swapped = body.clone();
            if let Some(slot) = swapped.pointer_mut(&leaf) {
                *slot = Value::String(id.clone());
            }
            if validator.is_valid(&swapped) {
                body = swapped;
            }
        }
        req.body = Some(body);
    }
    req
}

// ----- the properties --------------------------------------------------------------------------

#[test]
fn every_answer_conforms_and_each_one_violation_request_gets_a_4xx_naming_it() {
    let started = Instant::now();
    let cases = cases(OPERATION_CASES);
    let mut failures = Vec::new();
    let mut ops = 0;
    let mut requests = 0u64;
    for engine in every_engine() {
        let checker = RefCell::new(Checker::new(&engine, &[]));
        for target in targets(&engine) {
            ops += 1;
            let kinds = [
                ("valid", Some(&target.valid)),
                ("invalid", target.invalid.as_ref()),
            ];
            for (kind, strategy) in kinds {
                let Some(strategy) = strategy else { continue };
                let result = runner(cases, REQUEST_REGRESSIONS).run(strategy, |req| {
                    // Each case starts from the fixtures, so a failure replays and shrinks
                    // alone; sequences are the next property's business.
                    reset(&engine);
                    let mut checker = checker.borrow_mut();
                    checker.new_story();
                    let (req, mock) = prepared(&target, req);
                    let outcome = engine.handle(&mock);
                    assess(
                        &mut checker,
                        &target,
                        &req,
                        &mock,
                        &outcome.response,
                        &outcome.violations,
                    )
                    .map_err(TestCaseError::fail)
                });
                requests += u64::from(cases);
                if let Err(e) = result {
                    failures.push(format!("{} {kind}: {e}", target.op.id));
                }
            }
        }
    }
    eprintln!(
        "{ops} operations, {cases} cases each way, about {requests} requests, {:?}",
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn sequences_of_requests_keep_the_world_answering_and_conformant() {
    let started = Instant::now();
    let cases = cases(STORY_CASES);
    let mut failures = Vec::new();
    // How the world answered, to show the sequences reach it (not only its 404s).
    let seen = RefCell::new(std::collections::BTreeMap::<u16, u64>::new());
    for engine in every_engine() {
        let targets = targets(&engine);
        let world = world_strings(&engine);
        let names: Vec<String> = engine.apis().iter().map(|a| a.name.clone()).collect();
        let checker = RefCell::new(Checker::new(&engine, &[]));
        let steps = proptest::collection::vec(any_step(&targets), 1..=STORY_STEPS);
        let result = runner(cases, STORY_REGRESSIONS).run(&steps, |steps| {
            reset(&engine);
            let mut checker = checker.borrow_mut();
            checker.new_story();
            let mut sent = Vec::new();
            let mut statuses = Vec::new();
            for (i, req, picks) in steps {
                let target = &targets[i];
                let (req, mock) = prepared(target, swap(target, req, &picks, &world));
                sent.push(fuzz::curl(&req, ORIGIN));
                let outcome = engine.handle(&mock);
                statuses.push(outcome.response.status);
                *seen
                    .borrow_mut()
                    .entry(outcome.response.status)
                    .or_default() += 1;
                if let Err(why) = assess(
                    &mut checker,
                    target,
                    &req,
                    &mock,
                    &outcome.response,
                    &outcome.violations,
                ) {
                    return Err(TestCaseError::fail(format!(
                        "step {} of:\n  {}\n{why}",
                        sent.len(),
                        sent.join("\n  ")
                    )));
                }
            }
            let story = sent.join("\n  ");
            let journal = engine.handle(&admin(http::Method::GET, "/__admin/requests"));
            let journal: Value = serde_json::from_slice(&journal.response.body)
                .map_err(|e| TestCaseError::fail(format!("the journal is not JSON: {e}")))?;
            let recorded: Vec<u64> = journal["requests"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r["status"].as_u64())
                .collect();
            let sent_statuses: Vec<u64> = statuses.iter().map(|s| u64::from(*s)).collect();
            prop_assert_eq!(
                &recorded,
                &sent_statuses,
                "the journal does not hold every step with its status, after:\n  {}",
                story
            );
            let state = engine.handle(&admin(http::Method::GET, "/__admin/state"));
            prop_assert_eq!(
                state.response.status,
                200,
                "GET /__admin/state after:\n  {}",
                story
            );
            let state: Value = serde_json::from_slice(&state.response.body)
                .map_err(|e| TestCaseError::fail(format!("the state is not JSON: {e}")))?;
            for name in &names {
                prop_assert!(
                    state["apis"].get(name).is_some(),
                    "/__admin/state has no `{}` after:\n  {}",
                    name,
                    story
                );
            }
            Ok(())
        });
        if let Err(e) = result {
            failures.push(format!("{names:?}: {e}"));
        }
    }
    eprintln!(
        "{cases} sequences of up to {STORY_STEPS} steps per document, {:?}; statuses {:?}",
        started.elapsed(),
        seen.borrow()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn answers_over_tcp_conform_and_name_the_broken_constraint_too() {
    let started = Instant::now();
    let cases = cases(HTTP_CASES);
    let server = Server::bundled();
    // The server answers with its own engine; this one routes and judges, with the same
    // documents.
    let engine = checking_engine(understudy::document::load::bundled());
    let targets = targets(&engine);
    let client = RefCell::new(
        Client::new(
            &format!("http://{}", server.addr),
            std::time::Duration::from_secs(10),
        )
        .expect("a client for the test server"),
    );
    let checker = RefCell::new(Checker::new(&engine, &[]));
    let result = runner(cases, HTTP_REGRESSIONS).run(&any_request(&targets), |(i, req)| {
        let target = &targets[i];
        let mut client = client.borrow_mut();
        for (method, path) in [
            (http::Method::POST, "/__admin/reset"),
            (http::Method::DELETE, "/__admin/requests"),
        ] {
            let resp = client
                .send(&admin(method, path))
                .map_err(|e| TestCaseError::fail(format!("{path}: {e}")))?;
            prop_assert_eq!(resp.status, 204, "{}", path);
        }
        let mut checker = checker.borrow_mut();
        checker.new_story();
        let (req, mock) = prepared(target, req);
        let resp = client.send(&mock).map_err(|e| {
            TestCaseError::fail(format!(
                "no answer ({e}) to\n  {}",
                fuzz::curl(&req, ORIGIN)
            ))
        })?;
        let reported = findings(&engine, &mock);
        assess(&mut checker, target, &req, &mock, &resp, &reported).map_err(TestCaseError::fail)
    });
    eprintln!("{cases} requests over TCP, {:?}", started.elapsed());
    if let Err(e) = result {
        panic!("{e}");
    }
}

// ----- regressions: what the properties found, replayed by name --------------------------------

/// GitBook's `page` is any string by its schema, so a token a list never gave is a valid
/// request; the mock answered it with a 400, which a valid request must never get and no list
/// declares (found by the sequences once a swap put a real space in the path; the seed is in
/// `tests/regressions/mock_props_stories.txt`). It names no page: a 404.
#[test]
fn a_page_token_a_list_did_not_give_is_a_conformant_404_not_a_400_regression() {
    let engine = checking_engine(understudy::document::load::bundled());
    let targets = targets(&engine);
    let mut checker = Checker::new(&engine, &[]);
    for (id, list) in [
        ("listUserPermissionsInSpace", "users"),
        ("listTeamPermissionsInSpace", "teams"),
        ("listPermissionsAggregateInSpace", "aggregate"),
    ] {
        let target = targets
            .iter()
            .find(|t| *t.op.id == *id)
            .unwrap_or_else(|| panic!("GitBook serves {id}"));
        let req = GeneratedRequest {
            method: http::Method::GET,
            path: format!("/v1/spaces/sPaCe4Docs01/permissions/{list}"),
            query: vec![("page".to_owned(), "a".to_owned())],
            headers: vec![(
                "Authorization".to_owned(),
                format!("Bearer {}", fuzz::CREDENTIAL_PLACEHOLDER),
            )],
            body: None,
            credential: Some(fuzz::CredentialSlot::Bearer),
            violation: None,
        };
        let (req, mock) = prepared(target, req);
        let outcome = engine.handle(&mock);
        assert_eq!(outcome.response.status, 404, "{}", fuzz::curl(&req, ORIGIN));
        if let Err(why) = assess(
            &mut checker,
            target,
            &req,
            &mock,
            &outcome.response,
            &outcome.violations,
        ) {
            panic!("{why}");
        }
    }
}

/// `getWithTwoSchemes` in `tests/docs/edge-30.yaml` takes a header key and a cookie key
/// together, or Basic alone. Generated requests carried only the header key (the first scheme
/// of the first alternative), so every "valid" request was a 401 and the valid-request
/// properties never reached the operation (seed in `mock_props_requests.txt`). They now carry
/// the credential of an alternative one credential satisfies: Basic.
#[test]
fn a_valid_request_to_an_operation_needing_two_schemes_or_one_is_authenticated_regression() {
    let engine = checking_engine(vec![Source::File(doc_path("edge-30.yaml"))]);
    let targets = targets(&engine);
    let target = targets
        .iter()
        .find(|t| &*t.op.id == "getWithTwoSchemes")
        .expect("edge-30.yaml has getWithTwoSchemes");
    let mut checker = Checker::new(&engine, &[]);
    let mut runner = TestRunner::deterministic();
    for _ in 0..8 {
        let req = target
            .valid
            .new_tree(&mut runner)
            .expect("a valid request")
            .current();
        assert_eq!(req.credential, Some(fuzz::CredentialSlot::Basic));
        let (req, mock) = prepared(target, req);
        let outcome = engine.handle(&mock);
        assert_eq!(outcome.response.status, 204, "{}", fuzz::curl(&req, ORIGIN));
        if let Err(why) = assess(
            &mut checker,
            target,
            &req,
            &mock,
            &outcome.response,
            &outcome.violations,
        ) {
            panic!("{why}");
        }
    }
}
