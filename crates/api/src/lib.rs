//! The HTTP face of assocd: HubSpot's Associations v4 wire format on every path family,
//! HubSpot's webhooks v3 management API, and HubSpot's OAuth endpoints (`/oauth/...`).

pub mod conn;
pub mod declared;
pub mod error;
pub mod extract;
mod health;
mod labels;
pub mod layers;
mod limits;
pub mod middleware;
pub mod oauth;
pub mod openapi;
pub mod rate_limits;
mod records;
mod token_cache;
mod webhooks;
pub mod wire;

use assocd_core::store::Store;
use assocd_core::Clock;
use axum::routing::get;
use axum::Router;
use layers::journal::Journal;
use std::sync::Arc;

pub use error::ApiError;

/// Server-wide settings the handlers need.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The technical maximum of `maxToObjectIds` (HubSpot's own per-record ceiling).
    pub max_association_limit: i64,
    /// Request bodies above this many bytes answer 413.
    pub body_limit: usize,
    /// Requests the journal keeps (0: no journal).
    pub journal_size: usize,
    /// HubSpot's rate limits: `None` off, else the tier of portals without their own.
    pub rate_limits: Option<assocd_core::rate_limit::Tier>,
    /// How often replicas exchange rate-limit counts through the database.
    pub rate_limit_sync: std::time::Duration,
    /// Fault injection (`/_assocd/faults`); on with the control plane.
    pub faults: bool,
    /// Request metrics (`layers::metrics`) in the envelope; the server installs the exporter.
    pub metrics: bool,
    /// The access log (`layers::access_log`: one line per request, and the request's
    /// correlation id in every line logged while serving it).
    pub access_log: bool,
    /// Request counts get a `portal` label (one series per portal and label set).
    pub metrics_per_portal: bool,
    /// How long OAuth access tokens live (HubSpot: 1800 s).
    pub oauth_token_ttl: std::time::Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            max_association_limit: 50_000,
            body_limit: 8 * 1024 * 1024,
            journal_size: 1000,
            rate_limits: None,
            rate_limit_sync: std::time::Duration::from_millis(5),
            faults: false,
            metrics: false,
            access_log: true,
            metrics_per_portal: false,
            oauth_token_ttl: std::time::Duration::from_secs(assocd_core::oauth::ACCESS_TOKEN_TTL_S),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<ApiConfig>,
    /// The time answers report; share the store's, so both agree.
    pub clock: Clock,
    /// The request journal, when on.
    pub journal: Option<Arc<Journal>>,
    /// HubSpot's rate limits, when on.
    pub rate_limits: Option<Arc<rate_limits::RateLimiter>>,
    /// Injected faults, when on.
    pub faults: Option<Arc<layers::faults::Faults>>,
    /// Request metrics, when on.
    pub metrics: Option<Arc<layers::metrics::RequestMetrics>>,
    tokens: Arc<token_cache::TokenCache>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: ApiConfig, clock: Clock) -> Self {
        let journal = (config.journal_size > 0).then(|| {
            Arc::new(Journal::new(
                config.journal_size,
                clock.clone(),
                config.body_limit,
            ))
        });
        let rate_limits = config.rate_limits.map(|tier| {
            Arc::new(rate_limits::RateLimiter::new(
                tier,
                config.rate_limit_sync,
                clock.clone(),
            ))
        });
        let faults = config.faults.then(Arc::default);
        let metrics = config.metrics.then(|| {
            Arc::new(layers::metrics::RequestMetrics::new(
                config.metrics_per_portal,
            ))
        });
        AppState {
            store,
            config: Arc::new(config),
            clock,
            journal,
            rate_limits,
            faults,
            metrics,
            tokens: Arc::default(),
        }
    }

    /// Forgets every cached token lookup of this process, so a token removed a moment ago is
    /// refused at once here (other replicas see it within the cache's lifetime).
    pub fn forget_tokens(&self) {
        self.tokens.clear();
    }
}

/// The path family a request came in on. Families share handlers and differ only in a few
/// success codes and in which spec's scope list applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `/crm/v4/...`: what HubSpot's Python and Node clients call.
    Legacy,
    /// `/crm/associations/v4/...`: the spelling of HubSpot's legacy reference pages.
    LegacyAlt,
    /// `/crm/associations/{version}/...` and `/crm/objects/{version}/...`.
    Dated(&'static str),
}

pub const VERSIONS: [&str; 3] = ["2025-09", "2026-03", "2026-09"];

impl Family {
    /// Which spec's scope table applies.
    pub fn scope_key(self) -> &'static str {
        match self {
            Family::Legacy | Family::LegacyAlt => "v4",
            Family::Dated(v) => v,
        }
    }

    /// Whether batch operations that answer 204 on the legacy family answer 200 with a batch body.
    pub fn batch_bodies(self) -> bool {
        !matches!(self, Family::Legacy)
    }

    /// The family's name in metrics, logs and the journal: `legacy` (`/crm/v4`), `v4`
    /// (`/crm/associations/v4`), or the version of a dated family.
    pub fn label(self) -> &'static str {
        match self {
            Family::Legacy => "legacy",
            Family::LegacyAlt => "v4",
            Family::Dated(v) => v,
        }
    }
}

/// HubSpot's routes on every path family. Handlers learn the family from the request's
/// classification (`layers::context`), not from the router.
fn hubspot_routes() -> Router<AppState> {
    let schema = || labels::routes().merge(limits::routes());
    // Record routes are served on the legacy and dated families; HubSpot documents the
    // `/crm/associations/v4` spelling for schema endpoints only.
    let associations = || schema().merge(records::batch_routes());
    let mut app: Router<AppState> = Router::new()
        .nest("/crm/v4/associations", associations())
        .nest("/crm/v4/objects", records::object_routes(Family::Legacy))
        .nest("/crm/associations/v4", schema());
    for v in VERSIONS {
        app = app
            .nest(&format!("/crm/associations/{v}"), associations())
            .nest(
                &format!("/crm/objects/{v}"),
                records::object_routes(Family::Dated(v)),
            );
    }
    app.merge(webhooks::routes()).merge(oauth::routes())
}

/// assocd's own `/healthz`, `/readyz` and `/openapi.json`, and everything else (HubSpot's API,
/// unknown paths included) inside the envelope of layers. The server adds the control plane,
/// `/metrics` and `middleware::outer`.
pub fn router(state: AppState) -> Router {
    let hubspot = middleware::envelope(hubspot_routes(), &state);
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(health::ready))
        .route("/openapi.json", get(openapi::serve))
        .layer(axum::middleware::from_fn(middleware::headers))
        .fallback_service(hubspot)
        .with_state(state)
}
