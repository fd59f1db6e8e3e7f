'use strict';
// OAuth with HubSpot's Node client: `client.oauth.getAuthorizationUrl` (its fixed
// https://app.hubspot.com origin swapped for the server's), the authorize redirect followed
// with plain fetch, `client.oauth.tokensApi.create` for both grants, the Associations API with
// the token, a refresh after expiry, and refusals with their exact bodies. The server of this
// file runs with `--oauth-token-ttl 2s`.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Client } = require('@hubspot/api-client');
const { startServer, randomPortal, rememberToken } = require('../lib/assocd');

const REDIRECT = 'http://localhost:3000/oauth-callback';
const READ = 'crm.objects.contacts.read';
const HUBSPOT_ORIGIN = 'https://app.hubspot.com';

let server;
before(async () => { server = await startServer(['--oauth-token-ttl', '2s']); });
after(async () => { if (server) await server.stop(); });

async function newApp() {
  const clientId = `conformance-client-${crypto.randomBytes(8).toString('hex')}`;
  const secret = `conformance-secret-${crypto.randomBytes(8).toString('hex')}`;
  rememberToken(secret);
  const portal = randomPortal();
  const res = await fetch(`${server.baseUrl}/_assocd/apps`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.adminToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ clientId, clientSecret: secret, redirectUris: [REDIRECT], scopes: ['oauth', READ], portals: [portal] }),
  });
  assert.equal(res.status, 201, await res.text());
  return { clientId, secret, portal };
}

async function authorize(url) {
  assert.ok(url.startsWith(`${HUBSPOT_ORIGIN}/oauth/authorize?`), url);
  return fetch(server.baseUrl + url.slice(HUBSPOT_ORIGIN.length), { redirect: 'manual' });
}

async function refusal(promise, status, message, error) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.code, 400);
    assert.equal(e.body.status, status);
    assert.equal(e.body.message, message);
    assert.equal(e.body.error, error);
    assert.equal(e.body.error_description, message);
    assert.ok(e.body.correlationId);
    return true;
  });
}

test('install, exchange, call, refresh after expiry', { timeout: 30_000 }, async () => {
  const { clientId, secret, portal } = await newApp();
  const hubspot = new Client({ basePath: server.baseUrl });
  const url = hubspot.oauth.getAuthorizationUrl(clientId, REDIRECT, `oauth ${READ}`, undefined, 'st/1');
  const res = await authorize(url);
  assert.equal(res.status, 302);
  const location = new URL(res.headers.get('location'));
  assert.equal(location.searchParams.get('state'), 'st/1');
  const code = location.searchParams.get('code');

  const tokens = await hubspot.oauth.tokensApi.create('authorization_code', code, REDIRECT, clientId, secret);
  rememberToken(tokens.accessToken);
  rememberToken(tokens.refreshToken);
  assert.equal(tokens.tokenType, 'bearer');
  assert.equal(tokens.expiresIn, 2);
  const labels = new Client({ accessToken: tokens.accessToken, basePath: server.baseUrl })
    .crm.associations.v4.schema.definitionsApi;
  assert.ok((await labels.getAll('contacts', 'companies')).results.length > 0);
  const info = await hubspot.oauth.accessTokensApi.get(tokens.accessToken);
  assert.equal(info.hubId, portal);

  await new Promise((r) => setTimeout(r, 2300));
  await assert.rejects(labels.getAll('contacts', 'companies'), (e) => {
    assert.equal(e.code, 401);
    assert.equal(e.body.category, 'EXPIRED_AUTHENTICATION');
    assert.match(e.body.message, /^The OAuth token used to make this call expired \d+ second\(s\) ago\.$/);
    return true;
  });
  const fresh = await hubspot.oauth.tokensApi.create('refresh_token', undefined, undefined, clientId, secret, tokens.refreshToken);
  rememberToken(fresh.accessToken);
  assert.equal(fresh.refreshToken, tokens.refreshToken);
  const again = new Client({ accessToken: fresh.accessToken, basePath: server.baseUrl })
    .crm.associations.v4.schema.definitionsApi;
  assert.ok((await again.getAll('contacts', 'companies')).results.length > 0);
});

test('refusals carry HubSpot status names', async () => {
  const { clientId, secret } = await newApp();
  const hubspot = new Client({ basePath: server.baseUrl });
  const tokensApi = hubspot.oauth.tokensApi;
  await refusal(tokensApi.create('authorization_code', 'na1-unknown', REDIRECT, clientId, secret),
    'BAD_AUTH_CODE', 'missing or unknown auth code', 'invalid_grant');
  await refusal(tokensApi.create('refresh_token', undefined, undefined, 'nope', secret, 'x'),
    'BAD_CLIENT_ID', 'missing or unknown client id', 'invalid_request');
  await refusal(tokensApi.create('refresh_token', undefined, undefined, clientId, secret, 'na1-unknown'),
    'BAD_REFRESH_TOKEN', 'refresh token is invalid, expired or revoked', 'invalid_grant');
  const res = await authorize(hubspot.oauth.getAuthorizationUrl(clientId, 'http://evil.example/cb', READ));
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('location'), null);
  assert.equal((await res.json()).status, 'BAD_REDIRECT_URI');
});
