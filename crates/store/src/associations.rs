//! Associations between records: one row per direction and type. A write batch reads the
//! current types of every pair it touches, plans the change with the pure rules of
//! `assocd_core::records`, checks the portal's limits against counts read in the same
//! transaction, then writes the difference (see `write`). The SQLite writer is single and `BEGIN IMMEDIATE`; PostgreSQL runs SERIALIZABLE
//! with retries, so concurrent writers never both pass a limit check.

use crate::{db_error, get_i64, get_opt_str, get_str, write_tx, SqlStore, TxError};
use assocd_core::records::{
    describe, refuse_batch, AssociatedRecord, HighUsageReport, LinkEdit, LinkOutcome, Page,
    PairTypes, TypeKey,
};
use assocd_core::store::{AssociationStore, Result};
use assocd_core::{AssocType, Category, ObjectType, Pair, PortalId, RecordId, TypeId, UserLabel};
use async_trait::async_trait;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

mod report;
mod write;

type LimitMap = BTreeMap<TypeKey, i64>;

/// The portal's labels of both directions of `pair`.
async fn load_types(
    conn: &mut AnyConnection,
    portal: PortalId,
    pair: &Pair,
) -> Result<PairTypes, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT type_id, inverse_type_id, from_type, to_type, name, label FROM labels
         WHERE portal_id = $1 AND ((from_type = $2 AND to_type = $3) OR (from_type = $3 AND to_type = $2))",
    )
    .bind(portal)
    .bind(pair.from.as_str())
    .bind(pair.to.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut labels = Vec::with_capacity(rows.len());
    for row in &rows {
        labels.push(UserLabel {
            type_id: get_i64(row, "type_id")? as TypeId,
            inverse_type_id: get_i64(row, "inverse_type_id")? as TypeId,
            pair: Pair::new(
                ObjectType::from_stored(&get_str(row, "from_type")?),
                ObjectType::from_stored(&get_str(row, "to_type")?),
            ),
            name: get_str(row, "name")?,
            label: get_opt_str(row, "label")?,
        });
    }
    Ok(PairTypes::new(pair, labels))
}

/// The user-enforced limits of one direction.
async fn load_limits(
    conn: &mut AnyConnection,
    portal: PortalId,
    pair: &Pair,
) -> Result<LimitMap, sqlx::Error> {
    let limits = crate::limits::load_pair_limits(conn, portal, pair).await?;
    Ok(limits
        .into_iter()
        .map(|((c, t), v)| (TypeKey::new(c, t), v))
        .collect())
}

fn key_of(category: &str, type_id: i64) -> Option<TypeKey> {
    Category::parse(category).map(|c| TypeKey::new(c, type_id as TypeId))
}

/// One page of `from`'s associations in direction `pair`, in one statement (one snapshot):
/// the inner query picks the next `limit + 1` associated ids off the primary key, the outer
/// one fetches their types.
async fn page(
    conn: &mut AnyConnection,
    portal: PortalId,
    pair: &Pair,
    from: RecordId,
    after: Option<RecordId>,
    limit: usize,
) -> Result<Page, sqlx::Error> {
    let rows = sqlx::query(PAGE_SQL)
        .bind(portal)
        .bind(pair.from.as_str())
        .bind(from)
        .bind(pair.to.as_str())
        .bind(after.unwrap_or(0))
        .bind(limit as i64 + 1)
        .fetch_all(&mut *conn)
        .await?;
    let mut results: Vec<AssociatedRecord> = Vec::new();
    for row in &rows {
        let to_id = get_i64(row, "to_id")?;
        let Some(key) = key_of(&get_str(row, "category")?, get_i64(row, "type_id")?) else {
            continue;
        };
        let t = match key.category {
            Category::UserDefined => AssocType {
                category: key.category,
                type_id: key.type_id,
                label: get_opt_str(row, "label")?,
            },
            _ => describe(&[], key),
        };
        match results.last_mut() {
            Some(last) if last.to_id == to_id => last.types.push(t),
            _ => results.push(AssociatedRecord {
                to_id,
                types: vec![t],
            }),
        }
    }
    let mut next_after = None;
    if results.len() > limit {
        results.truncate(limit);
        next_after = results.last().map(|r| r.to_id);
    }
    Ok(Page {
        results,
        next_after,
    })
}

pub(crate) const PAGE_SQL: &str = "SELECT a.to_id, a.category, a.type_id, l.label
     FROM associations a
     LEFT JOIN labels l ON l.portal_id = a.portal_id AND a.category = 'USER_DEFINED' AND l.type_id = a.type_id
     WHERE a.portal_id = $1 AND a.from_type = $2 AND a.from_id = $3 AND a.to_type = $4
       AND a.to_id IN (SELECT DISTINCT to_id FROM associations
                        WHERE portal_id = $1 AND from_type = $2 AND from_id = $3 AND to_type = $4 AND to_id > $5
                        ORDER BY to_id LIMIT $6)
     ORDER BY a.to_id, a.category, a.type_id";

#[async_trait]
impl AssociationStore for SqlStore {
    #[tracing::instrument(skip(self))]
    async fn list_associations(
        &self,
        portal: PortalId,
        pair: &Pair,
        from: RecordId,
        after: Option<RecordId>,
        limit: usize,
    ) -> Result<Page> {
        let mut conn = self.read.acquire().await.map_err(db_error)?;
        page(&mut conn, portal, pair, from, after, limit)
            .await
            .map_err(db_error)
    }

    #[tracing::instrument(skip(self, inputs), fields(n = inputs.len()))]
    async fn read_associations(
        &self,
        portal: PortalId,
        pair: &Pair,
        inputs: &[(RecordId, Option<RecordId>)],
        limit: usize,
    ) -> Result<Vec<Page>> {
        let mut tx = self.read.begin().await.map_err(db_error)?;
        let mut out = Vec::with_capacity(inputs.len());
        for (from, after) in inputs {
            out.push(
                page(&mut tx, portal, pair, *from, *after, limit)
                    .await
                    .map_err(db_error)?,
            );
        }
        tx.commit().await.map_err(db_error)?;
        Ok(out)
    }

    #[tracing::instrument(skip(self, edits), fields(n = edits.len()))]
    async fn write_associations(
        &self,
        portal: PortalId,
        pair: &Pair,
        edits: &[LinkEdit],
        all_or_nothing: bool,
    ) -> Result<Vec<Result<LinkOutcome>>> {
        write_tx!(self, |tx| {
            let outcomes = write::write_batch(&mut tx, portal, pair, edits, all_or_nothing).await?;
            if all_or_nothing && outcomes.iter().any(Result::is_err) {
                let failures = outcomes
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, o)| o.err().map(|e| (i, e)))
                    .collect();
                return Err(TxError::Domain(refuse_batch(failures)));
            }
            outcomes
        })
    }

    async fn create_high_usage_report(
        &self,
        portal: PortalId,
        user_id: i32,
    ) -> Result<HighUsageReport> {
        report::create(self, portal, user_id).await
    }

    async fn high_usage_report(
        &self,
        portal: PortalId,
        user_id: i32,
    ) -> Result<Option<HighUsageReport>> {
        report::read(self, portal, user_id).await
    }
}

#[cfg(test)]
mod tests;
