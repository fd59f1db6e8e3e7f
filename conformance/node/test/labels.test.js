'use strict';
// Association labels (S1-S4) through the package's own client object:
// new Client({ accessToken, basePath }).crm.associations.v4.schema.definitionsApi

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Client } = require('@hubspot/api-client');
const { startServer, unique } = require('../lib/assocd');

let server;
before(async () => { server = await startServer(); });
after(async () => { if (server) await server.stop(); });

function labelsApi(token) {
  return new Client({ accessToken: token, basePath: server.baseUrl }).crm.associations.v4.schema.definitionsApi;
}

async function list(api, from, to) {
  const res = await api.getAllWithHttpInfo(from, to);
  assert.equal(res.httpStatusCode, 200);
  const byId = new Map();
  for (const r of res.data.results) {
    assert.ok(!byId.has(r.typeId), `typeId ${r.typeId} listed twice`);
    byId.set(r.typeId, r);
  }
  return byId;
}

test('built-in contact -> company types', async () => {
  const api = labelsApi(server.newPortal().token);
  const got = await list(api, 'contacts', 'companies');
  assert.equal(got.get(279).label, null);
  assert.equal(got.get(279).category, 'HUBSPOT_DEFINED');
  assert.equal(got.get(1).label, 'Primary');
  assert.equal(got.get(1).category, 'HUBSPOT_DEFINED');
});

test('create, list, update, remove a paired label', async () => {
  const api = labelsApi(server.newPortal().token);
  const label = unique('Manager');
  const inverse = unique('Employee');
  const created = await api.createWithHttpInfo('contacts', 'companies', { name: unique('cfx'), label, inverseLabel: inverse });
  assert.equal(created.httpStatusCode, 200);
  assert.equal(created.data.results.length, 2);
  assert.deepEqual(created.data.results.map((r) => r.category), ['USER_DEFINED', 'USER_DEFINED']);
  assert.deepEqual(created.data.results.map((r) => r.label).sort(), [inverse, label].sort());
  const fwd = created.data.results.find((r) => r.label === label).typeId;
  const inv = created.data.results.find((r) => r.label === inverse).typeId;
  assert.notEqual(fwd, inv);

  let forward = await list(api, 'contacts', 'companies');
  let backward = await list(api, 'companies', 'contacts');
  assert.equal(forward.get(fwd)?.label, label);
  assert.equal(backward.get(inv)?.label, inverse);
  assert.ok(!forward.has(inv) && !backward.has(fwd));

  const newLabel = unique('Boss');
  const newInverse = unique('Report');
  const updated = await api.updateWithHttpInfo('contacts', 'companies', { associationTypeId: fwd, label: newLabel, inverseLabel: newInverse });
  assert.equal(updated.httpStatusCode, 204);
  forward = await list(api, 'contacts', 'companies');
  backward = await list(api, 'companies', 'contacts');
  assert.equal(forward.get(fwd).label, newLabel);
  assert.equal(backward.get(inv).label, newInverse);

  const removed = await api.removeWithHttpInfo('contacts', 'companies', fwd);
  assert.equal(removed.httpStatusCode, 204);
  forward = await list(api, 'contacts', 'companies');
  backward = await list(api, 'companies', 'contacts');
  assert.ok(!forward.has(fwd) && !backward.has(inv));
  assert.equal(forward.get(1).label, 'Primary');

  await assert.rejects(api.remove('contacts', 'companies', fwd), (e) => {
    assert.equal(e.code, 404);
    assert.equal(e.body.category, 'OBJECT_NOT_FOUND');
    return true;
  });
});

test('duplicate name is refused with a HubSpot error body', async () => {
  const api = labelsApi(server.newPortal().token);
  const name = unique('dup');
  await api.create('contacts', 'companies', { name, label: 'A', inverseLabel: 'B' });
  await assert.rejects(api.create('contacts', 'companies', { name, label: 'C', inverseLabel: 'D' }), (e) => {
    assert.ok(e.code >= 400 && e.code < 500, String(e.code));
    assert.ok(e.body.category);
    assert.ok(e.body.correlationId);
    assert.ok(e.body.message);
    return true;
  });
});

test('errors: unknown object type, bad token', async () => {
  const api = labelsApi(server.newPortal().token);
  await assert.rejects(api.getAll('dea', 'companies'), (e) => {
    assert.equal(e.code, 400);
    assert.equal(e.body.message, 'Unable to infer object type from: dea');
    return true;
  });
  await assert.rejects(labelsApi('not-a-valid-token').getAll('contacts', 'companies'), (e) => {
    assert.equal(e.code, 401);
    assert.equal(e.body.category, 'INVALID_AUTHENTICATION');
    return true;
  });
});

test('a second portal does not see the first portal\'s labels', async () => {
  const a = labelsApi(server.newPortal().token);
  const b = labelsApi(server.newPortal().token);
  const label = unique('Only');
  await a.create('contacts', 'companies', { name: unique('only'), label });
  const mine = [...(await list(a, 'contacts', 'companies')).values()].filter((r) => r.category === 'USER_DEFINED');
  assert.deepEqual(mine.map((r) => r.label), [label]);
  const theirs = [...(await list(b, 'contacts', 'companies')).values()].filter((r) => r.category === 'USER_DEFINED');
  assert.deepEqual(theirs, []);
  await assert.rejects(b.remove('contacts', 'companies', mine[0].typeId), (e) => e.code === 404);
  assert.equal((await list(a, 'contacts', 'companies')).get(mine[0].typeId).label, label);
});
