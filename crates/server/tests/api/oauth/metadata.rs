//! Token metadata (v1), introspection and revocation (v3 and the dated versions).

use super::*;
use reqwest::Method;

#[tokio::test]
async fn v1_metadata_describes_access_and_refresh_tokens() {
    let app = spawn_app().await;
    oauth_app(&app, &[READ], &[]).await;
    let (access, refresh) = install(&app, PORTAL, READ).await;
    let a = app
        .call(
            Method::GET,
            &format!("/oauth/v1/access-tokens/{access}"),
            None,
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["token"], access.as_str());
    assert_eq!(a.body["hub_id"], PORTAL);
    assert_eq!(a.body["app_id"], APP_ID);
    assert_eq!(a.body["user_id"], PORTAL);
    assert_eq!(a.body["token_type"], "access");
    assert_eq!(a.body["scopes"], json!([READ]));
    let left = a.body["expires_in"].as_i64().unwrap();
    assert!((1790..=1800).contains(&left), "{left}");

    let path = format!("/oauth/v1/refresh-tokens/{refresh}");
    let r = app.call(Method::GET, &path, None, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["client_id"], CLIENT_ID);
    assert_eq!(r.body["token_type"], "refresh");
    assert_eq!(r.body["hub_id"], PORTAL);
    // Deleting the refresh token leaves the access tokens it minted working.
    let d = app.call(Method::DELETE, &path, None, None).await;
    assert_eq!(d.status, 204, "{}", d.text);
    assert_eq!(app.call(Method::GET, &path, None, None).await.status, 404);
    assert_eq!(
        app.call(Method::DELETE, &path, None, None).await.status,
        404
    );
    let labels = app.call(Method::GET, LABELS, Some(&access), None).await;
    assert_eq!(labels.status, 200, "{}", labels.text);
    let unknown = app
        .call(Method::GET, "/oauth/v1/access-tokens/nope", None, None)
        .await;
    assert_eq!(unknown.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
    // The request journal keeps neither the tokens in these paths nor the OAuth forms and
    // answers.
    let journal = app.admin(Method::GET, "/_assocd/requests", None).await;
    assert_eq!(journal.status, 200, "{}", journal.text);
    assert!(
        journal.text.contains("/oauth/v1/refresh-tokens/{token}"),
        "{}",
        journal.text
    );
    for secret in [access.as_str(), refresh.as_str(), CLIENT_SECRET] {
        assert!(
            !journal.text.contains(secret),
            "{secret} in {}",
            journal.text
        );
    }
}

#[tokio::test]
async fn introspection_and_revocation_on_the_newer_endpoints() {
    let app = spawn_app().await;
    let app = &app;
    oauth_app(app, &[READ], &[]).await;
    for version in ["v3", "2026-03", "2026-09"] {
        let (access, refresh) = install(app, PORTAL, READ).await;
        let ask = |t: String| async move {
            post_form(
                app,
                &format!("/oauth/{version}/token/introspect"),
                &[
                    ("client_id", CLIENT_ID),
                    ("client_secret", CLIENT_SECRET),
                    ("token", &t),
                ],
            )
            .await
        };
        let a = ask(access.clone()).await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(a.body["active"], true);
        assert_eq!(a.body["token_use"], "access_token");
        assert_eq!(a.body["client_id"], CLIENT_ID);
        assert_eq!(a.body["hub_id"], PORTAL);
        assert_eq!(a.body["signed_access_token"]["hubId"], PORTAL);
        let r = ask(refresh.clone()).await;
        assert_eq!(r.body["token_use"], "refresh_token");
        assert_eq!(ask("nope".into()).await.body, json!({"active": false}));

        let revoked = post_form(
            app,
            &format!("/oauth/{version}/token/revoke"),
            &[
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("token", &refresh),
            ],
        )
        .await;
        assert_eq!(revoked.status, 200, "{}", revoked.text);
        assert_eq!(ask(refresh.clone()).await.body, json!({"active": false}));
        let bad = post_form(
            app,
            &format!("/oauth/{version}/token/introspect"),
            &[
                ("client_id", CLIENT_ID),
                ("client_secret", "wrong"),
                ("token", &access),
            ],
        )
        .await;
        assert_oauth_error(
            &bad,
            400,
            "BAD_CLIENT_SECRET",
            "missing or invalid client secret",
            "invalid_client",
        );
    }
}

#[tokio::test]
async fn oauth_routes_are_in_the_openapi_document() {
    let app = spawn_app().await;
    let doc = app.call(Method::GET, "/openapi.json", None, None).await;
    for path in [
        "/oauth/authorize",
        "/oauth/v1/token",
        "/oauth/v3/token",
        "/oauth/2026-03/token/introspect",
        "/oauth/2026-09/token/revoke",
        "/oauth/v1/access-tokens/{token}",
        "/oauth/v1/refresh-tokens/{token}",
    ] {
        assert!(doc.body["paths"].get(path).is_some(), "{path}");
    }
}
