//! `understudy check`'s stateful stories: the mock passes every story of the bundled
//! documents, of CRUD documents and of a document with OpenAPI links; the broken double's
//! stateful faults (a `DELETE` that deletes nothing, writes that are forgotten) make
//! `use_after_free` and `ensure_resource_availability` fail, each failure with the `curl`
//! commands of the whole story up to it.

use std::process::Command;
use std::time::Duration;

use understudy::conformance::checks::Check;
use understudy::contract::{self, CheckConfig, Outcome};
use understudy::{Engine, EngineConfig, Source};

use crate::broken::{self, Fault};
use crate::harness::{Server, doc_path};

const STORY_CHECKS: [Check; 2] = [Check::UseAfterFree, Check::EnsureResourceAvailability];

/// The engine `check` judges with: the bundled documents, or documents of `tests/docs/`.
fn engine(docs: &[&str]) -> Engine {
    let sources = if docs.is_empty() {
        understudy::document::load::bundled()
    } else {
        docs.iter().map(|d| Source::File(doc_path(d))).collect()
    };
    Engine::load(&sources, EngineConfig::default()).unwrap_or_else(|_| panic!("{docs:?} load"))
}

fn check(docs: &[&str], url: String, checks: &[Check]) -> Outcome {
    let headers = if docs.is_empty() {
        contract::bundled_credentials()
    } else {
        Vec::new()
    };
    let config = CheckConfig {
        base_url: url,
        checks: checks.to_vec(),
        cases: 1,
        seed: 3,
        headers,
        max_time: Some(Duration::from_secs(60)),
        max_shrink: 10,
        ..CheckConfig::default()
    };
    contract::run(&engine(docs), &config).expect("the server is reachable")
}

/// How often `check` applied and failed a check.
fn tally(outcome: &Outcome, check: Check) -> (usize, usize) {
    outcome
        .report
        .totals()
        .iter()
        .find(|(r, _)| r.name() == check.name())
        .map_or((0, 0), |(_, t)| (t.applied, t.failed))
}

/// The labels of the exchanges of a story.
fn steps_of(outcome: &Outcome, story: &str) -> Vec<String> {
    let prefix = format!("story {story} step ");
    outcome
        .report
        .exchanges
        .iter()
        .filter(|e| e.label.starts_with(&prefix))
        .map(|e| e.label.clone())
        .collect()
}

/// The mock passes every check on `docs`, and runs each named story to its end.
fn assert_mock_passes(docs: &[&str], stories: &[(&str, usize)]) {
    let server = if docs.is_empty() {
        Server::bundled()
    } else {
        Server::docs(docs)
    };
    let outcome = check(docs, format!("http://{}", server.addr), &[]);
    assert!(outcome.report.passed(), "{}", outcome.report.text());
    assert!(!outcome.timed_out);
    for c in STORY_CHECKS {
        assert!(tally(&outcome, c).0 > 0, "{c} never applied on {docs:?}");
    }
    for (story, last_step) in stories {
        let steps = steps_of(&outcome, story);
        let last = format!("story {story} step {last_step}");
        assert!(
            steps.iter().any(|l| l.starts_with(&last)),
            "{story} did not reach step {last_step}: {steps:?}"
        );
    }
}

#[test]
fn the_mock_passes_the_bundled_apis_stories() {
    assert_mock_passes(
        &[],
        &[
            // Remove, invite, list, aggregate, patch, list, delete, list, patch, delete.
            ("gitbook-user-membership", 10),
            ("gitbook-team-membership", 9),
            // Remove, add, add again, remove, remove again.
            ("arize-space-membership", 5),
            ("alumio-space-users", 2),
        ],
    );
}

#[test]
fn the_mock_passes_the_crud_stories_of_the_pet_stores() {
    // Create, read, replace, patch, read, delete, read.
    assert_mock_passes(&["petstore.yaml"], &[("crud-createPets", 7)]);
    // An owner first, then the pet under it: create, create, read, patch, read, delete, read.
    assert_mock_passes(
        &["crud-nested.yaml"],
        &[("crud-createOwner", 4), ("crud-addPet", 7)],
    );
}

#[test]
fn the_mock_passes_the_stories_of_links() {
    // Create, read, rename (operationRef), read, delete, read.
    assert_mock_passes(
        &["links.yaml"],
        &[("links-createThing", 6), ("crud-createThing", 6)],
    );
}

/// `check` with only `check` selected fails against the double serving `docs` with `fault`,
/// in a story, and says so in the text report.
fn assert_story_bites(docs: &[&str], fault: Fault, check: Check) -> Outcome {
    let addr = if docs.is_empty() {
        broken::serve(fault)
    } else {
        broken::serve_docs(docs, fault)
    };
    let outcome = self::check(docs, format!("http://{addr}"), &[check]);
    let failures: Vec<_> = outcome
        .report
        .failures()
        .filter(|f| f.rule.name() == check.name())
        .collect();
    assert!(
        !failures.is_empty(),
        "{check} did not fail against {fault:?} on {docs:?}:\n{}",
        outcome.report.text()
    );
    for f in &failures {
        assert!(
            f.exchange.label.starts_with("story "),
            "{}",
            f.exchange.label
        );
        assert!(
            f.exchange.label.ends_with(&format!("({check})")),
            "{}",
            f.exchange.label
        );
    }
    assert!(outcome.report.text().contains(&format!("FAIL {check} ")));
    outcome
}

#[test]
fn a_delete_that_deletes_nothing_fails_use_after_free() {
    for docs in [
        &[][..],
        &["petstore.yaml"],
        &["crud-nested.yaml"],
        &["links.yaml"],
    ] {
        assert_story_bites(docs, Fault::DeleteIsNoop, Check::UseAfterFree);
    }
}

#[test]
fn forgotten_writes_fail_ensure_resource_availability() {
    for docs in [&[][..], &["petstore.yaml"], &["links.yaml"]] {
        assert_story_bites(
            docs,
            Fault::ForgetCreates,
            Check::EnsureResourceAvailability,
        );
    }
}

#[test]
fn each_bundled_story_catches_a_delete_that_deletes_nothing() {
    let outcome = assert_story_bites(&[], Fault::DeleteIsNoop, Check::UseAfterFree);
    let failed: Vec<&str> = outcome
        .report
        .failures()
        .map(|f| f.exchange.label.as_str())
        .collect();
    for story in [
        "gitbook-user-membership",
        "gitbook-team-membership",
        "arize-space-membership",
    ] {
        assert!(
            failed
                .iter()
                .any(|l| l.starts_with(&format!("story {story} "))),
            "{story} passed: {failed:?}"
        );
    }
}

#[test]
fn a_story_failure_names_the_curl_command_of_every_step_before_it() {
    let outcome = assert_story_bites(&["links.yaml"], Fault::DeleteIsNoop, Check::UseAfterFree);
    let failure = outcome
        .report
        .failures()
        .find(|f| f.exchange.label.starts_with("story links-createThing "))
        .expect("the links story fails");
    // Create, read, rename, read, delete: then the read that must not find the thing.
    assert_eq!(
        failure.exchange.label,
        "story links-createThing step 6 (use_after_free)"
    );
    let methods: Vec<&str> = failure
        .exchange
        .story
        .iter()
        .map(|r| r.method.as_str())
        .collect();
    assert_eq!(methods, ["POST", "GET", "PATCH", "GET", "DELETE"]);
    let curls = failure.exchange.curls("");
    let lines: Vec<&str> = curls.lines().collect();
    assert_eq!(lines.len(), 6, "{curls}");
    for line in &lines {
        assert!(line.starts_with("curl "), "{line}");
        assert!(
            line.contains("x-understudy-session: check-story-"),
            "{line}"
        );
    }
    assert!(lines[0].contains("-X POST") && lines[0].contains("/api/things'"));
    assert!(!lines[1].contains(" -X ") && lines[1].contains("/api/things/"));
    assert!(lines[2].contains("-X PATCH") && lines[4].contains("-X DELETE"));
    assert_eq!(
        failure.exchange.request.url, failure.exchange.story[1].url,
        "the failing read is the read of step 2"
    );
    let text = outcome.report.text();
    assert!(
        text.contains(
            &curls
                .lines()
                .map(|l| format!("  {l}\n"))
                .collect::<String>()
        )
    );
    assert!(
        failure
            .mismatch
            .expected
            .contains("step 5 (deleteThing) deleted it")
    );
    assert_eq!(failure.mismatch.got, "200");
}

#[test]
fn a_server_that_names_an_empty_id_is_never_sent_an_empty_path_segment() {
    // The link's `$response.body#/id` and the CRUD story's id are `""`: no read can name
    // the thing, so neither story sends one (`/api/things/` is no path of the document).
    let addr = broken::serve_docs(&["links.yaml"], Fault::EmptyIds);
    let outcome = check(&["links.yaml"], format!("http://{addr}"), &STORY_CHECKS);
    assert!(outcome.report.passed(), "{}", outcome.report.text());
    for story in ["links-createThing", "crud-createThing"] {
        let steps = steps_of(&outcome, story);
        assert_eq!(steps, [format!("story {story} step 1")], "{story}");
    }
}

#[test]
fn the_binary_exits_1_when_a_story_fails() {
    let addr = broken::serve_docs(&["links.yaml"], Fault::DeleteIsNoop);
    let out = Command::new(env!("CARGO_BIN_EXE_understudy"))
        .args(["check", "--url", &format!("http://{addr}")])
        .arg("--spec")
        .arg(doc_path("links.yaml"))
        .args([
            "--cases",
            "1",
            "--checks",
            "use_after_free",
            "--max-time",
            "30",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains(
        "FAIL use_after_free getThing (story links-createThing step 6 (use_after_free): GET "
    ));
    assert!(
        stderr.contains("story links-createThing: 1 failed"),
        "{stderr}"
    );
}

#[test]
fn without_the_story_checks_no_story_runs() {
    let server = Server::docs(&["links.yaml"]);
    let outcome = check(
        &["links.yaml"],
        format!("http://{}", server.addr),
        &[Check::NotAServerError],
    );
    assert!(outcome.report.passed(), "{}", outcome.report.text());
    assert!(steps_of(&outcome, "links-createThing").is_empty());
}
