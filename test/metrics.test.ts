import { startTestApp, ok, errorCode, type TestApp } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { APPROVE_EXCEPTION, createControl, createRisk, createTask, inDays, requestControlException, requestRiskAcceptance, updateRisk } from './helpers/core-factories';
import { Permission } from '../src/auth/permissions';
import { createLogger } from '../src/common/logger';
import { startScheduler } from '../src/jobs/scheduler';
import { jobs } from '../src/jobs/jobs';
import { coverageSnapshotJob } from '../src/modules/metrics/coverage-snapshot.job';
import { levelOf } from '../src/modules/risk/risk.scoring';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ MAX_QUERY_COST: '10000000' });
});
afterAll(() => app.close());

const METRICS = `query($scopeId: ID) { riskMetrics(scopeId: $scopeId) {
  scopeId asOf totalRisks expiringWithinDays
  inherentHeatMap { likelihood impact count } residualHeatMap { likelihood impact count }
  inherentByLevel { level count } residualByLevel { level count }
  byTreatment { treatment count } byStatus { status count }
  overdueTreatmentTasks activeRiskAcceptances staleRiskAcceptances exceptionsExpiringSoon } }`;

const LEVELS = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
const TREATMENTS = ['UNDECIDED', 'MITIGATE', 'ACCEPT', 'AVOID', 'TRANSFER'];
const STATUSES = ['IDENTIFIED', 'ASSESSED', 'TREATING', 'ACCEPTED', 'CLOSED'];

async function approve(id: string, version: number, expiresAt: string): Promise<any> {
  const approver = await createOwner(app);
  return ok(await app.gql(APPROVE_EXCEPTION, { id, approverId: approver.id, expiresAt, v: version })).approveException;
}

/**
 * The metrics recomputed in JS over the base tables as they stand, for the given scope ids (or
 * every scope): a second, independent reading of the rules in the issue.
 */
async function expectedMetrics(scopeIds: string[] | null) {
  const inSet = (scopeId: string) => scopeIds === null || scopeIds.includes(scopeId);
  const risks = (await app.sql(`SELECT id, scope_id, likelihood, impact, residual_likelihood_set, residual_impact_set, inherent_score, residual_score,
                                       treatment::text, status::text, archived_at FROM risk`))
    .filter((r) => r.archived_at === null && inSet(r.scope_id));
  const riskIds = new Set(risks.map((r) => r.id));
  const [{ today }] = await app.sql(`SELECT ((now() AT TIME ZONE 'UTC')::date)::text AS today`);
  const tasks = await app.sql('SELECT risk_id, status::text, due_date::text AS due, archived_at FROM treatment_task');
  const exceptions = (await app.sql(`SELECT x.kind::text, x.scope_id, x.stored_status::text, x.expires_at, x.archived_at, x.accepted_residual_score, r.residual_score
                                       FROM exception x LEFT JOIN risk r ON r.id = x.risk_id`))
    .filter((x) => x.archived_at === null && inSet(x.scope_id));
  const now = Date.now();
  const inForce = exceptions.filter((x) => x.stored_status === 'APPROVED' && x.expires_at.getTime() > now);
  const cells = (pick: (r: any) => [number, number]) => {
    const out: Array<{ likelihood: number; impact: number; count: number }> = [];
    for (let l = 1; l <= 5; l += 1) {
      for (let i = 1; i <= 5; i += 1) out.push({ likelihood: l, impact: i, count: risks.filter((r) => pick(r)[0] === l && pick(r)[1] === i).length });
    }
    return out;
  };
  return {
    totalRisks: risks.length,
    inherentHeatMap: cells((r) => [r.likelihood, r.impact]),
    residualHeatMap: cells((r) => [r.residual_likelihood_set ?? r.likelihood, r.residual_impact_set ?? r.impact]),
    inherentByLevel: LEVELS.map((level) => ({ level, count: risks.filter((r) => levelOf(r.likelihood * r.impact) === level).length })),
    residualByLevel: LEVELS.map((level) => ({
      level, count: risks.filter((r) => levelOf((r.residual_likelihood_set ?? r.likelihood) * (r.residual_impact_set ?? r.impact)) === level).length,
    })),
    byTreatment: TREATMENTS.map((treatment) => ({ treatment, count: risks.filter((r) => r.treatment === treatment).length })),
    byStatus: STATUSES.map((status) => ({ status, count: risks.filter((r) => r.status === status).length })),
    overdueTreatmentTasks: tasks.filter((t) => riskIds.has(t.risk_id) && t.archived_at === null && ['OPEN', 'IN_PROGRESS'].includes(t.status)
      && t.due !== null && t.due < today).length,
    activeRiskAcceptances: inForce.filter((x) => x.kind === 'RISK_ACCEPTANCE').length,
    staleRiskAcceptances: inForce.filter((x) => x.kind === 'RISK_ACCEPTANCE' && x.residual_score > x.accepted_residual_score).length,
    exceptionsExpiringSoon: inForce.filter((x) => x.expires_at.getTime() <= now + 30 * 86_400_000).length,
  };
}

async function metrics(scopeId: string | null, key?: string) {
  const m = ok(await app.gql(METRICS, { scopeId }, key)).riskMetrics;
  const { scopeId: _s, asOf: _a, expiringWithinDays: _e, ...figures } = m;
  return figures;
}

describe('riskMetrics', () => {
  // parent ⊃ child ⊃ grandchild, and an unrelated scope
  let parent: string;
  let child: string;
  let grandchild: string;
  let other: string;

  beforeAll(async () => {
    parent = (await createScope(app, { riskAppetite: 9 })).id;
    child = (await createScope(app, { parentId: parent, riskAppetite: 9 })).id;
    grandchild = (await createScope(app, { parentId: child, riskAppetite: 9 })).id;
    other = (await createScope(app, { riskAppetite: 9 })).id;
    const owner = await createOwner(app);
    const today = Date.now();
    const day = (offset: number) => new Date(today + offset * 86_400_000).toISOString().slice(0, 10);
    const statuses = ['IDENTIFIED', 'ASSESSED', 'TREATING', 'CLOSED'];
    let n = 0;
    for (const scopeId of [parent, child, grandchild, other]) {
      for (let i = 0; i < 9; i += 1) {
        n += 1;
        const residual = n % 3 === 0 ? { residualLikelihood: 1 + (n % 2), residualImpact: 1 + ((n * 5) % 4) } : n % 3 === 1 ? { residualImpact: 1 } : {};
        const risk = await createRisk(app, {
          scopeId, ownerId: owner.id, likelihood: 1 + ((n * 7) % 5), impact: 1 + ((n * 3 + (n >> 2)) % 5), ...residual,
          treatment: TREATMENTS[n % 5], status: statuses[n % 4],
        });
        // tasks: overdue (OPEN, IN_PROGRESS), due today or later, done late, cancelled late, no due date
        const kinds = [
          { dueDate: day(-3), status: 'OPEN' }, { dueDate: day(-1), status: 'IN_PROGRESS' }, { dueDate: day(0), status: 'OPEN' },
          { dueDate: day(5), status: 'OPEN' }, { dueDate: day(-10), status: 'DONE' }, { dueDate: day(-10), status: 'CANCELLED' }, { status: 'OPEN' },
        ];
        const task = await createTask(app, { riskId: risk.id, assigneeId: owner.id, ...kinds[n % kinds.length] });
        if (i === 4) ok(await app.gql('mutation($id: ID!) { archiveTreatmentTask(id: $id) { id } }', { id: task.id }));
        if (i === 8) ok(await app.gql('mutation($id: ID!) { archiveRisk(id: $id) { id } }', { id: risk.id }));
      }
      // an overdue task of a risk archived later: not counted
      const doomed = await createRisk(app, { scopeId, ownerId: owner.id, likelihood: 5, impact: 5 });
      await createTask(app, { riskId: doomed.id, assigneeId: owner.id, dueDate: day(-2) });
      ok(await app.gql('mutation($id: ID!) { archiveRisk(id: $id) { id } }', { id: doomed.id }));

      // risk acceptances: in force and current, in force and stale, expired, revoked, requested
      const current = await requestRiskAcceptance(app, { scopeId });
      await approve(current.exception.id, current.exception.version, inDays(20));
      const stale = await requestRiskAcceptance(app, { scopeId });
      await approve(stale.exception.id, stale.exception.version, inDays(90));
      await updateRisk(app, stale.riskId, { residualLikelihood: 5 });
      const expired = await requestRiskAcceptance(app, { scopeId });
      const approvedExpired = await approve(expired.exception.id, expired.exception.version, inDays(10));
      await app.sql("UPDATE exception SET expires_at = now() - interval '1 day' WHERE id = $1", [approvedExpired.id]);
      const revoked = await requestRiskAcceptance(app, { scopeId });
      const approvedRevoked = await approve(revoked.exception.id, revoked.exception.version, inDays(10));
      ok(await app.gql('mutation($id: ID!) { revokeException(id: $id, reason: "no longer needed") { id } }', { id: approvedRevoked.id }));
      await requestRiskAcceptance(app, { scopeId });

      // control exceptions: expiring in 10 days, in 60 days, one archived (not counted)
      const control = await createControl(app, { scopeIds: [scopeId], status: 'IMPLEMENTED' });
      for (const days of [10, 60, 5]) {
        const requested = await requestControlException(app, { scopeId, controlId: control.id });
        const approved = await approve(requested.id, requested.version, inDays(days));
        if (days === 5) await app.sql('UPDATE exception SET archived_at = now() WHERE id = $1', [approved.id]);
      }
    }
  });

  test('every figure matches a count over the base tables, for all scopes', async () => {
    const got = await metrics(null);
    expect(got).toEqual(await expectedMetrics(null));
    // the data exercise every metric
    expect(got.overdueTreatmentTasks).toBeGreaterThan(0);
    expect(got.staleRiskAcceptances).toBe(4);
    expect(got.activeRiskAcceptances).toBe(8);
    expect(got.exceptionsExpiringSoon).toBe(8);
    // approval sets a risk ACCEPTED; revocation sets it back, an expiry not yet processed does not
    expect(got.byStatus.find((s: any) => s.status === 'ACCEPTED').count).toBe(12);
  });

  test('a scope includes its descendants', async () => {
    const full = await metrics(parent);
    expect(full).toEqual(await expectedMetrics([parent, child, grandchild]));
    expect(await metrics(child)).toEqual(await expectedMetrics([child, grandchild]));
    expect(await metrics(grandchild)).toEqual(await expectedMetrics([grandchild]));
    expect(await metrics(other)).toEqual(await expectedMetrics([other]));
    const res = ok(await app.gql(METRICS, { scopeId: parent })).riskMetrics;
    expect(res.scopeId).toBe(parent);
    expect(res.expiringWithinDays).toBe(30);
    expect(Math.abs(Date.parse(res.asOf) - Date.now())).toBeLessThan(60_000);
  });

  test('heat maps list all 25 cells in order, zeros included; level, treatment and status lists are complete', async () => {
    const m = await metrics(grandchild);
    for (const map of [m.inherentHeatMap, m.residualHeatMap]) {
      expect(map.map((c: any) => [c.likelihood, c.impact])).toEqual(Array.from({ length: 25 }, (_, k) => [1 + Math.floor(k / 5), 1 + (k % 5)]));
      expect(map.some((c: any) => c.count === 0)).toBe(true);
      expect(map.reduce((s: number, c: any) => s + c.count, 0)).toBe(m.totalRisks);
    }
    expect(m.inherentByLevel.map((l: any) => l.level)).toEqual(LEVELS);
    expect(m.byTreatment.map((t: any) => t.treatment)).toEqual(TREATMENTS);
    expect(m.byStatus.map((s: any) => s.status)).toEqual(STATUSES);
  });

  test('a restricted key counts only its scopes; other scopes are NOT_FOUND', async () => {
    const restricted = await createKey([Permission.ISMS_READ], [child]);
    const mine = await metrics(null, restricted);
    expect(mine).toEqual(await expectedMetrics([child, grandchild]));
    const all = await metrics(null);
    expect(mine.totalRisks).toBeLessThan(all.totalRisks);
    expect(mine.overdueTreatmentTasks).toBeLessThan(all.overdueTreatmentTasks);
    expect(mine.activeRiskAcceptances).toBe(4);
    expect(mine.staleRiskAcceptances).toBe(2);
    expect(mine.exceptionsExpiringSoon).toBe(4);
    expect(await metrics(grandchild, restricted)).toEqual(await expectedMetrics([grandchild]));
    for (const scopeId of [parent, other, '00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await app.gql(METRICS, { scopeId }, restricted);
      expect(errorCode(res)).toBe('NOT_FOUND');
    }
  });

  test('metrics need isms:read', async () => {
    const catalogOnly = await createKey([Permission.CATALOG_WRITE]);
    expect(errorCode(await app.gql(METRICS, {}, catalogOnly))).toBe('FORBIDDEN');
    expect(errorCode(await app.gql(METRICS, {}, null))).toBe('UNAUTHENTICATED');
    const treatment = await createKey([Permission.TREATMENT_WRITE]);
    expect(ok(await app.gql(METRICS, {}, treatment)).riskMetrics.totalRisks).toBeGreaterThan(0);
  });

  test('the figures come from one SQL statement after the scope lookup', async () => {
    const res = await app.gql(METRICS, { scopeId: parent });
    ok(res);
    // API key lookup and last-used, scope lookup, metrics
    const unscoped = await app.gql(METRICS, {});
    expect(res.statements - unscoped.statements).toBe(1);
  });
});

async function createKey(permissions: Permission[], scopeIds?: string[]): Promise<string> {
  return (await app.createKey(permissions, { scopeIds: scopeIds ?? null })).secret;
}

async function frameworkId(key: string): Promise<string> {
  const [row] = await app.sql('SELECT id FROM framework WHERE key = $1', [key]);
  return row.id;
}

async function adopt(scopeId: string, key: string): Promise<void> {
  await app.sql('INSERT INTO scope_framework (scope_id, framework_id) VALUES ($1, $2)', [scopeId, await frameworkId(key)]);
}

async function requirementId(frameworkKey: string, code: string): Promise<string> {
  const [row] = await app.sql('SELECT r.id FROM requirement r JOIN framework f ON f.id = r.framework_id WHERE f.key = $1 AND r.code = $2', [frameworkKey, code]);
  return row.id;
}

async function implement(scopeId: string, frameworkKey: string, code: string, status = 'IMPLEMENTED'): Promise<string> {
  const control = await createControl(app, { scopeIds: [scopeId], status });
  ok(await app.gql('mutation($c: ID!, $r: ID!) { linkControlToRequirement(controlId: $c, requirementId: $r) { id } }', { c: control.id, r: await requirementId(frameworkKey, code) }));
  return control.id;
}

const COVERAGE = `query($scopeId: ID!, $key: String!) { coverage(scopeId: $scopeId, frameworkKey: $key) {
  counts { total covered excluded excepted partial notCovered } percentages { covered excepted partial notCovered }
  requirements { requirementId code title status } } }`;
const SNAPSHOT = `mutation($scopeId: ID!, $key: String!) { snapshotCoverage(scopeId: $scopeId, frameworkKey: $key) {
  id day takenAt scopeId frameworkId scope { id } framework { key }
  counts { total covered excluded excepted partial notCovered } percentages { covered excepted partial notCovered } } }`;
const TREND = `query($scopeId: ID!, $key: String!, $from: Date!, $to: Date!) { coverageTrend(scopeId: $scopeId, frameworkKey: $key, from: $from, to: $to) {
  id day takenAt counts { total covered excluded excepted partial notCovered } percentages { covered excepted partial notCovered } } }`;

async function snapshotRows(scopeId: string) {
  return app.sql(`SELECT id, framework_id, day::text AS day, taken_at, total, covered, excluded, excepted, partial, not_covered,
                         covered_pct::float8 AS covered_pct, partial_pct::float8 AS partial_pct
                    FROM coverage_snapshot WHERE scope_id = $1 ORDER BY day, framework_id`, [scopeId]);
}

describe('coverage snapshots', () => {
  test('snapshotCoverage stores the counts and percentages coverage() computes', async () => {
    const scope = await createScope(app);
    await adopt(scope.id, 'iso27001-2022');
    await implement(scope.id, 'iso27001-2022', 'A.5.1');
    await implement(scope.id, 'iso27001-2022', 'A.5.2', 'PLANNED');
    const coverage = ok(await app.gql(COVERAGE, { scopeId: scope.id, key: 'iso27001-2022' })).coverage;
    const snap = ok(await app.gql(SNAPSHOT, { scopeId: scope.id, key: 'iso27001-2022' })).snapshotCoverage;
    expect(snap).toMatchObject({ scopeId: scope.id, scope: { id: scope.id }, framework: { key: 'iso27001-2022' }, day: new Date().toISOString().slice(0, 10) });
    expect(snap.counts).toEqual(coverage.counts);
    expect(snap.percentages).toEqual(coverage.percentages);
    expect(snap.counts.covered).toBeGreaterThanOrEqual(1);
    expect(snap.counts.partial).toBeGreaterThanOrEqual(1);
    // the counts against the coverage rows themselves
    const statuses = coverage.requirements.map((r: any) => r.status);
    expect(snap.counts.total).toBe(statuses.length);
    expect(snap.counts.notCovered).toBe(statuses.filter((s: string) => s === 'NOT_COVERED').length);
    const rows = await snapshotRows(scope.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: snap.id, total: coverage.counts.total, covered: coverage.counts.covered, partial: coverage.counts.partial, covered_pct: coverage.percentages.covered });
  });

  test('a second snapshot on the same day replaces the first', async () => {
    const scope = await createScope(app);
    await adopt(scope.id, 'iso27001-2022');
    const first = ok(await app.gql(SNAPSHOT, { scopeId: scope.id, key: 'iso27001-2022' })).snapshotCoverage;
    expect(first.counts.covered).toBe(0);
    await implement(scope.id, 'iso27001-2022', 'A.8.1');
    await implement(scope.id, 'iso27001-2022', 'A.8.2');
    const second = ok(await app.gql(SNAPSHOT, { scopeId: scope.id, key: 'iso27001-2022' })).snapshotCoverage;
    expect(second.id).toBe(first.id);
    expect(second.day).toBe(first.day);
    expect(Date.parse(second.takenAt)).toBeGreaterThan(Date.parse(first.takenAt));
    const coverage = ok(await app.gql(COVERAGE, { scopeId: scope.id, key: 'iso27001-2022' })).coverage;
    expect(second.counts).toEqual(coverage.counts);
    expect(second.percentages).toEqual(coverage.percentages);
    expect(second.counts.covered).toBeGreaterThanOrEqual(2);
    const rows = await snapshotRows(scope.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: first.id, covered: second.counts.covered, covered_pct: second.percentages.covered });
    const audits = await app.sql(`SELECT operation, entity_type, before->>'covered' AS before, after->>'covered' AS after
                                    FROM audit_event WHERE entity_id = $1 ORDER BY at`, [first.id]);
    expect(audits).toEqual([
      { operation: 'snapshotCoverage', entity_type: 'COVERAGE_SNAPSHOT', before: null, after: '0' },
      { operation: 'snapshotCoverage', entity_type: 'COVERAGE_SNAPSHOT', before: '0', after: String(second.counts.covered) },
    ]);
  });

  test('bad snapshot requests are refused and write nothing', async () => {
    const scope = await createScope(app);
    await adopt(scope.id, 'iso27001-2022');
    const before = await app.sql('SELECT (SELECT count(*) FROM coverage_snapshot)::int AS snapshots, (SELECT count(*) FROM audit_event)::int AS audits');
    const unknownFramework = await app.gql(SNAPSHOT, { scopeId: scope.id, key: 'no-such-framework' });
    expect(errorCode(unknownFramework)).toBe('BAD_USER_INPUT');
    expect(unknownFramework.errors![0].extensions.field).toBe('frameworkKey');
    expect(errorCode(await app.gql(SNAPSHOT, { scopeId: '00000000-0000-4000-8000-000000000000', key: 'iso27001-2022' }))).toBe('NOT_FOUND');
    expect(errorCode(await app.gql(SNAPSHOT, { scopeId: 'nope', key: 'iso27001-2022' }))).toBe('NOT_FOUND');
    const writer = await createKey([Permission.ISMS_WRITE]);
    expect(errorCode(await app.gql(SNAPSHOT, { scopeId: scope.id, key: 'iso27001-2022' }, writer))).toBe('FORBIDDEN');
    expect(await app.sql('SELECT (SELECT count(*) FROM coverage_snapshot)::int AS snapshots, (SELECT count(*) FROM audit_event)::int AS audits')).toEqual(before);
  });

  test('coverageTrend returns the snapshots of the range, day by day', async () => {
    const scope = await createScope(app);
    const fw = await frameworkId('iso27001-2022');
    await adopt(scope.id, 'iso27001-2022');
    const base = Date.UTC(2026, 0, 10);
    const day = (k: number) => new Date(base + k * 86_400_000).toISOString().slice(0, 10);
    // days 0..6, without day 3; covered grows by day
    for (const k of [0, 1, 2, 4, 5, 6]) {
      await app.sql(`INSERT INTO coverage_snapshot (id, scope_id, framework_id, day, taken_at, total, covered, excluded, excepted, partial, not_covered,
                                                     covered_pct, excepted_pct, partial_pct, not_covered_pct)
                     VALUES (gen_random_uuid(), $1, $2, $3, $3::date + time '23:00', 100, $4, 0, 0, 0, 100 - $4, $4, 0, 0, 100 - $4)`, [scope.id, fw, day(k), k * 10]);
    }
    // another framework of the same scope stays out
    await app.sql(`INSERT INTO coverage_snapshot (id, scope_id, framework_id, day, taken_at, total, covered, excluded, excepted, partial, not_covered,
                                                   covered_pct, excepted_pct, partial_pct, not_covered_pct)
                   VALUES (gen_random_uuid(), $1, $2, $3, now(), 10, 1, 0, 0, 0, 9, 10, 0, 0, 90)`, [scope.id, await frameworkId('nist-csf-2.0'), day(2)]);
    const trend = ok(await app.gql(TREND, { scopeId: scope.id, key: 'iso27001-2022', from: day(1), to: day(5) })).coverageTrend;
    expect(trend.map((s: any) => s.day)).toEqual([day(1), day(2), day(4), day(5)]);
    expect(trend.map((s: any) => s.counts.covered)).toEqual([10, 20, 40, 50]);
    expect(trend.map((s: any) => s.percentages.covered)).toEqual([10, 20, 40, 50]);
    expect(trend[0]).toMatchObject({ counts: { total: 100, notCovered: 90 }, percentages: { notCovered: 90 }, takenAt: `${day(1)}T23:00:00.000Z` });
    const single = ok(await app.gql(TREND, { scopeId: scope.id, key: 'iso27001-2022', from: day(6), to: day(6) })).coverageTrend;
    expect(single.map((s: any) => s.day)).toEqual([day(6)]);
    expect(ok(await app.gql(TREND, { scopeId: scope.id, key: 'iso27001-2022', from: day(-20), to: day(-1) })).coverageTrend).toEqual([]);

    const backwards = await app.gql(TREND, { scopeId: scope.id, key: 'iso27001-2022', from: day(5), to: day(1) });
    expect(errorCode(backwards)).toBe('BAD_USER_INPUT');
    expect(backwards.errors![0].extensions.field).toBe('to');
    expect(errorCode(await app.gql(TREND, { scopeId: scope.id, key: 'iso27001-2022', from: '2000-01-01', to: '2030-01-01' }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(TREND, { scopeId: scope.id, key: 'nope', from: day(1), to: day(5) }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(TREND, { scopeId: scope.id, key: 'iso27001-2022', from: 'yesterday', to: day(5) }))).toBe('BAD_USER_INPUT');

    const elsewhere = await createScope(app);
    const restricted = await createKey([Permission.ISMS_READ], [elsewhere.id]);
    expect(errorCode(await app.gql(TREND, { scopeId: scope.id, key: 'iso27001-2022', from: day(1), to: day(5) }, restricted))).toBe('NOT_FOUND');
    const allowed = await createKey([Permission.ISMS_READ], [scope.id]);
    expect(ok(await app.gql(TREND, { scopeId: scope.id, key: 'iso27001-2022', from: day(0), to: day(6) }, allowed)).coverageTrend).toHaveLength(6);
  });

  test('the scheduler job snapshots every framework every active scope adopts, once per day, safely in parallel', async () => {
    expect(jobs).toContain(coverageSnapshotJob);
    const a = await createScope(app);
    const b = await createScope(app);
    const archived = await createScope(app);
    await adopt(a.id, 'iso27001-2022');
    await adopt(a.id, 'nist-csf-2.0');
    await adopt(b.id, 'owasp-nhi-top10-2025');
    await adopt(archived.id, 'iso27001-2022');
    ok(await app.gql('mutation($id: ID!) { archiveScope(id: $id) { id } }', { id: archived.id }));
    await implement(a.id, 'iso27001-2022', 'A.5.15');

    // a past day, so the snapshots other tests took today do not interfere
    const midnight = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) - 86_400_000;
    const day = new Date(midnight).toISOString().slice(0, 10);
    const isoId = await frameworkId('iso27001-2022');
    const scheduler = startScheduler({ db: app.db, log: createLogger('silent'), intervalMs: 0, jobs: [coverageSnapshotJob] });
    try {
      await scheduler.runOnce(new Date(midnight + 3_600_000));
      const rowsA = await snapshotRows(a.id);
      expect(rowsA.map((r: any) => [r.framework_id, r.day]).sort()).toEqual([[await frameworkId('iso27001-2022'), day], [await frameworkId('nist-csf-2.0'), day]].sort());
      expect((await snapshotRows(b.id)).map((r: any) => [r.framework_id, r.day])).toEqual([[await frameworkId('owasp-nhi-top10-2025'), day]]);
      expect(await snapshotRows(archived.id)).toEqual([]);
      for (const [scopeId, key] of [[a.id, 'iso27001-2022'], [a.id, 'nist-csf-2.0'], [b.id, 'owasp-nhi-top10-2025']]) {
        const coverage = ok(await app.gql(COVERAGE, { scopeId, key })).coverage;
        const [row] = await app.sql(`SELECT total, covered, excluded, excepted, partial, not_covered AS "notCovered" FROM coverage_snapshot
                                      WHERE scope_id = $1 AND framework_id = $2 AND day = $3`, [scopeId, await frameworkId(key), day]);
        expect(row).toEqual(coverage.counts);
      }
      const iso = rowsA.find((r: any) => r.framework_id === isoId);
      expect(iso.covered).toBeGreaterThanOrEqual(1);

      // within the hour: nothing is retaken
      await scheduler.runOnce(new Date(midnight + 3_600_000 + 30 * 60_000));
      expect(await snapshotRows(a.id)).toEqual(rowsA);

      // later the same day: retaken in place, with the new state
      await implement(a.id, 'iso27001-2022', 'A.5.16');
      await scheduler.runOnce(new Date(midnight + 3 * 3_600_000));
      const retaken = await snapshotRows(a.id);
      expect(retaken).toHaveLength(2);
      const isoAgain = retaken.find((r: any) => r.id === iso.id);
      expect(isoAgain).toMatchObject({ day, covered: iso.covered + 1 });
      expect(isoAgain.taken_at.getTime()).toBe(midnight + 3 * 3_600_000);

      // several instances at once: one row per pair and day, no error
      const next = new Date(midnight - 86_400_000 + 7_200_000);
      await Promise.all([coverageSnapshotJob.run(app.db, next, createLogger('silent')), coverageSnapshotJob.run(app.db, next, createLogger('silent'))]);
      const [{ dup }] = await app.sql(`SELECT count(*)::int AS dup FROM (SELECT 1 FROM coverage_snapshot GROUP BY scope_id, framework_id, day HAVING count(*) > 1) d`);
      expect(dup).toBe(0);
      expect((await snapshotRows(a.id)).filter((r: any) => r.day === next.toISOString().slice(0, 10))).toHaveLength(2);
    } finally {
      await scheduler.stop();
    }
  });
});

const ROWS = `query($filter: CoverageRowFilter, $first: Int, $after: String) { coverageRows(filter: $filter, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { scopeId scopeKey frameworkId frameworkKey frameworkVersion requirementId requirementCode requirementTitle status groupCode groupTitle } } } }`;

async function allRows(filter: Record<string, unknown>, first: number, key?: string) {
  const nodes: any[] = [];
  let after: string | null = null;
  const totals = new Set<number>();
  for (let pages = 0; pages < 100; pages += 1) {
    const page: any = ok(await app.gql(ROWS, { filter, first, after }, key)).coverageRows;
    totals.add(page.totalCount);
    expect(page.edges.length).toBeLessThanOrEqual(first);
    nodes.push(...page.edges.map((e: any) => e.node));
    if (!page.pageInfo.hasNextPage) {
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      return { nodes, totals: [...totals] };
    }
    after = page.pageInfo.endCursor;
  }
  throw new Error('too many pages');
}

/** What the flat rows should hold, read from the catalog tables and the coverage query. */
async function expectedRows(scopes: Array<{ id: string; key: string }>) {
  const out: any[] = [];
  const sorted = [...scopes].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  for (const scope of sorted) {
    const adopted = await app.sql(`SELECT f.id, f.key, f.version FROM scope_framework sf JOIN framework f ON f.id = sf.framework_id
                                    WHERE sf.scope_id = $1 ORDER BY f.key COLLATE "C", f.version COLLATE "C"`, [scope.id]);
    for (const fw of adopted) {
      const reqs = await app.sql(`WITH RECURSIVE up AS (
          SELECT r.id AS req, r.id AS node, r.parent_id FROM requirement r
           WHERE r.framework_id = $1 AND r.assessable AND NOT r.withdrawn AND r.archived_at IS NULL
          UNION ALL SELECT up.req, p.id, p.parent_id FROM up JOIN requirement p ON p.id = up.parent_id)
        SELECT r.id, r.code, r.title, r.position, top.code AS group_code, top.title AS group_title
          FROM requirement r
          LEFT JOIN (SELECT up.req, n.code, n.title FROM up JOIN requirement n ON n.id = up.node WHERE up.parent_id IS NULL AND up.node <> up.req) top ON top.req = r.id
         WHERE r.framework_id = $1 AND r.assessable AND NOT r.withdrawn AND r.archived_at IS NULL
         ORDER BY r.position, r.id`, [fw.id]);
      const coverage = ok(await app.gql(COVERAGE, { scopeId: scope.id, key: fw.key })).coverage;
      const statusOf = new Map(coverage.requirements.map((r: any) => [r.requirementId, r.status]));
      for (const r of reqs) {
        out.push({
          scopeId: scope.id, scopeKey: scope.key, frameworkId: fw.id, frameworkKey: fw.key, frameworkVersion: fw.version,
          requirementId: r.id, requirementCode: r.code, requirementTitle: r.title, status: statusOf.get(r.id), groupCode: r.group_code, groupTitle: r.group_title,
        });
      }
    }
  }
  return out;
}

describe('coverageRows', () => {
  let s1: { id: string; key: string };
  let s2: { id: string; key: string };
  let s3: { id: string; key: string };

  beforeAll(async () => {
    s1 = await createScope(app, { key: `rows-b-${process.pid}` });
    s2 = await createScope(app, { key: `rows-a-${process.pid}` });
    s3 = await createScope(app, { key: `rows-c-${process.pid}` });
    await adopt(s1.id, 'owasp-nhi-top10-2025');
    await adopt(s1.id, 'iso27001-2022');
    await adopt(s2.id, 'owasp-nhi-top10-2025');
    await adopt(s3.id, 'nist-csf-2.0');
    await implement(s1.id, 'iso27001-2022', 'A.5.1');
    await implement(s1.id, 'iso27001-2022', 'A.8.5', 'IN_PROGRESS');
    await implement(s1.id, 'iso27001-2022', '9.1');
    await implement(s2.id, 'owasp-nhi-top10-2025', 'NHI2');
  });

  test('pages through every row exactly once, in order, with a stable totalCount', async () => {
    const expected = await expectedRows([s1, s2, s3]);
    expect(expected.length).toBe(123 + 10 + 10 + 106);
    const filter = { scopeIds: [s1.id, s2.id, s3.id] };
    for (const first of [37, 500]) {
      const { nodes, totals } = await allRows(filter, first);
      expect(totals).toEqual([expected.length]);
      expect(nodes).toEqual(expected);
      expect(new Set(nodes.map((n) => `${n.scopeId}/${n.frameworkId}/${n.requirementId}`)).size).toBe(nodes.length);
    }
    const statuses = new Set(expected.map((r) => r.status));
    expect(statuses).toEqual(new Set(['COVERED', 'PARTIAL', 'NOT_COVERED']));
    expect(expected.find((r) => r.requirementCode === 'A.5.1')).toMatchObject({ status: 'COVERED', groupCode: 'A.5', groupTitle: 'Organizational controls' });
    expect(expected.find((r) => r.requirementCode === '9.1')).toMatchObject({ status: 'COVERED', groupCode: '9' });
    expect(expected.find((r) => r.frameworkKey === 'nist-csf-2.0' && r.requirementCode === 'GV.OC-01')).toMatchObject({ groupCode: 'GV' });
    expect(expected.find((r) => r.requirementCode === 'NHI1')).toMatchObject({ groupCode: null });
  });

  test('filters by framework, status and top-level group', async () => {
    const expected = await expectedRows([s1, s2, s3]);
    const cases: Array<[Record<string, unknown>, (r: any) => boolean]> = [
      [{ frameworkKeys: ['owasp-nhi-top10-2025'] }, (r) => r.frameworkKey === 'owasp-nhi-top10-2025'],
      [{ statuses: ['COVERED', 'PARTIAL'] }, (r) => ['COVERED', 'PARTIAL'].includes(r.status)],
      [{ groupCodes: ['A.5', 'GV'] }, (r) => ['A.5', 'GV'].includes(r.groupCode)],
      [{ frameworkKeys: ['iso27001-2022'], statuses: ['NOT_COVERED'], groupCodes: ['A.8'] }, (r) => r.frameworkKey === 'iso27001-2022' && r.status === 'NOT_COVERED' && r.groupCode === 'A.8'],
      [{ scopeIds: [s2.id] }, (r) => r.scopeId === s2.id],
    ];
    for (const [extra, keep] of cases) {
      const want = expected.filter(keep);
      expect(want.length).toBeGreaterThan(0);
      const { nodes, totals } = await allRows({ scopeIds: [s1.id, s2.id, s3.id], ...extra }, 25);
      expect(nodes).toEqual(want);
      expect(totals).toEqual([want.length]);
    }
    const none = ok(await app.gql(ROWS, { filter: { scopeIds: [s1.id], statuses: ['EXCLUDED'] } })).coverageRows;
    expect(none).toEqual({ totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });
  });

  test('the cursor holds its place while statuses change', async () => {
    const filter = { scopeIds: [s1.id], frameworkKeys: ['iso27001-2022'] };
    const first = ok(await app.gql(ROWS, { filter, first: 40 })).coverageRows;
    await implement(s1.id, 'iso27001-2022', 'A.5.2');
    await implement(s1.id, 'iso27001-2022', 'A.6.1');
    const rest = await (async () => {
      const nodes: any[] = [];
      let after = first.pageInfo.endCursor;
      for (;;) {
        const page = ok(await app.gql(ROWS, { filter, first: 40, after })).coverageRows;
        nodes.push(...page.edges.map((e: any) => e.node));
        if (!page.pageInfo.hasNextPage) return nodes;
        after = page.pageInfo.endCursor;
      }
    })();
    const ids = [...first.edges.map((e: any) => e.node.requirementId), ...rest.map((n) => n.requirementId)];
    const expected = (await expectedRows([s1])).filter((r) => r.frameworkKey === 'iso27001-2022').map((r) => r.requirementId);
    expect(ids).toEqual(expected);
    expect(rest.find((n) => n.requirementCode === 'A.6.1').status).toBe('COVERED');
  });

  test('a restricted key sees only its scopes', async () => {
    const restricted = await createKey([Permission.ISMS_READ], [s1.id]);
    const { nodes, totals } = await allRows({ scopeIds: [s1.id, s2.id, s3.id] }, 200, restricted);
    const expected = await expectedRows([s1]);
    expect(nodes).toEqual(expected);
    expect(totals).toEqual([expected.length]);
    const unfiltered = await allRows({}, 500, restricted);
    expect(unfiltered.nodes).toEqual(expected);
    const outside = ok(await app.gql(ROWS, { filter: { scopeIds: [s2.id] } }, restricted)).coverageRows;
    expect(outside.totalCount).toBe(0);
    expect(outside.edges).toEqual([]);
  });

  test('archived scopes are left out; an unfiltered list covers every visible adopted pair', async () => {
    const { nodes, totals } = await allRows({}, 500);
    const scopes = await app.sql(`SELECT DISTINCT s.id, s.key FROM scope s JOIN scope_framework sf ON sf.scope_id = s.id WHERE s.archived_at IS NULL`);
    expect(totals).toEqual([nodes.length]);
    expect(nodes).toEqual(await expectedRows(scopes));
  });

  test('bad paging input is BAD_USER_INPUT; rows need isms:read', async () => {
    for (const after of ['nonsense', Buffer.from(JSON.stringify(['x', 1])).toString('base64url'), Buffer.from(JSON.stringify(['coverageRow', 'a', 'b', 'c', 'd', 'e'])).toString('base64url')]) {
      const res = await app.gql(ROWS, { first: 5, after });
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors![0].extensions.field).toBe('after');
    }
    expect(errorCode(await app.gql(ROWS, { first: 501 }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(ROWS, { filter: { scopeIds: ['nope'] } }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(ROWS, { filter: { statuses: ['MAYBE'] } }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(ROWS, { first: 1 }, await createKey([Permission.CATALOG_WRITE])))).toBe('FORBIDDEN');
    const empty = ok(await app.gql(ROWS, { first: 0, filter: { scopeIds: [s2.id] } })).coverageRows;
    expect(empty).toMatchObject({ totalCount: 10, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });
});
