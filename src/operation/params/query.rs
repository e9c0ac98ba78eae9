//! Query strings and `Cookie` headers split into name/value [`Pair`]s, and the
//! percent-decoding every parameter location uses.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

use crate::schema::violation::{Location, Violation};

/// A name and its value from a query string or a `Cookie` header: borrowed from the request
/// unless decoding changed them.
pub type Pair<'a> = (Cow<'a, str>, Cow<'a, str>);

/// Splits a query string into decoded name/value pairs: on `&`, then on the first `=`; `+`
/// is a space (form encoding) and `%2B` a plus. A leading `?` is skipped, empty pieces
/// (`a=1&&b=2`) are dropped, and a name without `=` has the empty value. Decoding is lossy and
/// never fails: a `%` that starts no valid escape stays as it is and invalid UTF-8 becomes
/// U+FFFD. Callers that want to refuse such requests ask [`query_encoding_violations`].
pub fn parse_query(raw: &str) -> Vec<Pair<'_>> {
    query_pieces(raw)
        .map(|(k, v)| (decode_form(k), decode_form(v)))
        .collect()
}

/// The pairs of a query string whose name or value is not valid percent-encoded UTF-8 (a
/// `%` not followed by two hex digits, or bytes that are not UTF-8), one `malformed`
/// violation per pair, named by the lossily decoded name.
pub fn query_encoding_violations(raw: &str) -> Vec<Violation> {
    query_pieces(raw)
        // Only a `%` can make a piece malformed (the text is UTF-8 already, and a `+` decodes
        // to a space either way): pieces without one are not decoded here at all.
        .filter(|(k, v)| {
            [k, v]
                .iter()
                .any(|text| text.contains('%') && decode_strict(text).is_none())
        })
        .map(|(k, _)| {
            Violation::new(
                Location::Query(decode_form(k).into_owned(), Vec::new()),
                "malformed",
                "This value is not valid percent-encoded UTF-8.",
            )
        })
        .collect()
}

fn query_pieces(raw: &str) -> impl Iterator<Item = (&str, &str)> {
    raw.strip_prefix('?')
        .unwrap_or(raw)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// Splits a `Cookie` header into name/value pairs, in order, values as sent (not yet
/// percent-decoded: [`ParamPlan::from_cookie`](super::ParamPlan::from_cookie) decodes after splitting lists). Whitespace
/// around names and values is dropped, as are the double quotes RFC 6265 allows around a
/// value; pieces without `=` or with an empty name are skipped.
pub fn parse_cookies(header: &str) -> Vec<Pair<'_>> {
    header
        .split(';')
        .filter_map(|piece| {
            let (name, value) = piece.split_once('=')?;
            let name = name.trim();
            if name.is_empty() {
                return None;
            }
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            Some((Cow::Borrowed(name), Cow::Borrowed(value)))
        })
        .collect()
}

fn decode_form(s: &str) -> Cow<'_, str> {
    if s.contains('+') {
        Cow::Owned(decode_lossy(&s.replace('+', " ")).into_owned())
    } else {
        decode_lossy(s)
    }
}

pub(super) fn decode_lossy(s: &str) -> Cow<'_, str> {
    // Most names and values have no escape: `percent_decode_str` would look for a `%` a byte
    // at a time, then check again the UTF-8 that a `&str` is already (`contains` on bytes
    // is a `memchr`).
    if !s.as_bytes().contains(&b'%') {
        return Cow::Borrowed(s);
    }
    percent_decode_str(s).decode_utf8_lossy()
}

/// Percent-decodes, or `None` when a `%` starts no valid escape or the result is not UTF-8.
pub(super) fn decode_strict(s: &str) -> Option<Cow<'_, str>> {
    let bytes = s.as_bytes();
    let valid_escapes = bytes.iter().enumerate().all(|(i, b)| {
        *b != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    if !valid_escapes {
        return None;
    }
    percent_decode_str(s).decode_utf8().ok()
}
