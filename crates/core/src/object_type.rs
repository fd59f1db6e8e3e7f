//! CRM object types as they appear in paths: `0-1`, `contacts`, `Contact`, `2-123`.

use std::fmt;

/// The standard objects: type id and the names (singular and plural) HubSpot accepts.
const STANDARD: &[(&str, &[&str])] = &[
    ("0-1", &["contact", "contacts"]),
    ("0-2", &["company", "companies"]),
    ("0-3", &["deal", "deals"]),
    ("0-5", &["ticket", "tickets"]),
    ("0-7", &["product", "products"]),
    ("0-8", &["line_item", "line_items"]),
    ("0-14", &["quote", "quotes"]),
    ("0-18", &["communication", "communications"]),
    ("0-19", &["feedback_submission", "feedback_submissions"]),
    ("0-27", &["task", "tasks"]),
    ("0-46", &["note", "notes"]),
    ("0-47", &["meeting", "meetings"]),
    ("0-48", &["call", "calls"]),
    ("0-49", &["email", "emails"]),
    ("0-53", &["invoice", "invoices"]),
    ("0-54", &["marketing_event", "marketing_events"]),
    ("0-69", &["subscription", "subscriptions"]),
    ("0-74", &["goal", "goals", "goal_target", "goal_targets"]),
    ("0-84", &["discount", "discounts"]),
    ("0-85", &["fee", "fees"]),
    ("0-86", &["tax", "taxes"]),
    (
        "0-101",
        &[
            "payment",
            "payments",
            "commerce_payment",
            "commerce_payments",
        ],
    ),
    ("0-115", &["user", "users"]),
    ("0-116", &["postal_mail"]),
    ("0-123", &["order", "orders"]),
    ("0-136", &["lead", "leads"]),
    ("0-142", &["cart", "carts"]),
    ("0-162", &["service", "services"]),
    ("0-410", &["course", "courses"]),
    ("0-420", &["listing", "listings"]),
    ("0-421", &["appointment", "appointments"]),
    ("0-970", &["project", "projects"]),
];

/// A CRM object type, always held as its type id (`0-1`, `2-123`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectType(String);

/// The path segment did not name an object type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownObjectType(pub String);

impl ObjectType {
    /// Parses a path segment: a standard type id, a standard name (any case, singular or
    /// plural) or a custom object id `2-<n>`.
    pub fn parse(raw: &str) -> Result<Self, UnknownObjectType> {
        let lower = raw.to_ascii_lowercase();
        for (id, names) in STANDARD {
            if *id == lower || names.contains(&lower.as_str()) {
                return Ok(ObjectType((*id).to_string()));
            }
        }
        if let Some(n) = lower.strip_prefix("2-") {
            if !n.is_empty() && n.len() <= 18 && n.bytes().all(|b| b.is_ascii_digit()) {
                if let Ok(v) = n.parse::<u64>() {
                    if v > 0 {
                        return Ok(ObjectType(format!("2-{v}")));
                    }
                }
            }
        }
        Err(UnknownObjectType(raw.to_string()))
    }

    /// Wraps a type id read back from storage or from the built-in table without checks.
    pub fn from_stored(id: &str) -> Self {
        ObjectType(id.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_custom(&self) -> bool {
        self.0.starts_with("2-")
    }

    /// Upper-case singular name, as HubSpot prints object types in some messages (`CONTACT`).
    pub fn display_name(&self) -> String {
        STANDARD
            .iter()
            .find(|(id, _)| *id == self.0)
            .map(|(_, names)| names[0].to_ascii_uppercase())
            .unwrap_or_else(|| self.0.clone())
    }
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ids_and_names_in_any_case() {
        for (raw, id) in [
            ("0-1", "0-1"),
            ("contact", "0-1"),
            ("Contacts", "0-1"),
            ("COMPANIES", "0-2"),
            ("line_items", "0-8"),
            ("Line_Item", "0-8"),
            ("2-123", "2-123"),
            ("taxes", "0-86"),
        ] {
            assert_eq!(ObjectType::parse(raw).unwrap().as_str(), id, "{raw}");
        }
    }

    #[test]
    fn rejects_everything_else() {
        for raw in [
            "",
            "dea",
            "0-4",
            "2-",
            "2-x",
            "2-0",
            "3-1",
            "contactss",
            "2-99999999999999999999",
        ] {
            assert!(ObjectType::parse(raw).is_err(), "{raw}");
        }
    }
}
