import { registerEnumType } from 'type-graphql';
import type { EntityManager } from 'typeorm';

/** Kinds of entity a change event (and an audit row) is about. */
export enum EntityType {
  OWNER = 'OWNER',
  SCOPE = 'SCOPE',
  CONTROL = 'CONTROL',
  RISK = 'RISK',
  TREATMENT_TASK = 'TREATMENT_TASK',
  EXCEPTION = 'EXCEPTION',
  EVIDENCE = 'EVIDENCE',
  ASSET = 'ASSET',
  FRAMEWORK = 'FRAMEWORK',
  CROSSWALK = 'CROSSWALK',
  SOA_ENTRY = 'SOA_ENTRY',
  REMINDER = 'REMINDER',
  API_KEY = 'API_KEY',
}
registerEnumType(EntityType, { name: 'EntityType', description: 'The kind of entity a change or audit event is about.' });

export enum ChangeAction {
  CREATED = 'CREATED',
  UPDATED = 'UPDATED',
  ARCHIVED = 'ARCHIVED',
  TRANSITIONED = 'TRANSITIONED',
}
registerEnumType(ChangeAction, { name: 'ChangeAction', description: 'What a write did.' });

/** The payload of `ismsChanged`: ids only, so a NOTIFY stays far below its 8,000-byte limit. */
export interface ChangeEvent {
  entityType: EntityType;
  entityId: string;
  action: ChangeAction;
  version: number;
  scopeIds: string[];
  at: string;
}

export const CHANGE_CHANNEL = 'isms_changed';

/** Queues the event inside the write's transaction; PostgreSQL delivers it only if that commits. */
export async function notifyChange(tx: EntityManager, event: ChangeEvent): Promise<void> {
  await tx.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, JSON.stringify(event)]);
}
