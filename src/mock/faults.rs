//! Which answers of the served APIs the server breaks on purpose without being asked per
//! request: `serve --fault KIND[:PERCENT]` for every answer, `--fault OPERATIONID=KIND[:PERCENT]`
//! for one operation's (the operation's wins). `PERCENT` (default 100) is the share of answers
//! broken, drawn from `--seed`: the same seed breaks the same answers of the same sequence.
//! `Prefer: fault=` on a request and a stub's `fault` come first; the control API is never
//! broken. The kinds are `Prefer: fault=`'s (`operation::respond::Fault`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::document::problems::Problems;
use crate::operation::api::Api;
use crate::operation::respond::Fault;
use crate::seed::Rng;

/// One `--fault` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultRate {
    pub fault: Fault,
    /// 1 to 100.
    pub percent: u8,
}

/// One `--fault` flag, with the operation it names (`None`: every answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultFlag {
    pub operation: Option<String>,
    pub rate: FaultRate,
}

impl std::str::FromStr for FaultFlag {
    type Err = String;

    fn from_str(text: &str) -> Result<FaultFlag, String> {
        let (operation, rest) = match text.split_once('=') {
            Some((id, _)) if id.trim().is_empty() => {
                return Err(format!(
                    "`{text}` names no operation: give OPERATIONID=KIND[:PERCENT]"
                ));
            }
            Some((id, rest)) => (Some(id.trim().to_owned()), rest),
            None => (None, text),
        };
        let (kind, percent) = match rest.split_once(':') {
            Some((kind, percent)) => {
                let percent = percent
                    .trim()
                    .parse::<u8>()
                    .ok()
                    .filter(|p| (1..=100).contains(p))
                    .ok_or_else(|| {
                        format!("`{text}`: the share of answers broken is a percent, 1 to 100")
                    })?;
                (kind, percent)
            }
            None => (rest, 100),
        };
        let fault = Fault::parse(kind.trim()).ok_or_else(|| {
            format!("`{kind}` is no fault: give reset, empty, truncated or malformed")
        })?;
        Ok(FaultFlag {
            operation,
            rate: FaultRate { fault, percent },
        })
    }
}

/// The `--fault` flags, resolved to operations once at startup.
#[derive(Debug, Default)]
pub struct Faults {
    all: Option<FaultRate>,
    by_operation: HashMap<(usize, usize), FaultRate>,
    /// Counts the draws, so each answer draws anew.
    drawn: AtomicU64,
}

impl Faults {
    /// The flags, an operationId no document declares (or two flags for one target) a problem.
    pub fn new(apis: &[Api], flags: &[FaultFlag], problems: &mut Problems) -> Faults {
        let mut out = Faults::default();
        for flag in flags {
            let Some(id) = &flag.operation else {
                if out.all.replace(flag.rate).is_some() {
                    problems.error(
                        "--fault",
                        "",
                        "--fault for every answer is given twice: give it once \
                         (OPERATIONID=KIND breaks one operation's)",
                    );
                }
                continue;
            };
            let mut found = false;
            for (ai, api) in apis.iter().enumerate() {
                for (oi, op) in api.operations.iter().enumerate() {
                    if &*op.id == id.as_str() {
                        out.by_operation.insert((ai, oi), flag.rate);
                        found = true;
                    }
                }
            }
            if !found {
                problems.error(
                    "--fault",
                    "",
                    format!("no served operation has the operationId `{id}`"),
                );
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_none() && self.by_operation.is_empty()
    }

    /// The fault of an answer of operation `op` (`None`: outside every operation), drawn
    /// with `seed`: its operation's flag, else the flag for every answer.
    pub fn draw(&self, seed: u64, op: Option<(usize, usize)>) -> Option<Fault> {
        let rate = op
            .and_then(|op| self.by_operation.get(&op))
            .or(self.all.as_ref())?;
        if rate.percent >= 100 {
            return Some(rate.fault);
        }
        let n = self.drawn.fetch_add(1, Ordering::Relaxed);
        let mut rng = Rng::new(seed ^ n.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ 0xFA17);
        (rng.below(100) < u64::from(rate.percent)).then_some(rate.fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_flags_read_an_operation_a_kind_and_a_share() {
        let flag: FaultFlag = "listThings=reset:25".parse().unwrap();
        assert_eq!(flag.operation.as_deref(), Some("listThings"));
        assert_eq!(flag.rate.fault, Fault::Reset);
        assert_eq!(flag.rate.percent, 25);
        let all: FaultFlag = "MALFORMED".parse().unwrap();
        assert_eq!((all.operation, all.rate.percent), (None, 100));
        for (bad, says) in [
            ("boom", "no fault"),
            ("=reset", "names no operation"),
            ("reset:0", "1 to 100"),
            ("reset:101", "1 to 100"),
        ] {
            let error = bad.parse::<FaultFlag>().unwrap_err();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn a_share_breaks_about_that_many_answers_the_same_for_the_same_seed() {
        let faults = Faults {
            all: Some(FaultRate {
                fault: Fault::Empty,
                percent: 30,
            }),
            ..Faults::default()
        };
        let drawn: Vec<bool> = (0..1000).map(|_| faults.draw(9, None).is_some()).collect();
        let broken = drawn.iter().filter(|b| **b).count();
        assert!((200..400).contains(&broken), "{broken}");
        let again = Faults {
            all: faults.all,
            ..Faults::default()
        };
        let redrawn: Vec<bool> = (0..1000).map(|_| again.draw(9, None).is_some()).collect();
        assert_eq!(drawn, redrawn);
    }
}
