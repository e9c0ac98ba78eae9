//! Why a schema yields no value: the one error of sampling values and of building proptest
//! strategies from a schema. `at` is the instance location (a JSON pointer into the value
//! being built), followed by the last `$ref` taken to reach the schema when it is known.

use crate::document::refs::RefError;

/// Why no value (or no strategy) could be made from a schema.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("cannot follow a `$ref` at {at}: {source}")]
    Ref {
        at: String,
        #[source]
        source: RefError,
    },
    #[error("no value satisfies the schema at {at}: {reason}")]
    Unsatisfiable { at: String, reason: String },
    #[error("the schema at {at} requires itself without end (nesting deeper than {limit})")]
    Recursion { at: String, limit: usize },
    #[error("pattern `{pattern}` at {at} is not supported: {reason}")]
    Pattern {
        at: String,
        pattern: String,
        reason: String,
    },
    #[error("gave up at {at}: the schema needs too many attempts")]
    Exhausted { at: String },
}

/// Levels of nesting past the soft depth (where only required properties and minimal arrays
/// are made, and choices take their flattest branch) before a schema is taken to recurse
/// without end. The one depth rule of the `schema` folder: see [`hard_depth`].
pub(crate) const RECURSION_SLACK: usize = 16;

/// The soft depth is capped here, whatever is asked: the walks recurse once per level and
/// must fit a thread's stack.
pub(crate) const MAX_SOFT_DEPTH: usize = 32;

/// The nesting past which a schema with soft depth `soft` is taken to recurse without end.
pub(crate) fn hard_depth(soft: usize) -> usize {
    soft.min(MAX_SOFT_DEPTH) + RECURSION_SLACK
}
