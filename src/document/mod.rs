//! The document: YAML/JSON files read (`load`), or fetched by URL (`fetch`), the files their `$ref`s reach (`refs`), inside
//! the folders `ref_policy` allows; every schema rewritten to JSON Schema 2020-12
//! (`normalize`); everything wrong with it collected (`problems`).

pub mod fetch;
pub mod load;
pub mod normalize;
pub mod problems;
pub mod ref_policy;
pub mod refs;
