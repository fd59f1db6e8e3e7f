//! The database going away and coming back, and token revocation seen by every replica.

use crate::support::*;
use crate::*;
use reqwest::Method;
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test]
async fn database_outage_answers_503_fast_and_recovers_with_every_acknowledged_write() {
    let pg = match ThrowawayPostgres::start_new() {
        Ok(pg) => pg,
        Err(reason) => {
            eprintln!("SKIPPED: {reason}");
            return;
        }
    };
    let db = pg.url("postgres");
    const CONNECT_TIMEOUT_MS: u64 = 1000;
    let server = Arc::new(Server::start(
        &db,
        &[
            "--connect-timeout-ms",
            "1000",
            "--statement-timeout-ms",
            "2000",
        ],
    ));
    let pairs = [
        "contacts/companies",
        "contacts/deals",
        "contacts/tickets",
        "companies/deals",
        "companies/tickets",
        "deals/tickets",
    ];
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (server, stop) = (server.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let (mut acknowledged, mut unavailable, mut slowest) = (Vec::new(), 0, Duration::ZERO);
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let pair = pairs[(w + i) % pairs.len()];
                let name = format!("w{w}_{i}");
                let started = Instant::now();
                let body = json!({"name": name, "label": name});
                let (status, answer) = server
                    .call(
                        Method::POST,
                        &format!("/crm/v4/associations/{pair}/labels"),
                        Some(&body),
                    )
                    .await;
                let took = started.elapsed();
                match status {
                    200 => acknowledged.push((pair, name)),
                    503 => {
                        assert_eq!(answer["status"], "error", "HubSpot's error body: {answer}");
                        assert!(
                            answer["correlationId"].is_string() && answer["message"].is_string(),
                            "{answer}"
                        );
                        unavailable += 1;
                        slowest = slowest.max(took);
                    }
                    _ => panic!("unexpected {status}: {answer}"),
                }
                i += 1;
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
            (acknowledged, unavailable, slowest)
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    pg.stop();
    let down = Instant::now();
    // Reads fail fast too.
    let ok = eventually(Duration::from_secs(10), || async {
        let (status, body) = server
            .call(
                Method::GET,
                "/crm/v4/associations/contacts/companies/labels",
                None,
            )
            .await;
        status == 503 && body["status"] == "error"
    })
    .await;
    assert!(
        ok,
        "reads answer 503 while the database is down\n{}",
        server.log()
    );
    // The control plane's health says so, in its own shape.
    let (status, health) = server.call(Method::GET, "/_assocd/health", None).await;
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["status"], "unavailable");
    assert_eq!(health["database"], "postgres");
    tokio::time::sleep(Duration::from_secs(3).saturating_sub(down.elapsed())).await;
    pg.start().expect("restart PostgreSQL");
    let back = Instant::now();
    let recovered = eventually(Duration::from_secs(20), || async {
        server
            .call(
                Method::GET,
                "/crm/v4/associations/contacts/companies/labels",
                None,
            )
            .await
            .0
            == 200
    })
    .await;
    assert!(recovered, "the server recovers by itself\n{}", server.log());
    let (status, health) = server.call(Method::GET, "/_assocd/health", None).await;
    assert_eq!((status, &health["status"]), (200, &json!("ok")), "{health}");
    eprintln!(
        "recovered {:?} after the database came back",
        back.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    let (mut unavailable, mut slowest) = (0, Duration::ZERO);
    for w in writers {
        let (a, u, s) = w.await.unwrap();
        acknowledged.extend(a);
        unavailable += u;
        slowest = slowest.max(s);
    }
    eprintln!(
        "{} writes acknowledged, {unavailable} answered 503 (slowest {slowest:?})",
        acknowledged.len()
    );
    assert!(
        unavailable > 0,
        "writes answered 503 while the database was down"
    );
    // Fail fast: within the connect timeout plus a margin for the request itself.
    assert!(
        slowest < Duration::from_millis(CONNECT_TIMEOUT_MS + 3000),
        "a 503 took {slowest:?}"
    );
    let mut listed = HashSet::new();
    for pair in pairs {
        let (status, body) = server
            .call(
                Method::GET,
                &format!("/crm/v4/associations/{pair}/labels"),
                None,
            )
            .await;
        assert_eq!(status, 200);
        for r in body["results"].as_array().unwrap() {
            if let Some(l) = r["label"].as_str() {
                listed.insert((pair, l.to_string()));
            }
        }
    }
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|(p, n)| !listed.contains(&(*p, n.clone())))
        .collect();
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    assert!(
        acknowledged.len() > 20,
        "writes before and after the outage: {}",
        acknowledged.len()
    );
}

#[tokio::test]
async fn a_token_revoked_anywhere_is_refused_by_every_replica_within_the_cache_ttl() {
    let Some((db, servers)) = two_replicas(&[]).await else {
        return;
    };
    let created = run_assocd(
        &["token", "create", "--portal", "31", "--database", &db],
        None,
    );
    assert!(created.status.success());
    let secret = String::from_utf8_lossy(&created.stdout).trim().to_string();
    let id = String::from_utf8_lossy(&created.stderr)
        .split_whitespace()
        .nth(1)
        .expect("token id")
        .to_string();
    let path = "/crm/v4/associations/contacts/companies/labels";
    for server in servers.iter() {
        assert_eq!(
            server.call_as(&secret, Method::GET, path, None).await.0,
            200,
            "the token works on every replica (and is cached)"
        );
    }
    assocd_ok(&["token", "revoke", &id, "--database", &db], None);
    let revoked_at = Instant::now();
    for server in servers.iter() {
        let refused = eventually(Duration::from_secs(5), || async {
            server.call_as(&secret, Method::GET, path, None).await.0 == 401
        })
        .await;
        assert!(refused, "a revoked token is refused");
    }
    // The cache keeps a lookup 1 s; allow for scheduling.
    assert!(
        revoked_at.elapsed() < Duration::from_millis(3000),
        "refused after {:?}",
        revoked_at.elapsed()
    );
}
