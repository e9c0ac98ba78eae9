//! What the HTTP edge allows a client: sizes, counts and how long it may take, with the
//! defaults `understudy serve` uses, and the parsing of sizes such as `2MiB` for its flags.
//!
//! Implementation rationale: our limits are checked on the parsed request, so the answer can
//! be rendered in the API's own error format (the path says which API). hyper's own parser
//! limits ([`ServerConfig::hard_head_bytes`], [`ServerConfig::hard_header_count`]) sit above
//! them as a memory bound only; a client that goes past those gets hyper's bare answer (a
//! `431` with no body) and a closed connection, never a crash and never a wait for others.

use std::time::Duration;

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// Limits and timeouts of the HTTP edge. `Default` gives what `understudy serve` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerConfig {
    /// Largest request body read; bigger ones get 413 (a `Content-Length` over it is refused
    /// before any of the body is read).
    pub max_body: usize,
    /// Longest request target (path and query, as sent); longer ones get 414.
    pub max_uri: usize,
    /// Largest header section (names, values and their separators); bigger ones get 431.
    pub max_header_bytes: usize,
    /// Most header lines; more get 431.
    pub max_headers: usize,
    /// How long a request head may take, from its first byte (or from the connection's
    /// opening, for its first request); a slower client's connection is closed.
    pub header_timeout: Duration,
    /// How long a whole request body may take once its head is read; a slower one gets 408
    /// and the connection is closed.
    pub body_timeout: Duration,
    /// How long a keep-alive connection may wait, idle, for its next request before it is
    /// closed.
    pub idle_timeout: Duration,
    /// How long an answer may wait for a client that reads none of it (its receive window
    /// full) before the connection is closed.
    pub write_timeout: Duration,
    /// On shutdown: how long requests in flight may take to finish before they are dropped.
    pub shutdown_grace: Duration,
    /// Most connections served at once; further ones wait in the listen queue.
    pub max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_body: MIB,
            max_uri: 8 * KIB,
            max_header_bytes: 16 * KIB,
            max_headers: 64,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(5),
            max_connections: 1024,
        }
    }
}

/// The least buffer hyper accepts (`hyper::server::conn::http1::Builder::max_buf_size`).
const HYPER_MIN_BUF: usize = 8 * KIB;
/// hyper's bound on header lines when none is set.
const HYPER_DEFAULT_HEADERS: usize = 100;
/// hyper's default read buffer bound.
const HYPER_DEFAULT_BUF: usize = 8 * KIB + 4 * KIB * 100;

impl ServerConfig {
    /// hyper's bound on a whole request head (request line and headers): twice ours, so
    /// that our limits answer first, in the API's format.
    pub(crate) fn hard_head_bytes(&self) -> usize {
        self.max_uri
            .saturating_add(self.max_header_bytes)
            .saturating_mul(2)
            .max(HYPER_MIN_BUF)
    }

    /// hyper's bound on header lines, when not its own default of 100: twice ours. hyper
    /// keeps up to 100 lines on the stack, and any bound set makes it fill (above 100:
    /// allocate) room for that many on every request, a few percent of answering one; so
    /// below 100 of ours, hyper's default is the bound (and the default of ours leaves room
    /// under it).
    pub(crate) fn hard_header_count(&self) -> Option<usize> {
        (self.max_headers >= HYPER_DEFAULT_HEADERS).then(|| self.max_headers.saturating_mul(2))
    }

    /// hyper's read buffer: its default, or more when a head may be bigger.
    pub(crate) fn read_buffer(&self) -> usize {
        self.hard_head_bytes().max(HYPER_DEFAULT_BUF)
    }
}

/// A size in bytes: a whole number, optionally followed by a unit (`B`, `KB`, `KiB`, `MB`,
/// `MiB`, `GB`, `GiB`; any case, spaces allowed before the unit). `1MiB` is 1,048,576 bytes,
/// `1MB` 1,000,000.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    if number.is_empty() {
        return Err(format!(
            "`{text}` is not a size: give bytes, or a number with a unit such as 512KiB or 2MiB"
        ));
    }
    let unit_bytes: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "kib" | "k" => KIB,
        "mb" => 1000 * 1000,
        "mib" | "m" => MIB,
        "gb" => 1000 * 1000 * 1000,
        "gib" | "g" => 1024 * MIB,
        other => {
            return Err(format!(
                "`{other}` is not a size unit: use B, KB, KiB, MB, MiB, GB or GiB"
            ));
        }
    };
    number
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(unit_bytes))
        .ok_or_else(|| format!("`{text}` is too large a size"))
}

/// A size for humans: `1 MiB`, `16 KiB`, `1000 bytes`.
pub fn show_size(bytes: usize) -> String {
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes % KIB == 0 {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_bytes_or_numbers_with_binary_or_decimal_units() {
        assert_eq!(parse_size("1048576"), Ok(MIB));
        assert_eq!(parse_size("2MiB"), Ok(2 * MIB));
        assert_eq!(parse_size("2 mib"), Ok(2 * MIB));
        assert_eq!(parse_size("512KiB"), Ok(512 * KIB));
        assert_eq!(parse_size("1MB"), Ok(1_000_000));
        assert_eq!(parse_size("3kb"), Ok(3000));
        assert_eq!(parse_size("1GiB"), Ok(1024 * MIB));
        assert_eq!(parse_size("7B"), Ok(7));
    }

    #[test]
    fn sizes_without_a_number_with_unknown_units_or_overflowing_are_refused() {
        for bad in [
            "",
            "MiB",
            "-1",
            "1.5MiB",
            "2 parsecs",
            "99999999999999999999999",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
        assert!(parse_size(&format!("{}GiB", usize::MAX)).is_err());
    }

    #[test]
    fn sizes_are_shown_in_the_largest_whole_unit() {
        assert_eq!(show_size(MIB), "1 MiB");
        assert_eq!(show_size(16 * KIB), "16 KiB");
        assert_eq!(show_size(1000), "1000 bytes");
    }

    #[test]
    fn hyper_bounds_stay_above_ours() {
        let c = ServerConfig::default();
        assert!(c.hard_head_bytes() > c.max_uri + c.max_header_bytes);
        assert!(c.hard_header_count().unwrap_or(HYPER_DEFAULT_HEADERS) > c.max_headers);
        assert!(c.read_buffer() >= c.hard_head_bytes());
        let tiny = ServerConfig {
            max_uri: 1,
            max_header_bytes: 1,
            max_headers: 0,
            ..c
        };
        assert_eq!(tiny.hard_head_bytes(), HYPER_MIN_BUF);
        assert_eq!(tiny.hard_header_count(), None);
        let many = ServerConfig {
            max_headers: HYPER_DEFAULT_HEADERS,
            ..c
        };
        assert_eq!(many.hard_header_count(), Some(2 * HYPER_DEFAULT_HEADERS));
    }
}
