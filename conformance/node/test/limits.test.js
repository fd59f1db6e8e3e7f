'use strict';
// Association limits (C1-C5) through the generated DefinitionConfigurationsApi of
// @hubspot/api-client (the Client object does not expose it). The generated
// response processors accept only the status codes HubSpot declares
// (201/207 create, 200/207 update, 204 purge, 200 reads) and throw
// ApiException("An error occurred.") on anything else, 2xx included.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const schema = require('@hubspot/api-client/lib/codegen/crm/associations/v4/schema');
const { Client } = require('@hubspot/api-client');
const { startServer, unique } = require('../lib/assocd');

const HS = 'HUBSPOT_DEFINED';
const US = 'USER_DEFINED';
const DEAL_TO_CONTACT = 3;
const CONTACT_TO_COMPANY_PRIMARY = 1; // exists, but not for deals -> contacts

let server;
before(async () => { server = await startServer(); });
after(async () => { if (server) await server.stop(); });

function limitsApi(token) {
  const configuration = schema.createConfiguration({
    baseServer: new schema.ServerConfiguration(server.baseUrl, {}),
    // Same auth method the package's own Client installs for an access token
    // (ApiClientConfigurator.getAuthMethods -> { oauth2: { accessToken } }).
    authMethods: { oauth2: { accessToken: token } },
  });
  return new schema.DefinitionConfigurationsApi(configuration);
}

function freshApi() {
  const { token } = server.newPortal();
  return { api: limitsApi(token), token };
}

const createBody = (inputs) => ({ inputs: inputs.map(([category, typeId, maxToObjectIds]) => ({ category, typeId, maxToObjectIds })) });
const purgeBody = (inputs) => ({ inputs: inputs.map(([category, typeId]) => ({ category, typeId })) });

function tuples(results) {
  return results
    .map((r) => [r.category, r.typeId, r.label ?? null, r.userEnforcedMaxToObjectIds ?? null])
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
}

async function all(api) { return tuples((await api.getAll()).results); }
async function pair(api, from = 'deals', to = 'contacts') {
  return tuples((await api.getAllBetweenTwoObjectTypes(from, to)).results);
}

function assertTimes(body) {
  assert.ok(body.startedAt instanceof Date && !Number.isNaN(body.startedAt.getTime()), 'startedAt');
  assert.ok(body.completedAt instanceof Date && !Number.isNaN(body.completedAt.getTime()), 'completedAt');
  assert.ok(body.startedAt <= body.completedAt, 'startedAt <= completedAt');
}

function assertErrors(body, n) {
  assert.equal(body.numErrors, n);
  assert.equal(body.errors.length, n);
  for (const e of body.errors) {
    assert.ok(e.category && e.message && e.status, JSON.stringify(e));
  }
}

test('create, read, update, purge a limit (all five operations)', async () => {
  const { api } = freshApi();
  assert.deepEqual(await all(api), []);

  const created = await api.batchCreateWithHttpInfo('deals', 'contacts', createBody([[HS, DEAL_TO_CONTACT, 5]]));
  assert.equal(created.httpStatusCode, 201);
  assert.equal(created.data.status, 'COMPLETE');
  assert.deepEqual(tuples(created.data.results), [[HS, 3, null, 5]]);
  assert.equal(created.data.results[0].label, null);
  assertTimes(created.data);

  assert.deepEqual(await all(api), [[HS, 3, null, 5]]);
  assert.deepEqual(await pair(api), [[HS, 3, null, 5]]);
  assert.deepEqual(await pair(api, '0-3', '0-1'), [[HS, 3, null, 5]]);
  assert.deepEqual(await pair(api, 'contacts', 'deals'), []);

  const updated = await api.batchUpdateWithHttpInfo('deals', 'contacts', createBody([[HS, DEAL_TO_CONTACT, 7]]));
  assert.equal(updated.httpStatusCode, 200);
  assert.equal(updated.data.status, 'COMPLETE');
  assert.deepEqual(updated.data.results.map((r) => [r.category, r.typeId, r.userEnforcedMaxToObjectIds]), [[HS, 3, 7]]);
  assertTimes(updated.data);
  assert.deepEqual(await all(api), [[HS, 3, null, 7]]);
  assert.deepEqual(await pair(api), [[HS, 3, null, 7]]);

  const purged = await api.batchRemoveWithHttpInfo('deals', 'contacts', purgeBody([[HS, DEAL_TO_CONTACT]]));
  assert.equal(purged.httpStatusCode, 204);
  assert.equal(purged.data, undefined);
  assert.deepEqual(await all(api), []);
  assert.deepEqual(await pair(api), []);
});

test('batchRemove resolves to undefined, also when no limit exists', async () => {
  const { api } = freshApi();
  assert.equal(await api.batchRemove('deals', 'contacts', purgeBody([[HS, DEAL_TO_CONTACT]])), undefined);
  await api.batchCreate('deals', 'contacts', createBody([[HS, DEAL_TO_CONTACT, 5]]));
  assert.equal(await api.batchRemove('deals', 'contacts', purgeBody([[HS, DEAL_TO_CONTACT]])), undefined);
  assert.equal(await api.batchRemove('deals', 'contacts', purgeBody([[HS, DEAL_TO_CONTACT]])), undefined);
  assert.deepEqual(await all(api), []);
});

test('batchUpdate creates a missing limit', async () => {
  const { api } = freshApi();
  const res = await api.batchUpdate('deals', 'contacts', createBody([[HS, DEAL_TO_CONTACT, 4]]));
  assert.equal(res.status, 'COMPLETE');
  assert.deepEqual(res.results.map((r) => [r.typeId, r.userEnforcedMaxToObjectIds]), [[3, 4]]);
  assert.deepEqual(await all(api), [[HS, 3, null, 4]]);
});

test('batchCreate with a type not defined for the pair: 207 CANCELED with errors', async () => {
  const { api } = freshApi();
  const res = await api.batchCreateWithHttpInfo('deals', 'contacts', createBody([[HS, CONTACT_TO_COMPANY_PRIMARY, 5]]));
  assert.equal(res.httpStatusCode, 207);
  assert.ok(res.data instanceof schema.BatchResponsePublicAssociationDefinitionUserConfigurationWithErrors);
  assert.equal(res.data.status, 'CANCELED');
  assert.deepEqual(res.data.results, []);
  assertErrors(res.data, 1);
  assertTimes(res.data);
  assert.deepEqual(await all(api), []);
});

test('batchUpdate with an unknown USER_DEFINED type: 207 CANCELED with errors', async () => {
  const { api } = freshApi();
  const res = await api.batchUpdateWithHttpInfo('deals', 'contacts', createBody([[US, 999999, 5]]));
  assert.equal(res.httpStatusCode, 207);
  assert.ok(res.data instanceof schema.BatchResponsePublicAssociationDefinitionConfigurationUpdateResultWithErrors);
  assert.equal(res.data.status, 'CANCELED');
  assert.deepEqual(res.data.results, []);
  assertErrors(res.data, 1);
  assert.deepEqual(await all(api), []);
});

test('label limits: label must not exceed the object limit; partial success', async () => {
  const { api, token } = freshApi();
  const client = new Client({ accessToken: token, basePath: server.baseUrl });
  const text = unique('Decider');
  const created = await client.crm.associations.v4.schema.definitionsApi.create('deals', 'contacts', {
    name: unique('decider'), label: text, inverseLabel: unique('Decided'),
  });
  const labelType = created.results.find((r) => r.label === text).typeId;

  await api.batchCreate('deals', 'contacts', createBody([[HS, DEAL_TO_CONTACT, 5]]));
  const tooHigh = await api.batchCreateWithHttpInfo('deals', 'contacts', createBody([[US, labelType, 10]]));
  assert.equal(tooHigh.httpStatusCode, 207);
  assert.equal(tooHigh.data.status, 'CANCELED');
  assertErrors(tooHigh.data, 1);
  assert.match(tooHigh.data.errors[0].message, /5/, 'the message states the valid range');

  // One valid and one invalid input: the valid one is applied, 207 COMPLETE.
  const mixed = await api.batchCreateWithHttpInfo('deals', 'contacts',
    createBody([[US, labelType, 2], [HS, CONTACT_TO_COMPANY_PRIMARY, 2]]));
  assert.equal(mixed.httpStatusCode, 207);
  assert.equal(mixed.data.status, 'COMPLETE');
  assert.deepEqual(tuples(mixed.data.results), [[US, labelType, text, 2]]);
  assertErrors(mixed.data, 1);

  const lower = await api.batchUpdateWithHttpInfo('deals', 'contacts', createBody([[HS, DEAL_TO_CONTACT, 1]]));
  assert.equal(lower.httpStatusCode, 207);
  assert.equal(lower.data.status, 'CANCELED');
  assertErrors(lower.data, 1);

  const expected = [[HS, 3, null, 5], [US, labelType, text, 2]].sort((a, b) => a[1] - b[1]);
  assert.deepEqual(await all(api), expected);
  assert.deepEqual(await pair(api), expected);

  // Deleting the label removes its limit.
  await client.crm.associations.v4.schema.definitionsApi.remove('deals', 'contacts', labelType);
  assert.deepEqual(await all(api), [[HS, 3, null, 5]]);
});

test('batchRemove with an invalid type is 400 VALIDATION_ERROR and purges nothing', async () => {
  const { api } = freshApi();
  await api.batchCreate('deals', 'contacts', createBody([[HS, DEAL_TO_CONTACT, 5]]));
  await assert.rejects(
    api.batchRemove('deals', 'contacts', purgeBody([[HS, DEAL_TO_CONTACT], [HS, CONTACT_TO_COMPANY_PRIMARY]])),
    (e) => {
      assert.ok(e instanceof schema.ApiException, String(e));
      assert.equal(e.code, 400);
      assert.equal(e.body.category, 'VALIDATION_ERROR');
      assert.ok(e.body.correlationId);
      return true;
    },
  );
  assert.deepEqual(await all(api), [[HS, 3, null, 5]]);
});

test('errors: unknown object type 400, bad token 401', async () => {
  const { api } = freshApi();
  await assert.rejects(api.getAllBetweenTwoObjectTypes('dea', 'contacts'), (e) => {
    assert.equal(e.code, 400);
    assert.equal(e.body.message, 'Unable to infer object type from: dea');
    return true;
  });
  await assert.rejects(limitsApi('not-a-valid-token').getAll(), (e) => {
    assert.equal(e.code, 401);
    assert.equal(e.body.category, 'INVALID_AUTHENTICATION');
    return true;
  });
});

test('limits are isolated between portals', async () => {
  const a = freshApi().api;
  const b = freshApi().api;
  await a.batchCreate('deals', 'contacts', createBody([[HS, DEAL_TO_CONTACT, 5]]));
  assert.deepEqual(await all(b), []);
  assert.equal(await b.batchRemove('deals', 'contacts', purgeBody([[HS, DEAL_TO_CONTACT]])), undefined);
  await b.batchUpdate('deals', 'contacts', createBody([[HS, DEAL_TO_CONTACT, 9]]));
  assert.deepEqual(await all(a), [[HS, 3, null, 5]]);
  assert.deepEqual(await all(b), [[HS, 3, null, 9]]);
});

test('bootstrap token sees its portal', async () => {
  const api = limitsApi(server.token);
  const res = await api.getAllWithHttpInfo();
  assert.equal(res.httpStatusCode, 200);
  assert.ok(Array.isArray(res.data.results));
});
