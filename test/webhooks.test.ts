import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestApp, ok, errorCode, type TestApp } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { createControl, createRisk } from './helpers/isms-factories';
import { Permission } from '../src/auth/permissions';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/common/logger';
import { createWebhookDeliveryJob, WEBHOOK_POLICY } from '../src/modules/webhook/webhook.job';
import { guardedLookup, isPrivateAddress } from '../src/modules/webhook/url-check';

/**
 * Outbound webhooks against real local HTTP receivers: the outbox commits with the write or not
 * at all, deliveries are signed per Standard Webhooks, retried with backoff, the endpoint disabled
 * after repeated failure, restricted by scope and entity type, and redelivered on request.
 */

let app: TestApp;
const log = createLogger('silent');
// tests run the delivery job directly, with `now` moved on where retries are due later
const job = createWebhookDeliveryJob({ config: loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'true' }) });
const deliver = (at: Date = new Date()) => job.run(app.db, at, log);

interface Received {
  id: string;
  timestamp: string;
  signature: string;
  contentType: string;
  body: string;
  json: any;
}
type Answer = number | 'hang';
interface Receiver {
  url: string;
  received: Received[];
  answer: (fn: (request: Received, n: number) => Answer) => void;
  close(): Promise<void>;
}

const receivers: Receiver[] = [];

/** A real HTTP server on 127.0.0.1 that records each POST and answers what `answer` says (200 by default). */
async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  let respond: (request: Received, n: number) => Answer = () => 200;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const request: Received = {
        id: String(req.headers['webhook-id']),
        timestamp: String(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature']),
        contentType: String(req.headers['content-type']),
        body,
        json: JSON.parse(body),
      };
      received.push(request);
      const status = respond(request, received.length);
      if (status !== 'hang') res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiver: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    answer: (fn) => {
      respond = fn;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  receivers.push(receiver);
  return receiver;
}

const CREATE = `mutation($input: CreateWebhookEndpointInput!, $key: String) {
  createWebhookEndpoint(input: $input, idempotencyKey: $key) {
    secret endpoint { id url description eventTypes scopeIds status consecutiveFailures version createdAt archivedAt }
  }
}`;
const DELIVERIES = `query($filter: WebhookDeliveryFilter, $first: Int) {
  webhookDeliveries(filter: $filter, first: $first) {
    totalCount
    edges { node { id status attempts lastStatusCode lastError nextAttemptAt lastAttemptAt deliveredAt createdAt
      endpoint { id } event { id type entityType entityId action version scopeIds at auditEventId } } }
  }
}`;
const ENDPOINT = 'query($id: ID!) { webhookEndpoint(id: $id) { id status disabledAt disabledReason consecutiveFailures failingSince lastSuccessAt lastFailureAt version } }';

async function createEndpoint(input: Record<string, unknown>, key?: string): Promise<{ id: string; secret: string }> {
  const created = ok(await app.gql(CREATE, { input }, key)).createWebhookEndpoint;
  return { id: created.endpoint.id, secret: created.secret };
}

async function deliveriesOf(endpointId: string, status?: string[]): Promise<any[]> {
  const res = ok(await app.gql(DELIVERIES, { filter: { endpointId, status }, first: 500 })).webhookDeliveries;
  return res.edges.map((e: any) => e.node);
}

async function endpoint(id: string): Promise<any> {
  return ok(await app.gql(ENDPOINT, { id })).webhookEndpoint;
}

/** The Standard Webhooks signature, computed here from the published scheme (not with the server's code). */
function expectedSignature(secret: string, request: Received): string {
  expect(secret.startsWith('whsec_')).toBe(true);
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${request.id}.${request.timestamp}.${request.body}`).digest('base64')}`;
}

async function count(table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const [row] = await app.sql(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params);
  return row.n;
}

const seconds = (ms: number) => ms / 1000;
const later = (base: Date, ms: number) => new Date(base.getTime() + ms);

beforeAll(async () => {
  app = await startTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true' });
});
afterEach(async () => {
  // endpoints of one test must not receive (or fail on) the next test's events
  await app.sql(`UPDATE webhook_endpoint SET archived_at = now() WHERE archived_at IS NULL`);
  await app.sql(`UPDATE webhook_delivery SET status = 'CANCELLED' WHERE status = 'PENDING'`);
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await app.close();
});

describe('the outbox', () => {
  test('every committed write leaves exactly one outbox row carrying its change event and audit event id', async () => {
    const owner = await createOwner(app);
    const rows = await app.sql(`SELECT * FROM outbox_event WHERE entity_id = $1`, [owner.id]);
    expect(rows).toHaveLength(1);
    const [audit] = await app.sql(`SELECT id FROM audit_event WHERE entity_id = $1 AND operation = 'createOwner'`, [owner.id]);
    expect(rows[0]).toMatchObject({ entity_type: 'OWNER', action: 'CREATED', version: 1, scope_ids: [], audit_event_id: audit.id, dispatched_at: null });
  });

  test('a rolled-back write leaves no event: a duplicate-key createScope and a write that fails at commit', async () => {
    const receiver = await startReceiver();
    await createEndpoint({ url: receiver.url });
    const scope = await createScope(app);
    await deliver();
    receiver.received.length = 0;
    const before = await count('outbox_event');

    const duplicate = await app.gql('mutation($input: CreateScopeInput!) { createScope(input: $input) { id } }', {
      input: { key: scope.key, name: 'Again', certification: 'CERTIFIABLE', ownerId: app.ownerId },
    });
    expect(errorCode(duplicate)).toBe('CONFLICT');

    // A deferred constraint trigger fails the transaction at COMMIT, after the owner, audit and
    // outbox rows were all inserted: none of them may survive.
    await app.sql(`CREATE FUNCTION fail_owner_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.name = 'rolled back at commit' THEN RAISE EXCEPTION 'refused at commit'; END IF; RETURN NEW; END $$`);
    await app.sql(`CREATE CONSTRAINT TRIGGER fail_owner_commit AFTER INSERT ON owner DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_owner_commit()`);
    try {
      const failed = await app.gql('mutation { createOwner(input: { kind: PERSON, name: "rolled back at commit" }) { id } }');
      expect(errorCode(failed)).toBe('INTERNAL');
    } finally {
      await app.sql('DROP TRIGGER fail_owner_commit ON owner');
      await app.sql('DROP FUNCTION fail_owner_commit()');
    }
    expect(await count('owner', `name = 'rolled back at commit'`)).toBe(0);
    expect(await count('audit_event', `operation = 'createOwner' AND after->>'name' = 'rolled back at commit'`)).toBe(0);
    expect(await count('outbox_event')).toBe(before);
    await deliver();
    expect(receiver.received).toHaveLength(0);
  });

  test('changes of API keys are never published', async () => {
    const before = await count('outbox_event', `entity_type = 'API_KEY'`);
    ok(await app.gql('mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }', { input: { name: 'no-webhook', ownerId: app.ownerId, permissions: ['ISMS_READ'] } }));
    expect(await count('outbox_event', `entity_type = 'API_KEY'`)).toBe(before);
    expect(await count('audit_event', `operation = 'createApiKey'`)).toBeGreaterThan(0);
  });

  test('events no endpoint wants are removed once fanned out', async () => {
    const owner = await createOwner(app);
    expect(await count('outbox_event', 'entity_id = $1', [owner.id])).toBe(1);
    await deliver();
    expect(await count('outbox_event', 'entity_id = $1', [owner.id])).toBe(0);
  });
});

describe('createWebhookEndpoint', () => {
  test('returns the endpoint and a Standard Webhooks secret once; the secret is stored for signing but never readable', async () => {
    const receiver = await startReceiver();
    const res = ok(await app.gql(CREATE, { input: { url: receiver.url, eventTypes: ['RISK', 'RISK'], description: '  Jira sync ' } })).createWebhookEndpoint;
    expect(res.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(res.secret.slice(6), 'base64')).toHaveLength(32);
    expect(res.endpoint).toMatchObject({ url: receiver.url, description: 'Jira sync', eventTypes: ['RISK'], scopeIds: null, status: 'ACTIVE', consecutiveFailures: 0, version: 1, archivedAt: null });

    const [stored] = await app.sql('SELECT secret FROM webhook_endpoint WHERE id = $1', [res.endpoint.id]);
    expect(stored.secret).toBe(res.secret);
    const [audit] = await app.sql(`SELECT after FROM audit_event WHERE entity_id = $1 AND operation = 'createWebhookEndpoint'`, [res.endpoint.id]);
    expect(audit.after.url).toBe(receiver.url);
    expect(JSON.stringify(audit.after)).not.toContain(res.secret.slice(6));
    const secretField = await app.gql('{ webhookEndpoints { edges { node { id secret } } } }');
    expect(errorCode(secretField)).toBe('GRAPHQL_VALIDATION_FAILED');

    const listed = ok(await app.gql('{ webhookEndpoints { totalCount edges { node { id } } } }')).webhookEndpoints;
    expect(listed.edges.map((e: any) => e.node.id)).toContain(res.endpoint.id);
  });

  test('a retry with the same idempotency key returns the same endpoint and secret', async () => {
    const receiver = await startReceiver();
    const input = { url: receiver.url };
    const first = ok(await app.gql(CREATE, { input, key: 'wh-retry-1' })).createWebhookEndpoint;
    const again = ok(await app.gql(CREATE, { input, key: 'wh-retry-1' })).createWebhookEndpoint;
    expect(again.endpoint.id).toBe(first.endpoint.id);
    expect(again.secret).toBe(first.secret);
    expect(await count('webhook_endpoint', 'url = $1', [receiver.url])).toBe(1);
  });

  test('bad input is BAD_USER_INPUT naming the field, and nothing is written', async () => {
    const before = await count('webhook_endpoint');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ url: 'ftp://example.com/hook' }, 'url'],
      [{ url: 'javascript:alert(1)' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'https://user:pass@example.com/hook' }, 'url'],
      [{ url: `https://example.com/${'a'.repeat(2000)}` }, 'url'],
      [{ url: 'https://203.0.113.10/hook', eventTypes: ['API_KEY'] }, 'eventTypes'],
      [{ url: 'https://203.0.113.10/hook', scopeIds: ['00000000-0000-4000-8000-000000000000'] }, 'scopeIds'],
      [{ url: 'https://203.0.113.10/hook', scopeIds: [] }, 'scopeIds'],
    ];
    for (const [input, field] of cases) {
      const res = await app.gql(CREATE, { input });
      expect([JSON.stringify(input).slice(0, 80), errorCode(res)]).toEqual([JSON.stringify(input).slice(0, 80), 'BAD_USER_INPUT']);
      expect(res.errors![0].extensions.field).toMatch(new RegExp(`${field}$`));
    }
    expect(await count('webhook_endpoint')).toBe(before);
  });

  test('only admin keys manage webhooks', async () => {
    const writer = await app.createKey([Permission.ISMS_WRITE]);
    expect(errorCode(await app.gql(CREATE, { input: { url: 'https://203.0.113.10/hook' } }, writer.secret))).toBe('FORBIDDEN');
    expect(errorCode(await app.gql('{ webhookEndpoints { totalCount } }', {}, writer.secret))).toBe('FORBIDDEN');
    expect(errorCode(await app.gql('{ webhookDeliveries { totalCount } }', {}, writer.secret))).toBe('FORBIDDEN');
    expect(errorCode(await app.gql(CREATE, { input: { url: 'https://203.0.113.10/hook' } }, null))).toBe('UNAUTHENTICATED');
  });
});

describe('private addresses', () => {
  let strict: TestApp;
  beforeAll(async () => {
    strict = await startTestApp();
  });
  afterAll(() => strict.close());

  test('without WEBHOOK_ALLOW_PRIVATE, hosts on private, loopback, link-local and unique-local addresses are refused', async () => {
    const refused = [
      'http://localhost:8080/hook', 'http://LOCALHOST./hook', 'http://api.localhost/hook',
      'http://127.0.0.1/hook', 'http://127.8.9.10/hook', 'http://2130706433/hook', 'http://0x7f.0.0.1/hook',
      'http://10.1.2.3/hook', 'http://172.16.0.1/hook', 'http://172.31.255.255/hook', 'http://192.168.1.1/hook',
      'http://169.254.169.254/latest/meta-data', 'http://0.0.0.0/hook', 'http://100.64.0.1/hook',
      'http://[::1]/hook', 'http://[::]/hook', 'http://[fc00::1]/hook', 'http://[fd12:3456::1]/hook', 'http://[fe80::1]/hook',
      'http://[::ffff:127.0.0.1]/hook', 'http://[::ffff:10.0.0.1]/hook', 'http://[::ffff:a9fe:a9fe]/hook',
    ];
    for (const url of refused) {
      const res = await strict.gql(CREATE, { input: { url } }, strict.adminKey);
      expect([url, errorCode(res), res.errors?.[0].extensions.field]).toEqual([url, 'BAD_USER_INPUT', 'url']);
    }
    const [{ n }] = await strict.sql('SELECT count(*)::int AS n FROM webhook_endpoint');
    expect(n).toBe(0);
    // public addresses pass (IP literals: no DNS lookup needed)
    for (const url of ['https://203.0.113.10/hook', 'http://[2001:db8::1]:8443/hook', 'https://172.32.0.1/hook']) {
      ok(await strict.gql(CREATE, { input: { url } }, strict.adminKey));
    }
  });

  test('the classification of addresses', () => {
    for (const a of ['127.0.0.1', '10.255.0.1', '172.20.1.1', '192.168.0.10', '169.254.1.1', '0.0.0.0', '224.0.0.1', '255.255.255.255',
      '::1', '::', 'fc00::', 'fdff:ffff::1', 'fe80::1', 'febf::1', 'ff02::1', '::ffff:192.168.1.1', '::ffff:c0a8:101', '64:ff9b::a00:1', '2002:7f00:1::1', 'not-an-ip']) {
      expect([a, isPrivateAddress(a)]).toEqual([a, true]);
    }
    for (const a of ['8.8.8.8', '172.15.255.255', '172.32.0.0', '192.169.0.1', '100.128.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8', '2606:4700::1111']) {
      expect([a, isPrivateAddress(a)]).toEqual([a, false]);
    }
  });

  test('the lookup used to connect refuses a host name that resolves to a private address', async () => {
    const lookup = (allowPrivate: boolean) => new Promise<{ err: NodeJS.ErrnoException | null; addresses: unknown }>((resolve) => {
      guardedLookup(allowPrivate)('localhost', { all: true }, (err, addresses) => resolve({ err, addresses }));
    });
    const refused = await lookup(false);
    expect(refused.err?.code).toBe('EWEBHOOKPRIVATE');
    const allowed = await lookup(true);
    expect(allowed.err).toBeNull();
    expect((allowed.addresses as Array<{ address: string }>).every((a) => isPrivateAddress(a.address))).toBe(true);
  });

  test('the check is repeated at delivery time: a job without the flag does not reach a private address', async () => {
    const receiver = await startReceiver();
    const { id } = await createEndpoint({ url: receiver.url, eventTypes: ['OWNER'] });
    await createOwner(app);
    const strictJob = createWebhookDeliveryJob({ config: loadConfig({}) });
    await strictJob.run(app.db, new Date(), log);
    expect(receiver.received).toHaveLength(0);
    const [delivery] = await deliveriesOf(id);
    expect(delivery).toMatchObject({ status: 'PENDING', attempts: 1, lastStatusCode: null, lastError: 'address not allowed' });
  });
});

describe('delivery', () => {
  test('each delivery is POSTed as JSON with Standard Webhooks headers and a signature the receiver can verify', async () => {
    const receiver = await startReceiver();
    const { id, secret } = await createEndpoint({ url: receiver.url });
    const owner = await createOwner(app);
    const sentAt = Math.floor(Date.now() / 1000);
    await deliver();

    expect(receiver.received).toHaveLength(1);
    const request = receiver.received[0];
    const [delivery] = await deliveriesOf(id);
    expect(request.id).toBe(delivery.id);
    expect(request.contentType).toBe('application/json');
    expect(Math.abs(Number(request.timestamp) - sentAt)).toBeLessThan(30);
    expect(request.signature).toBe(expectedSignature(secret, request));
    const [audit] = await app.sql(`SELECT id FROM audit_event WHERE entity_id = $1 AND operation = 'createOwner'`, [owner.id]);
    expect(request.json).toEqual({
      type: 'owner.created',
      timestamp: request.json.data.at,
      data: { eventId: delivery.event.id, entityType: 'OWNER', entityId: owner.id, action: 'CREATED', version: 1, scopeIds: [], at: delivery.event.at, auditEventId: audit.id },
    });
    expect(delivery).toMatchObject({ status: 'SUCCEEDED', attempts: 1, lastStatusCode: 200, lastError: null, nextAttemptAt: null, endpoint: { id } });
    expect(delivery.event).toMatchObject({ type: 'owner.created', entityType: 'OWNER', entityId: owner.id, action: 'CREATED', auditEventId: audit.id });
    expect(delivery.deliveredAt).not.toBeNull();
    expect((await endpoint(id)).lastSuccessAt).not.toBeNull();

    // a forged or altered body does not verify
    expect(expectedSignature(secret, { ...request, body: request.body.replace('owner.created', 'owner.archived') })).not.toBe(request.signature);
    expect(expectedSignature(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, request)).not.toBe(request.signature);
  });

  test('a failed attempt is retried with exponential backoff under the same webhook-id until the receiver answers 2xx', async () => {
    const receiver = await startReceiver();
    receiver.answer((_r, n) => (n <= 2 ? 500 : 204));
    const { id, secret } = await createEndpoint({ url: receiver.url, eventTypes: ['OWNER'] });
    await createOwner(app);
    const t0 = new Date();
    await deliver(t0);
    let [delivery] = await deliveriesOf(id);
    expect(delivery).toMatchObject({ status: 'PENDING', attempts: 1, lastStatusCode: 500, lastError: 'HTTP 500' });
    const firstRetry = Date.parse(delivery.nextAttemptAt) - Date.parse(delivery.lastAttemptAt);
    expect(seconds(firstRetry)).toBe(seconds(WEBHOOK_POLICY.backoffBaseMs));

    await deliver(later(t0, 5_000)); // not due yet
    expect(receiver.received).toHaveLength(1);

    await deliver(new Date(Date.parse(delivery.nextAttemptAt) + 10));
    [delivery] = await deliveriesOf(id);
    expect(delivery).toMatchObject({ status: 'PENDING', attempts: 2, lastStatusCode: 500 });
    expect(seconds(Date.parse(delivery.nextAttemptAt) - Date.parse(delivery.lastAttemptAt))).toBe(seconds(2 * WEBHOOK_POLICY.backoffBaseMs));

    await deliver(new Date(Date.parse(delivery.nextAttemptAt) + 10));
    [delivery] = await deliveriesOf(id);
    expect(delivery).toMatchObject({ status: 'SUCCEEDED', attempts: 3, lastStatusCode: 204, lastError: null, nextAttemptAt: null });
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.id))).toEqual(new Set([delivery.id]));
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    for (const request of receiver.received) expect(request.signature).toBe(expectedSignature(secret, request));
    expect(await endpoint(id)).toMatchObject({ consecutiveFailures: 0, failingSince: null, status: 'ACTIVE' });
  });

  test('a run woken by a commit delivers what its own fan-out queued; a due retry waits for the periodic pass', async () => {
    const receiver = await startReceiver();
    receiver.answer((_r, n) => (n === 1 ? 500 : 200));
    const { id } = await createEndpoint({ url: receiver.url, eventTypes: ['OWNER'] });
    const woken = (at: Date) => job.run(app.db, at, log, { woken: true });
    await createOwner(app);
    const t0 = new Date();
    await woken(t0); // its fan-out queued the delivery: it is attempted (and fails)
    expect(receiver.received).toHaveLength(1);
    const [delivery] = await deliveriesOf(id);
    const due = new Date(Date.parse(delivery.nextAttemptAt) + 10);
    await woken(due); // nothing new to fan out: the due retry is not this run's work
    expect(receiver.received).toHaveLength(1);
    expect((await deliveriesOf(id))[0]).toMatchObject({ status: 'PENDING', attempts: 1 });
    await deliver(due);
    expect(receiver.received).toHaveLength(2);
    expect((await deliveriesOf(id))[0]).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
  });

  test('no answer within the timeout is a failed attempt, retried later', async () => {
    const receiver = await startReceiver();
    receiver.answer(() => 'hang');
    const { id } = await createEndpoint({ url: receiver.url, eventTypes: ['OWNER'] });
    await createOwner(app);
    await createWebhookDeliveryJob({ config: loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'true' }), requestTimeoutMs: 300 }).run(app.db, new Date(), log);
    const [delivery] = await deliveriesOf(id);
    expect(delivery).toMatchObject({ status: 'PENDING', attempts: 1, lastStatusCode: null, lastError: 'timed out after 0.3 s' });
    expect(receiver.received).toHaveLength(1);
  });

  test('a refused connection is recorded as a short error', async () => {
    const receiver = await startReceiver();
    const { id } = await createEndpoint({ url: receiver.url, eventTypes: ['OWNER'] });
    await receiver.close();
    await createOwner(app);
    await deliver();
    const [delivery] = await deliveriesOf(id);
    expect(delivery).toMatchObject({ status: 'PENDING', attempts: 1, lastStatusCode: null, lastError: 'connection refused' });
  });

  test('redirects are not followed: a 3xx is a failed attempt', async () => {
    const receiver = await startReceiver();
    receiver.answer(() => 302);
    const { id } = await createEndpoint({ url: receiver.url, eventTypes: ['OWNER'] });
    await createOwner(app);
    await deliver();
    expect((await deliveriesOf(id))[0]).toMatchObject({ status: 'PENDING', lastStatusCode: 302, lastError: 'HTTP 302' });
  });

  test('after ~24 h of failures a delivery is FAILED and its endpoint disabled; a few quick failures disable nothing', async () => {
    const receiver = await startReceiver();
    receiver.answer(() => 500);
    const { id } = await createEndpoint({ url: receiver.url, eventTypes: ['OWNER'] });
    for (let i = 0; i < 10; i += 1) await createOwner(app);
    let now = new Date();
    await deliver(now);
    expect(receiver.received).toHaveLength(10);
    // ten failed attempts within seconds: an outage, not a dead endpoint
    expect(await endpoint(id)).toMatchObject({ status: 'ACTIVE', consecutiveFailures: 10, disabledAt: null });

    const gaps: number[] = [];
    for (let attempt = 2; attempt <= WEBHOOK_POLICY.maxAttempts; attempt += 1) {
      const pending = await deliveriesOf(id, ['PENDING']);
      expect(pending).toHaveLength(10);
      gaps.push(...new Set(pending.map((d) => seconds(Date.parse(d.nextAttemptAt) - Date.parse(d.lastAttemptAt)))));
      now = new Date(Math.max(...pending.map((d) => Date.parse(d.nextAttemptAt))) + 10);
      await deliver(now);
      const state = await endpoint(id);
      if (attempt < WEBHOOK_POLICY.maxAttempts) expect([attempt, state.status]).toEqual([attempt, 'ACTIVE']);
    }
    // 30 s doubling per retry, capped at 2 h: about 24 h of retries in 20 attempts
    expect(gaps.slice(0, 9)).toEqual([30, 60, 120, 240, 480, 960, 1920, 3840, 7200]);
    expect(gaps.slice(9).every((g) => g === 7200)).toBe(true);
    expect(receiver.received).toHaveLength(10 * WEBHOOK_POLICY.maxAttempts);
    const failed = await deliveriesOf(id);
    expect(failed.every((d) => d.status === 'FAILED' && d.attempts === WEBHOOK_POLICY.maxAttempts && d.nextAttemptAt === null)).toBe(true);
    const disabled = await endpoint(id);
    expect(disabled).toMatchObject({ status: 'DISABLED', consecutiveFailures: 10 * WEBHOOK_POLICY.maxAttempts });
    expect(disabled.disabledReason).toMatch(/^Disabled after \d+ consecutive failed attempts since /);
    const [audit] = await app.sql(`SELECT actor_key_id, request_id, after FROM audit_event WHERE entity_id = $1 AND operation = 'disableWebhookEndpoint'`, [id]);
    expect(audit).toMatchObject({ actor_key_id: null, after: { status: 'DISABLED' } });
    expect(audit.request_id).toMatch(/^scheduler-/);

    // disabled: events written now are not queued for it, and nothing is sent
    const whileDisabled = await createOwner(app);
    await deliver(later(now, 60_000));
    expect(receiver.received).toHaveLength(200);
    expect((await deliveriesOf(id)).some((d) => d.event.entityId === whileDisabled.id)).toBe(false);

    // enabled again: the failure streak starts over, and a redelivery goes out
    receiver.answer(() => 200);
    const enabled = ok(await app.gql('mutation($id: ID!) { enableWebhookEndpoint(id: $id) { status consecutiveFailures failingSince disabledAt disabledReason version } }', { id })).enableWebhookEndpoint;
    expect(enabled).toMatchObject({ status: 'ACTIVE', consecutiveFailures: 0, failingSince: null, disabledAt: null, disabledReason: null, version: disabled.version + 1 });
    ok(await app.gql('mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }', { id: failed[0].id }));
    await deliver(later(now, 120_000));
    expect(receiver.received).toHaveLength(201);
    expect(receiver.received[200].id).toBe(failed[0].id);
  });

  test('disableWebhookEndpoint stops deliveries until enableWebhookEndpoint; pending deliveries then resume', async () => {
    const receiver = await startReceiver();
    receiver.answer(() => 500);
    const { id } = await createEndpoint({ url: receiver.url, eventTypes: ['OWNER'] });
    const before = await createOwner(app);
    const t0 = new Date();
    await deliver(t0);
    expect(receiver.received).toHaveLength(1);

    const DISABLE = 'mutation($id: ID!) { disableWebhookEndpoint(id: $id) { status disabledReason disabledAt version } }';
    const disabled = ok(await app.gql(DISABLE, { id })).disableWebhookEndpoint;
    expect(disabled).toMatchObject({ status: 'DISABLED', disabledReason: 'Disabled by an administrator', version: 2 });
    expect(ok(await app.gql(DISABLE, { id })).disableWebhookEndpoint.version).toBe(2); // again: unchanged
    const during = await createOwner(app);
    await deliver(later(t0, 3_600_000));
    expect(receiver.received).toHaveLength(1);

    receiver.answer(() => 200);
    ok(await app.gql('mutation($id: ID!) { enableWebhookEndpoint(id: $id) { status } }', { id }));
    const after = await createOwner(app);
    await deliver(later(t0, 3_600_000));
    // the delivery pending since before resumes; the event written while disabled was never queued
    expect(receiver.received.slice(1).map((r) => r.json.data.entityId).sort()).toEqual([before.id, after.id].sort());
    expect((await deliveriesOf(id)).map((d) => d.event.entityId)).not.toContain(during.id);
    const ops = await app.sql(`SELECT operation FROM audit_event WHERE entity_id = $1`, [id]);
    expect(ops.map((o) => o.operation).sort()).toEqual(['createWebhookEndpoint', 'disableWebhookEndpoint', 'enableWebhookEndpoint']);
  });

  test('deleteWebhookEndpoint archives it: nothing more is sent, undelivered deliveries are CANCELLED', async () => {
    const receiver = await startReceiver();
    receiver.answer(() => 503);
    const { id } = await createEndpoint({ url: receiver.url, eventTypes: ['OWNER'] });
    await createOwner(app);
    await deliver();
    const deleted = ok(await app.gql('mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { id archivedAt } }', { id })).deleteWebhookEndpoint;
    expect(deleted.archivedAt).not.toBeNull();
    expect((await deliveriesOf(id)).map((d) => d.status)).toEqual(['CANCELLED']);
    await createOwner(app);
    await deliver(later(new Date(), 3_600_000));
    expect(receiver.received).toHaveLength(1);
    const listed = ok(await app.gql('{ webhookEndpoints(first: 500) { edges { node { id } } } }')).webhookEndpoints.edges.map((e: any) => e.node.id);
    expect(listed).not.toContain(id);
    const archived = ok(await app.gql('{ webhookEndpoints(first: 500, filter: { includeArchived: true }) { edges { node { id } } } }')).webhookEndpoints.edges.map((e: any) => e.node.id);
    expect(archived).toContain(id);
    expect(errorCode(await app.gql('mutation($id: ID!) { enableWebhookEndpoint(id: $id) { id } }', { id }))).toBe('INVALID_TRANSITION');
    expect(errorCode(await app.gql('mutation { disableWebhookEndpoint(id: "00000000-0000-4000-8000-000000000000") { id } }'))).toBe('NOT_FOUND');
  });

  test('instances delivering at once never send a delivery twice, and each event is queued once per endpoint', async () => {
    const receiver = await startReceiver();
    const { id } = await createEndpoint({ url: receiver.url, eventTypes: ['OWNER'] });
    const owners = await Promise.all(Array.from({ length: 60 }, () => createOwner(app)));
    await Promise.all([deliver(), deliver(), deliver()]);
    const deliveries = await deliveriesOf(id);
    expect(deliveries).toHaveLength(60);
    expect(deliveries.every((d) => d.status === 'SUCCEEDED' && d.attempts === 1)).toBe(true);
    expect(receiver.received).toHaveLength(60);
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(60);
    expect(new Set(receiver.received.map((r) => r.json.data.entityId))).toEqual(new Set(owners.map((o) => o.id)));
  });
});

describe('filters', () => {
  test('an endpoint with eventTypes receives only those entity types', async () => {
    const risksOnly = await startReceiver();
    const everything = await startReceiver();
    await createEndpoint({ url: risksOnly.url, eventTypes: ['RISK'] });
    await createEndpoint({ url: everything.url, eventTypes: [] });
    const risk = await createRisk(app); // also creates an owner and a scope
    await deliver();
    expect(risksOnly.received.map((r) => [r.json.type, r.json.data.entityId])).toEqual([['risk.created', risk.id]]);
    expect(everything.received.map((r) => r.json.type).sort()).toEqual(['owner.created', 'owner.created', 'risk.created', 'scope.created']);
  });

  test('a restricted endpoint receives only its scopes\' events (with child scopes), plus owners, frameworks and crosswalks', async () => {
    const parent = await createScope(app);
    const child = await createScope(app, { parentId: parent.id });
    const other = await createScope(app);
    const restricted = await startReceiver();
    const all = await startReceiver();
    await createEndpoint({ url: restricted.url, scopeIds: [parent.id] });
    await createEndpoint({ url: all.url });

    const inChild = await createRisk(app, { scopeId: child.id, ownerId: app.ownerId });
    const inOther = await createRisk(app, { scopeId: other.id, ownerId: app.ownerId });
    const unscopedControl = await createControl(app, { ownerId: app.ownerId });
    const owner = await createOwner(app);
    await deliver();

    const seen = (r: Receiver) => r.received.map((x) => x.json.data.entityId);
    expect(seen(restricted).sort()).toEqual([inChild.id, owner.id].sort());
    expect(seen(all)).toEqual(expect.arrayContaining([inChild.id, inOther.id, unscopedControl.id, owner.id]));
  });

  test('a scope-restricted admin creates only endpoints within its scopes and sees only those', async () => {
    const mine = await createScope(app);
    const theirs = await createScope(app);
    const admin = await app.createKey([Permission.ADMIN], { scopeIds: [mine.id] });
    const receiver = await startReceiver();
    expect(errorCode(await app.gql(CREATE, { input: { url: receiver.url } }, admin.secret))).toBe('FORBIDDEN');
    expect(errorCode(await app.gql(CREATE, { input: { url: receiver.url, scopeIds: [theirs.id] } }, admin.secret))).toBe('FORBIDDEN');
    expect(errorCode(await app.gql(CREATE, { input: { url: receiver.url, scopeIds: [mine.id, theirs.id] } }, admin.secret))).toBe('FORBIDDEN');
    const own = await createEndpoint({ url: receiver.url, scopeIds: [mine.id] }, admin.secret);
    const global = await createEndpoint({ url: receiver.url });

    const listed = ok(await app.gql('{ webhookEndpoints(first: 500) { edges { node { id } } } }', {}, admin.secret)).webhookEndpoints.edges.map((e: any) => e.node.id);
    expect(listed).toEqual([own.id]);
    expect(errorCode(await app.gql(ENDPOINT, { id: global.id }, admin.secret))).toBe('NOT_FOUND');
    expect(errorCode(await app.gql('mutation($id: ID!) { disableWebhookEndpoint(id: $id) { id } }', { id: global.id }, admin.secret))).toBe('NOT_FOUND');

    await createRisk(app, { scopeId: mine.id, ownerId: app.ownerId });
    await deliver();
    const visible = ok(await app.gql(DELIVERIES, { first: 500 }, admin.secret)).webhookDeliveries.edges.map((e: any) => e.node.endpoint.id);
    expect(visible.length).toBeGreaterThan(0);
    expect(new Set(visible)).toEqual(new Set([own.id]));
  });
});

describe('redeliverWebhook', () => {
  test('queues a delivery again under the same webhook-id, and it goes out on the next pass', async () => {
    const receiver = await startReceiver();
    const { id, secret } = await createEndpoint({ url: receiver.url, eventTypes: ['OWNER'] });
    await createOwner(app);
    await deliver();
    const [delivered] = await deliveriesOf(id);
    expect(delivered.status).toBe('SUCCEEDED');

    const REDELIVER = 'mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id status attempts nextAttemptAt } }';
    const queued = ok(await app.gql(REDELIVER, { id: delivered.id })).redeliverWebhook;
    expect(queued).toMatchObject({ id: delivered.id, status: 'PENDING', attempts: 0 });
    expect(queued.nextAttemptAt).not.toBeNull();
    await deliver();
    expect(receiver.received.map((r) => r.id)).toEqual([delivered.id, delivered.id]);
    expect(receiver.received[0].body).toBe(receiver.received[1].body);
    expect(receiver.received[1].signature).toBe(expectedSignature(secret, receiver.received[1]));
    expect((await deliveriesOf(id))[0]).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(await count('audit_event', `entity_id = $1 AND operation = 'redeliverWebhook'`, [delivered.id])).toBe(1);

    expect(errorCode(await app.gql(REDELIVER, { id: '00000000-0000-4000-8000-000000000000' }))).toBe('NOT_FOUND');
    const writer = await app.createKey([Permission.ISMS_WRITE]);
    expect(errorCode(await app.gql(REDELIVER, { id: delivered.id }, writer.secret))).toBe('FORBIDDEN');
    ok(await app.gql('mutation($id: ID!) { disableWebhookEndpoint(id: $id) { id } }', { id }));
    expect(errorCode(await app.gql(REDELIVER, { id: delivered.id }))).toBe('INVALID_TRANSITION');
  });

  test('webhookDeliveries filters by endpoint and status', async () => {
    const good = await startReceiver();
    const bad = await startReceiver();
    bad.answer(() => 500);
    const a = await createEndpoint({ url: good.url, eventTypes: ['OWNER'] });
    const b = await createEndpoint({ url: bad.url, eventTypes: ['OWNER'] });
    await createOwner(app);
    await createOwner(app);
    await deliver();
    expect((await deliveriesOf(a.id)).map((d) => d.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(await deliveriesOf(b.id, ['SUCCEEDED'])).toHaveLength(0);
    expect(await deliveriesOf(b.id, ['PENDING', 'FAILED'])).toHaveLength(2);
    const page = ok(await app.gql(DELIVERIES, { filter: { endpointId: a.id }, first: 1 })).webhookDeliveries;
    expect(page.totalCount).toBe(2);
    expect(page.edges).toHaveLength(1);
  });
});
