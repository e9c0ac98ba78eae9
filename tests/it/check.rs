//! `understudy check` against the mock itself (every check passes) and against the broken
//! double (each check bites), through the library runner and the built binary. The bundled
//! documents declare `default` responses and no required headers, so the checks of statuses
//! and headers are shown to bite on `tests/docs/strict.yaml`.

use std::process::Command;
use std::time::Duration;

use understudy::conformance::checks::Check;
use understudy::contract::{self, CheckConfig, Outcome};
use understudy::{Engine, EngineConfig, Source};

use crate::broken::{self, Fault};
use crate::harness::{Server, doc_path};

fn engine() -> Engine {
    Engine::load(
        &understudy::document::load::bundled(),
        EngineConfig::default(),
    )
    .unwrap_or_else(|_| panic!("the bundled documents load"))
}

/// The engine `check --spec tests/docs/strict.yaml` judges with.
fn strict_engine() -> Engine {
    Engine::load(
        &[Source::File(doc_path("strict.yaml"))],
        EngineConfig::default(),
    )
    .unwrap_or_else(|_| panic!("strict.yaml loads"))
}

fn check(url: String, checks: &[Check], cases: u32) -> Outcome {
    let headers = contract::bundled_credentials();
    check_against(&engine(), url, checks, cases, headers)
}

/// `check --spec tests/docs/strict.yaml`: no credentials (the document has no security).
fn check_strict(url: String, checks: &[Check], cases: u32) -> Outcome {
    check_against(&strict_engine(), url, checks, cases, Vec::new())
}

fn check_against(
    engine: &Engine,
    url: String,
    checks: &[Check],
    cases: u32,
    headers: Vec<contract::ExtraHeader>,
) -> Outcome {
    let config = CheckConfig {
        base_url: url,
        checks: checks.to_vec(),
        cases,
        seed: 7,
        headers,
        max_time: Some(Duration::from_secs(60)),
        max_shrink: 40,
        ..CheckConfig::default()
    };
    contract::run(engine, &config).expect("the server is reachable")
}

/// How many exchanges `check` applied to.
fn applied(outcome: &Outcome, check: Check) -> usize {
    outcome
        .report
        .totals()
        .iter()
        .find(|(r, _)| r.name() == check.name())
        .map_or(0, |(_, t)| t.applied)
}

/// The failures of one check, as the text report prints them.
fn failures_of(outcome: &Outcome, check: Check) -> Vec<String> {
    outcome
        .report
        .failures()
        .filter(|f| f.rule.name() == check.name())
        .map(|f| {
            format!(
                "{} {} -> {}\n{}",
                f.rule,
                f.mismatch.expected,
                f.mismatch.got,
                f.exchange.request.curl()
            )
        })
        .collect()
}

fn assert_bites(fault: Fault, check: Check) {
    let addr = broken::serve(fault);
    assert_fails(fault, check, check_with(addr, check));
}

/// `check` on the strict document fails against the double serving it with `fault`.
fn assert_bites_strict(fault: Fault, check: Check) {
    let addr = broken::serve_docs(&["strict.yaml"], fault);
    let outcome = check_strict(format!("http://{addr}"), &[check], 3);
    assert_fails(fault, check, outcome);
}

fn assert_fails(fault: Fault, check: Check, outcome: Outcome) {
    let failures = failures_of(&outcome, check);
    assert!(
        !failures.is_empty(),
        "{check} did not fail against {fault:?}:\n{}",
        outcome.report.text()
    );
    assert!(failures.iter().all(|f| f.contains("curl ")));
    assert!(outcome.report.text().contains(&format!("FAIL {check} ")));
}

fn check_with(addr: std::net::SocketAddr, check: Check) -> Outcome {
    self::check(format!("http://{addr}"), &[check], 3)
}

#[test]
fn the_mock_passes_its_own_contract_checks() {
    let server = Server::bundled();
    let outcome = check(format!("http://{}", server.addr), &[], 5);
    assert!(outcome.report.passed(), "{}", outcome.report.text());
    for c in [
        Check::NotAServerError,
        Check::NegativeDataRejection,
        Check::PositiveDataAcceptance,
        Check::UnsupportedMethod,
        Check::IgnoredAuth,
    ] {
        assert!(applied(&outcome, c) > 0, "{c} never applied");
    }
    assert!(!outcome.timed_out);
}

#[test]
fn the_mock_passes_its_own_contract_checks_on_the_strict_document() {
    let server = Server::docs(&["strict.yaml"]);
    let outcome = check_strict(format!("http://{}", server.addr), &[], 5);
    assert!(outcome.report.passed(), "{}", outcome.report.text());
    for c in [
        Check::StatusCodeConformance,
        Check::MissingRequiredHeader,
        Check::ResponseHeadersConformance,
        Check::NegativeDataRejection,
        Check::PositiveDataAcceptance,
    ] {
        assert!(applied(&outcome, c) > 0, "{c} never applied");
    }
    assert!(!outcome.timed_out);
}

#[test]
fn a_server_error_fails_not_a_server_error() {
    assert_bites(Fault::ServerError, Check::NotAServerError);
}

#[test]
fn a_wrong_content_type_fails_content_type_conformance() {
    assert_bites(Fault::WrongContentType, Check::ContentTypeConformance);
}

#[test]
fn a_wrong_shape_fails_response_schema_conformance() {
    assert_bites(Fault::WrongShape, Check::ResponseSchemaConformance);
}

#[test]
fn rejecting_valid_requests_fails_positive_data_acceptance() {
    assert_bites(Fault::RejectValid, Check::PositiveDataAcceptance);
}

#[test]
fn accepting_invalid_requests_fails_negative_data_rejection() {
    assert_bites(Fault::AcceptAll, Check::NegativeDataRejection);
}

#[test]
fn accepting_requests_without_credentials_fails_ignored_auth() {
    assert_bites(Fault::AcceptAll, Check::IgnoredAuth);
}

#[test]
fn answering_undeclared_methods_fails_unsupported_method() {
    assert_bites(Fault::AcceptAll, Check::UnsupportedMethod);
}

#[test]
fn an_undeclared_status_fails_status_code_conformance() {
    assert_bites_strict(Fault::UndeclaredStatus, Check::StatusCodeConformance);
}

#[test]
fn answering_a_request_without_its_required_header_fails_missing_required_header() {
    assert_bites_strict(Fault::IgnoreRequiredHeader, Check::MissingRequiredHeader);
}

#[test]
fn leaving_out_a_required_response_header_fails_response_headers_conformance() {
    assert_bites_strict(Fault::DropResponseHeader, Check::ResponseHeadersConformance);
}

#[test]
fn failures_are_shrunk_to_small_requests() {
    let addr = broken::serve(Fault::ServerError);
    let outcome = check_with(addr, Check::NotAServerError);
    let failures: Vec<_> = outcome.report.failures().collect();
    assert!(!failures.is_empty());
    for f in &failures {
        // Shrunk: optional members are gone, so a JSON object body has few of them.
        if let Some(body) = &f.exchange.request.body
            && let Ok(serde_json::Value::Object(members)) =
                serde_json::from_str::<serde_json::Value>(body)
        {
            assert!(members.len() <= 3, "{}: {body}", f.exchange.label);
        }
        // Each property reports its first failure once.
        assert!(f.exchange.label.contains("shrunk") || !f.exchange.label.contains("case 2"));
    }
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_understudy"))
}

#[test]
fn the_binary_exits_1_and_writes_junit_and_json_reports_when_checks_fail() {
    let addr = broken::serve(Fault::ServerError);
    let dir = std::env::temp_dir().join(format!("understudy-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (junit, json) = (dir.join("report.xml"), dir.join("report.json"));
    let out = bin()
        .args(["check", "--url", &format!("http://{addr}"), "--cases", "2"])
        .args(["--checks", "not_a_server_error", "--max-time", "15"])
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL not_a_server_error"));
    assert!(stdout.contains("curl "));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<testsuite") && xml.contains("not_a_server_error"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(report["totals"]["not_a_server_error"]["failed"].as_u64() > Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_binary_exits_0_against_the_mock() {
    let server = Server::bundled();
    let out = bin()
        .args(["check", "--url", &format!("http://{}", server.addr)])
        .args(["--cases", "2", "--max-time", "60"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(" 0 failed"));
}

#[test]
fn the_binary_exits_0_against_the_mock_serving_the_strict_document() {
    let server = Server::docs(&["strict.yaml"]);
    let out = bin()
        .args(["check", "--url", &format!("http://{}", server.addr)])
        .arg("--spec")
        .arg(doc_path("strict.yaml"))
        .args(["--cases", "2", "--max-time", "60"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(" 0 failed"));
}

#[test]
fn an_unreachable_url_exits_2() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = bin()
        .args(["check", "--url", &format!("http://127.0.0.1:{port}")])
        .args(["--timeout", "2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach"));
}
