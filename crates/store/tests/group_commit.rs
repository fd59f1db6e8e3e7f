//! Group commit of association writes on every backend (SQLite always, PostgreSQL when a
//! server answers, as in `backends.rs`): concurrent batches on one pair, in both directions,
//! are committed in groups (seen through `GROUP_BATCH_SIZE`); each batch gets its own answer
//! and that answer matches what is stored, a batch refused whole writes nothing while the
//! other batches of its group stand, and a limit holds exactly across the batches of a group.

use assocd_core::events::ChangeSource;
use assocd_core::limits::LimitInput;
use assocd_core::records::{EditOp, LinkEdit, TypeKey};
use assocd_core::store::{AssociationStore, LimitOp, LimitStore};
use assocd_core::{Category, ObjectType, Pair};
use assocd_store::{ConnectOptions, SqlStore, GROUP_BATCH_SIZE};
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use sqlx::Connection;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Keeps the samples of `GROUP_BATCH_SIZE`; every other metric goes nowhere.
#[derive(Default)]
struct GroupSizes(Arc<Samples>);

#[derive(Default)]
struct Samples(Mutex<Vec<f64>>);

impl metrics::HistogramFn for Samples {
    fn record(&self, value: f64) {
        self.0.lock().unwrap().push(value);
    }
}

impl Recorder for GroupSizes {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, _: &Key, _: &Metadata<'_>) -> Counter {
        Counter::noop()
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        if key.name() == GROUP_BATCH_SIZE {
            Histogram::from_arc(self.0.clone())
        } else {
            Histogram::noop()
        }
    }
}

/// SQLite in `dir`, and a fresh PostgreSQL database when a server answers: (URL, its name to
/// drop afterwards on the admin URL).
async fn databases(dir: &tempfile::TempDir) -> Vec<(String, Option<(String, String)>)> {
    let mut out = vec![(format!("sqlite://{}/g.sqlite", dir.path().display()), None)];
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
            let name = format!("assocd_group_{nanos:x}{:x}", std::process::id());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
            out.push((format!("{base}/{name}"), Some((admin, name))));
        }
        _ => eprintln!("SKIPPED (PostgreSQL half): no PostgreSQL server answers"),
    }
    out
}

fn pair(a: &str, b: &str) -> Pair {
    Pair::new(ObjectType::parse(a).unwrap(), ObjectType::parse(b).unwrap())
}

fn add(from: i64, to: i64) -> LinkEdit {
    LinkEdit {
        from,
        to,
        op: EditOp::AddDefault,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_batches_on_one_pair_commit_in_groups_each_with_its_own_answer() {
    let sizes = GroupSizes::default();
    let samples = sizes.0.clone();
    metrics::set_global_recorder(sizes).expect("the only recorder of this test binary");
    let dir = tempfile::tempdir().unwrap();
    for (url, drop_after) in databases(&dir).await {
        let s = SqlStore::connect(&url, &ConnectOptions::default())
            .await
            .unwrap();
        s.migrate().await.unwrap();
        samples.0.lock().unwrap().clear();
        let (p, reverse) = (pair("contacts", "companies"), pair("companies", "contacts"));
        // Contact 1 may have at most 10 companies of the unlabelled type.
        let limit = LimitInput {
            category: Category::HubspotDefined,
            type_id: 279,
            max_to_object_ids: 10,
        };
        s.write_limits(1, &p, LimitOp::Create, &[limit], 50_000)
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..40i64 {
            let (s, p, reverse) = (s.clone(), p.clone(), reverse.clone());
            tasks.push(tokio::spawn(async move {
                // Every batch wants a place under contact 1's limit; every fourth is written
                // from the company side, which shares the lane and the limit.
                let (written_as, edits) = if i % 4 == 3 {
                    (reverse, [add(100 + i, 1), add(5000 + i, 1000 + i)])
                } else {
                    (p, [add(1, 100 + i), add(1000 + i, 5000 + i)])
                };
                let source = ChangeSource::api("test");
                let outcomes = s.write_associations(1, &written_as, &edits, false, &source);
                (i, outcomes.await.unwrap())
            }));
        }
        let refused = {
            let (s, p) = (s.clone(), p.clone());
            tokio::spawn(async move {
                let unknown = TypeKey::new(Category::UserDefined, 999_999);
                let edits = [
                    add(7777, 8888),
                    LinkEdit {
                        from: 7777,
                        to: 8889,
                        op: EditOp::Add(vec![unknown]),
                    },
                ];
                let source = ChangeSource::api("test");
                s.write_associations(1, &p, &edits, true, &source).await
            })
        };
        let mut granted = Vec::new();
        for t in tasks {
            let (i, outcomes) = t.await.unwrap();
            assert_eq!(outcomes.len(), 2, "{url}");
            assert!(outcomes[1].is_ok(), "{url}: {:?}", outcomes[1]);
            if outcomes[0].is_ok() {
                granted.push(100 + i);
            }
            let own = s
                .list_associations(1, &p, 1000 + i, None, 10)
                .await
                .unwrap();
            assert_eq!(own.results.len(), 1, "{url}: batch {i}'s other input");
        }
        assert!(refused.await.unwrap().is_err(), "{url}");
        granted.sort_unstable();
        assert_eq!(granted.len(), 10, "{url}: the limit holds exactly");
        let stored = s.list_associations(1, &p, 1, None, 100).await.unwrap();
        let stored: Vec<i64> = stored.results.iter().map(|r| r.to_id).collect();
        assert_eq!(
            stored, granted,
            "{url}: every answer matches what is stored"
        );
        let none = s.list_associations(1, &p, 7777, None, 10).await.unwrap();
        assert!(
            none.results.is_empty(),
            "{url}: the refused batch wrote nothing"
        );
        let sizes = samples.0.lock().unwrap().clone();
        assert_eq!(sizes.iter().sum::<f64>(), 41.0, "{url}: {sizes:?}");
        assert!(
            sizes.iter().any(|&n| n > 1.0),
            "{url}: no two batches shared a commit: {sizes:?}"
        );
        eprintln!("{url}: group sizes {sizes:?}");
        s.close().await;
        if let Some((admin, name)) = drop_after {
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
}
