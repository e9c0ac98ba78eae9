//! `understudy validate` (recorded traffic) and `understudy check` (a live server), and the
//! reports both write.

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::conformance::checks::{Checker, RequestSummary};
use crate::conformance::recording;
use crate::conformance::report::Report;
use crate::contract::{self, CheckConfig, Live, Progress};
use crate::mock::engine::{Engine, EngineConfig};

use super::{CheckArgs, Ending, ValidateArgs, seconds};

pub(super) fn validate(args: &ValidateArgs) -> anyhow::Result<Ending> {
    let engine = args.specs.engine(EngineConfig::default())?;
    // Every recording is read before any is checked: a bad one stops the run (exit 2).
    let mut recordings = Vec::new();
    for path in &args.recordings {
        recordings.push(recording::read_file(path)?);
    }
    let selected = args.checks.clone().map(|c| c.0).unwrap_or_default();
    let mut checker = Checker::new(&engine, &selected);
    let mut report = Report::new(checker.selected());
    for exchanges in &recordings {
        // Each recording is its own story.
        checker.new_story();
        for r in exchanges {
            let judged = checker.judge(&r.request, &r.response);
            let summary = RequestSummary::of(&r.request, r.origin.as_deref());
            report.push(r.label.clone(), summary, judged);
        }
    }
    print!("{}", report.text());
    write_reports(&report, args.json.as_deref(), args.junit.as_deref())
}

/// Writes the JSON and JUnit reports asked for; the ending the report calls for.
pub(super) fn write_reports(
    report: &Report,
    json: Option<&std::path::Path>,
    junit: Option<&std::path::Path>,
) -> anyhow::Result<Ending> {
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&report.json())?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = junit {
        std::fs::write(path, report.junit())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(if report.passed() {
        Ending::Success
    } else {
        Ending::ChecksFailed
    })
}

/// How long past `--max-time` a run that has not stopped by itself (it is inside one
/// generation) is waited for before it is reported as it stands and left behind.
const OVERRUN_GRACE: Duration = Duration::from_secs(1);

pub(super) fn check(args: &CheckArgs) -> anyhow::Result<Ending> {
    // `--max-time` bounds the whole command: loading the documents counts.
    let clock_from = Instant::now();
    let max_time = args
        .max_time
        .map(|s| seconds("--max-time", s))
        .transpose()?;
    let engine = Arc::new(args.specs.engine(EngineConfig::default())?);
    let mut headers = if args.specs.specs.is_empty() {
        contract::bundled_credentials()
    } else {
        Vec::new()
    };
    headers.extend(args.headers.iter().cloned());
    let config = CheckConfig {
        base_url: args.url.clone(),
        checks: args.checks.clone().map(|c| c.0).unwrap_or_default(),
        cases: args.cases,
        seed: args.seed,
        headers,
        max_time,
        timeout: seconds("--timeout", args.timeout)?,
        progress: Progress::for_stderr(),
        clock_from: Some(clock_from),
        ..CheckConfig::default()
    };
    let progress = config.progress;
    let outcome = run_within(engine, config)?;
    if outcome.cut_short && progress == Progress::Bar {
        // The bar the abandoned run was drawing ends here.
        eprintln!();
    }
    if outcome.timed_out && outcome.report.exchanges.is_empty() {
        bail!(
            "--max-time ran out before any request was sent (while {}): {} of {} operations \
             and stories not reached",
            match &outcome.stopped_during {
                Some(what) => format!("generating requests for {what}"),
                None => "loading the documents and planning".to_owned(),
            },
            outcome.not_reached,
            outcome.total
        );
    }
    print!("{}", outcome.report.text());
    let secs = outcome.elapsed.as_secs_f64();
    let stopped = match (&outcome.stopped_during, outcome.cut_short) {
        _ if !outcome.timed_out => String::new(),
        (Some(what), true) => format!(
            "; stopped by --max-time in the middle of {what}: {} of {} operations \
             and stories not reached",
            outcome.not_reached, outcome.total
        ),
        _ => format!(
            "; stopped by --max-time: {} of {} operations and stories not reached",
            outcome.not_reached, outcome.total
        ),
    };
    println!(
        "{} requests in {secs:.1}s ({:.0}/s){stopped}",
        outcome.requests,
        outcome.requests as f64 / secs.max(1e-9),
    );
    write_reports(&outcome.report, args.json.as_deref(), args.junit.as_deref())
}

/// Runs the check on a thread of its own, so that `--max-time` holds even when one request's
/// generation outlasts it: past the deadline (and a grace) the run is reported as it stands
/// and left to the process's end.
fn run_within(engine: Arc<Engine>, config: CheckConfig) -> anyhow::Result<contract::Outcome> {
    let live = Live::default();
    let (tx, rx) = mpsc::channel();
    let deadline = config
        .max_time
        .zip(config.clock_from)
        .map(|(max, from)| from + max + OVERRUN_GRACE);
    let started = config.clock_from.unwrap_or_else(Instant::now);
    {
        let live = live.clone();
        std::thread::Builder::new()
            .name("check".to_owned())
            .spawn(move || {
                // The receiver is gone only when the deadline already passed.
                let _ = tx.send(contract::run_live(&engine, &config, &live));
            })
            .context("cannot start the check's thread")?;
    }
    let answer = match deadline {
        Some(at) => rx.recv_timeout(at.saturating_duration_since(Instant::now())),
        None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
    };
    match answer {
        Ok(outcome) => Ok(outcome?),
        Err(RecvTimeoutError::Timeout) => Ok(live.outcome(started.elapsed(), true)),
        Err(RecvTimeoutError::Disconnected) => bail!("the check stopped without a report"),
    }
}
