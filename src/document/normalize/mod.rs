//! Normalising every schema of a document to JSON Schema 2020-12, once, at load.
//!
//! OpenAPI 3.0 schemas are a dialect: `nullable`, boolean `exclusiveMinimum`/`exclusiveMaximum`
//! and a single `example`. They are rewritten in place so that everything downstream (the
//! validators, the generator, the error shaper) sees one dialect. Unknown keywords are
//! reported as warnings with their location, because a misspelt constraint (`min: 0`) is
//! silently not enforced.
//!
//! Two *validation views* are derived from the normalised files: in requests a `readOnly`
//! property is never required, in responses a `writeOnly` one is never required (OpenAPI's
//! rule), and a `oneOf`/`anyOf` with a `discriminator` gains an explicit branch selection so
//! that a mismatch is reported on the discriminator property rather than as "matches none".
//! A choice among fixed values written as branches (`anyOf: [{const: A, title: ...}, ...]`,
//! OpenAPI 3.1's documented enum) becomes an `enum` of the values in the same schema, and the
//! view remembers where ([`Folds`]) so that its failure is still reported as the choice it
//! was written as: the same violation, without the validator building an error, a copy of
//! the value and locations for every branch.
//!
//! - `rewrite`: the walk over the document that finds every schema and rewrites the 3.0
//!   dialect in place, warning about unknown keywords.
//! - `ecma`: `pattern`s read as ECMA-262 and rewritten for the Rust regex engines.
//! - `siblings`: the keys beside a 3.0 `$ref`, which OpenAPI 3.0 ignores, moved aside.
//! - `choices`: a `oneOf` two of whose branches are the same, which no value can satisfy,
//!   read as the `anyOf` its author meant.
//! - `served`: a document that declares no operation (webhooks only) said so.
//! - `views`: the request and response validation views derived from the normalised files.
//! - `prose`: the descriptions and summaries, dropped once loading has checked them.
//! - `share`: the views' references to schemas, numbered so that validators compile each
//!   target once.

mod choices;
pub mod ecma;
mod prose;
mod rewrite;
mod served;
mod share;
mod siblings;
mod views;

pub use prose::drop_prose;
pub use rewrite::normalize;
pub use share::{SHARED_REF, SharedTargets, same_in_both};
pub use views::{Choice, Folds, ValidationView, View, validation_view};

/// Which OpenAPI dialect the document's schemas are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// OpenAPI 3.0.x: a JSON Schema draft 4/5 subset with OpenAPI's extensions.
    Oas30,
    /// OpenAPI 3.1.x: JSON Schema 2020-12.
    Oas31,
}

#[cfg(test)]
mod tests;
