import { randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type GqlResponse, type TestApp } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { createControl } from './helpers/isms-factories';
import { Permission } from '../src/auth/permissions';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const DAY = 86_400_000;
const daysFromNow = (days: number) => new Date(Date.now() + days * DAY).toISOString();

const FIELDS = 'id title kind reference collectedAt validUntil stale version createdAt updatedAt archivedAt control { id code } owner { id }';
const GET = `query($id: ID!) { evidenceItem(id: $id) { ${FIELDS} } }`;
const CREATE = `mutation($input: CreateEvidenceInput!, $k: String) { createEvidence(input: $input, idempotencyKey: $k) { ${FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateEvidenceInput!, $v: Int!) { updateEvidence(id: $id, input: $input, expectedVersion: $v) { ${FIELDS} } }`;
const ARCHIVE = `mutation($id: ID!, $v: Int) { archiveEvidence(id: $id, expectedVersion: $v) { ${FIELDS} } }`;
const LIST = `query($filter: EvidenceFilter, $orderBy: EvidenceOrder, $first: Int, $after: String) {
  evidence(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title stale collectedAt } }
  }
}`;
const CONTROL_EVIDENCE = 'query($id: ID!) { control(id: $id) { id evidenceFreshness evidence { id title stale } } }';

/** A control operating in a fresh scope (or the given ones). */
async function controlInScope(scopeIds?: string[], key?: string): Promise<{ controlId: string; scopeIds: string[] }> {
  const scopes = scopeIds ?? [(await createScope(app)).id];
  const control = await createControl(app, { scopeIds: scopes, status: 'IMPLEMENTED' }, key);
  return { controlId: control.id, scopeIds: scopes };
}

function input(controlId: string, ownerId: string, patch: Record<string, unknown> = {}) {
  return { controlId, ownerId, title: 'Access review minutes', kind: 'RECORD', reference: 'https://wiki.example/access-review/2025-q1', collectedAt: daysFromNow(-10), validUntil: daysFromNow(80), ...patch };
}

async function create(controlId: string, patch: Record<string, unknown> = {}, key?: string): Promise<any> {
  const ownerId = (patch.ownerId as string | undefined) ?? (await createOwner(app)).id;
  return ok(await app.gql(CREATE, { input: input(controlId, ownerId, patch) }, key)).createEvidence;
}

async function rowCounts(): Promise<Record<string, number>> {
  const [row] = await app.sql(`SELECT (SELECT count(*) FROM evidence)::int AS evidence, (SELECT coalesce(sum(version), 0) FROM evidence)::int AS versions,
    (SELECT count(*) FROM audit_event)::int AS audits, (SELECT count(*) FROM idempotency_key)::int AS idem`);
  return row as Record<string, number>;
}

function expectFailure(res: GqlResponse, code: string, field?: string) {
  expect(errorCode(res)).toBe(code);
  expect(res.data).toBeNull();
  if (field !== undefined) expect(res.errors![0].extensions.field).toBe(field);
}

async function idsOf(filter: Record<string, unknown>, key?: string, orderBy?: Record<string, unknown>): Promise<string[]> {
  const res = ok(await app.gql(LIST, { filter, orderBy: orderBy ?? null, first: 500 }, key)).evidence;
  expect(res.totalCount).toBe(res.edges.length);
  return res.edges.map((e: any) => e.node.id);
}

describe('evidence CRUD', () => {
  test('creates, reads, updates and archives; each write is audited as EVIDENCE with the control\'s scopes', async () => {
    const { controlId, scopeIds } = await controlInScope();
    const owner = await createOwner(app);
    const collectedAt = '2025-01-15T09:30:00.000Z';
    const validUntil = daysFromNow(200);
    const created = ok(await app.gql(CREATE, { input: input(controlId, owner.id, { title: '  Firewall rule review  ', kind: 'CONFIGURATION', reference: '  JIRA-123  ', collectedAt, validUntil }) })).createEvidence;
    expect(created).toMatchObject({
      title: 'Firewall rule review', kind: 'CONFIGURATION', reference: 'JIRA-123', collectedAt, validUntil, stale: false, version: 1, archivedAt: null,
      control: { id: controlId }, owner: { id: owner.id },
    });
    expect(ok(await app.gql(GET, { id: created.id })).evidenceItem).toEqual(created);

    const newOwner = await createOwner(app);
    const updated = ok(await app.gql(UPDATE, { id: created.id, v: 1, input: { title: 'Firewall review Q1', ownerId: newOwner.id, validUntil: null } })).updateEvidence;
    expect(updated).toMatchObject({ title: 'Firewall review Q1', reference: 'JIRA-123', validUntil: null, stale: false, version: 2, owner: { id: newOwner.id } });

    const archived = ok(await app.gql(ARCHIVE, { id: created.id, v: 2 })).archiveEvidence;
    expect(archived.version).toBe(3);
    expect(archived.archivedAt).not.toBeNull();
    // archiving again is a no-op
    expect(ok(await app.gql(ARCHIVE, { id: created.id })).archiveEvidence.version).toBe(3);

    const audits = await app.sql('SELECT operation, entity_type, scope_ids FROM audit_event WHERE entity_id = $1 ORDER BY at, operation', [created.id]);
    expect(audits.map((a) => a.operation)).toEqual(['createEvidence', 'updateEvidence', 'archiveEvidence']);
    for (const a of audits) {
      expect(a.entity_type).toBe('EVIDENCE');
      expect(a.scope_ids).toEqual(scopeIds);
    }
  });

  test('a stale expectedVersion is CONFLICT and writes nothing', async () => {
    const { controlId } = await controlInScope();
    const evidence = await create(controlId);
    ok(await app.gql(UPDATE, { id: evidence.id, v: 1, input: { title: 'Second title' } }));
    const before = await rowCounts();
    expectFailure(await app.gql(UPDATE, { id: evidence.id, v: 1, input: { title: 'Lost update' } }), 'CONFLICT');
    expectFailure(await app.gql(ARCHIVE, { id: evidence.id, v: 1 }), 'CONFLICT');
    expect(await rowCounts()).toEqual(before);
    expect(ok(await app.gql(GET, { id: evidence.id })).evidenceItem).toMatchObject({ title: 'Second title', version: 2, archivedAt: null });
  });

  test('unknown ids: evidenceItem, updateEvidence and archiveEvidence answer NOT_FOUND', async () => {
    for (const id of [randomUUID(), 'not-a-uuid']) {
      expectFailure(await app.gql(GET, { id }), 'NOT_FOUND');
      expectFailure(await app.gql(UPDATE, { id, v: 1, input: { title: 'x' } }), 'NOT_FOUND');
      expectFailure(await app.gql(ARCHIVE, { id }), 'NOT_FOUND');
    }
  });

  test('idempotencyKey: a retry returns the evidence first created; another input is IDEMPOTENCY_KEY_REUSED', async () => {
    const { controlId } = await controlInScope();
    const owner = await createOwner(app);
    const key = `ev-${randomUUID()}`;
    const same = input(controlId, owner.id);
    const first = ok(await app.gql(CREATE, { input: same, k: key })).createEvidence;
    const before = await rowCounts();
    const retry = ok(await app.gql(CREATE, { input: same, k: key })).createEvidence;
    expect(retry.id).toBe(first.id);
    expectFailure(await app.gql(CREATE, { input: { ...same, title: 'Other' }, k: key }), 'IDEMPOTENCY_KEY_REUSED');
    expect(await rowCounts()).toEqual(before);
  });

  test('stale: true once validUntil has passed, false without validUntil or before it', async () => {
    const { controlId } = await controlInScope();
    const past = await create(controlId, { collectedAt: daysFromNow(-400), validUntil: daysFromNow(-35) });
    const open = await create(controlId, { validUntil: null });
    const future = await create(controlId, { validUntil: daysFromNow(1) });
    expect([past.stale, open.stale, future.stale]).toEqual([true, false, false]);
    // moving validUntil into the past makes an item stale
    const moved = ok(await app.gql(UPDATE, { id: future.id, v: 1, input: { validUntil: daysFromNow(-1) } })).updateEvidence;
    expect(moved.stale).toBe(true);
  });
});

describe('evidence lists', () => {
  test('filters by controls, owners, scopes, kind, stale, validBefore and includeArchived', async () => {
    const scope = await createScope(app);
    const { controlId: a } = await controlInScope([scope.id]);
    const { controlId: b } = await controlInScope();
    const ownerX = await createOwner(app);
    const ownerY = await createOwner(app);
    const a1 = await create(a, { ownerId: ownerX.id, kind: 'LOG', validUntil: daysFromNow(5) });
    const a2 = await create(a, { ownerId: ownerY.id, kind: 'REPORT', collectedAt: daysFromNow(-100), validUntil: daysFromNow(-2) });
    const a3 = await create(a, { ownerId: ownerX.id, kind: 'REPORT', validUntil: null });
    const b1 = await create(b, { ownerId: ownerY.id, kind: 'LOG', validUntil: daysFromNow(40) });
    const sorted = (ids: string[]) => [...ids].sort();

    expect(sorted(await idsOf({ controlIds: [a, b] }))).toEqual(sorted([a1.id, a2.id, a3.id, b1.id]));
    expect(sorted(await idsOf({ controlIds: [a, b], ownerIds: [ownerX.id] }))).toEqual(sorted([a1.id, a3.id]));
    expect(sorted(await idsOf({ scopeIds: [scope.id] }))).toEqual(sorted([a1.id, a2.id, a3.id]));
    expect(sorted(await idsOf({ controlIds: [a, b], kind: ['LOG'] }))).toEqual(sorted([a1.id, b1.id]));
    expect(await idsOf({ controlIds: [a, b], stale: true })).toEqual([a2.id]);
    expect(sorted(await idsOf({ controlIds: [a, b], stale: false }))).toEqual(sorted([a1.id, a3.id, b1.id]));
    expect(sorted(await idsOf({ controlIds: [a, b], validBefore: daysFromNow(10) }))).toEqual(sorted([a1.id, a2.id]));

    ok(await app.gql(ARCHIVE, { id: a1.id }));
    expect(sorted(await idsOf({ controlIds: [a] }))).toEqual(sorted([a2.id, a3.id]));
    expect(sorted(await idsOf({ controlIds: [a], includeArchived: true }))).toEqual(sorted([a1.id, a2.id, a3.id]));
  });

  test('orders by collectedAt and title in both directions, and pages with cursors', async () => {
    const { controlId } = await controlInScope();
    const made = [];
    for (const [title, days] of [['Charlie', -3], ['Alpha', -1], ['Bravo', -2]] as const) made.push(await create(controlId, { title, collectedAt: daysFromNow(days) }));
    const [charlie, alpha, bravo] = made;
    expect(await idsOf({ controlIds: [controlId] })).toEqual([charlie.id, bravo.id, alpha.id]);
    expect(await idsOf({ controlIds: [controlId] }, undefined, { field: 'COLLECTED_AT', direction: 'DESC' })).toEqual([alpha.id, bravo.id, charlie.id]);
    expect(await idsOf({ controlIds: [controlId] }, undefined, { field: 'TITLE' })).toEqual([alpha.id, bravo.id, charlie.id]);

    const page1 = ok(await app.gql(LIST, { filter: { controlIds: [controlId] }, orderBy: { field: 'TITLE', direction: 'DESC' }, first: 2 })).evidence;
    expect(page1.edges.map((e: any) => e.node.id)).toEqual([charlie.id, bravo.id]);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    expect(page1.totalCount).toBe(3);
    const page2 = ok(await app.gql(LIST, { filter: { controlIds: [controlId] }, orderBy: { field: 'TITLE', direction: 'DESC' }, first: 2, after: page1.pageInfo.endCursor })).evidence;
    expect(page2.edges.map((e: any) => e.node.id)).toEqual([alpha.id]);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    // a cursor of another order is refused
    expectFailure(await app.gql(LIST, { filter: { controlIds: [controlId] }, first: 2, after: page1.pageInfo.endCursor }), 'BAD_USER_INPUT', 'after');
  });

  test('control.evidence lists the active items newest first, control.evidenceFreshness says FRESH, STALE or NONE', async () => {
    const { controlId } = await controlInScope();
    expect(ok(await app.gql(CONTROL_EVIDENCE, { id: controlId })).control).toMatchObject({ evidenceFreshness: 'NONE', evidence: [] });
    const old = await create(controlId, { title: 'Old', collectedAt: daysFromNow(-400), validUntil: daysFromNow(-30) });
    expect(ok(await app.gql(CONTROL_EVIDENCE, { id: controlId })).control).toMatchObject({ evidenceFreshness: 'STALE', evidence: [{ id: old.id, stale: true }] });
    const current = await create(controlId, { title: 'Current', collectedAt: daysFromNow(-1), validUntil: daysFromNow(30) });
    expect(ok(await app.gql(CONTROL_EVIDENCE, { id: controlId })).control).toMatchObject({ evidenceFreshness: 'FRESH', evidence: [{ id: current.id }, { id: old.id }] });
    ok(await app.gql(ARCHIVE, { id: current.id }));
    expect(ok(await app.gql(CONTROL_EVIDENCE, { id: controlId })).control).toMatchObject({ evidenceFreshness: 'STALE', evidence: [{ id: old.id }] });
  });

  test('controls { evidence } runs a fixed number of statements however many controls are listed', async () => {
    const scope = await createScope(app);
    const query = `query($s: [ID!]) { controls(filter: { scopeIds: $s }, first: 100) { edges { node { id evidenceFreshness evidence { id stale owner { id } control { id } } } } } }`;
    const statements: number[] = [];
    for (const n of [2, 6]) {
      while ((await app.sql('SELECT count(*)::int AS n FROM control_scope WHERE scope_id = $1', [scope.id]))[0].n < n) {
        const { controlId } = await controlInScope([scope.id]);
        await create(controlId);
        await create(controlId, { validUntil: daysFromNow(-1), collectedAt: daysFromNow(-5) });
      }
      const res = await app.gql(query, { s: [scope.id] });
      expect(ok(res).controls.edges).toHaveLength(n);
      statements.push(res.statements);
    }
    expect(statements[1]).toBe(statements[0]);
  });
});

describe('evidence bad inputs: BAD_USER_INPUT naming the field, nothing written', () => {
  let controlId: string;
  let ownerId: string;
  beforeAll(async () => {
    controlId = (await controlInScope()).controlId;
    ownerId = (await createOwner(app)).id;
  });

  const cases: Array<[string, () => Record<string, unknown>, string]> = [
    ['an unknown control', () => ({ controlId: randomUUID() }), 'controlId'],
    ['a control id that is no uuid', () => ({ controlId: 'CTL-1' }), 'controlId'],
    ['an unknown owner', () => ({ ownerId: randomUUID() }), 'ownerId'],
    ['validUntil before collectedAt', () => ({ collectedAt: daysFromNow(-1), validUntil: daysFromNow(-2) }), 'validUntil'],
    ['validUntil equal to collectedAt', () => ({ collectedAt: '2025-01-01T00:00:00.000Z', validUntil: '2025-01-01T00:00:00.000Z' }), 'validUntil'],
    ['collectedAt in the future', () => ({ collectedAt: daysFromNow(2), validUntil: daysFromNow(30) }), 'collectedAt'],
    ['a blank reference', () => ({ reference: '   ' }), 'reference'],
    ['an empty reference', () => ({ reference: '' }), 'reference'],
    ['an oversize reference', () => ({ reference: `https://x.example/${'a'.repeat(2_000)}` }), 'reference'],
    ['a blank title', () => ({ title: ' \t ' }), 'title'],
    ['an oversize title', () => ({ title: 't'.repeat(201) }), 'title'],
  ];
  test.each(cases)('createEvidence with %s', async (_name, patch, field) => {
    const before = await rowCounts();
    expectFailure(await app.gql(CREATE, { input: input(controlId, ownerId, patch()), k: randomUUID() }), 'BAD_USER_INPUT', field);
    expect(await rowCounts()).toEqual(before);
  });

  test('an unknown kind is refused before any resolver runs', async () => {
    const before = await rowCounts();
    const res = await app.gql(CREATE, { input: input(controlId, ownerId, { kind: 'RUMOUR' }) });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(await rowCounts()).toEqual(before);
  });

  test('an archived control is BAD_USER_INPUT on controlId', async () => {
    const { controlId: archived } = await controlInScope();
    ok(await app.gql('mutation($id: ID!) { archiveControl(id: $id) { id } }', { id: archived }));
    const before = await rowCounts();
    expectFailure(await app.gql(CREATE, { input: input(archived, ownerId) }), 'BAD_USER_INPUT', 'controlId');
    expect(await rowCounts()).toEqual(before);
  });

  const updates: Array<[string, () => Record<string, unknown>, string]> = [
    ['validUntil before the stored collectedAt', () => ({ validUntil: daysFromNow(-20) }), 'validUntil'],
    ['collectedAt after the stored validUntil', () => ({ collectedAt: '2099-01-01T00:00:00.000Z' }), 'collectedAt'],
    ['collectedAt after the stored validUntil, within the clock', () => ({ collectedAt: daysFromNow(0) }), 'validUntil'],
    ['a blank reference', () => ({ reference: ' ' }), 'reference'],
    ['a null title', () => ({ title: null }), 'title'],
    ['a null collectedAt', () => ({ collectedAt: null }), 'collectedAt'],
    ['an unknown owner', () => ({ ownerId: randomUUID() }), 'ownerId'],
  ];
  test.each(updates)('updateEvidence with %s', async (_name, patch, field) => {
    const evidence = await create(controlId, { collectedAt: daysFromNow(-10), validUntil: daysFromNow(-5) });
    const before = await rowCounts();
    expectFailure(await app.gql(UPDATE, { id: evidence.id, v: 1, input: patch() }), 'BAD_USER_INPUT', field);
    expect(await rowCounts()).toEqual(before);
  });
});

describe('evidence access', () => {
  test('a restricted key sees evidence of the controls it can see, and only those', async () => {
    const mine = await createScope(app);
    const theirs = await createScope(app);
    const { controlId: myControl } = await controlInScope([mine.id]);
    const { controlId: theirControl } = await controlInScope([theirs.id]);
    const { controlId: shared } = await controlInScope([mine.id, theirs.id]);
    const my = await create(myControl);
    const their = await create(theirControl);
    const both = await create(shared);
    const key = (await app.createKey([Permission.ISMS_WRITE], { scopeIds: [mine.id] })).secret;

    expect(ok(await app.gql(GET, { id: my.id }, key)).evidenceItem.id).toBe(my.id);
    expect(ok(await app.gql(GET, { id: both.id }, key)).evidenceItem.id).toBe(both.id);
    expectFailure(await app.gql(GET, { id: their.id }, key), 'NOT_FOUND');
    expect((await idsOf({ controlIds: [myControl, theirControl, shared] }, key)).sort()).toEqual([my.id, both.id].sort());
    expect(await idsOf({ controlIds: [theirControl] }, key)).toEqual([]);

    const before = await rowCounts();
    // writes on another scope's evidence: the target is NOT_FOUND, a reference inside an input FORBIDDEN
    expectFailure(await app.gql(UPDATE, { id: their.id, v: 1, input: { title: 'Mine now' } }, key), 'NOT_FOUND');
    expectFailure(await app.gql(ARCHIVE, { id: their.id }, key), 'NOT_FOUND');
    const owner = await createOwner(app);
    const afterOwner = await rowCounts();
    expectFailure(await app.gql(CREATE, { input: input(theirControl, owner.id) }, key), 'FORBIDDEN');
    expect(await rowCounts()).toEqual(afterOwner);
    expect(afterOwner.evidence).toBe(before.evidence);

    const created = ok(await app.gql(CREATE, { input: input(myControl, owner.id) }, key)).createEvidence;
    expect(created.control.id).toBe(myControl);
    ok(await app.gql(UPDATE, { id: both.id, v: 1, input: { title: 'Shared' } }, key));
  });

  test('isms:read reads but cannot write; no key is UNAUTHENTICATED', async () => {
    const { controlId } = await controlInScope();
    const evidence = await create(controlId);
    const reader = (await app.createKey([Permission.ISMS_READ])).secret;
    const owner = await createOwner(app);
    const before = await rowCounts();
    expect(ok(await app.gql(GET, { id: evidence.id }, reader)).evidenceItem.id).toBe(evidence.id);
    expectFailure(await app.gql(CREATE, { input: input(controlId, owner.id) }, reader), 'FORBIDDEN');
    expectFailure(await app.gql(UPDATE, { id: evidence.id, v: 1, input: { title: 'x' } }, reader), 'FORBIDDEN');
    expectFailure(await app.gql(ARCHIVE, { id: evidence.id }, reader), 'FORBIDDEN');
    expectFailure(await app.gql(GET, { id: evidence.id }, null), 'UNAUTHENTICATED');
    const catalogOnly = (await app.createKey([Permission.CATALOG_WRITE])).secret;
    expectFailure(await app.gql(GET, { id: evidence.id }, catalogOnly), 'FORBIDDEN');
    expect(await rowCounts()).toEqual(before);
  });
});
