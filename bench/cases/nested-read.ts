import { Pool } from 'pg';
import { graphql, measure, type BenchEnv, type CaseResult } from '../harness';

/** The nested list query of issue 3 over the whole register (every scope, all its risks). */
export const NESTED_QUERY = `{
  scopes(first: 20) { edges { node { id key owner { id name }
    risks(first: 500) { edges { node { id title residualScore owner { id name }
      controls { id code owner { id name } }
      treatmentTasks { id title assignee { id name } } } } } } } } }`;

/** The same answer from one hand-written SQL statement, serialised with JSON.stringify. */
const BASELINE_SQL = `
SELECT coalesce(json_agg(s ORDER BY s.key), '[]') AS scopes FROM (
  SELECT sc.id, sc.key, json_build_object('id', o.id, 'name', o.name) AS owner,
    (SELECT coalesce(json_agg(json_build_object(
        'id', r.id, 'title', r.title, 'residualScore', r.residual_score,
        'owner', json_build_object('id', ro.id, 'name', ro.name),
        'controls', (SELECT coalesce(json_agg(json_build_object('id', c.id, 'code', c.code, 'owner', json_build_object('id', co.id, 'name', co.name)) ORDER BY rc.created_at, c.id), '[]')
                     FROM risk_control rc JOIN control c ON c.id = rc.control_id JOIN owner co ON co.id = c.owner_id WHERE rc.risk_id = r.id),
        'treatmentTasks', (SELECT coalesce(json_agg(json_build_object('id', t.id, 'title', t.title, 'assignee', json_build_object('id', a.id, 'name', a.name)) ORDER BY t.created_at, t.id), '[]')
                     FROM treatment_task t JOIN owner a ON a.id = t.assignee_id WHERE t.risk_id = r.id AND t.archived_at IS NULL)
      ) ORDER BY r.created_at, r.id), '[]')
     FROM (SELECT * FROM risk WHERE scope_id = sc.id AND archived_at IS NULL ORDER BY created_at, id LIMIT 500) r
     JOIN owner ro ON ro.id = r.owner_id) AS risks
  FROM scope sc JOIN owner o ON o.id = sc.owner_id
  WHERE sc.archived_at IS NULL ORDER BY sc.key LIMIT 20) s`;

export async function nestedRead(env: BenchEnv, options: { requests: number; concurrency: number; expectedRisks: number }): Promise<CaseResult> {
  const probe = await graphql(env, NESTED_QUERY);
  const parsed = JSON.parse(probe.body) as { data: { scopes: { edges: Array<{ node: { risks: { edges: unknown[] } } }> } } };
  const risks = parsed.data.scopes.edges.reduce((n, e) => n + e.node.risks.edges.length, 0);
  if (risks !== options.expectedRisks) throw new Error(`nested query returned ${risks} risks, expected ${options.expectedRisks}`);

  const server = await measure(async () => {
    await graphql(env, NESTED_QUERY);
  }, options.requests, options.concurrency);

  const pool = new Pool({ connectionString: env.databaseUrl, max: options.concurrency });
  try {
    const baseline = await measure(async () => {
      const { rows } = await pool.query(BASELINE_SQL);
      JSON.stringify({ data: { scopes: rows[0].scopes } });
    }, options.requests, options.concurrency);
    return {
      name: `nested list read (${options.expectedRisks} risks)`,
      server,
      baseline,
      baselineName: 'one SQL query over pg + JSON.stringify',
      statementsPerRequest: probe.statements,
    };
  } finally {
    await pool.end();
  }
}
