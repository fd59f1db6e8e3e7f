//! What the database pools hold, for the server's `assocd_db_pool_*` gauges (read when
//! `/metrics` is scraped, so the request path pays only for counting waiters).

use crate::SqlStore;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

/// The connections assocd holds to its database at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Open connections (in use and idle).
    pub size: u64,
    /// Open connections nobody uses.
    pub idle: u64,
    /// The most connections the pools may open (on SQLite the request path's readers, one
    /// per worker thread reading at the same moment, come on top and are counted as open).
    pub max: u64,
    /// Callers waiting for a pooled connection (for a write transaction, until its `BEGIN`
    /// has returned).
    pub waiting: u64,
}

impl PoolStats {
    pub fn in_use(&self) -> u64 {
        self.size.saturating_sub(self.idle)
    }
}

/// Counts callers inside `wait_for` (cancelled ones leave the count too).
#[derive(Debug, Default)]
pub(crate) struct Waiting(AtomicU64);

struct Leave<'a>(&'a AtomicU64);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Waiting {
    pub(crate) async fn wait_for<F: Future>(&self, acquire: F) -> F::Output {
        self.0.fetch_add(1, Ordering::Relaxed);
        let _leave = Leave(&self.0);
        acquire.await
    }

    fn now(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl SqlStore {
    /// The pools' state now.
    pub fn pool_stats(&self) -> PoolStats {
        let pool = |p: &sqlx::AnyPool| {
            (
                u64::from(p.size()),
                p.num_idle() as u64,
                u64::from(p.options().get_max_connections()),
            )
        };
        let (mut size, mut idle, mut max) = pool(&self.read);
        if let Some(readers) = &self.sqlite_readers {
            // SQLite: a writer pool of its own, and the request path's readers.
            let (w_size, w_idle, w_max) = pool(&self.write);
            let (r_open, r_idle) = readers.counts();
            size += w_size + r_open as u64;
            idle += w_idle + r_idle as u64;
            max += w_max + r_open as u64;
        }
        PoolStats {
            size,
            idle,
            max,
            waiting: self.waiting.now(),
        }
    }
}
