//! Every refusal of authorize and the token endpoint, with HubSpot's status names; authorize
//! never redirects when it refuses.

use super::*;

fn query(client_id: &str, redirect: &str, scope: &str, extra: &str) -> String {
    format!(
        "client_id={client_id}&redirect_uri={}&scope={}{extra}",
        urlencode(redirect),
        urlencode(scope)
    )
}

#[tokio::test]
async fn authorize_refuses_without_redirecting() {
    let app = spawn_app().await;
    oauth_app(&app, &["oauth", READ], &[PORTAL, OTHER_PORTAL]).await;
    let cases = [
        (
            query("nope", REDIRECT, READ, "&portalId=101"),
            "BAD_CLIENT_ID",
        ),
        (
            query(CLIENT_ID, "http://evil.example/cb", READ, "&portalId=101"),
            "BAD_REDIRECT_URI",
        ),
        (
            query(
                CLIENT_ID,
                REDIRECT,
                "crm.objects.deals.write",
                "&portalId=101",
            ),
            "BAD_SCOPES",
        ),
        (
            query(CLIENT_ID, REDIRECT, "", "&portalId=101"),
            "BAD_SCOPES",
        ),
        // Two installing portals and none named.
        (query(CLIENT_ID, REDIRECT, READ, ""), "BAD_HUB"),
        (query(CLIENT_ID, REDIRECT, READ, "&portalId=x"), "BAD_HUB"),
    ];
    for (q, status) in cases {
        let (code, location, body) = authorize(&app, &q).await;
        assert_eq!(code, 400, "{q}: {body}");
        assert!(location.is_none(), "{q}: never redirects");
        assert_eq!(body["status"], status, "{q}: {body}");
    }
    let (_, _, body) = authorize(&app, &query(CLIENT_ID, "http://evil.example/cb", READ, "")).await;
    assert_eq!(
        body["message"],
        "Authorization failed as the redirect URL 'http://evil.example/cb' doesn't match the app's registered redirect URL"
    );
    let (_, _, body) = authorize(&app, &query("nope", REDIRECT, READ, "")).await;
    assert_eq!(body["message"], "missing or unknown client id");
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn the_token_endpoint_refuses_with_hubspot_status_names() {
    let app = spawn_app().await;
    oauth_app(&app, &[READ], &[]).await;
    let code = code_for(&app, PORTAL, READ).await;
    let grant = |client_id: &'static str, secret: &'static str, grant: &'static str| {
        vec![
            ("grant_type", grant),
            ("client_id", client_id),
            ("client_secret", secret),
        ]
    };
    let a = token(
        &app,
        "v1",
        &grant("nope", CLIENT_SECRET, "authorization_code"),
    )
    .await;
    assert_oauth_error(
        &a,
        400,
        "BAD_CLIENT_ID",
        "missing or unknown client id",
        "invalid_request",
    );
    let a = token(&app, "v1", &grant(CLIENT_ID, "wrong", "authorization_code")).await;
    assert_oauth_error(
        &a,
        400,
        "BAD_CLIENT_SECRET",
        "missing or invalid client secret",
        "invalid_client",
    );
    let a = token(&app, "v1", &grant(CLIENT_ID, CLIENT_SECRET, "password")).await;
    assert_oauth_error(
        &a,
        400,
        "BAD_GRANT_TYPE",
        "missing or unsupported grant type",
        "unsupported_grant_type",
    );
    let mut f = grant(CLIENT_ID, CLIENT_SECRET, "authorization_code");
    f.extend([("code", "na1-unknown"), ("redirect_uri", REDIRECT)]);
    let a = token(&app, "v1", &f).await;
    assert_oauth_error(
        &a,
        400,
        "BAD_AUTH_CODE",
        "missing or unknown auth code",
        "invalid_grant",
    );
    let mut f = grant(CLIENT_ID, CLIENT_SECRET, "authorization_code");
    f.extend([
        ("code", code.as_str()),
        ("redirect_uri", "http://localhost:3000/other"),
    ]);
    let a = token(&app, "v1", &f).await;
    assert_oauth_error(
        &a,
        400,
        "MISMATCH_REDIRECT_URI_AUTH_CODE",
        "redirect uri mismatch",
        "invalid_grant",
    );
    let mut f = grant(CLIENT_ID, CLIENT_SECRET, "refresh_token");
    f.push(("refresh_token", "na1-unknown"));
    let a = token(&app, "v3", &f).await;
    assert_oauth_error(
        &a,
        400,
        "BAD_REFRESH_TOKEN",
        "refresh token is invalid, expired or revoked",
        "invalid_grant",
    );
    // The refused exchange with the wrong redirect URI did not use the code up.
    exchange(&app, &code).await;

    // A JSON body is not a form.
    let r = app
        .client
        .post(app.url("/oauth/v1/token"))
        .json(&json!({"grant_type": "refresh_token"}))
        .send()
        .await
        .unwrap();
    let a = read_answer(r).await;
    assert_eq!(a.status, 415, "{}", a.text);
    assert_eq!(a.body["error"], "invalid_request");
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = spawn_app().await;
    oauth_app(&app, &[READ], &[]).await;
    let code = code_for(&app, PORTAL, READ).await;
    // Eleven minutes later (the clock of this process, frozen ahead).
    let later = chrono::Utc::now() + chrono::Duration::minutes(11);
    let a = app
        .admin(
            reqwest::Method::PUT,
            "/_assocd/clock",
            Some(json!({"now": later.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = redeem(&app, &code).await;
    assert_oauth_error(
        &a,
        400,
        "BAD_AUTH_CODE",
        "missing or unknown auth code",
        "invalid_grant",
    );
}
