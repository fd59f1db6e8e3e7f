//! `/_assocd/portals/{portalId}/rate-limits`: a portal's own rate-limit tier (or `custom`
//! numbers, or `off`), stored in the database so every replica applies it (within a second).
//! Enforced only while the server runs with `--rate-limits hubspot`; stored either way.

use crate::portals::portal_param;
use crate::ControlState;
use assocd_api::extract::Params;
use assocd_api::wire::{json, parse};
use assocd_api::ApiError;
use assocd_core::rate_limit::{RateLimitSetting, Tier, INTERVAL_MS};
use assocd_core::PortalId;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A portal's rate-limit setting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimitsDoc {
    /// `starter`, `professional`, `enterprise`, `api-pack`, `oauth`, `custom` or `off`.
    pub tier: String,
    /// Calls per token in any 10 s; only (and required) with `custom`.
    pub ten_secondly: Option<u64>,
    /// Calls per portal per UTC day; only (and required) with `custom`.
    pub daily: Option<u64>,
}

impl RateLimitsDoc {
    /// The setting, or a 400 whose message starts with `at` (a field path).
    pub fn into_setting(self, at: &str) -> Result<RateLimitSetting, ApiError> {
        let tier = Tier::parse(&self.tier).ok_or_else(|| {
            let names: Vec<_> = Tier::ALL.iter().map(|t| t.as_str()).collect();
            ApiError::invalid(format!(
                "{at}tier: '{}' is not one of {}",
                self.tier,
                names.join(", ")
            ))
        })?;
        RateLimitSetting::new(tier, self.ten_secondly, self.daily)
            .map_err(|m| ApiError::invalid(format!("{at}{m}")))
    }
}

/// The limits in force for a portal.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EffectiveLimits {
    portal_id: PortalId,
    pub(crate) tier: &'static str,
    /// Calls per token in any `intervalMilliseconds`; null when the tier is `off`.
    pub(crate) ten_secondly: Option<u64>,
    /// Calls per portal per UTC day; null for `off` and `oauth` (no daily cap).
    pub(crate) daily: Option<u64>,
    interval_milliseconds: i64,
    /// `portal`: the portal's own setting; `server`: the server's default tier.
    pub(crate) source: &'static str,
    /// Whether this server enforces rate limits (`--rate-limits hubspot`).
    pub(crate) enforced: bool,
}

pub(crate) fn effective(
    state: &ControlState,
    portal: PortalId,
    own: Option<RateLimitSetting>,
) -> EffectiveLimits {
    let limiter = state.api.rate_limits.as_ref();
    let (setting, source) = match (own, limiter) {
        (Some(s), _) => (s, "portal"),
        (None, Some(l)) => (l.default_setting(), "server"),
        (None, None) => (RateLimitSetting::of_tier(Tier::Off), "server"),
    };
    let limits = setting.limits();
    EffectiveLimits {
        portal_id: portal,
        tier: setting.tier.as_str(),
        ten_secondly: limits.map(|l| l.ten_secondly),
        daily: limits.and_then(|l| l.daily),
        interval_milliseconds: INTERVAL_MS,
        source,
        enforced: limiter.is_some(),
    }
}

fn no_portal(portal: PortalId) -> ApiError {
    assocd_core::Error::not_found(format!("No portal {portal} exists"))
        .with("portalId", [portal.to_string()])
        .into()
}

#[utoipa::path(get, path = "/_assocd/portals/{portalId}/rate-limits", tag = "rate limits",
    params(("portalId" = i64, Path)),
    responses((status = 200, body = EffectiveLimits), (status = 404, description = "No such portal")),
    security(("admin" = [])))]
pub(crate) async fn get(
    State(state): State<ControlState>,
    params: Params,
) -> Result<Response, ApiError> {
    let portal = portal_param(params.get(0))?;
    let (known, own) = state.api.store.rate_limits_of(portal).await?;
    if !known {
        return Err(no_portal(portal));
    }
    Ok(json(StatusCode::OK, &effective(&state, portal, own)))
}

#[utoipa::path(put, path = "/_assocd/portals/{portalId}/rate-limits", tag = "rate limits",
    params(("portalId" = i64, Path)), request_body = RateLimitsDoc,
    responses((status = 200, body = EffectiveLimits), (status = 400, description = "Bad setting"),
              (status = 404, description = "No such portal")),
    security(("admin" = [])))]
pub(crate) async fn put(
    State(state): State<ControlState>,
    params: Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let portal = portal_param(params.get(0))?;
    let setting = parse::<RateLimitsDoc>(&body)?.into_setting("")?;
    if !state.api.store.put_rate_limits(portal, &setting).await? {
        return Err(no_portal(portal));
    }
    if let Some(limiter) = &state.api.rate_limits {
        limiter.set(portal, setting);
    }
    Ok(json(
        StatusCode::OK,
        &effective(&state, portal, Some(setting)),
    ))
}
