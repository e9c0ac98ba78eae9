//! How long an answer of the served APIs waits before it goes out: `Prefer: delay=MS` on one
//! request, `serve --delay OPERATIONID=MS` on one operation's, or `serve --delay MS` /
//! `--delay MIN-MAX` on every one (a range is drawn from uniformly, from `--seed`). The
//! control API is never delayed.
//!
//! Implementation rationale: the mock only says how long; the server's request task sleeps
//! (`server::handler`), on the runtime's timer, so a delayed answer holds no thread and
//! other requests go on meanwhile.

use std::collections::HashMap;
use std::time::Duration;

use crate::document::problems::Problems;
use crate::operation::api::Api;
use crate::operation::respond::MAX_DELAY_MS;
use crate::seed::Rng;

/// A delay for every answer: fixed (`min == max`) or drawn from `min..=max` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delay {
    min_ms: u32,
    max_ms: u32,
}

impl Delay {
    /// Reads `MS` or `MIN-MAX` (milliseconds, at most [`MAX_DELAY_MS`]).
    pub fn parse(text: &str) -> Result<Delay, String> {
        let ms = |part: &str| -> Result<u32, String> {
            let part = part.trim();
            match part.parse::<u32>() {
                Ok(ms) if ms <= MAX_DELAY_MS => Ok(ms),
                Ok(_) => Err(format!(
                    "a delay is at most {MAX_DELAY_MS} ms; `{text}` asks for more"
                )),
                Err(_) => Err(format!(
                    "`{text}` is not a delay: give milliseconds (`200`) or a range (`100-500`)"
                )),
            }
        };
        let (min_ms, max_ms) = match text.split_once('-') {
            Some((min, max)) => (ms(min)?, ms(max)?),
            None => {
                let fixed = ms(text)?;
                (fixed, fixed)
            }
        };
        if min_ms > max_ms {
            return Err(format!(
                "the delay range `{text}` ends before it starts: give MIN-MAX"
            ));
        }
        Ok(Delay { min_ms, max_ms })
    }

    /// The delay of the `n`th delayed answer of a server run with `seed`: the same for the
    /// same seed and `n`.
    pub fn pick(&self, seed: u64, n: u64) -> Duration {
        let span = u64::from(self.max_ms - self.min_ms);
        let ms = if span == 0 {
            u64::from(self.min_ms)
        } else {
            let mut rng = Rng::new(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            u64::from(self.min_ms) + rng.below(span + 1)
        };
        Duration::from_millis(ms)
    }
}

/// One `--delay` flag: for every answer (`MS`, `MIN-MAX`) or for one operation's
/// (`OPERATIONID=MS`, `OPERATIONID=MIN-MAX`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DelayFlag {
    All(Delay),
    Operation(String, Delay),
}

impl std::str::FromStr for DelayFlag {
    type Err = String;

    fn from_str(text: &str) -> Result<DelayFlag, String> {
        match text.split_once('=') {
            Some((id, delay)) if !id.trim().is_empty() => Ok(DelayFlag::Operation(
                id.trim().to_owned(),
                Delay::parse(delay)?,
            )),
            Some(_) => Err(format!(
                "`{text}` names no operation: give OPERATIONID=MS or OPERATIONID=MIN-MAX"
            )),
            None => Delay::parse(text).map(DelayFlag::All),
        }
    }
}

impl std::str::FromStr for Delay {
    type Err = String;

    fn from_str(text: &str) -> Result<Delay, String> {
        Delay::parse(text)
    }
}

/// `--delay OPERATIONID=` by (API, operation) index: an operationId no document declares is
/// a problem (a typo would otherwise delay nothing, silently).
pub(crate) fn by_operation(
    apis: &[Api],
    asked: &[(String, Delay)],
    problems: &mut Problems,
) -> HashMap<(usize, usize), Delay> {
    let mut out = HashMap::new();
    for (id, delay) in asked {
        let mut found = false;
        for (ai, api) in apis.iter().enumerate() {
            for (oi, op) in api.operations.iter().enumerate() {
                if &*op.id == id.as_str() {
                    out.insert((ai, oi), *delay);
                    found = true;
                }
            }
        }
        if !found {
            problems.error(
                "--delay",
                "",
                format!("no served operation has the operationId `{id}`"),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_delay_is_always_itself() {
        let d = Delay::parse("250").unwrap();
        for n in 0..5 {
            assert_eq!(d.pick(7, n), Duration::from_millis(250));
        }
    }

    #[test]
    fn a_range_draws_within_its_bounds_the_same_for_the_same_seed() {
        let d = Delay::parse("100-130").unwrap();
        let drawn: Vec<Duration> = (0..200).map(|n| d.pick(1, n)).collect();
        assert!(drawn.iter().all(|ms| (100..=130).contains(&ms.as_millis())));
        assert!(drawn.iter().any(|ms| ms.as_millis() == 100));
        assert!(drawn.iter().any(|ms| ms.as_millis() == 130));
        let again: Vec<Duration> = (0..200).map(|n| d.pick(1, n)).collect();
        assert_eq!(drawn, again);
        let other: Vec<Duration> = (0..200).map(|n| d.pick(2, n)).collect();
        assert_ne!(drawn, other, "another seed, other delays");
    }

    #[test]
    fn bad_delays_are_refused_with_the_reason() {
        for (text, says) in [
            ("60001", "at most 60000"),
            ("abc", "not a delay"),
            ("-5", "not a delay"),
            ("500-100", "ends before it starts"),
            ("1-", "not a delay"),
        ] {
            let err = Delay::parse(text).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
        assert_eq!(
            Delay::parse("0-60000").unwrap(),
            Delay {
                min_ms: 0,
                max_ms: 60_000
            }
        );
    }

    #[test]
    fn a_delay_flag_is_for_every_answer_or_for_one_operation() {
        let flag = |t: &str| t.parse::<DelayFlag>();
        assert_eq!(
            flag("200"),
            Ok(DelayFlag::All(Delay::parse("200").unwrap()))
        );
        assert_eq!(
            flag("listPets=100-300"),
            Ok(DelayFlag::Operation(
                "listPets".to_owned(),
                Delay {
                    min_ms: 100,
                    max_ms: 300
                }
            ))
        );
        assert!(flag("=200").unwrap_err().contains("names no operation"));
        assert!(flag("listPets=soon").unwrap_err().contains("not a delay"));
    }
}
