//! Answers from the spec: which declared response, which media type, which body, which
//! headers; and the one check every answer the mock sends is judged by.
//!
//! The body is the named example asked for, else the first named `examples` entry, else
//! `example`, else data generated from the schema. Generated data is deterministic: its
//! seed comes from `--seed` and the operation, so the same request gives the same body on
//! every run, and it is generated once and kept. Prism's `Prefer` header picks the status
//! (`code=`), the example (`example=`) or fresh data per request (`dynamic=true`).
//!
//! - `media`: one declared media type and the body it answers with.
//! - `headers`: declared header values as they are sent (never a framing header).
//! - `check`: an answer judged against the response declared for its status.
//! - `xml`: a JSON value written as XML, for a body declared in an XML media type.

mod check;
mod headers;
mod media;
pub mod xml;

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use serde_json::Value;

use crate::operation::params::ParamPlan;
use crate::schema::validators::{CompiledSchema, Matchers};

pub use check::{Body, Sent, check, header_violations, judge_body, undeclared_status};
pub use headers::{header_value, item_location, names_a_uri, never_sent, uri_reference};
pub use media::{NoAnswer, ResponseMedia, Tried};

/// A key of an operation's `responses`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKey {
    Code(u16),
    /// `2XX` and friends: the leading digit.
    Range(u16),
    Default,
}

impl StatusKey {
    pub fn parse(key: &str) -> Option<StatusKey> {
        if key == "default" {
            return Some(StatusKey::Default);
        }
        let upper = key.to_ascii_uppercase();
        if upper.len() == 3 && upper.ends_with("XX") {
            let digit = upper[..1]
                .parse::<u16>()
                .ok()
                .filter(|d| (1..=5).contains(d))?;
            return Some(StatusKey::Range(digit));
        }
        key.parse::<u16>()
            .ok()
            .filter(|c| (100..=599).contains(c))
            .map(StatusKey::Code)
    }

    /// Whether an answer with `status` is described by this key.
    pub fn covers(self, status: u16) -> bool {
        match self {
            StatusKey::Code(c) => c == status,
            StatusKey::Range(d) => status / 100 == d,
            StatusKey::Default => true,
        }
    }

    /// The status to answer with when this response is chosen.
    pub fn concrete(self) -> u16 {
        match self {
            StatusKey::Code(c) => c,
            StatusKey::Range(d) => d * 100,
            StatusKey::Default => 200,
        }
    }
}

/// A body ready to send: the value (for checks) and its bytes.
#[derive(Debug, Clone)]
pub struct Answer {
    pub value: Arc<Value>,
    pub bytes: Bytes,
}

impl Answer {
    /// Serialises `value` for `media_type`: JSON, or a string as plain text for other types.
    pub fn new(value: Arc<Value>, media_type: &str) -> Answer {
        let bytes = match &*value {
            Value::String(s) if !crate::operation::negotiate::is_json(media_type) => {
                Bytes::from(s.clone())
            }
            other => Bytes::from(serde_json::to_vec(other).unwrap_or_default()),
        };
        Answer { value, bytes }
    }
}

/// A declared response.
#[derive(Debug)]
pub struct ResponseSpec {
    pub status: StatusKey,
    pub media: Vec<ResponseMedia>,
    /// The media types offered, for `Accept` negotiation.
    pub offered: Vec<String>,
    /// Declared headers (name, resolved Header object).
    pub headers: Vec<(String, Value)>,
    /// The declared headers compiled for checking answers (contract checks).
    pub header_checks: Vec<HeaderCheck>,
    header_values: OnceLock<Vec<(HeaderName, HeaderValue)>>,
}

impl ResponseSpec {
    /// Headers the HTTP layer writes ([`never_sent`]) are dropped from `headers`.
    pub fn new(
        status: StatusKey,
        media: Vec<ResponseMedia>,
        mut headers: Vec<(String, Value)>,
    ) -> Self {
        headers.retain(|(name, _)| !never_sent(name));
        let offered = media.iter().map(|m| m.media_type.clone()).collect();
        Self {
            status,
            media,
            offered,
            headers,
            header_checks: Vec::new(),
            header_values: OnceLock::new(),
        }
    }

    /// The checks of headers the HTTP layer writes ([`never_sent`]) are dropped: an answer
    /// is never judged by a header the mock does not send.
    pub fn with_header_checks(mut self, mut checks: Vec<HeaderCheck>) -> Self {
        checks.retain(|c| !never_sent(&c.name));
        self.header_checks = checks;
        self
    }

    /// The declared headers' values, made once (from examples or generated with `seed`).
    pub fn header_values(&self, matchers: &Matchers, seed: u64) -> &[(HeaderName, HeaderValue)] {
        self.header_values.get_or_init(|| {
            let mut out = Vec::new();
            for (i, (name, spec)) in self.headers.iter().enumerate() {
                let seed = seed.wrapping_add(i as u64);
                let Some(value) = header_value(matchers, name, spec, seed) else {
                    continue;
                };
                if let (Ok(n), Ok(v)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(&value),
                ) {
                    out.push((n, v));
                }
            }
            out
        })
    }

    pub fn media_for(&self, media_type: &str) -> Option<&ResponseMedia> {
        self.media.iter().find(|m| m.media_type == media_type)
    }
}

/// A declared response header, read like a `simple`-style header parameter and validated
/// against its schema.
#[derive(Debug)]
pub struct HeaderCheck {
    pub name: String,
    pub required: bool,
    /// How its text becomes a typed value; `None` when the Header object cannot be read so.
    pub plan: Option<ParamPlan>,
    pub validator: Option<Arc<CompiledSchema>>,
}

/// The longest delay an answer may be given, in milliseconds (`Prefer: delay=`, `--delay`).
pub const MAX_DELAY_MS: u32 = 60_000;

/// What a `Prefer` header asks for (Prism's vocabulary, and `delay` as in Prism's and
/// WireMock's fixed delays).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prefer {
    pub code: Option<u16>,
    pub example: Option<String>,
    pub dynamic: bool,
    /// Milliseconds to wait before answering, at most [`MAX_DELAY_MS`].
    pub delay: Option<u32>,
    /// How the answer's delivery should break (`fault=reset`, `empty`, `truncated`,
    /// `malformed`).
    pub fault: Option<Fault>,
}

/// A broken delivery a client asks for with `Prefer: fault=`: the request is handled as
/// usual, and the server's edge breaks the answer on its way out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The connection is reset (RST), with no answer.
    Reset,
    /// The connection is closed with no byte of answer.
    Empty,
    /// The head announces the whole body; half of it comes, then the connection closes.
    Truncated,
    /// A whole answer whose body is no JSON (cut at half, with a stray `{`).
    Malformed,
}

impl Fault {
    /// Reads `reset`, `empty`, `truncated` or `malformed` (any case).
    pub fn parse(text: &str) -> Option<Fault> {
        [
            Fault::Reset,
            Fault::Empty,
            Fault::Truncated,
            Fault::Malformed,
        ]
        .into_iter()
        .find(|f| f.as_str().eq_ignore_ascii_case(text))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Reset => "reset",
            Fault::Empty => "empty",
            Fault::Truncated => "truncated",
            Fault::Malformed => "malformed",
        }
    }
}

impl Prefer {
    /// Reads `code=404, example=name, dynamic=true, delay=200, fault=reset`; unknown preferences are
    /// ignored, as RFC 7240 says, and so are values that cannot be read (a `delay` over
    /// [`MAX_DELAY_MS`] among them).
    pub fn parse(header: Option<&str>) -> Prefer {
        let mut out = Prefer::default();
        let Some(header) = header else { return out };
        for part in header.split([',', ';']) {
            let Some((k, v)) = part.split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"');
            match k.trim().to_ascii_lowercase().as_str() {
                "code" => out.code = v.parse().ok(),
                "example" => out.example = Some(v.to_owned()),
                "dynamic" => out.dynamic = v.eq_ignore_ascii_case("true"),
                "delay" => out.delay = v.parse().ok().filter(|ms| *ms <= MAX_DELAY_MS),
                "fault" => out.fault = Fault::parse(v),
                _ => {}
            }
        }
        out
    }
}

/// The statuses that say what is wrong with the request itself: its form, its credentials, its
/// size, its rate. The mock judged all of that before answering, so a request it answers
/// without a declared success gets none of them (Nordigen's `DELETE /agreements/enduser/{id}/`
/// declares only 400, 401, 403, 404 and 429: a valid request is answered 404, not 400).
const REFUSALS: &[u16] = &[
    400, 401, 403, 405, 406, 407, 411, 413, 414, 415, 422, 429, 431,
];

/// The response a successful request gets: the preferred code if declared, else the lowest
/// declared 2xx, else 2XX, else the lowest 3xx, else `default`, else the first declared that
/// is no refusal of the request ([`REFUSALS`]), else the first declared.
pub fn choose(responses: &[ResponseSpec], code: Option<u16>) -> Result<Option<&ResponseSpec>, u16> {
    if let Some(code) = code {
        let exact = responses.iter().find(|r| r.status == StatusKey::Code(code));
        let range = || {
            responses
                .iter()
                .find(|r| r.status == StatusKey::Range(code / 100))
        };
        let default = || responses.iter().find(|r| r.status == StatusKey::Default);
        return exact.or_else(range).or_else(default).map(Some).ok_or(code);
    }
    let lowest = |range: std::ops::RangeInclusive<u16>| {
        responses
            .iter()
            .filter(|r| matches!(r.status, StatusKey::Code(c) if range.contains(&c)))
            .min_by_key(|r| r.status.concrete())
    };
    Ok(lowest(200..=299)
        .or_else(|| responses.iter().find(|r| r.status == StatusKey::Range(2)))
        .or_else(|| lowest(300..=399))
        .or_else(|| responses.iter().find(|r| r.status == StatusKey::Default))
        .or_else(|| {
            responses
                .iter()
                .find(|r| !matches!(r.status, StatusKey::Code(c) if REFUSALS.contains(&c)))
        })
        .or_else(|| responses.first()))
}

/// The declared response that describes an answer with `status`: exactly, else by its range
/// (`4XX`), else `default`.
pub fn declared(responses: &[ResponseSpec], status: u16) -> Option<&ResponseSpec> {
    let find = |key: StatusKey| responses.iter().find(|r| r.status == key);
    find(StatusKey::Code(status))
        .or_else(|| find(StatusKey::Range(status / 100)))
        .or_else(|| find(StatusKey::Default))
}

/// Whether a status never carries a body.
pub fn bodiless(status: u16) -> bool {
    status < 200 || status == 204 || status == 205 || status == 304
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(key: &str) -> ResponseSpec {
        ResponseSpec::new(StatusKey::parse(key).unwrap(), vec![], vec![])
    }

    #[test]
    fn status_keys_parse_codes_ranges_and_default() {
        assert_eq!(StatusKey::parse("205"), Some(StatusKey::Code(205)));
        assert_eq!(StatusKey::parse("4XX"), Some(StatusKey::Range(4)));
        assert_eq!(StatusKey::parse("4xx"), Some(StatusKey::Range(4)));
        assert_eq!(StatusKey::parse("default"), Some(StatusKey::Default));
        assert_eq!(StatusKey::parse("600"), None);
        assert_eq!(StatusKey::parse("ok"), None);
    }

    #[test]
    fn the_lowest_success_is_chosen_unless_a_code_is_preferred() {
        let responses = vec![spec("404"), spec("205"), spec("204"), spec("default")];
        assert_eq!(
            choose(&responses, None).unwrap().unwrap().status,
            StatusKey::Code(204)
        );
        assert_eq!(
            choose(&responses, Some(404)).unwrap().unwrap().status,
            StatusKey::Code(404)
        );
        // An undeclared code falls to `default` when there is one...
        assert_eq!(
            choose(&responses, Some(418)).unwrap().unwrap().status,
            StatusKey::Default
        );
        // ...and is refused when there is none.
        assert_eq!(choose(&[spec("200")], Some(418)).unwrap_err(), 418);
    }

    #[test]
    fn without_a_success_the_first_status_that_refuses_nothing_is_chosen() {
        let responses = vec![spec("400"), spec("401"), spec("404"), spec("429")];
        let chosen = choose(&responses, None).unwrap().unwrap();
        assert_eq!(chosen.status, StatusKey::Code(404));
        let only_refusals = vec![spec("400"), spec("422")];
        let chosen = choose(&only_refusals, None).unwrap().unwrap();
        assert_eq!(chosen.status, StatusKey::Code(400));
    }

    #[test]
    fn default_alone_answers_200() {
        let responses = vec![spec("default")];
        let chosen = choose(&responses, None).unwrap().unwrap();
        assert_eq!(chosen.status.concrete(), 200);
    }

    #[test]
    fn prefer_reads_prism_preferences() {
        let p = Prefer::parse(Some("code=404, example=\"notFound\", dynamic=true"));
        assert_eq!(p.code, Some(404));
        assert_eq!(p.example.as_deref(), Some("notFound"));
        assert!(p.dynamic);
        assert_eq!(Prefer::parse(Some("respond-async")), Prefer::default());
        assert_eq!(Prefer::parse(Some("delay=200")).delay, Some(200));
        assert_eq!(Prefer::parse(Some("code=201; delay=\"0\"")).delay, Some(0));
        assert_eq!(Prefer::parse(Some("delay=60000")).delay, Some(60_000));
        for ignored in [
            "delay=60001",
            "delay=-5",
            "delay=1.5",
            "delay=soon",
            "delay=",
        ] {
            assert_eq!(Prefer::parse(Some(ignored)).delay, None, "{ignored}");
        }
        assert_eq!(Prefer::parse(None), Prefer::default());
    }

    #[test]
    fn a_fault_is_one_of_four_words_and_anything_else_is_ignored() {
        let fault = |h: &str| Prefer::parse(Some(h)).fault;
        assert_eq!(fault("fault=reset"), Some(Fault::Reset));
        assert_eq!(fault("code=201, fault=\"EMPTY\""), Some(Fault::Empty));
        assert_eq!(fault("delay=5; fault=truncated"), Some(Fault::Truncated));
        assert_eq!(fault("fault=malformed"), Some(Fault::Malformed));
        for ignored in ["fault=explode", "fault=", "fault", "faults=reset"] {
            assert_eq!(fault(ignored), None, "{ignored}");
        }
    }
}
