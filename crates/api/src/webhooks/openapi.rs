//! The webhooks v3 management API in assocd's `/openapi.json`: HubSpot's paths, status codes
//! and model names (`SettingsResponse`, `SubscriptionResponse`, ...).

use crate::openapi::models::{array, batch_envelope, int, object, reference, string};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Components, ContentBuilder, Paths, RefOr, Required, ResponseBuilder};

/// (method, path, operation id, summary, request model, [(status, model)]).
type Op = (
    HttpMethod,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [(&'static str, Option<&'static str>)],
);

const SETTINGS: &str = "/webhooks/v3/{appId}/settings";
const SUBSCRIPTIONS: &str = "/webhooks/v3/{appId}/subscriptions";
const BATCH: &str = "/webhooks/v3/{appId}/subscriptions/batch/update";
const ONE: &str = "/webhooks/v3/{appId}/subscriptions/{subscriptionId}";

const OPS: &[Op] = &[
    (
        HttpMethod::Get,
        SETTINGS,
        "get-/webhooks/v3/{appId}/settings_getAll",
        "Read the app's webhook settings",
        None,
        &[("200", Some("SettingsResponse"))],
    ),
    (
        HttpMethod::Put,
        SETTINGS,
        "put-/webhooks/v3/{appId}/settings_configure",
        "Set the app's target URL and concurrency",
        Some("SettingsChangeRequest"),
        &[("200", Some("SettingsResponse"))],
    ),
    (
        HttpMethod::Delete,
        SETTINGS,
        "delete-/webhooks/v3/{appId}/settings_clear",
        "Remove the app's webhook settings",
        None,
        &[("204", None)],
    ),
    (
        HttpMethod::Get,
        SUBSCRIPTIONS,
        "get-/webhooks/v3/{appId}/subscriptions_getAll",
        "List the app's subscriptions",
        None,
        &[("200", Some("SubscriptionListResponse"))],
    ),
    (
        HttpMethod::Post,
        SUBSCRIPTIONS,
        "post-/webhooks/v3/{appId}/subscriptions_create",
        "Create a subscription (active unless `active` is false)",
        Some("SubscriptionCreateRequest"),
        &[("201", Some("SubscriptionResponse"))],
    ),
    (
        HttpMethod::Post,
        BATCH,
        "post-/webhooks/v3/{appId}/subscriptions/batch/update_updateBatch",
        "Activate or pause several subscriptions",
        Some("BatchInputSubscriptionBatchUpdateRequest"),
        &[
            ("200", Some("BatchResponseSubscriptionResponse")),
            ("207", Some("BatchResponseSubscriptionResponseWithErrors")),
        ],
    ),
    (
        HttpMethod::Get,
        ONE,
        "get-/webhooks/v3/{appId}/subscriptions/{subscriptionId}_getById",
        "Read a subscription",
        None,
        &[("200", Some("SubscriptionResponse"))],
    ),
    (
        HttpMethod::Patch,
        ONE,
        "patch-/webhooks/v3/{appId}/subscriptions/{subscriptionId}_update",
        "Activate or pause a subscription",
        Some("SubscriptionPatchRequest"),
        &[("200", Some("SubscriptionResponse"))],
    ),
    (
        HttpMethod::Delete,
        ONE,
        "delete-/webhooks/v3/{appId}/subscriptions/{subscriptionId}_archive",
        "Delete a subscription",
        None,
        &[("204", None)],
    ),
];

fn boolean() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::Boolean))
        .into()
}

fn models() -> Vec<(&'static str, RefOr<Schema>)> {
    let throttling = object(vec![("maxConcurrentRequests", int("int32"), true)]);
    let subscription = object(vec![
        ("id", string(), true),
        ("eventType", string(), true),
        ("propertyName", string(), false),
        ("objectTypeId", string(), false),
        ("active", boolean(), true),
        ("createdAt", string(), true),
        ("updatedAt", string(), false),
    ]);
    vec![
        ("ThrottlingSettings", throttling),
        (
            "SettingsChangeRequest",
            object(vec![
                ("targetUrl", string(), true),
                ("throttling", reference("ThrottlingSettings"), true),
            ]),
        ),
        (
            "SettingsResponse",
            object(vec![
                ("createdAt", string(), true),
                ("targetUrl", string(), true),
                ("throttling", reference("ThrottlingSettings"), true),
                ("updatedAt", string(), false),
            ]),
        ),
        ("SubscriptionResponse", subscription),
        (
            "SubscriptionListResponse",
            object(vec![(
                "results",
                array(reference("SubscriptionResponse")),
                true,
            )]),
        ),
        (
            "SubscriptionCreateRequest",
            object(vec![
                ("eventType", string(), true),
                ("active", boolean(), false),
                ("objectTypeId", string(), false),
                ("propertyName", string(), false),
                ("eventTypeName", string(), false),
            ]),
        ),
        (
            "SubscriptionPatchRequest",
            object(vec![("active", boolean(), false)]),
        ),
        (
            "SubscriptionBatchUpdateRequest",
            object(vec![
                ("id", int("int32"), true),
                ("active", boolean(), true),
            ]),
        ),
        (
            "BatchInputSubscriptionBatchUpdateRequest",
            object(vec![(
                "inputs",
                array(reference("SubscriptionBatchUpdateRequest")),
                true,
            )]),
        ),
        (
            "BatchResponseSubscriptionResponse",
            batch_envelope(reference("SubscriptionResponse"), false),
        ),
        (
            "BatchResponseSubscriptionResponseWithErrors",
            batch_envelope(reference("SubscriptionResponse"), true),
        ),
    ]
}

fn path_param(name: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(int("int32")))
        .build()
}

/// Adds the webhooks paths, their models and the `developer_hapikey` scheme.
pub(crate) fn add(paths: &mut Paths, components: &mut Components) {
    for (method, path, id, summary, request, answers) in OPS {
        let mut b = OperationBuilder::new()
            .operation_id(Some(*id))
            .summary(Some(*summary))
            .tag("webhooks-v3")
            .security(SecurityRequirement::new(
                "developer_hapikey",
                Vec::<String>::new(),
            ))
            .parameter(path_param("appId"));
        if path.contains("{subscriptionId}") {
            b = b.parameter(path_param("subscriptionId"));
        }
        if let Some(req) = request {
            b = b.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(
                        "application/json",
                        ContentBuilder::new().schema(Some(reference(req))).build(),
                    )
                    .build(),
            ));
        }
        for (status, model) in *answers {
            let mut r = ResponseBuilder::new().description(if model.is_some() {
                "successful operation"
            } else {
                "No content"
            });
            if let Some(m) = model {
                r = r.content(
                    "application/json",
                    ContentBuilder::new().schema(Some(reference(m))).build(),
                );
            }
            b = b.response(*status, r.build());
        }
        b = b.response(
            "default",
            ResponseBuilder::new()
                .description("An error occurred.")
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(reference("Error")))
                        .build(),
                )
                .build(),
        );
        paths.add_path_operation(*path, vec![method.clone()], b.build());
    }
    for (name, schema) in models() {
        components.schemas.insert(name.to_string(), schema);
    }
    components.add_security_scheme(
        "developer_hapikey",
        SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("hapikey"))),
    );
}
