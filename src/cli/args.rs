//! The arguments of each command, as clap reads them, and their checks into configurations.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};

use crate::conformance::checks::{Check, UnknownCheck};
use crate::contract::{BadUrl, ExtraHeader};
use crate::document::fetch::FetchLimits;
use crate::document::load::{self, RefPolicy, Source};
use crate::mock::access::{AccessConfig, Cors};
use crate::mock::engine::{Engine, EngineConfig};
use crate::server::{ServerConfig, parse_size, tls};

use super::{WarningLog, load_engine};

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The server to check: `http://host:port`, optionally with a path prefix (a prefix that
    /// ends with the document's mount is not sent twice). Plain HTTP only: an https:// URL is
    /// refused.
    #[arg(long, value_name = "URL", value_parser = parse_url)]
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
    /// Stop after this many seconds (loading the documents and generating requests count)
    /// and report what ran; exit code 2 when the time ran out before any request was sent.
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

/// A `--url` `check` can send to, refused up front otherwise (an https:// one, once).
fn parse_url(text: &str) -> Result<String, BadUrl> {
    crate::contract::target::parse(text).map(|_| text.to_owned())
}

/// How a command that ran ended; errors (it could not run) are the other way.

#[derive(Debug, clap::Args)]
pub struct SpecArgs {
    /// An OpenAPI document (YAML or JSON) to serve instead of the bundled ones: a file, or an
    /// http:// or https:// URL fetched at start (its relative `$ref`s too, from the same
    /// origin only). Repeatable: each document is mounted at the path of its first server URL.
    #[arg(long = "spec", value_name = "FILE|URL")]
    pub specs: Vec<DocumentArg>,
    /// A folder whose files the documents' `$ref`s may read, besides each document's own
    /// folder and the working directory (nothing else is read: a `$ref` to a file outside
    /// them is refused, symlinks and `..` resolved first). Repeatable.
    #[arg(long = "allow-ref-dir", value_name = "DIR")]
    pub allow_ref_dirs: Vec<PathBuf>,
    /// Log every warning about the documents at start, not only the first 20 of each.
    #[arg(long)]
    pub show_warnings: bool,
    /// Seconds a document given by URL (and each file its `$ref`s reach) may take to fetch.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub fetch_timeout: f64,
}

/// A document named on the command line: a file, or a URL to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentArg {
    File(PathBuf),
    Url(url::Url),
}

/// Why a document argument is refused before anything is read.
#[derive(Debug, thiserror::Error)]
pub enum BadDocumentArg {
    #[error("`{0}` is not a valid URL: {1}")]
    Url(String, url::ParseError),
    #[error("`{0}`: only http:// and https:// documents are fetched (or give a file path)")]
    Scheme(String),
}

impl std::str::FromStr for DocumentArg {
    type Err = BadDocumentArg;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let Some((scheme, _)) = text.split_once("://") else {
            return Ok(DocumentArg::File(PathBuf::from(text)));
        };
        // A scheme is letters, digits, `+`, `-` and `.`; anything else before `://` is a
        // path that happens to contain it.
        if scheme.is_empty()
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Ok(DocumentArg::File(PathBuf::from(text)));
        }
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(BadDocumentArg::Scheme(text.to_owned()));
        }
        url::Url::parse(text)
            .map(DocumentArg::Url)
            .map_err(|e| BadDocumentArg::Url(text.to_owned(), e))
    }
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub specs: SpecArgs,
    /// Documents to serve, as --spec gives them (`understudy mock api.yaml` as with Prism).
    #[arg(value_name = "FILE|URL")]
    pub documents: Vec<DocumentArg>,
    /// Address to listen on: an IP address or a name resolved at start (`localhost`).
    #[arg(long, default_value = "127.0.0.1", value_parser = parse_host)]
    pub host: IpAddr,
    /// Port to listen on (0 picks a free one and prints it).
    #[arg(short, long, default_value_t = 4010)]
    pub port: u16,
    /// Answer with data generated from the schemas, anew for every request, even where the
    /// document has examples (Prism's --dynamic); `Prefer: example=NAME` still picks one.
    /// Stateful answers (the bundled APIs', CRUD's) stay as they are.
    #[arg(short, long)]
    pub dynamic: bool,
    /// Never send an answer that breaks the document: check every answer (as
    /// --check-responses does) and send a 500 naming the violations in its place (Prism's
    /// --errors). Invalid requests get the API's errors with or without it.
    #[arg(long)]
    pub errors: bool,
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
    /// Hold back every answer of the served APIs (never the control API's) by MS
    /// milliseconds, or by a time drawn uniformly from MIN-MAX (from --seed); at most 60000.
    /// OPERATIONID=MS or OPERATIONID=MIN-MAX holds back one operation's answers (repeatable;
    /// an operationId no document declares stops startup). `Prefer: delay=MS` on a request
    /// overrides both.
    #[arg(long, value_name = "[OPERATIONID=]MS|MIN-MAX")]
    pub delay: Vec<crate::mock::delay::DelayFlag>,
    /// Break answers of the served APIs on purpose (never the control API's): KIND is reset,
    /// empty, truncated or malformed; PERCENT (1-100, default 100) the share of answers
    /// broken, drawn from --seed. OPERATIONID=KIND[:PERCENT] breaks one operation's
    /// (repeatable). `Prefer: fault=` on a request and a stub's fault come first.
    #[arg(long, value_name = "[OPERATIONID=]KIND[:PERCENT]")]
    pub fault: Vec<crate::mock::faults::FaultFlag>,
    /// A folder of stubs (`*.json`, `*.yaml`, `*.yml`; one stub or an array per file, in the
    /// format `POST /__admin/stubs` takes) every session starts with. A refused stub stops
    /// startup.
    #[arg(long, value_name = "DIR")]
    pub stubs: Option<PathBuf>,
    /// Reload when a document (or a file its $refs read), a fixture file or a stub file
    /// changes: sessions keep their worlds where the new documents fit them, and a change
    /// that does not load is logged while the old documents keep serving. Documents given
    /// by URL are not watched (`POST /__admin/reload` reloads them, with or without this).
    #[arg(long)]
    pub watch: bool,
    /// Take stubs whose answers break the spec, or whose paths no document has (for the rare
    /// test that needs a broken server).
    #[arg(long)]
    pub allow_off_spec_stubs: bool,
    #[command(flatten)]
    pub tls: TlsArgs,
    #[command(flatten)]
    pub access: AccessArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, clap::Args)]
pub struct ProxyArgs {
    /// The real API: `http[s]://host[:port]`, optionally with a base path every forwarded
    /// path is put under.
    #[arg(long, value_name = "URL")]
    pub upstream: crate::proxy::UpstreamUrl,
    /// A PEM file of certificates to trust for an https:// upstream, besides the public
    /// roots (a private or self-signed CA).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    #[command(flatten)]
    pub specs: SpecArgs,
    /// Address to listen on: an IP address or a name resolved at start (`localhost`).
    #[arg(long, default_value = "127.0.0.1", value_parser = parse_host)]
    pub host: IpAddr,
    /// Port to listen on (0 picks a free one and prints it).
    #[arg(short, long, default_value_t = 4010)]
    pub port: u16,
    /// Seconds the upstream may take from the request's first byte to its answer's last; a
    /// slower one gets 504.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub upstream_timeout: f64,
    /// Answer an invalid request with the API's own error (as serve does) instead of
    /// forwarding it, and replace an upstream answer that breaks the contract with 502.
    #[arg(long)]
    pub errors: bool,
    /// `mock`: answer from the mock when the upstream is unreachable or answers 501
    /// (the answer says so in X-Understudy-Fallback).
    #[arg(long, value_name = "mock")]
    pub fallback: Option<Fallback>,
    /// The checks to judge each exchange by, separated by commas (default: all of them).
    #[arg(long, value_name = "CHECK,...", value_parser = parse_checks)]
    pub checks: Option<CheckList>,
    /// At shutdown, write the JSON report of `validate --json`: every failing exchange and
    /// the check that failed.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// At shutdown, write the report as JUnit XML.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write every exchange to FILE as HAR 1.2 (what `validate` reads), as FILE.tmp until
    /// shutdown; credentials, cookies and the documents' api keys are redacted.
    #[arg(long, value_name = "FILE.har")]
    pub record: Option<PathBuf>,
    /// Keep credentials, cookies and api keys in the --record file.
    #[arg(long, requires = "record")]
    pub record_secrets: bool,
    /// Seed of the mock's generated data (for --errors and --fallback answers).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub tls: TlsArgs,
    #[command(flatten)]
    pub access: AccessArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// The flags for serving HTTPS.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "TLS")]
pub struct TlsArgs {
    /// Serve HTTPS with the certificate chain in this PEM file (with --tls-key).
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_key",
        conflicts_with = "tls_self_signed"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate for localhost, 127.0.0.1 and ::1 made at start; its
    /// PEM files are written to --tls-dir (default: a new temporary folder) and the log
    /// names the certificate, for clients to trust.
    #[arg(long)]
    pub tls_self_signed: bool,
    /// Where --tls-self-signed writes `cert.pem` and `key.pem`.
    #[arg(long, value_name = "DIR", requires = "tls_self_signed")]
    pub tls_dir: Option<PathBuf>,
}

impl TlsArgs {
    /// The rustls settings to serve HTTPS with, `None` for plain HTTP. A self-signed
    /// certificate is made and written now, and the log says where.
    pub(super) fn config(&self) -> anyhow::Result<Option<Arc<rustls::ServerConfig>>> {
        if self.tls_self_signed {
            let made = tls::self_signed(self.tls_dir.as_deref()).context("--tls-self-signed")?;
            tracing::info!(
                cert = %made.cert.display(),
                key = %made.key.display(),
                "serving HTTPS with a certificate made now for {}: clients trust {}",
                tls::SELF_SIGNED_NAMES.join(", "),
                made.cert.display()
            );
            return Ok(Some(made.config));
        }
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => tls::from_pem_files(cert, key)
                .map(Some)
                .context("--tls-cert and --tls-key"),
            // clap requires both or neither.
            _ => Ok(None),
        }
    }
}

/// `--host`: an IP address, or a name resolved now (`localhost` is 127.0.0.1, an IPv4 address
/// preferred where a name has both).
fn parse_host(text: &str) -> Result<IpAddr, String> {
    if let Ok(ip) = text.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(ip);
    }
    if text.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::from([127, 0, 0, 1]));
    }
    use std::net::ToSocketAddrs;
    let addrs: Vec<IpAddr> = (text, 0)
        .to_socket_addrs()
        .map_err(|e| format!("`{text}` is neither an IP address nor a name that resolves: {e}"))?
        .map(|a| a.ip())
        .collect();
    addrs
        .iter()
        .find(|ip| ip.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("`{text}` resolves to no address"))
}

/// What answers when the upstream cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fallback {
    Mock,
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
    /// `--cors` alone is `any`; Prism's `true` and `false` are `any` and `off`.
    #[arg(
        long,
        value_name = "any|off|ORIGIN,...",
        default_value = "any",
        num_args = 0..=1,
        default_missing_value = "any",
        value_parser = parse_cors
    )]
    pub cors: Cors,
}

/// `--cors`, with Prism's boolean spellings besides ours.
fn parse_cors(text: &str) -> Result<Cors, String> {
    match text.trim() {
        "true" => Ok(Cors::Any),
        "false" => Ok(Cors::Off),
        other => other.parse(),
    }
}

impl AccessArgs {
    pub(super) fn config(&self, listen: IpAddr) -> anyhow::Result<AccessConfig> {
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
    pub(super) fn sources(&self) -> Vec<Source> {
        if self.specs.is_empty() {
            load::bundled()
        } else {
            self.specs
                .iter()
                .map(|d| match d {
                    DocumentArg::File(path) => Source::File(path.clone()),
                    DocumentArg::Url(url) => Source::Url(url.clone()),
                })
                .collect()
        }
    }

    /// The folders `$ref`s may read (a missing or non-folder `--allow-ref-dir` is refused),
    /// and how documents given by URL are fetched.
    pub(super) fn ref_policy(&self) -> anyhow::Result<RefPolicy> {
        let timeout = seconds("--fetch-timeout", self.fetch_timeout)?;
        if timeout.is_zero() {
            bail!("--fetch-timeout must be more than 0 seconds");
        }
        let policy = RefPolicy::allowing(&self.allow_ref_dirs).context("--allow-ref-dir")?;
        Ok(policy.fetching(FetchLimits {
            timeout,
            ..FetchLimits::default()
        }))
    }

    /// Loads the documents these flags name and routes them, logging their warnings as
    /// `--show-warnings` says.
    pub(super) fn engine(&self, config: EngineConfig) -> anyhow::Result<Engine> {
        let warnings = if self.show_warnings {
            WarningLog::All
        } else {
            WarningLog::First
        };
        self.load(config, warnings)
    }

    pub(super) fn load(
        &self,
        config: EngineConfig,
        warnings: WarningLog,
    ) -> anyhow::Result<Engine> {
        let config = EngineConfig {
            refs: self.ref_policy()?,
            ..config
        };
        load_engine(&self.sources(), config, warnings)
    }
}

pub(super) fn seconds(what: &str, secs: f64) -> anyhow::Result<std::time::Duration> {
    std::time::Duration::try_from_secs_f64(secs)
        .ok()
        .with_context(|| format!("{what} must be a number of seconds, not {secs}"))
}
