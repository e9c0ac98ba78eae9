//! The operation: a document compiled into operations (`api`), with parameter plans
//! (`params`), responses (`respond`), security requirements (`security`), error formats
//! (`errors`), and `Accept`/`Content-Type` matching (`negotiate`).

pub mod api;
pub mod errors;
pub mod negotiate;
pub mod params;
pub mod respond;
pub mod security;
