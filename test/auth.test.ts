import { createHash, randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type TestApp, type GqlResponse } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { postGql, rawPost, wsRequest } from './helpers/http';
import { Permission } from '../src/auth/permissions';
import { generateSecret } from '../src/auth/api-key.secret';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const DAY = 86_400_000;
let seq = 0;
const uniq = (p: string) => `${p}-${++seq}-${randomUUID().slice(0, 8)}`;

const CREATE_KEY = `mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { secret apiKey { id name prefix permissions scopeIds expiresAt revokedAt owner { id } } }
}`;

/** One read, one write and one admin operation of issue 2, each as a client would send it. */
const operations = {
  readOwners: () => ['{ owners(first: 1) { totalCount } }', {}] as const,
  readScopes: () => ['{ scopes(first: 1) { totalCount edges { node { id } } } }', {}] as const,
  createOwner: () => ['mutation($input: CreateOwnerInput!) { createOwner(input: $input) { id } }', { input: { kind: 'TEAM', name: uniq('perm-owner') } }] as const,
  createScope: () => ['mutation($input: CreateScopeInput!) { createScope(input: $input) { id } }', { input: { key: uniq('perm-scope'), name: 'Perm scope', certification: 'CERTIFIABLE', ownerId: app.ownerId } }] as const,
  apiKeys: () => ['{ apiKeys(first: 1) { totalCount } }', {}] as const,
  createApiKey: () => [CREATE_KEY, { input: { name: uniq('perm-key'), ownerId: app.ownerId, permissions: ['ISMS_READ'] } }] as const,
  auditEvents: () => ['{ auditEvents(first: 1) { totalCount } }', {}] as const,
};
type Op = keyof typeof operations;

// What each permission may do (DOMAIN.md "Access"): write implies read; catalog:write does not.
const allowed: Record<Permission, Op[]> = {
  [Permission.ISMS_READ]: ['readOwners', 'readScopes'],
  [Permission.ISMS_WRITE]: ['readOwners', 'readScopes', 'createOwner', 'createScope'],
  [Permission.TREATMENT_WRITE]: ['readOwners', 'readScopes'],
  [Permission.CATALOG_WRITE]: [],
  [Permission.ADMIN]: ['readOwners', 'readScopes', 'createOwner', 'createScope', 'apiKeys', 'createApiKey', 'auditEvents'],
};

async function counts(): Promise<Record<string, number>> {
  const [row] = await app.sql(`SELECT (SELECT count(*) FROM owner)::int AS owners, (SELECT count(*) FROM scope)::int AS scopes,
    (SELECT count(*) FROM api_key)::int AS keys, (SELECT count(*) FROM audit_event)::int AS audits`);
  return row;
}

describe('permissions', () => {
  for (const permission of Object.values(Permission)) {
    for (const op of Object.keys(operations) as Op[]) {
      const expected = allowed[permission].includes(op);
      test(`${permission} ${expected ? 'may' : 'may not'} ${op}`, async () => {
        const key = await app.createKey([permission]);
        const [query, variables] = operations[op]();
        const before = await counts();
        const res = await app.gql(query, variables as Record<string, unknown>, key.secret);
        if (expected) {
          expect(res.errors).toBeUndefined();
          expect(res.data?.[Object.keys(res.data)[0]]).toBeTruthy();
        } else {
          expect(errorCode(res)).toBe('FORBIDDEN');
          expect(res.data).toBeNull();
          expect(await counts()).toEqual(before);
        }
      });
    }
  }

  test('a key holding several permissions gets the union of them', async () => {
    const key = await app.createKey([Permission.CATALOG_WRITE, Permission.ISMS_READ]);
    ok(await app.gql('{ scopes { totalCount } }', {}, key.secret));
    const [query, variables] = operations.createOwner();
    expect(errorCode(await app.gql(query, variables, key.secret))).toBe('FORBIDDEN');
  });
});

describe('authentication', () => {
  async function expectUnauthenticated(res: GqlResponse, count: Record<string, number>) {
    expect(errorCode(res)).toBe('UNAUTHENTICATED');
    expect(res.status).toBe(401);
    expect(res.data ?? null).toBeNull();
    expect(await counts()).toEqual(count);
  }

  test('no key: reads and writes are UNAUTHENTICATED (anonymous read is off by default)', async () => {
    const before = await counts();
    await expectUnauthenticated(await app.gql('{ scopes { totalCount } }', {}, null), before);
    await expectUnauthenticated(await app.gql('{ owners { totalCount } }', {}, null), before);
    const [query, variables] = operations.createOwner();
    await expectUnauthenticated(await app.gql(query, variables, null), before);
  });

  test.each([
    ['a random word', 'Bearer hello'],
    ['a key with a broken checksum', `Bearer ${generateSecret().slice(0, -1)}${generateSecret().slice(-1) === 'A' ? 'B' : 'A'}`],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['a bare key without Bearer', 'SECRET'],
    ['an empty bearer', 'Bearer '],
  ])('a malformed Authorization header (%s) is UNAUTHENTICATED', async (_label, header) => {
    const realHeader = header === 'SECRET' ? app.adminKey : header;
    const before = await counts();
    const res = await rawPost(app, JSON.stringify({ query: '{ owners { totalCount } }' }), { 'content-type': 'application/json', authorization: realHeader });
    expect(res.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(res.status).toBe(401);
    expect(res.json.data ?? null).toBeNull();
    expect(await counts()).toEqual(before);
  });

  test('a well-formed key that was never issued is UNAUTHENTICATED', async () => {
    const before = await counts();
    await expectUnauthenticated(await app.gql('{ owners { totalCount } }', {}, generateSecret()), before);
  });

  test('an expired key is UNAUTHENTICATED, for reads and writes', async () => {
    const key = await app.createKey([Permission.ADMIN], { expiresAt: new Date(Date.now() - 1000) });
    const before = await counts();
    await expectUnauthenticated(await app.gql('{ owners { totalCount } }', {}, key.secret), before);
    const [query, variables] = operations.createOwner();
    await expectUnauthenticated(await app.gql(query, variables, key.secret), before);
  });

  test('a key revoked through revokeApiKey stops working at once; revoking twice is harmless', async () => {
    const created = ok(await app.gql(CREATE_KEY, { input: { name: uniq('to-revoke'), ownerId: app.ownerId, permissions: ['ISMS_WRITE'] } })).createApiKey;
    ok(await app.gql('{ owners { totalCount } }', {}, created.secret));

    const revoked = ok(await app.gql('mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }', { id: created.apiKey.id })).revokeApiKey;
    expect(revoked.id).toBe(created.apiKey.id);
    expect(new Date(revoked.revokedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);

    const before = await counts();
    await expectUnauthenticated(await app.gql('{ owners { totalCount } }', {}, created.secret), before);
    const [query, variables] = operations.createOwner();
    await expectUnauthenticated(await app.gql(query, variables, created.secret), before);

    const again = ok(await app.gql('mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', { id: created.apiKey.id })).revokeApiKey;
    expect(again.revokedAt).toBe(revoked.revokedAt);
    const [row] = await app.sql('SELECT revoked_at FROM api_key WHERE id = $1', [created.apiKey.id]);
    expect(row.revoked_at.toISOString()).toBe(revoked.revokedAt);
  });

  test('revokeApiKey of an unknown id is NOT_FOUND', async () => {
    const res = await app.gql('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id: randomUUID() });
    expect(errorCode(res)).toBe('NOT_FOUND');
  });

  test('revokeApiKey needs admin', async () => {
    const victim = await app.createKey([Permission.ISMS_READ]);
    const writer = await app.createKey([Permission.ISMS_WRITE]);
    const res = await app.gql('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id: victim.id }, writer.secret);
    expect(errorCode(res)).toBe('FORBIDDEN');
    ok(await app.gql('{ owners { totalCount } }', {}, victim.secret));
  });

  test('graphql-ws authenticates in onConnect: a good key runs, no key and a revoked key are refused', async () => {
    const key = await app.createKey([Permission.ISMS_READ]);
    const result = await wsRequest(app, '{ owners(first: 1) { totalCount } }', {}, key.secret);
    expect(result.errors).toBeUndefined();
    expect(result.data.owners.totalCount).toBeGreaterThan(0);

    await expect(wsRequest(app, '{ owners { totalCount } }', {}, null)).rejects.toBeTruthy();
    ok(await app.gql('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id: key.id }));
    await expect(wsRequest(app, '{ owners { totalCount } }', {}, key.secret)).rejects.toBeTruthy();
  });

  test('lastUsedAt is recorded when a key is used', async () => {
    const key = await app.createKey([Permission.ISMS_READ]);
    const [before] = await app.sql('SELECT last_used_at FROM api_key WHERE id = $1', [key.id]);
    expect(before.last_used_at).toBeNull();
    ok(await app.gql('{ owners { totalCount } }', {}, key.secret));
    const [after] = await app.sql('SELECT last_used_at FROM api_key WHERE id = $1', [key.id]);
    expect(after.last_used_at).toBeInstanceOf(Date);
  });
});

describe('createApiKey', () => {
  test('returns a secret that works at once, with the permissions given and a default expiry of 90 days', async () => {
    const owner = await createOwner(app);
    const started = Date.now();
    const created = ok(await app.gql(CREATE_KEY, { input: { name: '  jira-sync ', ownerId: owner.id, permissions: ['ISMS_READ', 'ISMS_READ'] } })).createApiKey;
    expect(created.secret).toMatch(/^isms_[0-9A-Za-z]{46}$/);
    expect(created.apiKey).toMatchObject({ name: 'jira-sync', permissions: ['ISMS_READ'], scopeIds: null, revokedAt: null, owner: { id: owner.id } });
    expect(created.secret.startsWith(created.apiKey.prefix)).toBe(true);
    const expires = new Date(created.apiKey.expiresAt).getTime();
    expect(expires).toBeGreaterThanOrEqual(started + 90 * DAY - 5000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 90 * DAY + 5000);

    // the new key reads, and is refused a write it was not given
    ok(await app.gql('{ owners(first: 1) { totalCount } }', {}, created.secret));
    const [query, variables] = operations.createOwner();
    expect(errorCode(await app.gql(query, variables, created.secret))).toBe('FORBIDDEN');

    const listed = ok(await app.gql('query($o: [ID!]) { apiKeys(filter: { ownerIds: $o }) { totalCount edges { node { id name owner { id } } } } }', { o: [owner.id] })).apiKeys;
    expect(listed.totalCount).toBe(1);
    expect(listed.edges[0].node).toEqual({ id: created.apiKey.id, name: 'jira-sync', owner: { id: owner.id } });
  });

  test('an explicit expiry within 365 days is kept', async () => {
    const expiresAt = new Date(Date.now() + 364 * DAY);
    expiresAt.setMilliseconds(0);
    const created = ok(await app.gql(CREATE_KEY, { input: { name: uniq('k'), ownerId: app.ownerId, permissions: ['ISMS_READ'], expiresAt: expiresAt.toISOString() } })).createApiKey;
    expect(created.apiKey.expiresAt).toBe(expiresAt.toISOString());
  });

  test.each([
    ['more than 365 days ahead', () => new Date(Date.now() + 366 * DAY).toISOString()],
    ['in the past', () => new Date(Date.now() - DAY).toISOString()],
  ])('an expiry %s is BAD_USER_INPUT and writes nothing', async (_label, expiresAt) => {
    const before = await counts();
    const res = await app.gql(CREATE_KEY, { input: { name: uniq('k'), ownerId: app.ownerId, permissions: ['ISMS_READ'], expiresAt: expiresAt() } });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].extensions.field).toBe('expiresAt');
    expect(await counts()).toEqual(before);
  });

  test('an unknown owner is BAD_USER_INPUT naming ownerId; an unknown scope names scopeIds', async () => {
    const before = await counts();
    const noOwner = await app.gql(CREATE_KEY, { input: { name: uniq('k'), ownerId: randomUUID(), permissions: ['ISMS_READ'] } });
    expect(errorCode(noOwner)).toBe('BAD_USER_INPUT');
    expect(noOwner.errors![0].extensions.field).toBe('ownerId');
    const noScope = await app.gql(CREATE_KEY, { input: { name: uniq('k'), ownerId: app.ownerId, permissions: ['ISMS_READ'], scopeIds: [randomUUID()] } });
    expect(errorCode(noScope)).toBe('BAD_USER_INPUT');
    expect(noScope.errors![0].extensions.field).toBe('scopeIds');
    const noPermissions = await app.gql(CREATE_KEY, { input: { name: uniq('k'), ownerId: app.ownerId, permissions: [] } });
    expect(errorCode(noPermissions)).toBe('BAD_USER_INPUT');
    expect(await counts()).toEqual(before);
  });

  test('a restricted admin creates keys only within its scopes', async () => {
    const mine = await createScope(app);
    const child = await createScope(app, { parentId: mine.id });
    const foreign = await createScope(app);
    const restricted = await app.createKey([Permission.ADMIN], { scopeIds: [mine.id] });
    const before = await counts();

    const unrestricted = await app.gql(CREATE_KEY, { input: { name: uniq('k'), ownerId: app.ownerId, permissions: ['ISMS_READ'] } }, restricted.secret);
    expect(errorCode(unrestricted)).toBe('FORBIDDEN');
    const other = await app.gql(CREATE_KEY, { input: { name: uniq('k'), ownerId: app.ownerId, permissions: ['ISMS_READ'], scopeIds: [foreign.id] } }, restricted.secret);
    expect(errorCode(other)).toBe('FORBIDDEN');
    const mixed = await app.gql(CREATE_KEY, { input: { name: uniq('k'), ownerId: app.ownerId, permissions: ['ISMS_READ'], scopeIds: [mine.id, foreign.id] } }, restricted.secret);
    expect(errorCode(mixed)).toBe('FORBIDDEN');
    expect(await counts()).toEqual(before);

    // within its scopes (the scope itself or a child) it may
    const inside = ok(await app.gql(CREATE_KEY, { input: { name: uniq('k'), ownerId: app.ownerId, permissions: ['ISMS_WRITE'], scopeIds: [child.id] } }, restricted.secret)).createApiKey;
    expect(inside.apiKey.scopeIds).toEqual([child.id]);
    const seen = ok(await app.gql('{ scopes { edges { node { id } } } }', {}, inside.secret)).scopes.edges.map((e: any) => e.node.id);
    expect(seen).toEqual([child.id]);
    const [row] = await app.sql('SELECT created_by_key_id FROM api_key WHERE id = $1', [inside.apiKey.id]);
    expect(row.created_by_key_id).toBe(restricted.id);

    // the restricted admin lists only keys confined to its scopes, and cannot revoke others
    const listed = ok(await app.gql('{ apiKeys(first: 200) { edges { node { id scopeIds } } } }', {}, restricted.secret)).apiKeys.edges.map((e: any) => e.node);
    expect(listed.map((k: any) => k.id)).toContain(inside.apiKey.id);
    expect(listed.map((k: any) => k.id)).toContain(restricted.id);
    expect(listed.every((k: any) => k.scopeIds !== null)).toBe(true);
    const unrestrictedKey = await app.createKey([Permission.ISMS_READ]);
    const revokeOther = await app.gql('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id: unrestrictedKey.id }, restricted.secret);
    expect(errorCode(revokeOther)).toBe('NOT_FOUND');
    ok(await app.gql('{ owners { totalCount } }', {}, unrestrictedKey.secret));
  });

  test('secrets are stored only as a hash, nowhere in plain text (keys table or audit)', async () => {
    const created = ok(await app.gql(CREATE_KEY, { input: { name: uniq('hashed'), ownerId: app.ownerId, permissions: ['ISMS_READ'] } })).createApiKey;
    const [row] = await app.sql('SELECT * FROM api_key WHERE id = $1', [created.apiKey.id]);
    expect(row.secret_hash).toBe(createHash('sha256').update(created.secret).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(created.secret);
    expect(JSON.stringify(row)).not.toContain(created.secret.slice(12));
    const [{ n }] = await app.sql(`SELECT count(*)::int AS n FROM api_key k WHERE row_to_json(k)::text LIKE '%' || $1 || '%'`, [created.secret.slice(12)]);
    expect(n).toBe(0);
    const [{ a }] = await app.sql(`SELECT count(*)::int AS a FROM audit_event e WHERE row_to_json(e)::text LIKE '%' || $1 || '%' OR row_to_json(e)::text LIKE '%' || $2 || '%'`, [created.secret.slice(12), row.secret_hash]);
    expect(a).toBe(0);
    // nor is the secret readable again through the API
    const listed = await postGql(app, '{ apiKeys(first: 200) { edges { node { id prefix } } } }');
    expect(listed.text).not.toContain(created.secret.slice(12));
  });

  test('createApiKey with a repeated idempotencyKey never shows a secret twice', async () => {
    const input = { name: uniq('idem-key'), ownerId: app.ownerId, permissions: ['ISMS_READ'] };
    const q = `mutation($input: CreateApiKeyInput!, $k: String) { createApiKey(input: $input, idempotencyKey: $k) { secret apiKey { id } } }`;
    ok(await app.gql(q, { input, k: 'key-once' }));
    const before = await counts();
    const replay = await app.gql(q, { input, k: 'key-once' });
    expect(errorCode(replay)).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(replay)).not.toMatch(/isms_[0-9A-Za-z]{46}/);
    expect(await counts()).toEqual(before);
  });
});

describe('ALLOW_ANONYMOUS_READ', () => {
  let open: TestApp;
  beforeAll(async () => {
    open = await startTestApp({ ALLOW_ANONYMOUS_READ: 'true' });
  });
  afterAll(() => open?.close());

  test('lets a request without a key read, and nothing more', async () => {
    const scope = await createScope(open);
    const read = ok(await open.gql('query($id: ID) { scope(id: $id) { id } owners { totalCount } }', { id: scope.id }, null));
    expect(read.scope.id).toBe(scope.id);
    const [before] = await open.sql('SELECT (SELECT count(*) FROM owner)::int AS o, (SELECT count(*) FROM audit_event)::int AS a');
    const write = await open.gql('mutation { createOwner(input: { kind: TEAM, name: "anonymous" }) { id } }', {}, null);
    expect(['UNAUTHENTICATED', 'FORBIDDEN']).toContain(errorCode(write));
    expect(errorCode(await open.gql('{ apiKeys { totalCount } }', {}, null))).not.toBeUndefined();
    const [after] = await open.sql('SELECT (SELECT count(*) FROM owner)::int AS o, (SELECT count(*) FROM audit_event)::int AS a');
    expect(after).toEqual(before);
  });

  test('a bad key is still UNAUTHENTICATED, not downgraded to anonymous', async () => {
    const res = await open.gql('{ owners { totalCount } }', {}, generateSecret());
    expect(errorCode(res)).toBe('UNAUTHENTICATED');
  });
});
