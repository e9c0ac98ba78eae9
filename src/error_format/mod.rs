//! Errors in any API's own format: an [`ErrorShape`] is compiled once from the error schema a
//! document declares, then renders the facts of any error ([`ErrorFacts`](crate::schema::violation::ErrorFacts)) into a body that
//! fits that schema. [`problem_json`] is the format for documents that declare none.
//!
//! - `shape`: [`ErrorShape`] and [`problem_json`], the public face.
//! - `compile`: from the schema (as `schema::merge` merges it) to a plan.
//! - `names`: the well-known member names and the role each member takes.
//! - `plan`: the compiled plan and how it writes a body.
//! - `scalar`: a fact converted and fitted into one member's type and bounds.
//! - `status`: the ways a status can be said (digits, canonical codes, reason phrase).
//!
//! # Implementation rationale
//!
//! Members are recognised by well-known names (compared without case, `_` or `-`, so
//! `statusCode`, `status_code` and `StatusCode` are one name) and by the kind of their schema.
//! All schema work happens in [`ErrorShape::compile`]: `schema::merge` follows `$ref`s and
//! merges `allOf` (and the chosen `anyOf`/`oneOf` branch) into one set of constraints, and the
//! compiler picks the branch and makes minimal values for members nobody knows.
//! [`ErrorShape::render`] only walks the compiled plan.
//!
//! Precedence, where a schema leaves room for choice:
//! - The status goes to every status-like member (`status`, `code`, `statusCode`, `httpStatus`)
//!   in the member's own type (`400` or `"400"`). A string enum is matched against the status,
//!   the google.rpc canonical code names (`NOT_FOUND`) and the reason phrase (`Not Found`),
//!   ignoring case and separators, and the enum's own spelling is used. When no allowed value
//!   fits, the first allowed value is used (the body still validates, but says the wrong
//!   status): callers ask [`ErrorShape::holds_status`] first and pick another schema.
//! - Title-like members (`title`, `summary`, `reason`, `error` as a string) take the title;
//!   detail-like members (`detail`, `message`, `msg`, `description`, ...) take the detail. A
//!   lone title-like member keeps the title: a title is the same for every occurrence of a kind
//!   of error, and clients branch on it.
//! - Violations go one item each into a list member (`violations`, `errors`, `detail` as an
//!   array, ...) whose items have a place for a path or a message. When there is no violation
//!   but the list is the only place for the facts (no title or detail beside it, as in JSON:API
//!   or FastAPI), one item carries them. When the schema has no such list, violations are
//!   folded into the detail text: `detail (path: message; path: message)`.
//! - Inside a list item, path-like members take the violation's path (`users[0].email`), split
//!   into segments when the member is an array (FastAPI's `loc`, prefixed with the location
//!   like `["body", "users", 0, "email"]`); `pointer` takes an RFC 6901 pointer for the body; a
//!   `location`/`in` member beside another path member takes the location (`body`, `query`). A
//!   `title` beside another message-like member takes the error's title, otherwise the
//!   violation's message, as do `message`, `msg`, `detail` and friends (the violation whole,
//!   `query.limit: ...`, where no member of the item says the place). A string `type` takes
//!   the violation's type URN, a string `code`/`keyword`/`rule` its keyword, and an integer one
//!   the status.
//! - `type` takes the example's value, else `about:blank`; `instance` (and a top-level `path`)
//!   the request path, else the example's; `context`/`meta`/`extensions` their minimal value.
//!   Timestamps and request ids appear only when required or shown by the example, with the
//!   example's value or a constant (the mock's answers are reproducible).
//! - Any other required member gets the example's value, else the schema's own example, else
//!   a minimal valid value. Optional unknown members are left out.
//! - A schema with no member for any of the facts that takes members it does not declare
//!   (Slack's `{ok: false}` with `additionalProperties: true`) gets the example's members named
//!   like an error's part (string or integer) declared from the example; a title-like one of
//!   them (Slack's `error`) carries the detail, violations folded in, when nothing else can.
//!
//! `pattern` and `format` are not checked here, nor whether a body rendered for the chosen
//! `oneOf` branch also matches another: the caller validates the rendered body and falls back.

mod compile;
mod names;
mod plan;
mod scalar;
pub mod shape;
mod status;
#[cfg(test)]
mod tests;

pub use plan::uri_reference;
