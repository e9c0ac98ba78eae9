//! `understudy proxy`: understudy between a client and the real API. Every request is routed
//! and read by the mock's own pipeline, forwarded to the upstream, and the exchange judged by
//! the named contract checks `validate` and `check` use; the answer goes back unchanged, with
//! `X-Understudy-Violations` when anything broke. The server edge (limits, timeouts, logging,
//! shutdown) is `serve`'s: the proxy is one more [`Handler`].
//!
//! - `upstream`: the real API's address, and a request forwarded to it.
//! - `tell`: the failures in words, the journal's record, the proxy's own problem+json answers.
//! - `record`: `--record FILE.har`, every exchange as HAR 1.2, secrets redacted.
//!
//! Implementation rationale: the request is routed and inspected once, before it is
//! forwarded (`--errors` needs the findings to decide), and the checks are given those
//! findings rather than reading the request again. The control API (`/__admin/`) and requests
//! the access rules refuse are the mock's, never forwarded. The story checks (`use_after_free`,
//! `ensure_resource_availability`) see all the traffic as one story, kept apart by session,
//! as `validate` sees one recording.

pub mod record;
mod tell;
pub mod upstream;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::conformance::checks::{Check, Judged, RequestSummary, SharedChecker};
use crate::conformance::report::Report;
use crate::mock::engine::{Engine, Routed};
use crate::mock::exchange::{RequestFindings, inspect_request};
use crate::mock::message::{MockRequest, MockResponse, Outcome, push_header};
use crate::schema::violation::Violation;
use crate::server::{Handled, Handler, answer_safely};
use crate::world::state::{JournalEntry, SESSION_HEADER, valid_session_name};
use record::Recorder;
pub use tell::{FALLBACK, VIOLATIONS};
use tell::{Upstream as Came, mark, problem, request_failures, verdict_failures};
use upstream::Upstream;
pub use upstream::{
    BadCaFile, BadUpstream, MAX_UPSTREAM_BODY, UpstreamError, UpstreamUrl, read_ca_file,
};

/// Passing exchanges the report keeps at most (failing ones are all kept): a proxy may run
/// for days.
pub const MAX_PASSING_KEPT: usize = 10_000;

/// The proxy's settings, beyond the server's limits.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    pub upstream: UpstreamUrl,
    /// From the first byte sent to the upstream to the last byte of its answer.
    pub upstream_timeout: Duration,
    /// Invalid requests are answered by the mock, not forwarded; an upstream answer that
    /// breaks the contract is replaced by a 502.
    pub errors: bool,
    /// The mock answers for an unreachable upstream, or one that answers 501.
    pub fallback_to_mock: bool,
    /// The checks judged (empty: all).
    pub checks: Vec<Check>,
    /// Keep the exchanges for a report at shutdown.
    pub keep_report: bool,
    /// Certificates trusted for an `https://` upstream besides the public roots
    /// (`--ca-file`).
    pub extra_roots: Vec<rustls_pki_types::CertificateDer<'static>>,
}

/// The proxy: a [`Handler`] for the server edge.
pub struct Proxy {
    engine: Arc<Engine>,
    upstream: Upstream,
    config: ProxyConfig,
    checker: SharedChecker,
    report: Option<Mutex<Kept>>,
    recorder: Option<Recorder>,
    exchanges: AtomicU64,
}

/// The report so far, and how many passing exchanges it left out.
struct Kept {
    report: Report,
    passing: usize,
    left_out: usize,
}

impl Proxy {
    pub fn new(engine: Arc<Engine>, config: ProxyConfig) -> Proxy {
        let checker = SharedChecker::new(&config.checks);
        let report = config.keep_report.then(|| {
            Mutex::new(Kept {
                report: Report::new(checker.selected()),
                passing: 0,
                left_out: 0,
            })
        });
        Proxy {
            engine,
            upstream: Upstream::new(
                config.upstream.clone(),
                config.upstream_timeout,
                &config.extra_roots,
            ),
            config,
            checker,
            report,
            recorder: None,
            exchanges: AtomicU64::new(0),
        }
    }

    /// Writes every exchange to `recorder` (`--record`).
    pub fn with_recorder(mut self, recorder: Recorder) -> Proxy {
        self.recorder = Some(recorder);
        self
    }

    /// Closes the recording, if one is written: its path and number of entries.
    pub fn finish_recording(&self) -> Option<std::io::Result<(std::path::PathBuf, u64)>> {
        self.recorder.as_ref().map(Recorder::finish)
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The report of every exchange judged so far (and how many passing ones were left out
    /// of it), when asked for one; taken, so the next call starts anew.
    pub fn take_report(&self) -> Option<(Report, usize)> {
        let kept = self.report.as_ref()?;
        let mut kept = kept.lock().unwrap_or_else(|p| p.into_inner());
        let report = Report::new(kept.report.selected.as_slice());
        let left_out = std::mem::take(&mut kept.left_out);
        kept.passing = 0;
        Some((std::mem::replace(&mut kept.report, report), left_out))
    }

    async fn exchange(&self, req: &MockRequest) -> Handled {
        let started = Instant::now();
        let wall = SystemTime::now();
        let control = req.path == "/__admin" || req.path.starts_with("/__admin/");
        if control || self.engine.config().access.api(&req.headers).is_err() {
            return answer_safely(&self.engine, req).into();
        }
        let routed = self.engine.route_request(req);
        let (operation, findings) = match &routed {
            Routed::Operation { op, raw_params, .. } => (
                Some(Arc::clone(&op.id)),
                Some(inspect_request(op, req, raw_params)),
            ),
            _ => (None, None),
        };
        let mut failures = request_failures(findings.as_ref());
        if self.config.errors && !findings.as_ref().is_some_and(RequestFindings::is_valid) {
            // Not forwarded: the mock answers, as `serve` would (and keeps it in its journal).
            let mut outcome = answer_safely(&self.engine, req);
            let judged = self.judge(routed, findings.as_ref(), req, &outcome.response);
            failures.extend(verdict_failures(&judged));
            self.keep(req, judged);
            self.recorded(req, Ok(&outcome.response), wall, started);
            mark(&mut outcome.response, failures.len());
            return Handled {
                outcome,
                failures,
                delayed: None,
                fault: None,
            };
        }
        let violations: Arc<[Violation]> = findings
            .as_ref()
            .map(|f| f.violations.as_slice().into())
            .unwrap_or_default();
        let answer = match self.upstream.forward(req).await {
            Ok(answer) if answer.status == 501 && self.config.fallback_to_mock => {
                let why = "the upstream answered 501";
                return self.fallback(req, why, routed, findings.as_ref(), failures, wall);
            }
            Err(e @ UpstreamError::Unreachable { .. }) if self.config.fallback_to_mock => {
                let why = e.to_string();
                return self.fallback(req, &why, routed, findings.as_ref(), failures, wall);
            }
            Err(e) => {
                let why = e.to_string();
                tracing::warn!(method = %req.method, path = %req.path, "{why}");
                self.recorded(req, Err(&why), wall, started);
                let mut response = problem(e.status(), &why, &[]);
                mark(&mut response, failures.len());
                let entry = tell::journal(Came::Failed(&why), None);
                let outcome = self.outcome(response, operation, violations);
                self.record(req, &outcome, entry, started);
                return Handled {
                    outcome,
                    failures,
                    delayed: None,
                    fault: None,
                };
            }
            Ok(answer) => answer,
        };
        let judged = self.judge(routed, findings.as_ref(), req, &answer);
        self.recorded(req, Ok(&answer), wall, started);
        let broken: Vec<String> = verdict_failures(&judged).collect();
        let replace = self.config.errors && !broken.is_empty();
        let came = if replace {
            Came::Replaced(&answer)
        } else {
            Came::Passed(answer.status)
        };
        let entry = tell::journal(came, Some(&judged));
        let mut response = if replace {
            let detail = "The upstream's answer breaks the API's contract; the journal \
                          (/__admin/requests) keeps it.";
            problem(502, detail, &broken)
        } else {
            answer
        };
        failures.extend(broken);
        self.keep(req, judged);
        mark(&mut response, failures.len());
        let outcome = self.outcome(response, operation, violations);
        self.record(req, &outcome, entry, started);
        Handled {
            outcome,
            failures,
            delayed: None,
            fault: None,
        }
    }

    /// The mock's answer in the upstream's place, saying so; judged as an upstream's would be.
    fn fallback(
        &self,
        req: &MockRequest,
        why: &str,
        routed: Routed<'_, '_>,
        findings: Option<&RequestFindings>,
        mut failures: Vec<String>,
        wall: SystemTime,
    ) -> Handled {
        let started = Instant::now();
        tracing::info!(method = %req.method, path = %req.path, "the mock answers: {why}");
        let mut outcome = answer_safely(&self.engine, req);
        let judged = self.judge(routed, findings, req, &outcome.response);
        failures.extend(verdict_failures(&judged));
        self.keep(req, judged);
        self.recorded(req, Ok(&outcome.response), wall, started);
        push_header(&mut outcome.response, FALLBACK.clone(), "mock");
        mark(&mut outcome.response, failures.len());
        Handled {
            outcome,
            failures,
            delayed: None,
            fault: None,
        }
    }

    /// The exchange in the recording, when one is written.
    fn recorded(
        &self,
        req: &MockRequest,
        answer: Result<&MockResponse, &str>,
        wall: SystemTime,
        started: Instant,
    ) {
        if let Some(recorder) = &self.recorder {
            recorder.write(req, answer, wall, started.elapsed());
        }
    }

    /// The checks' verdicts. A panic is a bug in understudy; it costs the exchange its
    /// verdicts (and says so in the log), never the client its answer.
    fn judge(
        &self,
        routed: Routed<'_, '_>,
        findings: Option<&RequestFindings>,
        req: &MockRequest,
        resp: &MockResponse,
    ) -> Judged {
        let judging = AssertUnwindSafe(|| self.checker.judge_routed(routed, findings, req, resp));
        std::panic::catch_unwind(judging).unwrap_or_else(|_| {
            tracing::error!(method = %req.method, path = %req.path,
                "judging the exchange failed: a bug in understudy");
            Judged::default()
        })
    }

    fn outcome(
        &self,
        response: MockResponse,
        operation: Option<Arc<str>>,
        violations: Arc<[Violation]>,
    ) -> Outcome {
        Outcome {
            response,
            operation,
            violations,
            response_violations: Vec::new(),
            cause: None,
            staged: Default::default(),
        }
    }

    /// The exchange in its session's journal, with what the proxy saw.
    fn record(
        &self,
        req: &MockRequest,
        outcome: &Outcome,
        proxied: serde_json::Value,
        started: Instant,
    ) {
        let name = req
            .headers
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|n| valid_session_name(n))
            .unwrap_or_default();
        self.engine.sessions().get(name).record(JournalEntry {
            proxied: Some(Box::new(proxied)),
            ..outcome.journal_entry(req, started)
        });
    }

    /// The exchange in the report, when one was asked for.
    fn keep(&self, req: &MockRequest, judged: Judged) {
        let Some(kept) = &self.report else {
            return;
        };
        let number = self.exchanges.fetch_add(1, Ordering::Relaxed) + 1;
        let failed = judged.verdicts.iter().any(|v| !v.passed());
        let url = self.upstream.url();
        let summary = RequestSummary::of(req, Some(&format!("{}{}", url.origin, url.base)));
        let mut kept = kept.lock().unwrap_or_else(|p| p.into_inner());
        if !failed {
            if kept.passing >= MAX_PASSING_KEPT {
                kept.left_out += 1;
                return;
            }
            kept.passing += 1;
        }
        kept.report
            .push(format!("exchange {number}"), summary, judged);
    }
}

impl Handler for Proxy {
    fn handle<'a>(&'a self, req: &'a MockRequest) -> impl Future<Output = Handled> + Send + 'a {
        self.exchange(req)
    }

    fn reject(&self, req: &MockRequest, status: u16, detail: String) -> Outcome {
        self.engine.reject(req, status, detail)
    }
}
