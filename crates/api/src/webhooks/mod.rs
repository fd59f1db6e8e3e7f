//! HubSpot's webhooks v3 management API: `/webhooks/v3/{appId}/settings` and
//! `/webhooks/v3/{appId}/subscriptions...`, authenticated by the `hapikey` query parameter (the
//! app's developer API key), as HubSpot's clients call it. Deliveries are not made here: the
//! store records events and the webhook worker delivers them.

pub(crate) mod openapi;
mod settings;
mod subscriptions;

use crate::error::ApiError;
use crate::AppState;
use assocd_core::apps::{check_app_id, AppId};
use assocd_core::token::hash_secret;
use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;

/// The routes, under `/webhooks/v3`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/webhooks/v3/{appId}/settings",
            get(settings::get)
                .put(settings::configure)
                .delete(settings::clear),
        )
        .route(
            "/webhooks/v3/{appId}/subscriptions",
            get(subscriptions::list).post(subscriptions::create),
        )
        .route(
            "/webhooks/v3/{appId}/subscriptions/batch/update",
            post(subscriptions::update_batch),
        )
        .route(
            "/webhooks/v3/{appId}/subscriptions/{subscriptionId}",
            get(subscriptions::get)
                .patch(subscriptions::update)
                .delete(subscriptions::archive),
        )
}

/// The query string of a management call (only `hapikey` matters).
pub(crate) type KeyQuery = Result<Query<HashMap<String, String>>, QueryRejection>;

const NO_KEY: &str = "The hapikey query parameter is missing or is not a developer API key \
     of any app. Create an app with POST /_assocd/apps and use its developerApiKey.";

/// The app the call acts on: the `hapikey` must be a developer API key, and the key's app must
/// be the path's `appId`.
pub(crate) async fn authorize(
    state: &AppState,
    query: KeyQuery,
    raw_app_id: &str,
) -> Result<AppId, ApiError> {
    let key = query
        .ok()
        .and_then(|Query(q)| q.get("hapikey").cloned())
        .filter(|k| !k.is_empty() && k.len() <= 512)
        .ok_or_else(|| ApiError::Unauthorized(NO_KEY.into()))?;
    let owner = state
        .store
        .app_for_key(&hash_secret(&key))
        .await?
        .ok_or_else(|| ApiError::Unauthorized(NO_KEY.into()))?;
    let app_id = int32_param(raw_app_id, "appId")?;
    check_app_id(app_id).map_err(ApiError::invalid)?;
    if owner != app_id {
        return Err(ApiError::Unauthorized(format!(
            "This developer API key does not belong to app {app_id}"
        )));
    }
    Ok(app_id)
}

/// An int32 path parameter (`appId`, `subscriptionId`).
pub(crate) fn int32_param(raw: &str, name: &str) -> Result<i64, ApiError> {
    raw.parse::<i32>().map(i64::from).map_err(|_| {
        let mut e = ApiError::invalid(format!(
            "Invalid path parameter {name}: '{raw}' is not a 32-bit integer"
        ));
        if let ApiError::Invalid { context, .. } = &mut e {
            context.insert(name.to_string(), vec![raw.to_string()]);
        }
        e
    })
}

/// An epoch-milliseconds time as HubSpot's ISO-8601 `date-time`.
pub(crate) fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(crate::wire::timestamp)
        .unwrap_or_default()
}
