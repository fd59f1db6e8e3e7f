//! Retention: every minute, removes the events (and, with them, their delivery records) that
//! occurred longer ago than the retention period, by the store's clock, the one their
//! `occurredAt` was taken from.

use assocd_core::store::Store;
use assocd_core::Clock;
use std::sync::Arc;
use std::time::Duration;

const EVERY: Duration = Duration::from_secs(60);

pub(crate) async fn run(store: Arc<dyn Store>, clock: Clock, retention: Duration) {
    let mut timer = tokio::time::interval(EVERY);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        timer.tick().await;
        let before = clock.now_ms() - retention.as_millis() as i64;
        match store.clean_events(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "webhooks: removed events past retention"),
            Err(e) => tracing::warn!(error = %e.message, "webhooks: retention cleanup failed"),
        }
    }
}
