//! OAuth codes and tokens of apps, by hash. A code is single-use: redeeming marks it used and
//! stores the tokens it buys in one transaction, so two racing exchanges cannot both win.
//! Uninstalling an app from a portal revokes its tokens there and drops its codes.

use crate::apps::{app_in, install_in, words};
use crate::read::{Arg, Row};
use crate::{db_error, get_i64, get_str, write_tx, SqlStore};
use assocd_core::apps::{App, AppId};
use assocd_core::oauth::{CodeGrant, NewOAuthToken, OAuthGrant, OAuthToken, TokenKind};
use assocd_core::store::{OAuthStore, Result};
use assocd_core::token::{public_id, TokenInfo};
use assocd_core::{Error, PortalId};
use async_trait::async_trait;
use sqlx::{AnyConnection, Row as _};

/// The live access token of that hash as a `TokenInfo` (expired ones too: the caller tells
/// an expired token from an unknown one).
pub(crate) async fn find_access_token(store: &SqlStore, hash: &str) -> Result<Option<TokenInfo>> {
    let mut found = store
        .read_rows(
            "SELECT id, portal_id, scopes, created_at, app_id, expires_at FROM oauth_tokens
             WHERE token_hash = $1 AND kind = 'access' AND revoked_at IS NULL",
            &[Arg::Str(hash)],
            |row: &dyn Row| {
                Ok(TokenInfo {
                    id: row.str(0)?,
                    portal_id: row.i64(1)?,
                    scopes: words(&row.str(2)?),
                    created_at_ms: row.i64(3)?,
                    oauth: Some(OAuthGrant {
                        app_id: row.i64(4)?,
                        expires_at_ms: row.i64(5)?,
                    }),
                })
            },
        )
        .await?;
    Ok(found.pop())
}

/// Revokes the app's tokens in `portal` and drops its codes there, inside the caller's
/// transaction.
pub(crate) async fn revoke_install(
    conn: &mut AnyConnection,
    app_id: AppId,
    portal: PortalId,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE oauth_tokens SET revoked_at = $1
         WHERE app_id = $2 AND portal_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(app_id)
    .bind(portal)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM oauth_codes WHERE app_id = $1 AND portal_id = $2")
        .bind(app_id)
        .bind(portal)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn insert_tokens(
    conn: &mut AnyConnection,
    tokens: &[NewOAuthToken],
    now: i64,
) -> Result<(), sqlx::Error> {
    for t in tokens {
        sqlx::query(
            "INSERT INTO oauth_tokens (token_hash, id, kind, app_id, portal_id, scopes, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&t.hash)
        .bind(public_id(&t.hash))
        .bind(t.kind.as_str())
        .bind(t.app_id)
        .bind(t.portal_id)
        .bind(t.scopes.join(" "))
        .bind(now)
        .bind(t.expires_at_ms)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn code_from_row(row: &sqlx::any::AnyRow) -> Result<CodeGrant, sqlx::Error> {
    Ok(CodeGrant {
        app_id: get_i64(row, "app_id")?,
        portal_id: get_i64(row, "portal_id")?,
        scopes: words(&get_str(row, "scopes")?),
        redirect_uri: get_str(row, "redirect_uri")?,
        expires_at_ms: get_i64(row, "expires_at")?,
        used: row.try_get::<Option<i64>, _>("used_at")?.is_some(),
    })
}

fn token_from_row(row: &sqlx::any::AnyRow) -> Result<OAuthToken> {
    let kind = get_str(row, "kind").map_err(db_error)?;
    Ok(OAuthToken {
        id: get_str(row, "id").map_err(db_error)?,
        kind: TokenKind::parse(&kind)
            .ok_or_else(|| Error::internal(format!("unknown OAuth token kind '{kind}'")))?,
        app_id: get_i64(row, "app_id").map_err(db_error)?,
        portal_id: row.try_get("portal_id").map_err(db_error)?,
        scopes: words(&get_str(row, "scopes").map_err(db_error)?),
        created_at_ms: get_i64(row, "created_at").map_err(db_error)?,
        expires_at_ms: row.try_get("expires_at").map_err(db_error)?,
    })
}

#[async_trait]
impl OAuthStore for SqlStore {
    async fn app_for_client(&self, client_id: &str) -> Result<Option<App>> {
        let mut conn = self.read.acquire().await.map_err(db_error)?;
        let id: Option<i64> = sqlx::query_scalar("SELECT app_id FROM apps WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_error)?;
        match id {
            Some(id) => app_in(&mut conn, id).await.map_err(db_error),
            None => Ok(None),
        }
    }

    #[tracing::instrument(skip_all, fields(app_id = grant.app_id, portal_id = grant.portal_id))]
    async fn authorize(&self, code_hash: &str, grant: &CodeGrant) -> Result<Option<()>> {
        let now = self.clock.now_ms();
        write_tx!(self, |tx| {
            if app_in(&mut tx, grant.app_id).await?.is_none() {
                None
            } else {
                install_in(&mut tx, grant.app_id, grant.portal_id, now).await?;
                sqlx::query(
                    "INSERT INTO oauth_codes (code_hash, app_id, portal_id, scopes, redirect_uri, expires_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(code_hash)
                .bind(grant.app_id)
                .bind(grant.portal_id)
                .bind(grant.scopes.join(" "))
                .bind(&grant.redirect_uri)
                .bind(grant.expires_at_ms)
                .execute(&mut *tx)
                .await?;
                Some(())
            }
        })
    }

    async fn find_code(&self, code_hash: &str) -> Result<Option<CodeGrant>> {
        let row = sqlx::query(
            "SELECT app_id, portal_id, scopes, redirect_uri, expires_at, used_at FROM oauth_codes WHERE code_hash = $1",
        )
        .bind(code_hash)
        .fetch_optional(&self.read)
        .await
        .map_err(db_error)?;
        row.map(|r| code_from_row(&r)).transpose().map_err(db_error)
    }

    #[tracing::instrument(skip_all)]
    async fn redeem_code(&self, code_hash: &str, tokens: &[NewOAuthToken]) -> Result<bool> {
        let now = self.clock.now_ms();
        write_tx!(self, |tx| {
            // The install must still be there: an uninstall drops codes, but check anyway.
            let done = sqlx::query(
                "UPDATE oauth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL
                 AND EXISTS (SELECT 1 FROM app_installs i
                             WHERE i.app_id = oauth_codes.app_id AND i.portal_id = oauth_codes.portal_id)",
            )
            .bind(now)
            .bind(code_hash)
            .execute(&mut *tx)
            .await?;
            let won = done.rows_affected() > 0;
            if won {
                insert_tokens(&mut tx, tokens, now).await?;
            }
            won
        })
    }

    #[tracing::instrument(skip_all)]
    async fn put_oauth_tokens(&self, tokens: &[NewOAuthToken]) -> Result<()> {
        let now = self.clock.now_ms();
        write_tx!(self, |tx| insert_tokens(&mut tx, tokens, now).await?)
    }

    async fn find_oauth_token(&self, hash: &str) -> Result<Option<OAuthToken>> {
        let row = sqlx::query(
            "SELECT id, kind, app_id, portal_id, scopes, created_at, expires_at FROM oauth_tokens
             WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(hash)
        .fetch_optional(&self.read)
        .await
        .map_err(db_error)?;
        row.map(|r| token_from_row(&r)).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_oauth_token(&self, hash: &str) -> Result<bool> {
        let now = self.clock.now_ms();
        write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE oauth_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(hash)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                > 0
        })
    }
}
