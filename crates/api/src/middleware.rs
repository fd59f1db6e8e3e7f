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

/// HubSpot's routes with their unknown-route answers, inside the envelope layers (see
/// `layers`), outermost first. The layers wrap the router as one service: applied per route
/// (`Router::layer`), every layer would clone the boxed chain of services below it on each
/// request, which made an empty layer cost about 5% of an R1 request. A layer that is off is
/// an `option_layer` of `None`: nothing but a branch.
pub fn envelope(
    routes: Router<AppState>,
    state: &AppState,
) -> impl tower::Service<
    Request,
    Response = Response,
    Error = std::convert::Infallible,
    Future = impl Send + 'static,
> + Clone
       + Send
       + Sync
       + 'static {
    let router = routes
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .with_state(state.clone());
    let journal = state
        .journal
        .clone()
        .map(|j| middleware::from_fn_with_state(j, layers::journal::layer));
    let rate_limits = state.rate_limits.clone().map(|limiter| {
        let limiting = layers::rate_limit::Limiting {
            limiter,
            store: state.store.clone(),
        };
        layers::rate_limit::RateLimitLayer(std::sync::Arc::new(limiting))
    });
    let faults = state
        .faults
        .clone()
        .map(|f| middleware::from_fn_with_state(f, layers::faults::layer));
    let metrics = state
        .metrics
        .clone()
        .map(|m| middleware::from_fn_with_state(m, layers::metrics::layer));
    let access_log = state
        .config
        .access_log
        .then(|| middleware::from_fn(layers::access_log::layer));
    tower::ServiceBuilder::new()
        .option_layer(metrics)
        .option_layer(access_log)
        .option_layer(journal)
        .layer(middleware::from_fn(headers))
        .layer(middleware::from_fn(layers::context::layer))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            layers::auth::layer,
        ))
        .option_layer(rate_limits)
        .option_layer(faults)
        // catch_panic answers with its own body type; every layer above sees axum's.
        .map_response(IntoResponse::into_response)
        .layer(catch_panic())
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .service(router)
}

/// Layers around the whole server (HubSpot's API, assocd's own endpoints, the control plane):
/// request tracing, and a last guard that turns a panic into HubSpot's 500.
pub fn outer(app: Router) -> Router {
    // Spans and events at debug level, never a header (the bearer token travels in one); server
    // errors are logged once, with their correlation id, where the error answer is made.
    // The span names the path (without the token of OAuth metadata paths), never the query
    // string (the webhooks API's `hapikey` travels in it) nor a header.
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request| {
            let path = crate::oauth::redacted_path(req.uri().path());
            tracing::debug_span!("http", method = %req.method(), path = %path)
        })
        .on_failure(());
    app.layer(catch_panic()).layer(trace)
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
