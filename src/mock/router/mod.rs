//! Routing: requests to operations across every served document.
//!
//! Every operation's route (mount + the path part of its key) goes into one immutable segment
//! trie, built at startup; a path that matches leads to the operations of that path, among
//! which the method, and for keys with discriminators the query and headers, pick one. A known
//! path with another method is a 405 with `Allow`, anything else is a 404. Parameter values
//! come back raw (still percent-encoded): the parameter layer decodes them.
//!
//! # Matching rules
//!
//! A route is split on `/` into segments of three kinds:
//! - literal text (`users`), matched exactly;
//! - a compound: literal text around parameters (`{name}.json`, `v{major}.{minor}`,
//!   `{base}...{head}`). Every parameter takes at least one character and, from the left, as
//!   many as it can, as the regular expression `(.+)\.(.+)` would: `{id}.{format}` reads
//!   `report.v2.json` as `report.v2` and `json`;
//! - a whole-segment parameter (`{id}`), which takes any segment but an empty one.
//!
//! At each segment, the literal child is tried first, then the compounds, most literal text
//! first (ties in the order the routes came), then the parameter; when a branch fails deeper,
//! the next one is tried. So concrete paths win over templated ones at any depth, as OpenAPI
//! asks, and `/lists/best-sellers/x.json` still reaches `/lists/{date}/{list}.json` beside
//! `/lists/best-sellers/history.json`. A route may have any number of parameters.
//!
//! Templates these rules cannot read are problems naming the route: a `{` never closed, a `}`
//! closing nothing, `{}`, a `{` inside a name, and two parameters with nothing between them
//! (`{a}{b}`: no rule could say where one ends). Templates differing only in parameter names
//! are one path (the operation layer warns and keeps one operation per method of them).
//!
//! # Discriminators
//!
//! A key such as `/#X-Amz-Target=DynamoDB_20120810.GetItem` or `/{Bucket}?acl` routes its path
//! part as above and carries conditions on headers or query parameters
//! ([`crate::operation::api::key`] reads them). Among the operations of the path and method,
//! the one whose conditions all hold and are the most answers, the first added on a tie; one
//! without conditions is the fallback; when none holds, the answer is a 404. Each header or
//! query name the conditions of a path read is read once per request.
//!
//! # Files
//!
//! - `template`: a route's template read into segments (literal, compound, parameter), and
//!   the problems of templates these rules cannot read.
//! - `tree`: the trie's nodes, the order their children are tried in, and its building.
//! - `discriminator`: the operations of one path, and picking one by method and conditions.
//! - here: the [`Router`] built from every route, its search, and the values read back.
//!
//! # Implementation rationale
//!
//! The trie is an arena of nodes; each knows its parent and the edge it hangs on, so the
//! backtracking search needs no stack: going back up, the edge says which sibling comes next.
//! A request visits each node at most once, whatever the document, and allocates nothing until
//! it is found: the values are then read in a second pass over the path, into a `Vec` of the
//! right size. Nodes are small, so literal children are found by a linear scan, and by binary
//! search in the rare node with many (GitHub's `/repos/{owner}/{repo}/` has about a hundred).
//! Bytes are compared in plain loops: on strings this short, a call to `memcmp` costs more
//! than the comparison. Whether a compound fits a segment is asked with the separators at
//! their first places (where any split exists, that one does, and it needs no memory); the
//! values are split greedily only once the path is found.
//! Building keeps a hash map per node beside it, and a set of what each path serves, so a
//! document with thousands of paths, or a path with a thousand operations (an AWS query API's
//! `/`), still builds in time linear in the length of its templates.

mod discriminator;
mod template;
mod tree;

use http::{HeaderMap, Method};

use crate::document::problems::Problems;
use crate::operation::api::key::Condition;
use discriminator::{PathEntry, Pick};
use template::{Segment, parse_template};
use tree::{Builder, Next, Node, ROOT};

/// Where an operation lives: (api index, operation index).
pub type OpRef = (usize, usize);

impl PathEntry {
    /// The raw parameter values of a path that reached this entry, in template order, with
    /// room for `more`.
    fn values<'p>(&self, path: &'p str, more: usize) -> Option<Vec<&'p str>> {
        let count = self.path_params();
        let mut out = Vec::with_capacity(count + more);
        if count == 0 {
            return Some(out);
        }
        let mut start = 0;
        for segment in &self.segments {
            if out.len() == count {
                break;
            }
            // The path reached this entry, so a literal segment is just its text.
            let end = match segment {
                Segment::Literal(text) => start + text.len(),
                _ => segment_end(path, start),
            };
            let value = path.get(start..end)?;
            start = end + 1;
            match segment {
                Segment::Literal(_) => {}
                Segment::Param => out.push(value),
                Segment::Compound(c) => {
                    if !c.split(value, |v| out.push(v)) {
                        return None;
                    }
                }
            }
        }
        Some(out)
    }
}

// Byte loops for the search. Segments are short, and calls into libc's `memcmp` and the
// general string searchers cost more than the work they do: measured, they took most of the
// routing time. These loops inline.

/// Whether `a` and `b` are the same bytes.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Byte order, as `Ord` for `[u8]` has it.
fn order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.cmp(y))
        .find(|o| o.is_ne())
        .unwrap_or_else(|| a.len().cmp(&b.len()))
}

/// Where the segment starting at byte `start` (at most the path's length) ends: at the next
/// `/`, or at the end of the path.
#[inline]
fn segment_end(path: &str, start: usize) -> usize {
    let bytes = path.as_bytes();
    bytes
        .get(start..)
        .and_then(|rest| rest.iter().position(|&b| b == b'/'))
        .map_or(bytes.len(), |i| start + i)
}

/// The first occurrence of `needle` in `hay` at or after `from`. Naive, which is quickest for
/// the short literals of templates.
fn find_from(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let last = hay.len().checked_sub(needle.len())?;
    (from..=last).find(|&i| same(&hay[i..i + needle.len()], needle))
}

#[derive(Debug)]
pub struct Router {
    /// The trie; `ROOT` first. Node ids and entry indices in it are all made by `build`.
    nodes: Vec<Node>,
    entries: Vec<PathEntry>,
    /// (api index, path prefix) pairs, longest first, to attribute unknown paths to an API.
    homes: Vec<(usize, String)>,
}

/// What a path and method lead to.
#[derive(Debug, PartialEq, Eq)]
pub enum RouteMatch<'r, 'p> {
    Found {
        op: OpRef,
        /// The path's parameter names, in template order.
        names: &'r [String],
        /// Their raw values, in the same order.
        values: Vec<&'p str>,
    },
    /// The path exists, the method does not: what is allowed.
    MethodNotAllowed {
        allowed: Vec<Method>,
        api: usize,
    },
    NotFound {
        api: Option<usize>,
    },
}

/// One route to add: its api and operation, method and full route.
pub struct RouteSpec<'a> {
    pub op: OpRef,
    pub method: &'a Method,
    /// The path template, mount included, without discriminator.
    pub route: &'a str,
    /// The discriminator's conditions (empty for most routes).
    pub conditions: &'a [Condition],
    /// For messages: the key as written, discriminator and all.
    pub written: &'a str,
    /// For messages: which document and pointer the route came from.
    pub file: &'a str,
    pub pointer: String,
}

impl Router {
    /// Builds the trie; templates it cannot read and operations served twice are problems.
    pub fn build<'a>(
        routes: impl IntoIterator<Item = RouteSpec<'a>>,
        homes: Vec<(usize, String)>,
        problems: &mut Problems,
    ) -> Router {
        let mut trie = Builder::new();
        let mut entries: Vec<PathEntry> = Vec::new();
        let mut seen = discriminator::Seen::default();
        for r in routes {
            let (segments, names) = match parse_template(r.route) {
                Ok(parsed) => parsed,
                Err(e) => {
                    problems.error(
                        r.file,
                        &r.pointer,
                        format!("route `{}` cannot be served: {e}", r.route),
                    );
                    continue;
                }
            };
            let leaf = trie.insert(&segments);
            let index = match trie.nodes[leaf].entry {
                Some(i) => i,
                None => {
                    entries.push(PathEntry::new(segments, names.clone()));
                    trie.nodes[leaf].entry = Some(entries.len() - 1);
                    entries.len() - 1
                }
            };
            if entries[index]
                .add((index, &mut seen), r.method, r.op, r.conditions, &names)
                .is_err()
            {
                problems.error(
                    r.file,
                    &r.pointer,
                    format!("{} {} is served twice", r.method, r.written),
                );
            }
        }
        let mut homes = homes;
        homes.sort_by_key(|h| std::cmp::Reverse(h.1.len()));
        Router {
            nodes: trie.finish(),
            entries,
            homes,
        }
    }

    /// The path a request path reaches: the trie searched depth first, the most specific
    /// child first, backing up a segment whenever a branch fails.
    fn search(&self, path: &str) -> Option<&PathEntry> {
        let mut node = ROOT;
        // Where the segment for `node`'s children starts; past the end once none is left.
        let mut start = 0;
        let mut next = Next::Literal;
        loop {
            let here = &self.nodes[node];
            if start > path.len() {
                if let Some(entry) = here.entry {
                    return self.entries.get(entry);
                }
            } else {
                if let Some((child, end)) = here.child(path, start, next) {
                    node = child;
                    start = end + 1;
                    next = Next::Literal;
                    continue;
                }
            }
            if node == ROOT {
                return None;
            }
            next = here.edge.next();
            node = here.parent;
            // Back to the start of the segment `here` took: `start - 1` is the `/` after it,
            // or the end of the path.
            let end = start - 1;
            start = path.as_bytes()[..end]
                .iter()
                .rposition(|&b| b == b'/')
                .map_or(0, |i| i + 1);
        }
    }

    /// Where a path and method lead, for a request without query or headers.
    pub fn find<'p>(&self, method: &Method, path: &'p str) -> RouteMatch<'_, 'p> {
        static NO_HEADERS: std::sync::LazyLock<HeaderMap> =
            std::sync::LazyLock::new(HeaderMap::new);
        self.find_request(method, path, None, &NO_HEADERS)
    }

    /// Where a request leads: its path to a path of the documents, then its method and, for
    /// paths whose keys carry discriminators, its query and headers to one operation.
    pub fn find_request<'p>(
        &self,
        method: &Method,
        path: &'p str,
        query: Option<&'p str>,
        headers: &'p HeaderMap,
    ) -> RouteMatch<'_, 'p> {
        let Some(entry) = self.search(path) else {
            return RouteMatch::NotFound {
                api: self.home_of(path),
            };
        };
        let api = entry.candidates.first().map_or(0, |c| c.op.0);
        match entry.pick(method, query, headers) {
            Pick::Found(candidate, more) => {
                let Some(mut values) = entry.values(path, more.len()) else {
                    // The search only stops at an entry whose segments all took the path's,
                    // so the values are there; were they not, the path is not this one.
                    return RouteMatch::NotFound {
                        api: self.home_of(path),
                    };
                };
                values.extend(more);
                RouteMatch::Found {
                    op: candidate.op,
                    names: entry.names_of(candidate),
                    values,
                }
            }
            Pick::NoDiscriminator => RouteMatch::NotFound { api: Some(api) },
            Pick::NoMethod => {
                let mut allowed = entry.methods();
                if allowed.contains(&Method::GET) && !allowed.contains(&Method::HEAD) {
                    allowed.push(Method::HEAD);
                }
                if !allowed.contains(&Method::OPTIONS) {
                    allowed.push(Method::OPTIONS);
                }
                RouteMatch::MethodNotAllowed { allowed, api }
            }
        }
    }

    /// The methods a path accepts, for CORS preflight; `None` for an unknown path.
    pub fn methods_of(&self, path: &str) -> Option<(usize, Vec<Method>)> {
        let entry = self.search(path)?;
        let api = entry.candidates.first()?.op.0;
        Some((api, entry.methods()))
    }

    /// The API whose home prefix a path falls under.
    pub fn home_of(&self, path: &str) -> Option<usize> {
        self.homes
            .iter()
            .find(|(_, prefix)| {
                let (path, prefix) = (path.as_bytes(), prefix.as_bytes());
                path.get(..prefix.len())
                    .is_some_and(|head| same(head, prefix))
                    && (path.len() == prefix.len()
                        || prefix.last() == Some(&b'/')
                        || path.get(prefix.len()) == Some(&b'/'))
            })
            .map(|(api, _)| *api)
    }
}

/// The longest static prefix shared by a set of routes, on segment boundaries: the part of
/// the URL space that belongs to one API.
pub fn common_prefix<'a>(routes: impl IntoIterator<Item = &'a str>) -> String {
    let mut prefix: Option<Vec<&str>> = None;
    for route in routes {
        // A discriminator (`/#Action=…`, `/{Bucket}?acl`) is no part of the URL's path.
        let route = route.split(['?', '#']).next().unwrap_or_default();
        let segments: Vec<&str> = route.split('/').take_while(|s| !s.contains('{')).collect();
        prefix = Some(match prefix {
            None => segments,
            Some(p) => p
                .iter()
                .zip(&segments)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| *a)
                .collect(),
        });
    }
    let mut joined = prefix.unwrap_or_default().join("/");
    if joined.is_empty() {
        joined.push('/');
    }
    joined
}
#[cfg(test)]
mod tests;
