//! The state store: one world per session, each API's part behind its own lock, plus a
//! bounded journal of the requests the session received.
//!
//! A request without `X-Understudy-Session` uses the default session; a named session is
//! created from the fixtures on first use, so test suites sharing a server never see each
//! other's writes. A server keeps a bounded number of named sessions: when a new name comes
//! and the bound is reached, the session idle the longest is dropped to make room (and the
//! log says so), so a forgotten crowd of names can never lock new ones out. The default
//! session is never dropped.
//!
//! Implementation rationale: `std::sync` locks, never held across `.await` (the engine is
//! synchronous); the session map's mutex is held only to find or insert an `Arc<Session>`.
//! Each API's world has an `RwLock`: reads share it, writes are in-memory and short.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

// A seeded hash much quicker than SipHash: every request looks its session up.
use foldhash::HashMap;
use serde_json::{Value, json};

use crate::schema::violation::Violation;
use crate::world::behaviour::{AnyWorld, Installed};
use crate::world::stubs::StubBook;

/// The header that names a session.
pub const SESSION_HEADER: &str = "x-understudy-session";

/// How many named sessions a server keeps by default (`--max-sessions`); past this, a new
/// name takes the place of the session idle the longest.
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
    /// When a request last named this session, in milliseconds since the Unix epoch.
    last_used: AtomicU64,
    /// Its stubs and scenarios (`world::stubs`).
    stubs: Mutex<StubBook>,
    /// Whether it has any stub: a session without one never takes the stubs' lock.
    has_stubs: AtomicBool,
}

impl Session {
    fn new(name: &str, behaviours: &Behaviours, stubs: StubBook) -> Session {
        Session {
            name: name.to_owned(),
            parts: behaviours
                .iter()
                .map(|b| b.as_ref().map(|b| RwLock::new(b.fresh())))
                .collect(),
            journal: Mutex::new(Journal::default()),
            last_used: AtomicU64::new(now_millis()),
            has_stubs: AtomicBool::new(!stubs.is_empty()),
            stubs: Mutex::new(stubs),
        }
    }

    /// A session with the given worlds (by API index; `None` for APIs without a behaviour),
    /// last used at `last_used` (milliseconds since the Unix epoch), as the state file
    /// restores it, with an empty journal.
    pub fn restored(name: &str, parts: Vec<Option<Box<AnyWorld>>>, last_used: u64) -> Session {
        Session {
            name: name.to_owned(),
            parts: parts.into_iter().map(|p| p.map(RwLock::new)).collect(),
            journal: Mutex::new(Journal::default()),
            last_used: AtomicU64::new(last_used),
            stubs: Mutex::new(StubBook::default()),
            has_stubs: AtomicBool::new(false),
        }
    }

    /// The session with `stubs` as its stubs and scenarios (the state file's).
    pub fn with_stubs(self, stubs: StubBook) -> Session {
        self.has_stubs.store(!stubs.is_empty(), Ordering::Relaxed);
        *self.stubs.lock().unwrap_or_else(|p| p.into_inner()) = stubs;
        self
    }

    /// The session with a copy of `other`'s journal (a reload carries journals over; the
    /// old session is left as it is, for the requests still in flight on it).
    pub fn with_journal_of(self, other: &Session) -> Session {
        let entries = other
            .journal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries
            .clone();
        self.journal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries = entries;
        self
    }

    /// Whether the session has any stub (exhausted ones count): cheap, no lock.
    pub fn has_stubs(&self) -> bool {
        self.has_stubs.load(Ordering::Relaxed)
    }

    /// Reads or changes the session's stubs and scenarios under their lock (held for `f`
    /// only: never across an `.await`).
    pub fn with_stub_book<R>(&self, f: impl FnOnce(&mut StubBook) -> R) -> R {
        let mut book = self.stubs.lock().unwrap_or_else(|p| p.into_inner());
        let out = f(&mut book);
        self.has_stubs.store(!book.is_empty(), Ordering::Relaxed);
        out
    }

    /// When a request last named this session, in milliseconds since the Unix epoch.
    pub fn last_used(&self) -> u64 {
        self.last_used.load(Ordering::Relaxed)
    }

    fn touch(&self, now: u64) {
        // Most requests of a busy session land in the same millisecond: no store then.
        if self.last_used.load(Ordering::Relaxed) != now {
            self.last_used.store(now, Ordering::Relaxed);
        }
    }

    /// How many requests the journal holds.
    pub fn journal_len(&self) -> usize {
        self.journal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries
            .len()
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
        self.journal_where(|_| true)
    }

    /// The entries `keep` keeps, oldest first.
    pub fn journal_where(&self, keep: impl Fn(&JournalEntry) -> bool) -> Vec<Value> {
        let journal = self.journal.lock().unwrap_or_else(|p| p.into_inner());
        journal
            .entries
            .iter()
            .filter(|e| keep(e))
            .map(JournalEntry::to_json)
            .collect()
    }

    /// How many entries `keep` keeps.
    pub fn count_where(&self, keep: impl Fn(&JournalEntry) -> bool) -> usize {
        let journal = self.journal.lock().unwrap_or_else(|p| p.into_inner());
        journal.entries.iter().filter(|e| keep(e)).count()
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
    /// The default session, reached without hashing a name: most requests name none.
    default: RwLock<Arc<Session>>,
    /// Every named session: existing ones are found under a shared lock.
    named: RwLock<HashMap<String, Arc<Session>>>,
    /// Most named sessions kept at once.
    max_named: usize,
    clock: Clock,
    /// The stubs every new session starts with (`--stubs DIR`).
    default_stubs: RwLock<StubBook>,
}

/// Wall-clock milliseconds from a monotonic instant: the request's own `Instant` (read
/// anyway to time it) tells when a session was last used, without another clock read.
struct Clock {
    anchor: Instant,
    anchor_millis: u64,
}

impl Clock {
    fn new() -> Clock {
        Clock {
            anchor: Instant::now(),
            anchor_millis: now_millis(),
        }
    }

    fn millis(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.anchor).as_millis();
        self.anchor_millis
            .saturating_add(u64::try_from(since).unwrap_or(u64::MAX))
    }
}

impl Sessions {
    /// Sessions of worlds made by `behaviours`, keeping at most `max_named` named sessions
    /// (at least one) besides the default one.
    pub fn new(behaviours: Behaviours, max_named: usize) -> Sessions {
        let default = Arc::new(Session::new("", &behaviours, StubBook::default()));
        Sessions {
            behaviours,
            default: RwLock::new(default),
            named: RwLock::new(HashMap::default()),
            max_named: max_named.max(1),
            clock: Clock::new(),
            default_stubs: RwLock::new(StubBook::default()),
        }
    }

    /// Makes `stubs` the stubs every new session starts with, and gives them to every
    /// session there is (at startup, before any request: the default session).
    pub fn set_default_stubs(&self, stubs: StubBook) {
        for session in self.all() {
            session.with_stub_book(|book| *book = stubs.clone());
        }
        *self
            .default_stubs
            .write()
            .unwrap_or_else(|p| p.into_inner()) = stubs;
    }

    /// The stubs every new session starts with (`--stubs DIR`).
    pub fn default_stubs(&self) -> StubBook {
        self.default_stubs
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A new session named `name`, with the fixtures' worlds and the default stubs.
    fn fresh(&self, name: &str) -> Session {
        Session::new(name, &self.behaviours, self.default_stubs())
    }

    pub fn behaviours(&self) -> &Behaviours {
        &self.behaviours
    }

    /// Most named sessions kept at once.
    pub fn max_named(&self) -> usize {
        self.max_named
    }

    /// Every session, the default one first, then by name.
    pub fn all(&self) -> Vec<Arc<Session>> {
        let mut named: Vec<Arc<Session>> = self
            .named
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        named.sort_by(|a, b| a.name.cmp(&b.name));
        let mut all = Vec::with_capacity(named.len() + 1);
        all.push(self.default());
        all.extend(named);
        all
    }

    fn default(&self) -> Arc<Session> {
        self.default
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces every session with `sessions` (the state file's); the default session is
    /// made from the fixtures when `sessions` has none. Repeated names are the caller's to
    /// refuse. When there are more named sessions than the bound, those used the longest ago
    /// are left out; how many.
    pub fn replace(&self, sessions: Vec<Session>) -> usize {
        let (mut named, default): (Vec<Session>, Vec<Session>) =
            sessions.into_iter().partition(|s| !s.name.is_empty());
        // Most recently used first; a stable sort keeps the file's order among equals.
        named.sort_by_key(|s| std::cmp::Reverse(s.last_used()));
        let dropped = named.len().saturating_sub(self.max_named);
        named.truncate(self.max_named);
        let fresh: HashMap<String, Arc<Session>> = named
            .into_iter()
            .map(|s| (s.name.clone(), Arc::new(s)))
            .collect();
        let default = default.into_iter().next().unwrap_or_else(|| self.fresh(""));
        *self.default.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(default);
        *self.named.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        dropped
    }

    /// The session named `name` (the empty name is the default session), created from the
    /// fixtures on first use, and marked as used now. A new name when the bound is reached
    /// takes the place of the named session idle the longest, whose world is dropped.
    pub fn get(&self, name: &str) -> Arc<Session> {
        self.get_at(name, Instant::now())
    }

    /// [`Sessions::get`], marking the session as used at `at` (the request's arrival).
    pub fn get_at(&self, name: &str, at: Instant) -> Arc<Session> {
        let now = self.clock.millis(at);
        if name.is_empty() {
            let session = self.default();
            session.touch(now);
            return session;
        }
        {
            let map = self.named.read().unwrap_or_else(|p| p.into_inner());
            if let Some(s) = map.get(name) {
                s.touch(now);
                return s.clone();
            }
        }
        let mut map = self.named.write().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = map.get(name) {
            s.touch(now);
            return s.clone();
        }
        if map.len() >= self.max_named {
            let idlest = map
                .values()
                .min_by_key(|s| s.last_used())
                .map(|s| s.name.clone());
            if let Some(evicted) = idlest.and_then(|n| map.remove(&n)) {
                tracing::info!(
                    session = %evicted.name,
                    idle_ms = now.saturating_sub(evicted.last_used()),
                    for_session = %name,
                    max_sessions = self.max_named,
                    "dropped the session idle the longest to make room for a new one"
                );
            }
        }
        let session = Arc::new(self.fresh(name));
        session.touch(now);
        map.insert(name.to_owned(), session.clone());
        session
    }

    /// Drops the named session `name` (not the default one, which is reset instead);
    /// whether there was one.
    pub fn remove(&self, name: &str) -> bool {
        let mut map = self.named.write().unwrap_or_else(|p| p.into_inner());
        map.remove(name).is_some()
    }

    /// Drops every named session; how many there were.
    pub fn remove_named(&self) -> usize {
        let mut map = self.named.write().unwrap_or_else(|p| p.into_inner());
        let dropped = map.len();
        map.clear();
        dropped
    }
}

/// Milliseconds since the Unix epoch (0 on a clock set before it).
pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
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
    /// What the proxy saw of an exchange it forwarded (the upstream's answer, the checks'
    /// verdicts), as the journal shows it; `None` for the mock's own answers.
    pub proxied: Option<Box<Value>>,
    /// The broken delivery the client asked for (`Prefer: fault=`), if any.
    pub fault: Option<crate::operation::respond::Fault>,
    /// The stub that answered, if one did.
    pub stub: Option<Arc<str>>,
}

impl JournalEntry {
    fn to_json(&self) -> Value {
        let violations: Vec<Value> = self
            .violations
            .iter()
            .map(|v| json!({"path": v.path(), "keyword": v.keyword.as_str(), "message": v.message}))
            .collect();
        let mut out = json!({
            "method": self.method.as_str(),
            "path": self.path,
            "query": self.query,
            "operationId": self.operation.as_deref(),
            "status": self.status,
            "violations": violations,
            "micros": self.micros,
        });
        if let (Some(proxied), Some(map)) = (&self.proxied, out.as_object_mut()) {
            map.insert("proxy".to_owned(), (**proxied).clone());
        }
        if let (Some(fault), Some(map)) = (self.fault, out.as_object_mut()) {
            map.insert("fault".to_owned(), Value::from(fault.as_str()));
        }
        if let (Some(stub), Some(map)) = (&self.stub, out.as_object_mut()) {
            map.insert("stub".to_owned(), Value::from(&**stub));
        }
        out
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
            proxied: None,
            fault: None,
            stub: None,
        }
    }

    #[test]
    fn the_journal_keeps_the_newest_entries_newest_last() {
        let sessions = Sessions::new(vec![], MAX_SESSIONS);
        let s = sessions.get("");
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
    fn sessions_are_created_once_and_marked_when_used() {
        let sessions = Sessions::new(vec![], 4);
        let a = sessions.get("a");
        assert!(Arc::ptr_eq(&a, &sessions.get("a")));
        a.last_used.store(5, Ordering::Relaxed);
        sessions.get("a");
        assert!(a.last_used() > 5, "using a session marks it");
    }

    #[test]
    fn a_new_session_past_the_bound_takes_the_place_of_the_one_idle_the_longest() {
        let sessions = Sessions::new(vec![], 3);
        for (name, used) in [("a", 30), ("b", 10), ("c", 20)] {
            sessions.get(name).last_used.store(used, Ordering::Relaxed);
        }
        sessions.get("").last_used.store(1, Ordering::Relaxed);
        assert_eq!(sessions.get("").name, "");
        sessions.get("d");
        let names: Vec<String> = sessions.all().iter().map(|s| s.name.clone()).collect();
        assert_eq!(names, ["", "a", "c", "d"], "b was idle the longest");
        // 1,000 new names on a bound of 3: each gets a session, the bound holds.
        for i in 0..1000 {
            assert_eq!(sessions.get(&format!("n{i}")).name, format!("n{i}"));
        }
        let names: Vec<String> = sessions.all().iter().map(|s| s.name.clone()).collect();
        assert_eq!(names.len(), 4, "{names:?}");
        assert_eq!(names[0], "", "the default session is never dropped");
    }

    #[test]
    fn a_named_session_can_be_dropped_but_not_the_default_one() {
        let sessions = Sessions::new(vec![], 8);
        sessions.get("a");
        sessions.get("b");
        assert!(sessions.remove("a"));
        assert!(!sessions.remove("a"));
        assert!(!sessions.remove(""));
        assert_eq!(sessions.remove_named(), 1);
        let names: Vec<String> = sessions.all().iter().map(|s| s.name.clone()).collect();
        assert_eq!(names, [""]);
    }

    #[test]
    fn replacing_keeps_the_most_recently_used_sessions_within_the_bound() {
        let sessions = Sessions::new(vec![], 2);
        let saved = vec![
            Session::restored("old", vec![], 1),
            Session::restored("", vec![], 0),
            Session::restored("newest", vec![], 30),
            Session::restored("newer", vec![], 20),
        ];
        assert_eq!(sessions.replace(saved), 1);
        let names: Vec<String> = sessions.all().iter().map(|s| s.name.clone()).collect();
        assert_eq!(names, ["", "newer", "newest"]);
    }

    #[test]
    fn session_names_are_short_visible_ascii() {
        assert!(valid_session_name("ci-job-42"));
        assert!(!valid_session_name(""));
        assert!(!valid_session_name("has space"));
        assert!(!valid_session_name(&"x".repeat(129)));
    }
}
