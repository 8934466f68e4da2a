import { Client, Pool } from 'pg';
import { COVERAGE_SQL, GAP_SQL } from '../../src/modules/coverage/coverage.sql';
import { graphql, measure, type BenchEnv, type CaseResult } from '../harness';

/** The coverage selection a dashboard asks for (also the load test's coverage request). */
export const COVERAGE_QUERY = `query($scope: ID!, $key: String!) { coverage(scopeId: $scope, frameworkKey: $key) {
  counts { total covered excluded excepted partial notCovered } percentages { covered partial notCovered }
  groups { code counts { total covered partial } }
  requirements { code status applicability chain { strength hops relationships } } } }`;
const GAP_QUERY = `query($scope: ID!, $key: String!) { gapAssessment(scopeId: $scope, frameworkKey: $key) {
  gaps { code status wouldReach candidates { controlId viaRequirementId wouldReach } } } }`;

/**
 * A large scope: `controls` controls in one scope (a third IMPLEMENTED, a third IN_PROGRESS, the
 * rest spread over the other states) with `links` control-requirement links over ISO 27001, CSF
 * 2.0 and the given extra framework, which the scope adopts with the two shipped ones.
 */
export async function seedCoverageScope(env: BenchEnv, options: { controls: number; links: number; extraFrameworkKey: string }): Promise<string> {
  const client = new Client({ connectionString: env.databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    const [{ id: ownerId }] = (await client.query(`INSERT INTO owner (id, kind, name) VALUES (gen_random_uuid(), 'TEAM', 'Coverage bench') RETURNING id`)).rows;
    const [{ id: scopeId }] = (await client.query(
      `INSERT INTO scope (id, key, name, certification, owner_id) VALUES (gen_random_uuid(), 'coverage-bench', 'Coverage bench', 'CERTIFIABLE', $1) RETURNING id`, [ownerId])).rows;
    await client.query(
      `INSERT INTO control (id, code, title, owner_id, status)
       SELECT gen_random_uuid(), 'COV-' || lpad(g::text, 5, '0'), 'Control ' || g, $2,
              (ARRAY['IMPLEMENTED','IN_PROGRESS','PLANNED','IMPLEMENTED','IN_PROGRESS','NOT_STARTED','RETIRED','IMPLEMENTED','IN_PROGRESS']::control_status[])[1 + g % 9]
         FROM generate_series(1, $1) g`, [options.controls, ownerId]);
    await client.query(`INSERT INTO control_scope (control_id, scope_id) SELECT id, $1 FROM control WHERE code LIKE 'COV-%'`, [scopeId]);
    await client.query(
      `WITH reqs AS (SELECT r.id, row_number() OVER (ORDER BY f.key, r.position) AS n FROM requirement r JOIN framework f ON f.id = r.framework_id
                      WHERE f.key IN ('iso27001-2022', 'nist-csf-2.0', $3) AND r.assessable),
            total AS (SELECT count(*) AS n FROM reqs),
            ctl AS (SELECT id, row_number() OVER (ORDER BY code) AS n FROM control WHERE code LIKE 'COV-%')
       INSERT INTO control_requirement (control_id, requirement_id)
       SELECT DISTINCT ctl.id, reqs.id FROM generate_series(0, $1 - 1) k
         JOIN ctl ON ctl.n = 1 + k % $2
         JOIN reqs ON reqs.n = 1 + (k * 7919) % (SELECT n FROM total)
       ON CONFLICT DO NOTHING`, [options.links, options.controls, options.extraFrameworkKey]);
    await client.query(
      `INSERT INTO scope_framework (scope_id, framework_id)
       SELECT $1, f.id FROM framework f WHERE f.key IN ('iso27001-2022', 'nist-csf-2.0', $2)`, [scopeId, options.extraFrameworkKey]);
    await client.query('COMMIT');
    await client.query('ANALYZE');
    return scopeId;
  } finally {
    await client.end();
  }
}

async function frameworkId(pool: Pool, key: string): Promise<string> {
  const { rows } = await pool.query('SELECT id FROM framework WHERE key = $1 ORDER BY created_at DESC LIMIT 1', [key]);
  return rows[0].id;
}

/** coverage or gapAssessment through the API beside the same SQL statement over pg. */
export async function coverageCase(env: BenchEnv, options: { scopeId: string; frameworkKey: string; kind: 'coverage' | 'gapAssessment'; requests: number; concurrency: number }): Promise<CaseResult> {
  const query = options.kind === 'coverage' ? COVERAGE_QUERY : GAP_QUERY;
  const variables = { scope: options.scopeId, key: options.frameworkKey };
  const probe = await graphql(env, query, variables);
  const server = await measure(async () => {
    await graphql(env, query, variables);
  }, options.requests, options.concurrency);
  const pool = new Pool({ connectionString: env.databaseUrl, max: options.concurrency });
  try {
    const fid = await frameworkId(pool, options.frameworkKey);
    const sql = options.kind === 'coverage' ? COVERAGE_SQL : GAP_SQL;
    const baseline = await measure(async () => {
      const { rows } = await pool.query(sql, [options.scopeId, fid]);
      JSON.stringify(rows[0]);
    }, options.requests, options.concurrency);
    return {
      name: `${options.kind} ${options.frameworkKey}`,
      server,
      baseline,
      baselineName: 'its own SQL statement over pg + JSON.stringify',
      statementsPerRequest: probe.statements,
      notes: `${JSON.parse(probe.body).data[options.kind][options.kind === 'coverage' ? 'requirements' : 'gaps'].length} rows`,
    };
  } finally {
    await pool.end();
  }
}
