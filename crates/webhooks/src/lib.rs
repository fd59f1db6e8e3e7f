//! The webhook worker: a background task of the server, apart from the HTTP handlers. It reads
//! the outbox the store writes in the transaction of every association change:
//! - `dispatch`: gives committed changes their place in the feed and queues their deliveries;
//! - `cleaner`: removes events older than the retention period.
//!
//! Several replicas on one PostgreSQL run one worker each; the store makes them share the work.

mod cleaner;
mod dispatch;

use assocd_core::store::Store;
use assocd_core::Clock;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// How the worker runs (the server's CLI fills this in).
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Multiplies every retry delay (1.0: HubSpot's ~24 hours; 0.001 for tests).
    pub retry_scale: f64,
    /// How long events (delivered, failed or never subscribed to) are kept.
    pub event_retention: Duration,
    /// How long a claimed delivery stays with the replica that claimed it before another may
    /// take it over (PostgreSQL).
    pub lease: Duration,
    /// How long the worker waits for changes of other processes before looking again.
    pub poll_interval: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            retry_scale: 1.0,
            event_retention: Duration::from_secs(3 * 24 * 3600),
            lease: Duration::from_secs(30),
            poll_interval: Duration::from_millis(500),
        }
    }
}

/// Runs the worker until `stop` completes.
pub async fn run(
    store: Arc<dyn Store>,
    clock: Clock,
    config: WebhookConfig,
    stop: impl Future<Output = ()> + Send,
) {
    let dispatcher = dispatch::run(store.clone(), config.clone());
    let cleaner = cleaner::run(store, clock, config.event_retention);
    tokio::select! {
        _ = stop => {}
        _ = dispatcher => {}
        _ = cleaner => {}
    }
    tracing::debug!("webhook worker stopped");
}
