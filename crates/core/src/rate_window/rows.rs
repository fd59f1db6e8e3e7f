//! What replicas share through the database: rows of counts, heartbeats and claims.

use super::exchange::Claims;

/// Which window a shared count belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Scope: a token id; bucket: epoch milliseconds / `BUCKET_MS`.
    TenSecondly,
    /// Scope: a portal id; bucket: the UTC day number.
    Daily,
    /// A replica's heartbeat: scope empty; bucket: epoch seconds. Tells every replica how many
    /// share the database, before they share a scope.
    Replica,
    /// A replica's claim on a token's ten-secondly window: scope a token id, bucket 0.
    TenClaim,
    /// A replica's claim on a portal's day: scope a portal id, bucket 0.
    DailyClaim,
}

impl Kind {
    pub fn code(self) -> i64 {
        match self {
            Kind::TenSecondly => 0,
            Kind::Daily => 1,
            Kind::Replica => 2,
            Kind::TenClaim => 3,
            Kind::DailyClaim => 4,
        }
    }

    pub fn from_code(code: i64) -> Option<Kind> {
        match code {
            0 => Some(Kind::TenSecondly),
            1 => Some(Kind::Daily),
            2 => Some(Kind::Replica),
            3 => Some(Kind::TenClaim),
            4 => Some(Kind::DailyClaim),
            _ => None,
        }
    }
}

/// Calls admitted here and not yet flushed, for one scope and bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    pub kind: Kind,
    pub scope: String,
    pub bucket: i64,
    pub hits: u64,
}

/// What another replica flushed, as the sync reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteHits {
    pub replica: String,
    pub kind: Kind,
    pub scope: String,
    pub bucket: i64,
    pub hits: u64,
}

/// Decides an exchange's claims from the other replicas' rows and the replicas alive.
pub type Decide<'a> = dyn for<'r> Fn(&'r [RemoteHits], usize) -> Claims + Send + Sync + 'a;
