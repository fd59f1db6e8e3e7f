//! Portals on demand: a new token for a new (or given) portal, the list with counts, reset and
//! delete of one portal, reset of all.

use crate::ControlState;
use assocd_api::extract::Params;
use assocd_api::wire::{json, no_content, parse};
use assocd_api::ApiError;
use assocd_core::store::PortalSummary;
use assocd_core::token::hash_secret;
use assocd_core::PortalId;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A new token secret: `pat-local-` and 32 hex digits from the OS's random source.
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("pat-local-{hex}")
}

/// Every scope HubSpot's API accepts somewhere: what a token gets when none are named.
pub fn all_scopes() -> Vec<String> {
    assocd_core::scopes::all_known()
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// Checks scope names: each non-empty and without whitespace (they are stored space-separated).
pub fn check_scopes(scopes: &[String], field: &str) -> Result<(), ApiError> {
    match scopes
        .iter()
        .position(|s| s.is_empty() || s.chars().any(char::is_whitespace))
    {
        Some(i) => Err(ApiError::invalid(format!(
            "{field}[{i}]: a scope is a non-empty name without spaces"
        ))),
        None => Ok(()),
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreatePortal {
    /// The portal to make a token for; a fresh, never used id when absent.
    portal_id: Option<PortalId>,
    /// The token's scopes; every scope when absent.
    scopes: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreatedPortal {
    portal_id: PortalId,
    /// The new token's secret, shown only here.
    token: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PortalCounts {
    portal_id: PortalId,
    tokens: i64,
    labels: i64,
    limits: i64,
    /// Associated record pairs.
    associations: i64,
}

impl From<PortalSummary> for PortalCounts {
    fn from(p: PortalSummary) -> Self {
        PortalCounts {
            portal_id: p.portal_id,
            tokens: p.tokens,
            labels: p.labels,
            limits: p.limits,
            associations: p.associations,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PortalList {
    results: Vec<PortalCounts>,
}

/// A portal id from the path: a positive 64-bit integer.
pub(crate) fn portal_param(raw: &str) -> Result<PortalId, ApiError> {
    raw.parse::<PortalId>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| ApiError::invalid(format!("Invalid portal id '{raw}': a positive integer")))
}

#[utoipa::path(post, path = "/_assocd/portals", tag = "portals",
    request_body(content = CreatePortal, description = "Both fields are optional; an empty body is allowed"),
    responses((status = 201, body = CreatedPortal), (status = 400, description = "Bad input")),
    security(("admin" = [])))]
pub(crate) async fn create(
    State(state): State<ControlState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: CreatePortal = if body.iter().all(u8::is_ascii_whitespace) {
        CreatePortal::default()
    } else {
        parse(&body)?
    };
    if let Some(p) = req.portal_id {
        if p <= 0 {
            return Err(ApiError::invalid("portalId must be a positive integer"));
        }
    }
    let scopes = match req.scopes {
        Some(s) => {
            check_scopes(&s, "scopes")?;
            s
        }
        None => all_scopes(),
    };
    let secret = new_secret();
    let (portal_id, _) = state
        .api
        .store
        .create_portal(req.portal_id, &hash_secret(&secret), &scopes)
        .await?;
    Ok(json(
        StatusCode::CREATED,
        &CreatedPortal {
            portal_id,
            token: secret,
        },
    ))
}

#[utoipa::path(get, path = "/_assocd/portals", tag = "portals",
    responses((status = 200, body = PortalList)), security(("admin" = [])))]
pub(crate) async fn list(State(state): State<ControlState>) -> Result<Response, ApiError> {
    let results = state
        .api
        .store
        .list_portals()
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(json(StatusCode::OK, &PortalList { results }))
}

async fn reset_one(state: &ControlState, raw: &str, delete: bool) -> Result<Response, ApiError> {
    let portal = portal_param(raw)?;
    if !state.api.store.reset_portal(portal, delete).await? {
        return Err(
            assocd_core::Error::not_found(format!("No portal {portal} exists"))
                .with("portalId", [portal.to_string()])
                .into(),
        );
    }
    if delete {
        state.api.forget_tokens();
    }
    Ok(no_content())
}

#[utoipa::path(post, path = "/_assocd/portals/{portalId}/reset", tag = "portals",
    params(("portalId" = i64, Path)),
    responses((status = 204, description = "Labels, limits, associations and reports removed; tokens kept"),
              (status = 404, description = "No such portal")),
    security(("admin" = [])))]
pub(crate) async fn reset(
    State(state): State<ControlState>,
    params: Params,
) -> Result<Response, ApiError> {
    reset_one(&state, params.get(0), false).await
}

#[utoipa::path(delete, path = "/_assocd/portals/{portalId}", tag = "portals",
    params(("portalId" = i64, Path)),
    responses((status = 204, description = "The portal, its data and its tokens removed"),
              (status = 404, description = "No such portal")),
    security(("admin" = [])))]
pub(crate) async fn delete(
    State(state): State<ControlState>,
    params: Params,
) -> Result<Response, ApiError> {
    reset_one(&state, params.get(0), true).await
}

#[utoipa::path(post, path = "/_assocd/reset", tag = "portals",
    responses((status = 204, description = "Every portal reset; tokens kept")),
    security(("admin" = [])))]
pub(crate) async fn reset_all(State(state): State<ControlState>) -> Result<Response, ApiError> {
    state.api.store.reset_all().await?;
    Ok(no_content())
}
