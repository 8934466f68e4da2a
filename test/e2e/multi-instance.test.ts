import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'graphql-ws';
import {
  countOf, prepareDatabase, sqlAt, startDatabase, startInstance as startProcess, stopDatabase, stopInstances, subscribeAt, until,
  type DatabaseProcess, type Instance,
} from './cluster';

/**
 * Three real server processes on one database of their own (an embedded PostgreSQL this test
 * starts, stops and restarts), each with a graphql-ws subscriber: every reminder fires once in the
 * database and reaches every subscriber once, also when an instance is killed mid-batch, and the
 * listeners recover by themselves after the database restarts.
 */

jest.setTimeout(180_000);

let embedded: DatabaseProcess;
let dataDir: string;
let dbUrl: string;
let adminKey: string;
let ids: { ownerId: string; scopeId: string; riskId: string };
const instances: Instance[] = [];
const clients: Client[] = [];

const sql = <T = any>(text: string, params: unknown[] = []) => sqlAt<T>(dbUrl, text, params);

async function startInstance(): Promise<Instance> {
  const instance = await startProcess(dbUrl, { SCHEDULER_INTERVAL_MS: '150' });
  instances.push(instance);
  return instance;
}

interface Received {
  ids: string[];
  connected: Promise<void>;
}

function subscribeReminders(instance: Instance): Received {
  const ids: string[] = [];
  const subscription = subscribeAt(instance.url, adminKey, 'subscription { reminderFired(filter: { kinds: [TASK_OVERDUE] }) { id kind subjectId } }', (data) => ids.push(data.reminderFired.id));
  clients.push(subscription.client);
  return { ids, connected: subscription.connected };
}

/** Makes `n` treatment tasks overdue (due yesterday): each plans and fires one TASK_OVERDUE reminder. */
async function makeOverdueTasks(n: number): Promise<string[]> {
  const rows = await sql<{ id: string }>(
    `INSERT INTO treatment_task (id, title, risk_id, assignee_id, due_date, status)
     SELECT gen_random_uuid(), 'Task ' || g, $1, $2, current_date - 1, 'OPEN' FROM generate_series(1, $3) g RETURNING id`,
    [ids.riskId, ids.ownerId, n],
  );
  return rows.map((r) => r.id);
}


async function firedReminders(taskIds: string[]): Promise<Array<{ id: string; fired: boolean }>> {
  return sql(`SELECT id, fired_at IS NOT NULL AS fired FROM reminder WHERE subject_id = ANY($1::uuid[]) AND kind = 'TASK_OVERDUE'`, [taskIds]);
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'isms-graph-multi-'));
  embedded = await startDatabase(dataDir);
  const prepared = await prepareDatabase(embedded.url, 'isms_multi');
  dbUrl = prepared.url;
  adminKey = prepared.adminKey;
  const { ownerId } = prepared;
  const [{ id: scopeId }] = await sql(`INSERT INTO scope (id, key, name, certification, owner_id) VALUES (gen_random_uuid(), 'multi', 'Multi', 'CERTIFIABLE', $1) RETURNING id`, [ownerId]);
  const [{ id: riskId }] = await sql(
    `INSERT INTO risk (id, title, scope_id, owner_id, likelihood, impact, inherent_score, residual_score) VALUES (gen_random_uuid(), 'R', $1, $2, 2, 2, 4, 4) RETURNING id`,
    [scopeId, ownerId],
  );
  ids = { ownerId, scopeId, riskId };
  for (let i = 0; i < 3; i += 1) await startInstance();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => Promise.resolve(c.dispose()).catch(() => undefined)));
  await stopInstances(instances);
  if (embedded) await stopDatabase(embedded);
  await fs.rm(dataDir, { recursive: true, force: true });
});

test('three instances: 50 due subjects fire 50 reminders once each, and every subscriber receives each once', async () => {
  const subscribers = instances.map(subscribeReminders);
  await Promise.all(subscribers.map((s) => s.connected));
  await new Promise((r) => setTimeout(r, 300));
  const tasks = await makeOverdueTasks(50);
  await until(async () => (await firedReminders(tasks)).filter((r) => r.fired).length === 50, 30_000, '50 fired reminders');
  const stored = await firedReminders(tasks);
  expect(stored).toHaveLength(50);
  const reminderIds = stored.map((r) => r.id).sort();
  await until(() => subscribers.every((s) => s.ids.length >= 50), 15_000, 'every subscriber to hear 50');
  await new Promise((r) => setTimeout(r, 500));
  for (const subscriber of subscribers) {
    expect([...countOf(subscriber.ids).keys()].sort()).toEqual(reminderIds);
    expect([...countOf(subscriber.ids).values()].every((n) => n === 1)).toBe(true);
  }
});

test('an instance killed with SIGKILL mid-batch loses nothing and doubles nothing', async () => {
  const survivors = [instances[0], instances[2]];
  const subscribers = survivors.map(subscribeReminders);
  await Promise.all(subscribers.map((s) => s.connected));
  await new Promise((r) => setTimeout(r, 300));
  const tasks = await makeOverdueTasks(200);
  await new Promise((r) => setTimeout(r, 60));
  instances[1].child.kill('SIGKILL');
  await instances[1].exited;
  await until(async () => (await firedReminders(tasks)).filter((r) => r.fired).length === 200, 60_000, '200 fired reminders');
  const stored = await firedReminders(tasks);
  expect(stored).toHaveLength(200); // one row per subject: none doubled
  const reminderIds = stored.map((r) => r.id).sort();
  await until(() => subscribers.every((s) => new Set(s.ids).size >= 200), 20_000, 'survivors to hear 200');
  await new Promise((r) => setTimeout(r, 500));
  for (const subscriber of subscribers) {
    expect([...countOf(subscriber.ids).keys()].sort()).toEqual(reminderIds);
    expect([...countOf(subscriber.ids).values()].every((n) => n === 1)).toBe(true);
  }
});

test('after the database restarts, the listeners recover by themselves', async () => {
  const live = [instances[0], instances[2]];
  await stopDatabase(embedded);
  await new Promise((r) => setTimeout(r, 1500));
  embedded = await startDatabase(dataDir);
  // the instances answer again without being restarted
  await until(async () => {
    const states = await Promise.all(live.map((i) => fetch(`${i.url}/readyz`).then((r) => r.ok, () => false)));
    return states.every(Boolean);
  }, 30_000, 'instances ready again');
  const subscribers = live.map(subscribeReminders);
  await Promise.all(subscribers.map((s) => s.connected));
  await new Promise((r) => setTimeout(r, 6000)); // listener backoff is at most 5 s
  const tasks = await makeOverdueTasks(20);
  await until(async () => (await firedReminders(tasks)).filter((r) => r.fired).length === 20, 30_000, '20 fired reminders');
  await until(() => subscribers.every((s) => new Set(s.ids).size >= 20), 20_000, 'subscribers to hear 20 after the restart');
  for (const subscriber of subscribers) expect(new Set(subscriber.ids).size).toBe(subscriber.ids.length);
});
