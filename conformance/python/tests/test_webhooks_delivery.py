"""Webhook deliveries checked by HubSpot's own validator (`hubspot.utils.signature.Signature`):
an integration's receiver accepts what assocd sends, v3 and v1 alike."""

from __future__ import annotations

import json
import queue
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hubspot.crm.associations.v4 import BatchInputPublicDefaultAssociationMultiPost, PublicDefaultAssociationMultiPost
from hubspot.utils.signature import Signature

from helpers import random_portal


@pytest.fixture
def receiver():
    """An HTTP receiver on a free port; yields (url, queue of (headers, raw body))."""
    got: queue.Queue = queue.Queue()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.put((dict(self.headers.items()), body, f"http://{self.headers['Host']}{self.path}"))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", got
    finally:
        server.shutdown()


def test_hubspots_validator_accepts_assocds_signatures(server, receiver):
    url, got = receiver
    portal = random_portal()
    token = server.create_token(portal)
    secret = "conformance-secret-" + secrets.token_hex(8)
    status, body = server.admin("POST", "/_assocd/fixtures", {"apps": [{
        "appId": 900_000 + secrets.randbelow(1_000_000), "clientSecret": secret,
        "developerApiKey": "conformance-dev-" + secrets.token_hex(12), "portals": [portal],
        "webhooks": {"targetUrl": url, "subscriptions": [{"eventType": "contact.associationChange"}]}}]})
    assert status == 200, body

    client = server.client(token)
    client.crm.associations.v4.batch_api.create_default(
        "contacts", "companies",
        BatchInputPublicDefaultAssociationMultiPost(inputs=[
            PublicDefaultAssociationMultiPost(_from={"id": "11"}, to={"id": "22"})]),
    )
    headers, raw, seen_url = got.get(timeout=30)
    headers = {k.lower(): v for k, v in headers.items()}
    text = raw.decode("utf-8")

    assert Signature.is_valid(
        signature=headers["x-hubspot-signature-v3"], client_secret=secret, request_body=text,
        http_uri=seen_url, http_method="POST", signature_version="v3",
        timestamp=headers["x-hubspot-request-timestamp"],
    )
    assert headers["x-hubspot-signature-version"] == "v1"
    assert Signature.is_valid(
        signature=headers["x-hubspot-signature"], client_secret=secret, request_body=text,
        signature_version="v1",
    )
    assert not Signature.is_valid(
        signature=headers["x-hubspot-signature"], client_secret="another-secret", request_body=text,
        signature_version="v1",
    )

    events = json.loads(text)
    assert [(e["subscriptionType"], e["fromObjectId"], e["toObjectId"]) for e in events] == [
        ("contact.associationChange", 11, 22)]
    assert events[0]["portalId"] == portal and events[0]["attemptNumber"] == 0
