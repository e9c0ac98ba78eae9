//! Routing: request paths to operations across every served document.
//!
//! Each operation's route (mount + template) goes into one immutable `matchit` tree, built
//! at startup; a path that matches answers with the operation for the method, a known path
//! with another method is a 405 with `Allow`, anything else is a 404. Parameter values come
//! back raw (still percent-encoded): the parameter layer decodes them.
//!
//! `matchit` allows one parameter per segment; OpenAPI allows several (GitHub's
//! `/compare/{base}...{head}`). Such a segment goes into the tree as one parameter and is
//! split on its literal text after matching. Parameters are named by position in the tree,
//! so routes that differ only in such segments (`/compare/{basehead}` beside it) share a
//! tree route and are tried most literal text first.

use std::collections::HashMap;

use http::Method;

use crate::problems::Problems;

/// Where an operation lives: (api index, operation index).
pub type OpRef = (usize, usize);

/// The operations of one path.
#[derive(Debug, Default)]
struct PathEntry {
    methods: Vec<(Method, OpRef)>,
    /// The template's parameter names, in order.
    names: Vec<String>,
    /// The segments with several parameters, by their position among the tree's parameters.
    compounds: Vec<(usize, Compound)>,
}

impl PathEntry {
    /// The raw parameter values, in template order, when `values` (the tree's, one per
    /// parameter segment) fit this path's segments.
    fn params<'p>(&self, values: impl Iterator<Item = &'p str>) -> Option<Vec<&'p str>> {
        let mut out = Vec::with_capacity(self.names.len());
        for (i, v) in values.enumerate() {
            match self.compounds.iter().find(|(at, _)| *at == i) {
                None => out.push(v),
                Some((_, compound)) => out.extend(compound.split(v)?),
            }
        }
        Some(out)
    }

    /// Literal text inside parameter segments: more is more specific, and tried first.
    fn literal_len(&self) -> usize {
        self.compounds
            .iter()
            .flat_map(|(_, c)| &c.literals)
            .map(String::len)
            .sum()
    }
}

/// A segment with several parameters: `a{x}b{y}c` is literals `a`, `b`, `c` around `x`, `y`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Compound {
    literals: Vec<String>,
}

impl Compound {
    /// Splits a segment's value at the first occurrence of each separator; every parameter
    /// gets at least one character. `None` when the value does not have the literals.
    fn split<'p>(&self, value: &'p str) -> Option<Vec<&'p str>> {
        let (first, rest) = self.literals.split_first()?;
        let (last, separators) = rest.split_last()?;
        let mut rest = value
            .strip_prefix(first.as_str())?
            .strip_suffix(last.as_str())?;
        let mut out = Vec::with_capacity(separators.len() + 1);
        for sep in separators {
            let at = rest.get(1..)?.find(sep.as_str())? + 1;
            out.push(&rest[..at]);
            rest = &rest[at + sep.len()..];
        }
        if rest.is_empty() {
            return None;
        }
        out.push(rest);
        Some(out)
    }
}

/// A route as the tree takes it (parameters named by position, each several-parameter
/// segment made one parameter), its parameter names and its compound segments.
fn tree_route(route: &str) -> (String, Vec<String>, Vec<(usize, Compound)>) {
    let mut names = Vec::new();
    let mut compounds = Vec::new();
    let mut position = 0;
    let segments: Vec<String> = route
        .split('/')
        .map(|segment| {
            let mut literals = Vec::new();
            let mut rest = segment;
            while let Some(start) = rest.find('{') {
                let Some(len) = rest[start..].find('}') else {
                    break;
                };
                literals.push(&rest[..start]);
                names.push(rest[start + 1..start + len].to_owned());
                rest = &rest[start + len + 1..];
            }
            let has_parameters = !literals.is_empty();
            let tree_segment = match literals.len() {
                0 => segment.to_owned(),
                1 => format!("{}{{p{position}}}{rest}", literals[0]),
                _ => {
                    literals.push(rest);
                    let literals = literals.into_iter().map(str::to_owned).collect();
                    compounds.push((position, Compound { literals }));
                    format!("{{p{position}}}")
                }
            };
            if has_parameters {
                position += 1;
            }
            tree_segment
        })
        .collect();
    (segments.join("/"), names, compounds)
}

#[derive(Debug)]
pub struct Router {
    tree: matchit::Router<usize>,
    /// Per tree route, the paths sharing it, most specific first.
    slots: Vec<Vec<usize>>,
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
    /// Builds the tree; conflicting routes are problems.
    pub fn build<'a>(
        routes: impl IntoIterator<Item = RouteSpec<'a>>,
        homes: Vec<(usize, String)>,
        problems: &mut Problems,
    ) -> Router {
        let mut tree = matchit::Router::new();
        let mut slots: Vec<Vec<usize>> = Vec::new();
        let mut entries: Vec<PathEntry> = Vec::new();
        let mut by_route: HashMap<String, usize> = HashMap::new();
        let mut by_tree_route: HashMap<String, usize> = HashMap::new();
        for r in routes {
            let key = normalize_template(r.route);
            let index = match by_route.get(&key) {
                Some(&i) => i,
                None => {
                    let (route, names, compounds) = tree_route(r.route);
                    let slot = match by_tree_route.get(&route) {
                        Some(&slot) => slot,
                        None => {
                            if let Err(e) = tree.insert(route.clone(), slots.len()) {
                                problems.error(
                                    r.file,
                                    &r.pointer,
                                    format!("route `{}` cannot be served: {e}", r.route),
                                );
                                continue;
                            }
                            slots.push(Vec::new());
                            by_tree_route.insert(route, slots.len() - 1);
                            slots.len() - 1
                        }
                    };
                    let i = entries.len();
                    entries.push(PathEntry {
                        methods: Vec::new(),
                        names,
                        compounds,
                    });
                    slots[slot].push(i);
                    by_route.insert(key, i);
                    i
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
        for slot in &mut slots {
            slot.sort_by_key(|&i| std::cmp::Reverse(entries[i].literal_len()));
        }
        let mut homes = homes;
        homes.sort_by_key(|h| std::cmp::Reverse(h.1.len()));
        Router {
            tree,
            slots,
            entries,
            homes,
        }
    }

    /// The path a request path is, with its raw parameter values in template order.
    fn entry_of<'p>(&self, path: &'p str) -> Option<(&PathEntry, Vec<&'p str>)> {
        let matched = self.tree.at(path).ok()?;
        self.slots[*matched.value].iter().find_map(|&i| {
            let entry = &self.entries[i];
            let params = entry.params(matched.params.iter().map(|(_, v)| v))?;
            Some((entry, params))
        })
    }

    pub fn find<'p>(&self, method: &Method, path: &'p str) -> RouteMatch<'_, 'p> {
        let Some((entry, values)) = self.entry_of(path) else {
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
            Some(op) => RouteMatch::Found {
                op,
                names: &entry.names,
                values,
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
        let (entry, _) = self.entry_of(path)?;
        let api = entry.methods.first()?.1.0;
        Some((api, entry.methods.iter().map(|(m, _)| m.clone()).collect()))
    }

    /// The API whose home prefix a path falls under.
    pub fn home_of(&self, path: &str) -> Option<usize> {
        self.homes
            .iter()
            .find(|(_, prefix)| {
                path == prefix
                    || (path.starts_with(prefix.as_str())
                        && (prefix.ends_with('/') || path[prefix.len()..].starts_with('/')))
            })
            .map(|(api, _)| *api)
    }
}

/// OpenAPI treats `/a/{x}` and `/a/{y}` as the same path; so does the router.
fn normalize_template(route: &str) -> String {
    let mut out = String::with_capacity(route.len());
    let mut in_param = false;
    for c in route.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
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
}
