//! The access log: one line per HubSpot-API request at info level (target `assocd::access`),
//! with the correlation id the client saw, portal, operation, family, method, path (never the
//! query string, never a header, never a body), status, duration and response bytes.
//!
//! The layer also gives the request its correlation id before anything runs: the answer's
//! `X-HubSpot-Correlation-Id`, its error body's `correlationId` and every log line written while
//! serving it carry the same one (the binary's log formatter reads it from the request's scope,
//! `crate::error::current_correlation_id`), so an operator can go from a client's error report
//! to the server's log lines.
//!
//! Cost: a `tracing` span per request and the access line as a `tracing` event, formatted by
//! tracing-subscriber's JSON formatter, cost about a fifth of an R1 request (callgrind, docs/
//! benchmarks.md). So there is no span, and the binary installs a line writer (`set_writer`) that
//! writes the line in the log's format directly; `tracing` still decides whether the line is
//! written (`RUST_LOG=assocd::access=off` turns it off). Without a writer (in-process tests), the
//! line is a `tracing` event as before.

use super::RequestMeta;
use crate::error::{fresh_correlation_id, with_correlation_id};
use axum::body::HttpBody;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use tracing::Level;

/// The target of access-log lines (filter them with `RUST_LOG=assocd::access=off`).
pub const TARGET: &str = "assocd::access";

/// One access-log line's fields.
#[derive(Debug)]
pub struct AccessLine<'a> {
    pub correlation_id: &'a str,
    pub portal: Option<assocd_core::model::PortalId>,
    pub operation: &'static str,
    pub family: &'static str,
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub duration_ms: f64,
    pub response_bytes: u64,
}

static WRITER: OnceLock<fn(&AccessLine<'_>)> = OnceLock::new();

/// Writes access lines with `writer` instead of `tracing` events (set once, at start).
pub fn set_writer(writer: fn(&AccessLine<'_>)) {
    let _ = WRITER.set(writer);
}

pub async fn layer(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id: Arc<str> = Arc::from(fresh_correlation_id());
    let logged = tracing::enabled!(target: TARGET, Level::INFO);
    let what = logged.then(|| {
        let path = crate::oauth::redacted_path(req.uri().path()).into_owned();
        (req.method().clone(), path)
    });
    let res = with_correlation_id(id.clone(), next.run(req)).await;
    if let Some((method, path)) = what {
        log(&res, &id, method.as_str(), &path, started);
    }
    res
}

fn log(res: &Response, id: &str, method: &str, path: &str, started: Instant) {
    let meta = res.extensions().get::<Arc<RequestMeta>>();
    let line = AccessLine {
        correlation_id: id,
        portal: meta.and_then(|m| m.portal()),
        operation: meta
            .and_then(|m| m.operation)
            .map_or("unknown", |o| o.as_str()),
        family: meta.and_then(|m| m.family).map_or("unknown", |f| f.label()),
        method,
        path,
        status: res.status().as_u16(),
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        response_bytes: res.body().size_hint().exact().unwrap_or(0),
    };
    match WRITER.get() {
        Some(write) => write(&line),
        None => event(&line),
    }
}

/// The line as a `tracing` event (a request without a portal leaves the field out).
fn event(l: &AccessLine<'_>) {
    tracing::info!(
        target: TARGET,
        correlation_id = %l.correlation_id,
        portal = l.portal,
        operation = %l.operation,
        family = %l.family,
        method = %l.method,
        path = %l.path,
        status = l.status,
        duration_ms = l.duration_ms,
        response_bytes = l.response_bytes,
        "request"
    );
}
