//! Declared response headers as the mock sends them: a value from the Header object (its
//! example, else generated) in the `simple` style, never a header that frames the message,
//! and a `Location` that is at least a URI reference.
//!
//! Implementation rationale: a document's examples describe a message the vendor's server
//! framed; copied into ours they lie. GitHub's `POST /markdown` declares `Content-Length: 279`
//! as an example, and a client that believed it waited for bytes that never came. Framing and
//! hop-by-hop headers are the HTTP layer's to write (RFC 9110 §7.6.1, RFC 9112 §6), so they are
//! dropped from the declared headers once, when the response is compiled, and neither sent
//! nor required of an answer.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use crate::document::refs::Located;
use crate::schema::generate::{self, Direction, GenOptions};
use crate::schema::validators::Matchers;

/// Headers the mock never copies from a document: the HTTP layer frames the message (length,
/// transfer coding, connection management, the date it was sent), and the body is never
/// content-coded.
const NEVER_SENT: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "content-encoding",
    "date",
];

/// Whether a declared response header is left to the HTTP layer (see [`NEVER_SENT`];
/// `Proxy-*` headers are hop-by-hop too).
pub fn never_sent(name: &str) -> bool {
    NEVER_SENT.iter().any(|n| n.eq_ignore_ascii_case(name))
        || name
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("proxy-"))
}

/// Whether a header's value is a URI reference (RFC 3986 §4.1), as `Location` is.
pub fn names_a_uri(name: &str) -> bool {
    name.eq_ignore_ascii_case("location") || name.eq_ignore_ascii_case("content-location")
}

/// A header value from a Header object: its example, its schema's example or default, or
/// generated data, serialised in the `simple` style. A `Location` that is not a URI
/// reference (generated text, an example with spaces) has its stray characters
/// percent-encoded.
pub fn header_value(matchers: &Matchers, name: &str, header: &Value, seed: u64) -> Option<String> {
    let value = header
        .get("example")
        .cloned()
        .or_else(|| {
            header
                .get("examples")
                .and_then(Value::as_object)
                .and_then(|m| m.values().next())
                .and_then(|e| e.get("value").cloned())
        })
        .or_else(|| {
            let schema = header.get("schema")?;
            let opts = GenOptions {
                seed,
                direction: Direction::Response,
                use_examples: true,
                ..GenOptions::default()
            };
            generate::generate(
                matchers,
                Located {
                    base: matchers.resources().root_uri(),
                    value: schema,
                },
                &opts,
            )
            .ok()
        })?;
    let text = simple_style(&value);
    if names_a_uri(name) {
        return Some(uri_reference(&text));
    }
    Some(text)
}

/// Characters a path segment keeps as they are: RFC 3986's unreserved ones.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The URL of the item `id` of the collection at `collection` (a request path): the
/// collection's path, then the id as one segment; absolute on `host` (the request's `Host`),
/// as servers write it, for it fits a `Location` declared `format: uri` as well as one declared
/// a URI reference (Learnifier's `POST /orgunits/{orgid}/projects`). A `Host` that is no
/// authority (no host at all, `a b`, `user@host`) leaves the path alone.
pub fn item_location(host: Option<&str>, collection: &str, id: &str) -> String {
    let segment = utf8_percent_encode(id, SEGMENT);
    let path = format!("{}/{segment}", collection.trim_end_matches('/'));
    let authority = host
        .filter(|h| !h.contains('@'))
        .and_then(|h| h.parse::<http::uri::Authority>().ok());
    match authority {
        // The mock speaks plain HTTP only.
        Some(authority) => format!("http://{authority}{path}"),
        None => path,
    }
}

/// `text` as a URI reference: characters a URI may not hold percent-encoded (a stray `%`
/// included), valid escapes and the first `#` (the fragment's start) kept.
pub fn uri_reference(text: &str) -> String {
    match text.split_once('#') {
        Some((before, fragment)) => format!(
            "{}#{}",
            crate::error_format::uri_reference(before),
            crate::error_format::uri_reference(fragment)
        ),
        None => crate::error_format::uri_reference(text),
    }
}

fn simple_style(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(simple_style).collect::<Vec<_>>().join(","),
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| [k.clone(), simple_style(v)])
            .collect::<Vec<_>>()
            .join(","),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_use_the_simple_style() {
        assert_eq!(simple_style(&serde_json::json!([1, 2])), "1,2");
        assert_eq!(
            simple_style(&serde_json::json!({"a": 1, "b": "x"})),
            "a,1,b,x"
        );
        assert_eq!(simple_style(&serde_json::json!("s")), "s");
    }

    #[test]
    fn framing_and_hop_by_hop_headers_are_never_sent() {
        for name in [
            "Content-Length",
            "transfer-encoding",
            "Connection",
            "Keep-Alive",
            "Upgrade",
            "TE",
            "Trailer",
            "Proxy-Authenticate",
            "proxy-connection",
            "Content-Encoding",
            "Date",
        ] {
            assert!(never_sent(name), "{name}");
        }
        for name in ["Location", "ETag", "X-RateLimit-Limit", "Link", "Prox", ""] {
            assert!(!never_sent(name), "{name}");
        }
    }

    #[test]
    fn a_location_is_made_a_uri_reference_and_a_valid_one_is_kept() {
        for valid in [
            "https://api.github.com/gists/aa5a315d61ae9438b18d",
            "/v1/things/1?x=%20y#top",
            "",
        ] {
            assert_eq!(uri_reference(valid), valid);
        }
        assert_eq!(uri_reference("lorem ipsum"), "lorem%20ipsum");
        assert_eq!(uri_reference("/a#b#c"), "/a#b%23c");
        assert_eq!(uri_reference("/50%"), "/50%25");
    }

    #[test]
    fn an_item_is_located_under_its_collection_its_id_one_segment() {
        let host = Some("127.0.0.1:8080");
        assert_eq!(
            item_location(host, "/v1/pets", "7"),
            "http://127.0.0.1:8080/v1/pets/7"
        );
        assert_eq!(
            item_location(host, "/v1/pets/", "a b/c"),
            "http://127.0.0.1:8080/v1/pets/a%20b%2Fc"
        );
        for no_authority in [None, Some(""), Some("a b"), Some("u@evil"), Some("a/b")] {
            assert_eq!(item_location(no_authority, "/v1/pets", "7"), "/v1/pets/7");
        }
    }
}
