//! C5, purging limits. The request is first checked on the read path (labels for the inputs'
//! validation and which of the pair's limits exist, one statement): a purge that is refused
//! whole, or whose limits are all gone already, changes nothing and answers from that read,
//! without taking the writer. Otherwise one write transaction validates again against the
//! labels it reads and deletes every purged limit in one statement; the answer follows its
//! commit.

use super::pair_labels;
use crate::associations::Marks;
use crate::read::{Arg, Row};
use crate::{write_tx, SqlStore};
use assocd_core::limits::{plan_purge, PurgeInput};
use assocd_core::store::Result;
use assocd_core::{Category, Pair, PortalId, TypeId, UserLabel};

/// The pair's labels (`L`) and its stored limits (`M`) in one statement, one shape:
/// kind, type id, inverse type id, name or category, label.
const STATE_SQL: &str = "SELECT 'L', type_id, inverse_type_id, name, label FROM labels
      WHERE portal_id = $1 AND from_type = $2 AND to_type = $3
     UNION ALL
     SELECT 'M', type_id, 0, category, NULL FROM limits
      WHERE portal_id = $1 AND from_type = $2 AND to_type = $3";

enum StateRow {
    Label(TypeId, TypeId, String, Option<String>),
    Limit(Option<Category>, TypeId),
}

fn state_row(row: &dyn Row) -> Result<StateRow> {
    let type_id = row.i64(1)? as TypeId;
    Ok(if row.str(0)? == "L" {
        StateRow::Label(type_id, row.i64(2)? as TypeId, row.str(3)?, row.opt_str(4)?)
    } else {
        StateRow::Limit(Category::parse(&row.str(3)?), type_id)
    })
}

fn unit(outcomes: Vec<Result<(Category, TypeId)>>) -> Vec<Result<()>> {
    outcomes.into_iter().map(|o| o.map(|_| ())).collect()
}

pub(super) async fn purge(
    store: &SqlStore,
    portal: PortalId,
    pair: &Pair,
    inputs: &[PurgeInput],
    all_or_nothing: bool,
) -> Result<Vec<Result<()>>> {
    let args = [
        Arg::I64(portal),
        Arg::Str(pair.from.as_str()),
        Arg::Str(pair.to.as_str()),
    ];
    let (mut labels, mut stored) = (Vec::new(), Vec::new());
    for row in store.read_rows(STATE_SQL, &args, state_row).await? {
        match row {
            StateRow::Label(type_id, inverse_type_id, name, label) => labels.push(UserLabel {
                type_id,
                inverse_type_id,
                pair: pair.clone(),
                name,
                label,
            }),
            StateRow::Limit(Some(c), type_id) => stored.push((c, type_id)),
            StateRow::Limit(None, _) => {}
        }
    }
    let outcomes = plan_purge(pair, &labels, inputs);
    let cancel = all_or_nothing && outcomes.iter().any(Result::is_err);
    if cancel || !outcomes.iter().flatten().any(|k| stored.contains(k)) {
        return Ok(unit(outcomes));
    }
    write_tx!(store, |tx| {
        let labels = pair_labels(&mut tx, portal, pair).await?;
        let outcomes = plan_purge(pair, &labels, inputs);
        let cancel = all_or_nothing && outcomes.iter().any(Result::is_err);
        let mut doomed: Vec<(Category, TypeId)> = outcomes.iter().flatten().copied().collect();
        doomed.sort();
        doomed.dedup();
        if !cancel && !doomed.is_empty() {
            let mut marks = Marks::new(store.backend);
            let mut sql = format!(
                "DELETE FROM limits WHERE portal_id = {} AND from_type = {} AND to_type = {} AND (",
                marks.next(),
                marks.next(),
                marks.next()
            );
            for (i, _) in doomed.iter().enumerate() {
                if i > 0 {
                    sql.push_str(" OR ");
                }
                sql.push_str(&format!(
                    "(category = {} AND type_id = {})",
                    marks.next(),
                    marks.next()
                ));
            }
            sql.push(')');
            let mut q = sqlx::query(&sql)
                .bind(portal)
                .bind(pair.from.as_str())
                .bind(pair.to.as_str());
            for (category, type_id) in &doomed {
                q = q.bind(category.as_str()).bind(*type_id as i64);
            }
            q.execute(&mut *tx).await?;
        }
        unit(outcomes)
    })
}
