//! Group commit of association write batches, on both backends.
//!
//! Batches queue in a *lane*. The lane's task takes everything queued (up to
//! `MAX_GROUP_INPUTS` inputs), runs each batch under its own savepoint inside one write
//! transaction (the `BEGIN` of every write: `BEGIN IMMEDIATE` on SQLite, SERIALIZABLE on
//! PostgreSQL), commits once, and only then answers every caller. So:
//! - an answered write is durable (the answer waits for the group's commit);
//! - a batch refused as a whole (all or nothing) rolls back to its savepoint and leaves the
//!   others in the group untouched;
//! - batches run one after the other in the transaction, so each sees the ones before it and
//!   limits hold exactly as with one transaction per batch;
//! - a batch's change events are written in its group's transaction;
//! - a database failure fails the whole group or, when retryable (a busy SQLite file, a
//!   PostgreSQL serialization failure), runs it again, as `write_tx!` does.
//!
//! The lanes:
//! - SQLite: one for the database, which has one writer anyway; each commit costs a WAL append
//!   and an fsync, so the fewer the better.
//! - PostgreSQL: one per portal and object pair (either direction). SERIALIZABLE keeps
//!   concurrent writers correct without lanes, but a crowd of concurrent batches on one pair
//!   (each reading the pair's rows and counts, then inserting next to them) mostly fails with
//!   serialization errors and retries: in the benchmark, 32 concurrent batches on one pair ran
//!   at half the speed of one at a time and some gave up with 503. In one lane they neither
//!   conflict nor commit one by one, while other pairs run beside them on connections of their
//!   own. Conflicts are left only between replicas, and the retry handles those; nothing
//!   depends on the lanes for correctness.
//!
//! A lane's task ends as soon as its queue is empty and no writer is about to send to it, so a
//! pair that stopped writing holds neither a task nor memory. A batch that waited longer than
//! one transaction's deadline for its group is answered 503 and not written: its caller has
//! most likely given up, and a database that slow needs no more work.

use super::apply_batch;
use crate::outbox::ChangeMeta;
use crate::pool_stats::Waiting;
use crate::{retry_backoff, Backend, TxError, MAX_RETRIES};
use assocd_core::records::{LinkEdit, LinkOutcome};
use assocd_core::store::Result;
use assocd_core::{Error, Pair, PortalId};
use futures_util::FutureExt;
use sqlx::{Any, AnyPool, Transaction};
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Inputs one group may hold (a single larger batch still runs, alone).
const MAX_GROUP_INPUTS: usize = 4000;
/// Batches that may wait in one lane before senders wait for room.
const QUEUE: usize = 1024;
/// How long an empty lane whose queue a writer still holds waits before looking again (the
/// writer is sending, or its request was cancelled before it could).
const IDLE_RECHECK: Duration = Duration::from_secs(1);
/// Batches (write requests) committed together, one sample per group. The name dates from
/// when only SQLite grouped; dashboards read it under this name.
pub const GROUP_BATCH_SIZE: &str = "assocd_sqlite_group_commit_batch_size";

type Outcomes = Result<Vec<Result<LinkOutcome>>>;

/// What a lane serializes: the whole database (SQLite), or a portal's pair of object types in
/// name order (PostgreSQL).
pub(super) type Lane = Option<(PortalId, String, String)>;

struct Job {
    portal: PortalId,
    pair: Pair,
    edits: Vec<LinkEdit>,
    all_or_nothing: bool,
    meta: ChangeMeta,
    queued: Instant,
    reply: oneshot::Sender<Outcomes>,
}

/// The lanes in front of the association writes.
pub(crate) struct GroupWriter {
    shared: Arc<Shared>,
}

struct Shared {
    pool: AnyPool,
    backend: Backend,
    deadline: Duration,
    waiting: Arc<Waiting>,
    lanes: Mutex<HashMap<Lane, mpsc::Sender<Job>>>,
}

impl GroupWriter {
    /// Lanes start on the caller's runtime when a batch arrives and end when idle.
    pub(crate) fn new(
        pool: AnyPool,
        backend: Backend,
        deadline: Duration,
        waiting: Arc<Waiting>,
    ) -> Self {
        let lanes = Mutex::default();
        let shared = Shared {
            pool,
            backend,
            deadline,
            waiting,
            lanes,
        };
        GroupWriter {
            shared: Arc::new(shared),
        }
    }

    /// Writes one batch as part of the next group of its lane; answers after that group
    /// committed.
    pub(crate) async fn write(
        &self,
        portal: PortalId,
        pair: &Pair,
        edits: &[LinkEdit],
        all_or_nothing: bool,
        meta: ChangeMeta,
    ) -> Outcomes {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            portal,
            pair: pair.clone(),
            edits: edits.to_vec(),
            all_or_nothing,
            meta,
            queued: Instant::now(),
            reply,
        };
        let queue = self
            .shared
            .queue_of(lane_of(self.shared.backend, portal, pair));
        let sent = queue.send(job).await;
        // The lane may end once no writer holds its queue.
        drop(queue);
        if sent.is_err() {
            return Err(Error::unavailable(crate::UNAVAILABLE));
        }
        answer
            .await
            .unwrap_or_else(|_| Err(Error::internal("the association writer stopped")))
    }

    /// Lanes with a task now.
    #[cfg(test)]
    pub(crate) fn lanes_open(&self) -> usize {
        self.shared.lanes.lock().unwrap().len()
    }
}

/// The lane of a batch of `pair` in `portal`.
pub(super) fn lane_of(backend: Backend, portal: PortalId, pair: &Pair) -> Lane {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => {
            let (a, b) = (pair.from.as_str(), pair.to.as_str());
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            Some((portal, a.to_string(), b.to_string()))
        }
    }
}

impl Shared {
    /// The queue of `lane`, starting its task when there is none (or it stopped).
    fn queue_of(self: &Arc<Self>, lane: Lane) -> mpsc::Sender<Job> {
        let mut lanes = self.lanes.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(queue) = lanes.get(&lane).filter(|q| !q.is_closed()) {
            return queue.clone();
        }
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(self.clone(), lane.clone(), rx));
        lanes.insert(lane, queue.clone());
        queue
    }

    /// Removes `lane` when nothing is queued and no writer holds its queue (writers take it
    /// under the same lock), so that no batch can reach the task after it ends.
    fn close_if_idle(&self, lane: &Lane, rx: &mpsc::Receiver<Job>) -> bool {
        let mut lanes = self.lanes.lock().unwrap_or_else(|p| p.into_inner());
        let idle = rx.is_empty() && rx.sender_strong_count() == 1;
        if idle {
            lanes.remove(lane);
        }
        idle
    }

    async fn begin(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        let begin = self.pool.begin_with(self.backend.begin_write_sql());
        self.waiting.wait_for(begin).await
    }
}

async fn run(shared: Arc<Shared>, lane: Lane, mut rx: mpsc::Receiver<Job>) {
    loop {
        let first = match rx.try_recv() {
            Ok(job) => job,
            Err(_) if shared.close_if_idle(&lane, &rx) => return,
            Err(_) => match tokio::time::timeout(IDLE_RECHECK, rx.recv()).await {
                Ok(Some(job)) => job,
                Ok(None) => return,
                Err(_) => continue,
            },
        };
        let jobs = take_group(first, &mut rx, shared.deadline);
        if jobs.is_empty() {
            continue;
        }
        metrics::histogram!(GROUP_BATCH_SIZE).record(jobs.len() as f64);
        let results = AssertUnwindSafe(commit_group(&shared, &jobs))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| {
                tracing::error!("the association writer panicked; the group was rolled back");
                jobs.iter()
                    .map(|_| Err(Error::internal("internal storage error")))
                    .collect()
            });
        for (job, result) in jobs.into_iter().zip(results) {
            // A caller that went away no longer needs its answer; its write stands.
            let _ = job.reply.send(result);
        }
    }
}

/// `first` and what is queued behind it, up to `MAX_GROUP_INPUTS` inputs; batches that waited
/// longer than `deadline` are answered 503 instead.
fn take_group(first: Job, rx: &mut mpsc::Receiver<Job>, deadline: Duration) -> Vec<Job> {
    let mut inputs = first.edits.len();
    let mut jobs = vec![first];
    while inputs < MAX_GROUP_INPUTS {
        match rx.try_recv() {
            Ok(job) => {
                inputs += job.edits.len();
                jobs.push(job);
            }
            Err(_) => break,
        }
    }
    let (stale, jobs): (Vec<_>, Vec<_>) = jobs
        .into_iter()
        .partition(|j| j.queued.elapsed() > deadline);
    if !stale.is_empty() {
        tracing::warn!(
            batches = stale.len(),
            "association write batches waited past the transaction deadline; answered 503"
        );
    }
    for job in stale {
        let _ = job.reply.send(Err(Error::unavailable(crate::UNAVAILABLE)));
    }
    jobs
}

/// Runs the group until it commits, retrying like `write_tx!` does.
async fn commit_group(shared: &Shared, jobs: &[Job]) -> Vec<Outcomes> {
    let mut attempt = 0u32;
    loop {
        let result = match tokio::time::timeout(shared.deadline, attempt_group(shared, jobs)).await
        {
            Ok(r) => r,
            Err(_) => Err(TxError::Deadline),
        };
        match result {
            Ok(results) => return results,
            Err(e) if e.is_retryable() && attempt < MAX_RETRIES => {
                attempt += 1;
                tokio::time::sleep(retry_backoff(attempt)).await;
            }
            Err(e) => {
                let error = e.into_error();
                return jobs.iter().map(|_| Err(error.clone())).collect();
            }
        }
    }
}

/// One attempt. A group of one batch needs no savepoint: refused whole, it rolls back.
async fn attempt_group(shared: &Shared, jobs: &[Job]) -> Result<Vec<Outcomes>, TxError> {
    let mut tx = shared.begin().await?;
    let savepoints = jobs.len() > 1;
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        if savepoints {
            sqlx::query("SAVEPOINT batch").execute(&mut *tx).await?;
        }
        let outcome = apply_batch(
            &mut tx,
            shared.backend,
            job.portal,
            &job.pair,
            &job.edits,
            job.all_or_nothing,
            &job.meta,
        )
        .await;
        match outcome {
            Ok(outcomes) => {
                if savepoints {
                    sqlx::query("RELEASE batch").execute(&mut *tx).await?;
                }
                results.push(Ok(outcomes));
            }
            Err(TxError::Domain(e)) if savepoints => {
                sqlx::query("ROLLBACK TO batch").execute(&mut *tx).await?;
                sqlx::query("RELEASE batch").execute(&mut *tx).await?;
                results.push(Err(e));
            }
            Err(TxError::Domain(e)) => {
                tx.rollback().await?;
                return Ok(vec![Err(e)]);
            }
            Err(other) => return Err(other),
        }
    }
    tx.commit().await?;
    Ok(results)
}
