import { Client, Pool } from 'pg';
import { NHI_FINDINGS_SQL, findingsParams } from '../../src/modules/asset/nhi-findings.sql';
import { graphql, measure, type BenchEnv, type CaseResult } from '../harness';

const PAGE = 50;
const FINDINGS_QUERY = `query($scopeId: ID!, $first: Int) { nhiFindings(scopeId: $scopeId, first: $first) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id rule severity itemCode message asset { id name } } } } }`;

/**
 * One scope tree (a root, 10 children, 50 grandchildren) holding `nhis` non-human identities in
 * its grandchildren, written set-based, with every rule's condition spread over them: no or an
 * archived owner (1 in 10), every NHI kind, rotation intervals and dates that run out, missing
 * expiries, privileged identities, production mixed with other environments, human use, one to
 * three consumers out of 1,000 applications; 1 in 50 revoked and 1 in 100 archived (scanned,
 * never reported).
 */
export async function seedNhis(databaseUrl: string, nhis: number): Promise<string> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    const [{ id: ownerId }] = (await client.query(`INSERT INTO owner (id, kind, name) VALUES (gen_random_uuid(), 'TEAM', 'NHI bench') RETURNING id`)).rows;
    const [{ id: goneId }] = (await client.query(`INSERT INTO owner (id, kind, name, archived_at) VALUES (gen_random_uuid(), 'TEAM', 'NHI bench (gone)', now()) RETURNING id`)).rows;
    const [{ id: rootId }] = (await client.query(
      `INSERT INTO scope (id, key, name, certification, owner_id) VALUES (gen_random_uuid(), 'nhi-bench', 'NHI bench', 'CERTIFIABLE', $1) RETURNING id`, [ownerId])).rows;
    await client.query(
      `INSERT INTO scope (id, key, name, certification, owner_id, parent_id)
       SELECT gen_random_uuid(), 'nhi-bench-' || g, 'NHI bench ' || g, 'CERTIFIABLE', $1, $2 FROM generate_series(1, 10) g`, [ownerId, rootId]);
    await client.query(
      `INSERT INTO scope (id, key, name, certification, owner_id, parent_id)
       SELECT gen_random_uuid(), p.key || '-' || g, p.name || '.' || g, 'CERTIFIABLE', $1, p.id
         FROM scope p, generate_series(1, 5) g WHERE p.parent_id = $2`, [ownerId, rootId]);
    await client.query(
      `INSERT INTO asset (id, name, kind, owner_id, external_id, source_system)
       SELECT gen_random_uuid(), 'nhi-bench-app-' || g, 'APPLICATION', $1, 'app-' || g, 'nhi-bench' FROM generate_series(1, 1000) g`, [ownerId]);
    await client.query(
      `INSERT INTO asset (id, name, kind, nhi_kind, owner_id, environments, privileged, human_use, last_rotated_at, rotation_interval_days, expires_at,
                          revoked_at, archived_at, external_id, source_system, created_at, updated_at)
       SELECT gen_random_uuid(), 'nhi-bench-' || g, 'NON_HUMAN_IDENTITY', (enum_range(NULL::nhi_kind))[1 + g % 7],
              CASE g % 20 WHEN 0 THEN NULL WHEN 1 THEN $3::uuid ELSE $2::uuid END,
              ((ARRAY['{PRODUCTION}', '{PRODUCTION,STAGING}', '{STAGING}', '{DEVELOPMENT,TEST}', '{PRODUCTION,DEVELOPMENT}'])[1 + g % 5])::text[],
              g % 8 = 0, g % 25 = 0,
              CASE WHEN g % 6 = 0 THEN NULL ELSE now() - (g % 200) * interval '1 day' END,
              CASE g % 3 WHEN 0 THEN NULL ELSE 90 END,
              CASE WHEN g % 4 = 0 THEN NULL ELSE now() + (1 + g % 365) * interval '1 day' END,
              CASE WHEN g % 50 = 0 THEN now() END, CASE WHEN g % 100 = 1 THEN now() END,
              'nhi-' || g, 'nhi-bench', now() - (g % 400) * interval '1 day', now()
         FROM generate_series(1, $1) g`, [nhis, ownerId, goneId]);
    await client.query(
      `WITH leaf AS (SELECT array_agg(s.id ORDER BY s.key) ids FROM scope s JOIN scope p ON p.id = s.parent_id WHERE p.parent_id = $1),
            nhi AS (SELECT id, substring(name FROM 11)::int AS g FROM asset WHERE source_system = 'nhi-bench' AND kind = 'NON_HUMAN_IDENTITY')
       INSERT INTO asset_scope (asset_id, scope_id) SELECT nhi.id, leaf.ids[1 + nhi.g % 50] FROM nhi, leaf`, [rootId]);
    await client.query(
      `WITH app AS (SELECT array_agg(id ORDER BY external_id) ids FROM asset WHERE source_system = 'nhi-bench' AND kind = 'APPLICATION'),
            nhi AS (SELECT id, substring(name FROM 11)::int AS g FROM asset WHERE source_system = 'nhi-bench' AND kind = 'NON_HUMAN_IDENTITY')
       INSERT INTO asset_consumer (asset_id, consumer_id)
       SELECT DISTINCT nhi.id, app.ids[1 + (nhi.g * k * 7) % 1000] FROM nhi, app, generate_series(1, 3) k
        WHERE k = 1 OR (k = 2 AND nhi.g % 7 = 0) OR (k = 3 AND nhi.g % 21 = 0)`);
    await client.query('COMMIT');
    await client.query('ANALYZE');
    return rootId;
  } finally {
    await client.end();
  }
}

async function measureScope(env: BenchEnv, pool: Pool, frameworkId: string, scope: { id: string; label: string },
  options: { requests: number; concurrency: number }): Promise<CaseResult> {
  const params = findingsParams({ scopeId: scope.id, frameworkId, limit: PAGE + 1 });
  const { rows: [expected] } = await pool.query(NHI_FINDINGS_SQL, params);
  const probe = await graphql(env, FINDINGS_QUERY, { scopeId: scope.id, first: PAGE });
  const answered = (JSON.parse(probe.body) as { data: { nhiFindings: { totalCount: number; edges: unknown[] } } }).data.nhiFindings;
  if (answered.totalCount !== expected.total || answered.edges.length !== Math.min(PAGE, expected.total)) {
    throw new Error(`nhiFindings answered ${answered.totalCount} findings (${answered.edges.length} on the page), the SQL ${expected.total}`);
  }
  const server = await measure(async () => {
    await graphql(env, FINDINGS_QUERY, { scopeId: scope.id, first: PAGE });
  }, options.requests, options.concurrency);
  const baseline = await measure(async () => {
    const { rows } = await pool.query(NHI_FINDINGS_SQL, params);
    JSON.stringify({ data: { nhiFindings: rows[0] } });
  }, options.requests, options.concurrency);
  return {
    name: `nhiFindings (${scope.label}, first ${PAGE})`,
    server,
    baseline,
    baselineName: 'the same SQL statement over pg + JSON.stringify',
    statementsPerRequest: probe.statements,
    notes: `${expected.total} findings`,
  };
}

/**
 * `nhiFindings` through the API, first page of 50 with totalCount and each finding's asset, beside
 * the same statement over pg (with JSON.stringify of its answer), both in this run: over the root
 * of a scope tree holding `nhis` non-human identities, and over one leaf scope of it (1 in 50 of
 * them, none revoked), which must cost what its own identities cost, not the whole inventory.
 */
export async function nhiPostureCases(env: BenchEnv, options: { nhis: number; requests: number; concurrency: number }): Promise<CaseResult[]> {
  const rootId = await seedNhis(env.databaseUrl, options.nhis);
  const pool = new Pool({ connectionString: env.databaseUrl, max: options.concurrency });
  try {
    const { rows: [framework] } = await pool.query(`SELECT id FROM framework WHERE key = 'owasp-nhi-top10-2025' AND archived_at IS NULL ORDER BY created_at DESC LIMIT 1`);
    const { rows: [leaf] } = await pool.query(`SELECT s.id, count(*)::int AS n FROM scope s JOIN asset_scope x ON x.scope_id = s.id WHERE s.key = 'nhi-bench-3-2' GROUP BY s.id`);
    return [
      await measureScope(env, pool, framework.id, { id: rootId, label: `${options.nhis} NHIs in a tree of 61 scopes` }, options),
      await measureScope(env, pool, framework.id, { id: leaf.id, label: `a leaf scope of ${leaf.n} NHIs among ${options.nhis}` }, options),
    ];
  } finally {
    await pool.end();
  }
}
