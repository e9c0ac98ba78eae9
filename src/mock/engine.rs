//! The mock itself: a request in, an answer out, with no HTTP library in sight.
//!
//! Dispatch: `/__admin/` to the control API, then the session named by the request, then the
//! router: unknown paths are 404, other methods 405 with `Allow`, `OPTIONS` answers CORS
//! preflights, and a routed request is answered by an `Exchange` (credentials, parameters,
//! body, behaviour or static answer). Every error is rendered in the format the operation's
//! (or the document's) spec gives, and every request lands in its session's journal.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, Method};

use crate::document::load::{RefPolicy, Source};
use crate::document::problems::{LoadError, Problem, Problems};
use crate::mock::access::AccessConfig;
use crate::mock::admin;
pub use crate::mock::delay::Delay;
use crate::mock::exchange::{Exchange, PREFER};
use crate::mock::faults::{FaultFlag, Faults};
use crate::mock::message::{ErrorScope, push_header, refuse};
pub use crate::mock::message::{MockRequest, MockResponse, Outcome, RESPONSE_VIOLATIONS};
use crate::mock::rejection::RequestError;
use crate::mock::router::{RouteMatch, RouteSpec, Router, common_prefix};
use crate::mock::stubs;
use crate::operation::api::{Api, Operation};
use crate::operation::errors::ErrorCatalog;
use crate::operation::respond::{Fault, Prefer};
use crate::world::behaviour::Installed;
use crate::world::fixtures::{self, FixtureSource};
use crate::world::persist::{self, Loaded, StateFileError};
use crate::world::state::{MAX_SESSIONS, SESSION_HEADER, Session, Sessions, valid_session_name};

/// [`SESSION_HEADER`] as a header name, made once.
static SESSION: HeaderName = HeaderName::from_static(SESSION_HEADER);

/// Where a request leads: [`Engine::route_of`].
#[derive(Debug)]
pub enum Routed<'e, 'p> {
    Operation {
        api: &'e Api,
        op: &'e Operation,
        /// The path parameters' raw (percent-encoded) values, in template order.
        raw_params: Vec<&'p str>,
    },
    /// The path is served, the method is not: what is allowed (as `Allow` lists it).
    MethodNotAllowed {
        api: &'e Api,
        allowed: Vec<Method>,
    },
    NotFound,
}

/// Settings of the mock that are not in any document.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Seeds generated data: same seed, same bodies.
    pub seed: u64,
    /// Validate every answer against the spec (tests turn this on).
    pub check_responses: bool,
    /// Where the bundled APIs' starting worlds come from.
    pub fixtures: FixtureSource,
    /// Most named sessions kept at once; a new one past this takes the place of the one
    /// idle the longest.
    pub max_sessions: usize,
    /// Who may reach the control API and the served APIs, and CORS (see `access`).
    pub access: AccessConfig,
    /// Which files the documents' `$ref`s may read (see `ref_policy`).
    pub refs: RefPolicy,
    /// How long every answer of the served APIs waits (`--delay`); `Prefer: delay=` on a
    /// request overrides it.
    pub delay: Option<Delay>,
    /// How long the answers of one operation wait (`--delay OPERATIONID=MS`), by
    /// operationId; before `delay`, after `Prefer: delay=`.
    pub operation_delays: Vec<(String, Delay)>,
    /// Answers broken on purpose, of every operation or of one (`--fault`).
    pub faults: Vec<FaultFlag>,
    /// Take stubs whose answers break the spec, or whose paths no document has
    /// (`--allow-off-spec-stubs`).
    pub allow_off_spec_stubs: bool,
    /// Answer from data generated anew for every request even where the document has
    /// examples, as `Prefer: dynamic=true` asks (`--dynamic`); `Prefer: example=` still wins.
    pub dynamic: bool,
    /// Replace an answer that breaks the document with a 500 naming what broke (`--errors`);
    /// needs `check_responses` to see more than undeclared statuses.
    pub errors: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            check_responses: cfg!(debug_assertions),
            fixtures: FixtureSource::Bundled,
            max_sessions: MAX_SESSIONS,
            access: AccessConfig::default(),
            refs: RefPolicy::default(),
            delay: None,
            operation_delays: Vec::new(),
            faults: Vec::new(),
            allow_off_spec_stubs: false,
            dynamic: false,
            errors: false,
        }
    }
}

pub struct Engine {
    apis: Vec<Api>,
    router: Router,
    config: EngineConfig,
    sessions: Sessions,
    /// Each API's fixture text (bundled APIs only), for the state file's fingerprint.
    fixture_texts: Vec<Option<String>>,
    /// Varies `Prefer: dynamic=true` answers from one request to the next.
    dynamic: AtomicU64,
    /// Counts the answers `--delay` delays, so a range draws a new delay each time.
    delayed: AtomicU64,
    /// `operation_delays` by (API, operation) index.
    operation_delays: std::collections::HashMap<(usize, usize), Delay>,
    /// `faults`, resolved to operations.
    faults: Faults,
}

impl Engine {
    /// Loads every source; fails with every problem of every document that cannot be served.
    /// Their `$ref`s read only the files `config.refs` allows.
    pub fn load(sources: &[Source], config: EngineConfig) -> Result<Engine, Vec<LoadError>> {
        let apis = Api::load_all(sources, &config.refs)?;
        Engine::new(apis, config).map_err(|e| vec![e])
    }

    /// Routes the given APIs; mount collisions and route conflicts fail.
    pub fn new(apis: Vec<Api>, config: EngineConfig) -> Result<Engine, LoadError> {
        let mut problems = Problems::default();
        for (i, a) in apis.iter().enumerate() {
            for b in &apis[..i] {
                if a.mount == b.mount {
                    problems.error(
                        &a.name,
                        "/servers/0/url",
                        format!(
                            "`{}` and `{}` are both mounted at `{}`: give one another server URL",
                            b.name,
                            a.name,
                            if a.mount.is_empty() { "/" } else { &a.mount }
                        ),
                    );
                }
            }
            for op in &a.operations {
                if op.route.starts_with("/__admin") {
                    problems.error(
                        &a.name,
                        &crate::document::refs::pointer_join("/paths", &[&op.template]),
                        "paths under /__admin/ are reserved for understudy's own control API",
                    );
                }
            }
        }
        let routes = apis.iter().enumerate().flat_map(|(ai, api)| {
            api.operations
                .iter()
                .enumerate()
                .map(move |(oi, op)| RouteSpec {
                    op: (ai, oi),
                    method: &op.method,
                    route: op.path(),
                    conditions: &op.routing.conditions,
                    written: &op.route,
                    file: &api.name,
                    pointer: crate::document::refs::pointer_join("/paths", &[&op.template]),
                })
        });
        let homes = apis
            .iter()
            .enumerate()
            .map(|(i, api)| {
                let home = if api.mount.is_empty() {
                    let prefix = common_prefix(api.operations.iter().map(|o| o.path()));
                    let first = prefix
                        .trim_start_matches('/')
                        .split('/')
                        .next()
                        .unwrap_or_default();
                    format!("/{first}")
                } else {
                    api.mount.clone()
                };
                (i, home)
            })
            .collect();
        let router = Router::build(routes, homes, &mut problems);
        let operation_delays =
            crate::mock::delay::by_operation(&apis, &config.operation_delays, &mut problems);
        let faults = Faults::new(&apis, &config.faults, &mut problems);
        let mut behaviours = Vec::with_capacity(apis.len());
        let mut fixture_texts = Vec::with_capacity(apis.len());
        for api in &apis {
            match fixtures::install(api, &config.fixtures) {
                Ok(installed) => {
                    behaviours.push(installed.behaviour);
                    fixture_texts.push(installed.fixture);
                }
                Err(e) => {
                    problems.error(&e.file, &e.entry, e.message);
                    behaviours.push(None);
                    fixture_texts.push(None);
                }
            }
        }
        if problems.has_errors() {
            return Err(LoadError {
                name: "the served documents".to_owned(),
                problems: problems.errors().cloned().collect::<Vec<Problem>>(),
            });
        }
        Ok(Engine {
            apis,
            router,
            sessions: Sessions::new(behaviours, config.max_sessions),
            config,
            fixture_texts,
            dynamic: AtomicU64::new(0),
            delayed: AtomicU64::new(0),
            operation_delays,
            faults,
        })
    }

    pub fn apis(&self) -> &[Api] {
        &self.apis
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// Each API's fixture text (bundled APIs only), by API index.
    pub fn fixture_texts(&self) -> &[Option<String>] {
        &self.fixture_texts
    }

    /// The served APIs and their sessions, as the state file sees them.
    pub fn served(&self) -> persist::Served<'_> {
        persist::Served {
            apis: &self.apis,
            fixture_texts: &self.fixture_texts,
            sessions: &self.sessions,
            restore_stub: Box::new(|definition| stubs::restore(self, definition)),
        }
    }

    /// Saves every session's world to the state file `path`, atomically (see `persist`);
    /// how many sessions were saved.
    pub fn save_state(&self, path: &Path) -> Result<usize, StateFileError> {
        persist::save(&self.served(), path)
    }

    /// Replaces every session with those of the state file `path`. A missing file is no
    /// error (the worlds stay the fixtures'; saving creates it); a file that cannot be read,
    /// is corrupt, of another format version or made for other documents or fixtures is
    /// refused, and so is a directory the file could not be saved in; nothing changes then.
    pub fn load_state(&self, path: &Path) -> Result<Loaded, StateFileError> {
        persist::load(&self.served(), path)
    }

    /// The behaviour of API `index`, if it has one.
    pub(crate) fn behaviour(&self, index: usize) -> Option<&Arc<dyn Installed>> {
        self.sessions
            .behaviours()
            .get(index)
            .and_then(Option::as_ref)
    }

    pub(crate) fn next_dynamic(&self) -> u64 {
        self.dynamic.fetch_add(1, Ordering::Relaxed)
    }

    /// What the request's `Prefer` header asks for; `None` without one, and for the
    /// control API, which is never delayed nor broken.
    fn prefer(&self, req: &MockRequest) -> Option<Prefer> {
        if is_control(&req.path) {
            return None;
        }
        let header = req.headers.get(&PREFER)?.to_str().ok()?;
        Some(Prefer::parse(Some(header)))
    }

    /// How long the answer to `req` waits: `Prefer: delay=` if it asks (`0`: not at all),
    /// else its operation's `--delay OPERATIONID=`, else `--delay`; never for the control
    /// API.
    pub fn delay_of(&self, req: &MockRequest) -> Option<Duration> {
        if is_control(&req.path) {
            return None;
        }
        if let Some(ms) = self.prefer(req).and_then(|p| p.delay) {
            return Some(Duration::from_millis(u64::from(ms)));
        }
        let of_operation = if self.operation_delays.is_empty() {
            None
        } else if let RouteMatch::Found { op, .. } = self.find(req) {
            self.operation_delays.get(&op).copied()
        } else {
            None
        };
        let delay = of_operation.or(self.config.delay)?;
        Some(self.draw_delay(delay))
    }

    /// The next draw of `delay` (a range draws anew each time, from `--seed`).
    pub(crate) fn draw_delay(&self, delay: Delay) -> Duration {
        let n = self.delayed.fetch_add(1, Ordering::Relaxed);
        delay.pick(self.config.seed, n)
    }

    /// How the delivery of the answer to `req` breaks when the request asks
    /// (`Prefer: fault=`); never for the control API. A stub's fault and `--fault` are the
    /// answer's: [`Outcome::staged`].
    pub fn fault_of(&self, req: &MockRequest) -> Option<Fault> {
        self.prefer(req).and_then(|p| p.fault)
    }

    /// The fault of the answer to `req`: the request's `Prefer: fault=`, else the stub's
    /// that answered, else `--fault`'s draw.
    fn final_fault(&self, req: &MockRequest, staged: Option<Fault>) -> Option<Fault> {
        self.fault_of(req).or(staged).or_else(|| {
            if self.faults.is_empty() {
                return None;
            }
            let op = match self.find(req) {
                RouteMatch::Found { op, .. } => Some(op),
                _ => None,
            };
            self.faults.draw(self.config.seed, op)
        })
    }

    /// Where a request leads among the served operations, without answering it: the contract
    /// checks use this to judge traffic the mock did not answer itself.
    pub fn route_of<'p>(&self, method: &Method, path: &'p str) -> Routed<'_, 'p> {
        self.routed(self.router.find(method, path))
    }

    /// [`Engine::route_of`] a whole request: where a key's discriminator (`/#X-Amz-Target=…`,
    /// `/{Bucket}?acl`) picks the operation, its query and headers count too.
    pub fn route_request<'p>(&self, req: &'p MockRequest) -> Routed<'_, 'p> {
        self.routed(self.find(req))
    }

    fn routed<'p>(&self, found: RouteMatch<'_, 'p>) -> Routed<'_, 'p> {
        match found {
            RouteMatch::Found { op, values, .. } => Routed::Operation {
                api: &self.apis[op.0],
                op: &self.apis[op.0].operations[op.1],
                raw_params: values,
            },
            RouteMatch::MethodNotAllowed { allowed, api } => Routed::MethodNotAllowed {
                api: &self.apis[api],
                allowed,
            },
            RouteMatch::NotFound { .. } => Routed::NotFound,
        }
    }

    /// Answers one request. Requests under `/__admin/` control the mock; every other request
    /// is answered in its session's world and recorded in its journal.
    pub fn handle(&self, req: &MockRequest) -> Outcome {
        let started = std::time::Instant::now();
        if is_control(&req.path) {
            // For the local user only: never CORS headers, and never a web page's request.
            return match self.config.access.control(&req.headers) {
                Ok(()) => admin::handle(self, req),
                Err(denied) => admin::denied(&denied),
            };
        }
        if let Err(denied) = self.config.access.api(&req.headers) {
            // Not this server's host (a DNS rebinding): no session is touched, no CORS.
            return self.refusal(req, denied.status(), denied.detail());
        }
        let session = match self.session_of(req, started) {
            Ok(s) => s,
            Err(mut outcome) => {
                self.add_cors(&req.headers, &mut outcome.response);
                return *outcome;
            }
        };
        let mut outcome = self.route(req, &session);
        if req.method == Method::HEAD {
            outcome.response.body = Bytes::new();
        }
        self.add_cors(&req.headers, &mut outcome.response);
        if let Some(first) = outcome.response_violations.first() {
            // Visible to the client, so a test suite notices a mock that breaks its spec.
            let note = format!("{}; first: {first}", outcome.response_violations.len());
            push_header(&mut outcome.response, RESPONSE_VIOLATIONS.clone(), &note);
        }
        outcome.staged.fault = self.final_fault(req, outcome.staged.fault);
        session.record(outcome.journal_entry(req, started));
        outcome
    }

    /// The session a request names in `X-Understudy-Session` (the default one without it),
    /// marked as used at `at`.
    pub(crate) fn session_of(
        &self,
        req: &MockRequest,
        at: std::time::Instant,
    ) -> Result<Arc<Session>, Box<Outcome>> {
        let name = match req.headers.get(&SESSION) {
            None => "",
            Some(v) => match v.to_str() {
                Ok(name) if valid_session_name(name) => name,
                _ => {
                    let error = RequestError::BadSession;
                    let catalog = ErrorCatalog::default();
                    let scope = ErrorScope::outside(&catalog, req, false);
                    return Err(Box::new(refuse(&scope, error, &req.path)));
                }
            },
        };
        Ok(self.sessions.get_at(name, at))
    }

    /// Answers a request the server could not read whole (a body over the limit), in the
    /// error format of the operation it was meant for.
    pub fn reject(&self, req: &MockRequest, status: u16, detail: String) -> Outcome {
        let mut outcome = self.refusal(req, status, detail);
        self.add_cors(&req.headers, &mut outcome.response);
        outcome
    }

    /// [`Engine::reject`] without CORS headers.
    fn refusal(&self, req: &MockRequest, status: u16, detail: String) -> Outcome {
        let error = RequestError::Edge { status, detail };
        let check = self.config.check_responses;
        let none = ErrorCatalog::default();
        match self.find(req) {
            RouteMatch::Found { op, .. } => {
                let api = &self.apis[op.0];
                let operation = &api.operations[op.1];
                let scope = ErrorScope::operation(self, api, operation, req, status);
                let mut o = refuse(&scope, error, &req.path);
                o.operation = Some(Arc::clone(&operation.id));
                o
            }
            RouteMatch::MethodNotAllowed { api, .. } | RouteMatch::NotFound { api: Some(api) } => {
                let scope = ErrorScope::outside(&self.apis[api].errors, req, check);
                refuse(&scope, error, &req.path)
            }
            RouteMatch::NotFound { api: None } => {
                refuse(&ErrorScope::outside(&none, req, check), error, &req.path)
            }
        }
    }

    /// Where a request leads: its path, method, and for keys with discriminators its query
    /// and headers.
    fn find<'p>(&self, req: &'p MockRequest) -> RouteMatch<'_, 'p> {
        self.router
            .find_request(&req.method, &req.path, req.query.as_deref(), &req.headers)
    }

    fn route(&self, req: &MockRequest, session: &Session) -> Outcome {
        let found = self.find(req);
        // A path no document serves may still be stubbed (`--allow-off-spec-stubs`).
        if self.config.allow_off_spec_stubs
            && !matches!(found, RouteMatch::Found { .. })
            && let Some(stubbed) = stubs::answer(self, session, None, req, None)
        {
            return stubbed;
        }
        match found {
            RouteMatch::Found { op, values, .. } => {
                let api = &self.apis[op.0];
                let operation = &api.operations[op.1];
                let mut outcome = Exchange {
                    engine: self,
                    api_index: op.0,
                    op_index: op.1,
                    api,
                    op: operation,
                    req,
                    raw_path_params: &values,
                    session,
                }
                .answer();
                outcome.operation = Some(Arc::clone(&operation.id));
                outcome
            }
            RouteMatch::MethodNotAllowed { allowed, api } => {
                if req.method == Method::OPTIONS {
                    let cors = self.config.access.cors_allows(&req.headers);
                    return crate::mock::access::preflight(req, &allowed, cors);
                }
                let allow = allowed
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                let error = RequestError::MethodNotAllowed {
                    method: req.method.clone(),
                    path: req.path.clone(),
                    allow,
                };
                let check = self.config.check_responses;
                let scope = ErrorScope::outside(&self.apis[api].errors, req, check);
                refuse(&scope, error, &req.path)
            }
            RouteMatch::NotFound { api } => {
                let error = RequestError::NotFound {
                    path: req.path.clone(),
                };
                let none = ErrorCatalog::default();
                let catalog = api.map_or(&none, |i| &self.apis[i].errors);
                let scope = ErrorScope::outside(catalog, req, self.config.check_responses);
                refuse(&scope, error, &req.path)
            }
        }
    }

    /// CORS headers on a served API's answer, as `--cors` says.
    fn add_cors(&self, request_headers: &HeaderMap, response: &mut MockResponse) {
        self.config
            .access
            .cors_headers(request_headers, &mut response.headers);
    }

    /// The seed of an operation's static generated bodies.
    pub(crate) fn static_seed(&self, api: &Api, op: &Operation, status: u16, media: &str) -> u64 {
        crate::seed::static_seed(self.config.seed, &api.name, &op.id, status, media)
    }
}

/// Whether `path` is the control API's.
fn is_control(path: &str) -> bool {
    path == "/__admin" || path.starts_with("/__admin/")
}
