//! The keys beside a `$ref` in an OpenAPI 3.0 document, which the specification ignores: a
//! Reference Object "cannot be extended with additional properties and any properties added
//! SHALL be ignored", and a 3.0 schema with a `$ref` is one. They are dropped while
//! normalising, so that nothing checks them (a sibling `type: application/json` is no reason
//! to refuse a document) and nothing enforces them (validation and generation read the
//! target alone); each place is warned about, or, past a few, the count.
//!
//! Two exceptions keep what 3.0 documents mean by them: `nullable: true` beside a `$ref`
//! reads "this, or null" (rewritten so by `rewrite`), and extensions (`x-...`) stay. A Path
//! Item's `$ref` is no Reference Object: its siblings are the path's own.
//!
//! OpenAPI 3.1 keeps them: there a schema's `$ref` applies beside its siblings.

use serde_json::{Map, Value};

use crate::document::problems::{Problems, excerpt};
use crate::document::refs::pointer_tokens;

/// Siblings that only describe: dropped without a word.
const PROSE: &[&str] = &["description", "summary", "title", "$comment"];

/// Up to this many places are warned about one by one; past it, one warning gives the count.
const ONE_BY_ONE: usize = 5;

/// The sibling keys dropped so far, by place.
#[derive(Debug, Default)]
pub(super) struct Ignored {
    places: Vec<(String, String, Vec<String>)>,
}

impl Ignored {
    /// Drops the siblings of the `$ref` in `map`, if it has one, but `nullable` when
    /// `keep_nullable` (in schemas) and extensions.
    pub(super) fn drop_siblings(
        &mut self,
        map: &mut Map<String, Value>,
        file: &str,
        pointer: &str,
        keep_nullable: bool,
    ) {
        if !matches!(map.get("$ref"), Some(Value::String(_))) {
            return;
        }
        let gone: Vec<String> = map
            .keys()
            .filter(|k| {
                *k != "$ref" && !k.starts_with("x-") && !(keep_nullable && *k == "nullable")
            })
            .cloned()
            .collect();
        for key in &gone {
            map.remove(key);
        }
        let named: Vec<String> = gone
            .into_iter()
            .filter(|k| !PROSE.contains(&k.as_str()))
            .collect();
        if !named.is_empty() {
            self.places
                .push((file.to_owned(), pointer.to_owned(), named));
        }
    }

    /// The warnings: one per place, or one for them all when there are many.
    pub(super) fn report(self, problems: &mut Problems) {
        let count = self.places.len();
        if count <= ONE_BY_ONE {
            for (file, pointer, keys) in &self.places {
                problems.warning(
                    file,
                    pointer,
                    format!(
                        "OpenAPI 3.0 ignores the keys beside a `$ref`: {} {} neither checked \
                         nor enforced",
                        quote(keys),
                        if keys.len() == 1 { "is" } else { "are" }
                    ),
                );
            }
        } else if let Some((file, pointer, keys)) = self.places.first() {
            problems.warning(
                file,
                pointer,
                format!(
                    "OpenAPI 3.0 ignores the keys beside a `$ref`: {count} `$ref`s in this \
                     document carry keys that are neither checked nor enforced (here {})",
                    quote(keys)
                ),
            );
        }
    }
}

/// Whether the node at `pointer` is a Path Item, whose `$ref` keeps its siblings: an entry
/// of `paths`, or of a Callback Object.
pub(super) fn is_path_item(pointer: &str) -> bool {
    let tokens: Vec<String> = pointer_tokens(pointer).collect();
    let n = tokens.len();
    (n == 2 && tokens[0] == "paths") || (n >= 3 && tokens[n - 3] == "callbacks")
}

/// The first few keys, quoted.
fn quote(keys: &[String]) -> String {
    let mut out: Vec<String> = keys
        .iter()
        .take(4)
        .map(|k| format!("`{}`", excerpt(k)))
        .collect();
    if keys.len() > 4 {
        out.push(format!("and {} more", keys.len() - 4));
    }
    out.join(", ")
}
