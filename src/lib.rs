//! understudy: a strict, stateful mock server generated from OpenAPI documents.
//!
//! As a library it is [`MockServer`]: the mock in a test's own process, in the style of
//! `wiremock`, with stubs ([`Stub`]) checked against the document and a journal of what the
//! client sent ([`Received`]).
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use understudy::{MockServer, Stub};
//! let server = MockServer::builder()
//!     .spec("openapi: 3.1.0\ninfo: {title: Pets, version: '1'}\npaths:\n  /pets:\n    get:\n      operationId: listPets\n      responses:\n        '200': {description: ok, content: {application/json: {schema: {type: array}}}}\n        '503': {description: down}\n")
//!     .start_blocking()?;
//! server.stub(Stub::operation("listPets").status(503).times(1))?;
//! // ... run the client under test against server.uri() ...
//! assert!(server.requests().is_empty());
//! # Ok(())
//! # }
//! ```
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

/// Declares the layers: public, though hidden from the documentation, when the `internals`
/// feature is on (understudy's own tests, benches and examples turn it on through a
/// dev-dependency on the crate itself), private to the crate otherwise. They are not an
/// interface: what a user's code calls is re-exported below.
macro_rules! layers {
    ($($name:ident),* $(,)?) => {$(
        #[cfg(feature = "internals")]
        #[doc(hidden)]
        pub mod $name;
        #[cfg(not(feature = "internals"))]
        #[allow(dead_code, unused_imports)]
        pub(crate) mod $name;
    )*};
}

layers!(
    cli,
    conformance,
    contract,
    document,
    mock,
    operation,
    proxy,
    schema,
    server,
    world
);
mod embed;
pub(crate) mod error_format;
pub(crate) mod seed;
pub(crate) mod text;

#[cfg(feature = "internals")]
#[doc(hidden)]
pub use document::load::Source;
pub use embed::{
    Fault, MockServer, MockServerBuilder, Received, ReceivedViolation, SessionHandle, Spec,
    StartError, Stub, StubRefused,
};
#[cfg(feature = "internals")]
#[doc(hidden)]
pub use mock::engine::{Engine, EngineConfig, MockRequest, MockResponse, Outcome};

/// The `understudy` binary's whole work: the command line read, run, and how it ended as an
/// exit code (`src/main.rs` calls only this).
#[doc(hidden)]
pub fn command_line() -> std::process::ExitCode {
    use clap::Parser;
    let parsed = cli::Cli::parse();
    let result = cli::run(parsed);
    if let Err(e) = &result {
        eprintln!("understudy: {e:#}");
    }
    std::process::ExitCode::from(cli::exit_code(&result))
}
