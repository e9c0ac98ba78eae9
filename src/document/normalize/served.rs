//! Whether a document declares anything to serve. A document of webhooks only, or with empty
//! `paths`, is valid OpenAPI and loads, but nothing in it answers a request: it is said once,
//! first, so that `serve` logs it and `routes` prints it above an empty list.

use serde_json::Value;

use crate::document::problems::Problems;
use crate::document::refs::{Resources, pointer_join};

/// The methods a Path Item may hold operations for.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Warns when the document declares no operation, and names its webhooks if it has some.
pub(super) fn warn_when_nothing_is_served(resources: &Resources, problems: &mut Problems) {
    let root = resources.root();
    let root_uri = resources.root_uri();
    if root.get("openapi").is_none() {
        // Not an OpenAPI document's root (a fragment, in tests): nothing to say.
        return;
    }
    let paths = root.get("paths").and_then(Value::as_object);
    let declared = paths.into_iter().flatten().any(|(key, item)| {
        if key.starts_with("x-") {
            return false;
        }
        // A Path Item may be a `$ref` (to another file): its target holds the methods.
        let item = resources
            .deref(root_uri, item)
            .map_or(item, |located| located.value);
        METHODS.iter().any(|m| item.get(*m).is_some())
    });
    if declared {
        return;
    }
    let webhooks = root
        .get("webhooks")
        .and_then(Value::as_object)
        .map_or(0, |w| w.keys().filter(|k| !k.starts_with("x-")).count());
    let (pointer, mut message) = if paths.is_some() {
        (
            pointer_join("", &["paths"]),
            "the document declares no operations (its `paths` hold none): nothing is served"
                .to_owned(),
        )
    } else {
        (
            String::new(),
            "the document declares no operations (it has no `paths`): nothing is served".to_owned(),
        )
    };
    match webhooks {
        0 => {}
        1 => message.push_str(
            "; its webhook describes a request the API sends, which understudy does not serve",
        ),
        n => message.push_str(&format!(
            "; its {n} webhooks describe requests the API sends, which understudy does not serve"
        )),
    }
    problems.warning(root_uri, &pointer, message);
}
