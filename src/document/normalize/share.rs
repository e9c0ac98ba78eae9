//! Shared references: in a validation view, a `$ref` to a schema of the document becomes
//! [`SHARED_REF`] with the number of its target, so that a validator compiles each target once
//! and every reference to it, from any schema of the document, uses that one compiled form.
//!
//! A validator compiles what a `$ref` reaches into its own tree, so the 242 responses of
//! Stripe's description, each reaching about 480 of its 775 components, would compile them
//! 240 times over (900 MB). The numbering is the view's part; `schema::validators` compiles
//! the targets and gives the keyword its meaning, which is exactly the `$ref`'s.
//!
//! Not every document can share: a keyword whose meaning depends on the path by which a schema
//! was reached (`$dynamicRef`, `unevaluatedProperties`, which sees what the referenced schema
//! evaluated, a `$id` that changes the base of relative references) keeps its document's
//! references as written.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::document::normalize::ValidationView;
use crate::document::refs::Resources;

/// The keyword a shared `$ref` is written as in a validation view: its value is the target's
/// number in [`SharedTargets`].
pub const SHARED_REF: &str = "x-understudy-ref";

/// Keywords that make a schema's meaning depend on how it was reached.
const PATH_DEPENDENT: [&str; 8] = [
    "$id",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$recursiveRef",
    "$recursiveAnchor",
    "unevaluatedProperties",
    "unevaluatedItems",
];

/// The targets of a view's shared references, by number: absolute URIs, as a validator's
/// `$ref` names them.
#[derive(Debug, Clone, Default)]
pub struct SharedTargets {
    uris: Vec<Box<str>>,
    numbers: HashMap<Box<str>, u32>,
    /// Whether the view numbers its references at all (the default does not: it keeps them
    /// as written).
    sharing: bool,
}

impl SharedTargets {
    /// Targets to be numbered, for a document whose references can be shared.
    pub(super) fn sharing() -> Self {
        Self {
            sharing: true,
            ..Self::default()
        }
    }

    /// Whether the view's references were numbered, rather than kept as written.
    pub fn is_sharing(&self) -> bool {
        self.sharing
    }

    /// The absolute URI of target `number`.
    pub fn uri(&self, number: u32) -> Option<&str> {
        self.uris.get(number as usize).map(|u| &**u)
    }

    /// The number of the target at the absolute URI `uri`, if it is one.
    pub fn number_of(&self, uri: &str) -> Option<u32> {
        self.numbers.get(uri).copied()
    }

    pub fn len(&self) -> usize {
        self.uris.len()
    }

    pub fn is_empty(&self) -> bool {
        self.uris.is_empty()
    }

    /// The number of the schema `reference` (written in `base`) names, if it is a JSON
    /// pointer into a file of `resources` that holds a value there.
    fn number(&mut self, resources: &Resources, base: &str, reference: &str) -> Option<u32> {
        let absolute = Resources::absolute(base, reference).ok()?;
        if let Some(&n) = self.numbers.get(absolute.as_str()) {
            return Some(n);
        }
        schema_at(resources, &absolute)?;
        let n = u32::try_from(self.uris.len()).ok()?;
        let absolute: Box<str> = absolute.into();
        self.uris.push(absolute.clone());
        self.numbers.insert(absolute, n);
        Some(n)
    }

    /// Rewrites the `$ref` of one schema object of the file at `base` as a shared reference,
    /// when its target can be numbered. `resources` holds the files as written.
    pub(super) fn rewrite(
        &mut self,
        map: &mut Map<String, Value>,
        resources: &Resources,
        base: &str,
    ) {
        let Some(reference) = map.get("$ref").and_then(Value::as_str) else {
            return;
        };
        let Some(n) = self.number(resources, base, reference) else {
            return;
        };
        map.remove("$ref");
        map.insert(SHARED_REF.to_owned(), Value::from(n));
    }
}

/// Whether the references of `resources` can be shared: no file uses a path-dependent keyword.
pub(super) fn can_share(resources: &Resources) -> bool {
    !resources
        .files()
        .any(|(_, file)| mentions_path_dependent(file))
}

fn mentions_path_dependent(value: &Value) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| PATH_DEPENDENT.contains(&k.as_str()) || mentions_path_dependent(v)),
        Value::Array(items) => items.iter().any(mentions_path_dependent),
        _ => false,
    }
}

/// For each target of `request`'s shared references, whether it reads the same in
/// `response`, with every target it reaches: then one compiled form serves both views. Both
/// views number their targets alike (one walk order over one document), or none is the same.
pub fn same_in_both(request: &ValidationView, response: &ValidationView) -> Vec<bool> {
    let targets = &request.shared;
    if targets.uris != response.shared.uris {
        return vec![false; targets.len()];
    }
    let mut differs = Vec::with_capacity(targets.len());
    // Who references whom, backwards: a target that differs makes its referrers differ.
    let mut referrers: Vec<Vec<u32>> = vec![Vec::new(); targets.len()];
    for (n, uri) in targets.uris.iter().enumerate() {
        let (req, resp) = (
            schema_at(&request.resources, uri),
            schema_at(&response.resources, uri),
        );
        differs.push(req.is_none() || req != resp);
        if let Some(value) = req {
            let mut reached = Vec::new();
            numbers_in(value, &mut reached);
            for m in reached {
                if let Some(r) = referrers.get_mut(m as usize) {
                    r.push(n as u32);
                }
            }
        }
    }
    let mut queue: Vec<u32> = (0..targets.len() as u32)
        .filter(|&n| differs[n as usize])
        .collect();
    while let Some(n) = queue.pop() {
        for &referrer in &referrers[n as usize] {
            if !differs[referrer as usize] {
                differs[referrer as usize] = true;
                queue.push(referrer);
            }
        }
    }
    differs.into_iter().map(|d| !d).collect()
}

/// The value the absolute URI `uri` names in `resources`, if its fragment is a JSON pointer
/// (or empty) and the value is there.
fn schema_at<'r>(resources: &'r Resources, uri: &str) -> Option<&'r Value> {
    let (file, fragment) = uri.split_once('#').unwrap_or((uri, ""));
    if !(fragment.is_empty() || fragment.starts_with('/')) {
        return None;
    }
    let pointer = percent_encoding::percent_decode_str(fragment)
        .decode_utf8()
        .ok()?;
    resources.file(file)?.pointer(&pointer)
}

/// The target numbers of the shared references in `value`.
fn numbers_in(value: &Value, out: &mut Vec<u32>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == SHARED_REF {
                    if let Some(n) = v.as_u64().and_then(|n| u32::try_from(n).ok()) {
                        out.push(n);
                    }
                } else {
                    numbers_in(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| numbers_in(v, out)),
        _ => {}
    }
}
