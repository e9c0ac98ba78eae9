//! `understudy validate` (recorded traffic) and `understudy check` (a live server), and the
//! reports both write.

use anyhow::Context;

use crate::conformance::checks::{Checker, RequestSummary};
use crate::conformance::recording;
use crate::conformance::report::Report;
use crate::contract::{self, CheckConfig, Progress};
use crate::mock::engine::EngineConfig;

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

pub(super) fn check(args: &CheckArgs) -> anyhow::Result<Ending> {
    let engine = args.specs.engine(EngineConfig::default())?;
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
        max_time: args
            .max_time
            .map(|s| seconds("--max-time", s))
            .transpose()?,
        timeout: seconds("--timeout", args.timeout)?,
        progress: Progress::for_stderr(),
        ..CheckConfig::default()
    };
    let outcome = contract::run(&engine, &config)?;
    print!("{}", outcome.report.text());
    let secs = outcome.elapsed.as_secs_f64();
    println!(
        "{} requests in {secs:.1}s ({:.0}/s){}",
        outcome.requests,
        outcome.requests as f64 / secs.max(1e-9),
        if outcome.timed_out {
            "; stopped by --max-time before every operation ran"
        } else {
            ""
        }
    );
    write_reports(&outcome.report, args.json.as_deref(), args.junit.as_deref())
}
