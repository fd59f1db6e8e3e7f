//! The OAuth endpoints in assocd's `/openapi.json`: HubSpot's paths and model names
//! (`TokenResponseIF`, `AccessTokenInfoResponse`, `RefreshTokenInfoResponse`), form bodies.

use super::VERSIONS;
use crate::openapi::models::{array, int, object, reference, string};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::{Components, ContentBuilder, Paths, RefOr, Required, ResponseBuilder};

const FORM: &str = "application/x-www-form-urlencoded";

fn form(fields: &[&str]) -> RefOr<utoipa::openapi::schema::Schema> {
    object(fields.iter().map(|f| (*f, string(), false)).collect())
}

fn param(name: &str, at: ParameterIn, required: bool) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(at)
        .required(if required {
            Required::True
        } else {
            Required::False
        })
        .schema(Some(string()))
        .build()
}

/// (method, path, summary, form fields, answer status, answer model).
type Op = (
    HttpMethod,
    String,
    String,
    Vec<&'static str>,
    &'static str,
    Option<&'static str>,
);

fn operations() -> Vec<Op> {
    let token_fields = vec![
        "grant_type",
        "code",
        "redirect_uri",
        "client_id",
        "client_secret",
        "refresh_token",
        "code_verifier",
        "scope",
    ];
    let info_fields = vec!["client_id", "client_secret", "token", "token_type_hint"];
    let mut ops = vec![
        (
            HttpMethod::Get,
            "/oauth/v1/access-tokens/{token}".to_string(),
            "Read an access token's metadata".to_string(),
            vec![],
            "200",
            Some("AccessTokenInfoResponse"),
        ),
        (
            HttpMethod::Get,
            "/oauth/v1/refresh-tokens/{token}".to_string(),
            "Read a refresh token's metadata".to_string(),
            vec![],
            "200",
            Some("RefreshTokenInfoResponse"),
        ),
        (
            HttpMethod::Delete,
            "/oauth/v1/refresh-tokens/{token}".to_string(),
            "Delete a refresh token".to_string(),
            vec![],
            "204",
            None,
        ),
    ];
    for v in VERSIONS {
        let grants = if v == "2026-09" {
            "authorization_code, refresh_token"
        } else {
            "authorization_code, refresh_token, client_credentials"
        };
        ops.push((
            HttpMethod::Post,
            format!("/oauth/{v}/token"),
            format!("Issue tokens (grants: {grants})"),
            token_fields.clone(),
            "200",
            Some("TokenResponseIF"),
        ));
        if v != "v1" {
            ops.push((
                HttpMethod::Post,
                format!("/oauth/{v}/token/introspect"),
                "What a token is (`active` false when unknown, expired or revoked)".to_string(),
                info_fields.clone(),
                "200",
                Some("TokenInfoResponseBaseIF"),
            ));
            ops.push((
                HttpMethod::Post,
                format!("/oauth/{v}/token/revoke"),
                "Revoke a token".to_string(),
                info_fields.clone(),
                "200",
                None,
            ));
        }
    }
    ops
}

fn method_name(m: &HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "get",
        HttpMethod::Delete => "delete",
        _ => "post",
    }
}

/// Adds the OAuth paths and their models.
pub(crate) fn add(paths: &mut Paths, components: &mut Components) {
    let authorize = OperationBuilder::new()
        .operation_id(Some("get-/oauth/authorize"))
        .summary(Some(
            "Consent at once and redirect (302) to redirect_uri with code and state",
        ))
        .tag("oauth")
        .parameters(Some(
            [
                "client_id",
                "redirect_uri",
                "scope",
                "optional_scope",
                "state",
                "portalId",
            ]
            .map(|n| {
                param(
                    n,
                    ParameterIn::Query,
                    matches!(n, "client_id" | "redirect_uri" | "scope"),
                )
            }),
        ))
        .response(
            "302",
            ResponseBuilder::new()
                .description("Redirect to redirect_uri")
                .build(),
        )
        .response(
            "400",
            ResponseBuilder::new()
                .description("Refused (no redirect)")
                .build(),
        )
        .build();
    paths.add_path_operation("/oauth/authorize", vec![HttpMethod::Get], authorize);
    for (method, path, summary, fields, status, model) in operations() {
        let mut b = OperationBuilder::new()
            .operation_id(Some(format!("{}-{path}", method_name(&method))))
            .summary(Some(summary))
            .tag("oauth");
        if path.contains("{token}") {
            b = b.parameter(param("token", ParameterIn::Path, true));
        }
        if !fields.is_empty() {
            b = b.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(
                        FORM,
                        ContentBuilder::new().schema(Some(form(&fields))).build(),
                    )
                    .build(),
            ));
        }
        let mut r = ResponseBuilder::new().description("successful operation");
        if let Some(m) = model {
            r = r.content(
                "application/json",
                ContentBuilder::new().schema(Some(reference(m))).build(),
            );
        }
        b = b.response(status, r.build()).response(
            "default",
            ResponseBuilder::new()
                .description("An error occurred.")
                .build(),
        );
        paths.add_path_operation(path, vec![method], b.build());
    }
    let scopes = || array(string());
    let models = [
        (
            "TokenResponseIF",
            object(vec![
                ("access_token", string(), true),
                ("expires_in", int("int64"), true),
                ("refresh_token", string(), false),
                ("token_type", string(), true),
                ("token_use", string(), true),
                ("hub_id", int("int32"), false),
                ("scopes", scopes(), false),
            ]),
        ),
        (
            "AccessTokenInfoResponse",
            object(vec![
                ("token", string(), true),
                ("hub_id", int("int32"), true),
                ("app_id", int("int32"), true),
                ("expires_in", int("int64"), true),
                ("user_id", int("int32"), true),
                ("token_type", string(), true),
                ("scopes", scopes(), true),
            ]),
        ),
        (
            "RefreshTokenInfoResponse",
            object(vec![
                ("token", string(), true),
                ("hub_id", int("int32"), true),
                ("user_id", int("int32"), true),
                ("client_id", string(), true),
                ("token_type", string(), true),
                ("scopes", scopes(), true),
            ]),
        ),
        (
            "TokenInfoResponseBaseIF",
            object(vec![(
                "active",
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::new(
                        utoipa::openapi::schema::Type::Boolean,
                    ))
                    .into(),
                true,
            )]),
        ),
    ];
    for (name, schema) in models {
        components.schemas.insert(name.to_string(), schema);
    }
}
