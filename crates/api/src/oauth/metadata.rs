//! What a token is: v1's `GET /oauth/v1/access-tokens/{token}` and
//! `GET|DELETE /oauth/v1/refresh-tokens/{token}` (no client authentication, as in HubSpot's
//! v1), and the newer `POST /oauth/{version}/token/introspect` and `.../token/revoke`
//! (form-encoded, with the client's id and secret). assocd has no users: the user of a token
//! is the portal's one emulated user, whose id is the portal id.

use super::{client, field, form, Fields, OAuthError};
use crate::error::ApiError;
use crate::extract::Params;
use crate::wire::{json, no_content};
use crate::AppState;
use assocd_core::oauth::{OAuthToken, TokenKind};
use assocd_core::token::hash_secret;
use assocd_core::PortalId;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json as object, Value};

/// HubSpot's `AccessTokenInfoResponse`.
#[derive(Debug, Serialize)]
struct AccessTokenInfo<'a> {
    token: &'a str,
    hub_id: Option<PortalId>,
    app_id: i64,
    expires_in: i64,
    user_id: Option<PortalId>,
    token_type: &'static str,
    scopes: &'a [String],
}

/// HubSpot's `RefreshTokenInfoResponse`.
#[derive(Debug, Serialize)]
struct RefreshTokenInfo<'a> {
    token: &'a str,
    hub_id: Option<PortalId>,
    user_id: Option<PortalId>,
    scopes: &'a [String],
    token_type: &'static str,
    client_id: String,
}

fn not_found(what: &str) -> ApiError {
    assocd_core::Error::not_found(format!("The {what} is unknown, expired or revoked")).into()
}

/// The live token of that secret and kind (an expired access token is not live).
async fn live(
    state: &AppState,
    secret: &str,
    kind: TokenKind,
) -> Result<Option<OAuthToken>, assocd_core::Error> {
    let now = state.clock.now_ms();
    Ok(state
        .store
        .find_oauth_token(&hash_secret(secret))
        .await?
        .filter(|t| t.kind == kind && t.expires_at_ms.is_none_or(|at| at > now)))
}

fn seconds_left(t: &OAuthToken, now_ms: i64) -> i64 {
    t.expires_at_ms.map_or(0, |at| (at - now_ms).max(0) / 1000)
}

pub(crate) async fn access_token(
    State(state): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    let secret = params.get(0);
    let t = live(&state, secret, TokenKind::Access)
        .await?
        .ok_or_else(|| not_found("access token"))?;
    Ok(json(
        StatusCode::OK,
        &AccessTokenInfo {
            token: secret,
            hub_id: t.portal_id,
            app_id: t.app_id,
            expires_in: seconds_left(&t, state.clock.now_ms()),
            user_id: t.portal_id,
            token_type: "access",
            scopes: &t.scopes,
        },
    ))
}

pub(crate) async fn refresh_token(
    State(state): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    let secret = params.get(0);
    let t = live(&state, secret, TokenKind::Refresh)
        .await?
        .ok_or_else(|| not_found("refresh token"))?;
    let client_id = state
        .store
        .get_app(t.app_id)
        .await?
        .map(|a| a.client_id)
        .unwrap_or_default();
    Ok(json(
        StatusCode::OK,
        &RefreshTokenInfo {
            token: secret,
            hub_id: t.portal_id,
            user_id: t.portal_id,
            scopes: &t.scopes,
            token_type: "refresh",
            client_id,
        },
    ))
}

/// Deletes one refresh token: access tokens minted from it keep working, the app stays
/// installed (HubSpot's v1 guide).
pub(crate) async fn delete_refresh_token(
    State(state): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    let secret = params.get(0);
    if live(&state, secret, TokenKind::Refresh).await?.is_none()
        || !state.store.revoke_oauth_token(&hash_secret(secret)).await?
    {
        return Err(not_found("refresh token"));
    }
    Ok(no_content())
}

/// The token a newer endpoint's form names: `token` (the spec), else the field the guide's
/// prose names after the hint (`access_token` or `refresh_token`).
fn token_field(f: &Fields) -> Result<&str, OAuthError> {
    field(f, "token")
        .or_else(|| field(f, "access_token"))
        .or_else(|| field(f, "refresh_token"))
        .ok_or_else(OAuthError::bad_token)
}

/// `POST /oauth/{version}/token/introspect`: `{"active": false}` for a token that is unknown,
/// revoked, expired or another app's; else the token's facts in HubSpot's
/// `PublicAccessTokenInfoResponse` / `PublicRefreshTokenInfoResponse` shape.
pub(crate) async fn introspect(
    State(state): State<AppState>,
    body: Result<Form<Fields>, FormRejection>,
) -> Result<Response, OAuthError> {
    let f = form(body)?;
    let app = client(&state, field(&f, "client_id"), field(&f, "client_secret")).await?;
    let secret = token_field(&f)?;
    let now = state.clock.now_ms();
    let found = state
        .store
        .find_oauth_token(&hash_secret(secret))
        .await?
        .filter(|t| t.app_id == app.app_id && t.expires_at_ms.is_none_or(|at| at > now));
    let Some(t) = found else {
        return Ok(json(StatusCode::OK, &object!({"active": false})));
    };
    let token_use = match t.kind {
        TokenKind::Access => "access_token",
        TokenKind::Refresh => "refresh_token",
        TokenKind::Client => "client_credentials",
    };
    let mut body = object!({
        "active": true,
        "app_id": t.app_id,
        "client_id": app.client_id,
        "hub_id": t.portal_id,
        "scopes": t.scopes,
        "token": secret,
        "token_type": "Bearer",
        "token_use": token_use,
        "user_id": t.portal_id,
    });
    if t.kind != TokenKind::Refresh {
        if let Value::Object(m) = &mut body {
            m.insert("expires_in".into(), seconds_left(&t, now).into());
            m.insert("is_private_distribution".into(), false.into());
            m.insert(
                "signed_access_token".into(),
                object!({
                    "appId": t.app_id,
                    "expiresAt": t.expires_at_ms,
                    "hubId": t.portal_id,
                    "hublet": "na1",
                    "installingUserId": t.portal_id,
                    "isPrivateDistribution": false,
                    "isServiceAccount": false,
                    "isUserLevel": false,
                    "scopes": t.scopes.join(" "),
                    "userId": t.portal_id,
                }),
            );
        }
    }
    Ok(json(StatusCode::OK, &body))
}

/// `POST /oauth/{version}/token/revoke`: revokes the app's token (a refresh token, or an
/// access token); 200 with no body, also for a token already gone (RFC 7009).
pub(crate) async fn revoke(
    State(state): State<AppState>,
    body: Result<Form<Fields>, FormRejection>,
) -> Result<Response, OAuthError> {
    let f = form(body)?;
    let app = client(&state, field(&f, "client_id"), field(&f, "client_secret")).await?;
    let hash = hash_secret(token_field(&f)?);
    if let Some(t) = state.store.find_oauth_token(&hash).await? {
        if t.app_id == app.app_id {
            state.store.revoke_oauth_token(&hash).await?;
            state.forget_tokens();
        }
    }
    Ok(StatusCode::OK.into_response())
}
