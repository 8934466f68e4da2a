import { randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type GqlResponse, type TestApp } from './helpers/app';
import { createScope } from './helpers/factories';
import { createControl, createRisk } from './helpers/isms-factories';
import { Permission } from '../src/auth/permissions';
import { createLogger } from '../src/common/logger';
import { reminderJob } from '../src/modules/reminder/reminder.job';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const log = createLogger('silent');
const DAY = 86_400_000;
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);

const RECORD = `mutation($input: RecordReviewInput!, $key: String) { recordReview(input: $input, idempotencyKey: $key) {
  id subjectType subjectId outcome notes recordedByKeyId reviewedAt } }`;
const CONTROL = 'query($id: ID!) { control(id: $id) { id version lastReviewedAt nextReviewAt reviews { id outcome notes reviewedAt } } }';
const RISK = 'query($id: ID!) { risk(id: $id) { id version lastReviewedAt nextReviewAt reviews { id outcome reviewedAt } } }';

function record(input: Record<string, unknown>, key?: string, idempotencyKey?: string): Promise<GqlResponse> {
  return app.gql(RECORD, { input: { outcome: 'NO_CHANGE', ...input }, key: idempotencyKey }, key);
}

async function controlIn(scopeId: string, patch: Record<string, unknown> = {}) {
  return createControl(app, { scopeIds: [scopeId], status: 'IMPLEMENTED', reviewIntervalDays: 30, ...patch });
}

/** Reviews, audit rows and versions as they stand: a refused review changes none of them. */
async function snapshot(): Promise<unknown> {
  const [row] = await app.sql(`SELECT (SELECT count(*) FROM review)::int AS reviews, (SELECT count(*) FROM audit_event)::int AS audits,
    (SELECT coalesce(sum(version), 0) FROM control)::int AS controls, (SELECT coalesce(sum(version), 0) FROM risk)::int AS risks`);
  return row;
}

async function expectRefused(res: GqlResponse, code: string, before: unknown, field?: string): Promise<void> {
  expect(errorCode(res)).toBe(code);
  if (field) expect(res.errors![0].extensions.field).toBe(field);
  expect(res.data).toBeNull();
  expect(await snapshot()).toEqual(before);
}

describe('recordReview', () => {
  it('stores the review and moves the control\'s next review date one interval on from it', async () => {
    const scope = await createScope(app);
    const control = await controlIn(scope.id, { lastReviewedAt: plus(new Date(), -40 * DAY).toISOString() });
    const before = ok(await app.gql(CONTROL, { id: control.id })).control;
    const review = ok(await record({ subjectType: 'CONTROL', subjectId: control.id, outcome: 'UPDATED', notes: '  Adjusted the reviewer list  ' })).recordReview;
    expect(review).toMatchObject({ subjectType: 'CONTROL', subjectId: control.id, outcome: 'UPDATED', notes: 'Adjusted the reviewer list' });
    expect(review.recordedByKeyId).toEqual(expect.any(String));

    const after = ok(await app.gql(CONTROL, { id: control.id })).control;
    expect(after.version).toBe(before.version + 1);
    expect(after.lastReviewedAt).toBe(review.reviewedAt);
    expect(after.nextReviewAt).toBe(plus(new Date(review.reviewedAt), 30 * DAY).toISOString());
    expect(new Date(after.nextReviewAt).getTime()).toBeGreaterThan(new Date(before.nextReviewAt).getTime());

    const audits = await app.sql(`SELECT operation, entity_type, after->>'reviewId' AS review_id, scope_ids FROM audit_event WHERE entity_id = $1 AND operation = 'recordReview'`, [control.id]);
    expect(audits).toEqual([{ operation: 'recordReview', entity_type: 'CONTROL', review_id: review.id, scope_ids: [scope.id] }]);
  });

  it('lists a subject\'s reviews newest first', async () => {
    const scope = await createScope(app);
    const control = await controlIn(scope.id);
    const risk = await createRisk(app, { scopeId: scope.id, reviewIntervalDays: 60 });
    const ids: string[] = [];
    for (const outcome of ['NO_CHANGE', 'ACTION_REQUIRED', 'UPDATED']) {
      ids.push(ok(await record({ subjectType: 'CONTROL', subjectId: control.id, outcome })).recordReview.id);
    }
    const riskReview = ok(await record({ subjectType: 'RISK', subjectId: risk.id })).recordReview;
    const read = ok(await app.gql(CONTROL, { id: control.id })).control;
    expect(read.reviews.map((r: any) => [r.id, r.outcome])).toEqual([[ids[2], 'UPDATED'], [ids[1], 'ACTION_REQUIRED'], [ids[0], 'NO_CHANGE']]);
    expect(read.lastReviewedAt).toBe(read.reviews[0].reviewedAt);
    const riskRead = ok(await app.gql(RISK, { id: risk.id })).risk;
    expect(riskRead.reviews.map((r: any) => r.id)).toEqual([riskReview.id]);
    expect(riskRead.lastReviewedAt).toBe(riskReview.reviewedAt);
    expect(riskRead.nextReviewAt).toBe(plus(new Date(riskReview.reviewedAt), 60 * DAY).toISOString());
    expect(ok(await app.gql(RISK, { id: (await createRisk(app)).id })).risk.reviews).toEqual([]);
  });

  it('reviews of many subjects load in one statement', async () => {
    const scope = await createScope(app);
    const controls = await Promise.all([0, 1, 2, 3, 4].map(() => controlIn(scope.id)));
    for (const c of controls) ok(await record({ subjectType: 'CONTROL', subjectId: c.id }));
    const query = 'query($s: [ID!]) { controls(filter: { scopeIds: $s }, first: 50) { edges { node { id reviews { id } } } } }';
    const few = await app.gql(query, { s: [scope.id] });
    expect(ok(few).controls.edges.every((e: any) => e.node.reviews.length === 1)).toBe(true);
    const other = await createScope(app);
    for (const c of await Promise.all([0, 1].map(() => controlIn(other.id)))) ok(await record({ subjectType: 'CONTROL', subjectId: c.id }));
    const more = await app.gql(query, { s: [scope.id, other.id] });
    expect(ok(more).controls.edges).toHaveLength(7);
    expect(more.statements).toBe(few.statements);
  });

  it('a review moves the next date: a new reminder plans for the new date only', async () => {
    const scope = await createScope(app);
    const control = await controlIn(scope.id, { lastReviewedAt: plus(new Date(), -40 * DAY).toISOString() });
    const oldDue = (await app.sql('SELECT last_reviewed_at FROM control WHERE id = $1', [control.id]))[0].last_reviewed_at;
    const t0 = new Date();
    await reminderJob.run(app.db, t0, log);
    const reminders = () => app.sql(`SELECT kind::text, lead_days, due_at, fired_at FROM reminder WHERE subject_id = $1 ORDER BY due_at, lead_days DESC`, [control.id]);
    expect(await reminders()).toEqual([{ kind: 'REVIEW_OVERDUE', lead_days: 0, due_at: plus(oldDue, 30 * DAY), fired_at: t0 }]);
    // a planned but unfired reminder for the old date, as a planner might leave it just before the review
    await app.sql(`INSERT INTO reminder (id, kind, subject_type, subject_id, scope_ids, owner_id, due_at, lead_days)
      SELECT $1, 'REVIEW_DUE', 'CONTROL', id, ARRAY[$3::uuid], owner_id, $2, 1 FROM control WHERE id = $4`, [randomUUID(), plus(oldDue, 30 * DAY), scope.id, control.id]);

    const review = ok(await record({ subjectType: 'CONTROL', subjectId: control.id })).recordReview;
    const newDue = plus(new Date(review.reviewedAt), 30 * DAY);
    const t1 = new Date();
    await reminderJob.run(app.db, t1, log);
    await reminderJob.run(app.db, new Date(t1.getTime() + 60_000), log);
    expect(await reminders()).toEqual([
      { kind: 'REVIEW_OVERDUE', lead_days: 0, due_at: plus(oldDue, 30 * DAY), fired_at: t0 },
      { kind: 'REVIEW_DUE', lead_days: 30, due_at: newDue, fired_at: t1 },
    ]);
  });

  it('a risk review moves the risk\'s next date the same way', async () => {
    const risk = await createRisk(app, { reviewIntervalDays: 10 });
    await app.sql('UPDATE risk SET last_reviewed_at = $2 WHERE id = $1', [risk.id, plus(new Date(), -20 * DAY)]);
    await reminderJob.run(app.db, new Date(), log);
    const review = ok(await record({ subjectType: 'RISK', subjectId: risk.id, outcome: 'ACTION_REQUIRED' })).recordReview;
    const t1 = new Date();
    await reminderJob.run(app.db, t1, log);
    const rows = await app.sql(`SELECT kind::text, lead_days, due_at FROM reminder WHERE subject_id = $1 ORDER BY due_at`, [risk.id]);
    expect(rows.map((r: any) => r.kind)).toEqual(['REVIEW_OVERDUE', 'REVIEW_DUE']);
    expect(rows[1]).toEqual({ kind: 'REVIEW_DUE', lead_days: 30, due_at: plus(new Date(review.reviewedAt), 10 * DAY) });
  });

  it('an idempotency key returns the review first recorded', async () => {
    const control = await controlIn((await createScope(app)).id);
    const input = { subjectType: 'CONTROL', subjectId: control.id, outcome: 'NO_CHANGE' };
    const first = ok(await record(input, undefined, 'review-1')).recordReview;
    const again = ok(await record(input, undefined, 'review-1')).recordReview;
    expect(again).toEqual(first);
    expect((await app.sql('SELECT count(*)::int AS n FROM review WHERE subject_id = $1', [control.id]))[0].n).toBe(1);
    const before = await snapshot();
    await expectRefused(await record({ ...input, outcome: 'UPDATED' }, undefined, 'review-1'), 'IDEMPOTENCY_KEY_REUSED', before);
  });
});

describe('recordReview refusals write nothing', () => {
  let scopeA: string;
  let scopeB: string;
  let controlA: string;
  let controlB: string;
  let riskB: string;
  beforeAll(async () => {
    scopeA = (await createScope(app)).id;
    scopeB = (await createScope(app)).id;
    controlA = (await controlIn(scopeA)).id;
    controlB = (await controlIn(scopeB)).id;
    riskB = (await createRisk(app, { scopeId: scopeB })).id;
  });

  it('subjects other than controls and risks are BAD_USER_INPUT', async () => {
    const before = await snapshot();
    for (const subjectType of ['EVIDENCE', 'EXCEPTION', 'TREATMENT_TASK', 'SCOPE', 'REMINDER']) {
      await expectRefused(await record({ subjectType, subjectId: controlA }), 'BAD_USER_INPUT', before, 'subjectType');
    }
    expect(errorCode(await record({ subjectType: 'PROCESS', subjectId: controlA }))).toBe('BAD_USER_INPUT');
  });

  it('an unknown subject, or one of the other type, is NOT_FOUND; a malformed id BAD_USER_INPUT', async () => {
    const before = await snapshot();
    await expectRefused(await record({ subjectType: 'CONTROL', subjectId: randomUUID() }), 'NOT_FOUND', before);
    await expectRefused(await record({ subjectType: 'RISK', subjectId: controlA }), 'NOT_FOUND', before);
    await expectRefused(await record({ subjectType: 'CONTROL', subjectId: riskB }), 'NOT_FOUND', before);
    await expectRefused(await record({ subjectType: 'CONTROL', subjectId: 'CTL-1' }), 'BAD_USER_INPUT', before, 'subjectId');
  });

  it('bad outcome or over-long notes are BAD_USER_INPUT', async () => {
    const before = await snapshot();
    await expectRefused(await record({ subjectType: 'CONTROL', subjectId: controlA, notes: 'x'.repeat(10_001) }), 'BAD_USER_INPUT', before, 'notes');
    expect(errorCode(await record({ subjectType: 'CONTROL', subjectId: controlA, outcome: 'GREAT' }))).toBe('BAD_USER_INPUT');
    expect(await snapshot()).toEqual(before);
  });

  it('an archived control is BAD_USER_INPUT', async () => {
    const archived = await controlIn(scopeA);
    ok(await app.gql('mutation($id: ID!) { archiveControl(id: $id) { id } }', { id: archived.id }));
    const before = await snapshot();
    await expectRefused(await record({ subjectType: 'CONTROL', subjectId: archived.id }), 'BAD_USER_INPUT', before, 'subjectId');
  });

  it('a key restricted to scope A gets NOT_FOUND for B\'s subjects and records A\'s', async () => {
    const keyA = await app.createKey([Permission.ISMS_WRITE], { scopeIds: [scopeA] });
    const before = await snapshot();
    await expectRefused(await record({ subjectType: 'CONTROL', subjectId: controlB }, keyA.secret), 'NOT_FOUND', before);
    await expectRefused(await record({ subjectType: 'RISK', subjectId: riskB }, keyA.secret), 'NOT_FOUND', before);
    const review = ok(await record({ subjectType: 'CONTROL', subjectId: controlA }, keyA.secret)).recordReview;
    expect(review.recordedByKeyId).toBe(keyA.id);
  });

  it('needs isms:write', async () => {
    const readKey = await app.createKey([Permission.ISMS_READ]);
    const taskKey = await app.createKey([Permission.TREATMENT_WRITE]);
    const before = await snapshot();
    await expectRefused(await record({ subjectType: 'CONTROL', subjectId: controlA }, readKey.secret), 'FORBIDDEN', before);
    await expectRefused(await record({ subjectType: 'CONTROL', subjectId: controlA }, taskKey.secret), 'FORBIDDEN', before);
    expect(errorCode(await record({ subjectType: 'CONTROL', subjectId: controlA }, null as unknown as string))).toBe('UNAUTHENTICATED');
  });
});
