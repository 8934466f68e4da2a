import { randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type TestApp } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { postGql } from './helpers/http';
import { Permission } from '../src/auth/permissions';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

interface AuditRow {
  actor_key_id: string | null;
  operation: string;
  entity_type: string;
  entity_id: string;
  before: Record<string, any> | null;
  after: Record<string, any> | null;
  request_id: string;
}

// audit_event has no sequence column: count rows to see how many a request added
async function mark(): Promise<number> {
  const [{ n }] = await app.sql('SELECT count(*)::int AS n FROM audit_event');
  return n;
}

/** Runs one write as `key` and returns its response with the audit rows it added. */
async function write(key: { id: string; secret: string }, query: string, variables: Record<string, unknown>) {
  const before = await mark();
  const known = new Set((await app.sql('SELECT id FROM audit_event')).map((r) => r.id));
  const res = await postGql(app, query, variables, key.secret);
  expect(res.json.errors).toBeUndefined();
  const all = await app.sql('SELECT id, actor_key_id, operation, entity_type, entity_id, before, after, request_id FROM audit_event');
  const added = all.filter((r) => !known.has(r.id)) as AuditRow[];
  expect(await mark()).toBe(before + added.length);
  return { res, added, requestId: res.headers.get('x-request-id')! };
}

describe('every write records one audit event with actor, operation, before/after and request id', () => {
  const writer = { id: '', secret: '' };
  const admin = { id: '', secret: '' };
  beforeAll(async () => {
    Object.assign(writer, await app.createKey([Permission.ISMS_WRITE]));
    Object.assign(admin, await app.createKey([Permission.ADMIN]));
  });

  test('owners: create, update, archive', async () => {
    const created = await write(writer, 'mutation { createOwner(input: { kind: PERSON, name: "Audited", email: "a@example.com" }) { id } }', {});
    const id = created.res.json.data.createOwner.id;
    expect(created.added).toHaveLength(1);
    expect(created.added[0]).toMatchObject({ actor_key_id: writer.id, operation: 'createOwner', entity_type: 'OWNER', entity_id: id, before: null, request_id: created.requestId });
    expect(created.added[0].after).toMatchObject({ id, name: 'Audited', email: 'a@example.com', kind: 'PERSON', version: 1 });

    const updated = await write(writer, 'mutation($id: ID!) { updateOwner(id: $id, input: { name: "Audited 2" }, expectedVersion: 1) { id } }', { id });
    expect(updated.added).toHaveLength(1);
    expect(updated.added[0]).toMatchObject({ actor_key_id: writer.id, operation: 'updateOwner', entity_id: id, request_id: updated.requestId });
    expect(updated.added[0].before).toMatchObject({ name: 'Audited', version: 1 });
    expect(updated.added[0].after).toMatchObject({ name: 'Audited 2', version: 2 });

    const archived = await write(writer, 'mutation($id: ID!) { archiveOwner(id: $id) { id } }', { id });
    expect(archived.added).toHaveLength(1);
    expect(archived.added[0]).toMatchObject({ operation: 'archiveOwner', request_id: archived.requestId });
    expect(archived.added[0].before!.archivedAt).toBeNull();
    expect(archived.added[0].after!.archivedAt).not.toBeNull();
  });

  test('scopes: create, update, archive', async () => {
    const owner = await createOwner(app);
    const key = `audit-${randomUUID().slice(0, 8)}`;
    const created = await write(writer, 'mutation($o: ID!, $k: String!) { createScope(input: { key: $k, name: "S", certification: CERTIFIABLE, ownerId: $o }) { id } }', { o: owner.id, k: key });
    const id = created.res.json.data.createScope.id;
    expect(created.added).toEqual([expect.objectContaining({ actor_key_id: writer.id, operation: 'createScope', entity_type: 'SCOPE', entity_id: id, before: null, request_id: created.requestId })]);
    expect(created.added[0].after).toMatchObject({ id, key, ownerId: owner.id, riskAppetite: 9 });

    const updated = await write(writer, 'mutation($id: ID!) { updateScope(id: $id, input: { riskAppetite: 15 }, expectedVersion: 1) { id } }', { id });
    expect(updated.added).toEqual([expect.objectContaining({ operation: 'updateScope', entity_id: id, request_id: updated.requestId })]);
    expect(updated.added[0].before).toMatchObject({ riskAppetite: 9, version: 1 });
    expect(updated.added[0].after).toMatchObject({ riskAppetite: 15, version: 2 });

    const archived = await write(writer, 'mutation($id: ID!) { archiveScope(id: $id) { id } }', { id });
    expect(archived.added).toEqual([expect.objectContaining({ operation: 'archiveScope', entity_id: id, request_id: archived.requestId })]);
  });

  test('API keys: create and revoke, without the secret or its hash; the key\'s NHI asset is audited with it', async () => {
    const created = await write(admin, 'mutation($o: ID!) { createApiKey(input: { name: "audited-key", ownerId: $o, permissions: [ISMS_READ] }) { secret apiKey { id asset { id } } } }', { o: app.ownerId });
    const { secret, apiKey } = created.res.json.data.createApiKey;
    const keyRows = created.added.filter((r) => r.entity_type === 'API_KEY');
    expect(keyRows).toEqual([expect.objectContaining({ actor_key_id: admin.id, operation: 'createApiKey', entity_id: apiKey.id, before: null, request_id: created.requestId })]);
    expect(keyRows[0].after).toMatchObject({ id: apiKey.id, name: 'audited-key', permissions: ['isms:read'] });
    expect(keyRows[0].after).not.toHaveProperty('secretHash');
    expect(created.added.filter((r) => r.entity_type !== 'API_KEY')).toEqual([expect.objectContaining({ actor_key_id: admin.id, operation: 'createApiKey', entity_type: 'ASSET', entity_id: apiKey.asset.id, before: null, request_id: created.requestId })]);
    expect(JSON.stringify(created.added)).not.toContain(secret);

    const revoked = await write(admin, 'mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id: apiKey.id });
    const revokedKey = revoked.added.filter((r) => r.entity_type === 'API_KEY');
    expect(revokedKey).toEqual([expect.objectContaining({ actor_key_id: admin.id, operation: 'revokeApiKey', entity_id: apiKey.id, request_id: revoked.requestId })]);
    expect(revokedKey[0].before!.revokedAt).toBeNull();
    expect(revokedKey[0].after!.revokedAt).not.toBeNull();
    expect(revokedKey[0].after).not.toHaveProperty('secretHash');
    expect(revoked.added.filter((r) => r.entity_type === 'ASSET').map((r) => [r.entity_id, r.after!.revokedAt !== null])).toEqual([[apiKey.asset.id, true]]);
    expect(revoked.added).toHaveLength(2);
  });

  test('the request id a client sends is the one recorded', async () => {
    const requestId = `client-${randomUUID()}`;
    const res = await postGql(app, 'mutation { createOwner(input: { kind: TEAM, name: "With request id" }) { id } }', {}, writer.secret, { 'x-request-id': requestId });
    expect(res.headers.get('x-request-id')).toBe(requestId);
    const rows = await app.sql('SELECT entity_id FROM audit_event WHERE request_id = $1', [requestId]);
    expect(rows).toEqual([{ entity_id: res.json.data.createOwner.id }]);
  });

  test('refused and failed writes and reads record nothing', async () => {
    const before = await mark();
    const reader = await app.createKey([Permission.ISMS_READ]);
    expect(errorCode(await app.gql('mutation { createOwner(input: { kind: TEAM, name: "No" }) { id } }', {}, reader.secret))).toBe('FORBIDDEN');
    expect(errorCode(await app.gql('mutation { createOwner(input: { kind: TEAM, name: "" }) { id } }', {}, writer.secret))).toBe('BAD_USER_INPUT');
    const scope = await createScope(app);
    const afterSetup = await mark();
    expect(errorCode(await app.gql('mutation($id: ID!) { updateScope(id: $id, input: { name: "x" }, expectedVersion: 7) { id } }', { id: scope.id }, writer.secret))).toBe('CONFLICT');
    ok(await app.gql('{ scopes { totalCount } owners { totalCount } }', {}, writer.secret));
    expect(await mark()).toBe(afterSetup);
    expect(afterSetup - before).toBe(2); // the owner and scope createScope made
    // archiving an already archived owner changes nothing and records nothing
    const o = await createOwner(app);
    ok(await app.gql('mutation($id: ID!) { archiveOwner(id: $id) { id } }', { id: o.id }));
    const once = await mark();
    ok(await app.gql('mutation($id: ID!) { archiveOwner(id: $id) { id } }', { id: o.id }));
    expect(await mark()).toBe(once);
  });
});

describe('the audit table is append-only (database trigger)', () => {
  test.each([
    ['UPDATE', "UPDATE audit_event SET operation = 'tampered'"],
    ['UPDATE of one row', "UPDATE audit_event SET actor_key_id = NULL WHERE id = (SELECT id FROM audit_event LIMIT 1)"],
    ['DELETE', 'DELETE FROM audit_event'],
    ['DELETE of one row', 'DELETE FROM audit_event WHERE id = (SELECT id FROM audit_event LIMIT 1)'],
    ['TRUNCATE', 'TRUNCATE audit_event'],
    ['TRUNCATE CASCADE', 'TRUNCATE audit_event CASCADE'],
  ])('%s raises an error and changes nothing', async (_label, statement) => {
    await createOwner(app); // at least one row to change
    const before = await app.sql('SELECT id, operation, actor_key_id FROM audit_event ORDER BY id');
    expect(before.length).toBeGreaterThan(0);
    await expect(app.sql(statement)).rejects.toThrow(/append-only/);
    expect(await app.sql('SELECT id, operation, actor_key_id FROM audit_event ORDER BY id')).toEqual(before);
  });

  test('inserting still works (the trail grows)', async () => {
    const before = await mark();
    await createOwner(app);
    expect(await mark()).toBe(before + 1);
  });
});

describe('auditEvents query', () => {
  const EVENTS = `query($filter: AuditEventFilter, $first: Int, $after: String) {
    auditEvents(filter: $filter, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { id at actorKeyId operation entityType entityId before after requestId } }
    }
  }`;

  test('is admin-only: every other permission is FORBIDDEN, no key UNAUTHENTICATED', async () => {
    for (const permission of [Permission.ISMS_READ, Permission.ISMS_WRITE, Permission.TREATMENT_WRITE, Permission.CATALOG_WRITE]) {
      const key = await app.createKey([permission]);
      const res = await app.gql(EVENTS, {}, key.secret);
      expect(errorCode(res)).toBe('FORBIDDEN');
      expect(res.data).toBeNull();
    }
    expect(errorCode(await app.gql(EVENTS, {}, null))).toBe('UNAUTHENTICATED');
    ok(await app.gql(EVENTS, { first: 1 }));
  });

  test('filters by entity, type, actor, operation and time; newest first', async () => {
    const actor = await app.createKey([Permission.ISMS_WRITE]);
    const since = new Date(Date.now() - 1);
    const created = ok(await app.gql('mutation { createOwner(input: { kind: TEAM, name: "Filtered" }) { id } }', {}, actor.secret)).createOwner;
    ok(await app.gql('mutation($id: ID!) { updateOwner(id: $id, input: { name: "Filtered 2" }, expectedVersion: 1) { id } }', { id: created.id }, actor.secret));
    const scope = ok(await app.gql('mutation($o: ID!) { createScope(input: { key: "audit-filter-scope", name: "S", certification: CERTIFIABLE, ownerId: $o }) { id } }', { o: created.id }, actor.secret)).createScope;

    const byEntity = ok(await app.gql(EVENTS, { filter: { entityId: created.id } })).auditEvents;
    expect(byEntity.totalCount).toBe(2);
    expect(byEntity.edges.map((e: any) => e.node.operation)).toEqual(['updateOwner', 'createOwner']);
    expect(byEntity.edges[0].node).toMatchObject({ actorKeyId: actor.id, entityType: 'OWNER', entityId: created.id });
    expect(byEntity.edges[0].node.before).toMatchObject({ name: 'Filtered' });
    expect(byEntity.edges[0].node.after).toMatchObject({ name: 'Filtered 2' });

    const byActor = ok(await app.gql(EVENTS, { filter: { actorKeyId: actor.id } })).auditEvents;
    expect(byActor.edges.map((e: any) => e.node.operation)).toEqual(['createScope', 'updateOwner', 'createOwner']);
    const byActorAndType = ok(await app.gql(EVENTS, { filter: { actorKeyId: actor.id, entityTypes: ['SCOPE'] } })).auditEvents;
    expect(byActorAndType.edges.map((e: any) => e.node.entityId)).toEqual([scope.id]);
    const byOperation = ok(await app.gql(EVENTS, { filter: { actorKeyId: actor.id, operation: 'updateOwner' } })).auditEvents;
    expect(byOperation.totalCount).toBe(1);
    const bySince = ok(await app.gql(EVENTS, { filter: { since: since.toISOString(), actorKeyId: actor.id } })).auditEvents;
    expect(bySince.totalCount).toBe(3);
    const future = ok(await app.gql(EVENTS, { filter: { since: new Date(Date.now() + 60_000).toISOString() } })).auditEvents;
    expect(future.totalCount).toBe(0);
    const none = ok(await app.gql(EVENTS, { filter: { entityId: randomUUID() } })).auditEvents;
    expect(none).toMatchObject({ totalCount: 0, edges: [] });
    const wrongType = await app.gql(EVENTS, { filter: { entityTypes: ['NOPE'] } });
    expect(errorCode(wrongType)).toBe('BAD_USER_INPUT');
  });

  test('pages through every event once, newest first', async () => {
    const actor = await app.createKey([Permission.ISMS_WRITE]);
    // several events share one timestamp when written fast: the id breaks ties
    for (let i = 0; i < 7; i += 1) ok(await app.gql('mutation($n: String!) { createOwner(input: { kind: TEAM, name: $n }) { id } }', { n: `Paged ${i}` }, actor.secret));
    const all = ok(await app.gql(EVENTS, { filter: { actorKeyId: actor.id }, first: 500 })).auditEvents.edges.map((e: any) => e.node);
    expect(all).toHaveLength(7);
    const times = all.map((n: any) => Date.parse(n.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = ok(await app.gql(EVENTS, { filter: { actorKeyId: actor.id }, first: 3, after })).auditEvents;
      seen.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.map((n: any) => n.id));
  });
});

describe('a scope-restricted admin reads the audit trail of its own scopes', () => {
  test('events of its scopes and of unscoped entities are listed; another scope\'s are not', async () => {
    const mine = await createScope(app);
    const theirs = await createScope(app);
    const owner = await createOwner(app);
    const restricted = await app.createKey([Permission.ADMIN], { scopeIds: [mine.id] });
    const query = 'query($id: ID!) { auditEvents(filter: { entityId: $id }) { totalCount edges { node { scopeIds operation } } } }';
    const own = ok(await app.gql(query, { id: mine.id }, restricted.secret));
    expect(own.auditEvents.totalCount).toBe(1);
    expect(own.auditEvents.edges[0].node).toEqual({ scopeIds: [mine.id], operation: 'createScope' });
    expect(ok(await app.gql(query, { id: owner.id }, restricted.secret)).auditEvents.totalCount).toBe(1);
    expect(ok(await app.gql(query, { id: theirs.id }, restricted.secret)).auditEvents.totalCount).toBe(0);
    // the unrestricted admin still sees everything
    expect(ok(await app.gql(query, { id: theirs.id })).auditEvents.totalCount).toBe(1);
  });
});
