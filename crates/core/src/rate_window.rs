//! Counting calls against HubSpot's rate limits, in one process, with what other replicas
//! reported folded in. Pure: the caller passes the time; no I/O.
//!
//! - Ten-secondly: per token, a rolling window of `INTERVAL_MS`. This process's own admitted
//!   calls are kept as exact instants (a call counts while it is less than 10 000 ms old).
//! - Daily: per portal, per UTC day (the day number comes from the caller's clock).
//! - Search: per token, a rolling one-second window (`SEARCH_PER_SECOND`), this process only.
//!
//! Replicas share their counts through the database: every admitted call is also added to a
//! pending delta (per 100 ms bucket for the ten-secondly window, per day for the daily one)
//! that the sync task flushes, and the sync task installs what the other replicas flushed
//! (`install_remote`). Between two syncs a replica that shares a scope with others admits at
//! most its share of what was left at the last sync (`ceil(left / replicas)`), so replicas
//! that see the same stale view cannot together overshoot by more than a few calls.

use crate::rate_limit::{Limits, INTERVAL_MS, SEARCH_PER_SECOND};
use crate::PortalId;
use std::collections::{HashMap, VecDeque};

/// Width of a shared ten-secondly bucket, in milliseconds.
pub const BUCKET_MS: i64 = 100;

/// Which window a shared count belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Scope: a token id; bucket: epoch milliseconds / `BUCKET_MS`.
    TenSecondly,
    /// Scope: a portal id; bucket: the UTC day number.
    Daily,
}

impl Kind {
    pub fn code(self) -> i64 {
        match self {
            Kind::TenSecondly => 0,
            Kind::Daily => 1,
        }
    }

    pub fn from_code(code: i64) -> Option<Kind> {
        match code {
            0 => Some(Kind::TenSecondly),
            1 => Some(Kind::Daily),
            _ => None,
        }
    }
}

/// Calls admitted here and not yet flushed, for one scope and bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    pub kind: Kind,
    pub scope: String,
    pub bucket: i64,
    pub hits: u64,
}

/// What another replica flushed, as the sync reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteHits {
    pub replica: String,
    pub kind: Kind,
    pub scope: String,
    pub bucket: i64,
    pub hits: u64,
}

/// The HubSpot policy a refused call hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    TenSecondly,
    Daily,
    Secondly,
}

impl Policy {
    /// HubSpot's `policyName`.
    pub fn name(self) -> &'static str {
        match self {
            Policy::TenSecondly => "TEN_SECONDLY_ROLLING",
            Policy::Daily => "DAILY",
            Policy::Secondly => "SECONDLY",
        }
    }
}

/// An admitted call's remaining allowance (after counting it), for the headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remaining {
    pub ten_secondly: u64,
    pub daily: Option<u64>,
}

/// The verdict on one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Admitted(Remaining),
    /// Refused; the remaining allowance is what it was (refused calls do not count).
    Refused(Policy, Remaining),
}

/// What the other replicas hold for one scope, as of the last sync.
#[derive(Debug, Default)]
struct Shared {
    /// Other replicas' hits: (bucket, hits), summed over replicas.
    remote: Vec<(i64, u64)>,
    /// Replicas counting in this scope, this one included.
    replicas: usize,
    /// Own plus remote count at the last sync.
    used_at_sync: u64,
    /// Calls admitted here since the last sync.
    since_sync: u64,
}

impl Shared {
    /// Whether this replica's share of what was left at the last sync is used up.
    fn share_spent(&self, limit: u64) -> bool {
        if self.replicas <= 1 {
            return false;
        }
        let left = limit.saturating_sub(self.used_at_sync);
        let share = left.div_ceil(self.replicas as u64);
        self.since_sync >= share
    }
}

#[derive(Debug, Default)]
struct TokenWindow {
    /// Instants (epoch ms) of this process's admitted calls in the window, oldest first.
    hits: VecDeque<i64>,
    shared: Shared,
}

impl TokenWindow {
    fn prune(&mut self, now_ms: i64) {
        while self.hits.front().is_some_and(|t| now_ms - t >= INTERVAL_MS) {
            self.hits.pop_front();
        }
    }

    /// Other replicas' calls in the window at `now_ms`; a bucket that straddles the window's
    /// start counts in proportion to its overlap.
    fn remote(&self, now_ms: i64) -> u64 {
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

    fn used(&mut self, now_ms: i64) -> u64 {
        self.prune(now_ms);
        self.hits.len() as u64 + self.remote(now_ms)
    }
}

#[derive(Debug, Default)]
struct DayCount {
    day: i64,
    own: u64,
    shared: Shared,
}

impl DayCount {
    fn roll(&mut self, day: i64) {
        if self.day != day {
            *self = DayCount {
                day,
                ..Default::default()
            };
        }
    }

    fn used(&self) -> u64 {
        self.own + self.shared.remote.iter().map(|(_, h)| h).sum::<u64>()
    }
}

/// Other replicas' (bucket, hits) of one scope, and which replicas they came from.
type RemoteScope<'a> = (Vec<(i64, u64)>, Vec<&'a str>);

/// Every window of this process.
#[derive(Debug, Default)]
pub struct Windows {
    tokens: HashMap<String, TokenWindow>,
    days: HashMap<PortalId, DayCount>,
    searches: HashMap<String, VecDeque<i64>>,
    pending: HashMap<(Kind, String, i64), u64>,
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
        let window = self.tokens.entry(token.to_string()).or_default();
        let ten_used = window.used(now_ms);
        let daily = self.days.entry(portal).or_default();
        daily.roll(day);
        let daily_used = daily.used();
        let remaining = |ten: u64, d: u64| Remaining {
            ten_secondly: limits.ten_secondly.saturating_sub(ten),
            daily: limits.daily.map(|cap| cap.saturating_sub(d)),
        };
        if let Some(cap) = limits.daily {
            if daily_used >= cap || daily.shared.share_spent(cap) {
                return Verdict::Refused(Policy::Daily, remaining(ten_used, daily_used));
            }
        }
        if ten_used >= limits.ten_secondly || window.shared.share_spent(limits.ten_secondly) {
            return Verdict::Refused(Policy::TenSecondly, remaining(ten_used, daily_used));
        }
        window.hits.push_back(now_ms);
        window.shared.since_sync += 1;
        daily.own += 1;
        daily.shared.since_sync += 1;
        *self
            .pending
            .entry((Kind::TenSecondly, token.to_string(), now_ms / BUCKET_MS))
            .or_default() += 1;
        *self
            .pending
            .entry((Kind::Daily, portal.to_string(), day))
            .or_default() += 1;
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

    /// Takes the deltas to flush.
    pub fn take_pending(&mut self) -> Vec<Delta> {
        self.pending
            .drain()
            .map(|((kind, scope, bucket), hits)| Delta {
                kind,
                scope,
                bucket,
                hits,
            })
            .collect()
    }

    /// Puts back deltas whose flush failed, to go with the next one.
    pub fn restore_pending(&mut self, deltas: Vec<Delta>) {
        for d in deltas {
            *self.pending.entry((d.kind, d.scope, d.bucket)).or_default() += d.hits;
        }
    }

    /// Installs what the other replicas flushed (every row of the current windows; a scope
    /// absent here has no remote hits), and forgets windows with nothing left in them.
    pub fn install_remote(&mut self, rows: &[RemoteHits], now_ms: i64, day: i64) {
        let mut ten: HashMap<&str, RemoteScope> = HashMap::new();
        let mut daily: HashMap<PortalId, (u64, Vec<&str>)> = HashMap::new();
        for r in rows {
            match r.kind {
                Kind::TenSecondly => {
                    let e = ten.entry(r.scope.as_str()).or_default();
                    e.0.push((r.bucket, r.hits));
                    if !e.1.contains(&r.replica.as_str()) {
                        e.1.push(&r.replica);
                    }
                }
                Kind::Daily if r.bucket == day => {
                    if let Ok(p) = r.scope.parse::<PortalId>() {
                        let e = daily.entry(p).or_default();
                        e.0 += r.hits;
                        if !e.1.contains(&r.replica.as_str()) {
                            e.1.push(&r.replica);
                        }
                    }
                }
                Kind::Daily => {}
            }
        }
        for (scope, _) in ten.iter() {
            self.tokens.entry(scope.to_string()).or_default();
        }
        for p in daily.keys() {
            self.days.entry(*p).or_default().roll(day);
        }
        for (scope, window) in self.tokens.iter_mut() {
            let (remote, replicas) = ten.remove(scope.as_str()).unwrap_or_default();
            window.shared.remote = remote;
            window.shared.replicas = replicas.len() + 1;
            window.shared.since_sync = 0;
            window.shared.used_at_sync = window.used(now_ms);
        }
        self.tokens
            .retain(|_, w| !w.hits.is_empty() || !w.shared.remote.is_empty());
        for (portal, count) in self.days.iter_mut() {
            count.roll(day);
            let (hits, replicas) = daily.remove(portal).unwrap_or_default();
            count.shared.remote = if hits > 0 { vec![(day, hits)] } else { vec![] };
            count.shared.replicas = replicas.len() + 1;
            count.shared.since_sync = 0;
            count.shared.used_at_sync = count.used();
        }
        self.days.retain(|_, d| d.used() > 0);
        self.searches.retain(|_, h| {
            while h.front().is_some_and(|t| now_ms - t >= 1000) {
                h.pop_front();
            }
            !h.is_empty()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits {
        ten_secondly: 3,
        daily: Some(5),
    };

    fn admitted(v: Verdict) -> bool {
        matches!(v, Verdict::Admitted(_))
    }

    #[test]
    fn ten_secondly_window_rolls_exactly_after_10_000_ms() {
        let mut w = Windows::default();
        for t in [0, 1, 2] {
            assert!(admitted(w.admit("a", 1, L, t, 0)));
        }
        assert_eq!(
            w.admit("a", 1, L, 9_999, 0),
            Verdict::Refused(
                Policy::TenSecondly,
                Remaining {
                    ten_secondly: 0,
                    daily: Some(2)
                }
            )
        );
        // Another token of the portal has its own window, but shares the daily count.
        assert!(admitted(w.admit("b", 1, L, 9_999, 0)));
        assert_eq!(
            w.admit("a", 1, L, 10_000, 0),
            Verdict::Admitted(Remaining {
                ten_secondly: 0,
                daily: Some(0)
            })
        );
        assert!(matches!(
            w.admit("a", 1, L, 30_000, 0),
            Verdict::Refused(Policy::Daily, _)
        ));
        // A new day starts from zero.
        assert!(admitted(w.admit("a", 1, L, 30_001, 1)));
    }

    #[test]
    fn remote_hits_count_and_replicas_split_what_is_left() {
        let limits = Limits {
            ten_secondly: 10,
            daily: None,
        };
        let mut w = Windows::default();
        assert!(admitted(w.admit("a", 1, limits, 1_000, 0)));
        let remote = |hits| RemoteHits {
            replica: "r2".into(),
            kind: Kind::TenSecondly,
            scope: "a".into(),
            bucket: 10,
            hits,
        };
        w.install_remote(&[remote(5)], 1_050, 0);
        // 1 own + 5 remote: 4 left, 2 replicas: this one may admit 2 before the next sync.
        assert!(admitted(w.admit("a", 1, limits, 1_060, 0)));
        assert!(admitted(w.admit("a", 1, limits, 1_070, 0)));
        assert!(!admitted(w.admit("a", 1, limits, 1_080, 0)));
        // At 11 050 the own call of 1 000 has left the window, those of 1 060 and 1 070 have
        // not, and half of the remote bucket [1 000, 1 100) is still inside.
        w.install_remote(&[remote(6)], 11_050, 0);
        assert_eq!(
            w.remaining("a", 1, limits, 11_050, 0).ten_secondly,
            10 - 2 - 3
        );
    }

    #[test]
    fn pending_deltas_are_taken_once_and_restored_on_failure() {
        let mut w = Windows::default();
        w.admit("a", 7, L, 250, 3);
        w.admit("a", 7, L, 260, 3);
        let mut d = w.take_pending();
        d.sort_by_key(|d| d.kind.code());
        assert_eq!(d[0].hits, 2);
        assert_eq!(d[0].bucket, 2);
        assert_eq!(d[1].scope, "7");
        assert!(w.take_pending().is_empty());
        w.restore_pending(d);
        assert_eq!(w.take_pending().len(), 2);
    }

    #[test]
    fn search_allows_five_per_second() {
        let mut w = Windows::default();
        for t in 0..5 {
            assert!(w.admit_search("a", t));
        }
        assert!(!w.admit_search("a", 999));
        assert!(w.admit_search("a", 1_000));
    }
}
