//! What a `check` run has done so far, shared with the thread that started it: every exchange
//! judged, the requests sent, the operations and stories started. The run writes it as it
//! goes; whoever holds a clone can read an [`Outcome`] from it at any time.
//!
//! Implementation rationale: `--max-time` is honoured by the run itself between requests,
//! but generating one request can take longer than the time left (a filter that rejects
//! nearly every value of a large schema), and proptest cannot be interrupted. The CLI runs
//! the check on a thread of its own and, when the run overruns the deadline, reports from here
//! and exits, leaving the generation unfinished. The lock is held only to copy in one exchange
//! or a counter, never across a request.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::conformance::report::Report;

use super::Outcome;

/// A run's progress, readable while it runs.
#[derive(Debug, Clone, Default)]
pub struct Live(Arc<Mutex<SoFar>>);

/// What a run has done so far.
#[derive(Debug, Default)]
pub struct SoFar {
    pub report: Report,
    /// Requests sent, shrinking included.
    pub requests: usize,
    /// Operations and stories begun, of `total`.
    pub begun: usize,
    pub total: usize,
    /// The operation or story under way.
    pub current: String,
    /// `--max-time` ran out (the run noticed).
    pub timed_out: bool,
}

impl Live {
    pub(super) fn with<T>(&self, f: impl FnOnce(&mut SoFar) -> T) -> T {
        let mut so_far = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut so_far)
    }

    /// The outcome so far, of a run that finished (`cut_short: false`) or that is still
    /// working past `--max-time` and is abandoned (`true`: the operation or story under way
    /// counts as not reached).
    pub fn outcome(&self, elapsed: Duration, cut_short: bool) -> Outcome {
        self.with(|s| {
            let timed_out = s.timed_out || cut_short;
            let unfinished = usize::from(cut_short && s.begun > 0);
            Outcome {
                report: if cut_short {
                    s.report.clone()
                } else {
                    std::mem::take(&mut s.report)
                },
                requests: s.requests,
                elapsed,
                timed_out,
                total: s.total,
                not_reached: s.total - s.begun.min(s.total) + unfinished,
                stopped_during: Some(s.current.clone()).filter(|c| timed_out && !c.is_empty()),
                cut_short,
            }
        })
    }
}
