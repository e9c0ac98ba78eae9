//! The keys beside a `$ref` in an OpenAPI 3.0 document, which the specification ignores: a
//! Reference Object "cannot be extended with additional properties and any properties added
//! SHALL be ignored", and a 3.0 schema with a `$ref` is one. They are moved out of the way
//! while normalising, so that nothing checks them (a sibling `type: application/json` is no
//! reason to refuse a document) and nothing enforces them (validation and generation read the
//! target alone); each place is warned about, or, past a few, the count.
//!
//! Moved, not deleted: they stay in the document under [`KEPT`], an extension no reader
//! applies, because a `$ref` elsewhere may point into them (dnd5eapi's does), and such a
//! `$ref` is pointed at their new place.
//!
//! Exceptions keep what 3.0 documents mean by them: `nullable: true` beside a `$ref` reads
//! "this, or null" (rewritten so by `rewrite`); `readOnly` and `writeOnly` say which side
//! writes the member (184 documents of the APIs.guru directory, GitHub's among them, mark
//! members so), read by the request and response views; and extensions (`x-...`) stay. A Path
//! Item's `$ref` is no Reference Object: its siblings are the path's own.
//!
//! OpenAPI 3.1 keeps them: there a schema's `$ref` applies beside its siblings.

use serde_json::{Map, Value};

use crate::document::problems::{Problems, excerpt};
use crate::document::refs::{Resources, pointer_fragment, pointer_join, pointer_tokens};

/// Where the siblings of a `$ref` are kept: an extension, which no reader applies.
pub(super) const KEPT: &str = "x-understudy-ignored";

/// Siblings a 3.0 schema keeps beside its `$ref`: what the documents mean by them is read.
const MEANT: &[&str] = &["nullable", "readOnly", "writeOnly"];

/// Siblings that only describe: moved without a word.
const PROSE: &[&str] = &["description", "summary", "title", "$comment"];

/// Up to this many places are warned about one by one; past it, one warning gives the count.
const ONE_BY_ONE: usize = 5;

/// One `$ref` whose siblings were moved.
#[derive(Debug)]
struct Place {
    file: String,
    pointer: String,
    /// Every key moved.
    moved: Vec<String>,
    /// The keys warned about: those that would have constrained something.
    named: Vec<String>,
    /// A schema (else a Reference Object of the document's structure).
    schema: bool,
}

/// The siblings moved so far, by place.
#[derive(Debug, Default)]
pub(super) struct Ignored {
    places: Vec<Place>,
    /// How many places `redirect` has looked for `$ref`s into already.
    redirected: usize,
}

impl Ignored {
    /// Moves the siblings of the `$ref` in `map`, if it has one, to [`KEPT`]; but those
    /// [`MEANT`] when in a schema, and extensions.
    pub(super) fn move_siblings(
        &mut self,
        map: &mut Map<String, Value>,
        file: &str,
        pointer: &str,
        schema: bool,
    ) {
        if !matches!(map.get("$ref"), Some(Value::String(_))) {
            return;
        }
        let moved: Vec<String> = map
            .keys()
            .filter(|k| {
                *k != "$ref" && !k.starts_with("x-") && !(schema && MEANT.contains(&k.as_str()))
            })
            .cloned()
            .collect();
        if moved.is_empty() {
            return;
        }
        let mut kept = Map::new();
        for key in &moved {
            if let Some(value) = map.remove(key) {
                kept.insert(key.clone(), value);
            }
        }
        map.insert(KEPT.to_owned(), Value::Object(kept));
        let named = moved
            .iter()
            .filter(|k| !PROSE.contains(&k.as_str()))
            .cloned()
            .collect();
        self.places.push(Place {
            file: file.to_owned(),
            pointer: pointer.to_owned(),
            moved,
            named,
            schema,
        });
    }

    /// Points every `$ref` into siblings moved since the last call at their new place, and
    /// returns those places (file, pointer, whether a schema) for normalising there.
    pub(super) fn redirect(&mut self, resources: &mut Resources) -> Vec<(String, String, bool)> {
        let fresh = &self.places[self.redirected..];
        self.redirected = self.places.len();
        if fresh.is_empty() {
            return Vec::new();
        }
        let uris: Vec<String> = resources.files().map(|(u, _)| u.to_owned()).collect();
        let mut targets = Vec::new();
        for uri in uris {
            if let Some(value) = resources.file_mut(&uri) {
                redirect_in(value, &uri, fresh, &mut targets);
            }
        }
        targets
    }

    /// The warnings: one per place, or one for them all when there are many.
    pub(super) fn report(self, problems: &mut Problems) {
        let named: Vec<&Place> = self.places.iter().filter(|p| !p.named.is_empty()).collect();
        if named.len() <= ONE_BY_ONE {
            for p in named {
                problems.warning(
                    &p.file,
                    &p.pointer,
                    format!(
                        "OpenAPI 3.0 ignores the keys beside a `$ref`: {} {} neither checked \
                         nor enforced",
                        quote(&p.named),
                        if p.named.len() == 1 { "is" } else { "are" }
                    ),
                );
            }
        } else if let Some(p) = named.first() {
            problems.warning(
                &p.file,
                &p.pointer,
                format!(
                    "OpenAPI 3.0 ignores the keys beside a `$ref`: {} `$ref`s in this \
                     document carry keys that are neither checked nor enforced (here {})",
                    named.len(),
                    quote(&p.named)
                ),
            );
        }
    }
}

/// Rewrites, in `value` (the file `uri`), each `$ref` that points into moved siblings.
fn redirect_in(
    value: &mut Value,
    uri: &str,
    places: &[Place],
    targets: &mut Vec<(String, String, bool)>,
) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref")
                && let Some((moved, place)) = moved_target(uri, reference, places)
            {
                let base = reference.split_once('#').map_or("", |(f, _)| f);
                *reference = format!("{base}#{}", pointer_fragment(&moved));
                targets.push((place.file.clone(), moved, place.schema));
            }
            for (key, v) in map.iter_mut() {
                // Examples are data: a `$ref` key inside one is just a key.
                if !matches!(key.as_str(), "example" | "examples" | "const" | "enum") {
                    redirect_in(v, uri, places, targets);
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                redirect_in(v, uri, places, targets);
            }
        }
        _ => {}
    }
}

/// Where `reference` (in `uri`) points now, when it points into moved siblings.
fn moved_target<'p>(
    uri: &str,
    reference: &str,
    places: &'p [Place],
) -> Option<(String, &'p Place)> {
    let absolute = Resources::absolute(uri, reference).ok()?;
    let (file, fragment) = absolute.split_once('#')?;
    let pointer = percent_encoding::percent_decode_str(fragment)
        .decode_utf8()
        .ok()?;
    places.iter().find_map(|place| {
        if place.file != file {
            return None;
        }
        let rest = pointer.strip_prefix(place.pointer.as_str())?;
        let key = pointer_tokens(rest).next()?;
        (rest.starts_with('/') && place.moved.contains(&key))
            .then(|| format!("{}{rest}", pointer_join(&place.pointer, &[KEPT])))
            .map(|moved| (moved, place))
    })
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
