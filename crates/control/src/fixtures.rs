//! `POST /_assocd/fixtures`: applies a fixture document through the running server, all or
//! nothing.

use crate::fixture_doc::FixtureDoc;
use crate::ControlState;
use assocd_api::wire::json;
use assocd_api::ApiError;
use assocd_core::fixture::FixtureSummary;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

/// What a fixture created; entries already present count nothing.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Created {
    portals: u64,
    tokens: u64,
    labels: u64,
    /// Limits created or changed.
    limits: u64,
    /// Record pairs newly associated.
    associations: u64,
    /// Apps created.
    apps: u64,
}

impl From<FixtureSummary> for Created {
    fn from(s: FixtureSummary) -> Self {
        Created {
            portals: s.portals,
            tokens: s.tokens,
            labels: s.labels,
            limits: s.limits,
            associations: s.associations,
            apps: s.apps,
        }
    }
}

#[utoipa::path(post, path = "/_assocd/fixtures", tag = "fixtures",
    request_body = FixtureDoc,
    responses((status = 200, body = Created),
              (status = 400, description = "A bad entry, named in the message and in context.entry; nothing was applied")),
    security(("admin" = [])))]
pub(crate) async fn apply(
    State(state): State<ControlState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fixture = FixtureDoc::parse(&body)?.into_fixture(state.admin.as_deref())?;
    let summary = state
        .api
        .store
        .apply_fixture(&fixture, state.api.config.max_association_limit)
        .await?;
    // Token scopes may have changed: forget what this process cached.
    state.api.forget_tokens();
    if let Some(limiter) = &state.api.rate_limits {
        limiter.load_settings(state.api.store.as_ref()).await?;
    }
    Ok(json(StatusCode::OK, &Created::from(summary)))
}
