//! ECMA-262 regular expressions, the dialect of JSON Schema's `pattern`: parsed (`parse`) as
//! ECMA-262 reads them without flags, with its Annex B (what every browser and JavaScript
//! validator runs), and written back (`emit`) in a syntax the Rust regex engines read with the
//! same meaning.
//!
//! Loading rewrites every `pattern` once through [`translate`], so that the validators
//! (`jsonschema`, which runs `fancy-regex` after a translation of its own for `\d`, `\w`, `\s`
//! and `.`) and the makers of strings (`schema::pattern`, which walks the [`Regex`] this
//! parser builds) read one meaning. A pattern that is not ECMA-262 is refused with the rule it
//! breaks and where.
//!
//! What ECMA-262 without the `u` flag reads, and the Rust engines read otherwise or refuse:
//! an escaped character with no meaning of its own is that character (`\p` is `p`, `\-` is
//! `-`, `\A` is `A`); a `{` or `}` that is not a quantifier, and a `]` outside a class, are
//! characters; `[]` matches nothing and `[^]` anything; `\cJ`, `\0` and octal escapes name
//! control characters; `\b` in a class is a backspace; a class escape next to `-` in a class
//! (`[\w-.]`) makes the `-` a character; `\1` with fewer groups is an octal escape; `(?=a)*`
//! may be quantified; `\d`, `\w`, `\s`, `\b` and `.` are ASCII-sized (`\s` is ECMA's list).
//!
//! Two readings follow the `u` flag, as JSON Schema 2020-12 recommends: `\p{Name}` and
//! `\P{Name}` are Unicode property escapes when the Unicode tables know `Name` (matched
//! loosely, as UTS #18 says: `\p{L}`, `\p{Letter}`, `\p{Script=Greek}`, `\p{Alpha}`); any
//! other `\p` is the letter (`\p{Print}` is the text `p{Print}`). `\u{1F600}` is the code
//! point. A pair of `\uD83D\uDE00` escapes is one character, as in a JavaScript string; a
//! lone surrogate matches nothing (a JSON string holds none), and a class holding every high
//! and every low surrogate matches every character beyond U+FFFF.
//!
//! - `parse`: the grammar: alternatives, terms, quantifiers, groups, lookarounds;
//!   `escape`: escapes and character classes.
//! - `emit`: the tree written back for the Rust engines.
//!
//! Implementation rationale: the Rust engines' parsers cannot be asked to read ECMA-262, and
//! a text-to-text rewrite cannot tell `\1` the back-reference from `\1` the octal escape
//! without counting groups, so the pattern is parsed once into a small tree. The tree keeps
//! how each character was written, so that the rewrite changes only what must change and a
//! violation still quotes the pattern as the document wrote it in the common case.

mod emit;
mod escape;
mod parse;
#[cfg(test)]
mod tests;

use regex_syntax::hir::{ClassUnicode, ClassUnicodeRange};

/// A pattern that is not ECMA-262: the rule it breaks, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule} (at character {})", .at + 1)]
pub struct PatternError {
    /// Index of the character (not byte) where the pattern stops being ECMA-262.
    pub at: usize,
    pub rule: &'static str,
}

/// The most groups, classes and lookarounds nested in one another: the walks over the tree
/// recurse once per level and must fit a thread's stack. Deeper patterns are refused.
pub const MAX_NESTING: usize = 200;

/// A parsed pattern.
#[derive(Debug, Clone)]
pub struct Regex {
    pub node: Node,
    /// How many capturing groups the pattern has.
    pub captures: u32,
    /// Whether it holds lookarounds or back-references, which only `fancy-regex` runs (and
    /// which `jsonschema` then hands over without its own translation of `\d`, `\w`, `.`).
    pub needs_backtracking: bool,
}

/// One node of a pattern. Flags (`(?i:...)`, `(?s:...)`, `(?m:...)`) are resolved while
/// parsing: each node that depends on one carries its value.
#[derive(Debug, Clone)]
pub enum Node {
    Empty,
    Literal(Lit),
    /// Matches no character: a lone surrogate, which no well-formed string holds.
    Nothing(Lit),
    /// `.`: any character but a line terminator, or any at all under the `s` flag.
    Dot {
        dot_all: bool,
    },
    Perl(Perl),
    Property(Property),
    Class(Class),
    Assert(Assertion),
    Group(Group),
    Look(Look),
    /// `\1` or `\k<name>`: the text the numbered group last matched.
    Backref(u32),
    Concat(Vec<Node>),
    Alternation(Vec<Node>),
    Repeat(Repeat),
}

/// One character, and how the pattern wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lit {
    /// A code point, or a lone surrogate code unit (only ever inside a class).
    pub code: u32,
    pub written: Written,
    /// Under the `i` flag: matched ignoring case.
    pub fold: bool,
    /// Where the pattern wrote it.
    pub span: Span,
}

/// A stretch of the pattern, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }
}

/// How a character was written, so the rewrite keeps what the Rust engines read alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The character itself.
    Plain,
    /// A backslash and the character (an identity escape: `\-`, `\p`).
    Escaped,
    /// `\t`, `\n`, `\v`, `\f`, `\r`, `\xHH`, `\uHHHH`, `\u{...}`: read alike by both.
    Portable,
    /// Anything else (`\0`, `\cJ`, octal, `\b` in a class, a surrogate pair): rewritten.
    Other,
}

/// `\d`, `\s`, `\w` and their negations, ASCII-sized as ECMA-262 defines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Perl {
    pub kind: PerlKind,
    pub negated: bool,
    pub fold: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PerlKind {
    Digit,
    Space,
    Word,
}

/// `\p{Name}` or `\P{Name}` with a name the Unicode tables know.
#[derive(Debug, Clone)]
pub struct Property {
    pub name: String,
    pub negated: bool,
    /// The characters it names (negation applied).
    pub set: ClassUnicode,
}

/// `[...]`.
#[derive(Debug, Clone)]
pub struct Class {
    pub negated: bool,
    pub items: Vec<ClassItem>,
    pub fold: bool,
}

#[derive(Debug, Clone)]
pub enum ClassItem {
    Char(Lit),
    Range(Lit, Lit),
    Perl(Perl),
    Property(Property),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assertion {
    /// `^`; under the `m` flag also after a line terminator.
    Start { multiline: bool },
    /// `$`; under the `m` flag also before a line terminator.
    End { multiline: bool },
    /// `\b` (or `\B`, negated), between an ASCII word character and another character.
    WordBoundary { negated: bool },
}

#[derive(Debug, Clone)]
pub struct Group {
    pub kind: GroupKind,
    pub node: Box<Node>,
}

#[derive(Debug, Clone)]
pub enum GroupKind {
    /// `(...)` or `(?<name>...)`, numbered from 1.
    Capture { index: u32, name: Option<String> },
    /// `(?:...)`.
    NonCapturing,
    /// `(?i:...)`, `(?-m:...)`: the flags as written (already applied to the nodes inside).
    Modifiers(String),
}

/// `(?=...)`, `(?!...)`, `(?<=...)`, `(?<!...)`.
#[derive(Debug, Clone)]
pub struct Look {
    pub behind: bool,
    pub negated: bool,
    pub node: Box<Node>,
}

#[derive(Debug, Clone)]
pub struct Repeat {
    pub node: Box<Node>,
    pub min: u32,
    /// `None`: no upper bound.
    pub max: Option<u32>,
    pub greedy: bool,
    /// Where the pattern wrote the quantifier.
    pub span: Span,
}

/// Parses an ECMA-262 pattern.
pub fn parse(pattern: &str) -> Result<Regex, PatternError> {
    parse::Parser::new(pattern).parse()
}

/// The pattern as the Rust engines read it with ECMA-262's meaning, or `None` when it reads
/// alike as written. The text is itself ECMA-262 with the same meaning, so translating it
/// again changes nothing.
pub fn translate(pattern: &str) -> Result<Option<String>, PatternError> {
    let regex = parse(pattern)?;
    let source: Vec<char> = pattern.chars().collect();
    let text = emit::emit(&regex, &source);
    Ok((text != pattern).then_some(text))
}

impl Lit {
    /// The character, or `None` for a lone surrogate.
    pub fn char(&self) -> Option<char> {
        char::from_u32(self.code)
    }

    /// The characters it matches: itself, with its other cases under the `i` flag.
    pub fn set(&self) -> ClassUnicode {
        let mut set = match self.char() {
            Some(c) => ClassUnicode::new([ClassUnicodeRange::new(c, c)]),
            None => ClassUnicode::empty(),
        };
        if self.fold {
            // Fails only without regex-syntax's `unicode-case` feature, which is on; the
            // class then keeps its written case.
            let _ = set.try_case_fold_simple();
        }
        set
    }
}

impl Perl {
    /// The characters it matches.
    pub fn set(&self) -> ClassUnicode {
        let ranges: &[(char, char)] = match self.kind {
            PerlKind::Digit => &[('0', '9')],
            PerlKind::Word => &[('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')],
            PerlKind::Space => &ECMA_SPACE,
        };
        let mut set = ClassUnicode::new(ranges.iter().map(|&(a, b)| ClassUnicodeRange::new(a, b)));
        if self.negated {
            set.negate();
        }
        set
    }
}

/// ECMA-262's `\s`: WhiteSpace (tab, vertical tab, form feed, space, no-break space, the
/// byte-order mark, every `Zs`) and LineTerminator.
pub const ECMA_SPACE: [(char, char); 10] = [
    ('\t', '\r'),
    (' ', ' '),
    ('\u{a0}', '\u{a0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200a}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202f}', '\u{202f}'),
    ('\u{205f}', '\u{205f}'),
    ('\u{3000}', '\u{3000}'),
    ('\u{feff}', '\u{feff}'),
];

/// Whether `c` ends a line for `.`, `^` and `$` (ECMA-262's LineTerminator).
pub fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// Whether `c` is a word character for `\b` and `\w`.
pub fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Node {
    /// The characters `.` matches.
    pub fn dot_set(dot_all: bool) -> ClassUnicode {
        let mut set = ClassUnicode::new([ClassUnicodeRange::new('\0', char::MAX)]);
        if !dot_all {
            let mut terminators = ClassUnicode::new(
                ['\n', '\r', '\u{2028}', '\u{2029}'].map(|c| ClassUnicodeRange::new(c, c)),
            );
            terminators.negate();
            set.intersect(&terminators);
        }
        set
    }
}

impl Class {
    /// The characters the class matches. Surrogate code units are read as the characters
    /// they pair into: a supplementary character is in the class when both its halves are.
    pub fn set(&self) -> ClassUnicode {
        let mut set = ClassUnicode::empty();
        let mut units: Vec<(u32, u32)> = Vec::new();
        let mut add_units = |lo: u32, hi: u32, set: &mut ClassUnicode| {
            // The part of a range outside the surrogates is characters; the part inside is
            // paired below.
            let (s_lo, s_hi) = (lo.max(0xD800), hi.min(0xDFFF));
            if s_lo <= s_hi {
                units.push((s_lo, s_hi));
            }
            for (a, b) in [(lo, hi.min(0xD7FF)), (lo.max(0xE000), hi)] {
                if let (Some(a), Some(b)) = (char::from_u32(a), char::from_u32(b))
                    && a <= b
                {
                    set.union(&ClassUnicode::new([ClassUnicodeRange::new(a, b)]));
                }
            }
        };
        for item in &self.items {
            match item {
                ClassItem::Char(l) => add_units(l.code, l.code, &mut set),
                ClassItem::Range(a, b) => add_units(a.code, b.code, &mut set),
                ClassItem::Perl(p) => set.union(&p.set()),
                ClassItem::Property(p) => set.union(&p.set),
            }
        }
        set.union(&paired(&units));
        if self.fold {
            // Fails only without regex-syntax's `unicode-case` feature, which is on; the
            // class then keeps its written case.
            let _ = set.try_case_fold_simple();
        }
        if self.negated {
            set.negate();
        }
        set
    }
}

/// The supplementary characters whose high and low surrogates both lie in `units`.
fn paired(units: &[(u32, u32)]) -> ClassUnicode {
    let clip = |lo: u32, hi: u32| -> Vec<(u32, u32)> {
        units
            .iter()
            .filter_map(|&(a, b)| {
                let (a, b) = (a.max(lo), b.min(hi));
                (a <= b).then_some((a, b))
            })
            .collect()
    };
    let (highs, lows) = (clip(0xD800, 0xDBFF), clip(0xDC00, 0xDFFF));
    let mut ranges = Vec::new();
    let full_low = lows.len() == 1 && lows[0] == (0xDC00, 0xDFFF);
    let code = |h: u32, l: u32| 0x10000 + ((h - 0xD800) << 10) + (l - 0xDC00);
    for &(h_lo, h_hi) in &highs {
        if full_low {
            ranges.push((code(h_lo, 0xDC00), code(h_hi, 0xDFFF)));
            continue;
        }
        for h in h_lo..=h_hi {
            for &(l_lo, l_hi) in &lows {
                ranges.push((code(h, l_lo), code(h, l_hi)));
            }
        }
    }
    ClassUnicode::new(ranges.into_iter().filter_map(|(a, b)| {
        Some(ClassUnicodeRange::new(
            char::from_u32(a)?,
            char::from_u32(b)?,
        ))
    }))
}
