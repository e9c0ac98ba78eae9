//! CRUD's world in the state file: per resource (named by its route, in the order `infer`
//! found them), the counters behind new ids and seeds, and every list with its items, their
//! sequence numbers (cursors) and the next one. Restoring finds each resource by its route, so
//! a reload that adds a collection keeps the others' items (`world::carry`).

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
    /// The world `saved` describes, each resource found by its route. A resource the
    /// document adds starts empty (a reload keeps the others' items); one it no longer has
    /// is refused while it holds items, so that a reload starts the world again, and says
    /// why, rather than losing them quietly.
    pub(super) fn restore_world(&self, saved: Value) -> Result<World, RestoreError> {
        let saved: Saved = serde_json::from_value(saved)?;
        let mut by_route = std::collections::HashMap::new();
        for store in saved.resources {
            let route = store.route.clone();
            if by_route.insert(route.clone(), store).is_some() {
                return Err(RestoreError::new(format!("{route} appears twice")));
            }
        }
        let mut stores = Vec::with_capacity(self.inferred.resources.len());
        for resource in &self.inferred.resources {
            let Some(store) = by_route.remove(&resource.route) else {
                stores.push(Store::default());
                continue;
            };
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
        let mut gone: Vec<&str> = by_route
            .values()
            .filter(|s| s.lists.iter().any(|l| !l.items.is_empty()))
            .map(|s| s.route.as_str())
            .collect();
        if !gone.is_empty() {
            gone.sort_unstable();
            return Err(RestoreError::new(format!(
                "it has items of {}, which the document no longer has",
                gone.join(", ")
            )));
        }
        Ok(World { stores })
    }
}
