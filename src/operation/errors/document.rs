//! The document's own general error formats, for statuses an operation declares no body
//! for: `components.responses` entries named for a status, `components.schemas` entries named
//! like an error, and the schema most error responses `$ref`; with the examples of the
//! document's error responses, which fill members the facts do not cover.

use std::collections::HashMap;

use serde_json::Value;

use super::Candidate;
use crate::document::refs::Resources;
use crate::schema::validators::SchemaLoc;

/// `components.responses` entries (named) and error-like `components.schemas` plus the
/// schema most used by error responses (unnamed, general).
pub(super) fn document_error_candidates(resources: &Resources) -> Vec<(Option<String>, Candidate)> {
    let root = resources.root();
    let file = resources.root_uri();
    let mut out = Vec::new();
    if let Some(Value::Object(responses)) = root.pointer("/components/responses") {
        for (name, response) in responses {
            let base = crate::document::refs::pointer_join("/components/responses", &[name]);
            if let Some(c) = media_candidate(resources, file, &base, response) {
                out.push((Some(name.clone()), c));
            }
        }
    }
    if let Some(Value::Object(schemas)) = root.pointer("/components/schemas") {
        for name in schemas.keys() {
            let lower = name.to_ascii_lowercase();
            let error_like = [
                "error",
                "errors",
                "errorresponse",
                "errormodel",
                "apierror",
                "problem",
                "problemdetails",
                "problemdetail",
                "httperror",
            ];
            if error_like.contains(&lower.as_str()) {
                let schema = SchemaLoc::new(
                    file,
                    crate::document::refs::pointer_join("/components/schemas", &[name]),
                );
                out.push((
                    None,
                    Candidate {
                        schema,
                        media_type: if lower.starts_with("problem") {
                            "application/problem+json".to_owned()
                        } else {
                            "application/json".to_owned()
                        },
                        example: None,
                    },
                ));
            }
        }
    }
    if let Some(c) = most_used_error_schema(resources) {
        out.push((None, c));
    }
    out
}

fn media_candidate(
    resources: &Resources,
    file: &str,
    pointer: &str,
    response: &Value,
) -> Option<Candidate> {
    let located = resources.deref(file, response).ok()?;
    let (file, pointer) = if response.get("$ref").is_some() {
        let r = response.get("$ref")?.as_str()?;
        let abs = Resources::absolute(file, r).ok()?;
        let (f, frag) = abs.split_once('#')?;
        (
            f.to_owned(),
            percent_encoding::percent_decode_str(frag)
                .decode_utf8_lossy()
                .into_owned(),
        )
    } else {
        (file.to_owned(), pointer.to_owned())
    };
    let content = located.value.get("content")?.as_object()?;
    let (media_type, media) = content
        .iter()
        .find(|(k, _)| crate::operation::negotiate::is_json(k))
        .or_else(|| content.iter().next())?;
    media.get("schema")?;
    let example = media.get("example").cloned().or_else(|| {
        media
            .get("examples")
            .and_then(Value::as_object)
            .and_then(|m| m.values().next())
            .and_then(|e| resources.deref(located.base, e).ok())
            .and_then(|e| e.value.get("value").cloned())
    });
    Some(Candidate {
        schema: SchemaLoc::new(
            file,
            crate::document::refs::pointer_join(&pointer, &["content", media_type, "schema"]),
        ),
        media_type: media_type.clone(),
        example,
    })
}

/// One media type of an error response (`4xx`, `5xx` or `default`) of any operation.
struct ErrorMedia<'a> {
    /// The response's key: `404`, `4XX`, `default`.
    key: &'a str,
    media_type: &'a str,
    media: &'a Value,
    /// The URI of the file the (resolved) response lives in.
    base: &'a str,
}

impl ErrorMedia<'_> {
    /// The absolute URI the media's schema `$ref`s, if its schema is a reference.
    fn schema_ref(&self) -> Option<String> {
        let r = self.media.pointer("/schema/$ref").and_then(Value::as_str)?;
        Resources::absolute(self.base, r).ok()
    }
}

/// Every media type of every error response of the document's operations.
fn error_media(resources: &Resources) -> Vec<ErrorMedia<'_>> {
    let mut out = Vec::new();
    let Some(paths) = resources.root().get("paths").and_then(Value::as_object) else {
        return out;
    };
    let operations = paths
        .values()
        .filter_map(Value::as_object)
        .flat_map(|item| item.values());
    for op in operations {
        let Some(Value::Object(responses)) = op.get("responses") else {
            continue;
        };
        for (key, response) in responses {
            if !(key == "default" || key.starts_with('4') || key.starts_with('5')) {
                continue;
            }
            let Ok(resolved) = resources.deref(resources.root_uri(), response) else {
                continue;
            };
            let Some(Value::Object(content)) = resolved.value.get("content") else {
                continue;
            };
            for (media_type, media) in content {
                out.push(ErrorMedia {
                    key,
                    media_type,
                    media,
                    base: resolved.base,
                });
            }
        }
    }
    out
}

/// The examples of every error response whose schema is a `$ref`, by the schema's absolute
/// URI, with the response's key (`404`, `default`), in document order.
#[derive(Debug, Default)]
pub(super) struct ErrorExamples(HashMap<String, Vec<(String, Value)>>);

impl ErrorExamples {
    pub(super) fn of(resources: &Resources) -> Self {
        let mut by_schema: HashMap<String, Vec<(String, Value)>> = HashMap::new();
        for m in error_media(resources) {
            let Some(uri) = m.schema_ref() else {
                continue;
            };
            let example = m.media.get("example").cloned().or_else(|| {
                let first = m.media.get("examples")?.as_object()?.values().next()?;
                let found = resources.deref(m.base, first).ok()?;
                found.value.get("value").cloned()
            });
            if let Some(example) = example {
                by_schema
                    .entry(uri)
                    .or_default()
                    .push((m.key.to_owned(), example));
            }
        }
        Self(by_schema)
    }

    /// An example from an error response for `status` (or `default`) whose schema is a
    /// `$ref` to `schema_uri`: it carries members the facts do not (a docs URL in `type`), so
    /// errors outside operations match the others. Examples of other statuses say other
    /// things.
    pub(super) fn for_schema(&self, schema_uri: &str, status: u16) -> Option<Value> {
        let code = status.to_string();
        self.0
            .get(schema_uri)?
            .iter()
            .find(|(key, _)| key == "default" || *key == code)
            .map(|(_, example)| example.clone())
    }
}

/// The schema `$ref`'d most often by 4xx/5xx/default responses across the document.
fn most_used_error_schema(resources: &Resources) -> Option<Candidate> {
    let mut counts: HashMap<String, (usize, String)> = HashMap::new();
    for m in error_media(resources) {
        if let Some(abs) = m.schema_ref() {
            let entry = counts.entry(abs).or_insert((0, m.media_type.to_owned()));
            entry.0 += 1;
        }
    }
    let (abs, (_, media_type)) = counts
        .into_iter()
        .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.0.cmp(&a.0)))?;
    let (file, frag) = abs.split_once('#')?;
    Some(Candidate {
        schema: SchemaLoc::new(
            file,
            percent_encoding::percent_decode_str(frag)
                .decode_utf8_lossy()
                .into_owned(),
        ),
        media_type,
        example: None,
    })
}

/// Lower-case prefixes of `components.responses` names that mean this status.
pub(super) fn status_names(status: u16) -> &'static [&'static str] {
    match status {
        400 => &[
            "badrequest",
            "invalidrequest",
            "validationerror",
            "bad_request",
        ],
        401 => &[
            "unauthorized",
            "unauthorised",
            "unauthenticated",
            "authentication",
        ],
        403 => &["forbidden", "accessdenied", "permissiondenied"],
        404 => &["notfound", "not_found", "resourcenotfound"],
        405 => &["methodnotallowed"],
        406 => &["notacceptable"],
        408 => &["requesttimeout", "timeout"],
        409 => &["conflict"],
        413 => &[
            "payloadtoolarge",
            "contenttoolarge",
            "requestentitytoolarge",
        ],
        415 => &["unsupportedmediatype"],
        421 => &["misdirected"],
        422 => &["unprocessable", "validationerror", "validationfailed"],
        429 => &["toomanyrequests", "ratelimit"],
        500 => &[
            "internalservererror",
            "internalerror",
            "servererror",
            "unexpectederror",
        ],
        503 => &["serviceunavailable"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_error_schema_s_example_is_the_first_of_a_response_for_its_status_or_default() {
        let e = |n: u16| {
            json!({"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/E"}, "example": {"n": n}}}})
        };
        let doc = json!({
            "paths": {
                "/a": {"get": {"responses": {"default": e(1), "404": e(2)}}},
                "/b": {"get": {"responses": {"404": e(3), "500": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/F"}, "example": {"f": 1}}}}}}},
            },
            "components": {"schemas": {"E": {"type": "object"}, "F": {"type": "object"}}},
        });
        let r = Resources::new("file:///t.yaml", doc);
        let examples = ErrorExamples::of(&r);
        let e_uri = "file:///t.yaml#/components/schemas/E";
        assert_eq!(examples.for_schema(e_uri, 404), Some(json!({"n": 1})));
        assert_eq!(examples.for_schema(e_uri, 500), Some(json!({"n": 1})));
        let f_uri = "file:///t.yaml#/components/schemas/F";
        assert_eq!(examples.for_schema(f_uri, 500), Some(json!({"f": 1})));
        assert_eq!(examples.for_schema(f_uri, 404), None);
        assert_eq!(examples.for_schema("file:///t.yaml#/nothing", 404), None);
    }
}
