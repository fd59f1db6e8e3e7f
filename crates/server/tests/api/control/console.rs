//! The web console's doors, without a browser (tests/console drives a real one): it is off
//! without an admin token, every page and action needs the session cookie that only the admin
//! token buys, the cookie is HttpOnly, SameSite=Strict and holds no token, and pages carry a
//! strict content security policy.

use crate::helpers::*;
use assocd::app::Settings;
use assocd_api::ApiConfig;
use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, Response};

fn client() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

fn url(app: &TestApp, path: &str) -> String {
    format!("http://{}{path}", app.addr)
}

async fn sign_in(app: &TestApp, token: &str) -> Response {
    client()
        .post(url(app, "/_assocd/console/sign-in"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
}

/// The session cookie (`name=value`) a successful sign-in sets.
async fn session(app: &TestApp) -> String {
    let res = sign_in(app, ADMIN_TOKEN).await;
    assert_eq!(res.status().as_u16(), 303);
    let set = res.headers()[SET_COOKIE].to_str().unwrap().to_string();
    set.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn without_an_admin_token_the_console_is_404() {
    let app = spawn_app_with_settings(Settings {
        api: ApiConfig::default(),
        admin_token: None,
        ..Default::default()
    })
    .await;
    for path in [
        "/_assocd/console",
        "/_assocd/console/portals",
        "/_assocd/console/assets/console.css",
    ] {
        let res = client().get(url(&app, path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 404, "{path}");
    }
    assert_eq!(sign_in(&app, "anything").await.status().as_u16(), 404);
}

#[tokio::test]
async fn pages_and_actions_need_a_session_that_only_the_admin_token_buys() {
    let app = spawn_app().await;
    // The sign-in page is open; every other page sends the browser there.
    let res = client()
        .get(url(&app, "/_assocd/console"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(res.text().await.unwrap().contains("name=\"token\""));
    for path in [
        "/_assocd/console/portals",
        "/_assocd/console/requests",
        "/_assocd/console/faults",
    ] {
        let res = client().get(url(&app, path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 303, "{path}");
        assert_eq!(res.headers()[LOCATION], "/_assocd/console", "{path}");
    }
    // Neither the admin token as a bearer token nor a portal token opens a page.
    for token in [ADMIN_TOKEN, TOKEN] {
        let res = client()
            .get(url(&app, "/_assocd/console/portals"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303);
    }
    // Refused sign-ins: 401 with the form again, no cookie.
    for token in ["wrong", TOKEN, ""] {
        let res = sign_in(&app, token).await;
        assert_eq!(res.status().as_u16(), 401, "{token}");
        assert!(res.headers().get(SET_COOKIE).is_none());
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("not this server's admin token"));
    }
    // An action without a session changes nothing.
    let res = client()
        .post(url(&app, "/_assocd/console/faults"))
        .form(&[("status", "503")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let faults = app
        .admin(reqwest::Method::GET, "/_assocd/faults", None)
        .await;
    assert_eq!(faults.body["results"], serde_json::json!([]));
}

#[tokio::test]
async fn the_session_cookie_is_http_only_strict_and_holds_no_token() {
    let app = spawn_app().await;
    let res = sign_in(&app, ADMIN_TOKEN).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers()[LOCATION], "/_assocd/console/portals");
    let set = res.headers()[SET_COOKIE].to_str().unwrap();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/_assocd/console"] {
        assert!(set.contains(part), "{set}");
    }
    assert!(!set.contains(ADMIN_TOKEN), "{set}");
    let cookie = set.split(';').next().unwrap();
    let res = client()
        .get(url(&app, "/_assocd/console/portals"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let csp = res.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!("/_assocd/console/portals/{PORTAL}")),
        "{html}"
    );
    // A cookie changed by hand is no session.
    let forged = cookie.replace("v1.", "v1.9");
    let res = client()
        .get(url(&app, "/_assocd/console/portals"))
        .header("cookie", forged)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    // Signing out clears the cookie.
    let res = client()
        .post(url(&app, "/_assocd/console/sign-out"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert!(res.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused() {
    let app = spawn_app().await;
    let cookie = session(&app).await;
    let res = client()
        .post(url(&app, "/_assocd/console/faults"))
        .header("cookie", &cookie)
        .header("origin", "http://evil.example")
        .form(&[("status", "503")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let res = client()
        .post(url(&app, "/_assocd/console/faults"))
        .header("cookie", &cookie)
        .header("origin", format!("http://{}", app.addr))
        .form(&[("status", "503"), ("operation", "R1"), ("times", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let faults = app
        .admin(reqwest::Method::GET, "/_assocd/faults", None)
        .await;
    assert_eq!(faults.body["results"][0]["action"]["status"], 503);
}

#[tokio::test]
async fn unknown_portals_records_and_pages_answer_404_pages() {
    let app = spawn_app().await;
    let cookie = session(&app).await;
    for path in [
        "/_assocd/console/portals/999999",
        "/_assocd/console/portals/101/records/nothing/1",
        "/_assocd/console/portals/101/records/contacts/0",
        "/_assocd/console/no-such-page",
    ] {
        let res = client()
            .get(url(&app, path))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 404, "{path}");
        assert!(res.text().await.unwrap().contains("<main>"), "{path}");
    }
    // A record without associations has its page all the same.
    let res = client()
        .get(url(&app, "/_assocd/console/portals/101/records/contacts/5"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.text().await.unwrap().contains("no associations"));
}
