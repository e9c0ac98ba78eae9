//! `understudy check`: requests generated from the documents (the `fuzz` strategies), sent to
//! a live server, judged by the same [`Checker`] `validate` uses; every failure shrunk to a
//! minimal request before it is reported.
//!
//! Per operation, in document order: a property over valid requests ("every check passes"),
//! one over requests with one violation, and the special probes: the request without its
//! credentials (`ignored_auth`), without each required header (`missing_required_header`), and
//! per path a method it does not declare (`unsupported_method`). Then, when `use_after_free` or
//! `ensure_resource_availability` is selected, the stateful stories, each in its own session:
//!
//! - `stories`: plans (steps, bindings) and their runner; `expect` what a step's answer must be;
//! - `bundled`: the GitBook, Arize and Alumio stories; `crud`: the mock's inferred resources;
//!   `links`: OpenAPI links, whose values are runtime expressions (`expr`);
//! - `headers`: `--header` and the bundled credentials.
//!
//! # Implementation rationale
//!
//! Properties are driven by hand (`Strategy::new_tree`, then `simplify`/`complicate`) rather
//! than by `TestRunner::run`, so that every exchange lands in the report once, a property
//! stops at its first failure, and shrinking can watch the clock. Each property's random
//! source is seeded from `--seed` and the operation's name, so one operation's cases do not
//! depend on which others ran. A shrink step keeps a request when it still fails one of the
//! checks the original failed.

mod bundled;
pub mod client;
mod crud;
mod expect;
mod expr;
mod headers;
mod links;
mod stories;

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use http::Method;
use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::conformance::checks::{Check, Checker, Judged, Mismatch, RequestSummary, Rule, Verdict};
use crate::conformance::fuzz::{self, CredentialSlot, GeneratedRequest};
use crate::conformance::report::Report;
use crate::contract::client::{Client, ClientError};
use crate::mock::engine::Engine;
use crate::mock::message::{MockRequest, MockResponse};
use crate::operation::api::key::{CondIn, shape_of};
use crate::operation::api::{Api, Operation};
use crate::operation::params::ParamIn;

pub use headers::{BadHeader, ExtraHeader, bundled_credentials};

/// How progress is shown on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A bar redrawn in place (a terminal).
    Bar,
    /// One line per operation.
    Lines,
    Quiet,
}

impl Progress {
    /// A bar on a terminal, lines otherwise.
    pub fn for_stderr() -> Progress {
        if std::io::stderr().is_terminal() {
            Progress::Bar
        } else {
            Progress::Lines
        }
    }
}

/// What to check, against what.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    pub base_url: String,
    /// Empty: every check.
    pub checks: Vec<Check>,
    /// Generated cases per property (valid requests, and requests with a violation, per
    /// operation).
    pub cases: u32,
    pub seed: u64,
    /// Applied in order; a later header replaces an earlier one of the same name.
    pub headers: Vec<ExtraHeader>,
    pub max_time: Option<Duration>,
    /// Per request: connect, write, read.
    pub timeout: Duration,
    pub progress: Progress,
    /// Shrink steps per failure, at most.
    pub max_shrink: u32,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            base_url: String::new(),
            checks: Vec::new(),
            cases: 20,
            seed: 0,
            headers: Vec::new(),
            max_time: None,
            timeout: Duration::from_secs(10),
            progress: Progress::Quiet,
            max_shrink: 100,
        }
    }
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("cannot reach {url}: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: ClientError,
    },
}

/// What a run did.
#[derive(Debug)]
pub struct Outcome {
    pub report: Report,
    /// Requests sent, shrinking included.
    pub requests: usize,
    pub elapsed: Duration,
    /// `--max-time` ran out before every property ran.
    pub timed_out: bool,
}

/// Runs every property and probe of every operation the engine serves against
/// `config.base_url`.
pub fn run(engine: &Engine, config: &CheckConfig) -> Result<Outcome, ContractError> {
    let mut client = Client::new(&config.base_url, config.timeout).map_err(|source| {
        ContractError::Unreachable {
            url: config.base_url.clone(),
            source,
        }
    })?;
    client
        .connect()
        .map_err(|source| ContractError::Unreachable {
            url: config.base_url.clone(),
            source,
        })?;
    let checker = Checker::new(engine, &config.checks);
    let report = Report::new(checker.selected());
    let story_checks = [Check::UseAfterFree, Check::EnsureResourceAvailability];
    let (plans, unusable) = if story_checks.iter().any(|c| checker.selected().contains(c)) {
        stories::plan_all(engine)
    } else {
        (Vec::new(), Vec::new())
    };
    if config.progress != Progress::Quiet {
        for why in &unusable {
            eprintln!("skipped {why}");
        }
    }
    let total_ops: usize = engine
        .apis()
        .iter()
        .map(|a| a.operations.len())
        .sum::<usize>()
        + plans.len();
    let mut run = Run {
        config,
        client,
        checker,
        report,
        requests: 0,
        started: Instant::now(),
        timed_out: false,
        ops_done: 0,
        total_ops,
    };
    'apis: for api in engine.apis() {
        let mut paths_probed: Vec<&str> = Vec::new();
        for op in &api.operations {
            if run.out_of_time() {
                break 'apis;
            }
            let failed_before = run.report.failures().count();
            run.operation(api, op, &mut paths_probed);
            run.ops_done += 1;
            let failed = run.report.failures().count() - failed_before;
            let note = if failed == 0 {
                "ok".to_owned()
            } else {
                format!("{failed} failed")
            };
            run.progress(&op.id, &note);
        }
    }
    run.stories(engine, &plans);
    if config.progress == Progress::Bar {
        eprintln!();
    }
    Ok(Outcome {
        elapsed: run.started.elapsed(),
        timed_out: run.timed_out,
        requests: run.requests,
        report: run.report,
    })
}

/// Which property a case belongs to.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Valid,
    Invalid,
    NoCredentials,
    NoHeader,
    Method,
    Story,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Valid => "valid",
            Kind::Invalid => "invalid",
            Kind::NoCredentials => "without credentials",
            Kind::NoHeader => "without a required header",
            Kind::Method => "undeclared method",
            Kind::Story => "story",
        }
    }
}

/// What a probe changes in a generated request before it is sent.
type Transform<'t> = &'t dyn Fn(&mut GeneratedRequest);

struct Run<'c, 'e> {
    config: &'c CheckConfig,
    client: Client,
    checker: Checker<'e>,
    report: Report,
    requests: usize,
    started: Instant,
    timed_out: bool,
    ops_done: usize,
    total_ops: usize,
}

impl Run<'_, '_> {
    fn out_of_time(&mut self) -> bool {
        if let Some(max) = self.config.max_time
            && self.started.elapsed() >= max
        {
            self.timed_out = true;
        }
        self.timed_out
    }

    fn operation<'a>(&mut self, api: &'a Api, op: &'a Operation, paths: &mut Vec<&'a str>) {
        let cases = self.config.cases;
        let valid = match fuzz::valid_request(api, op) {
            Ok(s) => s,
            Err(e) => {
                self.unusable(op, &e.to_string());
                return;
            }
        };
        self.property(op, Kind::Valid, &valid, cases, &|_| {});
        match fuzz::invalid_request(api, op) {
            Ok(Some(invalid)) => self.property(op, Kind::Invalid, &invalid, cases, &|_| {}),
            Ok(None) => {}
            Err(e) => self.unusable(op, &e.to_string()),
        }
        if !op.security.is_open() {
            self.property(op, Kind::NoCredentials, &valid, 1, &strip_credentials);
        }
        for param in &op.params {
            let plan = &param.plan;
            // A header the key's discriminator reads (`/#X-Amz-Target=…`) picks the
            // operation: without it, the request is for another one, or none.
            let picks =
                op.routing.conditions.iter().any(|c| {
                    c.location == CondIn::Header && c.name.eq_ignore_ascii_case(&plan.name)
                });
            if plan.location == ParamIn::Header && plan.required && !picks {
                let name = plan.name.clone();
                self.property(op, Kind::NoHeader, &valid, 1, &move |r| {
                    r.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
                });
            }
        }
        // The methods of the path as routed: keys with discriminators (`/{Bucket}?acl`) and
        // keys differing only in parameter names share one.
        let shape = shape_of(op.path());
        let head = |route: &'a str| route.split('{').next().unwrap_or_default();
        if !paths.contains(&op.route.as_str()) {
            paths.push(&op.route);
            let declared: Vec<&Method> = api
                .operations
                .iter()
                .filter(|o| head(o.path()) == head(op.path()) && shape_of(o.path()) == shape)
                .map(|o| &o.method)
                .collect();
            let undeclared = [
                Method::DELETE,
                Method::PATCH,
                Method::PUT,
                Method::POST,
                Method::GET,
            ]
            .into_iter()
            .find(|m| !declared.contains(&m));
            if let Some(method) = undeclared {
                self.property(op, Kind::Method, &valid, 1, &move |r| {
                    r.method = method.clone();
                });
            }
        }
    }

    /// An operation the strategies cannot generate requests for: said, not judged.
    fn unusable(&mut self, op: &Operation, why: &str) {
        if self.config.progress != Progress::Quiet {
            eprintln!("skipped {}: {why}", op.id);
        }
    }

    /// Up to `cases` requests from `strategy`, each changed by `transform`, sent and judged;
    /// stops at the first failure, which is shrunk.
    fn property(
        &mut self,
        op: &Operation,
        kind: Kind,
        strategy: &BoxedStrategy<GeneratedRequest>,
        cases: u32,
        transform: Transform<'_>,
    ) {
        let mut runner = runner_for(self.config.seed, &op.id, kind);
        for case in 0..cases {
            if self.out_of_time() {
                return;
            }
            let Ok(mut tree) = strategy.new_tree(&mut runner) else {
                return;
            };
            let (mock, judged) = self.exchange(tree.current(), transform);
            let failing = failed_checks(&judged);
            if failing.is_empty() {
                let summary = RequestSummary::of(&mock, Some(&self.client.origin));
                let label = format!("{} {} case {}", op.id, kind.label(), case + 1);
                self.report.push(label, summary, judged);
                continue;
            }
            let (mock, judged, steps) = self.shrink(&mut *tree, transform, &failing, mock, judged);
            let summary = RequestSummary::of(&mock, Some(&self.client.origin));
            let label = format!(
                "{} {} case {}, shrunk in {steps} step(s)",
                op.id,
                kind.label(),
                case + 1
            );
            self.report.push(label, summary, judged);
            return;
        }
    }

    /// The simplest request the tree reaches that still fails one of `failing`.
    fn shrink(
        &mut self,
        tree: &mut dyn ValueTree<Value = GeneratedRequest>,
        transform: Transform<'_>,
        failing: &[Rule],
        mut mock: MockRequest,
        mut judged: Judged,
    ) -> (MockRequest, Judged, u32) {
        let mut steps = 0;
        let mut kept = 0;
        if !tree.simplify() {
            return (mock, judged, 0);
        }
        while steps < self.config.max_shrink && !self.out_of_time() {
            steps += 1;
            let (m, j) = self.exchange(tree.current(), transform);
            let still = failed_checks(&j).iter().any(|r| failing.contains(r));
            if still {
                (mock, judged) = (m, j);
                kept += 1;
                if !tree.simplify() {
                    break;
                }
            } else if !tree.complicate() {
                break;
            }
        }
        (mock, judged, kept)
    }

    /// Sends one request and judges the answer (no answer is a `not_a_server_error` failure).
    fn exchange(
        &mut self,
        req: GeneratedRequest,
        transform: Transform<'_>,
    ) -> (MockRequest, Judged) {
        let (mock, answer) = self.send(req, transform);
        // Story checks need exchanges in the order a story happened; fuzzed cases are not
        // one, so each is judged on its own.
        self.checker.new_story();
        let judged = match answer {
            Ok(resp) => self.checker.judge(&mock, &resp),
            Err(e) => no_answer(&mock, &e, &mut self.checker),
        };
        (mock, judged)
    }

    /// Sends one request, with the `--header`s that apply and then `transform`.
    fn send(
        &mut self,
        mut req: GeneratedRequest,
        transform: Transform<'_>,
    ) -> (MockRequest, Result<MockResponse, ClientError>) {
        for h in &self.config.headers {
            if h.applies_to(&req.path) {
                let name = h.name.as_str();
                req.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
                req.headers.push((
                    name.to_owned(),
                    String::from_utf8_lossy(h.value.as_bytes()).into_owned(),
                ));
            }
        }
        transform(&mut req);
        let mock = fuzz::to_mock_request(&req);
        self.requests += 1;
        let answer = self.client.send(&mock);
        (mock, answer)
    }

    /// After an operation's properties or a story: `what` is its name, `note` how it went.
    fn progress(&self, what: &str, note: &str) {
        match self.config.progress {
            Progress::Quiet => {}
            Progress::Lines => eprintln!("[{}/{}] {what}: {note}", self.ops_done, self.total_ops),
            Progress::Bar => {
                let width = 30;
                let done = (self.ops_done * width) / self.total_ops.max(1);
                let failures = self.report.failures().count();
                eprint!(
                    "\r[{}{}] {}/{} operations and stories, {} requests, {failures} failed ",
                    "#".repeat(done),
                    " ".repeat(width - done),
                    self.ops_done,
                    self.total_ops,
                    self.requests
                );
                let _ = std::io::stderr().flush();
            }
        }
    }
}

/// The verdicts of a request that got no answer: the routing ones, and a failed
/// `not_a_server_error`.
fn no_answer(mock: &MockRequest, e: &ClientError, checker: &mut Checker<'_>) -> Judged {
    let placeholder = MockResponse {
        status: 599,
        headers: Vec::new(),
        body: bytes::Bytes::new(),
    };
    let mut judged = checker.judge(mock, &placeholder);
    judged.verdicts = vec![Verdict {
        rule: Rule::Check(Check::NotAServerError),
        mismatch: Some(Mismatch {
            expected: "an answer".to_owned(),
            got: format!("no answer: {e}"),
        }),
    }];
    judged
}

fn failed_checks(judged: &Judged) -> Vec<Rule> {
    judged
        .verdicts
        .iter()
        .filter(|v| !v.passed())
        .map(|v| v.rule)
        .collect()
}

/// Takes the credential out: the `Authorization` header and wherever the operation's scheme
/// carries it.
fn strip_credentials(req: &mut GeneratedRequest) {
    let slot = req.credential.clone();
    req.headers.retain(|(n, _)| {
        let credential = n.eq_ignore_ascii_case("authorization")
            || matches!(&slot, Some(CredentialSlot::Header(h)) if n.eq_ignore_ascii_case(h))
            || (matches!(slot, Some(CredentialSlot::Cookie(_)))
                && n.eq_ignore_ascii_case("cookie"));
        !credential
    });
    if let Some(CredentialSlot::Query(q)) = &slot {
        req.query.retain(|(k, _)| k != q);
    }
}

/// A runner whose randomness depends only on the seed, the operation and the property.
fn runner_for(seed: u64, op: &str, kind: Kind) -> TestRunner {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let h = fnv1a(&[
            &seed.to_le_bytes(),
            op.as_bytes(),
            kind.label().as_bytes(),
            &[i as u8],
        ]);
        chunk.copy_from_slice(&h.to_le_bytes());
    }
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// FNV-1a: stable across Rust releases, unlike `DefaultHasher`.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runners_are_seeded_by_seed_operation_and_property() {
        let draw = |seed, op| {
            let mut r = runner_for(seed, op, Kind::Valid);
            (0..4)
                .map(|_| (0u32..1000).new_tree(&mut r).unwrap().current())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(1, "a"), draw(1, "a"));
        assert_ne!(draw(1, "a"), draw(2, "a"));
        assert_ne!(draw(1, "a"), draw(1, "b"));
    }
}
