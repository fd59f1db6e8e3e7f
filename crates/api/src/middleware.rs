//! Cross-cutting layers: HubSpot-shaped 404/405/413/500, the correlation id header, the JSON
//! content type, body size limit, tracing.

use crate::error::{new_correlation_id, ApiError, CorrelationId};
use crate::wire::JSON_UTF8;
use crate::{layers, AppState};
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

static CORRELATION_HEADER: HeaderName = HeaderName::from_static("x-hubspot-correlation-id");

/// HubSpot's routes with their unknown-route answers and the envelope layers (see `layers`),
/// outermost last.
pub fn envelope(app: Router<AppState>, state: &AppState) -> Router<AppState> {
    let mut app = app
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(catch_panic());
    if let Some(faults) = &state.faults {
        app = app.layer(middleware::from_fn_with_state(
            faults.clone(),
            layers::faults::layer,
        ));
    }
    if let Some(limiter) = &state.rate_limits {
        app = app.layer(middleware::from_fn_with_state(
            limiter.clone(),
            layers::rate_limit::layer,
        ));
    }
    let app = app
        .layer(middleware::from_fn_with_state(
            state.clone(),
            layers::auth::layer,
        ))
        .layer(middleware::from_fn(layers::context::layer))
        .layer(middleware::from_fn(headers));
    match &state.journal {
        Some(journal) => app.layer(middleware::from_fn_with_state(
            journal.clone(),
            layers::journal::layer,
        )),
        None => app,
    }
}

/// Layers around the whole server (HubSpot's API, assocd's own endpoints, the control plane):
/// request tracing, and a last guard that turns a panic into HubSpot's 500.
pub fn outer(app: Router) -> Router {
    app.layer(catch_panic()).layer(TraceLayer::new_for_http())
}

fn catch_panic() -> CatchPanicLayer<fn(Box<dyn std::any::Any + Send>) -> Response> {
    CatchPanicLayer::custom(|_panic: Box<dyn std::any::Any + Send>| {
        tracing::error!("a request handler panicked");
        ApiError::Internal.into_response()
    })
}

/// Sets `X-HubSpot-Correlation-Id` on every answer (the error body's id when there is one) and
/// HubSpot's `application/json;charset=utf-8` on every JSON answer.
pub async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    set_correlation_header(&mut res);
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

/// Sets the correlation id header of an answer: its error body's id, else a new one. For
/// layers that answer outside `headers`.
pub fn set_correlation_header(res: &mut Response) {
    if res.headers().contains_key(&CORRELATION_HEADER) {
        return;
    }
    let id = res
        .extensions()
        .get::<CorrelationId>()
        .map(|c| c.0.clone())
        .unwrap_or_else(new_correlation_id);
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(CORRELATION_HEADER.clone(), v);
    }
}
