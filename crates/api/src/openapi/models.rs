//! The models of assocd's own OpenAPI document: HubSpot's model names, with the types assocd
//! really sends (record ids as integers where the live API sends numbers, `label` null for plain
//! types).

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{Ref, RefOr};

pub(crate) fn string() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .into()
}
/// A string that may be `null` (the label of a plain association type).
fn nullable_string() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .into()
}

pub(crate) fn int(format: &str) -> RefOr<Schema> {
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
pub(crate) fn reference(name: &str) -> RefOr<Schema> {
    Ref::from_schema_name(name).into()
}
pub(crate) fn array(of: RefOr<Schema>) -> RefOr<Schema> {
    ArrayBuilder::new().items(of).into()
}
fn map_of(values: RefOr<Schema>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .additional_properties(Some(values))
        .into()
}

/// An object with `(name, schema, required)` fields.
pub(crate) fn object(fields: Vec<(&str, RefOr<Schema>, bool)>) -> RefOr<Schema> {
    let mut b = ObjectBuilder::new();
    for (name, schema, required) in fields {
        b = b.property(name, schema);
        if required {
            b = b.required(name);
        }
    }
    b.into()
}

pub(crate) fn batch_envelope(results: RefOr<Schema>, with_errors: bool) -> RefOr<Schema> {
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

pub(super) fn models() -> Vec<(&'static str, RefOr<Schema>)> {
    let spec_with_label = object(vec![
        ("category", string(), true),
        ("typeId", int("int32"), true),
        ("label", nullable_string(), false),
        ("fromObjectTypeId", string(), false),
        ("toObjectTypeId", string(), false),
    ]);
    let user_config = object(vec![
        ("category", string(), true),
        ("typeId", int("int32"), true),
        ("label", nullable_string(), false),
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
    let mut all = vec![
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
    ];
    all.extend(search_models());
    all
}

/// The records search (Q1): what assocd accepts and answers. Sorts are property names
/// (`hs_object_id`, `-hs_object_id`) or `{propertyName, direction}` objects.
fn search_models() -> Vec<(&'static str, RefOr<Schema>)> {
    let sort = ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Object]))
        .property("propertyName", string())
        .property("direction", string())
        .into();
    let boolean: RefOr<Schema> = ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::Boolean))
        .into();
    vec![
        (
            "Filter",
            object(vec![
                ("propertyName", string(), true),
                ("operator", string(), true),
                ("value", string(), false),
                ("values", array(string()), false),
                ("highValue", string(), false),
            ]),
        ),
        (
            "FilterGroup",
            object(vec![("filters", array(reference("Filter")), true)]),
        ),
        (
            "PublicObjectSearchRequest",
            object(vec![
                ("filterGroups", array(reference("FilterGroup")), false),
                ("sorts", array(sort), false),
                ("properties", array(string()), false),
                ("limit", int("int32"), false),
                ("after", string(), false),
                ("query", string(), false),
            ]),
        ),
        (
            "SimplePublicObject",
            object(vec![
                ("id", string(), true),
                ("properties", map_of(nullable_string()), true),
                ("createdAt", string(), true),
                ("updatedAt", string(), true),
                ("archived", boolean, true),
            ]),
        ),
        (
            "CollectionResponseWithTotalSimplePublicObject",
            object(vec![
                ("total", int("int32"), true),
                ("results", array(reference("SimplePublicObject")), true),
                ("paging", reference("Paging"), false),
            ]),
        ),
    ]
}
