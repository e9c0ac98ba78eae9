//! A session's stubs and scenarios, as data: the stubs in the order they are consulted (highest
//! priority first, the newest first among equals), how often each matched and how many answers
//! each has left, and the state of every scenario (`started` until a stub moves it). The state
//! file saves and restores them with the session (`SavedBook`).
//!
//! Implementation rationale: what a stub *is* (its match, its prepared answer) belongs to the
//! mock, a later layer this one cannot name; a stub is held here with its compiled form as an
//! opaque `Arc<dyn Any>` the mock downcasts, and with its definition as JSON, which is what
//! the control API lists and the state file saves. Restoring a saved stub asks the mock to
//! compile that definition again (`restore`'s `compile`), so a stub is never trusted from a
//! file without the checks it had at creation.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The state every scenario starts in (WireMock's `Started`).
pub const STARTED: &str = "started";

/// A stub's compiled form: the mock's, opaque here.
pub type Compiled = Arc<dyn Any + Send + Sync>;

/// One stub of a session.
#[derive(Clone)]
pub struct StoredStub {
    pub id: Arc<str>,
    /// 1 is consulted first.
    pub priority: u32,
    /// Answers left (`times`); `None`: no limit. An exhausted stub stays listed.
    pub remaining: Option<u64>,
    /// How many requests it answered.
    pub matched: u64,
    pub scenario: Option<Arc<str>>,
    /// The scenario state it answers in.
    pub requires: Option<Arc<str>>,
    /// The scenario state its answer moves to.
    pub then: Option<Arc<str>>,
    /// The stub as it was given (with its id), as listed and saved.
    pub definition: Arc<Value>,
    pub compiled: Compiled,
    /// Creation order, for ties of priority: the newest first.
    seq: u64,
}

impl std::fmt::Debug for StoredStub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredStub")
            .field("id", &self.id)
            .field("priority", &self.priority)
            .field("remaining", &self.remaining)
            .field("matched", &self.matched)
            .finish_non_exhaustive()
    }
}

impl StoredStub {
    /// A stub not yet added to any book.
    pub fn new(id: Arc<str>, priority: u32, definition: Arc<Value>, compiled: Compiled) -> Self {
        StoredStub {
            id,
            priority,
            remaining: None,
            matched: 0,
            scenario: None,
            requires: None,
            then: None,
            definition,
            compiled,
            seq: 0,
        }
    }

    /// The stub as the control API lists it: its definition, how often it matched, how many
    /// answers it has left.
    pub fn to_json(&self) -> Value {
        let mut out = (*self.definition).clone();
        if let Some(map) = out.as_object_mut() {
            map.insert("id".to_owned(), Value::from(&*self.id));
            map.insert("priority".to_owned(), Value::from(self.priority));
            map.insert("matched".to_owned(), Value::from(self.matched));
            map.insert(
                "remaining".to_owned(),
                self.remaining.map_or(Value::Null, Value::from),
            );
        }
        out
    }
}

/// Compiles a saved stub's definition again (the mock's part; see the module doc).
pub type RestoreStub<'a> = dyn Fn(&Value) -> Result<StoredStub, String> + 'a;

/// A stub that answered: which, and its compiled form.
pub struct Hit {
    pub id: Arc<str>,
    pub compiled: Compiled,
}

/// The stubs and scenario states of one session.
#[derive(Clone, Default, Debug)]
pub struct StubBook {
    /// In the order they are consulted.
    stubs: Vec<StoredStub>,
    next_seq: u64,
    /// Scenario states moved away from [`STARTED`], by scenario.
    states: BTreeMap<String, String>,
}

impl StubBook {
    pub fn is_empty(&self) -> bool {
        self.stubs.is_empty()
    }

    /// Every stub, in the order they are consulted.
    pub fn stubs(&self) -> &[StoredStub] {
        &self.stubs
    }

    pub fn get(&self, id: &str) -> Option<&StoredStub> {
        self.stubs.iter().find(|s| &*s.id == id)
    }

    /// A fresh id, `stub-N`, unused in this book.
    pub fn fresh_id(&self) -> String {
        let mut n = self.next_seq + 1;
        loop {
            let id = format!("stub-{n}");
            if self.get(&id).is_none() {
                return id;
            }
            n += 1;
        }
    }

    /// Adds `stub` ahead of the older stubs of its priority; `false` (and nothing added) when
    /// its id is taken.
    pub fn add(&mut self, mut stub: StoredStub) -> bool {
        if self.get(&stub.id).is_some() {
            return false;
        }
        self.next_seq += 1;
        stub.seq = self.next_seq;
        let at = self
            .stubs
            .iter()
            .position(|s| {
                (s.priority, std::cmp::Reverse(s.seq))
                    > (stub.priority, std::cmp::Reverse(stub.seq))
            })
            .unwrap_or(self.stubs.len());
        self.stubs.insert(at, stub);
        true
    }

    /// Removes the stub `id`; whether there was one.
    pub fn remove(&mut self, id: &str) -> bool {
        let before = self.stubs.len();
        self.stubs.retain(|s| &*s.id != id);
        self.stubs.len() != before
    }

    /// Drops every stub (the scenario states go with them).
    pub fn clear(&mut self) {
        self.stubs.clear();
        self.states.clear();
    }

    /// The state of `scenario`.
    pub fn state_of(&self, scenario: &str) -> &str {
        self.states.get(scenario).map_or(STARTED, String::as_str)
    }

    /// Every scenario a stub names or a state was set for, with its state, by name.
    pub fn scenarios(&self) -> BTreeMap<&str, &str> {
        let mut out: BTreeMap<&str, &str> = self
            .stubs
            .iter()
            .filter_map(|s| s.scenario.as_deref())
            .map(|name| (name, STARTED))
            .collect();
        for (name, state) in &self.states {
            out.insert(name, state);
        }
        out
    }

    /// Sets the state of `scenario`; `false` when no stub names it and it has no state.
    pub fn set_state(&mut self, scenario: &str, state: &str) -> bool {
        if !self.scenarios().contains_key(scenario) {
            return false;
        }
        if state == STARTED {
            self.states.remove(scenario);
        } else {
            self.states.insert(scenario.to_owned(), state.to_owned());
        }
        true
    }

    /// Every scenario back to [`STARTED`].
    pub fn reset_scenarios(&mut self) {
        self.states.clear();
    }

    /// The first stub, in order, with answers left, in its scenario's required state, that
    /// `matches`: it counts the answer (and moves its scenario). `None` when none matches.
    pub fn take(&mut self, mut matches: impl FnMut(&StoredStub) -> bool) -> Option<Hit> {
        let states = &self.states;
        let state_of = |s: &str| states.get(s).map_or(STARTED, String::as_str);
        let stub = self.stubs.iter_mut().find(|s| {
            s.remaining != Some(0)
                && match (&s.scenario, &s.requires) {
                    (Some(scenario), Some(required)) => state_of(scenario) == &**required,
                    _ => true,
                }
                && matches(s)
        })?;
        stub.matched += 1;
        if let Some(left) = &mut stub.remaining {
            *left -= 1;
        }
        let hit = Hit {
            id: Arc::clone(&stub.id),
            compiled: Arc::clone(&stub.compiled),
        };
        if let (Some(scenario), Some(then)) = (stub.scenario.clone(), stub.then.clone()) {
            if &*then == STARTED {
                self.states.remove(&*scenario);
            } else {
                self.states.insert(scenario.to_string(), then.to_string());
            }
        }
        Some(hit)
    }

    /// The book as the state file saves it.
    pub fn save(&self) -> SavedBook {
        SavedBook {
            stubs: self
                .stubs
                .iter()
                .map(|s| SavedStub {
                    stub: (*s.definition).clone(),
                    remaining: s.remaining,
                    matched: s.matched,
                })
                .collect(),
            scenarios: self.states.clone(),
        }
    }
}

/// A session's stubs and scenario states in the state file.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedBook {
    pub stubs: Vec<SavedStub>,
    #[serde(default)]
    pub scenarios: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedStub {
    /// The definition, with its id.
    pub stub: Value,
    pub remaining: Option<u64>,
    pub matched: u64,
}

impl SavedBook {
    pub fn is_empty(&self) -> bool {
        self.stubs.is_empty() && self.scenarios.is_empty()
    }

    /// The book again, each stub compiled by `compile` from its definition (in the saved
    /// order, which is the order of consultation); the first that fails, its error.
    pub fn restore(self, compile: &RestoreStub<'_>) -> Result<StubBook, String> {
        let mut book = StubBook::default();
        // Saved newest-first among equal priorities: added oldest first to keep that order.
        for saved in self.stubs.into_iter().rev() {
            let mut stub = compile(&saved.stub)?;
            stub.remaining = saved.remaining;
            stub.matched = saved.matched;
            let id = Arc::clone(&stub.id);
            if !book.add(stub) {
                return Err(format!("the stub id {id:?} appears twice"));
            }
        }
        book.states = self.scenarios;
        Ok(book)
    }

    /// The book again as [`SavedBook::restore`] makes it, except that a stub that no longer
    /// compiles (or repeats an id) is left out rather than failing the whole book: what a
    /// reload does with the stubs the new documents no longer take. Those left out, with
    /// their ids and why.
    pub fn restore_each(self, compile: &RestoreStub<'_>) -> (StubBook, Vec<Dropped>) {
        let mut book = StubBook::default();
        let mut dropped = Vec::new();
        for saved in self.stubs.into_iter().rev() {
            let id = saved
                .stub
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            match compile(&saved.stub) {
                Ok(mut stub) => {
                    stub.remaining = saved.remaining;
                    stub.matched = saved.matched;
                    if !book.add(stub) {
                        let reason = "another stub has its id".to_owned();
                        dropped.push(Dropped { id, reason });
                    }
                }
                Err(reason) => dropped.push(Dropped { id, reason }),
            }
        }
        book.states = self.scenarios;
        (book, dropped)
    }
}

/// A saved stub left out when its book was restored: its id, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    pub id: String,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stub(id: &str, priority: u32) -> StoredStub {
        StoredStub::new(
            id.into(),
            priority,
            Arc::new(serde_json::json!({})),
            Arc::new(()),
        )
    }

    fn order(book: &StubBook) -> Vec<&str> {
        book.stubs().iter().map(|s| &*s.id).collect()
    }

    #[test]
    fn stubs_are_consulted_by_priority_then_newest_first() {
        let mut book = StubBook::default();
        for (id, priority) in [("a", 5), ("b", 1), ("c", 5), ("d", 9), ("e", 1)] {
            assert!(book.add(stub(id, priority)));
        }
        assert_eq!(order(&book), ["e", "b", "c", "a", "d"]);
        assert!(!book.add(stub("a", 1)), "an id is taken once");
        assert_eq!(book.take(|_| true).map(|h| h.id), Some("e".into()));
    }

    #[test]
    fn an_exhausted_stub_stays_listed_and_no_longer_answers() {
        let mut book = StubBook::default();
        let mut twice = stub("twice", 1);
        twice.remaining = Some(2);
        book.add(twice);
        book.add(stub("always", 5));
        let ids: Vec<String> = (0..3)
            .filter_map(|_| book.take(|_| true))
            .map(|h| h.id.to_string())
            .collect();
        assert_eq!(ids, ["twice", "twice", "always"]);
        let listed = book
            .get("twice")
            .map(StoredStub::to_json)
            .unwrap_or_default();
        assert_eq!(listed["remaining"], 0);
        assert_eq!(listed["matched"], 2);
    }

    #[test]
    fn a_scenario_moves_when_its_stub_answers_and_resets_to_started() {
        let mut book = StubBook::default();
        let mut fail = stub("fail", 5);
        fail.scenario = Some("pay".into());
        fail.requires = Some(STARTED.into());
        fail.then = Some("failed".into());
        book.add(fail);
        assert!(book.take(|_| true).is_some());
        assert_eq!(book.state_of("pay"), "failed");
        assert!(book.take(|_| true).is_none(), "it requires `started`");
        book.reset_scenarios();
        assert_eq!(book.scenarios().get("pay"), Some(&STARTED));
        assert!(!book.set_state("unknown", "x"));
    }
}
