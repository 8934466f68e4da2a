import fs from 'node:fs/promises';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'graphql-ws';
import {
  countOf, gqlAt, kill, percentile, prepareDatabase, sleep, sqlAt, startDatabase, startInstance as startProcess, stopDatabase, stopInstances, subscribeAt, until,
  type DatabaseProcess, type Instance,
} from './cluster';
import { WEBHOOK_POLICY } from '../../src/modules/webhook/webhook.job';

/**
 * Two real server processes A and B on an embedded PostgreSQL of the test's own, under a
 * continuous mixed load (reads, createOwner, createTreatmentTask with overdue tasks) against both.
 * A is killed with SIGKILL mid-load, right after a burst of overdue tasks and while it has a
 * webhook request in flight (the receiver holds its answers until it sees one from A's process);
 * the load client notices A's connection failures and sends A's share to B, as a load balancer
 * would. B never fails a request; every acknowledged write is stored; every due reminder fires once
 * and reaches B's subscribers once; every webhook event is delivered, a webhook-id reaching the
 * receiver twice only when A died holding its lease (at least once, deduplicated by webhook-id).
 */

// about 45 s in all, 30 s of it waiting for the lease of the delivery A died holding
jest.setTimeout(150_000);

/** Failures that mean "the instance is gone", as opposed to an answer from it. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
/** A delivery claimed by A is redelivered only after its lease (30 s) runs out. */
const LEASE_MS = Math.max(WEBHOOK_POLICY.leaseMs, WEBHOOK_POLICY.requestTimeoutMs * 2);
const WORKERS_PER_INSTANCE = 3;
const BASELINE_MS = 4_000;
const AFTER_KILL_MS = 6_000;
const BURST = 300;

type Target = 'A' | 'B';
interface Sample { target: Target; op: string; startedAt: number; endedAt: number; failure?: string }
interface Write { target: Target; table: 'owner' | 'treatment_task'; id: string; at: number }
interface Receipt { id: string; timestamp: string; signature: string; body: string; at: number; port: number; held: boolean }

let embedded: DatabaseProcess;
let dataDir: string;
let dbUrl: string;
let adminKey: string;
let ownerId: string;
let riskId: string;
let a: Instance;
let b: Instance;
const instances: Instance[] = [];
const clients: Client[] = [];
const receipts: Receipt[] = [];
let receiver: http.Server;
let receiverUrl: string;
/** While set, the receiver holds its answers: deliveries stay in flight, so A dies holding some. */
let holding = false;
const held: Array<() => void> = [];
let load: ReturnType<typeof startLoad> | undefined;

const sql = <T = any>(text: string, params: unknown[] = []) => sqlAt<T>(dbUrl, text, params);

async function startInstance(): Promise<Instance> {
  const instance = await startProcess(dbUrl, { SCHEDULER_INTERVAL_MS: '100', WEBHOOK_ALLOW_PRIVATE: 'true', RATE_LIMIT_PER_MINUTE: '0' });
  instances.push(instance);
  return instance;
}

function subscribeReminders(instance: Instance): { ids: string[]; connected: Promise<void> } {
  const ids: string[] = [];
  const subscription = subscribeAt(instance.url, adminKey, 'subscription { reminderFired(filter: { kinds: [TASK_OVERDUE] }) { id subjectId } }', (data) => ids.push(data.reminderFired.id));
  clients.push(subscription.client);
  return { ids, connected: subscription.connected };
}

const yesterday = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

/** One request of the mixed load; returns the written id for a write. */
async function operation(url: string, n: number): Promise<{ op: string; table?: Write['table']; id?: string }> {
  const kind = n % 3;
  if (kind === 0) {
    const reply = await gqlAt(url, adminKey, '{ treatmentTasks(first: 20) { edges { node { id title status } } } owners(first: 5) { edges { node { id name } } } }');
    if (reply.status !== 200 || reply.errors || !reply.data) throw new Answered(reply.status, reply.errors?.[0]?.extensions?.code);
    return { op: 'read' };
  }
  if (kind === 1) {
    const reply = await gqlAt(url, adminKey, 'mutation($name: String!) { createOwner(input: { kind: TEAM, name: $name }) { id } }', { name: `Load owner ${n}` });
    if (reply.status !== 200 || reply.errors || !reply.data) throw new Answered(reply.status, reply.errors?.[0]?.extensions?.code);
    return { op: 'createOwner', table: 'owner', id: reply.data.createOwner.id as string };
  }
  const reply = await gqlAt(url, adminKey, 'mutation($input: CreateTreatmentTaskInput!) { createTreatmentTask(input: $input) { id } }', {
    input: { title: `Load task ${n}`, riskId, assigneeId: ownerId, dueDate: yesterday() },
  });
  if (reply.status !== 200 || reply.errors || !reply.data) throw new Answered(reply.status, reply.errors?.[0]?.extensions?.code);
  return { op: 'createTreatmentTask', table: 'treatment_task', id: reply.data.createTreatmentTask.id as string };
}

/** The instance answered, but not with data: never acceptable, on A or on B. */
class Answered extends Error {
  constructor(status: number, code: unknown) {
    super(`answered ${status} ${String(code ?? '')}`);
  }
}

function failureOf(err: unknown): string {
  if (err instanceof Answered) return err.message;
  const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
  return code && CONNECTION_CODES.has(code) ? code : `other: ${String(err)}`;
}

/**
 * The load client: workers per instance, each sending one request after the other until `stop`.
 * A worker whose instance fails at the connection level marks it down; from then on every worker
 * of that instance sends to B instead.
 */
function startLoad() {
  const samples: Sample[] = [];
  const writes: Write[] = [];
  const state = { stop: false, aDownAt: null as number | null, n: 0 };
  const worker = async (home: Target) => {
    while (!state.stop) {
      const target: Target = home === 'A' && state.aDownAt === null ? 'A' : 'B';
      const n = (state.n += 1);
      const startedAt = Date.now();
      try {
        const done = await operation(target === 'A' ? a.url : b.url, n);
        samples.push({ target, op: done.op, startedAt, endedAt: Date.now() });
        if (done.table && done.id) writes.push({ target, table: done.table, id: done.id, at: Date.now() });
      } catch (err) {
        const failure = failureOf(err);
        samples.push({ target, op: `#${n % 3}`, startedAt, endedAt: Date.now(), failure });
        if (target === 'A' && CONNECTION_CODES.has(failure) && state.aDownAt === null) state.aDownAt = Date.now();
        if (target === 'B') await sleep(50); // keep going, but do not spin on a broken B
      }
    }
  };
  const running = Promise.all([
    ...Array.from({ length: WORKERS_PER_INSTANCE }, () => worker('A')),
    ...Array.from({ length: WORKERS_PER_INSTANCE }, () => worker('B')),
  ]);
  return { samples, writes, state, finish: async () => { state.stop = true; await running; } };
}


/**
 * The local ports of the established connections process `pid` holds to the receiver: which
 * instance sent a webhook request, read from Linux's /proc (its socket inodes, found in
 * /proc/net/tcp).
 */
async function portsToReceiver(pid: number): Promise<Set<number>> {
  const inodes = new Set<string>();
  for (const fd of await fs.readdir(`/proc/${pid}/fd`)) {
    const socket = /^socket:\[(\d+)\]$/.exec(await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''));
    if (socket) inodes.add(socket[1]);
  }
  const receiverPort = (receiver.address() as AddressInfo).port;
  const port = (hexAddress: string) => parseInt(hexAddress.split(':')[1], 16);
  const ports = new Set<number>();
  for (const line of (await fs.readFile('/proc/net/tcp', 'utf8')).split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 9 && f[3] === '01' && port(f[2]) === receiverPort && inodes.has(f[9])) ports.add(port(f[1]));
  }
  return ports;
}


beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'isms-graph-killfault-'));
  embedded = await startDatabase(dataDir);
  const prepared = await prepareDatabase(embedded.url, 'isms_killfault');
  ({ url: dbUrl, adminKey, ownerId } = prepared);
  const [{ id: scopeId }] = await sql(`INSERT INTO scope (id, key, name, certification, owner_id) VALUES (gen_random_uuid(), 'kill', 'Kill', 'CERTIFIABLE', $1) RETURNING id`, [ownerId]);
  [{ id: riskId }] = await sql(
    `INSERT INTO risk (id, title, scope_id, owner_id, likelihood, impact, inherent_score, residual_score) VALUES (gen_random_uuid(), 'R', $1, $2, 2, 2, 4, 4) RETURNING id`,
    [scopeId, ownerId],
  );

  receiver = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      receipts.push({
        id: String(req.headers['webhook-id']),
        timestamp: String(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature']),
        body,
        at: Date.now(),
        port: req.socket.remotePort!,
        held: holding,
      });
      const answer = () => {
        if (!res.destroyed) res.writeHead(200).end();
      };
      if (holding) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/isms`;

  [a, b] = await Promise.all([startInstance(), startInstance()]);
});

afterAll(async () => {
  // a failed assertion leaves the load running and answers held
  holding = false;
  for (const answer of held.splice(0)) answer();
  await load?.finish();
  await Promise.all(clients.map((c) => Promise.resolve(c.dispose()).catch(() => undefined)));
  await stopInstances(instances);
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
  if (embedded) await stopDatabase(embedded);
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

test('an instance killed under load: the other keeps serving, every write stays, reminders and webhooks are delivered once', async () => {
  const started = Date.now();
  const created = await gqlAt(b.url, adminKey,
    'mutation($url: String!) { createWebhookEndpoint(input: { url: $url, eventTypes: [OWNER, TREATMENT_TASK] }) { secret endpoint { id } } }',
    { url: receiverUrl });
  expect(created.errors).toBeUndefined();
  const secret: string = created.data.createWebhookEndpoint.secret;
  const endpointId: string = created.data.createWebhookEndpoint.endpoint.id;
  const subscribers = [subscribeReminders(b), subscribeReminders(b)];
  await Promise.all(subscribers.map((s) => s.connected));
  await sleep(300);

  // load on both; then a burst of overdue tasks (reminders due on both instances), and the
  // receiver holds its answers until A has a webhook request in flight: A dies holding its lease
  load = startLoad();
  await sleep(BASELINE_MS);
  holding = true;
  const holdFrom = Date.now();
  await sql(
    `INSERT INTO treatment_task (id, title, risk_id, assignee_id, due_date, status)
     SELECT gen_random_uuid(), 'Burst ' || g, $1, $2, current_date - 1, 'OPEN' FROM generate_series(1, $3) g`,
    [riskId, ownerId, BURST],
  );
  const heldOnA = new Set<string>();
  await until(async () => {
    const ports = await portsToReceiver(a.child.pid!);
    for (const r of receipts) if (r.held && ports.has(r.port)) heldOnA.add(r.id);
    return heldOnA.size > 0;
  }, 30_000, 'instance A to have a webhook request in flight', 100).catch(async (err) => {
    const onB = await portsToReceiver(b.child.pid!);
    const heldNow = receipts.filter((r) => r.held);
    throw new Error(`${String(err)} (held ${heldNow.length}, from B ${heldNow.filter((r) => onB.has(r.port)).length}); A: ${a.output().slice(-2000)}`);
  });
  const holdMs = Date.now() - holdFrom;
  const killedAt = Date.now();
  await kill(a);
  // A's leases and B's, as the kill left them; B records its own once answered
  const leased = await sql<{ id: string; locked_until: Date }>(`SELECT id, locked_until FROM webhook_delivery WHERE status = 'PENDING' AND locked_until IS NOT NULL`);
  holding = false;
  for (const answer of held.splice(0)) answer();
  await sleep(AFTER_KILL_MS);
  await load.finish();
  const { samples, writes, state } = load;

  // B: not one failure, before, during or after the kill; its latency stays bounded
  const onB = samples.filter((s) => s.target === 'B');
  expect(onB.filter((s) => s.failure)).toEqual([]);
  const ms = (list: Sample[]) => list.map((s) => s.endedAt - s.startedAt);
  const before = ms(onB.filter((s) => s.endedAt < killedAt));
  const after = ms(onB.filter((s) => s.startedAt > killedAt));
  const figures = {
    before: { n: before.length, p50: percentile(before, 50), p95: percentile(before, 95) },
    after: { n: after.length, p50: percentile(after, 50), p95: percentile(after, 95), max: Math.max(...after) },
  };
  console.log(`B latency ms (A's workers moved to B after the kill): ${JSON.stringify(figures)}`);
  expect(before.length).toBeGreaterThan(5);
  expect(after.length).toBeGreaterThan(10);
  // generous: B carries A's share after the kill on a shared 2-core machine; a stall behind A's
  // dead connections or locks would show as seconds
  expect(figures.after.p95).toBeLessThan(Math.max(2_000, 5 * figures.before.p95));
  expect(figures.after.max).toBeLessThan(10_000);

  // A: served before the kill; afterwards failed at the connection level only, and was dropped
  const onA = samples.filter((s) => s.target === 'A');
  expect(onA.filter((s) => !s.failure && s.endedAt < killedAt).length).toBeGreaterThan(5);
  const failedOnA = onA.filter((s) => s.failure);
  expect(failedOnA.length).toBeGreaterThan(0);
  for (const failure of failedOnA) {
    expect(CONNECTION_CODES.has(failure.failure!)).toBe(true);
    expect(failure.endedAt).toBeGreaterThanOrEqual(killedAt);
  }
  expect(state.aDownAt).not.toBeNull();
  expect(onA.filter((s) => s.startedAt > state.aDownAt!)).toEqual([]);

  // every acknowledged write is stored, on A before the kill as on B
  expect(writes.filter((w) => w.target === 'A').length).toBeGreaterThan(0);
  expect(writes.filter((w) => w.target === 'B' && w.at > killedAt).length).toBeGreaterThan(0);
  for (const table of ['owner', 'treatment_task'] as const) {
    const ids = writes.filter((w) => w.table === table).map((w) => w.id);
    const [{ n }] = await sql(`SELECT count(*)::int AS n FROM ${table} WHERE id = ANY($1::uuid[])`, [ids]);
    expect(n).toBe(ids.length);
  }

  // every overdue task (acknowledged or not, API or burst) has one reminder, fired once
  const tasks = (await sql<{ id: string }>('SELECT id FROM treatment_task WHERE risk_id = $1', [riskId])).map((t) => t.id);
  expect(tasks.length).toBeGreaterThan(BURST);
  const firedOf = () => sql<{ id: string; subject_id: string; fired: boolean }>(
    `SELECT id, subject_id, fired_at IS NOT NULL AS fired FROM reminder WHERE subject_id = ANY($1::uuid[]) AND kind = 'TASK_OVERDUE'`, [tasks]);
  await until(async () => (await firedOf()).filter((r) => r.fired).length === tasks.length, 30_000, `${tasks.length} fired reminders`, 200);
  const reminders = await firedOf();
  expect(reminders.map((r) => r.subject_id).sort()).toEqual([...tasks].sort()); // one row per subject
  const reminderIds = reminders.map((r) => r.id).sort();
  await until(() => subscribers.every((s) => new Set(s.ids).size >= reminderIds.length), 20_000, 'B\'s subscribers to hear every reminder', 100);
  await sleep(500);
  for (const subscriber of subscribers) {
    const counts = countOf(subscriber.ids);
    expect([...counts.keys()].sort()).toEqual(reminderIds);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  }

  // webhooks: every event fanned out to one delivery, every delivery succeeded (a lease A died
  // holding expires after LEASE_MS, then B delivers it)
  const pending = async () => (await sql(
    `SELECT (SELECT count(*) FROM outbox_event WHERE dispatched_at IS NULL)
          + (SELECT count(*) FROM webhook_delivery WHERE status <> 'SUCCEEDED') AS n`))[0].n;
  await until(async () => Number(await pending()) === 0, LEASE_MS + 15_000, 'every webhook delivery to succeed', 250);
  const deliveries = await sql<{ id: string; event_id: string; entity_id: string; status: string; attempts: number; delivered_at: Date }>(
    `SELECT d.id, d.event_id, o.entity_id, d.status, d.attempts, d.delivered_at FROM outbox_event o
       LEFT JOIN webhook_delivery d ON d.event_id = o.id AND d.endpoint_id = $1`, [endpointId]);
  expect(deliveries.filter((d) => d.id === null || d.status !== 'SUCCEEDED' || d.attempts !== 1)).toEqual([]);
  expect(new Set(deliveries.map((d) => d.event_id)).size).toBe(deliveries.length); // one per event
  const ackedIds = writes.map((w) => w.id);
  const delivered = new Set(deliveries.map((d) => d.entity_id));
  expect(ackedIds.filter((id) => !delivered.has(id))).toEqual([]);
  // a lease taken before the kill was either B's, recorded within it, or A's, orphaned: delivered
  // again only once it had run out. A's include every request A had in flight.
  const deliveredAt = new Map(deliveries.map((d) => [d.id, d.delivered_at.getTime()]));
  const orphans = leased.filter((l) => deliveredAt.get(l.id)! >= l.locked_until.getTime());
  const orphanIds = new Set(orphans.map((o) => o.id));
  expect([...heldOnA].filter((id) => !orphanIds.has(id))).toEqual([]);
  expect(orphans.length).toBeLessThanOrEqual(WEBHOOK_POLICY.workers * WEBHOOK_POLICY.claimBatch); // what A can hold at once
  const [{ n: otherDeliveries }] = await sql(`SELECT count(*)::int AS n FROM webhook_delivery WHERE endpoint_id <> $1`, [endpointId]);
  expect(otherDeliveries).toBe(0);

  // the receiver: every request signed; every webhook-id received; a webhook-id twice only when A
  // died holding it: first received before the kill, again only once its lease had run out
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  for (const r of receipts) {
    expect(r.signature).toBe(`v1,${createHmac('sha256', key).update(`${r.id}.${r.timestamp}.${r.body}`).digest('base64')}`);
  }
  const byId = new Map<string, Receipt[]>();
  for (const r of receipts) byId.set(r.id, [...(byId.get(r.id) ?? []), r]);
  expect([...byId.keys()].sort()).toEqual(deliveries.map((d) => d.id).sort());
  const eventOf = new Map(deliveries.map((d) => [d.id, d.event_id]));
  for (const r of receipts) expect((JSON.parse(r.body) as { data: { eventId: string } }).data.eventId).toBe(eventOf.get(r.id));
  const twice = [...byId.values()].filter((list) => list.length > 1);
  // the requests A had in flight came again (and maybe some A sent just before dying)
  const twiceIds = new Set(twice.map((list) => list[0].id));
  expect([...heldOnA].filter((id) => !twiceIds.has(id))).toEqual([]);
  for (const list of twice) {
    expect(orphanIds.has(list[0].id)).toBe(true);
    expect(list).toHaveLength(2);
    expect(list[0].at).toBeLessThanOrEqual(killedAt);
    expect(list[1].at - list[0].at).toBeGreaterThan(LEASE_MS - 5_000);
  }
  console.log(`writes acknowledged: A ${writes.filter((w) => w.target === 'A').length}, B ${writes.filter((w) => w.target === 'B').length}; `
    + `A failures ${JSON.stringify([...countOf(failedOnA.map((f) => f.failure!))])}; reminders ${reminderIds.length}; `
    + `deliveries ${deliveries.length} (held ${holdMs} ms until A had one in flight), `
    + `orphaned on A ${orphans.length}, received twice ${twice.length}; test ran ${Math.round((Date.now() - started) / 1000)} s`);
});
