//! Prometheus metrics: the exporter (`metrics-exporter-prometheus`, installed once per process
//! as the `metrics` facade's recorder), the catalog of every metric assocd exports with its
//! help text, and `GET /metrics`.
//!
//! Code anywhere in assocd records through the facade (`metrics::counter!` etc.) under the
//! names below; with metrics off no recorder is installed and those calls do nothing.

use assocd_store::SqlStore;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::fmt::Write;
use std::sync::OnceLock;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// One exported metric: name, type, labels (for the docs) and help text.
pub struct Metric {
    pub name: &'static str,
    pub kind: Kind,
    pub labels: &'static [&'static str],
    pub help: &'static str,
}

const fn m(
    name: &'static str,
    kind: Kind,
    labels: &'static [&'static str],
    help: &'static str,
) -> Metric {
    Metric {
        name,
        kind,
        labels,
        help,
    }
}

/// Every metric assocd exports (docs/operations.md explains each). Issues 11 (rate limits,
/// faults) and 12 (webhooks) record theirs under these names.
pub const CATALOG: &[Metric] = &[
    m(assocd_api::layers::metrics::REQUESTS_TOTAL, Kind::Counter, &["operation", "family", "status"],
        "HubSpot-API requests answered, by operation (S1..U1, or unknown), path family and HTTP status (and portal with --metrics-per-portal)."),
    m(assocd_api::layers::metrics::REQUEST_DURATION, Kind::Histogram, &["operation"],
        "Time from a HubSpot-API request entering assocd to its answer, by operation."),
    m(assocd_store::STORE_CALL_DURATION, Kind::Histogram, &["kind"],
        "Duration of store calls as their caller waits for them (queueing, retries and pool waits included), by store method."),
    m(POOL_CONNECTIONS, Kind::Gauge, &["state"],
        "Database connections held by this process: size (open), in_use, idle, and max (the most the pools may open)."),
    m(POOL_WAITING, Kind::Gauge, &[],
        "Callers waiting for a pooled database connection."),
    m(assocd_store::GROUP_BATCH_SIZE, Kind::Histogram, &[],
        "Association write batches committed together in one transaction (one sample per commit; on PostgreSQL batches of one portal and object pair)."),
    m("assocd_rate_limit_refusals_total", Kind::Counter, &["policy"],
        "Requests refused with 429 by assocd's HubSpot rate limits, by policy."),
    m("assocd_faults_injected_total", Kind::Counter, &["kind"],
        "Faults injected through the control plane, by kind."),
    m("assocd_webhook_outbox_depth", Kind::Gauge, &[],
        "Association change events waiting in the outbox for delivery."),
    m("assocd_webhook_deliveries_total", Kind::Counter, &["result"],
        "Webhook delivery attempts, by result."),
    m("assocd_webhook_delivery_delay_seconds", Kind::Histogram, &[],
        "Time from the commit of an association change to the successful delivery of its event."),
    m(BUILD_INFO, Kind::Gauge, &["version", "backend"],
        "Always 1; labels carry the assocd version and the database backend (sqlite or postgres)."),
];

pub const POOL_CONNECTIONS: &str = "assocd_db_pool_connections";
pub const POOL_WAITING: &str = "assocd_db_pool_waiting";
pub const BUILD_INFO: &str = "assocd_build_info";

/// Histogram buckets of durations, in seconds (100 µs to 10 s).
const SECONDS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];
/// Buckets of the group-commit batch count.
const BATCHES: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the exporter as the process's recorder (once; later calls return the same handle),
/// describes every metric, and starts the upkeep that folds histogram samples into buckets
/// every five seconds, so memory stays flat when nobody scrapes.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(SECONDS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(assocd_store::GROUP_BATCH_SIZE.into()),
                        BATCHES,
                    )
                })
                .expect("bucket lists are not empty")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!(
                    "another metrics recorder was installed first; /metrics stays empty"
                );
            }
            describe();
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(Duration::from_secs(5));
                    upkeep.run_upkeep();
                })
                .expect("spawn the metrics upkeep thread");
            handle
        })
        .clone()
}

fn describe() {
    for metric in CATALOG {
        let (name, help) = (metric.name, metric.help);
        match metric.kind {
            Kind::Counter => metrics::describe_counter!(name, help),
            Kind::Gauge => metrics::describe_gauge!(name, help),
            Kind::Histogram => metrics::describe_histogram!(name, help),
        }
        // Metrics without labels appear from the start (0, or an empty histogram).
        if metric.labels.is_empty() {
            match metric.kind {
                Kind::Counter => drop(metrics::counter!(name)),
                Kind::Gauge => drop(metrics::gauge!(name)),
                Kind::Histogram => drop(metrics::histogram!(name)),
            }
        }
    }
}

/// `assocd_build_info{version,backend} 1`.
pub fn set_build_info(backend: &'static str) {
    metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION"), "backend" => backend)
        .set(1.0);
}

/// The exposition text: the pool gauges read now, then everything recorded. A catalog metric
/// with labels that nothing has recorded yet is listed by its HELP and TYPE lines alone, so a
/// scraper (and a dashboard check) sees every name assocd exports from the start.
pub fn render(handle: &PrometheusHandle, store: &SqlStore) -> String {
    let pool = store.pool_stats();
    for (state, value) in [
        ("size", pool.size),
        ("in_use", pool.in_use()),
        ("idle", pool.idle),
        ("max", pool.max),
    ] {
        metrics::gauge!(POOL_CONNECTIONS, "state" => state).set(value as f64);
    }
    metrics::gauge!(POOL_WAITING).set(pool.waiting as f64);
    let mut text = handle.render();
    for metric in CATALOG {
        let typed = format!("# TYPE {} ", metric.name);
        if !text.contains(&typed) {
            let _ = writeln!(text, "# HELP {} {}", metric.name, metric.help);
            let _ = writeln!(text, "{typed}{}\n", metric.kind.as_str());
        }
    }
    text
}

/// `GET /metrics`, without authentication (put it behind the network's own access rules, or
/// on its own address with `--metrics-listen`).
pub fn router(handle: PrometheusHandle, store: SqlStore) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let text = render(&handle, &store);
            async move {
                (
                    [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
                    text,
                )
                    .into_response()
            }
        }),
    )
}
