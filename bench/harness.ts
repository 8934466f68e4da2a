import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createDataSource } from '../src/db/data-source';
import { migrateUnderLock } from '../src/db/migrate';
import { freePort, startEmbedded, withDatabase, type EmbeddedHandle } from '../src/db/embedded';
import { issueKey } from '../src/auth/api-key.service';
import { Permission } from '../src/auth/permissions';
import { Owner, OwnerKind } from '../src/modules/owner/owner.entity';

/** A migrated benchmark database and the built server running on it as its own process. */
export interface BenchEnv {
  databaseUrl: string;
  serverUrl: string;
  adminKey: string;
  /** Starts one more instance of the server on the same database; returns its URL. */
  startServer(env?: Record<string, string>): Promise<string>;
  /** Process id of the instance serving `url` (for memory figures). */
  pidOf(url: string): number;
  close(): Promise<void>;
}

/** The built server as its own process, with the flags `npm start` uses (BENCH_SERVER_NODE_ARGS adds more, e.g. `--cpu-prof`). */
async function spawnServer(databaseUrl: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const nodeArgs = ['--max-semi-space-size=64', ...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
  const child = spawn(process.execPath, [...nodeArgs, path.join(__dirname, '..', 'src', 'main.js')], {
    env: {
      ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), LOG_LEVEL: 'warn', NODE_ENV: 'production',
      // no rate limit: the cases send far more than 600 requests a minute with one key (the auth case sets its own)
      EXPOSE_SQL_COUNT: 'true', DB_POOL_SIZE: '10', MAX_QUERY_COST: '1000000', SCHEDULER_INTERVAL_MS: '0', RATE_LIMIT_PER_MINUTE: '0', ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i += 1) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return { child, url };
    } catch {
      // not listening yet
    }
    if (i > 200 || child.exitCode !== null) throw new Error('benchmark server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startBenchEnv(): Promise<BenchEnv> {
  let embedded: EmbeddedHandle | undefined;
  let dataDir: string | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'isms-graph-bench-'));
    embedded = await startEmbedded({ dataDir, persistent: false });
    adminUrl = embedded.url;
  }
  const name = `isms_bench_${process.pid}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const databaseUrl = withDatabase(adminUrl, name);

  const ds = createDataSource(databaseUrl, { poolSize: 2 });
  await ds.initialize();
  await migrateUnderLock(databaseUrl, ds);
  const ownerId = randomUUID();
  await ds.getRepository(Owner).insert({ id: ownerId, kind: OwnerKind.TEAM, name: 'Benchmark', email: null });
  const { secret } = await ds.transaction((tx) => issueKey(tx, {
    id: randomUUID(), name: 'bench', ownerId, permissions: [Permission.ADMIN], scopeIds: null,
    expiresAt: new Date(Date.now() + 86_400_000), createdByKeyId: null,
  }));
  await ds.destroy();

  const servers: ChildProcess[] = [];
  const pids = new Map<string, number>();
  const startServer = async (env: Record<string, string> = {}): Promise<string> => {
    const { child, url } = await spawnServer(databaseUrl, env);
    servers.push(child);
    pids.set(url, child.pid!);
    return url;
  };
  const serverUrl = await startServer();
  return {
    databaseUrl,
    serverUrl,
    adminKey: secret,
    startServer,
    pidOf: (url) => {
      const pid = pids.get(url);
      if (pid === undefined) throw new Error(`no benchmark server at ${url}`);
      return pid;
    },
    close: async () => {
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => {
        if (server.exitCode !== null) return resolve();
        server.once('exit', () => resolve());
        server.kill('SIGTERM');
      })));
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      await embedded?.stop();
      if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Measurement {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  /** Optional: cases that summarise their own latencies (fan-out, webhooks) may not report it. */
  p99Ms?: number;
}

/** Runs `task` `requests` times with `concurrency` in flight; latency per call, throughput overall. */
export async function measure(task: () => Promise<void>, requests: number, concurrency: number, warmup = 3): Promise<Measurement> {
  for (let i = 0; i < warmup; i += 1) await task();
  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < requests) {
      next += 1;
      const t0 = process.hrtime.bigint();
      await task();
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { requests: latencies.length, perSecond: latencies.length / seconds, p50Ms: pick(0.5), p95Ms: pick(0.95), p99Ms: pick(0.99) };
}

/** POSTs a GraphQL query and fails loudly on errors, so a broken case never looks fast. */
export async function graphql(env: BenchEnv, query: string, variables?: Record<string, unknown>): Promise<{ body: string; statements: number }> {
  const res = await fetch(`${env.serverUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${env.adminKey}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.text();
  if (!res.ok || body.includes('"errors"')) throw new Error(`benchmark query failed: ${body.slice(0, 500)}`);
  return { body, statements: Number(res.headers.get('x-sql-statements')) };
}

export interface CaseResult {
  name: string;
  server: Measurement;
  baseline: Measurement;
  baselineName: string;
  statementsPerRequest: number;
  notes?: string;
}
