//! What the edge asks to answer a request it has read whole: a [`Handler`]. `serve` hands
//! it the mock ([`Engine`], inside [`Live`], which a reload replaces); `proxy` its proxy,
//! which forwards. Both share everything else of
//! the edge (limits, timeouts, logging, shutdown).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use crate::mock::engine::Engine;
use crate::mock::message::{MockRequest, Outcome};
use crate::mock::reload::{self, Live};
use crate::operation::respond::Fault;

/// An answer, and the failed checks the log line names besides the outcome's violations.
#[derive(Debug, Clone)]
pub struct Handled {
    pub outcome: Outcome,
    /// Each failed check in words (`check: expected ..., got ...`); empty for the mock.
    pub failures: Vec<String>,
    /// How long the answer was held back on purpose (`Prefer: delay=`, `--delay`, a stub's
    /// `delay_ms`).
    pub delayed: Option<Duration>,
    /// How the answer's delivery breaks on purpose (`Prefer: fault=`, a stub's `fault`,
    /// `--fault`): the edge applies it.
    pub fault: Option<Fault>,
}

impl From<Outcome> for Handled {
    fn from(outcome: Outcome) -> Self {
        Handled {
            outcome,
            failures: Vec::new(),
            delayed: None,
            fault: None,
        }
    }
}

/// Answers the requests the edge has read (within the limits).
pub trait Handler: Send + Sync + 'static {
    /// The answer to `req`.
    fn handle<'a>(&'a self, req: &'a MockRequest) -> impl Future<Output = Handled> + Send + 'a;

    /// The answer to a request refused at the edge (a limit, a bad `Host`), with `status`
    /// and `detail`, in the error format of the API its path belongs to.
    fn reject(&self, req: &MockRequest, status: u16, detail: String) -> Outcome;
}

impl Handler for Engine {
    /// The engine's answer, after the delay it asks for: a sleep on the runtime's timer, so
    /// the thread serves other requests meanwhile. The world changes (and the journal records
    /// the request) when the delay is over, as if the server had been slow.
    fn handle<'a>(&'a self, req: &'a MockRequest) -> impl Future<Output = Handled> + Send + 'a {
        let delayed = self.delay_of(req);
        async move {
            if let Some(delay) = delayed.filter(|d| !d.is_zero()) {
                tokio::time::sleep(delay).await;
            }
            let outcome = answer_safely(self, req);
            // A stub's delay is how long its answer takes in all: what was waited counts.
            let mut delayed = delayed;
            if let Some(total) = outcome.staged.delay {
                let waited = delayed.unwrap_or_default();
                if total > waited {
                    tokio::time::sleep(total - waited).await;
                    delayed = Some(total);
                }
            }
            let fault = outcome.staged.fault;
            let mut handled = Handled::from(outcome);
            handled.delayed = delayed;
            handled.fault = fault;
            handled
        }
    }

    fn reject(&self, req: &MockRequest, status: u16, detail: String) -> Outcome {
        Engine::reject(self, req, status, detail)
    }
}

impl Handler for Live {
    /// The answer of the engine serving now, which the request keeps to its end (a reload
    /// meanwhile serves the next requests). `POST /__admin/reload` reloads on a blocking
    /// thread, so the runtime's threads keep serving while documents load.
    async fn handle(&self, req: &MockRequest) -> Handled {
        if reload::is_reload(req) {
            if let Some(refused) = self.refuse(req) {
                return Handled::from(refused);
            }
            let live = self.clone();
            let outcome = match tokio::task::spawn_blocking(move || live.reload()).await {
                Ok(result) => reload::answer(&result),
                Err(e) => {
                    tracing::error!("the reload panicked: {e}");
                    let engine = self.current();
                    engine.reject(
                        req,
                        500,
                        "The reload failed: a bug in understudy (its log says more); the \
                         documents loaded before are still served."
                            .to_owned(),
                    )
                }
            };
            return Handled::from(outcome);
        }
        let engine = self.current();
        Handler::handle(&*engine, req).await
    }

    fn reject(&self, req: &MockRequest, status: u16, detail: String) -> Outcome {
        self.current().reject(req, status, detail)
    }
}

/// The engine's answer. A panic is a bug, but it must not cost the client its answer (nor
/// the connection its other requests): it becomes a 500 in the API's format, and the log says
/// what broke. The engine's locks tolerate poisoning, so later requests are served as usual.
pub fn answer_safely(engine: &Engine, req: &MockRequest) -> Outcome {
    match std::panic::catch_unwind(AssertUnwindSafe(|| engine.handle(req))) {
        Ok(outcome) => outcome,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(method = %req.method, path = %req.path, "the mock panicked: {what}");
            engine.reject(
                req,
                500,
                "The mock failed while answering this request: a bug in understudy (its log \
                 says more)."
                    .to_owned(),
            )
        }
    }
}
