import { randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type TestApp } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { Permission } from '../src/auth/permissions';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const CREATE_SCOPE = 'mutation($input: CreateScopeInput!, $k: String) { createScope(input: $input, idempotencyKey: $k) { id key name version } }';
const CREATE_OWNER = 'mutation($input: CreateOwnerInput!, $k: String) { createOwner(input: $input, idempotencyKey: $k) { id name version } }';

const scopeInput = (ownerId: string, extra: Record<string, unknown> = {}) => ({
  key: `idem-${randomUUID().slice(0, 8)}`, name: 'Idempotent', certification: 'CERTIFIABLE', ownerId, ...extra,
});

async function count(table: 'scope' | 'owner', where: string, params: unknown[]): Promise<number> {
  const [{ n }] = await app.sql(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params);
  return n;
}
async function auditsFor(id: string): Promise<number> {
  const [{ n }] = await app.sql('SELECT count(*)::int AS n FROM audit_event WHERE entity_id = $1', [id]);
  return n;
}

test('the same key and input return the scope first created: one row, one audit event', async () => {
  const owner = await createOwner(app);
  const input = scopeInput(owner.id, { inclusions: ['a', 'b'] });
  const first = ok(await app.gql(CREATE_SCOPE, { input, k: 'retry-1' })).createScope;
  const second = ok(await app.gql(CREATE_SCOPE, { input, k: 'retry-1' })).createScope;
  expect(second).toEqual(first);
  // the same input with its fields in another order is the same input
  const reordered = Object.fromEntries(Object.entries(input).reverse());
  expect(ok(await app.gql(CREATE_SCOPE, { input: reordered, k: 'retry-1' })).createScope.id).toBe(first.id);
  expect(await count('scope', 'key = $1', [input.key])).toBe(1);
  expect(await auditsFor(first.id)).toBe(1);
});

test('a replay returns the entity as it is now', async () => {
  const owner = await createOwner(app);
  const input = scopeInput(owner.id);
  const first = ok(await app.gql(CREATE_SCOPE, { input, k: 'retry-now' })).createScope;
  ok(await app.gql('mutation($id: ID!) { updateScope(id: $id, input: { name: "Renamed" }, expectedVersion: 1) { id } }', { id: first.id }));
  const replay = ok(await app.gql(CREATE_SCOPE, { input, k: 'retry-now' })).createScope;
  expect(replay).toEqual({ ...first, name: 'Renamed', version: 2 });
});

test('the same key with another input is IDEMPOTENCY_KEY_REUSED and writes nothing', async () => {
  const owner = await createOwner(app);
  const input = scopeInput(owner.id);
  const first = ok(await app.gql(CREATE_SCOPE, { input, k: 'reused' })).createScope;
  const [before] = await app.sql('SELECT (SELECT count(*) FROM scope)::int AS s, (SELECT count(*) FROM audit_event)::int AS a');
  const other = { ...input, key: `${input.key}-other` };
  const res = await app.gql(CREATE_SCOPE, { input: other, k: 'reused' });
  expect(errorCode(res)).toBe('IDEMPOTENCY_KEY_REUSED');
  expect(res.errors![0].extensions.field).toBe('idempotencyKey');
  expect(res.data).toBeNull();
  const changedOptional = await app.gql(CREATE_SCOPE, { input: { ...input, riskAppetite: 10 }, k: 'reused' });
  expect(errorCode(changedOptional)).toBe('IDEMPOTENCY_KEY_REUSED');
  const [after] = await app.sql('SELECT (SELECT count(*) FROM scope)::int AS s, (SELECT count(*) FROM audit_event)::int AS a');
  expect(after).toEqual(before);
  expect(await count('scope', 'key = $1', [other.key])).toBe(0);
  // and the first entity is untouched
  expect(ok(await app.gql('query($id: ID) { scope(id: $id) { id version } }', { id: first.id })).scope).toEqual({ id: first.id, version: 1 });
});

test('idempotency keys are remembered per API key and per operation', async () => {
  const owner = await createOwner(app);
  const input = scopeInput(owner.id);
  const a = ok(await app.gql(CREATE_SCOPE, { input, k: 'shared' })).createScope;
  const otherKey = await app.createKey([Permission.ISMS_WRITE]);
  // another API key with the same idempotency key is a different request: a new create, refused only by the scope key
  const fromOther = await app.gql(CREATE_SCOPE, { input, k: 'shared' }, otherKey.secret);
  expect(errorCode(fromOther)).toBe('CONFLICT');
  const fresh = ok(await app.gql(CREATE_SCOPE, { input: { ...input, key: `${input.key}-2` }, k: 'shared' }, otherKey.secret)).createScope;
  expect(fresh.id).not.toBe(a.id);
  // another operation with the same idempotency key is a different request too
  const o = ok(await app.gql(CREATE_OWNER, { input: { kind: 'TEAM', name: 'Shared key owner' }, k: 'shared' })).createOwner;
  expect(o.id).not.toBe(a.id);
  expect(await count('owner', 'id = $1', [o.id])).toBe(1);
});

test('a create that fails leaves the idempotency key free', async () => {
  const owner = await createOwner(app);
  const bad = await app.gql(CREATE_SCOPE, { input: scopeInput(randomUUID()), k: 'after-failure' });
  expect(errorCode(bad)).toBe('BAD_USER_INPUT');
  const [{ n }] = await app.sql("SELECT count(*)::int AS n FROM idempotency_key WHERE key = 'after-failure'");
  expect(n).toBe(0);
  const good = ok(await app.gql(CREATE_SCOPE, { input: scopeInput(owner.id), k: 'after-failure' })).createScope;
  expect(await count('scope', 'id = $1', [good.id])).toBe(1);
});

test('without an idempotency key every call creates', async () => {
  const name = `No key ${randomUUID()}`;
  const a = ok(await app.gql(CREATE_OWNER, { input: { kind: 'PERSON', name } })).createOwner;
  const b = ok(await app.gql(CREATE_OWNER, { input: { kind: 'PERSON', name } })).createOwner;
  expect(a.id).not.toBe(b.id);
  expect(await count('owner', 'name = $1', [name])).toBe(2);
});

test.each(['', 'x'.repeat(201)])('an idempotency key of length %#  outside 1..200 is BAD_USER_INPUT', async (k) => {
  const name = `Bad key ${randomUUID()}`;
  const res = await app.gql(CREATE_OWNER, { input: { kind: 'PERSON', name }, k });
  expect(errorCode(res)).toBe('BAD_USER_INPUT');
  expect(await count('owner', 'name = $1', [name])).toBe(0);
});

describe('20 concurrent retries with one idempotency key', () => {
  test('createScope: exactly one row, every response the same id', async () => {
    const owner = await createOwner(app);
    const input = scopeInput(owner.id);
    const results = await Promise.all(Array.from({ length: 20 }, () => app.gql(CREATE_SCOPE, { input, k: 'burst-scope' })));
    for (const r of results) expect(r.errors).toBeUndefined();
    const ids = new Set(results.map((r) => r.data!.createScope.id));
    expect(ids.size).toBe(1);
    expect(await count('scope', 'key = $1', [input.key])).toBe(1);
    expect(await auditsFor([...ids][0])).toBe(1);
  });

  test('createOwner: exactly one row, every response the same id', async () => {
    const name = `Burst ${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 20 }, () => app.gql(CREATE_OWNER, { input: { kind: 'TEAM', name }, k: 'burst-owner' })));
    for (const r of results) expect(r.errors).toBeUndefined();
    const ids = new Set(results.map((r) => r.data!.createOwner.id));
    expect(ids.size).toBe(1);
    expect(await count('owner', 'name = $1', [name])).toBe(1);
    expect(await auditsFor([...ids][0])).toBe(1);
  });

  test('createScope with a scope-restricted key: one row, no request starved of a connection', async () => {
    const parent = await createScope(app);
    const key = await app.createKey([Permission.ISMS_WRITE], { scopeIds: [parent.id] });
    const input = scopeInput(app.ownerId, { parentId: parent.id });
    const results = await Promise.all(Array.from({ length: 20 }, () => app.gql(CREATE_SCOPE, { input, k: 'burst-restricted' }, key.secret)));
    for (const r of results) expect(r.errors).toBeUndefined();
    expect(new Set(results.map((r) => r.data!.createScope.id)).size).toBe(1);
    expect(await count('scope', 'key = $1', [input.key])).toBe(1);
  });

  test('concurrent retries with different inputs: one wins, the rest are IDEMPOTENCY_KEY_REUSED', async () => {
    const owner = await createOwner(app);
    const inputs = Array.from({ length: 6 }, () => scopeInput(owner.id));
    const results = await Promise.all(inputs.map((input) => app.gql(CREATE_SCOPE, { input, k: 'burst-mixed' })));
    const codes = results.map((r) => errorCode(r) ?? 'OK').sort();
    expect(codes).toEqual(['IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_KEY_REUSED', 'OK']);
    const [{ n }] = await app.sql('SELECT count(*)::int AS n FROM scope WHERE key = ANY($1)', [inputs.map((i) => i.key)]);
    expect(n).toBe(1);
  });
});
