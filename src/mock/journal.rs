//! What `GET /__admin/requests` and `GET /__admin/requests/count` narrow a session's journal
//! to: `method` (any case), `path` (the path as sent, or a path template of a served
//! document, `/v1/spaces/{spaceId}/users`, which keeps the requests routed to its
//! operations), `operationId` and `status` (`201`, or a class such as `4xx`), all of them
//! together when several are given.
//!
//! Implementation rationale: a filter that can never match (an unknown name, a template or
//! an `operationId` no served document has) is refused with a 400 rather than answered with
//! nothing: a test asserting "called zero times" would otherwise pass on a typo. A template
//! becomes the ids of the operations it names, once per control request; the journal keeps
//! the operation of each request, so nothing is routed again.

use std::collections::HashSet;
use std::sync::Arc;

use http::Method;

use crate::operation::api::Api;
use crate::world::state::JournalEntry;

/// The filters a control request may name, as its refusals list them.
const NAMES: &str = "method, path, operationId, status";

/// The journal entries a control request asks about (all of them when it names no filter).
#[derive(Debug, Default)]
pub struct JournalFilter {
    method: Option<Method>,
    path: Option<PathFilter>,
    operation: Option<String>,
    status: Option<StatusFilter>,
}

#[derive(Debug)]
enum PathFilter {
    /// The path as sent (compared percent-decoded).
    Exact(String),
    /// The ids of the operations whose template the filter names.
    Template(HashSet<Arc<str>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusFilter {
    Code(u16),
    /// `4xx`: the hundreds digit.
    Class(u16),
}

impl JournalFilter {
    /// The filters of `query` (the control request's query, undecoded), checked against the
    /// served `apis`. `Err` is the 400's detail: the filter it names and what is wrong with it.
    pub fn parse(query: Option<&str>, apis: &[Api]) -> Result<JournalFilter, String> {
        let mut filter = JournalFilter::default();
        let Some(query) = query else {
            return Ok(filter);
        };
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let value = value.trim();
            if value.is_empty() {
                return Err(format!("The filter `{name}` has no value."));
            }
            let given = match name.as_ref() {
                "method" => filter.method.replace(method(value)?).is_some(),
                "path" => filter.path.replace(path(value, apis)?).is_some(),
                "operationId" => {
                    let known = apis
                        .iter()
                        .flat_map(|api| &api.operations)
                        .any(|op| &*op.id == value);
                    if !known {
                        return Err(format!(
                            "The filter `operationId` names `{value}`, which no served \
                             document has."
                        ));
                    }
                    filter.operation.replace(value.to_owned()).is_some()
                }
                "status" => filter.status.replace(status(value)?).is_some(),
                other => {
                    return Err(format!(
                        "There is no filter `{other}`; the journal is filtered by {NAMES}."
                    ));
                }
            };
            if given {
                return Err(format!("The filter `{name}` is given more than once."));
            }
        }
        Ok(filter)
    }

    /// Whether `entry` passes every filter.
    pub fn matches(&self, entry: &JournalEntry) -> bool {
        self.method.as_ref().is_none_or(|m| *m == entry.method)
            && self
                .operation
                .as_deref()
                .is_none_or(|id| entry.operation.as_deref() == Some(id))
            && self.status.is_none_or(|s| match s {
                StatusFilter::Code(code) => entry.status == code,
                StatusFilter::Class(class) => entry.status / 100 == class,
            })
            && self.path.as_ref().is_none_or(|p| match p {
                PathFilter::Exact(path) => decoded(&entry.path) == path.as_str(),
                PathFilter::Template(ids) => {
                    entry.operation.as_ref().is_some_and(|id| ids.contains(id))
                }
            })
    }
}

fn method(value: &str) -> Result<Method, String> {
    Method::from_bytes(value.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("The filter `method` is `{value}`, which is not an HTTP method."))
}

/// A template (it has a `{`) names the operations whose path, with or without the
/// document's mount, it is.
fn path(value: &str, apis: &[Api]) -> Result<PathFilter, String> {
    if !value.starts_with('/') {
        return Err(format!(
            "The filter `path` is `{value}`; a path starts with `/`."
        ));
    }
    if !value.contains('{') {
        return Ok(PathFilter::Exact(value.to_owned()));
    }
    let ids: HashSet<Arc<str>> = apis
        .iter()
        .flat_map(|api| &api.operations)
        .filter(|op| op.path() == value || op.template == value)
        .map(|op| Arc::clone(&op.id))
        .collect();
    if ids.is_empty() {
        return Err(format!(
            "The filter `path` is the template `{value}`, which no served document has."
        ));
    }
    Ok(PathFilter::Template(ids))
}

fn status(value: &str) -> Result<StatusFilter, String> {
    let bad = || {
        format!(
            "The filter `status` is `{value}`; give a status from 100 to 599 (`201`) or a \
             class (`4xx`)."
        )
    };
    let bytes = value.as_bytes();
    if bytes.len() != 3 || !(b'1'..=b'5').contains(&bytes[0]) {
        return Err(bad());
    }
    let class = u16::from(bytes[0] - b'0');
    if bytes[1..].eq_ignore_ascii_case(b"xx") {
        return Ok(StatusFilter::Class(class));
    }
    match value.parse::<u16>() {
        Ok(code) if bytes[1..].iter().all(u8::is_ascii_digit) => Ok(StatusFilter::Code(code)),
        _ => Err(bad()),
    }
}

/// `path` percent-decoded (as it is when it has no `%`).
fn decoded(path: &str) -> std::borrow::Cow<'_, str> {
    if path.contains('%') {
        percent_encoding::percent_decode_str(path).decode_utf8_lossy()
    } else {
        std::borrow::Cow::Borrowed(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(method: Method, path: &str, operation: Option<&str>, status: u16) -> JournalEntry {
        JournalEntry {
            method,
            path: path.to_owned(),
            query: None,
            operation: operation.map(Arc::from),
            status,
            violations: Arc::default(),
            micros: 0,
            proxied: None,
            fault: None,
            stub: None,
        }
    }

    fn parse(query: &str) -> Result<JournalFilter, String> {
        JournalFilter::parse(Some(query), &[])
    }

    #[test]
    fn no_filter_keeps_everything() {
        let f = JournalFilter::parse(None, &[]).unwrap();
        assert!(f.matches(&entry(Method::GET, "/a", None, 404)));
        let f = parse("").unwrap();
        assert!(f.matches(&entry(Method::POST, "/b", Some("x"), 201)));
    }

    #[test]
    fn the_method_is_read_in_any_case_and_must_be_a_token() {
        let f = parse("method=post").unwrap();
        assert!(f.matches(&entry(Method::POST, "/a", None, 200)));
        assert!(!f.matches(&entry(Method::GET, "/a", None, 200)));
        let err = parse("method=G%20T").unwrap_err();
        assert!(err.contains("`method`"), "{err}");
    }

    #[test]
    fn a_status_is_a_code_or_a_class() {
        let f = parse("status=4xx").unwrap();
        assert!(f.matches(&entry(Method::GET, "/a", None, 404)));
        assert!(!f.matches(&entry(Method::GET, "/a", None, 500)));
        let f = parse("status=201").unwrap();
        assert!(f.matches(&entry(Method::GET, "/a", None, 201)));
        assert!(!f.matches(&entry(Method::GET, "/a", None, 200)));
        for bad in ["600", "20", "2x1", "abc", "0xx", "+01", "2000"] {
            let err = parse(&format!("status={bad}")).unwrap_err();
            assert!(err.contains("`status`"), "{bad}: {err}");
        }
        assert!(parse("status=5XX").is_ok());
    }

    #[test]
    fn an_exact_path_is_compared_percent_decoded() {
        let f = parse("path=/a%20b").unwrap();
        assert!(f.matches(&entry(Method::GET, "/a%20b", None, 200)));
        assert!(!f.matches(&entry(Method::GET, "/a", None, 200)));
        assert!(parse("path=a").unwrap_err().contains("starts with `/`"));
    }

    #[test]
    fn filters_combine_and_each_may_be_given_once() {
        let f = parse("method=GET&status=2xx&path=/a").unwrap();
        assert!(f.matches(&entry(Method::GET, "/a", None, 200)));
        assert!(!f.matches(&entry(Method::GET, "/a", None, 404)));
        assert!(!f.matches(&entry(Method::PUT, "/a", None, 200)));
        let err = parse("method=GET&method=POST").unwrap_err();
        assert!(err.contains("more than once"), "{err}");
    }

    #[test]
    fn unknown_names_empty_values_and_unserved_operations_are_refused() {
        let err = parse("verb=GET").unwrap_err();
        assert!(err.contains("`verb`") && err.contains(NAMES), "{err}");
        assert!(parse("status=").unwrap_err().contains("no value"));
        let err = parse("operationId=nope").unwrap_err();
        assert!(err.contains("`nope`"), "{err}");
        let err = parse("path=/a/%7Bid%7D").unwrap_err();
        assert!(err.contains("template `/a/{id}`"), "{err}");
    }
}
