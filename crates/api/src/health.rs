//! `GET /readyz`: the readiness probe for load balancers and orchestrators. 200 only while the
//! database answers and holds every migration this assocd needs; otherwise 503 with HubSpot's
//! error body (`SERVICE_UNAVAILABLE`), so the balancer sends traffic elsewhere. `/healthz` stays
//! the liveness probe: it never touches the database, so an outage does not get every replica
//! restarted.

use crate::error::ApiError;
use crate::AppState;
use assocd_core::Error;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub(crate) async fn ready(State(state): State<AppState>) -> Response {
    if let Err(e) = state.store.ping().await {
        tracing::warn!(error = %e.message, "not ready: the database does not answer");
        return ApiError::from(Error::unavailable("The database is unavailable")).into_response();
    }
    match state.store.pending_migrations().await {
        Ok(pending) if pending.is_empty() => {
            crate::wire::json(StatusCode::OK, &serde_json::json!({"status": "ready"}))
        }
        Ok(pending) => {
            let versions: Vec<String> = pending.iter().map(i64::to_string).collect();
            tracing::warn!(?pending, "not ready: migrations missing");
            ApiError::from(
                Error::unavailable("The database lacks migrations; run `assocd migrate`")
                    .with("pendingMigrations", versions),
            )
            .into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e.message, "not ready: cannot read the applied migrations");
            ApiError::from(Error::unavailable("The database is unavailable")).into_response()
        }
    }
}
