//! `/healthz` (liveness) and `/readyz` (readiness).

use super::execute_sql;
use crate::helpers::spawn_app;

#[tokio::test]
async fn readyz_answers_200_while_the_database_answers_and_is_migrated() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn readyz_answers_503_with_hubspots_body_while_a_migration_is_missing() {
    let app = spawn_app().await;
    execute_sql(
        &app.database_url,
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .await;
    let r = app.call(reqwest::Method::GET, "/readyz", None, None).await;
    assert_eq!(r.assert_hubspot_error(503), "SERVICE_UNAVAILABLE");
    let pending = r.body["context"]["pendingMigrations"]
        .as_array()
        .expect("pendingMigrations");
    assert_eq!(pending.len(), 1, "{}", r.text);
    // Liveness does not depend on the database.
    let live = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(live.status(), 200);
}
