import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { ChangeEvent } from '../../db/events';

/** Credentials are no ISMS data: their changes never leave the system as webhooks. */
const NOT_PUBLISHED = new Set<string>(['API_KEY', 'CALENDAR_TOKEN']);

/**
 * Queues a committed write for webhook delivery: one row in the write's own transaction, so the
 * event exists if and only if the change commits. The delivery job fans it out to endpoints.
 */
export async function insertOutboxEvent(tx: EntityManager, event: ChangeEvent, auditEventId: string): Promise<void> {
  if (NOT_PUBLISHED.has(event.entityType)) return;
  await tx.query(
    `INSERT INTO outbox_event (id, entity_type, entity_id, action, version, scope_ids, at, audit_event_id)
     VALUES ($1, $2, $3, $4, $5, $6::uuid[], $7, $8)`,
    [randomUUID(), event.entityType, event.entityId, event.action, event.version, event.scopeIds, event.at, auditEventId],
  );
}
