//! A string a pattern matches: one walk over the compiled tree, steered towards a length,
//! checked by the matcher. Lookarounds are skipped by the walk and enforced by the check; the
//! characters positive lookaheads ask for (`(?=.*[A-Z])`) are favoured where the walk picks
//! from a set holding them, and the length they ask for (`(?=^.{8,64}$)`) is aimed at.

use regex_syntax::hir::ClassUnicode;

use super::{Node, Pattern, min_len};
use crate::schema::generate::Rng;

/// How many repetitions past the minimum an unbounded `*`/`+`/`{n,}` adds when no length
/// forces more: keeps generated strings short and readable.
const UNBOUNDED_EXTRA: u32 = 6;
/// Attempts at a string of the right length that the pattern matches before giving up: a
/// pattern with lookarounds spends them on candidates its lookarounds refuse.
const ATTEMPTS: usize = 48;

impl Pattern {
    /// A string the pattern matches whose length in code points is within
    /// `min_len..=max_len`, or `None` if none was found in a bounded number of attempts.
    pub(crate) fn generate(
        &self,
        rng: &mut Rng,
        min_len: usize,
        max_len: Option<usize>,
    ) -> Option<String> {
        let max = max_len.unwrap_or(usize::MAX);
        if min_len > max {
            return None;
        }
        // Aim within what the lookaheads ask for too, when that leaves any room.
        let (aim_min, aim_max) = {
            let lo = min_len.max(self.hints.min_len);
            let hi = self.hints.max_len.map_or(max, |h| h.min(max));
            if lo <= hi { (lo, hi) } else { (min_len, max) }
        };
        for attempt in 0..ATTEMPTS {
            // Aim at the minimum first, then wander upwards within the allowed range.
            let spread = aim_max.saturating_sub(aim_min).min(8 + attempt) as u64;
            let target = aim_min + rng.below(spread + 1) as usize;
            let mut g = Walk {
                rng,
                out: Vec::new(),
                target,
                max: aim_max,
                caps: vec![None; self.captures as usize + 1],
                wanted: self.hints.somewhere.clone(),
                next: None,
            };
            g.node(&self.node, 0);
            let mut out = g.out;
            if out.len() < aim_min {
                // Text outside an unanchored end (or start) does not stop the match.
                let pad = aim_min - out.len();
                let filler: Vec<char> = (0..pad)
                    .map(|_| (b'a' + rng.below(26) as u8) as char)
                    .collect();
                if !self.anchored_end {
                    out.extend(filler);
                } else if !self.anchored_start {
                    out.splice(0..0, filler);
                } else {
                    continue;
                }
            }
            if out.len() < min_len || out.len() > max {
                continue;
            }
            let s: String = out.into_iter().collect();
            if self.is_match(&s) != Some(false) {
                return Some(s);
            }
        }
        None
    }
}

/// One generation pass: appends to `out`, steering repetitions towards `target` characters
/// and never past `max` when it can help it.
struct Walk<'r> {
    rng: &'r mut Rng,
    out: Vec<char>,
    target: usize,
    max: usize,
    /// What each capturing group produced, for back-references.
    caps: Vec<Option<(usize, usize)>>,
    /// Sets the lookaheads want a character of, not yet served.
    wanted: Vec<ClassUnicode>,
    /// What the next character must (or must not) be, from a lookahead just passed.
    next: Option<Next>,
}

/// A lookahead's demand on the character that follows it.
enum Next {
    /// `(?=X...)`: a character of X.
    In(ClassUnicode),
    /// `(?!X)`, X one character: anything but X.
    NotIn(ClassUnicode),
}

impl Walk<'_> {
    /// Generates `node`; `after` is the fewest characters whatever follows it will add.
    fn node(&mut self, node: &Node, after: usize) {
        match node {
            Node::Empty | Node::Assert(_) => {}
            Node::Look {
                behind: false,
                negated,
                node,
            } => {
                // Lookaheads in a row all speak of the same character.
                self.next = match (self.next.take(), negated, first_set(node, !negated)) {
                    (Some(Next::In(mut a)), false, Some(b)) => {
                        a.intersect(&b);
                        Some(Next::In(a))
                    }
                    (Some(Next::In(mut a)), true, Some(b))
                    | (Some(Next::NotIn(b)), false, Some(mut a)) => {
                        a.difference(&b);
                        Some(Next::In(a))
                    }
                    (Some(Next::NotIn(mut a)), true, Some(b)) => {
                        a.union(&b);
                        Some(Next::NotIn(a))
                    }
                    (kept, _, None) => kept,
                    (None, false, Some(set)) => Some(Next::In(set)),
                    (None, true, Some(set)) => Some(Next::NotIn(set)),
                }
            }
            Node::Look { .. } => {}
            Node::Set(set) => {
                if let Some(c) = self.pick(set) {
                    self.out.push(c);
                }
            }
            Node::Capture(n, sub) => {
                let start = self.out.len();
                self.node(sub, after);
                if let Some(slot) = self.caps.get_mut(*n as usize) {
                    *slot = Some((start, self.out.len()));
                }
            }
            Node::Backref(n) => {
                if let Some(Some((a, b))) = self.caps.get(*n as usize).copied() {
                    let again: Vec<char> = self.out[a..b].to_vec();
                    self.out.extend(again);
                }
            }
            Node::Concat(parts) => {
                for (i, part) in parts.iter().enumerate() {
                    let rest: usize = parts[i + 1..].iter().map(min_len).sum();
                    self.node(part, after + rest);
                }
            }
            Node::Alternation(branches) => {
                let used = self.out.len() + after;
                let fitting: Vec<&Node> = branches
                    .iter()
                    .filter(|b| used + min_len(b) <= self.max)
                    .collect();
                let chosen = if fitting.is_empty() {
                    branches.iter().min_by_key(|b| min_len(b))
                } else {
                    fitting
                        .get(self.rng.below(fitting.len() as u64) as usize)
                        .copied()
                };
                if let Some(b) = chosen {
                    self.node(b, after);
                }
            }
            Node::Repeat { node, min, max } => {
                let sub_min = min_len(node);
                let step = sub_min.max(1);
                let base = self.out.len() + after + *min as usize * sub_min;
                let room = self.max.saturating_sub(base) / step;
                let wanted = self.target.saturating_sub(base).div_ceil(step);
                let cap = max.map_or(UNBOUNDED_EXTRA.max(wanted as u32), |m| m - min);
                let extra = if wanted > 0 {
                    wanted.min(room).min(cap as usize)
                } else {
                    let free = room.min(cap as usize).min(UNBOUNDED_EXTRA as usize);
                    // Without a length to reach, stay near the minimum.
                    self.rng.below(free.min(2) as u64 + 1) as usize
                };
                let count = *min as usize + extra;
                for i in 0..count {
                    self.node(node, after + (count - i - 1) * sub_min);
                }
            }
        }
    }

    /// A character of `set`: what a lookahead just passed asks of it, when the set allows;
    /// now and then one a lookahead wants somewhere, when the set holds one.
    fn pick(&mut self, set: &ClassUnicode) -> Option<char> {
        let narrowed = match self.next.take() {
            Some(Next::In(want)) => {
                let mut both = set.clone();
                both.intersect(&want);
                both
            }
            Some(Next::NotIn(avoid)) => {
                let mut rest = set.clone();
                rest.difference(&avoid);
                rest
            }
            None => ClassUnicode::empty(),
        };
        if !narrowed.ranges().is_empty() {
            return pick_in_set(self.rng, &narrowed);
        }
        if !self.wanted.is_empty() && self.rng.below(2) == 0 {
            for i in 0..self.wanted.len() {
                let mut both = set.clone();
                both.intersect(&self.wanted[i]);
                if !both.ranges().is_empty() {
                    self.wanted.swap_remove(i);
                    return pick_in_set(self.rng, &both);
                }
            }
        }
        pick_in_set(self.rng, set)
    }
}

/// The set the first character matched by `node` comes from, skipping anchors; with `prefix`
/// the node may go on past it, without only a single character qualifies.
fn first_set(node: &Node, prefix: bool) -> Option<ClassUnicode> {
    match node {
        Node::Set(s) => Some(s.clone()),
        Node::Capture(_, sub) => first_set(sub, prefix),
        Node::Repeat { node, min, max } if *min > 0 && (prefix || *max == Some(1)) => {
            first_set(node, prefix)
        }
        Node::Alternation(branches) => {
            let mut all = ClassUnicode::empty();
            for b in branches {
                all.union(&first_set(b, prefix)?);
            }
            Some(all)
        }
        Node::Concat(parts) => {
            let mut rest = parts.iter().skip_while(|p| matches!(p, Node::Assert(_)));
            let first = rest.next()?;
            let set = first_set(first, prefix)?;
            (prefix || rest.all(|p| matches!(p, Node::Assert(_)))).then_some(set)
        }
        _ => None,
    }
}

/// A character of the set, preferring letters and digits, then other printable ASCII, and
/// only then whatever else the set holds.
fn pick_in_set(rng: &mut Rng, set: &ClassUnicode) -> Option<char> {
    let ranges: Vec<(u32, u32)> = set
        .ranges()
        .iter()
        .map(|r| (r.start() as u32, r.end() as u32))
        .collect();
    let clip = |lo: u32, hi: u32| -> Vec<(u32, u32)> {
        ranges
            .iter()
            .filter_map(|&(s, e)| {
                let (s, e) = (s.max(lo), e.min(hi));
                (s <= e).then_some((s, e))
            })
            .collect()
    };
    let alnum: Vec<(u32, u32)> = [('0', '9'), ('A', 'Z'), ('a', 'z')]
        .iter()
        .flat_map(|&(lo, hi)| clip(lo as u32, hi as u32))
        .collect();
    let printable = clip(0x20, 0x7e);
    let pool = if !alnum.is_empty() && (printable.len() == alnum.len() || rng.below(8) != 0) {
        alnum
    } else if !printable.is_empty() {
        printable
    } else {
        ranges
    };
    let total: u64 = pool.iter().map(|&(s, e)| u64::from(e - s) + 1).sum();
    let mut k = rng.below(total);
    for (s, e) in pool {
        let size = u64::from(e - s) + 1;
        if k < size {
            // Set ranges hold only scalar values, but a range may straddle the surrogate
            // gap; fall back to its start, which is always a valid char.
            return char::from_u32(s + k as u32).or_else(|| char::from_u32(s));
        }
        k -= size;
    }
    None
}
