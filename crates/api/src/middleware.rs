//! Cross-cutting layers: HubSpot-shaped 404/405/413/500, the correlation id header, the JSON
//! content type, body size limit, tracing.

use crate::error::{new_correlation_id, ApiError, CorrelationId};
use crate::wire::JSON_UTF8;
use crate::AppState;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

static CORRELATION_HEADER: HeaderName = HeaderName::from_static("x-hubspot-correlation-id");

pub fn wrap(app: Router<AppState>, state: &AppState) -> Router<AppState> {
    app.fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(middleware::from_fn(headers))
        .layer(CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| {
                tracing::error!("a request handler panicked");
                ApiError::Internal.into_response()
            },
        ))
        .layer(TraceLayer::new_for_http())
}

/// Sets `X-HubSpot-Correlation-Id` on every answer (the error body's id when there is one) and
/// HubSpot's `application/json;charset=utf-8` on every JSON answer.
async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let id = res
        .extensions()
        .get::<CorrelationId>()
        .map(|c| c.0.clone())
        .unwrap_or_else(new_correlation_id);
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(CORRELATION_HEADER.clone(), v);
    }
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    }
    res
}
