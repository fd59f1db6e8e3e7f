//! The outbox across migration 0009 (deliveries as event ranges), on SQLite and on PostgreSQL
//! when a server answers (as in `backends.rs`): a delivery queued by an earlier release, its
//! events listed one by one in `outbox_members` as state PENDING, is still claimed with its
//! events, recorded, shown in the feed and redelivered by this release.

use assocd_core::events::{event_id, AttemptResult, EventFilter, Outcome};
use assocd_core::store::OutboxStore;
use assocd_store::{ConnectOptions, SqlStore};
use sqlx::Connection;
use std::time::Duration;

async fn databases() -> Vec<(String, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let mut out = vec![(
        format!("sqlite://{}/s.sqlite", dir.path().display()),
        Some(dir),
    )];
    let admin = std::env::var("ASSOCD_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
    let conn = tokio::time::timeout(Duration::from_secs(5), sqlx::PgConnection::connect(&admin));
    match conn.await {
        Ok(Ok(mut conn)) => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            let name = format!("assocd_store_{nanos:x}{:x}", std::process::id());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
            out.push((format!("{base}/{name}"), None));
        }
        _ => eprintln!("SKIPPED (PostgreSQL half): no PostgreSQL server answers"),
    }
    out
}

/// What an earlier release left: app 1 installed in portal 7 with one active
/// `contact.associationChange` subscription (11), change 1000 (two events, dispatched in round
/// 1000) and batch 1000 of its first event, pending, listed in `outbox_members`.
const EARLIER_RELEASE: &[&str] = &[
    "INSERT INTO apps (app_id, client_secret, developer_key_hash, created_at) VALUES (1, 's', 'h', 0)",
    "INSERT INTO app_installs (app_id, portal_id, installed_at) VALUES (1, 7, 0)",
    "INSERT INTO webhook_settings (app_id, target_url, max_concurrent_requests, created_at, updated_at)
     VALUES (1, 'http://127.0.0.1:9/hook', 10, 0, 0)",
    "INSERT INTO webhook_subscriptions (subscription_id, app_id, event_type, active, created_at, updated_at)
     VALUES (11, 1, 'contact.associationChange', 1, 0, 0)",
    "INSERT INTO outbox_changes (change_id, portal_id, occurred_at, change_source, events, dispatch_round)
     VALUES (1000, 7, 5, 'API', 2, 1000)",
    "INSERT INTO outbox_events (change_id, idx, from_type, to_type, from_id, to_id, category, type_id, removed)
     VALUES (1000, 0, '0-1', '0-2', 21, 22, 'HUBSPOT_DEFINED', 279, 0),
            (1000, 1, '0-2', '0-1', 22, 21, 'HUBSPOT_DEFINED', 280, 0)",
    "INSERT INTO outbox_batches (batch_id, app_id, portal_id, state, attempt, next_at, size, created_at, updated_at, history)
     VALUES (1000, 1, 7, 'PENDING', 0, 0, 1, 0, 0, '')",
    "INSERT INTO outbox_members (batch_id, change_id, idx, subscription_id, subscription_type)
     VALUES (1000, 1000, 0, 11, 'contact.associationChange')",
];

#[tokio::test]
async fn deliveries_of_an_earlier_release_are_sent_recorded_and_shown_after_the_upgrade() {
    for (url, _dir) in databases().await {
        let store = SqlStore::connect(&url, &ConnectOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        for sql in EARLIER_RELEASE {
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        // The metrics gauge: one event in a delivery not yet made (its change is dispatched).
        assert_eq!(store.outbox_depth().await.unwrap(), 1, "{url}");
        let now = 1_000;
        let claims = store.claim_batches("w", now, 30_000, 10).await.unwrap();
        assert_eq!(claims.batches.len(), 1, "{url}");
        let batch = &claims.batches[0];
        assert_eq!(batch.batch_id, 1000, "{url}");
        let items: Vec<(i64, i64, &str)> = batch
            .items
            .iter()
            .map(|(e, s, t)| (e.event_id, *s, t.as_str()))
            .collect();
        assert_eq!(
            items,
            vec![(event_id(1000, 0), 11, "contact.associationChange")],
            "{url}"
        );

        let delivered = AttemptResult {
            batch_id: 1000,
            attempt: 0,
            at: 2_000,
            status: Some(200),
            error: None,
            outcome: Outcome::Delivered,
        };
        store.outbox_tick("w", &[delivered], 100).await.unwrap();
        let again = store.claim_batches("w", now, 30_000, 10).await.unwrap();
        assert!(again.batches.is_empty(), "{url}: {again:?}");
        assert_eq!(store.outbox_depth().await.unwrap(), 0, "{url}");
        let filter = EventFilter {
            portal: Some(7),
            after: None,
            limit: 10,
        };
        let page = store.list_events(&filter).await.unwrap();
        assert_eq!(page.results.len(), 2, "{url}");
        let first = &page.results[0].deliveries;
        assert_eq!(first.len(), 1, "{url}: {first:?}");
        assert_eq!(
            (first[0].subscription_id, first[0].state.as_str()),
            (11, "DELIVERED")
        );
        assert!(page.results[1].deliveries.is_empty(), "{url}");

        // A redelivery goes to the subscription the event went out for, in this release's form.
        assert_eq!(
            store.redeliver(event_id(1000, 0), now).await.unwrap(),
            Some(1),
            "{url}"
        );
        let claims = store.claim_batches("w", now, 30_000, 10).await.unwrap();
        assert_eq!(claims.batches.len(), 1, "{url}");
        assert_eq!(claims.batches[0].items.len(), 1, "{url}");
        assert_eq!(claims.batches[0].items[0].0.event_id, event_id(1000, 0));
        let page = store.list_events(&filter).await.unwrap();
        let states: Vec<&str> = page.results[0]
            .deliveries
            .iter()
            .map(|d| d.state.as_str())
            .collect();
        assert_eq!(
            states,
            vec!["DELIVERED"],
            "{url}: no attempt of the redelivery yet"
        );
        conn.close().await.unwrap();
        store.close().await;
    }
}
