//! The server's own OpenAPI document: every route it serves, on every path family, with the
//! status codes of that family and HubSpot's model names. Built once, served as bytes.

use crate::{Family, VERSIONS};
use assocd_core::scopes::Operation;
use axum::http::StatusCode;
use axum::response::Response;
use std::sync::LazyLock;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr,
    Required, ResponseBuilder,
};

/// Where an operation's path hangs.
#[derive(Clone, Copy, PartialEq)]
enum Root {
    /// Labels and limits: `/crm/v4/associations`, `/crm/associations/v4`, `/crm/associations/{v}`.
    Schema,
    /// Record batch and report calls: `/crm/v4/associations`, `/crm/associations/{v}`.
    Batch,
    /// Single-record calls: `/crm/v4/objects`, `/crm/objects/{v}`.
    Objects,
}

/// One operation: key, method, root, path below the root, summary, request model, and success
/// answers as (status, model) on the legacy family and on the others.
struct Op {
    key: &'static str,
    method: HttpMethod,
    root: Root,
    path: &'static str,
    summary: &'static str,
    request: Option<&'static str>,
    legacy: &'static [(&'static str, Option<&'static str>)],
    others: &'static [(&'static str, Option<&'static str>)],
}

const OPS: &[Op] = &[
    Op {
        key: "S1",
        method: HttpMethod::Get,
        root: Root::Schema,
        path: "/{fromObjectType}/{toObjectType}/labels",
        summary: "List association types (labels) of a direction",
        request: None,
        legacy: &[(
            "200",
            Some("CollectionResponseAssociationSpecWithLabelNoPaging"),
        )],
        others: &[(
            "200",
            Some("CollectionResponseAssociationSpecWithLabelNoPaging"),
        )],
    },
    Op {
        key: "S2",
        method: HttpMethod::Post,
        root: Root::Schema,
        path: "/{fromObjectType}/{toObjectType}/labels",
        summary: "Create a USER_DEFINED label",
        request: Some("PublicAssociationDefinitionCreateRequest"),
        legacy: &[(
            "200",
            Some("CollectionResponseAssociationSpecWithLabelNoPaging"),
        )],
        others: &[(
            "200",
            Some("CollectionResponseAssociationSpecWithLabelNoPaging"),
        )],
    },
    Op {
        key: "S3",
        method: HttpMethod::Put,
        root: Root::Schema,
        path: "/{fromObjectType}/{toObjectType}/labels",
        summary: "Rename a label (both directions)",
        request: Some("PublicAssociationDefinitionUpdateRequest"),
        legacy: &[("204", None)],
        others: &[("204", None)],
    },
    Op {
        key: "S4",
        method: HttpMethod::Delete,
        root: Root::Schema,
        path: "/{fromObjectType}/{toObjectType}/labels/{associationTypeId}",
        summary: "Delete a label (both directions)",
        request: None,
        legacy: &[("204", None)],
        others: &[("204", None)],
    },
    Op {
        key: "C1",
        method: HttpMethod::Get,
        root: Root::Schema,
        path: "/definitions/configurations/all",
        summary: "Read every association limit of the portal",
        request: None,
        legacy: &[(
            "200",
            Some("CollectionResponsePublicAssociationDefinitionUserConfigurationNoPaging"),
        )],
        others: &[(
            "200",
            Some("CollectionResponsePublicAssociationDefinitionUserConfigurationNoPaging"),
        )],
    },
    Op {
        key: "C2",
        method: HttpMethod::Get,
        root: Root::Schema,
        path: "/definitions/configurations/{fromObjectType}/{toObjectType}",
        summary: "Read the association limits of a direction",
        request: None,
        legacy: &[(
            "200",
            Some("CollectionResponsePublicAssociationDefinitionUserConfigurationNoPaging"),
        )],
        others: &[(
            "200",
            Some("CollectionResponsePublicAssociationDefinitionUserConfigurationNoPaging"),
        )],
    },
    Op {
        key: "C3",
        method: HttpMethod::Post,
        root: Root::Schema,
        path: "/definitions/configurations/{fromObjectType}/{toObjectType}/batch/create",
        summary: "Create association limits",
        request: Some("BatchInputPublicAssociationDefinitionConfigurationCreateRequest"),
        legacy: &[
            (
                "201",
                Some("BatchResponsePublicAssociationDefinitionUserConfiguration"),
            ),
            (
                "207",
                Some("BatchResponsePublicAssociationDefinitionUserConfigurationWithErrors"),
            ),
        ],
        others: &[
            (
                "201",
                Some("BatchResponsePublicAssociationDefinitionUserConfiguration"),
            ),
            (
                "207",
                Some("BatchResponsePublicAssociationDefinitionUserConfigurationWithErrors"),
            ),
        ],
    },
    Op {
        key: "C4",
        method: HttpMethod::Post,
        root: Root::Schema,
        path: "/definitions/configurations/{fromObjectType}/{toObjectType}/batch/update",
        summary: "Update (or create) association limits",
        request: Some("BatchInputPublicAssociationDefinitionConfigurationUpdateRequest"),
        legacy: &[
            (
                "200",
                Some("BatchResponsePublicAssociationDefinitionConfigurationUpdateResult"),
            ),
            (
                "207",
                Some("BatchResponsePublicAssociationDefinitionConfigurationUpdateResultWithErrors"),
            ),
        ],
        others: &[
            (
                "200",
                Some("BatchResponsePublicAssociationDefinitionConfigurationUpdateResult"),
            ),
            (
                "207",
                Some("BatchResponsePublicAssociationDefinitionConfigurationUpdateResultWithErrors"),
            ),
        ],
    },
    Op {
        key: "C5",
        method: HttpMethod::Post,
        root: Root::Schema,
        path: "/definitions/configurations/{fromObjectType}/{toObjectType}/batch/purge",
        summary: "Purge association limits",
        request: Some("BatchInputPublicAssociationSpec"),
        legacy: &[("204", None)],
        others: &[
            ("200", Some("BatchResponse")),
            ("207", Some("BatchResponse")),
        ],
    },
    Op {
        key: "R1",
        method: HttpMethod::Get,
        root: Root::Objects,
        path: "/{objectType}/{objectId}/associations/{toObjectType}",
        summary: "List a record's associations",
        request: None,
        legacy: &[(
            "200",
            Some("CollectionResponseMultiAssociatedObjectWithLabelForwardPaging"),
        )],
        others: &[(
            "200",
            Some("CollectionResponseMultiAssociatedObjectWithLabelForwardPaging"),
        )],
    },
    Op {
        key: "R2",
        method: HttpMethod::Put,
        root: Root::Objects,
        path: "/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}",
        summary: "Associate two records with labels",
        request: Some("AssociationSpecArray"),
        legacy: &[("201", Some("LabelsBetweenObjectPair"))],
        others: &[("201", Some("LabelsBetweenObjectPair"))],
    },
    Op {
        key: "R3",
        method: HttpMethod::Delete,
        root: Root::Objects,
        path: "/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}",
        summary: "Remove every association between two records",
        request: None,
        legacy: &[("204", None)],
        others: &[("204", None)],
    },
    Op {
        key: "R4",
        method: HttpMethod::Put,
        root: Root::Objects,
        path: "/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}",
        summary: "Associate two records with the default type",
        request: None,
        legacy: &[("200", Some("BatchResponsePublicDefaultAssociation"))],
        others: &[("200", Some("BatchResponsePublicDefaultAssociation"))],
    },
    Op {
        key: "R5",
        method: HttpMethod::Post,
        root: Root::Batch,
        path: "/{fromObjectType}/{toObjectType}/batch/create",
        summary: "Create labelled associations",
        request: Some("BatchInputPublicAssociationMultiPost"),
        legacy: &[
            ("201", Some("BatchResponseLabelsBetweenObjectPair")),
            (
                "207",
                Some("BatchResponseLabelsBetweenObjectPairWithErrors"),
            ),
        ],
        others: &[
            ("201", Some("BatchResponseLabelsBetweenObjectPair")),
            (
                "207",
                Some("BatchResponseLabelsBetweenObjectPairWithErrors"),
            ),
        ],
    },
    Op {
        key: "R6",
        method: HttpMethod::Post,
        root: Root::Batch,
        path: "/{fromObjectType}/{toObjectType}/batch/read",
        summary: "Read the associations of many records",
        request: Some("BatchInputPublicFetchAssociationsBatchRequest"),
        legacy: &[
            ("200", Some("BatchResponsePublicAssociationMultiWithLabel")),
            (
                "207",
                Some("BatchResponsePublicAssociationMultiWithLabelWithErrors"),
            ),
        ],
        others: &[
            ("200", Some("BatchResponsePublicAssociationMultiWithLabel")),
            (
                "207",
                Some("BatchResponsePublicAssociationMultiWithLabelWithErrors"),
            ),
        ],
    },
    Op {
        key: "R7",
        method: HttpMethod::Post,
        root: Root::Batch,
        path: "/{fromObjectType}/{toObjectType}/batch/archive",
        summary: "Remove every association between record pairs",
        request: Some("BatchInputPublicAssociationMultiArchive"),
        legacy: &[("204", None)],
        others: &[("200", Some("BatchResponse"))],
    },
    Op {
        key: "R8",
        method: HttpMethod::Post,
        root: Root::Batch,
        path: "/{fromObjectType}/{toObjectType}/batch/labels/archive",
        summary: "Remove listed association types between record pairs",
        request: Some("BatchInputPublicAssociationMultiPost"),
        legacy: &[("204", None)],
        others: &[("200", Some("BatchResponse"))],
    },
    Op {
        key: "R9",
        method: HttpMethod::Post,
        root: Root::Batch,
        path: "/{fromObjectType}/{toObjectType}/batch/associate/default",
        summary: "Associate record pairs with the default type",
        request: Some("BatchInputPublicDefaultAssociationMultiPost"),
        legacy: &[("200", Some("BatchResponsePublicDefaultAssociation"))],
        others: &[("200", Some("BatchResponsePublicDefaultAssociation"))],
    },
    Op {
        key: "U1",
        method: HttpMethod::Post,
        root: Root::Batch,
        path: "/usage/high-usage-report/{userId}",
        summary: "Request the high-usage report",
        request: None,
        legacy: &[("200", Some("ReportCreationResponse"))],
        others: &[("200", Some("ReportCreationResponse"))],
    },
];

/// (prefix, family label, legacy?) of each root.
fn prefixes(root: Root) -> Vec<(String, String, bool)> {
    let mut out = match root {
        Root::Schema => vec![
            ("/crm/v4/associations".to_string(), "v4".to_string(), true),
            (
                "/crm/associations/v4".to_string(),
                "v4-alt".to_string(),
                false,
            ),
        ],
        Root::Batch => vec![("/crm/v4/associations".to_string(), "v4".to_string(), true)],
        Root::Objects => vec![("/crm/v4/objects".to_string(), "v4".to_string(), true)],
    };
    for v in VERSIONS {
        let base = if root == Root::Objects {
            "/crm/objects"
        } else {
            "/crm/associations"
        };
        out.push((format!("{base}/{v}"), v.to_string(), false));
    }
    out
}

/// The path family a document tag names.
fn family_of(tag: &str) -> Option<Family> {
    match tag {
        "v4" => Some(Family::Legacy),
        "v4-alt" => Some(Family::LegacyAlt),
        v => VERSIONS.into_iter().find(|x| *x == v).map(Family::Dated),
    }
}

fn http_method(m: &HttpMethod) -> axum::http::Method {
    match m {
        HttpMethod::Get => axum::http::Method::GET,
        HttpMethod::Post => axum::http::Method::POST,
        HttpMethod::Put => axum::http::Method::PUT,
        HttpMethod::Delete => axum::http::Method::DELETE,
        HttpMethod::Patch => axum::http::Method::PATCH,
        HttpMethod::Head => axum::http::Method::HEAD,
        HttpMethod::Options => axum::http::Method::OPTIONS,
        HttpMethod::Trace => axum::http::Method::TRACE,
    }
}

/// Every served operation as (path template, method, operation, family): what the request
/// classification of `layers::context` matches against, so it cannot drift from the routes
/// the document lists (a test checks the document against the router).
pub(crate) fn operations() -> Vec<(String, axum::http::Method, Operation, Family)> {
    let mut out = Vec::new();
    for op in OPS {
        let Some(operation) = Operation::parse(op.key) else {
            continue;
        };
        for (prefix, tag, _) in prefixes(op.root) {
            if let Some(family) = family_of(&tag) {
                out.push((
                    format!("{prefix}{}", op.path),
                    http_method(&op.method),
                    operation,
                    family,
                ));
            }
        }
    }
    out
}

fn string() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .into()
}
fn int(format: &str) -> RefOr<Schema> {
    let f = if format == "int64" {
        utoipa::openapi::KnownFormat::Int64
    } else {
        utoipa::openapi::KnownFormat::Int32
    };
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::Integer))
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(f)))
        .into()
}
fn reference(name: &str) -> RefOr<Schema> {
    Ref::from_schema_name(name).into()
}
fn array(of: RefOr<Schema>) -> RefOr<Schema> {
    ArrayBuilder::new().items(of).into()
}
fn map_of(values: RefOr<Schema>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .additional_properties(Some(values))
        .into()
}

/// An object with `(name, schema, required)` fields.
fn object(fields: Vec<(&str, RefOr<Schema>, bool)>) -> RefOr<Schema> {
    let mut b = ObjectBuilder::new();
    for (name, schema, required) in fields {
        b = b.property(name, schema);
        if required {
            b = b.required(name);
        }
    }
    b.into()
}

fn batch_envelope(results: RefOr<Schema>, with_errors: bool) -> RefOr<Schema> {
    let mut fields = vec![
        ("status", string(), true),
        ("results", array(results), true),
        ("startedAt", string(), true),
        ("completedAt", string(), true),
        ("requestedAt", string(), false),
        ("links", map_of(string()), false),
    ];
    if with_errors {
        fields.push(("numErrors", int("int32"), false));
        fields.push(("errors", array(reference("StandardError")), false));
    }
    object(fields)
}

fn models() -> Vec<(&'static str, RefOr<Schema>)> {
    let spec_with_label = object(vec![
        ("category", string(), true),
        ("typeId", int("int32"), true),
        ("label", string(), false),
    ]);
    let user_config = object(vec![
        ("category", string(), true),
        ("typeId", int("int32"), true),
        ("label", string(), false),
        ("userEnforcedMaxToObjectIds", int("int32"), false),
    ]);
    let update_result = object(vec![
        ("category", string(), true),
        ("typeId", int("int32"), true),
        ("userEnforcedMaxToObjectIds", int("int32"), false),
    ]);
    let config_input = object(vec![
        ("category", string(), true),
        ("typeId", int("int32"), true),
        ("maxToObjectIds", int("int32"), true),
    ]);
    let public_spec = object(vec![
        ("category", string(), true),
        ("typeId", int("int32"), true),
    ]);
    let object_id = object(vec![("id", string(), true)]);
    let assoc_spec = object(vec![
        ("associationCategory", string(), true),
        ("associationTypeId", int("int32"), true),
    ]);
    let labels_pair = object(vec![
        ("fromObjectTypeId", string(), true),
        ("fromObjectId", int("int64"), true),
        ("toObjectTypeId", string(), true),
        ("toObjectId", int("int64"), true),
        ("labels", array(string()), true),
    ]);
    let multi_with_label = object(vec![
        ("toObjectId", int("int64"), true),
        (
            "associationTypes",
            array(reference("AssociationSpecWithLabel")),
            true,
        ),
    ]);
    let next_page = object(vec![("after", string(), true), ("link", string(), false)]);
    let paging = object(vec![("next", reference("NextPage"), false)]);
    let public_multi_with_label = object(vec![
        ("from", reference("PublicObjectId"), true),
        (
            "to",
            array(reference("MultiAssociatedObjectWithLabel")),
            true,
        ),
        ("paging", reference("Paging"), false),
    ]);
    let default_assoc = object(vec![
        ("from", reference("PublicObjectId"), true),
        ("to", reference("PublicObjectId"), true),
        ("associationSpec", reference("AssociationSpec"), true),
    ]);
    let batch_input = |item: &str| object(vec![("inputs", array(reference(item)), true)]);
    let error_detail = object(vec![
        ("message", string(), true),
        ("in", string(), false),
        ("code", string(), false),
        ("subCategory", string(), false),
        ("context", map_of(array(string())), false),
    ]);
    vec![
        (
            "Error",
            object(vec![
                ("status", string(), false),
                ("message", string(), true),
                ("correlationId", string(), true),
                ("category", string(), true),
                ("subCategory", string(), false),
                ("context", map_of(array(string())), false),
                ("links", map_of(string()), false),
                ("errors", array(reference("ErrorDetail")), false),
            ]),
        ),
        ("ErrorDetail", error_detail),
        (
            "StandardError",
            object(vec![
                ("status", string(), true),
                ("category", string(), true),
                ("message", string(), true),
                ("context", map_of(array(string())), true),
                ("errors", array(reference("ErrorDetail")), true),
                ("links", map_of(string()), true),
                ("id", string(), false),
                ("subCategory", string(), false),
            ]),
        ),
        ("AssociationSpecWithLabel", spec_with_label),
        (
            "CollectionResponseAssociationSpecWithLabelNoPaging",
            object(vec![(
                "results",
                array(reference("AssociationSpecWithLabel")),
                true,
            )]),
        ),
        (
            "PublicAssociationDefinitionCreateRequest",
            object(vec![
                ("label", string(), true),
                ("name", string(), true),
                ("inverseLabel", string(), false),
            ]),
        ),
        (
            "PublicAssociationDefinitionUpdateRequest",
            object(vec![
                ("associationTypeId", int("int32"), true),
                ("label", string(), true),
                ("inverseLabel", string(), false),
            ]),
        ),
        ("PublicAssociationDefinitionUserConfiguration", user_config),
        (
            "CollectionResponsePublicAssociationDefinitionUserConfigurationNoPaging",
            object(vec![(
                "results",
                array(reference("PublicAssociationDefinitionUserConfiguration")),
                true,
            )]),
        ),
        (
            "PublicAssociationDefinitionConfigurationUpdateResult",
            update_result,
        ),
        (
            "PublicAssociationDefinitionConfigurationCreateRequest",
            config_input.clone(),
        ),
        (
            "PublicAssociationDefinitionConfigurationUpdateRequest",
            config_input,
        ),
        ("PublicAssociationSpec", public_spec),
        (
            "BatchInputPublicAssociationDefinitionConfigurationCreateRequest",
            batch_input("PublicAssociationDefinitionConfigurationCreateRequest"),
        ),
        (
            "BatchInputPublicAssociationDefinitionConfigurationUpdateRequest",
            batch_input("PublicAssociationDefinitionConfigurationUpdateRequest"),
        ),
        (
            "BatchInputPublicAssociationSpec",
            batch_input("PublicAssociationSpec"),
        ),
        (
            "BatchResponsePublicAssociationDefinitionUserConfiguration",
            batch_envelope(
                reference("PublicAssociationDefinitionUserConfiguration"),
                false,
            ),
        ),
        (
            "BatchResponsePublicAssociationDefinitionUserConfigurationWithErrors",
            batch_envelope(
                reference("PublicAssociationDefinitionUserConfiguration"),
                true,
            ),
        ),
        (
            "BatchResponsePublicAssociationDefinitionConfigurationUpdateResult",
            batch_envelope(
                reference("PublicAssociationDefinitionConfigurationUpdateResult"),
                false,
            ),
        ),
        (
            "BatchResponsePublicAssociationDefinitionConfigurationUpdateResultWithErrors",
            batch_envelope(
                reference("PublicAssociationDefinitionConfigurationUpdateResult"),
                true,
            ),
        ),
        (
            "BatchResponse",
            batch_envelope(ObjectBuilder::new().into(), true),
        ),
        ("PublicObjectId", object_id),
        ("AssociationSpec", assoc_spec),
        ("AssociationSpecArray", array(reference("AssociationSpec"))),
        ("LabelsBetweenObjectPair", labels_pair),
        ("MultiAssociatedObjectWithLabel", multi_with_label),
        ("NextPage", next_page),
        ("Paging", paging),
        (
            "CollectionResponseMultiAssociatedObjectWithLabelForwardPaging",
            object(vec![
                (
                    "results",
                    array(reference("MultiAssociatedObjectWithLabel")),
                    true,
                ),
                ("paging", reference("Paging"), false),
            ]),
        ),
        ("PublicAssociationMultiWithLabel", public_multi_with_label),
        ("PublicDefaultAssociation", default_assoc),
        (
            "PublicAssociationMultiPost",
            object(vec![
                ("from", reference("PublicObjectId"), true),
                ("to", reference("PublicObjectId"), true),
                ("types", array(reference("AssociationSpec")), true),
            ]),
        ),
        (
            "PublicAssociationMultiArchive",
            object(vec![
                ("from", reference("PublicObjectId"), true),
                ("to", array(reference("PublicObjectId")), true),
            ]),
        ),
        (
            "PublicDefaultAssociationMultiPost",
            object(vec![
                ("from", reference("PublicObjectId"), true),
                ("to", reference("PublicObjectId"), true),
            ]),
        ),
        (
            "PublicFetchAssociationsBatchRequest",
            object(vec![("id", string(), true), ("after", string(), false)]),
        ),
        (
            "BatchInputPublicAssociationMultiPost",
            batch_input("PublicAssociationMultiPost"),
        ),
        (
            "BatchInputPublicAssociationMultiArchive",
            batch_input("PublicAssociationMultiArchive"),
        ),
        (
            "BatchInputPublicDefaultAssociationMultiPost",
            batch_input("PublicDefaultAssociationMultiPost"),
        ),
        (
            "BatchInputPublicFetchAssociationsBatchRequest",
            batch_input("PublicFetchAssociationsBatchRequest"),
        ),
        (
            "BatchResponseLabelsBetweenObjectPair",
            batch_envelope(reference("LabelsBetweenObjectPair"), false),
        ),
        (
            "BatchResponseLabelsBetweenObjectPairWithErrors",
            batch_envelope(reference("LabelsBetweenObjectPair"), true),
        ),
        (
            "BatchResponsePublicAssociationMultiWithLabel",
            batch_envelope(reference("PublicAssociationMultiWithLabel"), false),
        ),
        (
            "BatchResponsePublicAssociationMultiWithLabelWithErrors",
            batch_envelope(reference("PublicAssociationMultiWithLabel"), true),
        ),
        (
            "BatchResponsePublicDefaultAssociation",
            batch_envelope(reference("PublicDefaultAssociation"), true),
        ),
        (
            "DateTime",
            object(vec![
                ("value", int("int64"), true),
                (
                    "dateOnly",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::new(Type::Boolean))
                        .into(),
                    true,
                ),
                ("timeZoneShift", int("int32"), true),
            ]),
        ),
        (
            "ReportCreationResponse",
            object(vec![
                ("userEmail", string(), true),
                ("userId", int("int32"), true),
                ("enqueueTime", reference("DateTime"), true),
            ]),
        ),
    ]
}

/// Path parameters in the order they appear in `path`.
fn parameters(path: &str) -> Vec<utoipa::openapi::path::Parameter> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            let schema = if matches!(name, "associationTypeId" | "userId") {
                int("int32")
            } else {
                string()
            };
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(schema))
                .build()
        })
        .collect()
}

fn build() -> OpenApi {
    let mut paths = Paths::new();
    for op in OPS {
        for (prefix, family, legacy) in prefixes(op.root) {
            let full = format!("{prefix}{}", op.path);
            let mut b = OperationBuilder::new()
                .operation_id(Some(format!("{}-{}", op.key, family)))
                .summary(Some(op.summary))
                .tag(family.clone())
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()));
            for p in parameters(&full) {
                b = b.parameter(p);
            }
            if op.key == "R1" {
                for q in ["after", "limit"] {
                    let schema = if q == "limit" { int("int32") } else { string() };
                    b = b.parameter(
                        ParameterBuilder::new()
                            .name(q)
                            .parameter_in(ParameterIn::Query)
                            .required(Required::False)
                            .schema(Some(schema))
                            .build(),
                    );
                }
            }
            if let Some(req) = op.request {
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
            for (status, model) in if legacy { op.legacy } else { op.others } {
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
            paths.add_path_operation(full, vec![op.method.clone()], b.build());
        }
    }
    let mut components = ComponentsBuilder::new();
    for (name, schema) in models() {
        components = components.schema(name, schema);
    }
    let mut components = components.build();
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("assocd: HubSpot CRM Associations v4 API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("Every route assocd serves. Families share semantics and differ only in the success codes listed per path."))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .build()
}

static DOCUMENT: LazyLock<OpenApi> = LazyLock::new(build);

/// The document (also used by tests).
pub fn document() -> &'static OpenApi {
    &DOCUMENT
}

pub async fn serve() -> Response {
    crate::wire::json(StatusCode::OK, document())
}
