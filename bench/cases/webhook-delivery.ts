import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client as PgClient } from 'pg';
import { createDataSource } from '../../src/db/data-source';
import { createLogger } from '../../src/common/logger';
import { loadConfig } from '../../src/config';
import { createWebhookDeliveryJob, webhookBody, WEBHOOK_POLICY } from '../../src/modules/webhook/webhook.job';
import { generateWebhookSecret, signWebhook } from '../../src/modules/webhook/webhook.signing';
import { postWebhook } from '../../src/modules/webhook/webhook.http';
import { startScheduler } from '../../src/jobs/scheduler';
import { graphql, type BenchEnv, type CaseResult, type Measurement } from '../harness';

function summary(latencies: number[], seconds: number, count = latencies.length): Measurement {
  const sorted = [...latencies].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { requests: count, perSecond: count / seconds, p50Ms: pick(0.5), p95Ms: pick(0.95) };
}

/** A local receiver answering 204 at once; it records when each event (by entity id) first arrived. */
async function startReceiver(): Promise<{ url: string; arrivals: Map<string, number>; requests: () => number; close(): Promise<void> }> {
  const arrivals = new Map<string, number>();
  let requests = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      requests += 1;
      const { data } = JSON.parse(body) as { data: { entityId: string } };
      if (!arrivals.has(data.entityId)) arrivals.set(data.entityId, performance.now());
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    arrivals,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function createOwners(env: BenchEnv, n: number, concurrency: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      next += 1;
      const { body } = await graphql(env, 'mutation($name: String!) { createOwner(input: { kind: TEAM, name: $name }) { id } }', { name: `${tag} ${next}` });
      ids.push((JSON.parse(body) as { data: { createOwner: { id: string } } }).data.createOwner.id);
    }
  }));
  return ids;
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * Webhook delivery throughput to one local receiver, two ways:
 * - drain: `events` committed writes are waiting in the outbox; one pass of the delivery job (in
 *   this process) fans them out, claims, signs, POSTs and records them. Baseline: the same number
 *   of signed POSTs straight to the receiver with the same number in flight, no database.
 *   p50/p95 = time from the start until an event reached the receiver.
 * - live: the scheduler (src/jobs/scheduler.ts) runs the delivery job every 50 ms in this process,
 *   as a server with SCHEDULER_INTERVAL_MS=50 would, while `events` writes commit through the API;
 *   each event is timed from its commit (its NOTIFY heard on a LISTEN connection) to its arrival.
 *   Baseline: the writes themselves (commit rate, mutation latency).
 */
export async function webhookDeliveryCases(env: BenchEnv, options: { events: number; writeConcurrency: number }): Promise<CaseResult[]> {
  const receiver = await startReceiver();
  const ds = createDataSource(env.databaseUrl, { poolSize: 10 });
  await ds.initialize();
  const log = createLogger('warn');
  const job = createWebhookDeliveryJob({ config: loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'true' }) });
  const results: CaseResult[] = [];
  try {
    await job.run(ds, new Date(), log); // earlier cases' events: no endpoint wants them
    const secret = generateWebhookSecret();
    await ds.query(
      `INSERT INTO webhook_endpoint (id, url, event_types, secret, description) VALUES ($1, $2, '{OWNER}', $3, 'bench')`,
      [randomUUID(), receiver.url, secret],
    );

    // drain
    const drained = await createOwners(env, options.events, options.writeConcurrency, 'Drain');
    const started = performance.now();
    await job.run(ds, new Date(), log);
    await waitFor(() => drained.every((id) => receiver.arrivals.has(id)), 60_000, 'the drained events');
    const drainSeconds = (performance.now() - started) / 1000;
    const server = summary(drained.map((id) => receiver.arrivals.get(id)! - started), drainSeconds);
    const [{ n: succeeded }] = await ds.query(`SELECT count(*)::int AS n FROM webhook_delivery WHERE status = 'SUCCEEDED'`);
    if (succeeded !== options.events) throw new Error(`${succeeded} of ${options.events} deliveries recorded as delivered`);

    const inFlight = WEBHOOK_POLICY.workers * WEBHOOK_POLICY.claimBatch;
    const body = webhookBody({ event_id: randomUUID(), entity_type: 'OWNER', entity_id: '', action: 'CREATED', version: 1, scope_ids: [], at: new Date(), audit_event_id: randomUUID() });
    const bare: number[] = [];
    let next = 0;
    const baselineStarted = performance.now();
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next < options.events) {
        next += 1;
        const id = randomUUID();
        const payload = body.replace('"entityId":""', `"entityId":"${id}"`);
        const timestamp = Math.floor(Date.now() / 1000);
        const result = await postWebhook(new URL(receiver.url), { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(secret, id, timestamp, payload) }, payload, { allowPrivate: true, timeoutMs: 10_000 });
        if (!result.ok) throw new Error(`baseline POST failed: ${result.error}`);
        bare.push(performance.now() - baselineStarted);
      }
    }));
    const baseline = summary(bare, (performance.now() - baselineStarted) / 1000);
    results.push({
      name: `webhook delivery, drain of ${options.events} queued events → receiver 2xx (one instance)`,
      server,
      baseline,
      baselineName: `bare signed POSTs to the receiver, ${inFlight} in flight, no database`,
      statementsPerRequest: NaN,
      notes: `${Math.round(server.perSecond)} events/s; p50/p95 = time from the start until the event arrived`,
    });

    // live: commit → receiver 2xx while the scheduler delivers every 50 ms
    const scheduler = startScheduler({ db: ds, log, intervalMs: 50, jobs: [job] });
    const listener = new PgClient({ connectionString: env.databaseUrl });
    await listener.connect();
    const committedAt = new Map<string, number>();
    listener.on('notification', (n) => {
      const { entityId } = JSON.parse(n.payload ?? '{}') as { entityId: string };
      if (!committedAt.has(entityId)) committedAt.set(entityId, performance.now());
    });
    await listener.query('LISTEN isms_changed');
    const writeLatencies: number[] = [];
    const liveStarted = performance.now();
    const live: string[] = [];
    let issued = 0;
    await Promise.all(Array.from({ length: options.writeConcurrency }, async () => {
      while (issued < options.events) {
        issued += 1;
        const t0 = performance.now();
        const { body: answer } = await graphql(env, 'mutation($name: String!) { createOwner(input: { kind: TEAM, name: $name }) { id } }', { name: `Live ${issued}` });
        writeLatencies.push(performance.now() - t0);
        live.push((JSON.parse(answer) as { data: { createOwner: { id: string } } }).data.createOwner.id);
      }
    }));
    const writesSeconds = (performance.now() - liveStarted) / 1000;
    await waitFor(() => live.every((id) => receiver.arrivals.has(id) && committedAt.has(id)), 60_000, 'the live events');
    await scheduler.stop();
    const firstCommit = Math.min(...live.map((id) => committedAt.get(id)!));
    const lastArrival = Math.max(...live.map((id) => receiver.arrivals.get(id)!));
    await listener.end();
    results.push({
      name: `webhook delivery, live: ${options.events} writes → receiver 2xx (delivery job every 50 ms)`,
      server: summary(live.map((id) => receiver.arrivals.get(id)! - committedAt.get(id)!), (lastArrival - firstCommit) / 1000),
      baseline: summary(writeLatencies, writesSeconds),
      baselineName: `the createOwner mutations alone (${options.writeConcurrency} in flight)`,
      statementsPerRequest: NaN,
      notes: `p50/p95 = commit → receiver; ${receiver.requests()} POSTs received in all`,
    });
  } finally {
    await ds.destroy();
    await receiver.close();
  }
  return results;
}
