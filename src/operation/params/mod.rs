//! OpenAPI parameter serialization: turning path segments, query strings, headers and cookies
//! into JSON values according to each parameter's `style`, `explode` and schema.
//!
//! - `location`: where a parameter is sent ([`ParamIn`]) and its serialization [`Style`].
//! - `plan`: the [`ParamPlan`] compiled once at load, and its value's [`Shape`].
//! - `read`: path and header text split by style; the pieces every reader shares.
//! - `form`: query and cookie parameters, from named pairs: form, space- and pipe-delimited,
//!   deepObject.
//! - `query`: query strings and `Cookie` headers split into decoded [`Pair`]s.
//! - `coerce`: one piece of text read as the first type its [`TypeSet`] allows.
//!
//! Implementation rationale: the schema is read once, at startup, into a [`ParamPlan`] whose
//! [`Shape`] says whether the value is a scalar, an array or an object and which JSON types
//! each part may take ([`TypeSet`], from `schema::facts`, which reads every schema through the
//! one merge). At request time the plan splits the raw text by style and
//! coerces each piece by its type set; nothing on the request path looks at a schema. Text
//! that fits no allowed type is kept as a string, so the validator (which sees the real
//! schema) reports the type violation in its own words. The only violations raised here are
//! the ones no schema can express: a value given twice (`duplicate`), and text that cannot be
//! read at all (`malformed`: bad percent-encoding, a matrix or label prefix that is missing,
//! an odd number of items in a name,value list, invalid JSON in a `content` parameter).

mod coerce;
mod form;
mod location;
mod plan;
mod query;
mod read;
#[cfg(test)]
mod tests;

pub use crate::schema::facts::{ObjectShape, Property, TypeSet};
pub use form::MAX_NESTING;
pub use location::{ParamIn, Style};
pub use plan::{ParamPlan, Shape};
pub use query::{Pair, parse_cookies, parse_query, query_encoding_violations};
