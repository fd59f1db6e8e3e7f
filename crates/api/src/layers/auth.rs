//! Resolves the bearer token of a request under HubSpot's API once, before the layers that need
//! to know the caller (rate limits, faults) and the handler. A request without a usable token
//! (or an expired OAuth one) passes through unresolved: the handler's `Caller` extractor answers 401 (or 503 when the
//! database could not be asked), exactly as without this layer.

use super::RequestMeta;
use crate::AppState;
use assocd_core::token::{hash_secret, TokenInfo};
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

/// The token a request was authenticated with, for layers and the `Caller` extractor.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Arc<TokenInfo>);

/// The secret of a well-formed `Authorization: Bearer <secret>` header.
pub fn bearer_secret(headers: &HeaderMap) -> Option<&str> {
    let header = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = header.trim().split_once(' ')?;
    let secret = secret.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !secret.is_empty() && secret.len() <= 512)
        .then_some(secret)
}

/// Unknown routes are resolved too, so their journal entries and metrics carry the portal.
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if let Some(secret) = bearer_secret(req.headers()) {
        let hash = hash_secret(secret);
        let found = state.tokens.lookup(&hash, state.store.as_ref()).await;
        // An expired OAuth token stays unresolved: the `Caller` extractor answers 401
        // `EXPIRED_AUTHENTICATION`, and no limit counts the call.
        let now_ms = state.clock.now_ms();
        if let Ok(Some(token)) = found.map(|t| t.filter(|t| t.expired_at(now_ms).is_none())) {
            if let Some(meta) = req.extensions().get::<Arc<RequestMeta>>() {
                meta.set_portal(token.portal_id);
            }
            req.extensions_mut().insert(Authenticated(token));
        }
    }
    next.run(req).await
}
