//! The two counted windows: a token's rolling ten seconds and a portal's UTC day.

use super::claim::Shared;
use super::BUCKET_MS;
use crate::rate_limit::INTERVAL_MS;
use crate::PortalId;
use std::collections::VecDeque;

#[derive(Debug, Default)]
pub(super) struct TokenWindow {
    pub(super) portal: PortalId,
    /// Admitted calls not flushed yet: (bucket, calls), oldest first.
    pub(super) pending: Vec<(i64, u64)>,
    /// Instants (epoch ms) of this process's admitted calls in the window, oldest first.
    pub(super) hits: VecDeque<i64>,
    pub(super) shared: Shared,
}

impl TokenWindow {
    pub(super) fn prune(&mut self, now_ms: i64) {
        while self.hits.front().is_some_and(|t| now_ms - t >= INTERVAL_MS) {
            self.hits.pop_front();
        }
    }

    /// Other replicas' calls in the window at `now_ms`; a bucket that straddles the window's
    /// start counts in proportion to its overlap.
    pub(super) fn remote(&self, now_ms: i64) -> u64 {
        let start = now_ms - INTERVAL_MS;
        self.shared
            .remote
            .iter()
            .map(|&(b, hits)| {
                let (lo, hi) = (b * BUCKET_MS, (b + 1) * BUCKET_MS);
                if lo >= start {
                    hits
                } else if hi > start {
                    hits * (hi - start) as u64 / BUCKET_MS as u64
                } else {
                    0
                }
            })
            .sum()
    }

    pub(super) fn used(&mut self, now_ms: i64) -> u64 {
        self.prune(now_ms);
        self.hits.len() as u64 + self.remote(now_ms)
    }
}

#[derive(Debug, Default)]
pub(super) struct DayCount {
    pub(super) day: i64,
    pub(super) own: u64,
    /// Admitted calls of `day` not flushed yet.
    pub(super) pending: u64,
    pub(super) shared: Shared,
}

impl DayCount {
    pub(super) fn roll(&mut self, day: i64) {
        if self.day != day {
            *self = DayCount {
                day,
                ..Default::default()
            };
        }
    }

    pub(super) fn used(&self) -> u64 {
        self.own + self.shared.remote.iter().map(|(_, h)| h).sum::<u64>()
    }
}
