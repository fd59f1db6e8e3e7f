//! U1: the high-usage report. assocd computes the report at once and keeps it for the portal;
//! there is no mail to send, so `userEmail` is a deterministic placeholder.

use crate::error::ApiError;
use crate::extract::{Caller, Params};
use crate::wire::json;
use crate::AppState;
use assocd_core::scopes::Operation;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

/// HubSpot's `DateTime` object (not an ISO string, whatever some clients' models say).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DateTime {
    value: i64,
    date_only: bool,
    time_zone_shift: i32,
}

/// `ReportCreationResponse`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportCreationResponse {
    user_email: String,
    user_id: i32,
    enqueue_time: DateTime,
}

/// U1. Any body (none, `{}`) is ignored, as HubSpot's clients send either.
pub(super) async fn request(
    caller: Caller,
    State(state): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    let portal = caller.authorize(Operation::U1)?;
    let user_id = params.int32(0, "userId")?;
    if user_id <= 0 {
        let mut e = ApiError::invalid(format!("Invalid path parameter userId: '{user_id}' is not a user id (a positive 32-bit integer)"));
        if let ApiError::Invalid { context, .. } = &mut e {
            context.insert("userId".into(), vec![user_id.to_string()]);
        }
        return Err(e);
    }
    let report = state
        .store
        .create_high_usage_report(portal, user_id)
        .await?;
    tracing::info!(
        portal,
        user_id,
        entries = report.entries.len(),
        "high-usage report computed"
    );
    let body = ReportCreationResponse {
        user_email: report.user_email,
        user_id: report.user_id,
        enqueue_time: DateTime {
            value: report.enqueued_at,
            date_only: false,
            time_zone_shift: 0,
        },
    };
    Ok(json(StatusCode::OK, &body))
}
