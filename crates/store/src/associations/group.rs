//! Group commit of association write batches on SQLite.
//!
//! SQLite has one writer at a time, and each commit costs a WAL append and an fsync. Batches
//! that arrive while another is being written queue here; one task takes everything queued
//! (up to `MAX_GROUP_INPUTS` inputs), runs each batch under its own savepoint inside one
//! `BEGIN IMMEDIATE` transaction, commits once, and only then answers every caller. So:
//! - an answered write is durable (the answer waits for the group's commit);
//! - a batch refused as a whole (all or nothing) rolls back to its savepoint and leaves the
//!   others in the group untouched;
//! - batches run one after the other in the transaction, so each sees the ones before it and
//!   limits hold exactly as with one transaction per batch;
//! - a database failure fails (or, when retryable, retries) the whole group.
//!
//! PostgreSQL does not use this: there, concurrent transactions run side by side.

use super::apply_batch;
use crate::outbox::ChangeMeta;
use crate::{retry_backoff, Backend, TxError, MAX_RETRIES};
use assocd_core::records::{LinkEdit, LinkOutcome};
use assocd_core::store::Result;
use assocd_core::{Error, Pair, PortalId};
use futures_util::FutureExt;
use sqlx::AnyPool;
use std::panic::AssertUnwindSafe;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Inputs one group may hold (a single larger batch still runs, alone).
const MAX_GROUP_INPUTS: usize = 4000;
/// Batches that may wait for the writer before senders wait for room.
const QUEUE: usize = 1024;
/// Batches (write requests) committed together, one sample per group.
pub const GROUP_BATCH_SIZE: &str = "assocd_sqlite_group_commit_batch_size";

type Outcomes = Result<Vec<Result<LinkOutcome>>>;

struct Job {
    portal: PortalId,
    pair: Pair,
    edits: Vec<LinkEdit>,
    all_or_nothing: bool,
    meta: ChangeMeta,
    reply: oneshot::Sender<Outcomes>,
}

/// The queue in front of the group-commit task.
pub(crate) struct GroupWriter {
    queue: mpsc::Sender<Job>,
}

impl GroupWriter {
    /// Starts the task on the current runtime; it ends when every `GroupWriter` is dropped.
    pub(crate) fn start(write: AnyPool, deadline: Duration) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(write, deadline, rx));
        GroupWriter { queue }
    }

    /// Writes one batch as part of the next group; answers after that group committed.
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
            reply,
        };
        if self.queue.send(job).await.is_err() {
            return Err(Error::unavailable(crate::UNAVAILABLE));
        }
        answer
            .await
            .unwrap_or_else(|_| Err(Error::internal("the association writer stopped")))
    }
}

async fn run(write: AnyPool, deadline: Duration, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
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
        metrics::histogram!(GROUP_BATCH_SIZE).record(jobs.len() as f64);
        let results = AssertUnwindSafe(commit_group(&write, deadline, &jobs))
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

/// Runs the group until it commits, retrying a busy database like `write_tx!` does.
async fn commit_group(write: &AnyPool, deadline: Duration, jobs: &[Job]) -> Vec<Outcomes> {
    let mut attempt = 0u32;
    loop {
        let result = match tokio::time::timeout(deadline, attempt_group(write, jobs)).await {
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

async fn attempt_group(write: &AnyPool, jobs: &[Job]) -> Result<Vec<Outcomes>, TxError> {
    let mut tx = write.begin_with("BEGIN IMMEDIATE").await?;
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        sqlx::query("SAVEPOINT batch").execute(&mut *tx).await?;
        let outcome = apply_batch(
            &mut tx,
            Backend::Sqlite,
            job.portal,
            &job.pair,
            &job.edits,
            job.all_or_nothing,
            &job.meta,
        )
        .await;
        match outcome {
            Ok(outcomes) => {
                sqlx::query("RELEASE batch").execute(&mut *tx).await?;
                results.push(Ok(outcomes));
            }
            Err(TxError::Domain(e)) => {
                sqlx::query("ROLLBACK TO batch").execute(&mut *tx).await?;
                sqlx::query("RELEASE batch").execute(&mut *tx).await?;
                results.push(Err(e));
            }
            Err(other) => return Err(other),
        }
    }
    tx.commit().await?;
    Ok(results)
}
