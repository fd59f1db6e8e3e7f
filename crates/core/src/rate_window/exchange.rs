//! Exchanges with the other replicas: the deltas to flush, their counts and claims to fold in,
//! this replica's claims to publish.

use super::admit::Windows;
use super::rows::{Delta, Kind, RemoteHits};
use crate::rate_limit::Limits;
use crate::PortalId;
use std::collections::HashMap;

/// Other replicas' (bucket, hits) of one ten-secondly scope, and the sum of their claims.
type RemoteScope = (Vec<(i64, u64)>, u64);

/// What an exchange publishes for this replica: its claims, as (kind, scope, amount).
pub type Claims = Vec<(Kind, String, u64)>;

impl Windows {
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
