//! `GET /oauth/authorize` (and `/oauth/{portalId}/authorize`, HubSpot's way to pin an
//! account): consents at once for the portal named by `portalId` (path or query), else the
//! app's only installing portal, installs the app there and redirects (302) to `redirect_uri`
//! with a single-use `code` and the `state`. A refusal is an error answer, never a redirect:
//! HubSpot shows its own page for bad configuration and sends nothing to the redirect URI.

use super::{encode, new_secret, OAuthError};
use crate::AppState;
use assocd_core::oauth::{split_scopes, CodeGrant, CODE_TTL_MS};
use assocd_core::token::hash_secret;
use assocd_core::PortalId;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

type QueryMap = Result<Query<HashMap<String, String>>, QueryRejection>;

pub(crate) async fn authorize(
    State(state): State<AppState>,
    query: QueryMap,
) -> Result<Response, OAuthError> {
    consent(state, None, query).await
}

pub(crate) async fn authorize_in(
    State(state): State<AppState>,
    Path(portal): Path<String>,
    query: QueryMap,
) -> Result<Response, OAuthError> {
    consent(state, Some(portal), query).await
}

async fn consent(
    state: AppState,
    path: Option<String>,
    query: QueryMap,
) -> Result<Response, OAuthError> {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let app = match get("client_id") {
        Some(id) => state.store.app_for_client(id).await?,
        None => None,
    }
    .ok_or_else(OAuthError::bad_client_id)?;
    let redirect_uri = get("redirect_uri").unwrap_or("");
    if !app.redirect_uris.iter().any(|u| u == redirect_uri) {
        return Err(OAuthError::bad_redirect_uri(redirect_uri));
    }
    // Every `scope` must be one the app holds; `optional_scope`s it lacks are dropped, as
    // HubSpot drops optional scopes a portal cannot grant.
    let required = split_scopes(get("scope").unwrap_or(""));
    if required.is_empty() || required.iter().any(|s| !app.scopes.contains(s)) {
        return Err(OAuthError::bad_scope());
    }
    let mut scopes = required;
    for s in split_scopes(get("optional_scope").unwrap_or("")) {
        if app.scopes.contains(&s) && !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    let named = path.or_else(|| get("portalId").map(str::to_string));
    let portal: PortalId = match named {
        Some(raw) => raw
            .parse::<PortalId>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(OAuthError::bad_hub)?,
        None => match app.portals.as_slice() {
            [only] => *only,
            _ => return Err(OAuthError::bad_hub()),
        },
    };
    let code = new_secret("na1-");
    let grant = CodeGrant {
        app_id: app.app_id,
        portal_id: portal,
        scopes,
        redirect_uri: redirect_uri.to_string(),
        expires_at_ms: state.clock.now_ms() + CODE_TTL_MS,
        used: false,
    };
    state
        .store
        .authorize(&hash_secret(&code), &grant)
        .await?
        .ok_or_else(OAuthError::bad_client_id)?;
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let mut location = format!("{redirect_uri}{sep}code={}", encode(&code));
    if let Some(s) = get("state") {
        location.push_str(&format!("&state={}", encode(s)));
    }
    let mut res = StatusCode::FOUND.into_response();
    match HeaderValue::from_str(&location) {
        Ok(v) => {
            res.headers_mut().insert(header::LOCATION, v);
            Ok(res)
        }
        Err(_) => Err(OAuthError::bad_redirect_uri(redirect_uri)),
    }
}
