//! OAuth access tokens on the Associations API: only the granted scopes, only the installing
//! portal, refused once expired (`EXPIRED_AUTHENTICATION`) or revoked by an uninstall, and
//! counted under the `oauth` rate-limit tier.

use super::*;
use assocd_api::ApiConfig;
use assocd_core::rate_limit::Tier;
use reqwest::Method;
use std::time::Duration;

#[tokio::test]
async fn a_token_is_limited_to_the_scopes_granted() {
    let app = spawn_app().await;
    oauth_app(&app, &["oauth", READ], &[]).await;
    let (only_oauth, _) = install(&app, PORTAL, "oauth").await;
    let a = app.call(Method::GET, LABELS, Some(&only_oauth), None).await;
    assert_eq!(a.assert_hubspot_error(403), "MISSING_SCOPES");
    // The optional scope the app holds is granted too.
    let code = {
        let (status, location, body) = authorize(
            &app,
            &format!(
                "client_id={CLIENT_ID}&redirect_uri={}&scope=oauth&optional_scope={READ}%20crm.objects.deals.write&portalId={PORTAL}",
                urlencode(REDIRECT)
            ),
        )
        .await;
        assert_eq!(status, 302, "{body}");
        code_of(&location.unwrap())
    };
    let (access, _, body) = exchange(&app, &code).await;
    assert_eq!(body["scopes"], json!(["oauth", READ]));
    let a = app.call(Method::GET, LABELS, Some(&access), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
}

#[tokio::test]
async fn a_token_sees_only_its_installing_portal() {
    let app = spawn_app().await;
    oauth_app(&app, &[READ, "crm.schemas.contacts.write"], &[]).await;
    let created = app
        .post(LABELS, json!({"label": "Only in 101", "name": "only_101"}))
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let (in_other, _) = install(&app, OTHER_PORTAL, READ).await;
    let (in_portal, _) = install(&app, PORTAL, READ).await;
    let names = |a: &Answer| a.text.contains("Only in 101");
    let other = app.call(Method::GET, LABELS, Some(&in_other), None).await;
    assert_eq!(other.status, 200, "{}", other.text);
    assert!(!names(&other), "{}", other.text);
    let own = app.call(Method::GET, LABELS, Some(&in_portal), None).await;
    assert!(names(&own), "{}", own.text);
}

#[tokio::test]
async fn an_expired_token_gets_expired_authentication_and_refresh_recovers() {
    let app = spawn_app_with(ApiConfig {
        oauth_token_ttl: Duration::from_secs(1),
        ..ApiConfig::default()
    })
    .await;
    oauth_app(&app, &[READ], &[]).await;
    let code = code_for(&app, PORTAL, READ).await;
    let (access, refresh, body) = exchange(&app, &code).await;
    assert_eq!(body["expires_in"], 1);
    assert_eq!(
        app.call(Method::GET, LABELS, Some(&access), None)
            .await
            .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let a = app.call(Method::GET, LABELS, Some(&access), None).await;
    assert_eq!(a.assert_hubspot_error(401), "EXPIRED_AUTHENTICATION");
    let message = a.body["message"].as_str().unwrap();
    assert!(
        message.starts_with("The OAuth token used to make this call expired ")
            && message.ends_with(" second(s) ago."),
        "{message}"
    );
    let at = a.body["context"]["expire time"][0].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");
    let fresh = refresh_with(&app, "v1", &refresh).await;
    assert_eq!(fresh.status, 200, "{}", fresh.text);
    let access = fresh.body["access_token"].as_str().unwrap();
    assert_eq!(
        app.call(Method::GET, LABELS, Some(access), None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn uninstalling_revokes_the_portals_tokens_only() {
    let app = spawn_app().await;
    oauth_app(&app, &[READ], &[]).await;
    let (access, refresh) = install(&app, PORTAL, READ).await;
    let (other_access, _) = install(&app, OTHER_PORTAL, READ).await;
    let a = app
        .admin(
            Method::DELETE,
            &format!("/_assocd/apps/{APP_ID}/portals/{PORTAL}"),
            None,
        )
        .await;
    assert_eq!(a.status, 204, "{}", a.text);
    let a = app.call(Method::GET, LABELS, Some(&access), None).await;
    assert_eq!(a.assert_hubspot_error(401), "INVALID_AUTHENTICATION");
    let a = refresh_with(&app, "v1", &refresh).await;
    assert_oauth_error(
        &a,
        400,
        "BAD_REFRESH_TOKEN",
        "refresh token is invalid, expired or revoked",
        "invalid_grant",
    );
    let a = app
        .call(Method::GET, LABELS, Some(&other_access), None)
        .await;
    assert_eq!(
        a.status, 200,
        "the other portal's install stays: {}",
        a.text
    );
}

#[tokio::test]
async fn oauth_tokens_count_under_the_oauth_tier() {
    let app = spawn_app_with(ApiConfig {
        rate_limits: Some(Tier::Starter),
        ..ApiConfig::default()
    })
    .await;
    oauth_app(&app, &[READ], &[]).await;
    let (access, _) = install(&app, PORTAL, READ).await;
    let a = app.call(Method::GET, LABELS, Some(&access), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.headers["x-hubspot-ratelimit-max"], "110");
    assert_eq!(a.headers["x-hubspot-ratelimit-remaining"], "109");
    assert!(a.headers.get("x-hubspot-ratelimit-daily").is_none());
    // A portal token of the same portal stays on the portal's tier.
    let a = app.get(LABELS).await;
    assert_eq!(a.headers["x-hubspot-ratelimit-max"], "100");
    assert!(a.headers.get("x-hubspot-ratelimit-daily").is_some());
}
