//! `understudy proxy`: the engine loaded (routes, checks, the mock's answers), the proxy run
//! on `serve`'s edge until a signal, the reports written.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;

use crate::mock::engine::EngineConfig;
use crate::proxy::record::{Recorder, Redaction};
use crate::proxy::{Proxy, ProxyConfig};

use super::judge::write_reports;
use super::serve::{exposure_warning, shutdown_signal};
use super::{Ending, Fallback, ProxyArgs, seconds};

pub(super) fn proxy(args: ProxyArgs) -> anyhow::Result<Ending> {
    let server_config = args.limits.config()?;
    let upstream_timeout = seconds("--upstream-timeout", args.upstream_timeout)?;
    if upstream_timeout.is_zero() {
        anyhow::bail!("--upstream-timeout must be more than 0 seconds");
    }
    let extra_roots = match &args.ca_file {
        Some(path) => crate::proxy::read_ca_file(path).context("--ca-file")?,
        None => Vec::new(),
    };
    let config = EngineConfig {
        seed: args.seed,
        check_responses: false,
        access: args.access.config(args.host)?,
        ..EngineConfig::default()
    };
    if let Some(warning) = exposure_warning(args.host, config.access.admin_token.is_some()) {
        tracing::warn!(host = %args.host, "{warning}");
    }
    let engine = Arc::new(args.specs.engine(config)?);
    let tls = args.tls.config()?;
    let recorder = match &args.record {
        Some(path) => {
            let redaction = (!args.record_secrets).then(|| Redaction::of(&engine));
            let recorder = Recorder::create(path, redaction)
                .with_context(|| format!("cannot write the recording {}", path.display()))?;
            Some(recorder)
        }
        None => None,
    };
    let proxy = Proxy::new(
        engine,
        ProxyConfig {
            upstream: args.upstream.clone(),
            upstream_timeout,
            errors: args.errors,
            fallback_to_mock: args.fallback == Some(Fallback::Mock),
            checks: args.checks.clone().map(|c| c.0).unwrap_or_default(),
            keep_report: args.report.is_some() || args.junit.is_some(),
            extra_roots,
        },
    );
    let proxy = Arc::new(match recorder {
        Some(recorder) => proxy.with_recorder(recorder),
        None => proxy,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let served = proxy.clone();
    let upstream = args.upstream.clone();
    runtime.block_on(async move {
        let addr = SocketAddr::new(args.host, args.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr().context("no local address")?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(address = %local, upstream = %format!("{}{}", upstream.origin, upstream.base),
            "listening on {scheme}://{local}, forwarding to {}{}", upstream.origin, upstream.base);
        match tls {
            Some(tls) => {
                crate::server::run_tls(listener, served, server_config, tls, shutdown_signal())
                    .await;
            }
            None => crate::server::run(listener, served, server_config, shutdown_signal()).await,
        }
        tracing::info!("stopped");
        anyhow::Ok(())
    })?;
    drop(runtime);
    match proxy.finish_recording() {
        Some(Ok((path, entries))) => {
            tracing::info!(file = %path.display(), entries, "the recording is written");
        }
        Some(Err(e)) => tracing::error!("the recording could not be finished: {e}"),
        None => {}
    }
    match proxy.take_report() {
        Some((report, left_out)) => {
            if left_out > 0 {
                tracing::info!(
                    left_out,
                    "the report leaves out {left_out} passing exchange(s) past the first {}",
                    crate::proxy::MAX_PASSING_KEPT
                );
            }
            print!("{}", report.text());
            write_reports(&report, args.report.as_deref(), args.junit.as_deref())
        }
        None => Ok(Ending::Success),
    }
}
