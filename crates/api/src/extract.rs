//! Extractors: who is calling (token → portal and scopes), path parameters and raw bodies, each
//! failing with HubSpot's error body instead of axum's plain-text rejections.

use crate::error::ApiError;
use crate::layers::auth::{bearer_secret, Authenticated};
use crate::layers::RequestMeta;
use crate::{AppState, Family};
use assocd_core::scopes::{self, Operation};
use assocd_core::token::{hash_secret, TokenInfo};
use assocd_core::{ObjectType, Pair, PortalId};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use std::sync::Arc;

/// The authenticated caller. Scopes are checked per operation by `authorize`.
pub struct Caller {
    pub token: std::sync::Arc<TokenInfo>,
    pub family: Family,
}

impl Caller {
    /// Who a write of this caller is, in the change events it makes.
    pub fn source(&self) -> assocd_core::events::ChangeSource {
        assocd_core::events::ChangeSource::api(&self.token.id)
    }

    /// The caller's portal, if its token carries one of the scopes HubSpot's spec lists for `op`.
    pub fn authorize(&self, op: Operation) -> Result<PortalId, ApiError> {
        let required = scopes::required(self.family.scope_key(), op);
        if self
            .token
            .scopes
            .iter()
            .any(|s| required.contains(&s.as_str()))
        {
            Ok(self.token.portal_id)
        } else {
            Err(ApiError::MissingScopes(
                required.iter().map(|s| s.to_string()).collect(),
            ))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Every route of HubSpot's API is classified by `layers::context` from the operation
        // table; a handler reached without a family is a route missing from that table.
        let Some(family) = parts
            .extensions
            .get::<Arc<RequestMeta>>()
            .and_then(|m| m.family)
        else {
            tracing::error!(path = %parts.uri.path(), "route missing from the operation table");
            return Err(ApiError::Internal);
        };
        if let Some(auth) = parts.extensions.get::<Authenticated>() {
            return Ok(Caller {
                token: auth.0.clone(),
                family,
            });
        }
        let secret = bearer_secret(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let token = state
            .tokens
            .lookup(&hash_secret(secret), state.store.as_ref())
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        let now_ms = state.clock.now_ms();
        if let Some(expired_at_ms) = token.expired_at(now_ms) {
            return Err(ApiError::Expired {
                expired_at_ms,
                now_ms,
            });
        }
        Ok(Caller { token, family })
    }
}

/// All path parameters as strings, in order.
pub struct Params(pub Vec<String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<Vec<String>>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| Params(v))
            .map_err(|e| ApiError::invalid(format!("Invalid path parameter: {}", e.body_text())))
    }
}

impl Params {
    /// The `idx`-th parameter (routes guarantee how many there are).
    pub fn get(&self, idx: usize) -> &str {
        self.0.get(idx).map(String::as_str).unwrap_or("")
    }

    pub fn object_type(&self, idx: usize) -> Result<ObjectType, ApiError> {
        parse_object_type(self.get(idx))
    }

    /// `{fromObjectType}/{toObjectType}` at `idx` and `idx + 1`.
    pub fn pair(&self, idx: usize) -> Result<Pair, ApiError> {
        Ok(Pair::new(
            self.object_type(idx)?,
            self.object_type(idx + 1)?,
        ))
    }

    /// An int32 path parameter such as `associationTypeId` or `userId`.
    pub fn int32(&self, idx: usize, name: &str) -> Result<i32, ApiError> {
        let raw = self.get(idx);
        raw.parse::<i32>().map_err(|_| {
            let mut e = ApiError::invalid(format!(
                "Invalid path parameter {name}: '{raw}' is not a 32-bit integer"
            ));
            if let ApiError::Invalid { context, .. } = &mut e {
                context.insert(name.to_string(), vec![raw.to_string()]);
            }
            e
        })
    }
}

pub fn parse_object_type(raw: &str) -> Result<ObjectType, ApiError> {
    ObjectType::parse(raw).map_err(|e| {
        let mut err = ApiError::invalid(format!("Unable to infer object type from: {}", e.0));
        if let ApiError::Invalid { context, .. } = &mut err {
            context.insert("objectType".to_string(), vec![e.0]);
        }
        err
    })
}

/// The raw request body; a body over the limit answers 413 in HubSpot's shape.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Bytes::from_request(req, state).await {
            Ok(b) => Ok(RawBody(b)),
            Err(BytesRejection::FailedToBufferBody(e))
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(ApiError::PayloadTooLarge)
            }
            Err(e) => Err(ApiError::invalid(format!(
                "Could not read the request body: {}",
                e.body_text()
            ))),
        }
    }
}
