//! understudy in a test's own process: [`MockServer`], started from documents (the bundled
//! ones by default) on `127.0.0.1` and a free port, with the same strictness, state, stubs
//! and journal as `understudy serve`, and stopped when dropped.
//!
//! ```
//! # fn main() -> Result<(), understudy::StartError> {
//! let server = understudy::MockServer::builder().seed(7).start_blocking()?;
//! assert!(server.uri().starts_with("http://127.0.0.1:"));
//! // ... point the client under test at server.uri(), run it, then ask what it sent:
//! assert!(server.requests().is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! Implementation rationale: the server runs on a thread of its own with its own runtime,
//! whichever way it was started. A test on `#[tokio::test]`'s single-threaded runtime that
//! calls a blocking client would otherwise starve a server spawned on that same runtime, and
//! a plain `#[test]` has no runtime at all. The handle's methods read and change the engine
//! directly (no HTTP round trip), so they are plain functions, usable from either kind of
//! test.

mod received;
mod stub;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::document::load::Source;
use crate::mock::engine::{Engine, EngineConfig};
use crate::mock::stubs::StubError;
use crate::server::ServerConfig;
use crate::world::fixtures::FixtureSource;
use crate::world::state::Session;

pub use received::{Received, ReceivedViolation};
pub use stub::{Fault, Stub, StubRefused};

/// How long requests in flight may take to finish once the handle is dropped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Why a [`MockServer`] did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A document or fixture could not be served; every problem, as `understudy serve`
    /// prints them.
    #[error("the documents cannot be served:\n{0}")]
    Load(String),
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(#[source] std::io::Error),
    #[error("cannot start the server's thread or runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The server's thread ended before it said it was listening (a bug in understudy).
    #[error("the server's thread stopped before it was ready")]
    Stopped,
}

/// A document to serve: a file, or the text of one.
#[derive(Debug, Clone)]
pub enum Spec {
    File(PathBuf),
    /// YAML or JSON text, under a name used in messages.
    Text {
        name: String,
        text: String,
    },
}

impl From<&Path> for Spec {
    fn from(path: &Path) -> Spec {
        Spec::File(path.to_owned())
    }
}

impl From<PathBuf> for Spec {
    fn from(path: PathBuf) -> Spec {
        Spec::File(path)
    }
}

/// A path, or the document itself when it reads as one (it has a line break, or starts
/// with `{`): `spec("api.yaml")` and `spec(include_str!("api.yaml"))` both work.
impl From<&str> for Spec {
    fn from(text: &str) -> Spec {
        if text.contains('\n') || text.trim_start().starts_with('{') {
            Spec::Text {
                name: "inline".to_owned(),
                text: text.to_owned(),
            }
        } else {
            Spec::File(PathBuf::from(text))
        }
    }
}

impl From<String> for Spec {
    fn from(text: String) -> Spec {
        Spec::from(text.as_str())
    }
}

/// What to serve, and how; [`MockServer::builder`] makes one.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until started"]
pub struct MockServerBuilder {
    specs: Vec<Spec>,
    fixtures: Option<PathBuf>,
    seed: u64,
    check_responses: bool,
}

impl MockServerBuilder {
    /// Serves this document (repeatable); with none, the bundled ones.
    pub fn spec(mut self, spec: impl Into<Spec>) -> MockServerBuilder {
        self.specs.push(spec.into());
        self
    }

    /// The bundled APIs' starting worlds from `dir` (`alumio.yaml`, `gitbook.yaml`,
    /// `arize.yaml`) instead of the bundled fixtures.
    pub fn fixtures(mut self, dir: impl Into<PathBuf>) -> MockServerBuilder {
        self.fixtures = Some(dir.into());
        self
    }

    /// Seeds generated data: the same seed gives the same bodies (default 0).
    pub fn seed(mut self, seed: u64) -> MockServerBuilder {
        self.seed = seed;
        self
    }

    /// Whether every answer is checked against the document, and one that breaks it marked
    /// with `X-Understudy-Response-Violations` (default: on).
    pub fn check_responses(mut self, on: bool) -> MockServerBuilder {
        self.check_responses = on;
        self
    }

    /// Starts the server and waits until it listens.
    pub async fn start(self) -> Result<MockServer, StartError> {
        let (ready, started) = oneshot::channel();
        let thread = self.spawn(ready)?;
        let answer = started.await;
        MockServer::ready(answer, thread)
    }

    /// [`MockServerBuilder::start`] for a test without an async runtime. Not to be called from async
    /// code (it blocks the thread until the server listens): use `start().await` there.
    pub fn start_blocking(self) -> Result<MockServer, StartError> {
        let (ready, started) = oneshot::channel();
        let thread = self.spawn(ready)?;
        let answer = started.blocking_recv();
        MockServer::ready(answer, thread)
    }

    fn sources(&self) -> Vec<Source> {
        if self.specs.is_empty() {
            return crate::document::load::bundled();
        }
        self.specs
            .iter()
            .map(|spec| match spec {
                Spec::File(path) => Source::File(path.clone()),
                Spec::Text { name, text } => Source::Text {
                    name: name.clone(),
                    text: text.clone(),
                },
            })
            .collect()
    }

    fn config(&self) -> EngineConfig {
        EngineConfig {
            seed: self.seed,
            check_responses: self.check_responses,
            fixtures: match &self.fixtures {
                Some(dir) => FixtureSource::Dir(dir.clone()),
                None => FixtureSource::Bundled,
            },
            ..EngineConfig::default()
        }
    }

    /// The server's thread: loads, listens, says so on `ready`, serves until told to stop.
    fn spawn(
        self,
        ready: oneshot::Sender<Ready>,
    ) -> Result<std::thread::JoinHandle<()>, StartError> {
        std::thread::Builder::new()
            .name("understudy-mock".to_owned())
            .spawn(move || serve(self, ready))
            .map_err(StartError::Runtime)
    }
}

/// What the server's thread hands back once it listens: where, the engine, and how to stop
/// it; or why it could not start.
type Ready = Result<(SocketAddr, Arc<Engine>, oneshot::Sender<()>), StartError>;

fn serve(builder: MockServerBuilder, ready: oneshot::Sender<Ready>) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("understudy-mock")
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(StartError::Runtime(e)));
            return;
        }
    };
    let engine = match Engine::load(&builder.sources(), builder.config()) {
        Ok(engine) => Arc::new(engine),
        Err(failures) => {
            let all: Vec<String> = failures.iter().map(ToString::to_string).collect();
            let _ = ready.send(Err(StartError::Load(all.join("\n"))));
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(("127.0.0.1", 0)).await {
            Ok(listener) => listener,
            Err(e) => {
                let _ = ready.send(Err(StartError::Bind(e)));
                return;
            }
        };
        let addr = match listener.local_addr() {
            Ok(addr) => addr,
            Err(e) => {
                let _ = ready.send(Err(StartError::Bind(e)));
                return;
            }
        };
        let (stop, stopped) = oneshot::channel::<()>();
        if ready.send(Ok((addr, engine.clone(), stop))).is_err() {
            return; // Whoever started it is gone.
        }
        let config = ServerConfig {
            shutdown_grace: SHUTDOWN_GRACE,
            ..ServerConfig::default()
        };
        crate::server::run(listener, engine, config, async {
            // Told to stop, or the handle is gone: either way, stop.
            let _ = stopped.await;
        })
        .await;
    });
}

/// A running mock server on `127.0.0.1`; stopped (requests in flight finish, for up to a
/// second) when dropped.
///
/// Its methods act on the default session, the one requests without an
/// `X-Understudy-Session` header share; [`MockServer::session`] reaches a named one.
pub struct MockServer {
    addr: SocketAddr,
    engine: Arc<Engine>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MockServer {
    /// A server of the bundled documents, seeded with 0, unless told otherwise.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder {
            specs: Vec::new(),
            fixtures: None,
            seed: 0,
            check_responses: true,
        }
    }

    fn ready(
        answer: Result<Ready, oneshot::error::RecvError>,
        thread: std::thread::JoinHandle<()>,
    ) -> Result<MockServer, StartError> {
        match answer {
            Ok(Ok((addr, engine, stop))) => Ok(MockServer {
                addr,
                engine,
                stop: Some(stop),
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(StartError::Stopped)
            }
        }
    }

    /// `http://127.0.0.1:PORT`, to point a client at (the documents' paths follow it).
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// The default session.
    fn default_session(&self) -> SessionHandle<'_> {
        self.session("")
    }

    /// The session requests name with `X-Understudy-Session: NAME` (made from the fixtures
    /// on first use), so tests sharing one server keep apart.
    pub fn session(&self, name: &str) -> SessionHandle<'_> {
        SessionHandle {
            engine: &self.engine,
            name: name.to_owned(),
        }
    }

    /// Back to a clean start, as wiremock's `reset` is: the world to the fixtures, the
    /// journal emptied, every stub dropped and every scenario back to `started`.
    pub fn reset(&self) {
        self.default_session().reset();
    }

    /// Adds `stub` (checked against the operation it names, as `POST /__admin/stubs` checks
    /// it); its id.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use understudy::{MockServer, Stub};
    /// let server = MockServer::builder().start_blocking()?;
    /// // GitBook's list declares 200 and 404: a 404 with GitBook's error body fits.
    /// let id = server.stub(
    ///     Stub::on("GET", "/v1/spaces/{spaceId}/permissions/users")
    ///         .status(404)
    ///         .body(serde_json::json!({"error": {"code": 404, "message": "Not found"}}))
    ///         .times(1),
    /// )?;
    /// assert_eq!(server.stubs()[0]["id"], id.as_str());
    /// // A 503 the operation does not declare is refused, with the reason.
    /// let refused = server.stub(Stub::operation("listUserPermissionsInSpace").status(503));
    /// assert_eq!(refused.unwrap_err().status, 400);
    /// # Ok(())
    /// # }
    /// ```
    pub fn stub(&self, stub: impl Into<Stub>) -> Result<String, StubRefused> {
        self.default_session().stub(stub)
    }

    /// The stubs, in the order they are consulted, each as the control API lists it (with
    /// `matched` and `remaining`).
    pub fn stubs(&self) -> Vec<serde_json::Value> {
        self.default_session().stubs()
    }

    /// The requests the server received, oldest first (the last 1,000).
    pub fn requests(&self) -> Vec<Received> {
        self.default_session().requests()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panic on the server's thread is already reported there.
            let _ = thread.join();
        }
    }
}

/// One session of a [`MockServer`]: its world, journal and stubs.
pub struct SessionHandle<'s> {
    engine: &'s Engine,
    name: String,
}

impl SessionHandle<'_> {
    /// The header that puts a request in this session: add it to every request the client
    /// under test sends.
    pub fn header(&self) -> (&'static str, &str) {
        ("X-Understudy-Session", &self.name)
    }

    fn get(&self) -> Arc<Session> {
        self.engine.sessions().get(&self.name)
    }

    /// Back to a clean start: the world to the fixtures, the journal emptied, every stub
    /// dropped and every scenario back to `started`.
    pub fn reset(&self) {
        let session = self.get();
        session.reset(self.engine.sessions().behaviours());
        session.clear_journal();
        // Stubs and scenario states go together.
        session.with_stub_book(|book| book.clear());
    }

    /// [`MockServer::stub`], in this session.
    pub fn stub(&self, stub: impl Into<Stub>) -> Result<String, StubRefused> {
        let stub = stub.into();
        match self.engine.add_stub(&self.name, stub.json()) {
            Ok(listed) => Ok(listed["id"].as_str().unwrap_or_default().to_owned()),
            Err(error) => Err(refused(&error)),
        }
    }

    /// [`MockServer::stubs`], in this session.
    pub fn stubs(&self) -> Vec<serde_json::Value> {
        self.get()
            .with_stub_book(|book| book.stubs().iter().map(|s| s.to_json()).collect())
    }

    /// The state of `scenario` (`started` until a stub moves it).
    pub fn scenario(&self, scenario: &str) -> String {
        self.get()
            .with_stub_book(|book| book.state_of(scenario).to_owned())
    }

    /// The requests this session received, oldest first (the last 1,000).
    pub fn requests(&self) -> Vec<Received> {
        self.get()
            .journal()
            .into_iter()
            .filter_map(|entry| serde_json::from_value(entry).ok())
            .collect()
    }
}

fn refused(error: &StubError) -> StubRefused {
    let violations = match error {
        StubError::Breaks { violations, .. } => {
            violations.iter().map(ToString::to_string).collect()
        }
        _ => Vec::new(),
    };
    StubRefused {
        status: error.status(),
        message: error.to_string(),
        violations,
    }
}
