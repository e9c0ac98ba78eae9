//! GitBook's list paging: `page` (an opaque token from `next.page`) and `limit` (0..1000) in,
//! `{items, next?: {page}, count}` out.
//!
//! The mock's choices, where GitBook publishes none: a page holds 20 items unless `limit`
//! says otherwise; a fractional `limit` is rounded down; `limit=0` is a page of no items that
//! still gives `count`, and no `next` (a page of none would never move a client on).
//! A token names the list it came from (which list, which space, which role filter) and the
//! sequence number of the next item; a token this server did not give for this very list
//! names no page: a 404, the status GitBook's lists declare for what is not there. (Not a 400:
//! the token is a valid `page` by the document's schema, and a valid request is never a 400.)

use std::io::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::error::GitbookError;
use super::world::{Entry, Index, page};
use crate::world::behaviour::{ParamValues, Reply};

/// Items per page when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 20;

/// What a page token is bound to: the list, the space and the filter.
pub struct ListKey<'a> {
    pub kind: &'a str,
    pub space: &'a str,
    pub filter: &'a str,
}

impl ListKey<'_> {
    /// The token's text before base64: `gbp1/<kind>/<space>/<filter>/<seq>`.
    fn raw(&self, seq: u64) -> String {
        use std::fmt::Write as _;
        let mut raw = String::with_capacity(32 + self.space.len() + self.filter.len());
        // Writing to a `String` cannot fail.
        let _ = write!(
            raw,
            "gbp1/{}/{}/{}/{seq}",
            self.kind, self.space, self.filter
        );
        raw
    }

    #[cfg(test)]
    pub(super) fn token(&self, seq: u64) -> String {
        URL_SAFE_NO_PAD.encode(self.raw(seq))
    }

    /// Appends the token for `seq` to `out` as a JSON string (base64url needs no escaping).
    fn push_token(&self, seq: u64, out: &mut Vec<u8>) {
        let raw = self.raw(seq);
        out.push(b'"');
        let start = out.len();
        out.resize(
            start + base64::encoded_len(raw.len(), false).unwrap_or(0),
            0,
        );
        match URL_SAFE_NO_PAD.encode_slice(raw.as_bytes(), &mut out[start..]) {
            Ok(written) => out.truncate(start + written),
            // Not reached: the room is `encoded_len`'s; the slower path keeps the page whole.
            Err(_) => {
                out.truncate(start);
                out.extend_from_slice(URL_SAFE_NO_PAD.encode(&raw).as_bytes());
            }
        }
        out.push(b'"');
    }

    /// The sequence number a token asks for, if it is one of this list's.
    fn seq(&self, token: &str) -> Option<u64> {
        let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
        let rest = raw.strip_prefix(b"gbp1/")?;
        let rest = strip_part(rest, self.kind)?;
        let rest = strip_part(rest, self.space)?;
        let digits = strip_part(rest, self.filter)?;
        // `u64::from_str` without the UTF-8 check: a leading `+` is taken, as it was.
        std::str::from_utf8(digits).ok()?.parse().ok()
    }
}

/// `rest` after `part` and a `/`.
fn strip_part<'r>(rest: &'r [u8], part: &str) -> Option<&'r [u8]> {
    rest.strip_prefix(part.as_bytes())?.strip_prefix(b"/")
}

/// One page of `index` as the request's `page` and `limit` (in `query`) ask, or the 404 for a page token
/// that is not this list's. `item` appends one entry's item, as JSON, to the page and says
/// whether there was one (entries without an item are left out).
///
/// The page is written straight to bytes (`Reply::Json`), the items' JSON by `item`: the
/// `{items, next?, count}` object of `serde_json::to_vec` (members in that order, compact),
/// without a `Value` tree to build, serialize and free (about 200 allocations a page of 20).
pub fn answer<V: Copy>(
    query: &ParamValues<'_>,
    key: &ListKey<'_>,
    index: &Index<V>,
    mut item: impl FnMut(&Entry<V>, &mut Vec<u8>) -> bool,
) -> Result<Reply, GitbookError> {
    let from = first_item(key, query.get("page").and_then(Value::as_str))?;
    let limit = query
        .get("limit")
        .and_then(Value::as_f64)
        .map_or(DEFAULT_LIMIT, |l| l.clamp(0.0, 1000.0).floor() as usize);
    let (entries, next) = page(index, from, limit);
    let mut out = Vec::with_capacity(64 + entries.len() * ITEM_SIZE_HINT);
    out.extend_from_slice(b"{\"items\":[");
    let mut first = true;
    for entry in entries {
        let start = out.len();
        if !first {
            out.push(b',');
        }
        if item(entry, &mut out) {
            first = false;
        } else {
            out.truncate(start);
        }
    }
    out.push(b']');
    if let Some(seq) = next {
        out.extend_from_slice(b",\"next\":{\"page\":");
        key.push_token(seq, &mut out);
        out.push(b'}');
    }
    out.extend_from_slice(b",\"count\":");
    // Writing to a `Vec` cannot fail.
    let _ = write!(out, "{}", index.len());
    out.push(b'}');
    Ok(Reply::json(200, out))
}

/// About how many bytes one item takes (a user with an email and a photo: about 230).
const ITEM_SIZE_HINT: usize = 256;

/// The sequence number a page starts at: 0 without a token, else the token's, when it is one
/// this list gave; else the 404 for a page that is not there.
fn first_item(key: &ListKey<'_>, token: Option<&str>) -> Result<u64, GitbookError> {
    let Some(token) = token else { return Ok(0) };
    key.seq(token).ok_or_else(|| GitbookError::ForeignPage {
        token: token.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::behaviour::DomainError;

    #[test]
    fn a_token_is_only_good_for_the_list_that_gave_it() {
        let users = ListKey {
            kind: "users",
            space: "sp1",
            filter: "",
        };
        let teams = ListKey {
            kind: "teams",
            space: "sp1",
            filter: "",
        };
        let token = users.token(42);
        assert_eq!(users.seq(&token), Some(42));
        assert_eq!(teams.seq(&token), None);
        assert_eq!(users.seq("cGFnZToy"), None);
        assert_eq!(users.seq("not base64!"), None);
    }

    #[test]
    fn the_next_token_is_written_as_the_json_string_of_the_token() {
        for (space, filter, seq) in [
            ("sp1", "", 0),
            ("sPaCeBench02", "edit", u64::MAX),
            ("é", "x", 41),
        ] {
            let key = ListKey {
                kind: "aggregate",
                space,
                filter,
            };
            let mut out = b"[".to_vec();
            key.push_token(seq, &mut out);
            out.push(b']');
            let parsed: Vec<String> = serde_json::from_slice(&out).expect("a JSON array");
            assert_eq!(parsed, [key.token(seq)]);
            assert_eq!(key.seq(&parsed[0]), Some(seq));
        }
    }

    #[test]
    fn a_page_token_the_list_did_not_give_is_a_404_not_a_400() {
        // `page` is any string by GitBook's schema: a token that names no page of this list
        // is a thing not found (GitBook's lists declare 404), never the 400 of a malformed
        // request (mock_props: a schema-valid request must not get a 400).
        let users = ListKey {
            kind: "users",
            space: "sp1",
            filter: "",
        };
        assert!(matches!(first_item(&users, None), Ok(0)));
        assert!(matches!(first_item(&users, Some(&users.token(7))), Ok(7)));
        for foreign in ["a", "cGFnZToy"] {
            match first_item(&users, Some(foreign)) {
                Err(e) => {
                    assert_eq!(e.status(), 404);
                    assert!(e.to_string().contains(foreign), "{e}");
                }
                Ok(_) => panic!("`{foreign}` was taken as a page of the list"),
            }
        }
    }
}
