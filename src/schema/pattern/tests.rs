use super::*;
use crate::schema::generate::Rng;

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
fn patterns_with_lookaheads_generate_strings_the_lookaheads_accept() {
    let cases = [
        // workspaces-web: a domain whose labels do not start with `-`.
        r"^[a-zA-Z0-9]?((?!-)([A-Za-z0-9-]*[A-Za-z0-9])\.)+[a-zA-Z0-9]+$",
        // A password rule: one of each kind somewhere, within a length.
        r"^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)(?=.*[!@#$%^&*])[a-zA-Z\d!@#$%^&*]{8,64}$",
        r"(?=^.{3,10}$)(?!.*--)[a-z-]*$",
        r"^(?!aws:)[a-z:]+$",
        r"^(?=^\$)(?=^\S+$).*$",
        r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$",
        r"^(?!.*?(.)\1{3})[a-z]{6}$",
    ];
    for pattern in cases {
        for s in gen_many(pattern, 0, None) {
            let p = Pattern::parse(pattern).unwrap();
            assert_eq!(p.is_match(&s), Some(true), "{pattern}: {s:?}");
        }
    }
}

#[test]
fn the_matcher_reads_lookarounds_and_back_references() {
    let p = Pattern::parse(r"^(?=.*\d)(?!.*-$)[\w-]+$").unwrap();
    assert_eq!(p.is_match("ab1-c"), Some(true));
    assert_eq!(p.is_match("abc"), Some(false));
    assert_eq!(p.is_match("ab1-"), Some(false));
    let q = Pattern::parse(r"^(?<!x)a(?<=a)b$").unwrap();
    assert_eq!(q.is_match("ab"), Some(true));
    let r = Pattern::parse(r"^(\w)(\w)\2\1$").unwrap();
    assert_eq!(r.is_match("abba"), Some(true));
    assert_eq!(r.is_match("abab"), Some(false));
    // A group that took no part matches the empty string; a lookahead's group stays.
    let s = Pattern::parse(r"^(?:(a)|b)\1c$").unwrap();
    assert_eq!(s.is_match("bc"), Some(true));
    let t = Pattern::parse(r"^(?=(\w+))\1:$").unwrap();
    assert_eq!(t.is_match("abc:"), Some(true));
}

#[test]
fn a_back_reference_generates_what_its_group_did() {
    for s in gen_many(r"^([a-z]{2,4})-\1$", 0, None) {
        let (a, b) = s.split_once('-').unwrap();
        assert_eq!(a, b, "{s}");
    }
}

#[test]
fn a_pattern_that_is_not_ecma_262_is_an_error_naming_the_rule() {
    let e = Pattern::parse("a**").unwrap_err();
    assert!(e.contains("nothing it can repeat"), "{e}");
    // `\p{Print}` is ECMA-262's `p{Print}`: parsed, matched as the letters.
    let p = Pattern::parse(r"^\p{Print}$").unwrap();
    assert_eq!(p.is_match("p{Print}"), Some(true));
    assert_eq!(p.is_match("a"), Some(false));
}
