//! Who may use the control plane: the holder of the admin token, compared in constant time.
//! Without an admin token the control plane is off (404). A portal token is never an admin
//! token, and the admin token opens nothing of HubSpot's API (it is not a portal token).

use assocd_api::layers::auth::bearer_secret;
use assocd_api::ApiError;
use assocd_core::token::hash_secret;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The admin token, kept as its SHA-256 hash: comparing hashes takes the same time whatever the
/// length or content of the presented secret.
pub struct AdminToken {
    hash: String,
}

impl AdminToken {
    pub fn new(secret: &str) -> Self {
        AdminToken {
            hash: hash_secret(secret),
        }
    }

    /// HMAC-SHA256 of `message` keyed by the admin token's hash: the console's session cookies
    /// are signed with it, so they hold no secret and every replica with the same admin token
    /// accepts them.
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(self.hash.as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// Whether `secret` is the admin token.
    pub fn matches(&self, secret: &str) -> bool {
        hash_secret(secret)
            .as_bytes()
            .ct_eq(self.hash.as_bytes())
            .into()
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(***)")
    }
}

const REFUSED: &str = "This call needs the control plane's admin token: Authorization: Bearer <the --admin-token of this server>";

pub(crate) async fn guard(
    State(admin): State<Option<Arc<AdminToken>>>,
    req: Request,
    next: Next,
) -> Response {
    let Some(admin) = admin else {
        return ApiError::NotFound.into_response();
    };
    match bearer_secret(req.headers()) {
        Some(secret) if admin.matches(secret) => next.run(req).await,
        _ => ApiError::Unauthorized(REFUSED.into()).into_response(),
    }
}
