//! The control plane's CLI equivalents (`assocd portal …`, `assocd fixtures apply`) and
//! `serve --fixtures`, with the real binary.

use crate::helpers::fresh_database;
use crate::process::{bin, run, Server};
use serde_json::{json, Value};
use std::process::Command;

async fn get(server: &Server, path: &str, token: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("send");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn fixture_file(dir: &std::path::Path, doc: &Value) -> String {
    let path = dir.join("fixture.json");
    std::fs::write(&path, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
    path.display().to_string()
}

fn doc() -> Value {
    json!({"portals": [{
        "portalId": 31,
        "tokens": [{"token": "cli-fixture-token"}],
        "labels": [{"from": "deals", "to": "contacts", "name": "buyer", "label": "Buyer"}],
        "limits": [{"from": "deals", "to": "contacts", "label": "buyer", "max": 3}],
        "associations": [{"from": "deals/1", "to": "contacts/2", "labels": ["buyer"]}]
    }]})
}

#[tokio::test]
async fn portal_commands_create_list_reset_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path()).await;
    let created = run(&["portal", "create", "--database", &db]);
    let (id, secret) = created.trim().split_once('\t').expect("id<TAB>token");
    let id: i64 = id.parse().expect("portal id");
    assert!(secret.starts_with("pat-local-"), "{secret}");
    let server = Server::start(&db, &["--bootstrap-token", "boot", "--portal", "900"]);
    let labels = "/crm/v4/associations/deals/contacts/labels";
    let made = reqwest::Client::new()
        .post(server.url(labels))
        .bearer_auth(secret)
        .json(&json!({"name": "owner", "label": "Owner"}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status().as_u16(), 200);

    let list = run(&["portal", "list", "--database", &db]);
    let row: Vec<&str> = list
        .lines()
        .find(|l| l.starts_with(&format!("{id}\t")))
        .unwrap_or_else(|| panic!("portal {id} not listed: {list}"))
        .split('\t')
        .collect();
    assert_eq!(row, [id.to_string().as_str(), "1", "1", "0", "0"]);

    run(&["portal", "reset", &id.to_string(), "--database", &db]);
    let (status, body) = get(&server, labels, secret).await;
    assert_eq!(status, 200);
    assert!(body["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["category"] == "HUBSPOT_DEFINED"));

    run(&["portal", "delete", &id.to_string(), "--database", &db]);
    // The server's token cache forgets within a second.
    let mut status = 0;
    for _ in 0..30 {
        status = get(&server, labels, secret).await.0;
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 401);
    let again = Command::new(bin())
        .args(["portal", "reset", &id.to_string(), "--database", &db])
        .output()
        .unwrap();
    assert!(!again.status.success(), "resetting a deleted portal fails");
}

#[tokio::test]
async fn fixtures_apply_offline_and_serve_applies_them_at_every_start_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path()).await;
    let file = fixture_file(dir.path(), &doc());
    let out = run(&["fixtures", "apply", &file, "--database", &db]);
    assert!(
        out.contains("created 1 portal(s), 1 token(s), 1 label(s), 1 limit(s), 1 association(s)"),
        "{out}"
    );
    let again = run(&["fixtures", "apply", &file, "--database", &db]);
    assert!(
        again.contains("created 0 portal(s), 0 token(s), 0 label(s), 0 limit(s), 0 association(s)"),
        "{again}"
    );

    // The same file at every start: the state is the fixture's, once.
    for _ in 0..2 {
        let server = Server::start(&db, &["--bootstrap-token", "boot", "--fixtures", &file]);
        let (status, body) = get(
            &server,
            "/crm/v4/associations/deals/contacts/labels",
            "cli-fixture-token",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let own = body["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["category"] == "USER_DEFINED")
            .count();
        assert_eq!(own, 1, "{body}");
        let (_, assoc) = get(
            &server,
            "/crm/v4/objects/deals/1/associations/contacts",
            "cli-fixture-token",
        )
        .await;
        assert_eq!(assoc["results"].as_array().unwrap().len(), 1, "{assoc}");
        let (_, limits) = get(
            &server,
            "/crm/v4/associations/definitions/configurations/deals/contacts",
            "cli-fixture-token",
        )
        .await;
        assert_eq!(limits["results"].as_array().unwrap().len(), 1, "{limits}");
        server.terminate();
    }
}

#[tokio::test]
async fn a_bad_fixture_stops_the_server_from_starting_and_names_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path()).await;
    let mut bad = doc();
    bad["portals"][0]["associations"][0]["labels"] = json!(["nobody"]);
    let file = fixture_file(dir.path(), &bad);
    for args in [
        vec![
            "fixtures",
            "apply",
            file.as_str(),
            "--database",
            db.as_str(),
        ],
        vec![
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            db.as_str(),
            "--fixtures",
            file.as_str(),
        ],
    ] {
        let out = Command::new(bin()).args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("portals[0].associations[0]"),
            "{args:?}: {err}"
        );
    }
    // Nothing of it was applied.
    let list = run(&["portal", "list", "--database", &db]);
    assert!(!list.lines().any(|l| l.starts_with("31\t")), "{list}");
}

#[tokio::test]
async fn the_admin_token_opens_the_control_plane_of_a_served_process() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(dir.path()).await;
    let server = Server::start(
        &db,
        &["--bootstrap-token", "boot", "--admin-token", "root-secret"],
    );
    let (status, body) = get(&server, "/_assocd/portals", "root-secret").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(get(&server, "/_assocd/portals", "boot").await.0, 401);
    let clash = Command::new(bin())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &db,
            "--bootstrap-token",
            "same",
            "--admin-token",
            "same",
        ])
        .output()
        .unwrap();
    assert!(
        !clash.status.success(),
        "the admin token may not be a portal token"
    );
}
