//! The route trie: an arena of nodes, each knowing its parent and the edge it hangs on, its
//! children in the order the search tries them; and the [`Builder`] that makes it with a hash
//! lookup per node, in time linear in the templates' length.

use std::collections::HashMap;

use super::template::{Compound, Segment};
use super::{order, same, segment_end};

pub(super) type NodeId = usize;

/// The trie's root: before the first segment (the empty one before a path's leading `/`).
pub(super) const ROOT: NodeId = 0;

/// Literal children up to this many are scanned; beyond, binary searched.
const LINEAR_SCAN_MAX: usize = 8;

/// Which of its parent's children a node is.
#[derive(Debug, Clone, Copy)]
pub(super) enum Edge {
    Literal,
    /// The parent's compound at this index.
    Compound(usize),
    Param,
}

/// Where the search goes on among a node's children, most specific first.
#[derive(Debug, Clone, Copy)]
pub(super) enum Next {
    Literal,
    /// The compounds from this index on, then the parameter.
    Compound(usize),
    Nothing,
}

impl Edge {
    /// What to try once this child has failed.
    pub(super) fn next(self) -> Next {
        match self {
            Edge::Literal => Next::Compound(0),
            Edge::Compound(i) => Next::Compound(i + 1),
            Edge::Param => Next::Nothing,
        }
    }
}

#[derive(Debug)]
pub(super) struct Node {
    pub(super) parent: NodeId,
    pub(super) edge: Edge,
    /// Children by exact segment text, sorted by it.
    literals: Vec<(Box<str>, NodeId)>,
    /// Children by compound, most literal text first.
    compounds: Vec<(Compound, NodeId)>,
    param: Option<NodeId>,
    /// The path whose last segment this is.
    pub(super) entry: Option<usize>,
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
    pub(super) fn child(&self, path: &str, start: usize, next: Next) -> Option<(NodeId, usize)> {
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
pub(super) struct Builder {
    pub(super) nodes: Vec<Node>,
    lookups: Vec<Lookup>,
}

#[derive(Default)]
struct Lookup {
    literals: HashMap<Box<str>, NodeId>,
    compounds: HashMap<Compound, NodeId>,
}

impl Builder {
    pub(super) fn new() -> Builder {
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
    pub(super) fn insert(&mut self, segments: &[Segment]) -> NodeId {
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
    pub(super) fn finish(mut self) -> Vec<Node> {
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
