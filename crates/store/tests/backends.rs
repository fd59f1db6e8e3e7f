//! Store-level checks that every backend must pass: SQLite always, PostgreSQL when a server
//! answers (`ASSOCD_TEST_DATABASE_URL`/`ASSOCD_TEST_POSTGRES_URL`, else 127.0.0.1:5432; skipped
//! with a printed reason otherwise). Migrations, the "database unavailable" mapping, and
//! concurrent writers on one store.

use assocd_core::store::{LabelStore, TokenStore};
use assocd_core::{ErrorKind, NewLabel, ObjectType, Pair};
use assocd_store::{Backend, ConnectOptions, SqlStore};
use sqlx::Connection;
use std::collections::HashSet;
use std::time::{Duration, Instant};

async fn postgres_admin_url() -> Option<String> {
    let candidates = [
        std::env::var("ASSOCD_TEST_DATABASE_URL")
            .ok()
            .filter(|u| u.starts_with("postgres")),
        std::env::var("ASSOCD_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty()),
        Some("postgres://postgres@127.0.0.1:5432/postgres".to_string()),
    ];
    for url in candidates.into_iter().flatten() {
        if let Ok(Ok(c)) =
            tokio::time::timeout(Duration::from_secs(5), sqlx::PgConnection::connect(&url)).await
        {
            let _ = c.close().await;
            return Some(url);
        }
    }
    eprintln!("SKIPPED (PostgreSQL half): no PostgreSQL server answers");
    None
}

/// One fresh database per backend available: (URL, keep-alive for the SQLite folder).
async fn fresh_databases() -> Vec<(String, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let mut out = vec![(
        format!("sqlite://{}/s.sqlite", dir.path().display()),
        Some(dir),
    )];
    if let Some(admin) = postgres_admin_url().await {
        let name = format!("assocd_store_{}", uuid_like());
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
        out.push((format!("{base}/{name}"), None));
    }
    out
}

fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos:x}{:x}", std::process::id())
}

#[tokio::test]
async fn migrations_apply_once_and_pending_ones_are_reported() {
    for (url, _dir) in fresh_databases().await {
        let store = SqlStore::connect(&url, &ConnectOptions::default())
            .await
            .unwrap();
        let pending = store.pending_migrations().await.unwrap();
        assert!(
            !pending.is_empty(),
            "{url}: a fresh database lacks every migration"
        );
        store.migrate().await.unwrap();
        store.migrate_with_lock(false).await.unwrap();
        assert_eq!(
            store.pending_migrations().await.unwrap(),
            Vec::<i64>::new(),
            "{url}"
        );
        store.close().await;
    }
}

#[tokio::test]
async fn an_unreachable_postgres_fails_within_the_connect_timeout() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let opts = ConnectOptions {
        connect_timeout: Duration::from_millis(500),
        ..ConnectOptions::default()
    };
    let started = Instant::now();
    let result = SqlStore::connect(&format!("postgres://postgres@127.0.0.1:{port}/x"), &opts).await;
    assert!(result.is_err());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(Backend::of_url("postgresql://h/db"), Backend::Postgres);
    assert_eq!(Backend::of_url("./data.sqlite"), Backend::Sqlite);
}

#[tokio::test]
async fn a_store_without_its_database_answers_unavailable() {
    for (url, _dir) in fresh_databases().await {
        let store = SqlStore::connect(&url, &ConnectOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        store.close().await;
        let err = store.list_tokens().await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unavailable, "{url}: {err:?}");
        let err = store.put_token("h", 1, &[]).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unavailable, "{url}: {err:?}");
    }
}

#[tokio::test]
async fn concurrent_label_writers_never_share_a_type_id_or_a_name() {
    for (url, _dir) in fresh_databases().await {
        let store = SqlStore::connect(&url, &ConnectOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let pair = Pair::new(
            ObjectType::parse("contacts").unwrap(),
            ObjectType::parse("companies").unwrap(),
        );
        let mut tasks = Vec::new();
        for t in 0..16 {
            let (store, pair) = (store.clone(), pair.clone());
            tasks.push(tokio::spawn(async move {
                let mut out = Vec::new();
                for i in 0..6 {
                    // Names repeat across tasks: each is wanted by four writers.
                    let name = format!("n{}", (t % 4) * 6 + i);
                    let new = NewLabel {
                        pair: pair.clone(),
                        name: name.clone(),
                        label: name.clone(),
                        inverse_label: None,
                    };
                    out.push((name, store.create_label(1, &new).await));
                }
                out
            }));
        }
        let (mut names, mut ids) = (HashSet::new(), Vec::new());
        for t in tasks {
            for (name, result) in t.await.unwrap() {
                match result {
                    Ok(rows) => {
                        assert!(names.insert(name), "{url}: a name was created twice");
                        ids.extend(rows.iter().map(|r| r.type_id));
                    }
                    Err(e) => assert_eq!(e.kind, ErrorKind::Conflict, "{url}: {e:?}"),
                }
            }
        }
        assert_eq!(names.len(), 24, "{url}");
        assert_eq!(
            ids.iter().collect::<HashSet<_>>().len(),
            ids.len(),
            "{url}: {ids:?}"
        );
        let listed = store.list_labels(1, &pair).await.unwrap();
        assert_eq!(listed.len(), 24, "{url}");
        store.close().await;
    }
}
