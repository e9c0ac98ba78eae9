//! Success answers from the spec: which declared response, which media type, which body.
//!
//! The body is the named example asked for, else the first named `examples` entry, else
//! `example`, else data generated from the schema. Generated data is deterministic: its
//! seed comes from `--seed` and the operation, so the same request gives the same body on
//! every run, and it is generated once and kept. Prism's `Prefer` header picks the status
//! (`code=`), the example (`example=`) or fresh data per request (`dynamic=true`).

use std::fmt;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use serde_json::Value;

use crate::document::refs::Located;
use crate::operation::params::ParamPlan;
use crate::schema::error::SchemaError;
use crate::schema::generate::{self, Direction, GenOptions};
use crate::schema::validators::{CompiledSchema, Matchers, SchemaLoc};
use crate::schema::violation::{Location, Violation};

/// A key of an operation's `responses`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKey {
    Code(u16),
    /// `2XX` and friends: the leading digit.
    Range(u16),
    Default,
}

impl StatusKey {
    pub fn parse(key: &str) -> Option<StatusKey> {
        if key == "default" {
            return Some(StatusKey::Default);
        }
        let upper = key.to_ascii_uppercase();
        if upper.len() == 3 && upper.ends_with("XX") {
            let digit = upper[..1]
                .parse::<u16>()
                .ok()
                .filter(|d| (1..=5).contains(d))?;
            return Some(StatusKey::Range(digit));
        }
        key.parse::<u16>()
            .ok()
            .filter(|c| (100..=599).contains(c))
            .map(StatusKey::Code)
    }

    /// Whether an answer with `status` is described by this key.
    pub fn covers(self, status: u16) -> bool {
        match self {
            StatusKey::Code(c) => c == status,
            StatusKey::Range(d) => status / 100 == d,
            StatusKey::Default => true,
        }
    }

    /// The status to answer with when this response is chosen.
    pub fn concrete(self) -> u16 {
        match self {
            StatusKey::Code(c) => c,
            StatusKey::Range(d) => d * 100,
            StatusKey::Default => 200,
        }
    }
}

/// A body ready to send: the value (for checks) and its bytes.
#[derive(Debug, Clone)]
pub struct Answer {
    pub value: Arc<Value>,
    pub bytes: Bytes,
}

impl Answer {
    /// Serialises `value` for `media_type`: JSON, or a string as plain text for other types.
    pub fn new(value: Arc<Value>, media_type: &str) -> Answer {
        let bytes = match &*value {
            Value::String(s) if !crate::operation::negotiate::is_json(media_type) => {
                Bytes::from(s.clone())
            }
            other => Bytes::from(serde_json::to_vec(other).unwrap_or_default()),
        };
        Answer { value, bytes }
    }
}

/// One media type of a declared response.
#[derive(Debug)]
pub struct ResponseMedia {
    pub media_type: String,
    pub schema: Option<SchemaLoc>,
    pub validator: Option<Arc<CompiledSchema>>,
    pub examples: Vec<(String, Value)>,
    pub example: Option<Value>,
    static_answer: OnceLock<Result<Answer, Arc<NoAnswer>>>,
}

impl ResponseMedia {
    pub fn new(
        media_type: String,
        schema: Option<SchemaLoc>,
        validator: Option<Arc<CompiledSchema>>,
        examples: Vec<(String, Value)>,
        example: Option<Value>,
    ) -> Self {
        Self {
            media_type,
            schema,
            validator,
            examples,
            example,
            static_answer: OnceLock::new(),
        }
    }

    /// The example a static answer uses, if the spec gives one.
    pub fn first_example(&self) -> Option<&Value> {
        self.examples
            .first()
            .map(|(_, v)| v)
            .or(self.example.as_ref())
    }

    pub fn named_example(&self, name: &str) -> Option<&Value> {
        self.examples
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// The static answer: the first example that fits the schema (broken ones are reported
    /// at startup and not served), else data generated with `seed`; made once, serialised
    /// once, and kept.
    pub fn static_answer(&self, matchers: &Matchers, seed: u64) -> Result<Answer, Arc<NoAnswer>> {
        self.static_answer
            .get_or_init(|| {
                let examples = self
                    .examples
                    .iter()
                    .map(|(_, v)| v)
                    .chain(self.example.iter());
                let value = match examples
                    .into_iter()
                    .find(|ex| self.validator.as_ref().is_none_or(|v| v.is_valid(ex)))
                {
                    Some(ex) => ex.clone(),
                    None => self.generate(matchers, seed, true).map_err(Arc::new)?,
                };
                Ok(Answer::new(Arc::new(value), &self.media_type))
            })
            .clone()
    }

    /// Data generated from the schema that validates against it. Schema-level examples are
    /// tried first when `use_examples`, then several seeds without them.
    pub fn generate(
        &self,
        matchers: &Matchers,
        seed: u64,
        use_examples: bool,
    ) -> Result<Value, NoAnswer> {
        let Some(loc) = &self.schema else {
            return Ok(Value::Null);
        };
        let Some(schema) = loc.get(matchers.resources()) else {
            return Err(NoAnswer::NoSchema { at: loc.uri() });
        };
        let located = Located {
            base: &loc.file,
            value: schema,
        };
        let mut last = Tried::Nothing;
        let attempts = (0..8u64).map(|i| (i, use_examples && i == 0));
        for (i, with_examples) in attempts {
            let opts = GenOptions {
                seed: seed.wrapping_add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
                direction: Direction::Response,
                use_examples: with_examples,
                ..GenOptions::default()
            };
            match generate::generate(matchers, located, &opts) {
                Ok(value) => match &self.validator {
                    Some(v) => {
                        let violations = v.violations(&value, &Location::Body);
                        if violations.is_empty() {
                            return Ok(value);
                        }
                        last = Tried::DidNotFit(violations);
                    }
                    None => return Ok(value),
                },
                Err(e) => last = Tried::Failed(e),
            }
        }
        Err(NoAnswer::Ungenerable {
            at: loc.uri(),
            last,
        })
    }
}

/// Why a response has no answer to send: the mock's own failure, for the log.
#[derive(Debug, thiserror::Error)]
pub enum NoAnswer {
    #[error("no schema at {at}")]
    NoSchema { at: String },
    #[error("no data satisfying the schema at {at} could be generated: {last}")]
    Ungenerable { at: String, last: Tried },
}

/// The last attempt at generating an answer.
#[derive(Debug)]
pub enum Tried {
    Nothing,
    /// The generator gave up.
    Failed(SchemaError),
    /// The value generated broke the response's validator.
    DidNotFit(Vec<Violation>),
}

impl fmt::Display for Tried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tried::Nothing => f.write_str("no attempt made"),
            Tried::Failed(e) => write!(f, "{e}"),
            Tried::DidNotFit(violations) => {
                for (i, v) in violations.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{v}")?;
                }
                Ok(())
            }
        }
    }
}

/// A declared response.
#[derive(Debug)]
pub struct ResponseSpec {
    pub status: StatusKey,
    pub media: Vec<ResponseMedia>,
    /// The media types offered, for `Accept` negotiation.
    pub offered: Vec<String>,
    /// Declared headers (name, resolved Header object).
    pub headers: Vec<(String, Value)>,
    /// The declared headers compiled for checking answers (contract checks).
    pub header_checks: Vec<HeaderCheck>,
    header_values: OnceLock<Vec<(HeaderName, HeaderValue)>>,
}

impl ResponseSpec {
    pub fn new(
        status: StatusKey,
        media: Vec<ResponseMedia>,
        headers: Vec<(String, Value)>,
    ) -> Self {
        let offered = media.iter().map(|m| m.media_type.clone()).collect();
        Self {
            status,
            media,
            offered,
            headers,
            header_checks: Vec::new(),
            header_values: OnceLock::new(),
        }
    }

    pub fn with_header_checks(mut self, checks: Vec<HeaderCheck>) -> Self {
        self.header_checks = checks;
        self
    }

    /// The declared headers' values, made once (from examples or generated with `seed`).
    pub fn header_values(&self, matchers: &Matchers, seed: u64) -> &[(HeaderName, HeaderValue)] {
        self.header_values.get_or_init(|| {
            let mut out = Vec::new();
            for (i, (name, spec)) in self.headers.iter().enumerate() {
                let Some(value) = header_value(matchers, spec, seed.wrapping_add(i as u64)) else {
                    continue;
                };
                if let (Ok(n), Ok(v)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(&value),
                ) {
                    out.push((n, v));
                }
            }
            out
        })
    }

    pub fn media_for(&self, media_type: &str) -> Option<&ResponseMedia> {
        self.media.iter().find(|m| m.media_type == media_type)
    }
}

/// A declared response header, read like a `simple`-style header parameter and validated
/// against its schema.
#[derive(Debug)]
pub struct HeaderCheck {
    pub name: String,
    pub required: bool,
    /// How its text becomes a typed value; `None` when the Header object cannot be read so.
    pub plan: Option<ParamPlan>,
    pub validator: Option<Arc<CompiledSchema>>,
}

/// What a `Prefer` header asks for (Prism's vocabulary).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prefer {
    pub code: Option<u16>,
    pub example: Option<String>,
    pub dynamic: bool,
}

impl Prefer {
    /// Reads `code=404, example=name, dynamic=true`; unknown preferences are ignored, as
    /// RFC 7240 says.
    pub fn parse(header: Option<&str>) -> Prefer {
        let mut out = Prefer::default();
        let Some(header) = header else { return out };
        for part in header.split([',', ';']) {
            let Some((k, v)) = part.split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"');
            match k.trim().to_ascii_lowercase().as_str() {
                "code" => out.code = v.parse().ok(),
                "example" => out.example = Some(v.to_owned()),
                "dynamic" => out.dynamic = v.eq_ignore_ascii_case("true"),
                _ => {}
            }
        }
        out
    }
}

/// The response a successful request gets: the preferred code if declared, else the lowest
/// declared 2xx, else 2XX, else the lowest 3xx, else `default`, else the first declared.
pub fn choose(responses: &[ResponseSpec], code: Option<u16>) -> Result<Option<&ResponseSpec>, u16> {
    if let Some(code) = code {
        let exact = responses.iter().find(|r| r.status == StatusKey::Code(code));
        let range = || {
            responses
                .iter()
                .find(|r| r.status == StatusKey::Range(code / 100))
        };
        let default = || responses.iter().find(|r| r.status == StatusKey::Default);
        return exact.or_else(range).or_else(default).map(Some).ok_or(code);
    }
    let lowest = |range: std::ops::RangeInclusive<u16>| {
        responses
            .iter()
            .filter(|r| matches!(r.status, StatusKey::Code(c) if range.contains(&c)))
            .min_by_key(|r| r.status.concrete())
    };
    Ok(lowest(200..=299)
        .or_else(|| responses.iter().find(|r| r.status == StatusKey::Range(2)))
        .or_else(|| lowest(300..=399))
        .or_else(|| responses.iter().find(|r| r.status == StatusKey::Default))
        .or_else(|| responses.first()))
}

/// Whether a status never carries a body.
pub fn bodiless(status: u16) -> bool {
    status < 200 || status == 204 || status == 205 || status == 304
}

/// A header value from a Header object: its example, its schema's example or default, or
/// generated data, serialised in the `simple` style.
pub fn header_value(matchers: &Matchers, header: &Value, seed: u64) -> Option<String> {
    let value = header
        .get("example")
        .cloned()
        .or_else(|| {
            header
                .get("examples")
                .and_then(Value::as_object)
                .and_then(|m| m.values().next())
                .and_then(|e| e.get("value").cloned())
        })
        .or_else(|| {
            let schema = header.get("schema")?;
            let opts = GenOptions {
                seed,
                direction: Direction::Response,
                use_examples: true,
                ..GenOptions::default()
            };
            generate::generate(
                matchers,
                Located {
                    base: matchers.resources().root_uri(),
                    value: schema,
                },
                &opts,
            )
            .ok()
        })?;
    Some(simple_style(&value))
}

fn simple_style(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(simple_style).collect::<Vec<_>>().join(","),
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| [k.clone(), simple_style(v)])
            .collect::<Vec<_>>()
            .join(","),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(key: &str) -> ResponseSpec {
        ResponseSpec::new(StatusKey::parse(key).unwrap(), vec![], vec![])
    }

    #[test]
    fn status_keys_parse_codes_ranges_and_default() {
        assert_eq!(StatusKey::parse("205"), Some(StatusKey::Code(205)));
        assert_eq!(StatusKey::parse("4XX"), Some(StatusKey::Range(4)));
        assert_eq!(StatusKey::parse("4xx"), Some(StatusKey::Range(4)));
        assert_eq!(StatusKey::parse("default"), Some(StatusKey::Default));
        assert_eq!(StatusKey::parse("600"), None);
        assert_eq!(StatusKey::parse("ok"), None);
    }

    #[test]
    fn the_lowest_success_is_chosen_unless_a_code_is_preferred() {
        let responses = vec![spec("404"), spec("205"), spec("204"), spec("default")];
        assert_eq!(
            choose(&responses, None).unwrap().unwrap().status,
            StatusKey::Code(204)
        );
        assert_eq!(
            choose(&responses, Some(404)).unwrap().unwrap().status,
            StatusKey::Code(404)
        );
        // An undeclared code falls to `default` when there is one...
        assert_eq!(
            choose(&responses, Some(418)).unwrap().unwrap().status,
            StatusKey::Default
        );
        // ...and is refused when there is none.
        assert_eq!(choose(&[spec("200")], Some(418)).unwrap_err(), 418);
    }

    #[test]
    fn default_alone_answers_200() {
        let responses = vec![spec("default")];
        let chosen = choose(&responses, None).unwrap().unwrap();
        assert_eq!(chosen.status.concrete(), 200);
    }

    #[test]
    fn prefer_reads_prism_preferences() {
        let p = Prefer::parse(Some("code=404, example=\"notFound\", dynamic=true"));
        assert_eq!(p.code, Some(404));
        assert_eq!(p.example.as_deref(), Some("notFound"));
        assert!(p.dynamic);
        assert_eq!(Prefer::parse(Some("respond-async")), Prefer::default());
        assert_eq!(Prefer::parse(None), Prefer::default());
    }

    #[test]
    fn header_values_use_the_simple_style() {
        assert_eq!(simple_style(&serde_json::json!([1, 2])), "1,2");
        assert_eq!(
            simple_style(&serde_json::json!({"a": 1, "b": "x"})),
            "a,1,b,x"
        );
        assert_eq!(simple_style(&serde_json::json!("s")), "s");
    }
}
