import { randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type TestApp, type GqlResponse } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import {
  CREATE_TASK, TASK_FIELDS, UPDATE_TASK, UPSERT_TASK, archiveRisk, count, createControl, createRisk, createTask, type TaskRef,
} from './helpers/core-factories';
import { Permission } from '../src/auth/permissions';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const LIST = `query($filter: TreatmentTaskFilter, $orderBy: TreatmentTaskOrder, $first: Int, $after: String) {
  treatmentTasks(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount edges { cursor node { id title status dueDate createdAt updatedAt archivedAt } } pageInfo { hasNextPage endCursor } } }`;
const GET = `query($id: ID!) { treatmentTask(id: $id) { ${TASK_FIELDS} } }`;
const ARCHIVE = `mutation($id: ID!, $v: Int) { archiveTreatmentTask(id: $id, expectedVersion: $v) { ${TASK_FIELDS} } }`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listIds(filter: Record<string, unknown>, key?: string): Promise<string[]> {
  const res = ok(await app.gql(LIST, { filter, first: 500 }, key)).treatmentTasks;
  return res.edges.map((e: { node: { id: string } }) => e.node.id);
}

/** Rows and audit events in the whole database: a refused write must change neither. */
async function writeCounts(): Promise<{ tasks: number; audits: number; idem: number }> {
  const [row] = await app.sql(`SELECT (SELECT count(*) FROM treatment_task)::int AS tasks,
    (SELECT count(*) FROM audit_event)::int AS audits, (SELECT count(*) FROM idempotency_key)::int AS idem`);
  return row;
}

async function expectRefused(res: GqlResponse, code: string, before: { tasks: number; audits: number; idem: number }, field?: string): Promise<void> {
  expect(res.errors).toHaveLength(1);
  expect(errorCode(res)).toBe(code);
  if (field !== undefined) expect(res.errors![0].extensions.field).toBe(field);
  expect(res.data).toBeNull();
  expect(await writeCounts()).toEqual(before);
}

describe('create, read, update, archive', () => {
  test('creates a task with every field, reads it by id and through its risk, writes an audit row', async () => {
    const risk = await createRisk(app);
    const assignee = await createOwner(app);
    const control = await createControl(app, { scopeIds: [risk.scopeId] });
    const created = ok(await app.gql(CREATE_TASK, {
      input: {
        riskId: risk.id, controlId: control.id, assigneeId: assignee.id, title: '  Enforce MFA on VPN  ', description: 'All users',
        dueDate: '2030-03-31', status: 'IN_PROGRESS', externalRef: { system: 'jira', key: 'SEC-1', url: 'https://jira.example.com/browse/SEC-1' },
      },
    })).createTreatmentTask;
    expect(created).toMatchObject({
      title: 'Enforce MFA on VPN', description: 'All users', version: 1, status: 'IN_PROGRESS', dueDate: '2030-03-31', archivedAt: null,
      externalRef: { system: 'jira', key: 'SEC-1', url: 'https://jira.example.com/browse/SEC-1' },
      risk: { id: risk.id }, assignee: { id: assignee.id }, control: { id: control.id },
    });
    expect(ok(await app.gql(GET, { id: created.id })).treatmentTask).toEqual(created);

    const nested = ok(await app.gql('query($id: ID!) { risk(id: $id) { treatmentTasks { id title assignee { id } } } }', { id: risk.id })).risk;
    expect(nested.treatmentTasks).toEqual([{ id: created.id, title: 'Enforce MFA on VPN', assignee: { id: assignee.id } }]);

    const [row] = await app.sql('SELECT risk_id, control_id, assignee_id, due_date::text AS due, external_system, external_key FROM treatment_task WHERE id = $1', [created.id]);
    expect(row).toEqual({ risk_id: risk.id, control_id: control.id, assignee_id: assignee.id, due: '2030-03-31', external_system: 'jira', external_key: 'SEC-1' });
    const audit = await app.sql('SELECT operation, entity_type, after FROM audit_event WHERE entity_id = $1', [created.id]);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ operation: 'createTreatmentTask', entity_type: 'TREATMENT_TASK', after: { title: 'Enforce MFA on VPN' } });
  });

  test('defaults: status OPEN, no control, no due date, no ticket', async () => {
    const task = await createTask(app, { title: 'Plain' });
    expect(task).toMatchObject({ status: 'OPEN', dueDate: null, externalRef: null, version: 1 });
    expect(ok(await app.gql(GET, { id: task.id })).treatmentTask.control).toBeNull();
  });

  test('updates fields, clears nullable ones, bumps the version, records before and after', async () => {
    const task = await createTask(app, { dueDate: '2030-01-01', description: 'd', externalRef: { system: 'jira', key: `UPD-${randomUUID()}` } });
    const assignee = await createOwner(app);
    const updated = ok(await app.gql(UPDATE_TASK, {
      id: task.id, v: 1, input: { title: 'Renamed', status: 'DONE', assigneeId: assignee.id, dueDate: null, description: null, externalRef: null },
    })).updateTreatmentTask;
    expect(updated).toMatchObject({ title: 'Renamed', status: 'DONE', version: 2, dueDate: null, description: null, externalRef: null, assignee: { id: assignee.id } });
    expect(new Date(updated.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(task.updatedAt).getTime());

    // omitted fields stay as they are
    const partial = ok(await app.gql(UPDATE_TASK, { id: task.id, v: 2, input: { dueDate: '2031-05-05' } })).updateTreatmentTask;
    expect(partial).toMatchObject({ title: 'Renamed', status: 'DONE', dueDate: '2031-05-05', version: 3 });

    const audit = await app.sql("SELECT before->>'title' AS b, after->>'title' AS a FROM audit_event WHERE entity_id = $1 AND operation = 'updateTreatmentTask' ORDER BY at, id", [task.id]);
    expect(audit).toHaveLength(2);
    expect(audit[0]).toEqual({ b: task.title, a: 'Renamed' });
  });

  test('a stale expectedVersion is CONFLICT and writes nothing', async () => {
    const task = await createTask(app);
    ok(await app.gql(UPDATE_TASK, { id: task.id, v: 1, input: { title: 'First writer' } }));
    const before = await writeCounts();
    const stale = await app.gql(UPDATE_TASK, { id: task.id, v: 1, input: { title: 'Second writer', status: 'DONE' } });
    await expectRefused(stale, 'CONFLICT', before);
    const [row] = await app.sql('SELECT title, status, version FROM treatment_task WHERE id = $1', [task.id]);
    expect(row).toEqual({ title: 'First writer', status: 'OPEN', version: 2 });

    const staleArchive = await app.gql(ARCHIVE, { id: task.id, v: 1 });
    await expectRefused(staleArchive, 'CONFLICT', before);
    expect((await app.sql('SELECT archived_at FROM treatment_task WHERE id = $1', [task.id]))[0].archived_at).toBeNull();
  });

  test('archives: hidden from lists and risk.treatmentTasks, still readable by id, archiving twice is a no-op', async () => {
    const risk = await createRisk(app);
    const kept = await createTask(app, { riskId: risk.id });
    const gone = await createTask(app, { riskId: risk.id });
    const archived = ok(await app.gql(ARCHIVE, { id: gone.id, v: 1 })).archiveTreatmentTask;
    expect(archived.archivedAt).not.toBeNull();
    expect(archived.version).toBe(2);
    expect(ok(await app.gql(ARCHIVE, { id: gone.id })).archiveTreatmentTask.version).toBe(2);
    expect(await listIds({ riskIds: [risk.id] })).toEqual([kept.id]);
    expect((await listIds({ riskIds: [risk.id], includeArchived: true })).sort()).toEqual([kept.id, gone.id].sort());
    const nested = ok(await app.gql('query($id: ID!) { risk(id: $id) { treatmentTasks { id } } }', { id: risk.id })).risk;
    expect(nested.treatmentTasks).toEqual([{ id: kept.id }]);
    expect(ok(await app.gql(GET, { id: gone.id })).treatmentTask.archivedAt).not.toBeNull();
    const audit = await app.sql("SELECT count(*)::int AS n FROM audit_event WHERE entity_id = $1 AND operation = 'archiveTreatmentTask'", [gone.id]);
    expect(audit[0].n).toBe(1);
  });

  test('unknown or malformed ids are NOT_FOUND', async () => {
    for (const id of [randomUUID(), 'not-a-uuid']) {
      expect(errorCode(await app.gql(GET, { id }))).toBe('NOT_FOUND');
      expect(errorCode(await app.gql(UPDATE_TASK, { id, v: 1, input: { title: 'x' } }))).toBe('NOT_FOUND');
      expect(errorCode(await app.gql(ARCHIVE, { id }))).toBe('NOT_FOUND');
    }
  });

  test('risk.treatmentTasks lists the active tasks of each risk, oldest first', async () => {
    const scope = await createScope(app);
    const r1 = await createRisk(app, { scopeId: scope.id });
    const r2 = await createRisk(app, { scopeId: scope.id });
    const a = await createTask(app, { riskId: r1.id, title: 'a' });
    const b = await createTask(app, { riskId: r1.id, title: 'b' });
    const c = await createTask(app, { riskId: r2.id, title: 'c' });
    const res = ok(await app.gql(`query($s: [ID!]) { risks(filter: { scopeIds: $s }, orderBy: { field: CREATED_AT }) {
      edges { node { id treatmentTasks { id title risk { id } } } } } }`, { s: [scope.id] })).risks;
    expect(res.edges.map((e: any) => e.node)).toEqual([
      { id: r1.id, treatmentTasks: [{ id: a.id, title: 'a', risk: { id: r1.id } }, { id: b.id, title: 'b', risk: { id: r1.id } }] },
      { id: r2.id, treatmentTasks: [{ id: c.id, title: 'c', risk: { id: r2.id } }] },
    ]);
  });
});

describe('filters', () => {
  let r1: string;
  let r2: string;
  let alice: string;
  let bob: string;
  const t: Record<string, TaskRef> = {};

  beforeAll(async () => {
    const scope = await createScope(app);
    r1 = (await createRisk(app, { scopeId: scope.id })).id;
    r2 = (await createRisk(app, { scopeId: scope.id })).id;
    alice = (await createOwner(app)).id;
    bob = (await createOwner(app)).id;
    t.open = await createTask(app, { riskId: r1, assigneeId: alice, status: 'OPEN', dueDate: '2030-01-10', externalRef: { system: 'jira', key: `F-${randomUUID()}` } });
    t.progress = await createTask(app, { riskId: r1, assigneeId: bob, status: 'IN_PROGRESS', dueDate: '2030-01-20', externalRef: { system: 'servicenow', key: `INC-${randomUUID()}` } });
    t.done = await createTask(app, { riskId: r2, assigneeId: alice, status: 'DONE', dueDate: '2030-01-19', externalRef: { system: 'jira', key: `F-${randomUUID()}` } });
    t.cancelled = await createTask(app, { riskId: r2, assigneeId: bob, status: 'CANCELLED' });
    t.archived = await createTask(app, { riskId: r2, assigneeId: alice, status: 'OPEN', dueDate: '2029-12-31' });
    ok(await app.gql(ARCHIVE, { id: t.archived.id }));
  });

  const ids = (...names: string[]) => names.map((n) => t[n].id).sort();
  const both = () => [r1, r2];

  test('riskIds', async () => {
    expect((await listIds({ riskIds: [r1] })).sort()).toEqual(ids('open', 'progress'));
    expect((await listIds({ riskIds: both() })).sort()).toEqual(ids('open', 'progress', 'done', 'cancelled'));
    expect(await listIds({ riskIds: [randomUUID()] })).toEqual([]);
  });

  test('status', async () => {
    expect((await listIds({ riskIds: both(), status: ['OPEN'] })).sort()).toEqual(ids('open'));
    expect((await listIds({ riskIds: both(), status: ['OPEN', 'IN_PROGRESS'] })).sort()).toEqual(ids('open', 'progress'));
    expect((await listIds({ riskIds: both(), status: ['DONE', 'CANCELLED'] })).sort()).toEqual(ids('done', 'cancelled'));
  });

  test('assigneeIds', async () => {
    expect((await listIds({ riskIds: both(), assigneeIds: [alice] })).sort()).toEqual(ids('open', 'done'));
    expect((await listIds({ riskIds: both(), assigneeIds: [alice, bob] })).sort()).toEqual(ids('open', 'progress', 'done', 'cancelled'));
  });

  test('externalSystem', async () => {
    expect((await listIds({ riskIds: both(), externalSystem: 'jira' })).sort()).toEqual(ids('open', 'done'));
    expect((await listIds({ riskIds: both(), externalSystem: 'servicenow' })).sort()).toEqual(ids('progress'));
    expect(await listIds({ riskIds: both(), externalSystem: 'github' })).toEqual([]);
  });

  test('dueBefore: strictly before the date, tasks without a due date never match', async () => {
    expect((await listIds({ riskIds: both(), dueBefore: '2030-01-20' })).sort()).toEqual(ids('open', 'done'));
    expect((await listIds({ riskIds: both(), dueBefore: '2030-01-19' })).sort()).toEqual(ids('open'));
    expect((await listIds({ riskIds: both(), dueBefore: '2030-01-21' })).sort()).toEqual(ids('open', 'progress', 'done'));
    expect((await listIds({ riskIds: both(), dueBefore: '2030-01-21', includeArchived: true })).sort()).toEqual(ids('open', 'progress', 'done', 'archived'));
  });

  test('includeArchived', async () => {
    expect(await listIds({ riskIds: both() })).not.toContain(t.archived.id);
    expect(await listIds({ riskIds: both(), includeArchived: true })).toContain(t.archived.id);
    expect((await listIds({ riskIds: both(), includeArchived: true, status: ['OPEN'] })).sort()).toEqual(ids('open', 'archived'));
  });

  test('filters combine', async () => {
    expect(await listIds({ riskIds: both(), assigneeIds: [alice], status: ['DONE'], externalSystem: 'jira', dueBefore: '2030-02-01' })).toEqual([t.done.id]);
    const res = ok(await app.gql(LIST, { filter: { riskIds: both(), assigneeIds: [bob] }, first: 1 })).treatmentTasks;
    expect(res.totalCount).toBe(2);
    expect(res.edges).toHaveLength(1);
    expect(res.pageInfo.hasNextPage).toBe(true);
  });

  test('updatedSince: ticket sync polling sees exactly the tasks changed since its watermark', async () => {
    const scope = await createScope(app);
    const risk = await createRisk(app, { scopeId: scope.id });
    const a = await createTask(app, { riskId: risk.id, title: 'a' });
    const b = await createTask(app, { riskId: risk.id, title: 'b' });
    const c = await createTask(app, { riskId: risk.id, title: 'c' });
    // inclusive bound: the newest task's own timestamp finds it
    expect(await listIds({ riskIds: [risk.id], updatedSince: c.updatedAt })).toEqual([c.id]);
    await sleep(20);
    const watermark = new Date().toISOString();
    await sleep(20);
    expect(await listIds({ riskIds: [risk.id], updatedSince: watermark })).toEqual([]);

    ok(await app.gql(UPDATE_TASK, { id: a.id, v: 1, input: { status: 'IN_PROGRESS' } }));
    ok(await app.gql(ARCHIVE, { id: b.id }));
    const poll = ok(await app.gql(LIST, { filter: { riskIds: [risk.id], updatedSince: watermark, includeArchived: true }, orderBy: { field: 'UPDATED_AT', direction: 'ASC' } })).treatmentTasks;
    expect(poll.edges.map((e: any) => e.node.id)).toEqual([a.id, b.id]);
    for (const e of poll.edges) expect(new Date(e.node.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(watermark).getTime());
    // archived tasks stay hidden unless asked for, also when polling
    expect(await listIds({ riskIds: [risk.id], updatedSince: watermark })).toEqual([a.id]);
  });

  test('bad filter values are BAD_USER_INPUT', async () => {
    expect(errorCode(await app.gql(LIST, { filter: { riskIds: ['nope'] } }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(LIST, { filter: { status: ['SOMETIMES'] } }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(LIST, { filter: { dueBefore: '2030-13-45' } }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(LIST, { filter: { updatedSince: 'yesterday' } }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(LIST, { first: 501 }))).toBe('BAD_USER_INPUT');
  });
});

describe('orderBy with keyset paging', () => {
  let riskId: string;
  let rows: Array<{ id: string; title: string; createdAt: string; updatedAt: string }>;

  beforeAll(async () => {
    riskId = (await createRisk(app)).id;
    // repeated titles make ties that only the id breaks
    for (const title of ['delta', 'alpha', 'charlie', 'alpha', 'bravo', 'echo', 'charlie', 'foxtrot', 'alpha']) {
      await createTask(app, { riskId, title });
    }
    // touch some tasks so that updatedAt order differs from createdAt order
    const all = ok(await app.gql(LIST, { filter: { riskIds: [riskId] }, first: 500 })).treatmentTasks.edges.map((e: any) => e.node);
    for (const task of [all[4], all[0], all[7]]) {
      await sleep(5);
      ok(await app.gql(UPDATE_TASK, { id: task.id, v: 1, input: { status: 'IN_PROGRESS' } }));
    }
    rows = ok(await app.gql(LIST, { filter: { riskIds: [riskId] }, first: 500 })).treatmentTasks.edges.map((e: any) => e.node);
    expect(rows).toHaveLength(9);
  });

  const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

  async function walk(orderBy: { field: string; direction: string }, size: number): Promise<string[]> {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const res: any = ok(await app.gql(LIST, { filter: { riskIds: [riskId] }, orderBy, first: size, after })).treatmentTasks;
      seen.push(...res.edges.map((e: any) => e.node.id));
      expect(res.edges.length).toBeLessThanOrEqual(size);
      if (!res.pageInfo.hasNextPage) {
        return seen;
      }
      expect(res.edges).toHaveLength(size);
      after = res.pageInfo.endCursor;
    }
    throw new Error('paging did not end');
  }

  test.each([
    ['CREATED_AT', 'createdAt', 'ASC', 2],
    ['CREATED_AT', 'createdAt', 'DESC', 4],
    ['UPDATED_AT', 'updatedAt', 'ASC', 2],
    ['UPDATED_AT', 'updatedAt', 'DESC', 3],
    ['TITLE', 'title', 'ASC', 2],
    ['TITLE', 'title', 'DESC', 1],
  ] as const)('orderBy %s (%s) %s in pages of %i: every row once, in order, ties broken by id', async (field, prop, direction, size) => {
    const key = (r: (typeof rows)[number]) => (prop === 'title' ? r.title : new Date(r[prop]).getTime());
    const sign = direction === 'ASC' ? 1 : -1;
    const expected = [...rows].sort((a, b) => sign * (cmp(key(a), key(b)) || cmp(a.id, b.id))).map((r) => r.id);
    const walked = await walk({ field, direction }, size);
    expect(walked).toEqual(expected);
    expect(new Set(walked).size).toBe(rows.length);
  });

  test('UPDATED_AT differs from CREATED_AT after updates (the order is really by the field)', async () => {
    const byCreated = await walk({ field: 'CREATED_AT', direction: 'ASC' }, 50);
    const byUpdated = await walk({ field: 'UPDATED_AT', direction: 'ASC' }, 50);
    expect(byUpdated).not.toEqual(byCreated);
  });

  test('default order is oldest first', async () => {
    const res = ok(await app.gql(LIST, { filter: { riskIds: [riskId] } })).treatmentTasks;
    expect(res.edges.map((e: any) => e.node.id)).toEqual(await walk({ field: 'CREATED_AT', direction: 'ASC' }, 50));
  });

  test('a cursor from another order or a forged one is BAD_USER_INPUT naming after', async () => {
    const page = ok(await app.gql(LIST, { filter: { riskIds: [riskId] }, orderBy: { field: 'TITLE', direction: 'ASC' }, first: 1 })).treatmentTasks;
    const res = await app.gql(LIST, { filter: { riskIds: [riskId] }, orderBy: { field: 'CREATED_AT', direction: 'ASC' }, first: 1, after: page.pageInfo.endCursor });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].extensions.field).toBe('after');
    expect(errorCode(await app.gql(LIST, { first: 1, after: 'garbage' }))).toBe('BAD_USER_INPUT');
  });
});

describe('idempotent creation', () => {
  test('the same idempotencyKey and input return the same task: one row, one audit row', async () => {
    const risk = await createRisk(app);
    const assignee = await createOwner(app);
    const input = { riskId: risk.id, assigneeId: assignee.id, title: 'Idempotent', dueDate: '2030-06-30' };
    const first = ok(await app.gql(CREATE_TASK, { input, key: 'task-retry-1' })).createTreatmentTask;
    const second = ok(await app.gql(CREATE_TASK, { input: { dueDate: '2030-06-30', title: 'Idempotent', assigneeId: assignee.id, riskId: risk.id }, key: 'task-retry-1' })).createTreatmentTask;
    expect(second).toEqual(first);
    expect(await count(app, 'treatment_task', 'risk_id = $1', [risk.id])).toBe(1);
    expect(await count(app, 'audit_event', 'entity_id = $1', [first.id])).toBe(1);

    // another input under the same key
    const before = await writeCounts();
    const reused = await app.gql(CREATE_TASK, { input: { ...input, title: 'Something else' }, key: 'task-retry-1' });
    await expectRefused(reused, 'IDEMPOTENCY_KEY_REUSED', before, 'idempotencyKey');

    // the same key belongs to each API key on its own
    const other = await app.createKey([Permission.TREATMENT_WRITE]);
    const third = ok(await app.gql(CREATE_TASK, { input, key: 'task-retry-1' }, other.secret)).createTreatmentTask;
    expect(third.id).not.toBe(first.id);
  });

  test('20 concurrent creates with one idempotencyKey create exactly one row and all return its id', async () => {
    const risk = await createRisk(app);
    const assignee = await createOwner(app);
    const key = await app.createKey([Permission.TREATMENT_WRITE]);
    const input = { riskId: risk.id, assigneeId: assignee.id, title: 'Concurrent', externalRef: { system: 'jira', key: `CC-${randomUUID()}` } };
    const results = await Promise.all(Array.from({ length: 20 }, () => app.gql(CREATE_TASK, { input, key: 'burst' }, key.secret)));
    for (const r of results) expect(r.errors).toBeUndefined();
    const ids = new Set(results.map((r) => r.data!.createTreatmentTask.id));
    expect(ids.size).toBe(1);
    expect(await count(app, 'treatment_task', 'risk_id = $1', [risk.id])).toBe(1);
    expect(await count(app, 'audit_event', 'entity_id = $1', [[...ids][0]])).toBe(1);
    expect(await count(app, 'idempotency_key', 'api_key_id = $1', [key.id])).toBe(1);
  });

  test('a create that failed leaves its idempotencyKey free for a corrected retry', async () => {
    const risk = await createRisk(app);
    const bad = await app.gql(CREATE_TASK, { input: { riskId: risk.id, assigneeId: randomUUID(), title: 'Retry me' }, key: 'fix-and-retry' });
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    const assignee = await createOwner(app);
    const good = ok(await app.gql(CREATE_TASK, { input: { riskId: risk.id, assigneeId: assignee.id, title: 'Retry me' }, key: 'fix-and-retry' }));
    expect(good.createTreatmentTask.title).toBe('Retry me');
  });
});

describe('upsertTreatmentTaskByExternalRef', () => {
  test('creates on the first call, updates on a changed one, writes nothing on an identical one', async () => {
    const risk = await createRisk(app);
    const assignee = await createOwner(app);
    const ref = { system: 'jira', key: `UP-${randomUUID()}`, url: 'https://jira.example.com/browse/UP-1' };
    const input = { externalRef: ref, riskId: risk.id, assigneeId: assignee.id, title: 'Rotate keys', dueDate: '2030-02-01', status: 'OPEN', description: 'from ticket' };

    const created = ok(await app.gql(UPSERT_TASK, { input })).upsertTreatmentTaskByExternalRef;
    expect(created).toMatchObject({ version: 1, title: 'Rotate keys', status: 'OPEN', dueDate: '2030-02-01', externalRef: ref, risk: { id: risk.id } });
    expect(await count(app, 'audit_event', "entity_id = $1 AND operation = 'upsertTreatmentTaskByExternalRef'", [created.id])).toBe(1);

    await sleep(5);
    const same = ok(await app.gql(UPSERT_TASK, { input })).upsertTreatmentTaskByExternalRef;
    expect(same).toEqual(created);
    expect(await count(app, 'audit_event', 'entity_id = $1', [created.id])).toBe(1);
    const [row] = await app.sql('SELECT version, updated_at FROM treatment_task WHERE id = $1', [created.id]);
    expect(row.version).toBe(1);
    expect(new Date(row.updated_at).toISOString()).toBe(created.updatedAt);

    // ids in another spelling are the same ids: still nothing to write
    const upper = ok(await app.gql(UPSERT_TASK, { input: { ...input, riskId: risk.id.toUpperCase(), assigneeId: assignee.id.toUpperCase() } })).upsertTreatmentTaskByExternalRef;
    expect(upper).toEqual(created);
    expect(await count(app, 'audit_event', 'entity_id = $1', [created.id])).toBe(1);

    const changed = ok(await app.gql(UPSERT_TASK, { input: { ...input, status: 'IN_PROGRESS', title: 'Rotate all keys' } })).upsertTreatmentTaskByExternalRef;
    expect(changed).toMatchObject({ id: created.id, version: 2, status: 'IN_PROGRESS', title: 'Rotate all keys', dueDate: '2030-02-01' });
    const audit = await app.sql("SELECT before->>'status' AS b, after->>'status' AS a FROM audit_event WHERE entity_id = $1 AND operation = 'upsertTreatmentTaskByExternalRef' ORDER BY at, id", [created.id]);
    expect(audit).toEqual([{ b: null, a: 'OPEN' }, { b: 'OPEN', a: 'IN_PROGRESS' }]);

    // omitting status on an update leaves it as it is; the identical call again writes nothing
    const noStatus = ok(await app.gql(UPSERT_TASK, { input: { ...input, status: undefined, title: 'Rotate all keys' } })).upsertTreatmentTaskByExternalRef;
    expect(noStatus).toMatchObject({ version: 2, status: 'IN_PROGRESS' });

    // the task can be moved to another risk by its ticket
    const other = await createRisk(app);
    const moved = ok(await app.gql(UPSERT_TASK, { input: { ...input, title: 'Rotate all keys', status: 'IN_PROGRESS', riskId: other.id } })).upsertTreatmentTaskByExternalRef;
    expect(moved).toMatchObject({ version: 3, risk: { id: other.id } });
    expect(await count(app, 'treatment_task', 'external_key = $1', [ref.key])).toBe(1);
  });

  test('an unchanged ticket still syncs after its control or assignee was archived (only changed references are checked)', async () => {
    const risk = await createRisk(app);
    const assignee = await createOwner(app);
    const control = await createControl(app, { scopeIds: [risk.scopeId] });
    const input = { externalRef: { system: 'jira', key: `ARCH-${randomUUID()}` }, riskId: risk.id, controlId: control.id, assigneeId: assignee.id, title: 'Sync me' };
    const created = ok(await app.gql(UPSERT_TASK, { input })).upsertTreatmentTaskByExternalRef;
    ok(await app.gql('mutation($id: ID!) { archiveControl(id: $id) { id } }', { id: control.id }));
    ok(await app.gql('mutation($id: ID!) { archiveOwner(id: $id) { id } }', { id: assignee.id }));
    const same = ok(await app.gql(UPSERT_TASK, { input })).upsertTreatmentTaskByExternalRef;
    expect(same.version).toBe(created.version);
    const changed = ok(await app.gql(UPSERT_TASK, { input: { ...input, status: 'DONE' } })).upsertTreatmentTaskByExternalRef;
    expect(changed).toMatchObject({ version: 2, status: 'DONE', control: { id: control.id } });
    // pointing it at an archived control it does not have yet is refused
    const other = await createControl(app, { scopeIds: [risk.scopeId] });
    ok(await app.gql('mutation($id: ID!) { archiveControl(id: $id) { id } }', { id: other.id }));
    const before = await writeCounts();
    await expectRefused(await app.gql(UPSERT_TASK, { input: { ...input, controlId: other.id } }), 'BAD_USER_INPUT', before, 'controlId');
  });

  test('expectedVersion on an existing ticket: stale is CONFLICT and writes nothing', async () => {
    const risk = await createRisk(app);
    const assignee = await createOwner(app);
    const input = { externalRef: { system: 'jira', key: `UV-${randomUUID()}` }, riskId: risk.id, assigneeId: assignee.id, title: 'Versioned' };
    const created = ok(await app.gql(UPSERT_TASK, { input })).upsertTreatmentTaskByExternalRef;
    ok(await app.gql(UPSERT_TASK, { input: { ...input, title: 'v2' }, v: 1 }));
    const before = await writeCounts();
    await expectRefused(await app.gql(UPSERT_TASK, { input: { ...input, title: 'v3' }, v: 1 }), 'CONFLICT', before);
    expect((await app.sql('SELECT title, version FROM treatment_task WHERE id = $1', [created.id]))[0]).toEqual({ title: 'v2', version: 2 });
  });

  test('20 concurrent upserts of one new ticket create one task', async () => {
    const risk = await createRisk(app);
    const assignee = await createOwner(app);
    const key = await app.createKey([Permission.TREATMENT_WRITE]);
    const ticket = `RACE-${randomUUID()}`;
    const input = { externalRef: { system: 'jira', key: ticket }, riskId: risk.id, assigneeId: assignee.id, title: 'Raced' };
    const results = await Promise.all(Array.from({ length: 20 }, () => app.gql(UPSERT_TASK, { input }, key.secret)));
    for (const r of results) expect(r.errors).toBeUndefined();
    const ids = new Set(results.map((r) => r.data!.upsertTreatmentTaskByExternalRef.id));
    expect(ids.size).toBe(1);
    expect(results.every((r) => r.data!.upsertTreatmentTaskByExternalRef.version === 1)).toBe(true);
    expect(await count(app, 'treatment_task', 'external_key = $1', [ticket])).toBe(1);
    expect(await count(app, 'audit_event', 'entity_id = $1', [[...ids][0]])).toBe(1);
  });

  test('concurrent upserts and creates of one ticket: one task, the losers get CONFLICT, never INTERNAL', async () => {
    const risk = await createRisk(app);
    const assignee = await createOwner(app);
    const ticket = `MIX-${randomUUID()}`;
    const input = { externalRef: { system: 'jira', key: ticket }, riskId: risk.id, assigneeId: assignee.id, title: 'Mixed' };
    const results = await Promise.all(Array.from({ length: 12 }, (_v, i) => (i % 2 === 0
      ? app.gql(UPSERT_TASK, { input })
      : app.gql(CREATE_TASK, { input: { ...input } }))));
    for (const r of results) {
      if (r.errors) expect(errorCode(r)).toBe('CONFLICT');
    }
    expect(results.filter((r) => !r.errors).length).toBeGreaterThanOrEqual(6);
    expect(await count(app, 'treatment_task', 'external_key = $1', [ticket])).toBe(1);
  });

  test('the ticket identifies the task by system and key: the same key in another system is another task', async () => {
    const risk = await createRisk(app);
    const assignee = await createOwner(app);
    const key = `SAME-${randomUUID()}`;
    const base = { riskId: risk.id, assigneeId: assignee.id, title: 'Two systems' };
    const jira = ok(await app.gql(UPSERT_TASK, { input: { ...base, externalRef: { system: 'jira', key } } })).upsertTreatmentTaskByExternalRef;
    const snow = ok(await app.gql(UPSERT_TASK, { input: { ...base, externalRef: { system: 'servicenow', key } } })).upsertTreatmentTaskByExternalRef;
    expect(snow.id).not.toBe(jira.id);
  });

  test('bad upsert inputs are refused and write nothing', async () => {
    const risk = await createRisk(app);
    const archived = await createRisk(app);
    await archiveRisk(app, archived.id);
    const assignee = await createOwner(app);
    const base = { externalRef: { system: 'jira', key: `BAD-${randomUUID()}` }, riskId: risk.id, assigneeId: assignee.id, title: 'ok' };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ riskId: archived.id }, 'riskId'],
      [{ riskId: randomUUID() }, 'riskId'],
      [{ assigneeId: randomUUID() }, 'assigneeId'],
      [{ title: '' }, 'title'],
      [{ title: '   ' }, 'title'],
      [{ externalRef: { system: 'Jira Cloud', key: 'X-1' } }, 'externalRef.system'],
      [{ externalRef: { system: 'jira', key: 'has space' } }, 'externalRef.key'],
      [{ externalRef: { system: 'jira', key: 'X-2', url: 'ftp://files.example.com/x' } }, 'externalRef.url'],
    ];
    for (const [patch, field] of cases) {
      const before = await writeCounts();
      await expectRefused(await app.gql(UPSERT_TASK, { input: { ...base, ...patch } }), 'BAD_USER_INPUT', before, field);
    }
  });
});

describe('externalRef is unique per system and key', () => {
  test('createTreatmentTask with a taken ref is CONFLICT and writes nothing; updateTreatmentTask onto it too', async () => {
    const ref = { system: 'jira', key: `UNIQ-${randomUUID()}` };
    const holder = await createTask(app, { externalRef: ref });
    const risk = await createRisk(app);
    const assignee = await createOwner(app);
    const before = await writeCounts();
    const res = await app.gql(CREATE_TASK, { input: { riskId: risk.id, assigneeId: assignee.id, title: 'Dup', externalRef: { ...ref, url: 'https://x.example/1' } } });
    await expectRefused(res, 'CONFLICT', before);

    const other = await createTask(app);
    const before2 = await writeCounts();
    await expectRefused(await app.gql(UPDATE_TASK, { id: other.id, v: 1, input: { externalRef: ref } }), 'CONFLICT', before2);
    // re-stating a task's own ref is fine
    const self = ok(await app.gql(UPDATE_TASK, { id: holder.id, v: 1, input: { externalRef: { ...ref, url: 'https://jira.example.com/x' } } })).updateTreatmentTask;
    expect(self.externalRef).toEqual({ ...ref, url: 'https://jira.example.com/x' });
    // an unlinked ref becomes free again
    ok(await app.gql(UPDATE_TASK, { id: holder.id, v: 2, input: { externalRef: null } }));
    const taken = ok(await app.gql(UPDATE_TASK, { id: other.id, v: 1, input: { externalRef: ref } })).updateTreatmentTask;
    expect(taken.externalRef).toEqual({ ...ref, url: null });
  });
});

describe('bad inputs: each answered with its code, nothing written', () => {
  let riskId: string;
  let assigneeId: string;
  beforeAll(async () => {
    riskId = (await createRisk(app)).id;
    assigneeId = (await createOwner(app)).id;
  });
  const input = (patch: Record<string, unknown>) => ({ riskId, assigneeId, title: 'Valid title', ...patch });

  test('a task on an archived risk is BAD_USER_INPUT naming riskId', async () => {
    const risk = await createRisk(app);
    await archiveRisk(app, risk.id);
    const before = await writeCounts();
    await expectRefused(await app.gql(CREATE_TASK, { input: input({ riskId: risk.id }) }), 'BAD_USER_INPUT', before, 'riskId');
    // a new ticket on it, and moving a ticket's task onto it
    const ref = { system: 'jira', key: `AR-${randomUUID()}` };
    const before2 = await writeCounts();
    await expectRefused(await app.gql(UPSERT_TASK, { input: { ...input({ riskId: risk.id }), externalRef: ref } }), 'BAD_USER_INPUT', before2, 'riskId');
    const task = ok(await app.gql(UPSERT_TASK, { input: { ...input({}), externalRef: ref } })).upsertTreatmentTaskByExternalRef;
    const before3 = await writeCounts();
    await expectRefused(await app.gql(UPSERT_TASK, { input: { ...input({ riskId: risk.id }), externalRef: ref } }), 'BAD_USER_INPUT', before3, 'riskId');
    expect((await app.sql('SELECT risk_id, version FROM treatment_task WHERE id = $1', [task.id]))[0]).toEqual({ risk_id: riskId, version: 1 });
  });

  test.each([
    ['unknown risk id', { riskId: randomUUID() }, 'riskId'],
    ['malformed risk id', { riskId: 'risk-1' }, 'riskId'],
    ['unknown assignee id', { assigneeId: randomUUID() }, 'assigneeId'],
    ['unknown control id', { controlId: randomUUID() }, 'controlId'],
    ['empty title', { title: '' }, 'title'],
    ['blank title', { title: ' \t ' }, 'title'],
    ['overlong title', { title: 'x'.repeat(201) }, 'title'],
    ['bad externalRef system', { externalRef: { system: 'JIRA', key: 'SEC-9' } }, 'externalRef.system'],
    ['externalRef system with a slash', { externalRef: { system: 'jira/cloud', key: 'SEC-9' } }, 'externalRef.system'],
    ['empty externalRef key', { externalRef: { system: 'jira', key: '' } }, 'externalRef.key'],
    ['non-http url', { externalRef: { system: 'jira', key: 'SEC-9', url: 'javascript:alert(1)' } }, 'externalRef.url'],
    ['ftp url', { externalRef: { system: 'jira', key: 'SEC-9', url: 'ftp://example.com/SEC-9' } }, 'externalRef.url'],
    ['url without a scheme', { externalRef: { system: 'jira', key: 'SEC-9', url: 'jira.example.com/SEC-9' } }, 'externalRef.url'],
  ])('%s', async (_name, patch, field) => {
    const before = await writeCounts();
    await expectRefused(await app.gql(CREATE_TASK, { input: input(patch) }), 'BAD_USER_INPUT', before, field);
  });

  test('an archived assignee is BAD_USER_INPUT naming assigneeId', async () => {
    const owner = await createOwner(app);
    ok(await app.gql('mutation($id: ID!) { archiveOwner(id: $id) { id } }', { id: owner.id }));
    const before = await writeCounts();
    await expectRefused(await app.gql(CREATE_TASK, { input: input({ assigneeId: owner.id }) }), 'BAD_USER_INPUT', before, 'assigneeId');
  });

  test('a bad due date is refused by the Date scalar', async () => {
    const before = await writeCounts();
    const res = await app.gql(CREATE_TASK, { input: input({ dueDate: '2030-02-30' }) });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(await writeCounts()).toEqual(before);
  });

  test('updates with bad values are refused and change nothing', async () => {
    const task = await createTask(app);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ title: '' }, 'title'],
      [{ title: null }, 'title'],
      [{ assigneeId: randomUUID() }, 'assigneeId'],
      [{ assigneeId: null }, 'assigneeId'],
      [{ status: null }, 'status'],
      [{ controlId: randomUUID() }, 'controlId'],
      [{ externalRef: { system: 'jira', key: 'K', url: 'mailto:a@b.c' } }, 'externalRef.url'],
    ];
    for (const [patch, field] of cases) {
      const before = await writeCounts();
      await expectRefused(await app.gql(UPDATE_TASK, { id: task.id, v: 1, input: patch }), 'BAD_USER_INPUT', before, field);
    }
    expect((await app.sql('SELECT version FROM treatment_task WHERE id = $1', [task.id]))[0].version).toBe(1);
  });
});

describe('permissions', () => {
  test('a treatment:write key creates, updates, upserts, archives and reads tasks', async () => {
    const key = (await app.createKey([Permission.TREATMENT_WRITE])).secret;
    const risk = await createRisk(app);
    const assignee = await createOwner(app);
    const task = ok(await app.gql(CREATE_TASK, { input: { riskId: risk.id, assigneeId: assignee.id, title: 'By integration' } }, key)).createTreatmentTask;
    ok(await app.gql(UPDATE_TASK, { id: task.id, v: 1, input: { status: 'IN_PROGRESS' } }, key));
    const up = ok(await app.gql(UPSERT_TASK, { input: { externalRef: { system: 'jira', key: `PERM-${randomUUID()}` }, riskId: risk.id, assigneeId: assignee.id, title: 'Ticket' } }, key));
    ok(await app.gql(ARCHIVE, { id: up.upsertTreatmentTaskByExternalRef.id }, key));
    expect(ok(await app.gql(GET, { id: task.id }, key)).treatmentTask.status).toBe('IN_PROGRESS');
    expect(ok(await app.gql('query($id: ID!) { risk(id: $id) { id treatmentTasks { id } } }', { id: risk.id }, key)).risk.treatmentTasks).toEqual([{ id: task.id }]);
    const audit = await app.sql('SELECT actor_key_id FROM audit_event WHERE entity_id = $1', [task.id]);
    expect(audit.every((a) => a.actor_key_id !== null)).toBe(true);
  });

  test('a treatment:write key may not write anything else: FORBIDDEN, nothing written', async () => {
    const key = (await app.createKey([Permission.TREATMENT_WRITE])).secret;
    const scope = await createScope(app);
    const owner = await createOwner(app);
    const risk = await createRisk(app, { scopeId: scope.id });
    const [before] = await app.sql(`SELECT (SELECT count(*) FROM risk)::int AS r, (SELECT count(*) FROM control)::int AS c,
      (SELECT count(*) FROM scope)::int AS s, (SELECT count(*) FROM owner)::int AS o, (SELECT count(*) FROM exception)::int AS x,
      (SELECT count(*) FROM audit_event)::int AS a`);
    const attempts = [
      app.gql('mutation($i: CreateRiskInput!) { createRisk(input: $i) { id } }', { i: { title: 'r', scopeId: scope.id, ownerId: owner.id, likelihood: 1, impact: 1 } }, key),
      app.gql('mutation($i: CreateControlInput!) { createControl(input: $i) { id } }', { i: { code: `TW-${Date.now()}`, title: 'c', ownerId: owner.id } }, key),
      app.gql('mutation($i: CreateScopeInput!) { createScope(input: $i) { id } }', { i: { key: `tw-${Date.now()}`, name: 's', certification: 'CERTIFIABLE', ownerId: owner.id } }, key),
      app.gql('mutation($i: CreateOwnerInput!) { createOwner(input: $i) { id } }', { i: { kind: 'PERSON', name: 'o' } }, key),
      app.gql('mutation($id: ID!) { updateRisk(id: $id, input: { title: "x" }, expectedVersion: 1) { id } }', { id: risk.id }, key),
      app.gql('mutation($id: ID!) { archiveRisk(id: $id) { id } }', { id: risk.id }, key),
      app.gql('mutation($i: RequestExceptionInput!) { requestException(input: $i) { id } }', { i: { kind: 'RISK_ACCEPTANCE', scopeId: scope.id, riskId: risk.id, justification: 'j', requestedById: owner.id } }, key),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(errorCode(res)).toBe('FORBIDDEN');
      expect(res.data).toBeNull();
    }
    const [after] = await app.sql(`SELECT (SELECT count(*) FROM risk)::int AS r, (SELECT count(*) FROM control)::int AS c,
      (SELECT count(*) FROM scope)::int AS s, (SELECT count(*) FROM owner)::int AS o, (SELECT count(*) FROM exception)::int AS x,
      (SELECT count(*) FROM audit_event)::int AS a`);
    expect(after).toEqual(before);
  });

  test.each([
    ['isms:write', [Permission.ISMS_WRITE]],
    ['isms:read', [Permission.ISMS_READ]],
    ['catalog:write', [Permission.CATALOG_WRITE]],
  ])('a %s key cannot write tasks (FORBIDDEN, nothing written)', async (_name, permissions) => {
    const key = (await app.createKey(permissions)).secret;
    const task = await createTask(app);
    const risk = await createRisk(app);
    const assignee = await createOwner(app);
    const before = await writeCounts();
    await expectRefused(await app.gql(CREATE_TASK, { input: { riskId: risk.id, assigneeId: assignee.id, title: 'nope' } }, key), 'FORBIDDEN', before);
    await expectRefused(await app.gql(UPDATE_TASK, { id: task.id, v: 1, input: { title: 'nope' } }, key), 'FORBIDDEN', before);
    await expectRefused(await app.gql(ARCHIVE, { id: task.id }, key), 'FORBIDDEN', before);
    await expectRefused(await app.gql(UPSERT_TASK, { input: { externalRef: { system: 'jira', key: 'NOPE-1' }, riskId: risk.id, assigneeId: assignee.id, title: 'nope' } }, key), 'FORBIDDEN', before);
  });

  test('a key with no read permission cannot read tasks; no key is UNAUTHENTICATED', async () => {
    const task = await createTask(app);
    const catalog = (await app.createKey([Permission.CATALOG_WRITE])).secret;
    expect(errorCode(await app.gql(GET, { id: task.id }, catalog))).toBe('FORBIDDEN');
    expect(errorCode(await app.gql(LIST, {}, catalog))).toBe('FORBIDDEN');
    expect(errorCode(await app.gql(GET, { id: task.id }, null))).toBe('UNAUTHENTICATED');
  });
});

describe('a scope-restricted key sees tasks only through its scopes\' risks', () => {
  let mineScope: string;
  let childScope: string;
  let foreignScope: string;
  let mine: TaskRef;
  let child: TaskRef;
  let foreign: TaskRef;
  let foreignRisk: string;
  let mineRisk: string;
  let key: string;
  let foreignControl: string;
  const foreignTicket = { system: 'jira', key: `FOREIGN-${randomUUID()}` };

  beforeAll(async () => {
    mineScope = (await createScope(app)).id;
    childScope = (await createScope(app, { parentId: mineScope })).id;
    foreignScope = (await createScope(app)).id;
    mineRisk = (await createRisk(app, { scopeId: mineScope })).id;
    foreignRisk = (await createRisk(app, { scopeId: foreignScope })).id;
    foreignControl = (await createControl(app, { scopeIds: [foreignScope] })).id;
    mine = await createTask(app, { riskId: mineRisk, controlId: foreignControl });
    child = await createTask(app, { riskId: (await createRisk(app, { scopeId: childScope })).id });
    foreign = await createTask(app, { riskId: foreignRisk, externalRef: foreignTicket });
    key = (await app.createKey([Permission.TREATMENT_WRITE], { scopeIds: [mineScope] })).secret;
  });

  test('direct access outside its scopes is NOT_FOUND; inside (also child scopes) it reads', async () => {
    expect(ok(await app.gql(GET, { id: mine.id }, key)).treatmentTask.id).toBe(mine.id);
    expect(ok(await app.gql(GET, { id: child.id }, key)).treatmentTask.id).toBe(child.id);
    const res = await app.gql(GET, { id: foreign.id }, key);
    expect(errorCode(res)).toBe('NOT_FOUND');
    expect(JSON.stringify(res)).not.toContain(foreign.title);
  });

  test('lists and totals omit foreign tasks, also when filtered by the foreign risk', async () => {
    const res = ok(await app.gql(LIST, { first: 500, filter: { includeArchived: true } }, key)).treatmentTasks;
    const ids = res.edges.map((e: any) => e.node.id);
    expect(ids).toContain(mine.id);
    expect(ids).toContain(child.id);
    expect(ids).not.toContain(foreign.id);
    expect(res.totalCount).toBe(ids.length);
    const byRisk = ok(await app.gql(LIST, { filter: { riskIds: [foreignRisk] } }, key)).treatmentTasks;
    expect(byRisk).toMatchObject({ totalCount: 0, edges: [] });
    expect(await listIds({ externalSystem: 'jira' }, key)).not.toContain(foreign.id);
  });

  test('nested fields hide what lies outside: a foreign control reads as null', async () => {
    const read = ok(await app.gql(GET, { id: mine.id }, key)).treatmentTask;
    expect(read.control).toBeNull();
    expect(ok(await app.gql(GET, { id: mine.id })).treatmentTask.control).toEqual({ id: foreignControl });
  });

  test('writes onto foreign tasks: update and archive NOT_FOUND, create on a foreign risk FORBIDDEN, upsert onto a foreign ticket FORBIDDEN; nothing written', async () => {
    const assignee = await createOwner(app);
    const before = await writeCounts();
    await expectRefused(await app.gql(UPDATE_TASK, { id: foreign.id, v: 1, input: { title: 'hijack' } }, key), 'NOT_FOUND', before);
    await expectRefused(await app.gql(ARCHIVE, { id: foreign.id }, key), 'NOT_FOUND', before);
    await expectRefused(await app.gql(CREATE_TASK, { input: { riskId: foreignRisk, assigneeId: assignee.id, title: 'x' } }, key), 'FORBIDDEN', before);
    await expectRefused(await app.gql(UPSERT_TASK, { input: { externalRef: foreignTicket, riskId: mineRisk, assigneeId: assignee.id, title: 'steal' } }, key), 'FORBIDDEN', before);
    await expectRefused(await app.gql(UPSERT_TASK, { input: { externalRef: { system: 'jira', key: `NEW-${randomUUID()}` }, riskId: foreignRisk, assigneeId: assignee.id, title: 'x' } }, key), 'FORBIDDEN', before);
    // moving an own ticket's task onto a foreign risk
    const ownRef = { system: 'jira', key: `MOVE-${randomUUID()}` };
    const own = ok(await app.gql(UPSERT_TASK, { input: { externalRef: ownRef, riskId: mineRisk, assigneeId: assignee.id, title: 'own' } }, key)).upsertTreatmentTaskByExternalRef;
    const before2 = await writeCounts();
    await expectRefused(await app.gql(UPSERT_TASK, { input: { externalRef: ownRef, riskId: foreignRisk, assigneeId: assignee.id, title: 'own' } }, key), 'FORBIDDEN', before2);
    // a foreign control inside an input
    const otherForeignControl = (await createControl(app, { scopeIds: [foreignScope] })).id;
    const before3 = await writeCounts();
    await expectRefused(await app.gql(UPDATE_TASK, { id: own.id, v: 1, input: { controlId: otherForeignControl } }, key), 'FORBIDDEN', before3);
    await expectRefused(await app.gql(CREATE_TASK, { input: { riskId: mineRisk, assigneeId: assignee.id, title: 'x', controlId: otherForeignControl } }, key), 'FORBIDDEN', before3);
    const [row] = await app.sql('SELECT title, risk_id, version FROM treatment_task WHERE id = $1', [foreign.id]);
    expect(row).toEqual({ title: foreign.title, risk_id: foreignRisk, version: 1 });
  });

  test('writes inside its scopes work', async () => {
    const assignee = await createOwner(app);
    const created = ok(await app.gql(CREATE_TASK, { input: { riskId: mineRisk, assigneeId: assignee.id, title: 'mine' } }, key)).createTreatmentTask;
    ok(await app.gql(UPDATE_TASK, { id: created.id, v: 1, input: { status: 'DONE' } }, key));
    const up = ok(await app.gql(UPSERT_TASK, { input: { externalRef: { system: 'jira', key: `MINE-${randomUUID()}` }, riskId: mineRisk, assigneeId: assignee.id, title: 'mine' } }, key));
    expect(up.upsertTreatmentTaskByExternalRef.version).toBe(1);
  });
});
