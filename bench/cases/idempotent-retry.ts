import { Pool } from 'pg';
import { measure, type BenchEnv, type CaseResult } from '../harness';
import { assertRows, createThroughApi, rowsFor, taskInput, typical, writeTargets } from './task-writes';

/** Every table a create writes to: a replay must leave all of them as they were. */
const TOTALS_SQL = `SELECT (SELECT count(*)::int FROM treatment_task) AS tasks, (SELECT count(*)::int FROM audit_event) AS audit,
  (SELECT count(*)::int FROM outbox_event) AS outbox, (SELECT count(*)::int FROM idempotency_key) AS keys`;

/** What a replay looks up, as bare SQL: the stored claim and the task it points to. */
const LOOKUP_SQL = `SELECT t.* FROM idempotency_key k JOIN treatment_task t ON t.id = k.entity_id
  WHERE k.api_key_id = $1 AND k.operation = 'createTreatmentTask' AND k.key = $2`;

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * Idempotent retry: `requests` createTreatmentTask calls, each with a fresh idempotencyKey (the
 * baseline: the original creates), then the same calls again with the same keys and inputs (the
 * replays: what a client's retry after a timeout costs), `concurrency` in flight, each key
 * replayed by one caller at a time. The original create is the baseline because it is the request
 * a retry repeats: the ratio says how much cheaper a retry is than the write it stands for. The
 * bare SQL lookup of the stored answer is measured too and given in the notes. Every replay must
 * answer the original task's id and the replays must leave every table's row count unchanged.
 */
export async function idempotentRetry(env: BenchEnv, options: { requests: number; concurrency: number }): Promise<CaseResult> {
  const pool = new Pool({ connectionString: env.databaseUrl, max: options.concurrency });
  try {
    const targets = await writeTargets(pool);
    const tag = `Bench retry ${process.pid}`;
    const keyOf = (i: number) => `${tag.replace(/ /g, '-')}-${i}`;
    const originals: string[] = [];
    let n = 0;
    const baseline = await measure(async () => {
      const i = n++;
      originals[i] = (await createThroughApi(env, taskInput(targets, tag, i), keyOf(i))).id;
    }, options.requests, options.concurrency);
    assertRows('original creates', await rowsFor(pool, originals), n);

    const before = (await pool.query(TOTALS_SQL)).rows[0];
    const statements: number[] = [];
    let m = 0;
    const server = await measure(async () => {
      const i = m++ % n;
      const replay = await createThroughApi(env, taskInput(targets, tag, i), keyOf(i));
      if (replay.id !== originals[i]) throw new Error(`replay of ${keyOf(i)} answered ${replay.id}, the original ${originals[i]}`);
      statements.push(replay.statements);
    }, options.requests, options.concurrency);
    const after = (await pool.query(TOTALS_SQL)).rows[0];
    if (JSON.stringify(after) !== JSON.stringify(before)) throw new Error(`${m} replays changed row counts: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);

    const { rows: [{ api_key_id: apiKeyId }] } = await pool.query('SELECT api_key_id FROM idempotency_key WHERE key = $1', [keyOf(0)]);
    let k = 0;
    const lookup = await measure(async () => {
      const { rows } = await pool.query(LOOKUP_SQL, [apiKeyId, keyOf(k++ % n)]);
      if (rows.length !== 1) throw new Error('baseline lookup found no stored answer');
      JSON.stringify(rows[0]);
    }, options.requests, options.concurrency);
    return {
      name: `idempotent retry: createTreatmentTask replayed by idempotencyKey (${options.concurrency} in flight)`,
      server,
      baseline,
      baselineName: 'the original creates with a fresh key, through the API, same run',
      statementsPerRequest: typical(statements),
      notes: `ratio above 1: a retry costs less than the create it repeats; ${m} replays of ${n} keys created no rows (tasks, audit, outbox, idempotency keys counted) and answered the original ids; `
        + `bare SQL lookup of the stored answer over pg: p50 ${round(lookup.p50Ms)} ms, ${Math.round(lookup.perSecond)}/s`,
    };
  } finally {
    await pool.end();
  }
}
