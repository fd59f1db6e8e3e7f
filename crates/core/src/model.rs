//! Plain domain values shared by the store and the API.

use crate::ObjectType;

/// The account that owns data. Every read and write is scoped to one portal.
pub type PortalId = i64;
/// A CRM record id. HubSpot ids exceed 2^31; assocd accepts 1..=i64::MAX.
pub type RecordId = i64;
/// An association type id (int32 on the wire).
pub type TypeId = i32;

/// Who defined an association type.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Category {
    HubspotDefined,
    UserDefined,
    IntegratorDefined,
    Work,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::HubspotDefined,
        Category::UserDefined,
        Category::IntegratorDefined,
        Category::Work,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::HubspotDefined => "HUBSPOT_DEFINED",
            Category::UserDefined => "USER_DEFINED",
            Category::IntegratorDefined => "INTEGRATOR_DEFINED",
            Category::Work => "WORK",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A directed pair of object types: the `{fromObjectType}/{toObjectType}` of a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pair {
    pub from: ObjectType,
    pub to: ObjectType,
}

impl Pair {
    pub fn new(from: ObjectType, to: ObjectType) -> Self {
        Pair { from, to }
    }
    pub fn reversed(&self) -> Pair {
        Pair {
            from: self.to.clone(),
            to: self.from.clone(),
        }
    }
}

/// One association type as the label endpoints list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssocType {
    pub category: Category,
    pub type_id: TypeId,
    pub label: Option<String>,
}

/// One direction of a portal's own (USER_DEFINED) label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserLabel {
    pub type_id: TypeId,
    /// The type id of the opposite direction (equal to `type_id` for a shared same-object type).
    pub inverse_type_id: TypeId,
    pub pair: Pair,
    pub name: String,
    pub label: Option<String>,
}

/// A validated request to create a label on `pair`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLabel {
    pub pair: Pair,
    pub name: String,
    pub label: String,
    pub inverse_label: Option<String>,
}

/// A validated rename of the label behind `type_id` (either direction of it) on `pair`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRename {
    pub pair: Pair,
    pub type_id: TypeId,
    pub label: String,
    pub inverse_label: Option<String>,
}

/// A user-enforced limit on one association type of a directed pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub pair: Pair,
    pub category: Category,
    pub type_id: TypeId,
    pub max_to_object_ids: i64,
    /// The type's label text (`None` for unlabeled types).
    pub label: Option<String>,
}
