//! Numbers and times written as text, for the log line and the answers, without
//! allocating more than the output.

use std::fmt::{self, Write};

/// `n` in decimal digits, written into the end of `buf`, without `core::fmt`.
pub(crate) fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    std::str::from_utf8(&buf[at..]).unwrap_or_default()
}

/// Milliseconds since the Unix epoch as an RFC 3339 UTC time (`2026-12-06T13:02:08.123Z`),
/// with the log line's calendar.
pub(crate) fn rfc3339_millis(millis: u64) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(24);
    // Writing to a `String` cannot fail.
    let _ = civil_second(&mut out, millis / 1000);
    let _ = write!(out, ".{:03}Z", millis % 1000);
    out
}

/// `YYYY-MM-DDTHH:MM:SS` for `secs` after the Unix epoch (the proleptic Gregorian calendar,
/// by Howard Hinnant's days-to-civil algorithm).
pub(crate) fn civil_second(out: &mut String, secs: u64) -> fmt::Result {
    let days = secs / 86_400;
    let rest = secs % 86_400;
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rest / 3_600,
        rest / 60 % 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_in_rfc_3339_utc() {
        // Known instants: the epoch, a leap day, the last millisecond of a leap year, and
        // the first of 2027 (1,798,761,600 s after the epoch).
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            rfc3339_millis(1_735_689_599_999),
            "2024-12-31T23:59:59.999Z"
        );
        assert_eq!(
            rfc3339_millis(1_798_761_600_000),
            "2027-01-01T00:00:00.000Z"
        );
        assert_eq!(
            rfc3339_millis(1_796_562_128_123),
            "2026-12-06T13:02:08.123Z"
        );
    }
}
