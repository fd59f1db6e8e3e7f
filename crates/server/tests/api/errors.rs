//! HubSpot's error model on every failure path, and the unauthenticated endpoints.

use crate::helpers::*;
use assocd_api::ApiConfig;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn healthz_answers_200_without_auth() {
    let app = spawn_app().await;
    let a = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn unknown_route_is_a_hubspot_404() {
    let app = spawn_app().await;
    let a = app.get("/crm/v4/nothing/here").await;
    assert_eq!(a.assert_hubspot_error(404), "OBJECT_NOT_FOUND");
}

#[tokio::test]
async fn wrong_method_is_a_hubspot_405() {
    let app = spawn_app().await;
    for prefix in SCHEMA_PREFIXES {
        let a = app
            .delete(&format!("{prefix}/definitions/configurations/all"))
            .await;
        a.assert_hubspot_error(405);
    }
}

#[tokio::test]
async fn body_over_the_limit_is_a_hubspot_413() {
    let app = spawn_app_with(ApiConfig {
        body_limit: 1024,
        ..ApiConfig::default()
    })
    .await;
    let big = format!("{{\"name\":\"x\",\"label\":\"{}\"}}", "a".repeat(4096));
    let a = app
        .raw(
            Method::POST,
            "/crm/v4/associations/contacts/companies/labels",
            big,
        )
        .await;
    a.assert_hubspot_error(413);
}

#[tokio::test]
async fn malformed_json_is_a_validation_error_with_position() {
    let app = spawn_app().await;
    let a = app
        .raw(
            Method::POST,
            "/crm/v4/associations/contacts/companies/labels",
            "{\"name\": ",
        )
        .await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    assert!(
        a.body["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid input JSON on line 1, column"),
        "{}",
        a.text
    );
    let a = app
        .raw(
            Method::POST,
            "/crm/v4/associations/contacts/companies/labels",
            "{} trailing",
        )
        .await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    let a = app
        .raw(
            Method::POST,
            "/crm/v4/associations/contacts/companies/labels",
            "",
        )
        .await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
}

#[tokio::test]
async fn missing_required_field_is_named_with_its_position() {
    let app = spawn_app().await;
    let a = app
        .post(
            "/crm/v4/associations/definitions/configurations/deals/contacts/batch/create",
            json!({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 3}]}),
        )
        .await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    assert!(
        a.body["message"]
            .as_str()
            .unwrap()
            .contains("Some required fields were not set: [inputs[0].maxToObjectIds]"),
        "{}",
        a.text
    );
    assert_eq!(a.body["errors"][0]["in"], "inputs[0].maxToObjectIds");
    assert_eq!(a.body["errors"][0]["code"], "REQUIRED_FIELD");
}

#[tokio::test]
async fn wrong_type_and_unknown_enum_value_are_validation_errors_naming_the_field() {
    let app = spawn_app().await;
    let path = "/crm/v4/associations/definitions/configurations/deals/contacts/batch/create";
    let a = app.post(path, json!({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": "three", "maxToObjectIds": 1}]})).await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    assert_eq!(a.body["errors"][0]["in"], "inputs[0].typeId");
    let a = app
        .post(
            path,
            json!({"inputs": [{"category": "SOMEBODY_DEFINED", "typeId": 3, "maxToObjectIds": 1}]}),
        )
        .await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    assert_eq!(a.body["errors"][0]["in"], "inputs[0].category");
    assert!(a.text.contains("SOMEBODY_DEFINED"));
    let a = app.post(path, json!({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 3, "maxToObjectIds": 3000000000u64}]})).await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
    let a = app.post(path, json!({"inputs": "nope"})).await;
    assert_eq!(a.assert_hubspot_error(400), "VALIDATION_ERROR");
}

#[tokio::test]
async fn missing_malformed_and_unknown_tokens_are_401() {
    let app = spawn_app().await;
    let path = "/crm/v4/associations/contacts/companies/labels";
    let a = app.call(Method::GET, path, None, None).await;
    assert_eq!(a.assert_hubspot_error(401), "INVALID_AUTHENTICATION");
    assert!(a.body["message"]
        .as_str()
        .unwrap()
        .starts_with("Authentication credentials not found."));
    let a = app.call(Method::GET, path, Some("not-a-token"), None).await;
    assert_eq!(a.assert_hubspot_error(401), "INVALID_AUTHENTICATION");
    let r = app
        .client
        .get(app.url(path))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .get(app.url(path))
        .header("authorization", "Bearer")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// An unknown token is remembered as unknown for the token cache's TTL (no database read per
/// bad request), and a token created meanwhile is accepted once that TTL has run out.
#[tokio::test]
async fn unknown_tokens_are_cached_for_the_ttl_like_known_ones() {
    use assocd_core::store::TokenStore;
    let app = spawn_app().await;
    let path = "/crm/v4/associations/contacts/companies/labels";
    let secret = "pat-created-while-running";
    let first = std::time::Instant::now();
    let a = app.call(Method::GET, path, Some(secret), None).await;
    assert_eq!(a.assert_hubspot_error(401), "INVALID_AUTHENTICATION");
    let store = assocd::app::open_store(&app.database_url, &Default::default())
        .await
        .unwrap();
    let all: Vec<String> = assocd_core::scopes::all_known()
        .into_iter()
        .map(str::to_string)
        .collect();
    store
        .put_token(&assocd_core::token::hash_secret(secret), PORTAL, &all)
        .await
        .unwrap();
    let a = app.call(Method::GET, path, Some(secret), None).await;
    if first.elapsed() < std::time::Duration::from_millis(900) {
        assert_eq!(a.status, 401, "the unknown answer is served from the cache");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let a = app.call(Method::GET, path, Some(secret), None).await;
        if a.status == 200 {
            break;
        }
        assert_eq!(a.assert_hubspot_error(401), "INVALID_AUTHENTICATION");
        assert!(
            std::time::Instant::now() < deadline,
            "new token never accepted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn token_without_an_accepted_scope_is_403_missing_scopes() {
    let app = spawn_app().await;
    for prefix in SCHEMA_PREFIXES {
        let a = app
            .call(
                Method::GET,
                &format!("{prefix}/contacts/companies/labels"),
                Some(NO_SCOPE_TOKEN),
                None,
            )
            .await;
        assert_eq!(a.assert_hubspot_error(403), "MISSING_SCOPES");
        let scopes = a.body["errors"][0]["context"]["requiredGranularScopes"]
            .as_array()
            .expect("requiredGranularScopes");
        assert!(
            scopes.iter().any(|s| s == "crm.objects.contacts.write"),
            "{}",
            a.text
        );
        assert_eq!(
            a.body["links"]["scopes"],
            "https://developers.hubspot.com/scopes"
        );
    }
}

#[tokio::test]
async fn a_token_with_just_one_accepted_scope_is_enough() {
    let app = spawn_app().await;
    let store = assocd::app::open_store(&app.database_url, &Default::default())
        .await
        .unwrap();
    use assocd_core::store::TokenStore;
    store
        .put_token(
            &assocd_core::token::hash_secret("pat-one-scope"),
            PORTAL,
            &[
                "crm.objects.deals.read".to_string(),
                "some.other.scope".to_string(),
            ],
        )
        .await
        .unwrap();
    let a = app
        .call(
            Method::GET,
            "/crm/v4/associations/definitions/configurations/all",
            Some("pat-one-scope"),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

#[tokio::test]
async fn success_answers_carry_json_utf8_and_a_correlation_id() {
    let app = spawn_app().await;
    let a = app
        .get("/crm/v4/associations/contacts/companies/labels")
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.headers["content-type"], "application/json;charset=utf-8");
    assert!(uuid::Uuid::parse_str(a.headers["x-hubspot-correlation-id"].to_str().unwrap()).is_ok());
}

#[tokio::test]
async fn openapi_document_lists_every_implemented_route() {
    let app = spawn_app().await;
    let a = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(a.status, 200);
    let paths = a.body["paths"].as_object().expect("paths");
    for p in [
        "/crm/v4/associations/{fromObjectType}/{toObjectType}/labels",
        "/crm/v4/associations/{fromObjectType}/{toObjectType}/labels/{associationTypeId}",
        "/crm/associations/v4/definitions/configurations/{fromObjectType}/{toObjectType}/batch/purge",
        "/crm/associations/2026-09/definitions/configurations/all",
    ] {
        assert!(paths.contains_key(p), "missing {p}");
    }
    assert!(paths["/crm/v4/associations/definitions/configurations/{fromObjectType}/{toObjectType}/batch/purge"]["post"]["responses"]
        .get("204")
        .is_some());
}

/// Every path and method the document lists is served (a token without scopes gets 403 from a
/// real route; an unknown route would be a 404).
#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = spawn_app().await;
    let doc = app
        .call(Method::GET, "/openapi.json", None, None)
        .await
        .body;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{fromObjectType}", "contacts")
            .replace("{objectType}", "contacts")
            .replace("{toObjectType}", "companies")
            .replace("{associationTypeId}", "10000")
            .replace("{objectId}", "1")
            .replace("{fromObjectId}", "1")
            .replace("{toObjectId}", "2")
            .replace("{userId}", "1")
            .replace("{appId}", "1")
            .replace("{subscriptionId}", "1")
            .replace("{token}", "unknown-token");
        for method in item.as_object().unwrap().keys() {
            // The webhooks management API takes a developer key (`hapikey`), not a bearer
            // token; OAuth takes forms and query parameters (a JSON body is 415, an unknown
            // token 404, an authorize without a client id 400).
            let refused = match (path.as_str(), method.as_str()) {
                (p, _) if p.starts_with("/webhooks/") => 401,
                ("/oauth/authorize", _) => 400,
                (p, "post") if p.starts_with("/oauth/") => 415,
                (p, _) if p.starts_with("/oauth/") => 404,
                _ => 403,
            };
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let a = app
                .call(m, &concrete, Some(NO_SCOPE_TOKEN), Some(&json!({})))
                .await;
            assert_eq!(a.status, refused, "{method} {concrete}: {}", a.text);
            checked += 1;
        }
    }
    assert!(checked >= 9 * 5, "only {checked} operations documented");
}
