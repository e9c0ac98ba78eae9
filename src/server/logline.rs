//! The text log line: `tracing_subscriber`'s default layout (`2026-12-05T13:52:28.259039Z  INFO
//! target: message name=value ...`), written without its general machinery.
//!
//! Implementation rationale: the server logs one line a request, and under load formatting
//! that line through the default formatter was about a tenth of a request's CPU (`perf`):
//! every field through `Debug` and a padded `fmt::write`, the style wrappers even with
//! colours off, and the whole date worked out from the clock on every line. Here the date
//! and time to the second are worked out once a second (per thread), numbers are written
//! as they are, and strings are quoted as the default layout quotes them. The events carry
//! no spans (the server opens none), so none are shown.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::schema::violation::{Location, Violation};
use crate::server::logsink::Sink;
use crate::text::{civil_second, decimal};

/// The request line's fields, as `server::request` logs them.
pub(crate) struct RequestLine<'a> {
    /// The module the line is logged from: its target.
    pub target: &'static str,
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub operation: &'a str,
    pub micros: u64,
    pub violations: usize,
    /// What each of the first violations broke (`header.token: required; ...`, see
    /// [`violated`]); left out when there are none.
    pub violated: Option<&'a str>,
    /// How long the answer was held back on purpose; the field is left out when it was not.
    pub delayed_ms: Option<u64>,
    /// The fault the answer was broken with on purpose (`reset`, ...); left out when none.
    pub fault: Option<&'static str>,
    /// The stub that gave the answer (its id: letters, digits, `-_.`); left out when none.
    pub stub: Option<&'a str>,
}

/// Where request lines go without `tracing`'s machinery, when the text layout is in use.
static DIRECT: OnceLock<&'static Sink> = OnceLock::new();

/// Sends request lines straight to `sink` from now on ([`request`]); for the text layout only,
/// once its subscriber is installed.
pub(crate) fn direct_to(sink: &'static Sink) {
    let _ = DIRECT.set(sink);
}

/// Logs the request line, unless the log filter leaves INFO out for `line.target`: the very
/// line `tracing::info!(method = %.., path = %.., status, operation, micros, violations,
/// violated, delayed_ms, fault, stub, "request")` makes in the text layout, written without `tracing`'s dispatch. `false` when
/// no direct sink is set (the JSON layout, or no subscriber of ours): the caller logs through
/// `tracing`.
///
/// Implementation rationale: one line a request went through event dispatch, the filter, a
/// visitor per field and `core::fmt` for each name and number; that was about 9% of the
/// server's throughput (`UNDERSTUDY_LOG=off` against the default, pinned, same run). Here it
/// is a handful of appends to a reused buffer. The filter is still asked (`enabled!`, by
/// level and target); directives on field values (`[{status=500}]`) are not looked at.
pub(crate) fn request(line: &RequestLine<'_>, enabled: bool) -> bool {
    let Some(sink) = DIRECT.get() else {
        return false;
    };
    if !enabled {
        return true;
    }
    thread_local! {
        static BUF: RefCell<String> = const { RefCell::new(String::new()) };
    }
    BUF.with(|buf| {
        let mut buf = buf.borrow_mut();
        buf.clear();
        if write_request(&mut buf, SystemTime::now(), line).is_ok() {
            sink.line(buf.as_bytes(), std::time::Instant::now());
        }
    });
    true
}

fn write_request(out: &mut String, now: SystemTime, line: &RequestLine<'_>) -> fmt::Result {
    write_timestamp(out, now)?;
    out.push_str(level(&Level::INFO));
    out.push_str(line.target);
    out.push_str(": request method=");
    out.push_str(line.method);
    out.push_str(" path=");
    out.push_str(line.path);
    out.push_str(" status=");
    push_number(out, u64::from(line.status));
    out.push_str(" operation=");
    push_quoted(out, line.operation)?;
    out.push_str(" micros=");
    push_number(out, line.micros);
    out.push_str(" violations=");
    push_number(out, line.violations as u64);
    if let Some(violated) = line.violated {
        out.push_str(" violated=");
        push_quoted(out, violated)?;
    }
    if let Some(ms) = line.delayed_ms {
        out.push_str(" delayed_ms=");
        push_number(out, ms);
    }
    if let Some(fault) = line.fault {
        out.push_str(" fault=");
        out.push_str(fault);
    }
    if let Some(stub) = line.stub {
        out.push_str(" stub=");
        out.push_str(stub);
    }
    out.push('\n');
    Ok(())
}

/// Violations the request line names; the rest are counted.
pub(crate) const VIOLATIONS_NAMED: usize = 5;

/// The request line's `violated` field: where each of the first [`VIOLATIONS_NAMED`]
/// violations is and the keyword it broke (`header.token: required; body.name: type`), then
/// `+N more`. `None` for none: a valid request's line stays as it was.
pub(crate) fn violated(violations: &[Violation]) -> Option<String> {
    if violations.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(48 * violations.len().min(VIOLATIONS_NAMED));
    for (i, v) in violations.iter().take(VIOLATIONS_NAMED).enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        match v.location {
            Location::Body(_) => {
                out.push_str("body");
                let start = out.len();
                v.push_path(&mut out);
                if out.len() > start {
                    let path = out.split_off(start);
                    if !path.starts_with('[') {
                        out.push('.');
                    }
                    out.push_str(&path);
                }
            }
            Location::Request => out.push_str("request"),
            _ => v.push_path(&mut out),
        }
        out.push_str(": ");
        out.push_str(v.keyword.as_str());
    }
    if violations.len() > VIOLATIONS_NAMED {
        out.push_str("; +");
        push_number(&mut out, (violations.len() - VIOLATIONS_NAMED) as u64);
        out.push_str(" more");
    }
    Some(out)
}

/// `n` in decimal, without `core::fmt`.
fn push_number(out: &mut String, n: u64) {
    let mut buf = [0u8; 20];
    out.push_str(decimal(n, &mut buf));
}

/// `text` as `{:?}` writes it: quoted, escaped. Printable ASCII other than `"` and `\` is
/// never escaped, so such text is copied as it is.
fn push_quoted(out: &mut String, text: &str) -> fmt::Result {
    if text
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
    {
        out.push('"');
        out.push_str(text);
        out.push('"');
        Ok(())
    } else {
        write!(out, "{text:?}")
    }
}

/// The text layout, for `tracing_subscriber::fmt().event_format(..)`.
pub(crate) struct TextLine;

impl<S, N> FormatEvent<S, N> for TextLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write_line(&mut writer, SystemTime::now(), event)
    }
}

fn write_line(out: &mut impl fmt::Write, now: SystemTime, event: &Event<'_>) -> fmt::Result {
    write_timestamp(out, now)?;
    let meta = event.metadata();
    out.write_str(level(meta.level()))?;
    out.write_str(meta.target())?;
    out.write_str(": ")?;
    let mut fields = Fields {
        out,
        result: Ok(()),
    };
    // The message first, as the default layout puts it, then the other fields in order.
    event.record(&mut MessageOnly(&mut fields));
    event.record(&mut fields);
    fields.result?;
    out.write_char('\n')
}

/// The level as the default layout shows it: right-aligned in five, between spaces.
fn level(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => " ERROR ",
        Level::WARN => "  WARN ",
        Level::INFO => "  INFO ",
        Level::DEBUG => " DEBUG ",
        Level::TRACE => " TRACE ",
    }
}

/// RFC 3339 in UTC with microseconds, the date and time to the second kept from the last
/// line of the same second.
fn write_timestamp(out: &mut impl fmt::Write, now: SystemTime) -> fmt::Result {
    thread_local! {
        static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    SECOND.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.0 != secs {
            cached.1.clear();
            civil_second(&mut cached.1, secs)?;
            cached.0 = secs;
        }
        out.write_str(&cached.1)
    })?;
    write!(out, ".{:06}Z", since.subsec_micros())
}

/// Writes the fields other than the message as ` name=value`.
struct Fields<'w, W: fmt::Write> {
    out: &'w mut W,
    result: fmt::Result,
}

impl<W: fmt::Write> Fields<'_, W> {
    fn field(&mut self, field: &Field, value: impl FnOnce(&mut W) -> fmt::Result) {
        if self.result.is_err() || field.name() == "message" || field.name().starts_with("log.") {
            return;
        }
        self.result = write!(self.out, " {}=", field.name()).and_then(|()| value(self.out));
    }
}

impl<W: fmt::Write> Visit for Fields<'_, W> {
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, |out| write!(out, "{value}"));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, |out| write!(out, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, |out| write!(out, "{value}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, |out| write!(out, "{value:?}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, |out| write!(out, "{value:?}"));
    }
}

/// Writes the message alone.
struct MessageOnly<'f, 'w, W: fmt::Write>(&'f mut Fields<'w, W>);

impl<W: fmt::Write> Visit for MessageOnly<'_, '_, W> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" && self.0.result.is_ok() {
            self.0.result = write!(self.0.out, "{value:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    #[test]
    fn civil_dates_match_known_days() {
        for (secs, expected) in [
            (0, "1970-01-01T00:00:00"),
            (951_782_400, "2000-02-29T00:00:00"),
            (951_868_799, "2000-02-29T23:59:59"),
            (1_764_942_748, "2025-12-05T13:52:28"),
            (4_107_542_399, "2100-02-28T23:59:59"),
            (4_107_542_400, "2100-03-01T00:00:00"),
        ] {
            let mut out = String::new();
            civil_second(&mut out, secs).expect("a String takes any text");
            assert_eq!(out, expected, "{secs}");
        }
    }

    #[test]
    fn timestamps_keep_the_microseconds_across_a_second_change() {
        let at =
            |secs, micros| UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros);
        let mut out = String::new();
        write_timestamp(&mut out, at(86_399, 999_999)).expect("text");
        out.push('|');
        write_timestamp(&mut out, at(86_400, 7)).expect("text");
        assert_eq!(
            out,
            "1970-01-01T23:59:59.999999Z|1970-01-02T00:00:00.000007Z"
        );
    }

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn lines(with_ours: bool, log: impl FnOnce()) -> String {
        let captured = Captured::default();
        let sink = captured.clone();
        let builder = tracing_subscriber::fmt()
            .with_max_level(Level::TRACE)
            .with_ansi(false)
            .with_writer(move || sink.clone());
        if with_ours {
            tracing::subscriber::with_default(builder.event_format(TextLine).finish(), log);
        } else {
            tracing::subscriber::with_default(builder.finish(), log);
        }
        let bytes = captured.0.lock().expect("lock").clone();
        String::from_utf8(bytes).expect("UTF-8")
    }

    /// Everything after the timestamp, line by line.
    fn without_time(text: &str) -> Vec<String> {
        text.lines()
            .map(|l| l.split_once("Z ").map_or(l, |(_, rest)| rest).to_string())
            .collect()
    }

    #[test]
    fn the_direct_request_line_is_the_line_tracing_makes() {
        let path = "/v2/spaces/U3BhY2U6MTIzNDU%3D/users?a=1&b=%22";
        for (operation, status, micros, violations, delayed_ms, fault) in [
            (
                "listUserPermissionsInSpace",
                200u16,
                0u64,
                0usize,
                None,
                None,
            ),
            ("add \"user\"", 400, 12, 2, Some(200u64), Some("reset")),
            ("named", 400, 12, 7, None, None),
            ("back\\slash", 404, u64::MAX, usize::MAX, Some(0), None),
            (
                "naïve\tline\nbreak",
                500,
                1_000_000,
                1,
                None,
                Some("malformed"),
            ),
            ("-", 415, 7, 0, Some(60_000), None),
        ] {
            // A stub's id where there is a fault: both fields present and absent alike.
            let stub = fault.map(|_| "stub-12");
            let broken: Vec<Violation> = (0..violations.min(9))
                .map(|i| Violation::new(Location::Query(format!("q{i}"), Vec::new()), "type", ""))
                .collect();
            let violated = violated(&broken);
            // The default formatter's line: the layout both of ours follow.
            let theirs = lines(false, || {
                tracing::info!(
                    method = %http::Method::PATCH,
                    path = %path,
                    status,
                    operation,
                    micros,
                    violations,
                    violated = violated.as_deref(),
                    delayed_ms,
                    fault = fault.map(tracing::field::display),
                    stub = stub.map(tracing::field::display),
                    "request"
                );
            });
            let mut ours = String::new();
            let line = RequestLine {
                target: module_path!(),
                method: http::Method::PATCH.as_str(),
                path,
                status,
                operation,
                micros,
                violations,
                violated: violated.as_deref(),
                delayed_ms,
                fault,
                stub,
            };
            write_request(&mut ours, SystemTime::now(), &line).expect("a String takes any text");
            assert_eq!(without_time(&ours), without_time(&theirs));
            assert_eq!(ours.lines().count(), 1, "{ours}");
        }
    }

    #[test]
    fn the_request_line_names_where_each_violation_is_and_its_keyword_up_to_five() {
        let at = |location, keyword: &'static str| Violation::new(location, keyword, "words");
        let header = Location::Header("token".to_owned(), Vec::new());
        assert_eq!(
            violated(&[at(header, "required")]).as_deref(),
            Some("header.token: required")
        );
        let body = |pointer: &str| {
            Location::Body(crate::schema::violation::segments_from_pointer(pointer))
        };
        let many: Vec<Violation> = [
            at(body(""), "type"),
            at(body("/users/0/email"), "format"),
            at(body("/0"), "minimum"),
            at(Location::Query("limit".to_owned(), Vec::new()), "maximum"),
            at(Location::Request, "security"),
            at(body("/a"), "type"),
            at(body("/b"), "type"),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            violated(&many).as_deref(),
            Some(
                "body: type; body.users[0].email: format; body[0]: minimum; query.limit: \
                 maximum; request: security; +2 more"
            )
        );
        assert_eq!(violated(&[]), None);
    }

    #[test]
    fn lines_are_laid_out_as_the_default_formatter_lays_them_out() {
        let events = || {
            let path = "/v2/spaces/U3BhY2U6MTIzNDU%3D/users";
            tracing::info!(
                method = %"POST",
                path = %path,
                status = 400u16,
                operation = "add \"user\"",
                micros = 12u64,
                delta = -3i64,
                kept = true,
                list = ?["a", "b"],
                "request"
            );
            tracing::warn!(document = "x", "the document has {} warnings", 3);
            tracing::error!("failed: {}", "a\nb");
            tracing::debug!(n = 1u64, "debugging");
            tracing::trace!("tracing");
        };
        let ours = lines(true, events);
        let theirs = lines(false, events);
        assert_eq!(without_time(&ours), without_time(&theirs));
        assert_eq!(ours.lines().count(), 6, "{ours}");
        for line in ours.lines().filter(|l| l.contains(" INFO ")) {
            let stamp = line.split(' ').next().unwrap_or_default();
            assert_eq!(stamp.len(), "2026-12-05T13:52:28.259039Z".len(), "{line}");
            assert!(
                stamp.ends_with('Z') && stamp.as_bytes()[19] == b'.',
                "{line}"
            );
        }
    }
}
