//! Apps and their webhook configuration: what HubSpot's webhooks v3 management API manages.
//! An app (a developer's integration) is installed in portals, has one target URL with a
//! concurrency cap ("settings") and a list of subscriptions naming the event types it wants.
//! The facts HubSpot defines (event type names, the subscription cap) are tables here.

use crate::{ObjectType, PortalId};
use std::fmt;

/// An app id (int32 on HubSpot's wire, kept as i64 here like every other id).
pub type AppId = i64;
/// A webhook subscription id (int32 on the wire, a string in answers).
pub type SubscriptionId = i64;

/// Largest app and subscription id: HubSpot's paths type both as int32.
pub const MAX_ID: i64 = i32::MAX as i64;
/// HubSpot's cap on subscriptions per app.
pub const MAX_SUBSCRIPTIONS_PER_APP: i64 = 1000;
/// `throttling.maxConcurrentRequests` when an app never set it (HubSpot's default).
pub const DEFAULT_MAX_CONCURRENT: i64 = 10;
/// The range assocd accepts for `maxConcurrentRequests`.
pub const MAX_CONCURRENT_RANGE: (i64, i64) = (1, 100);

/// Every `eventType` HubSpot's webhooks v3 spec lists (`SubscriptionCreateRequest`).
pub const EVENT_TYPES: [&str; 48] = [
    "company.associationChange",
    "company.creation",
    "company.deletion",
    "company.merge",
    "company.propertyChange",
    "company.restore",
    "contact.associationChange",
    "contact.creation",
    "contact.deletion",
    "contact.merge",
    "contact.privacyDeletion",
    "contact.propertyChange",
    "contact.restore",
    "conversation.creation",
    "conversation.deletion",
    "conversation.newMessage",
    "conversation.privacyDeletion",
    "conversation.propertyChange",
    "deal.associationChange",
    "deal.creation",
    "deal.deletion",
    "deal.merge",
    "deal.propertyChange",
    "deal.restore",
    "event.completed",
    "line_item.associationChange",
    "line_item.creation",
    "line_item.deletion",
    "line_item.merge",
    "line_item.propertyChange",
    "line_item.restore",
    "object.associationChange",
    "object.creation",
    "object.deletion",
    "object.merge",
    "object.propertyChange",
    "object.restore",
    "product.creation",
    "product.deletion",
    "product.merge",
    "product.propertyChange",
    "product.restore",
    "ticket.associationChange",
    "ticket.creation",
    "ticket.deletion",
    "ticket.merge",
    "ticket.propertyChange",
    "ticket.restore",
];

/// The generic association event type (one subscription per object type).
pub const OBJECT_ASSOCIATION_CHANGE: &str = "object.associationChange";

/// The per-object ("legacy") association event types and the object each fires for.
pub const LEGACY_ASSOCIATION_TYPES: [(&str, &str); 5] = [
    ("contact.associationChange", "0-1"),
    ("company.associationChange", "0-2"),
    ("deal.associationChange", "0-3"),
    ("ticket.associationChange", "0-5"),
    ("line_item.associationChange", "0-8"),
];

pub fn is_event_type(name: &str) -> bool {
    EVENT_TYPES.contains(&name)
}

/// Whether `name` is an event type assocd ever delivers (the association changes); the others
/// are stored and listed but never fire.
pub fn is_delivered(name: &str) -> bool {
    name == OBJECT_ASSOCIATION_CHANGE || legacy_object(name).is_some()
}

/// The object type a legacy association event type fires for (`contact.associationChange` ->
/// `0-1`).
pub fn legacy_object(event_type: &str) -> Option<ObjectType> {
    LEGACY_ASSOCIATION_TYPES
        .iter()
        .find(|(name, _)| *name == event_type)
        .map(|(_, id)| ObjectType::from_stored(id))
}

/// An app as assocd keeps it. The developer API key is stored only as a hash.
#[derive(Clone, PartialEq, Eq)]
pub struct App {
    pub app_id: AppId,
    /// Signs every webhook request (v1 and v3); the OAuth client secret.
    pub client_secret: String,
    /// The OAuth client id (unique among apps).
    pub client_id: String,
    /// Where `/oauth/authorize` may send the browser back to (exact match).
    pub redirect_uris: Vec<String>,
    /// The scopes the app may be granted.
    pub scopes: Vec<String>,
    /// Portals that installed the app, in id order.
    pub portals: Vec<PortalId>,
    pub created_at_ms: i64,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("app_id", &self.app_id)
            .field("client_secret", &"***")
            .field("client_id", &self.client_id)
            .field("redirect_uris", &self.redirect_uris)
            .field("scopes", &self.scopes)
            .field("portals", &self.portals)
            .finish()
    }
}

/// An app to create.
#[derive(Clone, PartialEq, Eq)]
pub struct NewApp {
    /// A fresh id when `None`.
    pub app_id: Option<AppId>,
    pub client_secret: String,
    /// SHA-256 of the developer API key (`hapikey`).
    pub key_hash: String,
    /// The OAuth client id; the app id as text when `None`.
    pub client_id: Option<String>,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    pub portals: Vec<PortalId>,
}

impl fmt::Debug for NewApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewApp")
            .field("app_id", &self.app_id)
            .field("portals", &self.portals)
            .finish()
    }
}

/// An app's webhook settings: where events go and how many requests may be in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    pub target_url: String,
    pub max_concurrent_requests: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// A subscription of an app to one event type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: SubscriptionId,
    pub app_id: AppId,
    pub event_type: String,
    pub property_name: Option<String>,
    /// For `object.*` types: the object type id the subscription is for.
    pub object_type_id: Option<String>,
    pub active: bool,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// A subscription to create (already checked: the event type is one of `EVENT_TYPES`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscription {
    pub event_type: String,
    pub property_name: Option<String>,
    pub object_type_id: Option<String>,
    pub active: bool,
}

/// A subscription request, checked: the event type is one HubSpot lists, an `object.*` type
/// names its object type (a name or id; kept as the type id). Errors name the field.
pub fn new_subscription(
    event_type: &str,
    object_type_id: Option<&str>,
    property_name: Option<&str>,
    active: bool,
) -> Result<NewSubscription, (&'static str, String)> {
    if !is_event_type(event_type) {
        return Err((
            "eventType",
            format!("'{event_type}' is not a valid eventType"),
        ));
    }
    let object_type_id = match object_type_id {
        Some(raw) => Some(
            ObjectType::parse(raw)
                .map_err(|_| ("objectTypeId", format!("Unknown objectTypeId '{raw}'")))?
                .as_str()
                .to_string(),
        ),
        None if event_type.starts_with("object.") => {
            return Err((
                "objectTypeId",
                format!("objectTypeId is required for {event_type} subscriptions"),
            ))
        }
        None => None,
    };
    Ok(NewSubscription {
        event_type: event_type.to_string(),
        property_name: property_name.map(str::to_string),
        object_type_id,
        active,
    })
}

/// Checks a secret or key chosen by the caller: 1 to 512 characters, no whitespace.
pub fn check_secret(field: &'static str, value: &str) -> Result<(), (&'static str, String)> {
    if value.is_empty() || value.len() > 512 || value.contains(char::is_whitespace) {
        return Err((
            field,
            format!("{field} must be 1 to 512 characters without whitespace"),
        ));
    }
    Ok(())
}

/// Checks an app id: positive, and within int32 as HubSpot's paths type it.
pub fn check_app_id(id: i64) -> Result<(), String> {
    if id <= 0 || id > MAX_ID {
        return Err(format!("appId {id} must be a positive 32-bit integer"));
    }
    Ok(())
}

/// `throttling.maxConcurrentRequests` within the range assocd accepts.
pub fn check_max_concurrent(max: i64) -> Result<(), String> {
    let (lo, hi) = MAX_CONCURRENT_RANGE;
    if !(lo..=hi).contains(&max) {
        return Err(format!(
            "maxConcurrentRequests must be between {lo} and {hi}, got {max}"
        ));
    }
    Ok(())
}

/// Checks a target URL: an absolute `http://` or `https://` URL with a host.
pub fn check_target_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| format!("targetUrl '{url}' must be an absolute http:// or https:// URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || url.len() > 2048 || url.chars().any(char::is_whitespace) {
        return Err(format!("targetUrl '{url}' is not a valid URL"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn association_types_are_delivered_and_others_are_not() {
        assert!(is_delivered("contact.associationChange"));
        assert!(is_delivered("object.associationChange"));
        assert!(!is_delivered("contact.creation"));
        assert!(is_event_type("contact.creation"));
        assert!(!is_event_type("contact.create"));
        assert_eq!(
            legacy_object("line_item.associationChange")
                .unwrap()
                .as_str(),
            "0-8"
        );
    }

    #[test]
    fn object_subscriptions_name_their_object_type() {
        let s = new_subscription("object.associationChange", Some("deals"), None, true).unwrap();
        assert_eq!(s.object_type_id.as_deref(), Some("0-3"));
        assert!(new_subscription("object.associationChange", None, None, true).is_err());
        assert!(new_subscription("contact.associationChange", None, None, true).is_ok());
        assert_eq!(
            new_subscription("contact.nope", None, None, true)
                .unwrap_err()
                .0,
            "eventType"
        );
    }

    #[test]
    fn target_urls_are_absolute_http() {
        assert!(check_target_url("http://127.0.0.1:8080/hook").is_ok());
        assert!(check_target_url("https://example.com").is_ok());
        for bad in ["", "ftp://x", "http://", "/hook", "http:// x"] {
            assert!(check_target_url(bad).is_err(), "{bad}");
        }
    }
}
