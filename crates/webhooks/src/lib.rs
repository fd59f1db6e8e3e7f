//! The webhook worker: a background task of the server, apart from the HTTP handlers. It reads
//! the outbox the store writes in the transaction of every association change:
//! - `worker`: dispatches committed changes (their place in the feed, their deliveries),
//!   claims due deliveries and sends them (`deliver`: HubSpot's payload, `signing`: v1 and v3
//!   signatures, `client`: the outgoing HTTP client, `schedule`: the retry delays);
//! - `cleaner`: removes events and deliveries older than the retention period.
//!
//! Several replicas on one PostgreSQL run one worker each; the store makes them share the work.
//! Metrics (through the `metrics` facade): `assocd_webhook_outbox_depth`,
//! `assocd_webhook_deliveries_total{result=delivered|retry|failed}` (per request),
//! `assocd_webhook_delivery_delay_seconds` (commit to delivery, per event).

mod body;
mod cleaner;
mod client;
pub mod deliver;
pub mod schedule;
pub mod signing;
mod worker;

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
    /// How long a target may take to answer (HubSpot: 5 s).
    pub request_timeout: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            retry_scale: 1.0,
            event_retention: Duration::from_secs(3 * 24 * 3600),
            lease: Duration::from_secs(30),
            poll_interval: Duration::from_millis(500),
            request_timeout: Duration::from_secs(5),
        }
    }
}

/// How often the outbox depth gauge is read.
const DEPTH_EVERY: Duration = Duration::from_secs(1);

/// Runs the worker until `stop` completes; requests in flight then finish and are recorded.
pub async fn run(
    store: Arc<dyn Store>,
    clock: Clock,
    config: WebhookConfig,
    stop: impl Future<Output = ()> + Send,
) {
    let worker = worker::Worker::new(store.clone(), clock.clone(), config.clone());
    let cleaner = cleaner::run(store.clone(), clock, config.event_retention);
    let depth = async {
        let mut timer = tokio::time::interval(DEPTH_EVERY);
        loop {
            timer.tick().await;
            if let Ok(n) = store.outbox_depth().await {
                metrics::gauge!("assocd_webhook_outbox_depth").set(n as f64);
            }
        }
    };
    let stop: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(stop);
    let mut stop = stop;
    tokio::select! {
        _ = worker.run(stop.as_mut()) => {}
        _ = cleaner => {}
        _ = depth => {}
    }
    tracing::debug!("webhook worker stopped");
}
