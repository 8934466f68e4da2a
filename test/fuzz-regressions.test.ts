import { startTestApp, ok, errorCode, type TestApp, type GqlResponse } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { REQUEST_EXCEPTION, createControl } from './helpers/core-factories';

/**
 * Inputs the mutation fuzz test (test/mutation-fuzz.test.ts) found answered INTERNAL, pinned one
 * by one: each is now BAD_USER_INPUT naming the fault, and writes nothing.
 */

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

/** Rows of the tables a refused write could touch, and of the audit log and outbox. */
async function counts(): Promise<Record<string, number>> {
  const tables = ['owner', 'scope', 'framework', 'requirement', 'treatment_task', 'exception', 'exception_compensating_control', 'asset', 'scope_framework', 'idempotency_key', 'audit_event', 'outbox_event'];
  const rows: Array<{ t: string; n: number }> = await app.sql(tables.map((t) => `SELECT '${t}' AS t, count(*)::int AS n FROM ${t}`).join(' UNION ALL '));
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

/** The request is BAD_USER_INPUT (naming `field` / `path` when given) and nothing was written. */
async function refused(send: () => Promise<GqlResponse>, place: { field?: string; path?: string; line?: number; message?: RegExp } = {}): Promise<void> {
  const before = await counts();
  const res = await send();
  expect({ code: errorCode(res), message: res.errors?.[0]?.message }).toEqual({ code: 'BAD_USER_INPUT', message: expect.any(String) });
  const extensions = res.errors![0].extensions;
  if (place.field) expect(extensions.field).toBe(place.field);
  if (place.path) expect(extensions.path).toBe(place.path);
  if (place.line) expect(extensions.line).toBe(place.line);
  if (place.message) expect(res.errors![0].message).toMatch(place.message);
  expect(await counts()).toEqual(before);
}

describe('a NUL character (PostgreSQL text cannot hold one)', () => {
  test('in a String field of an input', async () => {
    await refused(() => app.gql('mutation($i: CreateOwnerInput!) { createOwner(input: $i) { id } }', { i: { kind: 'PERSON', name: 'a\u0000b' } }), { field: 'name', message: /NUL/ });
    const owner = await createOwner(app);
    await refused(() => app.gql('mutation($id: ID!, $i: UpdateOwnerInput!) { updateOwner(id: $id, input: $i, expectedVersion: 1) { id } }', { id: owner.id, i: { email: 'a\u0000@example.com' } }), { field: 'email' });
    // fields that had length rules only
    await refused(() => app.gql('mutation($i: CreateFrameworkInput!) { createFramework(input: $i) { id } }', { i: { key: 'nul-fw', version: '1', name: 'F', kind: 'CONTROL_CATALOG', publisher: '\u0000' } }), { field: 'publisher' });
    await refused(() => app.gql('mutation($i: CreateScopeInput!) { createScope(input: $i) { id } }', { i: { key: 'nul-scope', name: 'S', certification: 'CERTIFIABLE', ownerId: owner.id, inclusions: ['ok', 'x\u0000'] } }), { field: 'inclusions' });
  });

  test('in a plain argument: idempotencyKey, a framework key, an import name', async () => {
    await refused(() => app.gql('mutation($i: CreateOwnerInput!, $k: String) { createOwner(input: $i, idempotencyKey: $k) { id } }', { i: { kind: 'TEAM', name: 'Team' }, k: 'k\u0000' }), { field: 'idempotencyKey' });
    const scope = await createScope(app);
    await refused(() => app.gql('mutation($s: ID!, $f: String!) { dropFramework(scopeId: $s, frameworkKey: $f) { id } }', { s: scope.id, f: 'iso\u0000' }), { field: 'frameworkKey' });
    await refused(() => app.gql('mutation($s: ID!, $f: String!) { adoptFramework(scopeId: $s, frameworkKey: $f) { id } }', { s: scope.id, f: 'iso\u0000' }), { field: 'frameworkKey' });
    const oscal = JSON.stringify({ catalog: { uuid: '5e1ed0c2-3b41-4f3e-9a52-1d8c2a0f7b11', metadata: { title: 'T', version: '1', 'oscal-version': '1.1.2' }, controls: [{ id: 'c-1', title: 'One' }] } });
    await refused(() => app.gql('mutation($d: String!, $n: String) { importOscalCatalog(document: $d, frameworkKey: "nul-import", name: $n) { requirementsCreated } }', { d: oscal, n: 'a\u0000' }), { field: 'name' });
  });

  test('inside an imported document: a JSON string, a CSV cell, a YAML string', async () => {
    const nhi = JSON.stringify([{ id: 'sa-1', name: 'deploy\u0000er', type: 'service_account' }]);
    await refused(() => app.gql('mutation($i: ImportNonHumanIdentitiesInput!) { importNonHumanIdentities(input: $i) { created } }', { i: { document: nhi, format: 'JSON', sourceSystem: 'vault' } }), { path: '[0].name' });
    await refused(() => app.gql('mutation($i: ImportNonHumanIdentitiesInput!) { importNonHumanIdentities(input: $i) { created } }', { i: { document: 'id,type\nsa-1,secret\nsa-2,sec\u0000ret\n', format: 'CSV', sourceSystem: 'vault' } }), { field: 'document' });
    ok(await app.gql('mutation { createFramework(input: { key: "nul-csv", version: "1", name: "CSV", kind: CONTROL_CATALOG }) { id } }'));
    await refused(() => app.gql('mutation($d: String!) { importRequirementsCsv(frameworkKey: "nul-csv", document: $d) { requirementsCreated } }', { d: 'code,title\nA-1,Fine\nA-2,Bro\u0000ken\n' }), { line: 3 });
    const yaml = 'objects:\n  requirement_mapping_set:\n    requirement_mappings:\n      - source_requirement_urn: "urn:x:5.1\\0"\n        target_requirement_urn: urn:x:A.5.1\n        relationship: equal\n';
    await refused(() => app.gql('mutation($i: ImportMappingsInput!) { importMappings(input: $i) { mappingsCreated } }', {
      i: { document: yaml, format: 'CISO_ASSISTANT_YAML', sourceFrameworkKey: 'iso27002-2022', targetFrameworkKey: 'iso27001-2022', crosswalkKey: 'nul-yaml', provenance: 'fuzz' },
    }), { path: 'objects.requirement_mapping_set.requirement_mappings[0].source_requirement_urn' });
  });
});

test('a read by a key or code holding a NUL is NOT_FOUND', async () => {
  for (const query of ['query($k: String) { scope(key: $k) { id } }', 'query($k: String) { crosswalk(key: $k) { id } }', 'query($k: String) { framework(key: $k) { id } }', 'query($k: String) { requirement(frameworkKey: "iso27001-2022", code: $k) { id } }']) {
    expect(errorCode(await app.gql(query, { k: 'A.5\u00001' }))).toBe('NOT_FOUND');
  }
});

test('an identity document nested deeper than the call stack is refused, not INTERNAL', async () => {
  const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
  await refused(() => app.gql('mutation($i: ImportNonHumanIdentitiesInput!) { importNonHumanIdentities(input: $i) { created } }', { i: { document: deep, format: 'JSON', sourceSystem: 'vault' } }), { path: '[0]' });
});

test('one compensating control named twice in different letter case is linked once', async () => {
  const owner = await createOwner(app);
  const scope = await createScope(app, { ownerId: owner.id });
  const control = await createControl(app, { scopeIds: [scope.id], ownerId: owner.id });
  const compensating = await createControl(app, { scopeIds: [scope.id], ownerId: owner.id });
  const res = await app.gql(REQUEST_EXCEPTION, {
    input: { kind: 'CONTROL_EXCEPTION', scopeId: scope.id, controlId: control.id, requestedById: owner.id, justification: 'Legacy', compensatingControlIds: [compensating.id, compensating.id.toUpperCase()] },
  });
  const exception = ok(res).requestException;
  expect(exception.compensatingControls).toEqual([{ id: compensating.id }]);
  expect(await app.sql('SELECT control_id FROM exception_compensating_control WHERE exception_id = $1', [exception.id])).toEqual([{ control_id: compensating.id }]);
});

describe('API keys and allow-lists', () => {
  test('a NUL in a key name, an operation name or document, or a document-hash filter', async () => {
    await refused(() => app.gql('mutation($o: ID!) { createApiKey(input: { name: "a\\u0000", ownerId: $o, permissions: [ISMS_READ] }) { secret } }', { o: app.ownerId }), { field: 'name' });
    await refused(() => app.gql('mutation($d: String!) { registerAllowedOperation(input: { name: "a\\u0000", document: $d }) { id } }', { d: '{ owners { totalCount } }' }), { field: 'name' });
    await refused(() => app.gql('mutation($d: String!) { registerAllowedOperation(input: { name: "report", document: $d }) { id } }', { d: '{ owners { totalCount } }\u0000' }), { field: 'document' });
    const res = await app.gql('{ allowedOperations(filter: { documentHash: "ab\\u0000" }) { totalCount } }');
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
  });

  test('an empty operation id among real ones is BAD_USER_INPUT, and binds nothing', async () => {
    const key = await app.createKey(['ISMS_READ' as never]);
    const op = ok(await app.gql('mutation { registerAllowedOperation(input: { name: "count", document: "{ owners { totalCount } }" }) { id } }')).registerAllowedOperation;
    for (const [mutation, type] of [['bindApiKeyToAllowList', '[ID!]!'], ['unbindApiKeyFromAllowList', '[ID!]']]) {
      await refused(() => app.gql(`mutation($k: ID!, $ops: ${type}) { ${mutation}(keyId: $k, operationIds: $ops) { id } }`, { k: key.id, ops: [op.id, ''] }), { field: 'operationIds' });
    }
    const [{ bound }] = await app.sql('SELECT allow_list_bound AS bound FROM api_key WHERE id = $1', [key.id]);
    expect(bound).toBe(false);
  });
});
