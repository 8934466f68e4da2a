import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Context } from '../context';
import { badInput, forbidden, invalidTransition, notFound, unauthenticated } from '../common/errors';
import { paginate, SortDirection, type Connection, type PageRequest } from '../common/pagination';
import { isUuid } from '../common/validation';
import { inTransaction, recordWrite } from '../db/transaction';
import { KEY_REVOKED_CHANNEL } from '../db/event-bus';
import { ChangeAction, EntityType } from '../db/events';
import { claimCreate } from '../modules/idempotency/idempotency.service';
import { ownerService } from '../modules/owner/owner.service';
import { Scope } from '../modules/scope/scope.entity';
import { Asset, AssetKind, AssetLifecycleEvent, AssetScope, LifecycleEventKind, NhiKind } from '../modules/asset/asset.entity';
import { applyUpdate } from '../common/versioning';
import { ApiKey } from './api-key.entity';
import { DEFAULT_KEY_DAYS, MAX_KEY_DAYS, type ApiKeyFilter, type CreateApiKeyInput } from './api-key.inputs';
import { displayPrefix, generateSecret, hashSecret, isWellFormed } from './api-key.secret';
import { grants, Permission } from './permissions';
import type { Principal } from './principal';
import { visibleScopeIds } from './visibility';

const DAY = 24 * 60 * 60 * 1000;
const LAST_USED_GRANULARITY_MS = 60_000;

/** `sourceSystem` of the NHI assets that record this server's own API keys (externalId = key id). */
export const API_KEY_SOURCE_SYSTEM = 'isms-graph';
/** Rotation interval recorded on a key's asset when the caller passes none (API_KEY_ROTATION_DAYS). */
export const DEFAULT_ROTATION_DAYS = 90;

export interface IssueRequest {
  id: string;
  name: string;
  ownerId: string;
  permissions: ApiKey['permissions'];
  scopeIds: string[] | null;
  expiresAt: Date;
  createdByKeyId: string | null;
  /** Rotation interval of the key's NHI asset; default DEFAULT_ROTATION_DAYS (callers pass config.apiKeyRotationDays). */
  rotationIntervalDays?: number;
  /** The key's own rate limit; null or absent = the server default. */
  rateLimitPerMinute?: number | null;
}

/**
 * Inserts a key row and returns it with its one-time secret. The key is recorded in the same
 * transaction as a NON_HUMAN_IDENTITY asset (nhiKind API_KEY) of the key's owner and scopes, so it
 * shows in the inventory, in nhiFindings and in ROTATION_DUE reminders. With `audit`, the asset's
 * creation is audited and announced (ismsChanged) like any other asset write.
 */
export async function issueKey(
  tx: EntityManager,
  request: IssueRequest,
  audit?: { ctx: Context; operation: string },
): Promise<{ apiKey: ApiKey; secret: string }> {
  const secret = generateSecret();
  const { rotationIntervalDays = DEFAULT_ROTATION_DAYS, rateLimitPerMinute = null, ...key } = request;
  const assetId = randomUUID();
  const scopeIds = request.scopeIds ?? [];
  await tx.insert(Asset, {
    id: assetId,
    name: request.name,
    kind: AssetKind.NON_HUMAN_IDENTITY,
    nhiKind: NhiKind.API_KEY,
    description: `isms-graph API key ${displayPrefix(secret)}… (permissions ${request.permissions.join(', ')})`,
    ownerId: request.ownerId,
    sourceSystem: API_KEY_SOURCE_SYSTEM,
    externalId: request.id,
    privileged: request.permissions.includes(Permission.ADMIN),
    lastRotatedAt: () => 'now()',
    rotationIntervalDays,
    expiresAt: request.expiresAt,
  });
  if (scopeIds.length) await tx.insert(AssetScope, scopeIds.map((scopeId) => ({ assetId, scopeId })));
  await tx.insert(AssetLifecycleEvent, { id: randomUUID(), assetId, kind: LifecycleEventKind.CREATED, notes: `API key ${request.name} issued`, actorKeyId: request.createdByKeyId });
  await tx.insert(ApiKey, { ...key, assetId, rateLimitPerMinute, prefix: displayPrefix(secret), secretHash: hashSecret(secret) });
  if (audit) {
    const asset = await tx.findOneByOrFail(Asset, { id: assetId });
    await recordWrite(tx, audit.ctx, { operation: audit.operation, entityType: EntityType.ASSET, entityId: assetId, action: ChangeAction.CREATED, before: null, after: { ...asset, scopeIds }, version: asset.version, scopeIds });
  }
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

/** The columns authentication reads, by the current secret's hash or the one a rotation replaced. */
const LOOKUP_SQL = `SELECT id, owner_id AS "ownerId", permissions, scope_ids AS "scopeIds", expires_at AS "expiresAt", revoked_at AS "revokedAt",
       last_used_at AS "lastUsedAt", secret_hash AS "secretHash", previous_secret_expires_at AS "previousSecretExpiresAt",
       rate_limit_per_minute AS "rateLimitPerMinute", allow_list_bound AS "allowListBound"
  FROM api_key WHERE secret_hash = $1 OR previous_secret_hash = $1`;
type KeyRow = Pick<ApiKey, 'id' | 'ownerId' | 'permissions' | 'scopeIds' | 'expiresAt' | 'revokedAt' | 'lastUsedAt' | 'secretHash' | 'previousSecretExpiresAt' | 'rateLimitPerMinute' | 'allowListBound'>;

/**
 * Resolves `Authorization: Bearer <secret>` to a principal; a bad, expired or revoked key is
 * UNAUTHENTICATED. A malformed key or a wrong checksum is refused before any database work. The
 * secret a rotation replaced authenticates until `previousSecretExpiresAt`; the principal then
 * expires at that time, so its sockets close when the overlap ends.
 */
export async function authenticate(db: DataSource, header: string | undefined, allowAnonymousRead: boolean): Promise<Principal | null> {
  if (!header) {
    return allowAnonymousRead ? { keyId: null, ownerId: null, permissions: [Permission.ISMS_READ], scopeIds: null, expiresAt: null, rateLimitPerMinute: null, allowListBound: false } : null;
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match || !isWellFormed(match[1])) throw unauthenticated('The Authorization header must be `Bearer <API key>`');
  const hash = hashSecret(match[1]);
  // every request runs this: a fixed statement, no query building or entity hydration
  const [key]: KeyRow[] = await db.query(LOOKUP_SQL, [hash]);
  if (!key) throw unauthenticated('Unknown API key');
  if (key.revokedAt) throw unauthenticated('This API key was revoked');
  const now = Date.now();
  if (key.expiresAt.getTime() <= now) throw unauthenticated('This API key has expired');
  let expiresAt = key.expiresAt;
  if (key.secretHash !== hash) {
    const until = key.previousSecretExpiresAt;
    if (!until || until.getTime() <= now) throw unauthenticated('This API key secret was replaced by a rotation; use the new secret');
    if (until < expiresAt) expiresAt = until;
  }
  if (!key.lastUsedAt || now - key.lastUsedAt.getTime() >= LAST_USED_GRANULARITY_MS) {
    // one statement: the key and its inventory record, at most once a minute
    await db.query(
      `WITH used AS (
         UPDATE api_key SET last_used_at = now()
          WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
          RETURNING asset_id, last_used_at)
       UPDATE asset a SET last_used_at = used.last_used_at FROM used WHERE a.id = used.asset_id`,
      [key.id],
    );
  }
  return {
    keyId: key.id, ownerId: key.ownerId, permissions: key.permissions, scopeIds: key.scopeIds, expiresAt,
    rateLimitPerMinute: key.rateLimitPerMinute, allowListBound: key.allowListBound,
  };
}

/** Locks a key the calling admin may manage; NOT_FOUND otherwise. */
export async function lockManagedKey(ctx: Context, tx: EntityManager, id: string): Promise<ApiKey> {
  const key = isUuid(id) ? await tx.getRepository(ApiKey).createQueryBuilder('k').setLock('pessimistic_write').where('k.id = :id', { id: id.toLowerCase() }).getOne() : null;
  if (!key || !(await canManage(ctx, key))) throw notFound('ApiKey');
  return key;
}

/**
 * Updates the key's inventory record and appends a lifecycle event, audited as an asset write.
 * An asset already revoked (through the inventory) is not revoked a second time.
 */
async function updateAsset(ctx: Context, tx: EntityManager, key: ApiKey, operation: string, changes: Partial<Asset>, event: LifecycleEventKind, notes: string, action: ChangeAction): Promise<void> {
  const before = await tx.getRepository(Asset).createQueryBuilder('a').setLock('pessimistic_write').where('a.id = :id', { id: key.assetId }).getOneOrFail();
  if (event === LifecycleEventKind.REVOKED && before.revokedAt) return;
  const after = await applyUpdate(tx, Asset, before, changes, 'Asset');
  await tx.insert(AssetLifecycleEvent, { id: randomUUID(), assetId: after.id, kind: event, notes, actorKeyId: ctx.principal?.keyId ?? null });
  const scopeIds = (await tx.find(AssetScope, { where: { assetId: after.id } })).map((r) => r.scopeId);
  await recordWrite(tx, ctx, { operation, entityType: EntityType.ASSET, entityId: after.id, action, before: { ...before, scopeIds }, after: { ...after, scopeIds }, version: after.version, scopeIds });
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
        rotationIntervalDays: ctx.config.apiKeyRotationDays,
        rateLimitPerMinute: input.rateLimitPerMinute ?? null,
      }, { ctx, operation: 'createApiKey' });
      await recordWrite(tx, ctx, { operation: 'createApiKey', entityType: EntityType.API_KEY, entityId: claim.id, action: ChangeAction.CREATED, before: null, after: redact(issued.apiKey), version: 1, scopeIds: scopeIds ?? [] });
      return issued;
    });
  },

  revoke(ctx: Context, id: string): Promise<ApiKey> {
    return inTransaction(ctx, async (tx) => {
      const key = await lockManagedKey(ctx, tx, id);
      if (key.revokedAt) return key;
      const revokedAt = new Date();
      await tx.update(ApiKey, { id: key.id }, { revokedAt });
      // every instance closes the key's sockets when this commits
      await tx.query('SELECT pg_notify($1, $2)', [KEY_REVOKED_CHANNEL, JSON.stringify({ keyId: key.id })]);
      const after = await tx.findOneByOrFail(ApiKey, { id: key.id });
      await recordWrite(tx, ctx, { operation: 'revokeApiKey', entityType: EntityType.API_KEY, entityId: key.id, action: ChangeAction.TRANSITIONED, before: redact(key), after: redact(after), version: 1, scopeIds: key.scopeIds ?? [] });
      await updateAsset(ctx, tx, key, 'revokeApiKey', { revokedAt }, LifecycleEventKind.REVOKED, `API key ${key.name} revoked`, ChangeAction.TRANSITIONED);
      return after;
    });
  },

  /**
   * Issues a new secret for the same key id. The previous secret keeps working for
   * API_KEY_ROTATION_OVERLAP_MS, so clients can switch without downtime; a secret replaced
   * earlier (by a rotation before this one) stops at once. Revoked or expired keys are not rotated.
   */
  rotate(ctx: Context, id: string): Promise<{ apiKey: ApiKey; secret: string }> {
    return inTransaction(ctx, async (tx) => {
      const key = await lockManagedKey(ctx, tx, id);
      if (key.revokedAt) throw invalidTransition('A revoked API key cannot be rotated; create a new one');
      if (key.expiresAt.getTime() <= Date.now()) throw invalidTransition('An expired API key cannot be rotated; create a new one');
      const secret = generateSecret();
      const overlap = ctx.config.apiKeyRotationOverlapMs;
      const rotatedAt = new Date();
      await tx.update(ApiKey, { id: key.id }, {
        secretHash: hashSecret(secret),
        prefix: displayPrefix(secret),
        previousSecretHash: overlap > 0 ? key.secretHash : null,
        previousSecretExpiresAt: overlap > 0 ? new Date(rotatedAt.getTime() + overlap) : null,
      });
      const after = await tx.findOneByOrFail(ApiKey, { id: key.id });
      await recordWrite(tx, ctx, { operation: 'rotateApiKey', entityType: EntityType.API_KEY, entityId: key.id, action: ChangeAction.UPDATED, before: redact(key), after: redact(after), version: 1, scopeIds: key.scopeIds ?? [] });
      const notes = overlap > 0
        ? `New secret ${after.prefix}…; the previous one (${key.prefix}…) works until ${after.previousSecretExpiresAt!.toISOString()}`
        : `New secret ${after.prefix}…; the previous one (${key.prefix}…) stopped at once`;
      const description = `isms-graph API key ${after.prefix}… (permissions ${key.permissions.join(', ')})`;
      await updateAsset(ctx, tx, key, 'rotateApiKey', { lastRotatedAt: rotatedAt, description }, LifecycleEventKind.ROTATED, notes, ChangeAction.UPDATED);
      return { apiKey: after, secret };
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

/** Audit rows never hold a secret hash. */
export function redact(key: ApiKey): Omit<ApiKey, 'secretHash' | 'previousSecretHash'> {
  const { secretHash: _hidden, previousSecretHash: _previous, ...rest } = key;
  return rest;
}
