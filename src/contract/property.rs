//! One property of one operation: up to `--cases` generated requests, each sent and judged;
//! the first that fails a check is shrunk (proptest's simplify/complicate, driven by hand) to
//! the simplest request that still fails one of the checks it failed, and reported once.
//! Each property draws from a runner of its own, seeded by `--seed`, the operation and the
//! property.

use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::{Kind, MAX_REJECTS, Run, Transform};
use crate::conformance::checks::{Judged, RequestSummary, Rule};
use crate::conformance::fuzz::GeneratedRequest;
use crate::mock::message::MockRequest;
use crate::operation::api::Operation;

impl Run<'_, '_> {
    /// Up to `cases` requests from `strategy`, each changed by `transform`, sent and judged;
    /// stops at the first failure, which is shrunk.
    pub(super) fn property(
        &mut self,
        op: &Operation,
        kind: Kind,
        strategy: &BoxedStrategy<GeneratedRequest>,
        cases: u32,
        transform: Transform<'_>,
    ) {
        let mut runner = runner_for(self.config.seed, &op.id, kind);
        for case in 0..cases {
            if self.out_of_time() {
                return;
            }
            let Ok(mut tree) = strategy.new_tree(&mut runner) else {
                return;
            };
            let (mock, judged) = self.exchange(tree.current(), transform);
            let failing = failed_checks(&judged);
            if failing.is_empty() {
                let summary = RequestSummary::of(&mock, Some(&self.client.origin));
                let label = format!("{} {} case {}", op.id, kind.label(), case + 1);
                self.record(label, summary, judged, None);
                continue;
            }
            let (mock, judged, steps) = self.shrink(&mut *tree, transform, &failing, mock, judged);
            let summary = RequestSummary::of(&mock, Some(&self.client.origin));
            let label = format!(
                "{} {} case {}, shrunk in {steps} step(s)",
                op.id,
                kind.label(),
                case + 1
            );
            self.record(label, summary, judged, None);
            return;
        }
    }

    /// The simplest request the tree reaches that still fails one of `failing`.
    fn shrink(
        &mut self,
        tree: &mut dyn ValueTree<Value = GeneratedRequest>,
        transform: Transform<'_>,
        failing: &[Rule],
        mut mock: MockRequest,
        mut judged: Judged,
    ) -> (MockRequest, Judged, u32) {
        let mut steps = 0;
        let mut kept = 0;
        if !tree.simplify() {
            return (mock, judged, 0);
        }
        while steps < self.config.max_shrink && !self.out_of_time() {
            steps += 1;
            let (m, j) = self.exchange(tree.current(), transform);
            let still = failed_checks(&j).iter().any(|r| failing.contains(r));
            if still {
                (mock, judged) = (m, j);
                kept += 1;
                if !tree.simplify() {
                    break;
                }
            } else if !tree.complicate() {
                break;
            }
        }
        (mock, judged, kept)
    }
}

pub(super) fn failed_checks(judged: &Judged) -> Vec<Rule> {
    judged
        .verdicts
        .iter()
        .filter(|v| !v.passed())
        .map(|v| v.rule)
        .collect()
}

/// A runner whose randomness depends only on the seed, the operation and the property.
pub(super) fn runner_for(seed: u64, op: &str, kind: Kind) -> TestRunner {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let h = fnv1a(&[
            &seed.to_le_bytes(),
            op.as_bytes(),
            kind.label().as_bytes(),
            &[i as u8],
        ]);
        chunk.copy_from_slice(&h.to_le_bytes());
    }
    TestRunner::new_with_rng(
        Config {
            max_local_rejects: MAX_REJECTS,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// FNV-1a: stable across Rust releases, unlike `DefaultHasher`.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runners_are_seeded_by_seed_operation_and_property() {
        let draw = |seed, op| {
            let mut r = runner_for(seed, op, Kind::Valid);
            (0..4)
                .map(|_| (0u32..1000).new_tree(&mut r).unwrap().current())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(1, "a"), draw(1, "a"));
        assert_ne!(draw(1, "a"), draw(2, "a"));
        assert_ne!(draw(1, "a"), draw(1, "b"));
    }
}
