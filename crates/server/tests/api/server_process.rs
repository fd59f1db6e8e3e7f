//! The server as a process: CLI token management, bootstrap, graceful stop, and what survives `kill -9`.

use crate::helpers::fresh_database;
use crate::process::{run, Server};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn get(client: &reqwest::Client, url: &str, token: &str) -> (u16, Value) {
    let r = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("send");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn token_commands_work_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path()).await;
    let server = Server::start(&db, &["--bootstrap-token", "boot", "--portal", "7"]);
    let client = reqwest::Client::new();
    let labels = server.url("/crm/v4/associations/contacts/companies/labels");
    assert_eq!(get(&client, &labels, "boot").await.0, 200);

    let secret = run(&["token", "create", "--portal", "8", "--database", &db])
        .trim()
        .lines()
        .last()
        .unwrap()
        .to_string();
    assert!(secret.starts_with("pat-"), "{secret}");
    assert_eq!(get(&client, &labels, &secret).await.0, 200);

    let limited = run(&[
        "token",
        "create",
        "--portal",
        "8",
        "--scope",
        "unrelated.scope",
        "--database",
        &db,
    ])
    .trim()
    .to_string();
    let (status, body) = get(&client, &labels, &limited).await;
    assert_eq!(status, 403);
    assert_eq!(body["category"], "MISSING_SCOPES");

    let list = run(&["token", "list", "--database", &db]);
    assert!(!list.contains(&secret), "secrets are never listed");
    assert!(
        list.lines().any(|l| l.split('\t').nth(1) == Some("8")),
        "{list}"
    );
    let id = assocd_core::token::public_id(&assocd_core::token::hash_secret(&secret));
    assert!(list.contains(&id));
    run(&["token", "revoke", &id, "--database", &db]);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, body) = get(&client, &labels, &secret).await;
        if status == 401 {
            assert_eq!(body["category"], "INVALID_AUTHENTICATION");
            break;
        }
        assert!(Instant::now() < deadline, "revoked token still accepted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        server.terminate().code(),
        Some(0),
        "SIGTERM is a clean shutdown"
    );
}

#[tokio::test]
async fn tokens_are_stored_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/t.sqlite", dir.path().display());
    let secret = run(&["token", "create", "--portal", "3", "--database", &db])
        .trim()
        .to_string();
    let bytes = std::fs::read(dir.path().join("t.sqlite")).unwrap();
    let wal = std::fs::read(dir.path().join("t.sqlite-wal")).unwrap_or_default();
    for file in [bytes, wal] {
        assert!(
            !file.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret is not in the database"
        );
    }
}

#[tokio::test]
async fn serve_without_any_token_creates_one_and_prints_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/fresh.sqlite", dir.path().display());
    let server = Server::start(&db, &[]);
    let line = server
        .banner
        .iter()
        .find(|l| l.contains("created a token"))
        .expect("token printed")
        .clone();
    let secret = line.rsplit(' ').next().unwrap().to_string();
    let client = reqwest::Client::new();
    assert_eq!(
        get(
            &client,
            &server.url("/crm/v4/associations/definitions/configurations/all"),
            &secret
        )
        .await
        .0,
        200
    );
    server.terminate();
    let again = Server::start(&db, &[]);
    assert!(
        !again.banner.iter().any(|l| l.contains("created a token")),
        "only once: {:?}",
        again.banner
    );
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path()).await;
    let client = reqwest::Client::new();
    let server = Server::start(&db, &["--bootstrap-token", "t"]);
    let r = client
        .post(server.url("/crm/v4/associations/contacts/companies/labels"))
        .bearer_auth("t")
        .json(&json!({"name": "survivor", "label": "Survivor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .post(server.url("/crm/v4/associations/definitions/configurations/deals/contacts/batch/create"))
        .bearer_auth("t")
        .json(&json!({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 3, "maxToObjectIds": 42}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    server.kill9();

    let server = Server::start(&db, &["--bootstrap-token", "t"]);
    let (_, labels) = get(
        &client,
        &server.url("/crm/v4/associations/contacts/companies/labels"),
        "t",
    )
    .await;
    assert!(labels.to_string().contains("Survivor"), "{labels}");
    let (_, limits) = get(
        &client,
        &server.url("/crm/v4/associations/definitions/configurations/all"),
        "t",
    )
    .await;
    assert_eq!(limits["results"][0]["userEnforcedMaxToObjectIds"], 42);
}

/// Kills the server in the middle of a stream of batch updates: every acknowledged batch is
/// present in full after a restart, and no batch is half applied.
#[tokio::test]
async fn kill_9_during_batch_updates_loses_no_acknowledged_batch_and_applies_none_by_half() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path()).await;
    let client = reqwest::Client::new();
    let server = Server::start(&db, &["--bootstrap-token", "t"]);
    let mut types = Vec::new();
    for i in 0..20 {
        let r: Value = client
            .post(server.url("/crm/v4/associations/contacts/deals/labels"))
            .bearer_auth("t")
            .json(&json!({"name": format!("l{i}"), "label": format!("L{i}")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        types.push(r["results"][0]["typeId"].as_i64().unwrap());
    }
    let url =
        server.url("/crm/v4/associations/definitions/configurations/contacts/deals/batch/update");
    let writer = {
        let (client, types, url) = (client.clone(), types.clone(), url.clone());
        tokio::spawn(async move {
            let mut acknowledged = 0;
            for round in 1..=100_000i64 {
                let inputs: Vec<Value> = types.iter().map(|t| json!({"category": "USER_DEFINED", "typeId": t, "maxToObjectIds": round})).collect();
                match client
                    .post(&url)
                    .bearer_auth("t")
                    .json(&json!({"inputs": inputs}))
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 200 => acknowledged = round,
                    _ => break,
                }
            }
            acknowledged
        })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill9();
    let acknowledged = writer.await.unwrap();
    assert!(
        acknowledged > 0,
        "some batches were acknowledged before the kill"
    );

    let server = Server::start(&db, &["--bootstrap-token", "t"]);
    let (_, body) = get(
        &client,
        &server.url("/crm/v4/associations/definitions/configurations/contacts/deals"),
        "t",
    )
    .await;
    let values: Vec<i64> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userEnforcedMaxToObjectIds"].as_i64().unwrap())
        .collect();
    assert_eq!(values.len(), types.len(), "{body}");
    assert!(
        values.iter().all(|v| *v == values[0]),
        "a batch was half applied: {values:?}"
    );
    assert!(
        values[0] >= acknowledged,
        "acknowledged batch {acknowledged} lost; stored {}",
        values[0]
    );
}

/// Associations (with labels) and limits written before `kill -9` are all there after a restart.
#[tokio::test]
async fn associations_and_limits_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path()).await;
    let client = reqwest::Client::new();
    let server = Server::start(&db, &["--bootstrap-token", "t"]);
    let label: Value = client
        .post(server.url("/crm/v4/associations/contacts/companies/labels"))
        .bearer_auth("t")
        .json(&json!({"name": "employee", "label": "Employee"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let label_id = label["results"][0]["typeId"].as_i64().unwrap();
    let r = client
        .post(server.url("/crm/v4/associations/definitions/configurations/contacts/companies/batch/create"))
        .bearer_auth("t")
        .json(&json!({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 279, "maxToObjectIds": 300}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let inputs: Vec<Value> = (0..250u64)
        .map(|i| {
            json!({"from": {"id": "5000000001"}, "to": {"id": (9_000_000_000u64 + i).to_string()},
                   "types": [{"associationCategory": "USER_DEFINED", "associationTypeId": label_id}]})
        })
        .collect();
    let r = client
        .post(server.url("/crm/v4/associations/contacts/companies/batch/create"))
        .bearer_auth("t")
        .json(&json!({"inputs": inputs}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    server.kill9();

    let server = Server::start(&db, &["--bootstrap-token", "t"]);
    let (status, page) = get(
        &client,
        &server.url("/crm/v4/objects/contacts/5000000001/associations/companies?limit=500"),
        "t",
    )
    .await;
    assert_eq!(status, 200);
    let results = page["results"].as_array().unwrap();
    assert_eq!(results.len(), 250, "{page}");
    assert!(results
        .iter()
        .all(|r| r["associationTypes"].to_string().contains("Employee")));
    assert_eq!(results[0]["toObjectId"], 9_000_000_000u64);
    let (_, back) = get(
        &client,
        &server.url("/crm/v4/objects/companies/9000000249/associations/contacts"),
        "t",
    )
    .await;
    assert_eq!(back["results"][0]["toObjectId"], 5_000_000_001u64, "{back}");
    let (_, limits) = get(
        &client,
        &server.url("/crm/v4/associations/definitions/configurations/all"),
        "t",
    )
    .await;
    assert_eq!(limits["results"][0]["userEnforcedMaxToObjectIds"], 300);
}
