//! HubSpot's OAuth endpoints: `/oauth/authorize` (consent is immediate: there is no person to
//! ask), the token endpoints of v1, v3 and the dated versions, v1's token metadata, and the
//! newer introspection and revocation. Apps come from the control plane (`/_assocd/apps`);
//! codes and tokens are stored by hash (`OAuthStore`), so every replica sees them.
//!
//! Refusals use the body HubSpot's token endpoints send: `status` and `message` (the legacy
//! keys clients test) with RFC 6749's `error` and `error_description`.

mod authorize;
mod metadata;
pub(crate) mod openapi;
mod token;

use crate::error::new_correlation_id;
use crate::AppState;
use assocd_core::apps::App;
use axum::extract::rejection::FormRejection;
use axum::extract::Form;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use std::collections::HashMap;

/// The token endpoint's versions: v1 (what HubSpot's clients call), v3, and the dated ones.
pub const VERSIONS: [&str; 4] = ["v1", "v3", "2026-03", "2026-09"];

/// The routes, under `/oauth`.
pub fn routes() -> Router<AppState> {
    let mut r = Router::new()
        .route("/oauth/authorize", get(authorize::authorize))
        .route("/oauth/{portalId}/authorize", get(authorize::authorize_in))
        .route(
            "/oauth/v1/access-tokens/{token}",
            get(metadata::access_token),
        )
        .route(
            "/oauth/v1/refresh-tokens/{token}",
            get(metadata::refresh_token).delete(metadata::delete_refresh_token),
        );
    for v in VERSIONS {
        r = r.route(&format!("/oauth/{v}/token"), post(token::token));
        if v != "v1" {
            r = r
                .route(
                    &format!("/oauth/{v}/token/introspect"),
                    post(metadata::introspect),
                )
                .route(&format!("/oauth/{v}/token/revoke"), post(metadata::revoke));
        }
    }
    r
}

/// v1's metadata paths carry a token; logs and the request journal show this instead.
const TOKEN_PATHS: [&str; 2] = ["/oauth/v1/access-tokens/", "/oauth/v1/refresh-tokens/"];

/// `path` fit for a log line: a token in an OAuth metadata path is replaced by `{token}`.
pub fn redacted_path(path: &str) -> std::borrow::Cow<'_, str> {
    match TOKEN_PATHS.iter().find(|p| path.starts_with(**p)) {
        Some(prefix) => format!("{prefix}{{token}}").into(),
        None => path.into(),
    }
}

/// Whether bodies of this path carry secrets (client secrets, codes, tokens): the OAuth
/// endpoints' forms and answers are left out of the request journal.
pub fn carries_secrets(path: &str) -> bool {
    path.starts_with("/oauth/")
}

/// The version segment of a token endpoint path (`/oauth/{version}/token...`).
fn version_of(path: &str) -> &'static str {
    let segment = path.split('/').nth(2).unwrap_or("");
    VERSIONS.into_iter().find(|v| *v == segment).unwrap_or("v1")
}

/// A refusal of an OAuth endpoint, in HubSpot's token-endpoint shape.
#[derive(Debug)]
pub(crate) struct OAuthError {
    http: StatusCode,
    status: &'static str,
    message: String,
    error: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OAuthErrorBody<'a> {
    status: &'static str,
    message: &'a str,
    correlation_id: String,
    error: &'static str,
    #[serde(rename = "error_description")]
    error_description: &'a str,
}

impl OAuthError {
    fn new(status: &'static str, message: impl Into<String>, error: &'static str) -> Self {
        OAuthError {
            http: StatusCode::BAD_REQUEST,
            status,
            message: message.into(),
            error,
        }
    }
    pub fn bad_client_id() -> Self {
        Self::new(
            "BAD_CLIENT_ID",
            "missing or unknown client id",
            "invalid_request",
        )
    }
    pub fn bad_client_secret() -> Self {
        Self::new(
            "BAD_CLIENT_SECRET",
            "missing or invalid client secret",
            "invalid_client",
        )
    }
    pub fn bad_grant_type() -> Self {
        Self::new(
            "BAD_GRANT_TYPE",
            "missing or unsupported grant type",
            "unsupported_grant_type",
        )
    }
    pub fn bad_auth_code() -> Self {
        Self::new(
            "BAD_AUTH_CODE",
            "missing or unknown auth code",
            "invalid_grant",
        )
    }
    pub fn bad_refresh_token() -> Self {
        Self::new(
            "BAD_REFRESH_TOKEN",
            "refresh token is invalid, expired or revoked",
            "invalid_grant",
        )
    }
    pub fn bad_redirect_uri(uri: &str) -> Self {
        Self::new(
            "BAD_REDIRECT_URI",
            format!("Authorization failed as the redirect URL '{uri}' doesn't match the app's registered redirect URL"),
            "invalid_request",
        )
    }
    pub fn redirect_mismatch() -> Self {
        Self::new(
            "MISMATCH_REDIRECT_URI_AUTH_CODE",
            "redirect uri mismatch",
            "invalid_grant",
        )
    }
    pub fn bad_scope() -> Self {
        Self::new(
            "BAD_SCOPES",
            "An invalid scope name was provided",
            "invalid_scope",
        )
    }
    pub fn bad_hub() -> Self {
        Self::new("BAD_HUB", "missing or unknown hub id", "access_denied")
    }
    pub fn bad_token() -> Self {
        Self::new("BAD_REQUEST", "missing token", "invalid_request")
    }
    fn not_form() -> Self {
        OAuthError {
            http: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ..Self::new(
                "UNSUPPORTED_MEDIA_TYPE",
                "the request body must be application/x-www-form-urlencoded",
                "invalid_request",
            )
        }
    }
    fn unavailable() -> Self {
        OAuthError {
            http: StatusCode::SERVICE_UNAVAILABLE,
            ..Self::new(
                "SERVICE_UNAVAILABLE",
                "The service is temporarily unavailable; try again shortly",
                "temporarily_unavailable",
            )
        }
    }
}

impl From<assocd_core::Error> for OAuthError {
    fn from(e: assocd_core::Error) -> Self {
        if e.kind != assocd_core::ErrorKind::Unavailable {
            tracing::error!(error = %e.message, "OAuth endpoint failed");
        }
        let mut out = OAuthError::unavailable();
        if e.kind != assocd_core::ErrorKind::Unavailable {
            out.http = StatusCode::INTERNAL_SERVER_ERROR;
            out.status = "INTERNAL_ERROR";
            out.message = "internal error".into();
            out.error = "server_error";
        }
        out
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = OAuthErrorBody {
            status: self.status,
            message: &self.message,
            correlation_id: new_correlation_id(),
            error: self.error,
            error_description: &self.message,
        };
        let mut res = crate::wire::json(self.http, &body);
        res.extensions_mut()
            .insert(crate::error::CorrelationId(body.correlation_id));
        res
    }
}

/// A form body's fields (the last of a repeated field wins).
pub(crate) type Fields = HashMap<String, String>;

/// The form body, or 415 for anything but `application/x-www-form-urlencoded`.
pub(crate) fn form(body: Result<Form<Fields>, FormRejection>) -> Result<Fields, OAuthError> {
    match body {
        Ok(Form(f)) => Ok(f),
        Err(FormRejection::InvalidFormContentType(_)) => Err(OAuthError::not_form()),
        Err(_) => Err(OAuthError::new(
            "BAD_REQUEST",
            "the form body could not be read",
            "invalid_request",
        )),
    }
}

/// A non-empty field.
pub(crate) fn field<'a>(f: &'a Fields, name: &str) -> Option<&'a str> {
    f.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

/// The app the `client_id` names and whose `client_secret` matches, checked in HubSpot's
/// order (the client id before anything else).
pub(crate) async fn client(
    state: &AppState,
    client_id: Option<&str>,
    client_secret: Option<&str>,
) -> Result<App, OAuthError> {
    let id = client_id.ok_or_else(OAuthError::bad_client_id)?;
    let app = state
        .store
        .app_for_client(id)
        .await?
        .ok_or_else(OAuthError::bad_client_id)?;
    match client_secret {
        Some(s) if same_secret(s, &app.client_secret) => Ok(app),
        _ => Err(OAuthError::bad_client_secret()),
    }
}

/// Compares secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A fresh secret: `prefix` and 256 random bits as hex (a code, token or refresh token).
pub(crate) fn new_secret(prefix: &str) -> String {
    format!(
        "{prefix}{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_percent_encoded_and_versions_found() {
        assert_eq!(encode("a b/c?d=é"), "a%20b%2Fc%3Fd%3D%C3%A9");
        assert_eq!(version_of("/oauth/2026-09/token/revoke"), "2026-09");
        assert_eq!(version_of("/oauth/v1/token"), "v1");
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd"));
        assert_eq!(
            redacted_path("/oauth/v1/refresh-tokens/na1-secret"),
            "/oauth/v1/refresh-tokens/{token}"
        );
        assert_eq!(redacted_path("/crm/v4/x"), "/crm/v4/x");
    }
}
