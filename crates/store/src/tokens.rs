//! Tokens: stored by hash, looked up on every request.

use crate::read::{Arg, Row};
use crate::{db_error, write_tx, SqlStore, TxError};
use assocd_core::store::{Result, TokenStore};
use assocd_core::token::{public_id, TokenInfo};
use assocd_core::{Error, ErrorKind, PortalId};
use async_trait::async_trait;

/// A row of `SELECT id, portal_id, scopes, created_at FROM tokens …`.
pub(crate) fn token_from_row(row: &dyn Row) -> Result<TokenInfo> {
    Ok(TokenInfo {
        id: row.str(0)?,
        portal_id: row.i64(1)?,
        scopes: row.str(2)?.split_whitespace().map(str::to_string).collect(),
        created_at_ms: row.i64(3)?,
        oauth: None,
    })
}

/// Registers `portal` (or revives it after a delete) inside the caller's transaction.
pub(crate) async fn register_portal(
    conn: &mut sqlx::AnyConnection,
    portal: PortalId,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO portals (portal_id, created_at) VALUES ($1, $2)
         ON CONFLICT (portal_id) DO UPDATE SET deleted_at = NULL",
    )
    .bind(portal)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stores a token (or revives a revoked one) and registers its portal, inside the caller's
/// transaction; `scopes` replace the stored ones. Returns what is stored and whether the hash
/// was new. A hash already held by another portal is a conflict.
pub(crate) async fn put_in(
    conn: &mut sqlx::AnyConnection,
    hash: &str,
    portal_id: PortalId,
    scopes: &[String],
    now: i64,
) -> Result<(TokenInfo, bool), TxError> {
    let held: Option<i64> =
        sqlx::query_scalar("SELECT portal_id FROM tokens WHERE token_hash = $1")
            .bind(hash)
            .fetch_optional(&mut *conn)
            .await?;
    if held.is_some_and(|p| p != portal_id) {
        return Err(TxError::Domain(Error::new(
            ErrorKind::Conflict,
            "This token already belongs to another portal",
        )));
    }
    register_portal(conn, portal_id, now).await?;
    sqlx::query(
        "INSERT INTO tokens (id, token_hash, portal_id, scopes, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (token_hash) DO UPDATE SET revoked_at = NULL, scopes = excluded.scopes",
    )
    .bind(public_id(hash))
    .bind(hash)
    .bind(portal_id)
    .bind(scopes.join(" "))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let row =
        sqlx::query("SELECT id, portal_id, scopes, created_at FROM tokens WHERE token_hash = $1")
            .bind(hash)
            .fetch_one(&mut *conn)
            .await?;
    Ok((token_from_row(&row as &dyn Row)?, held.is_none()))
}

#[async_trait]
impl TokenStore for SqlStore {
    #[tracing::instrument(skip_all, fields(portal_id))]
    async fn put_token(
        &self,
        hash: &str,
        portal_id: PortalId,
        scopes: &[String],
    ) -> Result<TokenInfo> {
        let now = self.clock.now_ms();
        let (info, _) = write_tx!(self, |tx| {
            put_in(&mut tx, hash, portal_id, scopes, now).await?
        })?;
        Ok(info)
    }

    async fn find_token(&self, hash: &str) -> Result<Option<TokenInfo>> {
        let mut found = self
            .read_rows(
                "SELECT id, portal_id, scopes, created_at FROM tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                &[Arg::Str(hash)],
                token_from_row,
            )
            .await?;
        match found.pop() {
            Some(t) => Ok(Some(t)),
            None => crate::oauth::find_access_token(self, hash).await,
        }
    }

    async fn list_tokens(&self) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query(
            "SELECT id, portal_id, scopes, created_at FROM tokens WHERE revoked_at IS NULL ORDER BY created_at, id",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db_error)?;
        rows.iter().map(|r| token_from_row(r)).collect()
    }

    async fn revoke_token(&self, id: &str) -> Result<bool> {
        let done = write_tx!(self, |tx| {
            sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(self.clock.now_ms())
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        })?;
        Ok(done > 0)
    }
}
