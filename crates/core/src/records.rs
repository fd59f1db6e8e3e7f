//! The rules of associations between records, as pure functions: which types are valid for a
//! direction, what a type's inverse is, how an edit changes the types linking two records, the
//! limit check, the paging cursor and the high-usage threshold. Stores call these inside their
//! write transaction so every backend applies them identically.
//!
//! Model: two records `A` (type X) and `B` (type Y) are linked by a set of types per direction,
//! `forward` (X→Y, rows `A→B`) and `reverse` (Y→X, rows `B→A`). Invariants every edit keeps:
//! a type in one direction has its inverse in the other, and the pair's unlabeled (default) type
//! is present in a direction whenever any type is.

use crate::{builtin, AssocType, Category, Error, ObjectType, Pair, RecordId, TypeId, UserLabel};
use std::collections::BTreeSet;

/// Rows per page of R1 (default and maximum) and per input of R6.
pub const MAX_PAGE: usize = 500;
/// Records at or above this share of a user-enforced limit appear in the high-usage report.
pub const HIGH_USAGE_PERCENT: i64 = 80;

/// An association type as stored: category and id. Ordered as HubSpot lists types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TypeKey {
    pub category: Category,
    pub type_id: TypeId,
}

impl TypeKey {
    pub fn new(category: Category, type_id: TypeId) -> Self {
        TypeKey { category, type_id }
    }
}

/// The types linking two records, per direction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    pub forward: BTreeSet<TypeKey>,
    pub reverse: BTreeSet<TypeKey>,
}

impl Links {
    pub fn is_empty(&self) -> bool {
        self.forward.is_empty() && self.reverse.is_empty()
    }
}

/// What one input does to the types between `from` and `to` (direction = the request's pair).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditOp {
    /// R5: add these types (and the default type).
    Add(Vec<TypeKey>),
    /// R4, R9: add the pair's default type.
    AddDefault,
    /// R2: these are the complete set of labelled types of this direction; the default stays.
    SetLabels(Vec<TypeKey>),
    /// R8: remove these types; removing the default type removes everything.
    Remove(Vec<TypeKey>),
    /// R3, R7: remove every type in both directions.
    Clear,
}

/// One input of a write batch: an edit of the link between two records of the batch's pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkEdit {
    pub from: RecordId,
    pub to: RecordId,
    pub op: EditOp,
}

/// The types of one object pair in both directions: HubSpot's built-in types plus the
/// portal's own labels (`labels` holds both directions' rows).
#[derive(Debug, Clone)]
pub struct PairTypes {
    pair: Pair,
    labels: Vec<UserLabel>,
}

impl PairTypes {
    pub fn new(pair: &Pair, labels: Vec<UserLabel>) -> Self {
        PairTypes {
            pair: pair.clone(),
            labels,
        }
    }

    pub fn pair(&self) -> &Pair {
        &self.pair
    }

    /// The same types seen from the other side.
    pub fn reversed(&self) -> PairTypes {
        PairTypes {
            pair: self.pair.reversed(),
            labels: self.labels.clone(),
        }
    }

    fn user(&self, pair: &Pair, type_id: TypeId) -> Option<&UserLabel> {
        self.labels
            .iter()
            .find(|l| l.type_id == type_id && l.pair == *pair)
    }

    fn valid_in(&self, pair: &Pair, key: TypeKey) -> bool {
        match key.category {
            Category::HubspotDefined => builtin::in_pair(pair, key.type_id).is_some(),
            Category::UserDefined => self.user(pair, key.type_id).is_some(),
            Category::IntegratorDefined | Category::Work => false,
        }
    }

    /// Whether `key` is a type of the forward direction.
    pub fn is_valid(&self, key: TypeKey) -> bool {
        self.valid_in(&self.pair, key)
    }

    fn default_in(&self, pair: &Pair) -> Option<TypeKey> {
        builtin::default_for(pair)
            .map(|t| TypeKey::new(Category::HubspotDefined, t.type_id))
            .or_else(|| {
                self.labels
                    .iter()
                    .filter(|l| l.pair == *pair && l.label.is_none())
                    .map(|l| TypeKey::new(Category::UserDefined, l.type_id))
                    .min()
            })
    }

    /// The forward direction's unlabeled type: the built-in one, else the portal's plain type.
    pub fn default_type(&self) -> Option<TypeKey> {
        self.default_in(&self.pair)
    }

    /// The label text of a forward type (`None` for unlabeled types).
    pub fn label_of(&self, key: TypeKey) -> Option<String> {
        label_text(&self.labels, key)
    }

    /// The reverse-direction type that mirrors forward type `key`:
    /// 1. the inverse HubSpot lists (or the label's other direction);
    /// 2. else the reverse direction's unlabeled type (HubSpot lists no inverse for a few
    ///    built-in types, e.g. 578 lead→contact "Primary");
    /// 3. else, when the reverse direction has no type at all, the same type id, as for
    ///    same-object types (e.g. 369 discount→deal is read back from the deal as 369).
    pub fn inverse(&self, key: TypeKey) -> TypeKey {
        let listed = match key.category {
            Category::HubspotDefined => builtin::get(key.type_id).and_then(|t| t.inverse),
            Category::UserDefined => self
                .user(&self.pair, key.type_id)
                .map(|l| l.inverse_type_id),
            Category::IntegratorDefined | Category::Work => None,
        };
        match listed {
            Some(id) => TypeKey::new(key.category, id),
            None => self.default_in(&self.pair.reversed()).unwrap_or(key),
        }
    }

    /// Types of `keys` that are not types of the forward direction.
    fn invalid(&self, keys: &[TypeKey]) -> Vec<TypeKey> {
        let mut bad: Vec<TypeKey> = keys
            .iter()
            .copied()
            .filter(|k| !self.is_valid(*k))
            .collect();
        bad.sort();
        bad.dedup();
        bad
    }
}

/// The label text of a type (`None` for unlabeled types and unknown ids).
pub fn label_text(labels: &[UserLabel], key: TypeKey) -> Option<String> {
    match key.category {
        Category::HubspotDefined => builtin::get(key.type_id).and_then(|t| t.label.clone()),
        Category::UserDefined => labels
            .iter()
            .find(|l| l.type_id == key.type_id)
            .and_then(|l| l.label.clone()),
        Category::IntegratorDefined | Category::Work => None,
    }
}

/// A stored type with its label text, as R1 and R6 list it.
pub fn describe(labels: &[UserLabel], key: TypeKey) -> AssocType {
    AssocType {
        category: key.category,
        type_id: key.type_id,
        label: label_text(labels, key),
    }
}

fn input_context(e: Error, pair: &Pair, from: RecordId, to: RecordId) -> Error {
    e.with("fromObjectType", [pair.from.as_str()])
        .with("fromObjectId", [from.to_string()])
        .with("toObjectType", [pair.to.as_str()])
        .with("toObjectId", [to.to_string()])
}

/// HubSpot's answer to a type that does not belong to the direction.
pub fn invalid_types(types: &PairTypes, from: RecordId, to: RecordId, bad: &[TypeKey]) -> Error {
    let pair = types.pair();
    let e = Error::validation("One or more associations are invalid").with(
        "invalidAssociationTypes",
        bad.iter().map(|k| {
            format!(
                "{}={} is not valid from {} to {}",
                k.category.as_str(),
                k.type_id,
                pair.from,
                pair.to
            )
        }),
    );
    input_context(e, pair, from, to)
}

fn no_default(types: &PairTypes, from: RecordId, to: RecordId) -> Error {
    let pair = types.pair();
    let e = Error::validation(format!(
        "There is no default association type from {} to {}; create an association label for this pair first",
        pair.from, pair.to
    ));
    input_context(e, pair, from, to)
}

/// A record may not be associated with itself (its two directions would be the same rows).
pub fn self_association(pair: &Pair, id: RecordId) -> Error {
    input_context(
        Error::validation(format!(
            "A record cannot be associated with itself ({} {id})",
            pair.from.display_name()
        )),
        pair,
        id,
        id,
    )
}

/// Adds `key` to the forward direction, with its inverse and both defaults.
fn add(types: &PairTypes, links: &mut Links, key: TypeKey) {
    links.forward.insert(key);
    links.reverse.insert(types.inverse(key));
    if let Some(d) = types.default_type() {
        links.forward.insert(d);
    }
    if let Some(d) = types.reversed().default_type() {
        links.reverse.insert(d);
    }
}

/// Removes forward `key` and its inverse (unless the inverse is the reverse default, which stays
/// while the forward default does). Removing the default clears both directions.
fn remove(types: &PairTypes, links: &mut Links, key: TypeKey) {
    if Some(key) == types.default_type() {
        *links = Links::default();
        return;
    }
    if links.forward.remove(&key) {
        let inverse = types.inverse(key);
        if Some(inverse) != types.reversed().default_type() {
            links.reverse.remove(&inverse);
        }
    }
}

/// The types linking `from` and `to` after `op`, given the types `before` it; or the error of
/// this input (an invalid type, no default type for the pair). Checks no limits.
pub fn plan(
    types: &PairTypes,
    from: RecordId,
    to: RecordId,
    before: &Links,
    op: &EditOp,
) -> Result<Links, Error> {
    let pair = types.pair();
    if pair.from == pair.to && from == to && !matches!(op, EditOp::Clear) {
        return Err(self_association(pair, from));
    }
    let requested: &[TypeKey] = match op {
        EditOp::Add(k) | EditOp::SetLabels(k) | EditOp::Remove(k) => k,
        EditOp::AddDefault | EditOp::Clear => &[],
    };
    let bad = types.invalid(requested);
    if !bad.is_empty() {
        return Err(invalid_types(types, from, to, &bad));
    }
    let default = types.default_type();
    let mut after = before.clone();
    match op {
        EditOp::Clear => after = Links::default(),
        EditOp::AddDefault => add(
            types,
            &mut after,
            default.ok_or_else(|| no_default(types, from, to))?,
        ),
        EditOp::Add(keys) => {
            let default = default.ok_or_else(|| no_default(types, from, to))?;
            add(types, &mut after, default);
            for k in keys {
                add(types, &mut after, *k);
            }
        }
        EditOp::SetLabels(keys) => {
            let default = default.ok_or_else(|| no_default(types, from, to))?;
            let wanted: BTreeSet<TypeKey> = keys.iter().copied().chain([default]).collect();
            for k in before.forward.difference(&wanted) {
                remove(types, &mut after, *k);
            }
            for k in &wanted {
                add(types, &mut after, *k);
            }
        }
        EditOp::Remove(keys) => {
            for k in keys {
                remove(types, &mut after, *k);
            }
        }
    }
    Ok(after)
}

/// The error of an all-or-nothing batch whose inputs `failures` (index, error) failed.
pub fn refuse_batch(failures: Vec<(usize, Error)>) -> Error {
    let n = failures.len();
    let mut out = match failures.first() {
        Some((_, e)) if n == 1 => Error::new(e.kind, e.message.clone()),
        Some((_, e)) => Error::new(
            e.kind,
            format!(
                "{n} inputs failed; nothing was applied. First: {}",
                e.message
            ),
        ),
        None => Error::internal("refuse_batch without failures"),
    };
    for (i, e) in failures {
        out = out.with("invalidInputs", [format!("inputs[{i}]: {}", e.message)]);
        for (k, v) in e.context {
            out = out.with(&k, v);
        }
    }
    out
}

/// One row an edit would add, seen from the record that gains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRow {
    /// The object pair from the gaining record's side.
    pub pair: Pair,
    pub record: RecordId,
    pub key: TypeKey,
}

/// The rows `after` adds to `before`, from each side (`from` gains forward rows, `to` reverse).
pub fn new_rows(
    pair: &Pair,
    from: RecordId,
    to: RecordId,
    before: &Links,
    after: &Links,
) -> Vec<NewRow> {
    let fwd = after.forward.difference(&before.forward).map(|k| NewRow {
        pair: pair.clone(),
        record: from,
        key: *k,
    });
    let rev = after.reverse.difference(&before.reverse).map(|k| NewRow {
        pair: pair.reversed(),
        record: to,
        key: *k,
    });
    fwd.chain(rev).collect()
}

/// The limit rule: a record already linked to `current` records under a type limited to
/// `max` may gain no further record under it. The error names the limit and the current count.
pub fn check_limit(row: &NewRow, max: i64, current: i64) -> Result<(), Error> {
    if current < max {
        return Ok(());
    }
    let (obj, to) = (row.pair.from.display_name(), row.pair.to.display_name());
    Err(Error::validation(format!(
        "Association limit reached: {obj} {} already has {current} {to} association(s) of {} type {}, \
         and the limit for that type is {max}",
        row.record,
        row.key.category.as_str(),
        row.key.type_id
    ))
    .with("objectType", [row.pair.from.as_str()])
    .with("objectId", [row.record.to_string()])
    .with("toObjectType", [row.pair.to.as_str()])
    .with("associationCategory", [row.key.category.as_str()])
    .with("associationTypeId", [row.key.type_id.to_string()])
    .with("limit", [max.to_string()])
    .with("currentCount", [current.to_string()]))
}

/// Smallest count that puts a record in the high-usage report for a limit of `max`.
pub fn high_usage_threshold(max: i64) -> i64 {
    // ceil(max * 80 / 100), at least 1.
    ((max * HIGH_USAGE_PERCENT + 99) / 100).max(1)
}

/// The placeholder address a report is "sent" to: assocd has no user directory.
pub fn report_email(portal: i64, user_id: i32) -> String {
    format!("user-{user_id}@portal-{portal}.assocd.local")
}

/// A record id from a path or a `PublicObjectId.id`: digits only, 1..=i64::MAX.
pub fn parse_record_id(raw: &str) -> Option<RecordId> {
    if raw.is_empty() || raw.len() > 19 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse::<RecordId>().ok().filter(|v| *v > 0)
}

/// Where a page of a record's associations to one object type continues: after `after_id`.
/// Its text form is `<toObjectTypeId>-<lastToObjectId>`, as HubSpot's cursors decode to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub to_type: ObjectType,
    pub after_id: RecordId,
}

impl Cursor {
    pub fn to_text(&self) -> String {
        format!("{}-{}", self.to_type, self.after_id)
    }

    /// Parses a cursor's text; it must name `to_type` (a cursor of another listing is refused).
    pub fn from_text(text: &str, to_type: &ObjectType) -> Option<Cursor> {
        let (ty, id) = text.rsplit_once('-')?;
        let after_id = parse_record_id(id)?;
        (ty == to_type.as_str()).then(|| Cursor {
            to_type: to_type.clone(),
            after_id,
        })
    }
}

/// One associated record and the types linking to it, in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociatedRecord {
    pub to_id: RecordId,
    pub types: Vec<AssocType>,
}

/// A page of a record's associations, ordered by `to_id`; `next_after` when more exist.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    pub results: Vec<AssociatedRecord>,
    pub next_after: Option<RecordId>,
}

/// The outcome of one successful write input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkOutcome {
    pub from: RecordId,
    pub to: RecordId,
    /// Label texts of the forward direction's labelled types after the write.
    pub labels: Vec<String>,
    /// The forward default type and its mirror, when the edit wrote the default.
    pub default: Option<(TypeKey, TypeKey)>,
}

/// One record at or above 80% of a user-enforced limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HighUsageEntry {
    pub object_type: ObjectType,
    pub object_id: RecordId,
    pub to_object_type: ObjectType,
    pub key: TypeKey,
    pub count: i64,
    pub limit: i64,
}

/// A stored high-usage report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HighUsageReport {
    pub user_id: i32,
    pub user_email: String,
    /// Epoch milliseconds.
    pub enqueued_at: i64,
    pub entries: Vec<HighUsageEntry>,
}

#[cfg(test)]
mod tests;
