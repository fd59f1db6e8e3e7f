"""Valid requests for the OAuth operations of assocd's own /openapi.json (hooks.py uses them for
about half of the cases, like recipes.py): the run's app (run.py's fixture) holds a client id,
secret and redirect URI; tokens come from the real authorize and token endpoints."""

from __future__ import annotations

import json
import os
import random
import urllib.error
import urllib.parse
import urllib.request

CLIENT_ID, CLIENT_SECRET = "schemathesis-client", "schemathesis-secret"
REDIRECT, SCOPE = "http://127.0.0.1:9/oauth-callback", "oauth crm.objects.contacts.read"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def authorize_query(portal: int) -> dict:
    return {"client_id": CLIENT_ID, "redirect_uri": REDIRECT, "scope": SCOPE, "portalId": str(portal)}


def tokens(base: str, portal: int) -> dict:
    """A fresh access and refresh token of the run's app in `portal`, through the real flow."""
    url = f"{base}/oauth/authorize?{urllib.parse.urlencode(authorize_query(portal))}"
    try:
        urllib.request.build_opener(_NoRedirect).open(url, timeout=30)
        raise RuntimeError("authorize did not redirect")
    except urllib.error.HTTPError as e:
        if e.code != 302:
            raise
        location = e.headers["Location"]
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["code"][0]
    form = urllib.parse.urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                                   "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{base}/oauth/v1/token", data=form), timeout=30) as r:
        body = json.loads(r.read())
    return {"accessToken": body["access_token"], "refreshToken": body["refresh_token"]}


def request(method: str, path: str, rng: random.Random, fixture: dict):
    """(path parameters, query, form body) of a valid request, or None."""
    oauth = fixture["oauth"]
    client = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    if path == "/oauth/authorize":
        return {}, authorize_query(oauth["portal"]), None
    if path.endswith("/token"):
        grant = {"grant_type": "refresh_token", "refresh_token": oauth["refreshToken"]}
        return {}, None, {**grant, **client}
    if path.endswith("/token/introspect"):
        return {}, None, {**client, "token": rng.choice([oauth["accessToken"], oauth["refreshToken"]])}
    if path.endswith("/token/revoke"):
        # A token of its own: the fixture's tokens must stay valid for the other cases.
        fresh = tokens(os.environ["ASSOCD_BASE"], oauth["portal"])
        return {}, None, {**client, "token": fresh["refreshToken"]}
    if path == "/oauth/v1/access-tokens/{token}":
        return {"token": oauth["accessToken"]}, None, None
    if path == "/oauth/v1/refresh-tokens/{token}":
        if method == "DELETE":
            return {"token": tokens(os.environ["ASSOCD_BASE"], oauth["portal"])["refreshToken"]}, None, None
        return {"token": oauth["refreshToken"]}, None, None
    return None
