import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { graphql, measure, type BenchEnv, type CaseResult } from '../harness';

const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures');

const IMPORT_CATALOG = `mutation($document: String!, $key: String!) {
  importOscalCatalog(document: $document, frameworkKey: $key) { requirementsCreated } }`;
const IMPORT_MAPPINGS = `mutation($input: ImportMappingsInput!) { importMappings(input: $input) { mappingsCreated } }`;

/**
 * The full SP 800-53 rev5 OSCAL catalog (1,209 requirements) and its 642 mappings to ISO/IEC
 * 27001:2022, imported through the API under a fresh key each time; the baseline inserts the same
 * number of rows with two multi-row INSERT statements over pg in one transaction.
 */
export async function catalogImport(env: BenchEnv, options: { requests: number }): Promise<CaseResult & { rows: number }> {
  const catalog = fs.readFileSync(path.join(FIXTURES, 'oscal', 'NIST_SP-800-53_rev5_catalog.2021-06-08.json'), 'utf8');
  const mappings = fs.readFileSync(path.join(FIXTURES, 'mapping-nist-sp-800-53-rev5-to-iso27001-2022.csv'), 'utf8');
  let n = 0;
  let statements = 0;
  const server = await measure(async () => {
    const key = `sp800-53-bench-${process.pid}-${n++}`;
    const first = await graphql(env, IMPORT_CATALOG, { document: catalog, key });
    const second = await graphql(env, IMPORT_MAPPINGS, {
      input: { document: mappings, format: 'CSV', sourceFrameworkKey: key, targetFrameworkKey: 'iso27001-2022', crosswalkKey: `${key}-to-iso`, provenance: 'NIST OLIR 155', status: 'APPROVED' },
    });
    statements = first.statements + second.statements;
  }, options.requests, 1, 1);

  const client = new Client({ connectionString: env.databaseUrl });
  await client.connect();
  const [{ rows: reqRows }, { rows: mapRows }] = [
    await client.query(`SELECT count(*)::int AS n FROM requirement r JOIN framework f ON f.id = r.framework_id WHERE f.key = $1`, [`sp800-53-bench-${process.pid}-0`]),
    await client.query(`SELECT count(*)::int AS n FROM mapping m JOIN crosswalk c ON c.id = m.crosswalk_id WHERE c.key = $1`, [`sp800-53-bench-${process.pid}-0-to-iso`]),
  ];
  const requirements = reqRows[0].n as number;
  const mapped = mapRows[0].n as number;
  if (requirements !== 1209 || mapped !== 642) throw new Error(`import produced ${requirements} requirements and ${mapped} mappings`);
  const [{ id: isoControl }] = (await client.query(`SELECT r.id FROM requirement r JOIN framework f ON f.id = r.framework_id WHERE f.key = 'iso27001-2022' AND r.code = 'A.5.1'`)).rows;
  try {
    const baseline = await measure(async () => {
      JSON.parse(catalog);
      const frameworkId = randomUUID();
      const crosswalkId = randomUUID();
      const ids = Array.from({ length: requirements }, () => randomUUID());
      await client.query('BEGIN');
      await client.query(`INSERT INTO framework (id, key, version, name, kind) VALUES ($1, $2, '5.0.1', 'baseline', 'CONTROL_CATALOG')`, [frameworkId, `baseline-${frameworkId}`]);
      await client.query(
        `INSERT INTO requirement (id, framework_id, code, title, kind, assessable, position)
         SELECT id, $2, 'C-' || ord, 'Title ' || ord, 'CONTROL', true, ord FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, ord)`,
        [ids, frameworkId],
      );
      await client.query(`INSERT INTO crosswalk (id, key, name, source_framework_id, target_framework_id, source, method) VALUES ($1, $2, 'b', $3, (SELECT framework_id FROM requirement WHERE id = $4), 'b', 'IMPORTED')`, [crosswalkId, `baseline-${crosswalkId}`, frameworkId, isoControl]);
      await client.query(
        `INSERT INTO mapping (id, crosswalk_id, source_requirement_id, target_requirement_id, relationship)
         SELECT gen_random_uuid(), $1, src, $3, 'INTERSECTS_WITH' FROM unnest($2::uuid[]) AS t(src)`,
        [crosswalkId, ids.slice(0, mapped), isoControl],
      );
      await client.query('COMMIT');
    }, options.requests, 1, 1);
    return {
      name: `import SP 800-53 rev5 (${requirements} requirements + ${mapped} mappings)`,
      server,
      baseline,
      baselineName: 'the same row count as raw multi-row INSERTs over pg',
      statementsPerRequest: statements,
      rows: requirements + mapped,
    };
  } finally {
    await client.end();
  }
}
