//! The access log: one line per HubSpot-API request at info level (target `assocd::access`),
//! with the correlation id the client saw, portal, operation, family, method, path (never the
//! query string, never a header, never a body), status, duration and response bytes.
//!
//! The layer also gives the request its correlation id before anything runs: the answer's
//! `X-HubSpot-Correlation-Id`, its error body's `correlationId` and every log line written while
//! serving it (through the `request` span) carry the same one, so an operator can go from a
//! client's error report to the server's log lines.

use super::RequestMeta;
use crate::error::{fresh_correlation_id, with_correlation_id};
use axum::body::HttpBody;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use std::time::Instant;
use tracing::{Instrument, Level};

/// The target of access-log lines (filter them with `RUST_LOG=assocd::access=off`).
pub const TARGET: &str = "assocd::access";

pub async fn layer(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id: Arc<str> = Arc::from(fresh_correlation_id());
    let logged = tracing::enabled!(target: TARGET, Level::INFO);
    let what = logged.then(|| {
        let path = crate::oauth::redacted_path(req.uri().path()).into_owned();
        (req.method().clone(), path)
    });
    let span = tracing::info_span!(target: "assocd::request", "request", correlation_id = %id);
    let res = with_correlation_id(id.clone(), next.run(req))
        .instrument(span)
        .await;
    if let Some((method, path)) = what {
        log(&res, &id, method.as_str(), &path, started);
    }
    res
}

fn log(res: &Response, id: &str, method: &str, path: &str, started: Instant) {
    let meta = res.extensions().get::<Arc<RequestMeta>>();
    let operation = meta
        .and_then(|m| m.operation)
        .map_or("unknown", |o| o.as_str());
    let family = meta.and_then(|m| m.family).map_or("unknown", |f| f.label());
    let status = res.status().as_u16();
    let bytes = res.body().size_hint().exact().unwrap_or(0);
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    match meta.and_then(|m| m.portal()) {
        Some(portal) => tracing::info!(
            target: TARGET,
            correlation_id = %id,
            portal,
            operation = %operation,
            family = %family,
            method = %method,
            path = %path,
            status,
            duration_ms,
            response_bytes = bytes,
            "request"
        ),
        None => tracing::info!(
            target: TARGET,
            correlation_id = %id,
            operation = %operation,
            family = %family,
            method = %method,
            path = %path,
            status,
            duration_ms,
            response_bytes = bytes,
            "request"
        ),
    }
}
