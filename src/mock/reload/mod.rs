//! Reloading while serving (`serve --watch`, `POST /__admin/reload`): one path for both. A
//! whole new [`Engine`] is built from the same sources and configuration (documents,
//! fixtures, `--stubs DIR`), the sessions are carried over from the engine serving now
//! (`world::carry`, stubs compiled again against the new documents), and the new engine takes
//! its place. A load that fails changes nothing: the old engine keeps serving, and every
//! problem is logged and returned.
//!
//! - `report`: what a reload did, or why it did not, in the log and as the control API's
//!   answer.
//!
//! Implementation rationale: the engine serving now sits in an `RwLock<Arc<Engine>>`; each
//! request clones the `Arc` under the read lock (held for that clone only, never across an
//! `.await`) and is answered by that engine to its end, so requests in flight finish on the
//! old engine while new ones reach the new one. Building the new engine, the slow part, holds
//! no lock the requests take; carrying the sessions over holds the write lock, so no new
//! request lands on the old sessions while they are copied. One reload runs at a time.

mod report;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use http::{Method, header};

use crate::document::load::Source;
use crate::mock::admin;
use crate::mock::engine::Engine;
use crate::mock::message::{MockRequest, Outcome, push_header};
use crate::mock::stubs;
use crate::world::carry::{Side, carry};

pub use report::{ReloadError, Reloaded};

/// The control endpoint that reloads.
pub const RELOAD_PATH: &str = "/__admin/reload";

/// How an engine is built again: its sources, and the folder of the stubs every session
/// starts with. The rest of the configuration is the engine's own.
#[derive(Debug, Clone)]
pub struct Recipe {
    pub sources: Vec<Source>,
    pub stubs: Option<PathBuf>,
}

/// The engine serving now, which a reload replaces; cheap to clone (one handle).
#[derive(Clone)]
pub struct Live {
    shared: Arc<Shared>,
}

struct Shared {
    current: RwLock<Arc<Engine>>,
    recipe: Recipe,
    /// Held by a reload from start to end, and by whoever needs the engine not to change
    /// under it ([`Live::with_settled`]).
    reloading: Mutex<()>,
}

impl Live {
    /// `engine`, built from `recipe`, serving until a reload replaces it.
    pub fn new(engine: Arc<Engine>, recipe: Recipe) -> Live {
        Live {
            shared: Arc::new(Shared {
                current: RwLock::new(engine),
                recipe,
                reloading: Mutex::new(()),
            }),
        }
    }

    /// The engine serving now.
    pub fn current(&self) -> Arc<Engine> {
        self.shared
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn recipe(&self) -> &Recipe {
        &self.shared.recipe
    }

    /// `f` on the engine serving now, with no reload under way until it returns (the state
    /// file is saved this way at shutdown).
    pub fn with_settled<R>(&self, f: impl FnOnce(&Engine) -> R) -> R {
        let _settled = self
            .shared
            .reloading
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        f(&self.current())
    }

    /// Builds the engine again and carries the sessions over (see the module doc); blocks
    /// for as long as loading takes, so call it off the request path. Logs what it did, or
    /// every problem that kept it from doing it.
    pub fn reload(&self) -> Result<Reloaded, ReloadError> {
        let _one_at_a_time = self
            .shared
            .reloading
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let old = self.current();
        let new = match build(&self.shared.recipe, &old) {
            Ok(engine) => engine,
            Err(e) => {
                report::log_refused(&e);
                return Err(e);
            }
        };
        let mut changed = report::changes(&old, &new);
        let mut current = self
            .shared
            .current
            .write()
            .unwrap_or_else(|p| p.into_inner());
        let carried = carry(&side(&old), &side(&new), &|definition| {
            stubs::restore(&new, definition)
        });
        if let (true, Some(dir)) = (carried.default_stubs_replaced, &self.shared.recipe.stubs) {
            changed.push(format!("the stubs of {}", dir.display()));
        }
        let documents = new.apis().iter().map(|a| a.name.clone()).collect();
        *current = Arc::new(new);
        drop(current);
        // Freed now unless a request in flight still holds it (then when that one ends).
        drop(old);
        crate::document::release_freed_memory();
        let reloaded = Reloaded {
            documents,
            changed,
            carried,
        };
        reloaded.log();
        Ok(reloaded)
    }

    /// The answer to a request for [`RELOAD_PATH`] before it reloads: `Some` when it is
    /// refused (who may call the control API, and only `POST`).
    pub fn refuse(&self, req: &MockRequest) -> Option<Outcome> {
        if let Err(denied) = self.current().config().access.control(&req.headers) {
            return Some(admin::denied(&denied));
        }
        if req.method != Method::POST {
            let detail = format!("{} is not allowed on {RELOAD_PATH}.", req.method);
            let mut outcome = admin::problem(405, detail);
            push_header(&mut outcome.response, header::ALLOW, "POST");
            return Some(outcome);
        }
        None
    }
}

/// Whether `req` asks for [`RELOAD_PATH`].
pub fn is_reload(req: &MockRequest) -> bool {
    req.path.trim_end_matches('/') == RELOAD_PATH
}

/// The answer to `POST /__admin/reload`: 200 with what it did, 422 with every problem.
pub fn answer(result: &Result<Reloaded, ReloadError>) -> Outcome {
    match result {
        Ok(reloaded) => admin::json_answer(reloaded.to_json()),
        Err(e) => report::refused_answer(e),
    }
}

/// A new engine from `recipe`, with `old`'s configuration.
fn build(recipe: &Recipe, old: &Engine) -> Result<Engine, ReloadError> {
    let engine =
        Engine::load(&recipe.sources, old.config().clone()).map_err(ReloadError::Documents)?;
    if let Some(dir) = &recipe.stubs {
        engine.load_stubs(dir)?;
    }
    Ok(engine)
}

fn side(engine: &Engine) -> Side<'_> {
    Side {
        names: engine.apis().iter().map(|a| a.name.as_str()).collect(),
        fixture_texts: engine.fixture_texts(),
        sessions: engine.sessions(),
    }
}

/// Every local file the documents of `engine` were read from (each document and every file
/// its `$ref`s reached), for `--watch`; documents given by URL or embedded have none.
pub fn local_files(engine: &Engine) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = engine
        .apis()
        .iter()
        .flat_map(|api| api.resources.files().map(|(uri, _)| uri))
        .filter(|uri| uri.starts_with("file:"))
        .filter_map(|uri| url::Url::parse(uri).ok()?.to_file_path().ok())
        .filter(|path| Path::exists(path))
        .collect();
    files.sort();
    files.dedup();
    files
}
