//! Fixtures: a starting state written by hand (portals, tokens, labels, limits, associations),
//! applied all or nothing. This is the parsed form; the JSON document is the control plane's
//! business. Labels are named by their internal `name`, never by the type ids assocd assigns,
//! so one fixture applies to any database; built-in types by category and type id.

use crate::apps::{AppId, NewSubscription};
use crate::rate_limit::RateLimitSetting;
use crate::{Category, NewLabel, Pair, PortalId, RecordId, TypeId};

/// A whole fixture document: portals first, then apps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fixture {
    pub portals: Vec<PortalFixture>,
    pub apps: Vec<AppFixture>,
}

/// An app with its installs and, optionally, its webhook settings and subscriptions. An app
/// already stored must have the same secret and key; missing installs and subscriptions are
/// added, settings are set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppFixture {
    pub app_id: AppId,
    pub client_secret: String,
    /// SHA-256 of the developer API key.
    pub key_hash: String,
    /// The OAuth client id (the app id as text when absent and the app is new).
    pub client_id: Option<String>,
    /// Replace the stored ones when not empty.
    pub redirect_uris: Vec<String>,
    /// Replace the stored ones when not empty.
    pub scopes: Vec<String>,
    pub portals: Vec<PortalId>,
    /// `(targetUrl, maxConcurrentRequests)`.
    pub settings: Option<(String, i64)>,
    pub subscriptions: Vec<NewSubscription>,
}

/// The state of one portal. Entries apply in document order: tokens, labels, limits,
/// associations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortalFixture {
    pub portal_id: PortalId,
    /// The portal's own rate-limit setting, when the document gives one.
    pub rate_limits: Option<RateLimitSetting>,
    pub tokens: Vec<FixtureToken>,
    pub labels: Vec<NewLabel>,
    pub limits: Vec<FixtureLimit>,
    pub associations: Vec<FixtureAssociation>,
}

/// A token by the hash of its secret (the secret itself is never kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureToken {
    pub hash: String,
    pub scopes: Vec<String>,
}

/// An association type as a fixture names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeRef {
    /// A type by category and id (built-in types).
    Id(Category, TypeId),
    /// A portal's own label by its internal name, in the direction of the entry's pair.
    Label(String),
}

/// A limit (`maxToObjectIds`) on one type of a direction. Applying it creates or updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureLimit {
    pub pair: Pair,
    pub of: TypeRef,
    pub max: i64,
}

/// Two records associated with these types (none: the pair's default type), added as R5 does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureAssociation {
    pub pair: Pair,
    pub from: RecordId,
    pub to: RecordId,
    pub types: Vec<TypeRef>,
}

/// What applying a fixture created (entries already present count as nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FixtureSummary {
    pub portals: u64,
    pub tokens: u64,
    pub labels: u64,
    /// Limits created or changed.
    pub limits: u64,
    /// Record pairs associated that were not associated before.
    pub associations: u64,
    /// Apps created.
    pub apps: u64,
}

/// The path of an entry in the document, as error messages name it:
/// `portals[0].associations[3]`.
pub fn entry_path(portal_index: usize, list: &str, index: usize) -> String {
    format!("portals[{portal_index}].{list}[{index}]")
}

/// The path of an app entry: `apps[1]`.
pub fn app_path(index: usize) -> String {
    format!("apps[{index}]")
}
