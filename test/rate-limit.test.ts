import type { DataSource } from 'typeorm';
import { startTestApp, ok, errorCode, type TestApp, type GqlResponse } from './helpers/app';
import { databaseUrl } from './helpers/db';
import { wsRequest } from './helpers/http';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/common/logger';
import { createDataSource } from '../src/db/data-source';
import { buildIsmsSchema } from '../src/schema';
import { startServer, type RunningServer } from '../src/server';
import { rateLimitCleanupJob } from '../src/auth/rate-limit.job';
import { Permission } from '../src/auth/permissions';

/**
 * The per-key rate limit holds across instances: two servers on one database share the counters.
 * 90 requests a minute in 4-second windows: 6 requests per window.
 */
const WINDOW_SECONDS = 4;
const PER_WINDOW = 6;
const ENV = { RATE_LIMIT_PER_MINUTE: String((PER_WINDOW * 60) / WINDOW_SECONDS), RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS) };

let app: TestApp;
let second: { server: RunningServer; db: DataSource };

beforeAll(async () => {
  app = await startTestApp(ENV);
  // a second instance: its own process state, pool and listener, on the same database
  const url = databaseUrl(app.databaseName);
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'silent', EXPOSE_SQL_COUNT: 'true', DATABASE_URL: url, ...ENV });
  const log = createLogger(config.logLevel);
  const db = createDataSource(url, { poolSize: 5, log });
  await db.initialize();
  second = { server: await startServer({ config, db, schema: await buildIsmsSchema(), log }), db };
});
afterAll(async () => {
  await second.server.stop();
  await second.db.destroy();
  await app.close();
});

const WHO = '{ owners(first: 1) { totalCount } }';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function gqlAt(url: string, query: string, key: string): Promise<GqlResponse> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query }) });
  const body = (await res.json()) as { data?: any; errors?: any };
  return { status: res.status, data: body.data, errors: body.errors, headers: res.headers, statements: Number(res.headers.get('x-sql-statements') ?? NaN) };
}

/** Waits for the start of a window (windows are aligned to the clock), so a burst falls into one. */
async function windowStart(): Promise<void> {
  const into = Date.now() % (WINDOW_SECONDS * 1000);
  await sleep(WINDOW_SECONDS * 1000 - into + 50);
}

test('the limit is shared by two instances, answered with RATE_LIMITED, HTTP 429 and a retry hint; a new window resets it', async () => {
  const key = await app.createKey([Permission.ISMS_READ]);
  await windowStart();
  const results: GqlResponse[] = [];
  for (let i = 0; i < PER_WINDOW + 3; i += 1) results.push(await gqlAt(i % 2 === 0 ? app.url : second.server.url, WHO, key.secret));
  const accepted = results.filter((r) => !r.errors);
  const refused = results.filter((r) => r.errors);
  expect(accepted).toHaveLength(PER_WINDOW);
  expect(refused).toHaveLength(3);
  // alternating instances: one counter in the database, not one per process (each would have allowed 5 of 9)
  expect(results.slice(0, PER_WINDOW).every((r) => !r.errors)).toBe(true);
  for (const res of refused) {
    expect(res.status).toBe(429);
    expect(res.data ?? null).toBeNull();
    expect(res.errors![0].extensions).toMatchObject({ code: 'RATE_LIMITED', requestsPerWindow: PER_WINDOW, windowSeconds: WINDOW_SECONDS });
    const retry = res.errors![0].extensions.retryAfterSeconds as number;
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(WINDOW_SECONDS);
    expect(res.headers.get('retry-after')).toBe(String(retry));
  }
  // another key has its own counter
  const other = await app.createKey([Permission.ISMS_READ]);
  ok(await gqlAt(second.server.url, WHO, other.secret));

  // waiting for the hint is enough: the next window starts from zero, on either instance
  const retry = refused.at(-1)!.errors![0].extensions.retryAfterSeconds as number;
  await sleep(retry * 1000 + 50);
  ok(await gqlAt(second.server.url, WHO, key.secret));
  ok(await gqlAt(app.url, WHO, key.secret));
});

test('a refused request runs nothing: a mutation over the limit writes nothing', async () => {
  const key = await app.createKey([Permission.ISMS_WRITE]);
  await windowStart();
  for (let i = 0; i < PER_WINDOW; i += 1) ok(await gqlAt(app.url, WHO, key.secret));
  const [before] = await app.sql('SELECT count(*)::int AS n FROM owner');
  const res = await gqlAt(second.server.url, 'mutation { createOwner(input: { kind: TEAM, name: "over the limit" }) { id } }', key.secret);
  expect(errorCode(res)).toBe('RATE_LIMITED');
  expect(await app.sql('SELECT count(*)::int AS n FROM owner')).toEqual([before]);
});

test('over graphql-ws the limit applies per operation', async () => {
  const key = await app.createKey([Permission.ISMS_READ]);
  await windowStart();
  for (let i = 0; i < PER_WINDOW; i += 1) expect((await wsRequest(app, WHO, {}, key.secret)).errors).toBeUndefined();
  const refused = await wsRequest(app, WHO, {}, key.secret).then(() => null, (err: unknown) => err as Array<{ extensions: Record<string, unknown> }>);
  expect(refused).not.toBeNull();
  expect(refused![0].extensions).toMatchObject({ code: 'RATE_LIMITED', requestsPerWindow: PER_WINDOW });
  expect(refused![0].extensions.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  expect(refused![0].extensions.http).toBeUndefined();
});

test('a key\'s own limit overrides the server\'s; 0 means unlimited', async () => {
  const create = (rateLimitPerMinute: number) => app.gql(
    'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { rateLimitPerMinute } } }',
    { input: { name: `limited-${rateLimitPerMinute}`, ownerId: app.ownerId, permissions: ['ISMS_READ'], rateLimitPerMinute } },
  );
  const unlimited = ok(await create(0)).createApiKey;
  const slow = ok(await create(30)).createApiKey; // 2 per 4-second window
  expect(unlimited.apiKey.rateLimitPerMinute).toBe(0);
  await windowStart();
  for (let i = 0; i < PER_WINDOW * 2; i += 1) ok(await gqlAt(app.url, WHO, unlimited.secret));
  ok(await gqlAt(app.url, WHO, slow.secret));
  ok(await gqlAt(second.server.url, WHO, slow.secret));
  expect(errorCode(await gqlAt(app.url, WHO, slow.secret))).toBe('RATE_LIMITED');
  expect(errorCode(await create(-1))).toBe('BAD_USER_INPUT');
});

test('the limit costs one SQL statement per request', async () => {
  const key = await app.createKey([Permission.ISMS_READ]);
  ok(await gqlAt(app.url, '{ __typename }', key.secret)); // writes lastUsedAt once
  const res = await gqlAt(app.url, '{ __typename }', key.secret);
  ok(res);
  expect(res.statements).toBe(2); // the key lookup and the counter
});

test('the scheduler deletes finished windows and keeps current ones', async () => {
  const key = await app.createKey([Permission.ISMS_READ]);
  ok(await gqlAt(app.url, WHO, key.secret));
  await app.sql(`INSERT INTO api_key_rate_window (key_id, window_start, count) VALUES ($1, now() - interval '3 hours', 5), ($1, now() - interval '150 minutes', 7)`, [key.id]);
  await rateLimitCleanupJob.run(app.db, new Date(), createLogger('silent'));
  const left = await app.sql('SELECT count(*)::int AS n, max(window_start) > now() - interval \'1 minute\' AS current FROM api_key_rate_window WHERE key_id = $1', [key.id]);
  expect(left).toEqual([{ n: 1, current: true }]);
});
