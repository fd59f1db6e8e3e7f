//! The happy path: authorize installs and redirects, the code buys tokens once, the token
//! reads the portal's data, refresh mints a new access token; apps keep their OAuth settings.

use super::*;
use reqwest::Method;

#[tokio::test]
async fn authorize_installs_the_app_and_redirects_with_code_and_state() {
    let app = spawn_app().await;
    let created = oauth_app(&app, &["oauth", READ], &[]).await;
    assert_eq!(created["clientId"], CLIENT_ID);
    assert_eq!(created["redirectUris"], json!([REDIRECT]));
    assert_eq!(created["scopes"], json!(["oauth", READ]));
    let (status, location, _) = authorize(
        &app,
        &format!(
            "client_id={CLIENT_ID}&redirect_uri={}&scope=oauth%20{READ}&state=a%20b%2Fc&portalId={PORTAL}",
            urlencode(REDIRECT)
        ),
    )
    .await;
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert!(
        location.starts_with(&format!("{REDIRECT}?code=")),
        "{location}"
    );
    assert!(location.ends_with("&state=a%20b%2Fc"), "{location}");
    let one = app
        .admin(Method::GET, &format!("/_assocd/apps/{APP_ID}"), None)
        .await;
    assert_eq!(one.body["portals"], json!([PORTAL]), "authorizing installs");

    let (access, refresh, body) = exchange(&app, &code_of(&location)).await;
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 1800);
    assert_eq!(body["hub_id"], PORTAL);
    assert_eq!(body["scopes"], json!(["oauth", READ]));
    assert_eq!(body["token_use"], "access_token");
    assert_ne!(access, refresh);
    let labels = app.call(Method::GET, LABELS, Some(&access), None).await;
    assert_eq!(labels.status, 200, "{}", labels.text);
}

#[tokio::test]
async fn the_only_installing_portal_is_authorized_without_a_portal_id() {
    let app = spawn_app().await;
    oauth_app(&app, &[READ], &[OTHER_PORTAL]).await;
    let (status, location, body) = authorize(
        &app,
        &format!(
            "client_id={CLIENT_ID}&redirect_uri={}&scope={READ}",
            urlencode(REDIRECT)
        ),
    )
    .await;
    assert_eq!(status, 302, "{body}");
    let (_, _, body) = exchange(&app, &code_of(&location.unwrap())).await;
    assert_eq!(body["hub_id"], OTHER_PORTAL);
}

#[tokio::test]
async fn a_code_is_single_use() {
    let app = spawn_app().await;
    oauth_app(&app, &[READ], &[]).await;
    let code = code_for(&app, PORTAL, READ).await;
    exchange(&app, &code).await;
    let again = redeem(&app, &code).await;
    assert_oauth_error(
        &again,
        400,
        "BAD_AUTH_CODE",
        "missing or unknown auth code",
        "invalid_grant",
    );
}

#[tokio::test]
async fn refresh_mints_a_new_access_token_and_keeps_the_refresh_token() {
    let app = spawn_app().await;
    oauth_app(&app, &[READ], &[]).await;
    let (first, refresh) = install(&app, PORTAL, READ).await;
    for version in ["v1", "v3", "2026-03", "2026-09"] {
        let a = refresh_with(&app, version, &refresh).await;
        assert_eq!(a.status, 200, "{version}: {}", a.text);
        assert_eq!(a.body["refresh_token"], refresh.as_str());
        let access = a.body["access_token"].as_str().unwrap();
        assert_ne!(access, first);
        let labels = app.call(Method::GET, LABELS, Some(access), None).await;
        assert_eq!(labels.status, 200, "{}", labels.text);
    }
}

#[tokio::test]
async fn client_credentials_is_served_where_the_document_lists_it() {
    let app = spawn_app().await;
    oauth_app(&app, &[READ], &[PORTAL]).await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ];
    for version in ["v1", "v3", "2026-03"] {
        let a = token(&app, version, &form).await;
        assert_eq!(a.status, 200, "{version}: {}", a.text);
        assert_eq!(a.body["token_use"], "client_credentials");
        assert!(a.body.get("refresh_token").is_none(), "{}", a.text);
        // The app's own token is for no portal: the Associations API does not take it.
        let token = a.body["access_token"].as_str().unwrap();
        let labels = app.call(Method::GET, LABELS, Some(token), None).await;
        assert_eq!(labels.assert_hubspot_error(401), "INVALID_AUTHENTICATION");
    }
    let a = token(&app, "2026-09", &form).await;
    assert_oauth_error(
        &a,
        400,
        "BAD_GRANT_TYPE",
        "missing or unsupported grant type",
        "unsupported_grant_type",
    );
}

#[tokio::test]
async fn fixtures_give_apps_their_oauth_settings() {
    let app = spawn_app().await;
    let doc = json!({"apps": [{"appId": APP_ID, "clientSecret": CLIENT_SECRET, "developerApiKey": "k-7",
        "clientId": CLIENT_ID, "redirectUris": [REDIRECT], "scopes": [READ]}]});
    let a = app
        .admin(Method::POST, "/_assocd/fixtures", Some(doc.clone()))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let (access, _) = install(&app, PORTAL, READ).await;
    let labels = app.call(Method::GET, LABELS, Some(&access), None).await;
    assert_eq!(labels.status, 200, "{}", labels.text);
    // Applying it again changes nothing; another client id for the same app is refused.
    let again = app
        .admin(Method::POST, "/_assocd/fixtures", Some(doc))
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    let clash = json!({"apps": [{"appId": APP_ID, "clientSecret": CLIENT_SECRET, "developerApiKey": "k-7",
        "clientId": "another"}]});
    let a = app
        .admin(Method::POST, "/_assocd/fixtures", Some(clash))
        .await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
}
