//! Migrations when replicas start together, and `serve --no-migrate`.

use crate::support::*;
use crate::*;
use reqwest::Method;
use sqlx::Connection;

#[tokio::test]
async fn replicas_started_together_migrate_once_under_the_lock() {
    let Some(admin) = postgres_admin_url().await else {
        return;
    };

    // Six `assocd migrate` at the same moment on a fresh database: all succeed, each migration
    // is recorded once.
    let db = fresh_postgres_database(&admin).await;
    let children: Vec<_> = (0..6)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || {
                std::process::Command::new(BIN)
                    .args(["migrate", "--database", &db])
                    .output()
            })
        })
        .collect();
    for c in children {
        let out = c.join().unwrap().expect("run migrate");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut conn = sqlx::PgConnection::connect(&db).await.unwrap();
    let (applied, ok): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(*) FILTER (WHERE success) FROM _sqlx_migrations")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        (applied, ok),
        (embedded_migrations() as i64, embedded_migrations() as i64)
    );

    // Three `serve` at the same moment on another fresh database (each migrates at start).
    let db = fresh_postgres_database(&admin).await;
    let starting: Vec<_> = (0..3)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || Server::start(&db, &[]))
        })
        .collect();
    let servers: Vec<Server> = starting
        .into_iter()
        .map(|t| t.join().expect("a replica started"))
        .collect();
    for s in &servers {
        let (status, body) = s
            .call(
                Method::GET,
                "/crm/v4/associations/contacts/companies/labels",
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}\n{}", s.log());
    }
}

#[tokio::test]
async fn serve_with_no_migrate_refuses_an_unmigrated_database_until_migrate_ran() {
    let Some(admin) = postgres_admin_url().await else {
        return;
    };
    let db = fresh_postgres_database(&admin).await;
    let log = Server::try_start(&db, &["--no-migrate"])
        .err()
        .expect("serve --no-migrate must refuse a fresh database");
    assert!(
        log.contains("assocd migrate"),
        "the error says what to do: {log}"
    );
    assocd_ok(&["migrate", "--database", &db, "--no-lock"], None);
    let server = Server::start(&db, &["--no-migrate"]);
    let (status, _) = server
        .call(
            Method::GET,
            "/crm/v4/associations/contacts/companies/labels",
            None,
        )
        .await;
    assert_eq!(status, 200);
}
