//! Apps on demand: a developer integration with a client secret (signs webhooks) and a
//! developer API key (`hapikey`, manages its webhooks through HubSpot's webhooks v3 API),
//! installed in portals.

use crate::portals::portal_param;
use crate::ControlState;
use assocd_api::extract::Params;
use assocd_api::wire::{json, no_content, parse, timestamp};
use assocd_api::ApiError;
use assocd_core::apps::{check_app_id, check_secret, App, AppId, NewApp};
use assocd_core::oauth::{check_client_id, check_redirect_uri, check_scope};
use assocd_core::token::hash_secret;
use assocd_core::PortalId;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A fresh secret in the shape of HubSpot's client secrets and developer keys (a UUID), from
/// the OS's random source.
pub fn new_uuid_secret() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateApp {
    /// A fresh id when absent (int32 range).
    app_id: Option<AppId>,
    /// Portals that installed the app.
    #[serde(default)]
    portals: Vec<PortalId>,
    /// Generated (a UUID) when absent.
    client_secret: Option<String>,
    /// Generated (a UUID) when absent; stored only as a hash.
    developer_api_key: Option<String>,
    /// The OAuth client id; generated (a UUID) when absent.
    client_id: Option<String>,
    /// Where `/oauth/authorize` may redirect to (exact match).
    #[serde(default)]
    redirect_uris: Vec<String>,
    /// The scopes OAuth may grant the app.
    #[serde(default)]
    scopes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreatedApp {
    app_id: AppId,
    client_secret: String,
    /// The key to send as `hapikey`; shown only here.
    developer_api_key: String,
    client_id: String,
    redirect_uris: Vec<String>,
    scopes: Vec<String>,
    portals: Vec<PortalId>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppView {
    app_id: AppId,
    client_secret: String,
    client_id: String,
    redirect_uris: Vec<String>,
    scopes: Vec<String>,
    portals: Vec<PortalId>,
    created_at: String,
}

impl From<App> for AppView {
    fn from(a: App) -> Self {
        AppView {
            app_id: a.app_id,
            client_secret: a.client_secret,
            client_id: a.client_id,
            redirect_uris: a.redirect_uris,
            scopes: a.scopes,
            portals: a.portals,
            created_at: chrono::DateTime::from_timestamp_millis(a.created_at_ms)
                .map(timestamp)
                .unwrap_or_default(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AppList {
    results: Vec<AppView>,
}

fn field_error((field, message): (&'static str, String)) -> ApiError {
    let mut e = ApiError::invalid(message);
    if let ApiError::Invalid { context, .. } = &mut e {
        context.insert("field".into(), vec![field.to_string()]);
    }
    e
}

/// An app id from the path.
pub(crate) fn app_param(raw: &str) -> Result<AppId, ApiError> {
    raw.parse::<AppId>()
        .ok()
        .filter(|id| check_app_id(*id).is_ok())
        .ok_or_else(|| {
            ApiError::invalid(format!("Invalid app id '{raw}': a positive 32-bit integer"))
        })
}

fn no_app(app_id: AppId) -> ApiError {
    assocd_core::Error::not_found(format!("No app {app_id} exists"))
        .with("appId", [app_id.to_string()])
        .into()
}

#[utoipa::path(post, path = "/_assocd/apps", tag = "apps",
    request_body(content = CreateApp, description = "Every field is optional; an empty body is allowed"),
    responses((status = 201, body = CreatedApp), (status = 400, description = "Bad input"),
              (status = 409, description = "The app id, developer key or client id is taken")),
    security(("admin" = [])))]
pub(crate) async fn create(
    State(state): State<ControlState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: CreateApp = if body.iter().all(u8::is_ascii_whitespace) {
        CreateApp::default()
    } else {
        parse(&body)?
    };
    if let Some(id) = req.app_id {
        check_app_id(id).map_err(|m| field_error(("appId", m)))?;
    }
    if let Some(p) = req.portals.iter().find(|p| **p <= 0) {
        return Err(field_error((
            "portals",
            format!("portal {p} must be a positive integer"),
        )));
    }
    let client_secret = req.client_secret.unwrap_or_else(new_uuid_secret);
    check_secret("clientSecret", &client_secret).map_err(field_error)?;
    let key = req.developer_api_key.unwrap_or_else(new_uuid_secret);
    check_secret("developerApiKey", &key).map_err(field_error)?;
    let client_id = req.client_id.unwrap_or_else(new_uuid_secret);
    check_client_id(&client_id).map_err(|m| field_error(("clientId", m)))?;
    for uri in &req.redirect_uris {
        check_redirect_uri(uri).map_err(|m| field_error(("redirectUris", m)))?;
    }
    for scope in &req.scopes {
        check_scope(scope).map_err(|m| field_error(("scopes", m)))?;
    }
    let app = state
        .api
        .store
        .create_app(&NewApp {
            app_id: req.app_id,
            client_secret,
            key_hash: hash_secret(&key),
            client_id: Some(client_id),
            redirect_uris: req.redirect_uris,
            scopes: req.scopes,
            portals: req.portals,
        })
        .await?;
    Ok(json(
        StatusCode::CREATED,
        &CreatedApp {
            app_id: app.app_id,
            client_secret: app.client_secret,
            developer_api_key: key,
            client_id: app.client_id,
            redirect_uris: app.redirect_uris,
            scopes: app.scopes,
            portals: app.portals,
        },
    ))
}

#[utoipa::path(get, path = "/_assocd/apps", tag = "apps",
    responses((status = 200, body = AppList)), security(("admin" = [])))]
pub(crate) async fn list(State(state): State<ControlState>) -> Result<Response, ApiError> {
    let results = state
        .api
        .store
        .list_apps()
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(json(StatusCode::OK, &AppList { results }))
}

#[utoipa::path(get, path = "/_assocd/apps/{appId}", tag = "apps",
    params(("appId" = i64, Path)),
    responses((status = 200, body = AppView), (status = 404, description = "No such app")),
    security(("admin" = [])))]
pub(crate) async fn get(
    State(state): State<ControlState>,
    params: Params,
) -> Result<Response, ApiError> {
    let app_id = app_param(params.get(0))?;
    match state.api.store.get_app(app_id).await? {
        Some(app) => Ok(json(StatusCode::OK, &AppView::from(app))),
        None => Err(no_app(app_id)),
    }
}

#[utoipa::path(delete, path = "/_assocd/apps/{appId}", tag = "apps",
    params(("appId" = i64, Path)),
    responses((status = 204, description = "The app, its installs, webhook settings, subscriptions and pending deliveries removed"),
              (status = 404, description = "No such app")),
    security(("admin" = [])))]
pub(crate) async fn delete(
    State(state): State<ControlState>,
    params: Params,
) -> Result<Response, ApiError> {
    let app_id = app_param(params.get(0))?;
    let deleted = state.api.store.delete_app(app_id).await?;
    state.api.forget_tokens();
    if deleted {
        Ok(no_content())
    } else {
        Err(no_app(app_id))
    }
}

#[utoipa::path(put, path = "/_assocd/apps/{appId}/portals/{portalId}", tag = "apps",
    params(("appId" = i64, Path), ("portalId" = i64, Path)),
    responses((status = 204, description = "Installed (or already installed)"),
              (status = 404, description = "No such app")),
    security(("admin" = [])))]
pub(crate) async fn install(
    State(state): State<ControlState>,
    params: Params,
) -> Result<Response, ApiError> {
    let app_id = app_param(params.get(0))?;
    let portal = portal_param(params.get(1))?;
    match state.api.store.install_app(app_id, portal).await? {
        Some(_) => Ok(no_content()),
        None => Err(no_app(app_id)),
    }
}

#[utoipa::path(delete, path = "/_assocd/apps/{appId}/portals/{portalId}", tag = "apps",
    params(("appId" = i64, Path), ("portalId" = i64, Path)),
    responses((status = 204, description = "Uninstalled: no further events of that portal reach the app, pending ones are dropped, its OAuth tokens there are revoked"),
              (status = 404, description = "No such app, or not installed in that portal")),
    security(("admin" = [])))]
pub(crate) async fn uninstall(
    State(state): State<ControlState>,
    params: Params,
) -> Result<Response, ApiError> {
    let app_id = app_param(params.get(0))?;
    let portal = portal_param(params.get(1))?;
    let done = state.api.store.uninstall_app(app_id, portal).await?;
    // Revoked OAuth tokens are refused here at once (other replicas within the cache's life).
    state.api.forget_tokens();
    match done {
        Some(true) => Ok(no_content()),
        Some(false) => Err(assocd_core::Error::not_found(format!(
            "App {app_id} is not installed in portal {portal}"
        ))
        .with("portalId", [portal.to_string()])
        .into()),
        None => Err(no_app(app_id)),
    }
}
