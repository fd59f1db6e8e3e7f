//! Retention: every minute, removes the events that occurred longer ago than the retention
//! period (by the store's clock, the one their `occurredAt` was taken from) and the finished
//! deliveries last attempted longer ago than that (by real time, as their attempts are).

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
        let keep = retention.as_millis() as i64;
        let events_before = clock.now_ms() - keep;
        let deliveries_before = crate::deliver::real_now_ms() - keep;
        match store.clean_events(events_before, deliveries_before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "webhooks: removed events past retention"),
            Err(e) => tracing::warn!(error = %e.message, "webhooks: retention cleanup failed"),
        }
    }
}
