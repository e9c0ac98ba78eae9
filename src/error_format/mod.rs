//! Errors in any API's own format: a violation rendered into the error schema an operation
//! declares (`shape`).

pub mod shape;
