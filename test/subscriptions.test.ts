import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startTestApp, ok, type TestApp } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { Permission } from '../src/auth/permissions';

/** Subscriptions over graphql-ws: events reach only subscribers whose key may read them. */

let app: TestApp;
const clients: Client[] = [];

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await app.close();
});

interface Subscriber {
  events: Array<Record<string, any>>;
  errors: unknown[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves once the server has acknowledged the connection. */
  connected: Promise<void>;
}

function subscribe(key: string | null, query: string, variables: Record<string, unknown> = {}): Subscriber {
  let onClosed!: (c: { code: number; reason: string }) => void;
  let onConnected!: () => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  const connected = new Promise<void>((resolve) => (onConnected = resolve));
  const client = createClient({
    url: `${app.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: key ? { authorization: `Bearer ${key}` } : {},
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined, // closes are asserted, not logged
    on: {
      connected: () => onConnected(),
      closed: (event) => {
        const e = event as { code: number; reason: string };
        onClosed({ code: e.code, reason: e.reason });
      },
    },
  });
  clients.push(client);
  const subscriber: Subscriber = { events: [], errors: [], closed, connected };
  client.subscribe({ query, variables }, {
    next: (value) => {
      if (value.errors) subscriber.errors.push(...value.errors);
      else subscriber.events.push(value.data as Record<string, any>);
    },
    error: (err) => subscriber.errors.push(err),
    complete: () => undefined,
  });
  return subscriber;
}

const CHANGES = 'subscription($f: IsmsChangedFilter) { ismsChanged(filter: $f) { entityType entityId action version scopeIds } }';

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Gives in-flight notifications time to arrive before asserting that something did not. */
const settle = () => new Promise((r) => setTimeout(r, 400));

test('ismsChanged delivers committed writes with ids only, filtered by entity type', async () => {
  const all = subscribe(app.adminKey, CHANGES);
  const scopesOnly = subscribe(app.adminKey, CHANGES, { f: { entityTypes: ['SCOPE'] } });
  await Promise.all([all.connected, scopesOnly.connected]);
  await settle();
  const owner = await createOwner(app);
  const scope = await createScope(app, { ownerId: owner.id });
  await until(() => all.events.length >= 2 && scopesOnly.events.length >= 1);
  await settle();
  expect(all.events.map((e) => e.ismsChanged)).toEqual([
    { entityType: 'OWNER', entityId: owner.id, action: 'CREATED', version: 1, scopeIds: [] },
    { entityType: 'SCOPE', entityId: scope.id, action: 'CREATED', version: 1, scopeIds: [scope.id] },
  ]);
  expect(scopesOnly.events.map((e) => e.ismsChanged.entityId)).toEqual([scope.id]);
});

test('a write that fails sends nothing', async () => {
  const sub = subscribe(app.adminKey, CHANGES, { f: { entityTypes: ['SCOPE'] } });
  await sub.connected;
  await settle();
  const res = await app.gql('mutation { createScope(input: { key: "x!", name: "bad", certification: CERTIFIABLE, ownerId: "00000000-0000-0000-0000-000000000000" }) { id } }');
  expect(res.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
  await settle();
  expect(sub.events).toEqual([]);
});

test('a subscriber restricted to scope A never sees scope B\'s events, but sees unscoped owners', async () => {
  const a = await createScope(app);
  const b = await createScope(app);
  const key = await app.createKey([Permission.ISMS_READ], { scopeIds: [a.id] });
  const sub = subscribe(key.secret, CHANGES);
  await sub.connected;
  await settle();
  ok(await app.gql('mutation($id: ID!) { updateScope(id: $id, input: { name: "B changed" }, expectedVersion: 1) { id } }', { id: b.id }));
  ok(await app.gql('mutation($id: ID!) { updateScope(id: $id, input: { name: "A changed" }, expectedVersion: 1) { id } }', { id: a.id }));
  const owner = await createOwner(app);
  await until(() => sub.events.length >= 2);
  await settle();
  const seen = sub.events.map((e) => e.ismsChanged);
  expect(seen.map((e) => e.entityId)).toEqual([a.id, owner.id]);
  expect(seen.some((e) => e.entityId === b.id)).toBe(false);
});

test('a subscription without a valid key is refused', async () => {
  const none = subscribe(null, CHANGES);
  const bad = subscribe('isms_notakey', CHANGES);
  expect((await none.closed).code).toBe(4403);
  expect((await bad.closed).code).toBe(4403);
  expect(none.events).toEqual([]);
});

test('a key without isms:read cannot subscribe', async () => {
  const key = await app.createKey([Permission.CATALOG_WRITE]);
  const sub = subscribe(key.secret, CHANGES);
  await until(() => sub.errors.length > 0);
  expect(JSON.stringify(sub.errors)).toContain('FORBIDDEN');
});

test('revoking a key closes its sockets, on commit', async () => {
  const key = await app.createKey([Permission.ISMS_READ]);
  const sub = subscribe(key.secret, CHANGES);
  await sub.connected;
  ok(await app.gql('mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', { id: key.id }));
  const closed = await Promise.race([sub.closed, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
  expect(closed).toEqual({ code: 4403, reason: 'API key revoked' });
});

test('a burst of notifications larger than a subscription buffer neither crashes the server nor blocks later events', async () => {
  const reminders = subscribe(app.adminKey, 'subscription { reminderFired { id } }');
  const changes = subscribe(app.adminKey, CHANGES, { f: { entityTypes: ['OWNER'] } });
  await Promise.all([reminders.connected, changes.connected]);
  await settle();
  // 3,000 reminder notifications at once (ids of no stored reminder): each makes the subscription load a row
  await app.sql(`SELECT pg_notify('isms_reminder', json_build_object('id', gen_random_uuid())::text) FROM generate_series(1, 3000)`);
  await settle();
  expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  const owner = await createOwner(app);
  await until(() => changes.events.some((e) => e.ismsChanged.entityId === owner.id), 10_000);
  expect(reminders.events).toEqual([]); // unknown ids are skipped
});
