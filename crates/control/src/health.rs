//! `GET /_assocd/health`: public; whether this process and its database answer.

use crate::ControlState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Health {
    /// `ok`, or `unavailable` when the database does not answer.
    status: &'static str,
    version: &'static str,
    /// `sqlite` or `postgres`.
    database: &'static str,
    uptime_seconds: u64,
}

#[utoipa::path(get, path = "/_assocd/health", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub(crate) async fn get(State(state): State<ControlState>) -> Response {
    let up = state.api.store.ping().await.is_ok();
    let body = Health {
        status: if up { "ok" } else { "unavailable" },
        version: env!("CARGO_PKG_VERSION"),
        database: state.api.store.backend_name(),
        uptime_seconds: state.started.elapsed().as_secs(),
    };
    let status = if up {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    assocd_api::wire::json(status, &body)
}
