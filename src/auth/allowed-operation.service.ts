import { createHash, randomUUID } from 'node:crypto';
import { parse } from 'graphql';
import type { EntityManager } from 'typeorm';
import type { Context } from '../context';
import { badInput, conflict } from '../common/errors';
import { paginate, SortDirection, type Connection, type PageRequest } from '../common/pagination';
import { isUuid } from '../common/validation';
import { inTransaction, recordWrite } from '../db/transaction';
import { ChangeAction, EntityType } from '../db/events';
import { AuditEvent } from '../modules/audit/audit.entity';
import { ApiKey } from './api-key.entity';
import { AllowedOperation, ApiKeyAllowedOperation } from './allowed-operation.entity';
import type { AllowedOperationFilter, RegisterAllowedOperationInput } from './api-key.inputs';
import { lockManagedKey, redact } from './api-key.service';

/** Audit `entityType` of registered operations (configuration, so no change event). */
const ALLOWED_OPERATION = 'ALLOWED_OPERATION';

/**
 * The hash an allow-list matches: SHA-256 over the exact UTF-8 bytes of the `query` text as the
 * client sends it (no whitespace or comment normalisation), lower-case hex. Apollo's automatic
 * persisted queries hash the same way, so a client's stored documents keep their hashes.
 */
export function documentHash(document: string): string {
  return createHash('sha256').update(document, 'utf8').digest('hex');
}

/** Operation ids that exist, in request order without repeats; an unknown one is BAD_USER_INPUT. */
async function requireOperations(tx: EntityManager, ids: readonly string[]): Promise<string[]> {
  const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
  const bad = unique.find((id) => !isUuid(id));
  if (bad !== undefined) throw badInput(`No allowed operation with id ${bad}`, 'operationIds');
  const found = unique.length ? await tx.getRepository(AllowedOperation).createQueryBuilder('o').where('o.id = ANY(:ids)', { ids: unique }).getMany() : [];
  const missing = unique.find((id) => !found.some((o) => o.id === id));
  if (missing) throw badInput(`No allowed operation with id ${missing}`, 'operationIds');
  return unique;
}

async function boundOperationIds(tx: EntityManager, keyId: string): Promise<string[]> {
  return (await tx.find(ApiKeyAllowedOperation, { where: { keyId }, order: { createdAt: 'ASC', operationId: 'ASC' } })).map((r) => r.operationId);
}

/** Records an allow-list change of a key as an API_KEY write (audited; API keys send no change events). */
async function auditBinding(ctx: Context, tx: EntityManager, operation: string, before: ApiKey, beforeIds: string[]): Promise<ApiKey> {
  const after = await tx.findOneByOrFail(ApiKey, { id: before.id });
  const afterIds = await boundOperationIds(tx, before.id);
  await recordWrite(tx, ctx, {
    operation, entityType: EntityType.API_KEY, entityId: before.id, action: ChangeAction.UPDATED,
    before: { ...redact(before), allowedOperationIds: beforeIds }, after: { ...redact(after), allowedOperationIds: afterIds },
    version: 1, scopeIds: before.scopeIds ?? [],
  });
  return after;
}

export const allowedOperationService = {
  /** Registers a document by its hash; the same document twice is CONFLICT (naming the first). */
  register(ctx: Context, input: RegisterAllowedOperationInput): Promise<AllowedOperation> {
    return inTransaction(ctx, async (tx) => {
      const name = input.name.trim();
      try {
        parse(input.document);
      } catch (err) {
        throw badInput(`document is not a GraphQL document: ${(err as Error).message}`, 'document');
      }
      const hash = documentHash(input.document);
      // one registration per hash; the unique index settles a concurrent duplicate
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`allowed-operation:${hash}`]);
      const existing = await tx.findOneBy(AllowedOperation, { documentHash: hash });
      if (existing) throw conflict(`This document is already registered as "${existing.name}" (${existing.id})`);
      const id = randomUUID();
      await tx.insert(AllowedOperation, { id, name, documentHash: hash, document: input.document, createdByKeyId: ctx.principal?.keyId ?? null });
      const created = await tx.findOneByOrFail(AllowedOperation, { id });
      await tx.insert(AuditEvent, {
        id: randomUUID(), actorKeyId: ctx.principal?.keyId ?? null, operation: 'registerAllowedOperation', entityType: ALLOWED_OPERATION,
        entityId: id, before: null, after: JSON.parse(JSON.stringify(created)) as never, scopeIds: [], requestId: ctx.requestId,
      });
      return created;
    });
  },

  /** Binds a key to the allow-list (if not yet) and adds these operations to it. */
  bind(ctx: Context, keyId: string, operationIds: readonly string[]): Promise<ApiKey> {
    return inTransaction(ctx, async (tx) => {
      const key = await lockManagedKey(ctx, tx, keyId);
      const ids = await requireOperations(tx, operationIds);
      const beforeIds = await boundOperationIds(tx, key.id);
      if (ids.length) {
        await tx.createQueryBuilder().insert().into(ApiKeyAllowedOperation).values(ids.map((operationId) => ({ keyId: key.id, operationId }))).orIgnore().execute();
      }
      if (!key.allowListBound) await tx.update(ApiKey, { id: key.id }, { allowListBound: true });
      return auditBinding(ctx, tx, 'bindApiKeyToAllowList', key, beforeIds);
    });
  },

  /**
   * Removes operations from a key's allow-list; the key stays bound (with none left it runs
   * nothing). Without `operationIds` every binding goes and the key is released from the list.
   */
  unbind(ctx: Context, keyId: string, operationIds: readonly string[] | null | undefined): Promise<ApiKey> {
    return inTransaction(ctx, async (tx) => {
      const key = await lockManagedKey(ctx, tx, keyId);
      const beforeIds = await boundOperationIds(tx, key.id);
      if (operationIds === null || operationIds === undefined) {
        await tx.delete(ApiKeyAllowedOperation, { keyId: key.id });
        await tx.update(ApiKey, { id: key.id }, { allowListBound: false });
      } else {
        const ids = await requireOperations(tx, operationIds);
        if (ids.length) {
          await tx.createQueryBuilder().delete().from(ApiKeyAllowedOperation).where('key_id = :keyId AND operation_id = ANY(:ids)', { keyId: key.id, ids }).execute();
        }
      }
      return auditBinding(ctx, tx, 'unbindApiKeyFromAllowList', key, beforeIds);
    });
  },

  list(ctx: Context, filter: AllowedOperationFilter, page: Omit<PageRequest, 'orderColumn' | 'orderProperty' | 'direction'>): Promise<Connection<AllowedOperation>> {
    const qb = ctx.db.getRepository(AllowedOperation).createQueryBuilder('o');
    if (filter.apiKeyId) {
      qb.andWhere('EXISTS (SELECT 1 FROM api_key_allowed_operation b WHERE b.operation_id = o.id AND b.key_id = :keyId)', { keyId: filter.apiKeyId.toLowerCase() });
    }
    if (filter.documentHash) qb.andWhere('o.documentHash = :hash', { hash: filter.documentHash.toLowerCase() });
    return paginate(qb, { ...page, orderColumn: 'o.createdAt', orderProperty: 'createdAt', direction: SortDirection.ASC });
  },
};
