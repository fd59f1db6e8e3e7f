//! `/webhooks/v3/{appId}/settings`: the app's target URL and concurrency cap.

use super::{authorize, iso, KeyQuery};
use crate::error::ApiError;
use crate::extract::{Params, RawBody};
use crate::wire::{json, no_content, parse};
use crate::AppState;
use assocd_core::apps::{check_max_concurrent, check_target_url, AppId, WebhookSettings};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

/// `ThrottlingSettings`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Throttling {
    max_concurrent_requests: i64,
}

/// `SettingsChangeRequest` (a legacy `throttling.period` is ignored).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChangeRequest {
    target_url: String,
    throttling: Throttling,
}

/// `SettingsResponse`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SettingsResponse {
    created_at: String,
    target_url: String,
    throttling: Throttling,
    updated_at: String,
}

fn response(s: WebhookSettings) -> Response {
    json(
        StatusCode::OK,
        &SettingsResponse {
            created_at: iso(s.created_at_ms),
            target_url: s.target_url,
            throttling: Throttling {
                max_concurrent_requests: s.max_concurrent_requests,
            },
            updated_at: iso(s.updated_at_ms),
        },
    )
}

fn no_settings(app_id: AppId) -> ApiError {
    assocd_core::Error::not_found(format!("No webhook settings exist for app {app_id}"))
        .with("appId", [app_id.to_string()])
        .into()
}

pub(super) async fn get(
    State(state): State<AppState>,
    params: Params,
    query: KeyQuery,
) -> Result<Response, ApiError> {
    let app_id = authorize(&state, query, params.get(0)).await?;
    match state.store.webhook_settings(app_id).await? {
        Some(s) => Ok(response(s)),
        None => Err(no_settings(app_id)),
    }
}

pub(super) async fn configure(
    State(state): State<AppState>,
    params: Params,
    query: KeyQuery,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let app_id = authorize(&state, query, params.get(0)).await?;
    let req: ChangeRequest = parse(&body)?;
    check_target_url(&req.target_url).map_err(|m| ApiError::field("targetUrl", m))?;
    let max = req.throttling.max_concurrent_requests;
    check_max_concurrent(max)
        .map_err(|m| ApiError::field("throttling.maxConcurrentRequests", m))?;
    let stored = state
        .store
        .put_webhook_settings(app_id, &req.target_url, max)
        .await?;
    Ok(response(stored))
}

pub(super) async fn clear(
    State(state): State<AppState>,
    params: Params,
    query: KeyQuery,
) -> Result<Response, ApiError> {
    let app_id = authorize(&state, query, params.get(0)).await?;
    state.store.delete_webhook_settings(app_id).await?;
    Ok(no_content())
}
