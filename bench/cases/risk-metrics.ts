import { Client, Pool } from 'pg';
import { RISK_METRICS_SQL } from '../../src/modules/metrics/metrics.sql';
import { graphql, measure, type BenchEnv, type CaseResult } from '../harness';

const METRICS_QUERY = `{ riskMetrics {
  asOf totalRisks
  inherentHeatMap { likelihood impact count } residualHeatMap { likelihood impact count }
  inherentByLevel { level count } residualByLevel { level count }
  byTreatment { treatment count } byStatus { status count }
  overdueTreatmentTasks activeRiskAcceptances staleRiskAcceptances exceptionsExpiringSoon } }`;

/**
 * Tops the register up to `risks` active risks in scopes of their own (500 each), with varied
 * scores, residuals, treatments and statuses, a task per risk (a fifth of them overdue) and an
 * approved risk acceptance on every 50th risk (half of them stale), so every metric has work to do.
 */
async function topUp(databaseUrl: string, risks: number): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const [{ n: existing }] = (await client.query('SELECT count(*)::int AS n FROM risk WHERE archived_at IS NULL')).rows;
    const missing = risks - existing;
    if (missing <= 0) return existing;
    await client.query('BEGIN');
    const [{ id: ownerId }] = (await client.query(`INSERT INTO owner (id, kind, name) VALUES (gen_random_uuid(), 'TEAM', 'Metrics bench') RETURNING id`)).rows;
    await client.query(
      `INSERT INTO scope (id, key, name, certification, owner_id)
       SELECT gen_random_uuid(), 'metrics-bench-' || lpad(g::text, 5, '0'), 'Metrics bench ' || g, 'CERTIFIABLE', $2
         FROM generate_series(1, ceil($1 / 500.0)::int) g`, [missing, ownerId]);
    await client.query(
      `WITH s AS (SELECT array_agg(id ORDER BY key) ids FROM scope WHERE key LIKE 'metrics-bench-%'),
            g AS (SELECT g, 1 + g % 5 AS l, 1 + (g / 5) % 5 AS i, 1 + (g / 3) % 5 AS rl, 1 + (g / 7) % 5 AS ri FROM generate_series(1, $1) g)
       INSERT INTO risk (id, title, scope_id, owner_id, likelihood, impact, inherent_score, residual_likelihood_set, residual_impact_set, residual_score,
                         treatment, status, created_at, updated_at)
       SELECT gen_random_uuid(), 'Metrics risk ' || g.g, s.ids[1 + (g.g - 1) / 500], $2, g.l, g.i, g.l * g.i,
              CASE WHEN g.g % 2 = 0 THEN least(g.rl, g.l) END, CASE WHEN g.g % 2 = 0 THEN least(g.ri, g.i) END,
              CASE WHEN g.g % 2 = 0 THEN least(g.rl, g.l) * least(g.ri, g.i) ELSE g.l * g.i END,
              (enum_range(NULL::risk_treatment))[1 + g.g % 5], (ARRAY['IDENTIFIED','ASSESSED','TREATING','CLOSED']::risk_status[])[1 + g.g % 4],
              now(), now()
         FROM g, s`, [missing, ownerId]);
    await client.query(
      `INSERT INTO treatment_task (id, title, risk_id, assignee_id, due_date, status, created_at, updated_at)
       SELECT gen_random_uuid(), 'Metrics task', r.id, $1, current_date + (n % 50 - 10)::int,
              (ARRAY['OPEN','IN_PROGRESS','DONE','OPEN']::task_status[])[1 + n % 4], now(), now()
         FROM (SELECT r.id, row_number() OVER (ORDER BY r.id) AS n FROM risk r JOIN scope s ON s.id = r.scope_id
                WHERE s.key LIKE 'metrics-bench-%') r`, [ownerId]);
    await client.query(
      `INSERT INTO exception (id, kind, scope_id, risk_id, justification, requested_by_id, approver_id, stored_status, expires_at, decided_at, accepted_residual_score)
       SELECT gen_random_uuid(), 'RISK_ACCEPTANCE', r.scope_id, r.id, 'Bench acceptance', $1, $1, 'APPROVED', now() + (1 + n % 90) * interval '1 day', now(),
              greatest(1, r.residual_score - ((n / 50) % 2)::int)
         FROM (SELECT r.id, r.scope_id, r.residual_score, row_number() OVER (ORDER BY r.id) AS n FROM risk r JOIN scope s ON s.id = r.scope_id
                WHERE s.key LIKE 'metrics-bench-%') r
        WHERE n % 50 = 0`, [ownerId]);
    await client.query('COMMIT');
    await client.query('ANALYZE');
    return (await client.query('SELECT count(*)::int AS n FROM risk WHERE archived_at IS NULL')).rows[0].n;
  } finally {
    await client.end();
  }
}

/** `riskMetrics` over the whole register (`risks` active risks) through the API, beside the same statement over pg. */
export async function riskMetricsCase(env: BenchEnv, options: { risks: number; requests: number; concurrency: number }): Promise<CaseResult> {
  const total = await topUp(env.databaseUrl, options.risks);
  const probe = await graphql(env, METRICS_QUERY);
  const answered = (JSON.parse(probe.body) as { data: { riskMetrics: { totalRisks: number } } }).data.riskMetrics.totalRisks;
  if (answered !== total) throw new Error(`riskMetrics counted ${answered} risks, expected ${total}`);

  const server = await measure(async () => {
    await graphql(env, METRICS_QUERY);
  }, options.requests, options.concurrency);

  const pool = new Pool({ connectionString: env.databaseUrl, max: options.concurrency });
  try {
    const baseline = await measure(async () => {
      const { rows } = await pool.query(RISK_METRICS_SQL, [null, null]);
      JSON.stringify({ data: { riskMetrics: rows[0] } });
    }, options.requests, options.concurrency);
    return {
      name: `riskMetrics (${total} risks)`,
      server,
      baseline,
      baselineName: 'the same SQL statement over pg + JSON.stringify',
      statementsPerRequest: probe.statements,
    };
  } finally {
    await pool.end();
  }
}
