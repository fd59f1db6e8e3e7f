//! Associations between records: one row per direction and type. A write batch reads the
//! current types of every pair it touches, plans the change with the pure rules of
//! `assocd_core::records`, checks the portal's limits against counts read in the same
//! transaction, then writes the difference (see `write`). The SQLite writer is single and
//! `BEGIN IMMEDIATE`; PostgreSQL runs SERIALIZABLE with retries, so concurrent writers never
//! both pass a limit check. Batches that arrive together are committed together, each under
//! its own savepoint: all of them on SQLite, those of one portal and object pair on PostgreSQL
//! (see `group`). Reads go through `crate::read`.

use crate::outbox::ChangeMeta;
use crate::{SqlStore, TxError};
use assocd_core::events::ChangeSource;
use assocd_core::records::{
    refuse_batch, HighUsageReport, LinkEdit, LinkOutcome, Page, PairTypes, TypeKey,
};
use assocd_core::search::{RecordPage, RecordQuery};
use assocd_core::store::{AssociationStore, Result};
use assocd_core::{Category, ObjectType, Pair, PortalId, RecordId, TypeId};
use async_trait::async_trait;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

mod group;
mod pages;
mod report;
mod search;
mod sql;
mod write;

pub(crate) use group::GroupWriter;
pub use group::GROUP_BATCH_SIZE;
pub(crate) use sql::Marks;
pub(crate) use write::read_rows as read_link_rows;

type LimitMap = BTreeMap<TypeKey, i64>;

/// The portal's labels of both directions of `pair`.
async fn load_types(
    conn: &mut AnyConnection,
    portal: PortalId,
    pair: &Pair,
) -> Result<PairTypes, TxError> {
    let rows = sqlx::query(&format!(
        "SELECT {} FROM labels
         WHERE portal_id = $1 AND ((from_type = $2 AND to_type = $3) OR (from_type = $3 AND to_type = $2))",
        crate::labels::LABEL_COLUMNS
    ))
    .bind(portal)
    .bind(pair.from.as_str())
    .bind(pair.to.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let labels = rows
        .iter()
        .map(|r| crate::labels::label_from_row(r))
        .collect::<Result<Vec<_>>>()?;
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

/// Plans and writes one batch in the caller's transaction; an all-or-nothing batch with a
/// failed input is refused whole (a domain error, so the caller rolls it back).
pub(crate) async fn apply_batch(
    conn: &mut AnyConnection,
    backend: crate::Backend,
    portal: PortalId,
    pair: &Pair,
    edits: &[LinkEdit],
    all_or_nothing: bool,
    meta: &ChangeMeta,
) -> Result<Vec<Result<LinkOutcome>>, TxError> {
    let outcomes =
        write::write_batch(conn, backend, portal, pair, edits, all_or_nothing, meta).await?;
    if all_or_nothing && outcomes.iter().any(Result::is_err) {
        let failures = outcomes
            .into_iter()
            .enumerate()
            .filter_map(|(i, o)| o.err().map(|e| (i, e)))
            .collect();
        return Err(TxError::Domain(refuse_batch(failures)));
    }
    Ok(outcomes)
}

#[async_trait]
impl AssociationStore for SqlStore {
    #[tracing::instrument(level = "debug", skip(self))]
    async fn list_associations(
        &self,
        portal: PortalId,
        pair: &Pair,
        from: RecordId,
        after: Option<RecordId>,
        limit: usize,
    ) -> Result<Page> {
        pages::list(self, portal, pair, from, after, limit).await
    }

    #[tracing::instrument(level = "debug", skip(self, inputs), fields(n = inputs.len()))]
    async fn read_associations(
        &self,
        portal: PortalId,
        pair: &Pair,
        inputs: &[(RecordId, Option<RecordId>)],
        limit: usize,
    ) -> Result<Vec<Page>> {
        pages::read(self, portal, pair, inputs, limit).await
    }

    #[tracing::instrument(skip(self, edits), fields(n = edits.len()))]
    async fn write_associations(
        &self,
        portal: PortalId,
        pair: &Pair,
        edits: &[LinkEdit],
        all_or_nothing: bool,
        source: &ChangeSource,
    ) -> Result<Vec<Result<LinkOutcome>>> {
        let meta = ChangeMeta {
            source: source.clone(),
            occurred_at: self.clock.now_ms(),
        };
        let written = self
            .group
            .write(portal, pair, edits, all_or_nothing, meta)
            .await;
        self.outbox_signal.notify_one();
        written
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

    #[tracing::instrument(level = "debug", skip(self, query), fields(groups = query.groups.len()))]
    async fn search_records(
        &self,
        portal: PortalId,
        object_type: &ObjectType,
        query: &RecordQuery,
    ) -> Result<RecordPage> {
        search::search(self, portal, object_type, query).await
    }
}

#[cfg(test)]
mod tests;
