"""Association labels (S1-S4) through `client.crm.associations.v4.schema.definitions_api`."""

from __future__ import annotations

import pytest
from hubspot.crm.associations.v4.schema import ApiException
from hubspot.crm.associations.v4.schema.models import (
    AssociationSpecWithLabel,
    CollectionResponseAssociationSpecWithLabelNoPaging,
    PublicAssociationDefinitionCreateRequest,
    PublicAssociationDefinitionUpdateRequest,
)

from helpers import error_body, random_portal, unique


def labels(client, from_type, to_type) -> dict[int, AssociationSpecWithLabel]:
    resp = client.crm.associations.v4.schema.definitions_api.get_all(from_type, to_type)
    assert isinstance(resp, CollectionResponseAssociationSpecWithLabelNoPaging)
    by_id: dict[int, AssociationSpecWithLabel] = {}
    for r in resp.results:
        assert isinstance(r, AssociationSpecWithLabel)
        assert r.type_id not in by_id, f"typeId {r.type_id} listed twice"
        by_id[r.type_id] = r
    return by_id


def create_paired(client, from_type="contacts", to_type="companies"):
    """Creates a paired label; returns (name, label, inverse, forward typeId, inverse typeId)."""
    name = unique("cfx")
    label, inverse = unique("Manager"), unique("Employee")
    resp = client.crm.associations.v4.schema.definitions_api.create(
        from_type, to_type,
        PublicAssociationDefinitionCreateRequest(name=name, label=label, inverse_label=inverse),
    )
    by_text = {r.label: r for r in resp.results}
    return name, label, inverse, by_text[label].type_id, by_text[inverse].type_id


def test_builtin_contact_to_company_types(client):
    got = labels(client, "contacts", "companies")
    assert 279 in got and 1 in got, sorted(got)
    assert got[279].category == "HUBSPOT_DEFINED"
    assert got[279].label is None
    assert got[1].category == "HUBSPOT_DEFINED"
    assert got[1].label == "Primary"
    # The inverse direction has its own ids.
    back = labels(client, "companies", "contacts")
    assert back[280].label is None and back[280].category == "HUBSPOT_DEFINED"
    assert 279 not in back


def test_object_type_spellings_are_equivalent(client):
    by_name = labels(client, "contacts", "companies")
    for f, t in [("0-1", "0-2"), ("contact", "company"), ("CONTACTS", "Companies")]:
        other = labels(client, f, t)
        assert {k: (v.category, v.label) for k, v in other.items()} == {
            k: (v.category, v.label) for k, v in by_name.items()
        }, (f, t)


def test_create_paired_label_returns_both_directions(client):
    name = unique("cfx")
    resp = client.crm.associations.v4.schema.definitions_api.create(
        "contacts", "companies",
        PublicAssociationDefinitionCreateRequest(name=name, label="Manager X", inverse_label="Employee X"),
    )
    assert isinstance(resp, CollectionResponseAssociationSpecWithLabelNoPaging)
    assert len(resp.results) == 2
    assert {r.category for r in resp.results} == {"USER_DEFINED"}
    assert sorted(r.label for r in resp.results) == ["Employee X", "Manager X"]
    ids = [r.type_id for r in resp.results]
    assert len(set(ids)) == 2
    # Per-portal type ids never collide with HubSpot's built-in ones of either direction.
    builtin = {k for k, v in labels(client, "contacts", "companies").items() if v.category == "HUBSPOT_DEFINED"}
    builtin |= {k for k, v in labels(client, "companies", "contacts").items() if v.category == "HUBSPOT_DEFINED"}
    assert not set(ids) & builtin


def test_created_label_listed_in_both_directions(client):
    _, label, inverse, fwd, inv = create_paired(client)
    forward = labels(client, "contacts", "companies")
    backward = labels(client, "companies", "contacts")
    assert forward[fwd].label == label and forward[fwd].category == "USER_DEFINED"
    assert backward[inv].label == inverse and backward[inv].category == "USER_DEFINED"
    assert inv not in forward, "the inverse type id must not be listed for contacts->companies"
    assert fwd not in backward, "the forward type id must not be listed for companies->contacts"
    # Built-ins are still there next to the new label.
    assert forward[279].label is None and forward[1].label == "Primary"


def test_single_label_applies_its_text_to_both_directions(client):
    name, text = unique("single"), unique("Partner")
    resp = client.crm.associations.v4.schema.definitions_api.create(
        "deals", "companies", PublicAssociationDefinitionCreateRequest(name=name, label=text)
    )
    assert resp.results, "create returned no results"
    assert {r.label for r in resp.results} == {text}
    assert {r.category for r in resp.results} == {"USER_DEFINED"}
    fwd_ids = {k for k, v in labels(client, "deals", "companies").items() if v.label == text}
    back_ids = {k for k, v in labels(client, "companies", "deals").items() if v.label == text}
    assert len(fwd_ids) == 1 and len(back_ids) == 1
    assert fwd_ids | back_ids == {r.type_id for r in resp.results}


def test_update_renames_both_directions(client):
    _, _, _, fwd, inv = create_paired(client)
    new_label, new_inverse = unique("Boss"), unique("Report")
    out = client.crm.associations.v4.schema.definitions_api.update(
        "contacts", "companies",
        PublicAssociationDefinitionUpdateRequest(association_type_id=fwd, label=new_label, inverse_label=new_inverse),
    )
    assert out is None  # 204, no body
    forward = labels(client, "contacts", "companies")
    backward = labels(client, "companies", "contacts")
    assert forward[fwd].label == new_label
    assert backward[inv].label == new_inverse


def test_remove_deletes_both_directions(client):
    _, label, inverse, fwd, inv = create_paired(client)
    out = client.crm.associations.v4.schema.definitions_api.remove("contacts", "companies", fwd)
    assert out is None  # 204, no body
    forward = labels(client, "contacts", "companies")
    backward = labels(client, "companies", "contacts")
    assert fwd not in forward and inv not in backward
    assert label not in {v.label for v in forward.values()}
    assert inverse not in {v.label for v in backward.values()}
    # Deleting it again: it is gone.
    with pytest.raises(ApiException) as ei:
        client.crm.associations.v4.schema.definitions_api.remove("contacts", "companies", fwd)
    assert ei.value.status == 404
    assert error_body(ei.value)["category"] == "OBJECT_NOT_FOUND"


def test_builtin_type_cannot_be_removed(client):
    with pytest.raises(ApiException) as ei:
        client.crm.associations.v4.schema.definitions_api.remove("contacts", "companies", 1)
    assert ei.value.status == 400
    assert error_body(ei.value).get("category")
    assert labels(client, "contacts", "companies")[1].label == "Primary"


def test_duplicate_name_is_refused(client):
    name, label, _, fwd, _ = create_paired(client)
    with pytest.raises(ApiException) as ei:
        client.crm.associations.v4.schema.definitions_api.create(
            "contacts", "companies",
            PublicAssociationDefinitionCreateRequest(name=name, label=unique("Other"), inverse_label=unique("Other")),
        )
    assert 400 <= ei.value.status < 500
    body = error_body(ei.value)
    assert isinstance(body.get("category"), str) and body["category"]
    # Nothing new was created.
    forward = labels(client, "contacts", "companies")
    assert [k for k, v in forward.items() if v.category == "USER_DEFINED"] == [fwd]
    assert forward[fwd].label == label


def test_invalid_name_is_refused(client):
    for bad in ["has-hyphen", "1starts_with_digit"]:
        with pytest.raises(ApiException) as ei:
            client.crm.associations.v4.schema.definitions_api.create(
                "contacts", "companies", PublicAssociationDefinitionCreateRequest(name=bad, label="Whatever")
            )
        assert ei.value.status == 400, bad
        assert error_body(ei.value)["category"] == "VALIDATION_ERROR"
    assert not [v for v in labels(client, "contacts", "companies").values() if v.category == "USER_DEFINED"]


def test_unknown_object_type(client):
    with pytest.raises(ApiException) as ei:
        client.crm.associations.v4.schema.definitions_api.get_all("dea", "companies")
    assert ei.value.status == 400
    assert error_body(ei.value)["message"] == "Unable to infer object type from: dea"


def test_bad_token_is_401(server):
    bad = server.client("not-a-valid-token")
    with pytest.raises(ApiException) as ei:
        bad.crm.associations.v4.schema.definitions_api.get_all("contacts", "companies")
    assert ei.value.status == 401
    assert error_body(ei.value)["category"] == "INVALID_AUTHENTICATION"


def test_bootstrap_token_works(server):
    got = labels(server.client(server.token), "contacts", "companies")
    assert got[1].label == "Primary"


def test_scopes(server):
    p = random_portal()
    # One scope of the operation's list suffices.
    reader = server.client(server.create_token(p, ["crm.objects.contacts.read"]))
    assert labels(reader, "contacts", "companies")[279].label is None
    # A token that has none of the listed scopes.
    other = server.client(server.create_token(p, ["forms"]))
    with pytest.raises(ApiException) as ei:
        other.crm.associations.v4.schema.definitions_api.get_all("contacts", "companies")
    assert ei.value.status == 403
    body = error_body(ei.value)
    assert body["category"] == "MISSING_SCOPES"
    required = body["errors"][0]["context"]["requiredGranularScopes"]
    assert "crm.objects.contacts.read" in required


def test_second_portal_is_isolated(server, client):
    _, label, inverse, fwd, inv = create_paired(client)
    other = server.client(server.create_token(random_portal()))
    forward = labels(other, "contacts", "companies")
    backward = labels(other, "companies", "contacts")
    assert label not in {v.label for v in forward.values()}
    assert inverse not in {v.label for v in backward.values()}
    assert not [v for v in forward.values() if v.category == "USER_DEFINED"]
    # The other portal cannot rename or delete the first portal's label by id.
    with pytest.raises(ApiException) as ei:
        other.crm.associations.v4.schema.definitions_api.update(
            "contacts", "companies",
            PublicAssociationDefinitionUpdateRequest(association_type_id=fwd, label="hijack", inverse_label="hijack"),
        )
    assert ei.value.status == 404
    with pytest.raises(ApiException) as ei:
        other.crm.associations.v4.schema.definitions_api.remove("contacts", "companies", fwd)
    assert ei.value.status == 404
    mine = labels(client, "contacts", "companies")
    assert mine[fwd].label == label
    assert labels(client, "companies", "contacts")[inv].label == inverse
