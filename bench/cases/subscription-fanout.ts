import WebSocket from 'ws';
import { Client as PgClient } from 'pg';
import { createClient, type Client } from 'graphql-ws';
import { createDataSource } from '../../src/db/data-source';
import { createLogger } from '../../src/common/logger';
import { reminderJob } from '../../src/modules/reminder/reminder.job';
import type { BenchEnv, CaseResult, Measurement } from '../harness';

function summary(latencies: number[], seconds: number): Measurement {
  const sorted = [...latencies].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { requests: sorted.length, perSecond: sorted.length / seconds, p50Ms: pick(0.5), p95Ms: pick(0.99) };
}

/**
 * `subscribers` graphql-ws clients spread over 3 instances subscribe to reminderFired; reminders
 * fire one at a time, and each arrival is timed from the moment the reminder's NOTIFY reaches a
 * plain LISTEN connection (its commit). Baseline: a bare NOTIFY → LISTEN round trip over pg.
 * Reported as p50 and p99 (the p95 column holds p99 here).
 */
export async function subscriptionFanout(env: BenchEnv, options: { subscribers: number; reminders: number }): Promise<CaseResult> {
  const urls = [env.serverUrl, await env.startServer(), await env.startServer()];
  const db = new PgClient({ connectionString: env.databaseUrl });
  await db.connect();
  db.on('error', () => undefined); // the harness drops the database with FORCE at the end
  const [{ owner, risk }] = (await db.query(
    `WITH o AS (INSERT INTO owner (id, kind, name) VALUES (gen_random_uuid(), 'TEAM', 'Fan-out') RETURNING id),
          s AS (INSERT INTO scope (id, key, name, certification, owner_id) SELECT gen_random_uuid(), 'fanout', 'Fan-out', 'CERTIFIABLE', id FROM o RETURNING id, owner_id)
     INSERT INTO risk (id, title, scope_id, owner_id, likelihood, impact, inherent_score, residual_score)
     SELECT gen_random_uuid(), 'Fan-out', s.id, s.owner_id, 2, 2, 4, 4 FROM s RETURNING owner_id AS owner, id AS risk`)).rows;

  // Fire whatever is already due (the other cases' datasets hold overdue tasks) before anyone
  // subscribes, so the measured reminders are the only ones in flight.
  const ds = createDataSource(env.databaseUrl, { poolSize: 2 });
  await ds.initialize();
  const log = createLogger('warn');
  await reminderJob.run(ds, new Date(), log);

  const arrivals = new Map<string, number[]>();
  const clients: Client[] = [];
  let subscribed = 0;
  await Promise.all(Array.from({ length: options.subscribers }, (_, i) => new Promise<void>((resolve) => {
    const client = createClient({
      url: `${urls[i % urls.length].replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${env.adminKey}` },
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: () => undefined,
      on: { connected: () => resolve() },
    });
    clients.push(client);
    client.subscribe({ query: 'subscription { reminderFired(filter: { kinds: [TASK_OVERDUE] }) { id } }' }, {
      next: (value) => {
        const id = (value.data as { reminderFired: { id: string } }).reminderFired.id;
        const list = arrivals.get(id);
        if (list) list.push(performance.now());
        else arrivals.set(id, [performance.now()]);
      },
      error: () => undefined,
      complete: () => undefined,
    });
    subscribed += 1;
  })));
  await new Promise((r) => setTimeout(r, 1000)); // let every subscription register

  const listener = new PgClient({ connectionString: env.databaseUrl });
  await listener.connect();
  listener.on('error', () => undefined);
  const committedAt = new Map<string, number>();
  listener.on('notification', (n) => {
    const { id } = JSON.parse(n.payload ?? '{}') as { id: string };
    committedAt.set(id, performance.now());
  });
  await listener.query('LISTEN isms_reminder');

  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < options.reminders; i += 1) {
    await db.query(`INSERT INTO treatment_task (id, title, risk_id, assignee_id, due_date, status) VALUES (gen_random_uuid(), 'Overdue', $1, $2, current_date - 1, 'OPEN')`, [risk, owner]);
    const before = new Set(committedAt.keys());
    await reminderJob.run(ds, new Date(), log);
    const deadline = Date.now() + 30_000;
    let id: string | undefined;
    while (!id || (arrivals.get(id)?.length ?? 0) < options.subscribers) {
      id ??= [...committedAt.keys()].find((k) => !before.has(k));
      if (Date.now() > deadline) throw new Error(`reminder ${id} reached ${arrivals.get(id ?? '')?.length ?? 0} of ${options.subscribers} subscribers`);
      await new Promise((r) => setTimeout(r, 5));
    }
    for (const t of arrivals.get(id)!) latencies.push(t - committedAt.get(id)!);
  }
  const server = summary(latencies, (performance.now() - started) / 1000);

  // baseline: NOTIFY on one connection, timed until another connection's LISTEN hears it
  const roundTrips: number[] = [];
  const sender = new PgClient({ connectionString: env.databaseUrl });
  await sender.connect();
  sender.on('error', () => undefined);
  await listener.query('LISTEN bench_round_trip');
  const baselineStarted = performance.now();
  for (let i = 0; i < 200; i += 1) {
    const heard = new Promise<number>((resolve) => {
      const onNote = (n: { channel: string }) => {
        if (n.channel !== 'bench_round_trip') return;
        listener.removeListener('notification', onNote);
        resolve(performance.now());
      };
      listener.on('notification', onNote);
    });
    const t0 = performance.now();
    await sender.query(`SELECT pg_notify('bench_round_trip', $1)`, [String(i)]);
    roundTrips.push((await heard) - t0);
  }
  const baseline = summary(roundTrips, (performance.now() - baselineStarted) / 1000);
  await Promise.all(clients.map((c) => Promise.resolve(c.dispose()).catch(() => undefined)));
  await Promise.all([listener.end(), sender.end(), db.end(), ds.destroy()]);
  return {
    name: `reminder fan-out to ${subscribed} subscribers on 3 instances (p95 column = p99)`,
    server,
    baseline,
    baselineName: 'bare NOTIFY → LISTEN round trip over pg',
    statementsPerRequest: NaN,
    notes: `${options.reminders} reminders × ${subscribed} subscribers`,
  };
}
