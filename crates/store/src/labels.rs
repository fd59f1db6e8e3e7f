//! USER_DEFINED association types (labels): one row per direction.

use crate::outbox::{record_removal, ChangeMeta, Removal};
use crate::read::{Arg, Row};
use crate::{write_tx, SqlStore, TxError, FIRST_USER_TYPE_ID};
use assocd_core::events::ChangeSource;
use assocd_core::store::{LabelStore, Result};
use assocd_core::{
    builtin, Error, ErrorKind, LabelRename, NewLabel, ObjectType, Pair, PortalId, TypeId, UserLabel,
};
use async_trait::async_trait;
use sqlx::AnyConnection;

/// HubSpot's cap on labels between two objects (a paired label counts once).
pub const MAX_LABELS_PER_PAIR: i64 = 50;

/// The columns `label_from_row` reads, in its order.
pub(crate) const LABEL_COLUMNS: &str = "type_id, inverse_type_id, from_type, to_type, name, label";

pub(crate) fn label_from_row(row: &dyn Row) -> Result<UserLabel, Error> {
    Ok(UserLabel {
        type_id: row.i64(0)? as TypeId,
        inverse_type_id: row.i64(1)? as TypeId,
        pair: Pair::new(
            ObjectType::from_stored(&row.str(2)?),
            ObjectType::from_stored(&row.str(3)?),
        ),
        name: row.str(4)?,
        label: row.opt_str(5)?,
    })
}

/// The label row `type_id` when it belongs to `pair` in either direction.
async fn find_in_pair(
    conn: &mut AnyConnection,
    portal: PortalId,
    pair: &Pair,
    type_id: TypeId,
) -> Result<Option<UserLabel>, TxError> {
    let row = sqlx::query(&format!(
        "SELECT {LABEL_COLUMNS} FROM labels WHERE portal_id = $1 AND type_id = $2
           AND ((from_type = $3 AND to_type = $4) OR (from_type = $4 AND to_type = $3))"
    ))
    .bind(portal)
    .bind(type_id as i64)
    .bind(pair.from.as_str())
    .bind(pair.to.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.as_ref().map(|r| label_from_row(r)).transpose()?)
}

/// Hands out `count` fresh type ids for the portal, skipping built-in ids.
async fn allocate_ids(
    conn: &mut AnyConnection,
    portal: PortalId,
    count: usize,
) -> Result<Vec<TypeId>, sqlx::Error> {
    let next: Option<i64> =
        sqlx::query_scalar("SELECT next_type_id FROM portal_counters WHERE portal_id = $1")
            .bind(portal)
            .fetch_optional(&mut *conn)
            .await?;
    let mut candidate = next.unwrap_or(FIRST_USER_TYPE_ID);
    let mut ids = Vec::with_capacity(count);
    while ids.len() < count {
        if !builtin::is_builtin_id(candidate as TypeId) {
            ids.push(candidate as TypeId);
        }
        candidate += 1;
    }
    sqlx::query(
        "INSERT INTO portal_counters (portal_id, next_type_id) VALUES ($1, $2)
         ON CONFLICT (portal_id) DO UPDATE SET next_type_id = excluded.next_type_id",
    )
    .bind(portal)
    .bind(candidate)
    .execute(&mut *conn)
    .await?;
    Ok(ids)
}

async fn insert_row(
    conn: &mut AnyConnection,
    portal: PortalId,
    l: &UserLabel,
    is_forward: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO labels (portal_id, type_id, inverse_type_id, from_type, to_type, name, label, is_forward)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(portal)
    .bind(l.type_id as i64)
    .bind(l.inverse_type_id as i64)
    .bind(l.pair.from.as_str())
    .bind(l.pair.to.as_str())
    .bind(&l.name)
    .bind(l.label.clone())
    .bind(is_forward as i64)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Creates the two rows (or one, for a same-object type shared by both directions).
async fn insert_pair(
    conn: &mut AnyConnection,
    portal: PortalId,
    pair: &Pair,
    name: &str,
    label: Option<String>,
    inverse_label: Option<String>,
    shared: bool,
) -> Result<Vec<UserLabel>, sqlx::Error> {
    let ids = allocate_ids(conn, portal, if shared { 1 } else { 2 }).await?;
    let (fwd_id, inv_id) = (ids[0], *ids.last().unwrap_or(&ids[0]));
    let forward = UserLabel {
        type_id: fwd_id,
        inverse_type_id: inv_id,
        pair: pair.clone(),
        name: name.to_string(),
        label,
    };
    insert_row(conn, portal, &forward, true).await?;
    let mut out = vec![forward];
    if !shared {
        let inverse = UserLabel {
            type_id: inv_id,
            inverse_type_id: fwd_id,
            pair: pair.reversed(),
            name: name.to_string(),
            label: inverse_label,
        };
        insert_row(conn, portal, &inverse, false).await?;
        out.push(inverse);
    }
    Ok(out)
}

fn pair_clause() -> &'static str {
    "((from_type = $2 AND to_type = $3) OR (from_type = $3 AND to_type = $2))"
}

/// Creates a label inside the caller's transaction (the name is free, the pair under its cap).
pub(crate) async fn create_in(
    conn: &mut AnyConnection,
    portal: PortalId,
    new: &NewLabel,
) -> Result<Vec<UserLabel>, TxError> {
    let taken: Option<i64> =
        sqlx::query_scalar("SELECT type_id FROM labels WHERE portal_id = $1 AND name = $2 LIMIT 1")
            .bind(portal)
            .bind(&new.name)
            .fetch_optional(&mut *conn)
            .await?;
    if taken.is_some() {
        return Err(TxError::Domain(
            Error::new(
                ErrorKind::Conflict,
                format!(
                    "An association label with name '{}' already exists",
                    new.name
                ),
            )
            .with("name", [new.name.clone()]),
        ));
    }
    let existing: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM labels WHERE portal_id = $1 AND is_forward = 1 AND label IS NOT NULL AND {}",
        pair_clause()
    ))
    .bind(portal)
    .bind(new.pair.from.as_str())
    .bind(new.pair.to.as_str())
    .fetch_one(&mut *conn)
    .await?;
    if existing >= MAX_LABELS_PER_PAIR {
        return Err(TxError::Domain(Error::new(
            ErrorKind::TooManyTypes,
            format!(
                "No more than {MAX_LABELS_PER_PAIR} association types are allowed between {} and {}",
                new.pair.from, new.pair.to
            ),
        )));
    }
    // A pair without a built-in plain type (custom objects) gets a plain USER_DEFINED
    // type with its first label, as HubSpot does.
    if builtin::default_for(&new.pair).is_none() {
        let plain: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM labels WHERE portal_id = $1 AND label IS NULL AND {}",
            pair_clause()
        ))
        .bind(portal)
        .bind(new.pair.from.as_str())
        .bind(new.pair.to.as_str())
        .fetch_one(&mut *conn)
        .await?;
        if plain == 0 {
            let shared = new.pair.from == new.pair.to;
            let name = format!("{}_{}_unlabeled", new.pair.from, new.pair.to).replace('-', "_");
            insert_pair(
                &mut *conn,
                portal,
                &new.pair,
                &format!("_{name}"),
                None,
                None,
                shared,
            )
            .await?;
        }
    }
    let shared = new.pair.from == new.pair.to && new.inverse_label.is_none();
    let inverse_text = new
        .inverse_label
        .clone()
        .unwrap_or_else(|| new.label.clone());
    Ok(insert_pair(
        &mut *conn,
        portal,
        &new.pair,
        &new.name,
        Some(new.label.clone()),
        Some(inverse_text),
        shared,
    )
    .await?)
}

#[async_trait]
impl LabelStore for SqlStore {
    async fn list_labels(&self, portal: PortalId, pair: &Pair) -> Result<Vec<UserLabel>> {
        self.read_rows(
            &format!(
                "SELECT {LABEL_COLUMNS} FROM labels WHERE portal_id = $1 AND from_type = $2 AND to_type = $3 ORDER BY type_id"
            ),
            &[
                Arg::I64(portal),
                Arg::Str(pair.from.as_str()),
                Arg::Str(pair.to.as_str()),
            ],
            label_from_row,
        )
        .await
    }

    // Label names come from request bodies: never in a span.
    #[tracing::instrument(skip(self, new), fields(portal))]
    async fn create_label(&self, portal: PortalId, new: &NewLabel) -> Result<Vec<UserLabel>> {
        write_tx!(self, |tx| { create_in(&mut tx, portal, new).await? })
    }

    #[tracing::instrument(skip(self, rename), fields(portal))]
    async fn rename_label(&self, portal: PortalId, rename: &LabelRename) -> Result<()> {
        write_tx!(self, |tx| {
            let row = find_in_pair(&mut tx, portal, &rename.pair, rename.type_id)
                .await?
                .ok_or_else(|| not_found(rename.type_id))?;
            if row.label.is_none() {
                return Err(TxError::Domain(
                    Error::validation(format!(
                        "Association type {} has no label to update",
                        rename.type_id
                    ))
                    .with("associationTypeId", [rename.type_id.to_string()]),
                ));
            }
            let set = "UPDATE labels SET label = $1 WHERE portal_id = $2 AND type_id = $3";
            sqlx::query(set)
                .bind(&rename.label)
                .bind(portal)
                .bind(row.type_id as i64)
                .execute(&mut *tx)
                .await?;
            if row.inverse_type_id != row.type_id {
                let other = rename
                    .inverse_label
                    .clone()
                    .unwrap_or_else(|| rename.label.clone());
                sqlx::query(set)
                    .bind(other)
                    .bind(portal)
                    .bind(row.inverse_type_id as i64)
                    .execute(&mut *tx)
                    .await?;
            }
        })
    }

    #[tracing::instrument(skip(self), fields(portal))]
    async fn delete_label(
        &self,
        portal: PortalId,
        pair: &Pair,
        type_id: TypeId,
        source: &ChangeSource,
    ) -> Result<()> {
        let meta = ChangeMeta {
            source: source.clone(),
            occurred_at: self.clock.now_ms(),
        };
        let deleted = write_tx!(self, |tx| {
            let row = find_in_pair(&mut tx, portal, pair, type_id)
                .await?
                .ok_or_else(|| not_found(type_id))?;
            if row.label.is_none() {
                let labelled: i64 = sqlx::query_scalar(&format!(
                    "SELECT COUNT(*) FROM labels WHERE portal_id = $1 AND label IS NOT NULL AND {}",
                    pair_clause()
                ))
                .bind(portal)
                .bind(row.pair.from.as_str())
                .bind(row.pair.to.as_str())
                .fetch_one(&mut *tx)
                .await?;
                if labelled > 0 {
                    return Err(TxError::Domain(Error::validation(format!(
                        "Definition with label still exists; Cannot delete unlabeled type with associationTypeId {type_id}"
                    ))));
                }
            }
            let mut ids = vec![row.type_id, row.inverse_type_id];
            ids.dedup();
            for id in &ids {
                let what = Removal::UserType(i64::from(*id));
                record_removal(&mut tx, self.backend, portal, &meta, what).await?;
            }
            for id in ids {
                for sql in [
                    "DELETE FROM labels WHERE portal_id = $1 AND type_id = $2",
                    "DELETE FROM limits WHERE portal_id = $1 AND category = 'USER_DEFINED' AND type_id = $2",
                    "DELETE FROM associations WHERE portal_id = $1 AND category = 'USER_DEFINED' AND type_id = $2",
                ] {
                    sqlx::query(sql).bind(portal).bind(id as i64).execute(&mut *tx).await?;
                }
            }
        });
        self.outbox_signal.notify_one();
        deleted
    }
}

fn not_found(type_id: TypeId) -> TxError {
    TxError::Domain(
        Error::not_found(format!(
            "No association type with id {type_id} exists between these object types"
        ))
        .with("associationTypeId", [type_id.to_string()]),
    )
}
