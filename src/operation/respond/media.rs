//! One media type of a declared response and the body it answers with: the named example
//! asked for, else the first that fits the schema, else data generated from the schema.

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use super::Answer;
use crate::document::refs::Located;
use crate::schema::error::SchemaError;
use crate::schema::generate::{self, Direction, GenOptions};
use crate::schema::validators::{CompiledSchema, Matchers, SchemaLoc};
use crate::schema::violation::{Location, Violation};

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
