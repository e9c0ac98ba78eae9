//! Proptest strategies from the schemas: valid values, and values that break exactly one
//! constraint (and say which). The property tests and `understudy check` share them (whole
//! requests are built on them in `conformance::fuzz`).
//!
//! - `valid`: the valid values of each node of a compiled tree (`tree`).
//! - `invalid`: the ways to break one constraint of a compiled schema.
//! - `pattern`: strings matching ECMA-262 `pattern`s.
//!
//! Implementation rationale: values are built by composing proptest strategies (ranges,
//! collections, `Union`s, regex strings) rather than by mapping a random seed, so a failing
//! case shrinks towards a minimal one: fewer optional properties, shorter arrays and strings,
//! numbers nearer zero or the bound. Filters are used only where construction cannot decide
//! (an `oneOf` value must not match another branch, items must be unique, a `not`), and check
//! with validators compiled once per node (see `tree`).

pub(crate) mod invalid;
mod pattern;
mod valid;

use std::sync::Arc;

use proptest::prelude::*;
use serde_json::Value;

pub use crate::schema::generate::Direction;

use crate::document::refs::{Located, Resources};
pub use crate::schema::error::SchemaError;
use crate::schema::tree::{self, Node};
use crate::schema::validators::{Matcher, SchemaLoc};
use crate::schema::violation::{Keyword, Segment};

/// Which constraint an invalid value breaks, and where in the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The JSON Schema keyword, as the validator reports it (`type`, `required`, `minimum`,
    /// `maxLength`, `pattern`, `enum`, `format`, `additionalProperties`, `anyOf`, ...).
    pub keyword: Keyword,
    /// The instance location; for `required` and `additionalProperties` the property is the
    /// last step, as violations name it.
    pub path: Vec<Segment>,
}

/// A value that breaks exactly one constraint of its schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub value: Value,
    pub broken: Broken,
}

/// A schema compiled for one direction: build once, draw strategies from it as often as
/// needed.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub(crate) node: Arc<Node>,
}

impl Compiled {
    /// Values the schema accepts.
    pub fn valid(&self) -> BoxedStrategy<Value> {
        self.node.valid()
    }

    /// Values breaking one constraint each; `None` when the schema has no constraint to break
    /// (`{}`).
    pub fn invalid(&self) -> Option<BoxedStrategy<Invalid>> {
        let cases = invalid::invalids(&self.node);
        if cases.is_empty() {
            return None;
        }
        Some(proptest::strategy::Union::new(cases.into_iter().map(invalid::Case::strategy)).boxed())
    }
}

/// Compiles `schema` (found in `resources`, whose `$ref`s it may follow) for `direction`:
/// requests leave out `readOnly` properties, responses `writeOnly` ones.
pub fn compile(
    resources: &Arc<Resources>,
    schema: Located<'_>,
    direction: Direction,
) -> Result<Compiled, SchemaError> {
    Cache::new(resources, direction).compile(schema)
}

/// Schemas of one document compiled for one direction, shared: a referenced schema is
/// compiled once however many `$ref`s reach it, and so is each validator the filters ask.
/// Hold one per document and direction to compile many of its schemas.
pub struct Cache {
    trees: tree::Cache,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").finish_non_exhaustive()
    }
}

impl Cache {
    /// For a document held without its validators (see [`Matcher::standalone`]).
    pub fn new(resources: &Arc<Resources>, direction: Direction) -> Self {
        Self::with_matcher(Arc::new(Matcher::standalone(resources.clone())), direction)
    }

    /// For a loaded document, whose matcher reaches the validators it compiled.
    pub fn with_matcher(matcher: Arc<Matcher>, direction: Direction) -> Self {
        Self {
            trees: tree::Cache::new(matcher, direction),
        }
    }

    /// Compiles `schema`, which lives in this cache's document.
    pub fn compile(&self, schema: Located<'_>) -> Result<Compiled, SchemaError> {
        let node = self.trees.compile(schema)?;
        Ok(Compiled {
            node: Arc::new(node),
        })
    }
}

/// Valid values of `schema`.
pub fn valid(
    resources: &Arc<Resources>,
    schema: Located<'_>,
    direction: Direction,
) -> Result<BoxedStrategy<Value>, SchemaError> {
    Ok(compile(resources, schema, direction)?.valid())
}

/// Values of `schema` breaking one constraint each (`Ok(None)`: nothing to break).
pub fn invalid(
    resources: &Arc<Resources>,
    schema: Located<'_>,
    direction: Direction,
) -> Result<Option<BoxedStrategy<Invalid>>, SchemaError> {
    Ok(compile(resources, schema, direction)?.invalid())
}

/// The schema at `loc` in `resources`.
pub fn schema_at<'r>(resources: &'r Resources, loc: &SchemaLoc) -> Option<Located<'r>> {
    let value = loc.get(resources)?;
    let (base, _) = resources.files().find(|(uri, _)| *uri == loc.file)?;
    Some(Located { base, value })
}
