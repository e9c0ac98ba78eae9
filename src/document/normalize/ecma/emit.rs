//! The tree written back as text that ECMA-262 and the Rust regex engines read with the same
//! meaning, keeping the pattern's own spelling wherever the engines read it alike.
//!
//! A pattern with lookarounds or back-references is run by `fancy-regex` as written (the
//! validators' own translation of `\d`, `\w`, `\s` and `.` gives up on it), so there those
//! are written out as the ASCII-sized classes ECMA-262 means.

use regex_syntax::hir::{ClassUnicode, ClassUnicodeRange};

use super::{
    Assertion, Class, ClassItem, GroupKind, Lit, Node, Perl, PerlKind, Property, Regex, Repeat,
    Written,
};

/// No character, and every character: read alike whatever `\s` means to the reader.
const NOTHING: &str = r"[^\s\S]";
const ANYTHING: &str = r"[\s\S]";
/// ECMA-262's `.`: anything but a line terminator.
const DOT: &str = r"[^\n\r\u2028\u2029]";

pub(super) fn emit(regex: &Regex, source: &[char]) -> String {
    let mut e = Emitter {
        source,
        out: String::with_capacity(source.len() + 8),
        explicit: regex.needs_backtracking,
    };
    e.node(&regex.node);
    e.out
}

struct Emitter<'s> {
    source: &'s [char],
    out: String,
    /// Write `\d`, `\w`, `\s` and `.` as classes (see the module doc).
    explicit: bool,
}

impl Emitter<'_> {
    fn written(&self, lit: &Lit) -> String {
        self.source[lit.span.start..lit.span.end].iter().collect()
    }

    fn node(&mut self, node: &Node) {
        match node {
            Node::Empty => {}
            Node::Literal(l) => {
                let text = self.literal(l);
                self.out.push_str(&text);
            }
            Node::Nothing(_) => self.out.push_str(NOTHING),
            Node::Dot { dot_all } => self.out.push_str(match (dot_all, self.explicit) {
                (true, _) => ANYTHING,
                (false, false) => ".",
                (false, true) => DOT,
            }),
            Node::Perl(p) if self.explicit => {
                let positive = Perl {
                    negated: false,
                    ..*p
                };
                self.out.push_str(if p.negated { "[^" } else { "[" });
                self.out.push_str(&spell_set(&positive.set()));
                self.out.push(']');
            }
            Node::Perl(p) => self.out.push_str(perl_text(p)),
            Node::Property(p) => self.out.push_str(&property_text(p)),
            Node::Class(c) => self.class(c),
            Node::Assert(a) => self.out.push_str(match a {
                Assertion::Start { .. } => "^",
                Assertion::End { .. } => "$",
                Assertion::WordBoundary { negated: false } => "\\b",
                Assertion::WordBoundary { negated: true } => "\\B",
            }),
            Node::Group(g) => {
                match &g.kind {
                    GroupKind::Capture {
                        name: Some(name), ..
                    } if is_rust_group_name(name) => {
                        self.out.push_str("(?<");
                        self.out.push_str(name);
                        self.out.push('>');
                    }
                    // Back-references are written by number, so a name the Rust engines
                    // refuse can go.
                    GroupKind::Capture { .. } => self.out.push('('),
                    GroupKind::NonCapturing => self.out.push_str("(?:"),
                    GroupKind::Modifiers(flags) => {
                        self.out.push_str("(?");
                        self.out.push_str(flags);
                        self.out.push(':');
                    }
                }
                self.node(&g.node);
                self.out.push(')');
            }
            Node::Look(l) => {
                self.out.push_str(match (l.behind, l.negated) {
                    (false, false) => "(?=",
                    (false, true) => "(?!",
                    (true, false) => "(?<=",
                    (true, true) => "(?<!",
                });
                self.node(&l.node);
                self.out.push(')');
            }
            Node::Backref(n) => {
                self.out.push('\\');
                self.out.push_str(&n.to_string());
            }
            Node::Concat(nodes) => self.concat(nodes),
            Node::Alternation(branches) => {
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        self.out.push('|');
                    }
                    self.node(b);
                }
            }
            Node::Repeat(r) => self.repeat(r),
        }
    }

    fn concat(&mut self, nodes: &[Node]) {
        // A back-reference followed by a digit (`\1` then `0`) would read as `\10`.
        let mut backref: Option<(usize, usize)> = None;
        for n in nodes {
            let before = self.out.len();
            self.node(n);
            if let Some((start, end)) = backref.take()
                && self.out[before..].starts_with(|c: char| c.is_ascii_digit())
            {
                self.out.insert(end, ')');
                self.out.insert_str(start, "(?:");
            }
            if matches!(n, Node::Backref(_)) {
                backref = Some((before, self.out.len()));
            }
        }
    }

    fn repeat(&mut self, r: &Repeat) {
        if let Node::Look(_) = *r.node {
            // Annex B's quantified lookahead: repeated, it asserts the same thing again; it
            // asserts nothing when it may be skipped. The Rust engines repeat no lookaround.
            if r.min == 0 {
                self.out.push_str("(?:");
                self.node(&r.node);
                self.out.push_str("|)");
            } else {
                self.node(&r.node);
            }
            return;
        }
        self.node(&r.node);
        let quantifier: String = self.source[r.span.start..r.span.end].iter().collect();
        self.out.push_str(&quantifier);
    }

    /// A character outside a class.
    fn literal(&self, l: &Lit) -> String {
        let Some(c) = l.char() else {
            return NOTHING.to_owned();
        };
        match l.written {
            Written::Plain if matches!(c, '{' | '}' | ']') => format!("\\{c}"),
            Written::Plain => c.to_string(),
            Written::Escaped if rust_escapable(c) => format!("\\{c}"),
            Written::Portable => self.written(l),
            Written::Escaped | Written::Other => spell(c, false),
        }
    }

    fn class(&mut self, class: &Class) {
        let mut atoms: Vec<Atom> = Vec::new();
        let mut units = false;
        for item in &class.items {
            match item {
                ClassItem::Char(l) if is_surrogate(l.code) => units = true,
                ClassItem::Char(l) => atoms.push(self.class_char(l)),
                ClassItem::Range(a, b) if a.code <= 0xDFFF && b.code >= 0xD800 => {
                    units = true;
                    // The parts outside the surrogates stay characters.
                    if a.code < 0xD800 {
                        let hi = (b.code >= 0xD800).then_some('\u{D7FF}');
                        self.range(&mut atoms, a, None, b, hi);
                    }
                    if b.code > 0xDFFF {
                        let lo = (a.code <= 0xDFFF).then_some('\u{E000}');
                        self.range(&mut atoms, a, lo, b, None);
                    }
                }
                ClassItem::Range(a, b) => self.range(&mut atoms, a, None, b, None),
                ClassItem::Perl(p) if self.explicit => {
                    atoms.push(Atom::Escape(spell_set(&p.set())));
                }
                ClassItem::Perl(p) => atoms.push(Atom::Escape(perl_text(p).to_owned())),
                ClassItem::Property(p) => atoms.push(Atom::Escape(property_text(p))),
            }
        }
        if units {
            // Surrogates pair into the characters beyond U+FFFF (see `Class::set`).
            let beyond: Vec<ClassUnicodeRange> = Class {
                negated: false,
                items: class.items.clone(),
                fold: false,
            }
            .set()
            .ranges()
            .iter()
            .filter(|r| r.end() > '\u{FFFF}')
            .map(|r| ClassUnicodeRange::new(r.start().max('\u{10000}'), r.end()))
            .collect();
            if !beyond.is_empty() {
                atoms.push(Atom::Escape(spell_set(&ClassUnicode::new(beyond))));
            }
        }
        if atoms.is_empty() {
            self.out
                .push_str(if class.negated { ANYTHING } else { NOTHING });
            return;
        }
        self.out.push('[');
        if class.negated {
            self.out.push('^');
        }
        let last = atoms.len() - 1;
        let bare = |i: usize| match atoms.get(i) {
            Some(Atom::Bare(c)) => Some(*c),
            _ => None,
        };
        let escape_at = |i: Option<usize>| {
            i.and_then(|i| atoms.get(i))
                .is_some_and(|a| matches!(a, Atom::Escape(_)))
        };
        for (i, atom) in atoms.iter().enumerate() {
            let c = match atom {
                Atom::Text(t) | Atom::Escape(t) => {
                    self.out.push_str(t);
                    continue;
                }
                Atom::Dash => {
                    self.out.push('-');
                    continue;
                }
                Atom::Bare(c) => *c,
            };
            let before = i.checked_sub(1);
            let same_beside = before.and_then(bare) == Some(c) || bare(i + 1) == Some(c);
            // What the Rust engines read otherwise: a `-` beside a class escape or another
            // `-` (a range, or the difference `--`), a `^` first, a doubled `&` or `~`.
            let escape = match c {
                '-' => {
                    i != 0
                        && i != last
                        && (escape_at(before) || escape_at(Some(i + 1)) || same_beside)
                }
                '^' => i == 0,
                _ => same_beside,
            };
            if escape {
                self.out.push('\\');
            }
            self.out.push(c);
        }
        self.out.push(']');
    }

    fn class_char(&self, l: &Lit) -> Atom {
        let c = l.char().unwrap_or(char::REPLACEMENT_CHARACTER);
        match l.written {
            Written::Plain if matches!(c, '-' | '^' | '&' | '~') => Atom::Bare(c),
            Written::Plain if c == '[' => Atom::Text("\\[".to_owned()),
            Written::Plain => Atom::Text(c.to_string()),
            Written::Escaped if rust_escapable(c) => Atom::Text(format!("\\{c}")),
            Written::Portable => Atom::Text(self.written(l)),
            Written::Escaped | Written::Other => Atom::Text(spell(c, true)),
        }
    }

    /// `a-b` in a class; `lo` or `hi`, when given, replace the written end.
    fn range(&self, atoms: &mut Vec<Atom>, a: &Lit, lo: Option<char>, b: &Lit, hi: Option<char>) {
        let end = |l: &Lit, replaced: Option<char>| match (replaced, l.written, l.char()) {
            (Some(c), _, _) => Atom::Text(spell(c, true)),
            (None, Written::Plain, Some(c @ ('^' | '&' | '~'))) => Atom::Bare(c),
            // A `-` at either end would read as the difference `--`.
            (None, Written::Plain, Some('-')) => Atom::Text("\\-".to_owned()),
            (None, _, _) => self.class_char(l),
        };
        atoms.push(end(a, lo));
        atoms.push(Atom::Dash);
        atoms.push(end(b, hi));
    }
}

/// One piece of a class as text.
enum Atom {
    /// Final text.
    Text(String),
    /// A class escape (`\d`, `\p{L}`) or a set written out: no range may touch it.
    Escape(String),
    /// A character written bare whose escaping depends on its neighbours.
    Bare(char),
    /// The `-` of a range.
    Dash,
}

/// Whether both engines read `\c` as the character `c`: ASCII punctuation, but for `<` and
/// `>`, which the Rust engines read as word boundaries.
fn rust_escapable(c: char) -> bool {
    c.is_ascii() && !c.is_ascii_alphanumeric() && !c.is_ascii_control() && !matches!(c, '<' | '>')
}

fn is_surrogate(code: u32) -> bool {
    (0xD800..=0xDFFF).contains(&code)
}

/// A name the Rust engines take for a group.
fn is_rust_group_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn perl_text(p: &Perl) -> &'static str {
    match (p.kind, p.negated) {
        (PerlKind::Digit, false) => "\\d",
        (PerlKind::Digit, true) => "\\D",
        (PerlKind::Space, false) => "\\s",
        (PerlKind::Space, true) => "\\S",
        (PerlKind::Word, false) => "\\w",
        (PerlKind::Word, true) => "\\W",
    }
}

fn property_text(p: &Property) -> String {
    let letter = if p.negated { 'P' } else { 'p' };
    format!("\\{letter}{{{}}}", p.name)
}

/// One character as both dialects read it, escaped where either gives it a meaning.
fn spell(c: char, in_class: bool) -> String {
    let special = if in_class {
        "\\]^-[&~"
    } else {
        "^$\\.*+?()[]{}|/"
    };
    if special.contains(c) {
        return format!("\\{c}");
    }
    if c.is_ascii_graphic() || c == ' ' || (!c.is_ascii() && c.is_alphanumeric()) {
        return c.to_string();
    }
    match c as u32 {
        n @ 0..=0xFF => format!("\\x{n:02X}"),
        n @ 0x100..=0xFFFF => format!("\\u{n:04X}"),
        n => format!("\\u{{{n:X}}}"),
    }
}

/// A set as the inside of a class. A range is cut at the surrogates, which ECMA-262 would
/// read as code units (see `Class::set`).
fn spell_set(set: &ClassUnicode) -> String {
    let mut out = String::new();
    let mut push = |a: char, b: char| {
        out.push_str(&spell(a, true));
        if b != a {
            out.push('-');
            out.push_str(&spell(b, true));
        }
    };
    for r in set.ranges() {
        if r.start() <= '\u{D7FF}' && r.end() >= '\u{E000}' {
            push(r.start(), '\u{D7FF}');
            push('\u{E000}', r.end());
        } else {
            push(r.start(), r.end());
        }
    }
    out
}
