//! The one place that knows JSON Schema: a conjunction of schemas merged into one set of
//! constraints (`merge`), deterministic values from it (`generate`), strings matching ECMA-262
//! patterns (`pattern`), proptest strategies of valid and invalid values (`strategy`), the
//! compiled validators (`validators`) and what they report (`violation`), and the type facts
//! parameter plans and CRUD inference read from the merge (`facts`).

pub(crate) mod facts;
pub mod generate;
pub(crate) mod merge;
pub mod pattern;
pub mod strategy;
pub mod validators;
pub mod violation;
