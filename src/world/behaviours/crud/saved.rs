//! CRUD's world in the state file: per resource (named by its route, in the order `infer`
//! found them), the counters behind new ids and seeds, and every list with its items, their
//! sequence numbers (cursors) and the next one.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::list::List;
use super::{Crud, Store, World};
use crate::world::behaviour::RestoreError;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Saved {
    resources: Vec<SavedStore>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedStore {
    route: String,
    /// Items ever created: the seed of the next generated id and values.
    created: u64,
    /// The highest integer id given out or chosen.
    highest: i64,
    lists: Vec<SavedList>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedList {
    /// The parents' ids, outermost first (empty for a top-level collection).
    parents: Vec<String>,
    next_seq: u64,
    items: Vec<SavedItem>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedItem {
    seq: u64,
    id: String,
    item: Value,
}

impl Crud {
    pub(super) fn save_world(&self, world: &World) -> Value {
        let resources = self
            .inferred
            .resources
            .iter()
            .zip(&world.stores)
            .map(|(resource, store)| SavedStore {
                route: resource.route.clone(),
                created: store.created,
                highest: store.highest,
                lists: store
                    .lists
                    .iter()
                    .map(|(parents, list)| SavedList {
                        parents: parents.clone(),
                        next_seq: list.next_seq(),
                        items: list
                            .iter_seq()
                            .map(|(seq, id, item)| SavedItem {
                                seq,
                                id: id.to_owned(),
                                item: item.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        // Only string keys and JSON values: serialising cannot fail.
        serde_json::to_value(Saved { resources }).unwrap_or(Value::Null)
    }

    /// The world `saved` describes: the document's resources, in order, and well-formed lists.
    pub(super) fn restore_world(&self, saved: Value) -> Result<World, RestoreError> {
        let saved: Saved = serde_json::from_value(saved)?;
        let expected: Vec<&str> = self
            .inferred
            .resources
            .iter()
            .map(|r| r.route.as_str())
            .collect();
        let found: Vec<&str> = saved.resources.iter().map(|r| r.route.as_str()).collect();
        if expected != found {
            return Err(RestoreError::new(format!(
                "the resources are {found:?}; the document has {expected:?}"
            )));
        }
        let mut stores = Vec::with_capacity(saved.resources.len());
        for store in saved.resources {
            let mut lists = std::collections::BTreeMap::new();
            for list in store.lists {
                let at = |m: String| {
                    RestoreError::new(format!("{} under {:?}: {m}", store.route, list.parents))
                };
                let items = list.items.into_iter().map(|i| (i.seq, i.id, i.item));
                let restored = List::restore(items, list.next_seq).map_err(at)?;
                if lists.insert(list.parents.clone(), restored).is_some() {
                    return Err(at("the list appears twice".into()));
                }
            }
            stores.push(Store {
                created: store.created,
                highest: store.highest,
                lists,
            });
        }
        Ok(World { stores })
    }
}
