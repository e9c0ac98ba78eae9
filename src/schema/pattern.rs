//! Strings for JSON Schema `pattern`s: producing a string a pattern matches, and telling whether
//! a pattern matches a string, without a regex engine.
//!
//! Patterns are parsed with `regex_syntax` into an `Hir` and walked. ECMA-262 and the `regex`
//! crate's syntax agree on everything OpenAPI documents use in practice; what `regex_syntax`
//! rejects (look-around, back-references) is reported as unsupported.
//!
//! Implementation rationale: the generator needs a matcher too (a second `pattern` from `allOf`,
//! `patternProperties` keys, checking its own output after padding). A small backtracking walk
//! over the same `Hir`, with a step budget, is enough for the short strings involved and avoids
//! a regex engine dependency.

use std::cell::Cell;

use regex_syntax::hir::{Class, Hir, HirKind, Look, Repetition};

use crate::schema::generate::Rng;

/// A parsed pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    hir: Hir,
    anchored_start: bool,
    anchored_end: bool,
}

/// Longer inputs are not matched (the backtracking walk recurses once per character).
const MAX_MATCH_INPUT: usize = 512;
/// Steps one `is_match` call may take before it gives up and answers "don't know".
const MATCH_STEPS: usize = 200_000;
/// How many repetitions past the minimum an unbounded `*`/`+`/`{n,}` adds when no length
/// forces more: keeps generated strings short and readable.
const UNBOUNDED_EXTRA: u32 = 6;
/// Attempts at a string of the right length before giving up.
const ATTEMPTS: usize = 24;

impl Pattern {
    /// Parses an ECMA-262 pattern; the error says why it is not supported.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let hir = regex_syntax::ParserBuilder::new()
            .build()
            .parse(pattern)
            .map_err(|e| e.to_string().lines().last().unwrap_or_default().to_owned())?;
        let props = hir.properties();
        let anchored_start = props.look_set_prefix().contains(Look::Start);
        let anchored_end = props.look_set_suffix().contains(Look::End);
        Ok(Self {
            hir,
            anchored_start,
            anchored_end,
        })
    }

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
        };
        for start in 0..=chars.len() {
            if m.run(&self.hir, start, &mut |_| true) {
                return Some(true);
            }
            if m.steps.get() == 0 {
                return None;
            }
        }
        Some(false)
    }

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
        for attempt in 0..ATTEMPTS {
            // Aim at the minimum first, then wander upwards within the allowed range.
            let spread = max.saturating_sub(min_len).min(8 + attempt) as u64;
            let target = min_len + rng.below(spread + 1) as usize;
            let mut g = Walk {
                rng,
                out: Vec::new(),
                target,
                max,
            };
            g.node(&self.hir, 0);
            let mut out = g.out;
            if out.len() < min_len {
                // Text outside an unanchored end (or start) does not stop the match.
                let pad = min_len - out.len();
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
            if out.len() > max {
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
}

impl Walk<'_> {
    /// Generates `hir`; `after` is the fewest characters whatever follows it will add.
    fn node(&mut self, hir: &Hir, after: usize) {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(lit) => self.out.extend(String::from_utf8_lossy(&lit.0).chars()),
            HirKind::Class(class) => {
                if let Some(c) = pick_in_class(self.rng, class) {
                    self.out.push(c);
                }
            }
            HirKind::Capture(cap) => self.node(&cap.sub, after),
            HirKind::Concat(parts) => {
                for (i, part) in parts.iter().enumerate() {
                    let rest: usize = parts[i + 1..].iter().map(min_len).sum();
                    self.node(part, after + rest);
                }
            }
            HirKind::Alternation(branches) => {
                let used = self.out.len() + after;
                let fitting: Vec<&Hir> = branches
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
            HirKind::Repetition(rep) => {
                let sub_min = min_len(&rep.sub);
                let step = sub_min.max(1);
                let base = self.out.len() + after + rep.min as usize * sub_min;
                let room = self.max.saturating_sub(base) / step;
                let wanted = self.target.saturating_sub(base).div_ceil(step);
                let cap = rep
                    .max
                    .map_or(UNBOUNDED_EXTRA.max(wanted as u32), |m| m - rep.min);
                let extra = if wanted > 0 {
                    wanted.min(room).min(cap as usize)
                } else {
                    let free = room.min(cap as usize).min(UNBOUNDED_EXTRA as usize);
                    // Without a length to reach, stay near the minimum.
                    self.rng.below(free.min(2) as u64 + 1) as usize
                };
                let count = rep.min as usize + extra;
                for i in 0..count {
                    self.node(&rep.sub, after + (count - i - 1) * sub_min);
                }
            }
        }
    }
}

/// The fewest characters `hir` can match.
fn min_len(hir: &Hir) -> usize {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 0,
        HirKind::Literal(lit) => String::from_utf8_lossy(&lit.0).chars().count(),
        HirKind::Class(_) => 1,
        HirKind::Capture(cap) => min_len(&cap.sub),
        HirKind::Concat(parts) => parts.iter().map(min_len).sum(),
        HirKind::Alternation(branches) => branches.iter().map(min_len).min().unwrap_or(0),
        HirKind::Repetition(rep) => (rep.min as usize).saturating_mul(min_len(&rep.sub)),
    }
}

/// A character of the class, preferring letters and digits, then other printable ASCII, and
/// only then whatever else the class holds.
fn pick_in_class(rng: &mut Rng, class: &Class) -> Option<char> {
    let ranges: Vec<(u32, u32)> = match class {
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .filter(|r| r.start() < 0x80)
            .map(|r| (u32::from(r.start()), u32::from(r.end().min(0x7f))))
            .collect(),
    };
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
            // Class ranges hold only scalar values, but a range may straddle the surrogate
            // gap; fall back to its start, which is always a valid char.
            return char::from_u32(s + k as u32).or_else(|| char::from_u32(s));
        }
        k -= size;
    }
    None
}

/// A bounded backtracking matcher over an `Hir`, continuation-passing style.
struct Matcher<'s> {
    s: &'s [char],
    steps: Cell<usize>,
}

impl Matcher<'_> {
    /// Whether `hir` matches at `i` followed by whatever `k` accepts.
    fn run(&self, hir: &Hir, i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        let left = self.steps.get();
        if left == 0 {
            return false;
        }
        self.steps.set(left - 1);
        match hir.kind() {
            HirKind::Empty => k(i),
            HirKind::Literal(lit) => {
                let lit: Vec<char> = String::from_utf8_lossy(&lit.0).chars().collect();
                self.s.get(i..i + lit.len()) == Some(&lit[..]) && k(i + lit.len())
            }
            HirKind::Class(class) => match self.s.get(i) {
                Some(&c) if class_contains(class, c) => k(i + 1),
                _ => false,
            },
            HirKind::Look(look) => self.look(*look, i) && k(i),
            HirKind::Capture(cap) => self.run(&cap.sub, i, k),
            HirKind::Concat(parts) => self.concat(parts, i, k),
            HirKind::Alternation(branches) => branches.iter().any(|b| self.run(b, i, k)),
            HirKind::Repetition(rep) => self.repeat(rep, 0, i, k),
        }
    }

    fn concat(&self, parts: &[Hir], i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        match parts.split_first() {
            None => k(i),
            Some((first, rest)) => self.run(first, i, &mut |j| self.concat(rest, j, k)),
        }
    }

    /// Whether `count` or more further iterations of `sub` match at `i`, then `k`. Greedy and
    /// lazy repetitions accept the same strings, and only acceptance matters here.
    fn repeat(
        &self,
        rep: &Repetition,
        count: u32,
        i: usize,
        k: &mut dyn FnMut(usize) -> bool,
    ) -> bool {
        let may_go = rep.max.is_none_or(|m| count < m);
        // An empty iteration past the minimum cannot help and would loop forever.
        (may_go
            && self.run(&rep.sub, i, &mut |j| {
                (j != i || count < rep.min) && self.repeat(rep, count + 1, j, k)
            }))
            || (count >= rep.min && k(i))
    }

    fn look(&self, look: Look, i: usize) -> bool {
        let before = i.checked_sub(1).and_then(|p| self.s.get(p)).copied();
        let after = self.s.get(i).copied();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        match look {
            Look::Start => i == 0,
            Look::End => i == self.s.len(),
            Look::StartLF => i == 0 || before == Some('\n'),
            Look::EndLF => i == self.s.len() || after == Some('\n'),
            Look::WordAscii | Look::WordUnicode => word(before) != word(after),
            Look::WordAsciiNegate | Look::WordUnicodeNegate => word(before) == word(after),
            // The remaining assertions do not occur in ECMA-262 patterns.
            _ => true,
        }
    }
}

fn class_contains(class: &Class, c: char) -> bool {
    match class {
        Class::Unicode(cls) => cls.ranges().iter().any(|r| r.start() <= c && c <= r.end()),
        Class::Bytes(cls) => u8::try_from(c as u32)
            .is_ok_and(|b| cls.ranges().iter().any(|r| r.start() <= b && b <= r.end())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen_many(pattern: &str, min: usize, max: Option<usize>) -> Vec<String> {
        let p = Pattern::parse(pattern).unwrap();
        (0..100)
            .map(|seed| {
                let mut rng = Rng::new(seed);
                p.generate(&mut rng, min, max)
                    .unwrap_or_else(|| panic!("no string for {pattern} (seed {seed})"))
            })
            .collect()
    }

    #[test]
    fn generated_strings_match_their_anchored_pattern_exactly() {
        for s in gen_many(r"^\d{3}-[A-Z]{2,4}$", 0, None) {
            let chars: Vec<char> = s.chars().collect();
            assert!((6..=8).contains(&chars.len()), "{s}");
            assert!(chars[..3].iter().all(char::is_ascii_digit), "{s}");
            assert_eq!(chars[3], '-', "{s}");
            assert!(chars[4..].iter().all(char::is_ascii_uppercase), "{s}");
        }
    }

    #[test]
    fn length_bounds_are_met_by_growing_repetitions_or_padding() {
        for s in gen_many(r"^[a-z0-9-]+$", 20, Some(25)) {
            let n = s.chars().count();
            assert!((20..=25).contains(&n), "{s}");
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            );
        }
        // Unanchored: padding around the match is allowed.
        for s in gen_many("abc", 10, Some(12)) {
            assert!(
                s.contains("abc") && (10..=12).contains(&s.chars().count()),
                "{s}"
            );
        }
    }

    #[test]
    fn an_anchored_literal_cannot_be_stretched() {
        let p = Pattern::parse("^abc$").unwrap();
        assert_eq!(p.generate(&mut Rng::new(1), 5, None), None);
    }

    #[test]
    fn the_matcher_searches_unanchored_and_respects_anchors() {
        let p = Pattern::parse(r"^[a-z]+\d*$").unwrap();
        assert_eq!(p.is_match("abc123"), Some(true));
        assert_eq!(p.is_match("abc123x"), Some(false));
        assert_eq!(p.is_match("1abc"), Some(false));
        let q = Pattern::parse(r"b+c").unwrap();
        assert_eq!(q.is_match("aaabbbcd"), Some(true));
        assert_eq!(q.is_match("aaac"), Some(false));
        let r = Pattern::parse(r"^(a|ab)(c|bcd)$").unwrap();
        assert_eq!(r.is_match("abcd"), Some(true));
        let empty_loop = Pattern::parse(r"^(a*)*b$").unwrap();
        assert_eq!(empty_loop.is_match("aaab"), Some(true));
        assert_eq!(empty_loop.is_match("aaa"), Some(false));
    }

    #[test]
    fn look_around_is_reported_as_unsupported() {
        assert!(Pattern::parse("(?=a)b").is_err());
    }
}
