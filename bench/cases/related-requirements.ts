import { Client, Pool } from 'pg';
import { graphql, measure, type BenchEnv, type CaseResult } from '../harness';

const QUERY = `query($id: ID!) { relatedRequirements(requirementId: $id, maxHops: 3) {
  chain hops requirement { code title framework { key } } path { id relationship } } }`;

/** The walk alone, as one recursive SQL statement over pg (what the resolver wraps). */
const BASELINE_SQL = `
WITH RECURSIVE edges AS (
  SELECT m.id, m.source_requirement_id AS a, m.target_requirement_id AS b, m.relationship::text AS rel
    FROM mapping m JOIN crosswalk c ON c.id = m.crosswalk_id
   WHERE m.archived_at IS NULL AND c.archived_at IS NULL AND m.relationship <> 'NOT_RELATED' AND c.status = 'APPROVED'
  UNION ALL
  SELECT m.id, m.target_requirement_id, m.source_requirement_id,
         CASE m.relationship WHEN 'SUBSET_OF' THEN 'SUPERSET_OF' WHEN 'SUPERSET_OF' THEN 'SUBSET_OF' ELSE m.relationship::text END
    FROM mapping m JOIN crosswalk c ON c.id = m.crosswalk_id
   WHERE m.archived_at IS NULL AND c.archived_at IS NULL AND m.relationship <> 'NOT_RELATED' AND c.status = 'APPROVED'),
walk AS (
  SELECT e.b AS req, 1 AS hops, e.rel IN ('EQUAL','SUPERSET_OF') AS full, ARRAY[e.id] AS path, ARRAY[$1::uuid, e.b] AS visited FROM edges e WHERE e.a = $1
  UNION ALL
  SELECT e.b, w.hops + 1, w.full AND e.rel IN ('EQUAL','SUPERSET_OF'), w.path || e.id, w.visited || e.b
    FROM walk w JOIN edges e ON e.a = w.req WHERE w.hops < 3 AND NOT e.b = ANY(w.visited))
SELECT DISTINCT ON (w.req) w.req, w.hops, w.full, w.path, r.code, r.title, f.key
  FROM walk w JOIN requirement r ON r.id = w.req JOIN framework f ON f.id = r.framework_id
 ORDER BY w.req, w.full DESC, w.hops, w.path`;

/** relatedRequirements for every Annex A control of ISO/IEC 27001:2022, round-robin. */
export async function relatedRequirements(env: BenchEnv, options: { concurrency: number }): Promise<CaseResult> {
  const client = new Client({ connectionString: env.databaseUrl });
  await client.connect();
  const { rows } = await client.query<{ id: string }>(
    `SELECT r.id FROM requirement r JOIN framework f ON f.id = r.framework_id
      WHERE f.key = 'iso27001-2022' AND r.kind = 'CONTROL' ORDER BY r.position`,
  );
  await client.end();
  if (rows.length !== 93) throw new Error(`expected 93 Annex A controls, found ${rows.length}`);
  const ids = rows.map((r) => r.id);
  const probe = await graphql(env, QUERY, { id: ids[14] });
  let i = 0;
  const server = await measure(async () => {
    await graphql(env, QUERY, { id: ids[i++ % ids.length] });
  }, ids.length * 2, options.concurrency);
  const pool = new Pool({ connectionString: env.databaseUrl, max: options.concurrency });
  try {
    let j = 0;
    const baseline = await measure(async () => {
      const result = await pool.query(BASELINE_SQL, [ids[j++ % ids.length]]);
      JSON.stringify(result.rows);
    }, ids.length * 2, options.concurrency);
    return {
      name: 'relatedRequirements, every Annex A control (3 hops)',
      server,
      baseline,
      baselineName: 'the recursive walk as one SQL query over pg',
      statementsPerRequest: probe.statements,
    };
  } finally {
    await pool.end();
  }
}
