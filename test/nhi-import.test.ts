import { randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type GqlResponse, type TestApp } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { Permission } from '../src/auth/permissions';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const DAY = 86_400_000;
const daysFromNow = (days: number) => new Date(Date.now() + days * DAY).toISOString();
let seq = 0;
/** A source system no other test of this file uses. */
const source = () => `src${++seq}-${randomUUID().slice(0, 6)}`;

const IMPORT = `mutation($input: ImportNonHumanIdentitiesInput!) {
  importNonHumanIdentities(input: $input) { rowsRead created updated unchanged ignoredFields } }`;
const FIELDS = `id name kind nhiKind externalId sourceSystem environments privileged humanUse lastRotatedAt rotationIntervalDays expiresAt lastUsedAt
  version owner { id } scopes { id } consumers { id } lifecycle(first: 5) { kind notes }`;
const BY_SOURCE = `query($s: String) { assets(filter: { sourceSystem: $s, includeRevoked: true, includeArchived: true }, first: 100) { edges { node { ${FIELDS} } } } }`;

async function rowCounts(): Promise<Record<string, number>> {
  const [row] = await app.sql(`SELECT (SELECT count(*) FROM asset)::int AS assets, (SELECT coalesce(sum(version), 0) FROM asset)::int AS versions,
    (SELECT count(*) FROM asset_scope)::int AS scopes, (SELECT count(*) FROM asset_consumer)::int AS consumers,
    (SELECT count(*) FROM asset_lifecycle_event)::int AS lifecycle, (SELECT count(*) FROM audit_event)::int AS audits`);
  return row as Record<string, number>;
}

async function importDoc(input: Record<string, unknown>, key?: string | null): Promise<GqlResponse> {
  return app.gql(IMPORT, { input: { format: 'JSON', ...input, document: typeof input.document === 'string' ? input.document : JSON.stringify(input.document) } }, key);
}

async function bySource(sourceSystem: string): Promise<Map<string, any>> {
  const edges = ok(await app.gql(BY_SOURCE, { s: sourceSystem })).assets.edges;
  return new Map(edges.map((e: any) => [e.node.externalId, e.node]));
}

/** A fault of an import: BAD_USER_INPUT naming the place, and not a row written. */
async function expectFault(input: Record<string, unknown>, place: { path?: string; line?: number }, message?: RegExp | null): Promise<void> {
  const before = await rowCounts();
  const res = await importDoc(input);
  expect(errorCode(res)).toBe('BAD_USER_INPUT');
  expect(res.data).toBeNull();
  const extensions = res.errors![0].extensions;
  if (place.path !== undefined) expect(extensions.path).toBe(place.path);
  if (place.line !== undefined) expect(extensions.line).toBe(place.line);
  if (message) expect(res.errors![0].message).toMatch(message);
  expect(await rowCounts()).toEqual(before);
}

describe('importing a JSON export', () => {
  test('creates, then an identical re-import changes nothing, then a changed row updates only that identity', async () => {
    const sourceSystem = source();
    const alice = await createOwner(app, { name: `Alice ${sourceSystem}`, email: `alice.${sourceSystem}@example.com` });
    const team = await createOwner(app, { kind: 'TEAM', name: `Platform ${sourceSystem}` });
    const fallback = await createOwner(app);
    const scope = await createScope(app);
    const billing = ok(await app.gql('mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }', { i: { name: `billing-${sourceSystem}`, kind: 'APPLICATION', scopeIds: [scope.id] } })).createAsset;
    const ledger = ok(await app.gql('mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }', { i: { name: 'Ledger', kind: 'SERVICE', externalId: `svc-${sourceSystem}`, sourceSystem: 'cmdb', scopeIds: [scope.id] } })).createAsset;

    const rows = [
      { id: 'sa-1', name: 'deployer', type: 'service_account', owner: `ALICE.${sourceSystem}@example.com`, environments: ['production', 'Staging'], consumers: [`billing-${sourceSystem}`, `svc-${sourceSystem}`], privileged: true, humanUse: false, lastRotated: '2025-01-31', rotationDays: 90, expires: '2026-01-31T00:00:00Z', lastUsed: '2025-06-01T12:00:00Z' },
      { id: 'key-2', name: 'stripe key', type: 'API_KEY', owner: `platform ${sourceSystem}`, environments: ['prod'], consumers: [], privileged: false, humanUse: true, lastRotated: null, rotationDays: 30 },
      { id: 'cert-3', type: 'Certificate', expires: '2025-12-31' },
      { id: 'agent-4', name: 'triage bot', type: 'ai-agent', environments: 'dev;test', consumers: `billing-${sourceSystem}`, privileged: 'yes', rotation_days: '14', last_used_at: '2025-05-01T00:00:00+02:00', color: 'blue' },
    ];
    const input = { document: rows, sourceSystem, scopeIds: [scope.id], ownerId: fallback.id };
    const first = ok(await importDoc(input)).importNonHumanIdentities;
    expect(first).toEqual({ rowsRead: 4, created: 4, updated: 0, unchanged: 0, ignoredFields: ['color'] });

    const assets = await bySource(sourceSystem);
    expect(assets.get('sa-1')).toMatchObject({
      name: 'deployer', kind: 'NON_HUMAN_IDENTITY', nhiKind: 'SERVICE_ACCOUNT', environments: ['PRODUCTION', 'STAGING'], privileged: true, humanUse: false,
      lastRotatedAt: '2025-01-31T00:00:00.000Z', rotationIntervalDays: 90, expiresAt: '2026-01-31T00:00:00.000Z', lastUsedAt: '2025-06-01T12:00:00.000Z',
      version: 1, owner: { id: alice.id }, scopes: [{ id: scope.id }], lifecycle: [{ kind: 'IMPORTED', notes: `Imported from ${sourceSystem}` }],
    });
    expect(assets.get('sa-1').consumers.map((c: any) => c.id).sort()).toEqual([billing.id, ledger.id].sort());
    expect(assets.get('key-2')).toMatchObject({ nhiKind: 'API_KEY', owner: { id: team.id }, environments: ['PRODUCTION'], humanUse: true, lastRotatedAt: null, rotationIntervalDays: 30, consumers: [] });
    expect(assets.get('cert-3')).toMatchObject({ name: 'cert-3', nhiKind: 'CERTIFICATE', owner: { id: fallback.id }, expiresAt: '2025-12-31T00:00:00.000Z', environments: [], privileged: false });
    expect(assets.get('agent-4')).toMatchObject({ nhiKind: 'AI_AGENT', environments: ['DEVELOPMENT', 'TEST'], privileged: true, rotationIntervalDays: 14, lastUsedAt: '2025-04-30T22:00:00.000Z', consumers: [{ id: billing.id }] });
    const audits = await app.sql("SELECT entity_type, scope_ids FROM audit_event WHERE operation = 'importNonHumanIdentities' AND entity_id = ANY($1::uuid[])", [[...assets.values()].map((a) => a.id)]);
    expect(audits).toHaveLength(4);
    for (const a of audits) expect(a).toEqual({ entity_type: 'ASSET', scope_ids: [scope.id] });

    // the same document again: nothing written at all
    const before = await rowCounts();
    expect(ok(await importDoc(input)).importNonHumanIdentities).toMatchObject({ rowsRead: 4, created: 0, updated: 0, unchanged: 4 });
    expect(await rowCounts()).toEqual(before);
    // keys in another order, dates in another spelling, environments in another order: still the same identities
    const reordered = [rows[3], rows[2], rows[1], { ...rows[0], environments: ['STAGING', 'prod'], lastRotated: '2025-01-31T00:00:00.000Z' }];
    expect(ok(await importDoc({ ...input, document: { items: reordered } })).importNonHumanIdentities).toMatchObject({ created: 0, updated: 0, unchanged: 4 });
    expect(await rowCounts()).toEqual(before);

    // one identity rotated and lost a consumer: only it changes
    const changed = [{ ...rows[0], lastRotated: '2025-04-30', consumers: [`billing-${sourceSystem}`] }, rows[1], rows[2], rows[3]];
    expect(ok(await importDoc({ ...input, document: changed })).importNonHumanIdentities).toMatchObject({ created: 0, updated: 1, unchanged: 3 });
    const after = await bySource(sourceSystem);
    expect(after.get('sa-1')).toMatchObject({ version: 2, lastRotatedAt: '2025-04-30T00:00:00.000Z', consumers: [{ id: billing.id }] });
    expect(after.get('sa-1').lifecycle).toEqual([
      { kind: 'UPDATED', notes: `Import from ${sourceSystem} changed lastRotatedAt, consumers` },
      { kind: 'IMPORTED', notes: `Imported from ${sourceSystem}` },
    ]);
    for (const id of ['key-2', 'cert-3', 'agent-4']) expect(after.get(id).version).toBe(1);
    const counts = await rowCounts();
    expect(counts.audits).toBe(before.audits + 1);
    expect(counts.lifecycle).toBe(before.lifecycle + 1);
    expect(counts.assets).toBe(before.assets);
  });

  test('a row without owner keeps the owner an identity was given in the ISMS; a new row in the document is created', async () => {
    const sourceSystem = source();
    const scope = await createScope(app);
    const doc = [{ id: 'a', type: 'secret' }];
    ok(await importDoc({ document: doc, sourceSystem, scopeIds: [scope.id] }));
    const created = (await bySource(sourceSystem)).get('a');
    expect(created.owner).toBeNull();
    const owner = await createOwner(app);
    ok(await app.gql('mutation($id: ID!, $o: ID!) { updateAsset(id: $id, input: { ownerId: $o }, expectedVersion: 1) { id } }', { id: created.id, o: owner.id }));
    const result = ok(await importDoc({ document: [...doc, { id: 'b', type: 'secret' }], sourceSystem, scopeIds: [scope.id] })).importNonHumanIdentities;
    expect(result).toMatchObject({ created: 1, updated: 0, unchanged: 1 });
    expect((await bySource(sourceSystem)).get('a')).toMatchObject({ version: 2, owner: { id: owner.id } });
    // the same id from another source system is another identity
    expect(ok(await importDoc({ document: doc, sourceSystem: `${sourceSystem}-other`, scopeIds: [scope.id] })).importNonHumanIdentities.created).toBe(1);
  });

  test('an empty document imports nothing', async () => {
    const before = await rowCounts();
    expect(ok(await importDoc({ document: [], sourceSystem: source() })).importNonHumanIdentities).toEqual({ rowsRead: 0, created: 0, updated: 0, unchanged: 0, ignoredFields: [] });
    expect(await rowCounts()).toEqual(before);
  });
});

describe('importing a CSV export', () => {
  test('the same columns as JSON; lists separated by ; or |; a re-import is unchanged; a changed line updates', async () => {
    const sourceSystem = source();
    const owner = await createOwner(app, { email: `csv.${sourceSystem}@example.com` });
    const appAsset = ok(await app.gql('mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }', { i: { name: `web-${sourceSystem}`, kind: 'APPLICATION' } })).createAsset;
    const csv = [
      'ID,Name,Type,Owner,Environments,Consumers,Privileged,Human Use,Last Rotated,Rotation Days,Expires,Last Used,Notes',
      `vault-1,"db password, primary",secret,csv.${sourceSystem}@example.com,production|staging,web-${sourceSystem},true,false,2025-02-01,60,,2025-06-01T00:00:00Z,ignored`,
      'vault-2,ci token,api_key,,dev,,,,,,2026-06-30,,',
      '',
    ].join('\r\n');
    const input = { document: csv, format: 'CSV', sourceSystem };
    expect(ok(await importDoc(input)).importNonHumanIdentities).toEqual({ rowsRead: 2, created: 2, updated: 0, unchanged: 0, ignoredFields: ['notes'] });
    const assets = await bySource(sourceSystem);
    expect(assets.get('vault-1')).toMatchObject({
      name: 'db password, primary', nhiKind: 'SECRET', owner: { id: owner.id }, environments: ['PRODUCTION', 'STAGING'], consumers: [{ id: appAsset.id }],
      privileged: true, humanUse: false, lastRotatedAt: '2025-02-01T00:00:00.000Z', rotationIntervalDays: 60, expiresAt: null, lastUsedAt: '2025-06-01T00:00:00.000Z',
    });
    expect(assets.get('vault-2')).toMatchObject({ name: 'ci token', nhiKind: 'API_KEY', owner: null, environments: ['DEVELOPMENT'], expiresAt: '2026-06-30T00:00:00.000Z', rotationIntervalDays: null });

    const before = await rowCounts();
    expect(ok(await importDoc(input)).importNonHumanIdentities).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
    expect(await rowCounts()).toEqual(before);
    const changed = csv.replace('vault-2,ci token,api_key,,dev', 'vault-2,ci token,api_key,,dev;test');
    expect(ok(await importDoc({ ...input, document: changed })).importNonHumanIdentities).toMatchObject({ created: 0, updated: 1, unchanged: 1 });
    expect((await bySource(sourceSystem)).get('vault-2')).toMatchObject({ version: 2, environments: ['DEVELOPMENT', 'TEST'] });
  });
});

describe('all or nothing: the faulty row is named, nothing is written', () => {
  const good = (i: number) => ({ id: `ok-${i}`, name: `identity ${i}`, type: 'api_key' });
  const withRow = (index: number, row: Record<string, unknown>) => [good(0), good(1), good(2), good(3), good(4)].map((r, i) => (i === index ? row : r));

  // every case has four entries: jest hands a shorter row `done` in place of the missing one
  const jsonCases: Array<[string, () => unknown, string, RegExp | null]> = [
    ['an unknown type', () => withRow(3, { id: 'x', type: 'password' }), '[3].type', /not a non-human identity type/],
    ['a missing type', () => withRow(1, { id: 'x' }), '[1].type', null],
    ['a missing id', () => withRow(2, { name: 'x', type: 'secret' }), '[2].id', null],
    ['an id that is an object', () => withRow(0, { id: { v: 1 }, type: 'secret' }), '[0].id', null],
    ['a repeated id', () => withRow(4, { id: 'ok-1', type: 'secret' }), '[4].id', /appears twice/],
    ['an unknown environment', () => withRow(2, { ...good(2), environments: ['production', 'qa'] }), '[2].environments[1]', null],
    ['an unknown owner', () => withRow(1, { ...good(1), owner: 'nobody@example.com' }), '[1].owner', /No active owner/],
    ['an unknown consumer', () => withRow(3, { ...good(3), consumers: ['no-such-app'] }), '[3].consumers[0]', null],
    ['a date that is no date', () => withRow(1, { ...good(1), lastRotated: '31/01/2025' }), '[1].lastRotated', null],
    ['a date that does not exist', () => withRow(1, { ...good(1), expires: '2025-02-30' }), '[1].expires', null],
    ['a rotation in the future', () => withRow(0, { ...good(0), lastRotated: daysFromNow(3) }), '[0].lastRotated', /in the future/],
    ['a rotation interval of 0', () => withRow(4, { ...good(4), rotationDays: 0 }), '[4].rotationDays', null],
    ['a fractional rotation interval', () => withRow(4, { ...good(4), rotationDays: 1.5 }), '[4].rotationDays', null],
    ['privileged that is no boolean', () => withRow(2, { ...good(2), privileged: 'maybe' }), '[2].privileged', null],
    ['a row that is no object', () => withRow(3, 'sa-3' as never), '[3]', null],
    ['a key given twice under two names', () => withRow(1, { ...good(1), kind: 'secret' }), '[1].kind', null],
    ['an oversize name', () => withRow(1, { ...good(1), name: 'n'.repeat(201) }), '[1].name', null],
  ];
  test.each(jsonCases)('JSON with %s', async (_name, document, path, message) => {
    await expectFault({ document: document(), sourceSystem: source() }, { path }, message);
  });

  test('the { items } form names items[i]', async () => {
    await expectFault({ document: { items: withRow(2, { id: 'x', type: 'token' }) }, sourceSystem: source() }, { path: 'items[2].type' });
  });

  test('a document that is not JSON names $ and the line; one of another shape names $', async () => {
    await expectFault({ document: '[\n  {"id": "a", "type": "secret"},\n  {"id": "b" "type": "secret"}\n]', sourceSystem: source() }, { path: '$', line: 3 });
    await expectFault({ document: { identities: [] }, sourceSystem: source() }, { path: '$' });
  });

  test('a consumer that is an identity, and an identity id that belongs to another kind of asset', async () => {
    const sourceSystem = source();
    ok(await importDoc({ document: [{ id: 'nhi-a', name: `nhi-a-${sourceSystem}`, type: 'secret' }], sourceSystem }));
    await expectFault({ document: [good(0), { ...good(1), consumers: [`nhi-a-${sourceSystem}`] }], sourceSystem }, { path: '[1].consumers[0]' }, /consumers must be APPLICATION or SERVICE/);
    ok(await app.gql('mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }', { i: { name: 'app', kind: 'APPLICATION', externalId: 'app-x', sourceSystem } }));
    await expectFault({ document: [good(0), { id: 'app-x', type: 'secret' }], sourceSystem }, { path: '[1].id' }, /APPLICATION asset, not a non-human identity/);
  });

  test('an owner name two owners share is ambiguous', async () => {
    const name = `Twin ${randomUUID()}`;
    await createOwner(app, { name });
    await createOwner(app, { name });
    await expectFault({ document: [good(0), { ...good(1), owner: name }], sourceSystem: source() }, { path: '[1].owner' }, /2 owners/);
  });

  test('a failing row after rows that would update writes nothing either', async () => {
    const sourceSystem = source();
    ok(await importDoc({ document: [good(0), good(1)], sourceSystem }));
    await expectFault({ document: [{ ...good(0), name: 'renamed' }, { ...good(1), privileged: true }, { id: 'new', type: 'bogus' }], sourceSystem }, { path: '[2].type' });
    const assets = await bySource(sourceSystem);
    expect(assets.get('ok-0')).toMatchObject({ name: 'identity 0', version: 1 });
    expect(assets.has('new')).toBe(false);
  });

  const header = 'id,name,type,environments,rotationDays';
  const csvCases: Array<[string, string, number]> = [
    ['an unknown type on line 3', `${header}\na,A,secret,,\nb,B,token,,\nc,C,secret,,`, 3],
    ['an unknown environment on line 4', `${header}\na,A,secret,,\nb,B,secret,prod,\nc,C,secret,prod;uat,`, 4],
    ['a rotation interval that is no number on line 2', `${header}\na,A,secret,,ninety\n`, 2],
    ['a repeated id on line 3', `${header}\na,A,secret,,\na,B,secret,,`, 3],
    ['a missing id on line 2', `${header}\n,A,secret,,\n`, 2],
    ['an unclosed quote on line 2', `${header}\n"a,A,secret,,\n`, 2],
    ['a header without an id column', 'name,type\nA,secret\n', 1],
    ['a header without a type column', 'id,name\na,A\n', 1],
    ['more fields than the header on line 2', `${header}\na,A,secret,,30,extra\n`, 2],
  ];
  test.each(csvCases)('CSV with %s', async (_name, document, line) => {
    await expectFault({ document, format: 'CSV', sourceSystem: source() }, { line });
  });

  test('input faults: blank sourceSystem, unknown scope or owner', async () => {
    const before = await rowCounts();
    const doc = JSON.stringify([good(0)]);
    const res1 = await app.gql(IMPORT, { input: { document: doc, format: 'JSON', sourceSystem: '  ' } });
    expect([errorCode(res1), res1.errors![0].extensions.field]).toEqual(['BAD_USER_INPUT', 'sourceSystem']);
    const res2 = await app.gql(IMPORT, { input: { document: doc, format: 'JSON', sourceSystem: source(), scopeIds: [randomUUID()] } });
    expect([errorCode(res2), res2.errors![0].extensions.field]).toEqual(['BAD_USER_INPUT', 'scopeIds']);
    const res3 = await app.gql(IMPORT, { input: { document: doc, format: 'JSON', sourceSystem: source(), ownerId: randomUUID() } });
    expect([errorCode(res3), res3.errors![0].extensions.field]).toEqual(['BAD_USER_INPUT', 'ownerId']);
    expect(await rowCounts()).toEqual(before);
  });
});

describe('access', () => {
  test('a scope-restricted key imports into its scopes; other scopes and their identities are FORBIDDEN; consumers it cannot see are unknown', async () => {
    const a = (await createScope(app)).id;
    const b = (await createScope(app)).id;
    const writer = (await app.createKey([Permission.ISMS_WRITE], { scopeIds: [a] })).secret;
    const sourceSystem = source();
    ok(await importDoc({ document: [{ id: 'theirs', type: 'secret' }], sourceSystem, scopeIds: [b] }));
    const hidden = ok(await app.gql('mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }', { i: { name: `hidden-${sourceSystem}`, kind: 'APPLICATION', scopeIds: [b] } })).createAsset;
    expect(hidden.id).toBeDefined();

    const before = await rowCounts();
    expect(errorCode(await importDoc({ document: [{ id: 'mine', type: 'secret' }], sourceSystem, scopeIds: [b] }, writer))).toBe('FORBIDDEN');
    expect(errorCode(await importDoc({ document: [{ id: 'mine', type: 'secret' }], sourceSystem }, writer))).toBe('FORBIDDEN');
    const touching = await importDoc({ document: [{ id: 'mine', type: 'secret' }, { id: 'theirs', type: 'secret' }], sourceSystem, scopeIds: [a] }, writer);
    expect(errorCode(touching)).toBe('FORBIDDEN');
    expect(touching.errors![0].extensions.path).toBe('[1].id');
    const consumer = await importDoc({ document: [{ id: 'mine', type: 'secret', consumers: [`hidden-${sourceSystem}`] }], sourceSystem, scopeIds: [a] }, writer);
    expect([errorCode(consumer), consumer.errors![0].extensions.path]).toEqual(['BAD_USER_INPUT', '[0].consumers[0]']);
    expect(await rowCounts()).toEqual(before);

    expect(ok(await importDoc({ document: [{ id: 'mine', type: 'secret' }], sourceSystem, scopeIds: [a] }, writer)).importNonHumanIdentities.created).toBe(1);
    expect((await bySource(sourceSystem)).get('mine').scopes).toEqual([{ id: a }]);
  });

  test('importing needs isms:write', async () => {
    // keys first: issuing one may record it in the inventory
    const keys = [];
    for (const permission of [Permission.ISMS_READ, Permission.CATALOG_WRITE, Permission.TREATMENT_WRITE]) keys.push((await app.createKey([permission])).secret);
    const before = await rowCounts();
    for (const key of keys) {
      expect(errorCode(await importDoc({ document: [{ id: 'x', type: 'secret' }], sourceSystem: source() }, key))).toBe('FORBIDDEN');
    }
    expect(errorCode(await importDoc({ document: [{ id: 'x', type: 'secret' }], sourceSystem: source() }, null))).toBe('UNAUTHENTICATED');
    expect(await rowCounts()).toEqual(before);
  });
});
