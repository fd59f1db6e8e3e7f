//! Operating assocd: metrics, logs, readiness.

mod health;
mod logs;
mod metrics;

/// Runs one SQL statement on a test server's database, from outside the server.
pub async fn execute_sql(database_url: &str, sql: &str) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(database_url)
        .await
        .expect("connect to the test database");
    sqlx::query(sql)
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}
