//! Applying a fixture: every entry of the document in one write transaction, through the same
//! functions the API's writes use (label creation, limit writes, association batches), so the
//! same rules hold, limits included. The first bad entry fails the document with a validation
//! error that names it (`portals[0].associations[3]: …`) and the transaction rolls back.
//! Entries already in the database are left as they are, so applying a fixture twice changes
//! nothing the second time.

use crate::associations::{apply_batch, read_link_rows};
use crate::labels::{create_in, label_from_row, LABEL_COLUMNS};
use crate::outbox::ChangeMeta;
use crate::tokens::{put_in, register_portal};
use crate::{write_tx, Backend, SqlStore, TxError};
use assocd_core::apps::NewApp;
use assocd_core::events::ChangeSource;
use assocd_core::fixture::{
    app_path, entry_path, AppFixture, Fixture, FixtureAssociation, FixtureSummary, PortalFixture,
    TypeRef,
};
use assocd_core::limits::LimitInput;
use assocd_core::records::{EditOp, LinkEdit, TypeKey};
use assocd_core::store::{LimitOp, Result};
use assocd_core::{Category, Error, ErrorKind, NewLabel, Pair, PortalId, UserLabel};
use sqlx::AnyConnection;
use std::collections::HashSet;

pub(crate) async fn apply(
    store: &SqlStore,
    fixture: &Fixture,
    max_limit: i64,
) -> Result<FixtureSummary> {
    let now = store.clock.now_ms();
    let backend = store.backend;
    let meta = ChangeMeta {
        source: ChangeSource::fixture(),
        occurred_at: now,
    };
    let summary = write_tx!(store, |tx| {
        let mut summary = FixtureSummary::default();
        for (index, portal) in fixture.portals.iter().enumerate() {
            apply_portal(
                &mut tx,
                backend,
                index,
                portal,
                max_limit,
                &meta,
                &mut summary,
            )
            .await?;
        }
        for (index, app) in fixture.apps.iter().enumerate() {
            summary.apps += u64::from(apply_app(&mut tx, index, app, now).await?);
        }
        summary
    });
    store.outbox_signal.notify_one();
    summary
}

/// The error of entry `path`: a validation error whose message starts with the path, keeping
/// the cause's context. A database failure stays what it is.
fn at(path: String, e: TxError) -> TxError {
    match e {
        TxError::Domain(cause) => {
            let mut err = Error::validation(format!("{path}: {}", cause.message));
            err.context = cause.context;
            TxError::Domain(err.with("entry", [path]))
        }
        other => other,
    }
}

fn bad(path: String, message: String) -> TxError {
    at(path, TxError::Domain(Error::validation(message)))
}

async fn apply_portal(
    conn: &mut AnyConnection,
    backend: Backend,
    index: usize,
    p: &PortalFixture,
    max_limit: i64,
    meta: &ChangeMeta,
    summary: &mut FixtureSummary,
) -> Result<(), TxError> {
    let portal = p.portal_id;
    let now = meta.occurred_at;
    let known: Option<i64> = sqlx::query_scalar(
        "SELECT portal_id FROM portals WHERE portal_id = $1 AND deleted_at IS NULL",
    )
    .bind(portal)
    .fetch_optional(&mut *conn)
    .await?;
    if known.is_none() {
        summary.portals += 1;
    }
    register_portal(conn, portal, now).await?;
    if let Some(setting) = &p.rate_limits {
        crate::rate_limits::put_in(conn, portal, setting, now).await?;
    }

    for (i, t) in p.tokens.iter().enumerate() {
        let (_, created) = put_in(conn, &t.hash, portal, &t.scopes, now)
            .await
            .map_err(|e| at(entry_path(index, "tokens", i), e))?;
        summary.tokens += u64::from(created);
    }

    for (i, label) in p.labels.iter().enumerate() {
        let path = || entry_path(index, "labels", i);
        let existing = labels_named(conn, portal, &label.name).await?;
        if existing.is_empty() {
            create_in(conn, portal, label)
                .await
                .map_err(|e| at(path(), e))?;
            summary.labels += 1;
        } else if !same_label(&existing, label) {
            return Err(bad(
                path(),
                format!(
                    "a label named '{}' already exists in portal {portal} with another definition",
                    label.name
                ),
            ));
        }
    }

    for (i, limit) in p.limits.iter().enumerate() {
        let path = || entry_path(index, "limits", i);
        let key = resolve(conn, portal, &limit.pair, &limit.of)
            .await
            .map_err(|e| at(path(), e))?;
        let before: Option<i64> = sqlx::query_scalar(
            "SELECT max_to_object_ids FROM limits WHERE portal_id = $1 AND from_type = $2
               AND to_type = $3 AND category = $4 AND type_id = $5",
        )
        .bind(portal)
        .bind(limit.pair.from.as_str())
        .bind(limit.pair.to.as_str())
        .bind(key.category.as_str())
        .bind(key.type_id as i64)
        .fetch_optional(&mut *conn)
        .await?;
        let input = LimitInput {
            category: key.category,
            type_id: key.type_id,
            max_to_object_ids: limit.max,
        };
        let outcome = crate::limits::write_in(
            conn,
            portal,
            &limit.pair,
            LimitOp::Update,
            &[input],
            max_limit,
        )
        .await?
        .pop()
        .unwrap_or_else(|| Err(Error::internal("a limit input had no outcome")));
        outcome.map_err(|e| at(path(), TxError::Domain(e)))?;
        summary.limits += u64::from(before != Some(limit.max));
    }

    // Consecutive entries of one pair go as one batch, in document order.
    let mut start = 0;
    while start < p.associations.len() {
        let pair = &p.associations[start].pair;
        let end = p.associations[start..]
            .iter()
            .position(|a| a.pair != *pair)
            .map_or(p.associations.len(), |n| start + n);
        summary.associations += apply_associations(
            conn,
            backend,
            index,
            portal,
            start,
            &p.associations[start..end],
            meta,
        )
        .await?;
        start = end;
    }
    Ok(())
}

/// Applies a run of association entries of one pair; returns how many record pairs were not
/// associated before.
async fn apply_associations(
    conn: &mut AnyConnection,
    backend: Backend,
    index: usize,
    portal: PortalId,
    first: usize,
    run: &[FixtureAssociation],
    meta: &ChangeMeta,
) -> Result<u64, TxError> {
    let pair = &run[0].pair;
    let mut edits = Vec::with_capacity(run.len());
    for (i, a) in run.iter().enumerate() {
        let mut keys = Vec::with_capacity(a.types.len());
        for t in &a.types {
            let key = resolve(conn, portal, pair, t)
                .await
                .map_err(|e| at(entry_path(index, "associations", first + i), e))?;
            keys.push(key);
        }
        edits.push(LinkEdit {
            from: a.from,
            to: a.to,
            op: EditOp::Add(keys),
        });
    }
    let ids: Vec<_> = edits.iter().map(|e| (e.from, e.to)).collect();
    let mut linked = HashSet::new();
    read_link_rows(conn, backend, portal, pair, &ids, |f, t, _| {
        linked.insert((f, t));
    })
    .await?;
    let outcomes = apply_batch(conn, backend, portal, pair, &edits, false, meta).await?;
    for (i, outcome) in outcomes.into_iter().enumerate() {
        outcome.map_err(|e| {
            at(
                entry_path(index, "associations", first + i),
                TxError::Domain(e),
            )
        })?;
    }
    let mut new: HashSet<_> = ids.into_iter().collect();
    new.retain(|id| !linked.contains(id));
    Ok(new.len() as u64)
}

/// Both direction rows of the portal's label `name` (none when there is no such label).
async fn labels_named(
    conn: &mut AnyConnection,
    portal: PortalId,
    name: &str,
) -> Result<Vec<(UserLabel, bool)>, TxError> {
    let rows = sqlx::query(&format!(
        "SELECT {LABEL_COLUMNS}, is_forward FROM labels WHERE portal_id = $1 AND name = $2"
    ))
    .bind(portal)
    .bind(name)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let forward = crate::get_i64(r, "is_forward").map_err(TxError::Db)? == 1;
            Ok((label_from_row(r)?, forward))
        })
        .collect()
}

/// Whether the stored rows of a label are what `new` would create.
fn same_label(rows: &[(UserLabel, bool)], new: &NewLabel) -> bool {
    let inverse = new.inverse_label.as_deref().unwrap_or(&new.label);
    rows.iter().all(|(row, forward)| {
        if *forward {
            row.pair == new.pair && row.label.as_deref() == Some(new.label.as_str())
        } else {
            row.pair == new.pair.reversed() && row.label.as_deref() == Some(inverse)
        }
    }) && rows.iter().any(|(_, forward)| *forward)
}

/// The stored key of a type a fixture names, in direction `pair`.
async fn resolve(
    conn: &mut AnyConnection,
    portal: PortalId,
    pair: &Pair,
    t: &TypeRef,
) -> Result<TypeKey, TxError> {
    match t {
        TypeRef::Id(category, type_id) => Ok(TypeKey::new(*category, *type_id)),
        TypeRef::Label(name) => {
            let rows = labels_named(conn, portal, name).await?;
            rows.into_iter()
                .find(|(l, _)| l.pair == *pair)
                .map(|(l, _)| TypeKey::new(Category::UserDefined, l.type_id))
                .ok_or_else(|| {
                    TxError::Domain(Error::new(
                        ErrorKind::Validation,
                        format!(
                            "no label named '{name}' exists from {} to {} in portal {portal}",
                            pair.from, pair.to
                        ),
                    ))
                })
        }
    }
}

/// Applies one app entry; whether the app was created. A stored app of that id must have the
/// same secret and key; missing installs and subscriptions are added and settings set.
async fn apply_app(
    conn: &mut AnyConnection,
    index: usize,
    a: &AppFixture,
    now: i64,
) -> Result<bool, TxError> {
    let path = || app_path(index);
    let created = match crate::apps::app_in(conn, a.app_id).await? {
        None => {
            let new = NewApp {
                app_id: Some(a.app_id),
                client_secret: a.client_secret.clone(),
                key_hash: a.key_hash.clone(),
                client_id: a.client_id.clone(),
                redirect_uris: a.redirect_uris.clone(),
                scopes: a.scopes.clone(),
                portals: a.portals.clone(),
            };
            crate::apps::create_in(conn, &new, now)
                .await
                .map_err(|e| at(path(), e))?;
            true
        }
        Some(stored) => {
            let key = crate::apps::key_hash_of(conn, a.app_id).await?;
            if stored.client_secret != a.client_secret || key.as_deref() != Some(&a.key_hash) {
                return Err(bad(
                    path(),
                    format!(
                        "app {} already exists with another clientSecret or developerApiKey",
                        a.app_id
                    ),
                ));
            }
            if a.client_id.as_ref().is_some_and(|c| *c != stored.client_id) {
                return Err(bad(
                    path(),
                    format!("app {} already exists with another clientId", a.app_id),
                ));
            }
            crate::apps::set_oauth_in(conn, a.app_id, &a.redirect_uris, &a.scopes).await?;
            for portal in &a.portals {
                crate::apps::install_in(conn, a.app_id, *portal, now).await?;
            }
            false
        }
    };
    if let Some((url, max)) = &a.settings {
        crate::webhooks::put_settings_in(conn, a.app_id, url, *max, now)
            .await
            .map_err(|e| at(path(), e))?;
    }
    for (i, sub) in a.subscriptions.iter().enumerate() {
        if crate::webhooks::same_subscription(conn, a.app_id, sub)
            .await?
            .is_none()
        {
            crate::webhooks::create_subscription_in(conn, a.app_id, sub, now)
                .await
                .map_err(|e| at(format!("{}.subscriptions[{i}]", path()), e))?;
        }
    }
    Ok(created)
}
