//! `understudy validate`, run as the built binary: recorded traffic in `tests/recordings/`
//! (against `things.yaml` there) where every check passes, and where each check fails once,
//! as HAR and as JSON Lines; the text, JSON and JUnit reports; exit codes 0, 1 and 2; and
//! traffic recorded from the mock itself, which passes every check.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::harness::*;

const CHECKS: [&str; 12] = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "unsupported_method",
    "missing_required_header",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
];

/// What the binary did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn recording(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/recordings")
        .join(name)
        .display()
        .to_string()
}

/// A fresh folder for one test's output files.
fn scratch(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("understudy-validate-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// Runs the built binary with `args`, killed if it takes over a minute. Output goes through
/// files, so a chatty run cannot block on a full pipe.
fn understudy(test: &str, args: &[&str]) -> Run {
    let dir = scratch(test);
    let out_path = dir.join("stdout");
    let err_path = dir.join("stderr");
    let mut child = Command::new(env!("CARGO_BIN_EXE_understudy"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("a stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("a stderr file"))
        .spawn()
        .expect("the understudy binary starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child's status") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("understudy {args:?} took over a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
    }
}

/// Validates recordings against `things.yaml`, writing the JSON and JUnit reports; gives the
/// run, the JSON report and the JUnit text.
fn validate_things(test: &str, recordings: &[&str]) -> (Run, Value, String) {
    let dir = scratch(test);
    let json_path = dir.join("report.json").display().to_string();
    let junit_path = dir.join("report.xml").display().to_string();
    let spec = recording("things.yaml");
    let paths: Vec<String> = recordings.iter().map(|r| recording(r)).collect();
    let mut args = vec![
        "validate",
        "--spec",
        &spec,
        "--json",
        &json_path,
        "--junit",
        &junit_path,
    ];
    args.extend(paths.iter().map(String::as_str));
    let run = understudy(test, &args);
    let report = std::fs::read_to_string(&json_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| {
            panic!(
                "no JSON report; stdout:\n{}\nstderr:\n{}",
                run.stdout, run.stderr
            )
        });
    let junit = std::fs::read_to_string(&junit_path).expect("a JUnit report");
    (run, report, junit)
}

/// The checks that failed, by exchange label.
fn failures_by_exchange(report: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in report["failures"].as_array().expect("a failures list") {
        out.entry(f["exchange"].as_str().unwrap_or_default().to_owned())
            .or_default()
            .insert(f["check"].as_str().unwrap_or_default().to_owned());
    }
    out
}

/// Each entry of `bad.*` and the checks it is meant to fail (and only those).
fn expected_bad_failures(file: &str, place: &str) -> BTreeMap<String, BTreeSet<String>> {
    let table: &[(usize, &[&str])] = &[
        (1, &["not_a_server_error"]),
        (2, &["status_code_conformance"]),
        (3, &["content_type_conformance"]),
        (4, &["response_schema_conformance"]),
        (5, &["response_headers_conformance"]),
        (6, &["negative_data_rejection"]),
        (7, &["positive_data_acceptance"]),
        (8, &["unsupported_method"]),
        // A missing required header is a violation too.
        (9, &["missing_required_header", "negative_data_rejection"]),
        (10, &["ignored_auth"]),
        (12, &["use_after_free"]),
        (14, &["ensure_resource_availability"]),
        (15, &["unknown_operation"]),
    ];
    table
        .iter()
        .map(|(n, checks)| {
            (
                format!("{} {place} {n}", recording(file)),
                checks.iter().map(|c| (*c).to_owned()).collect(),
            )
        })
        .collect()
}

#[test]
fn recordings_that_conform_pass_every_check_and_exit_0() {
    for file in ["good.jsonl", "good.har"] {
        let (run, report, junit) = validate_things("good", &[file]);
        assert_eq!(run.code, 0, "{file}: {}\n{}", run.stdout, run.stderr);
        assert_eq!(report["passed"], json!(true));
        assert_eq!(report["exchanges"], json!(11));
        for check in CHECKS {
            let t = &report["totals"][check];
            assert!(
                t["applied"].as_u64().unwrap_or(0) > 0,
                "{file}: {check} never applied: {t}"
            );
            assert_eq!(t["failed"], json!(0), "{file}: {check}");
        }
        assert!(
            run.stdout.ends_with("11 exchanges, 49 checks, 0 failed\n"),
            "{}",
            run.stdout
        );
        assert_eq!(junit_counts(&junit), (49, 0));
    }
}

#[test]
fn each_check_bites_on_the_recording_made_to_break_it() {
    for (file, place) in [("bad.jsonl", "line"), ("bad.har", "entry")] {
        let (run, report, _) = validate_things("bad", &[file]);
        assert_eq!(run.code, 1, "{file}: {}", run.stderr);
        assert_eq!(report["passed"], json!(false));
        assert_eq!(
            failures_by_exchange(&report),
            expected_bad_failures(file, place),
            "{file}"
        );
        for check in CHECKS {
            assert!(
                report["totals"][check]["failed"].as_u64().unwrap_or(0) >= 1,
                "{file}: {check} did not fail"
            );
        }
    }
}

#[test]
fn the_text_report_names_the_check_what_was_expected_what_came_back_and_a_curl_command() {
    let (run, _, _) = validate_things("text", &["bad.har"]);
    let block = run
        .stdout
        .split("\n\n")
        .find(|b| b.starts_with("FAIL ignored_auth"))
        .unwrap_or_else(|| panic!("no ignored_auth failure in:\n{}", run.stdout));
    assert!(block.contains("createThing"), "{block}");
    assert!(block.contains("bad.har entry 10"), "{block}");
    assert!(block.contains("expected: 401"), "{block}");
    assert!(block.contains("got:      201"), "{block}");
    assert!(
        block.contains(
            "curl -X POST 'https://things.example.com/api/things' -H 'content-type: application/json' --data-raw '{\"name\": \"a\"}'"
        ),
        "{block}"
    );
    // Each failure once.
    assert_eq!(run.stdout.matches("FAIL ignored_auth").count(), 1);
    assert!(
        run.stdout.contains("15 exchanges, 62 checks, 14 failed ("),
        "{}",
        run.stdout
    );
}

#[test]
fn the_json_report_has_totals_per_check_and_each_failure_with_its_request() {
    let (_, report, _) = validate_things("json", &["bad.jsonl"]);
    let totals = report["totals"].as_object().expect("totals");
    for check in CHECKS.iter().chain(&["unknown_operation"]) {
        let t = &totals[*check];
        assert_eq!(
            t["applied"].as_u64(),
            Some(t["passed"].as_u64().unwrap_or(0) + t["failed"].as_u64().unwrap_or(0)),
            "{check}: {t}"
        );
    }
    let failure = report["failures"]
        .as_array()
        .and_then(|l| l.iter().find(|f| f["check"] == "negative_data_rejection"))
        .expect("a negative_data_rejection failure");
    assert_eq!(failure["operation"], "createThing");
    assert_eq!(failure["got"], "201");
    assert_eq!(failure["request"]["method"], "POST");
    assert_eq!(failure["request"]["body"], r#"{"name":"x","color":"red"}"#);
    assert!(
        failure["expected"]
            .as_str()
            .is_some_and(|e| e.contains("color: This field was not expected.")),
        "{failure}"
    );
    assert!(
        failure["curl"]
            .as_str()
            .is_some_and(|c| c.starts_with("curl -X POST 'http://127.0.0.1:4010/api/things'")),
        "{failure}"
    );
}

#[test]
fn the_junit_report_is_well_formed_xml_that_counts_every_case_and_failure() {
    let (_, report, junit) = validate_things("junit", &["bad.jsonl", "good.har"]);
    let failed: u64 = report["totals"]
        .as_object()
        .expect("totals")
        .values()
        .map(|t| t["failed"].as_u64().unwrap_or(0))
        .sum();
    let applied: u64 = report["totals"]
        .as_object()
        .expect("totals")
        .values()
        .map(|t| t["applied"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(junit_counts(&junit), (applied as usize, failed as usize));
    assert_eq!(failed, 14);
    for check in CHECKS {
        assert!(
            junit.contains(&format!("<testsuite name=\"{check}\"")),
            "no suite for {check}"
        );
    }
    // The failure text quotes JSON and HTML; it must arrive escaped.
    assert!(junit.contains("`text/html` is not a media type"), "{junit}");
    assert!(
        junit.contains("&apos;{&quot;name&quot;:&quot;x&quot;"),
        "{junit}"
    );
}

/// Checks that `xml` is well formed (tags balance, no stray `<` or `&`) and gives the
/// `tests` and `failures` of `<testsuites>`, after checking they match the testcases and
/// failures inside.
fn junit_counts(xml: &str) -> (usize, usize) {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .expect("an XML declaration");
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    let (mut cases, mut failures) = (0, 0);
    let mut declared = None;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open]);
        let close = rest[open..].find('>').expect("a closed tag") + open;
        let tag = &rest[open + 1..close];
        assert!(!tag.contains('<'), "a `<` inside a tag: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "unbalanced </{name}>");
        } else {
            let name = tag.split([' ', '/']).next().unwrap_or_default().to_owned();
            check_text(tag);
            match name.as_str() {
                "testcase" => cases += 1,
                "failure" => failures += 1,
                "testsuites" => {
                    let attr = |a: &str| -> usize {
                        let start =
                            tag.find(&format!("{a}=\"")).expect("an attribute") + a.len() + 2;
                        tag[start..]
                            .split('"')
                            .next()
                            .and_then(|n| n.parse().ok())
                            .expect("a number")
                    };
                    declared = Some((attr("tests"), attr("failures")));
                }
                _ => {}
            }
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
        rest = &rest[close + 1..];
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    let declared = declared.expect("a <testsuites> element");
    assert_eq!(
        declared,
        (cases, failures),
        "declared counts differ from the content"
    );
    declared
}

/// Text between tags: every `&` starts an entity.
fn check_text(text: &str) {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|e| entity.starts_with(e)),
            "a bare `&` in: {text}"
        );
    }
}

#[test]
fn selected_checks_are_the_only_ones_run() {
    let spec = recording("things.yaml");
    let bad = recording("bad.jsonl");
    let run = understudy(
        "selected",
        &[
            "validate",
            "--spec",
            &spec,
            "--checks",
            "use_after_free,ignored_auth",
            &bad,
        ],
    );
    assert_eq!(run.code, 1);
    let failing: BTreeSet<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("FAIL "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    // `unknown_operation` is always reported.
    assert_eq!(
        failing,
        BTreeSet::from(["ignored_auth", "unknown_operation", "use_after_free"])
    );
    let good = recording("good.jsonl");
    let run = understudy(
        "selected-good",
        &[
            "validate",
            "--spec",
            &spec,
            "--checks",
            "use_after_free",
            &good,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.ends_with("11 exchanges, 1 checks, 0 failed\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_unknown_check_name_is_a_usage_error() {
    let run = understudy(
        "unknown-check",
        &[
            "validate",
            "--checks",
            "not_a_check",
            &recording("good.jsonl"),
        ],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`not_a_check` is not a check"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_line_that_is_not_json_stops_the_run_with_exit_2_naming_the_file_and_line() {
    let spec = recording("things.yaml");
    let broken = recording("broken-not-json.jsonl");
    // Even with a good recording first: nothing is checked when one cannot be read.
    let run = understudy(
        "broken-jsonl",
        &[
            "validate",
            "--spec",
            &spec,
            &recording("good.jsonl"),
            &broken,
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!("{broken}: line 2: not JSON")),
        "{}",
        run.stderr
    );
}

#[test]
fn a_har_entry_without_a_status_stops_the_run_with_exit_2_naming_the_entry() {
    let broken = recording("broken-no-status.har");
    let run = understudy(
        "broken-har",
        &["validate", "--spec", &recording("things.yaml"), &broken],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!(
            "{broken}: entry 2 (log.entries[1]): `response.status` is missing"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_recording_or_a_bad_document_is_exit_2() {
    let run = understudy("missing", &["validate", "/nonexistent/traffic.har"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("/nonexistent/traffic.har: the file: cannot be read"),
        "{}",
        run.stderr
    );
    let run = understudy(
        "bad-doc",
        &[
            "validate",
            "--spec",
            &doc_path("bad.yaml").display().to_string(),
            &recording("good.jsonl"),
        ],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("bad.yaml"), "{}", run.stderr);
}

// --- the mock's own traffic ---------------------------------------------------------------

/// Sends a request to the mock and records the exchange as a JSON Lines entry.
fn record(
    s: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Value {
    let mut req = s.request(method, path);
    let mut sent: serde_json::Map<String, Value> = serde_json::Map::new();
    for (name, value) in headers {
        req = req.header(name, value);
        sent.insert((*name).to_owned(), json!(value));
    }
    if let Some(b) = &body {
        req = req.json(b.clone());
        sent.insert("Content-Type".to_owned(), json!("application/json"));
    }
    let reply = req.send();
    let mut got: serde_json::Map<String, Value> = serde_json::Map::new();
    for (name, value) in &reply.headers {
        match got.get_mut(name) {
            Some(Value::Array(list)) => list.push(json!(value)),
            _ => {
                got.insert(name.clone(), json!([value]));
            }
        }
    }
    json!({
        "request": {"method": method, "url": path, "headers": sent, "body": body},
        "response": {
            "status": reply.status,
            "headers": got,
            "body_base64": base64::engine::general_purpose::STANDARD.encode(&reply.body),
        },
    })
}

#[test]
fn traffic_recorded_from_the_mock_passes_every_check() {
    let s = Server::bundled();
    let gitbook = ("Authorization", "Bearer gb_api_jAnEdOe0aDm1nAcMe0t0kEn");
    let arize = ("Authorization", "Bearer arize-key");
    let users = "/v1/spaces/sPaCe4Docs01/permissions/users";
    let notes = "/v1/spaces/sPaCeNotes03/permissions";
    let members = "/v2/spaces/U3BhY2U6MTIzNDU%3D/users";
    let lines = [
        record(&s, "GET", users, &[gitbook], None),
        record(&s, "GET", &format!("{users}?limit=1"), &[gitbook], None),
        record(&s, "GET", users, &[], None),
        record(&s, "PUT", users, &[gitbook], None),
        record(
            &s,
            "POST",
            notes,
            &[gitbook],
            Some(json!({"role": "boss", "users": []})),
        ),
        record(
            &s,
            "POST",
            notes,
            &[gitbook],
            Some(json!({"role": "edit", "users": ["Q2Fyb2xMZWU"]})),
        ),
        record(
            &s,
            "DELETE",
            &format!("{notes}/users/Q2Fyb2xMZWU"),
            &[gitbook],
            None,
        ),
        record(&s, "GET", &format!("{notes}/users"), &[gitbook], None),
        record(
            &s,
            "POST",
            "/api/v1/spaces/default/assign_users",
            &[],
            Some(json!({"users": [{"email": "ann@example.com", "roles": ["ROLE_EDITOR"]}]})),
        ),
        record(
            &s,
            "POST",
            "/api/v1/spaces/default/assign_users",
            &[],
            Some(json!({"users": [{"email": "nope", "roles": ["ROLE_X"]}]})),
        ),
        record(
            &s,
            "POST",
            members,
            &[arize],
            Some(
                json!({"user_id": "VXNlcjoxMjM0NQ==", "role": {"type": "predefined", "name": "member"}}),
            ),
        ),
        record(
            &s,
            "POST",
            members,
            &[arize],
            Some(json!({"user_id": "VXNlcjoxMjM0NQ==", "role": {"type": "wizard"}})),
        ),
        record(
            &s,
            "DELETE",
            &format!("{members}/VXNlcjoxMjM0NQ%3D%3D"),
            &[arize],
            None,
        ),
        record(
            &s,
            "DELETE",
            &format!("{members}/VXNlcjoxMjM0NQ%3D%3D"),
            &[arize],
            None,
        ),
        record(&s, "GET", members, &[], None),
    ];
    let dir = scratch("self");
    let path = dir.join("mock.jsonl");
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, text).expect("the recording is written");
    let json_path = dir.join("report.json").display().to_string();
    let run = understudy(
        "self",
        &[
            "validate",
            "--json",
            &json_path,
            &path.display().to_string(),
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).expect("a JSON report"))
            .expect("JSON");
    // The recording exercised the checks that single exchanges can.
    for check in [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "unsupported_method",
        "ignored_auth",
    ] {
        assert!(
            report["totals"][check]["applied"].as_u64().unwrap_or(0) > 0,
            "{check} never applied: {}",
            report["totals"]
        );
    }
}

#[test]
fn crud_traffic_recorded_from_the_mock_passes_the_story_checks() {
    let s = Server::docs(&["petstore.yaml"]);
    let lines = [
        record(
            &s,
            "POST",
            "/v1/pets",
            &[],
            Some(json!({"name": "Rex", "tag": "dog"})),
        ),
        record(&s, "GET", "/v1/pets/1", &[], None),
        record(&s, "GET", "/v1/pets", &[], None),
        record(&s, "DELETE", "/v1/pets/1", &[], None),
        record(&s, "GET", "/v1/pets/1", &[], None),
        record(&s, "POST", "/v1/pets", &[], Some(json!({"tag": "no name"}))),
    ];
    let dir = scratch("self-crud");
    let path = dir.join("pets.jsonl");
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, text).expect("the recording is written");
    let json_path = dir.join("report.json").display().to_string();
    let spec = doc_path("petstore.yaml").display().to_string();
    let run = understudy(
        "self-crud",
        &[
            "validate",
            "--spec",
            &spec,
            "--json",
            &json_path,
            &path.display().to_string(),
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).expect("a JSON report"))
            .expect("JSON");
    for check in [
        "ensure_resource_availability",
        "use_after_free",
        "response_headers_conformance",
        "negative_data_rejection",
    ] {
        assert_eq!(
            report["totals"][check],
            json!({"applied": 1, "passed": 1, "failed": 0}),
            "{check}"
        );
    }
}

#[test]
fn xml_answers_are_judged_by_their_content_type_and_text_answers_as_the_value_they_spell() {
    let dir = scratch("xml-and-text");
    let spec = dir.join("aws.yaml");
    std::fs::write(
        &spec,
        r#"openapi: 3.0.1
info: {title: An AWS query API, version: '1'}
paths:
  /tags:
    post:
      responses:
        '200':
          description: tags added
          content:
            text/xml:
              schema:
                type: object
                required: [RequestId]
                properties: {RequestId: {type: string}}
  /count:
    get:
      responses:
        '200':
          description: how many
          content:
            text/plain:
              schema: {type: integer, maximum: 10}
"#,
    )
    .expect("the document is written");
    let traffic = dir.join("traffic.jsonl");
    let line = |method: &str, url: &str, ct: &str, body: &str| {
        json!({"request": {"method": method, "url": url},
               "response": {"status": 200, "headers": {"Content-Type": ct}, "body": body}})
        .to_string()
    };
    std::fs::write(
        &traffic,
        [
            // As AWS answers: XML, which JSON Schema cannot read.
            line(
                "POST",
                "/tags",
                "text/xml",
                "<AddTagsResponse><ResponseMetadata><RequestId>r1</RequestId>\
                 </ResponseMetadata></AddTagsResponse>",
            ),
            line("GET", "/count", "text/plain", "7"),
            line("GET", "/count", "text/plain; charset=utf-8", "11"),
        ]
        .join("\n"),
    )
    .expect("the recording is written");
    let json_path = dir.join("report.json");
    let run = understudy(
        "xml-and-text",
        &[
            "validate",
            "--spec",
            &spec.display().to_string(),
            "--json",
            &json_path.display().to_string(),
            &traffic.display().to_string(),
        ],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).expect("a JSON report"))
            .expect("the report is JSON");
    let failures = report["failures"].as_array().cloned().unwrap_or_default();
    // One failure: the count over its maximum, said of the number.
    assert_eq!(failures.len(), 1, "{report:#}");
    assert_eq!(failures[0]["check"], json!("response_schema_conformance"));
    assert!(
        failures[0]["got"]
            .as_str()
            .unwrap_or_default()
            .contains("10"),
        "{report:#}"
    );
}
