"""What the record tests (test_records*.py) share: the client's models, HubSpot's built-in
type ids, and small helpers that build requests and read answers."""

from __future__ import annotations

from hubspot.crm.associations.v4 import ApiException
from hubspot.crm.associations.v4.models import (
    AssociationSpec,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
    CollectionResponseMultiAssociatedObjectWithLabelForwardPaging,
    PublicAssociationMultiPost,
    PublicDefaultAssociationMultiPost,
    PublicFetchAssociationsBatchRequest,
    PublicObjectId,
    StandardError,
)
from hubspot.crm.associations.v4.schema.models import (
    BatchInputPublicAssociationDefinitionConfigurationCreateRequest,
    BatchInputPublicAssociationSpec,
    PublicAssociationDefinitionConfigurationCreateRequest,
    PublicAssociationDefinitionCreateRequest,
    PublicAssociationSpec,
)

from helpers import unique

HS = "HUBSPOT_DEFINED"
US = "USER_DEFINED"
# HUBSPOT_DEFINED types (research notes §10)
CONTACT_TO_COMPANY = 279
COMPANY_TO_CONTACT = 280
CONTACT_TO_COMPANY_PRIMARY = 1
COMPANY_TO_CONTACT_PRIMARY = 2
DEAL_TO_COMPANY = 341
COMPANY_TO_DEAL = 342
DEAL_TO_CONTACT = 3
CONTACT_TO_DEAL = 4

# Record ids beyond 2^31, as HubSpot's are.
BIG = 38_056_537_805


def basic(client):
    return client.crm.associations.v4.basic_api


def batch(client):
    return client.crm.associations.v4.batch_api


def spec(category, type_id) -> AssociationSpec:
    return AssociationSpec(association_category=category, association_type_id=type_id)


def oid(i) -> PublicObjectId:
    return PublicObjectId(id=str(i))


def multi_post(inputs) -> BatchInputPublicAssociationMultiPost:
    """inputs: (from id, to id, [(category, typeId)])"""
    return BatchInputPublicAssociationMultiPost(
        inputs=[PublicAssociationMultiPost(_from=oid(f), to=oid(t), types=[spec(c, i) for c, i in types]) for f, t, types in inputs]
    )


def default_post(inputs) -> BatchInputPublicDefaultAssociationMultiPost:
    return BatchInputPublicDefaultAssociationMultiPost(
        inputs=[PublicDefaultAssociationMultiPost(_from=oid(f), to=oid(t)) for f, t in inputs]
    )


def fetch(inputs) -> BatchInputPublicFetchAssociationsBatchRequest:
    """inputs: ids, or (id, after) tuples."""
    out = []
    for i in inputs:
        if isinstance(i, tuple):
            out.append(PublicFetchAssociationsBatchRequest(id=str(i[0]), after=i[1]))
        else:
            out.append(PublicFetchAssociationsBatchRequest(id=str(i)))
    return BatchInputPublicFetchAssociationsBatchRequest(inputs=out)


def types_of(item) -> set[tuple]:
    return {(t.category, t.type_id, t.label) for t in item.association_types}


def page(client, from_type, from_id, to_type, **kw):
    resp, status, _ = basic(client).get_page_with_http_info(from_type, str(from_id), to_type, **kw)
    assert status == 200
    assert isinstance(resp, CollectionResponseMultiAssociatedObjectWithLabelForwardPaging)
    return resp


def linked(client, from_type, from_id, to_type) -> dict[int, set[tuple]]:
    """Every associated record (all pages) -> its set of (category, typeId, label)."""
    out: dict[int, set[tuple]] = {}
    after = None
    while True:
        kw = {"after": after} if after else {}
        resp = page(client, from_type, from_id, to_type, **kw)
        for r in resp.results:
            assert isinstance(r.to_object_id, str) and r.to_object_id.isdigit(), r
            assert int(r.to_object_id) not in out, f"{r.to_object_id} listed twice"
            out[int(r.to_object_id)] = types_of(r)
        if resp.paging is None:
            return out
        after = resp.paging.next.after


def create_label(client, from_type="contacts", to_type="companies"):
    """A paired USER_DEFINED label; returns (label, inverse label, forward typeId, inverse typeId)."""
    label, inverse = unique("Manager"), unique("Employee")
    resp = client.crm.associations.v4.schema.definitions_api.create(
        from_type, to_type, PublicAssociationDefinitionCreateRequest(name=unique("mgr"), label=label, inverse_label=inverse)
    )
    by_label = {r.label: r.type_id for r in resp.results}
    return label, inverse, by_label[label], by_label[inverse]


def set_limit(client, from_type, to_type, category, type_id, maximum):
    resp, status, _ = client.crm.associations.v4.schema.definition_configurations_api.batch_create_with_http_info(
        from_type, to_type,
        BatchInputPublicAssociationDefinitionConfigurationCreateRequest(
            inputs=[PublicAssociationDefinitionConfigurationCreateRequest(category=category, type_id=type_id, max_to_object_ids=maximum)]
        ),
    )
    assert status == 201 and resp.status == "COMPLETE", resp


def purge_limit(client, from_type, to_type, category, type_id):
    data, status, _ = client.crm.associations.v4.schema.definition_configurations_api.batch_remove_with_http_info(
        from_type, to_type, BatchInputPublicAssociationSpec(inputs=[PublicAssociationSpec(category=category, type_id=type_id)])
    )
    assert (data, status) == (None, 204)


def assert_batch_times(resp):
    assert resp.started_at is not None and resp.completed_at is not None
    assert resp.started_at <= resp.completed_at
    assert resp.started_at.tzinfo is not None


def assert_errors(resp, n):
    assert resp.num_errors == n, resp
    assert len(resp.errors) == n, resp
    for e in resp.errors:
        assert isinstance(e, StandardError)
        assert e.status and e.category and e.message, e
    return resp.errors


def default_tuples(resp):
    return [(r._from.id, r.to.id, r.association_spec.association_category, r.association_spec.association_type_id) for r in resp.results]


# ---------------------------------------------------------------- R4 / R1 / R3
