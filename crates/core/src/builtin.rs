//! HubSpot's built-in (HUBSPOT_DEFINED) association types, the same for every portal.
//! The table is data (`data/builtin_types.tsv`), read once.

use crate::{AssocType, Category, ObjectType, Pair, TypeId};
use std::collections::HashMap;
use std::sync::LazyLock;

const TABLE: &str = include_str!("../data/builtin_types.tsv");

/// One directed built-in association type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltinType {
    pub type_id: TypeId,
    /// Object type ids; a few types point at objects this API does not address (kept as names).
    pub from: String,
    pub to: String,
    pub label: Option<String>,
    pub inverse: Option<TypeId>,
}

impl BuiltinType {
    pub fn as_assoc_type(&self) -> AssocType {
        AssocType {
            category: Category::HubspotDefined,
            type_id: self.type_id,
            label: self.label.clone(),
        }
    }
}

struct Table {
    by_id: HashMap<TypeId, BuiltinType>,
    by_pair: HashMap<(String, String), Vec<TypeId>>,
    max_id: TypeId,
}

static BUILTIN: LazyLock<Table> = LazyLock::new(|| {
    let mut by_id = HashMap::new();
    let mut by_pair: HashMap<(String, String), Vec<TypeId>> = HashMap::new();
    for line in TABLE.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let parse_id = |s: &str| {
            s.trim()
                .parse::<TypeId>()
                .expect("builtin table: bad type id")
        };
        let t = BuiltinType {
            type_id: parse_id(cols[0]),
            from: cols[1].to_string(),
            to: cols[2].to_string(),
            label: cols.get(3).filter(|s| !s.is_empty()).map(|s| s.to_string()),
            inverse: cols
                .get(4)
                .filter(|s| !s.trim().is_empty())
                .map(|s| parse_id(s)),
        };
        by_pair
            .entry((t.from.clone(), t.to.clone()))
            .or_default()
            .push(t.type_id);
        by_id.insert(t.type_id, t);
    }
    let max_id = by_id.keys().copied().max().unwrap_or(0);
    Table {
        by_id,
        by_pair,
        max_id,
    }
});

/// Every built-in type (unordered).
pub fn all() -> impl Iterator<Item = &'static BuiltinType> {
    BUILTIN.by_id.values()
}

pub fn get(type_id: TypeId) -> Option<&'static BuiltinType> {
    BUILTIN.by_id.get(&type_id)
}

/// Whether `type_id` is taken by a built-in type (user label ids must never collide).
pub fn is_builtin_id(type_id: TypeId) -> bool {
    BUILTIN.by_id.contains_key(&type_id)
}

pub fn max_id() -> TypeId {
    BUILTIN.max_id
}

/// The built-in types of one direction, in type id order.
pub fn for_pair(pair: &Pair) -> Vec<&'static BuiltinType> {
    let key = (pair.from.as_str().to_string(), pair.to.as_str().to_string());
    let mut out: Vec<_> = BUILTIN
        .by_pair
        .get(&key)
        .map(|ids| ids.iter().filter_map(|id| BUILTIN.by_id.get(id)).collect())
        .unwrap_or_default();
    out.sort_by_key(|t| t.type_id);
    out
}

/// The built-in type `type_id` if it belongs to this direction.
pub fn in_pair(pair: &Pair, type_id: TypeId) -> Option<&'static BuiltinType> {
    get(type_id).filter(|t| t.from == pair.from.as_str() && t.to == pair.to.as_str())
}

/// The pair's default ("most generic") type: its unlabeled built-in type, if it has one.
pub fn default_for(pair: &Pair) -> Option<&'static BuiltinType> {
    for_pair(pair).into_iter().find(|t| t.label.is_none())
}

/// The object pair a built-in type connects, when both ends are addressable object types.
pub fn pair_of(t: &BuiltinType) -> Option<Pair> {
    let from = ObjectType::parse(&t.from).ok()?;
    let to = ObjectType::parse(&t.to).ok()?;
    Some(Pair::new(from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(a: &str, b: &str) -> Pair {
        Pair::new(ObjectType::parse(a).unwrap(), ObjectType::parse(b).unwrap())
    }

    #[test]
    fn has_the_whole_table_with_consistent_inverses() {
        assert_eq!(all().count(), 410);
        for t in all() {
            if let Some(inv) = t.inverse {
                let back = get(inv).expect("inverse exists");
                assert_eq!(back.inverse, Some(t.type_id), "type {}", t.type_id);
                assert_eq!(
                    (back.from.as_str(), back.to.as_str()),
                    (t.to.as_str(), t.from.as_str())
                );
            }
        }
    }

    #[test]
    fn knows_the_common_defaults_and_labels() {
        assert_eq!(
            default_for(&pair("contacts", "companies")).unwrap().type_id,
            279
        );
        assert_eq!(
            default_for(&pair("companies", "contacts")).unwrap().type_id,
            280
        );
        assert_eq!(
            default_for(&pair("deals", "companies")).unwrap().type_id,
            341
        );
        assert_eq!(
            default_for(&pair("contacts", "contacts")).unwrap().type_id,
            449
        );
        assert_eq!(get(1).unwrap().label.as_deref(), Some("Primary"));
        assert!(in_pair(&pair("deals", "companies"), 1).is_none());
        assert_eq!(
            in_pair(&pair("deals", "contacts"), 3).unwrap().inverse,
            Some(4)
        );
    }
}
