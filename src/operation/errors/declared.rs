//! The renderers of an error response the operation declares with a body: one per media type
//! the mock can write (JSON first, then `text/*`, then XML), each making bodies valid against
//! that media type's schema.
//!
//! For a JSON media type with a schema, the first of these whose sample bodies validate:
//! 1. the schema's own error shape (the facts in the members the error-format inference
//!    picks, other required members from the example or minimal values);
//! 2. that shape with the members the samples break taken from a generated valid body
//!    (a `pattern` on `code`, a `format` the minimal value does not meet);
//! 3. the document's general error formats, and then problem details, sent in the declared
//!    media type (they fit a loose schema such as `{type: object}`);
//! 4. the shape even where its status member cannot say the status (pinned by an `enum`);
//! 5. the facts as one JSON string (a schema that is a string);
//! 6. a fixed body: the first example that fits, else data generated from the schema.
//!
//! A JSON media type without a schema takes the document's general format (any JSON fits);
//! a `text/*` one takes the facts as text, else a fixed text; `application/octet-stream` is
//! written as JSON (any bytes are an octet stream, and its schema says what the JSON holds);
//! an XML one (`application/xml`, `+xml`) is the body a JSON one would be, written as XML
//! (`respond::xml`: Azure's OData `$metadata` errors). Where no declared media type fits (a
//! schema no body fits: four `oneOf` branches that all match any object), the first JSON one
//! still says the facts in the schema's own shape, and `--check-responses` says the answer
//! breaks the document; where the mock can write none (images), the operation's other
//! formats are used, and it says so too.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

use super::{Body, ErrorCatalogBuilder, ErrorRenderer, sample_facts};
use crate::document::problems::Problems;
use crate::document::refs::{Located, Resources};
use crate::error_format::shape::ErrorShape;
use crate::operation::negotiate;
use crate::operation::respond::{self, ResponseMedia, ResponseSpec};
use crate::schema::validators::{CompiledSchema, SchemaCompiler};
use crate::schema::violation::{ErrorFacts, Location, Segment};

/// The kinds of body the mock writes for errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Json,
    Text,
    /// Made as JSON, written as XML.
    Xml,
}

impl Kind {
    /// The kind a declared media type takes, with the content type it is sent as; `None`
    /// for media types the mock cannot write.
    fn of(media_type: &str) -> Option<(Kind, &str)> {
        let essence = media_type.split(';').next().unwrap_or_default().trim();
        if negotiate::is_json(media_type) {
            Some((Kind::Json, media_type))
        } else if essence == "*/*" || essence.eq_ignore_ascii_case("application/*") {
            Some((Kind::Json, "application/json"))
        } else if essence.eq_ignore_ascii_case("application/octet-stream") {
            // Any bytes are an octet stream: an error schema declared for one (Azure's
            // `AcrErrors`) says what the JSON in it holds.
            Some((Kind::Json, media_type))
        } else if essence.eq_ignore_ascii_case("text/*") {
            Some((Kind::Text, "text/plain"))
        } else if essence
            .get(..5)
            .is_some_and(|t| t.eq_ignore_ascii_case("text/"))
        {
            Some((Kind::Text, media_type))
        } else if respond::xml::is_xml(media_type) {
            Some((Kind::Xml, media_type))
        } else {
            None
        }
    }
}

/// Whether the mock writes a body of `media_type` as JSON (`application/json`, `+json`, or a
/// range such as `*/*`, which JSON is in).
pub(super) fn written_as_json(media_type: &str) -> bool {
    matches!(Kind::of(media_type), Some((Kind::Json, _)))
}

/// A declared media type's renderer, and whether its bodies fit the declared schema.
#[derive(Debug, Clone)]
pub(super) struct Made {
    renderer: Arc<ErrorRenderer>,
    fits: bool,
}

/// The sample facts a declared body must hold: with a violation, and without.
fn samples(status: u16) -> [ErrorFacts; 2] {
    let with = sample_facts(status);
    let mut without = with.clone();
    without.violations.clear();
    [with, without]
}

impl ErrorCatalogBuilder {
    /// The renderers of `spec`, the response declared for `status`, JSON media types first:
    /// those that fit, else the first that says the facts in the API's own shape though it
    /// cannot fit (a schema no body fits: four `oneOf` branches that all match any object).
    pub(super) fn declared_renderers(
        &mut self,
        resources: &Resources,
        compiler: &mut SchemaCompiler<'_>,
        problems: &mut Problems,
        status: u16,
        spec: &ResponseSpec,
    ) -> Vec<Arc<ErrorRenderer>> {
        let mut fitting = Vec::new();
        let mut unfit = None;
        for wanted in [Kind::Json, Kind::Text, Kind::Xml] {
            for media in &spec.media {
                if Kind::of(&media.media_type).is_none_or(|(kind, _)| kind != wanted) {
                    continue;
                }
                match self.declared_renderer(resources, compiler, problems, status, media, wanted) {
                    Some(Made {
                        renderer,
                        fits: true,
                    }) => fitting.push(renderer),
                    Some(Made { renderer, .. }) => {
                        unfit.get_or_insert(renderer);
                    }
                    None => {}
                }
            }
        }
        if fitting.is_empty() {
            fitting.extend(unfit);
        }
        fitting
    }

    /// The renderer of one declared media type, made once per status, schema, example and
    /// content type.
    fn declared_renderer(
        &mut self,
        resources: &Resources,
        compiler: &mut SchemaCompiler<'_>,
        problems: &mut Problems,
        status: u16,
        media: &ResponseMedia,
        kind: Kind,
    ) -> Option<Made> {
        let (_, content_type) = Kind::of(&media.media_type)?;
        let key = (
            status,
            media.schema.as_ref().map(|s| s.uri()).unwrap_or_default(),
            media
                .first_example()
                .map(Value::to_string)
                .unwrap_or_default(),
            content_type.to_owned(),
        );
        if let Some(known) = self.declared.get(&key) {
            return known.clone();
        }
        let fitting = |r: ErrorRenderer| (r, true);
        let made = match (&media.schema, &media.validator, kind) {
            (None, _, Kind::Json | Kind::Xml) => {
                let general = self.general(resources, compiler, problems, status);
                Some(fitting(general.sent_as(content_type, None)))
            }
            (None, _, Kind::Text) => Some(fitting(ErrorRenderer {
                content_type: content_type.to_owned(),
                body: Body::Text,
                validator: None,
            })),
            (Some(_), Some(validator), Kind::Json | Kind::Xml) => self.json_body(
                resources,
                compiler,
                problems,
                status,
                media,
                content_type,
                validator,
            ),
            (Some(_), Some(validator), Kind::Text) => self
                .text_body(compiler, status, media, content_type, validator)
                .map(fitting),
            // A schema that did not compile is a problem of the document, reported already.
            (Some(_), None, _) => None,
        };
        let made = match kind {
            Kind::Xml => made.map(|(r, fits)| {
                let root = respond::xml::root_name(resources, media.schema.as_ref());
                (r.written_as_xml(root), fits)
            }),
            Kind::Json | Kind::Text => made,
        };
        let made = made.map(|(renderer, fits)| Made {
            renderer: Arc::new(renderer),
            fits,
        });
        self.declared.insert(key, made.clone());
        made
    }

    /// A JSON body valid against `validator`, the first way the module doc lists that fits.
    #[allow(clippy::too_many_arguments)]
    fn json_body(
        &mut self,
        resources: &Resources,
        compiler: &mut SchemaCompiler<'_>,
        problems: &mut Problems,
        status: u16,
        media: &ResponseMedia,
        content_type: &str,
        validator: &Arc<CompiledSchema>,
    ) -> Option<(ErrorRenderer, bool)> {
        let samples = samples(status);
        let renderer = |body: Body| ErrorRenderer {
            content_type: content_type.to_owned(),
            body,
            validator: Some(Arc::clone(validator)),
        };
        let fits = |r: &ErrorRenderer| samples.iter().all(|f| r.fits(validator, f));
        let own = media.schema.as_ref().and_then(|loc| {
            let schema = loc.get(resources)?;
            let located = Located {
                base: &loc.file,
                value: schema,
            };
            ErrorShape::compile(resources, located, media.first_example()).ok()
        });
        // 1 and 2: the schema's own shape, as it is, then mended by a generated body.
        let mut shapes = Vec::new();
        if let Some(shape) = own {
            let mended = self.mended(compiler, &shape, media, status, validator, &samples[0]);
            shapes.push(shape);
            shapes.extend(mended);
        }
        if let Some(shape) = shapes.iter().find(|s| s.holds_status(status)) {
            let r = renderer(Body::Shape(shape.clone()));
            if fits(&r) {
                return Some((r, true));
            }
        }
        // 3: the document's formats, then problem details.
        for c in self.document_candidates(resources, status) {
            let Some(general) = self.fitted(resources, compiler, problems, status, &c) else {
                continue;
            };
            let r = general.sent_as(content_type, Some(Arc::clone(validator)));
            if fits(&r) {
                return Some((r, true));
            }
        }
        let r = renderer(Body::Problem);
        if fits(&r) {
            return Some((r, true));
        }
        // 4 and 5: a shape that says another status, the facts as a string.
        for shape in &shapes {
            let r = renderer(Body::Shape(shape.clone()));
            if fits(&r) {
                return Some((r, true));
            }
        }
        let r = renderer(Body::JsonText);
        if fits(&r) {
            return Some((r, true));
        }
        // 6: a body that says nothing of the facts, but fits.
        if let Some(value) = self.fixed_value(compiler, media, status, validator) {
            let bytes = serde_json::to_vec(&value).ok()?;
            return Some((renderer(Body::Fixed(Bytes::from(bytes))), true));
        }
        // Nothing fits: the API's own shape says the facts, unfit.
        let own = shapes.into_iter().next()?;
        Some((renderer(Body::Shape(own)), false))
    }

    /// A `text/*` body valid against `validator`: the facts as text, else a fixed text.
    fn text_body(
        &mut self,
        compiler: &mut SchemaCompiler<'_>,
        status: u16,
        media: &ResponseMedia,
        content_type: &str,
        validator: &Arc<CompiledSchema>,
    ) -> Option<ErrorRenderer> {
        let text = ErrorRenderer {
            content_type: content_type.to_owned(),
            body: Body::Text,
            validator: Some(Arc::clone(validator)),
        };
        if samples(status).iter().all(|f| text.fits(validator, f)) {
            return Some(text);
        }
        let Value::String(fixed) = self.fixed_value(compiler, media, status, validator)? else {
            return None;
        };
        Some(ErrorRenderer {
            body: Body::Fixed(Bytes::from(fixed)),
            ..text
        })
    }

    /// `shape` with the top-level members `sample` breaks taken from a generated body that
    /// fits; `None` when the sample breaks nothing, or nothing can be taken.
    fn mended(
        &self,
        compiler: &mut SchemaCompiler<'_>,
        shape: &ErrorShape,
        media: &ResponseMedia,
        status: u16,
        validator: &CompiledSchema,
        sample: &ErrorFacts,
    ) -> Option<ErrorShape> {
        let broken = validator.violations(&shape.render(sample), &Location::Body);
        let names: Vec<&str> = broken
            .iter()
            .filter_map(|v| match &v.location {
                Location::Body(steps) => match steps.first() {
                    Some(Segment::Key(name)) => Some(name.as_str()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        if names.is_empty() {
            return None;
        }
        let Value::Object(generated) = self.generated(compiler, media, status)? else {
            return None;
        };
        let taken: serde_json::Map<String, Value> = generated
            .into_iter()
            .filter(|(name, _)| names.contains(&name.as_str()))
            .collect();
        (!taken.is_empty()).then(|| shape.with_members(&taken))
    }

    /// The first example of `media` that fits, else data generated from its schema.
    fn fixed_value(
        &self,
        compiler: &mut SchemaCompiler<'_>,
        media: &ResponseMedia,
        status: u16,
        validator: &CompiledSchema,
    ) -> Option<Value> {
        let examples = media
            .examples
            .iter()
            .map(|(_, v)| v)
            .chain(media.example.iter());
        for example in examples {
            if validator.is_valid(example) {
                return Some(example.clone());
            }
        }
        self.generated(compiler, media, status)
    }

    /// Data generated from `media`'s schema that fits it, the same on every run. The
    /// matchers go through the validators compiled so far (the response's own among them),
    /// so no copy of the document is made for them.
    fn generated(
        &self,
        compiler: &mut SchemaCompiler<'_>,
        media: &ResponseMedia,
        status: u16,
    ) -> Option<Value> {
        let at = media.schema.as_ref()?.uri();
        let seed = crate::seed::static_seed(0, "errors", &at, status, &media.media_type);
        let matchers = compiler.matchers(&self.resources);
        media.generate(&matchers, seed, true).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_the_mock_writes_are_json_and_text() {
        assert_eq!(
            Kind::of("application/json"),
            Some((Kind::Json, "application/json"))
        );
        assert_eq!(
            Kind::of("application/problem+json"),
            Some((Kind::Json, "application/problem+json"))
        );
        assert_eq!(Kind::of("*/*"), Some((Kind::Json, "application/json")));
        assert_eq!(Kind::of("text/plain"), Some((Kind::Text, "text/plain")));
        assert_eq!(Kind::of("text/*"), Some((Kind::Text, "text/plain")));
        assert_eq!(
            Kind::of("application/xml"),
            Some((Kind::Xml, "application/xml"))
        );
        assert_eq!(
            Kind::of("application/octet-stream"),
            Some((Kind::Json, "application/octet-stream"))
        );
        assert_eq!(Kind::of("image/png"), None);
    }
}
