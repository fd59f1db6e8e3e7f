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
    /// Set for an OAuth access token: its app and expiry.
    pub oauth: Option<crate::oauth::OAuthGrant>,
}

impl TokenInfo {
    /// When the token expired, if it has by `now_ms` (portal tokens never expire).
    pub fn expired_at(&self, now_ms: i64) -> Option<i64> {
        self.oauth
            .map(|g| g.expires_at_ms)
            .filter(|at| *at <= now_ms)
    }
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
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0xf)] as char);
    }
    out
}

/// The public id of a token: a prefix of its hash, so the id reveals nothing usable.
pub fn public_id(hash: &str) -> String {
    hash[..12].to_string()
}

#[cfg(test)]
mod hash_tests {
    use super::hash_secret;

    /// Stored hashes must never change: this is SHA-256's published test vector for "abc",
    /// as lowercase hex.
    #[test]
    fn hash_is_lowercase_hex_sha256() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
