import { randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type TestApp } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { Permission } from '../src/auth/permissions';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

let seq = 0;
/** A prefix no other test of this file uses, so `search` isolates a test's scopes. */
const prefix = () => `t${++seq}x${randomUUID().slice(0, 6)}`;

const SCOPE_FIELDS = 'id key name description inclusions exclusions certification riskAppetite version archivedAt owner { id } parent { id }';
const GET_BY_ID = `query($id: ID) { scope(id: $id) { ${SCOPE_FIELDS} } }`;
const GET_BY_KEY = `query($key: String) { scope(key: $key) { ${SCOPE_FIELDS} } }`;
const CREATE = `mutation($input: CreateScopeInput!) { createScope(input: $input) { ${SCOPE_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateScopeInput!, $v: Int!) { updateScope(id: $id, input: $input, expectedVersion: $v) { ${SCOPE_FIELDS} } }`;
const ARCHIVE = 'mutation($id: ID!, $v: Int) { archiveScope(id: $id, expectedVersion: $v) { id archivedAt version } }';
const LIST = `query($filter: ScopeFilter, $orderBy: ScopeOrder, $first: Int, $after: String) {
  scopes(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id key name createdAt updatedAt } }
  }
}`;

async function rowCounts() {
  const [row] = await app.sql('SELECT (SELECT count(*) FROM scope)::int AS scopes, (SELECT count(*) FROM audit_event)::int AS audits');
  return row as { scopes: number; audits: number };
}

async function keysOf(filter: Record<string, unknown>, key?: string): Promise<string[]> {
  const res = ok(await app.gql(LIST, { filter, first: 500 }, key));
  expect(res.scopes.totalCount).toBe(res.scopes.edges.length);
  return res.scopes.edges.map((e: any) => e.node.key);
}

describe('scope CRUD', () => {
  test('creates with every field, reads by id and key, updates, archives', async () => {
    const owner = await createOwner(app);
    const parent = await createScope(app);
    const input = {
      key: `${prefix()}.payments-eu`,
      name: '  Payments EU  ',
      description: 'Card processing in the EU',
      inclusions: ['Frankfurt DC', 'payments-api'],
      exclusions: ['HR systems: out of the certification'],
      certification: 'GUIDANCE_ONLY',
      ownerId: owner.id,
      parentId: parent.id,
      riskAppetite: 12,
    };
    const created = ok(await app.gql(CREATE, { input })).createScope;
    expect(created).toMatchObject({
      key: input.key, name: 'Payments EU', description: input.description, inclusions: input.inclusions, exclusions: input.exclusions,
      certification: 'GUIDANCE_ONLY', riskAppetite: 12, version: 1, archivedAt: null, owner: { id: owner.id }, parent: { id: parent.id },
    });
    const [row] = await app.sql('SELECT key, name, owner_id, parent_id, risk_appetite, certification::text AS certification FROM scope WHERE id = $1', [created.id]);
    expect(row).toEqual({ key: input.key, name: 'Payments EU', owner_id: owner.id, parent_id: parent.id, risk_appetite: 12, certification: 'GUIDANCE_ONLY' });

    expect(ok(await app.gql(GET_BY_ID, { id: created.id })).scope).toEqual(created);
    expect(ok(await app.gql(GET_BY_KEY, { key: input.key })).scope).toEqual(created);

    const defaults = ok(await app.gql(CREATE, { input: { key: `${prefix()}-min`, name: 'Minimal', certification: 'CERTIFIABLE', ownerId: owner.id } })).createScope;
    expect(defaults).toMatchObject({ riskAppetite: 9, description: null, inclusions: [], exclusions: [], parent: null });

    const owner2 = await createOwner(app);
    const updated = ok(await app.gql(UPDATE, {
      id: created.id,
      v: 1,
      input: { name: 'Payments Europe', description: null, inclusions: ['Frankfurt DC'], certification: 'CERTIFIABLE', ownerId: owner2.id, parentId: null, riskAppetite: 4 },
    })).updateScope;
    expect(updated).toMatchObject({ key: input.key, name: 'Payments Europe', description: null, inclusions: ['Frankfurt DC'], exclusions: input.exclusions, certification: 'CERTIFIABLE', owner: { id: owner2.id }, parent: null, riskAppetite: 4, version: 2 });

    const renamed = ok(await app.gql(UPDATE, { id: created.id, v: 2, input: { key: `${input.key}-2` } })).updateScope;
    expect(renamed).toMatchObject({ key: `${input.key}-2`, version: 3 });
    expect(errorCode(await app.gql(GET_BY_KEY, { key: input.key }))).toBe('NOT_FOUND');

    const archived = ok(await app.gql(ARCHIVE, { id: created.id, v: 3 })).archiveScope;
    expect(archived.version).toBe(4);
    expect(archived.archivedAt).not.toBeNull();
    // archived: still readable directly, hidden from lists unless asked for
    expect(ok(await app.gql(GET_BY_ID, { id: created.id })).scope.archivedAt).toBe(archived.archivedAt);
    expect(await keysOf({ search: input.key })).toEqual([]);
    expect(await keysOf({ search: input.key, includeArchived: true })).toEqual([`${input.key}-2`]);
    // archiving again changes nothing
    expect(ok(await app.gql(ARCHIVE, { id: created.id })).archiveScope.version).toBe(4);

    const audit = await app.sql('SELECT operation FROM audit_event WHERE entity_id = $1 ORDER BY at', [created.id]);
    expect(audit.map((a) => a.operation)).toEqual(['createScope', 'updateScope', 'updateScope', 'archiveScope']);
  });

  test('scope(id) and scope(key) of an unknown scope are NOT_FOUND; neither argument is BAD_USER_INPUT', async () => {
    expect(errorCode(await app.gql(GET_BY_ID, { id: randomUUID() }))).toBe('NOT_FOUND');
    expect(errorCode(await app.gql(GET_BY_ID, { id: 'not-a-uuid' }))).toBe('NOT_FOUND');
    expect(errorCode(await app.gql(GET_BY_KEY, { key: 'no-such-scope' }))).toBe('NOT_FOUND');
    expect(errorCode(await app.gql('{ scope { id } }'))).toBe('BAD_USER_INPUT');
  });

  test('updateScope and archiveScope of an unknown id are NOT_FOUND', async () => {
    const before = await rowCounts();
    expect(errorCode(await app.gql(UPDATE, { id: randomUUID(), v: 1, input: { name: 'x' } }))).toBe('NOT_FOUND');
    expect(errorCode(await app.gql(ARCHIVE, { id: randomUUID() }))).toBe('NOT_FOUND');
    expect(await rowCounts()).toEqual(before);
  });

  test('a stale expectedVersion is CONFLICT and writes nothing', async () => {
    const scope = await createScope(app, { name: 'Versioned' });
    ok(await app.gql(UPDATE, { id: scope.id, v: 1, input: { name: 'Second' } }));
    const before = await rowCounts();
    const stale = await app.gql(UPDATE, { id: scope.id, v: 1, input: { name: 'Lost update', riskAppetite: 20 } });
    expect(errorCode(stale)).toBe('CONFLICT');
    expect(stale.data).toBeNull();
    const staleArchive = await app.gql(ARCHIVE, { id: scope.id, v: 1 });
    expect(errorCode(staleArchive)).toBe('CONFLICT');
    const [row] = await app.sql('SELECT name, version, risk_appetite, archived_at FROM scope WHERE id = $1', [scope.id]);
    expect(row).toEqual({ name: 'Second', version: 2, risk_appetite: 9, archived_at: null });
    expect(await rowCounts()).toEqual(before);
  });

  test('a duplicate key is CONFLICT on create and on update, and writes nothing', async () => {
    const a = await createScope(app);
    const b = await createScope(app);
    const owner = await createOwner(app);
    const before = await rowCounts();
    const dup = await app.gql(CREATE, { input: { key: a.key, name: 'Dup', certification: 'CERTIFIABLE', ownerId: owner.id } });
    expect(errorCode(dup)).toBe('CONFLICT');
    const dupUpdate = await app.gql(UPDATE, { id: b.id, v: 1, input: { key: a.key } });
    expect(errorCode(dupUpdate)).toBe('CONFLICT');
    expect(await rowCounts()).toEqual(before);
    const [row] = await app.sql('SELECT key, version FROM scope WHERE id = $1', [b.id]);
    expect(row).toEqual({ key: b.key, version: 1 });
    // updating a scope to its own key is not a conflict
    ok(await app.gql(UPDATE, { id: a.id, v: 1, input: { key: a.key, name: 'Same key' } }));
  });

  test('concurrent creates with one key: one wins, the others are CONFLICT (never INTERNAL)', async () => {
    const owner = await createOwner(app);
    const key = `${prefix()}-race`;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      app.gql(CREATE, { input: { key, name: `Racer ${i}`, certification: 'CERTIFIABLE', ownerId: owner.id } })));
    const codes = results.map((r) => errorCode(r) ?? 'OK').sort();
    expect(codes).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT', 'OK']);
    const rows = await app.sql('SELECT id FROM scope WHERE key = $1', [key]);
    expect(rows).toHaveLength(1);
  });

  test('concurrent renames of two scopes to one key: one wins, the other is CONFLICT', async () => {
    const a = await createScope(app);
    const b = await createScope(app);
    const key = `${prefix()}-renamed`;
    const results = await Promise.all([a, b].map((s) => app.gql(UPDATE, { id: s.id, v: 1, input: { key } })));
    expect(results.map((r) => errorCode(r) ?? 'OK').sort()).toEqual(['CONFLICT', 'OK']);
    const rows = await app.sql('SELECT id, version FROM scope WHERE id = ANY($1) ORDER BY version', [[a.id, b.id]]);
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
    expect(await app.sql('SELECT id FROM scope WHERE key = $1', [key])).toHaveLength(1);
  });

  test('archiving is refused while active child scopes exist, allowed once they are archived', async () => {
    const parent = await createScope(app);
    const child = await createScope(app, { parentId: parent.id });
    const before = await rowCounts();
    const refused = await app.gql(ARCHIVE, { id: parent.id });
    expect(errorCode(refused)).toBe('CONFLICT');
    expect(await rowCounts()).toEqual(before);
    const [row] = await app.sql('SELECT archived_at, version FROM scope WHERE id = $1', [parent.id]);
    expect(row).toEqual({ archived_at: null, version: 1 });

    ok(await app.gql(ARCHIVE, { id: child.id }));
    expect(ok(await app.gql(ARCHIVE, { id: parent.id })).archiveScope.archivedAt).not.toBeNull();
  });

  test('an archived parent cannot take new children', async () => {
    const parent = await createScope(app);
    ok(await app.gql(ARCHIVE, { id: parent.id }));
    const owner = await createOwner(app);
    const before = await rowCounts();
    const res = await app.gql(CREATE, { input: { key: `${prefix()}-orphan`, name: 'Orphan', certification: 'CERTIFIABLE', ownerId: owner.id, parentId: parent.id } });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].extensions.field).toBe('parentId');
    expect(await rowCounts()).toEqual(before);
  });

  test('owner and parent are loaded in batches: the statement count does not grow with the rows', async () => {
    const p = prefix();
    const owner = await createOwner(app);
    const root = await createScope(app, { key: `${p}-root`, ownerId: owner.id });
    const q = '{ scopes(first: 100, filter: { search: $s }) { edges { node { id owner { id name } parent { id key owner { id } } } } } }'.replace('$s', JSON.stringify(p));
    for (let i = 0; i < 2; i += 1) await createScope(app, { key: `${p}-a${i}`, parentId: root.id });
    const small = await app.gql(q);
    for (let i = 0; i < 10; i += 1) await createScope(app, { key: `${p}-b${i}`, parentId: root.id });
    const large = await app.gql(q);
    expect(ok(large).scopes.edges).toHaveLength(13);
    expect(large.statements).toBe(small.statements);
  });
});

describe('scope lists', () => {
  let p: string;
  let ownerA: string;
  let ownerB: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    p = prefix();
    ownerA = (await createOwner(app)).id;
    ownerB = (await createOwner(app)).id;
    const make = async (name: string, extra: Record<string, unknown>) => {
      const s = await createScope(app, { key: `${p}-${name}`, name: `${p} ${name}`, ...extra });
      ids[name] = s.id;
    };
    await make('alpha', { ownerId: ownerA, certification: 'CERTIFIABLE' });
    await make('beta', { ownerId: ownerB, certification: 'GUIDANCE_ONLY', parentId: undefined });
    await make('gamma', { ownerId: ownerA, certification: 'GUIDANCE_ONLY', parentId: ids.alpha });
    await make('delta', { ownerId: ownerB, certification: 'CERTIFIABLE', parentId: ids.alpha });
    await make('epsilon', { ownerId: ownerA, certification: 'CERTIFIABLE', parentId: ids.gamma });
    await make('zeta', { ownerId: ownerA, certification: 'CERTIFIABLE' });
    ok(await app.gql(ARCHIVE, { id: ids.zeta }));
  });

  test('search matches key or name, case-insensitively, and treats % and _ literally', async () => {
    expect((await keysOf({ search: p })).sort()).toEqual(['alpha', 'beta', 'delta', 'epsilon', 'gamma'].map((n) => `${p}-${n}`));
    expect(await keysOf({ search: `${p}-GAM` })).toEqual([`${p}-gamma`]);
    expect(await keysOf({ search: `${p} DELTA` })).toEqual([`${p}-delta`]);
    expect(await keysOf({ search: `${p}%a` })).toEqual([]);
    expect(await keysOf({ search: `${p}_alpha` })).toEqual([]);
  });

  test('filters by owner, parent, top level, certification and archive state, combined with AND', async () => {
    const sorted = async (filter: Record<string, unknown>) => (await keysOf({ search: p, ...filter })).map((k) => k.slice(p.length + 1)).sort();
    expect(await sorted({ ownerIds: [ownerA] })).toEqual(['alpha', 'epsilon', 'gamma']);
    expect(await sorted({ ownerIds: [ownerA, ownerB] })).toEqual(['alpha', 'beta', 'delta', 'epsilon', 'gamma']);
    expect(await sorted({ ownerIds: [randomUUID()] })).toEqual([]);
    expect(await sorted({ parentId: ids.alpha })).toEqual(['delta', 'gamma']);
    expect(await sorted({ parentId: ids.gamma })).toEqual(['epsilon']);
    expect(await sorted({ topLevelOnly: true })).toEqual(['alpha', 'beta']);
    expect(await sorted({ certification: ['GUIDANCE_ONLY'] })).toEqual(['beta', 'gamma']);
    expect(await sorted({ certification: ['GUIDANCE_ONLY', 'CERTIFIABLE'] })).toHaveLength(5);
    expect(await sorted({ certification: ['CERTIFIABLE'], ownerIds: [ownerB] })).toEqual(['delta']);
    expect(await sorted({ includeArchived: true })).toEqual(['alpha', 'beta', 'delta', 'epsilon', 'gamma', 'zeta']);
    expect(await sorted({ includeArchived: true, topLevelOnly: true, ownerIds: [ownerA] })).toEqual(['alpha', 'zeta']);
  });

  test('scopes nest: parent resolves through the tree', async () => {
    const res = ok(await app.gql('query($id: ID) { scope(id: $id) { key parent { key parent { key parent { key } } } } }', { id: ids.epsilon }));
    expect(res.scope).toEqual({ key: `${p}-epsilon`, parent: { key: `${p}-gamma`, parent: { key: `${p}-alpha`, parent: null } } });
  });

  async function walk(orderBy: Record<string, string>, size: number, filter: Record<string, unknown>) {
    const seen: any[] = [];
    let after: string | null = null;
    for (let page = 0; page < 50; page += 1) {
      const res: any = ok(await app.gql(LIST, { filter, orderBy, first: size, after })).scopes;
      expect(res.edges.length).toBeLessThanOrEqual(size);
      seen.push(...res.edges.map((e: any) => e.node));
      if (res.edges.length) expect(res.pageInfo.endCursor).toBe(res.edges.at(-1).cursor);
      if (!res.pageInfo.hasNextPage) return seen;
      expect(res.edges).toHaveLength(size);
      after = res.pageInfo.endCursor;
    }
    throw new Error('pagination did not end');
  }

  describe('orderBy with keyset pagination', () => {
    const q = prefix();
    const names = ['m', 'c', 'x', 'c', 'a', 'm', 'c', 'b', 'x', 'a', 'c'];
    let rows: Array<{ id: string; key: string; name: string }>;
    beforeAll(async () => {
      const owner = await createOwner(app);
      rows = [];
      for (const [i, n] of names.entries()) {
        // keys run against names, so ordering by key and by name differ
        const s = await createScope(app, { key: `${q}-${String(names.length - i).padStart(2, '0')}`, name: `${q}-${n}`, ownerId: owner.id });
        rows.push({ id: s.id, key: s.key, name: `${q}-${n}` });
      }
    });

    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const expected = (field: 'key' | 'name', direction: 'ASC' | 'DESC') => {
      const sorted = [...rows].sort((a, b) => cmp(a[field], b[field]) || cmp(a.id, b.id));
      return (direction === 'ASC' ? sorted : sorted.reverse()).map((r) => r.id);
    };

    test.each([
      ['KEY', 'key', 'ASC', 3],
      ['KEY', 'key', 'DESC', 4],
      ['NAME', 'name', 'ASC', 2],
      ['NAME', 'name', 'DESC', 3],
      ['NAME', 'name', 'ASC', 1],
    ] as const)('orderBy %s (%s) %s in pages of %i: every row once, in order, ties broken by id', async (field, prop, direction, size) => {
      const all = await walk({ field, direction }, size, { search: q });
      expect(all.map((n) => n.id)).toEqual(expected(prop, direction));
      const once = ok(await app.gql(LIST, { filter: { search: q }, orderBy: { field, direction }, first: 500 })).scopes;
      expect(once.edges.map((e: any) => e.node.id)).toEqual(expected(prop, direction));
      expect(once.totalCount).toBe(names.length);
      expect(once.pageInfo.hasNextPage).toBe(false);
    });

    test.each(['CREATED_AT', 'UPDATED_AT'])('orderBy %s pages through every row in time order', async (field) => {
      const asc = await walk({ field, direction: 'ASC' }, 4, { search: q });
      const desc = await walk({ field, direction: 'DESC' }, 4, { search: q });
      expect(new Set(asc.map((n) => n.id)).size).toBe(names.length);
      expect(desc.map((n) => n.id)).toEqual([...asc.map((n) => n.id)].reverse());
      const prop = field === 'CREATED_AT' ? 'createdAt' : 'updatedAt';
      const times = asc.map((n) => Date.parse(n[prop]));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
    });

    test('the default order is by key, ascending; default page size is 50', async () => {
      const res = ok(await app.gql(LIST, { filter: { search: q } })).scopes;
      expect(res.edges.map((e: any) => e.node.id)).toEqual(expected('key', 'ASC'));
    });

    test('first: 0 returns no edges but the total; totalCount counts all pages', async () => {
      const res = ok(await app.gql(LIST, { filter: { search: q }, first: 0 })).scopes;
      expect(res.edges).toEqual([]);
      expect(res.totalCount).toBe(names.length);
      const page = ok(await app.gql(LIST, { filter: { search: q }, first: 2 })).scopes;
      expect(page.totalCount).toBe(names.length);
      expect(page.pageInfo.hasNextPage).toBe(true);
    });

    test('rows created after a page was read appear on a later page, none repeated', async () => {
      const first = ok(await app.gql(LIST, { filter: { search: q }, orderBy: { field: 'KEY', direction: 'ASC' }, first: 3 })).scopes;
      const late = await createScope(app, { key: `${q}-99`, name: `${q}-late` });
      rows.push({ id: late.id, key: late.key, name: `${q}-late` });
      const rest = await walk({ field: 'KEY', direction: 'ASC' }, 5, { search: q });
      const after = rest.filter((n) => n.key > first.edges.at(-1).node.key);
      expect([...first.edges.map((e: any) => e.node.id), ...after.map((n) => n.id)]).toEqual(expected('key', 'ASC'));
    });
  });

  test.each([501, 1000, -1])('first: %i is BAD_USER_INPUT', async (first) => {
    const res = await app.gql(LIST, { first });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.data).toBeNull();
  });

  test('first: 500 is accepted', async () => {
    ok(await app.gql(LIST, { first: 500 }));
  });

  test.each([
    ['garbage', 'not-a-cursor'],
    ['base64 of another shape', Buffer.from(JSON.stringify({ a: 1 })).toString('base64url')],
    ['a cursor with a non-uuid id', Buffer.from(JSON.stringify(['x', 'y'])).toString('base64url')],
  ])('a bad cursor (%s) is BAD_USER_INPUT', async (_label, after) => {
    const res = await app.gql(LIST, { after, first: 2 });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].extensions.field).toBe('after');
  });

  test('a cursor issued for another order is BAD_USER_INPUT, not a database error', async () => {
    const page = ok(await app.gql(LIST, { filter: { search: p }, orderBy: { field: 'NAME', direction: 'ASC' }, first: 1 })).scopes;
    for (const field of ['CREATED_AT', 'UPDATED_AT']) {
      const res = await app.gql(LIST, { filter: { search: p }, orderBy: { field, direction: 'ASC' }, first: 1, after: page.pageInfo.endCursor });
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
    }
  });
});

describe('a scope-restricted key', () => {
  // mine ─ child ─ grandchild      foreign ─ foreignChild
  let mine: { id: string; key: string };
  let child: { id: string; key: string };
  let grandchild: { id: string; key: string };
  let foreign: { id: string; key: string };
  let foreignChild: { id: string; key: string };
  let writer: string;
  let reader: string;
  let childOnly: string;
  let owner: string;

  beforeAll(async () => {
    owner = (await createOwner(app)).id;
    mine = await createScope(app, { ownerId: owner });
    child = await createScope(app, { parentId: mine.id, ownerId: owner });
    grandchild = await createScope(app, { parentId: child.id, ownerId: owner });
    foreign = await createScope(app, { ownerId: owner });
    foreignChild = await createScope(app, { parentId: foreign.id, ownerId: owner });
    writer = (await app.createKey([Permission.ISMS_WRITE], { scopeIds: [mine.id] })).secret;
    reader = (await app.createKey([Permission.ISMS_READ], { scopeIds: [mine.id] })).secret;
    childOnly = (await app.createKey([Permission.ISMS_READ], { scopeIds: [child.id] })).secret;
  });

  test('sees its scopes and their descendants by id and key', async () => {
    for (const s of [mine, child, grandchild]) {
      expect(ok(await app.gql(GET_BY_ID, { id: s.id }, reader)).scope.id).toBe(s.id);
      expect(ok(await app.gql(GET_BY_KEY, { key: s.key }, reader)).scope.id).toBe(s.id);
    }
  });

  test('gets NOT_FOUND for other scopes, by id and by key', async () => {
    for (const s of [foreign, foreignChild]) {
      const byId = await app.gql(GET_BY_ID, { id: s.id }, reader);
      expect(errorCode(byId)).toBe('NOT_FOUND');
      expect(byId.data).toBeNull();
      expect(errorCode(await app.gql(GET_BY_KEY, { key: s.key }, reader))).toBe('NOT_FOUND');
    }
    // a key restricted to a child does not see the parent
    expect(errorCode(await app.gql(GET_BY_ID, { id: mine.id }, childOnly))).toBe('NOT_FOUND');
  });

  test('lists and totals omit other scopes', async () => {
    const res = ok(await app.gql(LIST, { first: 500, filter: { includeArchived: true } }, reader)).scopes;
    expect(res.edges.map((e: any) => e.node.id).sort()).toEqual([mine.id, child.id, grandchild.id].sort());
    expect(res.totalCount).toBe(3);
    const filtered = ok(await app.gql(LIST, { filter: { ownerIds: [owner] }, first: 1 }, reader)).scopes;
    expect(filtered.totalCount).toBe(3);
    expect(filtered.pageInfo.hasNextPage).toBe(true);
    const foreignChildren = ok(await app.gql(LIST, { filter: { parentId: foreign.id } }, reader)).scopes;
    expect(foreignChildren).toMatchObject({ totalCount: 0, edges: [] });
    const narrow = ok(await app.gql(LIST, { first: 500 }, childOnly)).scopes;
    expect(narrow.edges.map((e: any) => e.node.id).sort()).toEqual([child.id, grandchild.id].sort());
    expect(narrow.totalCount).toBe(2);
  });

  test('scope.parent is null when the parent is outside the key\'s scopes', async () => {
    const res = ok(await app.gql('query($id: ID) { scope(id: $id) { id parent { id } } }', { id: child.id }, childOnly));
    expect(res.scope).toEqual({ id: child.id, parent: null });
    const inner = ok(await app.gql('query($id: ID) { scope(id: $id) { parent { id } } }', { id: grandchild.id }, childOnly));
    expect(inner.scope.parent).toEqual({ id: child.id });
    const listed = ok(await app.gql('{ scopes(first: 500) { edges { node { id parent { id } } } } }', {}, childOnly)).scopes.edges;
    expect(listed.find((e: any) => e.node.id === child.id).node.parent).toBeNull();
  });

  test('creates a scope under one of its scopes', async () => {
    const created = ok(await app.gql(CREATE, { input: { key: `${prefix()}-sub`, name: 'Sub', certification: 'CERTIFIABLE', ownerId: owner, parentId: grandchild.id } }, writer)).createScope;
    expect(created.parent).toEqual({ id: grandchild.id });
    // and then sees it, since children of allowed scopes are allowed
    expect(ok(await app.gql(GET_BY_ID, { id: created.id }, reader)).scope.id).toBe(created.id);
  });

  test('createScope under a foreign parent or at the top level is FORBIDDEN and writes nothing', async () => {
    const before = await rowCounts();
    for (const parentId of [foreign.id, foreignChild.id, undefined]) {
      const res = await app.gql(CREATE, { input: { key: `${prefix()}-nope`, name: 'Nope', certification: 'CERTIFIABLE', ownerId: owner, parentId } }, writer);
      expect(errorCode(res)).toBe('FORBIDDEN');
      expect(res.data).toBeNull();
    }
    expect(await rowCounts()).toEqual(before);
  });

  test('updateScope and archiveScope of a foreign scope are NOT_FOUND and write nothing', async () => {
    const before = await rowCounts();
    expect(errorCode(await app.gql(UPDATE, { id: foreign.id, v: 1, input: { name: 'Taken over' } }, writer))).toBe('NOT_FOUND');
    expect(errorCode(await app.gql(ARCHIVE, { id: foreignChild.id }, writer))).toBe('NOT_FOUND');
    expect(await rowCounts()).toEqual(before);
    const [row] = await app.sql('SELECT name, version, archived_at FROM scope WHERE id = $1', [foreign.id]);
    expect(row.version).toBe(1);
    expect(row.archived_at).toBeNull();
  });

  test('moving its scope under a foreign scope or to the top level is FORBIDDEN and writes nothing', async () => {
    const [start] = await app.sql('SELECT version, parent_id FROM scope WHERE id = $1', [child.id]);
    const before = await rowCounts();
    for (const parentId of [foreign.id, null]) {
      const res = await app.gql(UPDATE, { id: child.id, v: start.version, input: { parentId } }, writer);
      expect(errorCode(res)).toBe('FORBIDDEN');
    }
    expect(await rowCounts()).toEqual(before);
    const [row] = await app.sql('SELECT version, parent_id FROM scope WHERE id = $1', [child.id]);
    expect(row).toEqual(start);
  });

  test('a read-only restricted key may not write even inside its scopes', async () => {
    const res = await app.gql(UPDATE, { id: child.id, v: 1, input: { name: 'x' } }, reader);
    expect(errorCode(res)).toBe('FORBIDDEN');
  });
});
