//! Request metrics, the outermost layer of the envelope (only in the stack when metrics are on):
//! `assocd_http_requests_total{operation,family,status}` (and `portal` with
//! `--metrics-per-portal`) and `assocd_http_request_duration_seconds{operation}`, read from the
//! `RequestMeta` that `context` puts on the answer. Every label value comes from a closed set:
//! the operation keys (`unknown` for anything that is not a route of HubSpot's API), the path
//! families and the HTTP status; never a path or a record id.
//!
//! Handles are looked up once per label set and kept, so a request costs two atomic updates and
//! a read lock on a small map, not a registry lookup with freshly allocated labels.

use super::RequestMeta;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use metrics::{Counter, Histogram, Label};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

pub const REQUESTS_TOTAL: &str = "assocd_http_requests_total";
pub const REQUEST_DURATION: &str = "assocd_http_request_duration_seconds";

/// The label value of a request that is not a route of HubSpot's API.
pub const UNKNOWN: &str = "unknown";

/// What the layer keeps between requests.
#[derive(Default)]
pub struct RequestMetrics {
    per_portal: bool,
    counters: RwLock<HashMap<CounterKey, Counter>>,
    durations: RwLock<HashMap<&'static str, Histogram>>,
}

/// operation, family, status, portal (0: none, or not counted per portal).
type CounterKey = (&'static str, &'static str, u16, i64);

impl RequestMetrics {
    pub fn new(per_portal: bool) -> Self {
        RequestMetrics {
            per_portal,
            ..Default::default()
        }
    }

    fn counter(&self, key: CounterKey) -> Counter {
        if let Some(c) = read(&self.counters).get(&key) {
            return c.clone();
        }
        let (operation, family, status, portal) = key;
        let mut labels = vec![
            Label::new("operation", operation),
            Label::new("family", family),
            Label::new("status", status.to_string()),
        ];
        if self.per_portal {
            let portal = if portal == 0 {
                "none".to_string()
            } else {
                portal.to_string()
            };
            labels.push(Label::new("portal", portal));
        }
        let c = metrics::counter!(REQUESTS_TOTAL, labels);
        write(&self.counters).insert(key, c.clone());
        c
    }

    fn duration(&self, operation: &'static str) -> Histogram {
        if let Some(h) = read(&self.durations).get(operation) {
            return h.clone();
        }
        let h = metrics::histogram!(REQUEST_DURATION, "operation" => operation);
        write(&self.durations).insert(operation, h.clone());
        h
    }

    /// Counts one answered request.
    pub fn record(&self, meta: Option<&RequestMeta>, status: u16, seconds: f64) {
        let operation = meta
            .and_then(|m| m.operation)
            .map_or(UNKNOWN, |o| o.as_str());
        let family = meta.and_then(|m| m.family).map_or(UNKNOWN, |f| f.label());
        let portal = match (self.per_portal, meta.and_then(|m| m.portal())) {
            (true, Some(p)) => p,
            _ => 0,
        };
        self.counter((operation, family, status, portal))
            .increment(1);
        self.duration(operation).record(seconds);
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

/// The layer: times the whole request (every inner layer included) and counts its answer.
pub async fn layer(
    State(metrics): State<Arc<RequestMetrics>>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let res = next.run(req).await;
    let meta = res.extensions().get::<Arc<RequestMeta>>();
    metrics.record(
        meta.map(Arc::as_ref),
        res.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    res
}
