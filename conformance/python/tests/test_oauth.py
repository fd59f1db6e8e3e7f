"""OAuth with HubSpot's Python client: `hubspot.utils.oauth.get_auth_url` (its fixed
https://app.hubspot.com origin swapped for the server's), the authorize redirect followed with
a plain HTTP client, `client.oauth.tokens_api.create` for both grants, `access_tokens_api.get`,
`refresh_tokens_api.get` and `archive`, the Associations API with the token, a refresh after
expiry, and each refusal with its exact body. The server of this file runs with
`--oauth-token-ttl 2s`."""

from __future__ import annotations

import json
import re
import secrets
import time
import urllib.parse

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.associations.v4.schema.exceptions import UnauthorizedException
from hubspot.oauth.exceptions import ApiException
from hubspot.utils.oauth import get_auth_url

from conftest import make_client, remember_token, start_server
from helpers import random_portal

REDIRECT = "http://localhost:3000/oauth-callback"
READ = "crm.objects.contacts.read"
HUBSPOT_ORIGIN = "https://app.hubspot.com"


@pytest.fixture(scope="module")
def oauth_server(tmp_path_factory):
    yield from start_server(tmp_path_factory.mktemp("assocd-oauth"), ["--oauth-token-ttl", "2s"],
                            journal_name="python-oauth.json")


@pytest.fixture
def app(oauth_server):
    """A fresh app installed in a fresh portal: (client id, client secret, portal)."""
    portal = random_portal()
    client_id = "conformance-client-" + secrets.token_hex(8)
    secret = "conformance-secret-" + secrets.token_hex(8)
    remember_token(secret)
    status, body = oauth_server.admin("POST", "/_assocd/apps", {
        "clientId": client_id, "clientSecret": secret, "redirectUris": [REDIRECT],
        "scopes": ["oauth", READ], "portals": [portal]})
    assert status == 201, body
    return client_id, secret, portal


def follow_authorize(server, url: str) -> requests.Response:
    """Sends the browser's GET of the authorize URL to the server, without following."""
    assert url.startswith(HUBSPOT_ORIGIN + "/oauth/authorize?"), url
    return requests.get(server.base_url + url[len(HUBSPOT_ORIGIN):], allow_redirects=False, timeout=30)


def oauth_body(exc) -> dict:
    return json.loads(exc.body)


def assert_refusal(exc, status: str, message: str, error: str) -> None:
    assert exc.status == 400
    body = oauth_body(exc)
    assert body["status"] == status, body
    assert body["message"] == message, body
    assert body["error"] == error, body
    assert body["error_description"] == message, body
    assert isinstance(body["correlationId"], str) and body["correlationId"], body


def code_from(server, client_id: str, state: str = "s-1") -> str:
    url = get_auth_url(client_id, REDIRECT, scope=("oauth", READ), state=state)
    r = follow_authorize(server, url)
    assert r.status_code == 302, r.text
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["location"]).query)
    assert query["state"] == [state]
    return query["code"][0]


def test_install_exchange_call_refresh_after_expiry_and_archive(oauth_server, app):
    client_id, secret, portal = app
    code = code_from(oauth_server, client_id, state="state with spaces/and:colons")
    oauth = HubSpot(host=oauth_server.base_url).oauth
    tokens = oauth.tokens_api.create(grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                                     client_id=client_id, client_secret=secret)
    remember_token(tokens.access_token)
    remember_token(tokens.refresh_token)
    assert tokens.token_type == "bearer"
    assert tokens.expires_in == 2
    labels = make_client(oauth_server.base_url, tokens.access_token).crm.associations.v4.schema.definitions_api
    assert labels.get_all("contacts", "companies").results

    info = oauth.access_tokens_api.get(tokens.access_token)
    assert (info.hub_id, info.token_type, info.scopes) == (portal, "access", ["oauth", READ])
    assert info.token == tokens.access_token and info.expires_in <= 2
    refresh_info = oauth.refresh_tokens_api.get(tokens.refresh_token)
    assert (refresh_info.client_id, refresh_info.hub_id, refresh_info.token_type) == (client_id, portal, "refresh")

    time.sleep(2.3)
    with pytest.raises(UnauthorizedException) as e:
        labels.get_all("contacts", "companies")
    body = json.loads(e.value.body)
    assert body["category"] == "EXPIRED_AUTHENTICATION", body
    assert re.fullmatch(r"The OAuth token used to make this call expired \d+ second\(s\) ago\.", body["message"]), body
    assert list(body["context"]) == ["expire time"], body

    fresh = oauth.tokens_api.create(grant_type="refresh_token", refresh_token=tokens.refresh_token,
                                    client_id=client_id, client_secret=secret)
    remember_token(fresh.access_token)
    assert fresh.refresh_token == tokens.refresh_token
    again = make_client(oauth_server.base_url, fresh.access_token).crm.associations.v4.schema.definitions_api
    assert again.get_all("contacts", "companies").results

    assert oauth.refresh_tokens_api.archive(tokens.refresh_token) is None
    with pytest.raises(ApiException) as e:
        oauth.tokens_api.create(grant_type="refresh_token", refresh_token=tokens.refresh_token,
                                client_id=client_id, client_secret=secret)
    assert_refusal(e.value, "BAD_REFRESH_TOKEN", "refresh token is invalid, expired or revoked", "invalid_grant")


def test_each_refusal_has_its_exact_body(oauth_server, app):
    client_id, secret, _ = app
    oauth = HubSpot(host=oauth_server.base_url).oauth
    code = code_from(oauth_server, client_id)
    create = oauth.tokens_api.create
    with pytest.raises(ApiException) as e:
        create(grant_type="authorization_code", code=code, redirect_uri=REDIRECT, client_id="nope", client_secret=secret)
    assert_refusal(e.value, "BAD_CLIENT_ID", "missing or unknown client id", "invalid_request")
    with pytest.raises(ApiException) as e:
        create(grant_type="authorization_code", code=code, redirect_uri=REDIRECT, client_id=client_id, client_secret="x")
    assert_refusal(e.value, "BAD_CLIENT_SECRET", "missing or invalid client secret", "invalid_client")
    with pytest.raises(ApiException) as e:
        create(grant_type="password", client_id=client_id, client_secret=secret)
    assert_refusal(e.value, "BAD_GRANT_TYPE", "missing or unsupported grant type", "unsupported_grant_type")
    with pytest.raises(ApiException) as e:
        create(grant_type="authorization_code", code=code, redirect_uri=REDIRECT + "/other",
               client_id=client_id, client_secret=secret)
    assert_refusal(e.value, "MISMATCH_REDIRECT_URI_AUTH_CODE", "redirect uri mismatch", "invalid_grant")
    tokens = create(grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                    client_id=client_id, client_secret=secret)
    remember_token(tokens.access_token)
    remember_token(tokens.refresh_token)
    with pytest.raises(ApiException) as e:
        create(grant_type="authorization_code", code=code, redirect_uri=REDIRECT, client_id=client_id, client_secret=secret)
    assert_refusal(e.value, "BAD_AUTH_CODE", "missing or unknown auth code", "invalid_grant")

    # Authorize refuses without redirecting.
    r = follow_authorize(oauth_server, get_auth_url(client_id, "http://evil.example/cb", scope=(READ,)))
    assert r.status_code == 400 and "location" not in r.headers
    assert r.json()["status"] == "BAD_REDIRECT_URI"
    r = follow_authorize(oauth_server, get_auth_url("nope", REDIRECT, scope=(READ,)))
    assert r.status_code == 400 and r.json()["status"] == "BAD_CLIENT_ID"
