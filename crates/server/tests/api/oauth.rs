//! OAuth: apps authorize (immediate consent), codes become tokens, tokens call the
//! Associations API within their scopes and portal until they expire or the app is
//! uninstalled; metadata, introspection and revocation.

mod access;
mod flow;
mod metadata;
mod refusals;

use crate::control::apps::create_app;
use crate::helpers::*;
use reqwest::redirect::Policy;
use serde_json::{json, Value};

pub const REDIRECT: &str = "http://localhost:3000/oauth-callback";
pub const CLIENT_ID: &str = "client-7";
pub const CLIENT_SECRET: &str = "secret-7";
pub const APP_ID: i64 = 7;
pub const LABELS: &str = "/crm/v4/associations/contacts/companies/labels";
pub const READ: &str = "crm.objects.contacts.read";

/// An OAuth app (id 7) holding `scopes`, installed in `portals`.
pub async fn oauth_app(app: &TestApp, scopes: &[&str], portals: &[i64]) -> Value {
    create_app(
        app,
        json!({"appId": APP_ID, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
               "redirectUris": [REDIRECT], "scopes": scopes, "portals": portals}),
    )
    .await
}

/// `GET /oauth/authorize?{query}` without following the redirect: status, `Location`, body.
pub async fn authorize(app: &TestApp, query: &str) -> (u16, Option<String>, Value) {
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let r = client
        .get(app.url(&format!("/oauth/authorize?{query}")))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let body = r.json().await.unwrap_or(Value::Null);
    (status, location, body)
}

/// The `code` of a redirect location.
pub fn code_of(location: &str) -> String {
    let url = reqwest::Url::parse(location).unwrap();
    let code = url.query_pairs().find(|(k, _)| k == "code").unwrap().1;
    code.to_string()
}

/// A code for `portal` granting `scope` (space separated).
pub async fn code_for(app: &TestApp, portal: i64, scope: &str) -> String {
    let (status, location, body) = authorize(
        app,
        &format!(
            "client_id={CLIENT_ID}&redirect_uri={}&scope={}&portalId={portal}",
            urlencode(REDIRECT),
            urlencode(scope)
        ),
    )
    .await;
    assert_eq!(status, 302, "{body}");
    code_of(&location.unwrap())
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `POST /oauth/{version}/token` with a form body.
pub async fn token(app: &TestApp, version: &str, form: &[(&str, &str)]) -> Answer {
    let r = app
        .client
        .post(app.url(&format!("/oauth/{version}/token")))
        .form(form)
        .send()
        .await
        .unwrap();
    read_answer(r).await
}

/// A form POST to any path.
pub async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> Answer {
    let r = app
        .client
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .unwrap();
    read_answer(r).await
}

pub async fn read_answer(r: reqwest::Response) -> Answer {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
        text,
    }
}

/// Redeems `code` at `/oauth/v1/token` with the app's credentials: the answer as it is.
pub async fn redeem(app: &TestApp, code: &str) -> Answer {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ];
    token(app, "v1", &form).await
}

/// Trades `refresh` for a new access token at `/oauth/{version}/token`.
pub async fn refresh_with(app: &TestApp, version: &str, refresh: &str) -> Answer {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ];
    token(app, version, &form).await
}

/// Exchanges a code: `(access_token, refresh_token, body)`.
pub async fn exchange(app: &TestApp, code: &str) -> (String, String, Value) {
    let a = redeem(app, code).await;
    assert_eq!(a.status, 200, "{}", a.text);
    (
        a.body["access_token"].as_str().unwrap().to_string(),
        a.body["refresh_token"].as_str().unwrap().to_string(),
        a.body,
    )
}

/// Installs the app in `portal` through the whole flow: `(access, refresh)`.
pub async fn install(app: &TestApp, portal: i64, scope: &str) -> (String, String) {
    let code = code_for(app, portal, scope).await;
    let (access, refresh, _) = exchange(app, &code).await;
    (access, refresh)
}

/// Asserts HubSpot's OAuth error body: `status`, `message`, RFC 6749's `error` and
/// `error_description`, a correlation id.
pub fn assert_oauth_error(a: &Answer, http: u16, status: &str, message: &str, error: &str) {
    assert_eq!(a.status, http, "{}", a.text);
    assert_eq!(a.body["status"], status, "{}", a.text);
    assert_eq!(a.body["message"], message, "{}", a.text);
    assert_eq!(a.body["error"], error, "{}", a.text);
    assert_eq!(a.body["error_description"], message, "{}", a.text);
    let id = a.body["correlationId"].as_str().expect("correlationId");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
}
