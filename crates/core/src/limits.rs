//! The rules of association limits ("definition configurations"), as pure functions over the
//! state a store reads inside its transaction.

use crate::{builtin, Category, Error, Limit, Pair, TypeId, UserLabel};
use std::collections::BTreeMap;

/// One create/update input, already parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitInput {
    pub category: Category,
    pub type_id: TypeId,
    pub max_to_object_ids: i64,
}

/// One purge input. HubSpot types `category` as a free string here, so it is checked late.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeInput {
    pub category: String,
    pub type_id: TypeId,
}

/// The limits of one pair keyed by type, as stored.
pub type PairLimits = BTreeMap<(Category, TypeId), i64>;

/// A type that exists for the pair: its label text and whether it is the pair's plain type.
struct KnownType {
    label: Option<String>,
    is_object_type: bool,
}

fn known_type(
    pair: &Pair,
    labels: &[UserLabel],
    category: Category,
    type_id: TypeId,
) -> Option<KnownType> {
    match category {
        Category::HubspotDefined => builtin::in_pair(pair, type_id).map(|t| KnownType {
            label: t.label.clone(),
            is_object_type: t.label.is_none(),
        }),
        Category::UserDefined => labels
            .iter()
            .find(|l| l.type_id == type_id && l.pair == *pair)
            .map(|l| KnownType {
                label: l.label.clone(),
                is_object_type: l.label.is_none(),
            }),
        _ => None,
    }
}

/// The pair's plain (unlabeled) type: what an object limit is set on.
fn object_type_of(pair: &Pair, labels: &[UserLabel]) -> Option<(Category, TypeId)> {
    builtin::default_for(pair)
        .map(|t| (Category::HubspotDefined, t.type_id))
        .or_else(|| {
            labels
                .iter()
                .find(|l| l.pair == *pair && l.label.is_none())
                .map(|l| (Category::UserDefined, l.type_id))
        })
}

fn invalid_type(pair: &Pair, category: &str, type_id: TypeId) -> Error {
    Error::validation(format!(
        "{category} association type {type_id} is not defined from {} to {}",
        pair.from, pair.to
    ))
    .with("category", [category])
    .with("typeId", [type_id.to_string()])
}

/// Applies create or update inputs in order to `state`, returning one outcome per input.
/// Later inputs see the effect of earlier valid ones (duplicates are therefore deterministic:
/// for update the last one wins; for create the second one fails as already existing).
pub fn plan_write(
    pair: &Pair,
    labels: &[UserLabel],
    state: &mut PairLimits,
    create: bool,
    inputs: &[LimitInput],
    max_allowed: i64,
) -> Vec<Result<Limit, Error>> {
    let object = object_type_of(pair, labels);
    inputs
        .iter()
        .map(|input| {
            let key = (input.category, input.type_id);
            let known = known_type(pair, labels, input.category, input.type_id)
                .ok_or_else(|| invalid_type(pair, input.category.as_str(), input.type_id))?;
            if create && state.contains_key(&key) {
                return Err(Error::validation(format!(
                    "A limit already exists for {} association type {} from {} to {}; use batch/update to change it",
                    input.category.as_str(),
                    input.type_id,
                    pair.from,
                    pair.to
                ))
                .with("category", [input.category.as_str()])
                .with("typeId", [input.type_id.to_string()]));
            }
            let is_object = Some(key) == object || known.is_object_type;
            let (lo, hi, why) = if is_object {
                let highest_label = state
                    .iter()
                    .filter(|(k, _)| Some(**k) != object && **k != key)
                    .map(|(_, v)| *v)
                    .max();
                match highest_label {
                    Some(h) => (h.max(1), max_allowed, " (a label of this pair already has a higher limit)"),
                    None => (1, max_allowed, ""),
                }
            } else {
                match object.and_then(|o| state.get(&o).copied()) {
                    Some(obj) => (1, obj.min(max_allowed), " (a label's limit cannot exceed the limit of the pair's unlabeled type)"),
                    None => (1, max_allowed, ""),
                }
            };
            let value = input.max_to_object_ids;
            if value < lo || value > hi {
                return Err(Error::validation(format!(
                    "maxToObjectIds {value} for {} association type {} is out of range; the valid range is {lo}-{hi}{why}",
                    input.category.as_str(),
                    input.type_id
                ))
                .with("category", [input.category.as_str()])
                .with("typeId", [input.type_id.to_string()])
                .with("maxToObjectIds", [value.to_string()])
                .with("validRange", [format!("{lo}-{hi}")]));
            }
            state.insert(key, value);
            Ok(Limit {
                pair: pair.clone(),
                category: input.category,
                type_id: input.type_id,
                max_to_object_ids: value,
                label: known.label,
            })
        })
        .collect()
}

/// Checks purge inputs: each names a type of the pair (a missing limit is fine).
pub fn plan_purge(
    pair: &Pair,
    labels: &[UserLabel],
    inputs: &[PurgeInput],
) -> Vec<Result<(Category, TypeId), Error>> {
    inputs
        .iter()
        .map(|input| {
            Category::parse(&input.category)
                .filter(|c| known_type(pair, labels, *c, input.type_id).is_some())
                .map(|c| (c, input.type_id))
                .ok_or_else(|| invalid_type(pair, &input.category, input.type_id))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ObjectType;

    fn deals_contacts() -> Pair {
        Pair::new(
            ObjectType::parse("deals").unwrap(),
            ObjectType::parse("contacts").unwrap(),
        )
    }

    fn label(pair: &Pair, id: TypeId) -> UserLabel {
        UserLabel {
            type_id: id,
            inverse_type_id: id + 1,
            pair: pair.clone(),
            name: "poc".into(),
            label: Some("Point of contact".into()),
        }
    }

    fn input(category: Category, type_id: TypeId, max: i64) -> LimitInput {
        LimitInput {
            category,
            type_id,
            max_to_object_ids: max,
        }
    }

    #[test]
    fn label_limit_cannot_exceed_object_limit_and_object_limit_cannot_drop_below_label() {
        let pair = deals_contacts();
        let labels = vec![label(&pair, 10_000)];
        let mut state = PairLimits::new();
        let out = plan_write(
            &pair,
            &labels,
            &mut state,
            true,
            &[input(Category::HubspotDefined, 3, 10)],
            50_000,
        );
        assert!(out[0].is_ok());
        let out = plan_write(
            &pair,
            &labels,
            &mut state,
            true,
            &[input(Category::UserDefined, 10_000, 11)],
            50_000,
        );
        let err = out[0].as_ref().unwrap_err();
        assert!(err.message.contains("1-10"), "{}", err.message);
        let out = plan_write(
            &pair,
            &labels,
            &mut state,
            true,
            &[input(Category::UserDefined, 10_000, 4)],
            50_000,
        );
        assert!(out[0].is_ok());
        let out = plan_write(
            &pair,
            &labels,
            &mut state,
            false,
            &[input(Category::HubspotDefined, 3, 3)],
            50_000,
        );
        assert!(out[0].as_ref().unwrap_err().message.contains("4-50000"));
    }

    #[test]
    fn rejects_types_of_other_pairs_and_unknown_categories() {
        let pair = deals_contacts();
        let mut state = PairLimits::new();
        let out = plan_write(
            &pair,
            &[],
            &mut state,
            true,
            &[input(Category::HubspotDefined, 5, 1)],
            50_000,
        );
        assert!(out[0].is_err());
        let out = plan_purge(
            &pair,
            &[],
            &[PurgeInput {
                category: "NOPE".into(),
                type_id: 3,
            }],
        );
        assert!(out[0].is_err());
        let out = plan_purge(
            &pair,
            &[],
            &[PurgeInput {
                category: "HUBSPOT_DEFINED".into(),
                type_id: 3,
            }],
        );
        assert!(out[0].is_ok());
    }
}
