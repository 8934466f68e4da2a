import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { freePort, withDatabase } from '../../src/db/embedded';
import { Permission } from '../../src/auth/permissions';

/**
 * Real processes for the e2e and fault tests: an embedded PostgreSQL of the test's own (in a child
 * process, so it can be stopped and restarted) and built server instances on it.
 */

export const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');
// the migrations are compiled JS, so a database is prepared with the build, as global-setup does
/* eslint-disable @typescript-eslint/no-require-imports */
const dist = (file: string) => require(path.join(ROOT, 'dist', 'src', file));

export interface DatabaseProcess {
  child: ChildProcess;
  /** Admin URL of the server (database `postgres`). */
  url: string;
}

/** Starts (or restarts, on the same folder) an embedded PostgreSQL in a child process. */
export async function startDatabase(dataDir: string): Promise<DatabaseProcess> {
  const child = spawn(process.execPath, [path.join(__dirname, 'embedded-pg.mjs'), dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`embedded PostgreSQL exited with ${code}`)));
  });
  return { child, url };
}

export async function stopDatabase(db: DatabaseProcess): Promise<void> {
  if (db.child.exitCode !== null) return;
  const exited = new Promise((resolve) => db.child.once('exit', resolve));
  db.child.kill('SIGTERM');
  await exited;
}

export interface PreparedDatabase {
  url: string;
  adminKey: string;
  ownerId: string;
}

/** Creates database `name` on the server at `adminUrl`, migrates it and issues an unrestricted key. */
export async function prepareDatabase(adminUrl: string, name: string): Promise<PreparedDatabase> {
  const admin = new PgClient({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withDatabase(adminUrl, name);
  const ds = dist('db/data-source.js').createDataSource(url, { poolSize: 2 });
  await ds.initialize();
  try {
    await dist('db/migrate.js').migrateUnderLock(url, ds);
    const ownerId = randomUUID();
    await ds.query(`INSERT INTO owner (id, kind, name) VALUES ($1, 'TEAM', 'Cluster test')`, [ownerId]);
    const { secret } = await ds.transaction((tx: unknown) => dist('auth/api-key.service.js').issueKey(tx, {
      id: randomUUID(), name: 'cluster', ownerId, permissions: [Permission.ADMIN], scopeIds: null,
      expiresAt: new Date(Date.now() + 86_400_000), createdByKeyId: null,
    }));
    return { url, adminKey: secret, ownerId };
  } finally {
    await ds.destroy();
  }
}

export interface Instance {
  child: ChildProcess;
  url: string;
  exited: Promise<void>;
  /** Everything the instance wrote to stdout and stderr. */
  output: () => string;
}

/** Starts the built server on `databaseUrl` and waits until /readyz answers. */
export async function startInstance(databaseUrl: string, env: Record<string, string> = {}): Promise<Instance> {
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), LOG_LEVEL: 'warn', NODE_ENV: 'test', ...env };
  delete childEnv.TEST_ADMIN_URL;
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
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
  return { child, url, exited, output: () => out };
}

export async function kill(instance: Instance, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill(signal);
  await instance.exited;
}

/** SIGTERM to every instance still running; waits up to 10 s for each to exit. */
export async function stopInstances(instances: Instance[]): Promise<void> {
  for (const instance of instances) {
    if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill('SIGTERM');
  }
  await Promise.all(instances.map((i) => Promise.race([i.exited, new Promise((r) => setTimeout(r, 10_000).unref())])));
}

/** Rows of one SQL statement over a short-lived connection. */
export async function sqlAt<T = any>(databaseUrl: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new PgClient({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export interface GraphqlReply {
  status: number;
  data?: any;
  errors?: Array<{ message: string; extensions?: { code?: string; [k: string]: unknown } }>;
}

/** POSTs one GraphQL request with a bearer key; never throws on GraphQL errors (a network error still throws). */
export async function gqlAt(url: string, key: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphqlReply> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Omit<GraphqlReply, 'status'>;
  return { status: res.status, ...body };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile (p in 0–100) of a list of latencies. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** How many times each value occurs. */
export const countOf = (list: string[]) => list.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<string, number>());

export async function until(check: () => boolean | Promise<boolean>, ms: number, what: string, pollMs = 50): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export interface Subscription {
  client: Client;
  /** Settles once the socket is acknowledged. */
  connected: Promise<void>;
  /** The close code, once the socket closed. */
  closedWith?: number;
}

/** A graphql-ws client with one subscription; `onData` gets each result's data. Never reconnects: a close is recorded, not papered over. */
export function subscribeAt(url: string, key: string, query: string, onData: (data: any) => void): Subscription {
  let onConnected!: () => void;
  const connected = new Promise<void>((resolve) => (onConnected = resolve));
  const subscription = { connected } as Subscription;
  subscription.client = createClient({
    url: `${url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => undefined, // closes are asserted, not logged
    on: { connected: () => onConnected(), closed: (event) => (subscription.closedWith ??= (event as { code: number }).code) },
  });
  subscription.client.subscribe({ query }, {
    next: (value) => {
      if (value.data) onData(value.data);
    },
    error: () => undefined,
    complete: () => undefined,
  });
  return subscription;
}
