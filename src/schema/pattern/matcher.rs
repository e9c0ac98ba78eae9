//! Whether a pattern matches a string: a bounded backtracking walk over the compiled tree,
//! continuation-passing style, with ECMA-262's anchors, ASCII word boundaries, lookarounds
//! and back-references.

use std::cell::{Cell, RefCell};

use super::{Node, Pattern, set_contains};
use crate::document::normalize::ecma::{Assertion, is_line_terminator, is_word_char};

/// Longer inputs are not matched (the backtracking walk recurses once per character).
const MAX_MATCH_INPUT: usize = 512;
/// Steps one `is_match` call may take before it gives up and answers "don't know".
const MATCH_STEPS: usize = 200_000;

/// What each capturing group last matched, by number (0 unused).
type Captures = Vec<Option<(usize, usize)>>;

impl Pattern {
    /// Whether the pattern matches somewhere in `s` (JSON Schema patterns are not anchored).
    /// `None` when the input is too long or the search ran out of steps.
    pub fn is_match(&self, s: &str) -> Option<bool> {
        let chars: Vec<char> = s.chars().collect();
        if chars.len() > MAX_MATCH_INPUT {
            return None;
        }
        let m = Matcher {
            s: &chars,
            steps: Cell::new(MATCH_STEPS),
            caps: RefCell::new(vec![None; self.captures as usize + 1]),
        };
        let last = if self.anchored_start { 0 } else { chars.len() };
        for start in 0..=last {
            if m.run(&self.node, start, &mut |_| true) {
                return Some(true);
            }
            if m.steps.get() == 0 {
                return None;
            }
        }
        Some(false)
    }
}

struct Matcher<'s> {
    s: &'s [char],
    steps: Cell<usize>,
    caps: RefCell<Captures>,
}

impl Matcher<'_> {
    fn captures(&self) -> Captures {
        self.caps.borrow().clone()
    }

    fn restore(&self, caps: Captures) {
        *self.caps.borrow_mut() = caps;
    }

    /// Whether `node` matches at `i` followed by whatever `k` accepts.
    fn run(&self, node: &Node, i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        let left = self.steps.get();
        if left == 0 {
            return false;
        }
        self.steps.set(left - 1);
        match node {
            Node::Empty => k(i),
            Node::Set(set) => match self.s.get(i) {
                Some(&c) if set_contains(set, c) => k(i + 1),
                _ => false,
            },
            Node::Assert(a) => self.assert(*a, i) && k(i),
            Node::Capture(n, sub) => {
                let n = *n as usize;
                self.run(sub, i, &mut |j| {
                    let before = self.caps.borrow().get(n).copied().flatten();
                    if let Some(slot) = self.caps.borrow_mut().get_mut(n) {
                        *slot = Some((i, j));
                    }
                    let ok = k(j);
                    if !ok && let Some(slot) = self.caps.borrow_mut().get_mut(n) {
                        *slot = before;
                    }
                    ok
                })
            }
            Node::Backref(n) => {
                let got = self.caps.borrow().get(*n as usize).copied().flatten();
                match got {
                    // A group that took no part matches the empty string.
                    None => k(i),
                    Some((a, b)) => {
                        let len = b - a;
                        self.s.get(i..i + len) == self.s.get(a..b) && k(i + len)
                    }
                }
            }
            Node::Look {
                behind,
                negated,
                node,
            } => self.look(*behind, *negated, node, i, k),
            Node::Concat(parts) => self.concat(parts, i, k),
            Node::Alternation(branches) => branches.iter().any(|b| self.run(b, i, k)),
            Node::Repeat { node, min, max } => self.repeat(node, *min, *max, 0, i, k),
        }
    }

    fn concat(&self, parts: &[Node], i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        match parts.split_first() {
            None => k(i),
            Some((first, rest)) => self.run(first, i, &mut |j| self.concat(rest, j, k)),
        }
    }

    /// Whether `count` or more further iterations of `node` match at `i`, then `k`. Greedy
    /// and lazy repetitions accept the same strings, and only acceptance matters here.
    fn repeat(
        &self,
        node: &Node,
        min: u32,
        max: Option<u32>,
        count: u32,
        i: usize,
        k: &mut dyn FnMut(usize) -> bool,
    ) -> bool {
        let may_go = max.is_none_or(|m| count < m);
        // An empty iteration past the minimum cannot help and would loop forever.
        (may_go
            && self.run(node, i, &mut |j| {
                (j != i || count < min) && self.repeat(node, min, max, count + 1, j, k)
            }))
            || (count >= min && k(i))
    }

    /// A lookaround at `i`: the captures a positive one makes stay for what follows, as in
    /// ECMA-262; a negative one leaves none.
    fn look(
        &self,
        behind: bool,
        negated: bool,
        node: &Node,
        i: usize,
        k: &mut dyn FnMut(usize) -> bool,
    ) -> bool {
        let before = self.captures();
        let found = if behind {
            (0..=i)
                .rev()
                .any(|j| self.run(node, j, &mut |end| end == i))
        } else {
            self.run(node, i, &mut |_| true)
        };
        if negated {
            self.restore(before);
            return !found && k(i);
        }
        if found && k(i) {
            return true;
        }
        self.restore(before);
        false
    }

    fn assert(&self, a: Assertion, i: usize) -> bool {
        let before = i.checked_sub(1).and_then(|p| self.s.get(p)).copied();
        let after = self.s.get(i).copied();
        match a {
            Assertion::Start { multiline } => {
                i == 0 || (multiline && before.is_some_and(is_line_terminator))
            }
            Assertion::End { multiline } => {
                i == self.s.len() || (multiline && after.is_some_and(is_line_terminator))
            }
            Assertion::WordBoundary { negated } => {
                let word = |c: Option<char>| c.is_some_and(is_word_char);
                (word(before) != word(after)) != negated
            }
        }
    }
}
