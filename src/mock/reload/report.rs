//! What a reload did ([`Reloaded`]) or why it did nothing ([`ReloadError`]): one log line with
//! the counts, one per world started again and per stub dropped, and the control API's answer.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::document::problems::{LoadError, Severity};
use crate::mock::admin;
use crate::mock::engine::Engine;
use crate::mock::message::Outcome;
use crate::mock::stubs::files::StubFileError;
use crate::world::carry::Carried;

/// Why a reload changed nothing: the new documents (or stubs) do not load.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Documents(Vec<LoadError>),
    #[error(transparent)]
    Stubs(#[from] StubFileError),
}

impl ReloadError {
    /// Every problem, one sentence each (a document's errors, each at its place).
    pub fn problems(&self) -> Vec<String> {
        match self {
            ReloadError::Documents(failures) => failures
                .iter()
                .flat_map(|f| {
                    let errors: Vec<String> = f
                        .problems
                        .iter()
                        .filter(|p| p.severity == Severity::Error)
                        .map(ToString::to_string)
                        .collect();
                    if errors.is_empty() {
                        vec![f.to_string()]
                    } else {
                        errors
                    }
                })
                .collect(),
            ReloadError::Stubs(e) => vec![e.to_string()],
        }
    }
}

/// What a reload did.
#[derive(Debug)]
pub struct Reloaded {
    /// The documents served now, by name.
    pub documents: Vec<String>,
    /// The files added, changed or removed (paths; URLs for documents given by URL), and
    /// `fixtures of NAME` for each API whose fixture text changed, and `the stubs of DIR` when
    /// those of `--stubs DIR` changed.
    pub changed: Vec<String>,
    pub carried: Carried,
}

impl Reloaded {
    /// The control API's answer (documented in `docs/serving.md`).
    pub fn to_json(&self) -> Value {
        let c = &self.carried;
        json!({
            "reloaded": true,
            "documents": self.documents,
            "changed": self.changed,
            "sessions": c.sessions,
            "kept": c.kept,
            "restarted": c.restarted.iter().map(|r| json!({
                "session": r.session, "api": r.api, "reason": r.reason,
            })).collect::<Vec<_>>(),
            "stubsDropped": c.stubs_dropped.iter().map(|d| json!({
                "session": d.session, "stub": d.stub, "reason": d.reason,
            })).collect::<Vec<_>>(),
            "defaultStubsReplaced": c.default_stubs_replaced,
        })
    }

    /// One line with the counts, then one per world started again and per stub dropped.
    pub fn log(&self) {
        let c = &self.carried;
        let changed = if self.changed.is_empty() {
            "nothing".to_owned()
        } else {
            self.changed.join(", ")
        };
        tracing::info!(
            changed = %changed,
            sessions = c.sessions,
            "reloaded: {}, {} kept, {} restarted from fixtures, {} dropped",
            counted(self.documents.len(), "document"),
            counted(c.kept, "session"),
            counted(c.restarted.len(), "world"),
            counted(c.stubs_dropped.len(), "stub"),
        );
        if c.default_stubs_replaced {
            tracing::info!(
                "reload: the stubs of --stubs changed: every session has the new ones (the \
                 stubs a test added are kept)"
            );
        }
        for r in &c.restarted {
            tracing::warn!(
                session = %r.session,
                document = %r.api,
                "reload: {} restarted {} from its fixtures: {}",
                session_name(&r.session),
                r.api,
                r.reason
            );
        }
        for d in &c.stubs_dropped {
            tracing::warn!(
                session = %d.session,
                stub = %d.stub,
                "reload: {} dropped the stub {:?}: {}",
                session_name(&d.session),
                d.stub,
                d.reason
            );
        }
    }
}

/// Logs why a reload changed nothing: every problem, one line each, then what still serves.
pub(super) fn log_refused(e: &ReloadError) {
    let problems = e.problems();
    for p in &problems {
        tracing::warn!("reload: {p}");
    }
    tracing::warn!(
        problems = problems.len(),
        "reload failed: {}; still serving the documents loaded before",
        counted(problems.len(), "problem")
    );
}

/// `POST /__admin/reload`'s 422: a problem listing every problem.
pub(super) fn refused_answer(e: &ReloadError) -> Outcome {
    let problems = e.problems();
    let detail = format!(
        "The reload failed ({}); the documents loaded before are still served.",
        counted(problems.len(), "problem")
    );
    let mut outcome = admin::problem(422, detail);
    if let Ok(Value::Object(mut body)) = serde_json::from_slice::<Value>(&outcome.response.body) {
        body.insert("problems".to_owned(), Value::from(problems));
        outcome.response.body = serde_json::to_vec(&body).unwrap_or_default().into();
    }
    outcome
}

/// The files `new` read differently from `old` (added, changed, removed), then the APIs whose
/// fixture text changed.
pub(super) fn changes(old: &Engine, new: &Engine) -> Vec<String> {
    let files = |engine: &Engine| -> HashMap<String, Value> {
        engine
            .apis()
            .iter()
            .flat_map(|api| api.resources.files())
            .map(|(uri, value)| (uri.to_owned(), value.clone()))
            .collect()
    };
    let (before, after) = (files(old), files(new));
    let mut changed: Vec<String> = after
        .iter()
        .filter(|(uri, value)| before.get(*uri) != Some(*value))
        .chain(before.iter().filter(|(uri, _)| !after.contains_key(*uri)))
        .map(|(uri, _)| shown(uri))
        .collect();
    changed.sort();
    for (i, api) in new.apis().iter().enumerate() {
        let Some(j) = old.apis().iter().position(|a| a.name == api.name) else {
            continue;
        };
        if old.fixture_texts().get(j) != new.fixture_texts().get(i) {
            changed.push(format!("fixtures of {}", api.name));
        }
    }
    changed
}

/// A file's URI as a user wrote it: a path for a local file.
fn shown(uri: &str) -> String {
    url::Url::parse(uri)
        .ok()
        .filter(|u| u.scheme() == "file")
        .and_then(|u| u.to_file_path().ok())
        .map_or_else(|| uri.to_owned(), |p| p.display().to_string())
}

fn counted(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn session_name(name: &str) -> String {
    if name.is_empty() {
        "the default session".to_owned()
    } else {
        format!("session {name:?}")
    }
}
