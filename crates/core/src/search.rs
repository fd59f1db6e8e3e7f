//! The records search (`POST /crm/objects/{v}/{objectType}/search`) for what assocd knows:
//! records by association. A filter `associations.<objectType>` with `EQ` (one record id) or
//! `IN` (several) matches the records associated with one of those records; filters of a group
//! must all match (AND), groups are alternatives (OR), as in HubSpot's search. Anything that
//! needs record properties is refused: assocd stores associations, not records.

use crate::error::Error;
use crate::records::parse_record_id;
use crate::{ObjectType, RecordId};

/// Results per page when `limit` is absent (HubSpot's default).
pub const DEFAULT_LIMIT: usize = 10;
/// Most results per page (HubSpot's documented maximum).
pub const MAX_LIMIT: usize = 200;
/// Most filter groups (HubSpot's documented maximum).
pub const MAX_GROUPS: usize = 6;
/// Most filters in one group and in all groups together (HubSpot's search guide).
pub const MAX_FILTERS_PER_GROUP: usize = 6;
pub const MAX_FILTERS: usize = 18;
/// Most record ids one `IN` filter may list (assocd's own bound).
pub const MAX_VALUES: usize = 100;
/// The one property a search can sort on, and the one a result carries.
pub const ID_PROPERTY: &str = "hs_object_id";

/// A filter as the request states it.
#[derive(Debug, Clone, Default)]
pub struct FilterIn {
    pub property_name: String,
    pub operator: String,
    pub value: Option<String>,
    pub values: Option<Vec<String>>,
}

/// A sort as the request states it.
#[derive(Debug, Clone)]
pub struct SortIn {
    pub property_name: String,
    pub descending: bool,
}

/// The request, read from the wire but not yet judged.
#[derive(Debug, Clone, Default)]
pub struct SearchIn {
    pub groups: Vec<Vec<FilterIn>>,
    pub sorts: Vec<SortIn>,
    pub limit: Option<i64>,
    pub after: Option<String>,
    pub query: Option<String>,
}

/// Records associated with one of `ids`, records of `object_type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssocFilter {
    pub object_type: ObjectType,
    pub ids: Vec<RecordId>,
}

/// A search the store can run: groups of filters (OR of ANDs), order, one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordQuery {
    pub groups: Vec<Vec<AssocFilter>>,
    pub descending: bool,
    pub offset: usize,
    pub limit: usize,
}

/// One page of matching record ids and how many match in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordPage {
    pub total: u64,
    pub ids: Vec<RecordId>,
}

impl RecordQuery {
    /// The `after` of the next page, when more results exist.
    pub fn next_after(&self, page: &RecordPage) -> Option<String> {
        let seen = self.offset as u64 + page.ids.len() as u64;
        (!page.ids.is_empty() && seen < page.total).then(|| seen.to_string())
    }
}

fn refuse(message: String, field: &str, value: &str) -> Error {
    Error::validation(message).with(field, [value])
}

const STORES_ASSOCIATIONS: &str =
    "assocd stores associations, not record properties: search by associations.<objectType> with EQ or IN";

fn filter(f: &FilterIn) -> Result<AssocFilter, Error> {
    let Some(type_name) = f.property_name.strip_prefix("associations.") else {
        return Err(refuse(
            format!(
                "{STORES_ASSOCIATIONS}; '{}' is not an association filter",
                f.property_name
            ),
            "propertyName",
            &f.property_name,
        ));
    };
    let object_type = ObjectType::parse(type_name).map_err(|e| {
        refuse(
            format!("Unable to infer object type from: {}", e.0),
            "propertyName",
            &f.property_name,
        )
    })?;
    let raw: Vec<&str> = match f.operator.as_str() {
        "EQ" => match &f.value {
            Some(v) => vec![v.as_str()],
            None => return Err(refuse("Operator EQ needs a value".into(), "operator", "EQ")),
        },
        "IN" => match &f.values {
            Some(vs) if !vs.is_empty() && vs.len() <= MAX_VALUES => {
                vs.iter().map(String::as_str).collect()
            }
            _ => {
                return Err(refuse(
                    format!("Operator IN needs from 1 to {MAX_VALUES} values"),
                    "operator",
                    "IN",
                ))
            }
        },
        other => {
            return Err(refuse(
                format!("{STORES_ASSOCIATIONS}; operator '{other}' is not supported"),
                "operator",
                other,
            ))
        }
    };
    let mut ids = Vec::with_capacity(raw.len());
    for v in raw {
        let id = parse_record_id(v.trim()).ok_or_else(|| {
            refuse(
                format!("'{v}' is not a record id of {}", object_type.display_name()),
                "value",
                v,
            )
        })?;
        ids.push(id);
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(AssocFilter { object_type, ids })
}

/// Judges a search request: the query the store runs, or why it cannot be answered.
pub fn plan(input: &SearchIn) -> Result<RecordQuery, Error> {
    if let Some(q) = input.query.as_deref().filter(|q| !q.trim().is_empty()) {
        return Err(refuse(
            format!("{STORES_ASSOCIATIONS}; a text query cannot be answered"),
            "query",
            q,
        ));
    }
    let total: usize = input.groups.iter().map(Vec::len).sum();
    if input.groups.is_empty() || input.groups.iter().any(Vec::is_empty) {
        return Err(Error::validation(format!(
            "{STORES_ASSOCIATIONS}; give at least one filter in every filter group"
        )));
    }
    if input.groups.len() > MAX_GROUPS
        || input.groups.iter().any(|g| g.len() > MAX_FILTERS_PER_GROUP)
        || total > MAX_FILTERS
    {
        return Err(Error::validation(format!(
            "Too many filters: at most {MAX_GROUPS} filter groups of at most {MAX_FILTERS_PER_GROUP} filters, {MAX_FILTERS} filters in all"
        )));
    }
    let groups = input
        .groups
        .iter()
        .map(|g| g.iter().map(filter).collect::<Result<Vec<_>, _>>())
        .collect::<Result<Vec<_>, _>>()?;
    let descending = match input.sorts.as_slice() {
        [] => false,
        [s] if s.property_name == ID_PROPERTY => s.descending,
        [s] => {
            return Err(refuse(
                format!(
                    "{STORES_ASSOCIATIONS}; results sort only by {ID_PROPERTY}, not '{}'",
                    s.property_name
                ),
                "sorts",
                &s.property_name,
            ))
        }
        _ => return Err(Error::validation("At most one sort is allowed")),
    };
    let limit = match input.limit {
        None => DEFAULT_LIMIT,
        Some(n) if (1..=MAX_LIMIT as i64).contains(&n) => n as usize,
        Some(n) => {
            return Err(refuse(
                format!("limit must be from 1 to {MAX_LIMIT}"),
                "limit",
                &n.to_string(),
            ))
        }
    };
    let offset = match input.after.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(a) => a
            .parse::<u32>()
            .map_err(|_| refuse(format!("Invalid after: '{a}'"), "after", a))?
            as usize,
    };
    Ok(RecordQuery {
        groups,
        descending,
        offset,
        limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(property: &str, op: &str, value: Option<&str>, values: &[&str]) -> FilterIn {
        FilterIn {
            property_name: property.into(),
            operator: op.into(),
            value: value.map(Into::into),
            values: (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect()),
        }
    }

    fn search(groups: Vec<Vec<FilterIn>>) -> SearchIn {
        SearchIn {
            groups,
            ..SearchIn::default()
        }
    }

    #[test]
    fn eq_and_in_filters_become_id_sets_by_object_type() {
        let q = plan(&search(vec![
            vec![f("associations.contact", "EQ", Some("7"), &[])],
            vec![f("associations.0-2", "IN", None, &["9", "3", "9"])],
        ]))
        .unwrap();
        assert_eq!(q.groups[0][0].object_type.as_str(), "0-1");
        assert_eq!(q.groups[0][0].ids, vec![7]);
        assert_eq!(q.groups[1][0].ids, vec![3, 9]);
        assert_eq!((q.offset, q.limit, q.descending), (0, DEFAULT_LIMIT, false));
    }

    #[test]
    fn property_filters_and_other_operators_are_refused() {
        for bad in [
            f("email", "EQ", Some("a@b"), &[]),
            f("associations.contact", "GT", Some("1"), &[]),
            f("associations.contact", "EQ", Some("x"), &[]),
            f("associations.contact", "IN", None, &[]),
            f("associations.nothing", "EQ", Some("1"), &[]),
        ] {
            let e = plan(&search(vec![vec![bad.clone()]])).unwrap_err();
            assert_eq!(e.kind, crate::ErrorKind::Validation, "{bad:?}");
        }
        let e = plan(&search(vec![vec![f("email", "EQ", Some("a"), &[])]])).unwrap_err();
        assert!(e.message.contains("not record properties"), "{}", e.message);
        assert!(plan(&search(vec![])).is_err(), "no filter");
    }

    #[test]
    fn paging_and_sort_bounds() {
        let mut s = search(vec![vec![f("associations.deal", "EQ", Some("1"), &[])]]);
        s.limit = Some(201);
        assert!(plan(&s).is_err());
        s.limit = Some(200);
        s.after = Some("400".into());
        s.sorts = vec![SortIn {
            property_name: ID_PROPERTY.into(),
            descending: true,
        }];
        let q = plan(&s).unwrap();
        assert_eq!((q.offset, q.limit, q.descending), (400, 200, true));
        let page = RecordPage {
            total: 601,
            ids: vec![1; 200],
        };
        assert_eq!(q.next_after(&page).as_deref(), Some("600"));
        let last = RecordPage {
            total: 600,
            ids: vec![1; 200],
        };
        assert_eq!(q.next_after(&last), None);
        s.sorts[0].property_name = "createdate".into();
        assert!(plan(&s).is_err());
    }
}
