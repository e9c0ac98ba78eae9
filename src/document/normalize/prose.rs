//! The prose of a document (`description`, `summary`, `externalDocs`) leaves it once loading
//! has checked it: nothing that serves, validates or generates reads it, and on big documents
//! it is a large part of what stays in memory (GitHub's REST description: 14,000
//! descriptions, 1.3 MB of text and as many map entries).
//!
//! Only keyword positions lose it. Data (`example`, `examples`, `default`, `enum`, `const`,
//! an Example's `value`, extensions) is left whole, and so are the maps whose values are
//! strings named by the document's author (a discriminator's `mapping`, OAuth `scopes`, a
//! link's `parameters`): there `description` may be a name. Elsewhere a map of names (the
//! `properties` of a schema, `paths`, `components`) holds objects, so a `description` that is
//! a string is always the keyword, never a name.

use serde_json::Value;

use crate::document::refs::Resources;

/// Keywords whose values are data or author's names, never walked.
const LEFT_WHOLE: &[&str] = &[
    "example",
    "examples",
    "default",
    "enum",
    "const",
    "value",
    "discriminator",
    "scopes",
    "links",
    "security",
];

/// Removes the prose of every file of `resources`.
pub fn drop_prose(resources: &mut Resources) {
    let uris: Vec<String> = resources.files().map(|(uri, _)| uri.to_owned()).collect();
    for uri in uris {
        if let Some(file) = resources.file_mut(&uri) {
            walk(file);
        }
    }
}

fn walk(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for keyword in ["description", "summary"] {
                if map.get(keyword).is_some_and(Value::is_string) {
                    map.shift_remove(keyword);
                }
            }
            if map.get("externalDocs").is_some_and(is_external_docs) {
                map.shift_remove("externalDocs");
            }
            for (key, child) in map.iter_mut() {
                if !key.starts_with("x-") && !LEFT_WHOLE.contains(&key.as_str()) {
                    walk(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(walk),
        _ => {}
    }
}

/// An External Documentation object: a `url` and perhaps a `description`, nothing else.
fn is_external_docs(value: &Value) -> bool {
    value.as_object().is_some_and(|o| {
        o.get("url").is_some_and(Value::is_string)
            && o.keys()
                .all(|k| k == "url" || k == "description" || k.starts_with("x-"))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn dropped(doc: Value) -> Value {
        let mut r = Resources::new("file:///api.json", doc);
        drop_prose(&mut r);
        r.root().clone()
    }

    #[test]
    fn prose_leaves_keyword_positions() {
        let doc = dropped(json!({
            "info": {"title": "T", "description": "about", "version": "1"},
            "externalDocs": {"url": "https://example.com", "description": "more"},
            "paths": {"/a": {"get": {
                "summary": "get a", "description": "long text",
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"type": "object", "description": "an A", "title": "A"}
                }}}}
            }}}
        }));
        assert_eq!(doc["info"], json!({"title": "T", "version": "1"}));
        assert!(doc.get("externalDocs").is_none());
        let get = &doc["paths"]["/a"]["get"];
        assert!(get.get("summary").is_none() && get.get("description").is_none());
        assert_eq!(
            get["responses"]["200"]["content"]["application/json"]["schema"],
            json!({"type": "object", "title": "A"})
        );
    }

    #[test]
    fn names_and_data_called_description_stay() {
        let schema = json!({
            "type": "object",
            "properties": {
                "description": {"type": "string", "description": "the text"},
                "summary": true,
                "externalDocs": {"type": "object"}
            },
            "required": ["description"],
            "example": {"description": "a value", "summary": "kept"},
            "default": {"description": "d"},
            "enum": [{"description": "e"}],
            "discriminator": {"propertyName": "kind", "mapping": {"description": "#/x"}},
            "x-notes": {"description": "an extension's own"}
        });
        let doc = dropped(json!({"components": {
            "schemas": {"description": schema.clone()},
            "examples": {"one": {"summary": "s", "value": {"description": "v"}}},
            "securitySchemes": {"o": {"type": "oauth2", "flows": {"implicit": {
                "authorizationUrl": "https://a", "scopes": {"description": "read it"}
            }}}}
        }}));
        let mut expected = schema;
        expected["properties"]["description"] = json!({"type": "string"});
        assert_eq!(doc["components"]["schemas"]["description"], expected);
        assert_eq!(
            doc["components"]["examples"]["one"],
            json!({"summary": "s", "value": {"description": "v"}})
        );
        assert_eq!(
            doc.pointer("/components/securitySchemes/o/flows/implicit/scopes"),
            Some(&json!({"description": "read it"}))
        );
    }
}
