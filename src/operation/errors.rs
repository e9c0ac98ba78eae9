//! Which error format each error status uses, decided once per operation at startup.
//!
//! For a status, the candidates are, in order: the operation's response for that status,
//! its range (`4XX`), its `default`; then the document's own general error format (a
//! `components.responses` entry named for the status, a `components.schemas` entry named
//! like an error, the schema most error responses use). Each candidate is shaped with sample
//! facts and validated against its schema: the first that holds the answer wins. A document
//! with none gets RFC 9457 problem details.
//!
//! Implementation rationale: validating a sample at startup catches schemas that cannot
//! carry a given status (GitBook's `NotFoundError` pins `code` to 404), so the request path
//! only renders.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::document::normalize::View;
use crate::document::problems::Problems;
use crate::document::refs::{Located, Resources};
use crate::error_format::shape::{self, ErrorShape};
use crate::operation::respond::{ResponseSpec, StatusKey};
use crate::schema::validators::{CompiledSchema, SchemaCompiler, SchemaLoc};
use crate::schema::violation::{ErrorFacts, Location, Violation};

/// The error statuses the server itself can answer with.
pub const EMITTED: &[u16] = &[
    400, 401, 403, 404, 405, 406, 408, 409, 413, 414, 415, 421, 422, 429, 431, 500, 501, 503,
];

/// How one error status is rendered.
#[derive(Debug)]
pub struct ErrorRenderer {
    pub content_type: String,
    shape: Option<ErrorShape>,
    pub validator: Option<Arc<CompiledSchema>>,
}

impl ErrorRenderer {
    fn problem() -> Self {
        Self {
            content_type: "application/problem+json".to_owned(),
            shape: None,
            validator: None,
        }
    }

    pub fn render(&self, facts: &ErrorFacts) -> Value {
        match &self.shape {
            Some(shape) => shape.render(facts),
            None => shape::problem_json(facts),
        }
    }

    /// [`ErrorRenderer::render`] as the JSON text of the answer.
    pub fn render_bytes(&self, facts: &ErrorFacts) -> Vec<u8> {
        match &self.shape {
            Some(shape) => shape.write(facts),
            None => serde_json::to_vec(&shape::problem_json(facts)).unwrap_or_default(),
        }
    }
}

/// The renderers of one operation (or of a document, for answers outside operations).
#[derive(Debug, Clone, Default)]
pub struct ErrorCatalog {
    by_status: Vec<(u16, Arc<ErrorRenderer>)>,
}

impl ErrorCatalog {
    pub fn for_status(&self, status: u16) -> Arc<ErrorRenderer> {
        self.by_status
            .iter()
            .find(|(s, _)| *s == status)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| Arc::new(ErrorRenderer::problem()))
    }

    /// Whether the operation declares a response with exactly this status.
    pub fn statuses(&self) -> impl Iterator<Item = u16> + '_ {
        self.by_status.iter().map(|(s, _)| *s)
    }
}

/// A place an error body could come from.
#[derive(Debug, Clone)]
struct Candidate {
    schema: SchemaLoc,
    media_type: String,
    example: Option<Value>,
}

/// Builds catalogs, sharing renderers between operations that use the same schema.
#[derive(Default)]
pub struct ErrorCatalogBuilder {
    cache: HashMap<(u16, String, String), Option<Arc<ErrorRenderer>>>,
    document: Option<Vec<(Option<String>, Candidate)>>,
    /// The document's candidates per status: they do not depend on the operation, and
    /// finding an example for them walks every error response of the document (without this,
    /// loading grows with operations squared: GitHub's 1,000 operations took 25 s).
    by_status: HashMap<u16, Vec<Candidate>>,
    /// The examples of the document's error responses, by the schema they `$ref`: one walk
    /// of every operation, not one per status and candidate (which made loading grow faster
    /// than the document: 36 walks of 40,000 responses in a generated document).
    examples: Option<ErrorExamples>,
}

impl ErrorCatalogBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn for_operation(
        &mut self,
        resources: &Resources,
        compiler: &mut SchemaCompiler<'_>,
        problems: &mut Problems,
        responses: &[ResponseSpec],
    ) -> ErrorCatalog {
        let mut by_status = Vec::new();
        for &status in EMITTED {
            let mut candidates = Vec::new();
            for key in [
                StatusKey::Code(status),
                StatusKey::Range(status / 100),
                StatusKey::Default,
            ] {
                if let Some(r) = responses.iter().find(|r| r.status == key) {
                    candidates.extend(candidate_of(r));
                }
            }
            candidates.extend(self.document_candidates(resources, status));
            let renderer = self.first_fitting(resources, compiler, problems, status, candidates);
            by_status.push((status, renderer));
        }
        ErrorCatalog { by_status }
    }

    pub fn for_document(
        &mut self,
        resources: &Resources,
        compiler: &mut SchemaCompiler<'_>,
        problems: &mut Problems,
    ) -> ErrorCatalog {
        let mut by_status = Vec::new();
        for &status in EMITTED {
            let candidates = self.document_candidates(resources, status);
            let renderer = self.first_fitting(resources, compiler, problems, status, candidates);
            by_status.push((status, renderer));
        }
        ErrorCatalog { by_status }
    }

    fn first_fitting(
        &mut self,
        resources: &Resources,
        compiler: &mut SchemaCompiler<'_>,
        problems: &mut Problems,
        status: u16,
        candidates: Vec<Candidate>,
    ) -> Arc<ErrorRenderer> {
        for c in candidates {
            let key = (
                status,
                c.schema.uri(),
                c.example.as_ref().map(Value::to_string).unwrap_or_default(),
            );
            if let Some(known) = self.cache.get(&key) {
                match known {
                    Some(r) => return r.clone(),
                    None => continue,
                }
            }
            let fitted = fit(resources, compiler, problems, status, &c).map(Arc::new);
            self.cache.insert(key, fitted.clone());
            if let Some(r) = fitted {
                return r;
            }
        }
        Arc::new(ErrorRenderer::problem())
    }

    /// The document's general error formats that could answer `status`, best first.
    fn document_candidates(&mut self, resources: &Resources, status: u16) -> Vec<Candidate> {
        if let Some(known) = self.by_status.get(&status) {
            return known.clone();
        }
        let all = self
            .document
            .get_or_insert_with(|| document_error_candidates(resources))
            .clone();
        let wanted = status_names(status);
        let mut named: Vec<Candidate> = Vec::new();
        let mut general: Vec<Candidate> = Vec::new();
        for (name, c) in &all {
            match name {
                Some(n) if wanted.iter().any(|w| n.to_ascii_lowercase().starts_with(w)) => {
                    named.push(c.clone());
                }
                Some(_) => {}
                None => {
                    let mut c = c.clone();
                    if c.example.is_none() {
                        let examples = self
                            .examples
                            .get_or_insert_with(|| ErrorExamples::of(resources));
                        c.example = examples.for_schema(&c.schema.uri(), status);
                    }
                    general.push(c);
                }
            }
        }
        named.extend(general);
        self.by_status.insert(status, named.clone());
        named
    }
}

/// Shapes a sample for `status` and validates it; `None` when the schema cannot hold it.
fn fit(
    resources: &Resources,
    compiler: &mut SchemaCompiler<'_>,
    problems: &mut Problems,
    status: u16,
    c: &Candidate,
) -> Option<ErrorRenderer> {
    let schema = c.schema.get(resources)?;
    let located = Located {
        base: &c.schema.file,
        value: schema,
    };
    let shape = ErrorShape::compile(resources, located, c.example.as_ref()).ok()?;
    // A status member pinned to other codes renders as one of those, which validates but
    // lies about the status.
    if !shape.holds_status(status) {
        return None;
    }
    let validator = match compiler.compile(&c.schema, View::Response) {
        Ok(v) => v,
        Err(e) => {
            problems.error(&c.schema.file, &c.schema.pointer, e);
            return None;
        }
    };
    let sample = sample_facts(status);
    let rendered = shape.render(&sample);
    if !validator.is_valid(&rendered) {
        return None;
    }
    let content_type = if c.media_type.contains('*') {
        "application/json".to_owned()
    } else {
        c.media_type.clone()
    };
    Some(ErrorRenderer {
        content_type,
        shape: Some(shape),
        validator: Some(validator),
    })
}

fn sample_facts(status: u16) -> ErrorFacts {
    ErrorFacts::new(
        status,
        reason(status),
        "A sample error used to check the error format.",
    )
    .with_violations(vec![Violation::new(
        Location::Body(vec![crate::schema::violation::Segment::Key("field".into())]),
        "type",
        "This value should be of type string.",
    )])
    .with_instance("/sample")
}

/// The JSON media type of a response, with its schema and example.
fn candidate_of(r: &ResponseSpec) -> Option<Candidate> {
    let media = r
        .media
        .iter()
        .find(|m| crate::operation::negotiate::is_json(&m.media_type))
        .or_else(|| r.media.first())?;
    Some(Candidate {
        schema: media.schema.clone()?,
        media_type: media.media_type.clone(),
        example: media.first_example().cloned(),
    })
}

/// `components.responses` entries (named) and error-like `components.schemas` plus the
/// schema most used by error responses (unnamed, general).
fn document_error_candidates(resources: &Resources) -> Vec<(Option<String>, Candidate)> {
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
struct ErrorExamples(HashMap<String, Vec<(String, Value)>>);

impl ErrorExamples {
    fn of(resources: &Resources) -> Self {
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
    fn for_schema(&self, schema_uri: &str, status: u16) -> Option<Value> {
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
fn status_names(status: u16) -> &'static [&'static str] {
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

/// The standard reason phrase, used as an error's title.
pub fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
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
