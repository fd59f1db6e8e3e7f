//! Store-level checks that every backend must pass: SQLite always, PostgreSQL when a server
//! answers (`ASSOCD_TEST_DATABASE_URL`/`ASSOCD_TEST_POSTGRES_URL`, else 127.0.0.1:5432; skipped
//! with a printed reason otherwise). Migrations, the "database unavailable" mapping, and
//! concurrent writers on one store.

use assocd_core::fixture::{Fixture, FixtureAssociation, FixtureLimit, PortalFixture, TypeRef};
use assocd_core::store::{BrowseStore, LabelStore, LimitStore, PortalStore, TokenStore};
use assocd_core::Category;
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

/// The console's reads: labels paged by type id, the types a record links to, how full the
/// records under a limit are (the 80% count, the fullest, the paged list) and a portal's tokens.
#[tokio::test]
async fn browse_reads_page_labels_types_usage_and_tokens() {
    let ty = |s: &str| ObjectType::parse(s).unwrap();
    let pair = Pair::new(ty("contacts"), ty("companies"));
    let mut associations = Vec::new();
    // Contact 1: 5 companies, contact 2: 4, contact 3: 3, contact 4: 1 (limit 5, 80% = 4).
    for (contact, n) in [(1, 5), (2, 4), (3, 3), (4, 1)] {
        for c in 0..n {
            associations.push(FixtureAssociation {
                pair: pair.clone(),
                from: contact,
                to: 100 + c,
                types: vec![],
            });
        }
    }
    associations.push(FixtureAssociation {
        pair: Pair::new(ty("contacts"), ty("deals")),
        from: 1,
        to: 900,
        types: vec![],
    });
    let fixture = Fixture {
        portals: vec![PortalFixture {
            portal_id: 7,
            labels: (0..3)
                .map(|i| NewLabel {
                    pair: pair.clone(),
                    name: format!("l{i}"),
                    label: format!("L{i}"),
                    inverse_label: Some(format!("I{i}")),
                })
                .collect(),
            limits: vec![FixtureLimit {
                pair: pair.clone(),
                // 279: the pair's default (unlabeled) type, which plain associations get.
                of: TypeRef::Id(Category::HubspotDefined, 279),
                max: 5,
            }],
            associations,
            ..PortalFixture::default()
        }],
        apps: vec![],
    };
    for (url, _dir) in fresh_databases().await {
        let store = SqlStore::connect(&url, &ConnectOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        store.apply_fixture(&fixture, 50_000).await.unwrap();
        store
            .create_portal(Some(7), &assocd_core::token::hash_secret("a"), &[])
            .await
            .unwrap();

        let first = store.portal_labels(7, None, 4).await.unwrap();
        assert_eq!(first.len(), 4, "{url}");
        let rest = store
            .portal_labels(7, Some(first[3].type_id), 4)
            .await
            .unwrap();
        assert_eq!(rest.len(), 2, "{url}: 3 paired labels are 6 rows");
        assert!(first[3].type_id < rest[0].type_id, "{url}");
        assert!(store.portal_labels(8, None, 4).await.unwrap().is_empty());

        let linked = store.linked_types(7, &ty("contacts"), 1).await.unwrap();
        assert_eq!(linked, vec![ty("companies"), ty("deals")], "{url}");
        let back = store.linked_types(7, &ty("companies"), 100).await.unwrap();
        assert_eq!(back, vec![ty("contacts")], "{url}");
        assert!(store
            .linked_types(7, &ty("contacts"), 99)
            .await
            .unwrap()
            .is_empty());

        let limit = store.list_limits(7, Some(&pair)).await.unwrap().remove(0);
        let usage = store.limit_usage(7, &limit, 3).await.unwrap();
        assert_eq!(
            usage.at_or_above, 2,
            "{url}: contacts 1 and 2 are at 4 of 5 or more"
        );
        assert_eq!(usage.fullest, vec![(1, 5), (2, 4), (3, 3)], "{url}");
        let page = store.records_at_usage(7, &limit, 3, None, 2).await.unwrap();
        assert_eq!(page, vec![(1, 5), (2, 4)], "{url}");
        let page = store
            .records_at_usage(7, &limit, 3, Some(2), 2)
            .await
            .unwrap();
        assert_eq!(page, vec![(3, 3)], "{url}");

        store
            .create_portal(Some(9), &assocd_core::token::hash_secret("b"), &[])
            .await
            .unwrap();
        let all = store.portal_summaries(None, 10).await.unwrap();
        assert_eq!(
            all.iter().map(|p| p.portal_id).collect::<Vec<_>>(),
            vec![7, 9],
            "{url}"
        );
        assert_eq!(
            (all[0].labels, all[0].limits, all[0].associations),
            (3, 1, 14),
            "{url}"
        );
        let after = store.portal_summaries(Some(7), 10).await.unwrap();
        assert_eq!(
            after.iter().map(|p| p.portal_id).collect::<Vec<_>>(),
            vec![9],
            "{url}"
        );
        assert_eq!(store.portal_summaries(None, 1).await.unwrap().len(), 1);

        // No worker dispatches here: the fixture's change events all wait, and only portal 7's.
        let waiting = store.events_waiting(1, 100).await.unwrap();
        assert_eq!(waiting.len(), 1, "{url}: {waiting:?}");
        assert_eq!(waiting[0].0, 7);
        assert!(waiting[0].1 >= 14, "{url}: {waiting:?}");
        assert!(store.events_waiting(8, 100).await.unwrap().is_empty());

        let tokens = store.portal_tokens(7, 10).await.unwrap();
        assert_eq!(tokens.len(), 1, "{url}");
        assert_eq!(tokens[0].portal_id, 7);
        store.close().await;
    }
}

/// OAuth: of eight exchanges of one code racing on one store, exactly one stores its tokens;
/// the access token is found like a portal token (with its app and expiry); an uninstall
/// revokes the portal's tokens and drops its codes.
#[tokio::test]
async fn a_code_is_redeemed_once_and_an_uninstall_revokes_tokens() {
    use assocd_core::apps::NewApp;
    use assocd_core::oauth::{CodeGrant, NewOAuthToken, TokenKind};
    use assocd_core::store::{AppStore, OAuthStore};
    for (url, _dir) in fresh_databases().await {
        let store = SqlStore::connect(&url, &ConnectOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let app = store
            .create_app(&NewApp {
                app_id: Some(7),
                client_secret: "s".into(),
                key_hash: "k".into(),
                client_id: Some("c-7".into()),
                redirect_uris: vec!["http://localhost/cb".into()],
                scopes: vec!["oauth".into()],
                portals: vec![],
            })
            .await
            .unwrap();
        assert_eq!(store.app_for_client("c-7").await.unwrap(), Some(app));
        let grant = CodeGrant {
            app_id: 7,
            portal_id: 5,
            scopes: vec!["oauth".into()],
            redirect_uri: "http://localhost/cb".into(),
            expires_at_ms: i64::MAX,
            used: false,
        };
        store.authorize("code-hash", &grant).await.unwrap().unwrap();
        assert_eq!(store.get_app(7).await.unwrap().unwrap().portals, vec![5]);
        let mut tasks = Vec::new();
        for i in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let token = NewOAuthToken {
                    hash: assocd_core::token::hash_secret(&format!("access-{i}")),
                    kind: TokenKind::Access,
                    app_id: 7,
                    portal_id: Some(5),
                    scopes: vec!["oauth".into()],
                    expires_at_ms: Some(1234),
                };
                store.redeem_code("code-hash", &[token]).await.unwrap()
            }));
        }
        let mut winners = Vec::new();
        for (i, t) in tasks.into_iter().enumerate() {
            if t.await.unwrap() {
                winners.push(i);
            }
        }
        assert_eq!(winners.len(), 1, "{url}: {winners:?}");
        assert!(store.find_code("code-hash").await.unwrap().unwrap().used);
        let hash = assocd_core::token::hash_secret(&format!("access-{}", winners[0]));
        let found = store.find_token(&hash).await.unwrap().unwrap();
        assert_eq!(found.portal_id, 5);
        assert_eq!(
            found.oauth.map(|g| (g.app_id, g.expires_at_ms)),
            Some((7, 1234))
        );
        store.authorize("second-code", &grant).await.unwrap();
        assert_eq!(store.uninstall_app(7, 5).await.unwrap(), Some(true));
        assert!(store.find_token(&hash).await.unwrap().is_none(), "{url}");
        assert!(store.find_oauth_token(&hash).await.unwrap().is_none());
        assert!(store.find_code("second-code").await.unwrap().is_none());
        store.close().await;
    }
}

/// After a bulk write, the server's look for grown tables analyzes `associations` (PostgreSQL
/// counts its ANALYZE), and the next look finds nothing to do; SQLite has nothing to analyze.
#[tokio::test]
async fn tables_that_grew_get_analyzed_once() {
    let ty = |s: &str| ObjectType::parse(s).unwrap();
    let pair = Pair::new(ty("contacts"), ty("companies"));
    let associations = (0..3_000)
        .map(|i| FixtureAssociation {
            pair: pair.clone(),
            from: 1 + i / 10,
            to: 1 + i,
            types: vec![],
        })
        .collect();
    let fixture = Fixture {
        portals: vec![PortalFixture {
            portal_id: 7,
            associations,
            ..PortalFixture::default()
        }],
        apps: vec![],
    };
    for (url, _dir) in fresh_databases().await {
        let store = SqlStore::connect(&url, &ConnectOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        store.apply_fixture(&fixture, 50_000).await.unwrap();
        if store.backend() == Backend::Sqlite {
            assert_eq!(
                store.analyze_grown_tables().await.unwrap(),
                Vec::<String>::new()
            );
            continue;
        }
        let analyze_count = || async {
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            let n: i64 = sqlx::query_scalar(
                "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'associations'",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap();
            n
        };
        assert_eq!(
            analyze_count().await,
            0,
            "autovacuum is off on the test server"
        );
        // PostgreSQL publishes a session's row counts within about a second of its commit.
        let deadline = Instant::now() + Duration::from_secs(20);
        let analyzed = loop {
            let t = store.analyze_grown_tables().await.unwrap();
            if t.iter().any(|t| t == "associations") || Instant::now() > deadline {
                break t;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert!(analyzed.iter().any(|t| t == "associations"), "{analyzed:?}");
        assert!(analyze_count().await >= 1);
        let again = store.analyze_grown_tables().await.unwrap();
        assert!(!again.iter().any(|t| t == "associations"), "{again:?}");
        store.close().await;
    }
}
