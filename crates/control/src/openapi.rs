//! The control plane's own OpenAPI document (`GET /_assocd/openapi.json`), generated from the
//! handlers' annotations; HubSpot's routes are in `/openapi.json`, never here.

use crate::{
    apps, clock, events, faults, fixture_doc, fixtures, health, portals, rate_limits, requests,
};
use axum::http::StatusCode;
use axum::response::Response;
use std::sync::LazyLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct AdminAuth;

impl Modify for AdminAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = doc.components.as_mut() {
            c.add_security_scheme(
                "admin",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "assocd control plane",
        description = "assocd's own API under /_assocd/: portals on demand, reset, fixtures, apps, the feed of association change events, the request journal, a frozen clock, per-portal rate limits and fault injection. Every route but /_assocd/health needs the admin token (Bearer). Errors use HubSpot's error body."
    ),
    paths(
        health::get,
        portals::create, portals::list, portals::reset, portals::delete, portals::reset_all,
        fixtures::apply,
        apps::create, apps::list, apps::get, apps::delete, apps::install, apps::uninstall,
        events::list, events::redeliver,
        requests::list, requests::clear,
        clock::get, clock::put, clock::delete,
        rate_limits::get, rate_limits::put,
        faults::create, faults::list, faults::clear, faults::remove,
    ),
    components(schemas(
        fixture_doc::FixtureDoc, fixture_doc::PortalDoc, fixture_doc::TokenDoc,
        fixture_doc::LabelDoc, fixture_doc::LimitDoc, fixture_doc::AssociationDoc,
        fixture_doc::TypeDoc, rate_limits::RateLimitsDoc, faults::MatchDoc, faults::ActionDoc,
        fixture_doc::AppDoc, fixture_doc::WebhooksDoc,
        fixture_doc::SubscriptionDoc,
    )),
    modifiers(&AdminAuth),
)]
struct ControlApi;

static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(|| {
    let mut doc = ControlApi::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
});

/// The document (also used by tests).
pub fn document() -> &'static utoipa::openapi::OpenApi {
    &DOCUMENT
}

pub(crate) async fn serve() -> Response {
    assocd_api::wire::json(StatusCode::OK, document())
}
