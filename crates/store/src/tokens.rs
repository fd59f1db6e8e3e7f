//! Tokens: stored by hash, looked up on every request.

use crate::read::{Arg, Row};
use crate::{db_error, now_ms, write_tx, SqlStore};
use assocd_core::store::{Result, TokenStore};
use assocd_core::token::{public_id, TokenInfo};
use assocd_core::PortalId;
use async_trait::async_trait;

/// A row of `SELECT id, portal_id, scopes, created_at FROM tokens …`.
fn token_from_row(row: &dyn Row) -> Result<TokenInfo> {
    Ok(TokenInfo {
        id: row.str(0)?,
        portal_id: row.i64(1)?,
        scopes: row.str(2)?.split_whitespace().map(str::to_string).collect(),
        created_at_ms: row.i64(3)?,
    })
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
        let row = write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO tokens (id, token_hash, portal_id, scopes, created_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (token_hash) DO UPDATE SET revoked_at = NULL",
            )
            .bind(public_id(hash))
            .bind(hash)
            .bind(portal_id)
            .bind(scopes.join(" "))
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "SELECT id, portal_id, scopes, created_at FROM tokens WHERE token_hash = $1",
            )
            .bind(hash)
            .fetch_one(&mut *tx)
            .await?
        })?;
        token_from_row(&row as &dyn Row)
    }

    async fn find_token(&self, hash: &str) -> Result<Option<TokenInfo>> {
        let mut found = self
            .read_rows(
                "SELECT id, portal_id, scopes, created_at FROM tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                &[Arg::Str(hash)],
                token_from_row,
            )
            .await?;
        Ok(found.pop())
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
                .bind(now_ms())
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        })?;
        Ok(done > 0)
    }
}
