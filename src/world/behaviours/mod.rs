//! The behaviours of the bundled APIs, one module each, and CRUD inferred from the paths of
//! any other document.

pub mod alumio;
pub mod arize;
pub mod crud;
pub mod gitbook;
