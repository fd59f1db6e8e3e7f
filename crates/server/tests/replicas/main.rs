//! Several `assocd serve` processes on one PostgreSQL database, driven by many concurrent
//! clients: migrations at start, label type ids, limits batches, the association limit, the
//! database going away and coming back, and webhook delivery shared between replicas. Skipped
//! (with a printed reason) when no PostgreSQL server answers, or, for the outage test, when
//! `initdb` cannot be found.

#[path = "../support/mod.rs"]
mod support;

mod concurrency;
mod control;
mod migrations;
mod oauth;
mod outage;
mod rate_limits;
#[allow(dead_code)]
#[path = "../api/webhooks/receiver.rs"]
mod receiver;
mod webhooks;

use std::sync::Arc;
use support::*;

pub const CLIENTS: usize = 32;

/// Two replicas on one fresh database.
pub async fn two_replicas(extra: &[&str]) -> Option<(String, Arc<[Server; 2]>)> {
    let admin = postgres_admin_url().await?;
    let db = fresh_postgres_database(&admin).await;
    assocd_ok(&["migrate", "--database", &db], None);
    let servers = [Server::start(&db, extra), Server::start(&db, extra)];
    Some((db, Arc::new(servers)))
}

pub fn embedded_migrations() -> usize {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../store/migrations/postgres");
    std::fs::read_dir(dir)
        .expect("migrations dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
        .count()
}
