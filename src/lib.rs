//! understudy: a strict, stateful mock server generated from OpenAPI documents.
//!
//! The code is laid out by layer; a folder imports only the folders above it in this list.
//!
//! - `document`: reads YAML/JSON documents and the files their `$ref`s reach, inside the
//!   folders allowed; rewrites every schema to JSON Schema 2020-12; collects problems.
//! - `schema`: the one place that knows JSON Schema: one flattener (`merge`) under the type
//!   facts, the compiled node tree, proptest strategies, sampling values and ECMA-262
//!   patterns; the compiled validators and the violations they report.
//! - `error_format`: a violation rendered in any API's own error schema.
//! - `operation`: a document compiled into operations: parameters, responses, security,
//!   error formats, content negotiation.
//! - `world`: sessions and journals, behaviours (the bundled APIs' own, CRUD for any other),
//!   fixtures, the state file, each session's stubs and scenarios as data.
//! - `mock`: access rules, the route tree, dispatch, requests and answers (`message`), what
//!   can go wrong with a request (`rejection`), the pipeline for one request, stubs and
//!   `--fault`, the control API (`/__admin/`).
//! - `server`: the hyper edge and the request log.
//! - `conformance`: the named contract checks, whole generated requests, recorded traffic,
//!   reports.
//! - `contract`: `understudy check`: requests sent to a live server, judged, shrunk; stories.
//! - `proxy`: `understudy proxy`: requests forwarded to the real API, exchanges judged.
//! - `embed`: [`MockServer`], the mock in a test's own process.
//! - `cli`: the command line (`serve`, `routes`, `validate`, `check`, `proxy`).
//!
//! Below them all: `seed` (the hash and random source behind every generated value) and `text`
//! (numbers and dates written as text).

pub mod cli;
pub mod conformance;
pub mod contract;
pub mod document;
pub mod embed;
pub mod error_format;
pub mod mock;
pub mod operation;
pub mod proxy;
pub mod schema;
pub(crate) mod seed;
pub mod server;
pub(crate) mod text;
pub mod world;

pub use document::load::Source;
pub use embed::{
    Fault, MockServer, MockServerBuilder, Received, ReceivedViolation, SessionHandle, Spec,
    StartError, Stub, StubRefused,
};
pub use mock::engine::{Engine, EngineConfig, MockRequest, MockResponse, Outcome};
