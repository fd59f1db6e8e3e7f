//! The fixture document: JSON written by hand, parsed into `assocd_core::fixture::Fixture`.
//! Every problem found here names its entry (`portals[0].associations[3]`); what needs the
//! database (label names, limits, association limits) is checked when the store applies it.
//!
//! ```json
//! {"portals": [{
//!   "portalId": 1,
//!   "rateLimits": {"tier": "custom", "tenSecondly": 10, "daily": 1000},
//!   "tokens": [{"token": "test-token", "scopes": ["crm.objects.contacts.read"]}],
//!   "labels": [{"from": "contacts", "to": "companies", "name": "manager",
//!               "label": "Manager", "inverseLabel": "Managed company"}],
//!   "limits": [{"from": "contacts", "to": "companies", "category": "HUBSPOT_DEFINED", "typeId": 1, "max": 5},
//!              {"from": "contacts", "to": "companies", "label": "manager", "max": 2}],
//!   "associations": [{"from": "contacts/101", "to": "companies/202", "labels": ["manager"]},
//!                    {"from": "contacts/101", "to": "companies/203"}]
//! }],
//!  "apps": [{"appId": 7, "clientSecret": "s3cret", "developerApiKey": "dev-key", "portals": [1],
//!            "clientId": "my-client", "redirectUris": ["http://localhost:3000/callback"],
//!            "scopes": ["oauth", "crm.objects.contacts.read"],
//!            "webhooks": {"targetUrl": "http://127.0.0.1:9000/hook", "maxConcurrentRequests": 5,
//!                         "subscriptions": [{"eventType": "contact.associationChange"}]}}]}
//! ```

use crate::portals::{all_scopes, check_scopes};
use crate::AdminToken;
use assocd_api::ApiError;
use assocd_core::apps::{
    self as apps, check_app_id, check_max_concurrent, check_secret, check_target_url,
    new_subscription,
};
use assocd_core::fixture::{
    app_path, entry_path, AppFixture, Fixture, FixtureAssociation, FixtureLimit, FixtureToken,
    PortalFixture, TypeRef,
};
use assocd_core::oauth;
use assocd_core::records::parse_record_id;
use assocd_core::token::hash_secret;
use assocd_core::{label_rules, Category, NewLabel, ObjectType, Pair, PortalId, TypeId};
use serde::Deserialize;
use utoipa::ToSchema;

/// A fixture document.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FixtureDoc {
    /// At least one of `portals` and `apps` must be present.
    pub portals: Option<Vec<PortalDoc>>,
    pub apps: Option<Vec<AppDoc>>,
}

/// An app: its secret and developer API key of your choosing, the portals that installed it,
/// and optionally its webhook settings and subscriptions.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppDoc {
    pub app_id: i64,
    pub client_secret: String,
    pub developer_api_key: String,
    /// The OAuth client id (the app id as text when absent).
    pub client_id: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub portals: Vec<PortalId>,
    pub webhooks: Option<WebhooksDoc>,
}

/// An app's webhook target and subscriptions (`maxConcurrentRequests` 10 when absent).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhooksDoc {
    pub target_url: Option<String>,
    pub max_concurrent_requests: Option<i64>,
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionDoc>,
}

/// A subscription; `active` defaults to true.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscriptionDoc {
    pub event_type: String,
    pub object_type_id: Option<String>,
    pub property_name: Option<String>,
    pub active: Option<bool>,
}

/// The state of one portal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortalDoc {
    pub portal_id: PortalId,
    /// The portal's own rate-limit tier (as `PUT /_assocd/portals/{portalId}/rate-limits`).
    pub rate_limits: Option<crate::rate_limits::RateLimitsDoc>,
    #[serde(default)]
    pub tokens: Vec<TokenDoc>,
    #[serde(default)]
    pub labels: Vec<LabelDoc>,
    #[serde(default)]
    pub limits: Vec<LimitDoc>,
    #[serde(default)]
    pub associations: Vec<AssociationDoc>,
}

/// A token with a secret of your choosing; every scope when `scopes` is absent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenDoc {
    pub token: String,
    pub scopes: Option<Vec<String>>,
}

/// A label (USER_DEFINED type) created on `from` → `to`, named by its internal `name`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelDoc {
    pub from: String,
    pub to: String,
    pub name: String,
    pub label: String,
    pub inverse_label: Option<String>,
}

/// A limit on one type of `from` → `to`: a built-in type by `category` and `typeId`, or a
/// label by `label` (its name).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitDoc {
    pub from: String,
    pub to: String,
    pub category: Option<String>,
    pub type_id: Option<TypeId>,
    pub label: Option<String>,
    pub max: i64,
}

/// Two records (`objectType/id`) associated with the pair's default type, plus the labels
/// named in `labels` and the types in `types`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssociationDoc {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub types: Vec<TypeDoc>,
}

/// An association type by category and id.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TypeDoc {
    pub category: String,
    pub type_id: TypeId,
}

/// A refused entry: 400 whose message starts with the entry's path.
fn bad(path: &str, message: impl std::fmt::Display) -> ApiError {
    assocd_core::Error::validation(format!("{path}: {message}"))
        .with("entry", [path.to_string()])
        .into()
}

fn object_type(path: &str, raw: &str) -> Result<ObjectType, ApiError> {
    ObjectType::parse(raw).map_err(|e| bad(path, format!("unknown object type '{}'", e.0)))
}

fn pair(path: &str, from: &str, to: &str) -> Result<Pair, ApiError> {
    Ok(Pair::new(object_type(path, from)?, object_type(path, to)?))
}

fn category(path: &str, raw: &str) -> Result<Category, ApiError> {
    Category::parse(raw).ok_or_else(|| bad(path, format!("unknown category '{raw}'")))
}

/// `objectType/id` of an association end.
fn record(path: &str, raw: &str) -> Result<(ObjectType, i64), ApiError> {
    let (t, id) = raw
        .rsplit_once('/')
        .ok_or_else(|| bad(path, format!("'{raw}' is not objectType/id")))?;
    let id = parse_record_id(id).ok_or_else(|| bad(path, format!("'{id}' is not a record id")))?;
    Ok((object_type(path, t)?, id))
}

impl FixtureDoc {
    /// Parses a document's bytes (HubSpot-shaped errors naming the field for malformed JSON).
    pub fn parse(bytes: &[u8]) -> Result<FixtureDoc, ApiError> {
        assocd_api::wire::parse(bytes)
    }

    /// The fixture this document describes. `admin` is the control plane's token: a fixture
    /// may not turn it into a portal token.
    pub fn into_fixture(self, admin: Option<&AdminToken>) -> Result<Fixture, ApiError> {
        if self.portals.is_none() && self.apps.is_none() {
            return Err(ApiError::invalid(
                "A fixture document needs `portals`, `apps` or both",
            ));
        }
        let docs = self.portals.unwrap_or_default();
        let mut portals = Vec::with_capacity(docs.len());
        for (pi, p) in docs.into_iter().enumerate() {
            if p.portal_id <= 0 {
                return Err(bad(
                    &format!("portals[{pi}]"),
                    "portalId must be a positive integer",
                ));
            }
            let rate_limits = match p.rate_limits {
                Some(doc) => Some(doc.into_setting(&format!("portals[{pi}].rateLimits."))?),
                None => None,
            };
            let mut out = PortalFixture {
                portal_id: p.portal_id,
                rate_limits,
                ..Default::default()
            };
            for (i, t) in p.tokens.into_iter().enumerate() {
                let path = entry_path(pi, "tokens", i);
                if t.token.trim().is_empty()
                    || t.token.len() > 512
                    || t.token.contains(char::is_whitespace)
                {
                    return Err(bad(&path, "a token is 1 to 512 characters without spaces"));
                }
                if admin.is_some_and(|a| a.matches(&t.token)) {
                    return Err(bad(&path, "the admin token cannot be a portal token"));
                }
                let scopes = match t.scopes {
                    Some(s) => {
                        check_scopes(&s, &format!("{path}.scopes"))?;
                        s
                    }
                    None => all_scopes(),
                };
                out.tokens.push(FixtureToken {
                    hash: hash_secret(&t.token),
                    scopes,
                });
            }
            for (i, l) in p.labels.into_iter().enumerate() {
                let path = entry_path(pi, "labels", i);
                label_rules::check_new(&l.name, &l.label, l.inverse_label.as_deref())
                    .map_err(|(_, message)| bad(&path, message))?;
                out.labels.push(NewLabel {
                    pair: pair(&path, &l.from, &l.to)?,
                    name: l.name,
                    label: l.label,
                    inverse_label: l.inverse_label,
                });
            }
            for (i, l) in p.limits.into_iter().enumerate() {
                let path = entry_path(pi, "limits", i);
                let of = match (l.label, l.category, l.type_id) {
                    (Some(name), None, None) => TypeRef::Label(name),
                    (None, Some(c), Some(id)) => TypeRef::Id(category(&path, &c)?, id),
                    _ => {
                        return Err(bad(
                            &path,
                            "name the type by `label`, or by `category` and `typeId`",
                        ))
                    }
                };
                out.limits.push(FixtureLimit {
                    pair: pair(&path, &l.from, &l.to)?,
                    of,
                    max: l.max,
                });
            }
            for (i, a) in p.associations.into_iter().enumerate() {
                let path = entry_path(pi, "associations", i);
                let (from_type, from) = record(&path, &a.from)?;
                let (to_type, to) = record(&path, &a.to)?;
                let mut types: Vec<TypeRef> = a.labels.into_iter().map(TypeRef::Label).collect();
                for t in a.types {
                    types.push(TypeRef::Id(category(&path, &t.category)?, t.type_id));
                }
                out.associations.push(FixtureAssociation {
                    pair: Pair::new(from_type, to_type),
                    from,
                    to,
                    types,
                });
            }
            portals.push(out);
        }
        let apps = self
            .apps
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, a)| a.into_fixture(&app_path(i)))
            .collect::<Result<_, _>>()?;
        Ok(Fixture { portals, apps })
    }
}

impl AppDoc {
    fn into_fixture(self, path: &str) -> Result<AppFixture, ApiError> {
        check_app_id(self.app_id).map_err(|m| bad(path, m))?;
        check_secret("clientSecret", &self.client_secret).map_err(|(_, m)| bad(path, m))?;
        check_secret("developerApiKey", &self.developer_api_key).map_err(|(_, m)| bad(path, m))?;
        if let Some(p) = self.portals.iter().find(|p| **p <= 0) {
            return Err(bad(path, format!("portal {p} must be a positive integer")));
        }
        if let Some(id) = &self.client_id {
            oauth::check_client_id(id).map_err(|m| bad(path, m))?;
        }
        for uri in &self.redirect_uris {
            oauth::check_redirect_uri(uri).map_err(|m| bad(path, m))?;
        }
        for scope in &self.scopes {
            oauth::check_scope(scope).map_err(|m| bad(path, m))?;
        }
        let (mut settings, mut subscriptions) = (None, Vec::new());
        if let Some(w) = self.webhooks {
            let max = w
                .max_concurrent_requests
                .unwrap_or(apps::DEFAULT_MAX_CONCURRENT);
            check_max_concurrent(max).map_err(|m| bad(path, m))?;
            if let Some(url) = w.target_url {
                check_target_url(&url).map_err(|m| bad(path, m))?;
                settings = Some((url, max));
            }
            for (i, s) in w.subscriptions.into_iter().enumerate() {
                let sub = new_subscription(
                    &s.event_type,
                    s.object_type_id.as_deref(),
                    s.property_name.as_deref(),
                    s.active.unwrap_or(true),
                )
                .map_err(|(_, m)| bad(&format!("{path}.webhooks.subscriptions[{i}]"), m))?;
                subscriptions.push(sub);
            }
        }
        Ok(AppFixture {
            app_id: self.app_id,
            client_secret: self.client_secret,
            key_hash: hash_secret(&self.developer_api_key),
            client_id: self.client_id,
            redirect_uris: self.redirect_uris,
            scopes: self.scopes,
            portals: self.portals,
            settings,
            subscriptions,
        })
    }
}
