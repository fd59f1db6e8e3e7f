//! A short-lived cache of token lookups, so the hot path does not read the token table on every
//! request. Entries live `TTL`; a revocation (possibly by another process) is seen within it.
//! Unknown tokens are cached too, so a client retrying with a bad token (or someone guessing)
//! costs no database read per request; a token is random, so no client can have tried one
//! before `assocd token create` made it.

use assocd_core::store::{Result, Store};
use assocd_core::token::TokenInfo;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TTL: Duration = Duration::from_secs(1);
const MAX_ENTRIES: usize = 10_000;

/// A lookup's answer (`None`: no such token) and when it was read.
type Entry = (Option<Arc<TokenInfo>>, Instant);

#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl TokenCache {
    /// Forgets every entry.
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    pub async fn lookup(&self, hash: &str, store: &dyn Store) -> Result<Option<Arc<TokenInfo>>> {
        if let Some((info, at)) = self
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(hash)
        {
            if at.elapsed() < TTL {
                return Ok(info.clone());
            }
        }
        let found = store.find_token(hash).await?.map(Arc::new);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (_, at)| at.elapsed() < TTL);
        }
        // When the map is still full (more distinct tokens in one TTL than it holds), unknown
        // tokens are not remembered: the bound holds, and valid tokens keep their place.
        if found.is_some() || entries.len() < MAX_ENTRIES {
            entries.insert(hash.to_string(), (found.clone(), Instant::now()));
        }
        Ok(found)
    }
}
