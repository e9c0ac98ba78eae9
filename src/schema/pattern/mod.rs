//! Strings for JSON Schema `pattern`s: producing a string an ECMA-262 pattern matches, and
//! telling whether a pattern matches a string, without a regex engine.
//!
//! Patterns are parsed by the loader's ECMA-262 parser (`document::normalize::ecma`), so
//! generation reads each pattern as the validators do, and compiled here into a small tree
//! whose characters are sets: a literal, `.`, `\d`, `\p{L}` and `[...]` alike.
//!
//! - `generate`: a string the pattern matches, steered towards a length.
//! - `matcher`: whether the pattern matches a string: anchors, word boundaries, lookarounds
//!   and back-references included.
//!
//! Implementation rationale: the generator needs a matcher too (a second `pattern` from
//! `allOf`, `patternProperties` keys, checking its own output after padding), and a pattern
//! with lookarounds is generated from its main part and then filtered by the matcher. A small
//! backtracking walk over the same tree, with a step budget, is enough for the short strings
//! involved and keeps generation and matching on one reading of the pattern.

mod generate;
mod matcher;
#[cfg(test)]
mod tests;

use regex_syntax::hir::ClassUnicode;

use crate::document::normalize::ecma::{self, Assertion, GroupKind};

/// A parsed pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    node: Node,
    captures: u32,
    anchored_start: bool,
    anchored_end: bool,
    /// What its positive lookaheads ask for, to steer generation (see `generate`).
    hints: Hints,
}

/// A pattern compiled for walking: every character is a set.
#[derive(Debug, Clone)]
enum Node {
    Empty,
    Set(ClassUnicode),
    Assert(Assertion),
    Capture(u32, Box<Node>),
    Look {
        behind: bool,
        negated: bool,
        node: Box<Node>,
    },
    Backref(u32),
    Concat(Vec<Node>),
    Alternation(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
    },
}

/// What positive lookaheads ask of a string: `(?=^.{8,64}$)` a length, `(?=.*[A-Z])` a
/// character of a set somewhere.
#[derive(Debug, Clone, Default)]
struct Hints {
    min_len: usize,
    max_len: Option<usize>,
    somewhere: Vec<ClassUnicode>,
}

impl Pattern {
    /// Parses an ECMA-262 pattern; the error names the rule it breaks.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let regex = ecma::parse(pattern).map_err(|e| e.to_string())?;
        let node = compile(&regex.node);
        let mut hints = Hints::default();
        collect_hints(&node, &mut hints);
        Ok(Self {
            anchored_start: anchors(&node, Side::Start),
            anchored_end: anchors(&node, Side::End),
            captures: regex.captures,
            node,
            hints,
        })
    }
}

fn compile(node: &ecma::Node) -> Node {
    use ecma::Node as E;
    match node {
        E::Empty => Node::Empty,
        E::Literal(l) => Node::Set(l.set()),
        E::Nothing(_) => Node::Set(ClassUnicode::empty()),
        E::Dot { dot_all } => Node::Set(ecma::Node::dot_set(*dot_all)),
        E::Perl(p) => Node::Set(p.set()),
        E::Property(p) => Node::Set(p.set.clone()),
        E::Class(c) => Node::Set(c.set()),
        E::Assert(a) => Node::Assert(*a),
        E::Group(g) => match g.kind {
            GroupKind::Capture { index, .. } => Node::Capture(index, Box::new(compile(&g.node))),
            GroupKind::NonCapturing | GroupKind::Modifiers(_) => compile(&g.node),
        },
        E::Look(l) => Node::Look {
            behind: l.behind,
            negated: l.negated,
            node: Box::new(compile(&l.node)),
        },
        E::Backref(n) => Node::Backref(*n),
        E::Concat(nodes) => Node::Concat(nodes.iter().map(compile).collect()),
        E::Alternation(nodes) => Node::Alternation(nodes.iter().map(compile).collect()),
        E::Repeat(r) => Node::Repeat {
            node: Box::new(compile(&r.node)),
            min: r.min,
            max: r.max,
        },
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Start,
    End,
}

/// Whether every match of `node` starts (ends) at the start (end) of the string: text may
/// then not be added on that side to reach a length.
fn anchors(node: &Node, side: Side) -> bool {
    match node {
        Node::Assert(Assertion::Start { multiline: false }) => side == Side::Start,
        Node::Assert(Assertion::End { multiline: false }) => side == Side::End,
        Node::Capture(_, sub) => anchors(sub, side),
        Node::Repeat { node, min, .. } => *min > 0 && anchors(node, side),
        Node::Alternation(branches) => branches.iter().all(|b| anchors(b, side)),
        Node::Concat(parts) => {
            let ordered: Box<dyn Iterator<Item = &Node>> = match side {
                Side::Start => Box::new(parts.iter()),
                Side::End => Box::new(parts.iter().rev()),
            };
            for part in ordered {
                if anchors(part, side) {
                    return true;
                }
                // Zero-width parts do not move the match: look past them.
                if !matches!(part, Node::Look { .. } | Node::Assert(_) | Node::Empty) {
                    return false;
                }
            }
            false
        }
        _ => false,
    }
}

/// Collects what the positive lookaheads outside any negation ask for.
fn collect_hints(node: &Node, hints: &mut Hints) {
    match node {
        Node::Look {
            behind: false,
            negated: false,
            node,
        } => {
            hint_from(node, hints);
            collect_hints(node, hints);
        }
        Node::Look { .. } => {}
        Node::Capture(_, sub) | Node::Repeat { node: sub, .. } => collect_hints(sub, hints),
        Node::Concat(parts) | Node::Alternation(parts) => {
            for p in parts {
                collect_hints(p, hints);
            }
        }
        _ => {}
    }
}

fn hint_from(body: &Node, hints: &mut Hints) {
    let parts: &[Node] = match body {
        Node::Concat(parts) => parts,
        other => std::slice::from_ref(other),
    };
    match parts {
        // `^.{n,m}$`: the whole string's length.
        [
            Node::Assert(Assertion::Start { .. }),
            Node::Repeat { node, min, max },
            Node::Assert(Assertion::End { .. }),
        ] if matches!(**node, Node::Set(_)) => {
            hints.min_len = hints.min_len.max(*min as usize);
            if let Some(max) = max {
                let max = *max as usize;
                hints.max_len = Some(hints.max_len.map_or(max, |m| m.min(max)));
            }
        }
        // `.*X`: a character of X somewhere.
        [
            Node::Repeat {
                min: 0, max: None, ..
            },
            first,
            ..,
        ] => {
            let set = match first {
                Node::Set(s) => Some(s),
                Node::Repeat { node, min, .. } if *min > 0 => match &**node {
                    Node::Set(s) => Some(s),
                    _ => None,
                },
                _ => None,
            };
            if let Some(set) = set {
                hints.somewhere.push(set.clone());
            }
        }
        _ => {}
    }
}

/// The fewest characters `node` can match.
fn min_len(node: &Node) -> usize {
    match node {
        Node::Empty | Node::Assert(_) | Node::Look { .. } | Node::Backref(_) => 0,
        Node::Set(_) => 1,
        Node::Capture(_, sub) => min_len(sub),
        Node::Concat(parts) => parts.iter().map(min_len).sum(),
        Node::Alternation(branches) => branches.iter().map(min_len).min().unwrap_or(0),
        Node::Repeat { node, min, .. } => (*min as usize).saturating_mul(min_len(node)),
    }
}

fn set_contains(set: &ClassUnicode, c: char) -> bool {
    set.ranges()
        .binary_search_by(|r| {
            if r.end() < c {
                std::cmp::Ordering::Less
            } else if r.start() > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}
