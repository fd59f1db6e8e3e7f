'use strict';
// Associations between records (R1-R9, U1) through the package's own client object:
// new Client({ accessToken, basePath }).crm.associations.v4.{basicApi, batchApi, reportApi}.
// Labels come from ...v4.schema.definitionsApi; limits from the generated
// DefinitionConfigurationsApi (the Client object does not expose it).
//
// The generated response processors accept only the declared status codes (R1 200,
// R2 201, R3 204, R4 200, R5 201/207, R6 200/207, R7 204, R8 204, R9 200, U1 200) and
// throw ApiException("An error occurred.") on anything else, 2xx included.
// Request bodies go through ObjectSerializer, so they are built from the package's
// model classes (`_from` serialises as "from").
// `toObjectId`/`fromObjectId` are typed string but the deserializer passes primitives
// through: assocd, like the live API, sends JSON numbers, so they arrive as numbers.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Client } = require('@hubspot/api-client');
const v4 = require('@hubspot/api-client/lib/codegen/crm/associations/v4');
const schema = require('@hubspot/api-client/lib/codegen/crm/associations/v4/schema');
const { startServer, randomPortal, unique } = require('../lib/assocd');

const HS = v4.AssociationSpecAssociationCategoryEnum.HubspotDefined;
const US = v4.AssociationSpecAssociationCategoryEnum.UserDefined;
const CONTACT_TO_COMPANY = 279;
const COMPANY_TO_CONTACT = 280;
const CONTACT_TO_COMPANY_PRIMARY = 1;
const COMPANY_TO_CONTACT_PRIMARY = 2;
const DEAL_TO_COMPANY = 341;
const COMPANY_TO_DEAL = 342;
const BIG = 38056537805; // beyond 2^31, as HubSpot's ids are

let server;
before(async () => { server = await startServer(); });
after(async () => { if (server) await server.stop(); });

// ------------------------------------------------------------------ helpers

function fresh() {
  const { token } = server.newPortal();
  return forToken(token);
}

function forToken(token) {
  const client = new Client({ accessToken: token, basePath: server.baseUrl });
  const limits = new schema.DefinitionConfigurationsApi(schema.createConfiguration({
    baseServer: new schema.ServerConfiguration(server.baseUrl, {}),
    authMethods: { oauth2: { accessToken: token } },
  }));
  const a = client.crm.associations.v4;
  return { client, basic: a.basicApi, batch: a.batchApi, report: a.reportApi, labels: a.schema.definitionsApi, limits };
}

const model = (Cls, fields) => Object.assign(new Cls(), fields);
const spec = (category, typeId) => model(v4.AssociationSpec, { associationCategory: category, associationTypeId: typeId });
const oid = (id) => model(v4.PublicObjectId, { id: String(id) });
const multiPost = (inputs) => model(v4.BatchInputPublicAssociationMultiPost, {
  inputs: inputs.map(([f, t, types]) => model(v4.PublicAssociationMultiPost, {
    _from: oid(f), to: oid(t), types: types.map(([c, i]) => spec(c, i)),
  })),
});
const defaultPost = (inputs) => model(v4.BatchInputPublicDefaultAssociationMultiPost, {
  inputs: inputs.map(([f, t]) => model(v4.PublicDefaultAssociationMultiPost, { _from: oid(f), to: oid(t) })),
});
const fetchBody = (inputs) => model(v4.BatchInputPublicFetchAssociationsBatchRequest, {
  inputs: inputs.map((i) => (Array.isArray(i)
    ? model(v4.PublicFetchAssociationsBatchRequest, { id: String(i[0]), after: i[1] })
    : model(v4.PublicFetchAssociationsBatchRequest, { id: String(i) }))),
});
const archiveBody = (from, tos) => model(v4.BatchInputPublicAssociationMultiArchive, {
  inputs: [model(v4.PublicAssociationMultiArchive, { _from: oid(from), to: tos.map(oid) })],
});

// "category:typeId:label" strings, sorted, for one associated record.
const typesOf = (item) => item.associationTypes.map((t) => `${t.category}:${t.typeId}:${t.label ?? null}`).sort();
const T = (category, typeId, label = null) => `${category}:${typeId}:${label}`;
const set = (...xs) => xs.sort();

async function page(api, fromType, fromId, toType, afterCursor, limit) {
  const res = await api.basic.getPageWithHttpInfo(fromType, String(fromId), toType, afterCursor, limit);
  assert.equal(res.httpStatusCode, 200);
  for (const r of res.data.results) {
    assert.equal(typeof r.toObjectId, 'number', 'toObjectId is a JSON number on the wire');
  }
  return res.data;
}

// Every associated record (all pages): { id: sorted types }.
async function linked(api, fromType, fromId, toType) {
  const out = {};
  let cursor;
  for (;;) {
    const p = await page(api, fromType, fromId, toType, cursor);
    for (const r of p.results) {
      assert.ok(!(r.toObjectId in out), `${r.toObjectId} listed twice`);
      out[r.toObjectId] = typesOf(r);
    }
    if (!p.paging) return out;
    cursor = p.paging.next.after;
  }
}

async function createLabel(api, from = 'contacts', to = 'companies') {
  const label = unique('Manager');
  const inverse = unique('Employee');
  const res = await api.labels.create(from, to, { name: unique('mgr'), label, inverseLabel: inverse });
  const byLabel = Object.fromEntries(res.results.map((r) => [r.label, r.typeId]));
  return { label, inverse, fwd: byLabel[label], inv: byLabel[inverse] };
}

async function setLimit(api, from, to, category, typeId, maxToObjectIds) {
  const res = await api.limits.batchCreateWithHttpInfo(from, to, { inputs: [{ category, typeId, maxToObjectIds }] });
  assert.equal(res.httpStatusCode, 201);
  assert.equal(res.data.status, 'COMPLETE');
}

async function purgeLimit(api, from, to, category, typeId) {
  const res = await api.limits.batchRemoveWithHttpInfo(from, to, { inputs: [{ category, typeId }] });
  assert.equal(res.httpStatusCode, 204);
}

function assertTimes(body) {
  assert.ok(body.startedAt instanceof Date && !Number.isNaN(body.startedAt.getTime()), 'startedAt');
  assert.ok(body.completedAt instanceof Date && !Number.isNaN(body.completedAt.getTime()), 'completedAt');
  assert.ok(body.startedAt <= body.completedAt);
}

function assertErrors(body, n) {
  assert.equal(body.numErrors, n);
  assert.equal(body.errors.length, n);
  for (const e of body.errors) assert.ok(e.status && e.category && e.message, JSON.stringify(e));
  return body.errors;
}

const defaults = (body) => body.results.map((r) => [r._from.id, r.to.id, r.associationSpec.associationCategory, r.associationSpec.associationTypeId]);

async function rejects400(promise, check = () => {}) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof v4.ApiException, String(e));
    assert.equal(e.code, 400, JSON.stringify(e.body));
    assert.ok(e.body.message && e.body.correlationId, JSON.stringify(e.body));
    check(e.body);
    return true;
  });
}

// ------------------------------------------------------------------ R4 / R1 / R2 / R3

test('createDefault writes both directions; getPage reads them from either side', async () => {
  const api = fresh();
  const res = await api.basic.createDefaultWithHttpInfo('deals', String(BIG), 'companies', String(BIG + 1));
  assert.equal(res.httpStatusCode, 200);
  assert.ok(res.data instanceof v4.BatchResponsePublicDefaultAssociation);
  assert.equal(res.data.status, 'COMPLETE');
  assertTimes(res.data);
  assert.deepEqual(defaults(res.data), [
    [String(BIG), String(BIG + 1), HS, DEAL_TO_COMPANY],
    [String(BIG + 1), String(BIG), HS, COMPANY_TO_DEAL],
  ]);

  const fwd = await page(api, 'deals', BIG, 'companies');
  assert.deepEqual(fwd.results.map((r) => r.toObjectId), [BIG + 1]);
  assert.deepEqual(typesOf(fwd.results[0]), [T(HS, DEAL_TO_COMPANY)]);
  assert.equal(fwd.paging, undefined);
  const back = await page(api, '0-2', BIG + 1, '0-3');
  assert.deepEqual(back.results.map((r) => r.toObjectId), [BIG]);
  assert.deepEqual(typesOf(back.results[0]), [T(HS, COMPANY_TO_DEAL)]);

  const again = await api.basic.createDefault('deals', String(BIG), 'companies', String(BIG + 1));
  assert.deepEqual(defaults(again), defaults(res.data), 'idempotent');
});

test('create with a user label is seen from both sides', async () => {
  const api = fresh();
  const { label, inverse, fwd, inv } = await createLabel(api);
  const res = await api.basic.createWithHttpInfo('contacts', String(BIG + 10), 'companies', String(BIG + 11),
    [spec(US, fwd), spec(HS, CONTACT_TO_COMPANY_PRIMARY)]);
  assert.equal(res.httpStatusCode, 201);
  assert.ok(res.data instanceof v4.LabelsBetweenObjectPair);
  const d = res.data;
  assert.deepEqual([d.fromObjectTypeId, d.fromObjectId, d.toObjectTypeId, d.toObjectId], ['0-1', BIG + 10, '0-2', BIG + 11]);
  assert.deepEqual([...d.labels].sort(), [label, 'Primary'].sort());

  assert.deepEqual(await linked(api, 'contacts', BIG + 10, 'companies'), {
    [BIG + 11]: set(T(HS, CONTACT_TO_COMPANY), T(HS, CONTACT_TO_COMPANY_PRIMARY, 'Primary'), T(US, fwd, label)),
  });
  assert.deepEqual(await linked(api, 'companies', BIG + 11, 'contacts'), {
    [BIG + 10]: set(T(HS, COMPANY_TO_CONTACT), T(HS, COMPANY_TO_CONTACT_PRIMARY, 'Primary'), T(US, inv, inverse)),
  });

  // The inverse label works from the other side.
  const other = await api.basic.create('companies', '7', 'contacts', '8', [spec(US, inv)]);
  assert.deepEqual([other.fromObjectTypeId, other.fromObjectId, other.toObjectTypeId, other.toObjectId, other.labels],
    ['0-2', 7, '0-1', 8, [inverse]]);
  assert.deepEqual(await linked(api, 'contacts', 8, 'companies'), { 7: set(T(HS, CONTACT_TO_COMPANY), T(US, fwd, label)) });
});

test('create: the body is the complete label set for that direction', async () => {
  const api = fresh();
  const { label, inverse, fwd, inv } = await createLabel(api);
  await api.basic.create('contacts', '101', 'companies', '202', [spec(US, fwd), spec(HS, CONTACT_TO_COMPANY_PRIMARY)]);

  const only = await api.basic.create('contacts', '101', 'companies', '202', [spec(US, fwd)]);
  assert.deepEqual(only.labels, [label]);
  assert.deepEqual(await linked(api, 'contacts', 101, 'companies'), { 202: set(T(HS, CONTACT_TO_COMPANY), T(US, fwd, label)) });
  assert.deepEqual(await linked(api, 'companies', 202, 'contacts'), { 101: set(T(HS, COMPANY_TO_CONTACT), T(US, inv, inverse)) });

  const none = await api.basic.createWithHttpInfo('contacts', '101', 'companies', '202', []);
  assert.equal(none.httpStatusCode, 201);
  assert.deepEqual(none.data.labels, []);
  assert.deepEqual(await linked(api, 'contacts', 101, 'companies'), { 202: [T(HS, CONTACT_TO_COMPANY)] });
  assert.deepEqual(await linked(api, 'companies', 202, 'contacts'), { 101: [T(HS, COMPANY_TO_CONTACT)] });
});

test('deleting a label strips it from associations', async () => {
  const api = fresh();
  const { fwd } = await createLabel(api);
  await api.basic.create('contacts', '1', 'companies', '2', [spec(US, fwd)]);
  await api.labels.remove('contacts', 'companies', fwd);
  assert.deepEqual(await linked(api, 'contacts', 1, 'companies'), { 2: [T(HS, CONTACT_TO_COMPANY)] });
  assert.deepEqual(await linked(api, 'companies', 2, 'contacts'), { 1: [T(HS, COMPANY_TO_CONTACT)] });
});

test('archive removes every type in both directions (204)', async () => {
  const api = fresh();
  const { fwd } = await createLabel(api);
  await api.basic.create('contacts', '1', 'companies', '2', [spec(US, fwd), spec(HS, CONTACT_TO_COMPANY_PRIMARY)]);
  await api.basic.createDefault('contacts', '1', 'companies', '3');

  assert.equal(await api.basic.archive('contacts', '1', 'companies', '2'), undefined);
  assert.deepEqual(await linked(api, 'contacts', 1, 'companies'), { 3: [T(HS, CONTACT_TO_COMPANY)] });
  assert.deepEqual(await linked(api, 'companies', 2, 'contacts'), {});

  const res = await api.basic.archiveWithHttpInfo('contacts', '1', 'companies', '3');
  assert.equal(res.httpStatusCode, 204);
  assert.equal(res.data, undefined);
  const p = await page(api, 'contacts', 1, 'companies');
  assert.deepEqual(p.results, []);
  assert.equal(p.paging, undefined);
  assert.equal((await api.basic.archiveWithHttpInfo('contacts', '1', 'companies', '3')).httpStatusCode, 204, 'idempotent');
});

// ------------------------------------------------------------------ R1 paging

test('getPage pages with after and limit in a stable order', async () => {
  const api = fresh();
  const companies = [BIG, 5, 900, BIG + 7, 17, 3, 2000000];
  const created = await api.batch.createWithHttpInfo('contacts', 'companies', multiPost(companies.map((c) => [1, c, []])));
  assert.equal(created.httpStatusCode, 201);
  assert.deepEqual(created.data.results.map((r) => r.toObjectId).sort((a, b) => a - b), [...companies].sort((a, b) => a - b));

  const seen = [];
  let cursor;
  let pages = 0;
  for (;;) {
    const p = await page(api, 'contacts', 1, 'companies', cursor, 3);
    pages += 1;
    assert.ok(p.results.length <= 3);
    seen.push(...p.results.map((r) => r.toObjectId));
    if (!p.paging) break;
    assert.ok(p.paging.next.after && p.paging.next.after !== cursor);
    cursor = p.paging.next.after;
  }
  assert.equal(pages, 3);
  assert.deepEqual(seen, [...companies].sort((a, b) => a - b));

  const exact = await page(api, 'contacts', 1, 'companies', undefined, 7);
  assert.equal(exact.results.length, 7);
  assert.equal(exact.paging, undefined);
});

test('getPage default limit is 500; the rest is one after away', async () => {
  const api = fresh();
  const ids = Array.from({ length: 501 }, (_, i) => i + 1);
  const created = await api.batch.createWithHttpInfo('contacts', 'companies', multiPost(ids.map((c) => [1, c, []])));
  assert.equal(created.httpStatusCode, 201);
  assert.equal(created.data.results.length, 501);

  const first = await page(api, 'contacts', 1, 'companies');
  assert.deepEqual(first.results.map((r) => r.toObjectId), ids.slice(0, 500));
  assert.ok(first.paging.next.after);
  const second = await page(api, 'contacts', 1, 'companies', first.paging.next.after);
  assert.deepEqual(second.results.map((r) => r.toObjectId), [501]);
  assert.equal(second.paging, undefined);
  assert.equal((await page(api, 'contacts', 1, 'companies', undefined, 1000)).results.length, 500, 'capped at 500');
});

// ------------------------------------------------------------------ R5 / R6

test('batch create returns labels per input (201)', async () => {
  const api = fresh();
  const { label, inverse, fwd, inv } = await createLabel(api, 'deals', 'companies');
  const res = await api.batch.createWithHttpInfo('deals', 'companies', multiPost([
    [BIG, BIG + 1, [[US, fwd]]],
    [BIG, BIG + 2, []],
    [BIG + 3, BIG + 1, [[HS, 5]]], // deal -> company Primary
  ]));
  assert.equal(res.httpStatusCode, 201);
  assert.ok(res.data instanceof v4.BatchResponseLabelsBetweenObjectPair);
  assert.equal(res.data.status, 'COMPLETE');
  assertTimes(res.data);
  const got = res.data.results.map((r) => JSON.stringify([r.fromObjectTypeId, r.fromObjectId, r.toObjectTypeId, r.toObjectId, r.labels])).sort();
  assert.deepEqual(got, [
    ['0-3', BIG, '0-2', BIG + 1, [label]],
    ['0-3', BIG, '0-2', BIG + 2, []],
    ['0-3', BIG + 3, '0-2', BIG + 1, ['Primary']],
  ].map((x) => JSON.stringify(x)).sort());
  assert.deepEqual(await linked(api, 'companies', BIG + 1, 'deals'), {
    [BIG]: set(T(HS, COMPANY_TO_DEAL), T(US, inv, inverse)),
    [BIG + 3]: set(T(HS, COMPANY_TO_DEAL), T(HS, 6, 'Primary')),
  });
});

test('batch create with an invalid type: 207 with errors; nothing valid: CANCELED', async () => {
  const api = fresh();
  const res = await api.batch.createWithHttpInfo('deals', 'companies',
    multiPost([[1, 2, [[HS, 5]]], [1, 3, [[HS, CONTACT_TO_COMPANY_PRIMARY]]]]));
  assert.equal(res.httpStatusCode, 207);
  assert.ok(res.data instanceof v4.BatchResponseLabelsBetweenObjectPairWithErrors);
  assert.equal(res.data.status, 'COMPLETE');
  assert.deepEqual(res.data.results.map((r) => [r.fromObjectId, r.toObjectId, r.labels]), [[1, 2, ['Primary']]]);
  const [e] = assertErrors(res.data, 1);
  assert.equal(e.category, 'VALIDATION_ERROR');
  assert.equal(e.message, 'One or more associations are invalid');

  const none = await api.batch.createWithHttpInfo('deals', 'companies', multiPost([[1, 3, [[HS, CONTACT_TO_COMPANY_PRIMARY]]]]));
  assert.equal(none.httpStatusCode, 207);
  assert.equal(none.data.status, 'CANCELED');
  assert.deepEqual(none.data.results, []);
  assertErrors(none.data, 1);
  assert.deepEqual(Object.keys(await linked(api, 'deals', 1, 'companies')), ['2']);
});

test('batch getPage reads several ids', async () => {
  const api = fresh();
  const { label, fwd } = await createLabel(api);
  await api.batch.create('contacts', 'companies', multiPost([
    [1, 10, [[US, fwd]]],
    [1, 11, []],
    [2, 10, [[HS, CONTACT_TO_COMPANY_PRIMARY]]],
    [BIG, BIG + 1, []],
  ]));
  const res = await api.batch.getPageWithHttpInfo('contacts', 'companies', fetchBody([1, 2, BIG]));
  assert.equal(res.httpStatusCode, 200);
  assert.ok(res.data instanceof v4.BatchResponsePublicAssociationMultiWithLabel);
  assert.equal(res.data.status, 'COMPLETE');
  assertTimes(res.data);
  const byFrom = Object.fromEntries(res.data.results.map((r) => [r._from.id, r]));
  assert.deepEqual(Object.keys(byFrom).sort(), ['1', '2', String(BIG)].sort());
  const tos = (r) => Object.fromEntries(r.to.map((t) => [t.toObjectId, typesOf(t)]));
  assert.deepEqual(tos(byFrom['1']), { 10: set(T(HS, CONTACT_TO_COMPANY), T(US, fwd, label)), 11: [T(HS, CONTACT_TO_COMPANY)] });
  assert.deepEqual(tos(byFrom['2']), { 10: set(T(HS, CONTACT_TO_COMPANY), T(HS, CONTACT_TO_COMPANY_PRIMARY, 'Primary')) });
  assert.deepEqual(byFrom[String(BIG)].to.map((t) => t.toObjectId), [BIG + 1]);
  assert.ok(res.data.results.every((r) => r.paging === undefined));

  const back = await api.batch.getPage('companies', 'contacts', fetchBody([10]));
  assert.deepEqual(back.results.map((r) => [r._from.id, r.to.map((t) => t.toObjectId).sort()]), [['10', [1, 2]]]);
});

test('batch getPage: an unassociated id is an error item (207)', async () => {
  const api = fresh();
  await api.batch.createDefault('contacts', 'companies', defaultPost([[1, 2]]));
  const res = await api.batch.getPageWithHttpInfo('contacts', 'companies', fetchBody([1, 777]));
  assert.equal(res.httpStatusCode, 207);
  assert.ok(res.data instanceof v4.BatchResponsePublicAssociationMultiWithLabelWithErrors);
  assert.deepEqual(res.data.results.map((r) => [r._from.id, r.to.map((t) => t.toObjectId)]), [['1', [2]]]);
  const [e] = assertErrors(res.data, 1);
  assert.ok(JSON.stringify(e.context).includes('777') || e.message.includes('777'), JSON.stringify(e));
});

test('batch getPage pages each input with after', async () => {
  const api = fresh();
  await api.batch.create('contacts', 'companies', multiPost(Array.from({ length: 501 }, (_, i) => [1, i + 1, []])));
  await api.batch.createDefault('contacts', 'companies', defaultPost([[2, 9]]));
  const res = await api.batch.getPage('contacts', 'companies', fetchBody([1, 2]));
  const byFrom = Object.fromEntries(res.results.map((r) => [r._from.id, r]));
  assert.deepEqual(byFrom['1'].to.map((t) => t.toObjectId), Array.from({ length: 500 }, (_, i) => i + 1));
  const cursor = byFrom['1'].paging.next.after;
  assert.ok(cursor);
  assert.equal(byFrom['2'].paging, undefined);
  const next = await api.batch.getPage('contacts', 'companies', fetchBody([[1, cursor]]));
  assert.deepEqual(next.results.map((r) => [r._from.id, r.to.map((t) => t.toObjectId)]), [['1', [501]]]);
  assert.equal(next.results[0].paging, undefined);
});

// ------------------------------------------------------------------ R7 / R8 / R9

test('batch archive removes every type in both directions (204)', async () => {
  const api = fresh();
  const { fwd } = await createLabel(api);
  for (const co of [1, 2, 3]) {
    await api.basic.create('contacts', '100', 'companies', String(co), [spec(US, fwd), spec(HS, CONTACT_TO_COMPANY_PRIMARY)]);
  }
  const res = await api.batch.archiveWithHttpInfo('contacts', 'companies', archiveBody(100, [1, 2, 404]));
  assert.equal(res.httpStatusCode, 204);
  assert.equal(res.data, undefined);
  assert.deepEqual(Object.keys(await linked(api, 'contacts', 100, 'companies')), ['3']);
  assert.deepEqual(await linked(api, 'companies', 1, 'contacts'), {});
  assert.deepEqual(await linked(api, 'companies', 2, 'contacts'), {});
  assert.equal(await api.batch.archive('contacts', 'companies', archiveBody(100, [1])), undefined);
});

test('batch archiveLabels removes only the listed types; the unlabeled type removes all', async () => {
  const api = fresh();
  const { label, fwd } = await createLabel(api);
  for (const co of [1, 2]) {
    await api.basic.create('contacts', '10', 'companies', String(co), [spec(US, fwd), spec(HS, CONTACT_TO_COMPANY_PRIMARY)]);
  }
  const res = await api.batch.archiveLabelsWithHttpInfo('contacts', 'companies', multiPost([[10, 1, [[US, fwd]]]]));
  assert.equal(res.httpStatusCode, 204);
  const now = await linked(api, 'contacts', 10, 'companies');
  assert.deepEqual(now[1], set(T(HS, CONTACT_TO_COMPANY), T(HS, CONTACT_TO_COMPANY_PRIMARY, 'Primary')));
  assert.deepEqual(now[2], set(T(HS, CONTACT_TO_COMPANY), T(HS, CONTACT_TO_COMPANY_PRIMARY, 'Primary'), T(US, fwd, label)));
  assert.deepEqual(await linked(api, 'companies', 1, 'contacts'),
    { 10: set(T(HS, COMPANY_TO_CONTACT), T(HS, COMPANY_TO_CONTACT_PRIMARY, 'Primary')) });

  assert.equal(await api.batch.archiveLabels('contacts', 'companies', multiPost([[10, 2, [[HS, CONTACT_TO_COMPANY]]]])), undefined);
  assert.deepEqual(Object.keys(await linked(api, 'contacts', 10, 'companies')), ['1']);
  assert.deepEqual(await linked(api, 'companies', 2, 'contacts'), {});
});

test('batch archiveLabels with an invalid type is 400 and removes nothing', async () => {
  const api = fresh();
  await api.basic.create('contacts', '10', 'companies', '1', [spec(HS, CONTACT_TO_COMPANY_PRIMARY)]);
  await rejects400(api.batch.archiveLabels('contacts', 'companies',
    multiPost([[10, 1, [[HS, CONTACT_TO_COMPANY_PRIMARY]]], [10, 1, [[HS, DEAL_TO_COMPANY]]]])),
  (body) => assert.equal(body.category, 'VALIDATION_ERROR'));
  assert.deepEqual(await linked(api, 'contacts', 10, 'companies'),
    { 1: set(T(HS, CONTACT_TO_COMPANY), T(HS, CONTACT_TO_COMPANY_PRIMARY, 'Primary')) });
});

test('batch createDefault writes both directions (200)', async () => {
  const api = fresh();
  const res = await api.batch.createDefaultWithHttpInfo('deals', 'companies', defaultPost([[1, 2], [1, BIG]]));
  assert.equal(res.httpStatusCode, 200);
  assert.ok(res.data instanceof v4.BatchResponsePublicDefaultAssociation);
  assert.equal(res.data.status, 'COMPLETE');
  assertTimes(res.data);
  const key = (x) => JSON.stringify(x);
  assert.deepEqual(defaults(res.data).map(key).sort(), [
    ['1', '2', HS, DEAL_TO_COMPANY],
    ['2', '1', HS, COMPANY_TO_DEAL],
    ['1', String(BIG), HS, DEAL_TO_COMPANY],
    [String(BIG), '1', HS, COMPANY_TO_DEAL],
  ].map(key).sort());
  assert.deepEqual(await linked(api, 'deals', 1, 'companies'), { 2: [T(HS, DEAL_TO_COMPANY)], [BIG]: [T(HS, DEAL_TO_COMPANY)] });
  assert.deepEqual(await linked(api, 'companies', BIG, 'deals'), { 1: [T(HS, COMPANY_TO_DEAL)] });
});

// ------------------------------------------------------------------ limits on writes

test('a limit refuses associations over it (400 single, 207 batch) and purge lifts it', async () => {
  const api = fresh();
  await setLimit(api, 'contacts', 'companies', HS, CONTACT_TO_COMPANY, 2);
  await api.basic.createDefault('contacts', '1', 'companies', '10');
  await api.basic.create('contacts', '1', 'companies', '11', []);

  await rejects400(api.basic.createDefault('contacts', '1', 'companies', '12'), (body) => {
    assert.equal(body.category, 'VALIDATION_ERROR');
    assert.match(body.message, /2/);
  });
  await rejects400(api.basic.create('contacts', '1', 'companies', '12', [spec(HS, CONTACT_TO_COMPANY_PRIMARY)]),
    (body) => assert.equal(body.category, 'VALIDATION_ERROR'));

  const res = await api.batch.createWithHttpInfo('contacts', 'companies', multiPost([[1, 12, []], [2, 12, []]]));
  assert.equal(res.httpStatusCode, 207);
  assert.ok(res.data instanceof v4.BatchResponseLabelsBetweenObjectPairWithErrors);
  assert.equal(res.data.status, 'COMPLETE');
  assert.deepEqual(res.data.results.map((r) => [r.fromObjectId, r.toObjectId]), [[2, 12]]);
  const [e] = assertErrors(res.data, 1);
  assert.equal(e.category, 'VALIDATION_ERROR');

  const def = await api.batch.createDefaultWithHttpInfo('contacts', 'companies', defaultPost([[1, 13]]));
  assert.equal(def.httpStatusCode, 200, 'R9 declares 200 only; failures go in errors');
  assert.deepEqual(def.data.results, []);
  assert.equal(def.data.numErrors, 1);

  assert.deepEqual(Object.keys(await linked(api, 'contacts', 1, 'companies')), ['10', '11']);
  assert.deepEqual(await linked(api, 'companies', 12, 'contacts'), { 2: [T(HS, COMPANY_TO_CONTACT)] });
  await api.basic.createDefault('contacts', '1', 'companies', '10'); // re-associating does not count twice

  await purgeLimit(api, 'contacts', 'companies', HS, CONTACT_TO_COMPANY);
  const ok = await api.basic.createDefault('contacts', '1', 'companies', '12');
  assert.deepEqual(defaults(ok)[0], ['1', '12', HS, CONTACT_TO_COMPANY]);
  assert.equal((await api.batch.createWithHttpInfo('contacts', 'companies', multiPost([[1, 13, []]]))).httpStatusCode, 201);
  assert.deepEqual(Object.keys(await linked(api, 'contacts', 1, 'companies')), ['10', '11', '12', '13']);
});

test('a label limit counts only that label; the reverse direction limit holds', async () => {
  const api = fresh();
  const { label, fwd } = await createLabel(api);
  await setLimit(api, 'contacts', 'companies', US, fwd, 1);
  assert.deepEqual((await api.basic.create('contacts', '1', 'companies', '2', [spec(US, fwd)])).labels, [label]);
  await rejects400(api.basic.create('contacts', '1', 'companies', '3', [spec(US, fwd)]),
    (body) => assert.equal(body.category, 'VALIDATION_ERROR'));
  assert.deepEqual((await api.basic.create('contacts', '1', 'companies', '3', [])).labels, []);

  await setLimit(api, 'companies', 'contacts', HS, COMPANY_TO_CONTACT, 1);
  await api.basic.createDefault('contacts', '5', 'companies', '50');
  await rejects400(api.basic.createDefault('contacts', '6', 'companies', '50'));
  assert.deepEqual(await linked(api, 'contacts', 6, 'companies'), {});
});

// ------------------------------------------------------------------ U1

test('reportApi.request echoes userId and sends enqueueTime as HubSpot\'s DateTime object', async () => {
  const api = fresh();
  const userId = 77406147;
  const before = Date.now();
  const res = await api.report.requestWithHttpInfo(userId);
  const afterMs = Date.now();
  assert.equal(res.httpStatusCode, 200);
  assert.ok(res.data instanceof v4.ReportCreationResponse);
  assert.equal(res.data.userId, userId);
  assert.ok(typeof res.data.userEmail === 'string' && res.data.userEmail);
  // The package types enqueueTime as Date and runs `new Date(<object>)`, which gives an
  // Invalid Date for HubSpot's DateTime object (the live API sends the same object).
  assert.ok(res.data.enqueueTime instanceof Date);
  const raw = JSON.parse(await res.body.text());
  assert.equal(raw.userId, userId);
  const t = raw.enqueueTime;
  assert.ok(t.value >= before - 5000 && t.value <= afterMs + 5000, JSON.stringify(t));
  assert.equal(t.dateOnly, false);
  assert.equal(t.timeZoneShift, 0);

  const plain = await api.report.request(5);
  assert.equal(plain.userId, 5);
});

// ------------------------------------------------------------------ errors, portals

test('errors: a type of another direction, an unknown object type, a malformed id', async () => {
  const api = fresh();
  await rejects400(api.basic.create('deals', '38374264688', 'companies', '5', [spec(HS, CONTACT_TO_COMPANY_PRIMARY)]), (body) => {
    assert.equal(body.category, 'VALIDATION_ERROR');
    assert.equal(body.message, 'One or more associations are invalid');
  });
  assert.deepEqual(await linked(api, 'deals', 38374264688, 'companies'), {});
  await rejects400(api.basic.getPage('dea', '1', 'companies'),
    (body) => assert.equal(body.message, 'Unable to infer object type from: dea'));
  await rejects400(api.basic.createDefault('contacts', 'abc', 'companies', '1'),
    (body) => assert.equal(body.category, 'VALIDATION_ERROR'));
  await rejects400(api.batch.createDefault('contacts', 'companies', defaultPost([['x1', 2]])),
    (body) => assert.equal(body.category, 'VALIDATION_ERROR'));
  await assert.rejects(forToken('not-a-valid-token').basic.getPage('contacts', '1', 'companies'), (e) => {
    assert.equal(e.code, 401);
    assert.equal(e.body.category, 'INVALID_AUTHENTICATION');
    return true;
  });
});

test('associations are isolated between portals', async () => {
  const a = fresh();
  const b = forToken(server.createToken(randomPortal()));
  await a.basic.createDefault('contacts', '1', 'companies', '2');
  assert.deepEqual((await page(b, 'contacts', 1, 'companies')).results, []);
  assert.equal(await b.basic.archive('contacts', '1', 'companies', '2'), undefined);
  assert.deepEqual(Object.keys(await linked(a, 'contacts', 1, 'companies')), ['2']);
});
