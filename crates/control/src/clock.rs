//! `/_assocd/clock`: freezes the time this process reports (`startedAt`, `completedAt`, report
//! and journal times), so whole answers compare equal to a stored snapshot. Correlation ids
//! stay random. Per process: on several replicas, freeze each.

use crate::ControlState;
use assocd_api::wire::{json, no_content, parse, timestamp};
use assocd_api::ApiError;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct SetClock {
    /// An RFC 3339 instant to freeze at, or null for real time.
    #[schema(value_type = Option<String>, example = "2026-01-01T00:00:00.000Z")]
    now: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ClockState {
    /// The time this process reports now.
    now: String,
    frozen: bool,
}

fn current(state: &ControlState) -> ClockState {
    let clock = &state.api.clock;
    ClockState {
        now: timestamp(assocd_api::wire::now(clock)),
        frozen: clock.frozen().is_some(),
    }
}

#[utoipa::path(get, path = "/_assocd/clock", tag = "clock",
    responses((status = 200, body = ClockState)), security(("admin" = [])))]
pub(crate) async fn get(State(state): State<ControlState>) -> Response {
    json(StatusCode::OK, &current(&state))
}

#[utoipa::path(put, path = "/_assocd/clock", tag = "clock", request_body = SetClock,
    responses((status = 200, body = ClockState), (status = 400, description = "Not an RFC 3339 instant")),
    security(("admin" = [])))]
pub(crate) async fn put(
    State(state): State<ControlState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: SetClock = parse(&body)?;
    let at = match req.now {
        None => None,
        Some(text) => {
            let t = chrono::DateTime::parse_from_rfc3339(&text).map_err(|_| {
                ApiError::invalid(format!(
                    "now: '{text}' is not an RFC 3339 instant such as 2026-01-01T00:00:00.000Z"
                ))
            })?;
            Some(t.timestamp_millis())
        }
    };
    state.api.clock.set(at);
    Ok(json(StatusCode::OK, &current(&state)))
}

#[utoipa::path(delete, path = "/_assocd/clock", tag = "clock",
    responses((status = 204, description = "Back to real time")), security(("admin" = [])))]
pub(crate) async fn delete(State(state): State<ControlState>) -> Response {
    state.api.clock.set(None);
    no_content()
}
