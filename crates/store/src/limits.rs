//! Association limits. Validation runs inside the write transaction through the pure rules of
//! `assocd_core::limits`, so every backend applies them the same way.

use crate::{db_error, get_i64, get_opt_str, get_str, write_tx, SqlStore};
use assocd_core::limits::{plan_write, LimitInput, PairLimits, PurgeInput};
use assocd_core::store::{LimitOp, LimitStore, Result};
use assocd_core::{builtin, Category, Limit, ObjectType, Pair, PortalId, TypeId, UserLabel};
use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

fn limit_from_row(row: &AnyRow) -> Result<Limit, sqlx::Error> {
    let category_text = get_str(row, "category")?;
    let category = Category::parse(&category_text).unwrap_or(Category::UserDefined);
    let type_id = get_i64(row, "type_id")? as TypeId;
    let label = match category {
        Category::HubspotDefined => builtin::get(type_id).and_then(|t| t.label.clone()),
        _ => get_opt_str(row, "label")?,
    };
    Ok(Limit {
        pair: Pair::new(
            ObjectType::from_stored(&get_str(row, "from_type")?),
            ObjectType::from_stored(&get_str(row, "to_type")?),
        ),
        category,
        type_id,
        max_to_object_ids: get_i64(row, "max_to_object_ids")?,
        label,
    })
}

const SELECT_LIMITS: &str =
    "SELECT m.from_type, m.to_type, m.category, m.type_id, m.max_to_object_ids, l.label
     FROM limits m LEFT JOIN labels l
       ON l.portal_id = m.portal_id AND m.category = 'USER_DEFINED' AND l.type_id = m.type_id
     WHERE m.portal_id = $1";

mod purge;

/// The labels and limits of one direction, read inside the transaction.
async fn pair_state(
    conn: &mut AnyConnection,
    portal: PortalId,
    pair: &Pair,
) -> Result<(Vec<UserLabel>, PairLimits), sqlx::Error> {
    let labels = pair_labels(conn, portal, pair).await?;
    let limits = load_pair_limits(conn, portal, pair).await?;
    Ok((labels, limits))
}

/// The portal's labels of one direction, read inside the transaction.
async fn pair_labels(
    conn: &mut AnyConnection,
    portal: PortalId,
    pair: &Pair,
) -> Result<Vec<UserLabel>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT type_id, inverse_type_id, name, label FROM labels WHERE portal_id = $1 AND from_type = $2 AND to_type = $3",
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
            pair: pair.clone(),
            name: get_str(row, "name")?,
            label: get_opt_str(row, "label")?,
        });
    }
    Ok(labels)
}

/// The user-enforced limits of one direction, keyed by type (also read by association writes).
pub(crate) async fn load_pair_limits(
    conn: &mut AnyConnection,
    portal: PortalId,
    pair: &Pair,
) -> Result<PairLimits, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT category, type_id, max_to_object_ids FROM limits WHERE portal_id = $1 AND from_type = $2 AND to_type = $3",
    )
    .bind(portal)
    .bind(pair.from.as_str())
    .bind(pair.to.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut limits = PairLimits::new();
    for row in &rows {
        if let Some(c) = Category::parse(&get_str(row, "category")?) {
            limits.insert(
                (c, get_i64(row, "type_id")? as TypeId),
                get_i64(row, "max_to_object_ids")?,
            );
        }
    }
    Ok(limits)
}

/// Creates or updates limits inside the caller's transaction: each input gets its own
/// outcome, the valid ones are written.
pub(crate) async fn write_in(
    conn: &mut AnyConnection,
    portal: PortalId,
    pair: &Pair,
    op: LimitOp,
    inputs: &[LimitInput],
    max_allowed: i64,
) -> Result<Vec<Result<Limit>>, sqlx::Error> {
    let (labels, mut state) = pair_state(conn, portal, pair).await?;
    let outcomes = plan_write(
        pair,
        &labels,
        &mut state,
        op == LimitOp::Create,
        inputs,
        max_allowed,
    );
    for limit in outcomes.iter().flatten() {
        sqlx::query(
            "INSERT INTO limits (portal_id, from_type, to_type, category, type_id, max_to_object_ids)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (portal_id, from_type, to_type, category, type_id)
             DO UPDATE SET max_to_object_ids = excluded.max_to_object_ids",
        )
        .bind(portal)
        .bind(pair.from.as_str())
        .bind(pair.to.as_str())
        .bind(limit.category.as_str())
        .bind(limit.type_id as i64)
        .bind(limit.max_to_object_ids)
        .execute(&mut *conn)
        .await?;
    }
    Ok(outcomes)
}

#[async_trait]
impl LimitStore for SqlStore {
    async fn list_limits(&self, portal: PortalId, pair: Option<&Pair>) -> Result<Vec<Limit>> {
        let rows = match pair {
            None => {
                sqlx::query(&format!("{SELECT_LIMITS} ORDER BY m.from_type, m.to_type, m.category, m.type_id"))
                    .bind(portal)
                    .fetch_all(&self.read)
                    .await
            }
            Some(p) => {
                sqlx::query(&format!(
                    "{SELECT_LIMITS} AND m.from_type = $2 AND m.to_type = $3 ORDER BY m.category, m.type_id"
                ))
                .bind(portal)
                .bind(p.from.as_str())
                .bind(p.to.as_str())
                .fetch_all(&self.read)
                .await
            }
        }
        .map_err(db_error)?;
        rows.iter()
            .map(limit_from_row)
            .collect::<Result<_, _>>()
            .map_err(db_error)
    }

    #[tracing::instrument(skip(self, inputs), fields(portal, n = inputs.len()))]
    async fn write_limits(
        &self,
        portal: PortalId,
        pair: &Pair,
        op: LimitOp,
        inputs: &[LimitInput],
        max_allowed: i64,
    ) -> Result<Vec<Result<Limit>>> {
        write_tx!(self, |tx| {
            write_in(&mut tx, portal, pair, op, inputs, max_allowed).await?
        })
    }

    // A debug span: at info, the JSON log format formats the span's fields when it is created,
    // logged inside or not, which cost a tenth of a C5 request (docs/benchmarks.md).
    #[tracing::instrument(level = "debug", skip(self, inputs), fields(n = inputs.len()))]
    async fn purge_limits(
        &self,
        portal: PortalId,
        pair: &Pair,
        inputs: &[PurgeInput],
        all_or_nothing: bool,
    ) -> Result<Vec<Result<()>>> {
        purge::purge(self, portal, pair, inputs, all_or_nothing).await
    }
}
