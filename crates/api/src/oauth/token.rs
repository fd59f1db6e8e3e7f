//! `POST /oauth/{v1|v3|2026-03|2026-09}/token`: form-encoded, as HubSpot's clients send it.
//! Grants: `authorization_code` (a single-use code for an access and a refresh token),
//! `refresh_token` (a new access token; the refresh token stays the same) and, where the
//! version's document lists it, `client_credentials` (an access token of the app's own, for
//! no portal). v1 also reads `client_secret` and `refresh_token` from the query string.

use super::{client, field, form, new_secret, version_of, Fields, OAuthError};
use crate::AppState;
use assocd_core::apps::App;
use assocd_core::oauth::{NewOAuthToken, TokenKind};
use assocd_core::token::hash_secret;
use assocd_core::PortalId;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde::Serialize;

/// HubSpot's `AccessTokenResponse` / `ClientCredentialsTokenResponse`.
#[derive(Debug, Serialize)]
pub(crate) struct TokenResponse {
    token_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    access_token: String,
    expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    hub_id: Option<PortalId>,
    scopes: Vec<String>,
    token_use: &'static str,
}

/// Whether `version`'s document lists `grant`.
fn grant_listed(version: &str, grant: &str) -> bool {
    match grant {
        "authorization_code" | "refresh_token" => true,
        "client_credentials" => version != "2026-09",
        _ => false,
    }
}

pub(crate) async fn token(
    State(state): State<AppState>,
    uri: Uri,
    query: Result<Query<Fields>, QueryRejection>,
    body: Result<Form<Fields>, FormRejection>,
) -> Result<Response, OAuthError> {
    let version = version_of(uri.path());
    let mut f = form(body)?;
    if version == "v1" {
        if let Ok(Query(q)) = query {
            for key in ["client_secret", "refresh_token"] {
                if let (Some(v), false) = (q.get(key), f.contains_key(key)) {
                    f.insert(key.to_string(), v.clone());
                }
            }
        }
    }
    let app = client(&state, field(&f, "client_id"), field(&f, "client_secret")).await?;
    let grant = field(&f, "grant_type").unwrap_or("");
    if !grant_listed(version, grant) {
        return Err(OAuthError::bad_grant_type());
    }
    let issued = match grant {
        "authorization_code" => by_code(&state, &app, &f).await?,
        "refresh_token" => by_refresh(&state, &app, &f).await?,
        _ => by_client(&state, &app).await?,
    };
    Ok(crate::wire::json(StatusCode::OK, &issued))
}

/// An access token of `app` for `portal` (none: a client-credential token), expiring after
/// the configured lifetime; the secret and what to store.
fn access(
    state: &AppState,
    app: &App,
    portal: Option<PortalId>,
    scopes: &[String],
) -> (String, NewOAuthToken, u64) {
    let ttl = state.config.oauth_token_ttl;
    let secret = new_secret("COa1-");
    let stored = NewOAuthToken {
        hash: hash_secret(&secret),
        kind: if portal.is_some() {
            TokenKind::Access
        } else {
            TokenKind::Client
        },
        app_id: app.app_id,
        portal_id: portal,
        scopes: scopes.to_vec(),
        expires_at_ms: Some(
            state
                .clock
                .now_ms()
                .saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)),
        ),
    };
    (secret, stored, ttl.as_secs())
}

async fn by_code(state: &AppState, app: &App, f: &Fields) -> Result<TokenResponse, OAuthError> {
    let code = field(f, "code").ok_or_else(OAuthError::bad_auth_code)?;
    let code_hash = hash_secret(code);
    let grant = state
        .store
        .find_code(&code_hash)
        .await?
        .filter(|g| g.app_id == app.app_id && !g.used && g.expires_at_ms > state.clock.now_ms())
        .ok_or_else(OAuthError::bad_auth_code)?;
    match field(f, "redirect_uri") {
        None => return Err(OAuthError::bad_redirect_uri("")),
        Some(uri) if uri != grant.redirect_uri => return Err(OAuthError::redirect_mismatch()),
        Some(_) => {}
    }
    let (access_token, stored, expires_in) =
        access(state, app, Some(grant.portal_id), &grant.scopes);
    let refresh_token = new_secret("na1-");
    let refresh = NewOAuthToken {
        hash: hash_secret(&refresh_token),
        kind: TokenKind::Refresh,
        expires_at_ms: None,
        ..stored.clone()
    };
    if !state
        .store
        .redeem_code(&code_hash, &[stored, refresh])
        .await?
    {
        return Err(OAuthError::bad_auth_code());
    }
    Ok(TokenResponse {
        token_type: "bearer",
        refresh_token: Some(refresh_token),
        access_token,
        expires_in,
        hub_id: Some(grant.portal_id),
        scopes: grant.scopes,
        token_use: "access_token",
    })
}

async fn by_refresh(state: &AppState, app: &App, f: &Fields) -> Result<TokenResponse, OAuthError> {
    let refresh_token = field(f, "refresh_token").ok_or_else(OAuthError::bad_refresh_token)?;
    let stored = state
        .store
        .find_oauth_token(&hash_secret(refresh_token))
        .await?
        .filter(|t| t.kind == TokenKind::Refresh && t.app_id == app.app_id)
        .ok_or_else(OAuthError::bad_refresh_token)?;
    let (access_token, new, expires_in) = access(state, app, stored.portal_id, &stored.scopes);
    state.store.put_oauth_tokens(&[new]).await?;
    Ok(TokenResponse {
        token_type: "bearer",
        refresh_token: Some(refresh_token.to_string()),
        access_token,
        expires_in,
        hub_id: stored.portal_id,
        scopes: stored.scopes,
        token_use: "access_token",
    })
}

async fn by_client(state: &AppState, app: &App) -> Result<TokenResponse, OAuthError> {
    let (access_token, new, expires_in) = access(state, app, None, &app.scopes);
    state.store.put_oauth_tokens(&[new]).await?;
    Ok(TokenResponse {
        token_type: "bearer",
        refresh_token: None,
        access_token,
        expires_in,
        hub_id: None,
        scopes: app.scopes.clone(),
        token_use: "client_credentials",
    })
}
