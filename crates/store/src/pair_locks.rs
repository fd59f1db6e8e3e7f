//! PostgreSQL: association writes of one portal and object pair queue in this process before
//! their transaction starts. SERIALIZABLE keeps them correct without this, but a crowd of
//! concurrent batches on one pair (each reading the pair's rows and counts, then inserting
//! next to them) mostly fails with serialization errors and retries: in the benchmark, 32
//! concurrent batches on one pair ran at half the speed of one at a time and some gave up with
//! 503. Queueing them here leaves conflicts only between replicas. It is no lock on the data and
//! nothing depends on it for correctness.

use assocd_core::{Pair, PortalId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OwnedMutexGuard;

/// Entries kept before idle ones are dropped.
const PRUNE_AT: usize = 1024;

type Key = (PortalId, String, String);

#[derive(Default)]
pub(crate) struct PairLocks {
    queues: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>,
}

impl PairLocks {
    /// Waits for the writers of `pair` (either direction) in `portal` ahead of this one.
    pub(crate) async fn queue(&self, portal: PortalId, pair: &Pair) -> OwnedMutexGuard<()> {
        let (a, b) = (pair.from.as_str(), pair.to.as_str());
        let key = if a <= b {
            (portal, a.to_string(), b.to_string())
        } else {
            (portal, b.to_string(), a.to_string())
        };
        let queue = {
            let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
            if queues.len() >= PRUNE_AT {
                queues.retain(|_, q| Arc::strong_count(q) > 1);
            }
            queues.entry(key).or_default().clone()
        };
        queue.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::PairLocks;
    use assocd_core::{ObjectType, Pair};
    use std::time::Duration;
    use tokio::time::timeout;

    fn pair(a: &str, b: &str) -> Pair {
        Pair::new(ObjectType::parse(a).unwrap(), ObjectType::parse(b).unwrap())
    }

    #[tokio::test]
    async fn writers_of_one_pair_queue_in_both_directions_and_others_do_not() {
        let locks = PairLocks::default();
        let held = locks.queue(1, &pair("contacts", "companies")).await;
        let wait = Duration::from_millis(50);
        assert!(
            timeout(wait, locks.queue(1, &pair("companies", "contacts")))
                .await
                .is_err(),
            "the reverse direction waits its turn"
        );
        assert!(
            timeout(wait, locks.queue(2, &pair("contacts", "companies")))
                .await
                .is_ok()
        );
        assert!(timeout(wait, locks.queue(1, &pair("contacts", "deals")))
            .await
            .is_ok());
        drop(held);
        assert!(
            timeout(
                Duration::from_secs(5),
                locks.queue(1, &pair("companies", "contacts"))
            )
            .await
            .is_ok(),
            "the next writer goes once the first is done"
        );
    }
}
