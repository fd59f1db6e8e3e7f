//! PostgreSQL, when one answers: a fresh database per run, dropped afterwards.

use sqlx::postgres::PgConnection;
use sqlx::{Connection, Executor};
use std::time::Duration;

/// The server to use: `--postgres URL`, else `ASSOCD_TEST_POSTGRES_URL`, else the local default;
/// `None` when it does not answer within 3 s.
pub async fn find(explicit: Option<String>) -> Option<String> {
    let url = explicit
        .or_else(|| std::env::var("ASSOCD_TEST_POSTGRES_URL").ok())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
    match tokio::time::timeout(Duration::from_secs(3), PgConnection::connect(&url)).await {
        Ok(Ok(c)) => {
            let _ = c.close().await;
            Some(url)
        }
        Ok(Err(e)) => {
            note!(
                "PostgreSQL at {} does not answer ({e}); SQLite only",
                redact(&url)
            );
            None
        }
        Err(_) => {
            note!("PostgreSQL at {} timed out; SQLite only", redact(&url));
            None
        }
    }
}

/// `url` with its database name replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{root}/{db}{query}")
}

/// Creates database `db` on the server of `url` and returns its URL.
pub async fn create(url: &str, db: &str) -> anyhow::Result<String> {
    let mut c = PgConnection::connect(url).await?;
    c.execute(format!("DROP DATABASE IF EXISTS {db}").as_str())
        .await?;
    c.execute(format!("CREATE DATABASE {db}").as_str()).await?;
    c.close().await?;
    Ok(with_database(url, db))
}

/// Drops database `db` (closing anything still connected to it).
pub async fn drop_db(url: &str, db: &str) -> anyhow::Result<()> {
    let mut c = PgConnection::connect(url).await?;
    c.execute(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)").as_str())
        .await?;
    c.close().await?;
    Ok(())
}

/// Refreshes the planner statistics of the bench database (what autovacuum would do) and
/// returns the server's `autovacuum` setting.
pub async fn analyze(db_url: &str) -> anyhow::Result<String> {
    let mut c = PgConnection::connect(db_url).await?;
    c.execute("ANALYZE").await?;
    let setting: String = sqlx::query_scalar("SHOW autovacuum")
        .fetch_one(&mut c)
        .await?;
    c.close().await?;
    Ok(setting)
}

/// Bytes the associations table takes with its indexes and TOAST.
pub async fn associations_bytes(db_url: &str) -> anyhow::Result<u64> {
    let mut c = PgConnection::connect(db_url).await?;
    let bytes: i64 = sqlx::query_scalar("SELECT pg_total_relation_size('associations')")
        .fetch_one(&mut c)
        .await?;
    c.close().await?;
    Ok(bytes as u64)
}

/// Hides a password in a URL for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
            None => url.to_string(),
        },
        _ => url.to_string(),
    }
}
