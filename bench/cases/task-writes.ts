import { randomUUID } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import { graphql, measure, type BenchEnv, type CaseResult } from '../harness';

export const CREATE_TASK = `mutation($input: CreateTreatmentTaskInput!, $key: String) {
  createTreatmentTask(input: $input, idempotencyKey: $key) { id version status dueDate } }`;

export interface TaskInput {
  title: string;
  riskId: string;
  assigneeId: string;
  dueDate: string;
}

/** Active risks and owners of the generated register, so the writes spread over many parents as real ones do. */
export async function writeTargets(pool: Pool): Promise<{ risks: string[]; owners: string[] }> {
  const risks = (await pool.query<{ id: string }>('SELECT id FROM risk WHERE archived_at IS NULL ORDER BY id LIMIT 200')).rows.map((r) => r.id);
  const owners = (await pool.query<{ id: string }>('SELECT id FROM owner WHERE archived_at IS NULL ORDER BY id LIMIT 50')).rows.map((r) => r.id);
  if (risks.length === 0 || owners.length === 0) throw new Error('no risks or owners to write tasks for');
  return { risks, owners };
}

/** The i-th task of a run: what a ticket sync or a risk owner sends (title, risk, assignee, a due date weeks ahead). */
export function taskInput(targets: { risks: string[]; owners: string[] }, tag: string, i: number): TaskInput {
  const due = new Date(Date.now() + (14 + (i % 90)) * 86_400_000).toISOString().slice(0, 10);
  return {
    title: `${tag} ${i}: rotate the service credentials and record the evidence`,
    riskId: targets.risks[i % targets.risks.length],
    assigneeId: targets.owners[(i * 7) % targets.owners.length],
    dueDate: due,
  };
}

/** Rows a set of created tasks left behind: the tasks, their audit events and their outbox events. */
export async function rowsFor(pool: Pool, taskIds: string[]): Promise<{ tasks: number; audit: number; outbox: number }> {
  const { rows: [row] } = await pool.query(
    `SELECT (SELECT count(*)::int FROM treatment_task WHERE id = ANY($1::uuid[])) AS tasks,
            (SELECT count(*)::int FROM audit_event WHERE entity_id = ANY($1::uuid[]) AND operation = 'createTreatmentTask') AS audit,
            (SELECT count(*)::int FROM outbox_event WHERE entity_id = ANY($1::uuid[])) AS outbox`, [taskIds]);
  return row;
}

export function assertRows(label: string, rows: { tasks: number; audit: number; outbox: number }, expected: number): void {
  if (rows.tasks !== expected || rows.audit !== expected || rows.outbox !== expected) {
    throw new Error(`${label}: ${expected} creates left ${rows.tasks} tasks, ${rows.audit} audit events, ${rows.outbox} outbox events`);
  }
}

/** The statement count most requests reported: the odd request that also stamps the key's lastUsedAt (once a minute) is not typical. */
export function typical(counts: number[]): number {
  const seen = new Map<number, number>();
  for (const c of counts) seen.set(c, (seen.get(c) ?? 0) + 1);
  return [...seen.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? NaN;
}

export async function createThroughApi(env: BenchEnv, input: TaskInput, key?: string): Promise<{ id: string; statements: number }> {
  const { body, statements } = await graphql(env, CREATE_TASK, { input, key });
  return { id: (JSON.parse(body) as { data: { createTreatmentTask: { id: string } } }).data.createTreatmentTask.id, statements };
}

/**
 * The statements the server sends for one createTreatmentTask without an idempotency key
 * (src/modules/treatment/treatment-task.service.ts insertTask, src/db/transaction.ts recordWrite),
 * hand-written over pg: the risk and assignee checks, the task row, its read-back, the audit row,
 * the NOTIFY and the outbox row, in one transaction.
 */
async function createOverPg(client: PoolClient, input: TaskInput, actorKeyId: string): Promise<string> {
  const id = randomUUID();
  await client.query('BEGIN');
  try {
    const { rows: [risk] } = await client.query('SELECT * FROM risk WHERE id = $1 LIMIT 1', [input.riskId]);
    if (!risk || risk.archived_at) throw new Error('baseline: no active risk');
    const { rows: [owner] } = await client.query('SELECT * FROM owner WHERE id = $1 LIMIT 1', [input.assigneeId]);
    if (!owner || owner.archived_at) throw new Error('baseline: no active owner');
    await client.query(
      `INSERT INTO treatment_task (id, title, description, risk_id, control_id, assignee_id, due_date, status, external_system, external_key, external_url)
       VALUES ($1, $2, NULL, $3, NULL, $4, $5, 'OPEN', NULL, NULL, NULL) RETURNING version, created_at, updated_at, status`,
      [id, input.title.trim(), input.riskId, input.assigneeId, input.dueDate]);
    const { rows: [saved] } = await client.query(
      `SELECT id, version, created_at AS "createdAt", updated_at AS "updatedAt", archived_at AS "archivedAt", title, description,
              risk_id AS "riskId", control_id AS "controlId", assignee_id AS "assigneeId", to_char(due_date, 'YYYY-MM-DD') AS "dueDate", status,
              external_system AS "externalSystem", external_key AS "externalKey", external_url AS "externalUrl"
         FROM treatment_task WHERE id = $1 LIMIT 1`, [id]);
    const auditEventId = randomUUID();
    await client.query(
      `INSERT INTO audit_event (id, actor_key_id, operation, entity_type, entity_id, before, after, scope_ids, request_id)
       VALUES ($1, $2, 'createTreatmentTask', 'TREATMENT_TASK', $3, NULL, $4, $5, $6) RETURNING at, scope_ids`,
      [auditEventId, actorKeyId, id, JSON.stringify(saved), [risk.scope_id], randomUUID()]);
    const event = { entityType: 'TREATMENT_TASK', entityId: id, action: 'CREATED', version: saved.version, scopeIds: [risk.scope_id], at: new Date().toISOString() };
    await client.query('SELECT pg_notify($1, $2)', ['isms_changed', JSON.stringify(event)]);
    await client.query(
      `INSERT INTO outbox_event (id, entity_type, entity_id, action, version, scope_ids, at, audit_event_id)
       VALUES ($1, $2, $3, $4, $5, $6::uuid[], $7, $8)`,
      [randomUUID(), event.entityType, id, event.action, event.version, event.scopeIds, event.at, auditEventId]);
    await client.query('COMMIT');
    return id;
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

/** Statements per baseline create: BEGIN, the 7 above, COMMIT. */
const BASELINE_STATEMENTS = 9;

/**
 * createTreatmentTask write throughput: `requests` mutations through the API with `concurrency`
 * in flight, beside the same statements over pg with the same number of connections in flight.
 * Afterwards both sides' rows are counted (a task, an audit event and an outbox event per create),
 * so a case that silently wrote nothing cannot look fast.
 */
export async function taskWrites(env: BenchEnv, options: { requests: number; concurrency: number }): Promise<CaseResult> {
  const pool = new Pool({ connectionString: env.databaseUrl, max: options.concurrency });
  try {
    const targets = await writeTargets(pool);
    const tag = `Bench write ${process.pid}`;
    const apiIds: string[] = [];
    const statements: number[] = [];
    let n = 0;
    const server = await measure(async () => {
      const created = await createThroughApi(env, taskInput(targets, tag, n++));
      apiIds.push(created.id);
      statements.push(created.statements);
    }, options.requests, options.concurrency);
    if (new Set(apiIds).size !== n) throw new Error(`${n} creates answered ${new Set(apiIds).size} distinct ids`);
    assertRows('API', await rowsFor(pool, apiIds), n);
    const { rows: [{ actor_key_id: actorKeyId }] } = await pool.query('SELECT actor_key_id FROM audit_event WHERE entity_id = $1', [apiIds[0]]);

    const baseIds: string[] = [];
    let m = 0;
    const baseline = await measure(async () => {
      const client = await pool.connect();
      try {
        baseIds.push(await createOverPg(client, taskInput(targets, `${tag} baseline`, m++), actorKeyId));
      } finally {
        client.release();
      }
    }, options.requests, options.concurrency);
    assertRows('baseline', await rowsFor(pool, baseIds), m);
    return {
      name: `createTreatmentTask writes (${options.concurrency} in flight)`,
      server,
      baseline,
      baselineName: `the same ${BASELINE_STATEMENTS} statements in one pg transaction (checks, task, read-back, audit, NOTIFY, outbox)`,
      statementsPerRequest: typical(statements),
      notes: `${n} API + ${m} baseline creates over ${targets.risks.length} risks; rows verified: 1 task + 1 audit event + 1 outbox event each; statements include the API-key lookup`,
    };
  } finally {
    await pool.end();
  }
}
