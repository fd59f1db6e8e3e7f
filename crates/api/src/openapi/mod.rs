//! The server's own OpenAPI document: every route it serves, on every path family, with the
//! status codes of that family and HubSpot's model names. Built once, served as bytes.

use crate::declared::declared;
use crate::{Family, VERSIONS};
use assocd_core::scopes::Operation;
use axum::http::StatusCode;
use axum::response::Response;
use std::sync::LazyLock;

pub(crate) mod models;
use models::{int, models, reference, string};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Required,
    ResponseBuilder,
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
    /// The records search: `/crm/objects/{v}` of the families whose documents have it.
    Search,
}

/// One operation: key, method, root, path below the root, summary, request model, and the
/// models of its success answers: `model` when every input succeeded, `with_errors` for a batch
/// answer that carries failed inputs (under 207 where the family declares it, else under the
/// success code). Which codes apply on which family comes from `crate::declared`.
struct Op {
    key: Operation,
    method: HttpMethod,
    root: Root,
    path: &'static str,
    summary: &'static str,
    request: Option<&'static str>,
    model: Option<&'static str>,
    with_errors: Option<&'static str>,
}

const OPS: &[Op] = &[
    Op {
        key: Operation::S1,
        method: HttpMethod::Get,
        root: Root::Schema,
        path: "/{fromObjectType}/{toObjectType}/labels",
        summary: "List association types (labels) of a direction",
        request: None,
        model: Some("CollectionResponseAssociationSpecWithLabelNoPaging"),
        with_errors: None,
    },
    Op {
        key: Operation::S2,
        method: HttpMethod::Post,
        root: Root::Schema,
        path: "/{fromObjectType}/{toObjectType}/labels",
        summary: "Create a USER_DEFINED label",
        request: Some("PublicAssociationDefinitionCreateRequest"),
        model: Some("CollectionResponseAssociationSpecWithLabelNoPaging"),
        with_errors: None,
    },
    Op {
        key: Operation::S3,
        method: HttpMethod::Put,
        root: Root::Schema,
        path: "/{fromObjectType}/{toObjectType}/labels",
        summary: "Rename a label (both directions)",
        request: Some("PublicAssociationDefinitionUpdateRequest"),
        model: None,
        with_errors: None,
    },
    Op {
        key: Operation::S4,
        method: HttpMethod::Delete,
        root: Root::Schema,
        path: "/{fromObjectType}/{toObjectType}/labels/{associationTypeId}",
        summary: "Delete a label (both directions)",
        request: None,
        model: None,
        with_errors: None,
    },
    Op {
        key: Operation::C1,
        method: HttpMethod::Get,
        root: Root::Schema,
        path: "/definitions/configurations/all",
        summary: "Read every association limit of the portal",
        request: None,
        model: Some("CollectionResponsePublicAssociationDefinitionUserConfigurationNoPaging"),
        with_errors: None,
    },
    Op {
        key: Operation::C2,
        method: HttpMethod::Get,
        root: Root::Schema,
        path: "/definitions/configurations/{fromObjectType}/{toObjectType}",
        summary: "Read the association limits of a direction",
        request: None,
        model: Some("CollectionResponsePublicAssociationDefinitionUserConfigurationNoPaging"),
        with_errors: None,
    },
    Op {
        key: Operation::C3,
        method: HttpMethod::Post,
        root: Root::Schema,
        path: "/definitions/configurations/{fromObjectType}/{toObjectType}/batch/create",
        summary: "Create association limits",
        request: Some("BatchInputPublicAssociationDefinitionConfigurationCreateRequest"),
        model: Some("BatchResponsePublicAssociationDefinitionUserConfiguration"),
        with_errors: Some("BatchResponsePublicAssociationDefinitionUserConfigurationWithErrors"),
    },
    Op {
        key: Operation::C4,
        method: HttpMethod::Post,
        root: Root::Schema,
        path: "/definitions/configurations/{fromObjectType}/{toObjectType}/batch/update",
        summary: "Update (or create) association limits",
        request: Some("BatchInputPublicAssociationDefinitionConfigurationUpdateRequest"),
        model: Some("BatchResponsePublicAssociationDefinitionConfigurationUpdateResult"),
        with_errors: Some(
            "BatchResponsePublicAssociationDefinitionConfigurationUpdateResultWithErrors",
        ),
    },
    Op {
        key: Operation::C5,
        method: HttpMethod::Post,
        root: Root::Schema,
        path: "/definitions/configurations/{fromObjectType}/{toObjectType}/batch/purge",
        summary: "Purge association limits",
        request: Some("BatchInputPublicAssociationSpec"),
        model: Some("BatchResponse"),
        with_errors: Some("BatchResponse"),
    },
    Op {
        key: Operation::R1,
        method: HttpMethod::Get,
        root: Root::Objects,
        path: "/{objectType}/{objectId}/associations/{toObjectType}",
        summary: "List a record's associations",
        request: None,
        model: Some("CollectionResponseMultiAssociatedObjectWithLabelForwardPaging"),
        with_errors: None,
    },
    Op {
        key: Operation::R2,
        method: HttpMethod::Put,
        root: Root::Objects,
        path: "/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}",
        summary: "Associate two records with labels",
        request: Some("AssociationSpecArray"),
        model: Some("LabelsBetweenObjectPair"),
        with_errors: None,
    },
    Op {
        key: Operation::R3,
        method: HttpMethod::Delete,
        root: Root::Objects,
        path: "/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}",
        summary: "Remove every association between two records",
        request: None,
        model: None,
        with_errors: None,
    },
    Op {
        key: Operation::R4,
        method: HttpMethod::Put,
        root: Root::Objects,
        path: "/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}",
        summary: "Associate two records with the default type",
        request: None,
        model: Some("BatchResponsePublicDefaultAssociation"),
        with_errors: None,
    },
    Op {
        key: Operation::R5,
        method: HttpMethod::Post,
        root: Root::Batch,
        path: "/{fromObjectType}/{toObjectType}/batch/create",
        summary: "Create labelled associations",
        request: Some("BatchInputPublicAssociationMultiPost"),
        model: Some("BatchResponseLabelsBetweenObjectPair"),
        with_errors: Some("BatchResponseLabelsBetweenObjectPairWithErrors"),
    },
    Op {
        key: Operation::R6,
        method: HttpMethod::Post,
        root: Root::Batch,
        path: "/{fromObjectType}/{toObjectType}/batch/read",
        summary: "Read the associations of many records",
        request: Some("BatchInputPublicFetchAssociationsBatchRequest"),
        model: Some("BatchResponsePublicAssociationMultiWithLabel"),
        with_errors: Some("BatchResponsePublicAssociationMultiWithLabelWithErrors"),
    },
    Op {
        key: Operation::R7,
        method: HttpMethod::Post,
        root: Root::Batch,
        path: "/{fromObjectType}/{toObjectType}/batch/archive",
        summary: "Remove every association between record pairs",
        request: Some("BatchInputPublicAssociationMultiArchive"),
        model: Some("BatchResponse"),
        with_errors: Some("BatchResponse"),
    },
    Op {
        key: Operation::R8,
        method: HttpMethod::Post,
        root: Root::Batch,
        path: "/{fromObjectType}/{toObjectType}/batch/labels/archive",
        summary: "Remove listed association types between record pairs",
        request: Some("BatchInputPublicAssociationMultiPost"),
        model: Some("BatchResponse"),
        with_errors: Some("BatchResponse"),
    },
    Op {
        key: Operation::R9,
        method: HttpMethod::Post,
        root: Root::Batch,
        path: "/{fromObjectType}/{toObjectType}/batch/associate/default",
        summary: "Associate record pairs with the default type",
        request: Some("BatchInputPublicDefaultAssociationMultiPost"),
        model: Some("BatchResponsePublicDefaultAssociation"),
        with_errors: Some("BatchResponsePublicDefaultAssociation"),
    },
    Op {
        key: Operation::U1,
        method: HttpMethod::Post,
        root: Root::Batch,
        path: "/usage/high-usage-report/{userId}",
        summary: "Request the high-usage report",
        request: None,
        model: Some("ReportCreationResponse"),
        with_errors: None,
    },
    Op {
        key: Operation::Q1,
        method: HttpMethod::Post,
        root: Root::Search,
        path: "/{objectType}/search",
        summary: "Search records by association (the only filters assocd can answer)",
        request: Some("PublicObjectSearchRequest"),
        model: Some("CollectionResponseWithTotalSimplePublicObject"),
        with_errors: None,
    },
];

/// (prefix, family label, family) of each root.
fn prefixes(root: Root) -> Vec<(String, &'static str, Family)> {
    let mut out = match root {
        Root::Schema => vec![
            ("/crm/v4/associations".to_string(), "v4", Family::Legacy),
            (
                "/crm/associations/v4".to_string(),
                "v4-alt",
                Family::LegacyAlt,
            ),
        ],
        Root::Batch => vec![("/crm/v4/associations".to_string(), "v4", Family::Legacy)],
        Root::Objects => vec![("/crm/v4/objects".to_string(), "v4", Family::Legacy)],
        Root::Search => Vec::new(),
    };
    for v in VERSIONS {
        let base = match root {
            Root::Objects => "/crm/objects",
            Root::Search if crate::declared::search_served(v) => "/crm/objects",
            Root::Search => continue,
            Root::Schema | Root::Batch => "/crm/associations",
        };
        out.push((format!("{base}/{v}"), v, Family::Dated(v)));
    }
    out
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
        for (prefix, _, family) in prefixes(op.root) {
            out.push((
                format!("{prefix}{}", op.path),
                http_method(&op.method),
                op.key,
                family,
            ));
        }
    }
    out
}

/// The success answers of `op` on `family`: (status, model).
fn answers(op: &Op, family: Family) -> Vec<(String, Option<&'static str>)> {
    let d = declared(op.key, family);
    if d.ok == StatusCode::NO_CONTENT {
        return vec![("204".to_string(), None)];
    }
    let ok_model = if d.multi_status {
        op.model
    } else {
        op.with_errors.or(op.model)
    };
    let mut out = vec![(d.ok.as_u16().to_string(), ok_model)];
    if d.multi_status {
        out.push(("207".to_string(), op.with_errors));
    }
    out
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
        for (prefix, label, family) in prefixes(op.root) {
            let full = format!("{prefix}{}", op.path);
            let mut b = OperationBuilder::new()
                .operation_id(Some(format!("{:?}-{label}", op.key)))
                .summary(Some(op.summary))
                .tag(label)
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()));
            for p in parameters(&full) {
                b = b.parameter(p);
            }
            if op.key == Operation::R1 {
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
            for (status, model) in answers(op, family) {
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
                b = b.response(status, r.build());
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
    crate::webhooks::openapi::add(&mut paths, &mut components);
    crate::oauth::openapi::add(&mut paths, &mut components);
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("assocd: HubSpot CRM Associations v4 API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("Every route assocd serves: the Associations v4 API on every path family (families share semantics and differ only in the success codes listed per path) the webhooks v3 management API, and OAuth (authorize, token, token metadata, introspection, revocation)."))
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

/// The one-line summary of an operation, as the OpenAPI document gives it.
pub fn summary(key: Operation) -> Option<&'static str> {
    OPS.iter().find(|op| op.key == key).map(|op| op.summary)
}
