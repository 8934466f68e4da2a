import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { Client } from 'pg';
import type { QueryRunner } from 'typeorm';
import { ConfigError, loadConfig } from '../src/config';
import { AppError, ErrorCode, isDatabaseUnavailable, toClientError } from '../src/common/errors';
import { createDataSource } from '../src/db/data-source';
import { freePort } from '../src/db/embedded';
import { databaseUrl } from './helpers/db';
import { startTestApp, type TestApp } from './helpers/app';

/**
 * UNAVAILABLE: the errors a real PostgreSQL gives when it cannot be reached or drops a session are
 * answered as one retryable code (HTTP 503, Retry-After) without the cause in the answer, statement
 * errors stay what they were, and a pool whose connections were killed serves the next requests.
 * The database restarted under load is test/e2e/fault-db-restart.test.ts.
 */

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

/** The error one statement raises, on a connection of its own. */
async function errorOf(work: (client: Client) => Promise<unknown>, url = databaseUrl(app.databaseName)): Promise<unknown> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined); // a killed session also emits it; the statement's error is what counts
  try {
    await work(client);
  } catch (err) {
    return err;
  } finally {
    await client.end().catch(() => undefined);
  }
  throw new Error('no error');
}

/** Ends sessions of this file's database from outside, as a restart would; returns how many. */
async function terminateSessions(where: string, params: unknown[] = []): Promise<number> {
  const admin = new Client({ connectionString: databaseUrl(app.databaseName) });
  await admin.connect();
  try {
    const rows = (await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND ${where}`, params)).rows;
    for (let i = 0; i < 100; i += 1) {
      const left = (await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND ${where}`, params)).rows[0].n;
      if (left === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return rows.length;
  } finally {
    await admin.end();
  }
}

describe('which errors mean the database is unavailable', () => {
  test('a refused connection and a session ended by the server do; statement errors do not', async () => {
    const refused = await errorOf((c) => c.connect(), `postgres://postgres@127.0.0.1:${await freePort()}/postgres`);
    expect(isDatabaseUnavailable(refused)).toBe(true);

    const killed = await errorOf(async (c) => {
      await c.connect();
      const [{ pid }] = (await c.query('SELECT pg_backend_pid() AS pid')).rows;
      expect(await terminateSessions('pid = $1', [pid])).toBe(1);
      await c.query('SELECT 1');
    });
    expect(isDatabaseUnavailable(killed)).toBe(true);

    const syntax = await errorOf(async (c) => {
      await c.connect();
      await c.query('SELEC 1');
    });
    expect((syntax as { code?: string }).code).toBe('42601');
    expect(isDatabaseUnavailable(syntax)).toBe(false);
    const duplicate = await errorOf(async (c) => {
      await c.connect();
      await c.query(`INSERT INTO owner (id, kind, name) VALUES ($1, 'TEAM', 'x'), ($1, 'TEAM', 'y')`, [randomUUID()]);
    });
    expect((duplicate as { code?: string }).code).toBe('23505');
    expect(isDatabaseUnavailable(duplicate)).toBe(false);
  });

  test('the answer is UNAVAILABLE with a fixed message; the cause goes to the log only', async () => {
    const refused = await errorOf((c) => c.connect(), `postgres://postgres@127.0.0.1:${await freePort()}/postgres`);
    const wrapped = new GraphQLError(`Context creation failed: ${(refused as Error).message}`, { originalError: refused as Error });
    const logged: unknown[] = [];
    const answer = toClientError(wrapped.toJSON(), wrapped, () => logged.push('internal'), (err) => logged.push(err));
    expect(answer).toEqual({ message: 'The database is unavailable; retry shortly', extensions: { code: ErrorCode.UNAVAILABLE, retryable: true, retryAfterSeconds: 2 } });
    expect(logged).toEqual([wrapped]);
    expect(JSON.stringify(answer)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|http|stack/);
  });

  test('a client error whose text looks like a driver message is left alone', () => {
    const error = new AppError(ErrorCode.BAD_USER_INPUT, 'Connection terminated is not a valid name', { field: 'name' });
    const answer = toClientError(error.toJSON(), error, () => undefined);
    expect(answer.extensions).toEqual({ code: ErrorCode.BAD_USER_INPUT, field: 'name' });
  });
});

describe('over HTTP', () => {
  test('an exhausted pool answers 503 UNAVAILABLE with Retry-After after the connect timeout, then serves again', async () => {
    // hold every connection of the app's pool (10): the next checkout waits DB_CONNECT_TIMEOUT_MS (2 s)
    const held: QueryRunner[] = [];
    try {
      for (let i = 0; i < 10; i += 1) {
        const runner = app.db.createQueryRunner();
        await runner.connect();
        held.push(runner);
      }
      const started = Date.now();
      const res = await app.gql('{ owners(first: 1) { totalCount } }');
      const ms = Date.now() - started;
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(res.errors).toEqual([{ message: 'The database is unavailable; retry shortly', extensions: { code: 'UNAVAILABLE', retryable: true, retryAfterSeconds: 2 } }]);
      expect(ms).toBeGreaterThanOrEqual(1900);
      expect(ms).toBeLessThan(10_000);
    } finally {
      await Promise.all(held.map((r) => r.release()));
    }
    const again = await app.gql('{ owners(first: 1) { totalCount } }');
    expect(again.errors).toBeUndefined();
    expect(again.status).toBe(200);
  });

  test('connections the server killed leave the pool: the next requests all succeed', async () => {
    // fill the pool with idle connections, then end every one of them from the server side
    await Promise.all(Array.from({ length: 10 }, () => app.gql('{ owners(first: 1) { totalCount } }')));
    expect(await terminateSessions(`application_name = 'isms-graph'`)).toBeGreaterThanOrEqual(2);
    const answers = await Promise.all(Array.from({ length: 20 }, () => app.gql('{ owners(first: 1) { totalCount } }')));
    expect(answers.map((a) => a.errors?.[0]?.extensions.code ?? a.status)).toEqual(Array(20).fill(200));
  });

  test('a transaction whose connection dies between two statements fails as UNAVAILABLE, and the pool serves again', async () => {
    const ds = createDataSource(databaseUrl(app.databaseName), { poolSize: 2 });
    await ds.initialize();
    try {
      const err = await ds.transaction(async (tx) => {
        const [{ pid }] = await tx.query('SELECT pg_backend_pid() AS pid');
        await terminateSessions('pid = $1', [pid]);
        await new Promise((r) => setTimeout(r, 100));
        await tx.query('SELECT 1');
      }).then(() => null, (e: unknown) => e);
      expect(err).not.toBeNull();
      expect(isDatabaseUnavailable(err)).toBe(true);
      expect(await ds.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await ds.destroy();
    }
  });
});

test('DB_CONNECT_TIMEOUT_MS: 2000 by default, 100 to 60000, never 0 (wait forever)', () => {
  expect(loadConfig({}).dbConnectTimeoutMs).toBe(2000);
  expect(loadConfig({ DB_CONNECT_TIMEOUT_MS: '500' }).dbConnectTimeoutMs).toBe(500);
  for (const bad of ['0', '99', '60001', '2s', '-1']) expect(() => loadConfig({ DB_CONNECT_TIMEOUT_MS: bad })).toThrow(ConfigError);
});
