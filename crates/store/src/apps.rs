//! Apps and their installs. An app's id and its developer key are unique; ids come from a
//! counter that never hands one out twice (an app created with an explicit id moves the
//! counter past it).

use crate::tokens::register_portal;
use crate::{db_error, get_i64, get_str, write_tx, SqlStore, TxError};
use assocd_core::apps::{App, AppId, NewApp, MAX_ID};
use assocd_core::store::{AppStore, Result};
use assocd_core::{Error, ErrorKind, PortalId};
use async_trait::async_trait;
use sqlx::AnyConnection;

/// The next value of counter `name` (at least `floor`), which moves on by one.
pub(crate) async fn next_id(
    conn: &mut AnyConnection,
    name: &str,
    floor: i64,
) -> Result<i64, sqlx::Error> {
    let next: Option<i64> = sqlx::query_scalar("SELECT next_id FROM id_counters WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    let id = next.unwrap_or(floor).max(floor);
    bump_counter(conn, name, id + 1).await?;
    Ok(id)
}

/// Makes sure counter `name` hands out nothing below `next`.
pub(crate) async fn bump_counter(
    conn: &mut AnyConnection,
    name: &str,
    next: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO id_counters (name, next_id) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET next_id = CASE
             WHEN excluded.next_id > id_counters.next_id THEN excluded.next_id
             ELSE id_counters.next_id END",
    )
    .bind(name)
    .bind(next)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The app `app_id` with its installs, read on `conn`.
pub(crate) async fn app_in(
    conn: &mut AnyConnection,
    app_id: AppId,
) -> Result<Option<App>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT app_id, client_secret, client_id, redirect_uris, scopes, created_at FROM apps WHERE app_id = $1",
    )
    .bind(app_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let portals: Vec<i64> = sqlx::query_scalar(
        "SELECT portal_id FROM app_installs WHERE app_id = $1 ORDER BY portal_id",
    )
    .bind(app_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(App {
        app_id: get_i64(&row, "app_id")?,
        client_secret: get_str(&row, "client_secret")?,
        client_id: get_str(&row, "client_id")?,
        redirect_uris: words(&get_str(&row, "redirect_uris")?),
        scopes: words(&get_str(&row, "scopes")?),
        portals,
        created_at_ms: get_i64(&row, "created_at")?,
    }))
}

/// Installs `app_id` in `portal` (registering the portal) inside the caller's transaction;
/// whether the install is new.
pub(crate) async fn install_in(
    conn: &mut AnyConnection,
    app_id: AppId,
    portal: PortalId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    register_portal(conn, portal, now).await?;
    let done = sqlx::query(
        "INSERT INTO app_installs (app_id, portal_id, installed_at) VALUES ($1, $2, $3)
         ON CONFLICT (app_id, portal_id) DO NOTHING",
    )
    .bind(app_id)
    .bind(portal)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A space-separated list as stored.
pub(crate) fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn conflict(message: String) -> TxError {
    TxError::Domain(Error::new(ErrorKind::Conflict, message))
}

/// Creates an app inside the caller's transaction.
pub(crate) async fn create_in(
    conn: &mut AnyConnection,
    new: &NewApp,
    now: i64,
) -> Result<App, TxError> {
    let holder: Option<i64> =
        sqlx::query_scalar("SELECT app_id FROM apps WHERE developer_key_hash = $1")
            .bind(&new.key_hash)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(other) = holder {
        return Err(conflict(format!(
            "This developer API key already belongs to app {other}"
        )));
    }
    let app_id = match new.app_id {
        Some(id) => {
            if app_in(conn, id).await?.is_some() {
                return Err(conflict(format!("An app with id {id} already exists")));
            }
            bump_counter(conn, "app", id + 1).await?;
            id
        }
        None => loop {
            let id = next_id(conn, "app", 1).await?;
            if id > MAX_ID {
                return Err(TxError::Domain(Error::validation(
                    "No app id is left in the int32 range; give appId explicitly",
                )));
            }
            if app_in(conn, id).await?.is_none() {
                break id;
            }
        },
    };
    let client_id = new.client_id.clone().unwrap_or_else(|| app_id.to_string());
    let holder: Option<i64> = sqlx::query_scalar("SELECT app_id FROM apps WHERE client_id = $1")
        .bind(&client_id)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(other) = holder {
        return Err(conflict(format!(
            "The client id '{client_id}' already belongs to app {other}"
        )));
    }
    sqlx::query(
        "INSERT INTO apps (app_id, client_secret, developer_key_hash, created_at, client_id, redirect_uris, scopes)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(app_id)
    .bind(&new.client_secret)
    .bind(&new.key_hash)
    .bind(now)
    .bind(&client_id)
    .bind(new.redirect_uris.join(" "))
    .bind(new.scopes.join(" "))
    .execute(&mut *conn)
    .await?;
    for portal in &new.portals {
        install_in(conn, app_id, *portal, now).await?;
    }
    app_in(conn, app_id)
        .await?
        .ok_or_else(|| TxError::Domain(Error::internal("a created app vanished")))
}

/// Replaces an app's redirect URIs and scopes (each only when the list is not empty).
pub(crate) async fn set_oauth_in(
    conn: &mut AnyConnection,
    app_id: AppId,
    redirect_uris: &[String],
    scopes: &[String],
) -> Result<(), sqlx::Error> {
    for (column, list) in [("redirect_uris", redirect_uris), ("scopes", scopes)] {
        if !list.is_empty() {
            sqlx::query(&format!("UPDATE apps SET {column} = $1 WHERE app_id = $2"))
                .bind(list.join(" "))
                .bind(app_id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// The key hash of a stored app.
pub(crate) async fn key_hash_of(
    conn: &mut AnyConnection,
    app_id: AppId,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT developer_key_hash FROM apps WHERE app_id = $1")
        .bind(app_id)
        .fetch_optional(&mut *conn)
        .await
}

#[async_trait]
impl AppStore for SqlStore {
    #[tracing::instrument(skip(self))]
    async fn create_app(&self, new: &NewApp) -> Result<App> {
        let now = self.clock.now_ms();
        write_tx!(self, |tx| { create_in(&mut tx, new, now).await? })
    }

    async fn list_apps(&self) -> Result<Vec<App>> {
        let mut conn = self.read.acquire().await.map_err(db_error)?;
        let ids: Vec<i64> = sqlx::query_scalar("SELECT app_id FROM apps ORDER BY app_id")
            .fetch_all(&mut *conn)
            .await
            .map_err(db_error)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(app) = app_in(&mut conn, id).await.map_err(db_error)? {
                out.push(app);
            }
        }
        Ok(out)
    }

    async fn get_app(&self, app_id: AppId) -> Result<Option<App>> {
        let mut conn = self.read.acquire().await.map_err(db_error)?;
        app_in(&mut conn, app_id).await.map_err(db_error)
    }

    #[tracing::instrument(skip(self))]
    async fn delete_app(&self, app_id: AppId) -> Result<bool> {
        write_tx!(self, |tx| {
            let known = app_in(&mut tx, app_id).await?.is_some();
            if known {
                crate::outbox::drop_deliveries(&mut tx, app_id, None, false).await?;
                for table in [
                    "oauth_codes",
                    "oauth_tokens",
                    "app_installs",
                    "webhook_settings",
                    "webhook_subscriptions",
                    "apps",
                ] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE app_id = $1"))
                        .bind(app_id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            known
        })
    }

    #[tracing::instrument(skip(self))]
    async fn install_app(&self, app_id: AppId, portal: PortalId) -> Result<Option<bool>> {
        let now = self.clock.now_ms();
        write_tx!(self, |tx| {
            match app_in(&mut tx, app_id).await? {
                None => None,
                Some(_) => Some(install_in(&mut tx, app_id, portal, now).await?),
            }
        })
    }

    #[tracing::instrument(skip(self))]
    async fn uninstall_app(&self, app_id: AppId, portal: PortalId) -> Result<Option<bool>> {
        write_tx!(self, |tx| {
            match app_in(&mut tx, app_id).await? {
                None => None,
                Some(_) => {
                    crate::outbox::drop_deliveries(&mut tx, app_id, Some(portal), true).await?;
                    crate::oauth::revoke_install(&mut tx, app_id, portal, self.clock.now_ms())
                        .await?;
                    let done = sqlx::query(
                        "DELETE FROM app_installs WHERE app_id = $1 AND portal_id = $2",
                    )
                    .bind(app_id)
                    .bind(portal)
                    .execute(&mut *tx)
                    .await?;
                    Some(done.rows_affected() > 0)
                }
            }
        })
    }

    async fn app_for_key(&self, key_hash: &str) -> Result<Option<AppId>> {
        sqlx::query_scalar("SELECT app_id FROM apps WHERE developer_key_hash = $1")
            .bind(key_hash)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)
    }
}
