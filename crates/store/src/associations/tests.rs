//! Store-level tests of associations: query plans (listing cost grows with the page, not with
//! the table), the limit count's index, the high-usage report, the group commit's lanes, and an
//! ignored million-row bench. Group commit itself is tested on every backend in
//! `tests/group_commit.rs`.

use super::pages::{PAGE_SQL, SQLITE_RANGE};
use crate::{ConnectOptions, SqlStore};
use assocd_core::events::ChangeSource;
use assocd_core::limits::LimitInput;
use assocd_core::records::{EditOp, LinkEdit};
use assocd_core::store::{AssociationStore, LimitOp, LimitStore};
use assocd_core::{Category, ObjectType, Pair};
use sqlx::Row;

async fn store(dir: &tempfile::TempDir) -> SqlStore {
    let url = format!("sqlite://{}/t.sqlite", dir.path().display());
    let s = SqlStore::connect(&url, &ConnectOptions::default())
        .await
        .expect("connect");
    s.migrate().await.expect("migrate");
    s
}

fn pair(a: &str, b: &str) -> Pair {
    Pair::new(ObjectType::parse(a).unwrap(), ObjectType::parse(b).unwrap())
}

/// Limits portal 1's unlabelled contact→company type (279) to `max` companies per contact.
async fn limit_default_type(s: &SqlStore, p: &Pair, max: i64) {
    let limit = LimitInput {
        category: Category::HubspotDefined,
        type_id: 279,
        max_to_object_ids: max,
    };
    s.write_limits(1, p, LimitOp::Create, &[limit], 50_000)
        .await
        .unwrap();
}

/// The `detail` column of SQLite's EXPLAIN QUERY PLAN for `sql`, one line per step.
async fn plan_of(s: &SqlStore, sql: &str, binds: usize) -> String {
    let text = format!("EXPLAIN QUERY PLAN {sql}");
    let mut q = sqlx::query_as::<_, (i64, i64, i64, String)>(&text);
    for i in 0..binds {
        q = q.bind(i as i64);
    }
    let rows: Vec<(i64, i64, i64, String)> = q.fetch_all(&s.read).await.expect("explain");
    rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn listing_and_limit_counts_are_index_searches_not_scans() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let page = plan_of(&s, PAGE_SQL, 6).await;
    assert!(
        !page.contains("SCAN a") && !page.contains("SCAN associations"),
        "R1 plan scans:\n{page}"
    );
    assert!(
        !page.contains("TEMP B-TREE") && !page.contains("LIST SUBQUERY"),
        "R1 plan builds a temporary table:\n{page}"
    );
    assert!(
        page.contains("USING PRIMARY KEY (portal_id=? AND from_type=? AND from_id=? AND to_type=?"),
        "R1 plan:\n{page}"
    );
    // SQLite's page is one range of the primary key, read in key order without a sort.
    let range = plan_of(&s, SQLITE_RANGE, 5).await;
    assert!(
        !range.contains("TEMP B-TREE") && !range.contains("SCAN a"),
        "SQLite page plan sorts or scans:\n{range}"
    );
    assert!(
        range.contains("USING PRIMARY KEY (portal_id=? AND from_type=? AND from_id=? AND to_type=? AND to_id>?)"),
        "SQLite page plan:\n{range}"
    );
    // A write batch reads the stored types of its pairs off the primary key, one lookup per
    // pair, never a scan of the portal's rows.
    let rows = plan_of(&s, &super::sql::rows_sql(crate::Backend::Sqlite, 3), 3 + 6).await;
    assert!(
        !rows.contains("SCAN a") && !rows.contains("SCAN associations"),
        "batch read plan scans:\n{rows}"
    );
    assert!(
        rows.contains(
            "USING PRIMARY KEY (portal_id=? AND from_type=? AND from_id=? AND to_type=? AND to_id=?)"
        ),
        "batch read plan:\n{rows}"
    );
    let count = plan_of(
        &s,
        &super::sql::counts_sql(crate::Backend::Sqlite, 3),
        5 + 3,
    )
    .await;
    // SQLite: associations_by_type carries the primary key, so it is (portal_id, category,
    // type_id, from_type, from_id, to_type, ...): equality on every column of the count.
    assert!(count.contains("COVERING INDEX"), "count plan:\n{count}");
    for col in [
        "portal_id=?",
        "from_type=?",
        "from_id=?",
        "category=?",
        "type_id=?",
    ] {
        assert!(count.contains(col), "count plan lacks {col}:\n{count}");
    }
}

#[tokio::test]
async fn high_usage_report_lists_records_at_80_percent_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let p = pair("contacts", "companies");
    limit_default_type(&s, &p, 5).await;
    // Contact 1 gets 4 companies (80% of 5), contact 2 gets 3 (60%).
    let mut edits = Vec::new();
    for to in 10..14 {
        edits.push(LinkEdit {
            from: 1,
            to,
            op: EditOp::AddDefault,
        });
    }
    for to in 20..23 {
        edits.push(LinkEdit {
            from: 2,
            to,
            op: EditOp::AddDefault,
        });
    }
    assert!(s
        .write_associations(1, &p, &edits, false, &ChangeSource::api("test"))
        .await
        .unwrap()
        .iter()
        .all(Result::is_ok));
    let report = s.create_high_usage_report(1, 77).await.unwrap();
    assert_eq!(report.user_email, "user-77@portal-1.assocd.local");
    assert_eq!(report.entries.len(), 1, "{report:?}");
    assert_eq!(
        (
            report.entries[0].object_id,
            report.entries[0].count,
            report.entries[0].limit
        ),
        (1, 4, 5)
    );
    assert_eq!(s.high_usage_report(1, 77).await.unwrap(), Some(report));
    assert_eq!(s.high_usage_report(2, 77).await.unwrap(), None);
}

/// Fills `associations` with `n` rows spread over many records of another portal.
async fn fill(s: &SqlStore, n: i64) {
    sqlx::query(
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $1)
         INSERT INTO associations (portal_id, from_type, from_id, to_type, to_id, category, type_id)
         SELECT 9, '0-1', i / 50 + 1, '0-2', i, 'HUBSPOT_DEFINED', 279 FROM seq",
    )
    .bind(n)
    .execute(&s.write)
    .await
    .expect("fill");
}

async fn time_pages(s: &SqlStore, p: &Pair) -> std::time::Duration {
    let start = std::time::Instant::now();
    for _ in 0..200 {
        let page = s.list_associations(1, p, 1, None, 500).await.unwrap();
        assert_eq!(page.results.len(), 20);
    }
    start.elapsed()
}

/// `cargo test -p assocd-store --release -- --ignored million --nocapture`: R1 on a record
/// with 20 associations costs the same beside 1,000 rows as beside 1,000,000.
#[tokio::test]
#[ignore]
async fn million_row_bench_listing_cost_does_not_grow_with_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let p = pair("contacts", "companies");
    let edits: Vec<LinkEdit> = (100..120)
        .map(|to| LinkEdit {
            from: 1,
            to,
            op: EditOp::AddDefault,
        })
        .collect();
    s.write_associations(1, &p, &edits, false, &ChangeSource::api("test"))
        .await
        .unwrap();
    fill(&s, 1_000).await;
    let small = time_pages(&s, &p).await;
    sqlx::query("DELETE FROM associations WHERE portal_id = 9")
        .execute(&s.write)
        .await
        .unwrap();
    fill(&s, 1_000_000).await;
    let rows: i64 = sqlx::query("SELECT COUNT(*) AS n FROM associations")
        .fetch_one(&s.read)
        .await
        .unwrap()
        .get("n");
    assert!(rows >= 1_000_000);
    let large = time_pages(&s, &p).await;
    eprintln!("200 pages of 20: {small:?} beside 1k rows, {large:?} beside {rows} rows");
    assert!(
        large < small * 5 + std::time::Duration::from_millis(200),
        "small {small:?}, large {large:?}"
    );
}

/// Lanes of the group commit: on PostgreSQL one per portal and pair, whichever direction a
/// batch is written in; on SQLite one for everything.
#[test]
fn a_pair_has_one_lane_in_both_directions() {
    use super::group::lane_of;
    use crate::Backend::{Postgres, Sqlite};
    let (cc, dc) = (pair("contacts", "companies"), pair("deals", "contacts"));
    assert_eq!(
        lane_of(Postgres, 1, &cc),
        lane_of(Postgres, 1, &pair("companies", "contacts"))
    );
    assert_eq!(
        lane_of(Postgres, 1, &dc),
        lane_of(Postgres, 1, &pair("contacts", "deals"))
    );
    assert_ne!(lane_of(Postgres, 1, &cc), lane_of(Postgres, 2, &cc));
    assert_ne!(lane_of(Postgres, 1, &cc), lane_of(Postgres, 1, &dc));
    assert_eq!(lane_of(Sqlite, 1, &cc), lane_of(Sqlite, 2, &dc));
}

/// A fresh PostgreSQL store when `ASSOCD_TEST_DATABASE_URL` names a server: (store, admin URL,
/// database name to drop).
async fn postgres_store() -> Option<(SqlStore, String, String)> {
    use sqlx::Connection;
    let admin = std::env::var("ASSOCD_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))?;
    let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!("assocd_lanes_{nanos:x}{:x}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
    let s = SqlStore::connect(&format!("{base}/{name}"), &ConnectOptions::default())
        .await
        .unwrap();
    s.migrate().await.unwrap();
    Some((s, admin, name))
}

/// After a burst of writes on several portals and pairs, no lane (task and queue) stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lanes_end_when_their_queue_is_idle() {
    let dir = tempfile::tempdir().unwrap();
    let mut stores = vec![store(&dir).await];
    let postgres = postgres_store().await;
    stores.extend(postgres.as_ref().map(|(s, _, _)| s.clone()));
    let pairs = [
        pair("contacts", "companies"),
        pair("companies", "contacts"),
        pair("contacts", "deals"),
    ];
    for s in &stores {
        let mut tasks = Vec::new();
        for i in 0..30i64 {
            let (s, p) = (s.clone(), pairs[i as usize % 3].clone());
            tasks.push(tokio::spawn(async move {
                let edit = LinkEdit {
                    from: i,
                    to: 1000 + i,
                    op: EditOp::AddDefault,
                };
                let source = ChangeSource::api("test");
                s.write_associations(1 + i % 2, &p, &[edit], false, &source)
                    .await
            }));
        }
        for t in tasks {
            assert!(t.await.unwrap().unwrap()[0].is_ok());
        }
        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while s.group.lanes_open() > 0 && std::time::Instant::now() < until {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(s.group.lanes_open(), 0, "{:?}", s.backend());
    }
    if let Some((s, admin, name)) = postgres {
        use sqlx::Connection;
        s.close().await;
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_reads_off_the_runtime_hold_at_most_a_connection_per_core() {
    let dir = tempfile::tempdir().unwrap();
    let s = std::sync::Arc::new(store(&dir).await);
    fill(&s, 50_000).await;
    let p = pair("contacts", "companies");
    let inputs: Vec<(i64, Option<i64>)> = (1..=1000).map(|i| (i, None)).collect();
    let reads: Vec<_> = (0..32)
        .map(|_| {
            let (s, p, inputs) = (std::sync::Arc::clone(&s), p.clone(), inputs.clone());
            tokio::spawn(async move { s.read_associations(9, &p, &inputs, 100).await })
        })
        .collect();
    for r in reads {
        let pages = r.await.unwrap().expect("batch read");
        assert_eq!(pages.len(), 1000);
        assert_eq!(pages[0].results.len(), 49, "record 1 has ids 50..=98");
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (open, _) = s.sqlite_readers.as_ref().unwrap().counts();
    assert!(
        open <= cores,
        "{open} read connections open after 32 concurrent batch reads, cores {cores}"
    );
}
