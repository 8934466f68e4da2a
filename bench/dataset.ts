import type { Client } from 'pg';

export interface DatasetSize {
  risks: number;
  /** Risks per scope (default 500, so every scope's risks fit one nested page). */
  risksPerScope?: number;
  owners?: number;
  controlsPerRisk?: number;
  tasksPerRisk?: number;
}

export interface DatasetCounts {
  owners: number;
  scopes: number;
  controls: number;
  risks: number;
  tasks: number;
}

/**
 * Fills an empty, migrated database with a register of the given size, in set-based SQL so that
 * 50,000 risks take seconds. Scores obey the server's rules (inherent = likelihood × impact).
 */
export async function generateDataset(client: Client, size: DatasetSize): Promise<DatasetCounts> {
  const risksPerScope = size.risksPerScope ?? 500;
  const owners = size.owners ?? 50;
  const scopes = Math.max(1, Math.ceil(size.risks / risksPerScope));
  const controls = Math.max(20, Math.ceil(size.risks / 5));
  const controlsPerRisk = size.controlsPerRisk ?? 2;
  const tasksPerRisk = size.tasksPerRisk ?? 2;
  await client.query('BEGIN');
  await client.query(`INSERT INTO owner (id, kind, name) SELECT gen_random_uuid(), 'PERSON', 'Owner ' || g FROM generate_series(1, $1) g`, [owners]);
  await client.query(
    `WITH o AS (SELECT array_agg(id ORDER BY name) ids FROM owner)
     INSERT INTO scope (id, key, name, certification, owner_id)
     SELECT gen_random_uuid(), 'bench-' || lpad(g::text, 5, '0'), 'Scope ' || g, 'CERTIFIABLE', o.ids[1 + g % array_length(o.ids, 1)]
     FROM generate_series(1, $1) g, o`,
    [scopes],
  );
  await client.query(
    `WITH o AS (SELECT array_agg(id ORDER BY name) ids FROM owner)
     INSERT INTO control (id, code, title, owner_id, status)
     SELECT gen_random_uuid(), 'BENCH-' || lpad(g::text, 6, '0'), 'Control ' || g, o.ids[1 + g % array_length(o.ids, 1)],
            (ARRAY['NOT_STARTED','PLANNED','IN_PROGRESS','IMPLEMENTED']::control_status[])[1 + g % 4]
     FROM generate_series(1, $1) g, o`,
    [controls],
  );
  await client.query(
    `WITH s AS (SELECT array_agg(id ORDER BY key) ids FROM scope), c AS (SELECT id, row_number() OVER (ORDER BY code) n FROM control)
     INSERT INTO control_scope (control_id, scope_id) SELECT c.id, s.ids[1 + c.n % array_length(s.ids, 1)] FROM c, s`,
  );
  await client.query(
    `WITH o AS (SELECT array_agg(id ORDER BY name) ids FROM owner), s AS (SELECT array_agg(id ORDER BY key) ids FROM scope)
     INSERT INTO risk (id, title, scope_id, owner_id, likelihood, impact, inherent_score, residual_score, treatment, status, created_at, updated_at)
     SELECT gen_random_uuid(), 'Risk ' || g, s.ids[1 + (g - 1) / $2], o.ids[1 + g % array_length(o.ids, 1)],
            1 + g % 5, 1 + (g / 5) % 5, (1 + g % 5) * (1 + (g / 5) % 5), (1 + g % 5) * (1 + (g / 5) % 5),
            'MITIGATE', 'ASSESSED', now() + g * interval '1 millisecond', now()
     FROM generate_series(1, $1) g, o, s`,
    [size.risks, risksPerScope],
  );
  await client.query(
    `WITH c AS (SELECT array_agg(id ORDER BY code) ids FROM control), r AS (SELECT id, row_number() OVER (ORDER BY created_at) n FROM risk)
     INSERT INTO risk_control (risk_id, control_id)
     SELECT DISTINCT r.id, c.ids[1 + (r.n + k) % array_length(c.ids, 1)] FROM r, c, generate_series(0, $1 - 1) k`,
    [controlsPerRisk],
  );
  await client.query(
    `WITH o AS (SELECT array_agg(id ORDER BY name) ids FROM owner), r AS (SELECT id, row_number() OVER (ORDER BY created_at) n FROM risk)
     INSERT INTO treatment_task (id, title, risk_id, assignee_id, due_date, status, created_at, updated_at)
     SELECT gen_random_uuid(), 'Task ' || r.n || '.' || k, r.id, o.ids[1 + (r.n + k) % array_length(o.ids, 1)],
            current_date + (r.n % 90)::int, 'OPEN', now() + (r.n * 10 + k) * interval '1 millisecond', now()
     FROM r, o, generate_series(1, $1) k`,
    [tasksPerRisk],
  );
  await client.query('COMMIT');
  await client.query('ANALYZE');
  const [row] = (await client.query(
    `SELECT (SELECT count(*) FROM owner) owners, (SELECT count(*) FROM scope) scopes, (SELECT count(*) FROM control) controls,
            (SELECT count(*) FROM risk) risks, (SELECT count(*) FROM treatment_task) tasks`,
  )).rows;
  return { owners: Number(row.owners), scopes: Number(row.scopes), controls: Number(row.controls), risks: Number(row.risks), tasks: Number(row.tasks) };
}
