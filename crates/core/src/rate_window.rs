//! Counting calls against HubSpot's rate limits, in one process, with what other replicas
//! reported folded in. Pure: the caller passes the time; no I/O.
//!
//! - Ten-secondly: per token, a rolling window of `INTERVAL_MS`. This process's own admitted
//!   calls are kept as exact instants (a call counts while it is less than 10 000 ms old).
//! - Daily: per portal, per UTC day (the day number comes from the caller's clock).
//! - Search: per token, a rolling one-second window (`SEARCH_PER_SECOND`), this process only.
//!
//! Replicas share their counts through the database. Every admitted call is added to a
//! pending delta (per 100 ms bucket for the ten-secondly window, per day for the daily one),
//! and an exchange (`exchange`) flushes the deltas and reads the other replicas' counts in one
//! serializable transaction. While more than one replica is alive, a replica admits calls of a
//! scope only within a *claim* it published in that same transaction: `ceil(left / replicas)`,
//! where `left` is the limit minus every replica's flushed calls minus the other replicas'
//! claims. A call beyond its claim waits for the next exchange (`Verdict::Exchange`). As every
//! call admitted anywhere is covered by a flushed count or a published claim, and the
//! transactions are serializable, the replicas together stay within the limit; what remains
//! is the 100 ms granularity of other replicas' ten-secondly counts (see `TokenWindow::remote`).
//! A lone replica (no other heartbeat) needs no claims and admits on its own counts.

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
    /// A replica's heartbeat: scope empty; bucket: epoch seconds. Tells every replica how many
    /// share the database, before they share a scope.
    Replica,
    /// A replica's claim on a token's ten-secondly window: scope a token id, bucket 0.
    TenClaim,
    /// A replica's claim on a portal's day: scope a portal id, bucket 0.
    DailyClaim,
}

impl Kind {
    pub fn code(self) -> i64 {
        match self {
            Kind::TenSecondly => 0,
            Kind::Daily => 1,
            Kind::Replica => 2,
            Kind::TenClaim => 3,
            Kind::DailyClaim => 4,
        }
    }

    pub fn from_code(code: i64) -> Option<Kind> {
        match code {
            0 => Some(Kind::TenSecondly),
            1 => Some(Kind::Daily),
            2 => Some(Kind::Replica),
            3 => Some(Kind::TenClaim),
            4 => Some(Kind::DailyClaim),
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
    /// This replica's claim on the window is used up (or it has none yet): ask again after an
    /// exchange; refused with this policy if there is still none then.
    Exchange(Policy, Remaining),
}

/// What the other replicas hold for one scope, as of the last exchange, and this replica's
/// claim.
#[derive(Debug, Default)]
struct Shared {
    /// Other replicas' hits: (bucket, hits), summed over replicas.
    remote: Vec<(i64, u64)>,
    /// What the other replicas claimed.
    others_claims: u64,
    /// This replica's claim (calls it may admit between two exchanges); `None` before the
    /// first exchange that saw the scope.
    claim: Option<u64>,
    /// Calls admitted here since the claim was made.
    since_claim: u64,
    /// Calls admitted here in all.
    total: u64,
    /// `total` when the deltas of the running exchange were taken: calls after it are not
    /// flushed by that exchange.
    taken_at: u64,
    /// A claim decided in an exchange not committed yet, and `total` when it was decided.
    next_claim: Option<(u64, u64)>,
    /// Asked for since the last exchange (kept until the next one, to get a claim).
    touched: bool,
}

impl Shared {
    /// Whether a call may go without an exchange first.
    fn within_claim(&self, alive: usize) -> bool {
        alive <= 1 || self.claim.is_some_and(|c| self.since_claim < c)
    }

    /// A new claim: what this replica may admit out of `left`; it takes effect when the
    /// exchange commits (`commit`), counting the calls admitted meanwhile.
    /// Returns what to publish: the claim plus the calls this exchange does not flush, so
    /// the other replicas count every call of this one as flushed or claimed.
    fn renew(&mut self, limit: u64, used: u64, alive: usize) -> u64 {
        let left = limit.saturating_sub(used + self.others_claims);
        let claim = left.div_ceil(alive.max(1) as u64);
        self.next_claim = Some((claim, self.total));
        claim + (self.total - self.taken_at)
    }

    fn commit(&mut self) {
        if let Some((claim, total)) = self.next_claim.take() {
            self.claim = Some(claim);
            self.since_claim = self.total - total;
        }
    }
}

#[derive(Debug, Default)]
struct TokenWindow {
    portal: PortalId,
    /// Admitted calls not flushed yet: (bucket, calls), oldest first.
    pending: Vec<(i64, u64)>,
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
    /// Admitted calls of `day` not flushed yet.
    pending: u64,
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

/// Every window of this process.
#[derive(Debug, Default)]
pub struct Windows {
    tokens: HashMap<String, TokenWindow>,
    days: HashMap<PortalId, DayCount>,
    searches: HashMap<String, VecDeque<i64>>,
    /// Deltas of a failed exchange, to go with the next one.
    restored: Vec<Delta>,
    /// Replicas alive on the database at the last exchange (this one included); 0 before the
    /// first, when calls wait for it (another replica may already be serving).
    alive: usize,
}

/// Other replicas' (bucket, hits) of one ten-secondly scope, and the sum of their claims.
type RemoteScope = (Vec<(i64, u64)>, u64);

/// What an exchange publishes for this replica: its claims, as (kind, scope, amount).
pub type Claims = Vec<(Kind, String, u64)>;

/// Decides an exchange's claims from the other replicas' rows and the replicas alive.
pub type Decide<'a> = dyn for<'r> Fn(&'r [RemoteHits], usize) -> Claims + Send + Sync + 'a;

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

    /// After an exchange committed: its claims take effect.
    pub fn commit_claims(&mut self) {
        for w in self.tokens.values_mut() {
            w.shared.commit();
        }
        for d in self.days.values_mut() {
            d.shared.commit();
        }
    }

    /// Whether the last exchange found no other replica alive.
    pub fn is_alone(&self) -> bool {
        self.alive == 1
    }

    /// After a failed exchange: counts alone (no claims) until an exchange succeeds again.
    pub fn alone(&mut self) {
        self.alive = 1;
    }

    /// Takes the deltas to flush.
    pub fn take_pending(&mut self) -> Vec<Delta> {
        let mut out = std::mem::take(&mut self.restored);
        for (token, w) in self.tokens.iter_mut() {
            w.shared.taken_at = w.shared.total;
            out.extend(w.pending.drain(..).map(|(bucket, hits)| Delta {
                kind: Kind::TenSecondly,
                scope: token.clone(),
                bucket,
                hits,
            }));
        }
        for (portal, d) in self.days.iter_mut() {
            d.shared.taken_at = d.shared.total;
            if d.pending > 0 {
                out.push(Delta {
                    kind: Kind::Daily,
                    scope: portal.to_string(),
                    bucket: d.day,
                    hits: std::mem::take(&mut d.pending),
                });
            }
        }
        out
    }

    /// Puts back deltas whose flush failed, to go with the next one.
    pub fn restore_pending(&mut self, deltas: Vec<Delta>) {
        self.restored.extend(deltas);
    }

    /// Installs an exchange's reading: the other replicas' rows (hits of the current windows
    /// and claims of alive replicas; a scope absent here has none) and how many replicas are
    /// alive (this one included). While others are alive, renews this replica's claims on every
    /// scope it counts in, with `limits_of` a portal's limits; returns the claims to publish.
    /// Forgets windows with nothing left in them.
    pub fn exchange(
        &mut self,
        rows: &[RemoteHits],
        alive: usize,
        now_ms: i64,
        day: i64,
        limits_of: &dyn Fn(PortalId) -> Option<Limits>,
    ) -> Claims {
        self.alive = alive.max(1);
        let mut ten: HashMap<&str, RemoteScope> = HashMap::new();
        let mut daily: HashMap<PortalId, (u64, u64)> = HashMap::new();
        for r in rows {
            match r.kind {
                Kind::TenSecondly => ten.entry(&r.scope).or_default().0.push((r.bucket, r.hits)),
                Kind::TenClaim => ten.entry(&r.scope).or_default().1 += r.hits,
                Kind::Daily | Kind::DailyClaim => {
                    let Ok(p) = r.scope.parse::<PortalId>() else {
                        continue;
                    };
                    match r.kind {
                        Kind::Daily if r.bucket == day => daily.entry(p).or_default().0 += r.hits,
                        Kind::DailyClaim => daily.entry(p).or_default().1 += r.hits,
                        _ => {}
                    }
                }
                Kind::Replica => {}
            }
        }
        let mut claims = Claims::new();
        for (scope, window) in self.tokens.iter_mut() {
            let (remote, others) = ten.remove(scope.as_str()).unwrap_or_default();
            window.shared.remote = remote;
            window.shared.others_claims = others;
            let used = window.used(now_ms);
            if let Some(limits) = limits_of(window.portal).filter(|_| self.alive > 1) {
                let c = window.shared.renew(limits.ten_secondly, used, self.alive);
                claims.push((Kind::TenClaim, scope.clone(), c));
            }
        }
        self.tokens.retain(|_, w| {
            std::mem::take(&mut w.shared.touched)
                || !w.hits.is_empty()
                || !w.shared.remote.is_empty()
        });
        for (portal, count) in self.days.iter_mut() {
            count.roll(day);
            let (hits, others) = daily.remove(portal).unwrap_or_default();
            count.shared.remote = if hits > 0 { vec![(day, hits)] } else { vec![] };
            count.shared.others_claims = others;
            let cap = limits_of(*portal).and_then(|l| l.daily);
            if let Some(cap) = cap.filter(|_| self.alive > 1) {
                let c = count.shared.renew(cap, count.used(), self.alive);
                claims.push((Kind::DailyClaim, portal.to_string(), c));
            }
        }
        self.days
            .retain(|_, d| std::mem::take(&mut d.shared.touched) || d.used() > 0);
        self.searches.retain(|_, h| {
            while h.front().is_some_and(|t| now_ms - t >= 1000) {
                h.pop_front();
            }
            !h.is_empty()
        });
        claims
    }
}

#[cfg(test)]
mod tests;
