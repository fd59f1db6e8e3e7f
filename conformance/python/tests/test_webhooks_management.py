"""HubSpot's webhooks v3 management API (`client.webhooks.settings_api` / `subscriptions_api`),
called with `HubSpot(api_key=<developer API key>)` exactly as an integration does."""

from __future__ import annotations

import secrets
from datetime import datetime

import pytest
from hubspot import HubSpot
from hubspot.webhooks import (
    BatchInputSubscriptionBatchUpdateRequest,
    BatchResponseSubscriptionResponse,
    BatchResponseSubscriptionResponseWithErrors,
    SettingsChangeRequest,
    SettingsResponse,
    SubscriptionBatchUpdateRequest,
    SubscriptionCreateRequest,
    SubscriptionListResponse,
    SubscriptionPatchRequest,
    SubscriptionResponse,
    ThrottlingSettings,
)
from hubspot.webhooks.exceptions import ApiException, NotFoundException, UnauthorizedException

from helpers import error_body


@pytest.fixture
def app(server) -> tuple[int, str, str]:
    """A fresh app installed in the bootstrap portal: (app id, client secret, developer key)."""
    key = "conformance-dev-" + secrets.token_hex(12)
    status, body = server.admin("POST", "/_assocd/apps", {"portals": [server.portal], "developerApiKey": key})
    assert status == 201, body
    return body["appId"], body["clientSecret"], key


@pytest.fixture
def hooks(server, app) -> HubSpot:
    return HubSpot(api_key=app[2], host=server.base_url)


def test_settings_configure_get_and_clear(hooks, app):
    app_id = app[0]
    settings = hooks.webhooks.settings_api
    with pytest.raises(NotFoundException) as e:
        settings.get_all(app_id)
    assert error_body(e.value)["category"] == "OBJECT_NOT_FOUND"

    resp = settings.configure(
        app_id,
        SettingsChangeRequest(target_url="http://127.0.0.1:9/hook", throttling=ThrottlingSettings(max_concurrent_requests=7)),
    )
    assert isinstance(resp, SettingsResponse)
    assert resp.target_url == "http://127.0.0.1:9/hook"
    assert resp.throttling.max_concurrent_requests == 7
    assert isinstance(resp.created_at, datetime) and isinstance(resp.updated_at, datetime)

    again = settings.get_all(app_id)
    assert again.to_dict() == resp.to_dict()

    _, status, _ = settings.clear_with_http_info(app_id)
    assert status == 204
    with pytest.raises(NotFoundException):
        settings.get_all(app_id)


def test_subscriptions_create_list_get_update_archive(hooks, app):
    app_id = app[0]
    subs = hooks.webhooks.subscriptions_api
    created = subs.create(app_id, SubscriptionCreateRequest(event_type="contact.associationChange"))
    assert isinstance(created, SubscriptionResponse)
    assert created.event_type == "contact.associationChange"
    assert created.active is True  # assocd starts subscriptions active unless told otherwise
    assert isinstance(created.id, str) and created.id.isdigit()
    assert isinstance(created.created_at, datetime)

    generic = subs.create(
        app_id,
        SubscriptionCreateRequest(event_type="object.associationChange", object_type_id="0-3", active=False),
    )
    assert generic.active is False and generic.object_type_id == "0-3"

    listed = subs.get_all(app_id)
    assert isinstance(listed, SubscriptionListResponse)
    assert [s.id for s in listed.results] == [created.id, generic.id]

    one = subs.get_by_id(int(created.id), app_id)
    assert one.to_dict() == created.to_dict()

    paused = subs.update(int(created.id), app_id, SubscriptionPatchRequest(active=False))
    assert paused.active is False and paused.id == created.id

    _, status, _ = subs.archive_with_http_info(int(created.id), app_id)
    assert status == 204
    with pytest.raises(NotFoundException):
        subs.get_by_id(int(created.id), app_id)
    assert [s.id for s in subs.get_all(app_id).results] == [generic.id]


def test_batch_update(hooks, app):
    app_id = app[0]
    subs = hooks.webhooks.subscriptions_api
    ids = [
        int(subs.create(app_id, SubscriptionCreateRequest(event_type=t, active=False)).id)
        for t in ("deal.associationChange", "ticket.associationChange")
    ]
    resp = subs.update_batch(
        app_id,
        BatchInputSubscriptionBatchUpdateRequest(inputs=[SubscriptionBatchUpdateRequest(id=i, active=True) for i in ids]),
    )
    assert isinstance(resp, BatchResponseSubscriptionResponse)
    assert resp.status == "COMPLETE"
    assert sorted(int(s.id) for s in resp.results) == ids
    assert all(s.active for s in resp.results)

    partial = subs.update_batch(
        app_id,
        BatchInputSubscriptionBatchUpdateRequest(
            inputs=[SubscriptionBatchUpdateRequest(id=ids[0], active=False), SubscriptionBatchUpdateRequest(id=987654321, active=True)]
        ),
    )
    assert isinstance(partial, BatchResponseSubscriptionResponseWithErrors)
    assert partial.num_errors == 1
    assert partial.errors[0].category == "SUBSCRIPTION_ID_NOT_FOUND"
    assert partial.errors[0].context == {"subscriptionIds": ["987654321"]}
    assert [s.active for s in partial.results] == [False]


def test_a_key_of_another_app_is_refused(server, hooks, app):
    other_key = "conformance-dev-" + secrets.token_hex(12)
    status, body = server.admin("POST", "/_assocd/apps", {"developerApiKey": other_key})
    assert status == 201, body
    with pytest.raises(UnauthorizedException) as e:
        HubSpot(api_key=other_key, host=server.base_url).webhooks.settings_api.get_all(app[0])
    assert error_body(e.value)["category"] == "INVALID_AUTHENTICATION"


def test_invalid_event_type_is_a_400(hooks, app):
    subs = hooks.webhooks.subscriptions_api
    # The client validates eventType itself; a raw call shows the server's answer.
    with pytest.raises(ApiException) as e:
        subs.api_client.call_api(
            f"/webhooks/v3/{app[0]}/subscriptions", "POST",
            body={"eventType": "contact.nothing"},
            query_params=[], header_params={"Content-Type": "application/json"},
            auth_settings=["developer_hapikey"], _return_http_data_only=True,
        )
    assert e.value.status == 400
    assert error_body(e.value)["category"] == "VALIDATION_ERROR"
