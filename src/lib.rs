//! understudy: a strict, stateful mock server generated from OpenAPI documents.
//!
//! How a request flows, one module each:
//!
//! - `load`: reads YAML/JSON documents and the files their `$ref`s reach (`refs` resolves).
//! - `normalize`: rewrites every schema to JSON Schema 2020-12, warns about unknown keywords.
//! - `api`: compiles a document into operations (`params` plans, `schemas` validators,
//!   `respond` responses, `security` requirements, `errors` formats); `problems` collects
//!   everything wrong with it.
//! - `router`: one immutable tree from method and path to operation (404, 405 + `Allow`).
//! - `engine`: the pipeline for one request: credentials, parameters, body, `Accept`, answer.
//! - `negotiate`: `Accept` and `Content-Type` matching.
//! - `violation`: what broke where; `shape` renders it in any API's error schema.
//! - `generate`: deterministic data from a schema, for answers without examples.
//! - `server`: the hyper edge; `cli`: the command line.

pub mod api;
pub mod cli;
pub mod engine;
pub mod errors;
pub mod generate;
pub mod load;
pub mod negotiate;
pub mod normalize;
pub mod params;
pub mod pattern_gen;
pub mod problems;
pub mod refs;
pub mod respond;
pub mod router;
pub mod schemas;
pub mod security;
pub mod server;
pub mod shape;
pub mod violation;

pub use engine::{Engine, EngineConfig, MockRequest, MockResponse, Outcome};
pub use load::Source;
