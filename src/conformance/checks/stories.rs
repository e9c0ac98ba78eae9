//! Story checks over a sequence of exchanges, for CRUD-like operations: a thing deleted must
//! not be readable afterwards (`use_after_free`), a thing created must be readable
//! (`ensure_resource_availability`).
//!
//! Things are known by their path, percent-decoded, per session (`X-Understudy-Session`). A
//! create is a 2xx to `POST /things` where the document also declares `GET /things/{id}`; the
//! new thing's path is the answer's `Location`, else the collection path plus the body's
//! member named like that path parameter, else its `id` (either in another case if need be).

use std::collections::HashMap;

use http::Method;
use serde_json::Value;

use super::{Check, Verdict};
use crate::mock::message::{MockRequest, MockResponse};
use crate::operation::api::{Api, Operation};
use crate::world::state::SESSION_HEADER;

/// What earlier exchanges did to things, by (session, path).
#[derive(Debug, Default)]
pub struct Stories {
    /// Deleted things, and the request that deleted each.
    deleted: HashMap<(String, String), String>,
    /// Created things, and the request that created each.
    created: HashMap<(String, String), String>,
}

impl Stories {
    /// The story verdicts of one exchange, and what it changes for later ones.
    pub(crate) fn observe(
        &mut self,
        api: &Api,
        op: &Operation,
        req: &MockRequest,
        resp: &MockResponse,
    ) -> Vec<Verdict> {
        let session = req
            .headers
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let key = (session.clone(), decoded(&req.path));
        let ok = (200..300).contains(&resp.status);
        let this = format!("{} {}", req.method, req.path);
        let mut out = Vec::new();
        match req.method {
            Method::GET | Method::HEAD => {
                if let Some(by) = self.deleted.get(&key) {
                    out.push(Verdict::decide(
                        Check::UseAfterFree,
                        !ok,
                        format!("404 or 410: `{by}` deleted it before"),
                        resp.status.to_string(),
                    ));
                } else if let Some(by) = self.created.get(&key) {
                    out.push(Verdict::decide(
                        Check::EnsureResourceAvailability,
                        !matches!(resp.status, 404 | 410),
                        format!("neither 404 nor 410: `{by}` created it before"),
                        resp.status.to_string(),
                    ));
                }
            }
            Method::DELETE if ok => {
                self.created.remove(&key);
                self.deleted.insert(key, this);
            }
            Method::PUT if ok => {
                self.deleted.remove(&key);
                if resp.status == 201 {
                    self.created.insert(key, this);
                }
            }
            Method::POST if ok => {
                if let Some(path) = created_path(api, op, req, resp) {
                    let key = (session, path);
                    self.deleted.remove(&key);
                    self.created.insert(key, this);
                }
            }
            _ => {}
        }
        out
    }
}

/// The decoded path of the thing a create made, when the document reads things one by one.
fn created_path(
    api: &Api,
    op: &Operation,
    req: &MockRequest,
    resp: &MockResponse,
) -> Option<String> {
    let item = item_read(api, op)?;
    if let Some(path) = location_path(resp) {
        return Some(decoded(path));
    }
    let id = body_id(item, resp)?;
    Some(format!("{}/{id}", decoded(req.path.trim_end_matches('/'))))
}

/// The id of the thing a create made, as its item path takes it (decoded), when the document
/// reads things one by one: the last segment of `Location`, else the body's member named like
/// the item's path parameter, else its `id`. `understudy check`'s stories follow it.
pub(crate) fn created_id(api: &Api, op: &Operation, resp: &MockResponse) -> Option<String> {
    let item = item_read(api, op)?;
    if let Some(path) = location_path(resp) {
        let last = path.trim_end_matches('/').rsplit('/').next()?;
        return Some(decoded(last)).filter(|id| !id.is_empty());
    }
    body_id(item, resp)
}

/// `GET` on the item path under a create's collection (`/things/{id}` for `POST /things`).
fn item_read<'a>(api: &'a Api, op: &Operation) -> Option<&'a Operation> {
    let collection = op.template.trim_end_matches('/');
    api.operations.iter().find(|o| {
        o.method == Method::GET
            && o.template
                .strip_prefix(collection)
                .and_then(|rest| rest.strip_prefix("/{"))
                .is_some_and(|rest| rest.ends_with('}') && !rest.contains('/'))
    })
}

/// The path of the answer's `Location` (absolute or not), without query or fragment.
fn location_path(resp: &MockResponse) -> Option<&str> {
    let location = resp.header("location")?;
    let path = match location.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => location,
    };
    path.split(['?', '#']).next()
}

/// The body's member named like the item's path parameter, else its `id`; each by its name,
/// else in another case (AWS's `{id}` answers `Id`). Never empty: no path names that.
fn body_id(item: &Operation, resp: &MockResponse) -> Option<String> {
    let param = item.template.rsplit('{').next()?.trim_end_matches('}');
    let body: Value = serde_json::from_slice(&resp.body).ok()?;
    let members = body.as_object()?;
    let named = |name: &str| {
        members.get(name).or_else(|| {
            members
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
    };
    let id = [param, "id"]
        .into_iter()
        .find_map(|name| match named(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })?;
    (!id.is_empty()).then_some(id)
}

fn decoded(path: &str) -> String {
    percent_encoding::percent_decode_str(path.trim_end_matches('/'))
        .decode_utf8_lossy()
        .into_owned()
}
