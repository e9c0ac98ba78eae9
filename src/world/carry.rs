//! Sessions carried over a reload (`serve --watch`, `POST /__admin/reload`): every session of
//! the old engine rebuilt on the new engine's behaviours, API by API, matched by name.
//!
//! A world is kept when the new behaviour restores what the old one saves of it (the state
//! file's `save` then `restore`) and the API's fixture text is the same; otherwise that API
//! starts again from the (new) fixtures in that session, and the reason is reported. An API
//! that is new starts from its fixtures; one that is gone is dropped. Journals are kept. Stubs
//! are compiled again against the new documents, as a state-file load compiles them; one that
//! no longer fits is dropped and reported; scenario states are kept. When the stubs every
//! session starts with (`--stubs DIR`) changed, each session's copies of the old ones (same id,
//! same definition) give way to the new ones, and the stubs a test added stay.
//!
//! Implementation rationale: the old sessions are only read (worlds saved under their read
//! locks, journals copied), never changed: requests still in flight on the old engine finish
//! there, and a reload that goes no further leaves the old engine as it was.

use std::collections::HashMap;

use serde_json::Value;

use crate::world::state::{Session, Sessions};
use crate::world::stubs::{RestoreStub, StubBook};

/// One engine's side of a reload: its APIs' names and fixture texts (by API index) and its
/// sessions.
pub struct Side<'a> {
    pub names: Vec<&'a str>,
    pub fixture_texts: &'a [Option<String>],
    pub sessions: &'a Sessions,
}

impl Side<'_> {
    fn fixture_text(&self, index: usize) -> Option<&str> {
        self.fixture_texts.get(index).and_then(Option::as_deref)
    }
}

/// A session's world of one API, started again from the fixtures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restarted {
    /// Empty for the default session.
    pub session: String,
    pub api: String,
    pub reason: String,
}

/// A session's stub the new documents no longer take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedStub {
    /// Empty for the default session.
    pub session: String,
    pub stub: String,
    pub reason: String,
}

/// What carrying the sessions over did.
#[derive(Debug, Default)]
pub struct Carried {
    /// Sessions carried over (every one of the old engine, the default one included).
    pub sessions: usize,
    /// Of those, the sessions whose every world was kept.
    pub kept: usize,
    pub restarted: Vec<Restarted>,
    pub stubs_dropped: Vec<DroppedStub>,
    /// Whether the stubs every session starts with changed, and sessions got the new ones.
    pub default_stubs_replaced: bool,
}

/// Rebuilds every session of `old` on `new`'s behaviours and puts them in `new`'s sessions
/// (see the module doc); `restore_stub` compiles a stub's definition against the new
/// documents.
pub fn carry(old: &Side<'_>, new: &Side<'_>, restore_stub: &RestoreStub<'_>) -> Carried {
    let old_index: HashMap<&str, usize> =
        old.names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let old_defaults = definitions(&old.sessions.default_stubs());
    let new_defaults = new.sessions.default_stubs().save();
    let replace_defaults = old_defaults
        != new_defaults
            .stubs
            .iter()
            .map(|s| s.stub.clone())
            .collect::<Vec<_>>();
    let mut carried = Carried {
        default_stubs_replaced: replace_defaults,
        ..Carried::default()
    };
    let mut sessions = Vec::new();
    for session in old.sessions.all() {
        let restarted_before = carried.restarted.len();
        let mut parts = Vec::with_capacity(new.names.len());
        for (i, name) in new.names.iter().enumerate() {
            let Some(behaviour) = new.sessions.behaviours().get(i).and_then(Option::as_ref) else {
                parts.push(None);
                continue;
            };
            let kept = match old_index.get(name) {
                // New: it starts from its fixtures, as in a new session.
                None => Ok(None),
                Some(&j) => keep_world(old, new, j, i, &session, behaviour.as_ref()),
            };
            let world = match kept {
                Ok(Some(world)) => world,
                Ok(None) => behaviour.fresh(),
                Err(reason) => {
                    carried.restarted.push(Restarted {
                        session: session.name.clone(),
                        api: (*name).to_owned(),
                        reason,
                    });
                    behaviour.fresh()
                }
            };
            parts.push(Some(world));
        }
        if carried.restarted.len() == restarted_before {
            carried.kept += 1;
        }
        let mut saved = session.with_stub_book(|b| b.save());
        if replace_defaults {
            saved.stubs.retain(|s| !old_defaults.contains(&s.stub));
            // Saved newest first: the folder's stubs go last, as the oldest, so a stub a test
            // added still comes before them among equal priorities.
            saved.stubs.extend(new_defaults.stubs.iter().cloned());
        }
        let (book, dropped) = saved.restore_each(restore_stub);
        carried
            .stubs_dropped
            .extend(dropped.into_iter().map(|d| DroppedStub {
                session: session.name.clone(),
                stub: d.id,
                reason: d.reason,
            }));
        sessions.push(
            Session::restored(&session.name, parts, session.last_used())
                .with_stubs(book)
                .with_journal_of(&session),
        );
    }
    carried.sessions = sessions.len();
    new.sessions.replace(sessions);
    carried
}

/// The world of old API `j` in `session`, restored by `behaviour` (new API `i`): `Ok(None)`
/// when there was nothing to keep (the old API had no world), `Err` with the reason it
/// cannot be kept.
fn keep_world(
    old: &Side<'_>,
    new: &Side<'_>,
    j: usize,
    i: usize,
    session: &Session,
    behaviour: &dyn crate::world::behaviour::Installed,
) -> Result<Option<Box<crate::world::behaviour::AnyWorld>>, String> {
    let old_behaviour = old.sessions.behaviours().get(j).and_then(Option::as_ref);
    let (Some(old_behaviour), Some(part)) = (old_behaviour, session.part(j)) else {
        return Ok(None);
    };
    if old.fixture_text(j) != new.fixture_text(i) {
        return Err("its fixtures changed".to_owned());
    }
    let saved = old_behaviour
        .save(part)
        .ok_or_else(|| "its world is not that API's".to_owned())?;
    behaviour
        .restore(saved)
        .map(Some)
        .map_err(|e| format!("the new document does not fit its world: {e}"))
}

/// The definitions of a book's stubs, in order.
fn definitions(book: &StubBook) -> Vec<Value> {
    book.save().stubs.into_iter().map(|s| s.stub).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::world::behaviour::{
        Access, Behaviour, Call, Installed, Reply, RestoreError, WithFixtures,
    };
    use crate::world::state::{Behaviours, JournalEntry};
    use crate::world::stubs::StoredStub;

    /// A world that is a count; `save` and `restore` as numbers.
    struct Count;

    /// A world that is a list of names: it refuses a saved count.
    struct Names;

    macro_rules! toy {
        ($behaviour:ty, $world:ty, $restore:expr) => {
            impl Behaviour for $behaviour {
                type World = $world;
                fn access(&self, _: &str) -> Option<Access> {
                    None
                }
                fn read(&self, _: &$world, _: &Call<'_>) -> Option<Reply> {
                    None
                }
                fn write(&self, _: &mut $world, _: &Call<'_>) -> Option<Reply> {
                    None
                }
                fn authenticate(&self, _: &$world, _: &str) -> Option<String> {
                    None
                }
                fn snapshot(&self, world: &$world) -> Value {
                    json!(world)
                }
                fn save(&self, world: &$world) -> Value {
                    json!(world)
                }
                fn restore(&self, _: &$world, saved: Value) -> Result<$world, RestoreError> {
                    $restore(saved)
                }
            }
        };
    }

    toy!(Count, u64, |saved: Value| saved
        .as_u64()
        .ok_or_else(|| RestoreError::new("not a count")));
    toy!(Names, Vec<String>, |saved: Value| serde_json::from_value(
        saved
    )
    .map_err(RestoreError::from));

    fn count() -> Option<Arc<dyn Installed>> {
        Some(Arc::new(WithFixtures {
            behaviour: Count,
            initial: 0,
        }))
    }

    fn names() -> Option<Arc<dyn Installed>> {
        Some(Arc::new(WithFixtures {
            behaviour: Names,
            initial: vec!["fixture".to_owned()],
        }))
    }

    fn sessions(behaviours: Behaviours) -> Sessions {
        Sessions::new(behaviours, 8)
    }

    fn side<'a>(names: &[&'a str], fixtures: &'a [Option<String>], s: &'a Sessions) -> Side<'a> {
        Side {
            names: names.to_vec(),
            fixture_texts: fixtures,
            sessions: s,
        }
    }

    fn set_count(session: &Session, api: usize, n: u64) {
        let part = session.part(api).expect("a world");
        *part.write().unwrap_or_else(|p| p.into_inner()) = Box::new(n);
    }

    fn count_of(session: &Session, api: usize) -> Option<u64> {
        let part = session.part(api)?;
        let guard = part.read().unwrap_or_else(|p| p.into_inner());
        guard.downcast_ref::<u64>().copied()
    }

    /// Compiles any definition but one with `"bad": true`.
    fn compile(definition: &Value) -> Result<StoredStub, String> {
        if definition["bad"] == true {
            return Err("no operation has this path".to_owned());
        }
        let id = definition["id"].as_str().unwrap_or_default();
        Ok(StoredStub::new(
            id.into(),
            1,
            Arc::new(definition.clone()),
            Arc::new(()),
        ))
    }

    fn book(definitions: &[Value]) -> StubBook {
        let mut book = StubBook::default();
        for d in definitions {
            book.add(compile(d).expect("a stub"));
        }
        book
    }

    fn ids(session: &Session) -> Vec<String> {
        session.with_stub_book(|b| b.stubs().iter().map(|s| s.id.to_string()).collect())
    }

    #[test]
    fn a_world_the_new_behaviour_restores_is_kept_with_the_journal() {
        let old = sessions(vec![count()]);
        set_count(&old.get(""), 0, 3);
        let ci = old.get("ci");
        set_count(&ci, 0, 7);
        ci.record(JournalEntry {
            method: http::Method::GET,
            path: "/a".to_owned(),
            query: None,
            operation: None,
            status: 200,
            violations: Arc::default(),
            micros: 0,
            proxied: None,
            fault: None,
            stub: None,
        });
        let new = sessions(vec![count()]);
        let none = [None];
        let carried = carry(
            &side(&["api"], &none, &old),
            &side(&["api"], &none, &new),
            &compile,
        );
        assert_eq!((carried.sessions, carried.kept), (2, 2));
        assert!(carried.restarted.is_empty(), "{:?}", carried.restarted);
        assert_eq!(count_of(&new.get(""), 0), Some(3));
        let ci = new.get("ci");
        assert_eq!(count_of(&ci, 0), Some(7));
        assert_eq!(ci.journal_len(), 1, "the journal is kept");
        assert_eq!(
            count_of(&old.get("ci"), 0),
            Some(7),
            "the old one is as it was"
        );
    }

    #[test]
    fn a_world_starts_again_when_its_fixtures_changed_or_the_new_behaviour_refuses_it() {
        let old = sessions(vec![count(), count()]);
        set_count(&old.get(""), 0, 3);
        set_count(&old.get(""), 1, 4);
        let new = sessions(vec![count(), names()]);
        let before = [Some("a: 1".to_owned()), None];
        let after = [Some("a: 2".to_owned()), None];
        let carried = carry(
            &side(&["fixed", "typed"], &before, &old),
            &side(&["fixed", "typed"], &after, &new),
            &compile,
        );
        assert_eq!((carried.sessions, carried.kept), (1, 0));
        let reasons: Vec<(&str, &str)> = carried
            .restarted
            .iter()
            .map(|r| (r.api.as_str(), r.reason.as_str()))
            .collect();
        assert_eq!(reasons[0], ("fixed", "its fixtures changed"));
        assert_eq!(reasons[1].0, "typed");
        assert!(reasons[1].1.contains("does not fit"), "{reasons:?}");
        let default = new.get("");
        assert_eq!(count_of(&default, 0), Some(0), "the new fixtures' world");
        let part = default.part(1).expect("a world");
        let names = part.read().unwrap_or_else(|p| p.into_inner());
        assert_eq!(
            names.downcast_ref::<Vec<String>>(),
            Some(&vec!["fixture".to_owned()])
        );
    }

    #[test]
    fn a_new_api_starts_from_its_fixtures_and_one_that_is_gone_is_dropped() {
        let old = sessions(vec![count(), count()]);
        set_count(&old.get(""), 0, 3);
        set_count(&old.get(""), 1, 4);
        let new = sessions(vec![count(), count()]);
        let none = [None, None];
        let carried = carry(
            &side(&["gone", "stays"], &none, &old),
            &side(&["stays", "new"], &none, &new),
            &compile,
        );
        assert_eq!(carried.kept, 1, "{:?}", carried.restarted);
        let default = new.get("");
        assert_eq!(count_of(&default, 0), Some(4), "matched by name");
        assert_eq!(count_of(&default, 1), Some(0));
    }

    #[test]
    fn the_folders_stubs_give_way_to_its_new_ones_and_a_stub_a_test_added_stays() {
        let folder = json!({"id": "folder", "v": 1});
        let old = sessions(vec![]);
        old.set_default_stubs(book(std::slice::from_ref(&folder)));
        let ci = old.get("ci");
        // `broken` compiled once; the new documents refuse it (its definition says so).
        let mut broken = compile(&json!({"id": "broken"})).expect("a stub");
        broken.definition = Arc::new(json!({"id": "broken", "bad": true}));
        ci.with_stub_book(|b| {
            b.add(compile(&json!({"id": "mine"})).expect("a stub"));
            b.add(broken);
        });
        let new = sessions(vec![]);
        new.set_default_stubs(book(&[json!({"id": "folder", "v": 2})]));
        let carried = carry(&side(&[], &[], &old), &side(&[], &[], &new), &compile);
        assert!(carried.default_stubs_replaced);
        assert_eq!(
            carried.stubs_dropped,
            [DroppedStub {
                session: "ci".to_owned(),
                stub: "broken".to_owned(),
                reason: "no operation has this path".to_owned(),
            }]
        );
        let ci = new.get("ci");
        assert_eq!(ids(&ci), ["mine", "folder"], "the test's stub comes first");
        let v = ci.with_stub_book(|b| b.get("folder").map(|s| s.definition["v"].clone()));
        assert_eq!(v, Some(json!(2)));
        assert_eq!(ids(&new.get("")), ["folder"]);
    }

    #[test]
    fn unchanged_folder_stubs_keep_their_counts() {
        let folder = json!({"id": "folder"});
        let old = sessions(vec![]);
        old.set_default_stubs(book(std::slice::from_ref(&folder)));
        old.get("").with_stub_book(|b| b.take(|_| true));
        let new = sessions(vec![]);
        new.set_default_stubs(book(&[folder]));
        let carried = carry(&side(&[], &[], &old), &side(&[], &[], &new), &compile);
        assert!(!carried.default_stubs_replaced);
        let matched = new
            .get("")
            .with_stub_book(|b| b.get("folder").map(|s| s.matched));
        assert_eq!(matched, Some(1));
    }
}
