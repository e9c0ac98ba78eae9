//! The command line: clap definitions, turned into a validated configuration before any
//! work starts, and the commands themselves. Errors become exit codes in `main`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};

use crate::conformance::checks::{Check, Checker, RequestSummary, UnknownCheck};
use crate::conformance::recording;
use crate::conformance::report::Report;
use crate::contract::{self, CheckConfig, ExtraHeader, Progress};
use crate::document::load::{self, RefPolicy, Source};
use crate::mock::access::{AccessConfig, Cors};
use crate::mock::engine::{Engine, EngineConfig};
use crate::server::{ServerConfig, parse_size};
use crate::world::fixtures::FixtureSource;
use crate::world::persist::Loaded;

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
    /// A folder whose files the documents' `$ref`s may read, besides each document's own
    /// folder and the working directory (nothing else is read: a `$ref` to a file outside
    /// them is refused, symlinks and `..` resolved first). Repeatable.
    #[arg(long = "allow-ref-dir", value_name = "DIR")]
    pub allow_ref_dirs: Vec<PathBuf>,
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
    /// Keep every session's world in FILE: loaded at start (no file yet: the fixtures), saved
    /// atomically on shutdown (SIGINT, SIGTERM). A corrupt file, or one saved for other
    /// documents or fixtures, stops startup and is left as it is.
    #[arg(long, value_name = "FILE")]
    pub state_file: Option<PathBuf>,
    /// Most named sessions (X-Understudy-Session) kept at once; a new name past this takes
    /// the place of the session idle the longest, whose world is dropped.
    #[arg(long, value_name = "N", default_value_t = crate::world::state::MAX_SESSIONS)]
    pub max_sessions: usize,
    #[command(flatten)]
    pub access: AccessArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// The serve flags for who may reach the server.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Access")]
pub struct AccessArgs {
    /// Require `Authorization: Bearer TOKEN` on the control API (/__admin/).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "UNDERSTUDY_ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,
    /// Another host name the server answers to (besides localhost and its own IP
    /// addresses); repeatable or comma-separated; `*` for any. Requests naming other hosts
    /// get 421 (on the control API always, on the APIs when listening on loopback).
    #[arg(long = "allow-host", value_name = "NAME", value_delimiter = ',')]
    pub allow_hosts: Vec<String>,
    /// Which web origins may read the APIs' answers: `any`, `off`, or origins separated by
    /// commas (http://localhost:3000,https://app.test). The control API never allows any.
    #[arg(long, value_name = "any|off|ORIGIN,...", default_value = "any")]
    pub cors: Cors,
}

impl AccessArgs {
    fn config(&self, listen: IpAddr) -> anyhow::Result<AccessConfig> {
        if self
            .admin_token
            .as_deref()
            .is_some_and(|t| t.trim().is_empty())
        {
            bail!("--admin-token (or UNDERSTUDY_ADMIN_TOKEN) must not be empty");
        }
        Ok(AccessConfig {
            listen,
            allowed_hosts: self
                .allow_hosts
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
            admin_token: self.admin_token.clone(),
            cors: self.cors.clone(),
        })
    }
}

/// The serve flags for limits and timeouts; defaults are [`ServerConfig::default`]'s.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Limits and timeouts")]
pub struct LimitArgs {
    /// Largest request body (bytes, or with a unit: 512KiB, 2MiB); a bigger one gets 413.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "1MiB")]
    pub max_body: usize,
    /// Longest request target (path and query); a longer one gets 414.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "8KiB")]
    pub max_uri: usize,
    /// Largest header section; a bigger one gets 431.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "16KiB")]
    pub max_header_size: usize,
    /// Most header lines; more get 431.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub max_headers: usize,
    /// Seconds a request head may take from its first byte; a slower client is disconnected.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub header_timeout: f64,
    /// Seconds a request body may take once its head is read; a slower one gets 408.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub body_timeout: f64,
    /// Seconds a keep-alive connection may sit idle before it is closed.
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub idle_timeout: f64,
    /// Seconds an answer may wait for a client that reads none of it; the client is then
    /// disconnected.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub write_timeout: f64,
    /// On SIGINT or SIGTERM: seconds requests in flight may take to finish before the
    /// server exits anyway.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub shutdown_grace: f64,
    /// Most connections served at once; more wait in the listen queue.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_connections: usize,
}

impl LimitArgs {
    /// The server configuration these flags give; zero limits and bad durations are refused.
    pub fn config(&self) -> anyhow::Result<ServerConfig> {
        for (flag, value) in [
            ("--max-uri", self.max_uri),
            ("--max-header-size", self.max_header_size),
            ("--max-headers", self.max_headers),
            ("--max-connections", self.max_connections),
        ] {
            if value == 0 {
                bail!("{flag} must be more than 0");
            }
        }
        let positive = |flag: &str, secs: f64| {
            let d = seconds(flag, secs)?;
            if d.is_zero() {
                bail!("{flag} must be more than 0 seconds");
            }
            Ok(d)
        };
        Ok(ServerConfig {
            max_body: self.max_body,
            max_uri: self.max_uri,
            max_header_bytes: self.max_header_size,
            max_headers: self.max_headers,
            header_timeout: positive("--header-timeout", self.header_timeout)?,
            body_timeout: positive("--body-timeout", self.body_timeout)?,
            idle_timeout: positive("--idle-timeout", self.idle_timeout)?,
            write_timeout: positive("--write-timeout", self.write_timeout)?,
            shutdown_grace: seconds("--shutdown-grace", self.shutdown_grace)?,
            max_connections: self.max_connections,
        })
    }
}

impl SpecArgs {
    fn sources(&self) -> Vec<Source> {
        if self.specs.is_empty() {
            load::bundled()
        } else {
            self.specs.iter().cloned().map(Source::File).collect()
        }
    }

    /// The folders `$ref`s may read; a missing or non-folder `--allow-ref-dir` is refused.
    fn ref_policy(&self) -> anyhow::Result<RefPolicy> {
        RefPolicy::allowing(&self.allow_ref_dirs).context("--allow-ref-dir")
    }

    /// Loads the documents these flags name and routes them.
    fn engine(&self, config: EngineConfig) -> anyhow::Result<Engine> {
        let config = EngineConfig {
            refs: self.ref_policy()?,
            ..config
        };
        load_engine(&self.sources(), config)
    }
}

/// Warnings logged per document at startup; the rest are counted.
const MAX_WARNINGS_SHOWN: usize = 20;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Ending> {
    init_logging(cli.log_format);
    let ending = match cli.command {
        Command::Serve(args) => serve(args).map(|()| Ending::Success),
        Command::Routes(args) => routes(&args).map(|()| Ending::Success),
        Command::Validate(args) => validate(&args),
        Command::Check(args) => check(&args),
    };
    crate::server::logsink::flush();
    ending
}

fn load_engine(sources: &[Source], config: EngineConfig) -> anyhow::Result<Engine> {
    let loaded = Engine::load(sources, config);
    release_freed_memory();
    match loaded {
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

/// Gives the memory loading used and freed (parsed text, the validation views, compiler
/// scratch) back to the system. glibc keeps freed memory in its arenas otherwise, and the
/// resident size after loading GitHub's description stayed at its peak.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only returns free pages of glibc's heap to the kernel; it takes
    // no pointer and leaves every live allocation where it is.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn routes(args: &SpecArgs) -> anyhow::Result<()> {
    let engine = args.engine(EngineConfig::default())?;
    for api in engine.apis() {
        for op in &api.operations {
            println!("{:<7} {:<55} {}", op.method.as_str(), op.route, op.id);
        }
    }
    Ok(())
}

fn validate(args: &ValidateArgs) -> anyhow::Result<Ending> {
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

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let server_config = args.limits.config()?;
    if args.max_sessions == 0 {
        bail!("--max-sessions must be more than 0");
    }
    let config = EngineConfig {
        seed: args.seed,
        check_responses: args.check_responses,
        fixtures: match &args.fixtures {
            Some(dir) => FixtureSource::Dir(dir.clone()),
            None => FixtureSource::Bundled,
        },
        max_sessions: args.max_sessions,
        access: args.access.config(args.host)?,
        // `SpecArgs::engine` sets `refs` from --allow-ref-dir.
        ..EngineConfig::default()
    };
    if let Some(warning) = exposure_warning(args.host, config.access.admin_token.is_some()) {
        tracing::warn!(host = %args.host, "{warning}");
    }
    let engine = Arc::new(args.specs.engine(config)?);
    let state_file = args.state_file.clone();
    if let Some(path) = &state_file {
        load_state(&engine, path)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let server_engine = engine.clone();
    let served = runtime.block_on(async move {
        let addr = SocketAddr::new(args.host, args.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr().context("no local address")?;
        for api in server_engine.apis() {
            tracing::info!(
                document = %api.name,
                mount = if api.mount.is_empty() { "/" } else { api.mount.as_str() },
                operations = api.operations.len(),
                "serving {}",
                api.title
            );
        }
        let shutdown = shutdown_signal();
        tracing::info!(address = %local, startup_ms = started.elapsed().as_millis() as u64, "listening on http://{local}");
        crate::server::run(listener, server_engine, server_config, shutdown).await;
        tracing::info!("stopped");
        anyhow::Ok(())
    });
    // `run` returned after in-flight requests finished (or were aborted past the grace
    // period); whatever is left ends with the runtime, so no write lands after the save.
    drop(runtime);
    served?;
    if let Some(path) = &state_file {
        let sessions = engine.save_state(path)?;
        tracing::info!(path = %path.display(), sessions, "saved {sessions} session(s) to the state file");
    }
    Ok(())
}

/// What to warn of when listening on `host`: an address other machines can reach, with the
/// control API open to them (no admin token).
fn exposure_warning(host: IpAddr, admin_token: bool) -> Option<String> {
    (!host.is_loopback() && !admin_token).then(|| {
        format!(
            "listening on {host}, which other machines can reach, with no admin token: anyone \
             who reaches this port can read and reset every session through /__admin/; give \
             --admin-token (or UNDERSTUDY_ADMIN_TOKEN)"
        )
    })
}

/// Loads the state file into `engine` before the server listens; a refused file is an error.
fn load_state(engine: &Engine, path: &std::path::Path) -> anyhow::Result<()> {
    match engine.load_state(path)? {
        Loaded::Missing => tracing::info!(
            path = %path.display(),
            "no state file yet: starting from the fixtures (it is written at shutdown)"
        ),
        Loaded::Sessions { restored, dropped } => {
            tracing::info!(
                path = %path.display(),
                sessions = restored,
                "loaded {restored} session(s) from the state file"
            );
            if dropped > 0 {
                tracing::warn!(
                    path = %path.display(),
                    dropped,
                    max_sessions = engine.sessions().max_named(),
                    "left out the {dropped} session(s) used the longest ago: the state file \
                     has more named sessions than --max-sessions"
                );
            }
        }
    }
    Ok(())
}

/// Listens for SIGINT and SIGTERM from now on (so a signal sent as soon as the address is
/// logged is not the default, fatal one); the future completes on the first. Needs the
/// runtime.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {},
                        _ = terminate.recv() => {},
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("UNDERSTUDY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(crate::server::logsink::MakeLine(
            crate::server::logsink::stderr(),
        ));
    match format {
        LogFormat::Text => {
            if builder
                .event_format(crate::server::logline::TextLine)
                .try_init()
                .is_ok()
            {
                crate::server::logline::direct_to(crate::server::logsink::stderr());
            }
        }
        LogFormat::Json => {
            let _ = builder.json().flatten_event(true).try_init();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve_args(flags: &[&str]) -> ServeArgs {
        let cli = Cli::try_parse_from(["understudy", "serve"].iter().chain(flags))
            .unwrap_or_else(|e| panic!("{e}"));
        match cli.command {
            Command::Serve(args) => args,
            other => panic!("not serve: {other:?}"),
        }
    }

    #[test]
    fn listening_where_other_machines_reach_without_an_admin_token_is_warned_of() {
        let ip = |text: &str| text.parse::<IpAddr>().expect("an address");
        for open in ["0.0.0.0", "::", "192.168.1.20"] {
            let warning = exposure_warning(ip(open), false).expect("a warning");
            assert!(warning.contains("--admin-token"), "{warning}");
            assert_eq!(
                exposure_warning(ip(open), true),
                None,
                "{open} with a token"
            );
        }
        for local in ["127.0.0.1", "127.0.0.2", "::1"] {
            assert_eq!(exposure_warning(ip(local), false), None, "{local}");
        }
    }

    #[test]
    fn access_flags_become_the_access_configuration() {
        let args = serve_args(&[
            "--allow-host=Mock.Internal,other.test",
            "--allow-host=third.test",
            "--cors=http://localhost:3000",
            "--admin-token=s3cret",
            "--max-sessions=7",
        ]);
        assert_eq!(args.max_sessions, 7);
        let access = args
            .access
            .config(IpAddr::from([0, 0, 0, 0]))
            .expect("valid");
        assert_eq!(
            access.allowed_hosts,
            ["mock.internal", "other.test", "third.test"]
        );
        assert_eq!(access.admin_token.as_deref(), Some("s3cret"));
        assert_eq!(
            access.cors,
            Cors::Origins(vec!["http://localhost:3000".to_owned()])
        );
        let defaults = serve_args(&[]);
        assert_eq!(defaults.max_sessions, crate::world::state::MAX_SESSIONS);
        assert_eq!(
            defaults
                .access
                .config(IpAddr::from([127, 0, 0, 1]))
                .expect("valid")
                .cors,
            Cors::Any
        );
        assert!(
            serve_args(&["--admin-token= "])
                .access
                .config(IpAddr::from([127, 0, 0, 1]))
                .is_err()
        );
        assert!(Cli::try_parse_from(["understudy", "serve", "--cors=ftp://x"]).is_err());
    }

    #[test]
    fn serve_limit_defaults_are_the_server_config_defaults() {
        let config = serve_args(&[]).limits.config().unwrap();
        assert_eq!(config, ServerConfig::default());
    }

    #[test]
    fn serve_limit_flags_take_sizes_with_units_and_seconds() {
        let config = serve_args(&[
            "--max-body=2MiB",
            "--max-uri=100",
            "--max-header-size=1KiB",
            "--max-headers=7",
            "--header-timeout=0.25",
            "--body-timeout=1.5",
            "--idle-timeout=2",
            "--write-timeout=0.5",
            "--shutdown-grace=0",
            "--max-connections=3",
        ])
        .limits
        .config()
        .unwrap();
        assert_eq!(config.max_body, 2 * 1024 * 1024);
        assert_eq!(config.max_uri, 100);
        assert_eq!(config.max_header_bytes, 1024);
        assert_eq!(config.max_headers, 7);
        assert_eq!(config.header_timeout.as_millis(), 250);
        assert_eq!(config.body_timeout.as_millis(), 1500);
        assert_eq!(config.idle_timeout.as_secs(), 2);
        assert_eq!(config.write_timeout.as_millis(), 500);
        assert!(config.shutdown_grace.is_zero());
        assert_eq!(config.max_connections, 3);
    }

    #[test]
    fn allow_ref_dir_is_repeatable_and_shared_by_every_command_that_loads_documents() {
        let here = env!("CARGO_MANIFEST_DIR");
        let args = serve_args(&["--allow-ref-dir", here, "--allow-ref-dir=tests"]);
        assert_eq!(args.specs.allow_ref_dirs.len(), 2);
        for command in ["routes", "validate", "check"] {
            let mut argv = vec!["understudy", command, "--allow-ref-dir", here];
            argv.extend(match command {
                "validate" => &["x.har"][..],
                "check" => &["--url", "http://127.0.0.1:1"][..],
                _ => &[][..],
            });
            assert!(Cli::try_parse_from(&argv).is_ok(), "{command}");
        }
    }

    #[test]
    fn an_allow_ref_dir_that_is_not_a_folder_stops_the_command() {
        let args = serve_args(&["--allow-ref-dir", "/no/such/folder/understudy"]);
        let e = args.specs.ref_policy().unwrap_err();
        let text = format!("{e:#}");
        assert!(text.contains("--allow-ref-dir"), "{text}");
        assert!(text.contains("/no/such/folder/understudy"), "{text}");
    }

    #[test]
    fn serve_limit_flags_refuse_zero_limits_timeouts_and_bad_sizes() {
        for flag in [
            "--max-headers=0",
            "--max-connections=0",
            "--header-timeout=0",
        ] {
            assert!(serve_args(&[flag]).limits.config().is_err(), "{flag}");
        }
        assert!(serve_args(&["--idle-timeout=-1"]).limits.config().is_err());
        assert!(serve_args(&["--write-timeout=0"]).limits.config().is_err());
        let parsed = Cli::try_parse_from(["understudy", "serve", "--max-body=1 parsec"]);
        assert!(parsed.is_err());
    }
}
