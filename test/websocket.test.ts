import WebSocket from 'ws';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import { startTestApp, ok, type TestApp } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { Permission } from '../src/auth/permissions';

/**
 * graphql-ws on /graphql: the same authentication and limits as HTTP. There is no Subscription type
 * yet, so queries run over the socket (graphql-ws accepts any operation type).
 */

type WsError = { message: string; extensions?: { code?: string; [k: string]: unknown } };
type Outcome =
  | { kind: 'result'; result: FormattedExecutionResult<Record<string, any>, unknown> }
  | { kind: 'errors'; errors: WsError[] }
  | { kind: 'closed'; code: number; reason: string };

let app: TestApp;
const clients: Client[] = [];

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await app.close();
});

function connect(target: TestApp, connectionParams: Record<string, unknown>): Client {
  const client = createClient({
    url: `${target.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
  });
  clients.push(client);
  return client;
}

const withKey = (key: string, target: TestApp = app) => connect(target, { authorization: `Bearer ${key}` });

/** Runs one operation and reports how it ended: a result, GraphQL errors, or a closed socket. */
function run(client: Client, query: string, variables?: Record<string, unknown>): Promise<Outcome> {
  return new Promise((resolve) => {
    let last: Outcome | undefined;
    client.subscribe(
      { query, variables },
      {
        next: (result) => {
          last = { kind: 'result', result };
        },
        error: (err: unknown) => {
          if (Array.isArray(err)) resolve({ kind: 'errors', errors: err as WsError[] });
          else if (err && typeof (err as { code?: unknown }).code === 'number') {
            const close = err as { code: number; reason?: string };
            resolve({ kind: 'closed', code: close.code, reason: String(close.reason ?? '') });
          } else resolve({ kind: 'errors', errors: [{ message: String(err) }] });
        },
        complete: () => resolve(last ?? { kind: 'errors', errors: [{ message: 'completed without a result' }] }),
      },
    );
  });
}

/** The error codes of an operation that ran but failed (execution or validation errors). */
function codes(outcome: Outcome): Array<string | undefined> {
  if (outcome.kind === 'result') return (outcome.result.errors ?? []).map((e) => (e.extensions as { code?: string } | undefined)?.code);
  if (outcome.kind === 'errors') return outcome.errors.map((e) => e.extensions?.code);
  throw new Error(`socket closed (${outcome.code} ${outcome.reason}) instead of answering`);
}

function data(outcome: Outcome): Record<string, any> {
  if (outcome.kind !== 'result' || outcome.result.errors?.length || !outcome.result.data) {
    throw new Error(`expected data, got ${JSON.stringify(outcome)}`);
  }
  return outcome.result.data;
}

describe('connection authentication (onConnect)', () => {
  test('a connection without a key is refused with 4403', async () => {
    const outcome = await run(connect(app, {}), '{ owners { totalCount } }');
    expect(outcome).toMatchObject({ kind: 'closed', code: 4403 });
  });

  test('a malformed key, an unknown well-formed key and a non-Bearer header are refused', async () => {
    const unknown = 'isms_' + 'A'.repeat(46); // right shape, wrong checksum and no row
    for (const authorization of ['Bearer not-a-key', `Bearer ${unknown}`, app.adminKey, `Basic ${app.adminKey}`, 42]) {
      const outcome = await run(connect(app, { authorization }), '{ owners { totalCount } }');
      expect(outcome).toMatchObject({ kind: 'closed', code: 4403 });
    }
  });

  test('a revoked key is refused, while it still worked before revocation', async () => {
    const key = await app.createKey([Permission.ISMS_READ]);
    expect(data(await run(withKey(key.secret), '{ owners { totalCount } }')).owners.totalCount).toEqual(expect.any(Number));

    ok(await app.gql('mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', { id: key.id }));
    const outcome = await run(withKey(key.secret), '{ owners { totalCount } }');
    expect(outcome).toMatchObject({ kind: 'closed', code: 4403 });
  });

  test('an expired key is refused', async () => {
    const key = await app.createKey([Permission.ADMIN], { expiresAt: new Date(Date.now() - 1000) });
    const outcome = await run(withKey(key.secret), '{ owners { totalCount } }');
    expect(outcome).toMatchObject({ kind: 'closed', code: 4403 });
  });

  test('with ALLOW_ANONYMOUS_READ a keyless socket may read but not write', async () => {
    const open = await startTestApp({ ALLOW_ANONYMOUS_READ: 'true' });
    try {
      const client = connect(open, {});
      expect(data(await run(client, '{ owners { totalCount } }')).owners.totalCount).toBe(1); // the harness owner
      const write = await run(client, 'mutation { createOwner(input: { kind: TEAM, name: "Nobody" }) { id } }');
      expect(codes(write)).toEqual(['UNAUTHENTICATED']); // what it lacks is a key, as over HTTP
      const overHttp = await open.gql('mutation { createOwner(input: { kind: TEAM, name: "Nobody" }) { id } }', undefined, null);
      expect(overHttp.errors?.map((e) => e.extensions.code)).toEqual(codes(write));
      const [row] = await open.sql('SELECT count(*)::int AS n FROM owner WHERE name = $1', ['Nobody']);
      expect(row.n).toBe(0);
    } finally {
      await open.close();
    }
  });
});

test('a WebSocket upgrade on any path other than /graphql is refused', async () => {
  const status = await new Promise<number | string>((resolve) => {
    const socket = new WebSocket(`${app.url.replace(/^http/, 'ws')}/elsewhere`, 'graphql-transport-ws');
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 'none');
      socket.terminate();
    });
    socket.once('open', () => {
      resolve('opened');
      socket.close();
    });
    socket.once('error', (err) => resolve(String(err)));
  });
  expect(status).toBe(404);
});

describe('operations over the socket', () => {
  test('a query runs with a key and sees what HTTP wrote; several operations share one socket', async () => {
    const owner = await createOwner(app, { name: 'Socket Reader', kind: 'TEAM' });
    const client = withKey(app.adminKey);
    const [list, one] = await Promise.all([
      run(client, '{ owners(filter: { nameContains: "Socket Reader" }) { totalCount edges { node { id name } } } }'),
      run(client, 'query($id: ID!) { owner(id: $id) { id name kind } }', { id: owner.id }),
    ]);
    expect(data(list).owners).toEqual({ totalCount: 1, edges: [{ node: { id: owner.id, name: 'Socket Reader' } }] });
    expect(data(one).owner).toEqual({ id: owner.id, name: 'Socket Reader', kind: 'TEAM' });
  });

  test('relations resolve through the per-operation loaders over the socket', async () => {
    const parent = await createScope(app, { name: 'WS parent' });
    const child = await createScope(app, { name: 'WS child', parentId: parent.id });
    const client = withKey(app.adminKey);
    const outcome = await run(client, 'query($id: ID!) { scope(id: $id) { key parent { key owner { name } } } }', { id: child.id });
    expect(data(outcome).scope).toMatchObject({ key: child.key, parent: { key: parent.key, owner: { name: expect.any(String) } } });
  });

  test('a mutation over the socket writes, with its audit row', async () => {
    const client = withKey(app.adminKey);
    const outcome = await run(client, 'mutation { createOwner(input: { kind: PERSON, name: "Written Over WS" }) { id version } }');
    const created = data(outcome).createOwner;
    expect(created.version).toBe(1);
    const audit = await app.sql('SELECT operation FROM audit_event WHERE entity_id = $1', [created.id]);
    expect(audit.map((a) => a.operation)).toEqual(['createOwner']);
  });

  test('a key without read permission gets FORBIDDEN and no data', async () => {
    const key = await app.createKey([Permission.CATALOG_WRITE]);
    const outcome = await run(withKey(key.secret), '{ owners { totalCount } }');
    expect(codes(outcome)).toEqual(['FORBIDDEN']);
    expect(outcome.kind === 'result' ? outcome.result.data : null).toBeNull();
  });

  test('a read-only key gets FORBIDDEN on a write, and nothing is written', async () => {
    const key = await app.createKey([Permission.ISMS_READ]);
    const outcome = await run(withKey(key.secret), 'mutation { createOwner(input: { kind: PERSON, name: "Not Allowed WS" }) { id } }');
    expect(codes(outcome)).toEqual(['FORBIDDEN']);
    const [row] = await app.sql('SELECT count(*)::int AS n FROM owner WHERE name = $1', ['Not Allowed WS']);
    expect(row.n).toBe(0);
  });

  test('bad input and unknown ids answer with the registry codes, as over HTTP', async () => {
    const client = withKey(app.adminKey);
    expect(codes(await run(client, 'mutation { createOwner(input: { kind: PERSON, name: "" }) { id } }'))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await run(client, 'query($id: ID!) { owner(id: $id) { id } }', { id: '00000000-0000-4000-8000-000000000000' }))).toEqual(['NOT_FOUND']);
    expect(codes(await run(client, '{ owners(first: 501) { totalCount } }'))).toEqual(['BAD_USER_INPUT']);
  });

  test('a syntax error is GRAPHQL_PARSE_FAILED and an unknown field GRAPHQL_VALIDATION_FAILED; the socket stays usable', async () => {
    const client = withKey(app.adminKey);
    expect(codes(await run(client, '{ owners { totalCount '))).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(codes(await run(client, '{ owners { noSuchField } }'))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(data(await run(client, '{ owners { totalCount } }')).owners.totalCount).toEqual(expect.any(Number));
  });
});

describe('limits over the socket (onSubscribe)', () => {
  test('a query deeper than MAX_QUERY_DEPTH (15) is QUERY_TOO_COMPLEX', async () => {
    let selection = 'key';
    for (let i = 0; i < 16; i += 1) selection = `parent { ${selection} }`;
    const outcome = await run(withKey(app.adminKey), `{ scopes { edges { node { ${selection} } } } }`);
    expect(outcome.kind).toBe('errors'); // refused before execution
    expect(codes(outcome)).toContain('QUERY_TOO_COMPLEX');
    expect(new Set(codes(outcome))).toEqual(new Set(['QUERY_TOO_COMPLEX']));
  });

  test('a query within the depth limit runs', async () => {
    let selection = 'key';
    for (let i = 0; i < 8; i += 1) selection = `parent { ${selection} }`;
    const outcome = await run(withKey(app.adminKey), `{ scopes(first: 1) { edges { node { ${selection} } } } }`);
    expect(data(outcome).scopes.edges).toEqual(expect.any(Array));
  });

  test('more aliases than MAX_QUERY_ALIASES (30) is QUERY_TOO_COMPLEX', async () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: owners(first: 1) { totalCount }`).join(' ');
    const outcome = await run(withKey(app.adminKey), `{ ${aliases} }`);
    expect(outcome.kind).toBe('errors');
    expect(new Set(codes(outcome))).toEqual(new Set(['QUERY_TOO_COMPLEX']));
  });

  test('a query costlier than MAX_QUERY_COST is QUERY_TOO_COMPLEX', async () => {
    const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: scopes(first: 500) { edges { node { key name parent { key owner { name } } } } }`).join(' ');
    const outcome = await run(withKey(app.adminKey), `{ ${aliases} }`);
    expect(outcome.kind).toBe('errors');
    expect(new Set(codes(outcome))).toEqual(new Set(['QUERY_TOO_COMPLEX']));
  });

  test('the limits apply before authorisation: a key without read rights gets the same refusal', async () => {
    const key = await app.createKey([Permission.CATALOG_WRITE]);
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: owners(first: 1) { totalCount }`).join(' ');
    expect(new Set(codes(await run(withKey(key.secret), `{ ${aliases} }`)))).toEqual(new Set(['QUERY_TOO_COMPLEX']));
  });
});

describe('internal errors over the socket', () => {
  test('a database failure is INTERNAL with no SQL, table name or stack in the message', async () => {
    const broken = await startTestApp();
    try {
      await broken.sql('ALTER TABLE owner RENAME TO owner_gone');
      const outcome = await run(withKey(broken.adminKey, broken), '{ owners { totalCount edges { node { id } } } }');
      expect(codes(outcome)).toEqual(['INTERNAL']);
      const text = JSON.stringify(outcome);
      expect(text).not.toMatch(/owner_gone|relation|SELECT|stack|\.ts:/i);
      expect(outcome.kind === 'result' ? outcome.result.errors?.[0].message : '').toBe('Internal server error');
    } finally {
      await broken.sql('ALTER TABLE owner_gone RENAME TO owner').catch(() => undefined);
      await broken.close();
    }
  });
});
