//! The state store: one world per session, each API's part behind its own lock, plus a
//! bounded journal of the requests the session received.
//!
//! A request without `X-Understudy-Session` uses the default session; a named session is
//! created from the fixtures on first use, so test suites sharing a server never see each
//! other's writes.
//!
//! Implementation rationale: `std::sync` locks, never held across `.await` (the engine is
//! synchronous); the session map's mutex is held only to find or insert an `Arc<Session>`.
//! Each API's world has an `RwLock`: reads share it, writes are in-memory and short.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, RwLock};

// A seeded hash much quicker than SipHash: every request looks its session up.
use foldhash::HashMap;
use serde_json::{Value, json};

use crate::behaviour::{AnyWorld, Installed};
use crate::violation::Violation;

/// The header that names a session.
pub const SESSION_HEADER: &str = "x-understudy-session";

/// How many sessions one server keeps; past this, new names are refused.
pub const MAX_SESSIONS: usize = 1024;

/// How many requests a session's journal keeps (the oldest are dropped).
pub const JOURNAL_CAPACITY: usize = 1000;

/// The behaviours of the served APIs, by API index (`None`: static answers only).
pub type Behaviours = Vec<Option<Arc<dyn Installed>>>;

/// One session's world and journal.
pub struct Session {
    pub name: String,
    /// Each API's part of the world, by API index.
    parts: Vec<Option<RwLock<Box<AnyWorld>>>>,
    journal: Mutex<Journal>,
}

impl Session {
    fn new(name: &str, behaviours: &Behaviours) -> Session {
        Session {
            name: name.to_owned(),
            parts: behaviours
                .iter()
                .map(|b| b.as_ref().map(|b| RwLock::new(b.fresh())))
                .collect(),
            journal: Mutex::new(Journal::default()),
        }
    }

    /// A session with the given worlds (by API index; `None` for APIs without a behaviour),
    /// as the state file restores it, with an empty journal.
    pub fn restored(name: &str, parts: Vec<Option<Box<AnyWorld>>>) -> Session {
        Session {
            name: name.to_owned(),
            parts: parts.into_iter().map(|p| p.map(RwLock::new)).collect(),
            journal: Mutex::new(Journal::default()),
        }
    }

    /// The world part of API `api`.
    pub fn part(&self, api: usize) -> Option<&RwLock<Box<AnyWorld>>> {
        self.parts.get(api).and_then(Option::as_ref)
    }

    /// Back to the fixtures, API by API.
    pub fn reset(&self, behaviours: &Behaviours) {
        for (part, behaviour) in self.parts.iter().zip(behaviours) {
            if let (Some(part), Some(b)) = (part, behaviour) {
                let fresh = b.fresh();
                let mut guard = part.write().unwrap_or_else(|p| p.into_inner());
                *guard = fresh;
            }
        }
    }

    pub fn record(&self, entry: JournalEntry) {
        let evicted = self
            .journal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(entry);
        // Freed after the lock is let go: other requests of the session wait on it.
        drop(evicted);
    }

    pub fn journal(&self) -> Vec<Value> {
        let journal = self.journal.lock().unwrap_or_else(|p| p.into_inner());
        journal.entries.iter().map(JournalEntry::to_json).collect()
    }

    pub fn clear_journal(&self) {
        self.journal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries
            .clear();
    }
}

/// Every session of one server.
pub struct Sessions {
    behaviours: Behaviours,
    /// Every request looks its session up here: existing ones under a shared lock.
    map: RwLock<HashMap<String, Arc<Session>>>,
}

/// A new session was refused: the server keeps `MAX_SESSIONS` at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooManySessions;

impl Sessions {
    pub fn new(behaviours: Behaviours) -> Sessions {
        let default = Arc::new(Session::new("", &behaviours));
        let mut map = HashMap::default();
        map.insert(String::new(), default);
        Sessions {
            behaviours,
            map: RwLock::new(map),
        }
    }

    pub fn behaviours(&self) -> &Behaviours {
        &self.behaviours
    }

    /// Every session, the default one first, then by name.
    pub fn all(&self) -> Vec<Arc<Session>> {
        let map = self.map.read().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<Arc<Session>> = map.values().cloned().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    /// Replaces every session with `sessions` (the state file's); the default session is
    /// made from the fixtures when `sessions` has none. Sessions past `MAX_SESSIONS` and
    /// repeated names are the caller's to refuse.
    pub fn replace(&self, sessions: Vec<Session>) {
        let mut fresh: HashMap<String, Arc<Session>> = sessions
            .into_iter()
            .map(|s| (s.name.clone(), Arc::new(s)))
            .collect();
        fresh
            .entry(String::new())
            .or_insert_with(|| Arc::new(Session::new("", &self.behaviours)));
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        *map = fresh;
    }

    /// The session named `name` (the empty name is the default session), created from the
    /// fixtures on first use.
    pub fn get(&self, name: &str) -> Result<Arc<Session>, TooManySessions> {
        {
            let map = self.map.read().unwrap_or_else(|p| p.into_inner());
            if let Some(s) = map.get(name) {
                return Ok(s.clone());
            }
        }
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = map.get(name) {
            return Ok(s.clone());
        }
        if map.len() >= MAX_SESSIONS {
            return Err(TooManySessions);
        }
        let session = Arc::new(Session::new(name, &self.behaviours));
        map.insert(name.to_owned(), session.clone());
        Ok(session)
    }
}

/// One received request, as the journal tells it.
#[derive(Debug, Clone)]
pub struct JournalEntry {
    pub method: http::Method,
    pub path: String,
    pub query: Option<String>,
    pub operation: Option<Arc<str>>,
    pub status: u16,
    pub violations: Arc<[Violation]>,
    pub micros: u64,
}

impl JournalEntry {
    fn to_json(&self) -> Value {
        let violations: Vec<Value> = self
            .violations
            .iter()
            .map(|v| json!({"path": v.path(), "keyword": v.keyword, "message": v.message}))
            .collect();
        json!({
            "method": self.method.as_str(),
            "path": self.path,
            "query": self.query,
            "operationId": self.operation.as_deref(),
            "status": self.status,
            "violations": violations,
            "micros": self.micros,
        })
    }
}

#[derive(Default)]
struct Journal {
    entries: VecDeque<JournalEntry>,
}

impl Journal {
    /// Adds `entry`, giving back the oldest one when the journal was full.
    fn push(&mut self, entry: JournalEntry) -> Option<JournalEntry> {
        let evicted = if self.entries.len() >= JOURNAL_CAPACITY {
            self.entries.pop_front()
        } else {
            None
        };
        self.entries.push_back(entry);
        evicted
    }
}

/// Whether a session name is usable: 1 to 128 visible ASCII characters.
pub fn valid_session_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 128 && name.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: u16) -> JournalEntry {
        JournalEntry {
            method: http::Method::GET,
            path: format!("/{i}"),
            query: None,
            operation: None,
            status: i,
            violations: Arc::default(),
            micros: 0,
        }
    }

    #[test]
    fn the_journal_keeps_the_newest_entries_newest_last() {
        let sessions = Sessions::new(vec![]);
        let s = sessions.get("").unwrap();
        for i in 0..(JOURNAL_CAPACITY as u16 + 5) {
            s.record(entry(i));
        }
        let j = s.journal();
        assert_eq!(j.len(), JOURNAL_CAPACITY);
        assert_eq!(j[0]["status"], json!(5));
        assert_eq!(
            j[JOURNAL_CAPACITY - 1]["status"],
            json!(JOURNAL_CAPACITY as u16 + 4)
        );
        s.clear_journal();
        assert!(s.journal().is_empty());
    }

    #[test]
    fn sessions_are_created_once_and_bounded_in_number() {
        let sessions = Sessions::new(vec![]);
        let a = sessions.get("a").unwrap();
        assert!(Arc::ptr_eq(&a, &sessions.get("a").unwrap()));
        for i in 0..MAX_SESSIONS {
            let _ = sessions.get(&format!("s{i}"));
        }
        assert_eq!(sessions.get("one-too-many").err(), Some(TooManySessions));
        assert!(sessions.get("a").is_ok(), "existing sessions stay usable");
    }

    #[test]
    fn session_names_are_short_visible_ascii() {
        assert!(valid_session_name("ci-job-42"));
        assert!(!valid_session_name(""));
        assert!(!valid_session_name("has space"));
        assert!(!valid_session_name(&"x".repeat(129)));
    }
}
