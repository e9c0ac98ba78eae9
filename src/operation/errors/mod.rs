//! Which error format each error status uses, decided once per operation at startup.
//!
//! Where the operation declares a body for the status (its response for that status, else
//! for its range `4XX`, else `default`), every error answer with that status fits it: in one
//! of the declared media types (the one `Accept` prefers, where several are declared) and
//! valid against that media type's schema; `declared` finds how. Only where the operation
//! declares no body for the status are the other candidates tried, in order: the operation's
//! range and `default` responses, then the document's own general error format (a
//! `components.responses` entry named for the status, a `components.schemas` entry named like
//! an error, the schema most error responses use; see `document`). Each candidate is shaped
//! with sample facts and validated against its schema: the first that holds the answer wins.
//! A document with none gets RFC 9457 problem details.
//!
//! - `declared`: the renderers of a declared error response, one per media type.
//! - `document`: the document's general error formats.
//!
//! Implementation rationale: validating samples at startup catches schemas that cannot carry
//! a given status (GitBook's `NotFoundError` pins `code` to 404), so the request path only
//! renders; a body no error format fits is generated from the schema here too, once.

mod declared;
mod document;

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

use crate::document::normalize::View;
use crate::document::problems::Problems;
use crate::document::refs::{Located, Resources};
use crate::error_format::shape::{self, ErrorShape};
use crate::operation::negotiate;
use crate::operation::respond::{self, ResponseSpec, StatusKey};
use crate::schema::validators::{CompiledSchema, SchemaCompiler, SchemaLoc};
use crate::schema::violation::{ErrorFacts, Location, Violation};

use declared::written_as_json;
use document::{ErrorExamples, document_error_candidates, status_names};

/// The error statuses the server itself can answer with.
pub const EMITTED: &[u16] = &[
    400, 401, 403, 404, 405, 406, 408, 409, 413, 414, 415, 421, 422, 429, 431, 500, 501, 503,
];

/// How one error status is rendered in one media type.
#[derive(Debug, Clone)]
pub struct ErrorRenderer {
    pub content_type: String,
    body: Body,
    /// The schema the body is judged by: the declared one, else the error format's own.
    pub validator: Option<Arc<CompiledSchema>>,
}

/// What an error body is made of.
#[derive(Debug, Clone)]
enum Body {
    /// RFC 9457 problem details.
    Problem,
    /// The facts mapped onto an error schema.
    Shape(ErrorShape),
    /// The facts as one text ([`shape::plain_text`]): a `text/*` body.
    Text,
    /// The facts as one JSON string: an error schema that is a string.
    JsonText,
    /// A body that fits the declared schema where no error format does (a valid example, or
    /// data generated from the schema): it says nothing of the facts, but keeps the document.
    Fixed(Bytes),
    /// Another body's value, written as XML under the root element named (a body declared
    /// in an XML media type: made and judged as JSON, sent as XML).
    Xml { root: String, value: Box<Body> },
}

impl ErrorRenderer {
    fn problem() -> Self {
        Self {
            content_type: "application/problem+json".to_owned(),
            body: Body::Problem,
            validator: None,
        }
    }

    /// The same body, sent as `content_type` and judged by `validator`.
    fn sent_as(&self, content_type: &str, validator: Option<Arc<CompiledSchema>>) -> Self {
        Self {
            content_type: content_type.to_owned(),
            body: self.body.clone(),
            validator,
        }
    }

    /// The same body, written as XML under `root`.
    fn written_as_xml(self, root: String) -> Self {
        Self {
            body: Body::Xml {
                root,
                value: Box::new(self.body),
            },
            ..self
        }
    }

    /// The body for `facts`, as a value (a `text/*` body is a string; an XML one the value it
    /// is written from).
    pub fn render(&self, facts: &ErrorFacts) -> Value {
        self.body.value(facts)
    }

    /// [`ErrorRenderer::render`] as the bytes of the answer.
    pub fn render_bytes(&self, facts: &ErrorFacts) -> Vec<u8> {
        match &self.body {
            Body::Shape(shape) => shape.write(facts),
            Body::Problem => serde_json::to_vec(&shape::problem_json(facts)).unwrap_or_default(),
            Body::Text => shape::plain_text(facts).into_bytes(),
            Body::JsonText => serde_json::to_vec(&shape::plain_text(facts)).unwrap_or_default(),
            Body::Fixed(bytes) => bytes.to_vec(),
            Body::Xml { root, value } => {
                respond::xml::write(root, &value.value(facts)).into_bytes()
            }
        }
    }

    /// Whether the body for `facts` is valid against `validator`.
    fn fits(&self, validator: &CompiledSchema, facts: &ErrorFacts) -> bool {
        validator.is_valid(&self.render(facts))
    }
}

impl Body {
    fn value(&self, facts: &ErrorFacts) -> Value {
        match self {
            Body::Shape(shape) => shape.render(facts),
            Body::Problem => shape::problem_json(facts),
            Body::Text | Body::JsonText => Value::String(shape::plain_text(facts)),
            // Fixed bodies are JSON (or a text, for `text/*`) made from a value at startup.
            Body::Fixed(bytes) => serde_json::from_slice(bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned())),
            Body::Xml { value, .. } => value.value(facts),
        }
    }
}

/// The renderers of one status, one per media type, the one used without `Accept` first.
#[derive(Debug, Default)]
struct Formats {
    renderers: Vec<Arc<ErrorRenderer>>,
    /// Their content types, for `Accept` negotiation.
    offered: Vec<String>,
}

impl Formats {
    fn new(renderers: Vec<Arc<ErrorRenderer>>) -> Self {
        let offered = renderers.iter().map(|r| r.content_type.clone()).collect();
        Self { renderers, offered }
    }
}

/// The renderers of one operation (or of a document, for answers outside operations).
#[derive(Debug, Clone, Default)]
pub struct ErrorCatalog {
    /// Shared between operations that render a status alike (most do): GitHub's 1,000
    /// operations hold 18 statuses each.
    by_status: Vec<(u16, Arc<Formats>)>,
}

impl ErrorCatalog {
    /// How `status` is rendered when the request states no preference.
    pub fn for_status(&self, status: u16) -> Arc<ErrorRenderer> {
        self.negotiated(status, None)
    }

    /// How `status` is rendered for a request that sent `accept`: the declared media type it
    /// prefers, else the first (an error is not turned into a 406).
    pub fn negotiated(&self, status: u16, accept: Option<&str>) -> Arc<ErrorRenderer> {
        let Some((_, formats)) = self.by_status.iter().find(|(s, _)| *s == status) else {
            return Arc::new(ErrorRenderer::problem());
        };
        let index = match formats.renderers.len() {
            0 | 1 => 0,
            _ => negotiate::negotiate(accept, &formats.offered)
                .and_then(|chosen| formats.offered.iter().position(|o| o == chosen))
                .unwrap_or(0),
        };
        formats
            .renderers
            .get(index)
            .cloned()
            .unwrap_or_else(|| Arc::new(ErrorRenderer::problem()))
    }

    /// The statuses this catalog knows how to render.
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
pub struct ErrorCatalogBuilder {
    cache: HashMap<(u16, String, String), Option<Arc<ErrorRenderer>>>,
    /// The renderers of declared media types, by status, schema, example and content type.
    declared: HashMap<(u16, String, String, String), Option<declared::Made>>,
    /// The renderer lists made, by their renderers' addresses (the same renderers, the same
    /// list): the lists hold their renderers, so an address names one renderer.
    formats: HashMap<Vec<usize>, Arc<Formats>>,
    /// Problem details, where nothing else fits: one renderer for all.
    problem: Arc<ErrorRenderer>,
    document: Option<Vec<(Option<String>, Candidate)>>,
    /// The document's candidates per status: they do not depend on the operation, and
    /// finding an example for them walks every error response of the document (without this,
    /// loading grows with operations squared: GitHub's 1,000 operations took 25 s).
    by_status: HashMap<u16, Vec<Candidate>>,
    /// The examples of the document's error responses, by the schema they `$ref`: one walk
    /// of every operation, not one per status and candidate (which made loading grow faster
    /// than the document: 36 walks of 40,000 responses in a generated document).
    examples: Option<ErrorExamples>,
    /// The document, for generating the bodies no error format fits (see `declared`).
    resources: Arc<Resources>,
}

impl ErrorCatalogBuilder {
    /// A builder for the document `resources`.
    pub fn new(resources: Arc<Resources>) -> Self {
        Self {
            cache: HashMap::new(),
            declared: HashMap::new(),
            formats: HashMap::new(),
            problem: Arc::new(ErrorRenderer::problem()),
            document: None,
            by_status: HashMap::new(),
            examples: None,
            resources,
        }
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
            let declared = respond::declared(responses, status)
                .map(|spec| self.declared_renderers(resources, compiler, problems, status, spec))
                .unwrap_or_default();
            if !declared.is_empty() {
                by_status.push((status, self.formats(declared)));
                continue;
            }
            // No body declared for the status: any format the operation or its document has.
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
            by_status.push((status, self.formats(vec![renderer])));
        }
        ErrorCatalog { by_status }
    }

    /// The one list of these renderers.
    fn formats(&mut self, renderers: Vec<Arc<ErrorRenderer>>) -> Arc<Formats> {
        let key = renderers.iter().map(|r| Arc::as_ptr(r) as usize).collect();
        self.formats
            .entry(key)
            .or_insert_with(|| Arc::new(Formats::new(renderers)))
            .clone()
    }

    pub fn for_document(
        &mut self,
        resources: &Resources,
        compiler: &mut SchemaCompiler<'_>,
        problems: &mut Problems,
    ) -> ErrorCatalog {
        let mut by_status = Vec::new();
        for &status in EMITTED {
            let renderer = self.general(resources, compiler, problems, status);
            by_status.push((status, self.formats(vec![renderer])));
        }
        ErrorCatalog { by_status }
    }

    /// The document's general format for `status`, else problem details.
    fn general(
        &mut self,
        resources: &Resources,
        compiler: &mut SchemaCompiler<'_>,
        problems: &mut Problems,
        status: u16,
    ) -> Arc<ErrorRenderer> {
        let candidates = self.document_candidates(resources, status);
        self.first_fitting(resources, compiler, problems, status, candidates)
    }

    fn first_fitting(
        &mut self,
        resources: &Resources,
        compiler: &mut SchemaCompiler<'_>,
        problems: &mut Problems,
        status: u16,
        candidates: Vec<Candidate>,
    ) -> Arc<ErrorRenderer> {
        candidates
            .iter()
            .find_map(|c| self.fitted(resources, compiler, problems, status, c))
            .unwrap_or_else(|| self.problem.clone())
    }

    /// [`fit`], made once per status, schema and example.
    fn fitted(
        &mut self,
        resources: &Resources,
        compiler: &mut SchemaCompiler<'_>,
        problems: &mut Problems,
        status: u16,
        c: &Candidate,
    ) -> Option<Arc<ErrorRenderer>> {
        let key = (
            status,
            c.schema.uri(),
            c.example.as_ref().map(Value::to_string).unwrap_or_default(),
        );
        if let Some(known) = self.cache.get(&key) {
            return known.clone();
        }
        let fitted = fit(resources, compiler, problems, status, c).map(Arc::new);
        self.cache.insert(key, fitted.clone());
        fitted
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
        body: Body::Shape(shape),
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

/// A JSON media type of a response, with its schema and example (a body in another media
/// type is not one the mock can write as an error).
fn candidate_of(r: &ResponseSpec) -> Option<Candidate> {
    let media = r
        .media
        .iter()
        .find(|m| negotiate::is_json(&m.media_type))
        .or_else(|| r.media.iter().find(|m| written_as_json(&m.media_type)))?;
    Some(Candidate {
        schema: media.schema.clone()?,
        media_type: media.media_type.clone(),
        example: media.first_example().cloned(),
    })
}

/// The standard reason phrase, used as an error's title.
pub fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}
