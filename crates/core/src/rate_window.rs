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

mod admit;
mod claim;
mod exchange;
mod rows;
mod scopes;
mod verdict;

pub use admit::Windows;
pub use exchange::Claims;
pub use rows::{Decide, Delta, Kind, RemoteHits};
pub use verdict::{Policy, Remaining, Verdict};

/// A map on the per-call path. Its keys are token ids and portal ids of authenticated calls,
/// never text a client chooses freely, so a fast hasher needs no protection from collisions
/// crafted by callers; SipHash cost hundreds of instructions per call here.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Width of a shared ten-secondly bucket, in milliseconds.
pub const BUCKET_MS: i64 = 100;

#[cfg(test)]
mod tests;
