//! A replica's claim on one scope (a token's ten-secondly window or a portal's day) and what
//! the other replicas hold of it.

/// What the other replicas hold for one scope, as of the last exchange, and this replica's
/// claim.
#[derive(Debug, Default)]
pub(super) struct Shared {
    /// Other replicas' hits: (bucket, hits), summed over replicas.
    pub(super) remote: Vec<(i64, u64)>,
    /// What the other replicas claimed.
    pub(super) others_claims: u64,
    /// This replica's claim (calls it may admit between two exchanges); `None` before the
    /// first exchange that saw the scope.
    pub(super) claim: Option<u64>,
    /// Calls admitted here since the claim was made.
    pub(super) since_claim: u64,
    /// Calls admitted here in all.
    pub(super) total: u64,
    /// `total` when the deltas of the running exchange were taken: calls after it are not
    /// flushed by that exchange.
    pub(super) taken_at: u64,
    /// A claim decided in an exchange not committed yet, and `total` when it was decided.
    pub(super) next_claim: Option<(u64, u64)>,
    /// Asked for since the last exchange (kept until the next one, to get a claim).
    pub(super) touched: bool,
}

impl Shared {
    /// Whether a call may go without an exchange first.
    pub(super) fn within_claim(&self, alive: usize) -> bool {
        alive <= 1 || self.claim.is_some_and(|c| self.since_claim < c)
    }

    /// A new claim: what this replica may admit out of `left`; it takes effect when the
    /// exchange commits (`commit`), counting the calls admitted meanwhile.
    /// Returns what to publish: the claim plus the calls this exchange does not flush, so
    /// the other replicas count every call of this one as flushed or claimed.
    pub(super) fn renew(&mut self, limit: u64, used: u64, alive: usize) -> u64 {
        let left = limit.saturating_sub(used + self.others_claims);
        let claim = left.div_ceil(alive.max(1) as u64);
        self.next_claim = Some((claim, self.total));
        claim + (self.total - self.taken_at)
    }

    pub(super) fn commit(&mut self) {
        if let Some((claim, total)) = self.next_claim.take() {
            self.claim = Some(claim);
            self.since_claim = self.total - total;
        }
    }
}
