//! Routing: request paths to operations across every served document.
//!
//! Every operation's route (mount + template) goes into one immutable segment trie, built at
//! startup; a path that matches answers with the operation for the method, a known path with
//! another method is a 405 with `Allow`, anything else is a 404. Parameter values come back
//! raw (still percent-encoded): the parameter layer decodes them.
//!
//! # Matching rules
//!
//! A route is split on `/` into segments of three kinds:
//! - literal text (`users`), matched exactly;
//! - a compound: literal text around parameters (`{name}.json`, `v{major}.{minor}`,
//!   `{base}...{head}`). A value is split at the first occurrence of each separator between
//!   parameters, and every parameter takes at least one character;
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
//! are one path.
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
//! than the comparison.
//! Building keeps a hash map per node beside it, so a document with thousands of paths still
//! builds in time linear in the length of its templates.

use std::collections::HashMap;

use http::Method;

use crate::document::problems::Problems;

/// Where an operation lives: (api index, operation index).
pub type OpRef = (usize, usize);

/// Why a template cannot be routed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum TemplateError {
    #[error("a `{{` is never closed")]
    Unclosed,
    #[error("a `}}` closes no `{{`")]
    StrayClose,
    #[error("a parameter has no name (`{{}}`)")]
    EmptyName,
    #[error("the parameter name `{0}` holds a `{{`")]
    Nested(String),
    #[error("`{{{0}}}{{{1}}}`: two parameters with nothing between them cannot be told apart")]
    Adjacent(String, String),
}

/// One segment of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(Box<str>),
    Compound(Compound),
    Param,
}

/// A template's segments and its parameter names, in order.
fn parse_template(route: &str) -> Result<(Vec<Segment>, Vec<String>), TemplateError> {
    let mut names = Vec::new();
    let segments = route
        .split('/')
        .map(|segment| parse_segment(segment, &mut names))
        .collect::<Result<_, _>>()?;
    Ok((segments, names))
}

fn parse_segment(segment: &str, names: &mut Vec<String>) -> Result<Segment, TemplateError> {
    let mut literals: Vec<Box<str>> = Vec::new();
    let mut previous: Option<&str> = None;
    let mut rest = segment;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(TemplateError::StrayClose);
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or(TemplateError::Unclosed)?;
        let name = &after[..close];
        if name.contains('{') {
            return Err(TemplateError::Nested(name.to_owned()));
        }
        if name.is_empty() {
            return Err(TemplateError::EmptyName);
        }
        if open == 0
            && let Some(previous) = previous
        {
            return Err(TemplateError::Adjacent(
                previous.to_owned(),
                name.to_owned(),
            ));
        }
        literals.push(rest[..open].into());
        names.push(name.to_owned());
        previous = Some(name);
        rest = &after[close + 1..];
    }
    Ok(match literals.as_slice() {
        [] => Segment::Literal(segment.into()),
        [only] if only.is_empty() && rest.is_empty() => Segment::Param,
        _ => {
            literals.push(rest.into());
            Segment::Compound(Compound { literals })
        }
    })
}

/// Literal text around parameters within one segment: `v{major}.{minor}` is the literals
/// `v`, `.` and an empty one around `major` and `minor`. The literals between parameters are
/// never empty (`parse_segment` refuses `{a}{b}`); the first and last may be.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Compound {
    literals: Vec<Box<str>>,
}

impl Compound {
    /// Splits a segment's value at the first occurrence of each separator, every parameter
    /// getting at least one character, and hands the values to `out` in order. False when the
    /// value does not have the literals; `out` may have had some values by then.
    fn split<'p>(&self, value: &'p str, mut out: impl FnMut(&'p str)) -> bool {
        self.split_into(value, &mut out).is_some()
    }

    fn split_into<'p>(&self, value: &'p str, out: &mut impl FnMut(&'p str)) -> Option<()> {
        let (first, rest) = self.literals.split_first()?;
        let (last, separators) = rest.split_last()?;
        let bytes = value.as_bytes();
        let end = bytes.len().checked_sub(first.len() + last.len())? + first.len();
        if !same(&bytes[..first.len()], first.as_bytes()) || !same(&bytes[end..], last.as_bytes()) {
            return None;
        }
        // Byte positions, and slices of `value` taken with `get`: literals are whole UTF-8,
        // so where their bytes match is a character boundary.
        let mut at = first.len();
        for sep in separators {
            // The parameter's first character is its own, whatever it is.
            let skip = value.get(at..end)?.chars().next()?.len_utf8();
            let found = find_from(&bytes[..end], sep.as_bytes(), at + skip)?;
            out(value.get(at..found)?);
            at = found + sep.len();
        }
        if at >= end {
            return None;
        }
        out(value.get(at..end)?);
        Some(())
    }

    /// Whether a segment's value has the literals.
    fn fits(&self, value: &str) -> bool {
        self.split(value, |_| {})
    }

    /// Literal text: more is more specific, and tried first.
    fn literal_len(&self) -> usize {
        self.literals.iter().map(|l| l.len()).sum()
    }
}

/// The operations of one path.
#[derive(Debug)]
struct PathEntry {
    methods: Vec<(Method, OpRef)>,
    /// The template's parameter names, in order.
    names: Vec<String>,
    /// The template's segments, to read the values from a path that reached it.
    segments: Vec<Segment>,
}

impl PathEntry {
    /// The raw parameter values of a path that reached this entry, in template order.
    fn values<'p>(&self, path: &'p str) -> Option<Vec<&'p str>> {
        let mut out = Vec::with_capacity(self.names.len());
        if self.names.is_empty() {
            return Some(out);
        }
        let mut start = 0;
        for segment in &self.segments {
            if out.len() == self.names.len() {
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

type NodeId = usize;

/// The trie's root: before the first segment (the empty one before a path's leading `/`).
const ROOT: NodeId = 0;

/// Literal children up to this many are scanned; beyond, binary searched.
const LINEAR_SCAN_MAX: usize = 8;

/// Which of its parent's children a node is.
#[derive(Debug, Clone, Copy)]
enum Edge {
    Literal,
    /// The parent's compound at this index.
    Compound(usize),
    Param,
}

/// Where the search goes on among a node's children, most specific first.
#[derive(Debug, Clone, Copy)]
enum Next {
    Literal,
    /// The compounds from this index on, then the parameter.
    Compound(usize),
    Nothing,
}

impl Edge {
    /// What to try once this child has failed.
    fn next(self) -> Next {
        match self {
            Edge::Literal => Next::Compound(0),
            Edge::Compound(i) => Next::Compound(i + 1),
            Edge::Param => Next::Nothing,
        }
    }
}

#[derive(Debug)]
struct Node {
    parent: NodeId,
    edge: Edge,
    /// Children by exact segment text, sorted by it.
    literals: Vec<(Box<str>, NodeId)>,
    /// Children by compound, most literal text first.
    compounds: Vec<(Compound, NodeId)>,
    param: Option<NodeId>,
    /// The path whose last segment this is.
    entry: Option<usize>,
}

impl Node {
    fn new(parent: NodeId, edge: Edge) -> Node {
        Node {
            parent,
            edge,
            literals: Vec::new(),
            compounds: Vec::new(),
            param: None,
            entry: None,
        }
    }

    /// The first child from `next` on that takes the segment of `path` starting at byte
    /// `start` (at most the path's length), and where that segment ends.
    fn child(&self, path: &str, start: usize, next: Next) -> Option<(NodeId, usize)> {
        let from = match next {
            Next::Literal => match self.literal(path, start) {
                found @ Some(_) => return found,
                None => 0,
            },
            Next::Compound(i) => i,
            Next::Nothing => return None,
        };
        if from >= self.compounds.len() && self.param.is_none() {
            return None;
        }
        let end = segment_end(path, start);
        let segment = path.get(start..end)?;
        let compound = self.compounds.get(from..).and_then(|rest| {
            rest.iter()
                .find(|(c, _)| c.fits(segment))
                .map(|(_, child)| *child)
        });
        compound
            .or(self.param.filter(|_| !segment.is_empty()))
            .map(|child| (child, end))
    }

    /// The literal child equal to the segment at `start`, and where it ends. In a small node,
    /// each literal is held against the path as it is: most fail on their first byte, and
    /// the one that matches needs no search for the segment's end.
    fn literal(&self, path: &str, start: usize) -> Option<(NodeId, usize)> {
        let rest = path.as_bytes().get(start..)?;
        if self.literals.len() <= LINEAR_SCAN_MAX {
            self.literals.iter().find_map(|(text, child)| {
                let text = text.as_bytes();
                let ends = rest.get(text.len()).is_none_or(|&b| b == b'/');
                (ends && rest.get(..text.len()).is_some_and(|head| same(head, text)))
                    .then_some((*child, start + text.len()))
            })
        } else {
            let end = segment_end(path, start);
            let segment = path.as_bytes().get(start..end)?;
            self.literals
                .binary_search_by(|(text, _)| order(text.as_bytes(), segment))
                .ok()
                .map(|i| (self.literals[i].1, end))
        }
    }
}

/// The trie while it is built, with a lookup per node so that adding a child never scans.
struct Builder {
    nodes: Vec<Node>,
    lookups: Vec<Lookup>,
}

#[derive(Default)]
struct Lookup {
    literals: HashMap<Box<str>, NodeId>,
    compounds: HashMap<Compound, NodeId>,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            // The root's parent and edge are never read: the search stops there.
            nodes: vec![Node::new(ROOT, Edge::Literal)],
            lookups: vec![Lookup::default()],
        }
    }

    fn add(&mut self, parent: NodeId, edge: Edge) -> NodeId {
        self.nodes.push(Node::new(parent, edge));
        self.lookups.push(Lookup::default());
        self.nodes.len() - 1
    }

    /// The node a template's segments lead to, added as needed.
    fn insert(&mut self, segments: &[Segment]) -> NodeId {
        let mut node = ROOT;
        for segment in segments {
            node = match segment {
                Segment::Literal(text) => match self.lookups[node].literals.get(text) {
                    Some(&child) => child,
                    None => {
                        let child = self.add(node, Edge::Literal);
                        self.lookups[node].literals.insert(text.clone(), child);
                        self.nodes[node].literals.push((text.clone(), child));
                        child
                    }
                },
                Segment::Compound(c) => match self.lookups[node].compounds.get(c) {
                    Some(&child) => child,
                    None => {
                        // Its index among the compounds is set once they are sorted.
                        let child = self.add(node, Edge::Compound(0));
                        self.lookups[node].compounds.insert(c.clone(), child);
                        self.nodes[node].compounds.push((c.clone(), child));
                        child
                    }
                },
                Segment::Param => match self.nodes[node].param {
                    Some(child) => child,
                    None => {
                        let child = self.add(node, Edge::Param);
                        self.nodes[node].param = Some(child);
                        child
                    }
                },
            };
        }
        node
    }

    /// The nodes, children in the order the search wants them.
    fn finish(mut self) -> Vec<Node> {
        let mut edges = Vec::new();
        for node in &mut self.nodes {
            node.literals
                .sort_unstable_by(|a, b| order(a.0.as_bytes(), b.0.as_bytes()));
            // Stable: compounds with as much literal text stay in the order they came.
            node.compounds
                .sort_by_key(|(c, _)| std::cmp::Reverse(c.literal_len()));
            edges.extend(
                node.compounds
                    .iter()
                    .enumerate()
                    .map(|(i, (_, child))| (*child, i)),
            );
        }
        for (child, i) in edges {
            self.nodes[child].edge = Edge::Compound(i);
        }
        self.nodes
    }
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
    pub route: &'a str,
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
                    entries.push(PathEntry {
                        methods: Vec::new(),
                        names,
                        segments,
                    });
                    trie.nodes[leaf].entry = Some(entries.len() - 1);
                    entries.len() - 1
                }
            };
            let entry = &mut entries[index];
            if entry.methods.iter().any(|(m, _)| m == r.method) {
                problems.error(
                    r.file,
                    &r.pointer,
                    format!("{} {} is served twice", r.method, r.route),
                );
                continue;
            }
            entry.methods.push((r.method.clone(), r.op));
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

    pub fn find<'p>(&self, method: &Method, path: &'p str) -> RouteMatch<'_, 'p> {
        let Some(entry) = self.search(path) else {
            return RouteMatch::NotFound {
                api: self.home_of(path),
            };
        };
        let lookup = |m: &Method| {
            entry
                .methods
                .iter()
                .find(|(em, _)| em == m)
                .map(|(_, op)| *op)
        };
        let op = lookup(method).or_else(|| {
            (*method == Method::HEAD)
                .then(|| lookup(&Method::GET))
                .flatten()
        });
        match op {
            Some(op) => match entry.values(path) {
                Some(values) => RouteMatch::Found {
                    op,
                    names: &entry.names,
                    values,
                },
                // The search only stops at an entry whose segments all took the path's, so
                // the values are there; were they not, the path is not this one.
                None => RouteMatch::NotFound {
                    api: self.home_of(path),
                },
            },
            None => {
                let mut allowed: Vec<Method> =
                    entry.methods.iter().map(|(m, _)| m.clone()).collect();
                if allowed.contains(&Method::GET) && !allowed.contains(&Method::HEAD) {
                    allowed.push(Method::HEAD);
                }
                if !allowed.contains(&Method::OPTIONS) {
                    allowed.push(Method::OPTIONS);
                }
                let api = entry.methods.first().map_or(0, |(_, op)| op.0);
                RouteMatch::MethodNotAllowed { allowed, api }
            }
        }
    }

    /// The methods a path accepts, for CORS preflight; `None` for an unknown path.
    pub fn methods_of(&self, path: &str) -> Option<(usize, Vec<Method>)> {
        let entry = self.search(path)?;
        let api = entry.methods.first()?.1.0;
        Some((api, entry.methods.iter().map(|(m, _)| m.clone()).collect()))
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
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn router(routes: &[(&str, Method)]) -> (Router, Problems) {
        let mut p = Problems::default();
        let specs: Vec<RouteSpec<'_>> = routes
            .iter()
            .enumerate()
            .map(|(i, (route, method))| RouteSpec {
                op: (0, i),
                method,
                route,
                file: "f",
                pointer: String::new(),
            })
            .collect();
        let r = Router::build(specs, vec![(0, "/v1".to_owned())], &mut p);
        (r, p)
    }

    /// A match's (name, raw value) pairs, in template order.
    fn pairs<'a>(names: &'a [String], values: Vec<&'a str>) -> Vec<(&'a str, &'a str)> {
        assert_eq!(names.len(), values.len(), "{names:?} {values:?}");
        names.iter().map(String::as_str).zip(values).collect()
    }

    #[test]
    fn a_known_path_and_method_finds_the_operation_with_raw_parameters() {
        let (r, _) = router(&[("/v1/spaces/{spaceId}/users", Method::GET)]);
        match r.find(&Method::GET, "/v1/spaces/U3BhY2U6MQ%3D%3D/users") {
            RouteMatch::Found { op, names, values } => {
                assert_eq!(op, (0, 0));
                assert_eq!(pairs(names, values), [("spaceId", "U3BhY2U6MQ%3D%3D")]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_known_path_with_another_method_lists_what_is_allowed() {
        let (r, _) = router(&[("/v1/x/{id}", Method::GET), ("/v1/x/{id}", Method::DELETE)]);
        match r.find(&Method::POST, "/v1/x/1") {
            RouteMatch::MethodNotAllowed { allowed, .. } => {
                assert_eq!(
                    allowed,
                    vec![Method::GET, Method::DELETE, Method::HEAD, Method::OPTIONS]
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            r.find(&Method::HEAD, "/v1/x/1"),
            RouteMatch::Found { .. }
        ));
    }

    #[test]
    fn unknown_paths_are_attributed_to_the_api_whose_home_they_are_under() {
        let (r, _) = router(&[("/v1/x", Method::GET)]);
        assert_eq!(
            r.find(&Method::GET, "/v1/nope"),
            RouteMatch::NotFound { api: Some(0) }
        );
        assert_eq!(
            r.find(&Method::GET, "/v10/nope"),
            RouteMatch::NotFound { api: None }
        );
    }

    #[test]
    fn static_segments_win_over_parameters() {
        let (r, p) = router(&[("/v1/a/{id}", Method::GET), ("/v1/a/me", Method::GET)]);
        assert!(!p.has_errors());
        assert!(matches!(
            r.find(&Method::GET, "/v1/a/me"),
            RouteMatch::Found { op: (0, 1), .. }
        ));
        assert!(matches!(
            r.find(&Method::GET, "/v1/a/7"),
            RouteMatch::Found { op: (0, 0), .. }
        ));
    }

    #[test]
    fn a_segment_with_several_parameters_is_split_on_its_literals() {
        let (r, p) = router(&[
            ("/v1/compare/{base}...{head}", Method::GET),
            ("/v1/files/{name}.{ext}", Method::GET),
        ]);
        assert!(!p.has_errors(), "{p:?}");
        match r.find(&Method::GET, "/v1/compare/main...feature.x") {
            RouteMatch::Found { op, names, values } => {
                assert_eq!(op, (0, 0));
                assert_eq!(
                    pairs(names, values),
                    [("base", "main"), ("head", "feature.x")]
                );
            }
            other => panic!("{other:?}"),
        }
        match r.find(&Method::GET, "/v1/files/a.tar.gz") {
            RouteMatch::Found { names, values, .. } => {
                assert_eq!(pairs(names, values), [("name", "a"), ("ext", "tar.gz")]);
            }
            other => panic!("{other:?}"),
        }
        for missing in ["/v1/compare/main", "/v1/compare/...x", "/v1/compare/x..."] {
            assert_eq!(
                r.find(&Method::GET, missing),
                RouteMatch::NotFound { api: Some(0) },
                "{missing}"
            );
        }
    }

    #[test]
    fn a_path_with_literals_between_parameters_wins_over_one_parameter_in_their_place() {
        let (r, p) = router(&[
            ("/v1/compare/{basehead}", Method::GET),
            ("/v1/compare/{base}...{head}", Method::GET),
        ]);
        assert!(!p.has_errors(), "{p:?}");
        assert!(matches!(
            r.find(&Method::GET, "/v1/compare/a...b"),
            RouteMatch::Found { op: (0, 1), .. }
        ));
        assert!(matches!(
            r.find(&Method::GET, "/v1/compare/a..b"),
            RouteMatch::Found { op: (0, 0), .. }
        ));
        assert_eq!(
            r.methods_of("/v1/compare/a").map(|m| m.1),
            Some(vec![Method::GET])
        );
    }

    #[test]
    fn the_same_path_with_other_parameter_names_is_one_path() {
        let (_, p) = router(&[("/v1/a/{id}", Method::GET), ("/v1/a/{name}", Method::GET)]);
        assert!(p.has_errors());
    }

    #[test]
    fn common_prefixes_stop_at_parameters() {
        assert_eq!(
            common_prefix(["/v2/spaces/{id}/users", "/v2/spaces/{id}/users/{u}"]),
            "/v2/spaces"
        );
        assert_eq!(common_prefix(["/v1/a", "/v1/b"]), "/v1");
        assert_eq!(common_prefix(["/a", "/b"]), "/");
    }

    /// The route `/a/{p1}/.../{pN}` and a path for it, `/a/v1/.../vN`.
    fn many_parameters(n: usize) -> (String, String) {
        let route: String = (1..=n).map(|i| format!("/{{p{i}}}")).collect();
        let path: String = (1..=n).map(|i| format!("/v{i}")).collect();
        (format!("/v1/a{route}"), format!("/v1/a{path}"))
    }

    #[test]
    fn paths_with_26_100_and_300_parameters_build_and_route_every_value_in_order() {
        for n in [26, 100, 300] {
            let (route, path) = many_parameters(n);
            let (r, p) = router(&[(&route, Method::GET)]);
            assert!(!p.has_errors(), "{n}: {p:?}");
            match r.find(&Method::GET, &path) {
                RouteMatch::Found { op, names, values } => {
                    assert_eq!(op, (0, 0));
                    let want: Vec<(String, String)> = (1..=n)
                        .map(|i| (format!("p{i}"), format!("v{i}")))
                        .collect();
                    let got: Vec<(String, String)> = pairs(names, values)
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect();
                    assert_eq!(got, want, "{n}");
                }
                other => panic!("{n}: {other:?}"),
            }
            // One segment short or long is another path.
            let short = &path[..path.rfind('/').unwrap_or(0)];
            assert!(matches!(
                r.find(&Method::GET, short),
                RouteMatch::NotFound { .. }
            ));
            assert!(matches!(
                r.find(&Method::GET, &format!("{path}/x")),
                RouteMatch::NotFound { .. }
            ));
        }
    }

    #[test]
    fn a_concrete_path_beside_a_templated_one_of_the_same_shape_wins_and_both_route() {
        let (r, p) = router(&[
            ("/v1/lists/{date}/{list}.json", Method::GET),
            ("/v1/lists/best-sellers/history.json", Method::GET),
        ]);
        assert!(!p.has_errors(), "{p:?}");
        assert!(matches!(
            r.find(&Method::GET, "/v1/lists/best-sellers/history.json"),
            RouteMatch::Found { op: (0, 1), .. }
        ));
        match r.find(&Method::GET, "/v1/lists/current/hardcover-fiction.json") {
            RouteMatch::Found { op, names, values } => {
                assert_eq!(op, (0, 0));
                assert_eq!(
                    pairs(names, values),
                    [("date", "current"), ("list", "hardcover-fiction")]
                );
            }
            other => panic!("{other:?}"),
        }
        // The literal branch takes `best-sellers`, then fails on `x.json`: the templated
        // route answers.
        match r.find(&Method::GET, "/v1/lists/best-sellers/x.json") {
            RouteMatch::Found { op, names, values } => {
                assert_eq!(op, (0, 0));
                assert_eq!(
                    pairs(names, values),
                    [("date", "best-sellers"), ("list", "x")]
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_literal_branch_that_dead_ends_deeper_backs_up_to_the_parameter() {
        let (r, p) = router(&[
            ("/v1/a/{x}/c/d", Method::GET),
            ("/v1/a/b/{y}/e", Method::GET),
            ("/v1/a/b/c/f", Method::GET),
            ("/v1/a/{x}.{z}/c/{w}", Method::GET),
        ]);
        assert!(!p.has_errors(), "{p:?}");
        let op = |path: &str| match r.find(&Method::GET, path) {
            RouteMatch::Found { op, .. } => Some(op.1),
            _ => None,
        };
        // The most literal route at the first segment where they part wins.
        assert_eq!(op("/v1/a/b/c/f"), Some(2));
        assert_eq!(op("/v1/a/b/c/e"), Some(1));
        assert_eq!(op("/v1/a/b/z/e"), Some(1));
        // `b` then `c` are literal branches that lead nowhere for `d`: two levels back up.
        assert_eq!(op("/v1/a/b/c/d"), Some(0));
        assert_eq!(op("/v1/a/q/c/d"), Some(0));
        // A compound is tried before the whole-segment parameter, and backed out of too.
        assert_eq!(op("/v1/a/q.r/c/s"), Some(3));
        assert_eq!(op("/v1/a/q.r/c/d"), Some(3));
        assert_eq!(op("/v1/a/b/c/g"), None);
        match r.find(&Method::GET, "/v1/a/b/c/d") {
            RouteMatch::Found { names, values, .. } => {
                assert_eq!(pairs(names, values), [("x", "b")]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            r.methods_of("/v1/a/b/c/d").map(|m| m.1),
            Some(vec![Method::GET])
        );
    }

    #[test]
    fn compounds_with_more_literal_text_are_tried_first_and_backed_out_of() {
        let (r, p) = router(&[
            ("/v1/f/{name}.{ext}/x", Method::GET),
            ("/v1/f/{name}.json/x", Method::GET),
            ("/v1/f/{name}.{ext}/y", Method::GET),
            ("/v1/f/{name}/z", Method::GET),
        ]);
        assert!(!p.has_errors(), "{p:?}");
        let found = |path: &'static str| match r.find(&Method::GET, path) {
            RouteMatch::Found { op, names, values } => Some((op.1, pairs(names, values))),
            _ => None,
        };
        assert_eq!(found("/v1/f/a.json/x"), Some((1, vec![("name", "a")])));
        // `{name}.json` takes `a.json`, then fails on `y`: the next compound answers.
        assert_eq!(
            found("/v1/f/a.json/y"),
            Some((2, vec![("name", "a"), ("ext", "json")]))
        );
        assert_eq!(
            found("/v1/f/a.xml/x"),
            Some((0, vec![("name", "a"), ("ext", "xml")]))
        );
        // Both compounds fail deeper: the whole-segment parameter answers.
        assert_eq!(found("/v1/f/a.json/z"), Some((3, vec![("name", "a.json")])));
    }

    #[test]
    fn literals_and_parameters_mix_within_segments_several_per_route() {
        let (r, p) = router(&[
            (
                "/v1/repos/v{major}.{minor}/{base}...{head}/prefix{id}",
                Method::GET,
            ),
            ("/v1/dates/{a}-{b}-{c}/{name}.json", Method::GET),
            ("/v1/dates/{a}-{b}-{c}/{name}", Method::GET),
        ]);
        assert!(!p.has_errors(), "{p:?}");
        let found = |path: &'static str| match r.find(&Method::GET, path) {
            RouteMatch::Found { op, names, values } => Some((op.1, pairs(names, values))),
            _ => None,
        };
        assert_eq!(
            found("/v1/repos/v2.10/main...topic/prefix42"),
            Some((
                0,
                vec![
                    ("major", "2"),
                    ("minor", "10"),
                    ("base", "main"),
                    ("head", "topic"),
                    ("id", "42")
                ]
            ))
        );
        assert_eq!(
            found("/v1/dates/2024-01-31/report.json"),
            Some((
                1,
                vec![("a", "2024"), ("b", "01"), ("c", "31"), ("name", "report")]
            ))
        );
        // First occurrence of each separator; the last parameter takes the rest.
        assert_eq!(
            found("/v1/dates/2024-01-31-x/report.csv"),
            Some((
                2,
                vec![
                    ("a", "2024"),
                    ("b", "01"),
                    ("c", "31-x"),
                    ("name", "report.csv")
                ]
            ))
        );
        for missing in [
            "/v1/repos/2.10/main...topic/prefix42",
            "/v1/repos/v2./main...topic/prefix42",
            "/v1/repos/v2.10/main...topic/prefix",
            "/v1/repos/v2.10/main...topic/42",
            "/v1/dates/2024-01/report.json",
            "/v1/dates/-01-31/report.json",
        ] {
            assert_eq!(found(missing), None, "{missing}");
        }
    }

    #[test]
    fn parameters_take_at_least_one_character() {
        let (r, _) = router(&[("/v1/a/{id}", Method::GET), ("/v1/b/x{id}", Method::GET)]);
        for path in ["/v1/a/", "/v1/b/x", "/v1/a//"] {
            assert!(
                matches!(r.find(&Method::GET, path), RouteMatch::NotFound { .. }),
                "{path}"
            );
        }
    }

    #[test]
    fn a_node_with_many_literal_children_finds_each_of_them() {
        let routes: Vec<String> = (0..40).map(|i| format!("/v1/r{i}")).collect();
        let mut specs: Vec<(&str, Method)> =
            routes.iter().map(|r| (r.as_str(), Method::GET)).collect();
        specs.push(("/v1/{other}", Method::GET));
        let (r, p) = router(&specs);
        assert!(!p.has_errors(), "{p:?}");
        for (i, route) in routes.iter().enumerate() {
            assert!(
                matches!(r.find(&Method::GET, route), RouteMatch::Found { op: (0, o), .. } if o == i),
                "{route}"
            );
        }
        assert!(matches!(
            r.find(&Method::GET, "/v1/r40"),
            RouteMatch::Found { op: (0, 40), .. }
        ));
    }

    #[test]
    fn malformed_templates_are_problems_naming_the_route() {
        for (route, reason) in [
            ("/v1/a/{id", "never closed"),
            ("/v1/a/{id/b}", "never closed"),
            ("/v1/a/id}", "closes no"),
            ("/v1/a/{id}}", "closes no"),
            ("/v1/a/{}", "no name"),
            ("/v1/a/{a{b}}", "holds a `{`"),
            ("/v1/a/{a}{b}", "nothing between them"),
            ("/v1/a/x{a}{b}.json", "nothing between them"),
        ] {
            let (r, p) = router(&[(route, Method::GET), ("/v1/fine/{id}", Method::GET)]);
            let messages: Vec<&str> = p.errors().map(|e| e.message.as_str()).collect();
            assert!(
                messages.len() == 1
                    && messages[0].contains(&format!("`{route}`"))
                    && messages[0].contains(reason),
                "{route}: {messages:?}"
            );
            // The rest of the document still routes.
            assert!(matches!(
                r.find(&Method::GET, "/v1/fine/1"),
                RouteMatch::Found { op: (0, 1), .. }
            ));
        }
    }

    /// A template's segments filled with `values` in turn: the path it stands for.
    fn fill(segments: &[Segment], values: &[&str]) -> String {
        let mut values = values.iter();
        let mut next = || values.next().copied().unwrap_or("?");
        let filled: Vec<String> = segments
            .iter()
            .map(|segment| match segment {
                Segment::Literal(text) => text.to_string(),
                Segment::Param => next().to_owned(),
                Segment::Compound(c) => {
                    let mut out = String::new();
                    for (i, literal) in c.literals.iter().enumerate() {
                        if i > 0 {
                            out.push_str(next());
                        }
                        out.push_str(literal);
                    }
                    out
                }
            })
            .collect();
        filled.join("/")
    }

    /// How specific a segment is: literal, then compounds by literal text, then parameter.
    fn rank(segment: &Segment) -> (u8, usize) {
        match segment {
            Segment::Literal(_) => (2, 0),
            Segment::Compound(c) => (1, c.literal_len()),
            Segment::Param => (0, 0),
        }
    }

    /// A template from a small alphabet: often malformed, sometimes with empty segments.
    fn any_template() -> impl Strategy<Value = String> {
        let token = prop::sample::select(vec![
            "a", "b", "{", "}", ".", "-", "/", "/", "{x}", "{y}", "{id}", "{a.b}",
        ]);
        prop::collection::vec(token, 0..12).prop_map(|t| format!("/{}", t.concat()))
    }

    /// Templates made of a few shared segments, so that they meet and part in the trie, and
    /// a few free ones.
    fn any_templates() -> impl Strategy<Value = Vec<String>> {
        let token = prop::sample::select(vec![
            "a", "b", "{", "}", ".", "-", "{x}", "{y}", "{id}", "{x}", "{y}",
        ]);
        let segment = prop::collection::vec(token, 0..4).prop_map(|t| t.concat());
        let shape = prop::collection::vec(0..5usize, 1..5);
        (
            prop::collection::vec(segment, 1..5),
            prop::collection::vec(shape, 1..8),
            prop::collection::vec(any_template(), 0..3),
        )
            .prop_map(|(pool, shapes, free)| {
                let shared = shapes.into_iter().map(|shape| {
                    let segments: Vec<&str> = shape
                        .iter()
                        .map(|i| pool[i % pool.len()].as_str())
                        .collect();
                    format!("/{}", segments.join("/"))
                });
                shared.chain(free).collect()
            })
    }

    proptest! {
        // Cases are cheap (a few microseconds), and the ones where branches meet are rare.
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn any_templates_build_and_route_without_panicking_and_each_reaches_itself_or_a_more_literal_route(
            templates in any_templates(),
            // Some with no `a`, `b`, `.` or `-`, so they never hold a separator nor equal a
            // literal segment; others that may or do, so that literal branches are taken and
            // backed out of.
            values in prop::collection::vec(
                prop_oneof![
                    "[xyz0-9%]{1,3}",
                    "[xyz0-9%ab.-]{1,3}",
                    prop::sample::select(vec!["a", "b", "-", ".", "ab", "a-"]).prop_map(str::to_owned),
                ],
                12,
            ),
            requests in prop::collection::vec("/[ab{}./x%é-]{0,16}", 4),
            text in any::<String>(),
        ) {
            let specs: Vec<(&str, Method)> =
                templates.iter().map(|t| (t.as_str(), Method::GET)).collect();
            let (r, p) = router(&specs);
            for path in requests.iter().chain([&text]) {
                let _ = r.find(&Method::GET, path);
                let _ = r.find(&Method::DELETE, path);
                let _ = r.methods_of(path);
            }
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            for template in &templates {
                let Ok((own, _)) = parse_template(template) else {
                    continue;
                };
                prop_assert!(
                    !p.errors().any(|e| e.message.contains(&format!("`{template}` cannot"))),
                    "{template}: {p:?}"
                );
                let path = fill(&own, &values);
                let RouteMatch::Found { op, names, values: got } = r.find(&Method::GET, &path)
                else {
                    return Err(TestCaseError::fail(format!("{template}: {path} not found")));
                };
                prop_assert_eq!(names.len(), got.len());
                let found_template = &templates[op.1];
                let (found, _) = parse_template(found_template)
                    .map_err(|e| TestCaseError::fail(format!("{found_template}: {e}")))?;
                // The values it gave put back in its template make the path again.
                prop_assert_eq!(fill(&found, &got), path.clone(), "{}", found_template);
                match own.iter().zip(&found).position(|(a, b)| a != b) {
                    // The same path: the same values, unless one holds a separator.
                    None if got.len() <= values.len()
                        && values[..got.len()].iter().all(|v| !v.contains(['a', 'b', '.', '-'])) =>
                    {
                        prop_assert_eq!(&got[..], &values[..got.len()], "{}", path)
                    }
                    None => {}
                    Some(at) => prop_assert!(
                        rank(&found[at]) >= rank(&own[at]),
                        "{path}: {template} reached the less literal {found_template}"
                    ),
                }
            }
        }
    }
}
