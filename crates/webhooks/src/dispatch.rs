//! The dispatch loop: whenever this process commits a change (or every poll interval, for
//! changes of other processes), dispatch what is waiting, in steps of bounded size.

use crate::WebhookConfig;
use assocd_core::store::Store;
use std::sync::Arc;
use std::time::Duration;

/// Events per dispatch step (one transaction).
const MAX_EVENTS: usize = 20_000;
/// Pause after a step that found work, so a busy writer's changes are dispatched in fewer,
/// larger steps (each step is one commit, which SQLite's single writer shares with requests).
const BATCHING: Duration = Duration::from_millis(20);
/// Pause after a failed step (the database may be away).
const AFTER_ERROR: Duration = Duration::from_secs(1);

pub(crate) async fn run(store: Arc<dyn Store>, config: WebhookConfig) {
    loop {
        match store.outbox_tick(MAX_EVENTS).await {
            Ok(tick) if tick.more => {
                tokio::task::yield_now().await;
                continue;
            }
            Ok(tick) => {
                if tick.changes > 0 {
                    tracing::trace!(changes = tick.changes, events = tick.events, "dispatched");
                    tokio::time::sleep(BATCHING).await;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e.message, "webhooks: dispatch failed; retrying");
                tokio::time::sleep(AFTER_ERROR).await;
            }
        }
        tokio::select! {
            _ = store.changes_committed() => {}
            _ = tokio::time::sleep(config.poll_interval) => {}
        }
    }
}
