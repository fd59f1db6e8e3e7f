//! OAuth as HubSpot's apps use it: an app's client id, redirect URIs and scopes; the codes,
//! access tokens, refresh tokens and client-credential tokens it is issued; the lifetimes and
//! the refusals (HubSpot's `status` names) of the token endpoints. Secrets are stored only as
//! hashes (`token::hash_secret`), like portal tokens.

use crate::apps::AppId;
use crate::PortalId;
use std::fmt;

/// Seconds an access token lives (HubSpot: "expires after 30 minutes").
pub const ACCESS_TOKEN_TTL_S: u64 = 1800;
/// Milliseconds an authorization code can be exchanged after it was issued (HubSpot says "a
/// short window" without a number; RFC 6749 recommends at most ten minutes).
pub const CODE_TTL_MS: i64 = 10 * 60 * 1000;

/// What makes an access token an OAuth one: the app it was issued to and when it expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OAuthGrant {
    pub app_id: AppId,
    pub expires_at_ms: i64,
}

/// The kinds of OAuth secrets kept in `oauth_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Calls the API in one portal until it expires.
    Access,
    /// Mints access tokens until deleted or the app is uninstalled.
    Refresh,
    /// A `client_credentials` token: the app's own, for no portal.
    Client,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
            TokenKind::Client => "client",
        }
    }

    pub fn parse(s: &str) -> Option<TokenKind> {
        [TokenKind::Access, TokenKind::Refresh, TokenKind::Client]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// An OAuth secret as stored (by hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthToken {
    /// Public id (a prefix of the hash), the key of rate-limit windows.
    pub id: String,
    pub kind: TokenKind,
    pub app_id: AppId,
    /// `None` for client-credential tokens.
    pub portal_id: Option<PortalId>,
    pub scopes: Vec<String>,
    pub created_at_ms: i64,
    /// `None`: until revoked (refresh tokens).
    pub expires_at_ms: Option<i64>,
}

/// An OAuth secret to store.
#[derive(Clone, PartialEq, Eq)]
pub struct NewOAuthToken {
    pub hash: String,
    pub kind: TokenKind,
    pub app_id: AppId,
    pub portal_id: Option<PortalId>,
    pub scopes: Vec<String>,
    pub expires_at_ms: Option<i64>,
}

impl fmt::Debug for NewOAuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewOAuthToken")
            .field("kind", &self.kind)
            .field("app_id", &self.app_id)
            .field("portal_id", &self.portal_id)
            .finish()
    }
}

/// What an authorization code grants, as stored (by hash) when the app is authorized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeGrant {
    pub app_id: AppId,
    pub portal_id: PortalId,
    pub scopes: Vec<String>,
    pub redirect_uri: String,
    pub expires_at_ms: i64,
    /// When it was exchanged (a code is single-use).
    pub used: bool,
}

/// Checks a client id chosen by the caller: 1 to 512 characters, no whitespace.
pub fn check_client_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 512 || id.contains(char::is_whitespace) {
        return Err("clientId must be 1 to 512 characters without whitespace".into());
    }
    Ok(())
}

/// Checks a redirect URI: an absolute `http://` or `https://` URL with a host, no fragment and
/// no whitespace (HubSpot wants https except for localhost; assocd runs locally and takes both).
pub fn check_redirect_uri(uri: &str) -> Result<(), String> {
    let rest = uri
        .strip_prefix("http://")
        .or_else(|| uri.strip_prefix("https://"))
        .ok_or_else(|| {
            format!("redirect URI '{uri}' must be an absolute http:// or https:// URL")
        })?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || uri.len() > 2048 || uri.contains('#') || uri.contains(char::is_whitespace)
    {
        return Err(format!(
            "redirect URI '{uri}' is not a valid URL without a fragment"
        ));
    }
    Ok(())
}

/// Checks a scope name: 1 to 256 visible characters.
pub fn check_scope(scope: &str) -> Result<(), String> {
    if scope.is_empty() || scope.len() > 256 || !scope.chars().all(|c| c.is_ascii_graphic()) {
        return Err(format!("scope '{scope}' is not a valid scope name"));
    }
    Ok(())
}

/// HubSpot's message for a call made with an expired OAuth token: how long ago it expired, in
/// the largest unit that fits (seconds, minutes, hours, days).
pub fn expired_message(expired_at_ms: i64, now_ms: i64) -> String {
    let secs = (now_ms - expired_at_ms).max(0) / 1000;
    let (n, unit) = match secs {
        s if s < 60 => (s, "second"),
        s if s < 3600 => (s / 60, "minute"),
        s if s < 86_400 => (s / 3600, "hour"),
        s => (s / 86_400, "day"),
    };
    format!("The OAuth token used to make this call expired {n} {unit}(s) ago.")
}

/// Splits a space-separated scope list (`scope=a%20b`, also `+` after form decoding), dropping
/// empty entries and duplicates, keeping the first order.
pub fn split_scopes(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in raw.split([' ', '+', ',']).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_message_scales_its_unit() {
        assert_eq!(
            expired_message(1000, 1000),
            "The OAuth token used to make this call expired 0 second(s) ago."
        );
        assert!(expired_message(0, 5 * 3_600_000 + 10).contains("5 hour(s)"));
        assert!(expired_message(0, 3 * 86_400_000).contains("3 day(s)"));
        assert!(expired_message(0, 90_000).contains("1 minute(s)"));
    }

    #[test]
    fn redirect_uris_are_absolute_without_fragments() {
        assert!(check_redirect_uri("http://localhost:3000/callback").is_ok());
        assert!(check_redirect_uri("https://example.com/cb?x=1").is_ok());
        for bad in ["", "/cb", "ftp://x", "http://", "http://x/#f", "http://x /"] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scopes_split_on_spaces_and_plus() {
        assert_eq!(
            split_scopes("oauth crm.objects.contacts.read+oauth"),
            vec!["oauth", "crm.objects.contacts.read"]
        );
        assert!(split_scopes("  ").is_empty());
    }
}
