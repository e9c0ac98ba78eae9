//! Behaviour tests through a real server on 127.0.0.1, port 0: one test binary, one harness.
//!
//! - `alumio`, `gitbook`, `arize`: every operation of each bundled document, valid and invalid;
//!   `*_story`: their stateful behaviour end to end; `crud`: CRUD inferred for other documents.
//! - `admin`: the `/__admin/` control API and sessions; `journal`: the journal's filters and
//!   count; `delay`: answers held back (`Prefer: delay=`, `--delay`) without holding up others;
//!   `faults`: answers broken on purpose (`Prefer: fault=`) and delays per operation.
//! - `state_file`: `--state-file`, worlds saved and loaded losslessly; bad files refused.
//! - `stubs`: stubs and scenarios through the control API (matching, order, `times`, spec
//!   checks at creation, sessions, the state file); `stub_timing`: delays and faults per stub,
//!   `--fault` per operation and for the whole server, `--stubs DIR` in the binary.
//! - `check`: `understudy check` against the mock and against `broken`, a server that breaks
//!   one rule at a time, so each check is shown to bite; `check_stories`: its stateful
//!   stories (bundled APIs, CRUD, OpenAPI links) against both; `check_real_world`: what the
//!   self-check on real documents brought up (parents in stories, mounts in URLs, deadlines).
//! - `documents`: other documents (edge cases of 3.0 and 3.1, broken ones, several at once).
//! - `routing`: how requests reach operations: concrete before templated paths, segments
//!   mixing text and parameters, paths differing only in parameter names, `x-` keys in
//!   `paths`, and keys with discriminators (`/#X-Amz-Target=…`, `/{Bucket}?acl`).
//! - `loading`: valid real-world constructs that must load (ECMA-262 patterns, 3.0 `$ref`
//!   siblings, documents of webhooks only) and refusals that name the rule and the place.
//! - `conformance`: every example and generated answer of the bundled documents fits its schema.
//! - `fuzz`: the `fuzz` strategies against the validators; `mock_props`: property tests of the
//!   mock (generated requests, single and in sequences, judged by the contract checks).
//! - `validate`: `understudy validate` over the recordings in `tests/recordings/` and over
//!   traffic recorded from the mock itself; reports and exit codes.
//! - `loader_fuzz`: mutated documents (and fixtures) through the whole loader: `Ok` or `Err`,
//!   never a panic, each within a time bound.
//! - `limits`: bad input, size limits, timeouts and shutdown never hurt the server.
//! - `raw_fuzz`: arbitrary and mutated request bytes through the HTTP edge, in memory: no
//!   crash, no 5xx, every connection ended in time, the server still serving.
//! - `soak`: the real binary under many clients at once (writes, invalid requests, aborted
//!   and slow connections): no 5xx, the state the acknowledged writes imply, memory back.
//! - `corpus`: npm's `@readme/oas-examples` documents load and answer (fetched by `.ci/run`).
//! - `proxy`: `understudy proxy` in front of the mock, the broken double and raw doubles that
//!   echo, hang, close, answer garbage or 501, and an https:// double; `proxy_binary`: the
//!   binary's reports and recording, written at SIGTERM.
//! - `command_line`: the binary's flags as a Prism user types them (`mock DOC`, `-p`, `--host
//!   localhost`, `-d`, `--errors`), every warning on request, violations named in the log;
//!   `fetched`: documents given by URL, from a loopback server; `https`: `--tls-self-signed`
//!   and `--tls-cert`/`--tls-key`, with a client that verifies the certificate.
//! - `reload`: `serve --watch` and `POST /__admin/reload` in the binary: new routes served,
//!   worlds, journals and stubs kept where they fit, a broken document logged (or 422) while
//!   the old one keeps serving.
//! - `layers`: the folders of `src/` import only the layers below them.

mod admin;
mod alumio;
mod alumio_story;
mod arize;
mod arize_story;
mod broken;
mod check;
mod check_real_world;
mod check_stories;
mod command_line;
mod conformance;
mod corpus;
mod crud;
mod delay;
mod doc_links;
mod documents;
mod embed;
mod faults;
mod fetched;
mod fuzz;
mod gitbook;
mod gitbook_story;
mod harness;
mod https;
mod journal;
mod layers;
mod limits;
mod loader_fuzz;
mod loading;
mod mock_props;
mod proxy;
mod proxy_binary;
mod raw_fuzz;
mod real_world;
mod reload;
mod routing;
mod running;
mod soak;
mod state_file;
mod stub_timing;
mod stubs;
mod validate;
