//! ECMA-262's `Pattern` grammar with Annex B, read character by character (positions are
//! character indices, as the errors report them).

use super::{
    Assertion, Group, GroupKind, Lit, Look, MAX_NESTING, Node, PatternError, Regex, Repeat, Span,
    Written,
};

pub(super) const TRAILING_BACKSLASH: &str = "a `\\` ends the pattern: it escapes nothing";
const NOTHING_TO_REPEAT: &str = "a quantifier follows nothing it can repeat";
const OUT_OF_ORDER: &str = "the numbers of a `{}` quantifier are out of order";
const UNCLOSED_GROUP: &str = "a group `(` is not closed";
const UNMATCHED_PAREN: &str = "a `)` closes no group";
pub(super) const UNCLOSED_CLASS: &str = "a character class `[` is not closed";
pub(super) const RANGE_ORDER: &str = "a range in a character class is out of order";
const BAD_GROUP: &str =
    "`(?` starts no group ECMA-262 knows (`(?:`, `(?=`, `(?!`, `(?<=`, `(?<!`, `(?<name>`, `(?i:`)";
const BAD_NAME: &str = "a group name must be an identifier";
const DUPLICATE_NAME: &str = "two groups have the same name";
pub(super) const UNKNOWN_NAME: &str = "`\\k<name>` names no group of the pattern";
const BAD_MODIFIERS: &str = "a modifier group takes each of the flags `i`, `m`, `s` at most once";
const TOO_DEEP: &str = "groups are nested more than 200 levels deep";

/// The flags a modifier group may change.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Flags {
    pub(super) i: bool,
    pub(super) m: bool,
    pub(super) s: bool,
}

pub(super) struct Parser {
    pub(super) chars: Vec<char>,
    pub(super) pos: usize,
    pub(super) flags: Flags,
    /// Capturing groups opened so far: the next one is numbered `opened + 1`.
    opened: u32,
    /// Capturing groups in the whole pattern: Annex B reads `\N` as a back-reference only
    /// when there are at least N.
    pub(super) total: u32,
    /// The named groups, in order, with their numbers.
    pub(super) names: Vec<(String, u32)>,
    depth: usize,
    pub(super) backtracking: bool,
    /// Inside a class each `\uHHHH` is one code unit: a surrogate pair is not joined.
    pub(super) in_class: bool,
}

impl Parser {
    pub(super) fn new(pattern: &str) -> Self {
        Self {
            chars: pattern.chars().collect(),
            pos: 0,
            flags: Flags::default(),
            opened: 0,
            total: 0,
            names: Vec::new(),
            depth: 0,
            backtracking: false,
            in_class: false,
        }
    }

    pub(super) fn parse(mut self) -> Result<Regex, PatternError> {
        self.count_groups()?;
        let node = self.disjunction()?;
        if self.pos < self.chars.len() {
            return Err(self.error_at(self.pos, UNMATCHED_PAREN));
        }
        Ok(Regex {
            node,
            captures: self.total,
            needs_backtracking: self.backtracking,
        })
    }

    pub(super) fn error_at(&self, at: usize, rule: &'static str) -> PatternError {
        PatternError { at, rule }
    }

    pub(super) fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    pub(super) fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    pub(super) fn lit(&self, code: u32, written: Written, start: usize) -> Lit {
        Lit {
            code,
            written,
            fold: self.flags.i,
            span: Span::new(start, self.pos),
        }
    }

    /// Counts the capturing groups and collects their names before parsing, because a
    /// `\2` or `\k<name>` may come before the group it names.
    fn count_groups(&mut self) -> Result<(), PatternError> {
        let mut i = 0;
        let mut in_class = false;
        while let Some(&c) = self.chars.get(i) {
            match c {
                '\\' => i += 1,
                '[' => in_class = true,
                ']' => in_class = false,
                '(' if !in_class => {
                    let next = self.chars.get(i + 1).copied();
                    let after = self.chars.get(i + 2).copied();
                    if next != Some('?') {
                        self.total += 1;
                    } else if after == Some('<')
                        && !matches!(self.chars.get(i + 3), Some('=' | '!'))
                    {
                        self.total += 1;
                        let start = i + 3;
                        let end = self.chars[start..]
                            .iter()
                            .position(|&c| c == '>')
                            .map(|n| start + n);
                        let name: String = match end {
                            Some(end) => self.chars[start..end].iter().collect(),
                            None => return Err(self.error_at(i, BAD_NAME)),
                        };
                        if !is_identifier(&name) {
                            return Err(self.error_at(start, BAD_NAME));
                        }
                        if self.names.iter().any(|(n, _)| *n == name) {
                            return Err(self.error_at(start, DUPLICATE_NAME));
                        }
                        self.names.push((name, self.total));
                    }
                }
                _ => {}
            }
            i += 1;
        }
        Ok(())
    }

    fn disjunction(&mut self) -> Result<Node, PatternError> {
        let mut branches = vec![self.alternative()?];
        while self.peek() == Some('|') {
            self.pos += 1;
            branches.push(self.alternative()?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alternation(branches)
        })
    }

    fn alternative(&mut self) -> Result<Node, PatternError> {
        let mut terms = Vec::new();
        while let Some(term) = self.term()? {
            terms.push(term);
        }
        Ok(match terms.len() {
            0 => Node::Empty,
            1 => terms.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(terms),
        })
    }

    /// One term and its quantifier; `None` at `|`, `)` or the end.
    fn term(&mut self) -> Result<Option<Node>, PatternError> {
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        let (atom, quantifiable) = match c {
            '|' | ')' => return Ok(None),
            '^' | '$' => {
                self.pos += 1;
                let multiline = self.flags.m;
                let assertion = if c == '^' {
                    Assertion::Start { multiline }
                } else {
                    Assertion::End { multiline }
                };
                (Node::Assert(assertion), false)
            }
            '\\' if matches!(self.peek_at(1), Some('b' | 'B')) => {
                self.pos += 2;
                let negated = self.chars[start + 1] == 'B';
                (Node::Assert(Assertion::WordBoundary { negated }), false)
            }
            '\\' => (self.atom_escape()?, true),
            '(' => self.group()?,
            '[' => (Node::Class(self.class()?), true),
            '.' => {
                self.pos += 1;
                (
                    Node::Dot {
                        dot_all: self.flags.s,
                    },
                    true,
                )
            }
            '*' | '+' | '?' => return Err(self.error_at(start, NOTHING_TO_REPEAT)),
            '{' if self.braced_quantifier().is_some() => {
                return Err(self.error_at(start, NOTHING_TO_REPEAT));
            }
            c => {
                self.pos += 1;
                (
                    Node::Literal(self.lit(c as u32, Written::Plain, start)),
                    true,
                )
            }
        };
        self.quantifier(atom, quantifiable).map(Some)
    }

    /// `{n}`, `{n,}` or `{n,m}` at the cursor: the bounds and where it ends, without moving.
    fn braced_quantifier(&self) -> Option<(u32, Option<u32>, usize)> {
        let mut i = self.pos;
        if self.chars.get(i) != Some(&'{') {
            return None;
        }
        i += 1;
        let number = |i: &mut usize| -> Option<u32> {
            let start = *i;
            let mut value: u64 = 0;
            while let Some(d) = self.chars.get(*i).and_then(|c| c.to_digit(10)) {
                value = value.saturating_mul(10).saturating_add(u64::from(d));
                *i += 1;
            }
            (*i > start).then(|| u32::try_from(value).unwrap_or(u32::MAX))
        };
        let min = number(&mut i)?;
        let max = if self.chars.get(i) == Some(&',') {
            i += 1;
            number(&mut i)
        } else {
            Some(min)
        };
        (self.chars.get(i) == Some(&'}')).then_some((min, max, i + 1))
    }

    fn quantifier(&mut self, atom: Node, quantifiable: bool) -> Result<Node, PatternError> {
        let at = self.pos;
        let (min, max) = match self.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => match self.braced_quantifier() {
                Some((min, max, end)) => {
                    self.pos = end - 1;
                    (min, max)
                }
                None => return Ok(atom),
            },
            _ => return Ok(atom),
        };
        self.pos += 1;
        if !quantifiable {
            return Err(self.error_at(at, NOTHING_TO_REPEAT));
        }
        if max.is_some_and(|max| max < min) {
            return Err(self.error_at(at, OUT_OF_ORDER));
        }
        let greedy = if self.peek() == Some('?') {
            self.pos += 1;
            false
        } else {
            true
        };
        let quantifier_end = self.pos;
        let again = matches!(self.peek(), Some('*' | '+' | '?'))
            || (self.peek() == Some('{') && self.braced_quantifier().is_some());
        if again {
            return Err(self.error_at(self.pos, NOTHING_TO_REPEAT));
        }
        Ok(Node::Repeat(Repeat {
            node: Box::new(atom),
            min,
            max,
            greedy,
            span: Span::new(at, quantifier_end),
        }))
    }

    /// A group at `(`, and whether a quantifier may follow it.
    fn group(&mut self) -> Result<(Node, bool), PatternError> {
        let start = self.pos;
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.error_at(start, TOO_DEEP));
        }
        self.pos += 1;
        let saved = self.flags;
        let mut kind = None;
        let mut look = None;
        if self.peek() == Some('?') {
            self.pos += 1;
            match (self.peek(), self.peek_at(1)) {
                (Some(c @ ('=' | '!')), _) => {
                    self.pos += 1;
                    look = Some((false, c == '!'));
                }
                (Some('<'), Some(c @ ('=' | '!'))) => {
                    self.pos += 2;
                    look = Some((true, c == '!'));
                }
                (Some('<'), _) => {
                    let name_start = self.pos + 1;
                    let end = self.chars[name_start..]
                        .iter()
                        .position(|&c| c == '>')
                        .map(|n| name_start + n)
                        .ok_or_else(|| self.error_at(name_start, BAD_NAME))?;
                    let name: String = self.chars[name_start..end].iter().collect();
                    self.pos = end + 1;
                    self.opened += 1;
                    kind = Some(GroupKind::Capture {
                        index: self.opened,
                        name: Some(name),
                    });
                }
                (Some(':'), _) => {
                    self.pos += 1;
                    kind = Some(GroupKind::NonCapturing);
                }
                (Some('i' | 'm' | 's' | '-'), _) => {
                    kind = Some(GroupKind::Modifiers(self.modifiers()?));
                }
                _ => return Err(self.error_at(start, BAD_GROUP)),
            }
        } else {
            self.opened += 1;
            kind = Some(GroupKind::Capture {
                index: self.opened,
                name: None,
            });
        }
        let body = self.disjunction()?;
        self.flags = saved;
        if self.peek() != Some(')') {
            return Err(self.error_at(start, UNCLOSED_GROUP));
        }
        self.pos += 1;
        self.depth -= 1;
        Ok(match (look, kind) {
            (Some((behind, negated)), _) => {
                self.backtracking = true;
                let node = Node::Look(Look {
                    behind,
                    negated,
                    node: Box::new(body),
                });
                // Annex B lets a lookahead be quantified; a lookbehind may not be.
                (node, !behind)
            }
            (None, Some(kind)) => (
                Node::Group(Group {
                    kind,
                    node: Box::new(body),
                }),
                true,
            ),
            (None, None) => return Err(self.error_at(start, BAD_GROUP)),
        })
    }

    /// `ims-ims:` after `(?`: applies the flags and returns them as written.
    fn modifiers(&mut self) -> Result<String, PatternError> {
        let start = self.pos;
        let mut seen = String::new();
        let mut removing = false;
        loop {
            let at = self.pos;
            match self.peek() {
                Some(c @ ('i' | 'm' | 's')) => {
                    if seen.contains(c) {
                        return Err(self.error_at(at, BAD_MODIFIERS));
                    }
                    seen.push(c);
                    let on = !removing;
                    match c {
                        'i' => self.flags.i = on,
                        'm' => self.flags.m = on,
                        _ => self.flags.s = on,
                    }
                }
                Some('-') if !removing => removing = true,
                Some(':') => break,
                _ => return Err(self.error_at(start.saturating_sub(2), BAD_GROUP)),
            }
            self.pos += 1;
        }
        if seen.is_empty() {
            return Err(self.error_at(start, BAD_MODIFIERS));
        }
        let written: String = self.chars[start..self.pos].iter().collect();
        self.pos += 1;
        Ok(written)
    }
}

/// ECMA-262's RegExpIdentifierName, without escapes.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '$' || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '$' | '_' | '\u{200c}' | '\u{200d}'))
}
