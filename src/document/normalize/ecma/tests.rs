//! The reading of ECMA-262 patterns, checked three ways for each pattern of one table: the
//! text the loader writes, what the validators' engine then matches, and what the makers of
//! strings (`schema::pattern`) match and generate.

use serde_json::json;

use super::*;
use crate::schema::pattern::Pattern;

/// An ECMA-262 pattern, the text written for the Rust engines (`None`: as written), strings
/// it matches and strings it does not.
type Case = (
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
    &'static [&'static str],
);

#[rustfmt::skip]
const TABLE: &[Case] = &[
    // Identity escapes: an escaped character with no meaning of its own is that character.
    (r"\p{Print}+", Some(r"p\{Print\}+"), &["p{Print}", "xp{Print}}}"], &["hello", "Print"]),
    (r"^\p\{ASCII\}*$", Some(r"^p\{ASCII\}*$"), &["p{ASCII", "p{ASCII}}"], &["abc", ""]),
    (r"^\P\{C\}*$", Some(r"^P\{C\}*$"), &["P{C", "P{C}"], &["x"]),
    (r"\A[a-z]+\z", Some(r"A[a-z]+z"), &["Aabcz"], &["abc"]),
    (r"^\<a\>$", Some(r"^<a>$"), &["<a>"], &["a"]),
    (r"^\8\é$", Some(r"^8é$"), &["8é"], &["8"]),
    (r"^a\-b\/c\_$", None, &["a-b/c_"], &["ab/c_"]),
    (r"^\x{41}$", Some(r"^x{41}$"), &["xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"], &["A"]),
    (r"^\k<x>$", Some(r"^k<x>$"), &["k<x>"], &["x"]),
    // Braces and brackets that are not syntax are characters.
    (r"^{x}]$", Some(r"^\{x\}\]$"), &["{x}]"], &["x"]),
    (r"[a-z]{1-70}", Some(r"[a-z]\{1-70\}"), &["a{1-70}"], &["aaaa"]),
    (r"^a{,2}$", Some(r"^a\{,2\}$"), &["a{,2}"], &["aa", "a"]),
    (r"^[[:alpha:]]$", Some(r"^[\[:alpha:]\]$"), &["a]", ":]"], &["a", "b]"]),
    (r"^a{2}[{}]$", None, &["aa{", "aa}"], &["a{"]),
    // Classes: `[]`, `[^]`, a `-` beside a class escape, `\b`, a doubled `&`.
    (r"^[^]$", Some(r"^[\s\S]$"), &["x", "\n"], &["", "xy"]),
    (r"^[]$", Some(r"^[^\s\S]$"), &[], &["", "a"]),
    (r"^[\w-.+]+@[\w-.+]+$", Some(r"^[\w\-.+]+@[\w\-.+]+$"), &["a-b.c+d@x-y.z"], &["a b@x"]),
    (r"^[\d-z]+$", Some(r"^[\d\-z]+$"), &["5-z"], &["a"]),
    (r"^[a-z-_]+$", None, &["a-_"], &["A"]),
    (r"^[--/]+$", Some(r"^[\--/]+$"), &["-./"], &["a"]),
    (r"^[\b]$", Some(r"^[\x08]$"), &["\u{8}"], &["b"]),
    (r"^[a&&b]+$", Some(r"^[a\&\&b]+$"), &["a&b"], &["c"]),
    // Control, NUL and octal escapes.
    (r"^\cJ$", Some(r"^\x0A$"), &["\n"], &["cJ"]),
    (r"^\c1$", Some(r"^\\c1$"), &["\\c1"], &["c1"]),
    (r"^\0$", Some(r"^\x00$"), &["\0"], &["0"]),
    (r"^[\000-\037]+$", Some(r"^[\x00-\x1F]+$"), &["\t\u{1}"], &["a"]),
    (r"^\12$", Some(r"^\x0A$"), &["\n"], &["12"]),
    // Back-references, when the groups are there.
    (r"^(a)\1$", None, &["aa"], &["a", "ab"]),
    (r"^(?<y>\d{2})-\k<y>$", Some(r"^(?<y>[0-9]{2})-\1$"), &["20-20"], &["20-21"]),
    (r"^(a)\10$", Some(r"^(a)\x08$"), &["a\u{8}"], &["aa0"]),
    // ASCII-sized `\d`, `\w`, ECMA's `\s` and `.`; lookarounds and back-references write
    // them out, since the engine then runs the pattern as written.
    (r"^\d+$", None, &["123"], &["٣", "1a"]),
    (r"^\w+$", None, &["a_1"], &["é"]),
    (r"^\s$", None, &["\u{feff}", "\u{a0}"], &["\u{85}", "a"]),
    (r"^.$", None, &["a"], &["\r", "\u{2028}", "\n"]),
    (r"^(?=.*\d)\w+$", Some(r"^(?=[^\n\r\u2028\u2029]*[0-9])[0-9A-Z_a-z]+$"), &["ab1"], &["abc", "ab٣"]),
    (r"^(?!-)[a-z-]+$", None, &["ab-c"], &["-ab"]),
    (r"^(?=a)*b$", Some(r"^(?:(?=a)|)b$"), &["b"], &["ab"]),
    (r"^(?:a|b(?=c))+c$", None, &["abc", "ac"], &["abbc"]),
    (r"^a(?<!b)c$", None, &["ac"], &["bc"]),
    // Unicode property escapes, as the `u` flag reads them, when the tables know the name.
    (r"^\p{L}+$", None, &["héllo", "日本"], &["a1"]),
    (r"^\P{L}$", None, &["1"], &["a"]),
    (r"^[\p{Lu}\d]+$", None, &["A1"], &["a"]),
    (r"^\p{Script=Greek}+$", None, &["αβ"], &["ab"]),
    // Code points, surrogate pairs, and classes of every surrogate.
    (r"^\u{1F600}$", None, &["😀"], &["u"]),
    (r"^\uD83D\uDE00$", Some(r"^\u{1F600}$"), &["😀"], &["u"]),
    (r"^\u0041\x42$", None, &["AB"], &["ab"]),
    (r"^[\u0020-\uD7FF\uE000-\uFFFD\uD800-\uDBFF\uDC00-\uDFFF]*$",
     Some(r"^[\u0020-\uD7FF\uE000-\uFFFD𐀀-\u{10FFFF}]*$"), &["a😀"], &["\u{1}"]),
    (r"^\uD800$", Some(r"^[^\s\S]$"), &[], &["", "a"]),
    // Flags in modifier groups.
    (r"^(?i:abc)d$", None, &["ABCd", "abcd"], &["abcD"]),
    (r"^(?s:.)$", Some(r"^(?s:[\s\S])$"), &["\n"], &[""]),
];

#[test]
fn ecma_patterns_are_written_for_the_engine_with_the_meaning_ecma_262_gives_them() {
    for &(pattern, written, matches, rejects) in TABLE {
        let got = translate(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        assert_eq!(got.as_deref(), written, "{pattern}");
        let text = got.as_deref().unwrap_or(pattern);
        let engine = jsonschema::validator_for(&json!({ "pattern": text }))
            .unwrap_or_else(|e| panic!("{pattern} as {text}: {e}"));
        let walker = Pattern::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        for s in matches.iter() {
            assert!(
                engine.is_valid(&json!(s)),
                "{pattern} as {text} should match {s:?}"
            );
            assert_eq!(walker.is_match(s), Some(true), "{pattern}: {s:?}");
        }
        for s in rejects.iter() {
            assert!(
                !engine.is_valid(&json!(s)),
                "{pattern} as {text} should not match {s:?}"
            );
            assert_eq!(walker.is_match(s), Some(false), "{pattern}: {s:?}");
        }
    }
}

#[test]
fn the_makers_of_strings_generate_what_the_engine_matches() {
    for &(pattern, _, matches, _) in TABLE {
        if matches.is_empty() {
            continue;
        }
        let text = translate(pattern)
            .unwrap()
            .unwrap_or_else(|| pattern.to_owned());
        let engine = jsonschema::validator_for(&json!({ "pattern": text })).unwrap();
        let s = crate::schema::generate::generate_string_for_pattern(&text, 7, 0, None)
            .unwrap_or_else(|| panic!("no string for {pattern}"));
        assert!(engine.is_valid(&json!(s)), "{pattern} as {text}: {s:?}");
    }
}

#[test]
fn a_written_pattern_is_written_again_unchanged() {
    for &(pattern, ..) in TABLE {
        if let Some(text) = translate(pattern).unwrap() {
            assert_eq!(translate(&text).unwrap(), None, "{pattern} as {text}");
        }
    }
}

#[test]
fn what_is_not_ecma_262_is_refused_with_the_rule_and_the_place() {
    let cases: &[(&str, &str, usize)] = &[
        ("a**", "a quantifier follows nothing it can repeat", 3),
        ("^*", "a quantifier follows nothing it can repeat", 2),
        ("{2}", "a quantifier follows nothing it can repeat", 1),
        (
            "a{3,2}",
            "the numbers of a `{}` quantifier are out of order",
            2,
        ),
        ("(ab", "a group `(` is not closed", 1),
        ("ab)", "a `)` closes no group", 3),
        ("[ab", "a character class `[` is not closed", 1),
        ("[z-a]", "a range in a character class is out of order", 2),
        ("ab\\", "a `\\` ends the pattern: it escapes nothing", 3),
        ("(?i)a", "`(?` starts no group ECMA-262 knows", 1),
        ("(?ii:a)", "a modifier group takes each of the flags", 4),
        ("(?<1>a)", "a group name must be an identifier", 4),
        ("(?<n>a)(?<n>b)", "two groups have the same name", 11),
        (
            "(?<a>x)\\k<b>",
            "`\\k<name>` names no group of the pattern",
            8,
        ),
        ("(?<=a)*", "a quantifier follows nothing it can repeat", 7),
    ];
    for &(pattern, rule, at) in cases {
        let e = translate(pattern).expect_err(pattern);
        assert!(e.rule.starts_with(rule), "{pattern}: {e}");
        assert_eq!(e.at + 1, at, "{pattern}: {e}");
        assert!(e.to_string().contains(&format!("at character {at}")), "{e}");
    }
}

#[test]
fn groups_nested_past_the_limit_are_refused_not_a_stack_overflow() {
    let deep = format!(
        "{}a{}",
        "(".repeat(MAX_NESTING + 1),
        ")".repeat(MAX_NESTING + 1)
    );
    let e = translate(&deep).expect_err("too deep");
    assert!(e.rule.contains("nested"), "{e}");
    let fine = format!("{}a{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    assert!(translate(&fine).is_ok());
}
