//! Media types: parsing `Content-Type` and `Accept`, matching a request body's type against the
//! declared `requestBody.content` keys (415), and choosing a response type by `Accept` (406).
//!
//! Implementation rationale: clients send all sorts of headers, so every parser here is total.
//! Unparsable pieces of a header are skipped rather than failing the whole header, and an
//! `Accept` header with nothing usable in it counts as absent (RFC 9110 lets a server ignore a
//! header it cannot read). Matching is strict about the media types themselves:
//! `application/json` does not accept `application/problem+json`, but `application/*` does.

/// A parsed media type or media range: `essence` is `type/subtype`, lowercased; parameter
/// names are lowercased and values unquoted (values keep their case, as RFC 9110 leaves value
/// case to each parameter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    pub essence: String,
    pub params: Vec<(String, String)>,
}

impl MediaType {
    /// The part before the `/` (`application`, or `*`).
    pub fn main_type(&self) -> &str {
        self.essence.split_once('/').map_or("", |(t, _)| t)
    }

    /// The part after the `/` (`problem+json`, or `*`).
    pub fn subtype(&self) -> &str {
        self.essence.split_once('/').map_or("", |(_, s)| s)
    }

    /// The value of a parameter, by case-insensitive name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// True for `*/*` and `type/*`.
    pub fn is_wildcard(&self) -> bool {
        self.subtype() == "*"
    }
}

/// Parses `type/subtype; name=value; ...`. Returns `None` when the type and subtype are not
/// both tokens (or `*/subtype`, which RFC 9110 does not allow). Malformed parameters are
/// skipped, so `application/json;` and `text/plain; =x` still parse.
pub fn parse_media_type(s: &str) -> Option<MediaType> {
    let mut parts = split_unquoted(s, ';').into_iter();
    let essence = parts.next()?.trim();
    let (main, sub) = essence.split_once('/')?;
    let (main, sub) = (main.trim(), sub.trim());
    if !is_token(main) || !is_token(sub) || (main == "*" && sub != "*") {
        return None;
    }
    let params = parts.filter_map(parse_param).collect();
    Some(MediaType {
        essence: format!("{}/{}", main.to_ascii_lowercase(), sub.to_ascii_lowercase()),
        params,
    })
}

/// True for `application/json` and any `application/*+json` (`problem+json`, `vnd.api+json`),
/// in any case and with any parameters.
pub fn is_json(media: &str) -> bool {
    // Most answers and bodies are plain `application/json`: known without parsing (which
    // allocates) on every request.
    if media.eq_ignore_ascii_case("application/json") {
        return true;
    }
    parse_media_type(media).is_some_and(|m| {
        m.main_type() == "application" && (m.subtype() == "json" || m.subtype().ends_with("+json"))
    })
}

/// True when `media`, parameters aside, is `essence` (`text/xml; charset=utf-8` is
/// `text/xml`), in any case.
pub fn essence_is(media: &str, essence: &str) -> bool {
    media
        .split(';')
        .next()
        .is_some_and(|e| e.trim().eq_ignore_ascii_case(essence))
}

/// The declared request media type that a request's `Content-Type` matches, the most specific
/// declaration first: exact type with all its parameters, exact type, `type/*+json`,
/// `type/*`, `*/*`. Ties go to the first declared. A declared parameter the request does not
/// send is not held against it (`application/json; charset=utf-8` accepts a bare
/// `application/json`), but a conflicting value is (`charset=latin1`); charset values compare
/// case-insensitively. `None` means the server answers 415.
pub fn match_content_type<'a>(content_type: &str, declared: &'a [String]) -> Option<&'a str> {
    // Most bodies come as a bare type (`application/json`): with no parameters to weigh, the
    // first declaration of the same type scores highest, which is found without parsing
    // (parsing allocates) on every request.
    if let Some((main, sub)) = bare_type(content_type)
        && let Some(key) = declared.iter().find(|key| {
            let essence = key.split(';').next().unwrap_or_default();
            essence.split_once('/').is_some_and(|(m, s)| {
                m.trim().eq_ignore_ascii_case(main) && s.trim().eq_ignore_ascii_case(sub)
            })
        })
    {
        return Some(key);
    }
    best_declared(content_type, declared)
}

/// [`match_content_type`] the long way: every declaration parsed and scored.
fn best_declared<'a>(content_type: &str, declared: &'a [String]) -> Option<&'a str> {
    let request = parse_media_type(content_type)?;
    if request.is_wildcard() {
        // A body is of one concrete type; `*/*` as a Content-Type says nothing.
        return None;
    }
    let mut best: Option<(u32, &str)> = None;
    for key in declared {
        let Some(range) = parse_media_type(key) else {
            continue;
        };
        let Some(score) = range_score(&range, &request) else {
            continue;
        };
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, key.as_str()));
        }
    }
    best.map(|(_, key)| key)
}

/// `type/subtype` of token characters, neither a wildcard, and nothing else.
fn bare_type(s: &str) -> Option<(&str, &str)> {
    s.split_once('/')
        .filter(|(main, sub)| is_token(main) && is_token(sub) && *main != "*" && *sub != "*")
}

/// One range of an `Accept` header with its weight in thousandths (`q=0.5` is 500).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRange {
    /// The range without its `q` parameter and anything after it (accept-ext).
    pub media: MediaType,
    pub q: u16,
}

/// Parses an `Accept` header into its ranges, in header order, skipping any range that does
/// not parse or whose `q` is not a number from 0 to 1. A lone `*` (sent by old Java clients)
/// reads as `*/*`.
pub fn parse_accept(header: &str) -> Vec<MediaRange> {
    split_unquoted(header, ',')
        .into_iter()
        .filter_map(|raw| {
            let raw = raw.trim();
            let fixed;
            let raw = if raw == "*" || raw.starts_with("*;") || raw.starts_with("* ;") {
                // `raw` starts with the one-byte `*`, so index 1 is a char boundary.
                fixed = format!("*/*{}", &raw[1..]);
                fixed.as_str()
            } else {
                raw
            };
            let mut media = parse_media_type(raw)?;
            let mut q = 1000;
            if let Some(at) = media.params.iter().position(|(n, _)| n == "q") {
                q = parse_qvalue(&media.params[at].1)?;
                // Parameters after `q` are accept-ext, not part of the range.
                media.params.truncate(at);
            }
            Some(MediaRange { media, q })
        })
        .collect()
}

/// Chooses the response media type from `offered` (the keys of a response's `content`,
/// which may include ranges such as `*/*`) by the request's `Accept` header, per RFC 9110:
/// each offered type takes the weight of the most specific range that matches it; `q=0`
/// excludes; the highest weight wins, ties going to the more specific matching range, then to
/// a concrete offered type over a wildcard one, then to the order offered. A missing or empty
/// header, or one in which no range parses, accepts anything, so the first offered type is
/// chosen. `None` means nothing offered is acceptable (406), or nothing is offered.
pub fn negotiate<'a>(accept: Option<&str>, offered: &'a [String]) -> Option<&'a str> {
    let ranges = accept.map(parse_accept).unwrap_or_default();
    if ranges.is_empty() {
        return offered.first().map(String::as_str);
    }
    // (q, specificity of the matching range, concreteness of the offer)
    let mut best: Option<((u16, u32, bool), &str)> = None;
    for key in offered {
        let Some(offer) = parse_media_type(key) else {
            continue;
        };
        let mut chosen: Option<(u32, u16)> = None;
        for range in &ranges {
            let Some(spec) = accept_score(&range.media, &offer) else {
                continue;
            };
            // The most specific range decides; among equally specific ones the kindest.
            if chosen.is_none_or(|(s, q)| spec > s || (spec == s && range.q > q)) {
                chosen = Some((spec, range.q));
            }
        }
        let Some((spec, q)) = chosen else { continue };
        if q == 0 {
            continue;
        }
        let rank = (q, spec, !offer.is_wildcard());
        if best.is_none_or(|(r, _)| rank > r) {
            best = Some((rank, key.as_str()));
        }
    }
    best.map(|(_, key)| key)
}

/// How specifically a declared request range matches a concrete request media type, or
/// `None` if it does not.
fn range_score(range: &MediaType, request: &MediaType) -> Option<u32> {
    let base = if range.essence == request.essence {
        4
    } else if range.main_type() == request.main_type()
        && range.subtype() == "*+json"
        && request.subtype().ends_with("+json")
    {
        3
    } else if range.main_type() == request.main_type() && range.subtype() == "*" {
        2
    } else if range.essence == "*/*" {
        1
    } else {
        return None;
    };
    let matched = params_compatible(&range.params, &request.params)?;
    Some(base * 100 + matched)
}

/// How specifically an `Accept` range matches an offered type (which may itself be a range),
/// or `None` if they do not overlap. `*/*` scores lowest, then `type/*`, then `type/subtype`,
/// then one more per parameter both sides agree on.
fn accept_score(range: &MediaType, offer: &MediaType) -> Option<u32> {
    let types_overlap = range.main_type() == "*"
        || offer.main_type() == "*"
        || range.main_type() == offer.main_type();
    let subtypes_overlap =
        range.subtype() == "*" || offer.subtype() == "*" || range.subtype() == offer.subtype();
    if !types_overlap || !subtypes_overlap {
        return None;
    }
    let base = if range.main_type() == "*" {
        0
    } else if range.subtype() == "*" {
        1
    } else {
        2
    };
    let matched = params_compatible(&range.params, &offer.params)?;
    Some(base * 100 + matched)
}

/// Counts the parameters of `wanted` that `have` carries with the same value; `None` when
/// one has a different value. Parameters `have` lacks are tolerated: a client asking for
/// `application/json; charset=utf-8` is served a spec's bare `application/json`.
fn params_compatible(wanted: &[(String, String)], have: &[(String, String)]) -> Option<u32> {
    let mut matched = 0;
    for (name, value) in wanted {
        match have.iter().find(|(n, _)| n == name) {
            None => {}
            Some((_, v)) if values_equal(name, v, value) => matched += 1,
            Some(_) => return None,
        }
    }
    Some(matched)
}

fn values_equal(name: &str, a: &str, b: &str) -> bool {
    // RFC 9110 8.3.2: charset values are case-insensitive; others are the parameter's call.
    if name == "charset" {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// A qvalue in thousandths. RFC 9110 allows `0`, `1` and up to three decimals; `.5` (which
/// some clients send) is tolerated.
fn parse_qvalue(s: &str) -> Option<u16> {
    let s = s.trim();
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.contains('.') || frac.len() > 3 {
        return None;
    }
    let whole: u16 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let thousandths = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
    let q = whole.checked_mul(1000)?.checked_add(thousandths)?;
    (q <= 1000).then_some(q)
}

fn parse_param(raw: &str) -> Option<(String, String)> {
    let (name, value) = raw.split_once('=')?;
    let name = name.trim();
    if !is_token(name) {
        return None;
    }
    let value = value.trim();
    let value = match value.strip_prefix('"') {
        Some(rest) => unquote(rest)?,
        // An empty value is not valid, but keeping it lets `q=` drop its range instead of
        // silently meaning q=1.
        None if value.is_empty() || is_token(value) => value.to_owned(),
        None => return None,
    };
    Some((name.to_ascii_lowercase(), value))
}

/// The content of a quoted-string whose opening quote is already consumed; `None` if it is
/// unterminated or followed by anything.
fn unquote(rest: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return chars.as_str().trim().is_empty().then_some(out),
            c => out.push(c),
        }
    }
    None
}

/// Splits on `sep` outside quoted-strings (a `,` or `;` inside quotes belongs to the value).
fn split_unquoted(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            out.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&s[start..]);
    out
}

/// RFC 9110 `token`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn media_types_are_lowercased_and_keep_unquoted_parameters() {
        let m = parse_media_type("Application/JSON; Charset=\"UTF-8\"; profile=x").unwrap();
        assert_eq!(m.essence, "application/json");
        assert_eq!(m.param("charset"), Some("UTF-8"));
        assert_eq!(m.param("PROFILE"), Some("x"));
        assert_eq!(m.main_type(), "application");
        assert_eq!(m.subtype(), "json");
    }

    #[test]
    fn quoted_parameter_values_may_hold_separators_and_escapes() {
        let m = parse_media_type(r#"text/plain; a="x;y,z"; b="q\"r""#).unwrap();
        assert_eq!(m.param("a"), Some("x;y,z"));
        assert_eq!(m.param("b"), Some("q\"r"));
    }

    #[test]
    fn malformed_parameters_are_skipped_but_the_type_survives() {
        let m = parse_media_type("application/json;").unwrap();
        assert!(m.params.is_empty());
        let m = parse_media_type("text/plain; =x; y; charset=utf-8; z=\"open; w=a b").unwrap();
        assert_eq!(m.params, vec![("charset".to_owned(), "utf-8".to_owned())]);
    }

    #[test]
    fn things_that_are_not_media_types_do_not_parse() {
        for s in [
            "",
            "json",
            "/json",
            "application/",
            "*/json",
            "a b/c",
            "text/plain x",
            ";;;",
        ] {
            assert_eq!(parse_media_type(s), None, "{s:?}");
        }
        assert!(parse_media_type("*/*").is_some());
        assert!(parse_media_type("image/*").is_some());
    }

    #[test]
    fn json_and_json_suffixed_application_types_are_json() {
        for s in [
            "application/json",
            "APPLICATION/Json; charset=utf-8",
            "application/problem+json",
            "application/vnd.api+json",
            "application/merge-patch+json",
        ] {
            assert!(is_json(s), "{s}");
        }
        for s in [
            "text/json",
            "application/jsonx",
            "application/json-seq",
            "text/plain",
            "*/*",
            "application/*",
            "garbage",
        ] {
            assert!(!is_json(s), "{s}");
        }
    }

    #[test]
    fn a_content_type_with_a_charset_matches_the_bare_declaration() {
        let declared = list(&["application/json"]);
        assert_eq!(
            match_content_type("application/json; charset=utf-8", &declared),
            Some("application/json")
        );
        assert_eq!(
            match_content_type("Application/JSON", &declared),
            Some("application/json")
        );
    }

    #[test]
    fn a_declared_charset_is_matched_case_insensitively_and_conflicts_are_refused() {
        let declared = list(&["application/json; charset=utf-8"]);
        assert_eq!(
            match_content_type("application/json; charset=UTF-8", &declared),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            match_content_type("application/json", &declared),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            match_content_type("application/json; charset=latin1", &declared),
            None
        );
    }

    #[test]
    fn the_most_specific_declared_type_wins_whatever_its_position() {
        let declared = list(&["*/*", "application/*", "application/json", "text/plain"]);
        assert_eq!(
            match_content_type("application/json", &declared),
            Some("application/json")
        );
        assert_eq!(
            match_content_type("application/xml", &declared),
            Some("application/*")
        );
        assert_eq!(match_content_type("image/png", &declared), Some("*/*"));
        let declared = list(&["application/json", "application/json; charset=utf-8"]);
        assert_eq!(
            match_content_type("application/json; charset=utf-8", &declared),
            Some("application/json; charset=utf-8")
        );
    }

    #[test]
    fn a_json_suffix_range_outranks_a_plain_subtype_wildcard() {
        let declared = list(&["application/*", "application/*+json"]);
        assert_eq!(
            match_content_type("application/merge-patch+json", &declared),
            Some("application/*+json")
        );
        assert_eq!(
            match_content_type("application/xml", &declared),
            Some("application/*")
        );
    }

    #[test]
    fn an_undeclared_content_type_is_unsupported() {
        let declared = list(&["application/json"]);
        assert_eq!(match_content_type("text/plain", &declared), None);
        assert_eq!(
            match_content_type("application/problem+json", &declared),
            None
        );
        assert_eq!(match_content_type("", &declared), None);
        assert_eq!(match_content_type("nonsense", &declared), None);
        assert_eq!(match_content_type("*/*", &list(&["*/*"])), None);
    }

    #[test]
    fn a_missing_or_empty_accept_header_takes_the_first_offered() {
        let offered = list(&["application/xml", "application/json"]);
        assert_eq!(negotiate(None, &offered), Some("application/xml"));
        assert_eq!(negotiate(Some(""), &offered), Some("application/xml"));
        assert_eq!(negotiate(Some("  "), &offered), Some("application/xml"));
        assert_eq!(negotiate(None, &[]), None);
    }

    #[test]
    fn an_accept_header_of_only_garbage_counts_as_absent() {
        let offered = list(&["application/json"]);
        assert_eq!(negotiate(Some(";;;,"), &offered), Some("application/json"));
        assert_eq!(
            negotiate(Some("text/html;q=abc, ???"), &offered),
            Some("application/json")
        );
    }

    #[test]
    fn unparsable_ranges_are_ignored_beside_good_ones() {
        let offered = list(&["application/json", "text/plain"]);
        assert_eq!(
            negotiate(Some(";;;, text/plain"), &offered),
            Some("text/plain")
        );
    }

    #[test]
    fn star_slash_star_accepts_the_first_offered() {
        let offered = list(&["application/json", "application/xml"]);
        assert_eq!(negotiate(Some("*/*"), &offered), Some("application/json"));
        assert_eq!(negotiate(Some("*"), &offered), Some("application/json"));
    }

    #[test]
    fn the_highest_q_value_wins_regardless_of_order() {
        let offered = list(&["application/xml", "application/json"]);
        assert_eq!(
            negotiate(
                Some("application/xml;q=0.5, application/json;q=0.9"),
                &offered
            ),
            Some("application/json")
        );
        assert_eq!(
            negotiate(Some("application/json;q=.2, application/xml"), &offered),
            Some("application/xml")
        );
    }

    #[test]
    fn a_browser_accept_header_prefers_xml_over_the_wildcard() {
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        let offered = list(&["application/json", "application/xml"]);
        assert_eq!(negotiate(Some(browser), &offered), Some("application/xml"));
        let offered = list(&["application/json"]);
        assert_eq!(negotiate(Some(browser), &offered), Some("application/json"));
    }

    #[test]
    fn q_zero_excludes_a_type_even_when_a_wildcard_would_accept_it() {
        let offered = list(&["application/json", "application/xml"]);
        assert_eq!(
            negotiate(Some("application/json;q=0, */*"), &offered),
            Some("application/xml")
        );
        assert_eq!(
            negotiate(Some("application/json;q=0"), &list(&["application/json"])),
            None
        );
    }

    #[test]
    fn nothing_acceptable_means_none() {
        let offered = list(&["application/json"]);
        assert_eq!(negotiate(Some("text/html"), &offered), None);
        assert_eq!(negotiate(Some("application/xml, text/*"), &offered), None);
        assert_eq!(negotiate(Some("*/*;q=0"), &offered), None);
    }

    #[test]
    fn json_does_not_accept_problem_json_but_the_application_wildcard_does() {
        let offered = list(&["application/problem+json"]);
        assert_eq!(negotiate(Some("application/json"), &offered), None);
        assert_eq!(
            negotiate(Some("application/*"), &offered),
            Some("application/problem+json")
        );
        assert_eq!(
            negotiate(Some("application/json, application/problem+json"), &offered),
            Some("application/problem+json")
        );
    }

    #[test]
    fn on_equal_q_the_more_specific_range_wins() {
        let offered = list(&["text/plain", "application/json"]);
        // Both at q=1: text/plain only through */*, application/json by name.
        assert_eq!(
            negotiate(Some("*/*, application/json"), &offered),
            Some("application/json")
        );
        // application/* beats */* for the same q.
        let offered = list(&["text/plain", "application/xml"]);
        assert_eq!(
            negotiate(Some("*/*;q=0.5, application/*;q=0.5"), &offered),
            Some("application/xml")
        );
    }

    #[test]
    fn the_most_specific_matching_range_sets_the_q_even_if_a_broader_one_is_higher() {
        let offered = list(&["text/html", "text/plain"]);
        // text/html is named at 0.1; text/* gives text/plain 0.9.
        assert_eq!(
            negotiate(Some("text/html;q=0.1, text/*;q=0.9"), &offered),
            Some("text/plain")
        );
    }

    #[test]
    fn on_a_full_tie_the_offered_order_decides() {
        let offered = list(&["application/xml", "application/json"]);
        assert_eq!(
            negotiate(Some("application/json, application/xml"), &offered),
            Some("application/xml")
        );
        let offered = list(&["application/json", "application/xml"]);
        assert_eq!(
            negotiate(Some("application/xml, application/json"), &offered),
            Some("application/json")
        );
    }

    #[test]
    fn offered_wildcards_match_any_accepted_type_but_concrete_offers_win_ties() {
        assert_eq!(negotiate(Some("image/png"), &list(&["*/*"])), Some("*/*"));
        assert_eq!(
            negotiate(Some("text/csv"), &list(&["application/json", "text/*"])),
            Some("text/*")
        );
        assert_eq!(
            negotiate(Some("*/*"), &list(&["*/*", "application/json"])),
            Some("application/json")
        );
    }

    #[test]
    fn accept_parameters_must_agree_with_offered_parameters() {
        let offered = list(&["text/html; level=1", "text/html; level=2"]);
        assert_eq!(
            negotiate(Some("text/html;level=2"), &offered),
            Some("text/html; level=2")
        );
        assert_eq!(
            negotiate(
                Some("application/json; charset=utf-8"),
                &list(&["application/json"])
            ),
            Some("application/json")
        );
        assert_eq!(
            negotiate(
                Some("application/json; charset=utf-16"),
                &list(&["application/json; charset=utf-8"])
            ),
            None
        );
    }

    #[test]
    fn accept_extensions_after_q_do_not_restrict_the_range() {
        let ranges = parse_accept("text/html; level=1; q=0.7; ext=foo, */*");
        assert_eq!(ranges.len(), 2);
        assert_eq!(ranges[0].q, 700);
        assert_eq!(
            ranges[0].media.params,
            vec![("level".to_owned(), "1".to_owned())]
        );
        assert_eq!(ranges[1].q, 1000);
    }

    #[test]
    fn q_values_outside_zero_to_one_or_with_four_decimals_drop_the_range() {
        for bad in ["1.5", "2", "-1", "0.1234", "", "x", "0..1", "1e0"] {
            let ranges = parse_accept(&format!("text/plain;q={bad}"));
            assert!(ranges.is_empty(), "q={bad} gave {ranges:?}");
        }
        for (good, want) in [
            ("0", 0),
            ("1", 1000),
            ("1.000", 1000),
            ("0.001", 1),
            ("0.8", 800),
        ] {
            assert_eq!(parse_accept(&format!("a/b;q={good}"))[0].q, want, "{good}");
        }
    }

    proptest! {
        #[test]
        fn header_parsers_never_panic(s in any::<String>(), t in "[a-z*/;=,\" q.0-9+]{0,40}") {
            let offered = list(&["application/json", "*/*", "text/*", "application/problem+json"]);
            for input in [&s, &t] {
                let _ = parse_media_type(input);
                let _ = is_json(input);
                let _ = parse_accept(input);
                let _ = match_content_type(input, &offered);
                let _ = negotiate(Some(input), &offered);
            }
        }

        #[test]
        fn negotiation_only_ever_returns_something_offered(
            accept in "[a-z*/;=,q.0-9 ]{0,40}",
            offered in proptest::collection::vec("(text|application|\\*)/(json|html|\\*|x\\+json)", 0..4),
        ) {
            if let Some(got) = negotiate(Some(&accept), &offered) {
                prop_assert!(offered.iter().any(|o| o == got));
            }
        }

        #[test]
        fn a_bare_content_type_matches_as_the_full_scoring_would_match_it(
            content_type in "(application|text|Application|\\*)/(json|JSON|xml|\\*|x\\+json)",
            declared in proptest::collection::vec(
                "(application|text|APPLICATION|\\*)/(json|Json|xml|\\*|\\*\\+json)( ?; ?charset=(utf-8|latin1))?",
                0..5,
            ),
        ) {
            prop_assert_eq!(
                match_content_type(&content_type, &declared),
                best_declared(&content_type, &declared)
            );
        }

        #[test]
        fn a_single_accepted_type_that_is_offered_is_chosen(
            sub in "[a-z]{1,8}",
            others in proptest::collection::vec("[a-z]{1,8}", 0..4),
        ) {
            let wanted = format!("application/{sub}");
            let mut offered: Vec<String> =
                others.iter().map(|o| format!("text/{o}")).collect();
            offered.push(wanted.clone());
            prop_assert_eq!(negotiate(Some(&wanted), &offered), Some(wanted.as_str()));
        }
    }
}
