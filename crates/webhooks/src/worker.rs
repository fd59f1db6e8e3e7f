//! The worker loop. Each turn: record the results of finished requests and dispatch new
//! changes (one store step, one transaction), claim the deliveries that are due within each
//! app's concurrency cap, and start one task per claimed delivery. It sleeps until this process
//! commits a change, a request finishes, a retry falls due, or the poll interval passes (for
//! changes of other processes), then gathers for a moment (`next_step`: longer while changes
//! keep coming). Only this loop calls `outbox_tick` and `claim_batches`, one after the other.

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
use tokio::time::Instant;

/// Events per dispatch step (one transaction).
const MAX_EVENTS: usize = 20_000;
/// Requests this process keeps in flight at most, over every app.
const MAX_IN_FLIGHT: usize = 256;
/// Pause after waking, so that commits and finished requests arriving together are handled in
/// one step (each step is a commit, which on SQLite shares the one writer with requests).
const GATHER: Duration = Duration::from_millis(10);
/// Least time from a step that dispatched changes to the next step. While writes keep coming
/// (each wakes the worker), this turns one worker commit per write commit into one per
/// `BUSY_CADENCE` (on PostgreSQL one claim transaction per app as well), each dispatching
/// more; a change after a quiet spell still goes out `GATHER` after its commit.
const BUSY_CADENCE: Duration = Duration::from_millis(100);
/// Pause after a failed step (the database may be away).
const AFTER_ERROR: Duration = Duration::from_secs(1);

/// When the step after a wake-up at `woke` starts: `GATHER` later, and not before
/// `BUSY_CADENCE` has passed since the last step that dispatched changes (`last_dispatch`).
fn next_step(woke: Instant, last_dispatch: Option<Instant>) -> Instant {
    let gathered = woke + GATHER;
    last_dispatch.map_or(gathered, |at| gathered.max(at + BUSY_CADENCE))
}

/// What a step found.
struct Stepped {
    /// Dispatch has more changes waiting than one step takes.
    more: bool,
    /// It dispatched changes.
    dispatched: bool,
    /// When the next retry falls due (epoch ms).
    next_due: Option<i64>,
}

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

    /// One step: record, dispatch, claim, start. `None` when the store failed.
    async fn step(&self, results: &mut Vec<AttemptResult>) -> Option<Stepped> {
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
        Some(Stepped {
            more: tick.more,
            dispatched: tick.changes > 0,
            next_due,
        })
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
        let mut last_dispatch = None;
        loop {
            let started = Instant::now();
            let stepped = self.step(&mut results).await;
            if stepped.as_ref().is_some_and(|s| s.dispatched) {
                last_dispatch = Some(started);
            }
            let wait = match stepped {
                Some(s) if s.more => {
                    tokio::task::yield_now().await;
                    continue;
                }
                Some(s) => {
                    let until_due = s
                        .next_due
                        .map(|d| Duration::from_millis((d - real_now_ms()).max(0) as u64));
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
            tokio::time::sleep_until(next_step(Instant::now(), last_dispatch)).await;
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

#[cfg(test)]
mod tests {
    use super::{next_step, BUSY_CADENCE, GATHER};
    use std::time::Duration;
    use tokio::time::Instant;

    #[test]
    fn a_change_after_a_quiet_spell_waits_only_the_gather() {
        let dispatched = Instant::now();
        let woke = dispatched + BUSY_CADENCE + Duration::from_secs(1);
        assert_eq!(next_step(woke, None), woke + GATHER);
        assert_eq!(next_step(woke, Some(dispatched)), woke + GATHER);
    }

    #[test]
    fn changes_soon_after_a_dispatch_wait_for_the_busy_cadence() {
        let dispatched = Instant::now();
        let woke = dispatched + Duration::from_millis(1);
        assert_eq!(next_step(woke, Some(dispatched)), dispatched + BUSY_CADENCE);
        assert!(BUSY_CADENCE > GATHER + Duration::from_millis(1));
    }
}
