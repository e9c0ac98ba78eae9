//! The one place that knows JSON Schema: a conjunction of schemas merged into one set of
//! constraints (`merge`), a schema compiled once into a tree of nodes (`tree`), deterministic
//! values (`generate`), strings matching ECMA-262 patterns (`pattern`), proptest strategies of
//! valid and invalid values read from the tree (`strategy`), the type facts parameter plans and
//! CRUD inference read from the merge (`facts`), the one error of all of them and the one depth
//! rule (`error`), the compiled validators (`validators`) and what they report (`violation`).

pub mod error;
pub(crate) mod facts;
pub mod generate;
pub(crate) mod merge;
pub mod pattern;
pub mod strategy;
pub(crate) mod tree;
pub mod validators;
pub mod violation;
