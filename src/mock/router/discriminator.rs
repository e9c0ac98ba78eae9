//! The operations of one path, and picking one for a request: by method, then by the
//! discriminators some keys carry (`/#X-Amz-Target=…`, `/?Action=…`, `/{Bucket}?acl`),
//! read from the request's headers and query once per request.

use std::borrow::Cow;
use std::collections::HashSet;

use http::{HeaderMap, HeaderName, Method};

use super::OpRef;
use super::template::Segment;
use crate::operation::api::key::{CondIn, CondValue, Condition};

/// Where a condition looks: a query parameter or a header, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Key {
    Query(String),
    Header(HeaderName),
}

/// What the entries hold while the router is built: (entry, method, conditions) served.
pub(super) type Seen = HashSet<(usize, Method, Vec<(usize, Option<Box<str>>)>)>;

/// One compiled condition: the entry's key it reads and what it asks of the value.
#[derive(Debug)]
struct Cond {
    key: usize,
    value: CondValue,
}

/// One operation on a path.
#[derive(Debug)]
pub(super) struct Candidate {
    pub(super) method: Method,
    pub(super) op: OpRef,
    conditions: Vec<Cond>,
    /// The names of the values read back (the path's, then the conditions' `{param}`s),
    /// when they are not the entry's.
    names: Option<Vec<String>>,
}

/// The operations of one path.
#[derive(Debug)]
pub(super) struct PathEntry {
    /// In the order they were added: on a tie, the first wins.
    pub(super) candidates: Vec<Candidate>,
    /// Every key some candidate's conditions read, each once.
    keys: Vec<Key>,
    /// The template's segments, to read the values from a path that reached it.
    pub(super) segments: Vec<Segment>,
    /// The names of the path's values, as the first template of the path has them.
    names: Vec<String>,
}

/// What a method on a path found among its operations.
pub(super) enum Pick<'e, 'p> {
    /// The candidate, and the values of its conditions' `{param}`s (raw).
    Found(&'e Candidate, Vec<&'p str>),
    /// The method is served here, but no operation's discriminator fits the request.
    NoDiscriminator,
    /// The method is not served here.
    NoMethod,
}

impl PathEntry {
    pub(super) fn new(segments: Vec<Segment>, names: Vec<String>) -> PathEntry {
        PathEntry {
            candidates: Vec::new(),
            keys: Vec::new(),
            segments,
            names,
        }
    }

    /// How many of the values are the path's.
    pub(super) fn path_params(&self) -> usize {
        self.names.len()
    }

    /// The names of the values a candidate reads back.
    pub(super) fn names_of<'e>(&'e self, candidate: &'e Candidate) -> &'e [String] {
        candidate.names.as_deref().unwrap_or(&self.names)
    }

    /// Adds an operation; `Err` with nothing added when the method and conditions are
    /// already served here.
    pub(super) fn add(
        &mut self,
        (entry, seen): (usize, &mut Seen),
        method: &Method,
        op: OpRef,
        conditions: &[Condition],
        path_names: &[String],
    ) -> Result<(), ()> {
        let mut conds = Vec::with_capacity(conditions.len());
        let mut names = path_names.to_vec();
        for c in conditions {
            let key = match c.location {
                CondIn::Header => HeaderName::from_bytes(c.name.as_bytes())
                    .map(Key::Header)
                    .unwrap_or_else(|_| Key::Query(c.name.clone())),
                CondIn::Query => Key::Query(c.name.clone()),
            };
            let index = match self.keys.iter().position(|k| *k == key) {
                Some(i) => i,
                None => {
                    self.keys.push(key);
                    self.keys.len() - 1
                }
            };
            if let CondValue::Param(name) = &c.value {
                names.push(name.clone());
            }
            conds.push(Cond {
                key: index,
                value: c.value.clone(),
            });
        }
        // What tells this operation apart, for the check that nothing is served twice: kept
        // in `seen` while building, so that a path with a thousand operations (an AWS query
        // API's `/`) is checked in linear time.
        let mut signature: Vec<(usize, Option<Box<str>>)> = conds
            .iter()
            .map(|c| match &c.value {
                CondValue::Equals(v) => (c.key, Some(v.as_str().into())),
                CondValue::Present | CondValue::Param(_) => (c.key, None),
            })
            .collect();
        signature.sort_unstable();
        signature.dedup();
        if !seen.insert((entry, method.clone(), signature)) {
            return Err(());
        }
        self.candidates.push(Candidate {
            method: method.clone(),
            op,
            conditions: conds,
            names: (names != self.names).then_some(names),
        });
        Ok(())
    }

    /// The methods served here, each once, in the order they came.
    pub(super) fn methods(&self) -> Vec<Method> {
        let mut out: Vec<Method> = Vec::new();
        for c in &self.candidates {
            if !out.contains(&c.method) {
                out.push(c.method.clone());
            }
        }
        out
    }

    /// The operation a request with this method, query and headers is for: among those of
    /// the method (`GET`'s for a `HEAD` when no `HEAD` is declared), the one whose conditions
    /// all hold and are the most; the first declared on a tie. One without conditions is the
    /// fallback.
    pub(super) fn pick<'e, 'p>(
        &'e self,
        method: &Method,
        query: Option<&'p str>,
        headers: &'p HeaderMap,
    ) -> Pick<'e, 'p> {
        let serves = |m: &Method| self.candidates.iter().any(|c| c.method == *m);
        let method = if !serves(method) && *method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        let mut of_method = self.candidates.iter().filter(|c| c.method == *method);
        let Some(first) = of_method.next() else {
            return Pick::NoMethod;
        };
        if self.keys.is_empty() {
            return Pick::Found(first, Vec::new());
        }
        // Each key read once: an AWS query API has hundreds of operations on `/`, all asking
        // for `Action` and `Version`.
        // Raw (for a `{param}`'s value) and as compared: a query's decoded, a header's trimmed.
        let got: Vec<Option<(&'p str, Cow<'p, str>)>> = self
            .keys
            .iter()
            .map(|k| match k {
                Key::Query(name) => {
                    query.and_then(|q| query_value(q, name).map(|raw| (raw, decode(raw))))
                }
                Key::Header(name) => headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(|raw| (raw, Cow::Borrowed(raw.trim()))),
            })
            .collect();
        let holds = |c: &Cond| match (&c.value, &got[c.key]) {
            (_, None) => false,
            (CondValue::Present | CondValue::Param(_), Some(_)) => true,
            (CondValue::Equals(want), Some((_, value))) => value == want,
        };
        let mut best: Option<&Candidate> = None;
        for c in std::iter::once(first).chain(of_method) {
            if c.conditions.iter().all(holds)
                && best.is_none_or(|b| c.conditions.len() > b.conditions.len())
            {
                best = Some(c);
            }
        }
        match best {
            Some(c) => {
                let values = c
                    .conditions
                    .iter()
                    .filter(|cond| matches!(cond.value, CondValue::Param(_)))
                    .filter_map(|cond| got[cond.key].as_ref().map(|(raw, _)| *raw))
                    .collect();
                Pick::Found(c, values)
            }
            None => Pick::NoDiscriminator,
        }
    }
}

/// The raw value of the first query parameter named `name` (compared decoded), `""` for a
/// bare `name` or `name=`.
fn query_value<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name || (k.contains(['%', '+']) && decode(k) == name)).then_some(v)
    })
}

/// A query text decoded: `+` is a space, then percent-decoding.
fn decode(raw: &str) -> Cow<'_, str> {
    if !raw.contains(['%', '+']) {
        return Cow::Borrowed(raw);
    }
    let spaced = raw.replace('+', " ");
    Cow::Owned(
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8_lossy()
            .into_owned(),
    )
}
