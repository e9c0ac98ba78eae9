//! understudy: a strict, stateful mock server generated from OpenAPI documents.
//!
//! How a request flows, one module each:
//!
//! - `load`: reads YAML/JSON documents and the files their `$ref`s reach (`refs` resolves),
//!   inside the folders `ref_policy` allows.
//! - `normalize`: rewrites every schema to JSON Schema 2020-12, warns about unknown keywords.
//! - `api`: compiles a document into operations (`params` plans, `schemas` validators,
//!   `respond` responses, `security` requirements, `errors` formats); `problems` collects
//!   everything wrong with it.
//! - `router`: one immutable tree from method and path to operation (404, 405 + `Allow`).
//! - `engine`: dispatch (control API, session, route); `exchange`: the pipeline for one
//!   routed request: credentials, parameters, body, `Accept`, behaviour or static answer.
//! - `state`: sessions of the world and their journals; `behaviour`: what operations do to it
//!   (`behaviours`: the bundled APIs' own, and CRUD for any other); `fixtures`: where worlds
//!   start; `admin`: `/__admin/` (reset, state, journal, sessions); `persist`: the state
//!   file, every session's world saved at shutdown and loaded at start.
//! - `access`: who may reach the mock: `Host` checks, the control API's `Origin` and admin
//!   token, CORS for the served APIs.
//! - `negotiate`: `Accept` and `Content-Type` matching.
//! - `violation`: what broke where; `shape` renders it in any API's error schema.
//! - `generate`: deterministic data from a schema, for answers without examples.
//! - `schema_merge`: a schema conjunction (`$ref`, `allOf`, ...) merged into one set of
//!   constraints, the ground both `generate` and `fuzz` build values on.
//! - `fuzz`: proptest strategies from the schemas: valid values, values breaking one
//!   constraint, whole requests per operation (property tests and contract checks share them).
//! - `checks`: the named contract checks, judging one exchange (and stories of several) with
//!   the same router, request pipeline and validators; `recording`: HAR and JSON Lines
//!   traffic; `report`: text, JSON and JUnit reports of the checks.
//! - `client`: a small blocking HTTP/1.1 client; `contract`: `understudy check`, generated
//!   requests sent to a live server, judged, failures shrunk; then stateful stories (bundled
//!   APIs, OpenAPI links, inferred CRUD) for `use_after_free` and `ensure_resource_availability`.
//! - `server`: the hyper edge; `cli`: the command line (`serve`, `routes`, `validate`, `check`).

pub mod access;
pub mod admin;
pub mod api;
pub mod behaviour;
pub mod behaviours;
pub mod checks;
pub mod cli;
pub mod client;
pub mod contract;
pub mod engine;
pub mod errors;
pub mod exchange;
pub mod fixtures;
pub mod fuzz;
pub mod generate;
pub mod load;
mod logline;
mod logsink;
pub mod negotiate;
pub mod normalize;
pub mod params;
pub mod pattern_gen;
pub mod persist;
pub mod problems;
pub mod recording;
pub mod ref_policy;
pub mod refs;
pub mod report;
pub mod respond;
pub mod router;
pub(crate) mod schema_merge;
pub mod schemas;
pub mod security;
pub mod server;
pub mod shape;
pub mod state;
pub mod violation;

pub use engine::{Engine, EngineConfig, MockRequest, MockResponse, Outcome};
pub use load::Source;
