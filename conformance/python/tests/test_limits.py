"""Association limits (C1-C5) through `client.crm.associations.v4.schema.definition_configurations_api`.

Every test runs in a fresh portal, so "the portal's limits" start empty.
"""

from __future__ import annotations

import pytest
from hubspot.crm.associations.v4.schema import ApiException
from hubspot.crm.associations.v4.schema.models import (
    BatchInputPublicAssociationDefinitionConfigurationCreateRequest,
    BatchInputPublicAssociationDefinitionConfigurationUpdateRequest,
    BatchInputPublicAssociationSpec,
    BatchResponsePublicAssociationDefinitionConfigurationUpdateResult,
    BatchResponsePublicAssociationDefinitionConfigurationUpdateResultWithErrors,
    BatchResponsePublicAssociationDefinitionUserConfiguration,
    BatchResponsePublicAssociationDefinitionUserConfigurationWithErrors,
    CollectionResponsePublicAssociationDefinitionUserConfigurationNoPaging,
    PublicAssociationDefinitionConfigurationCreateRequest,
    PublicAssociationDefinitionConfigurationUpdateRequest,
    PublicAssociationDefinitionCreateRequest,
    PublicAssociationDefinitionUserConfiguration,
    PublicAssociationSpec,
    StandardError,
)

from helpers import error_body, random_portal, unique

HS = "HUBSPOT_DEFINED"
US = "USER_DEFINED"
DEAL_TO_CONTACT = 3  # HUBSPOT_DEFINED, deals -> contacts (unlabeled)
CONTACT_TO_COMPANY_PRIMARY = 1  # a real type, but not one of deals -> contacts


def api(client):
    return client.crm.associations.v4.schema.definition_configurations_api


def create(client, inputs, from_type="deals", to_type="contacts"):
    """batch/create; returns (body, http status)."""
    body = BatchInputPublicAssociationDefinitionConfigurationCreateRequest(
        inputs=[PublicAssociationDefinitionConfigurationCreateRequest(category=c, type_id=t, max_to_object_ids=m) for c, t, m in inputs]
    )
    data, status, _ = api(client).batch_create_with_http_info(from_type, to_type, body)
    return data, status


def update(client, inputs, from_type="deals", to_type="contacts"):
    body = BatchInputPublicAssociationDefinitionConfigurationUpdateRequest(
        inputs=[PublicAssociationDefinitionConfigurationUpdateRequest(category=c, type_id=t, max_to_object_ids=m) for c, t, m in inputs]
    )
    data, status, _ = api(client).batch_update_with_http_info(from_type, to_type, body)
    return data, status


def purge_body(inputs):
    return BatchInputPublicAssociationSpec(inputs=[PublicAssociationSpec(category=c, type_id=t) for c, t in inputs])


def as_tuples(results):
    out = []
    for r in results:
        assert isinstance(r, PublicAssociationDefinitionUserConfiguration)
        out.append((r.category, r.type_id, r.label, r.user_enforced_max_to_object_ids))
    return sorted(out)


def all_limits(client):
    resp = api(client).get_all()
    assert isinstance(resp, CollectionResponsePublicAssociationDefinitionUserConfigurationNoPaging)
    return as_tuples(resp.results)


def pair_limits(client, from_type="deals", to_type="contacts"):
    resp = api(client).get_all_between_two_object_types(from_type, to_type)
    assert isinstance(resp, CollectionResponsePublicAssociationDefinitionUserConfigurationNoPaging)
    return as_tuples(resp.results)


def assert_batch_times(resp):
    assert resp.started_at is not None and resp.completed_at is not None
    assert resp.started_at <= resp.completed_at
    assert resp.started_at.tzinfo is not None, "timestamps must carry a zone (Z)"


def assert_has_errors(resp, n):
    assert resp.num_errors == n, resp
    assert len(resp.errors) == n, resp
    for e in resp.errors:
        assert isinstance(e, StandardError)
        assert e.category and e.message and e.status, e


def create_deal_contact_label(client):
    """A paired USER_DEFINED label on deals->contacts; returns (label text, typeId of deals->contacts)."""
    text = unique("Decider")
    resp = client.crm.associations.v4.schema.definitions_api.create(
        "deals", "contacts",
        PublicAssociationDefinitionCreateRequest(name=unique("decider"), label=text, inverse_label=unique("Decided")),
    )
    return text, {r.label: r.type_id for r in resp.results}[text]


def test_new_portal_has_no_limits(client):
    assert all_limits(client) == []
    assert pair_limits(client) == []


def test_create_read_update_purge(client):
    resp, status = create(client, [(HS, DEAL_TO_CONTACT, 5)])
    assert status == 201
    assert isinstance(resp, BatchResponsePublicAssociationDefinitionUserConfiguration)
    assert resp.status == "COMPLETE"
    assert as_tuples(resp.results) == [(HS, 3, None, 5)]
    assert_batch_times(resp)

    assert all_limits(client) == [(HS, 3, None, 5)]
    assert pair_limits(client) == [(HS, 3, None, 5)]
    assert pair_limits(client, "0-3", "0-1") == [(HS, 3, None, 5)]
    assert pair_limits(client, "contacts", "deals") == []
    assert pair_limits(client, "deals", "companies") == []

    resp, status = update(client, [(HS, DEAL_TO_CONTACT, 7)])
    assert status == 200
    assert isinstance(resp, BatchResponsePublicAssociationDefinitionConfigurationUpdateResult)
    assert resp.status == "COMPLETE"
    assert [(r.category, r.type_id, r.user_enforced_max_to_object_ids) for r in resp.results] == [(HS, 3, 7)]
    assert_batch_times(resp)
    assert all_limits(client) == [(HS, 3, None, 7)]
    assert pair_limits(client) == [(HS, 3, None, 7)]

    out = api(client).batch_remove("deals", "contacts", purge_body([(HS, DEAL_TO_CONTACT)]))
    assert out is None
    assert all_limits(client) == []
    assert pair_limits(client) == []


def test_purge_answers_204(client):
    create(client, [(HS, DEAL_TO_CONTACT, 5)])
    data, status, _ = api(client).batch_remove_with_http_info("deals", "contacts", purge_body([(HS, DEAL_TO_CONTACT)]))
    assert (data, status) == (None, 204)
    assert all_limits(client) == []


def test_purge_without_limit_succeeds(client):
    data, status, _ = api(client).batch_remove_with_http_info("deals", "contacts", purge_body([(HS, DEAL_TO_CONTACT)]))
    assert (data, status) == (None, 204)
    # ... and twice in a row, after a real purge too.
    create(client, [(HS, DEAL_TO_CONTACT, 5)])
    assert api(client).batch_remove("deals", "contacts", purge_body([(HS, DEAL_TO_CONTACT)])) is None
    assert api(client).batch_remove("deals", "contacts", purge_body([(HS, DEAL_TO_CONTACT)])) is None
    assert all_limits(client) == []


def test_update_creates_a_missing_limit(client):
    resp, status = update(client, [(HS, DEAL_TO_CONTACT, 4)])
    assert status == 200 and resp.status == "COMPLETE"
    assert [(r.category, r.type_id, r.user_enforced_max_to_object_ids) for r in resp.results] == [(HS, 3, 4)]
    assert all_limits(client) == [(HS, 3, None, 4)]


def test_create_with_invalid_type_is_canceled(client):
    resp, status = create(client, [(HS, CONTACT_TO_COMPANY_PRIMARY, 5)])
    assert status == 207
    assert isinstance(resp, BatchResponsePublicAssociationDefinitionUserConfigurationWithErrors)
    assert resp.status == "CANCELED"
    assert resp.results == []
    assert_has_errors(resp, 1)
    assert_batch_times(resp)
    assert all_limits(client) == []


def test_update_with_unknown_user_type_is_canceled(client):
    resp, status = update(client, [(US, 999_999, 5)])
    assert status == 207
    assert isinstance(resp, BatchResponsePublicAssociationDefinitionConfigurationUpdateResultWithErrors)
    assert resp.status == "CANCELED"
    assert resp.results == []
    assert_has_errors(resp, 1)
    assert all_limits(client) == []


def test_partial_success_applies_valid_inputs(client):
    label, label_type = create_deal_contact_label(client)
    resp, status = create(client, [(HS, DEAL_TO_CONTACT, 5), (HS, CONTACT_TO_COMPANY_PRIMARY, 5), (US, label_type, 2)])
    assert status == 207
    assert isinstance(resp, BatchResponsePublicAssociationDefinitionUserConfigurationWithErrors)
    assert resp.status == "COMPLETE"
    assert as_tuples(resp.results) == sorted([(HS, 3, None, 5), (US, label_type, label, 2)])
    assert_has_errors(resp, 1)
    assert all_limits(client) == sorted([(HS, 3, None, 5), (US, label_type, label, 2)])


def test_creating_an_existing_limit_is_an_error(client):
    create(client, [(HS, DEAL_TO_CONTACT, 5)])
    resp, status = create(client, [(HS, DEAL_TO_CONTACT, 6)])
    assert status == 207
    assert resp.status == "CANCELED" and resp.results == []
    assert_has_errors(resp, 1)
    assert all_limits(client) == [(HS, 3, None, 5)]


def test_max_out_of_range_is_an_error(client):
    for bad in (0, -1):
        resp, status = create(client, [(HS, DEAL_TO_CONTACT, bad)])
        assert status == 207, bad
        assert resp.status == "CANCELED" and resp.results == []
        assert_has_errors(resp, 1)
    assert all_limits(client) == []


def test_label_limit_above_object_limit_is_an_error(client):
    label, label_type = create_deal_contact_label(client)
    create(client, [(HS, DEAL_TO_CONTACT, 5)])

    resp, status = create(client, [(US, label_type, 10)])
    assert status == 207
    assert resp.status == "CANCELED" and resp.results == []
    assert_has_errors(resp, 1)
    assert "5" in resp.errors[0].message, "the message should state the valid range"
    assert all_limits(client) == [(HS, 3, None, 5)]

    resp, status = create(client, [(US, label_type, 2)])
    assert status == 201 and resp.status == "COMPLETE"
    assert as_tuples(resp.results) == [(US, label_type, label, 2)]

    # Lowering the object limit below the label limit fails and changes nothing.
    resp, status = update(client, [(HS, DEAL_TO_CONTACT, 1)])
    assert status == 207
    assert resp.status == "CANCELED" and resp.results == []
    assert_has_errors(resp, 1)
    assert all_limits(client) == sorted([(HS, 3, None, 5), (US, label_type, label, 2)])


def test_purge_with_invalid_type_is_400_and_purges_nothing(client):
    create(client, [(HS, DEAL_TO_CONTACT, 5)])
    with pytest.raises(ApiException) as ei:
        api(client).batch_remove(
            "deals", "contacts", purge_body([(HS, DEAL_TO_CONTACT), (HS, CONTACT_TO_COMPANY_PRIMARY)])
        )
    assert ei.value.status == 400
    assert error_body(ei.value)["category"] == "VALIDATION_ERROR"
    assert all_limits(client) == [(HS, 3, None, 5)]


def test_deleting_a_label_removes_its_limits(client):
    label, label_type = create_deal_contact_label(client)
    create(client, [(HS, DEAL_TO_CONTACT, 5), (US, label_type, 2)])
    assert all_limits(client) == sorted([(HS, 3, None, 5), (US, label_type, label, 2)])
    client.crm.associations.v4.schema.definitions_api.remove("deals", "contacts", label_type)
    assert all_limits(client) == [(HS, 3, None, 5)]


def test_get_all_spans_pairs(client):
    create(client, [(HS, DEAL_TO_CONTACT, 5)])
    create(client, [(HS, 279, 3)], "contacts", "companies")
    assert all_limits(client) == sorted([(HS, 3, None, 5), (HS, 279, None, 3)])
    assert pair_limits(client, "contacts", "companies") == [(HS, 279, None, 3)]
    assert pair_limits(client) == [(HS, 3, None, 5)]


def test_unknown_object_type(client):
    with pytest.raises(ApiException) as ei:
        api(client).get_all_between_two_object_types("dea", "contacts")
    assert ei.value.status == 400
    assert error_body(ei.value)["message"] == "Unable to infer object type from: dea"


def test_bad_token_is_401(server):
    with pytest.raises(ApiException) as ei:
        api(server.client("not-a-valid-token")).get_all()
    assert ei.value.status == 401
    assert error_body(ei.value)["category"] == "INVALID_AUTHENTICATION"


def test_limits_are_isolated_between_portals(server, client):
    create(client, [(HS, DEAL_TO_CONTACT, 5)])
    other = server.client(server.create_token(random_portal()))
    assert all_limits(other) == []
    assert pair_limits(other) == []
    # Purging "the same" limit in the other portal does not touch ours.
    assert api(other).batch_remove("deals", "contacts", purge_body([(HS, DEAL_TO_CONTACT)])) is None
    resp, status = update(other, [(HS, DEAL_TO_CONTACT, 9)])
    assert status == 200
    assert all_limits(client) == [(HS, 3, None, 5)]
    assert all_limits(other) == [(HS, 3, None, 9)]
