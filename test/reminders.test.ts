import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { startTestApp, ok, errorCode, type TestApp } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { createControl, createRisk } from './helpers/isms-factories';
import { APPROVE_EXCEPTION, createTask, requestControlException, requestRiskAcceptance, REQUEST_EXCEPTION, inDays } from './helpers/core-factories';
import { databaseUrl } from './helpers/db';
import { Permission } from '../src/auth/permissions';
import { createLogger } from '../src/common/logger';
import { loadConfig } from '../src/config';
import { createDataSource } from '../src/db/data-source';
import { createReminderJob, reminderJob } from '../src/modules/reminder/reminder.job';
import { currentLead, reviewDueAt } from '../src/modules/reminder/reminder.rules';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const log = createLogger('silent');
const DAY = 86_400_000;
const HOUR = 3_600_000;
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);
const run = (now: Date) => reminderJob.run(app.db, now, log);

interface Row { kind: string; lead: number; dueAt: string; firedAt: string | null; scopeIds: string[]; ownerId: string; subjectType: string }

async function remindersOf(subjectId: string): Promise<Row[]> {
  const rows = await app.sql(
    `SELECT kind::text, lead_days, due_at, fired_at, scope_ids, owner_id, subject_type FROM reminder WHERE subject_id = $1
      ORDER BY due_at, lead_days DESC, kind`,
    [subjectId],
  );
  return rows.map((r: any) => ({
    kind: r.kind, lead: r.lead_days, dueAt: r.due_at.toISOString(), firedAt: r.fired_at?.toISOString() ?? null,
    scopeIds: [...r.scope_ids].sort(), ownerId: r.owner_id, subjectType: r.subject_type,
  }));
}

const brief = (rows: Row[]) => rows.map((r) => [r.kind, r.lead, r.firedAt]);

/** A control whose next review is at `due` (interval `intervalDays`), in a fresh scope unless named. */
async function controlDueAt(due: Date, options: { intervalDays?: number; scopeIds?: string[]; ownerId?: string; status?: string } = {}) {
  const intervalDays = options.intervalDays ?? 90;
  const scopeIds = options.scopeIds ?? [(await createScope(app)).id];
  const ownerId = options.ownerId ?? (await createOwner(app)).id;
  const control = await createControl(app, {
    scopeIds, ownerId, reviewIntervalDays: intervalDays, status: options.status ?? 'IMPLEMENTED',
    lastReviewedAt: new Date(due.getTime() - intervalDays * DAY).toISOString(),
  });
  return { ...control, scopeIds, ownerId };
}

describe('control reviews: REVIEW_DUE at each lead time, then REVIEW_OVERDUE', () => {
  it('fires each lead once, in order, with the pass\'s clock as firedAt, and a second pass fires nothing again', async () => {
    const t0 = new Date();
    const due = plus(t0, 40 * DAY);
    const control = await controlDueAt(due);

    await run(t0);
    expect(await remindersOf(control.id)).toEqual([]);

    const passes: Array<[Date, string, number]> = [
      [plus(due, -30 * DAY), 'REVIEW_DUE', 30],
      [plus(due, -7 * DAY + HOUR), 'REVIEW_DUE', 7],
      [plus(due, -2 * HOUR), 'REVIEW_DUE', 1],
      [plus(due, HOUR), 'REVIEW_OVERDUE', 0],
    ];
    const expected: Array<[string, number, string]> = [];
    for (const [now, kind, lead] of passes) {
      await run(now);
      expected.push([kind, lead, now.toISOString()]);
      expect(brief(await remindersOf(control.id))).toEqual(expected);
      await run(plus(now, 60_000)); // the next pass: nothing new, nothing fired again
      expect(brief(await remindersOf(control.id))).toEqual(expected);
    }
    await run(plus(due, 20 * DAY));
    const rows = await remindersOf(control.id);
    expect(brief(rows)).toEqual(expected);
    for (const row of rows) {
      expect(row).toMatchObject({ subjectType: 'CONTROL', dueAt: due.toISOString(), ownerId: control.ownerId, scopeIds: control.scopeIds });
    }
  });

  it('a date first seen inside the window fires only the nearest lead time, not the backlog', async () => {
    const t0 = new Date();
    const due = plus(t0, 5 * DAY);
    const control = await controlDueAt(due);
    await run(t0);
    expect(brief(await remindersOf(control.id))).toEqual([['REVIEW_DUE', 7, t0.toISOString()]]);
    const later = plus(due, -12 * HOUR);
    await run(later);
    expect(brief(await remindersOf(control.id))).toEqual([['REVIEW_DUE', 7, t0.toISOString()], ['REVIEW_DUE', 1, later.toISOString()]]);
  });

  it('a reminder left unfired past its moment (instances down across a lead boundary) is dropped, not fired late', async () => {
    const t0 = new Date();
    const due = plus(t0, 5 * DAY);
    const control = await controlDueAt(due);
    // what a planner 26 days ago would have left behind had every instance died before firing it
    await app.sql(`INSERT INTO reminder (id, kind, subject_type, subject_id, scope_ids, owner_id, due_at, lead_days)
      VALUES ($1, 'REVIEW_DUE', 'CONTROL', $2, $3, $4, $5, 30)`, [randomUUID(), control.id, control.scopeIds, control.ownerId, due]);
    // and one for a due date the control no longer has
    await app.sql(`INSERT INTO reminder (id, kind, subject_type, subject_id, scope_ids, owner_id, due_at, lead_days)
      VALUES ($1, 'REVIEW_OVERDUE', 'CONTROL', $2, $3, $4, $5, 0)`, [randomUUID(), control.id, control.scopeIds, control.ownerId, plus(t0, -DAY)]);
    await run(t0);
    expect(brief(await remindersOf(control.id))).toEqual([['REVIEW_DUE', 7, t0.toISOString()]]);
  });

  it('retired and archived controls are not reminded', async () => {
    const t0 = new Date();
    const retired = await controlDueAt(plus(t0, -DAY), { status: 'RETIRED' });
    const archived = await controlDueAt(plus(t0, -DAY));
    ok(await app.gql('mutation($id: ID!) { archiveControl(id: $id) { id } }', { id: archived.id }));
    await run(t0);
    expect(await remindersOf(retired.id)).toEqual([]);
    expect(await remindersOf(archived.id)).toEqual([]);
  });

  it('plans in SQL exactly the lead the pure rule gives, with days of 24 hours in any session time zone', async () => {
    // a session time zone with daylight saving, and review intervals that span one switch of it
    await app.sql(`ALTER DATABASE ${app.databaseName} SET timezone TO 'Europe/Berlin'`);
    const berlin = createDataSource(databaseUrl(app.databaseName), { poolSize: 2 });
    await berlin.initialize();
    try {
      const [{ tz }] = await berlin.query("SELECT current_setting('TimeZone') AS tz");
      expect(tz).toBe('Europe/Berlin');
      const t0 = new Date();
      const offsetOf = (d: Date) => new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Berlin', timeZoneName: 'shortOffset' }).formatToParts(d).find((p) => p.type === 'timeZoneName')!.value;
      const interval = [...Array(300).keys()].map((i) => i + 30).find((days) => offsetOf(t0) !== offsetOf(plus(t0, -days * DAY)))!;
      const offsets = [-2 * DAY, -1, 0, 1, 12 * HOUR, DAY, DAY + 1, 5 * DAY, 7 * DAY, 7 * DAY + 1, 20 * DAY, 30 * DAY, 30 * DAY + 1, 45 * DAY];
      const scopeId = (await createScope(app)).id;
      const ownerId = (await createOwner(app)).id;
      const controls = [];
      for (const offset of offsets) controls.push({ offset, ...(await controlDueAt(plus(t0, offset), { intervalDays: interval, scopeIds: [scopeId], ownerId })) });
      await reminderJob.run(berlin, t0, log);
      for (const control of controls) {
        const due = plus(t0, control.offset);
        const [row] = await app.sql('SELECT c.last_reviewed_at, c.created_at FROM control c WHERE c.id = $1', [control.id]);
        expect(reviewDueAt(row.last_reviewed_at, row.created_at, interval)).toEqual(due);
        const lead = currentLead(due, t0, [30, 7, 1]);
        const rows = await remindersOf(control.id);
        expect({ offset: control.offset, rows: rows.map((r) => [r.lead, r.dueAt]) })
          .toEqual({ offset: control.offset, rows: lead === null ? [] : [[lead, due.toISOString()]] });
      }
    } finally {
      await berlin.destroy();
      await app.sql(`ALTER DATABASE ${app.databaseName} RESET timezone`);
    }
  });
});

describe('risk reviews', () => {
  it('an open risk past its review date is REVIEW_OVERDUE in its scope; a closed one is not reminded', async () => {
    const t0 = new Date();
    const scope = await createScope(app);
    const owner = await createOwner(app);
    const risk = await createRisk(app, { scopeId: scope.id, ownerId: owner.id, reviewIntervalDays: 30 });
    const closed = await createRisk(app, { scopeId: scope.id, reviewIntervalDays: 30 });
    await app.sql(`UPDATE risk SET last_reviewed_at = $2 WHERE id = $1`, [risk.id, plus(t0, -45 * DAY)]);
    await app.sql(`UPDATE risk SET last_reviewed_at = $2, status = 'CLOSED' WHERE id = $1`, [closed.id, plus(t0, -45 * DAY)]);
    await run(t0);
    const rows = await remindersOf(risk.id);
    expect(rows).toEqual([{ kind: 'REVIEW_OVERDUE', lead: 0, dueAt: plus(t0, -15 * DAY).toISOString(), firedAt: t0.toISOString(), scopeIds: [scope.id], ownerId: owner.id, subjectType: 'RISK' }]);
    expect(await remindersOf(closed.id)).toEqual([]);
    await run(plus(t0, HOUR));
    expect(await remindersOf(risk.id)).toEqual(rows);
  });

  it('a never-reviewed risk is due one interval after its creation', async () => {
    const risk = await createRisk(app, { reviewIntervalDays: 10 });
    const [{ created_at: createdAt }] = await app.sql('SELECT created_at FROM risk WHERE id = $1', [risk.id]);
    const now = plus(createdAt, 5 * DAY);
    await run(now);
    expect((await remindersOf(risk.id)).map((r) => [r.kind, r.lead, r.dueAt])).toEqual([['REVIEW_DUE', 7, plus(createdAt, 10 * DAY).toISOString()]]);
  });
});

describe('evidence: EVIDENCE_STALE ahead of validUntil and once passed', () => {
  it('is reminded in every scope of its control, to the evidence owner', async () => {
    const t0 = new Date();
    const scopeA = await createScope(app);
    const scopeB = await createScope(app);
    const control = await createControl(app, { scopeIds: [scopeA.id, scopeB.id], status: 'IMPLEMENTED' });
    const owner = await createOwner(app);
    const evidence = ok(await app.gql(
      'mutation($input: CreateEvidenceInput!) { createEvidence(input: $input) { id } }',
      { input: { controlId: control.id, ownerId: owner.id, title: 'Access review minutes', kind: 'RECORD', reference: 'wiki/access-review', collectedAt: plus(t0, -DAY).toISOString(), validUntil: plus(t0, 3 * DAY).toISOString() } },
    )).createEvidence;
    const archived = ok(await app.gql(
      'mutation($input: CreateEvidenceInput!) { createEvidence(input: $input) { id } }',
      { input: { controlId: control.id, ownerId: owner.id, title: 'Old', kind: 'RECORD', reference: 'wiki/old', collectedAt: plus(t0, -DAY).toISOString(), validUntil: plus(t0, 3 * DAY).toISOString() } },
    )).createEvidence;
    ok(await app.gql('mutation($id: ID!) { archiveEvidence(id: $id) { id } }', { id: archived.id }));

    await run(t0);
    const stale = plus(t0, 3 * DAY + 60_000);
    await run(stale);
    await run(plus(stale, DAY));
    const rows = await remindersOf(evidence.id);
    expect(brief(rows)).toEqual([['EVIDENCE_STALE', 7, t0.toISOString()], ['EVIDENCE_STALE', 0, stale.toISOString()]]);
    expect(rows[0]).toMatchObject({ subjectType: 'EVIDENCE', ownerId: owner.id, scopeIds: [scopeA.id, scopeB.id].sort(), dueAt: plus(t0, 3 * DAY).toISOString() });
    expect(await remindersOf(archived.id)).toEqual([]);
  });
});

describe('exceptions: EXCEPTION_EXPIRING, then EXCEPTION_EXPIRED stores the expiry', () => {
  async function approve(exception: { id: string; version: number }, expiresAt = inDays(90)) {
    const approver = await createOwner(app);
    return ok(await app.gql(APPROVE_EXCEPTION, { id: exception.id, approverId: approver.id, expiresAt, v: exception.version })).approveException;
  }

  it('a control exception is reminded to its requester, then stored EXPIRED with a version bump and an audit row', async () => {
    const t0 = new Date();
    const requested = await requestControlException(app);
    const approved = await approve(requested);
    const expiresAt = plus(t0, 6 * DAY);
    await app.sql('UPDATE exception SET expires_at = $2 WHERE id = $1', [approved.id, expiresAt]);

    await run(t0);
    expect(brief(await remindersOf(approved.id))).toEqual([['EXCEPTION_EXPIRING', 7, t0.toISOString()]]);
    const [{ version: before }] = await app.sql('SELECT version FROM exception WHERE id = $1', [approved.id]);

    const expired = plus(expiresAt, 60_000);
    await run(expired);
    await run(plus(expired, HOUR));
    const rows = await remindersOf(approved.id);
    expect(brief(rows)).toEqual([['EXCEPTION_EXPIRING', 7, t0.toISOString()], ['EXCEPTION_EXPIRED', 0, expired.toISOString()]]);
    expect(rows[1]).toMatchObject({ ownerId: requested.requestedBy.id, scopeIds: [requested.scope.id], subjectType: 'EXCEPTION' });

    const [stored] = await app.sql('SELECT stored_status, version FROM exception WHERE id = $1', [approved.id]);
    expect(stored).toEqual({ stored_status: 'EXPIRED', version: before + 1 });
    const audits = await app.sql(`SELECT operation, actor_key_id, request_id, before->>'storedStatus' AS b, after->>'storedStatus' AS a, scope_ids
      FROM audit_event WHERE entity_id = $1 AND operation = 'expireException'`, [approved.id]);
    expect(audits).toEqual([{ operation: 'expireException', actor_key_id: null, request_id: expect.stringMatching(/^scheduler-[0-9a-f-]{36}$/), b: 'APPROVED', a: 'EXPIRED', scope_ids: [requested.scope.id] }]);
    const read = ok(await app.gql('query($id: ID!) { exception(id: $id) { status version } }', { id: approved.id })).exception;
    expect(read).toEqual({ status: 'EXPIRED', version: before + 1 });
  });

  it('an expired risk acceptance sets its risk back to ASSESSED', async () => {
    const t0 = new Date();
    const { exception, riskId } = await requestRiskAcceptance(app);
    await approve(exception);
    expect((await app.sql('SELECT status FROM risk WHERE id = $1', [riskId]))[0].status).toBe('ACCEPTED');
    await app.sql("UPDATE exception SET expires_at = $2 WHERE id = $1", [exception.id, plus(t0, -HOUR)]);
    await run(t0);
    expect(brief(await remindersOf(exception.id))).toEqual([['EXCEPTION_EXPIRED', 0, t0.toISOString()]]);
    expect((await app.sql('SELECT stored_status FROM exception WHERE id = $1', [exception.id]))[0].stored_status).toBe('EXPIRED');
    expect((await app.sql('SELECT status FROM risk WHERE id = $1', [riskId]))[0].status).toBe('ASSESSED');
    const riskAudits = await app.sql(`SELECT after->>'status' AS status FROM audit_event WHERE entity_id = $1 AND operation = 'expireException'`, [riskId]);
    expect(riskAudits).toEqual([{ status: 'ASSESSED' }]);
  });

  it('the risk stays ACCEPTED while another acceptance of it still runs', async () => {
    const t0 = new Date();
    const { exception: first, riskId, scopeId } = await requestRiskAcceptance(app);
    await approve(first);
    const second = ok(await app.gql(REQUEST_EXCEPTION, {
      input: { kind: 'RISK_ACCEPTANCE', justification: 'Renewed', scopeId, riskId, requestedById: (await createOwner(app)).id },
    })).requestException;
    await approve(second, inDays(200));
    await app.sql('UPDATE exception SET expires_at = $2 WHERE id = $1', [first.id, plus(t0, -HOUR)]);
    await run(t0);
    expect((await app.sql('SELECT stored_status FROM exception WHERE id = $1', [first.id]))[0].stored_status).toBe('EXPIRED');
    expect((await app.sql('SELECT status FROM risk WHERE id = $1', [riskId]))[0].status).toBe('ACCEPTED');
  });

  it('requested, revoked and rejected exceptions are not reminded', async () => {
    const t0 = new Date();
    const requested = await requestControlException(app, { expiresAt: inDays(3) });
    const revoked = await approve(await requestControlException(app), inDays(3));
    ok(await app.gql('mutation($id: ID!) { revokeException(id: $id, reason: "no longer needed") { id } }', { id: revoked.id }));
    await run(t0);
    expect(await remindersOf(requested.id)).toEqual([]);
    expect(await remindersOf(revoked.id)).toEqual([]);
  });
});

describe('treatment tasks: TASK_OVERDUE once the due date has ended', () => {
  const isoDay = (d: Date) => d.toISOString().slice(0, 10);

  it('an open task whose due date has passed is reminded to its assignee in its risk\'s scope; due today, later or done is not', async () => {
    const t0 = new Date();
    const risk = await createRisk(app);
    const [{ scope_id: scopeId }] = await app.sql('SELECT scope_id FROM risk WHERE id = $1', [risk.id]);
    const assignee = await createOwner(app);
    const yesterday = isoDay(plus(t0, -DAY));
    const overdue = await createTask(app, { riskId: risk.id, assigneeId: assignee.id, dueDate: yesterday, status: 'IN_PROGRESS' });
    const today = await createTask(app, { riskId: risk.id, dueDate: isoDay(t0) });
    const later = await createTask(app, { riskId: risk.id, dueDate: isoDay(plus(t0, 3 * DAY)) });
    const done = await createTask(app, { riskId: risk.id, dueDate: yesterday, status: 'DONE' });

    await run(t0);
    await run(plus(t0, 60_000));
    expect(await remindersOf(overdue.id)).toEqual([{
      kind: 'TASK_OVERDUE', lead: 0, dueAt: `${isoDay(t0)}T00:00:00.000Z`, firedAt: t0.toISOString(), scopeIds: [scopeId], ownerId: assignee.id, subjectType: 'TREATMENT_TASK',
    }]);
    for (const task of [today, later, done]) expect(await remindersOf(task.id)).toEqual([]);
  });
});

describe('exactly once across instances', () => {
  const sources: DataSource[] = [];
  let listener: Client;
  const received: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 5; i++) {
      const ds = createDataSource(databaseUrl(app.databaseName), { poolSize: 3 });
      await ds.initialize();
      sources.push(ds);
    }
    listener = new Client({ connectionString: databaseUrl(app.databaseName) });
    await listener.connect();
    listener.on('notification', (msg) => {
      if (msg.channel === 'isms_reminder') received.push(JSON.parse(msg.payload!).id);
    });
    await listener.query('LISTEN isms_reminder');
  });
  afterAll(async () => {
    await listener.end();
    await Promise.all(sources.map((ds) => ds.destroy()));
  });

  /** Time for NOTIFYs in flight to arrive, duplicates included. */
  const settle = () => new Promise((r) => setTimeout(r, 300));
  async function waitFor(count: number): Promise<void> {
    const until = Date.now() + 10_000;
    while (received.length < count && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
    await settle();
  }

  it.each([
    ['one batch of 500', reminderJob],
    ['batches of 7, interleaved', createReminderJob({ batchSize: 7 })],
  ])('5 parallel passes over 50 due subjects fire each reminder exactly once (%s)', async (_name, job) => {
    const now = new Date();
    await job.run(app.db, now, log); // whatever else is due fires first, so only these 50 remain
    received.length = 0;

    const scopeId = (await createScope(app)).id;
    const ownerId = (await createOwner(app)).id;
    const controls = await Promise.all([...Array(50).keys()].map(() => controlDueAt(plus(now, -DAY), { scopeIds: [scopeId], ownerId })));
    await Promise.all(sources.map((ds) => job.run(ds, now, log)));
    await waitFor(50);

    const rows = await app.sql(`SELECT id, subject_id, fired_at FROM reminder WHERE subject_id = ANY($1::uuid[])`, [controls.map((c) => c.id)]);
    expect(rows).toHaveLength(50);
    expect(new Set(rows.map((r: any) => r.subject_id)).size).toBe(50);
    for (const row of rows) expect(row.fired_at).toEqual(now);
    expect(received).toHaveLength(50);
    expect(new Set(received)).toEqual(new Set(rows.map((r: any) => r.id)));

    await Promise.all(sources.map((ds) => job.run(ds, plus(now, 60_000), log)));
    await settle();
    expect(received).toHaveLength(50);
  });

  it('an instance that dies mid-batch holds its rows only until its transaction ends: nothing is lost or doubled', async () => {
    const now = new Date();
    await reminderJob.run(app.db, now, log);
    received.length = 0;
    const controls = await Promise.all([0, 1, 2].map(() => controlDueAt(plus(now, -DAY))));
    const ids = controls.map(() => randomUUID());
    // planned rows, as the planner leaves them before the firing step
    for (const [i, c] of controls.entries()) {
      await app.sql(`INSERT INTO reminder (id, kind, subject_type, subject_id, scope_ids, owner_id, due_at, lead_days)
        VALUES ($1, 'REVIEW_OVERDUE', 'CONTROL', $2, $3, $4, $5, 0)`, [ids[i], c.id, c.scopeIds, c.ownerId, plus(now, -DAY)]);
    }
    // the dying instance: it has claimed and marked the rows and queued its NOTIFYs, but never commits
    const dying = sources[0].createQueryRunner();
    await dying.connect();
    await dying.startTransaction();
    await dying.query('SELECT id FROM reminder WHERE id = ANY($1::uuid[]) FOR UPDATE SKIP LOCKED', [ids]);
    await dying.query('UPDATE reminder SET fired_at = $2 WHERE id = ANY($1::uuid[])', [ids, now]);
    await dying.query(`SELECT pg_notify('isms_reminder', json_build_object('id', id)::text) FROM reminder WHERE id = ANY($1::uuid[])`, [ids]);

    await reminderJob.run(sources[1], now, log); // skips the locked rows
    await settle();
    expect(received).toEqual([]);
    expect((await app.sql('SELECT count(*)::int AS n FROM reminder WHERE id = ANY($1::uuid[]) AND fired_at IS NOT NULL', [ids]))[0].n).toBe(0);

    await dying.rollbackTransaction(); // the crash: its marks and NOTIFYs vanish with it
    await dying.release();
    await settle();
    expect(received).toEqual([]);

    const later = plus(now, 60_000);
    await Promise.all([reminderJob.run(sources[2], later, log), reminderJob.run(sources[3], later, log)]);
    await waitFor(3);
    expect([...received].sort()).toEqual([...ids].sort());
    const rows = await app.sql('SELECT fired_at FROM reminder WHERE subject_id = ANY($1::uuid[])', [controls.map((c) => c.id)]);
    expect(rows.map((r: any) => r.fired_at)).toEqual([later, later, later]);
  });
});

describe('the reminders query', () => {
  const LIST = `query($filter: ReminderFilter, $first: Int, $after: String) { reminders(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id kind subjectType subjectId scopeIds leadDays dueAt firedAt acknowledgedAt owner { id name } } } } }`;
  const ACK = 'mutation($id: ID!) { acknowledgeReminder(id: $id) { id acknowledgedAt } }';
  const GET = 'query($id: ID!) { reminder(id: $id) { id kind } }';
  let t0: Date;
  let scopeA: string;
  let scopeB: string;
  let ownerA: { id: string; name: string };
  let ownerB: { id: string; name: string };
  let subjects: string[];
  let control1: string;
  let control2: string;
  let control3: string;
  let evidenceId: string;

  beforeAll(async () => {
    t0 = new Date();
    scopeA = (await createScope(app)).id;
    scopeB = (await createScope(app)).id;
    ownerA = await createOwner(app);
    ownerB = await createOwner(app);
    control1 = (await controlDueAt(plus(t0, -3 * DAY), { scopeIds: [scopeA], ownerId: ownerA.id })).id;
    control2 = (await controlDueAt(plus(t0, 5 * DAY), { scopeIds: [scopeB], ownerId: ownerB.id })).id;
    control3 = (await controlDueAt(plus(t0, 20 * DAY), { scopeIds: [scopeA, scopeB], ownerId: ownerB.id })).id;
    evidenceId = ok(await app.gql(
      'mutation($input: CreateEvidenceInput!) { createEvidence(input: $input) { id } }',
      { input: { controlId: control1, ownerId: ownerA.id, title: 'Evidence', kind: 'REPORT', reference: 'ref', collectedAt: plus(t0, -10 * DAY).toISOString(), validUntil: plus(t0, -DAY).toISOString() } },
    )).createEvidence.id;
    subjects = [control1, control2, control3, evidenceId];
    await run(t0);
  });

  async function list(filter: Record<string, unknown>, key?: string, first = 500): Promise<any[]> {
    const res = ok(await app.gql(LIST, { filter: { subjectIds: subjects, ...filter }, first }, key)).reminders;
    expect(res.totalCount).toBe(res.edges.length);
    return res.edges.map((e: any) => e.node);
  }

  it('lists by due date then id, with the owner', async () => {
    const nodes = await list({});
    expect(nodes.map((n) => [n.subjectId, n.kind, n.leadDays])).toEqual([
      [control1, 'REVIEW_OVERDUE', 0],
      [evidenceId, 'EVIDENCE_STALE', 0],
      [control2, 'REVIEW_DUE', 7],
      [control3, 'REVIEW_DUE', 30],
    ]);
    expect(nodes[0].owner).toEqual({ id: ownerA.id, name: ownerA.name });
    expect(nodes[3]).toMatchObject({ subjectType: 'CONTROL', firedAt: t0.toISOString(), acknowledgedAt: null, owner: { id: ownerB.id, name: ownerB.name } });
    expect([...nodes[3].scopeIds].sort()).toEqual([scopeA, scopeB].sort());
  });

  it('filters by scope, owner, kind, due date, firing and acknowledgement', async () => {
    const ids = async (filter: Record<string, unknown>) => (await list(filter)).map((n) => n.subjectId);
    expect(await ids({ scopeIds: [scopeB] })).toEqual([control2, control3]);
    expect(await ids({ scopeIds: [scopeA] })).toEqual([control1, evidenceId, control3]);
    expect(await ids({ ownerIds: [ownerA.id] })).toEqual([control1, evidenceId]);
    expect(await ids({ kinds: ['REVIEW_DUE'] })).toEqual([control2, control3]);
    expect(await ids({ kinds: ['EVIDENCE_STALE', 'REVIEW_OVERDUE'] })).toEqual([control1, evidenceId]);
    expect(await ids({ dueBefore: t0.toISOString() })).toEqual([control1, evidenceId]);
    expect(await ids({ fired: true })).toEqual([control1, evidenceId, control2, control3]);
    expect(await ids({ fired: false })).toEqual([]);
    expect(await ids({ acknowledged: true })).toEqual([]);
    expect(await ids({ acknowledged: false })).toHaveLength(4);
    expect(await ids({ scopeIds: [scopeA], ownerIds: [ownerB.id], kinds: ['REVIEW_DUE'] })).toEqual([control3]);
  });

  it('pages with keyset cursors', async () => {
    const all = await list({});
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = ok(await app.gql(LIST, { filter: { subjectIds: subjects }, first: 3, after })).reminders;
      expect(page.totalCount).toBe(4);
      seen.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.map((n) => n.id));
    expect(errorCode(await app.gql(LIST, { first: 501 }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(LIST, { first: 1, after: 'bogus' }))).toBe('BAD_USER_INPUT');
  });

  it('a key restricted to a scope sees only reminders whose scopes overlap its own', async () => {
    const keyA = await app.createKey([Permission.ISMS_WRITE], { scopeIds: [scopeA] });
    const keyB = await app.createKey([Permission.ISMS_READ], { scopeIds: [scopeB] });
    expect((await list({}, keyA.secret)).map((n) => n.subjectId)).toEqual([control1, evidenceId, control3]);
    expect((await list({}, keyB.secret)).map((n) => n.subjectId)).toEqual([control2, control3]);
    expect((await list({ scopeIds: [scopeB] }, keyA.secret)).map((n) => n.subjectId)).toEqual([control3]);

    const [hidden] = await list({ subjectIds: [control2] });
    const res = await app.gql(GET, { id: hidden.id }, keyA.secret);
    expect(errorCode(res)).toBe('NOT_FOUND');
    expect(ok(await app.gql(GET, { id: hidden.id }, keyB.secret)).reminder).toEqual({ id: hidden.id, kind: 'REVIEW_DUE' });
    const ack = await app.gql(ACK, { id: hidden.id }, keyA.secret);
    expect(errorCode(ack)).toBe('NOT_FOUND');
    expect((await app.sql('SELECT acknowledged_at FROM reminder WHERE id = $1', [hidden.id]))[0].acknowledged_at).toBeNull();
  });

  it('acknowledging is idempotent and audited once as a REMINDER write', async () => {
    const [target] = await list({ subjectIds: [control1] });
    const audits = () => app.sql(`SELECT operation, entity_type, scope_ids FROM audit_event WHERE entity_id = $1`, [target.id]);
    const readKey = await app.createKey([Permission.ISMS_READ]);
    expect(errorCode(await app.gql(ACK, { id: target.id }, readKey.secret))).toBe('FORBIDDEN');
    expect(errorCode(await app.gql(ACK, { id: target.id }, null))).toBe('UNAUTHENTICATED');
    expect(await audits()).toEqual([]);

    const first = ok(await app.gql(ACK, { id: target.id })).acknowledgeReminder;
    expect(first.acknowledgedAt).not.toBeNull();
    const again = ok(await app.gql(ACK, { id: target.id })).acknowledgeReminder;
    expect(again).toEqual(first);
    expect(await audits()).toEqual([{ operation: 'acknowledgeReminder', entity_type: 'REMINDER', scope_ids: [scopeA] }]);
    expect((await list({ acknowledged: true })).map((n) => n.id)).toEqual([target.id]);
    expect(await list({ acknowledged: false })).toHaveLength(3);

    expect(errorCode(await app.gql(ACK, { id: randomUUID() }))).toBe('NOT_FOUND');
    expect(errorCode(await app.gql(ACK, { id: 'not-a-uuid' }))).toBe('NOT_FOUND');
    expect(errorCode(await app.gql(GET, { id: randomUUID() }))).toBe('NOT_FOUND');
  });

  it('a planned reminder not yet fired is listed with fired: false', async () => {
    const control = await controlDueAt(plus(t0, 100 * DAY), { scopeIds: [scopeA], ownerId: ownerA.id });
    const id = randomUUID();
    await app.sql(`INSERT INTO reminder (id, kind, subject_type, subject_id, scope_ids, owner_id, due_at, lead_days)
      VALUES ($1, 'REVIEW_DUE', 'CONTROL', $2, $3, $4, $5, 30)`, [id, control.id, [scopeA], ownerA.id, plus(t0, 100 * DAY)]);
    const nodes = await list({ subjectIds: [control.id], fired: false });
    expect(nodes.map((n) => [n.id, n.firedAt])).toEqual([[id, null]]);
    expect(await list({ subjectIds: [control.id], fired: true })).toEqual([]);
  });

  it('needs a key with isms:read', async () => {
    expect(errorCode(await app.gql(LIST, {}, null))).toBe('UNAUTHENTICATED');
    const catalogKey = await app.createKey([Permission.CATALOG_WRITE]);
    expect(errorCode(await app.gql(LIST, {}, catalogKey.secret))).toBe('FORBIDDEN');
  });
});

describe('configuration', () => {
  it('the job reads the lead times from REMINDER_LEAD_DAYS', async () => {
    const t0 = new Date();
    const control = await controlDueAt(plus(t0, 12 * DAY));
    await createReminderJob({ config: loadConfig({ REMINDER_LEAD_DAYS: '14,3' }) }).run(app.db, t0, log);
    expect(brief(await remindersOf(control.id))).toEqual([['REVIEW_DUE', 14, t0.toISOString()]]);
  });
});
