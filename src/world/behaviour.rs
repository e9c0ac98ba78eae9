//! Behaviours: what an operation *does* to the world, on top of what the spec says it looks
//! like. A behaviour owns one API's part of the world (its fixtures, then every write), and
//! answers the operations it knows; the others keep the spec's static answers.
//!
//! Implementation rationale: each behaviour has its own typed world; the session store keeps
//! them type-erased (`AnyWorld`) behind one `RwLock` per API per session, so a write to
//! GitBook never waits for Arize, reads share the lock, and no lock is held across `.await`
//! (the engine is synchronous; the server calls it from its tasks).
//!
//! A world goes to the state file (`persist`) as JSON and comes back through `save` and
//! `restore`: lossless (ids, list order, the counters behind the next ids), and holding only
//! what writes change; what the fixtures fix (directories, tokens, licences) is taken from the
//! starting world again, which the state file's fingerprint says is the same.

use std::any::Any;
use std::sync::RwLock;

use bytes::Bytes;
use http::Method;
use serde_json::Value;

use crate::operation::api::{Api, Operation};
use crate::operation::errors::reason;
use crate::schema::violation::{ErrorFacts, Violation};

/// One validated request, as a behaviour sees it: parameters decoded and typed, the body
/// parsed, the caller known.
#[derive(Debug)]
pub struct Call<'a> {
    pub api: &'a Api,
    pub op: &'a Operation,
    pub method: &'a Method,
    /// The request path, for `instance` members and messages.
    pub path: &'a str,
    pub path_params: &'a ParamValues<'a>,
    pub query: &'a ParamValues<'a>,
    pub headers: &'a ParamValues<'a>,
    pub body: Option<&'a Value>,
    /// The caller's user id, when the API authenticates tokens from its fixtures.
    pub caller: Option<&'a str>,
    /// The run's seed (`--seed`): `seed()` derives the operation's from it.
    pub run_seed: u64,
}

impl Call<'_> {
    /// Seeds anything a behaviour generates (ids, filled-in fields), so runs repeat. Worked
    /// out when asked: most calls generate nothing.
    pub fn seed(&self) -> u64 {
        crate::seed::static_seed(self.run_seed, &self.api.name, &self.op.id, 0, "behaviour")
    }
}

/// One location's parameter values, decoded and typed, by the names the operation declares.
///
/// Implementation rationale: an operation has a handful of parameters, looked up by name a
/// few times a request; a vector of borrowed names beats a map that hashes and copies each
/// name on every request.
#[derive(Debug, Default)]
pub struct ParamValues<'a>(Vec<(&'a str, Value)>);

impl<'a> ParamValues<'a> {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Sets `name`'s value, replacing one it had.
    pub fn insert(&mut self, name: &'a str, value: Value) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => *v = value,
            None => self.0.push((name, value)),
        }
    }
}

impl Call<'_> {
    pub fn op_id(&self) -> &str {
        &self.op.id
    }

    pub fn path_str(&self, name: &str) -> Option<&str> {
        self.path_params.get(name).and_then(Value::as_str)
    }
}

/// What a behaviour answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A success (or any declared status) with an optional JSON body; the engine picks the
    /// media type and checks the body against the spec when asked to. `created` is the id of
    /// the item a create made, where the behaviour knows it: the answer's `Location` names it
    /// (see [`Reply::with_created`]).
    Ok {
        status: u16,
        body: Option<Value>,
        created: Option<String>,
    },
    /// A success whose body is already serialized JSON, sent as it is: what a behaviour
    /// answers when it writes a body straight to bytes (GitBook's list pages) instead of
    /// building a `Value` tree. The engine picks the media type as for `Ok`, and parses the
    /// body back only to check it against the spec, when asked to.
    Json { status: u16, json: Bytes },
    /// An error, rendered in the operation's error format.
    Err(ErrorFacts),
}

/// Appends `text` as a JSON string: for behaviours that write [`Reply::Json`] bodies.
pub fn push_str(out: &mut Vec<u8>, text: &str) {
    // Serializing a `str` into a `Vec` cannot fail: no I/O error, no map key to refuse.
    let _ = serde_json::to_writer(&mut *out, text);
}

impl Reply {
    pub fn ok(status: u16, body: Value) -> Reply {
        Reply::Ok {
            status,
            body: Some(body),
            created: None,
        }
    }

    /// This answer to a create, which made the item `id` in the collection the request
    /// names: the `Location` its response declares is the request path, then the id.
    pub fn with_created(self, id: impl Into<String>) -> Reply {
        match self {
            Reply::Ok { status, body, .. } => Reply::Ok {
                status,
                body,
                created: Some(id.into()),
            },
            other => other,
        }
    }

    /// A body of serialized JSON (see [`Reply::Json`]).
    pub fn json(status: u16, json: impl Into<Bytes>) -> Reply {
        Reply::Json {
            status,
            json: json.into(),
        }
    }

    pub fn empty(status: u16) -> Reply {
        Reply::Ok {
            status,
            body: None,
            created: None,
        }
    }

    /// A behaviour's domain error, as the answer the operation's error format renders.
    pub fn domain(error: impl DomainError) -> Reply {
        let status = error.status();
        let detail = error.to_string();
        Reply::Err(
            ErrorFacts::new(status, reason(status), detail).with_violations(error.violations()),
        )
    }
}

/// What a behaviour refuses, in its own words: one enum per behaviour (`GitbookError`,
/// `ArizeError`, ...) whose variants know their status, and whose `Display` is the text the
/// client reads. [`Reply::domain`] is the one place they become answers.
///
/// Implementation rationale: a status written beside free text at each exit could drift
/// from its error; a variant cannot. The title is the status's reason phrase, as the
/// pipeline's own errors have it.
pub trait DomainError: std::fmt::Display {
    fn status(&self) -> u16;

    /// The violations the answer lists (a 422's), moved out: none for most errors.
    fn violations(self) -> Vec<Violation>
    where
        Self: Sized,
    {
        Vec::new()
    }
}

/// Whether an operation only reads the world or also changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// One API's behaviour, with its own typed world.
pub trait Behaviour: Send + Sync + 'static {
    type World: Clone + Send + Sync + 'static;

    /// Whether `op_id` changes the world; `None` for operations this behaviour does not
    /// handle (they keep the spec's static answers).
    fn access(&self, op_id: &str) -> Option<Access>;

    /// Answers a read; `None` falls back to the static answer.
    fn read(&self, world: &Self::World, call: &Call<'_>) -> Option<Reply>;

    /// Answers a write.
    fn write(&self, world: &mut Self::World, call: &Call<'_>) -> Option<Reply>;

    /// The user a bearer token belongs to; `None` for an unknown token. Behaviours whose API
    /// takes any token return `Some` for all.
    fn authenticate(&self, world: &Self::World, token: &str) -> Option<String>;

    /// The world as JSON, for `GET /__admin/state`.
    fn snapshot(&self, world: &Self::World) -> Value;

    /// What writes made of the world, as JSON, losslessly: with the starting world, all
    /// `restore` needs to rebuild a world that answers every later request as this one would.
    fn save(&self, world: &Self::World) -> Value;

    /// The world `saved` (made by `save`) describes, rebuilt on `initial`, the starting world;
    /// `Err` says what in `saved` does not fit it.
    fn restore(&self, initial: &Self::World, saved: Value) -> Result<Self::World, RestoreError>;
}

/// A saved world that cannot be restored: what does not fit, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RestoreError(pub String);

impl RestoreError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl From<serde_json::Error> for RestoreError {
    fn from(e: serde_json::Error) -> Self {
        Self(e.to_string())
    }
}

/// A world of any behaviour, as the session store holds it.
pub type AnyWorld = dyn Any + Send + Sync;

/// A behaviour with its starting world, type-erased for the engine.
pub trait Installed: Send + Sync {
    /// A fresh copy of the starting world.
    fn fresh(&self) -> Box<AnyWorld>;
    fn handles(&self, op_id: &str) -> bool;
    fn call(&self, world: &RwLock<Box<AnyWorld>>, call: &Call<'_>) -> Option<Reply>;
    fn authenticate(&self, world: &RwLock<Box<AnyWorld>>, token: &str) -> Option<String>;
    fn snapshot(&self, world: &RwLock<Box<AnyWorld>>) -> Value;
    /// [`Behaviour::save`]; `None` when `world` is not this behaviour's.
    fn save(&self, world: &RwLock<Box<AnyWorld>>) -> Option<Value>;
    /// [`Behaviour::restore`] on the starting world.
    fn restore(&self, saved: Value) -> Result<Box<AnyWorld>, RestoreError>;
}

/// A behaviour and the world its fixtures describe.
pub struct WithFixtures<B: Behaviour> {
    pub behaviour: B,
    pub initial: B::World,
}

impl<B: Behaviour> Installed for WithFixtures<B> {
    fn fresh(&self) -> Box<AnyWorld> {
        Box::new(self.initial.clone())
    }

    fn handles(&self, op_id: &str) -> bool {
        self.behaviour.access(op_id).is_some()
    }

    fn call(&self, world: &RwLock<Box<AnyWorld>>, call: &Call<'_>) -> Option<Reply> {
        match self.behaviour.access(call.op_id())? {
            Access::Read => {
                let guard = world
                    .read()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let typed = guard.downcast_ref::<B::World>()?;
                self.behaviour.read(typed, call)
            }
            Access::Write => {
                let mut guard = world
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let typed = guard.downcast_mut::<B::World>()?;
                self.behaviour.write(typed, call)
            }
        }
    }

    fn authenticate(&self, world: &RwLock<Box<AnyWorld>>, token: &str) -> Option<String> {
        let guard = world
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let typed = guard.downcast_ref::<B::World>()?;
        self.behaviour.authenticate(typed, token)
    }

    fn snapshot(&self, world: &RwLock<Box<AnyWorld>>) -> Value {
        let guard = world
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        guard
            .downcast_ref::<B::World>()
            .map_or(Value::Null, |w| self.behaviour.snapshot(w))
    }

    fn save(&self, world: &RwLock<Box<AnyWorld>>) -> Option<Value> {
        let guard = world
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        guard
            .downcast_ref::<B::World>()
            .map(|w| self.behaviour.save(w))
    }

    fn restore(&self, saved: Value) -> Result<Box<AnyWorld>, RestoreError> {
        let world = self.behaviour.restore(&self.initial, saved)?;
        Ok(Box::new(world))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_values_keep_one_value_a_name_the_last_set() {
        let mut values = ParamValues::default();
        values.insert("page", Value::from("a"));
        values.insert("limit", Value::from(5));
        values.insert("page", Value::from("b"));
        assert_eq!(values.get("page"), Some(&Value::from("b")));
        assert_eq!(values.get("limit"), Some(&Value::from(5)));
        assert_eq!(values.get("Page"), None, "names are matched exactly");
        assert_eq!(values.0.len(), 2);
    }
}
