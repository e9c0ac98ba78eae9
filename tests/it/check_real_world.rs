//! `understudy check` on what real documents and real use brought up (the APIs.guru self-check
//! of issue 18): CRUD stories under parents that are not resources (Gitea's hooks), reading
//! what a create made wherever the document names its id (`tests/docs/crud-ids-*.yaml`), and
//! stopping where no read can name it (an empty id, an id the item path refuses), a `--url`
//! that already holds the document's mount, `--max-time` against a generation slower than the
//! time given, a body over the server's limit, and an `https://` URL.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use understudy::conformance::checks::Check;
use understudy::contract::client::Client;
use understudy::contract::{self, CheckConfig, Outcome};
use understudy::server::ServerConfig;
use understudy::{Engine, EngineConfig, Source};

use crate::harness::{Server, doc_path};

/// An operation whose valid requests are slow to generate: its one required query parameter
/// is a deepObject holding an array, which that style cannot carry, so the generator's filter
/// rejects every value it makes, each a few thousand characters long (as Stripe's
/// `GET /v1/credit_notes/preview` and its `lines`). Written to a temporary file by the tests
/// that need it, not kept in `tests/docs/`: the mock's property tests load every document
/// there and would spend their time generating for it.
const SLOW: &str = r#"openapi: 3.1.0
info:
  title: Slow to generate
  version: 1.0.0
paths:
  /things:
    get:
      operationId: listThings
      parameters:
        - name: lines
          in: query
          required: true
          style: deepObject
          explode: true
          schema:
            type: array
            minItems: 1
            items:
              type: object
              required: [description]
              properties:
                description: {type: string, minLength: 2000, maxLength: 5000}
      responses:
        '200':
          description: The things
          content:
            application/json:
              schema: {type: array, items: {type: string}}
"#;

/// [`SLOW`] in a file of its own (named after the test), for `--spec` and the server.
fn slow_doc(test: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("understudy-{test}-{}.yaml", std::process::id()));
    std::fs::write(&path, SLOW).expect("a temporary document");
    path
}

fn engine(docs: &[&str]) -> Engine {
    let sources: Vec<Source> = docs.iter().map(|d| Source::File(doc_path(d))).collect();
    Engine::load(&sources, EngineConfig::default()).unwrap_or_else(|_| panic!("{docs:?} load"))
}

fn check(docs: &[&str], url: String, checks: &[Check]) -> Outcome {
    let config = CheckConfig {
        base_url: url,
        checks: checks.to_vec(),
        cases: 2,
        seed: 5,
        max_time: Some(Duration::from_secs(60)),
        max_shrink: 10,
        ..CheckConfig::default()
    };
    contract::run(&engine(docs), &config).expect("the server is reachable")
}

/// The request paths of a story's steps, in order.
fn story_paths(outcome: &Outcome, story: &str) -> Vec<String> {
    let prefix = format!("story {story} step ");
    outcome
        .report
        .exchanges
        .iter()
        .filter(|e| e.label.starts_with(&prefix))
        .map(|e| {
            let url = &e.request.url;
            let path = url.splitn(4, '/').nth(3).unwrap_or_default();
            format!("/{}", path.split('?').next().unwrap_or_default())
        })
        .collect()
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_understudy"))
}

/// Runs the binary, killed after `bound` if it has not ended by then (a bound on a broken
/// run, not a timing assertion).
fn run_bounded(cmd: &mut Command, bound: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let until = Instant::now() + bound;
    while child.try_wait().expect("the child").is_none() {
        if Instant::now() > until {
            let _ = child.kill();
            let out = child.wait_with_output().expect("the child's output");
            panic!(
                "still running after {bound:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("the child's output")
}

#[test]
fn crud_stories_read_change_and_delete_under_the_parents_they_created_under() {
    let server = Server::docs(&["crud-parents.yaml"]);
    let outcome = check(
        &["crud-parents.yaml"],
        format!("http://{}", server.addr),
        &[],
    );
    assert!(outcome.report.passed(), "{}", outcome.report.text());
    // Create, read, patch, read, delete, read: all under one owner and repository.
    let hooks = story_paths(&outcome, "crud-createHook");
    assert_eq!(hooks.len(), 6, "{hooks:?}");
    let repo = |p: &String| p.split('/').take(6).collect::<Vec<_>>().join("/");
    assert!(
        hooks.iter().all(|p| repo(p) == repo(&hooks[0])),
        "{hooks:?}"
    );
    assert!(hooks[1].ends_with("/hooks/1"), "{hooks:?}");
    // An issue, then a comment under it: the comment's own parents are the issue's
    // repository and the issue the first step made.
    let comments = story_paths(&outcome, "crud-createComment");
    assert_eq!(comments.len(), 5, "{comments:?}");
    let issue = comments[0].trim_end_matches("/issues").to_owned() + "/issues/1";
    assert!(
        comments[1..].iter().all(|p| p.starts_with(&issue)),
        "{comments:?}"
    );
}

/// The stories of a document the mock serves, each with its last step: the mock passes every
/// check, and each story got there.
fn assert_stories_end(doc: &str, stories: &[(&str, usize)]) -> Outcome {
    let server = Server::docs(&[doc]);
    let outcome = check(&[doc], format!("http://{}", server.addr), &[]);
    assert!(outcome.report.passed(), "{doc}: {}", outcome.report.text());
    for (story, last) in stories {
        let paths = story_paths(&outcome, story);
        assert_eq!(paths.len(), *last, "{doc}: {story}: {paths:?}");
    }
    outcome
}

#[test]
fn crud_stories_read_what_a_create_made_wherever_its_id_is_named() {
    // Create, read, delete, read: the channel's id sent as `id` and answered as `Id`, the
    // group's named by the create's body, read under a wrapper.
    assert_stories_end(
        "crud-ids-named.yaml",
        &[
            ("crud-createChannel", 4),
            ("crud-createGroup", 4),
            ("crud-createSchedule", 2),
        ],
    );
    // Images answered with an operation's status, conversations with `{id, href}`.
    assert_stories_end(
        "crud-ids-answers.yaml",
        &[("crud-insertImage", 4), ("crud-createConversation", 2)],
    );
    // Ids the item path takes: IPv6 addresses, integers.
    assert_stories_end(
        "crud-ids-path.yaml",
        &[("crud-postRange", 4), ("crud-createStrategy", 2)],
    );
}

#[test]
fn crud_stories_never_send_an_empty_path_segment_for_an_empty_id() {
    // Every create sends `"id": ""`: the server makes the ids, which the reads and the
    // audience's parent take (not `/webproperties/` nor `/webproperties//audiences`).
    let outcome = assert_stories_end(
        "crud-ids-empty.yaml",
        &[("crud-insertWebproperty", 2), ("crud-insertAudience", 5)],
    );
    let paths = story_paths(&outcome, "crud-insertAudience");
    assert!(
        paths.iter().all(|p| !p.contains("//") && !p.ends_with('/')),
        "{paths:?}"
    );
}

#[test]
fn a_crud_story_stops_before_a_read_whose_id_the_item_path_refuses() {
    // VPC Lattice: no id a service network has is one its path takes. The create is sent,
    // the read never is: the server's 400 for it would be right.
    let doc = "crud-ids-disjoint.yaml";
    let server = Server::docs(&[doc]);
    let outcome = check(&[doc], format!("http://{}", server.addr), &[]);
    assert!(outcome.report.passed(), "{}", outcome.report.text());
    let paths = story_paths(&outcome, "crud-createServiceNetwork");
    assert_eq!(paths, ["/servicenetworks"]);
    // The run says why.
    let out = bin()
        .args(["check", "--url", &format!("http://{}", server.addr)])
        .arg("--spec")
        .arg(doc_path(doc))
        .args(["--cases", "1", "--max-time", "60"])
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "story crud-createServiceNetwork: stopped at step 2: path parameter \
             serviceNetworkIdentifier = `servicenetwork-"
        ) && stderr.contains("(taken from step 1) is no value the document takes there"),
        "{stderr}"
    );
}

#[test]
fn a_url_that_already_ends_with_the_mount_is_not_sent_the_mount_twice() {
    let server = Server::docs(&["crud-nested.yaml"]);
    for url in [
        format!("http://{}", server.addr),
        format!("http://{}/api", server.addr),
        format!("http://{}/api/", server.addr),
    ] {
        let outcome = check(&["crud-nested.yaml"], url.clone(), &[]);
        assert!(outcome.report.passed(), "{url}: {}", outcome.report.text());
        let first = &outcome.report.exchanges[0].request.url;
        assert!(
            first.starts_with(&format!("http://{}/api/", server.addr))
                && !first.contains("/api/api"),
            "{url}: {first}"
        );
    }
    // The binary says what it did.
    let out = bin()
        .args(["check", "--url", &format!("http://{}/api", server.addr)])
        .arg("--spec")
        .arg(doc_path("crud-nested.yaml"))
        .args(["--cases", "1", "--max-time", "60"])
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("already ends with the document's mount /api"),
        "{stderr}"
    );
}

#[test]
fn max_time_stops_a_generation_slower_than_the_time_given_and_nothing_sent_exits_2() {
    let slow = slow_doc("nothing-sent");
    let server = Server::start(vec![Source::File(slow.clone())], EngineConfig::default());
    let out = run_bounded(
        bin()
            .args(["check", "--url", &format!("http://{}", server.addr)])
            .arg("--spec")
            .arg(&slow)
            .args(["--cases", "5", "--max-time", "1"]),
        Duration::from_secs(120),
    );
    let _ = std::fs::remove_file(&slow);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--max-time ran out before any request was sent"),
        "{stderr}"
    );
    assert!(stderr.contains("listThings"), "{stderr}");
    assert!(
        stderr.contains("1 of 1 operations and stories not reached"),
        "{stderr}"
    );
}

#[test]
fn a_run_stopped_by_max_time_says_how_many_operations_it_did_not_reach() {
    let slow = slow_doc("not-reached");
    let server = Server::start(
        vec![
            Source::File(slow.clone()),
            Source::File(doc_path("crud-nested.yaml")),
        ],
        EngineConfig::default(),
    );
    // The slow operation comes after crud-nested's: the time runs out in it, and the stories
    // are never begun.
    let out = run_bounded(
        bin()
            .args(["check", "--url", &format!("http://{}", server.addr)])
            .arg("--spec")
            .arg(doc_path("crud-nested.yaml"))
            .arg("--spec")
            .arg(&slow)
            .args(["--cases", "1", "--max-time", "5"]),
        Duration::from_secs(120),
    );
    let _ = std::fs::remove_file(&slow);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("stopped by --max-time"), "{stdout}");
    assert!(
        stdout.contains("operations and stories not reached"),
        "{stdout}"
    );
}

#[test]
fn a_body_over_the_servers_limit_is_answered_413_not_a_broken_pipe() {
    let limits = ServerConfig {
        max_body: 1024 * 1024,
        ..ServerConfig::default()
    };
    let server = Server::start_with(
        vec![Source::File(doc_path("petstore.yaml"))],
        EngineConfig::default(),
        limits,
    );
    let mut client = Client::new(&format!("http://{}", server.addr), Duration::from_secs(10))
        .expect("an http URL");
    let mut headers = http::HeaderMap::new();
    headers.insert("content-type", "application/json".parse().expect("a value"));
    let big = understudy::mock::message::MockRequest {
        method: http::Method::POST,
        path: "/v1/pets".into(),
        query: None,
        headers,
        body: bytes::Bytes::from(vec![b' '; 10 * 1024 * 1024]),
    };
    let answer = client
        .send(&big)
        .expect("the server's answer, not a broken pipe");
    assert_eq!(answer.status, 413);
}

#[test]
fn an_https_url_is_refused_once_up_front_with_exit_2() {
    let out = bin()
        .args(["check", "--url", "https://127.0.0.1:1/api"])
        .arg("--spec")
        .arg(doc_path("petstore.yaml"))
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not TLS"), "{stderr}");
    assert_eq!(
        stderr.matches("https://127.0.0.1:1/api").count(),
        1,
        "{stderr}"
    );
}

#[test]
fn a_text_answer_whose_schema_is_no_string_passes_as_the_value_it_spells() {
    let server = Server::docs(&["serving-text.yaml"]);
    let outcome = check(
        &["serving-text.yaml"],
        format!("http://{}", server.addr),
        &[],
    );
    assert!(outcome.report.passed(), "{}", outcome.report.text());
    assert!(
        outcome
            .report
            .exchanges
            .iter()
            .any(|e| e.request.url.ends_with("/users/$count")),
        "the count was asked for"
    );
}
