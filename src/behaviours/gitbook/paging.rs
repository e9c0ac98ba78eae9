//! GitBook's list paging: `page` (an opaque token from `next.page`) and `limit` (0..1000) in,
//! `{items, next?: {page}, count}` out.
//!
//! The mock's choices, where GitBook publishes none: a page holds 20 items unless `limit`
//! says otherwise; a fractional `limit` is rounded down; `limit=0` is a page of no items that
//! still gives `count` (and `next`, pointing at the first item, when the list is not empty).
//! A token names the list it came from (which list, which space, which role filter) and the
//! sequence number of the next item; a token this server did not give for this very list is
//! a 400.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::world::page;
use crate::behaviour::{Call, Reply};

/// Items per page when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 20;

/// What a page token is bound to: the list, the space and the filter.
pub struct ListKey<'a> {
    pub kind: &'a str,
    pub space: &'a str,
    pub filter: &'a str,
}

impl ListKey<'_> {
    fn prefix(&self) -> String {
        format!("gbp1/{}/{}/{}/", self.kind, self.space, self.filter)
    }

    fn token(&self, seq: u64) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}{seq}", self.prefix()))
    }

    /// The sequence number a token asks for, if it is one of this list's.
    fn seq(&self, token: &str) -> Option<u64> {
        let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
        let text = String::from_utf8(raw).ok()?;
        text.strip_prefix(&self.prefix())?.parse().ok()
    }
}

/// One page of `index` as the request's `page` and `limit` ask, with each id turned into an
/// item by `item`; or the 400 for a page token that is not this list's.
pub fn answer(
    call: &Call<'_>,
    key: &ListKey<'_>,
    index: &BTreeMap<u64, String>,
    item: impl Fn(&str) -> Option<Value>,
) -> Reply {
    let from = match call.query.get("page").and_then(Value::as_str) {
        None => 0,
        Some(token) => match key.seq(token) {
            Some(seq) => seq,
            None => {
                return Reply::error(
                    400,
                    format!(
                        "The page token `{token}` was not given by this list; pass `next.page` \
                         of the previous answer, or no `page` for the first page."
                    ),
                );
            }
        },
    };
    let limit = call
        .query
        .get("limit")
        .and_then(Value::as_f64)
        .map_or(DEFAULT_LIMIT, |l| l.clamp(0.0, 1000.0).floor() as usize);
    let (ids, next) = page(index, from, limit);
    let items: Vec<Value> = ids.into_iter().filter_map(item).collect();
    let mut body = Map::new();
    body.insert("items".into(), Value::Array(items));
    if let Some(seq) = next {
        body.insert("next".into(), json!({"page": key.token(seq)}));
    }
    body.insert("count".into(), json!(index.len()));
    Reply::ok(200, Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
