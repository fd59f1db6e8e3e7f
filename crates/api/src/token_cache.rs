//! A short-lived cache of token lookups, so the hot path does not read the token table on every
//! request. Entries live `TTL`; a revocation (possibly by another process) is seen within it.

use assocd_core::store::{Result, Store};
use assocd_core::token::TokenInfo;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const TTL: Duration = Duration::from_secs(1);
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, (TokenInfo, Instant)>>,
}

impl TokenCache {
    pub async fn lookup(&self, hash: &str, store: &dyn Store) -> Result<Option<TokenInfo>> {
        if let Some((info, at)) = self
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(hash)
        {
            if at.elapsed() < TTL {
                return Ok(Some(info.clone()));
            }
        }
        let found = store.find_token(hash).await?;
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        match &found {
            Some(info) => {
                if entries.len() >= MAX_ENTRIES {
                    entries.retain(|_, (_, at)| at.elapsed() < TTL);
                }
                entries.insert(hash.to_string(), (info.clone(), Instant::now()));
            }
            None => {
                entries.remove(hash);
            }
        }
        Ok(found)
    }
}
