import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Context } from '../context';
import { visibleScopeIds } from '../auth/visibility';
import { AuditEvent } from '../modules/audit/audit.entity';
import { ChangeAction, EntityType, notifyChange } from './events';
import { insertOutboxEvent } from '../modules/webhook/outbox';

/** Runs a write in one transaction; the audit row and the change event commit with it or not at all. */
export async function inTransaction<T>(ctx: Context, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  // Nothing inside the transaction may wait for a second pool connection: when every connection is
  // held by a transaction queued behind this one's locks (concurrent retries of one idempotency
  // key), it would never get one. The key's visible scopes are read outside `tx`, so read them first.
  await visibleScopeIds(ctx);
  return ctx.db.transaction(work);
}

export interface WriteRecord {
  operation: string;
  entityType: EntityType;
  entityId: string;
  action: ChangeAction;
  before: object | null;
  after: object | null;
  version: number;
  scopeIds: string[];
}

function plain(value: object | null): Record<string, unknown> | null {
  return value === null ? null : (JSON.parse(JSON.stringify(value)) as Record<string, unknown>);
}

/** Writes the audit event and queues the change event for a write, inside its transaction. */
export async function recordWrite(tx: EntityManager, ctx: Context, write: WriteRecord): Promise<void> {
  const auditEventId = randomUUID();
  await tx.insert(AuditEvent, {
    id: auditEventId,
    actorKeyId: ctx.principal?.keyId ?? null,
    operation: write.operation,
    entityType: write.entityType,
    entityId: write.entityId,
    before: plain(write.before) as never,
    after: plain(write.after) as never,
    scopeIds: write.scopeIds,
    requestId: ctx.requestId,
  });
  const event = {
    entityType: write.entityType,
    entityId: write.entityId,
    action: write.action,
    version: write.version,
    scopeIds: write.scopeIds,
    at: new Date().toISOString(),
  };
  if (write.entityType !== EntityType.API_KEY) await notifyChange(tx, event);
  // webhooks: the outbox row commits with the write or not at all
  await insertOutboxEvent(tx, event, auditEventId);
}
