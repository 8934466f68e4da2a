import { randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type GqlResponse, type TestApp } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { createControl, createRisk } from './helpers/isms-factories';
import { Permission } from '../src/auth/permissions';
import { createLogger } from '../src/common/logger';
import { reminderJob } from '../src/modules/reminder/reminder.job';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const DAY = 86_400_000;
const HOUR = 3_600_000;
const daysFromNow = (days: number) => new Date(Date.now() + days * DAY).toISOString();
const sorted = (ids: string[]) => [...ids].sort();
let seq = 0;
/** A name prefix no other test of this file uses, so `search` isolates a test's assets. */
const prefix = () => `as${++seq}x${randomUUID().slice(0, 6)}`;

const FIELDS = `id name kind description criticality externalId sourceSystem nhiKind environments privileged humanUse lastRotatedAt rotationIntervalDays
  expiresAt lastUsedAt revokedAt nextRotationAt version createdAt updatedAt archivedAt owner { id } scopes { id } consumers { id }`;
const GET = `query($id: ID!) { asset(id: $id) { ${FIELDS} } }`;
const CREATE = `mutation($input: CreateAssetInput!, $k: String) { createAsset(input: $input, idempotencyKey: $k) { ${FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateAssetInput!, $v: Int!) { updateAsset(id: $id, input: $input, expectedVersion: $v) { ${FIELDS} } }`;
const ARCHIVE = 'mutation($id: ID!, $v: Int) { archiveAsset(id: $id, expectedVersion: $v) { id version archivedAt } }';
const ROTATE = `mutation($id: ID!, $at: DateTime, $notes: String, $expiresAt: DateTime, $v: Int) {
  recordRotation(assetId: $id, rotatedAt: $at, notes: $notes, expiresAt: $expiresAt, expectedVersion: $v) { id version lastRotatedAt expiresAt nextRotationAt revokedAt } }`;
const REVOKE = 'mutation($id: ID!, $reason: String!) { revokeNonHumanIdentity(assetId: $id, reason: $reason) { id version revokedAt nextRotationAt } }';
const LIFECYCLE = 'query($id: ID!, $first: Int) { asset(id: $id) { lifecycle(first: $first) { id kind at notes actorKeyId } } }';
const LIST = `query($filter: AssetFilter, $orderBy: AssetOrder, $first: Int, $after: String) {
  assets(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name } }
  }
}`;

async function rowCounts(): Promise<Record<string, number>> {
  const [row] = await app.sql(`SELECT (SELECT count(*) FROM asset)::int AS assets, (SELECT coalesce(sum(version), 0) FROM asset)::int AS versions,
    (SELECT count(*) FROM asset_scope)::int AS scopes, (SELECT count(*) FROM asset_consumer)::int AS consumers,
    (SELECT count(*) FROM risk_asset)::int AS risks, (SELECT count(*) FROM control_asset)::int AS controls,
    (SELECT count(*) FROM asset_lifecycle_event)::int AS lifecycle, (SELECT count(*) FROM audit_event)::int AS audits,
    (SELECT count(*) FROM idempotency_key)::int AS idem`);
  return row as Record<string, number>;
}

function expectFailure(res: GqlResponse, code: string, field?: string) {
  expect(errorCode(res)).toBe(code);
  expect(res.data).toBeNull();
  if (field !== undefined) expect(res.errors![0].extensions.field).toBe(field);
}

async function create(input: Record<string, unknown>, key?: string): Promise<any> {
  return ok(await app.gql(CREATE, { input: { name: `${prefix()} asset`, kind: 'APPLICATION', ...input } }, key)).createAsset;
}

/** A non-human identity; a fresh scope unless scopeIds are given. */
async function createNhi(input: Record<string, unknown> = {}, key?: string): Promise<any> {
  const scopeIds = (input.scopeIds as string[] | undefined) ?? [(await createScope(app)).id];
  return create({ kind: 'NON_HUMAN_IDENTITY', nhiKind: 'API_KEY', ...input, scopeIds }, key);
}

async function idsOf(filter: Record<string, unknown>, key?: string, orderBy?: Record<string, unknown>): Promise<string[]> {
  const res = ok(await app.gql(LIST, { filter, orderBy: orderBy ?? null, first: 500 }, key)).assets;
  expect(res.totalCount).toBe(res.edges.length);
  return res.edges.map((e: any) => e.node.id);
}

async function lifecycleKinds(id: string, first?: number): Promise<string[]> {
  return ok(await app.gql(LIFECYCLE, { id, first })).asset.lifecycle.map((e: any) => e.kind);
}

describe('asset CRUD', () => {
  test('creates an application and an identity with every field, reads, updates and archives them; audited as ASSET', async () => {
    const owner = await createOwner(app);
    const s1 = await createScope(app);
    const s2 = await createScope(app);
    const billing = await create({ name: 'Billing API', kind: 'APPLICATION', description: 'Invoices', criticality: 'HIGH', ownerId: owner.id, scopeIds: [s1.id], externalId: 'app-1', sourceSystem: 'cmdb' });
    expect(billing).toMatchObject({
      name: 'Billing API', kind: 'APPLICATION', description: 'Invoices', criticality: 'HIGH', externalId: 'app-1', sourceSystem: 'cmdb',
      nhiKind: null, environments: [], privileged: false, humanUse: false, nextRotationAt: null, version: 1, owner: { id: owner.id }, scopes: [{ id: s1.id }], consumers: [],
    });

    const rotated = '2025-01-15T00:00:00.000Z';
    const nhi = await create({
      name: '  billing-deployer  ', kind: 'NON_HUMAN_IDENTITY', nhiKind: 'SERVICE_ACCOUNT', ownerId: owner.id, scopeIds: [s1.id, s2.id],
      environments: ['STAGING', 'PRODUCTION', 'STAGING'], consumerIds: [billing.id], privileged: true, humanUse: true,
      lastRotatedAt: rotated, rotationIntervalDays: 90, expiresAt: '2030-01-01T00:00:00.000Z', lastUsedAt: '2025-02-01T00:00:00.000Z',
    });
    expect(nhi).toMatchObject({
      name: 'billing-deployer', kind: 'NON_HUMAN_IDENTITY', nhiKind: 'SERVICE_ACCOUNT', criticality: 'MEDIUM', environments: ['PRODUCTION', 'STAGING'],
      privileged: true, humanUse: true, lastRotatedAt: rotated, rotationIntervalDays: 90, expiresAt: '2030-01-01T00:00:00.000Z',
      lastUsedAt: '2025-02-01T00:00:00.000Z', revokedAt: null, nextRotationAt: '2025-04-15T00:00:00.000Z', consumers: [{ id: billing.id }],
    });
    expect(sorted(nhi.scopes.map((s: any) => s.id))).toEqual(sorted([s1.id, s2.id]));
    expect(ok(await app.gql(GET, { id: nhi.id })).asset).toEqual(nhi);

    const other = await createOwner(app);
    const updated = ok(await app.gql(UPDATE, { id: nhi.id, v: 1, input: { name: 'deployer', ownerId: other.id, environments: ['DEVELOPMENT'], consumerIds: [], privileged: false, expiresAt: null } })).updateAsset;
    expect(updated).toMatchObject({ name: 'deployer', owner: { id: other.id }, environments: ['DEVELOPMENT'], consumers: [], privileged: false, expiresAt: null, version: 2, humanUse: true });
    const cleared = ok(await app.gql(UPDATE, { id: nhi.id, v: 2, input: { ownerId: null, description: 'CI deploys' } })).updateAsset;
    expect(cleared).toMatchObject({ owner: null, description: 'CI deploys', version: 3 });

    const archived = ok(await app.gql(ARCHIVE, { id: nhi.id, v: 3 })).archiveAsset;
    expect(archived.version).toBe(4);
    expect(archived.archivedAt).not.toBeNull();
    expect(ok(await app.gql(ARCHIVE, { id: nhi.id })).archiveAsset.version).toBe(4);

    const audits = await app.sql('SELECT operation, entity_type, scope_ids FROM audit_event WHERE entity_id = $1 ORDER BY at, operation', [nhi.id]);
    expect(audits.map((a) => a.operation)).toEqual(['createAsset', 'updateAsset', 'updateAsset', 'archiveAsset']);
    for (const a of audits) {
      expect(a.entity_type).toBe('ASSET');
      expect(sorted(a.scope_ids)).toEqual(sorted([s1.id, s2.id]));
    }
    expect(await lifecycleKinds(nhi.id)).toEqual(['ARCHIVED', 'UPDATED', 'UPDATED', 'CREATED']);
    const [notes] = await app.sql("SELECT notes FROM asset_lifecycle_event WHERE asset_id = $1 AND kind = 'UPDATED' ORDER BY at LIMIT 1", [nhi.id]);
    expect(notes.notes).toBe('Changed name, ownerId, environments, privileged, expiresAt, consumers');
  });

  test('a stale expectedVersion is CONFLICT and writes nothing', async () => {
    const nhi = await createNhi();
    ok(await app.gql(UPDATE, { id: nhi.id, v: 1, input: { name: 'second' } }));
    const before = await rowCounts();
    expectFailure(await app.gql(UPDATE, { id: nhi.id, v: 1, input: { name: 'lost' } }), 'CONFLICT');
    expectFailure(await app.gql(ARCHIVE, { id: nhi.id, v: 1 }), 'CONFLICT');
    expectFailure(await app.gql(ROTATE, { id: nhi.id, v: 1 }), 'CONFLICT');
    expect(await rowCounts()).toEqual(before);
  });

  test('unknown ids: asset, updateAsset, archiveAsset, recordRotation and revokeNonHumanIdentity answer NOT_FOUND', async () => {
    for (const id of [randomUUID(), 'not-a-uuid']) {
      expectFailure(await app.gql(GET, { id }), 'NOT_FOUND');
      expectFailure(await app.gql(UPDATE, { id, v: 1, input: { name: 'x' } }), 'NOT_FOUND');
      expectFailure(await app.gql(ARCHIVE, { id }), 'NOT_FOUND');
      expectFailure(await app.gql(ROTATE, { id }), 'NOT_FOUND');
      expectFailure(await app.gql(REVOKE, { id, reason: 'leaked' }), 'NOT_FOUND');
    }
  });

  test('idempotencyKey: a retry returns the asset first created; another input is IDEMPOTENCY_KEY_REUSED', async () => {
    const key = `asset-${randomUUID()}`;
    const input = { name: `${prefix()} key`, kind: 'NON_HUMAN_IDENTITY', nhiKind: 'SECRET', rotationIntervalDays: 30 };
    const first = ok(await app.gql(CREATE, { input, k: key })).createAsset;
    const before = await rowCounts();
    expect(ok(await app.gql(CREATE, { input, k: key })).createAsset.id).toBe(first.id);
    expectFailure(await app.gql(CREATE, { input: { ...input, name: 'other' }, k: key }), 'IDEMPOTENCY_KEY_REUSED');
    expect(await rowCounts()).toEqual(before);
  });

  test('a source system and external id pair is unique: CONFLICT for a second asset with it', async () => {
    await create({ externalId: 'dup-1', sourceSystem: 'cmdb-dup' });
    const other = await create({ externalId: 'dup-2', sourceSystem: 'cmdb-dup' });
    const before = await rowCounts();
    expectFailure(await app.gql(CREATE, { input: { name: 'again', kind: 'SERVICE', externalId: 'dup-1', sourceSystem: 'cmdb-dup' } }), 'CONFLICT');
    expectFailure(await app.gql(UPDATE, { id: other.id, v: 1, input: { externalId: 'dup-1' } }), 'CONFLICT');
    expect(await rowCounts()).toEqual(before);
    // the same external id from another source is another asset
    expect((await create({ externalId: 'dup-1', sourceSystem: 'cmdb-other' })).externalId).toBe('dup-1');
  });
});

describe('asset bad inputs: BAD_USER_INPUT naming the field, nothing written', () => {
  let app1: any;
  let info: any;
  let ownerId: string;
  beforeAll(async () => {
    app1 = await create({ kind: 'APPLICATION' });
    info = await create({ kind: 'INFORMATION' });
    ownerId = (await createOwner(app)).id;
  });

  const nhi = (patch: Record<string, unknown>) => ({ name: 'id', kind: 'NON_HUMAN_IDENTITY', nhiKind: 'API_KEY', ...patch });
  const cases: Array<[string, () => Record<string, unknown>, string]> = [
    ['an identity without nhiKind', () => nhi({ nhiKind: null }), 'nhiKind'],
    ['environments on an application', () => ({ name: 'x', kind: 'APPLICATION', environments: ['PRODUCTION'] }), 'environments'],
    ['rotationIntervalDays on a supplier', () => ({ name: 'x', kind: 'SUPPLIER', rotationIntervalDays: 30 }), 'rotationIntervalDays'],
    ['nhiKind on information', () => ({ name: 'x', kind: 'INFORMATION', nhiKind: 'SECRET' }), 'nhiKind'],
    ['privileged on infrastructure', () => ({ name: 'x', kind: 'INFRASTRUCTURE', privileged: true }), 'privileged'],
    ['a consumer that is information', () => nhi({ consumerIds: [info.id] }), 'consumerIds'],
    ['an unknown consumer', () => nhi({ consumerIds: [randomUUID()] }), 'consumerIds'],
    ['an unknown owner', () => nhi({ ownerId: randomUUID() }), 'ownerId'],
    ['an unknown scope', () => nhi({ scopeIds: [randomUUID()] }), 'scopeIds'],
    ['an externalId without sourceSystem', () => nhi({ externalId: 'x-1' }), 'sourceSystem'],
    ['a sourceSystem without externalId', () => nhi({ sourceSystem: 'vault' }), 'externalId'],
    ['lastRotatedAt in the future', () => nhi({ lastRotatedAt: daysFromNow(2) }), 'lastRotatedAt'],
    ['lastUsedAt in the future', () => nhi({ lastUsedAt: daysFromNow(2) }), 'lastUsedAt'],
    ['a rotation interval of 0 days', () => nhi({ rotationIntervalDays: 0 }), 'rotationIntervalDays'],
    ['a blank name', () => nhi({ name: '  ' }), 'name'],
    ['an oversize name', () => nhi({ name: 'n'.repeat(201) }), 'name'],
  ];
  test.each(cases)('createAsset with %s', async (_name, input, field) => {
    const before = await rowCounts();
    expectFailure(await app.gql(CREATE, { input: input(), k: randomUUID() }), 'BAD_USER_INPUT', field);
    expect(await rowCounts()).toEqual(before);
  });

  test('a valid consumer and owner pass (the cases above fail on their one fault)', async () => {
    expect((await createNhi({ consumerIds: [app1.id], ownerId })).consumers).toEqual([{ id: app1.id }]);
  });

  test('updateAsset: NHI fields on an application, a kind change to or from an identity, a consumer that stops being an application', async () => {
    const identity = await createNhi({ consumerIds: [app1.id] });
    const before = await rowCounts();
    expectFailure(await app.gql(UPDATE, { id: app1.id, v: 1, input: { humanUse: true } }), 'BAD_USER_INPUT', 'humanUse');
    expectFailure(await app.gql(UPDATE, { id: app1.id, v: 1, input: { kind: 'NON_HUMAN_IDENTITY' } }), 'BAD_USER_INPUT', 'kind');
    expectFailure(await app.gql(UPDATE, { id: identity.id, v: 1, input: { kind: 'APPLICATION' } }), 'BAD_USER_INPUT', 'kind');
    expectFailure(await app.gql(UPDATE, { id: app1.id, v: 1, input: { kind: 'INFORMATION' } }), 'BAD_USER_INPUT', 'kind');
    expectFailure(await app.gql(UPDATE, { id: identity.id, v: 1, input: { consumerIds: [info.id] } }), 'BAD_USER_INPUT', 'consumerIds');
    expectFailure(await app.gql(UPDATE, { id: identity.id, v: 1, input: { name: null } }), 'BAD_USER_INPUT', 'name');
    expect(await rowCounts()).toEqual(before);
    // an application may become a service: still a consumer kind
    expect(ok(await app.gql(UPDATE, { id: app1.id, v: 1, input: { kind: 'SERVICE' } })).updateAsset.kind).toBe('SERVICE');
  });

  test('an archived consumer is BAD_USER_INPUT', async () => {
    const gone = await create({ kind: 'APPLICATION' });
    ok(await app.gql(ARCHIVE, { id: gone.id }));
    const before = await rowCounts();
    expectFailure(await app.gql(CREATE, { input: nhi({ consumerIds: [gone.id] }) }), 'BAD_USER_INPUT', 'consumerIds');
    expect(await rowCounts()).toEqual(before);
  });
});

describe('asset lists', () => {
  test('filters by kinds, nhiKinds, owners, scopes, environments, search, includeRevoked and includeArchived', async () => {
    const p = prefix();
    const scope = await createScope(app);
    const other = await createScope(app);
    const alice = await createOwner(app);
    const bob = await createOwner(app);
    const app1 = await create({ name: `${p} app`, kind: 'APPLICATION', ownerId: alice.id, scopeIds: [scope.id] });
    const svc = await create({ name: `${p} svc`, kind: 'SERVICE', ownerId: bob.id, scopeIds: [other.id] });
    const key1 = await createNhi({ name: `${p} key1`, nhiKind: 'API_KEY', ownerId: alice.id, scopeIds: [scope.id], environments: ['PRODUCTION'] });
    const sa = await createNhi({ name: `${p} sa`, nhiKind: 'SERVICE_ACCOUNT', ownerId: bob.id, scopeIds: [scope.id, other.id], environments: ['STAGING', 'TEST'] });
    const cert = await createNhi({ name: `${p} cert`, nhiKind: 'CERTIFICATE', scopeIds: [other.id], environments: ['DEVELOPMENT', 'PRODUCTION'] });
    const all = [app1.id, svc.id, key1.id, sa.id, cert.id];
    const q = (f: Record<string, unknown>) => idsOf({ search: p, ...f }).then(sorted);

    expect(await q({})).toEqual(sorted(all));
    expect(await q({ kinds: ['APPLICATION', 'SERVICE'] })).toEqual(sorted([app1.id, svc.id]));
    expect(await q({ kinds: ['NON_HUMAN_IDENTITY'] })).toEqual(sorted([key1.id, sa.id, cert.id]));
    expect(await q({ nhiKinds: ['API_KEY', 'CERTIFICATE'] })).toEqual(sorted([key1.id, cert.id]));
    expect(await q({ ownerIds: [alice.id] })).toEqual(sorted([app1.id, key1.id]));
    expect(await q({ scopeIds: [scope.id] })).toEqual(sorted([app1.id, key1.id, sa.id]));
    expect(await q({ environments: ['PRODUCTION'] })).toEqual(sorted([key1.id, cert.id]));
    expect(await q({ environments: ['TEST', 'DEVELOPMENT'] })).toEqual(sorted([sa.id, cert.id]));
    expect(await q({ environments: ['STAGING'], nhiKinds: ['SERVICE_ACCOUNT'], ownerIds: [bob.id] })).toEqual([sa.id]);
    expect(await idsOf({ search: `${p} CE` })).toEqual([cert.id]);

    ok(await app.gql(REVOKE, { id: key1.id, reason: 'leaked in a public repository' }));
    ok(await app.gql(ARCHIVE, { id: svc.id }));
    expect(await q({})).toEqual(sorted([app1.id, sa.id, cert.id]));
    expect(await q({ includeRevoked: true })).toEqual(sorted([app1.id, key1.id, sa.id, cert.id]));
    expect(await q({ includeArchived: true })).toEqual(sorted([app1.id, svc.id, sa.id, cert.id]));
    expect(await q({ includeArchived: true, includeRevoked: true })).toEqual(sorted(all));
  });

  test('rotationDueBefore: last rotation + interval, expiresAt, or never rotated with an interval; not revoked, not other kinds', async () => {
    const p = prefix();
    const byInterval = await createNhi({ name: `${p} interval`, lastRotatedAt: daysFromNow(-80), rotationIntervalDays: 90 }); // due in 10 days
    const byExpiry = await createNhi({ name: `${p} expiry`, lastRotatedAt: daysFromNow(-1), rotationIntervalDays: 365, expiresAt: daysFromNow(20) }); // due in 20
    const never = await createNhi({ name: `${p} never`, rotationIntervalDays: 30 }); // due since created
    const later = await createNhi({ name: `${p} later`, lastRotatedAt: daysFromNow(-10), rotationIntervalDays: 90 }); // due in 80
    await createNhi({ name: `${p} unmanaged` }); // neither interval nor expiry: never due
    const revoked = await createNhi({ name: `${p} revoked`, rotationIntervalDays: 1, lastRotatedAt: daysFromNow(-5) });
    ok(await app.gql(REVOKE, { id: revoked.id, reason: 'decommissioned' }));
    await create({ name: `${p} app`, kind: 'APPLICATION' });

    const due = (days: number) => idsOf({ search: p, rotationDueBefore: daysFromNow(days) }).then(sorted);
    expect(await due(-1)).toEqual([]);
    expect(await due(1)).toEqual([never.id]);
    expect(await due(15)).toEqual(sorted([never.id, byInterval.id]));
    expect(await due(30)).toEqual(sorted([never.id, byInterval.id, byExpiry.id]));
    expect(await due(100)).toEqual(sorted([never.id, byInterval.id, byExpiry.id, later.id]));
    // revoked identities are not due even when revoked ones are listed
    expect(await idsOf({ search: p, rotationDueBefore: daysFromNow(100), includeRevoked: true }).then(sorted)).toEqual(await due(100));

    const nextOf = async (id: string) => new Date(ok(await app.gql(GET, { id })).asset.nextRotationAt).getTime();
    expect(Math.abs((await nextOf(byInterval.id)) - Date.parse(daysFromNow(10)))).toBeLessThan(HOUR);
    expect(await nextOf(byExpiry.id)).toBe(Date.parse(byExpiry.expiresAt));
    expect(await nextOf(never.id)).toBe(Date.parse(never.createdAt));
    expect(ok(await app.gql(GET, { id: revoked.id })).asset.nextRotationAt).toBeNull();
  });

  test('orders by name, kind and criticality in both directions, and pages with cursors', async () => {
    const p = prefix();
    const c = await create({ name: `${p} c`, kind: 'APPLICATION', criticality: 'LOW' });
    const a = await create({ name: `${p} a`, kind: 'SUPPLIER', criticality: 'CRITICAL' });
    const b = await create({ name: `${p} b`, kind: 'INFORMATION', criticality: 'MEDIUM' });
    expect(await idsOf({ search: p })).toEqual([a.id, b.id, c.id]);
    expect(await idsOf({ search: p }, undefined, { field: 'NAME', direction: 'DESC' })).toEqual([c.id, b.id, a.id]);
    expect(await idsOf({ search: p }, undefined, { field: 'KIND' })).toEqual([b.id, c.id, a.id]);
    expect(await idsOf({ search: p }, undefined, { field: 'CRITICALITY', direction: 'DESC' })).toEqual([a.id, b.id, c.id]);

    const page1 = ok(await app.gql(LIST, { filter: { search: p }, orderBy: { field: 'CRITICALITY' }, first: 2 })).assets;
    expect(page1.edges.map((e: any) => e.node.id)).toEqual([c.id, b.id]);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    expect(page1.totalCount).toBe(3);
    const page2 = ok(await app.gql(LIST, { filter: { search: p }, orderBy: { field: 'CRITICALITY' }, first: 2, after: page1.pageInfo.endCursor })).assets;
    expect(page2.edges.map((e: any) => e.node.id)).toEqual([a.id]);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    expectFailure(await app.gql(LIST, { filter: { search: p }, first: 2, after: page1.pageInfo.endCursor }), 'BAD_USER_INPUT', 'after');
    expectFailure(await app.gql(LIST, { filter: { search: p }, first: 501 }), 'BAD_USER_INPUT');
  });
});

describe('rotation, revocation and the lifecycle history', () => {
  test('history is newest first: REVOKED, ROTATED, UPDATED, CREATED; first limits it; each event names the key', async () => {
    const identity = await createNhi({ rotationIntervalDays: 30, lastRotatedAt: daysFromNow(-40) });
    ok(await app.gql(UPDATE, { id: identity.id, v: 1, input: { privileged: true } }));
    const rotatedAt = daysFromNow(-1);
    const rotated = ok(await app.gql(ROTATE, { id: identity.id, at: rotatedAt, notes: 'CHG-42' })).recordRotation;
    expect(rotated).toMatchObject({ version: 3, lastRotatedAt: rotatedAt, revokedAt: null });
    expect(Date.parse(rotated.nextRotationAt)).toBe(Date.parse(rotatedAt) + 30 * DAY);
    const revoked = ok(await app.gql(REVOKE, { id: identity.id, reason: 'owner left' })).revokeNonHumanIdentity;
    expect(revoked.version).toBe(4);
    expect(revoked.revokedAt).not.toBeNull();
    expect(revoked.nextRotationAt).toBeNull();

    const events = ok(await app.gql(LIFECYCLE, { id: identity.id })).asset.lifecycle;
    expect(events.map((e: any) => [e.kind, e.notes])).toEqual([['REVOKED', 'owner left'], ['ROTATED', 'CHG-42'], ['UPDATED', 'Changed privileged'], ['CREATED', null]]);
    const times = events.map((e: any) => Date.parse(e.at));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    const [adminKey] = await app.sql("SELECT actor_key_id FROM audit_event WHERE entity_id = $1 AND operation = 'createAsset'", [identity.id]);
    expect(new Set(events.map((e: any) => e.actorKeyId))).toEqual(new Set([adminKey.actor_key_id]));
    expect(await lifecycleKinds(identity.id, 2)).toEqual(['REVOKED', 'ROTATED']);
    expectFailure(await app.gql(LIFECYCLE, { id: identity.id, first: 501 }), 'BAD_USER_INPUT', 'first');

    const audits = await app.sql('SELECT operation FROM audit_event WHERE entity_id = $1 ORDER BY at', [identity.id]);
    expect(audits.map((a) => a.operation)).toEqual(['createAsset', 'updateAsset', 'recordRotation', 'revokeNonHumanIdentity']);
  });

  test('recordRotation defaults to now, may set the new expiry, never goes backwards, and repeating it changes nothing', async () => {
    const identity = await createNhi({ rotationIntervalDays: 90, expiresAt: daysFromNow(5) });
    const first = ok(await app.gql(ROTATE, { id: identity.id, expiresAt: daysFromNow(365) })).recordRotation;
    expect(Math.abs(Date.parse(first.lastRotatedAt) - Date.now())).toBeLessThan(HOUR);
    expect(Date.parse(first.nextRotationAt)).toBe(Date.parse(first.lastRotatedAt) + 90 * DAY);
    const before = await rowCounts();
    // the same rotation again: a retry, nothing written
    expect(ok(await app.gql(ROTATE, { id: identity.id, at: first.lastRotatedAt })).recordRotation.version).toBe(first.version);
    expectFailure(await app.gql(ROTATE, { id: identity.id, at: daysFromNow(-3) }), 'BAD_USER_INPUT', 'rotatedAt');
    expectFailure(await app.gql(ROTATE, { id: identity.id, at: daysFromNow(1) }), 'BAD_USER_INPUT', 'rotatedAt');
    expectFailure(await app.gql(ROTATE, { id: identity.id, expiresAt: daysFromNow(-1) }), 'BAD_USER_INPUT', 'expiresAt');
    expectFailure(await app.gql(ROTATE, { id: identity.id, notes: '   ' }), 'BAD_USER_INPUT', 'notes');
    expect(await rowCounts()).toEqual(before);
    // null expiresAt: the new credential does not expire
    expect(ok(await app.gql(ROTATE, { id: identity.id, expiresAt: null })).recordRotation.expiresAt).toBeNull();
  });

  test('revoking twice and rotating a revoked identity are INVALID_TRANSITION; other assets are BAD_USER_INPUT; nothing written', async () => {
    const identity = await createNhi();
    ok(await app.gql(REVOKE, { id: identity.id, reason: 'leaked' }));
    const application = await create({ kind: 'APPLICATION' });
    const before = await rowCounts();
    expectFailure(await app.gql(REVOKE, { id: identity.id, reason: 'again' }), 'INVALID_TRANSITION');
    expectFailure(await app.gql(ROTATE, { id: identity.id }), 'INVALID_TRANSITION');
    expectFailure(await app.gql(ROTATE, { id: application.id }), 'BAD_USER_INPUT', 'assetId');
    expectFailure(await app.gql(REVOKE, { id: application.id, reason: 'x' }), 'BAD_USER_INPUT', 'assetId');
    const fresh = await createNhi();
    const afterCreate = await rowCounts();
    expectFailure(await app.gql(REVOKE, { id: fresh.id, reason: '  ' }), 'BAD_USER_INPUT', 'reason');
    expect(await rowCounts()).toEqual(afterCreate);
    expect(before.assets + 1).toBe(afterCreate.assets);
  });
});

describe('links: scopes, risks and controls', () => {
  test('linkAssetToScope and unlinkAssetFromScope move the version once; repeating is a no-op', async () => {
    const identity = await createNhi();
    const scope = await createScope(app);
    const LINK = 'mutation($a: ID!, $s: ID!) { linkAssetToScope(assetId: $a, scopeId: $s) { version scopes { id } } }';
    const UNLINK = 'mutation($a: ID!, $s: ID!) { unlinkAssetFromScope(assetId: $a, scopeId: $s) { version scopes { id } } }';
    const linked = ok(await app.gql(LINK, { a: identity.id, s: scope.id })).linkAssetToScope;
    expect(linked.version).toBe(2);
    expect(linked.scopes.map((s: any) => s.id)).toContain(scope.id);
    expect(ok(await app.gql(LINK, { a: identity.id, s: scope.id })).linkAssetToScope.version).toBe(2);
    const unlinked = ok(await app.gql(UNLINK, { a: identity.id, s: scope.id })).unlinkAssetFromScope;
    expect(unlinked.version).toBe(3);
    expect(unlinked.scopes.map((s: any) => s.id)).not.toContain(scope.id);
    expect(ok(await app.gql(UNLINK, { a: identity.id, s: scope.id })).unlinkAssetFromScope.version).toBe(3);
    expectFailure(await app.gql(LINK, { a: identity.id, s: randomUUID() }), 'BAD_USER_INPUT', 'scopeId');
    const ops = await app.sql('SELECT operation FROM audit_event WHERE entity_id = $1 ORDER BY at', [identity.id]);
    expect(ops.map((o) => o.operation)).toEqual(['createAsset', 'linkAssetToScope', 'unlinkAssetFromScope']);
    // links are no lifecycle steps
    expect(await lifecycleKinds(identity.id)).toEqual(['CREATED']);
  });

  test('risks and controls link to assets: Risk.assets, Control.assets, Asset.risks and Asset.controls', async () => {
    const identity = await createNhi();
    const application = await create({ kind: 'APPLICATION' });
    const risk = await createRisk(app);
    const control = await createControl(app);
    const LINK_RISK = 'mutation($r: ID!, $a: ID!) { linkRiskToAsset(riskId: $r, assetId: $a) { id version risks { id } } }';
    const UNLINK_RISK = 'mutation($r: ID!, $a: ID!) { unlinkRiskFromAsset(riskId: $r, assetId: $a) { id version risks { id } } }';
    const LINK_CONTROL = 'mutation($c: ID!, $a: ID!) { linkControlToAsset(controlId: $c, assetId: $a) { id version controls { id } } }';
    const UNLINK_CONTROL = 'mutation($c: ID!, $a: ID!) { unlinkControlFromAsset(controlId: $c, assetId: $a) { id version controls { id } } }';

    expect(ok(await app.gql(LINK_RISK, { r: risk.id, a: identity.id })).linkRiskToAsset).toMatchObject({ version: 2, risks: [{ id: risk.id }] });
    expect(ok(await app.gql(LINK_RISK, { r: risk.id, a: identity.id })).linkRiskToAsset.version).toBe(2);
    ok(await app.gql(LINK_RISK, { r: risk.id, a: application.id }));
    expect(ok(await app.gql(LINK_CONTROL, { c: control.id, a: identity.id })).linkControlToAsset).toMatchObject({ version: 3, controls: [{ id: control.id }] });

    const riskAssets = ok(await app.gql('query($id: ID!) { risk(id: $id) { assets { id } } }', { id: risk.id })).risk.assets.map((a: any) => a.id);
    expect(riskAssets).toEqual([identity.id, application.id]);
    expect(ok(await app.gql('query($id: ID!) { control(id: $id) { assets { id } } }', { id: control.id })).control.assets).toEqual([{ id: identity.id }]);

    // archived assets leave the lists
    ok(await app.gql(ARCHIVE, { id: application.id }));
    expect(ok(await app.gql('query($id: ID!) { risk(id: $id) { assets { id } } }', { id: risk.id })).risk.assets).toEqual([{ id: identity.id }]);

    expect(ok(await app.gql(UNLINK_RISK, { r: risk.id, a: identity.id })).unlinkRiskFromAsset).toMatchObject({ version: 4, risks: [] });
    expect(ok(await app.gql(UNLINK_RISK, { r: risk.id, a: identity.id })).unlinkRiskFromAsset.version).toBe(4);
    expect(ok(await app.gql(UNLINK_CONTROL, { c: control.id, a: identity.id })).unlinkControlFromAsset).toMatchObject({ version: 5, controls: [] });

    const before = await rowCounts();
    expectFailure(await app.gql(LINK_RISK, { r: randomUUID(), a: identity.id }), 'BAD_USER_INPUT', 'riskId');
    expectFailure(await app.gql(LINK_CONTROL, { c: 'CTL-1', a: identity.id }), 'BAD_USER_INPUT', 'controlId');
    expectFailure(await app.gql(LINK_RISK, { r: risk.id, a: randomUUID() }), 'NOT_FOUND');
    expect(await rowCounts()).toEqual(before);
  });
});

describe('ROTATION_DUE reminders through the reminder job', () => {
  const log = createLogger('silent');
  const run = (now: Date) => reminderJob.run(app.db, now, log);
  const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);
  async function remindersOf(subjectId: string): Promise<Array<[string, number, string, string | null]>> {
    const rows = await app.sql('SELECT kind::text, lead_days, due_at, fired_at, subject_type, scope_ids, owner_id FROM reminder WHERE subject_id = $1 ORDER BY due_at, lead_days DESC', [subjectId]);
    for (const r of rows) expect(r.subject_type).toBe('ASSET');
    return rows.map((r: any) => [r.kind, r.lead_days, r.due_at.toISOString(), r.fired_at?.toISOString() ?? null]);
  }

  test('fires at each lead time and once passed; a recorded rotation moves the next date one interval on', async () => {
    const owner = await createOwner(app);
    const scope = await createScope(app);
    const t0 = new Date();
    const lastRotated = new Date(t0.getTime() - 50 * DAY);
    const identity = await createNhi({ ownerId: owner.id, scopeIds: [scope.id], rotationIntervalDays: 90, lastRotatedAt: lastRotated.toISOString() });
    const due = plus(lastRotated, 90 * DAY); // 40 days after t0
    const dueIso = due.toISOString();

    await run(t0);
    expect(await remindersOf(identity.id)).toEqual([]);
    const at30 = plus(due, -30 * DAY);
    await run(at30);
    expect(await remindersOf(identity.id)).toEqual([['ROTATION_DUE', 30, dueIso, at30.toISOString()]]);
    const [row] = await app.sql('SELECT scope_ids, owner_id FROM reminder WHERE subject_id = $1', [identity.id]);
    expect(row.scope_ids).toEqual([scope.id]);
    expect(row.owner_id).toBe(owner.id);
    await run(plus(at30, HOUR));
    expect(await remindersOf(identity.id)).toHaveLength(1);
    const at7 = plus(due, -7 * DAY + HOUR);
    await run(at7);
    const passed = plus(due, HOUR);
    await run(passed);
    expect(await remindersOf(identity.id)).toEqual([
      ['ROTATION_DUE', 30, dueIso, at30.toISOString()],
      ['ROTATION_DUE', 7, dueIso, at7.toISOString()],
      ['ROTATION_DUE', 0, dueIso, passed.toISOString()],
    ]);

    // rotating moves the next date one interval on: the old reminders stay as fired history, new ones follow the new date
    const rotated = ok(await app.gql(ROTATE, { id: identity.id })).recordRotation;
    const nextDue = new Date(rotated.nextRotationAt);
    await run(plus(nextDue, -30 * DAY + HOUR));
    const rows = await remindersOf(identity.id);
    expect(rows).toHaveLength(4);
    expect(rows[3]).toEqual(['ROTATION_DUE', 30, nextDue.toISOString(), plus(nextDue, -30 * DAY + HOUR).toISOString()]);
  });

  test('the earlier of expiry and interval is the date; a planned reminder whose date moved is dropped, not fired', async () => {
    const owner = await createOwner(app);
    const t0 = new Date();
    const expires = plus(t0, 20 * DAY);
    const identity = await createNhi({ ownerId: owner.id, rotationIntervalDays: 365, lastRotatedAt: plus(t0, -DAY).toISOString(), expiresAt: expires.toISOString() });
    await run(plus(expires, -7 * DAY - HOUR));
    // the planned lead-30 reminder is current (due at expiresAt) and fires now
    expect((await remindersOf(identity.id)).map((r) => [r[1], r[2]])).toEqual([[30, expires.toISOString()]]);
    // an unfired reminder whose subject moved is deleted rather than fired
    await app.sql("INSERT INTO reminder (id, kind, subject_type, subject_id, scope_ids, owner_id, due_at, lead_days) VALUES (gen_random_uuid(), 'ROTATION_DUE', 'ASSET', $1, '{}', $2, $3, 7)",
      [identity.id, owner.id, expires]);
    ok(await app.gql(ROTATE, { id: identity.id, expiresAt: plus(t0, 400 * DAY).toISOString() }));
    await run(plus(expires, -7 * DAY + HOUR));
    expect((await remindersOf(identity.id)).map((r) => r[1])).toEqual([30]);
  });

  test('revoked, archived, ownerless and unmanaged identities and other assets get no rotation reminder', async () => {
    const owner = await createOwner(app);
    const overdue = { ownerId: owner.id, rotationIntervalDays: 10, lastRotatedAt: daysFromNow(-30) };
    const revoked = await createNhi(overdue);
    ok(await app.gql(REVOKE, { id: revoked.id, reason: 'gone' }));
    const archived = await createNhi(overdue);
    ok(await app.gql(ARCHIVE, { id: archived.id }));
    const ownerless = await createNhi({ ...overdue, ownerId: null });
    const unmanaged = await createNhi({ ownerId: owner.id });
    const application = await create({ kind: 'APPLICATION', ownerId: owner.id });
    const due = await createNhi(overdue);
    await run(new Date());
    for (const id of [revoked.id, archived.id, ownerless.id, unmanaged.id, application.id]) expect(await remindersOf(id)).toEqual([]);
    expect((await remindersOf(due.id)).map((r) => [r[0], r[1]])).toEqual([['ROTATION_DUE', 0]]);
  });
});

describe('a scope-restricted key', () => {
  let a: string;
  let b: string;
  let writer: string;
  let reader: string;
  let mine: any;
  let theirs: any;
  let shared: any;
  let p: string;
  beforeAll(async () => {
    p = prefix();
    a = (await createScope(app)).id;
    b = (await createScope(app)).id;
    writer = (await app.createKey([Permission.ISMS_WRITE], { scopeIds: [a] })).secret;
    reader = (await app.createKey([Permission.ISMS_READ], { scopeIds: [a] })).secret;
    mine = await createNhi({ name: `${p} mine`, scopeIds: [a] });
    theirs = await createNhi({ name: `${p} theirs`, scopeIds: [b] });
    shared = await createNhi({ name: `${p} shared`, scopeIds: [a, b] });
    await create({ name: `${p} unscoped`, kind: 'APPLICATION' });
  });

  test('sees assets with one of its scopes: NOT_FOUND on direct access, omitted from lists and totals, other scopes hidden', async () => {
    expectFailure(await app.gql(GET, { id: theirs.id }, reader), 'NOT_FOUND');
    expect(ok(await app.gql(GET, { id: mine.id }, reader)).asset.id).toBe(mine.id);
    expect(sorted(await idsOf({ search: p }, reader))).toEqual(sorted([mine.id, shared.id]));
    expect(sorted(await idsOf({ search: p, scopeIds: [b] }, reader))).toEqual([shared.id]);
    expect(ok(await app.gql(GET, { id: shared.id }, reader)).asset.scopes).toEqual([{ id: a }]);
    expect((await idsOf({ search: p })).length).toBe(4);
  });

  test('writes: NOT_FOUND outside its scopes, FORBIDDEN for scopes, consumers and risks of other scopes; nothing written', async () => {
    const application = await create({ kind: 'APPLICATION', scopeIds: [b] });
    const riskB = await createRisk(app, { scopeId: b });
    const before = await rowCounts();
    expectFailure(await app.gql(UPDATE, { id: theirs.id, v: 1, input: { name: 'x' } }, writer), 'NOT_FOUND');
    expectFailure(await app.gql(ARCHIVE, { id: theirs.id }, writer), 'NOT_FOUND');
    expectFailure(await app.gql(ROTATE, { id: theirs.id }, writer), 'NOT_FOUND');
    expectFailure(await app.gql(REVOKE, { id: theirs.id, reason: 'x' }, writer), 'NOT_FOUND');
    expectFailure(await app.gql(CREATE, { input: { name: 'x', kind: 'SERVICE', scopeIds: [b] } }, writer), 'FORBIDDEN');
    expectFailure(await app.gql(CREATE, { input: { name: 'x', kind: 'SERVICE', scopeIds: [a, b] } }, writer), 'FORBIDDEN');
    expectFailure(await app.gql(CREATE, { input: { name: 'x', kind: 'SERVICE' } }, writer), 'FORBIDDEN');
    expectFailure(await app.gql(CREATE, { input: { name: 'x', kind: 'NON_HUMAN_IDENTITY', nhiKind: 'SECRET', scopeIds: [a], consumerIds: [application.id] } }, writer), 'FORBIDDEN');
    expectFailure(await app.gql('mutation($a: ID!, $s: ID!) { linkAssetToScope(assetId: $a, scopeId: $s) { id } }', { a: mine.id, s: b }, writer), 'FORBIDDEN');
    expectFailure(await app.gql('mutation($r: ID!, $a: ID!) { linkRiskToAsset(riskId: $r, assetId: $a) { id } }', { r: riskB.id, a: mine.id }, writer), 'FORBIDDEN');
    expect(await rowCounts()).toEqual(before);
    // within its scopes it writes
    const created = await create({ name: `${p} own`, kind: 'SERVICE', scopeIds: [a] }, writer);
    expect(ok(await app.gql(UPDATE, { id: shared.id, v: shared.version, input: { criticality: 'HIGH' } }, writer)).updateAsset.criticality).toBe('HIGH');
    expect(created.scopes).toEqual([{ id: a }]);
  });

  test('nested lists leave out what it cannot see', async () => {
    const applicationB = await create({ kind: 'APPLICATION', scopeIds: [b] });
    const applicationA = await create({ kind: 'APPLICATION', scopeIds: [a] });
    const identity = await createNhi({ scopeIds: [a], consumerIds: [applicationA.id, applicationB.id] });
    const riskA = await createRisk(app, { scopeId: a });
    ok(await app.gql('mutation($r: ID!, $a: ID!) { linkRiskToAsset(riskId: $r, assetId: $a) { id } }', { r: riskA.id, a: identity.id }));
    ok(await app.gql('mutation($r: ID!, $a: ID!) { linkRiskToAsset(riskId: $r, assetId: $a) { id } }', { r: riskA.id, a: theirs.id }));
    expect(ok(await app.gql('query($id: ID!) { asset(id: $id) { consumers { id } } }', { id: identity.id }, reader)).asset.consumers).toEqual([{ id: applicationA.id }]);
    expect(ok(await app.gql('query($id: ID!) { risk(id: $id) { assets { id } } }', { id: riskA.id }, reader)).risk.assets).toEqual([{ id: identity.id }]);
  });
});

describe('permissions', () => {
  test('reading needs isms:read, writing isms:write; no key is UNAUTHENTICATED', async () => {
    const identity = await createNhi();
    const readOnly = (await app.createKey([Permission.ISMS_READ])).secret;
    const treatment = (await app.createKey([Permission.TREATMENT_WRITE])).secret;
    const catalog = (await app.createKey([Permission.CATALOG_WRITE])).secret;
    const writer = (await app.createKey([Permission.ISMS_WRITE])).secret;
    const before = await rowCounts();
    for (const key of [readOnly, treatment, catalog]) {
      expectFailure(await app.gql(CREATE, { input: { name: 'x', kind: 'SERVICE' } }, key), 'FORBIDDEN');
      expectFailure(await app.gql(UPDATE, { id: identity.id, v: 1, input: { name: 'x' } }, key), 'FORBIDDEN');
      expectFailure(await app.gql(ROTATE, { id: identity.id }, key), 'FORBIDDEN');
      expectFailure(await app.gql(REVOKE, { id: identity.id, reason: 'x' }, key), 'FORBIDDEN');
      expectFailure(await app.gql(ARCHIVE, { id: identity.id }, key), 'FORBIDDEN');
    }
    expectFailure(await app.gql(GET, { id: identity.id }, catalog), 'FORBIDDEN');
    expect(errorCode(await app.gql(GET, { id: identity.id }, null))).toBe('UNAUTHENTICATED');
    expect(errorCode(await app.gql(CREATE, { input: { name: 'x', kind: 'SERVICE' } }, null))).toBe('UNAUTHENTICATED');
    expect(await rowCounts()).toEqual(before);
    expect(ok(await app.gql(GET, { id: identity.id }, readOnly)).asset.id).toBe(identity.id);
    expect(ok(await app.gql(ROTATE, { id: identity.id }, writer)).recordRotation.version).toBe(2);
  });
});

describe('no N+1', () => {
  test('assets { owner scopes consumers lifecycle risks controls } runs the same statements for 5 and for 50 assets', async () => {
    const p = prefix();
    const scope = await createScope(app);
    const consumer = await create({ kind: 'APPLICATION', scopeIds: [scope.id] });
    const risk = await createRisk(app, { scopeId: scope.id });
    const query = `query($q: String) { assets(filter: { search: $q }, first: 100) { totalCount edges { node {
      id nextRotationAt owner { id name } scopes { id key } consumers { id name owner { id } } lifecycle { kind at } risks { id } controls { id } } } } }`;
    const statements: number[] = [];
    let made = 0;
    for (const n of [5, 50]) {
      while (made < n) {
        const owner = made % 3 === 0 ? null : (await createOwner(app)).id;
        const identity = await createNhi({ name: `${p} ${String(made).padStart(3, '0')}`, scopeIds: [scope.id], ownerId: owner, consumerIds: [consumer.id], rotationIntervalDays: 30 });
        if (made % 2 === 0) ok(await app.gql(ROTATE, { id: identity.id }));
        ok(await app.gql('mutation($r: ID!, $a: ID!) { linkRiskToAsset(riskId: $r, assetId: $a) { id } }', { r: risk.id, a: identity.id }));
        made += 1;
      }
      const res = await app.gql(query, { q: p });
      const edges = ok(res).assets.edges;
      expect(edges).toHaveLength(n);
      expect(edges[0].node.lifecycle.length).toBeGreaterThan(0);
      expect(edges[0].node.consumers).toEqual([{ id: consumer.id, name: consumer.name, owner: null }]);
      statements.push(res.statements);
    }
    expect(Number.isFinite(statements[0])).toBe(true);
    expect(statements[1]).toBe(statements[0]);
  });
});
