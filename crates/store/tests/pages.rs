//! R1 and R6 pages on every backend (SQLite always, PostgreSQL when ASSOCD_TEST_DATABASE_URL
//! names one) against a model of the page: the rows of the first `limit + 1` associated ids
//! after the cursor, several types per id, and ids whose rows are all of a category this
//! version does not know, which still count as one of the `limit + 1`.

use assocd_core::records::{describe, AssociatedRecord, Page, TypeKey};
use assocd_core::store::AssociationStore;
use assocd_core::{AssocType, Category, ObjectType, Pair};
use assocd_store::{ConnectOptions, SqlStore};
use sqlx::Connection;

const PORTAL: i64 = 5;
const LABEL: &str = "Boss \"\\ ünïcode";

/// (to_id, category, type_id) of record 1's rows: 279 on every id; a labelled USER_DEFINED
/// type on every third; a category unknown to this version on 5 (its only row) and on 7.
fn rows() -> Vec<(i64, &'static str, i64)> {
    let mut rows = Vec::new();
    for to in 1..=23 {
        if to != 5 {
            rows.push((to, "HUBSPOT_DEFINED", 279));
        }
        if to % 3 == 0 {
            rows.push((to, "USER_DEFINED", 1000));
        }
        if to == 5 || to == 7 {
            rows.push((to, "FUTURE_DEFINED", 1));
        }
    }
    rows
}

/// The page as `PAGE_SQL` defines it.
fn model(after: i64, limit: usize) -> Page {
    let mut rows: Vec<_> = rows().into_iter().filter(|r| r.0 > after).collect();
    rows.sort();
    let mut ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    ids.dedup();
    ids.truncate(limit + 1);
    let mut results: Vec<AssociatedRecord> = Vec::new();
    for (to_id, category, type_id) in rows.into_iter().filter(|r| ids.contains(&r.0)) {
        let Some(category) = Category::parse(category) else {
            continue;
        };
        let t = match category {
            Category::UserDefined => AssocType {
                category,
                type_id: type_id as i32,
                label: Some(LABEL.to_string()),
            },
            _ => describe(&[], TypeKey::new(category, type_id as i32)),
        };
        match results.last_mut() {
            Some(last) if last.to_id == to_id => last.types.push(t),
            _ => results.push(AssociatedRecord {
                to_id,
                types: vec![t],
            }),
        }
    }
    let mut next_after = None;
    if results.len() > limit {
        results.truncate(limit);
        next_after = results.last().map(|r| r.to_id);
    }
    Page {
        results,
        next_after,
    }
}

async fn seed(url: &str, pair: &Pair) {
    let insert = |from: i64, to: i64, category: &str, type_id: i64| {
        format!(
            "INSERT INTO associations (portal_id, from_type, from_id, to_type, to_id, category, type_id)
             VALUES ({PORTAL}, '{}', {from}, '{}', {to}, '{category}', {type_id})",
            pair.from.as_str(),
            pair.to.as_str()
        )
    };
    let mut sql: Vec<String> = rows()
        .into_iter()
        .map(|(t, c, i)| insert(1, t, c, i))
        .collect();
    // Record 2 has one association; record 3 none.
    sql.push(insert(2, 40, "HUBSPOT_DEFINED", 279));
    sql.push(format!(
        "INSERT INTO labels (portal_id, type_id, inverse_type_id, from_type, to_type, name, label, is_forward)
         VALUES ({PORTAL}, 1000, 1001, '{}', '{}', 'boss', '{}', 1)",
        pair.from.as_str(),
        pair.to.as_str(),
        LABEL.replace('\'', "''")
    ));
    if url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        for s in &sql {
            sqlx::query(s).execute(&mut c).await.unwrap();
        }
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        for s in &sql {
            sqlx::query(s).execute(&mut c).await.unwrap();
        }
    }
}

async fn check(url: &str) {
    let store = SqlStore::connect(url, &ConnectOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let pair = Pair::new(
        ObjectType::parse("contacts").unwrap(),
        ObjectType::parse("companies").unwrap(),
    );
    seed(url, &pair).await;
    let afters: Vec<Option<i64>> = std::iter::once(None).chain((0..=24).map(Some)).collect();
    for limit in [1, 2, 3, 4, 6, 10, 22, 23, 100] {
        let inputs: Vec<(i64, Option<i64>)> = afters.iter().map(|a| (1, *a)).collect();
        let batch = store
            .read_associations(PORTAL, &pair, &inputs, limit)
            .await
            .unwrap();
        assert_eq!(batch.len(), inputs.len());
        for (after, page) in afters.iter().zip(&batch) {
            let want = model(after.unwrap_or(0), limit);
            assert_eq!(page, &want, "{url}: R6 limit {limit} after {after:?}");
            let single = store
                .list_associations(PORTAL, &pair, 1, *after, limit)
                .await
                .unwrap();
            assert_eq!(single, want, "{url}: R1 limit {limit} after {after:?}");
        }
    }
    // Other records between, and one asked for twice, keep their own pages in input order.
    let pages = store
        .read_associations(
            PORTAL,
            &pair,
            &[(2, None), (3, None), (1, None), (2, None)],
            2,
        )
        .await
        .unwrap();
    let forty = |p: &Page| p.results.iter().map(|r| r.to_id).collect::<Vec<_>>();
    assert_eq!(forty(&pages[0]), vec![40]);
    assert_eq!(pages[1], Page::default());
    assert_eq!(pages[2], model(0, 2));
    assert_eq!(pages[3], pages[0]);
    store.close().await;
}

#[tokio::test]
async fn pages_hold_the_first_ids_after_the_cursor_on_every_backend() {
    let dir = tempfile::tempdir().unwrap();
    check(&format!("sqlite://{}/p.sqlite", dir.path().display())).await;
    let Some(admin) = std::env::var("ASSOCD_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
    else {
        eprintln!("SKIPPED (PostgreSQL half): ASSOCD_TEST_DATABASE_URL names no PostgreSQL");
        return;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!("assocd_pages_{nanos:x}{:x}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
    check(&format!("{base}/{name}")).await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}
