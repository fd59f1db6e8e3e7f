//! The web console under `/_assocd/console`: pages for a person, rendered here (maud), reading
//! through the same store traits and control-plane functions as the JSON API, with no SQL of
//! its own. Assets are compiled into the binary; nothing is fetched from elsewhere.
//!
//! Access: the admin token, typed into the sign-in form, buys a signed session cookie
//! (`session`); every page and action but the sign-in page and the assets needs it. Without an
//! admin token the console is off (404), like the rest of the control plane.

mod assets;
mod events;
mod faults;
mod graph;
mod layout;
mod portal;
mod portals;
mod record;
mod requests;
mod session;
mod usage;

use crate::ControlState;
use assocd_core::store::PortalSummary;
use assocd_core::ErrorKind;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

/// Where the console lives.
pub const PREFIX: &str = "/_assocd/console";

/// What every console handler gets: the control plane's state.
pub(crate) struct Console {
    pub(crate) state: ControlState,
}

impl FromRequestParts<ControlState> for Console {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        _parts: &mut Parts,
        state: &ControlState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Console {
            state: state.clone(),
        })
    }
}

impl Console {
    /// A page for a store failure: what a person can act on, never internals.
    pub(crate) fn failed(&self, section: &str, e: assocd_core::Error) -> Response {
        let (status, message) = match e.kind {
            ErrorKind::NotFound => (StatusCode::NOT_FOUND, e.message),
            ErrorKind::Validation => (StatusCode::BAD_REQUEST, e.message),
            ErrorKind::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "The database does not answer; try again in a moment.".to_string(),
            ),
            _ => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong reading the store (see the server's log).".to_string(),
            ),
        };
        layout::problem(status, section, &message)
    }

    /// Events waiting in the outbox for each of `portals` (in their order); `None` when they
    /// cannot be read (the page shows the rest).
    pub(crate) async fn events_waiting(&self, portals: &[PortalSummary]) -> Option<Vec<i64>> {
        let (first, last) = match (portals.first(), portals.last()) {
            (Some(f), Some(l)) => (f.portal_id, l.portal_id),
            _ => return Some(Vec::new()),
        };
        let found = self
            .state
            .api
            .store
            .events_waiting(first, last)
            .await
            .ok()?;
        Some(
            portals
                .iter()
                .map(|p| {
                    found
                        .iter()
                        .find(|(id, _)| *id == p.portal_id)
                        .map_or(0, |(_, n)| *n)
                })
                .collect(),
        )
    }
}

/// The console's routes (merged into the control plane's router).
pub(crate) fn router(state: &ControlState) -> Router<ControlState> {
    let guarded = Router::new()
        .route("/_assocd/console/portals", get(portals::list))
        .route("/_assocd/console/portals/{portalId}", get(portal::show))
        .route(
            "/_assocd/console/portals/{portalId}/usage",
            get(usage::records),
        )
        .route(
            "/_assocd/console/portals/{portalId}/records",
            get(record::find),
        )
        .route(
            "/_assocd/console/portals/{portalId}/records/{objectType}/{recordId}",
            get(record::show),
        )
        .route("/_assocd/console/requests", get(requests::list))
        .route("/_assocd/console/events", get(events::list))
        .route(
            "/_assocd/console/events/{eventId}/redeliver",
            post(events::redeliver),
        )
        .route(
            "/_assocd/console/faults",
            get(faults::list).post(faults::add),
        )
        .route("/_assocd/console/faults/{id}/remove", post(faults::remove))
        .route("/_assocd/console/sign-out", post(session::sign_out))
        .route("/_assocd/console/{*rest}", get(not_found).post(not_found))
        .layer(axum::middleware::from_fn_with_state(
            state.admin.clone(),
            session::guard,
        ));
    Router::new()
        .route("/_assocd/console", get(session::start))
        .route("/_assocd/console/", get(session::start))
        .route("/_assocd/console/sign-in", post(session::sign_in))
        .route("/_assocd/console/assets/{name}", get(assets::serve))
        .merge(guarded)
}

async fn not_found() -> Response {
    layout::problem(StatusCode::NOT_FOUND, "", "No such page.")
}
