import { randomUUID } from 'node:crypto';
import { startTestApp, ok, type TestApp } from './helpers/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/common/logger';
import { createWebhookRetentionJob } from '../src/modules/webhook/webhook-retention.job';

/**
 * The delivery log does not grow forever: events dispatched longer ago than WEBHOOK_RETENTION_DAYS
 * go, with their finished deliveries, once nothing about them is pending; the audit trail stays.
 */

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true' });
});
afterAll(() => app.close());

const DAY = 86_400_000;
const job = createWebhookRetentionJob({ config: loadConfig({ WEBHOOK_RETENTION_DAYS: '30' }) });

test('dispatched events past retention go with their finished deliveries; pending, recent and undispatched ones stay', async () => {
  const endpointId = ok(await app.gql('mutation { createWebhookEndpoint(input: { url: "http://127.0.0.1:9/hook", eventTypes: [OWNER] }) { endpoint { id } } }')).createWebhookEndpoint.endpoint.id;
  const ownerIds: string[] = [];
  for (let i = 0; i < 5; i += 1) ownerIds.push(ok(await app.gql(`mutation { createOwner(input: { kind: TEAM, name: "Retention ${i}" }) { id } }`)).createOwner.id);
  const events = await app.sql<{ id: string; entity_id: string }>('SELECT id, entity_id FROM outbox_event WHERE entity_id = ANY($1::uuid[])', [ownerIds]);
  expect(events).toHaveLength(5);
  const eventOf = (ownerId: string) => events.find((e) => e.entity_id === ownerId)!.id;
  const now = new Date();
  // [status of its delivery, days since dispatch] per owner's event; the last is never dispatched
  const plan: Array<[string | null, number | null]> = [['SUCCEEDED', 40], ['FAILED', 40], ['PENDING', 40], ['SUCCEEDED', 10], [null, null]];
  for (const [i, [status, daysAgo]] of plan.entries()) {
    const eventId = eventOf(ownerIds[i]);
    await app.sql('UPDATE outbox_event SET dispatched_at = $2, created_at = $3 WHERE id = $1', [eventId, daysAgo === null ? null : new Date(now.getTime() - daysAgo * DAY), new Date(now.getTime() - 41 * DAY)]);
    if (status) {
      await app.sql(`INSERT INTO webhook_delivery (id, event_id, endpoint_id, status, attempts, next_attempt_at) VALUES ($1, $2, $3, $4, 1, now())`, [randomUUID(), eventId, endpointId, status]);
    }
  }
  const auditBefore = await app.sql('SELECT count(*)::int AS n FROM audit_event');

  await job.run(app.db, now, createLogger('silent'));

  const left = await app.sql<{ entity_id: string }>('SELECT entity_id FROM outbox_event WHERE entity_id = ANY($1::uuid[])', [ownerIds]);
  expect(left.map((e) => e.entity_id).sort()).toEqual([ownerIds[2], ownerIds[3], ownerIds[4]].sort());
  const deliveries = ok(await app.gql('query($e: ID!) { webhookDeliveries(filter: { endpointId: $e }, first: 50) { edges { node { status event { entityId } } } } }', { e: endpointId })).webhookDeliveries.edges;
  expect(deliveries.map((d: any) => `${d.node.event.entityId} ${d.node.status}`).sort()).toEqual([`${ownerIds[2]} PENDING`, `${ownerIds[3]} SUCCEEDED`].sort());
  expect(await app.sql('SELECT count(*)::int AS n FROM audit_event')).toEqual(auditBefore);

  // a second pass has nothing left to do; a pass 25 days later takes the recent one too
  await job.run(app.db, now, createLogger('silent'));
  expect(await app.sql('SELECT count(*)::int AS n FROM outbox_event WHERE entity_id = ANY($1::uuid[])', [ownerIds])).toEqual([{ n: 3 }]);
  await job.run(app.db, new Date(now.getTime() + 25 * DAY), createLogger('silent'));
  const later = await app.sql<{ entity_id: string }>('SELECT entity_id FROM outbox_event WHERE entity_id = ANY($1::uuid[])', [ownerIds]);
  expect(later.map((e) => e.entity_id).sort()).toEqual([ownerIds[2], ownerIds[4]].sort());
});

test('WEBHOOK_RETENTION_DAYS is validated', () => {
  expect(loadConfig({}).webhookRetentionDays).toBe(30);
  expect(() => loadConfig({ WEBHOOK_RETENTION_DAYS: '0' })).toThrow('WEBHOOK_RETENTION_DAYS must be between 1 and 3650, got 0');
});
