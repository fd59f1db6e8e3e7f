//! The server's own OpenAPI document.

use axum::http::StatusCode;
use axum::response::Response;

pub async fn serve() -> Response {
    crate::wire::json(StatusCode::OK, &serde_json::json!({"openapi": "3.1.0"}))
}
