import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { QueryRunner } from 'typeorm';
import { startTestApp, ok, type TestApp } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { APPROVE_EXCEPTION, createControl, createRisk, createTask, inDays, requestControlException, requestRiskAcceptance, updateRisk } from './helpers/core-factories';
import { levelOf } from '../src/modules/risk/risk.scoring';

const VIEWS = ['risks', 'controls', 'control_scopes', 'coverage', 'coverage_history', 'soa', 'exceptions', 'tasks'];

/** The read-only role SQL exactly as the README documents it, for this run's role and database. */
function readmeRoleSql(role: string, database: string): string[] {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const block = /```sql\n-- Read-only role for BI tools\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README lacks the read-only role SQL');
  return block[1].split(';').map((s) => s.trim()).filter(Boolean)
    .map((s) => s.replace(/\bisms_bi\b/g, role).replace(/ON DATABASE \w+/, `ON DATABASE "${database}"`));
}

let app: TestApp;
let runner: QueryRunner;
const role = `isms_bi_test_${process.pid}_${randomBytes(4).toString('hex')}`;
let scope: { id: string; key: string };

beforeAll(async () => {
  app = await startTestApp();
  runner = app.db.createQueryRunner();
  await runner.connect();
});

afterAll(async () => {
  try {
    await runner.query('RESET ROLE');
    const [exists] = await runner.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (exists) {
      await runner.query(`DROP OWNED BY "${role}"`);
      await runner.query(`DROP ROLE "${role}"`);
    }
  } finally {
    await runner.release();
    await app.close();
  }
});

const approve = async (id: string, version: number, expiresAt: string) =>
  ok(await app.gql(APPROVE_EXCEPTION, { id, approverId: (await createOwner(app)).id, expiresAt, v: version })).approveException;

describe('reporting views', () => {
  let controlId: string;
  const tasks: Record<string, string> = {};

  beforeAll(async () => {
    scope = await createScope(app, { riskAppetite: 9 });
    const owner = await createOwner(app);
    for (let l = 1; l <= 5; l += 1) {
      for (let i = 1; i <= 5; i += 1) await createRisk(app, { scopeId: scope.id, ownerId: owner.id, likelihood: l, impact: i, residualImpact: 1 });
    }
    const archived = await createRisk(app, { scopeId: scope.id, ownerId: owner.id });
    ok(await app.gql('mutation($id: ID!) { archiveRisk(id: $id) { id } }', { id: archived.id }));

    controlId = (await createControl(app, { scopeIds: [scope.id], status: 'IMPLEMENTED' })).id;
    const [a51] = await app.sql(`SELECT r.id FROM requirement r JOIN framework f ON f.id = r.framework_id WHERE f.key = 'iso27001-2022' AND r.code = 'A.5.1'`);
    ok(await app.gql('mutation($c: ID!, $r: ID!) { linkControlToRequirement(controlId: $c, requirementId: $r) { id } }', { c: controlId, r: a51.id }));
    await app.sql(`INSERT INTO scope_framework (scope_id, framework_id) SELECT $1, id FROM framework WHERE key = 'iso27001-2022'`, [scope.id]);
    await app.sql(`INSERT INTO soa_entry (id, scope_id, requirement_id, applicability, justification)
                   SELECT gen_random_uuid(), $1, r.id, 'NOT_APPLICABLE', 'No development in scope'
                     FROM requirement r JOIN framework f ON f.id = r.framework_id WHERE f.key = 'iso27001-2022' AND r.code = 'A.8.25'`, [scope.id]);

    const risk = await createRisk(app, { scopeId: scope.id, ownerId: owner.id, likelihood: 2, impact: 2 });
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    tasks.late = (await createTask(app, { riskId: risk.id, dueDate: day(-1) })).id;
    tasks.lateInProgress = (await createTask(app, { riskId: risk.id, dueDate: day(-5), status: 'IN_PROGRESS', controlId })).id;
    tasks.future = (await createTask(app, { riskId: risk.id, dueDate: day(3) })).id;
    tasks.doneLate = (await createTask(app, { riskId: risk.id, dueDate: day(-5), status: 'DONE' })).id;
    tasks.undated = (await createTask(app, { riskId: risk.id })).id;
    const hidden = await createTask(app, { riskId: risk.id, dueDate: day(-1) });
    ok(await app.gql('mutation($id: ID!) { archiveTreatmentTask(id: $id) { id } }', { id: hidden.id }));

    const stale = await requestRiskAcceptance(app, { scopeId: scope.id });
    await approve(stale.exception.id, stale.exception.version, inDays(60));
    await updateRisk(app, stale.riskId, { residualImpact: 5 });
    const current = await requestRiskAcceptance(app, { scopeId: scope.id });
    await approve(current.exception.id, current.exception.version, inDays(60));
    const expired = await requestControlException(app, { scopeId: scope.id, controlId });
    const approvedExpired = await approve(expired.id, expired.version, inDays(5));
    await app.sql("UPDATE exception SET expires_at = now() - interval '1 hour' WHERE id = $1", [approvedExpired.id]);
    await requestControlException(app, { scopeId: scope.id, controlId });

    // yesterday's snapshot, then today's through the API: the coverage view shows today's
    await app.sql(`INSERT INTO coverage_snapshot (id, scope_id, framework_id, day, taken_at, total, covered, excluded, excepted, partial, not_covered,
                                                   covered_pct, excepted_pct, partial_pct, not_covered_pct)
                   SELECT gen_random_uuid(), $1, id, $2, now() - interval '1 day', 123, 0, 0, 0, 0, 123, 0, 0, 0, 100 FROM framework WHERE key = 'iso27001-2022'`,
    [scope.id, day(-1)]);
    ok(await app.gql('mutation($s: ID!) { snapshotCoverage(scopeId: $s, frameworkKey: "iso27001-2022") { id } }', { s: scope.id }));
  });

  test('reporting.risks: active risks with levels from the score bands', async () => {
    const rows = await app.sql('SELECT * FROM reporting.risks WHERE scope_id = $1', [scope.id]);
    const base = await app.sql('SELECT id FROM risk WHERE scope_id = $1 AND archived_at IS NULL', [scope.id]);
    expect(rows.map((r) => r.risk_id).sort()).toEqual(base.map((r) => r.id).sort());
    for (const r of rows) {
      expect(r.inherent_score).toBe(r.likelihood * r.impact);
      expect(r.inherent_level).toBe(levelOf(r.inherent_score));
      expect(r.residual_score).toBe(r.residual_likelihood * r.residual_impact);
      expect(r.residual_level).toBe(levelOf(r.residual_score));
      expect(r.above_appetite).toBe(r.residual_score > 9);
      expect(r.scope_key).toBe(scope.key);
      expect(typeof r.owner_name).toBe('string');
    }
    // every score 1..25 of the grid, each with the level levelOf gives
    expect(new Set(rows.map((r) => r.inherent_score))).toEqual(new Set([1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 20, 25]));
    const one = rows.find((r) => r.likelihood === 5 && r.impact === 4 && r.residual_impact === 1);
    const api = ok(await app.gql('query($id: ID!) { risk(id: $id) { nextReviewAt treatment status inherentLevel residualLevel } }', { id: one.risk_id })).risk;
    expect(one.next_review_at.toISOString()).toBe(api.nextReviewAt);
    expect(one).toMatchObject({ treatment: api.treatment, status: api.status, inherent_level: api.inherentLevel, residual_level: api.residualLevel });
  });

  test('reporting.controls and control_scopes', async () => {
    const [control] = await app.sql('SELECT * FROM reporting.controls WHERE control_id = $1', [controlId]);
    expect(control).toMatchObject({ status: 'IMPLEMENTED', effectiveness: 'NOT_ASSESSED', scope_keys: [scope.key], requirement_count: 1 });
    expect(await app.sql('SELECT control_id, scope_key FROM reporting.control_scopes WHERE scope_id = $1', [scope.id])).toEqual([{ control_id: controlId, scope_key: scope.key }]);
  });

  test('reporting.soa: every assessable CONTROL requirement of the adopted framework, UNDECIDED where nothing was set', async () => {
    const rows = await app.sql('SELECT * FROM reporting.soa WHERE scope_id = $1 ORDER BY requirement_position', [scope.id]);
    expect(rows).toHaveLength(93);
    expect(rows[0]).toMatchObject({ framework_key: 'iso27001-2022', requirement_code: 'A.5.1', applicability: 'UNDECIDED', drivers: [] });
    expect(rows.filter((r) => r.applicability !== 'UNDECIDED')).toEqual([
      expect.objectContaining({ requirement_code: 'A.8.25', applicability: 'NOT_APPLICABLE', justification: 'No development in scope' }),
    ]);
  });

  test('reporting.exceptions: status and stale as the API reads them', async () => {
    const rows = await app.sql('SELECT * FROM reporting.exceptions WHERE scope_id = $1', [scope.id]);
    const api = ok(await app.gql('query($s: [ID!]) { exceptions(filter: { scopeIds: $s }, first: 100) { edges { node { id kind status stale } } } }', { s: [scope.id] }))
      .exceptions.edges.map((e: any) => e.node);
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => ({ id: r.exception_id, kind: r.kind, status: r.status, stale: r.stale })).sort((a, b) => a.id.localeCompare(b.id)))
      .toEqual([...api].sort((a, b) => a.id.localeCompare(b.id)));
    expect(rows.map((r) => r.status).sort()).toEqual(['APPROVED', 'APPROVED', 'EXPIRED', 'REQUESTED']);
    expect(rows.filter((r) => r.stale)).toHaveLength(1);
  });

  test('reporting.tasks: active tasks with the overdue flag', async () => {
    const rows = await app.sql('SELECT task_id, overdue, scope_key, control_id FROM reporting.tasks WHERE scope_id = $1', [scope.id]);
    const byId = new Map(rows.map((r) => [r.task_id, r]));
    expect(rows).toHaveLength(5);
    expect(byId.get(tasks.late)).toMatchObject({ overdue: true, scope_key: scope.key });
    expect(byId.get(tasks.lateInProgress)).toMatchObject({ overdue: true, control_id: controlId });
    for (const id of [tasks.future, tasks.doneLate, tasks.undated]) expect(byId.get(id).overdue).toBe(false);
  });

  test('reporting.coverage: the latest snapshot per adopted framework; coverage_history: all of them', async () => {
    const coverage = ok(await app.gql('query($s: ID!) { coverage(scopeId: $s, frameworkKey: "iso27001-2022") { counts { total covered notCovered } percentages { covered } } }', { s: scope.id })).coverage;
    const rows = await app.sql('SELECT day::text AS day, framework_key, total, covered, not_covered, covered_pct::float8 AS covered_pct FROM reporting.coverage WHERE scope_id = $1', [scope.id]);
    expect(rows).toEqual([{
      day: new Date().toISOString().slice(0, 10), framework_key: 'iso27001-2022', total: coverage.counts.total, covered: coverage.counts.covered,
      not_covered: coverage.counts.notCovered, covered_pct: coverage.percentages.covered,
    }]);
    expect(rows[0].covered).toBeGreaterThan(0);
    expect(await app.sql('SELECT count(*)::int AS n FROM reporting.coverage_history WHERE scope_id = $1', [scope.id])).toEqual([{ n: 2 }]);
  });

  test('no view is updatable, even for its owner', async () => {
    const views = await app.sql(`SELECT table_name, is_insertable_into, is_updatable FROM information_schema.views WHERE table_schema = 'reporting' ORDER BY table_name`);
    expect(views).toEqual([...VIEWS].sort().map((v) => ({ table_name: v, is_insertable_into: 'NO', is_updatable: 'NO' })));
    await expect(app.sql(`UPDATE reporting.tasks SET title = 'x'`)).rejects.toThrow(/cannot update view/);
    await expect(app.sql(`DELETE FROM reporting.risks`)).rejects.toThrow(/cannot delete from view/);
  });

  test('the README role reads the views, and nothing else, and cannot write', async () => {
    const code = async (sql: string): Promise<string | undefined> => {
      try {
        await runner.query(sql);
        return undefined;
      } catch (err) {
        return (err as { driverError?: { code?: string } }).driverError?.code;
      }
    };
    for (const statement of readmeRoleSql(role, app.databaseName)) await runner.query(statement);
    await runner.query(`SET ROLE "${role}"`);
    try {
      expect((await runner.query('SELECT current_user AS u'))[0].u).toBe(role);
      for (const view of VIEWS) {
        const [{ n }] = await runner.query(`SELECT count(*)::int AS n FROM reporting.${view}`);
        expect(n).toBeGreaterThan(0);
      }
      const [{ n }] = await runner.query('SELECT count(*)::int AS n FROM reporting.risks WHERE scope_id = $1', [scope.id]);
      expect(n).toBe(28);
      // the tables behind them are out of reach; 42501 = insufficient_privilege
      for (const table of ['risk', 'api_key', 'audit_event', 'coverage_snapshot', 'owner']) expect(await code(`SELECT 1 FROM public.${table} LIMIT 1`)).toBe('42501');
      // writes through a view fail: no privilege (42501) or not updatable (55000), whichever PostgreSQL checks first
      const refused = ['42501', '55000'];
      expect(refused).toContain(await code(`INSERT INTO reporting.risks (risk_id) VALUES (gen_random_uuid())`));
      expect(refused).toContain(await code(`UPDATE reporting.tasks SET title = 'x'`));
      expect(refused).toContain(await code(`DELETE FROM reporting.exceptions`));
      expect(await code(`UPDATE public.risk SET title = 'x'`)).toBe('42501');
      expect(await code('CREATE TABLE reporting.mine (x int)')).toBe('42501');
      expect(await code('CREATE TABLE public.mine (x int)')).toBe('42501');
    } finally {
      await runner.query('RESET ROLE');
    }
    // a view a later migration adds is readable too (default privileges)
    await runner.query('CREATE VIEW reporting.later AS SELECT s.key FROM scope s JOIN owner o ON o.id = s.owner_id');
    await runner.query(`SET ROLE "${role}"`);
    try {
      expect(await code('SELECT * FROM reporting.later')).toBeUndefined();
    } finally {
      await runner.query('RESET ROLE');
      await runner.query('DROP VIEW reporting.later');
    }
    const unchanged = await app.sql(`SELECT count(*)::int AS n FROM risk WHERE title = 'x'`);
    expect(unchanged).toEqual([{ n: 0 }]);
  });
});
