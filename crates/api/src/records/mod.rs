//! Associations between records (R1-R9) and the high-usage report (U1). Single-record calls
//! hang off `/crm/v4/objects` (legacy) and `/crm/objects/{v}` (dated); batch and report calls
//! off the associations prefix of each family, beside the schema routes.

mod batch;
mod report;
mod search;
mod single;
mod wire;

use crate::{AppState, Family};
use axum::routing::{get, post, put};
use axum::Router;

/// Routes under an objects prefix (`/crm/v4/objects`, `/crm/objects/{v}`), with the records
/// search on the families whose documents list it. Parameter names match across routes, as the
/// router requires at a shared position.
pub fn object_routes(family: Family) -> Router<AppState> {
    let routes = Router::new();
    let routes = match family {
        Family::Dated(v) if crate::declared::search_served(v) => {
            routes.route("/{objectType}/search", post(search::search))
        }
        _ => routes,
    };
    routes
        .route(
            "/{objectType}/{objectId}/associations/{toObjectType}",
            get(single::list),
        )
        .route(
            "/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}",
            put(single::associate).delete(single::remove),
        )
        .route(
            "/{objectType}/{objectId}/associations/default/{toObjectType}/{toObjectId}",
            put(single::associate_default),
        )
}

/// Routes under an associations prefix (`/crm/v4/associations`, `/crm/associations/{v}`).
pub fn batch_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/{fromObjectType}/{toObjectType}/batch/create",
            post(batch::create),
        )
        .route(
            "/{fromObjectType}/{toObjectType}/batch/read",
            post(batch::read),
        )
        .route(
            "/{fromObjectType}/{toObjectType}/batch/archive",
            post(batch::archive),
        )
        .route(
            "/{fromObjectType}/{toObjectType}/batch/labels/archive",
            post(batch::archive_labels),
        )
        .route(
            "/{fromObjectType}/{toObjectType}/batch/associate/default",
            post(batch::associate_default),
        )
        .route("/usage/high-usage-report/{userId}", post(report::request))
}
