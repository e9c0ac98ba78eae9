//! Strategies of strings matching an ECMA-262 `pattern`, through proptest's regex generator.
//!
//! proptest generates from a `regex_syntax` `Hir`, whose syntax and classes differ from ECMA's
//! in a few places that matter for generation: `\d` and `\w` are Unicode-wide there (ASCII in
//! ECMA), `.` excludes only `\n`, and anchors are not supported at all. The pattern's text is
//! translated first, anchors and word boundaries are dropped from the `Hir`, and every
//! generated string is checked against the original pattern (`pattern_gen`), so a dropped
//! anchor in the middle of a pattern can only cost rejections, never a wrong value.

use proptest::prelude::*;
use regex_syntax::hir::{Hir, HirKind};

use crate::schema::pattern::Pattern;

/// Strings the ECMA `pattern` matches (a full match of the pattern, which contains a match
/// whether or not the pattern is anchored), or `None` when the pattern cannot be generated
/// from (back-references, look-around).
pub(crate) fn matching(pattern: &str) -> Option<BoxedStrategy<String>> {
    let checker = Pattern::parse(pattern).ok()?;
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(&translate(pattern))
        .ok()?;
    let hir = strip_looks(&hir);
    let strategy = proptest::string::string_regex_parsed(&hir).ok()?;
    Some(
        strategy
            .prop_filter("matches the ECMA pattern", move |s| {
                checker.is_match(s) != Some(false)
            })
            .boxed(),
    )
}

/// Rewrites ECMA-only meanings into `regex_syntax` syntax (see the module doc).
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    out.push_str("\\\\");
                    break;
                };
                match (e, in_class) {
                    ('d', false) => out.push_str("[0-9]"),
                    ('d', true) => out.push_str("0-9"),
                    ('w', false) => out.push_str("[0-9A-Za-z_]"),
                    ('w', true) => out.push_str("0-9A-Za-z_"),
                    ('u', _) => {
                        let hex: String = chars.clone().take(4).collect();
                        if hex.len() == 4 && hex.chars().all(|h| h.is_ascii_hexdigit()) {
                            for _ in 0..4 {
                                chars.next();
                            }
                            out.push_str(&format!("\\x{{{hex}}}"));
                        } else {
                            out.push('u');
                        }
                    }
                    ('/', _) => out.push('/'),
                    (e, _) => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
            }
            '[' => out.push_str("\\["),
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '.' if !in_class => out.push_str("[^\\n\\r\\x{2028}\\x{2029}]"),
            c => out.push(c),
        }
    }
    out
}

/// The same expression without anchors or word boundaries (proptest cannot generate them).
fn strip_looks(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Look(_) => Hir::empty(),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(strip_looks).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(strip_looks).collect()),
        HirKind::Capture(c) => strip_looks(&c.sub),
        HirKind::Repetition(r) => {
            let mut r = r.clone();
            r.sub = Box::new(strip_looks(&r.sub));
            Hir::repetition(r)
        }
        _ => hir.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::test_runner::TestRunner;

    fn samples(pattern: &str) -> Vec<String> {
        let s = matching(pattern).unwrap();
        let mut runner = TestRunner::deterministic();
        (0..64)
            .map(|_| s.new_tree(&mut runner).unwrap().current())
            .collect()
    }

    #[test]
    fn anchored_patterns_generate_whole_matches() {
        for s in samples("^[A-Z]{3}-\\d{2,4}$") {
            let (head, tail) = s.split_once('-').unwrap();
            assert_eq!(head.len(), 3, "{s}");
            assert!(tail.chars().all(|c| c.is_ascii_digit()), "{s}");
        }
    }

    #[test]
    fn ecma_digit_and_word_classes_stay_ascii() {
        for s in samples("^[\\w.]+@\\d+$") {
            assert!(s.is_ascii(), "{s}");
        }
    }

    #[test]
    fn unanchored_patterns_generate_strings_containing_a_match() {
        let p = Pattern::parse("ab+c").unwrap();
        for s in samples("ab+c") {
            assert_eq!(p.is_match(&s), Some(true), "{s}");
        }
    }

    #[test]
    fn escaped_slashes_and_unicode_escapes_are_read_as_ecma_reads_them() {
        assert_eq!(translate("a\\/b\\u00e9"), "a/b\\x{00e9}");
        assert!(matching("^\\/v\\d$").is_some());
    }
}
