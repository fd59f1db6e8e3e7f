//! `/webhooks/v3/{appId}/subscriptions...`: which event types an app receives.

use super::{authorize, int32_param, iso, KeyQuery};
use crate::declared::Declared;
use crate::error::ApiError;
use crate::extract::{Params, RawBody};
use crate::wire::{json, no_content, now, parse, parse_batch, BatchResponse, StandardError};
use crate::AppState;
use assocd_core::apps::{new_subscription, AppId, Subscription, SubscriptionId};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

/// Inputs of one `batch/update`.
const MAX_BATCH_INPUTS: usize = 100;

/// `SubscriptionResponse`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SubscriptionResponse {
    id: String,
    event_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    property_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    object_type_id: Option<String>,
    active: bool,
    created_at: String,
    updated_at: String,
}

impl From<Subscription> for SubscriptionResponse {
    fn from(s: Subscription) -> Self {
        SubscriptionResponse {
            id: s.id.to_string(),
            event_type: s.event_type,
            property_name: s.property_name,
            object_type_id: s.object_type_id,
            active: s.active,
            created_at: iso(s.created_at_ms),
            updated_at: iso(s.updated_at_ms),
        }
    }
}

#[derive(Debug, Serialize)]
struct ListResponse {
    results: Vec<SubscriptionResponse>,
}

/// `SubscriptionCreateRequest`. New subscriptions are active unless `active` says otherwise.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest {
    event_type: String,
    active: Option<bool>,
    object_type_id: Option<String>,
    property_name: Option<String>,
}

/// `SubscriptionPatchRequest`.
#[derive(Debug, Deserialize)]
struct PatchRequest {
    active: Option<bool>,
}

/// `SubscriptionBatchUpdateRequest`.
#[derive(Debug, Deserialize)]
struct BatchUpdateInput {
    id: i32,
    active: bool,
}

fn not_found(id: SubscriptionId) -> ApiError {
    assocd_core::Error::not_found(format!("No subscription with id {id} exists for this app"))
        .with("subscriptionId", [id.to_string()])
        .into()
}

/// The app and the subscription id of a `/subscriptions/{subscriptionId}` call.
async fn target(
    state: &AppState,
    params: &Params,
    query: KeyQuery,
) -> Result<(AppId, SubscriptionId), ApiError> {
    let app_id = authorize(state, query, params.get(0)).await?;
    let id = int32_param(params.get(1), "subscriptionId")?;
    Ok((app_id, id))
}

pub(super) async fn list(
    State(state): State<AppState>,
    params: Params,
    query: KeyQuery,
) -> Result<Response, ApiError> {
    let app_id = authorize(&state, query, params.get(0)).await?;
    let results = state
        .store
        .list_subscriptions(app_id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(json(StatusCode::OK, &ListResponse { results }))
}

pub(super) async fn create(
    State(state): State<AppState>,
    params: Params,
    query: KeyQuery,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let app_id = authorize(&state, query, params.get(0)).await?;
    let req: CreateRequest = parse(&body)?;
    let new = new_subscription(
        &req.event_type,
        req.object_type_id.as_deref(),
        req.property_name.as_deref(),
        req.active.unwrap_or(true),
    )
    .map_err(|(field, message)| ApiError::field(field, message))?;
    let created = state.store.create_subscription(app_id, &new).await?;
    Ok(json(
        StatusCode::CREATED,
        &SubscriptionResponse::from(created),
    ))
}

pub(super) async fn get(
    State(state): State<AppState>,
    params: Params,
    query: KeyQuery,
) -> Result<Response, ApiError> {
    let (app_id, id) = target(&state, &params, query).await?;
    match state.store.subscription(app_id, id).await? {
        Some(s) => Ok(json(StatusCode::OK, &SubscriptionResponse::from(s))),
        None => Err(not_found(id)),
    }
}

pub(super) async fn update(
    State(state): State<AppState>,
    params: Params,
    query: KeyQuery,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let (app_id, id) = target(&state, &params, query).await?;
    let req: PatchRequest = parse(&body)?;
    let updated = match req.active {
        Some(active) => state
            .store
            .set_subscriptions_active(app_id, &[(id, active)])
            .await?
            .pop()
            .ok_or(ApiError::Internal)?
            .map_err(|_| not_found(id))?,
        None => state
            .store
            .subscription(app_id, id)
            .await?
            .ok_or_else(|| not_found(id))?,
    };
    Ok(json(StatusCode::OK, &SubscriptionResponse::from(updated)))
}

pub(super) async fn archive(
    State(state): State<AppState>,
    params: Params,
    query: KeyQuery,
) -> Result<Response, ApiError> {
    let (app_id, id) = target(&state, &params, query).await?;
    if state.store.delete_subscription(app_id, id).await? {
        Ok(no_content())
    } else {
        Err(not_found(id))
    }
}

/// `batch/update`: 200 when every id was found, else 207 with one `SUBSCRIPTION_ID_NOT_FOUND`
/// error per unknown id.
pub(super) async fn update_batch(
    State(state): State<AppState>,
    params: Params,
    query: KeyQuery,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let app_id = authorize(&state, query, params.get(0)).await?;
    let started = now(&state.clock);
    let inputs: Vec<BatchUpdateInput> = parse_batch(&body, MAX_BATCH_INPUTS)?;
    let changes: Vec<(SubscriptionId, bool)> =
        inputs.iter().map(|i| (i64::from(i.id), i.active)).collect();
    let outcomes = state
        .store
        .set_subscriptions_active(app_id, &changes)
        .await?;
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for (outcome, (id, _)) in outcomes.into_iter().zip(&changes) {
        match outcome {
            Ok(s) => results.push(SubscriptionResponse::from(s)),
            Err(e) => {
                let mut err = StandardError::from(e);
                err.category = "SUBSCRIPTION_ID_NOT_FOUND";
                err.message = format!(
                    "Failed to find subscriptions by id `{id}`. Try again using a different subscriptionId."
                );
                err.sub_category = Some("SubscriptionErrors.SUBSCRIPTION_IDS_NOT_FOUND".into());
                errors.push(err);
            }
        }
    }
    Ok(BatchResponse::finish(
        &state.clock,
        started,
        results,
        errors,
        Declared {
            ok: StatusCode::OK,
            multi_status: true,
        },
    ))
}
