//! API tokens: generated here, stored only as a SHA-256 hash.

use crate::PortalId;
use sha2::{Digest, Sha256};
use std::fmt;

/// What a stored token grants. The secret itself is never kept.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Short public id, used by `token list` and `token revoke`.
    pub id: String,
    pub portal_id: PortalId,
    pub scopes: Vec<String>,
    pub created_at_ms: i64,
}

impl fmt::Debug for TokenInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenInfo")
            .field("id", &self.id)
            .field("portal_id", &self.portal_id)
            .field("scopes", &self.scopes.len())
            .finish()
    }
}

/// The hash under which a token secret is stored and looked up.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The public id of a token: a prefix of its hash, so the id reveals nothing usable.
pub fn public_id(hash: &str) -> String {
    hash[..12].to_string()
}
