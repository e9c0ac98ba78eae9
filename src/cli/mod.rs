//! The command line: clap definitions, turned into a validated configuration before any
//! work starts, and the commands themselves. Errors become exit codes in `main`.

use clap::{Parser, Subcommand, ValueEnum};

use crate::document::load::Source;
use crate::mock::engine::{Engine, EngineConfig};

mod args;
mod judge;
mod proxy;
mod serve;
mod watch;

pub use args::*;
use judge::{check, validate};
use serve::serve;

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
    /// Serve the documents over HTTP (or HTTPS). `mock DOC...` is the same as
    /// `serve --spec DOC...`, for Prism users.
    #[command(visible_alias = "mock")]
    Serve(ServeArgs),
    /// List each method, full path and operationId that would be served (with --warnings:
    /// every warning about the documents instead).
    Routes(RoutesArgs),
    /// Check recorded traffic (HAR files, JSON Lines of request/response pairs) against the
    /// documents, offline. Exit code 0: every check passed; 1: some failed; 2: it could not
    /// run (an unreadable recording or document).
    Validate(ValidateArgs),
    /// Send requests generated from the documents to a live server and judge its answers
    /// with the named checks; every failure is shrunk to a minimal request and printed with a
    /// curl command. Then stateful stories (create, read, update, delete, read) judged by
    /// use_after_free and ensure_resource_availability. Exit code 0: every check passed; 1:
    /// some failed; 2: it could not run (an unreachable or https:// URL, a bad document,
    /// --max-time spent before any request was sent).
    Check(CheckArgs),
    /// Stand between a client and the real API (--upstream): forward every request, judge
    /// the request and the answer with the named checks (as validate does), and mark the
    /// answer with X-Understudy-Violations when anything broke.
    Proxy(ProxyArgs),
}

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

/// Warnings logged per document at startup; the rest are counted (`--show-warnings` logs
/// them all).
const MAX_WARNINGS_SHOWN: usize = 20;

#[derive(Debug, clap::Args)]
pub struct RoutesArgs {
    #[command(flatten)]
    pub specs: SpecArgs,
    /// Print every warning about the documents (`DOCUMENT: WARNING`, one a line) instead of
    /// the routes.
    #[arg(long)]
    pub warnings: bool,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Ending> {
    init_logging(cli.log_format);
    let ending = match cli.command {
        Command::Serve(args) => serve(args).map(|()| Ending::Success),
        Command::Routes(args) => routes(&args).map(|()| Ending::Success),
        Command::Validate(args) => validate(&args),
        Command::Check(args) => check(&args),
        Command::Proxy(args) => proxy::proxy(args),
    };
    crate::server::logsink::flush();
    ending
}

/// How many of each document's warnings loading logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WarningLog {
    /// The first [`MAX_WARNINGS_SHOWN`], then a count and the command that shows them all.
    First,
    /// Every one (`--show-warnings`).
    All,
    /// None: the caller prints them (`routes --warnings`).
    None,
}

fn load_engine(
    sources: &[Source],
    config: EngineConfig,
    warnings: WarningLog,
) -> anyhow::Result<Engine> {
    let loaded = Engine::load(sources, config);
    crate::document::release_freed_memory();
    let engine = loaded.map_err(|failures| {
        let text: Vec<String> = failures.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("{}", text.join("\n"))
    })?;
    let shown = match warnings {
        WarningLog::First => MAX_WARNINGS_SHOWN,
        WarningLog::All => usize::MAX,
        WarningLog::None => return Ok(engine),
    };
    for api in engine.apis() {
        for w in api.warnings.iter().take(shown) {
            tracing::warn!(document = %api.name, "{w}");
        }
        if api.warnings.len() > shown {
            tracing::warn!(
                document = %api.name,
                "... and {} more warnings (`{}` shows them all)",
                api.warnings.len() - shown,
                show_warnings_command(std::env::args())
            );
        }
    }
    Ok(engine)
}

/// The command line that was run, with `--show-warnings` added: what the hint after the
/// first warnings tells to run. Words with spaces or quotes are quoted for a POSIX shell.
fn show_warnings_command(argv: impl Iterator<Item = String>) -> String {
    let mut words = vec!["understudy".to_owned()];
    words.extend(argv.skip(1).map(|word| {
        let plain = !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c));
        if plain {
            word
        } else {
            format!("'{}'", word.replace('\'', "'\\''"))
        }
    }));
    words.push("--show-warnings".to_owned());
    words.join(" ")
}

fn routes(args: &RoutesArgs) -> anyhow::Result<()> {
    if args.warnings {
        let engine = args.specs.load(EngineConfig::default(), WarningLog::None)?;
        for api in engine.apis() {
            for w in &api.warnings {
                println!("{}: {w}", api.name);
            }
        }
        return Ok(());
    }
    let engine = args.specs.engine(EngineConfig::default())?;
    for api in engine.apis() {
        for op in &api.operations {
            println!("{:<7} {:<55} {}", op.method.as_str(), op.route, op.id);
        }
    }
    Ok(())
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
    use std::net::IpAddr;

    use super::serve::exposure_warning;
    use super::*;
    use crate::mock::access::Cors;
    use crate::server::ServerConfig;

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

    #[test]
    fn prisms_command_line_is_understood_mock_with_documents_p_host_names_d_and_errors() {
        let cli = Cli::try_parse_from([
            "understudy",
            "mock",
            "api.yaml",
            "https://example.test/other.json",
            "-p",
            "4011",
            "--host",
            "localhost",
            "-d",
            "--errors",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let Command::Serve(args) = cli.command else {
            panic!("mock is serve");
        };
        assert_eq!(
            args.documents,
            [
                DocumentArg::File("api.yaml".into()),
                DocumentArg::Url(url::Url::parse("https://example.test/other.json").unwrap()),
            ]
        );
        assert_eq!(args.port, 4011);
        assert_eq!(args.host, IpAddr::from([127, 0, 0, 1]));
        assert!(args.dynamic && args.errors);
        for (host, ip) in [("0.0.0.0", "0.0.0.0"), ("::", "::"), ("[::1]", "::1")] {
            let parsed = serve_args(&["--host", host]).host;
            assert_eq!(parsed, ip.parse::<IpAddr>().expect("an address"), "{host}");
        }
        let defaults = serve_args(&[]);
        assert!(!defaults.dynamic && !defaults.errors && defaults.documents.is_empty());
        let listen = IpAddr::from([127, 0, 0, 1]);
        for (flags, cors) in [
            (&["--cors"][..], Cors::Any),
            (&["--cors", "--port=0"][..], Cors::Any),
            (&["--cors=false"][..], Cors::Off),
            (&["--cors", "true"][..], Cors::Any),
        ] {
            let access = serve_args(flags).access.config(listen).expect("valid");
            assert_eq!(access.cors, cors, "{flags:?}");
        }
    }

    #[test]
    fn a_document_argument_is_a_url_only_for_http_and_https_and_another_scheme_is_refused() {
        let arg = |text: &str| text.parse::<DocumentArg>();
        assert!(matches!(
            arg("HTTP://example.test/a.yaml"),
            Ok(DocumentArg::Url(_))
        ));
        assert!(matches!(arg("dir/a.yaml"), Ok(DocumentArg::File(_))));
        assert!(matches!(arg("odd name://x.yaml"), Ok(DocumentArg::File(_))));
        let e = arg("ftp://example.test/a.yaml").expect_err("not fetched");
        assert!(e.to_string().contains("only http:// and https://"), "{e}");
        let parsed = Cli::try_parse_from(["understudy", "routes", "--spec", "file:///a.yaml"]);
        assert!(parsed.is_err());
    }

    #[test]
    fn the_warnings_hint_is_the_command_line_that_was_run_with_show_warnings() {
        let argv = ["/usr/bin/understudy", "routes", "--spec", "my api.json"];
        assert_eq!(
            show_warnings_command(argv.iter().map(|a| (*a).to_owned())),
            "understudy routes --spec 'my api.json' --show-warnings"
        );
    }

    #[test]
    fn tls_flags_take_a_certificate_with_its_key_or_a_self_signed_one_never_both() {
        let tls = serve_args(&["--tls-cert=c.pem", "--tls-key=k.pem"]).tls;
        assert_eq!(tls.tls_cert.as_deref(), Some(std::path::Path::new("c.pem")));
        assert!(
            serve_args(&["--tls-self-signed", "--tls-dir=/tmp/x"])
                .tls
                .tls_self_signed
        );
        for bad in [
            &["--tls-cert=c.pem"][..],
            &["--tls-key=k.pem"][..],
            &["--tls-dir=/tmp/x"][..],
            &["--tls-self-signed", "--tls-cert=c.pem", "--tls-key=k.pem"][..],
        ] {
            let argv = ["understudy", "serve"].iter().chain(bad);
            assert!(Cli::try_parse_from(argv).is_err(), "{bad:?}");
        }
    }
}
