//! Counting one call: the hot path of every call while limits are on.

use super::rows::Delta;
use super::scopes::{DayCount, TokenWindow};
use super::verdict::{Policy, Remaining, Verdict};
use super::FastMap;
use super::BUCKET_MS;
use crate::rate_limit::{Limits, SEARCH_PER_SECOND};
use crate::PortalId;
use std::collections::VecDeque;

/// Every window of this process.
#[derive(Debug, Default)]
pub struct Windows {
    pub(super) tokens: FastMap<String, TokenWindow>,
    pub(super) days: FastMap<PortalId, DayCount>,
    pub(super) searches: FastMap<String, VecDeque<i64>>,
    /// Deltas of a failed exchange, to go with the next one.
    pub(super) restored: Vec<Delta>,
    /// Replicas alive on the database at the last exchange (this one included); 0 before the
    /// first, when calls wait for it (another replica may already be serving).
    pub(super) alive: usize,
}

impl Windows {
    /// Counts a call of `token` (portal `portal`) under `limits` at `now_ms` (system time)
    /// on UTC day `day`, unless a limit is reached. The daily limit is checked first: when it
    /// is reached nothing helps before tomorrow.
    pub fn admit(
        &mut self,
        token: &str,
        portal: PortalId,
        limits: Limits,
        now_ms: i64,
        day: i64,
    ) -> Verdict {
        let alive = if self.alive == 0 { 2 } else { self.alive };
        // The hot path: a token seen before costs no allocation.
        if !self.tokens.contains_key(token) {
            self.tokens
                .insert(token.to_string(), TokenWindow::default());
        }
        let Some(window) = self.tokens.get_mut(token) else {
            return Verdict::Refused(
                Policy::TenSecondly,
                Remaining {
                    ten_secondly: 0,
                    daily: limits.daily.map(|_| 0),
                },
            );
        };
        window.portal = portal;
        window.shared.touched = true;
        let ten_used = window.used(now_ms);
        let daily = self.days.entry(portal).or_default();
        daily.roll(day);
        daily.shared.touched = true;
        let daily_used = daily.used();
        let remaining = |ten: u64, d: u64| Remaining {
            ten_secondly: limits.ten_secondly.saturating_sub(ten),
            daily: limits.daily.map(|cap| cap.saturating_sub(d)),
        };
        let left = remaining(ten_used, daily_used);
        if let Some(cap) = limits.daily {
            if daily_used >= cap {
                return Verdict::Refused(Policy::Daily, left);
            }
            if !daily.shared.within_claim(alive) {
                return Verdict::Exchange(Policy::Daily, left);
            }
        }
        if ten_used >= limits.ten_secondly {
            return Verdict::Refused(Policy::TenSecondly, left);
        }
        if !window.shared.within_claim(alive) {
            return Verdict::Exchange(Policy::TenSecondly, left);
        }
        window.hits.push_back(now_ms);
        window.shared.since_claim += 1;
        window.shared.total += 1;
        daily.own += 1;
        daily.shared.since_claim += 1;
        daily.shared.total += 1;
        daily.pending += 1;
        let bucket = now_ms / BUCKET_MS;
        match window.pending.last_mut() {
            Some((b, n)) if *b == bucket => *n += 1,
            _ => window.pending.push((bucket, 1)),
        }
        Verdict::Admitted(remaining(ten_used + 1, daily_used + 1))
    }

    /// Counts a search call of `token`: at most `SEARCH_PER_SECOND` in any 1000 ms.
    pub fn admit_search(&mut self, token: &str, now_ms: i64) -> bool {
        let hits = self.searches.entry(token.to_string()).or_default();
        while hits.front().is_some_and(|t| now_ms - t >= 1000) {
            hits.pop_front();
        }
        if hits.len() as u64 >= SEARCH_PER_SECOND {
            return false;
        }
        hits.push_back(now_ms);
        true
    }

    /// The allowance left for `token` and `portal` without counting a call (for answers that
    /// report the limits, such as the control plane's).
    pub fn remaining(
        &mut self,
        token: &str,
        portal: PortalId,
        limits: Limits,
        now_ms: i64,
        day: i64,
    ) -> Remaining {
        let ten = self.tokens.get_mut(token).map_or(0, |w| w.used(now_ms));
        let daily = self
            .days
            .get(&portal)
            .filter(|d| d.day == day)
            .map_or(0, DayCount::used);
        Remaining {
            ten_secondly: limits.ten_secondly.saturating_sub(ten),
            daily: limits.daily.map(|cap| cap.saturating_sub(daily)),
        }
    }
}
