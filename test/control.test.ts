import { randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type TestApp, type GqlResponse } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { createControl, uniqueCode } from './helpers/isms-factories';
import { Permission } from '../src/auth/permissions';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const DAY = 86_400_000;
let seq = 0;
/** A prefix no other test of this file uses, so `search` isolates a test's controls. */
const prefix = () => `k${++seq}x${randomUUID().slice(0, 6)}`;

const FIELDS = 'id code title description status effectiveness reviewIntervalDays lastReviewedAt nextReviewAt version createdAt updatedAt archivedAt owner { id } scopes { id }';
const GET = `query($id: ID!) { control(id: $id) { ${FIELDS} } }`;
const CREATE = `mutation($input: CreateControlInput!, $k: String) { createControl(input: $input, idempotencyKey: $k) { ${FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateControlInput!, $v: Int!) { updateControl(id: $id, input: $input, expectedVersion: $v) { ${FIELDS} } }`;
const ARCHIVE = 'mutation($id: ID!, $v: Int) { archiveControl(id: $id, expectedVersion: $v) { id archivedAt version } }';
const LINK = 'mutation($c: ID!, $s: ID!) { linkControlToScope(controlId: $c, scopeId: $s) { id version scopes { id } } }';
const UNLINK = 'mutation($c: ID!, $s: ID!) { unlinkControlFromScope(controlId: $c, scopeId: $s) { id version scopes { id } } }';
const LIST = `query($filter: ControlFilter, $orderBy: ControlOrder, $first: Int, $after: String) {
  controls(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id code title status createdAt updatedAt } }
  }
}`;

async function rowCounts() {
  const [row] = await app.sql(`SELECT (SELECT count(*) FROM control)::int AS controls, (SELECT count(*) FROM control_scope)::int AS links,
    (SELECT count(*) FROM audit_event)::int AS audits, (SELECT count(*) FROM idempotency_key)::int AS idem`);
  return row as Record<string, number>;
}

async function auditOps(id: string): Promise<string[]> {
  const rows = await app.sql('SELECT operation FROM audit_event WHERE entity_id = $1 ORDER BY at, operation', [id]);
  return rows.map((r) => r.operation);
}

async function codesOf(filter: Record<string, unknown>, key?: string): Promise<string[]> {
  const res = ok(await app.gql(LIST, { filter, first: 500 }, key)).controls;
  expect(res.totalCount).toBe(res.edges.length);
  return res.edges.map((e: any) => e.node.code);
}

function expectFailure(res: GqlResponse, code: string, field?: string) {
  expect(errorCode(res)).toBe(code);
  expect(res.data).toBeNull();
  if (field !== undefined) expect(res.errors![0].extensions.field).toBe(field);
}

describe('control CRUD', () => {
  test('creates with every field, reads, updates, archives; an audit row per write', async () => {
    const owner = await createOwner(app);
    const s1 = await createScope(app);
    const s2 = await createScope(app);
    const reviewed = '2025-03-01T10:00:00.000Z';
    const input = {
      code: uniqueCode('CTL'),
      title: '  Quarterly access review  ',
      description: 'Managers confirm the access of their reports',
      ownerId: owner.id,
      status: 'IMPLEMENTED',
      effectiveness: 'PARTIALLY_EFFECTIVE',
      reviewIntervalDays: 90,
      lastReviewedAt: reviewed,
      scopeIds: [s1.id, s2.id, s1.id],
    };
    const created = ok(await app.gql(CREATE, { input })).createControl;
    expect(created).toMatchObject({
      code: input.code, title: 'Quarterly access review', description: input.description, status: 'IMPLEMENTED',
      effectiveness: 'PARTIALLY_EFFECTIVE', reviewIntervalDays: 90, lastReviewedAt: reviewed, version: 1, archivedAt: null,
      owner: { id: owner.id },
    });
    expect(created.scopes.map((s: any) => s.id).sort()).toEqual([s1.id, s2.id].sort());
    expect(created.nextReviewAt).toBe(new Date(Date.parse(reviewed) + 90 * DAY).toISOString());
    const [row] = await app.sql('SELECT code, title, owner_id, status::text AS status, effectiveness::text AS effectiveness, review_interval_days, version FROM control WHERE id = $1', [created.id]);
    expect(row).toEqual({ code: input.code, title: 'Quarterly access review', owner_id: owner.id, status: 'IMPLEMENTED', effectiveness: 'PARTIALLY_EFFECTIVE', review_interval_days: 90, version: 1 });
    expect(await app.sql('SELECT scope_id FROM control_scope WHERE control_id = $1 ORDER BY scope_id', [created.id])).toEqual([s1.id, s2.id].sort().map((scope_id) => ({ scope_id })));

    const read = ok(await app.gql(GET, { id: created.id })).control;
    expect({ ...read, scopes: read.scopes.map((s: any) => s.id).sort() }).toEqual({ ...created, scopes: created.scopes.map((s: any) => s.id).sort() });

    const owner2 = await createOwner(app);
    const code2 = uniqueCode('CTL');
    const updated = ok(await app.gql(UPDATE, {
      id: created.id, v: 1,
      input: { code: code2, title: 'Monthly access review', description: null, ownerId: owner2.id, status: 'RETIRED', effectiveness: 'INEFFECTIVE', reviewIntervalDays: 30, lastReviewedAt: null },
    })).updateControl;
    expect(updated).toMatchObject({
      code: code2, title: 'Monthly access review', description: null, owner: { id: owner2.id }, status: 'RETIRED', effectiveness: 'INEFFECTIVE',
      reviewIntervalDays: 30, lastReviewedAt: null, version: 2,
    });
    // never reviewed: the next review counts from creation
    expect(updated.nextReviewAt).toBe(new Date(Date.parse(created.createdAt) + 30 * DAY).toISOString());
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));

    // omitted fields stay as they are
    const partial = ok(await app.gql(UPDATE, { id: created.id, v: 2, input: { title: 'Monthly review' } })).updateControl;
    expect(partial).toMatchObject({ code: code2, title: 'Monthly review', status: 'RETIRED', reviewIntervalDays: 30, version: 3, owner: { id: owner2.id } });

    const archived = ok(await app.gql(ARCHIVE, { id: created.id, v: 3 })).archiveControl;
    expect(archived.archivedAt).not.toBeNull();
    expect(archived.version).toBe(4);
    // archived: kept and readable by id, hidden from lists unless asked for
    expect(ok(await app.gql(GET, { id: created.id })).control.archivedAt).toBe(archived.archivedAt);
    expect(await codesOf({ search: code2 })).toEqual([]);
    expect(await codesOf({ search: code2, includeArchived: true })).toEqual([code2]);
    // archiving again changes nothing
    expect(ok(await app.gql(ARCHIVE, { id: created.id })).archiveControl).toEqual(archived);

    expect((await auditOps(created.id)).sort()).toEqual(['archiveControl', 'createControl', 'updateControl', 'updateControl']);
    const [audit] = await app.sql("SELECT before, after FROM audit_event WHERE entity_id = $1 AND operation = 'createControl'", [created.id]);
    expect(audit.before).toBeNull();
    expect(audit.after.scopeIds.sort()).toEqual([s1.id, s2.id].sort());
  });

  test('defaults: NOT_STARTED, NOT_ASSESSED, 365 days, no scopes; nextReviewAt from creation', async () => {
    const c = await createControl(app);
    const read = ok(await app.gql(GET, { id: c.id })).control;
    expect(read).toMatchObject({ status: 'NOT_STARTED', effectiveness: 'NOT_ASSESSED', reviewIntervalDays: 365, lastReviewedAt: null, description: null, scopes: [] });
    expect(read.nextReviewAt).toBe(new Date(Date.parse(read.createdAt) + 365 * DAY).toISOString());
  });

  test('nextReviewAt moves with a recorded review and with the interval', async () => {
    const c = await createControl(app, { reviewIntervalDays: 10 });
    const at = '2026-01-15T08:30:00.000Z';
    const u = ok(await app.gql(UPDATE, { id: c.id, v: 1, input: { lastReviewedAt: at } })).updateControl;
    expect(u.nextReviewAt).toBe('2026-01-25T08:30:00.000Z');
    const u2 = ok(await app.gql(UPDATE, { id: c.id, v: 2, input: { reviewIntervalDays: 1095 } })).updateControl;
    expect(u2.nextReviewAt).toBe(new Date(Date.parse(at) + 1095 * DAY).toISOString());
  });

  test('unknown or malformed id is NOT_FOUND for reads and writes', async () => {
    for (const id of [randomUUID(), 'not-a-uuid']) {
      expectFailure(await app.gql(GET, { id }), 'NOT_FOUND');
      expectFailure(await app.gql(UPDATE, { id, v: 1, input: { title: 'x' } }), 'NOT_FOUND');
      expectFailure(await app.gql(ARCHIVE, { id }), 'NOT_FOUND');
      const scope = await createScope(app);
      expectFailure(await app.gql(LINK, { c: id, s: scope.id }), 'NOT_FOUND');
    }
  });
});

describe('versions and conflicts', () => {
  test('a stale expectedVersion is CONFLICT and writes nothing', async () => {
    const c = await createControl(app);
    ok(await app.gql(UPDATE, { id: c.id, v: 1, input: { title: 'Second' } }));
    const before = await rowCounts();
    expectFailure(await app.gql(UPDATE, { id: c.id, v: 1, input: { title: 'Lost update', status: 'IMPLEMENTED' } }), 'CONFLICT');
    expectFailure(await app.gql(ARCHIVE, { id: c.id, v: 1 }), 'CONFLICT');
    expect(await rowCounts()).toEqual(before);
    const [row] = await app.sql('SELECT title, status::text AS status, version, archived_at FROM control WHERE id = $1', [c.id]);
    expect(row).toEqual({ title: 'Second', status: 'NOT_STARTED', version: 2, archived_at: null });
  });

  test('a duplicate code is CONFLICT on create and on update, and writes nothing', async () => {
    const a = await createControl(app);
    const b = await createControl(app);
    const owner = await createOwner(app);
    const scope = await createScope(app);
    const before = await rowCounts();
    expectFailure(await app.gql(CREATE, { input: { code: a.code, title: 'Twin', ownerId: owner.id, scopeIds: [scope.id] } }), 'CONFLICT');
    expectFailure(await app.gql(UPDATE, { id: b.id, v: 1, input: { code: a.code } }), 'CONFLICT');
    expect(await rowCounts()).toEqual(before);
    expect((await app.sql('SELECT code, version FROM control WHERE id = $1', [b.id]))[0]).toEqual({ code: b.code, version: 1 });
    // keeping one's own code is no conflict
    expect(ok(await app.gql(UPDATE, { id: a.id, v: 1, input: { code: a.code, title: 'Same code' } })).updateControl.code).toBe(a.code);
  });

  test('concurrent creates with one code: one wins, the others are CONFLICT (never INTERNAL)', async () => {
    const owner = await createOwner(app);
    const code = uniqueCode('RACE');
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => app.gql(CREATE, { input: { code, title: `Racer ${i}`, ownerId: owner.id } })));
    const codes = results.map((r) => (r.errors ? errorCode(r) : 'OK')).sort();
    expect(codes).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT', 'OK']);
    expect((await app.sql('SELECT count(*)::int AS n FROM control WHERE code = $1', [code]))[0].n).toBe(1);
  });
});

describe('bad inputs are BAD_USER_INPUT naming the field, and write nothing', () => {
  let owner: string;
  let scope: string;
  beforeAll(async () => {
    owner = (await createOwner(app)).id;
    scope = (await createScope(app)).id;
  });

  const cases: Array<[string, () => Record<string, unknown>, string]> = [
    ['an unknown owner id', () => ({ ownerId: randomUUID() }), 'ownerId'],
    ['a malformed owner id', () => ({ ownerId: 'owner-1' }), 'ownerId'],
    ['an unknown scope id', () => ({ scopeIds: [scope, randomUUID()] }), 'scopeIds'],
    ['an empty title', () => ({ title: '' }), 'title'],
    ['a blank title', () => ({ title: '   ' }), 'title'],
    ['a code with spaces', () => ({ code: 'CTL 1' }), 'code'],
    ['a review interval of 0', () => ({ reviewIntervalDays: 0 }), 'reviewIntervalDays'],
  ];
  test.each(cases)('createControl with %s', async (_label, patch, field) => {
    const before = await rowCounts();
    const res = await app.gql(CREATE, { input: { code: uniqueCode(), title: 'Valid', ownerId: owner, scopeIds: [scope], ...patch() } });
    expectFailure(res, 'BAD_USER_INPUT', field);
    expect(await rowCounts()).toEqual(before);
  });

  test('an archived scope or owner', async () => {
    const archivedScope = await createScope(app);
    ok(await app.gql('mutation($id: ID!) { archiveScope(id: $id) { id } }', { id: archivedScope.id }));
    const archivedOwner = await createOwner(app);
    ok(await app.gql('mutation($id: ID!) { archiveOwner(id: $id) { id } }', { id: archivedOwner.id }));
    const before = await rowCounts();
    expectFailure(await app.gql(CREATE, { input: { code: uniqueCode(), title: 'x', ownerId: owner, scopeIds: [archivedScope.id] } }), 'BAD_USER_INPUT', 'scopeIds');
    expectFailure(await app.gql(CREATE, { input: { code: uniqueCode(), title: 'x', ownerId: archivedOwner.id } }), 'BAD_USER_INPUT', 'ownerId');
    const c = await createControl(app);
    const afterCreate = await rowCounts();
    expectFailure(await app.gql(UPDATE, { id: c.id, v: 1, input: { ownerId: randomUUID() } }), 'BAD_USER_INPUT', 'ownerId');
    expectFailure(await app.gql(UPDATE, { id: c.id, v: 1, input: { title: ' ' } }), 'BAD_USER_INPUT', 'title');
    expectFailure(await app.gql(UPDATE, { id: c.id, v: 1, input: { status: null } }), 'BAD_USER_INPUT', 'status');
    expectFailure(await app.gql(LINK, { c: c.id, s: archivedScope.id }), 'BAD_USER_INPUT', 'scopeId');
    expectFailure(await app.gql(LINK, { c: c.id, s: randomUUID() }), 'BAD_USER_INPUT', 'scopeId');
    expect(await rowCounts()).toEqual(afterCreate);
    expect(afterCreate.controls).toBe(before.controls + 1);
  });
});

describe('control ↔ scope links', () => {
  test('link and unlink: idempotent, each real change bumps the version and writes an audit row', async () => {
    const c = await createControl(app);
    const s1 = await createScope(app);
    const s2 = await createScope(app);
    const linked = ok(await app.gql(LINK, { c: c.id, s: s1.id })).linkControlToScope;
    expect(linked).toEqual({ id: c.id, version: 2, scopes: [{ id: s1.id }] });
    const again = ok(await app.gql(LINK, { c: c.id, s: s1.id })).linkControlToScope;
    expect(again).toEqual(linked);
    const both = ok(await app.gql(LINK, { c: c.id, s: s2.id })).linkControlToScope;
    expect(both.version).toBe(3);
    expect(both.scopes.map((s: any) => s.id)).toEqual([s1.id, s2.id]);
    // upper-case ids name the same scope: still a no-op
    expect(ok(await app.gql(LINK, { c: c.id, s: s2.id.toUpperCase() })).linkControlToScope.version).toBe(3);

    const unlinked = ok(await app.gql(UNLINK, { c: c.id, s: s1.id })).unlinkControlFromScope;
    expect(unlinked).toEqual({ id: c.id, version: 4, scopes: [{ id: s2.id }] });
    expect(ok(await app.gql(UNLINK, { c: c.id, s: s1.id })).unlinkControlFromScope).toEqual(unlinked);
    expect(ok(await app.gql(UNLINK, { c: c.id, s: randomUUID() })).unlinkControlFromScope.version).toBe(4);

    expect(await app.sql('SELECT scope_id FROM control_scope WHERE control_id = $1', [c.id])).toEqual([{ scope_id: s2.id }]);
    const audits = await app.sql("SELECT operation, before, after FROM audit_event WHERE entity_id = $1 AND operation LIKE '%Scope' ORDER BY at, (after->>'version')::int", [c.id]);
    expect(audits.map((a) => a.operation)).toEqual(['linkControlToScope', 'linkControlToScope', 'unlinkControlFromScope']);
    expect(audits.map((a) => [a.before.scopeIds, a.after.scopeIds])).toEqual([
      [[], [s1.id]],
      [[s1.id], [s1.id, s2.id]],
      [[s1.id, s2.id], [s2.id]],
    ]);
    expect(audits.map((a) => [a.before.version, a.after.version])).toEqual([[1, 2], [2, 3], [3, 4]]);

    const read = ok(await app.gql(GET, { id: c.id })).control;
    expect(read.scopes).toEqual([{ id: s2.id }]);
  });

  test('concurrent links of one pair make one link and one version', async () => {
    const c = await createControl(app);
    const s = await createScope(app);
    const results = await Promise.all(Array.from({ length: 6 }, () => app.gql(LINK, { c: c.id, s: s.id })));
    for (const res of results) expect(ok(res).linkControlToScope).toEqual({ id: c.id, version: 2, scopes: [{ id: s.id }] });
    expect(await auditOps(c.id)).toEqual(['createControl', 'linkControlToScope']);
  });

  test('scope.controls: active controls of the scope by code, paged, with totalCount', async () => {
    const p = prefix().toUpperCase();
    const scope = await createScope(app);
    const other = await createScope(app);
    const made = [];
    for (const n of ['04', '01', '03', '02', '05']) made.push(await createControl(app, { code: `${p}-${n}`, scopeIds: [scope.id] }));
    await createControl(app, { code: `${p}-00`, scopeIds: [other.id] });
    const gone = await createControl(app, { code: `${p}-06`, scopeIds: [scope.id] });
    ok(await app.gql(ARCHIVE, { id: gone.id }));
    const Q = 'query($id: ID, $after: String) { scope(id: $id) { controls(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { code } } } } }';
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 5; i += 1) {
      const page: any = ok(await app.gql(Q, { id: scope.id, after })).scope.controls;
      expect(page.totalCount).toBe(5);
      seen.push(...page.edges.map((e: any) => e.node.code));
      if (!page.pageInfo.hasNextPage) break;
      expect(page.edges).toHaveLength(2);
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(['01', '02', '03', '04', '05'].map((n) => `${p}-${n}`));
    expect(made).toHaveLength(5);
  });
});

describe('idempotent createControl', () => {
  test('the same key and input return the control first created; another input is IDEMPOTENCY_KEY_REUSED', async () => {
    const owner = await createOwner(app);
    const scope = await createScope(app);
    const input = { code: uniqueCode('IDEM'), title: 'Idempotent', ownerId: owner.id, scopeIds: [scope.id] };
    const first = ok(await app.gql(CREATE, { input, k: 'ctl-1' })).createControl;
    const second = ok(await app.gql(CREATE, { input, k: 'ctl-1' })).createControl;
    expect(second).toEqual(first);
    expect((await app.sql('SELECT count(*)::int AS n FROM control WHERE code = $1', [input.code]))[0].n).toBe(1);
    expect(await auditOps(first.id)).toEqual(['createControl']);

    const before = await rowCounts();
    const other = await app.gql(CREATE, { input: { ...input, title: 'Other' }, k: 'ctl-1' });
    expectFailure(other, 'IDEMPOTENCY_KEY_REUSED', 'idempotencyKey');
    expect(await rowCounts()).toEqual(before);
  });

  test('concurrent retries with one key create one control', async () => {
    const owner = await createOwner(app);
    const input = { code: uniqueCode('IDEM'), title: 'Concurrent', ownerId: owner.id };
    const results = await Promise.all(Array.from({ length: 8 }, () => app.gql(CREATE, { input, k: 'ctl-concurrent' })));
    const ids = new Set(results.map((r) => ok(r).createControl.id));
    expect(ids.size).toBe(1);
    expect((await app.sql('SELECT count(*)::int AS n FROM control WHERE code = $1', [input.code]))[0].n).toBe(1);
    expect(await auditOps([...ids][0])).toEqual(['createControl']);
  });
});

describe('control lists', () => {
  let p: string;
  const ids: Record<string, string> = {};
  let ownerA: string;
  let ownerB: string;
  let scope1: string;
  let scope2: string;

  beforeAll(async () => {
    p = prefix().toUpperCase();
    ownerA = (await createOwner(app)).id;
    ownerB = (await createOwner(app)).id;
    scope1 = (await createScope(app)).id;
    scope2 = (await createScope(app)).id;
    const make = async (name: string, title: string, extra: Record<string, unknown>) => {
      ids[name] = (await createControl(app, { code: `${p}-${name}`, title, ...extra })).id;
    };
    await make('A', 'Access review', { ownerId: ownerA, status: 'IMPLEMENTED', effectiveness: 'EFFECTIVE', scopeIds: [scope1] });
    await make('B', 'Backup restore test', { ownerId: ownerB, status: 'PLANNED', effectiveness: 'NOT_ASSESSED', scopeIds: [scope2] });
    await make('C', 'Crypto key rotation', { ownerId: ownerA, status: 'IN_PROGRESS', effectiveness: 'PARTIALLY_EFFECTIVE', scopeIds: [scope1, scope2] });
    await make('D', 'Data retention 100% enforced', { ownerId: ownerB, status: 'IMPLEMENTED', effectiveness: 'INEFFECTIVE' });
    await make('E', 'Egress filtering', { ownerId: ownerA, status: 'RETIRED', effectiveness: 'EFFECTIVE', scopeIds: [scope2] });
    await make('F', 'Firewall review', { ownerId: ownerA, status: 'IMPLEMENTED', effectiveness: 'EFFECTIVE', scopeIds: [scope1] });
    ok(await app.gql(ARCHIVE, { id: ids.F }));
  });

  const names = async (filter: Record<string, unknown>) => (await codesOf({ search: p, ...filter })).map((c) => c.slice(p.length + 1)).sort();

  test('status, effectiveness, owner and scope filters take lists and combine with AND', async () => {
    expect(await names({})).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(await names({ status: ['IMPLEMENTED'] })).toEqual(['A', 'D']);
    expect(await names({ status: ['PLANNED', 'IN_PROGRESS'] })).toEqual(['B', 'C']);
    expect(await names({ status: [] })).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(await names({ effectiveness: ['EFFECTIVE'] })).toEqual(['A', 'E']);
    expect(await names({ effectiveness: ['INEFFECTIVE', 'PARTIALLY_EFFECTIVE'] })).toEqual(['C', 'D']);
    expect(await names({ ownerIds: [ownerA] })).toEqual(['A', 'C', 'E']);
    expect(await names({ ownerIds: [ownerB, ownerA] })).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(await names({ ownerIds: [randomUUID()] })).toEqual([]);
    expect(await names({ scopeIds: [scope1] })).toEqual(['A', 'C']);
    expect(await names({ scopeIds: [scope2] })).toEqual(['B', 'C', 'E']);
    expect(await names({ scopeIds: [scope1, scope2] })).toEqual(['A', 'B', 'C', 'E']);
    expect(await names({ scopeIds: [scope1], status: ['IMPLEMENTED'] })).toEqual(['A']);
    expect(await names({ scopeIds: [scope2], ownerIds: [ownerA], effectiveness: ['EFFECTIVE'] })).toEqual(['E']);
  });

  test('includeArchived shows archived controls, with every other filter still applied', async () => {
    expect(await names({ includeArchived: true })).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
    expect(await names({ includeArchived: true, scopeIds: [scope1] })).toEqual(['A', 'C', 'F']);
    expect(await names({ includeArchived: false, scopeIds: [scope1] })).toEqual(['A', 'C']);
  });

  test('search matches code or title, case-insensitively, % and _ literally', async () => {
    expect(await names({ search: `${p}-c` })).toEqual(['C']);
    expect(await codesOf({ search: 'crypto KEY rotation', scopeIds: [scope1, scope2] })).toEqual([`${p}-C`]);
    expect(await codesOf({ search: '100% enforced', ownerIds: [ownerB] })).toEqual([`${p}-D`]);
    expect(await codesOf({ search: '1%0', ownerIds: [ownerB] })).toEqual([]);
    expect(await codesOf({ search: `${p}_A` })).toEqual([]);
  });

  test('a bad filter value is BAD_USER_INPUT', async () => {
    expect(errorCode(await app.gql(LIST, { filter: { ownerIds: ['x'] } }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(LIST, { filter: { status: ['DONE'] } }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(LIST, { first: 501 }))).toBe('BAD_USER_INPUT');
  });
});

describe('control orderBy with keyset paging', () => {
  const q = prefix().toUpperCase();
  const spec: Array<[string, string, string]> = [
    ['07', 'delta', 'PLANNED'], ['03', 'alpha', 'IMPLEMENTED'], ['09', 'charlie', 'NOT_STARTED'],
    ['01', 'bravo', 'IMPLEMENTED'], ['05', 'alpha', 'RETIRED'], ['02', 'delta', 'IN_PROGRESS'],
    ['08', 'bravo', 'PLANNED'], ['04', 'charlie', 'IMPLEMENTED'], ['06', 'alpha', 'NOT_STARTED'],
  ];
  let ids: string[] = [];
  beforeAll(async () => {
    const owner = await createOwner(app);
    for (const [n, title, status] of spec) {
      ids.push((await createControl(app, { code: `${q}-${n}`, title: `${q} ${title}`, status, ownerId: owner.id })).id);
    }
    // updatedAt order differs from createdAt order
    for (const id of [ids[4], ids[0], ids[7]]) ok(await app.gql(UPDATE, { id, v: 1, input: { description: 'touched' } }));
  });

  const columns: Record<string, string> = { CODE: 'code', TITLE: 'title', STATUS: 'status', CREATED_AT: 'created_at', UPDATED_AT: 'updated_at' };
  async function expected(field: string, direction: string): Promise<string[]> {
    const rows = await app.sql(`SELECT id FROM control WHERE id = ANY($1::uuid[]) ORDER BY ${columns[field]} ${direction}, id ${direction}`, [ids]);
    return rows.map((r) => r.id);
  }

  async function walk(orderBy: Record<string, string>, size: number) {
    const seen: any[] = [];
    let after: string | null = null;
    for (let page = 0; page < 50; page += 1) {
      const res: any = ok(await app.gql(LIST, { filter: { search: q }, orderBy, first: size, after })).controls;
      expect(res.totalCount).toBe(spec.length);
      seen.push(...res.edges.map((e: any) => e.node));
      if (res.edges.length) expect(res.pageInfo.endCursor).toBe(res.edges.at(-1).cursor);
      if (!res.pageInfo.hasNextPage) return seen;
      expect(res.edges).toHaveLength(size);
      after = res.pageInfo.endCursor;
    }
    throw new Error('pagination did not end');
  }

  const cases: Array<[string, string, number]> = [];
  for (const field of Object.keys(columns)) for (const [direction, size] of [['ASC', 2], ['DESC', 4]] as const) cases.push([field, direction, size]);
  test.each(cases)('orderBy %s %s in pages of %i: every row once, in order, ties broken by id', async (field, direction, size) => {
    const all = await walk({ field, direction }, size);
    const want = await expected(field, direction);
    expect(all.map((n) => n.id)).toEqual(want);
    expect(new Set(want).size).toBe(spec.length);
  });

  test('the orders mean what they say', async () => {
    const byCode = (await walk({ field: 'CODE', direction: 'ASC' }, 3)).map((n) => n.code);
    expect(byCode).toEqual([...byCode].sort());
    const byStatus = (await walk({ field: 'STATUS', direction: 'ASC' }, 3)).map((n) => n.status);
    // enum order: the lifecycle, not the alphabet
    const rank = ['NOT_STARTED', 'PLANNED', 'IN_PROGRESS', 'IMPLEMENTED', 'RETIRED'];
    expect(byStatus.map((s) => rank.indexOf(s))).toEqual([...byStatus.map((s) => rank.indexOf(s))].sort((a, b) => a - b));
    const byTitle = (await walk({ field: 'TITLE', direction: 'DESC' }, 5)).map((n) => n.title.slice(q.length + 1));
    expect(byTitle.slice(0, 2)).toEqual(['delta', 'delta']);
    expect(byTitle.slice(-3)).toEqual(['alpha', 'alpha', 'alpha']);
    const byCreated = (await walk({ field: 'CREATED_AT', direction: 'ASC' }, 4)).map((n) => Date.parse(n.createdAt));
    expect(byCreated).toEqual([...byCreated].sort((a, b) => a - b));
    const byUpdated = await walk({ field: 'UPDATED_AT', direction: 'DESC' }, 4);
    expect(byUpdated.slice(0, 3).map((n) => n.id)).toEqual([ids[7], ids[0], ids[4]]);
  });

  test('default order is by code ascending', async () => {
    const res = ok(await app.gql(LIST, { filter: { search: q } })).controls;
    expect(res.edges.map((e: any) => e.node.id)).toEqual(await expected('CODE', 'ASC'));
  });

  test('a cursor of another order is BAD_USER_INPUT', async () => {
    const page = ok(await app.gql(LIST, { filter: { search: q }, orderBy: { field: 'CODE' }, first: 1 })).controls;
    for (const field of ['CREATED_AT', 'STATUS', 'TITLE']) {
      const res = await app.gql(LIST, { filter: { search: q }, orderBy: { field }, first: 1, after: page.pageInfo.endCursor });
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
    }
  });
});

describe('a scope-restricted key', () => {
  let a: string;
  let aChild: string;
  let b: string;
  let inA: { id: string; code: string };
  let inChild: { id: string; code: string };
  let inB: { id: string; code: string };
  let inBoth: { id: string; code: string };
  let unscoped: { id: string; code: string };
  let writer: string;
  let reader: string;
  let owner: string;
  let p: string;

  beforeAll(async () => {
    p = prefix().toUpperCase();
    owner = (await createOwner(app)).id;
    a = (await createScope(app)).id;
    aChild = (await createScope(app, { parentId: a })).id;
    b = (await createScope(app)).id;
    inA = await createControl(app, { code: `${p}-A`, ownerId: owner, scopeIds: [a] });
    inChild = await createControl(app, { code: `${p}-AC`, ownerId: owner, scopeIds: [aChild] });
    inB = await createControl(app, { code: `${p}-B`, ownerId: owner, scopeIds: [b] });
    inBoth = await createControl(app, { code: `${p}-AB`, ownerId: owner, scopeIds: [b, a] });
    unscoped = await createControl(app, { code: `${p}-N`, ownerId: owner });
    writer = (await app.createKey([Permission.ISMS_WRITE], { scopeIds: [a] })).secret;
    reader = (await app.createKey([Permission.ISMS_READ], { scopeIds: [a] })).secret;
  });

  test('reads controls of its scopes (and their children) by id; NOT_FOUND for the others', async () => {
    for (const c of [inA, inChild, inBoth]) expect(ok(await app.gql(GET, { id: c.id }, reader)).control.id).toBe(c.id);
    for (const c of [inB, unscoped]) expectFailure(await app.gql(GET, { id: c.id }, reader), 'NOT_FOUND');
  });

  test('control.scopes shows only the scopes it may see', async () => {
    const res = ok(await app.gql(GET, { id: inBoth.id }, reader)).control;
    expect(res.scopes).toEqual([{ id: a }]);
  });

  test('lists and totalCount omit other scopes\' controls, whatever the filter asks', async () => {
    expect((await codesOf({ search: p }, reader)).sort()).toEqual([inA.code, inBoth.code, inChild.code].sort());
    expect((await codesOf({ search: p, scopeIds: [b] }, reader))).toEqual([inBoth.code]);
    expect((await codesOf({ search: p, includeArchived: true, ownerIds: [owner] }, reader)).sort()).toEqual([inA.code, inBoth.code, inChild.code].sort());
    const page = ok(await app.gql(LIST, { filter: { search: p }, first: 1 }, reader)).controls;
    expect(page.totalCount).toBe(3);
  });

  test('scope.controls of its scope lists them; another scope is NOT_FOUND', async () => {
    const Q = 'query($id: ID) { scope(id: $id) { controls { totalCount edges { node { code scopes { id } } } } } }';
    const res = ok(await app.gql(Q, { id: a }, reader)).scope.controls;
    expect(res.edges.map((e: any) => e.node.code).sort()).toEqual([inA.code, inBoth.code].sort());
    expect(res.totalCount).toBe(2);
    expect(res.edges.find((e: any) => e.node.code === inBoth.code).node.scopes).toEqual([{ id: a }]);
    expectFailure(await app.gql(Q, { id: b }, reader), 'NOT_FOUND');
    const listed = ok(await app.gql('{ scopes(first: 50) { edges { node { id controls(first: 50) { edges { node { id } } } } } } }', {}, reader)).scopes.edges;
    const all = listed.flatMap((e: any) => e.node.controls.edges.map((c: any) => c.node.id));
    expect(all).not.toContain(inB.id);
    expect(listed.map((e: any) => e.node.id)).not.toContain(b);
  });

  test('writes inside its scopes succeed', async () => {
    const made = ok(await app.gql(CREATE, { input: { code: uniqueCode(), title: 'Mine', ownerId: owner, scopeIds: [aChild] } }, writer)).createControl;
    expect(made.scopes).toEqual([{ id: aChild }]);
    const linked = ok(await app.gql(LINK, { c: made.id, s: a }, writer)).linkControlToScope;
    expect(linked.scopes.map((s: any) => s.id).sort()).toEqual([a, aChild].sort());
    ok(await app.gql(UPDATE, { id: made.id, v: linked.version, input: { title: 'Mine, renamed' } }, writer));
    // ids are case-insensitive, also where the key's scopes are checked
    const upper = ok(await app.gql(CREATE, { input: { code: uniqueCode(), title: 'Upper', ownerId: owner, scopeIds: [a.toUpperCase(), a] } }, writer)).createControl;
    expect(upper.scopes).toEqual([{ id: a }]);
    expect(ok(await app.gql(GET, { id: upper.id.toUpperCase() }, reader)).control.id).toBe(upper.id);
    const unlinked = ok(await app.gql(UNLINK, { c: upper.id, s: a.toUpperCase() }, writer)).unlinkControlFromScope;
    expect(unlinked).toEqual({ id: upper.id, version: 2, scopes: [] });
  });

  test('writes touching another scope are FORBIDDEN; writes to an invisible control are NOT_FOUND; nothing is written', async () => {
    const before = await rowCounts();
    expectFailure(await app.gql(CREATE, { input: { code: uniqueCode(), title: 'Theirs', ownerId: owner, scopeIds: [b] } }, writer), 'FORBIDDEN');
    expectFailure(await app.gql(CREATE, { input: { code: uniqueCode(), title: 'Split', ownerId: owner, scopeIds: [a, b] } }, writer), 'FORBIDDEN');
    // a control in no scope would be invisible to the key that made it
    expectFailure(await app.gql(CREATE, { input: { code: uniqueCode(), title: 'Nowhere', ownerId: owner } }, writer), 'FORBIDDEN');
    expectFailure(await app.gql(LINK, { c: inA.id, s: b }, writer), 'FORBIDDEN');
    expectFailure(await app.gql(UNLINK, { c: inBoth.id, s: b }, writer), 'FORBIDDEN');
    expectFailure(await app.gql(UPDATE, { id: inB.id, v: 1, input: { title: 'Taken' } }, writer), 'NOT_FOUND');
    expectFailure(await app.gql(ARCHIVE, { id: inB.id }, writer), 'NOT_FOUND');
    expectFailure(await app.gql(LINK, { c: inB.id, s: a }, writer), 'NOT_FOUND');
    expect(await rowCounts()).toEqual(before);
    expect((await app.sql('SELECT version, archived_at FROM control WHERE id = $1', [inB.id]))[0]).toEqual({ version: 1, archived_at: null });
  });
});

describe('permissions', () => {
  test('isms:read reads but may not write; treatment:write may not write controls', async () => {
    const c = await createControl(app);
    const scope = await createScope(app);
    const owner = await createOwner(app);
    for (const permission of [Permission.ISMS_READ, Permission.TREATMENT_WRITE]) {
      const key = (await app.createKey([permission])).secret;
      expect(ok(await app.gql(GET, { id: c.id }, key)).control.id).toBe(c.id);
      expect(ok(await app.gql(LIST, { first: 1 }, key)).controls.totalCount).toBeGreaterThan(0);
      const before = await rowCounts();
      expectFailure(await app.gql(CREATE, { input: { code: uniqueCode(), title: 'No', ownerId: owner.id } }, key), 'FORBIDDEN');
      expectFailure(await app.gql(UPDATE, { id: c.id, v: 1, input: { title: 'No' } }, key), 'FORBIDDEN');
      expectFailure(await app.gql(ARCHIVE, { id: c.id }, key), 'FORBIDDEN');
      expectFailure(await app.gql(LINK, { c: c.id, s: scope.id }, key), 'FORBIDDEN');
      expectFailure(await app.gql(UNLINK, { c: c.id, s: scope.id }, key), 'FORBIDDEN');
      expect(await rowCounts()).toEqual(before);
    }
  });

  test('without a key: UNAUTHENTICATED', async () => {
    expect(errorCode(await app.gql(LIST, {}, null))).toBe('UNAUTHENTICATED');
  });
});
