//! The worker loop. Each turn: record the results of finished requests and dispatch new
//! changes (one store step, one transaction), claim the deliveries that are due within each
//! app's concurrency cap, and start one task per claimed delivery. It sleeps until this process
//! commits a change, a request finishes, a retry falls due, or the poll interval passes (for
//! changes of other processes). Only this loop calls `outbox_tick` and `claim_batches`, one
//! after the other.

use crate::client::Client;
use crate::deliver::{attempt, real_now_ms};
use crate::WebhookConfig;
use assocd_core::events::AttemptResult;
use assocd_core::store::Store;
use assocd_core::Clock;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Events per dispatch step (one transaction).
const MAX_EVENTS: usize = 20_000;
/// Requests this process keeps in flight at most, over every app.
const MAX_IN_FLIGHT: usize = 256;
/// Pause after waking, so that commits and finished requests arriving together are handled in
/// one step (each step is a commit, which on SQLite shares the one writer with requests).
const GATHER: Duration = Duration::from_millis(10);
/// Pause after a failed step (the database may be away).
const AFTER_ERROR: Duration = Duration::from_secs(1);

pub(crate) struct Worker {
    store: Arc<dyn Store>,
    clock: Clock,
    config: WebhookConfig,
    /// Names this process's claims (PostgreSQL leases).
    owner: String,
    client: Client,
    /// Results of finished requests, recorded at the next step.
    done: Arc<Mutex<Vec<AttemptResult>>>,
    finished: Arc<Notify>,
    in_flight: Arc<AtomicUsize>,
}

impl Worker {
    pub(crate) fn new(store: Arc<dyn Store>, clock: Clock, config: WebhookConfig) -> Worker {
        let owner = format!("worker-{:016x}", rand::random::<u64>());
        Worker {
            client: Client::new(config.request_timeout),
            store,
            clock,
            config,
            owner,
            done: Arc::default(),
            finished: Arc::default(),
            in_flight: Arc::default(),
        }
    }

    fn take_done(&self) -> Vec<AttemptResult> {
        std::mem::take(&mut *self.done.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// One step: record, dispatch, claim, start. Returns whether dispatch has more waiting and
    /// when the next retry falls due.
    async fn step(&self, results: &mut Vec<AttemptResult>) -> Option<(bool, Option<i64>)> {
        results.extend(self.take_done());
        let tick = match self
            .store
            .outbox_tick(&self.owner, results, MAX_EVENTS)
            .await
        {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e.message, "webhooks: outbox step failed; retrying");
                return None;
            }
        };
        results.clear();
        if tick.changes > 0 {
            tracing::trace!(changes = tick.changes, batches = tick.batches, "dispatched");
        }
        let free = MAX_IN_FLIGHT.saturating_sub(self.in_flight.load(Ordering::Relaxed));
        let mut next_due = None;
        if free > 0 {
            let lease = self.config.lease.as_millis() as i64;
            match self
                .store
                .claim_batches(&self.owner, real_now_ms(), lease, free)
                .await
            {
                Ok(claims) => {
                    next_due = claims.next_due;
                    for batch in claims.batches {
                        self.start(batch);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e.message, "webhooks: claiming deliveries failed");
                    return None;
                }
            }
        }
        Some((tick.more, next_due))
    }

    fn start(&self, batch: assocd_core::events::ClaimedBatch) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let (client, clock, scale) = (
            self.client.clone(),
            self.clock.clone(),
            self.config.retry_scale,
        );
        let (done, finished, in_flight) = (
            self.done.clone(),
            self.finished.clone(),
            self.in_flight.clone(),
        );
        tokio::spawn(async move {
            let result = attempt(&client, &batch, scale, &clock).await;
            done.lock().unwrap_or_else(|p| p.into_inner()).push(result);
            in_flight.fetch_sub(1, Ordering::Relaxed);
            finished.notify_one();
        });
    }

    pub(crate) async fn run(&self, mut stop: Pin<&mut (dyn Future<Output = ()> + Send)>) {
        let mut results = Vec::new();
        loop {
            let wait = match self.step(&mut results).await {
                Some((true, _)) => {
                    tokio::task::yield_now().await;
                    continue;
                }
                Some((false, due)) => {
                    let until_due =
                        due.map(|d| Duration::from_millis((d - real_now_ms()).max(0) as u64));
                    until_due.map_or(self.config.poll_interval, |d| {
                        d.min(self.config.poll_interval)
                    })
                }
                None => AFTER_ERROR,
            };
            tokio::select! {
                _ = &mut stop => break,
                _ = self.store.changes_committed() => {}
                _ = self.finished.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
            tokio::time::sleep(GATHER).await;
        }
        self.drain(&mut results).await;
    }

    /// On shutdown: lets requests in flight finish (they end within the request timeout) and
    /// records their results, so a clean stop sends nothing twice after the restart.
    async fn drain(&self, results: &mut Vec<AttemptResult>) {
        let deadline =
            tokio::time::Instant::now() + self.config.request_timeout + Duration::from_secs(1);
        while self.in_flight.load(Ordering::Relaxed) > 0 && tokio::time::Instant::now() < deadline {
            tokio::select! {
                _ = self.finished.notified() => {}
                _ = tokio::time::sleep_until(deadline) => {}
            }
        }
        results.extend(self.take_done());
        if !results.is_empty() {
            if let Err(e) = self.store.outbox_tick(&self.owner, results, 0).await {
                tracing::warn!(error = %e.message, "webhooks: results not recorded at shutdown; those deliveries will be repeated");
            }
        }
    }
}
