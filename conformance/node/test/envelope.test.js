'use strict';
// HubSpot's operating envelope with HubSpot's own client: `numberOfApiCallRetries` makes the
// client wait out a TEN_SECONDLY_ROLLING 429 (10 s x attempt) and retry 5xx (200 ms x attempt)
// by itself. The server of this file runs with `--rate-limits hubspot`.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Client } = require('@hubspot/api-client');
const { startServer } = require('../lib/assocd');

let server;
before(async () => {
  server = await startServer(['--rate-limits', 'hubspot'], { journal: false });
});
after(async () => { if (server) await server.stop(); });

async function admin(method, path, body) {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${server.adminToken}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

function labelsApi(token, retries) {
  return new Client({ accessToken: token, basePath: server.baseUrl, numberOfApiCallRetries: retries })
    .crm.associations.v4.schema.definitionsApi;
}

test('numberOfApiCallRetries waits out the ten-secondly limit', { timeout: 60_000 }, async () => {
  const { portal, token } = server.newPortal();
  const set = await admin('PUT', `/_assocd/portals/${portal}/rate-limits`,
    { tier: 'custom', tenSecondly: 3, daily: 1000 });
  assert.equal(set.status, 200);
  const api = labelsApi(token, 3);
  const started = Date.now();
  for (let i = 0; i < 5; i += 1) {
    const res = await api.getAll('contacts', 'companies');
    assert.ok(res.results.length > 0);
  }
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 10_000, `the loop crossed the limit without waiting (${elapsed} ms)`);
  const journal = await admin('GET', `/_assocd/requests?portalId=${portal}&status=429`);
  assert.ok(journal.body.results.length > 0, 'the server refused a call with 429');
  for (const e of journal.body.results) assert.equal(e.responseBody.policyName, 'TEN_SECONDLY_ROLLING');
});

test('numberOfApiCallRetries gets through a 503 fault that fires twice', async () => {
  const { portal, token } = server.newPortal();
  const fault = await admin('POST', '/_assocd/faults', {
    match: { operation: 'S1', portalId: portal }, action: { status: 503 }, times: 2,
  });
  assert.equal(fault.status, 201);
  const res = await labelsApi(token, 3).getAll('contacts', 'companies');
  assert.ok(res.results.length > 0);
  const live = await admin('GET', '/_assocd/faults');
  assert.ok(live.body.results.every((f) => f.id !== fault.body.id), 'the fault fired twice and went');
  const journal = await admin('GET', `/_assocd/requests?portalId=${portal}&status=503`);
  assert.equal(journal.body.results.length, 2);
});
