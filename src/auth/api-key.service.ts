import type { DataSource, EntityManager } from 'typeorm';
import type { Context } from '../context';
import { badInput, forbidden, notFound, unauthenticated } from '../common/errors';
import { paginate, SortDirection, type Connection, type PageRequest } from '../common/pagination';
import { isUuid } from '../common/validation';
import { inTransaction, recordWrite } from '../db/transaction';
import { KEY_REVOKED_CHANNEL } from '../db/event-bus';
import { ChangeAction, EntityType } from '../db/events';
import { claimCreate } from '../modules/idempotency/idempotency.service';
import { ownerService } from '../modules/owner/owner.service';
import { Scope } from '../modules/scope/scope.entity';
import { ApiKey } from './api-key.entity';
import { DEFAULT_KEY_DAYS, MAX_KEY_DAYS, type ApiKeyFilter, type CreateApiKeyInput } from './api-key.inputs';
import { displayPrefix, generateSecret, hashSecret, isWellFormed } from './api-key.secret';
import { grants, Permission } from './permissions';
import type { Principal } from './principal';
import { visibleScopeIds } from './visibility';

const DAY = 24 * 60 * 60 * 1000;
const LAST_USED_GRANULARITY_MS = 60_000;

export interface IssueRequest {
  id: string;
  name: string;
  ownerId: string;
  permissions: ApiKey['permissions'];
  scopeIds: string[] | null;
  expiresAt: Date;
  createdByKeyId: string | null;
}

/** Inserts a key row and returns it with its one-time secret. */
export async function issueKey(tx: EntityManager, request: IssueRequest): Promise<{ apiKey: ApiKey; secret: string }> {
  const secret = generateSecret();
  await tx.insert(ApiKey, { ...request, prefix: displayPrefix(secret), secretHash: hashSecret(secret) });
  return { apiKey: await tx.findOneByOrFail(ApiKey, { id: request.id }), secret };
}

export function resolveExpiry(expiresAt: Date | null | undefined, now = new Date()): Date {
  if (!expiresAt) return new Date(now.getTime() + DEFAULT_KEY_DAYS * DAY);
  if (Number.isNaN(expiresAt.getTime()) || expiresAt <= now) throw badInput('expiresAt must be in the future', 'expiresAt');
  if (expiresAt.getTime() > now.getTime() + MAX_KEY_DAYS * DAY) throw badInput(`expiresAt may be at most ${MAX_KEY_DAYS} days ahead`, 'expiresAt');
  return expiresAt;
}

/** A restricted admin manages only keys confined to its own scopes. */
async function canManage(ctx: Context, key: ApiKey): Promise<boolean> {
  const allowed = await visibleScopeIds(ctx);
  return allowed === null || (key.scopeIds !== null && key.scopeIds.every((id) => allowed.includes(id)));
}

/** Resolves `Authorization: Bearer <secret>` to a principal; a bad, expired or revoked key is UNAUTHENTICATED. */
export async function authenticate(db: DataSource, header: string | undefined, allowAnonymousRead: boolean): Promise<Principal | null> {
  if (!header) {
    return allowAnonymousRead ? { keyId: null, ownerId: null, permissions: [Permission.ISMS_READ], scopeIds: null, expiresAt: null } : null;
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match || !isWellFormed(match[1])) throw unauthenticated('The Authorization header must be `Bearer <API key>`');
  const key = await db.getRepository(ApiKey).findOneBy({ secretHash: hashSecret(match[1]) });
  if (!key) throw unauthenticated('Unknown API key');
  if (key.revokedAt) throw unauthenticated('This API key was revoked');
  const now = Date.now();
  if (key.expiresAt.getTime() <= now) throw unauthenticated('This API key has expired');
  if (!key.lastUsedAt || now - key.lastUsedAt.getTime() >= LAST_USED_GRANULARITY_MS) {
    await db.query(
      `UPDATE api_key SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [key.id],
    );
  }
  return { keyId: key.id, ownerId: key.ownerId, permissions: key.permissions, scopeIds: key.scopeIds, expiresAt: key.expiresAt };
}

export const apiKeyService = {
  create(ctx: Context, input: CreateApiKeyInput, idempotencyKey?: string | null): Promise<{ apiKey: ApiKey; secret: string }> {
    return inTransaction(ctx, async (tx) => {
      const claim = await claimCreate(tx, ctx, 'createApiKey', idempotencyKey, input);
      if (claim.replay) throw badInput('An API key secret is shown only once; use a new idempotencyKey', 'idempotencyKey');
      const principal = ctx.principal!;
      for (const permission of input.permissions) {
        if (!grants(principal.permissions, permission)) throw forbidden(`This key cannot grant ${permission}`);
      }
      const allowed = await visibleScopeIds(ctx);
      const scopeIds = input.scopeIds ? [...new Set(input.scopeIds)] : null;
      if (allowed !== null && scopeIds === null) throw forbidden('A scope-restricted key can only create keys restricted to its scopes');
      if (scopeIds) {
        const found = await tx.getRepository(Scope).createQueryBuilder('s').where('s.id = ANY(:ids)', { ids: scopeIds }).getMany();
        const missing = scopeIds.find((id) => !found.some((s) => s.id === id) || (allowed !== null && !allowed.includes(id)));
        if (missing && allowed !== null && found.some((s) => s.id === missing)) throw forbidden('A key can only be restricted to scopes within the creating key\'s');
        if (missing) throw badInput(`No scope with id ${missing}`, 'scopeIds');
      }
      await ownerService.requireActive(tx, input.ownerId, 'ownerId');
      const issued = await issueKey(tx, {
        id: claim.id,
        name: input.name.trim(),
        ownerId: input.ownerId,
        permissions: [...new Set(input.permissions)],
        scopeIds,
        expiresAt: resolveExpiry(input.expiresAt),
        createdByKeyId: principal.keyId,
      });
      await recordWrite(tx, ctx, { operation: 'createApiKey', entityType: EntityType.API_KEY, entityId: claim.id, action: ChangeAction.CREATED, before: null, after: redact(issued.apiKey), version: 1, scopeIds: scopeIds ?? [] });
      return issued;
    });
  },

  revoke(ctx: Context, id: string): Promise<ApiKey> {
    return inTransaction(ctx, async (tx) => {
      const key = isUuid(id) ? await tx.getRepository(ApiKey).createQueryBuilder('k').setLock('pessimistic_write').where('k.id = :id', { id }).getOne() : null;
      if (!key || !(await canManage(ctx, key))) throw notFound('ApiKey');
      if (key.revokedAt) return key;
      await tx.update(ApiKey, { id }, { revokedAt: new Date() });
      // every instance closes the key's sockets when this commits
      await tx.query('SELECT pg_notify($1, $2)', [KEY_REVOKED_CHANNEL, JSON.stringify({ keyId: id })]);
      const after = await tx.findOneByOrFail(ApiKey, { id });
      await recordWrite(tx, ctx, { operation: 'revokeApiKey', entityType: EntityType.API_KEY, entityId: id, action: ChangeAction.TRANSITIONED, before: redact(key), after: redact(after), version: 1, scopeIds: key.scopeIds ?? [] });
      return after;
    });
  },

  async list(ctx: Context, filter: ApiKeyFilter, page: Omit<PageRequest, 'orderColumn' | 'orderProperty' | 'direction'>): Promise<Connection<ApiKey>> {
    const qb = ctx.db.getRepository(ApiKey).createQueryBuilder('k');
    const allowed = await visibleScopeIds(ctx);
    if (allowed !== null) qb.andWhere('k.scopeIds IS NOT NULL AND k.scopeIds <@ :allowed::uuid[]', { allowed });
    if (filter.ownerIds?.length) qb.andWhere('k.ownerId = ANY(:ownerIds)', { ownerIds: filter.ownerIds });
    if (!filter.includeInactive) qb.andWhere('k.revokedAt IS NULL AND k.expiresAt > now()');
    return paginate(qb, { ...page, orderColumn: 'k.createdAt', orderProperty: 'createdAt', direction: SortDirection.DESC });
  },
};

/** Audit rows never hold the secret hash. */
function redact(key: ApiKey): Omit<ApiKey, 'secretHash'> {
  const { secretHash: _hidden, ...rest } = key;
  return rest;
}
