import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { Client as PgClient } from 'pg';
import { createClient, type Client } from 'graphql-ws';
import { freePort, withDatabase } from '../../src/db/embedded';
import { Permission } from '../../src/auth/permissions';

/**
 * Three real server processes on one database of their own (an embedded PostgreSQL this test
 * starts, stops and restarts), each with a graphql-ws subscriber: every reminder fires once in the
 * database and reaches every subscriber once, also when an instance is killed mid-batch, and the
 * listeners recover by themselves after the database restarts.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');
// the migrations are compiled JS, so the database is prepared with the build, as global-setup does
/* eslint-disable @typescript-eslint/no-require-imports */
const { createDataSource } = require(path.join(ROOT, 'dist', 'src', 'db', 'data-source.js'));
const { migrateUnderLock } = require(path.join(ROOT, 'dist', 'src', 'db', 'migrate.js'));
const { issueKey } = require(path.join(ROOT, 'dist', 'src', 'auth', 'api-key.service.js'));
jest.setTimeout(180_000);

interface Instance {
  child: ChildProcess;
  url: string;
  exited: Promise<void>;
  log: () => string;
}

let embedded: { child: ChildProcess; url: string };
let dataDir: string;
let dbUrl: string;
let adminKey: string;
let ids: { ownerId: string; scopeId: string; riskId: string };
const instances: Instance[] = [];
const clients: Client[] = [];

/** Starts (or restarts) the test's own embedded PostgreSQL in a child process. */
async function startDatabase(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'embedded-pg.mjs'), dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`embedded PostgreSQL exited with ${code}`)));
  });
  return { child, url };
}

async function stopDatabase(db: { child: ChildProcess }): Promise<void> {
  if (db.child.exitCode !== null) return;
  const exited = new Promise((resolve) => db.child.once('exit', resolve));
  db.child.kill('SIGTERM');
  await exited;
}

async function sql<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new PgClient({ connectionString: dbUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

async function startInstance(): Promise<Instance> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: dbUrl, PORT: String(port), LOG_LEVEL: 'warn', NODE_ENV: 'test', SCHEDULER_INTERVAL_MS: '150' };
  delete env.TEST_ADMIN_URL;
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i += 1) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || i > 300) throw new Error(`instance did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const instance = { child, url, exited, log: () => out };
  instances.push(instance);
  return instance;
}

interface Received {
  ids: string[];
  connected: Promise<void>;
}

function subscribeReminders(instance: Instance): Received {
  let onConnected!: () => void;
  const received: Received = { ids: [], connected: new Promise<void>((r) => (onConnected = r)) };
  const client = createClient({
    url: `${instance.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${adminKey}` },
    lazy: false,
    onNonLazyError: () => undefined, // closes are asserted, not logged
    retryAttempts: 0,
    on: { connected: () => onConnected() },
  });
  clients.push(client);
  client.subscribe({ query: 'subscription { reminderFired(filter: { kinds: [TASK_OVERDUE] }) { id kind subjectId } }' }, {
    next: (value) => {
      const fired = (value.data as { reminderFired?: { id: string } } | undefined)?.reminderFired;
      if (fired) received.ids.push(fired.id);
    },
    error: () => undefined,
    complete: () => undefined,
  });
  return received;
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

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const countOf = (list: string[]) => list.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<string, number>());

async function firedReminders(taskIds: string[]): Promise<Array<{ id: string; fired: boolean }>> {
  return sql(`SELECT id, fired_at IS NOT NULL AS fired FROM reminder WHERE subject_id = ANY($1::uuid[]) AND kind = 'TASK_OVERDUE'`, [taskIds]);
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'isms-graph-multi-'));
  embedded = await startDatabase(dataDir);
  const admin = new PgClient({ connectionString: embedded.url });
  await admin.connect();
  await admin.query('CREATE DATABASE isms_multi');
  await admin.end();
  dbUrl = withDatabase(embedded.url, 'isms_multi');
  const ds = createDataSource(dbUrl, { poolSize: 2 });
  await ds.initialize();
  await migrateUnderLock(dbUrl, ds);
  const ownerId = randomUUID();
  await ds.query(`INSERT INTO owner (id, kind, name) VALUES ($1, 'TEAM', 'Multi')`, [ownerId]);
  const { secret } = await ds.transaction((tx: unknown) => issueKey(tx, {
    id: randomUUID(), name: 'multi', ownerId, permissions: [Permission.ADMIN], scopeIds: null, expiresAt: new Date(Date.now() + 86_400_000), createdByKeyId: null,
  }));
  adminKey = secret;
  const [{ id: scopeId }] = await ds.query(`INSERT INTO scope (id, key, name, certification, owner_id) VALUES (gen_random_uuid(), 'multi', 'Multi', 'CERTIFIABLE', $1) RETURNING id`, [ownerId]);
  const [{ id: riskId }] = await ds.query(
    `INSERT INTO risk (id, title, scope_id, owner_id, likelihood, impact, inherent_score, residual_score) VALUES (gen_random_uuid(), 'R', $1, $2, 2, 2, 4, 4) RETURNING id`,
    [scopeId, ownerId],
  );
  ids = { ownerId, scopeId, riskId };
  await ds.destroy();
  for (let i = 0; i < 3; i += 1) await startInstance();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => Promise.resolve(c.dispose()).catch(() => undefined)));
  for (const instance of instances) {
    if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill('SIGTERM');
  }
  await Promise.all(instances.map((i) => Promise.race([i.exited, new Promise((r) => setTimeout(r, 10_000))])));
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
