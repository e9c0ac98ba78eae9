//! `understudy serve`: the engine loaded, the state file read, the server run until a signal
//! (reloading on `POST /__admin/reload`, and on changes with `--watch`), the state file
//! written.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use anyhow::{Context, bail};

use crate::mock::delay::DelayFlag;
use crate::mock::engine::{Engine, EngineConfig};
use crate::mock::reload::{Live, Recipe};
use crate::world::fixtures::FixtureSource;
use crate::world::persist::Loaded;

use super::ServeArgs;

pub(super) fn serve(mut args: ServeArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    // `understudy mock api.yaml` (Prism's way) is `--spec api.yaml`.
    args.specs.specs.append(&mut args.documents);
    let server_config = args.limits.config()?;
    if args.max_sessions == 0 {
        bail!("--max-sessions must be more than 0");
    }
    let mut delay = None;
    let mut operation_delays = Vec::new();
    for flag in &args.delay {
        match flag {
            DelayFlag::All(_) if delay.is_some() => bail!(
                "--delay for every answer is given twice: give it once (OPERATIONID=MS delays \
                 one operation)"
            ),
            DelayFlag::All(d) => delay = Some(*d),
            DelayFlag::Operation(id, d) => operation_delays.push((id.clone(), *d)),
        }
    }
    let config = EngineConfig {
        seed: args.seed,
        check_responses: args.check_responses || args.errors,
        dynamic: args.dynamic,
        errors: args.errors,
        fixtures: match &args.fixtures {
            Some(dir) => FixtureSource::Dir(dir.clone()),
            None => FixtureSource::Bundled,
        },
        max_sessions: args.max_sessions,
        delay,
        operation_delays,
        faults: args.fault.clone(),
        allow_off_spec_stubs: args.allow_off_spec_stubs,
        access: args.access.config(args.host)?,
        // `SpecArgs::engine` sets `refs` from --allow-ref-dir.
        ..EngineConfig::default()
    };
    if let Some(warning) = exposure_warning(args.host, config.access.admin_token.is_some()) {
        tracing::warn!(host = %args.host, "{warning}");
    }
    let engine = Arc::new(args.specs.engine(config)?);
    if let Some(dir) = &args.stubs {
        let count = engine.load_stubs(dir)?;
        tracing::info!(dir = %dir.display(), stubs = count, "loaded {count} stub(s) every session starts with");
    }
    let tls = args.tls.config()?;
    let state_file = args.state_file.clone();
    if let Some(path) = &state_file {
        load_state(&engine, path)?;
    }
    let live = Live::new(
        engine,
        Recipe {
            sources: args.specs.sources(),
            stubs: args.stubs.clone(),
        },
    );
    if args.watch {
        super::watch::start(live.clone(), args.fixtures.clone());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let handler = Arc::new(live.clone());
    let served = runtime.block_on(async move {
        let addr = SocketAddr::new(args.host, args.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr().context("no local address")?;
        // Not kept past the start: after a reload, the first engine is freed.
        let first = handler.current();
        for api in first.apis() {
            tracing::info!(
                document = %api.name,
                mount = if api.mount.is_empty() { "/" } else { api.mount.as_str() },
                operations = api.operations.len(),
                "serving {}",
                api.title
            );
        }
        drop(first);
        let shutdown = shutdown_signal();
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(address = %local, startup_ms = started.elapsed().as_millis() as u64, "listening on {scheme}://{local}");
        match tls {
            Some(tls) => {
                crate::server::run_tls(listener, handler, server_config, tls, shutdown).await;
            }
            None => crate::server::run(listener, handler, server_config, shutdown).await,
        }
        tracing::info!("stopped");
        anyhow::Ok(())
    });
    // `run` returned after in-flight requests finished (or were aborted past the grace
    // period); whatever is left ends with the runtime, so no write lands after the save.
    drop(runtime);
    served?;
    if let Some(path) = &state_file {
        // The engine serving at the end (a reload may have replaced the first), with no
        // reload under way while it is saved.
        let sessions = live.with_settled(|engine| engine.save_state(path))?;
        tracing::info!(path = %path.display(), sessions, "saved {sessions} session(s) to the state file");
    }
    Ok(())
}

/// What to warn of when listening on `host`: an address other machines can reach, with the
/// control API open to them (no admin token).
pub(super) fn exposure_warning(host: IpAddr, admin_token: bool) -> Option<String> {
    (!host.is_loopback() && !admin_token).then(|| {
        format!(
            "listening on {host}, which other machines can reach, with no admin token: anyone \
             who reaches this port can read and reset every session through /__admin/; give \
             --admin-token (or UNDERSTUDY_ADMIN_TOKEN)"
        )
    })
}

/// Loads the state file into `engine` before the server listens; a refused file is an error.
pub(super) fn load_state(engine: &Engine, path: &std::path::Path) -> anyhow::Result<()> {
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
pub(super) fn shutdown_signal() -> impl std::future::Future<Output = ()> {
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
