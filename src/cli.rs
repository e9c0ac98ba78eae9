//! The command line: clap definitions, turned into a validated configuration before any
//! work starts, and the commands themselves. Errors become exit codes in `main`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};

use crate::checks::{Check, Checker, RequestSummary, UnknownCheck};
use crate::contract::{self, CheckConfig, ExtraHeader, Progress};
use crate::engine::{Engine, EngineConfig};
use crate::fixtures::FixtureSource;
use crate::load::{self, Source};
use crate::recording;
use crate::report::Report;

/// A strict mock server for OpenAPI documents.
///
/// understudy loads OpenAPI 3.0 and 3.1 documents, validates every request against them and
/// answers the way the spec says: declared statuses, examples or generated data, and errors in
/// the API's own error format. With no --spec it serves its bundled documents (Alumio, GitBook
/// and Arize space-membership APIs).
#[derive(Debug, Parser)]
#[command(name = "understudy", version, about, long_about)]
pub struct Cli {
    /// Log lines as text (default) or JSON.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the documents over HTTP.
    Serve(ServeArgs),
    /// List each method, full path and operationId that would be served.
    Routes(SpecArgs),
    /// Check recorded traffic (HAR files, JSON Lines of request/response pairs) against the
    /// documents, offline. Exit code 0: every check passed; 1: some failed; 2: it could not
    /// run (an unreadable recording or document).
    Validate(ValidateArgs),
    /// Send requests generated from the documents to a live server and judge its answers
    /// with the named checks; every failure is shrunk to a minimal request and printed with a
    /// curl command. Then stateful stories (create, read, update, delete, read) judged by
    /// use_after_free and ensure_resource_availability. Exit code 0: every check passed; 1: some failed; 2: it could not run (an
    /// unreachable URL, a bad document).
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The server to check: `http://host:port`, optionally with a path prefix.
    #[arg(long, value_name = "URL")]
    pub url: String,
    #[command(flatten)]
    pub specs: SpecArgs,
    /// The checks to run, separated by commas (default: all of them).
    #[arg(long, value_name = "CHECK,...", value_parser = parse_checks)]
    pub checks: Option<CheckList>,
    /// Generated requests per operation: this many valid ones and this many with one
    /// violation.
    #[arg(long, default_value_t = 20)]
    pub cases: u32,
    /// Seed of the generated requests: the same seed sends the same requests.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// A header for every request (`Name: value`), or for those under a path prefix
    /// (`/v1 Authorization: Bearer ...`). Repeatable; replaces a generated header of the same
    /// name. With no --spec, the bundled fixtures' tokens are sent under /v1 and /v2 unless a
    /// --header replaces them.
    #[arg(long = "header", value_name = "[/PREFIX ]NAME: VALUE")]
    pub headers: Vec<ExtraHeader>,
    /// Also write the report as JUnit XML, for CI systems.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write the report as JSON: totals per check and every failure.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Stop cleanly after this many seconds and report what ran.
    #[arg(long, value_name = "SECS")]
    pub max_time: Option<f64>,
    /// Seconds to wait for a connection or an answer.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub specs: SpecArgs,
    /// The checks to run, separated by commas (default: all of them).
    #[arg(long, value_name = "CHECK,...", value_parser = parse_checks)]
    pub checks: Option<CheckList>,
    /// Also write the report as JUnit XML, for CI systems.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write the report as JSON: totals per check and every failure.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// HAR files (`.har`) and JSON Lines files of request/response pairs.
    #[arg(value_name = "RECORDING", required = true)]
    pub recordings: Vec<PathBuf>,
}

/// A `--checks` list, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckList(pub Vec<Check>);

fn parse_checks(list: &str) -> Result<CheckList, UnknownCheck> {
    Check::parse_list(list).map(CheckList)
}

/// How a command that ran ended; errors (it could not run) are the other way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Success,
    ChecksFailed,
}

/// The exit code of a run: 0 done, 1 some check failed, 2 could not run.
pub fn exit_code(result: &anyhow::Result<Ending>) -> u8 {
    match result {
        Ok(Ending::Success) => 0,
        Ok(Ending::ChecksFailed) => 1,
        Err(_) => 2,
    }
}

#[derive(Debug, clap::Args)]
pub struct SpecArgs {
    /// An OpenAPI document (YAML or JSON) to serve instead of the bundled ones. Repeatable:
    /// each document is mounted at the path of its first server URL.
    #[arg(long = "spec", value_name = "FILE")]
    pub specs: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub specs: SpecArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to listen on (0 picks a free one and prints it).
    #[arg(long, default_value_t = 4010)]
    pub port: u16,
    /// Seed of generated data: the same seed gives the same bodies on every run.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Check every answer against the spec and log the ones that break it.
    #[arg(long)]
    pub check_responses: bool,
    /// A folder of fixture files (`alumio.yaml`, `gitbook.yaml`, `arize.yaml`) to start the
    /// bundled APIs' worlds from, instead of the bundled fixtures.
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
}

impl SpecArgs {
    fn sources(&self) -> Vec<Source> {
        if self.specs.is_empty() {
            load::bundled()
        } else {
            self.specs.iter().cloned().map(Source::File).collect()
        }
    }
}

/// Warnings logged per document at startup; the rest are counted.
const MAX_WARNINGS_SHOWN: usize = 20;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Ending> {
    init_logging(cli.log_format);
    match cli.command {
        Command::Serve(args) => serve(args).map(|()| Ending::Success),
        Command::Routes(args) => routes(&args).map(|()| Ending::Success),
        Command::Validate(args) => validate(&args),
        Command::Check(args) => check(&args),
    }
}

fn load_engine(sources: &[Source], config: EngineConfig) -> anyhow::Result<Engine> {
    match Engine::load(sources, config) {
        Ok(engine) => {
            for api in engine.apis() {
                for w in api.warnings.iter().take(MAX_WARNINGS_SHOWN) {
                    tracing::warn!(document = %api.name, "{w}");
                }
                if api.warnings.len() > MAX_WARNINGS_SHOWN {
                    tracing::warn!(
                        document = %api.name,
                        "... and {} more warnings (`understudy routes --spec FILE` lists them all)",
                        api.warnings.len() - MAX_WARNINGS_SHOWN
                    );
                }
            }
            Ok(engine)
        }
        Err(failures) => {
            let text: Vec<String> = failures.iter().map(ToString::to_string).collect();
            bail!("{}", text.join("\n"))
        }
    }
}

fn routes(args: &SpecArgs) -> anyhow::Result<()> {
    let engine = load_engine(&args.sources(), EngineConfig::default())?;
    for api in engine.apis() {
        for op in &api.operations {
            println!("{:<7} {:<55} {}", op.method.as_str(), op.route, op.id);
        }
    }
    Ok(())
}

fn validate(args: &ValidateArgs) -> anyhow::Result<Ending> {
    let engine = load_engine(&args.specs.sources(), EngineConfig::default())?;
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
fn write_reports(
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

fn seconds(what: &str, secs: f64) -> anyhow::Result<std::time::Duration> {
    std::time::Duration::try_from_secs_f64(secs)
        .ok()
        .with_context(|| format!("{what} must be a number of seconds, not {secs}"))
}

fn check(args: &CheckArgs) -> anyhow::Result<Ending> {
    let engine = load_engine(&args.specs.sources(), EngineConfig::default())?;
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

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let config = EngineConfig {
        seed: args.seed,
        check_responses: args.check_responses,
        fixtures: match &args.fixtures {
            Some(dir) => FixtureSource::Dir(dir.clone()),
            None => FixtureSource::Bundled,
        },
    };
    let engine = Arc::new(load_engine(&args.specs.sources(), config)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let addr = SocketAddr::new(args.host, args.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr().context("no local address")?;
        for api in engine.apis() {
            tracing::info!(
                document = %api.name,
                mount = if api.mount.is_empty() { "/" } else { api.mount.as_str() },
                operations = api.operations.len(),
                "serving {}",
                api.title
            );
        }
        tracing::info!(address = %local, startup_ms = started.elapsed().as_millis() as u64, "listening on http://{local}");
        crate::server::run(listener, engine, shutdown_signal()).await;
        tracing::info!("stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("UNDERSTUDY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
