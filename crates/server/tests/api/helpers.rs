//! `spawn_app()`: a server on a random port, a fresh database, and tokens for two portals.

use assocd::app::{open_store, Application, Settings};
use assocd_api::ApiConfig;
use assocd_core::store::TokenStore;
use assocd_core::token::hash_secret;
use assocd_store::ConnectOptions;
use reqwest::{Method, Response};
use serde_json::Value;
use std::net::SocketAddr;

pub const TOKEN: &str = "pat-test-portal-1";
pub const OTHER_PORTAL_TOKEN: &str = "pat-test-portal-2";
/// A token whose only scope is one no operation accepts.
pub const NO_SCOPE_TOKEN: &str = "pat-test-no-scopes";
/// The control plane's admin token of every test server.
pub const ADMIN_TOKEN: &str = "admin-test-token";
pub const PORTAL: i64 = 101;
pub const OTHER_PORTAL: i64 = 202;

/// The legacy prefix the official clients call, then the others.
pub const SCHEMA_PREFIXES: [&str; 5] = [
    "/crm/v4/associations",
    "/crm/associations/v4",
    "/crm/associations/2025-09",
    "/crm/associations/2026-03",
    "/crm/associations/2026-09",
];

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub database_url: String,
    _dir: tempfile::TempDir,
}

/// A fresh database URL: a SQLite file in `dir`, or a new PostgreSQL database when
/// `ASSOCD_TEST_DATABASE_URL` names a server.
pub async fn fresh_database(dir: &std::path::Path) -> String {
    match std::env::var("ASSOCD_TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            use sqlx::Connection;
            let name = format!("assocd_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to the test PostgreSQL server");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(admin);
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}/assocd.sqlite", dir.display()),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(ApiConfig::default()).await
}

pub async fn spawn_app_with(config: ApiConfig) -> TestApp {
    spawn_app_with_settings(Settings {
        api: config,
        admin_token: Some(ADMIN_TOKEN.to_string()),
        ..Default::default()
    })
    .await
}

/// A test server with these settings (the control plane is off when `admin_token` is `None`).
pub async fn spawn_app_with_settings(settings: Settings) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database(dir.path()).await;
    let store = open_store(&database_url, &ConnectOptions::default())
        .await
        .expect("open store");
    let all: Vec<String> = assocd_core::scopes::all_known()
        .into_iter()
        .map(str::to_string)
        .collect();
    store
        .put_token(&hash_secret(TOKEN), PORTAL, &all)
        .await
        .unwrap();
    store
        .put_token(&hash_secret(OTHER_PORTAL_TOKEN), OTHER_PORTAL, &all)
        .await
        .unwrap();
    store
        .put_token(
            &hash_secret(NO_SCOPE_TOKEN),
            PORTAL,
            &["crm.schemas.custom.read".to_string()],
        )
        .await
        .unwrap();
    let app = Application::build("127.0.0.1:0", store, settings)
        .await
        .expect("bind");
    let addr = app.local_addr();
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        addr,
        client: reqwest::Client::new(),
        database_url,
        _dir: dir,
    }
}

/// A response read whole: status, headers and JSON body (`Value::Null` when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    async fn read(r: Response) -> Answer {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::Null)
        };
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    /// Asserts HubSpot's error body and returns its category.
    pub fn assert_hubspot_error(&self, status: u16) -> &str {
        assert_eq!(self.status, status, "body: {}", self.text);
        assert_eq!(self.body["status"], "error", "body: {}", self.text);
        assert!(
            self.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "body: {}",
            self.text
        );
        let id = self.body["correlationId"].as_str().expect("correlationId");
        assert!(
            uuid::Uuid::parse_str(id).is_ok(),
            "correlationId is a UUID: {id}"
        );
        assert_eq!(
            self.headers["x-hubspot-correlation-id"].to_str().unwrap(),
            id
        );
        assert_eq!(
            self.headers["content-type"],
            "application/json;charset=utf-8"
        );
        self.body["category"].as_str().expect("category")
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        Answer::read(req.send().await.expect("request sent")).await
    }

    /// Sends a raw body with a JSON content type.
    pub async fn raw(&self, method: Method, path: &str, body: impl Into<reqwest::Body>) -> Answer {
        let r = self
            .client
            .request(method, self.url(path))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request sent");
        Answer::read(r).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, Some(TOKEN), None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(TOKEN), Some(&body))
            .await
    }
    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PUT, path, Some(TOKEN), Some(&body)).await
    }
    pub async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, Some(TOKEN), None).await
    }

    /// A control-plane call with the admin token.
    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.call(method, path, Some(ADMIN_TOKEN), body.as_ref())
            .await
    }
}

/// `(category, typeId, label)` of each result of a labels list.
pub fn specs(body: &Value) -> Vec<(String, i64, Option<String>)> {
    body["results"]
        .as_array()
        .expect("results array")
        .iter()
        .map(|r| {
            (
                r["category"].as_str().unwrap().to_string(),
                r["typeId"].as_i64().unwrap(),
                r["label"].as_str().map(str::to_string),
            )
        })
        .collect()
}
