//! Escapes and character classes: `\d`, `\p{L}`, `\x41`, `\u{1F600}`, `\cJ`, octal and
//! identity escapes, and `[...]` with Annex B's ranges.

use regex_syntax::hir::{Class as HirClass, HirKind};

use super::parse::{Parser, RANGE_ORDER, TRAILING_BACKSLASH, UNCLOSED_CLASS, UNKNOWN_NAME};
use super::{Class, ClassItem, Lit, Node, PatternError, Perl, PerlKind, Property, Written};

impl Parser {
    /// An escape outside a class, at `\` (not `\b` or `\B`, which are assertions).
    pub(super) fn atom_escape(&mut self) -> Result<Node, PatternError> {
        let start = self.pos;
        self.pos += 1;
        let Some(c) = self.peek() else {
            return Err(self.error_at(start, TRAILING_BACKSLASH));
        };
        self.pos += 1;
        Ok(match c {
            '1'..='9' => {
                let digits_at = self.pos - 1;
                let mut end = digits_at;
                let mut n: u64 = 0;
                while let Some(d) = self.chars.get(end).and_then(|c| c.to_digit(10)) {
                    n = n.saturating_mul(10).saturating_add(u64::from(d));
                    end += 1;
                }
                if n <= u64::from(self.total) {
                    self.pos = end;
                    self.backtracking = true;
                    Node::Backref(n as u32)
                } else if matches!(c, '8' | '9') {
                    Node::Literal(self.lit(c as u32, Written::Escaped, start))
                } else {
                    self.pos -= 1;
                    Node::Literal(self.octal(start))
                }
            }
            '0' => {
                self.pos -= 1;
                Node::Literal(self.octal(start))
            }
            'd' | 'D' | 's' | 'S' | 'w' | 'W' => Node::Perl(self.perl(c)),
            'p' | 'P' => match self.property(c == 'P') {
                Some(p) => Node::Property(p),
                None => Node::Literal(self.lit(c as u32, Written::Escaped, start)),
            },
            'k' if !self.names.is_empty() => {
                let name_start = self.pos + 1;
                let end = (self.peek() == Some('<'))
                    .then(|| self.chars[name_start..].iter().position(|&c| c == '>'))
                    .flatten()
                    .map(|n| name_start + n)
                    .ok_or_else(|| self.error_at(start, UNKNOWN_NAME))?;
                let name: String = self.chars[name_start..end].iter().collect();
                let index = self
                    .names
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, i)| *i)
                    .ok_or_else(|| self.error_at(start, UNKNOWN_NAME))?;
                self.pos = end + 1;
                self.backtracking = true;
                Node::Backref(index)
            }
            'c' => match self.peek() {
                Some(l) if l.is_ascii_alphabetic() => {
                    self.pos += 1;
                    Node::Literal(self.lit(l as u32 % 32, Written::Other, start))
                }
                // Annex B: a `\c` that is no control escape is a backslash, and the `c`
                // is read on its own.
                _ => {
                    self.pos -= 1;
                    Node::Literal(self.lit('\\' as u32, Written::Other, start))
                }
            },
            c => {
                let lit = self.character_escape(c, start);
                if char::from_u32(lit.code).is_none() {
                    Node::Nothing(lit)
                } else {
                    Node::Literal(lit)
                }
            }
        })
    }

    /// `\f \n \r \t \v`, `\xHH`, `\uHHHH` (a pair of them for a surrogate pair), `\u{H...}`,
    /// or an identity escape: the cursor is after the escaped character `c`.
    fn character_escape(&mut self, c: char, start: usize) -> Lit {
        let control = match c {
            'f' => Some(0x0C),
            'n' => Some(0x0A),
            'r' => Some(0x0D),
            't' => Some(0x09),
            'v' => Some(0x0B),
            _ => None,
        };
        if let Some(code) = control {
            return self.lit(code, Written::Portable, start);
        }
        match c {
            'x' => match self.hex(self.pos, 2) {
                Some(code) => {
                    self.pos += 2;
                    self.lit(code, Written::Portable, start)
                }
                None => self.lit('x' as u32, Written::Escaped, start),
            },
            'u' => self.unicode_escape(start),
            c => self.lit(c as u32, Written::Escaped, start),
        }
    }

    fn unicode_escape(&mut self, start: usize) -> Lit {
        if let Some(unit) = self.hex(self.pos, 4) {
            self.pos += 4;
            if (0xD800..=0xDBFF).contains(&unit)
                && !self.in_class
                && self.chars.get(self.pos) == Some(&'\\')
                && self.chars.get(self.pos + 1) == Some(&'u')
                && let Some(low) = self.hex(self.pos + 2, 4)
                && (0xDC00..=0xDFFF).contains(&low)
            {
                self.pos += 6;
                let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                return self.lit(code, Written::Other, start);
            }
            return self.lit(unit, Written::Portable, start);
        }
        if self.peek() == Some('{') {
            let digits = self.chars[self.pos + 1..]
                .iter()
                .take_while(|c| c.is_ascii_hexdigit())
                .count();
            let close = self.pos + 1 + digits;
            if (1..=8).contains(&digits)
                && self.chars.get(close) == Some(&'}')
                && let Some(code) = self.hex(self.pos + 1, digits)
                && code <= 0x10FFFF
            {
                self.pos = close + 1;
                return self.lit(code, Written::Portable, start);
            }
        }
        self.lit('u' as u32, Written::Escaped, start)
    }

    /// The value of `len` hex digits at `at`.
    fn hex(&self, at: usize, len: usize) -> Option<u32> {
        let digits = self.chars.get(at..at + len)?;
        digits
            .iter()
            .try_fold(0u32, |acc, c| Some(acc * 16 + c.to_digit(16)?))
    }

    /// Annex B's legacy octal escape (or `\0`), at its first digit.
    fn octal(&mut self, start: usize) -> Lit {
        let digit = |p: &Self, ahead: usize| p.peek_at(ahead).and_then(|c| c.to_digit(8));
        let mut value = digit(self, 0).unwrap_or(0);
        self.pos += 1;
        let most = if value <= 3 { 2 } else { 1 };
        for _ in 0..most {
            match digit(self, 0) {
                Some(d) => {
                    value = value * 8 + d;
                    self.pos += 1;
                }
                None => break,
            }
        }
        self.lit(value, Written::Other, start)
    }

    fn perl(&self, c: char) -> Perl {
        Perl {
            kind: match c.to_ascii_lowercase() {
                'd' => PerlKind::Digit,
                's' => PerlKind::Space,
                _ => PerlKind::Word,
            },
            negated: c.is_ascii_uppercase(),
            fold: self.flags.i,
        }
    }

    /// `{Name}` after `\p` or `\P`, when the Unicode tables know `Name`; the cursor moves
    /// past it only then.
    fn property(&mut self, negated: bool) -> Option<Property> {
        if self.peek() != Some('{') {
            return None;
        }
        let len = self.chars[self.pos + 1..]
            .iter()
            .take(64)
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '='))
            .count();
        let close = self.pos + 1 + len;
        if len == 0 || self.chars.get(close) != Some(&'}') {
            return None;
        }
        let name: String = self.chars[self.pos + 1..close].iter().collect();
        let hir = regex_syntax::Parser::new()
            .parse(&format!("\\p{{{name}}}"))
            .ok()?;
        let HirKind::Class(HirClass::Unicode(class)) = hir.kind() else {
            return None;
        };
        let mut set = class.clone();
        if negated {
            set.negate();
        }
        self.pos = close + 1;
        Some(Property { name, negated, set })
    }

    /// A character class at `[`.
    pub(super) fn class(&mut self) -> Result<Class, PatternError> {
        let start = self.pos;
        self.pos += 1;
        let negated = self.peek() == Some('^');
        if negated {
            self.pos += 1;
        }
        let mut items = Vec::new();
        self.in_class = true;
        loop {
            match self.peek() {
                None => return Err(self.error_at(start, UNCLOSED_CLASS)),
                Some(']') => {
                    self.pos += 1;
                    break;
                }
                Some(_) => {}
            }
            let atom_start = self.pos;
            let first = self.class_atom()?;
            let ranged = self.peek() == Some('-') && !matches!(self.peek_at(1), None | Some(']'));
            if !ranged {
                items.push(first);
                continue;
            }
            let dash_at = self.pos;
            self.pos += 1;
            let dash = self.lit('-' as u32, Written::Plain, dash_at);
            let second = self.class_atom()?;
            match (first, second) {
                (ClassItem::Char(a), ClassItem::Char(b)) => {
                    if a.code > b.code {
                        return Err(self.error_at(atom_start, RANGE_ORDER));
                    }
                    items.push(ClassItem::Range(a, b));
                }
                // Annex B: next to a class escape, `-` is a character.
                (first, second) => {
                    items.push(first);
                    items.push(ClassItem::Char(dash));
                    items.push(second);
                }
            }
        }
        self.in_class = false;
        Ok(Class {
            negated,
            items,
            fold: self.flags.i,
        })
    }

    fn class_atom(&mut self) -> Result<ClassItem, PatternError> {
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Err(self.error_at(start, UNCLOSED_CLASS));
        };
        self.pos += 1;
        if c != '\\' {
            return Ok(ClassItem::Char(self.lit(c as u32, Written::Plain, start)));
        }
        let Some(e) = self.peek() else {
            return Err(self.error_at(start, TRAILING_BACKSLASH));
        };
        self.pos += 1;
        Ok(ClassItem::Char(match e {
            'b' => self.lit(0x08, Written::Other, start),
            'd' | 'D' | 's' | 'S' | 'w' | 'W' => return Ok(ClassItem::Perl(self.perl(e))),
            'p' | 'P' => match self.property(e == 'P') {
                Some(p) => return Ok(ClassItem::Property(p)),
                None => self.lit(e as u32, Written::Escaped, start),
            },
            'c' => match self.peek() {
                Some(l) if l.is_ascii_alphanumeric() || l == '_' => {
                    self.pos += 1;
                    self.lit(l as u32 % 32, Written::Other, start)
                }
                _ => {
                    self.pos -= 1;
                    self.lit('\\' as u32, Written::Other, start)
                }
            },
            '0'..='7' => {
                self.pos -= 1;
                self.octal(start)
            }
            e => self.character_escape(e, start),
        }))
    }
}
