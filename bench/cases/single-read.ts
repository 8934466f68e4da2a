import { deepStrictEqual } from 'node:assert';
import { Pool } from 'pg';
import { graphql, measure, type BenchEnv, type CaseResult } from '../harness';

/** What a client asks for most: one risk by id with its owner, controls and tasks (a risk page, a ticket sync). */
const SINGLE_QUERY = `query($id: ID!) { risk(id: $id) { id title residualScore owner { name } controls { code } treatmentTasks { title } } }`;

/** The same answer from one hand-written SQL statement (same order as the resolvers), serialised with JSON.stringify. */
const BASELINE_SQL = `
SELECT json_build_object('id', r.id, 'title', r.title, 'residualScore', r.residual_score,
  'owner', json_build_object('name', o.name),
  'controls', (SELECT coalesce(json_agg(json_build_object('code', c.code) ORDER BY rc.created_at, rc.control_id), '[]')
                 FROM risk_control rc JOIN control c ON c.id = rc.control_id WHERE rc.risk_id = r.id AND c.archived_at IS NULL),
  'treatmentTasks', (SELECT coalesce(json_agg(json_build_object('title', t.title) ORDER BY t.created_at, t.id), '[]')
                       FROM treatment_task t WHERE t.risk_id = r.id AND t.archived_at IS NULL)) AS risk
  FROM risk r JOIN owner o ON o.id = r.owner_id WHERE r.id = $1`;

/**
 * `risk(id)` through the API, a different risk on each request (round-robin over `sample` risks
 * of the register), beside the same answer from one SQL statement over pg. Before measuring, the
 * API's answer is compared with the baseline's for the first 20 risks, so a broken case fails.
 */
export async function singleRead(env: BenchEnv, options: { requests: number; concurrency: number; sample?: number }): Promise<CaseResult> {
  const pool = new Pool({ connectionString: env.databaseUrl, max: options.concurrency });
  try {
    const { rows } = await pool.query<{ id: string }>('SELECT id FROM risk WHERE archived_at IS NULL ORDER BY id LIMIT $1', [options.sample ?? 500]);
    const ids = rows.map((r) => r.id);
    if (ids.length === 0) throw new Error('no risks to read');
    const baselineAnswer = async (id: string) => (await pool.query(BASELINE_SQL, [id])).rows[0].risk as { controls: unknown[]; treatmentTasks: unknown[] };

    const statements = new Map<number, number>();
    let controls = 0;
    let tasks = 0;
    const checked = ids.slice(0, 20);
    for (const id of checked) {
      const probe = await graphql(env, SINGLE_QUERY, { id });
      const expected = await baselineAnswer(id);
      deepStrictEqual(JSON.parse(probe.body).data.risk, expected, `risk ${id}: the API and the baseline disagree`);
      statements.set(probe.statements, (statements.get(probe.statements) ?? 0) + 1);
      controls += expected.controls.length;
      tasks += expected.treatmentTasks.length;
    }

    let n = 0;
    const server = await measure(async () => {
      await graphql(env, SINGLE_QUERY, { id: ids[n++ % ids.length] });
    }, options.requests, options.concurrency);
    let m = 0;
    const baseline = await measure(async () => {
      JSON.stringify({ data: { risk: await baselineAnswer(ids[m++ % ids.length]) } });
    }, options.requests, options.concurrency);
    return {
      name: 'single-entity read: risk(id) with owner, controls, tasks',
      server,
      baseline,
      baselineName: 'one SQL query over pg + JSON.stringify',
      // the count most probes reported: the first one also stamps the key's lastUsedAt
      statementsPerRequest: [...statements.entries()].sort((a, b) => b[1] - a[1])[0][0],
      notes: `round-robin over ${ids.length} risks (about ${Math.round(controls / checked.length)} controls and ${Math.round(tasks / checked.length)} tasks each); answers checked equal to the baseline's; statements include the API-key lookup`,
    };
  } finally {
    await pool.end();
  }
}
