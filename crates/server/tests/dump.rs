//! `assocd export` / `assocd import` between backends, through the real binary: a dataset made
//! over HTTP on SQLite travels SQLite -> PostgreSQL -> SQLite without losing a row, and the
//! servers on each copy answer exactly like the original. PostgreSQL legs are skipped (with a
//! printed reason) when no PostgreSQL server answers.

mod support;

use reqwest::Method;
use serde_json::{json, Value};
use sqlx::Connection;
use std::collections::BTreeMap;
use std::path::Path;
use support::*;

const OTHER_PORTAL: &str = "777";

/// Builds a dataset over HTTP: labels (one renamed, one deleted so the id counter is ahead of
/// the rows), limits of both categories, associations, a report, and a second portal.
async fn make_dataset(server: &Server, other_token: &str) {
    let mut ids = Vec::new();
    for name in ["boss", "partner", "former", "advisor"] {
        let (s, b) = server
            .call(
                Method::POST,
                "/crm/v4/associations/contacts/companies/labels",
                Some(&json!({"name": name, "label": name, "inverseLabel": format!("{name} of")})),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        ids.push(b["results"][0]["typeId"].as_i64().unwrap());
    }
    let (s, b) = server.call(Method::PUT, "/crm/v4/associations/contacts/companies/labels", Some(&json!({"associationTypeId": ids[1], "label": "Partner \u{e9}\u{1F600} \"quoted\""}))).await;
    assert!(matches!(s, 200 | 204), "{b}");
    let (s, b) = server
        .call(
            Method::DELETE,
            &format!("/crm/v4/associations/contacts/companies/labels/{}", ids[2]),
            None,
        )
        .await;
    assert_eq!(s, 204, "{b}");
    let (s, b) = server
        .call(
            Method::POST,
            "/crm/v4/associations/deals/deals/labels",
            Some(&json!({"name": "split", "label": "Split"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");

    let limits = json!({"inputs": [
        {"category": "USER_DEFINED", "typeId": ids[0], "maxToObjectIds": 3},
        {"category": "HUBSPOT_DEFINED", "typeId": 279, "maxToObjectIds": 10},
    ]});
    let (s, b) = server
        .call(
            Method::POST,
            "/crm/v4/associations/definitions/configurations/contacts/companies/batch/create",
            Some(&limits),
        )
        .await;
    assert!(matches!(s, 200 | 201), "{b}");

    for contact in 1..=4 {
        let (s, b) = server
            .call(
                Method::PUT,
                &format!("/crm/v4/objects/contacts/{contact}/associations/default/companies/50"),
                None,
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    let types = json!([{"associationCategory": "USER_DEFINED", "associationTypeId": ids[0]}]);
    for contact in 1..=3 {
        let (s, b) = server
            .call(
                Method::PUT,
                &format!("/crm/v4/objects/contacts/{contact}/associations/companies/60"),
                Some(&types),
            )
            .await;
        assert!(matches!(s, 200 | 201), "{b}");
    }
    let (s, b) = server
        .call(
            Method::POST,
            "/crm/v4/associations/usage/high-usage-report/12",
            None,
        )
        .await;
    assert!(s < 300, "{s} {b}");

    let (s, b) = server
        .call_as(
            other_token,
            Method::POST,
            "/crm/v4/associations/contacts/companies/labels",
            Some(&json!({"name": "boss", "label": "Other boss"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

/// What a client sees of the dataset, to compare servers.
async fn observe(server: &Server, other_token: &str) -> Value {
    let mut seen = serde_json::Map::new();
    for path in [
        "/crm/v4/associations/contacts/companies/labels",
        "/crm/v4/associations/companies/contacts/labels",
        "/crm/v4/associations/deals/deals/labels",
        "/crm/v4/associations/definitions/configurations/all",
        "/crm/v4/objects/contacts/1/associations/companies",
        "/crm/v4/objects/companies/50/associations/contacts",
        "/crm/v4/objects/companies/60/associations/contacts",
    ] {
        let (s, b) = server.call(Method::GET, path, None).await;
        assert_eq!(s, 200, "{path}: {b}");
        seen.insert(path.to_string(), b);
    }
    let (s, b) = server
        .call_as(
            other_token,
            Method::GET,
            "/crm/v4/associations/contacts/companies/labels",
            None,
        )
        .await;
    assert_eq!(s, 200);
    seen.insert("other portal labels".into(), b);
    Value::Object(seen)
}

/// The rows of a dump file, per table, sorted (the header's volatile fields left out).
fn rows_of(path: &Path) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(path).expect("read dump");
    let mut lines = text.lines();
    let header: Value = serde_json::from_str(lines.next().expect("header")).expect("header JSON");
    assert_eq!(header["format"], "assocd-dump");
    assert_eq!(header["version"], 1);
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in header["tables"].as_array().unwrap() {
        out.entry(t["name"].as_str().unwrap().to_string())
            .or_default();
    }
    for line in lines {
        let row: Value = serde_json::from_str(line).expect("row JSON");
        out.get_mut(row["table"].as_str().unwrap())
            .expect("table in header")
            .push(row["values"].to_string());
    }
    for (name, rows) in &mut out {
        rows.sort();
        let announced = header["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name.as_str())
            .unwrap()["rows"]
            .as_u64();
        assert_eq!(announced, Some(rows.len() as u64), "{name}: header count");
    }
    out
}

fn export_to(database: &str, file: &Path, extra: &[&str]) {
    let mut args = vec!["export", "--database", database];
    args.extend_from_slice(extra);
    std::fs::write(file, assocd_ok(&args, None)).expect("write dump");
}

#[tokio::test]
async fn a_dataset_round_trips_sqlite_postgres_sqlite_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let source = format!("sqlite://{}/source.sqlite", dir.path().display());
    let server = Server::start(&source, &[]);
    let other = assocd_ok(
        &[
            "token",
            "create",
            "--portal",
            OTHER_PORTAL,
            "--database",
            &source,
        ],
        None,
    )
    .trim()
    .to_string();
    let created = run_assocd(
        &[
            "token",
            "create",
            "--portal",
            OTHER_PORTAL,
            "--database",
            &source,
        ],
        None,
    );
    // stderr: "token ID for portal …"
    let revoked_id = String::from_utf8_lossy(&created.stderr)
        .split_whitespace()
        .nth(1)
        .expect("token id")
        .to_string();
    assocd_ok(
        &["token", "revoke", &revoked_id, "--database", &source],
        None,
    );
    make_dataset(&server, &other).await;
    let original = observe(&server, &other).await;
    drop(server);

    let a = dir.path().join("a.jsonl");
    export_to(&source, &a, &[]);
    let rows_a = rows_of(&a);
    for table in [
        "tokens",
        "labels",
        "portal_counters",
        "limits",
        "associations",
        "high_usage_reports",
    ] {
        assert!(!rows_a[table].is_empty(), "the dataset has {table}");
    }
    assert!(
        rows_a["tokens"].iter().any(|r| !r.ends_with(",null]")),
        "a revoked token travels too"
    );

    let Some(admin) = postgres_admin_url().await else {
        return;
    };
    let pg = fresh_postgres_database(&admin).await;
    let out = run_assocd(&["import", "--database", &pg], Some(&a));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The import gathered the planner's statistics of what it loaded.
    let mut conn = sqlx::PgConnection::connect(&pg).await.unwrap();
    let analyzed: i64 = sqlx::query_scalar(
        "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'associations'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(analyzed >= 1, "ANALYZE after import: {analyzed}");
    let b = dir.path().join("b.jsonl");
    export_to(&pg, &b, &[]);
    assert_eq!(rows_of(&b), rows_a, "SQLite -> PostgreSQL keeps every row");

    let back = format!("sqlite://{}/back.sqlite", dir.path().display());
    assocd_ok(&["import", "--database", &back], Some(&b));
    let c = dir.path().join("c.jsonl");
    export_to(&back, &c, &[]);
    assert_eq!(rows_of(&c), rows_a, "PostgreSQL -> SQLite keeps every row");

    // Importing the same dump again changes nothing.
    let again = run_assocd(&["import", "--database", &pg], Some(&a));
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("imported 0 rows"));

    // Servers on both copies answer like the original, and hand out the same next type id.
    for copy in [&pg, &back] {
        let server = Server::start(copy, &[]);
        assert_eq!(observe(&server, &other).await, original, "{copy}");
        let (_, created) = server
            .call(
                Method::POST,
                "/crm/v4/associations/tickets/deals/labels",
                Some(&json!({"name": "next", "label": "Next"})),
            )
            .await;
        assert_eq!(
            created["results"][0]["typeId"],
            json!(rows_a_next_type_id(&rows_a)),
            "{created}"
        );
    }
}

/// The counter of `PORTAL` in a dump: the type id its next label gets.
fn rows_a_next_type_id(rows: &BTreeMap<String, Vec<String>>) -> i64 {
    rows["portal_counters"]
        .iter()
        .map(|r| serde_json::from_str::<Vec<i64>>(r).unwrap())
        .find(|v| v[0] == PORTAL)
        .expect("counter of the test portal")[1]
}

#[tokio::test]
async fn export_of_one_portal_holds_only_its_rows_and_a_cut_or_clashing_dump_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let source = format!("sqlite://{}/source.sqlite", dir.path().display());
    let server = Server::start(&source, &[]);
    let other = assocd_ok(
        &[
            "token",
            "create",
            "--portal",
            OTHER_PORTAL,
            "--database",
            &source,
        ],
        None,
    )
    .trim()
    .to_string();
    make_dataset(&server, &other).await;
    drop(server);

    let one = dir.path().join("one.jsonl");
    export_to(&source, &one, &["--portal", OTHER_PORTAL]);
    let rows = rows_of(&one);
    let portal_of = |table: &str, r: &str| -> i64 {
        let v: Vec<Value> = serde_json::from_str(r).unwrap();
        // `portal_id` is the first column everywhere but tokens (id, hash, portal_id, …).
        if table == "tokens" {
            v[2].as_i64().unwrap()
        } else {
            v[0].as_i64().unwrap()
        }
    };
    assert!(
        rows.iter()
            .all(|(t, rs)| rs.iter().all(|r| portal_of(t, r) == 777)),
        "{rows:?}"
    );
    assert_eq!(rows["labels"].len(), 2);

    let all = dir.path().join("all.jsonl");
    export_to(&source, &all, &[]);
    let text = std::fs::read_to_string(&all).unwrap();
    let cut = dir.path().join("cut.jsonl");
    std::fs::write(
        &cut,
        text.lines()
            .take(text.lines().count() - 1)
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let target = format!("sqlite://{}/target.sqlite", dir.path().display());
    let out = run_assocd(&["import", "--database", &target], Some(&cut));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("incomplete"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let empty = dir.path().join("empty.jsonl");
    export_to(&target, &empty, &[]);
    assert!(
        rows_of(&empty).values().all(Vec::is_empty),
        "nothing of a cut dump is imported"
    );

    // The portal alone imports; the whole dump then clashes on nothing and fills the rest.
    assocd_ok(&["import", "--database", &target], Some(&one));
    assocd_ok(&["import", "--database", &target], Some(&all));
    export_to(&target, &empty, &[]);
    assert_eq!(rows_of(&empty), rows_of(&all));

    // A different label under a taken type id is refused, and nothing of that dump is written.
    let clash = dir.path().join("clash.jsonl");
    let changed: Vec<String> = text
        .lines()
        .map(|l| {
            if l.contains("\"table\":\"labels\"") {
                l.replacen("boss", "b0ss", 1)
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(&clash, changed.join("\n")).unwrap();
    let out = run_assocd(&["import", "--database", &target], Some(&clash));
    assert!(!out.status.success(), "a clashing dump must fail");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("clashes"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read_to_string(&all)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .contains("\"backend\":\"sqlite\""));

    // Not a dump at all.
    let junk = dir.path().join("junk.jsonl");
    std::fs::write(&junk, "{\"hello\":1}\n").unwrap();
    let out = run_assocd(&["import", "--database", &target], Some(&junk));
    assert!(
        !out.status.success()
            && String::from_utf8_lossy(&out.stderr).contains("not an assocd dump")
    );
}
