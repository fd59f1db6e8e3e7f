//! assocd's control plane: its own API under `/_assocd/`, for test suites and operators, never
//! mixed into HubSpot's routes or their OpenAPI document. It shares the API's error type (every
//! refusal is HubSpot's error body) and the store traits.
//!
//! Access: with an admin token configured every route but `GET /_assocd/health` needs
//! `Authorization: Bearer <admin token>`; without one the control plane is off and those routes
//! answer 404.

mod access;
pub mod apps;
mod clock;
pub mod console;
mod events;
mod faults;
pub mod fixture_doc;
mod fixtures;
mod health;
pub mod openapi;
pub mod portals;
pub mod rate_limits;
mod requests;

use assocd_api::{ApiError, AppState};
use axum::routing::{any, get, post};
use axum::Router;
use std::sync::Arc;
use std::time::Instant;

pub use access::AdminToken;

/// What the control plane's handlers share.
#[derive(Clone)]
pub struct ControlState {
    /// The HubSpot API's state: store, clock, journal, token cache.
    pub api: AppState,
    pub admin: Option<Arc<AdminToken>>,
    pub started: Instant,
}

impl ControlState {
    pub fn new(api: AppState, admin: Option<AdminToken>) -> Self {
        ControlState {
            api,
            admin: admin.map(Arc::new),
            started: Instant::now(),
        }
    }
}

/// The routes under `/_assocd/`.
pub fn router(state: ControlState) -> Router {
    let guarded = Router::new()
        .route("/_assocd/openapi.json", get(openapi::serve))
        .route("/_assocd/portals", get(portals::list).post(portals::create))
        .route(
            "/_assocd/portals/{portalId}",
            axum::routing::delete(portals::delete),
        )
        .route("/_assocd/portals/{portalId}/reset", post(portals::reset))
        .route(
            "/_assocd/portals/{portalId}/rate-limits",
            get(rate_limits::get).put(rate_limits::put),
        )
        .route(
            "/_assocd/faults",
            get(faults::list).post(faults::create).delete(faults::clear),
        )
        .route(
            "/_assocd/faults/{id}",
            axum::routing::delete(faults::remove),
        )
        .route("/_assocd/reset", post(portals::reset_all))
        .route("/_assocd/fixtures", post(fixtures::apply))
        .route("/_assocd/apps", get(apps::list).post(apps::create))
        .route("/_assocd/events", get(events::list))
        .route(
            "/_assocd/events/{eventId}/redeliver",
            post(events::redeliver),
        )
        .route("/_assocd/apps/{appId}", get(apps::get).delete(apps::delete))
        .route(
            "/_assocd/apps/{appId}/portals/{portalId}",
            axum::routing::put(apps::install).delete(apps::uninstall),
        )
        .route(
            "/_assocd/requests",
            get(requests::list).delete(requests::clear),
        )
        .route(
            "/_assocd/clock",
            get(clock::get).put(clock::put).delete(clock::delete),
        )
        .route("/_assocd", any(|| async { ApiError::NotFound }))
        .route("/_assocd/", any(|| async { ApiError::NotFound }))
        .route("/_assocd/{*rest}", any(|| async { ApiError::NotFound }))
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(axum::middleware::from_fn_with_state(
            state.admin.clone(),
            access::guard,
        ));
    Router::new()
        .route("/_assocd/health", get(health::get))
        .merge(guarded)
        .merge(console::router(&state))
        .layer(axum::middleware::from_fn(assocd_api::middleware::headers))
        .with_state(state)
}
