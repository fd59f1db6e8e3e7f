//! Webhook settings and subscriptions of apps (HubSpot's webhooks v3 management API).

use crate::apps::{app_in, next_id};
use crate::{db_error, get_i64, get_opt_str, get_str, write_tx, SqlStore, TxError};
use assocd_core::apps::{
    AppId, NewSubscription, Subscription, SubscriptionId, WebhookSettings, MAX_ID,
    MAX_SUBSCRIPTIONS_PER_APP,
};
use assocd_core::store::{Result, WebhookStore};
use assocd_core::{Error, ErrorKind};
use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

const SUBSCRIPTION_COLUMNS: &str = "subscription_id, app_id, event_type, property_name, \
     object_type_id, active, created_at, updated_at";

fn subscription_from_row(row: &AnyRow) -> Result<Subscription, sqlx::Error> {
    Ok(Subscription {
        id: get_i64(row, "subscription_id")?,
        app_id: get_i64(row, "app_id")?,
        event_type: get_str(row, "event_type")?,
        property_name: get_opt_str(row, "property_name")?,
        object_type_id: get_opt_str(row, "object_type_id")?,
        active: get_i64(row, "active")? != 0,
        created_at_ms: get_i64(row, "created_at")?,
        updated_at_ms: get_i64(row, "updated_at")?,
    })
}

fn settings_from_row(row: &AnyRow) -> Result<WebhookSettings, sqlx::Error> {
    Ok(WebhookSettings {
        target_url: get_str(row, "target_url")?,
        max_concurrent_requests: get_i64(row, "max_concurrent_requests")?,
        created_at_ms: get_i64(row, "created_at")?,
        updated_at_ms: get_i64(row, "updated_at")?,
    })
}

async fn settings_in(
    conn: &mut AnyConnection,
    app_id: AppId,
) -> Result<Option<WebhookSettings>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT target_url, max_concurrent_requests, created_at, updated_at
         FROM webhook_settings WHERE app_id = $1",
    )
    .bind(app_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(settings_from_row).transpose()
}

pub(crate) async fn subscription_in(
    conn: &mut AnyConnection,
    app_id: AppId,
    id: SubscriptionId,
) -> Result<Option<Subscription>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions
         WHERE app_id = $1 AND subscription_id = $2"
    ))
    .bind(app_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(subscription_from_row).transpose()
}

fn no_app(app_id: AppId) -> TxError {
    TxError::Domain(Error::not_found(format!("No app with id {app_id} exists")))
}

/// Creates or replaces an app's settings inside the caller's transaction.
pub(crate) async fn put_settings_in(
    conn: &mut AnyConnection,
    app_id: AppId,
    target_url: &str,
    max_concurrent: i64,
    now: i64,
) -> Result<WebhookSettings, TxError> {
    if app_in(conn, app_id).await?.is_none() {
        return Err(no_app(app_id));
    }
    sqlx::query(
        "INSERT INTO webhook_settings (app_id, target_url, max_concurrent_requests, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (app_id) DO UPDATE SET target_url = excluded.target_url,
             max_concurrent_requests = excluded.max_concurrent_requests,
             updated_at = excluded.updated_at",
    )
    .bind(app_id)
    .bind(target_url)
    .bind(max_concurrent)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    settings_in(conn, app_id)
        .await?
        .ok_or_else(|| TxError::Domain(Error::internal("stored settings vanished")))
}

/// The app's subscription with the same event type, object type and property, if any.
pub(crate) async fn same_subscription(
    conn: &mut AnyConnection,
    app_id: AppId,
    new: &NewSubscription,
) -> Result<Option<Subscription>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions
         WHERE app_id = $1 AND event_type = $2
           AND COALESCE(property_name, '') = $3 AND COALESCE(object_type_id, '') = $4
         LIMIT 1"
    ))
    .bind(app_id)
    .bind(&new.event_type)
    .bind(new.property_name.clone().unwrap_or_default())
    .bind(new.object_type_id.clone().unwrap_or_default())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(subscription_from_row).transpose()
}

/// Creates a subscription inside the caller's transaction.
pub(crate) async fn create_subscription_in(
    conn: &mut AnyConnection,
    app_id: AppId,
    new: &NewSubscription,
    now: i64,
) -> Result<Subscription, TxError> {
    if app_in(conn, app_id).await?.is_none() {
        return Err(no_app(app_id));
    }
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM webhook_subscriptions WHERE app_id = $1")
            .bind(app_id)
            .fetch_one(&mut *conn)
            .await?;
    if count >= MAX_SUBSCRIPTIONS_PER_APP {
        return Err(TxError::Domain(Error::validation(format!(
            "Couldn't create another subscription. You've reached the maximum number allowed per application ({MAX_SUBSCRIPTIONS_PER_APP})."
        ))));
    }
    if let Some(existing) = same_subscription(conn, app_id, new).await? {
        return Err(TxError::Domain(
            Error::new(
                ErrorKind::Conflict,
                format!(
                    "A subscription to {} already exists for this app (id {})",
                    new.event_type, existing.id
                ),
            )
            .with("subscriptionId", [existing.id.to_string()]),
        ));
    }
    let id = next_id(conn, "subscription", 1).await?;
    if id > MAX_ID {
        return Err(TxError::Domain(Error::internal(
            "subscription ids are exhausted",
        )));
    }
    sqlx::query(
        "INSERT INTO webhook_subscriptions (subscription_id, app_id, event_type, property_name,
             object_type_id, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(id)
    .bind(app_id)
    .bind(&new.event_type)
    .bind(new.property_name.clone())
    .bind(new.object_type_id.clone())
    .bind(i64::from(new.active))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    subscription_in(conn, app_id, id)
        .await?
        .ok_or_else(|| TxError::Domain(Error::internal("a created subscription vanished")))
}

#[async_trait]
impl WebhookStore for SqlStore {
    async fn webhook_settings(&self, app_id: AppId) -> Result<Option<WebhookSettings>> {
        let mut conn = self.read.acquire().await.map_err(db_error)?;
        settings_in(&mut conn, app_id).await.map_err(db_error)
    }

    #[tracing::instrument(skip(self))]
    async fn put_webhook_settings(
        &self,
        app_id: AppId,
        target_url: &str,
        max_concurrent_requests: i64,
    ) -> Result<WebhookSettings> {
        let now = self.clock.now_ms();
        write_tx!(self, |tx| {
            put_settings_in(&mut tx, app_id, target_url, max_concurrent_requests, now).await?
        })
    }

    #[tracing::instrument(skip(self))]
    async fn delete_webhook_settings(&self, app_id: AppId) -> Result<bool> {
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM webhook_settings WHERE app_id = $1")
                .bind(app_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                > 0
        })
    }

    async fn list_subscriptions(&self, app_id: AppId) -> Result<Vec<Subscription>> {
        let rows = sqlx::query(&format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE app_id = $1
             ORDER BY subscription_id"
        ))
        .bind(app_id)
        .fetch_all(&self.read)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(subscription_from_row)
            .collect::<Result<_, _>>()
            .map_err(db_error)
    }

    #[tracing::instrument(skip(self))]
    async fn create_subscription(
        &self,
        app_id: AppId,
        new: &NewSubscription,
    ) -> Result<Subscription> {
        let now = self.clock.now_ms();
        write_tx!(self, |tx| {
            create_subscription_in(&mut tx, app_id, new, now).await?
        })
    }

    async fn subscription(
        &self,
        app_id: AppId,
        id: SubscriptionId,
    ) -> Result<Option<Subscription>> {
        let mut conn = self.read.acquire().await.map_err(db_error)?;
        subscription_in(&mut conn, app_id, id)
            .await
            .map_err(db_error)
    }

    #[tracing::instrument(skip(self, changes), fields(n = changes.len()))]
    async fn set_subscriptions_active(
        &self,
        app_id: AppId,
        changes: &[(SubscriptionId, bool)],
    ) -> Result<Vec<Result<Subscription>>> {
        let now = self.clock.now_ms();
        write_tx!(self, |tx| {
            let mut out = Vec::with_capacity(changes.len());
            for (id, active) in changes {
                let done = sqlx::query(
                    "UPDATE webhook_subscriptions SET active = $1, updated_at = $2
                     WHERE app_id = $3 AND subscription_id = $4",
                )
                .bind(i64::from(*active))
                .bind(now)
                .bind(app_id)
                .bind(*id)
                .execute(&mut *tx)
                .await?;
                let found = if done.rows_affected() > 0 {
                    subscription_in(&mut tx, app_id, *id).await?
                } else {
                    None
                };
                out.push(found.ok_or_else(|| {
                    Error::not_found(format!("Failed to find subscriptions by id `{id}`."))
                        .with("subscriptionIds", [id.to_string()])
                }));
            }
            out
        })
    }

    #[tracing::instrument(skip(self))]
    async fn delete_subscription(&self, app_id: AppId, id: SubscriptionId) -> Result<bool> {
        write_tx!(self, |tx| {
            sqlx::query(
                "DELETE FROM webhook_subscriptions WHERE app_id = $1 AND subscription_id = $2",
            )
            .bind(app_id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                > 0
        })
    }
}
