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
//! - `property`: one property of one operation, and its shrinking;
//! - `stories`: plans (steps, bindings) and their runner; `expect` what a step's answer must be;
//! - `bundled`: the GitBook, Arize and Alumio stories; `crud`: the mock's inferred resources;
//!   `links`: OpenAPI links, whose values are runtime expressions (`expr`);
//! - `headers`: `--header` and the bundled credentials; `target`: the `--url`, and the mount
//!   it may already hold;
//! - `live`: what a run has done so far, for a caller that stops it at `--max-time`.
//!
//! # Implementation rationale
//!
//! Properties are driven by hand (`Strategy::new_tree`, then `simplify`/`complicate`) rather
//! than by `TestRunner::run`, so that every exchange lands in the report once, a property
//! stops at its first failure, and shrinking can watch the clock. Each property's random
//! source is seeded from `--seed` and the operation's name, so one operation's cases do not
//! depend on which others ran. A shrink step keeps a request when it still fails one of the
//! checks the original failed.
//!
//! `--max-time` counts from [`CheckConfig::clock_from`] and is looked at before every
//! generated request, so the time generation takes counts. Filters inside the strategies may
//! reject many values before one passes; each runner allows [`MAX_REJECTS`] rejections, not
//! proptest's 65,536, so a property whose values hardly ever pass gives up in seconds rather
//! than minutes. What one generation takes past the deadline is the caller's to cut
//! ([`live`]).

mod bundled;
pub mod client;
mod crud;
mod expect;
mod expr;
mod headers;
mod links;
mod live;
mod property;
mod stories;
pub mod target;

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use http::Method;

use crate::conformance::checks::{Check, Checker, Judged, Mismatch, RequestSummary, Rule, Verdict};
use crate::conformance::fuzz::{self, CredentialSlot, GeneratedRequest};
use crate::contract::client::{Client, ClientError};
use crate::mock::engine::Engine;
use crate::mock::message::{MockRequest, MockResponse};
use crate::operation::api::key::{CondIn, shape_of};
use crate::operation::api::{Api, Operation};
use crate::operation::params::ParamIn;

pub use headers::{BadHeader, ExtraHeader, bundled_credentials};
pub use live::{Live, SoFar};
pub use target::BadUrl;

/// Rejections a runner's filters may make, in all, before its property gives up (proptest's
/// default is 65,536: minutes for a large schema whose values a filter hardly ever keeps).
pub const MAX_REJECTS: u32 = 1024;

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
    /// When `max_time` starts counting; `None`: when [`run`] starts. The CLI starts it before
    /// loading the documents, so that `--max-time` bounds the whole command.
    pub clock_from: Option<Instant>,
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
            clock_from: None,
        }
    }
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("`{url}`: {why}")]
    BadUrl { url: String, why: BadUrl },
    // The cause is the source's to say: `{:#}` prints the chain.
    #[error("cannot reach {url}")]
    Unreachable {
        url: String,
        #[source]
        source: ClientError,
    },
}

/// What a run did.
#[derive(Debug)]
pub struct Outcome {
    pub report: crate::conformance::report::Report,
    /// Requests sent, shrinking included.
    pub requests: usize,
    pub elapsed: Duration,
    /// `--max-time` ran out before every property ran.
    pub timed_out: bool,
    /// Operations and stories in the run.
    pub total: usize,
    /// Operations and stories `--max-time` left unbegun (or, `cut_short`, unfinished).
    pub not_reached: usize,
    /// The operation or story under way when `--max-time` ran out.
    pub stopped_during: Option<String>,
    /// The run did not stop by itself: its caller abandoned it past `--max-time`, inside a
    /// generation (see [`Live`]).
    pub cut_short: bool,
}

/// Runs every property and probe of every operation the engine serves against
/// `config.base_url`.
pub fn run(engine: &Engine, config: &CheckConfig) -> Result<Outcome, ContractError> {
    run_live(engine, config, &Live::default())
}

/// [`run`], writing what it does to `live` as it goes.
pub fn run_live(
    engine: &Engine,
    config: &CheckConfig,
    live: &Live,
) -> Result<Outcome, ContractError> {
    let started = config.clock_from.unwrap_or_else(Instant::now);
    let url = target::parse(&config.base_url).map_err(|why| ContractError::BadUrl {
        url: config.base_url.clone(),
        why,
    })?;
    let mounts: Vec<&str> = engine.apis().iter().map(|a| a.mount.as_str()).collect();
    let (base_url, mount) = target::without_mount(&url, &mounts);
    if let Some(mount) = &mount
        && config.progress != Progress::Quiet
    {
        eprintln!(
            "the URL's path already ends with the document's mount {mount}: requests go to \
             {}{mount}/..., not {}{mount}/...",
            base_url.trim_end_matches('/'),
            url.as_str().trim_end_matches('/')
        );
    }
    let unreachable = |source| ContractError::Unreachable {
        url: config.base_url.clone(),
        source,
    };
    let mut client = Client::new(&base_url, config.timeout).map_err(unreachable)?;
    client.connect().map_err(unreachable)?;
    let checker = Checker::new(engine, &config.checks);
    live.with(|s| s.report = crate::conformance::report::Report::new(checker.selected()));
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
    live.with(|s| s.total = total_ops);
    let mut run = Run {
        config,
        client,
        checker,
        live: live.clone(),
        failed: 0,
        requests: 0,
        started,
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
            run.begin(&op.id);
            let failed_before = run.failed;
            run.operation(api, op, &mut paths_probed);
            run.ops_done += 1;
            let failed = run.failed - failed_before;
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
    Ok(live.outcome(run.started.elapsed(), false))
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
    /// The report and the counters, shared with the caller.
    live: Live,
    /// Failed verdicts so far (the report's failures, counted as they come).
    failed: usize,
    requests: usize,
    started: Instant,
    timed_out: bool,
    ops_done: usize,
    total_ops: usize,
}

impl Run<'_, '_> {
    fn out_of_time(&mut self) -> bool {
        if let Some(max) = self.config.max_time
            && !self.timed_out
            && self.started.elapsed() >= max
        {
            self.timed_out = true;
            self.live.with(|s| s.timed_out = true);
        }
        self.timed_out
    }

    /// An operation or story begins.
    fn begin(&mut self, what: &str) {
        self.live.with(|s| {
            s.begun += 1;
            s.current = what.to_owned();
        });
    }

    /// One judged exchange into the report (`story`: the requests of its story before it).
    fn record(
        &mut self,
        label: String,
        summary: RequestSummary,
        judged: Judged,
        story: Option<Vec<RequestSummary>>,
    ) {
        self.failed += judged.verdicts.iter().filter(|v| !v.passed()).count();
        self.live.with(|s| match story {
            Some(trail) => s.report.push_story(label, summary, judged, trail),
            None => s.report.push(label, summary, judged),
        });
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
        self.live.with(|s| s.requests += 1);
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
                let failures = self.failed;
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
