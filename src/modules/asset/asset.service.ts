import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { API_KEY_SOURCE_SYSTEM } from '../../auth/api-key.service';
import { AppError, ErrorCode, badInput, conflict, forbidden, invalidTransition, notFound } from '../../common/errors';
import { paginate, type Connection, type PageRequest } from '../../common/pagination';
import { applyUpdate, assertVersion, lockRow } from '../../common/versioning';
import { isUuid, requireText } from '../../common/validation';
import { escapeLike } from '../../common/sql';
import { inTransaction, recordWrite } from '../../db/transaction';
import { ChangeAction, EntityType } from '../../db/events';
import { assertScopesWritable, canSeeAny, visibleScopeIds } from '../../auth/visibility';
import { childPath, importFault, type Place } from '../../catalogs/importers/document';
import { claimCreate } from '../idempotency/idempotency.service';
import { ownerService } from '../owner/owner.service';
import { scopeService } from '../scope/scope.service';
import { controlService } from '../control/control.service';
import { riskService } from '../risk/risk.service';
import { Owner } from '../owner/owner.entity';
import { Asset, AssetConsumer, AssetKind, AssetLifecycleEvent, AssetScope, ControlAsset, Environment, LifecycleEventKind, RiskAsset } from './asset.entity';
import type { AssetFilter, CreateAssetInput, ImportNonHumanIdentitiesInput, NhiImportResult, UpdateAssetInput } from './asset.inputs';
import { CLOCK_SKEW_MS, parseNhiDocument, type NhiRow, type RowRef } from './asset.import';
import { nextRotationSql } from './asset.reminders';

const TYPE = 'Asset';
const UNIQUE_VIOLATION = '23505';
/** Imports of one source system run one at a time: two would race to create the same identity. */
const IMPORT_LOCK_PREFIX = 'asset-import:';
const INSERT_CHUNK = 500;

/** Asset kinds that may use a non-human identity. */
export const CONSUMER_KINDS: readonly AssetKind[] = [AssetKind.APPLICATION, AssetKind.SERVICE];

/** UUIDs are case-insensitive on input; rows, loaders and visibility lists hold them lower-case. */
const norm = (id: string): string => id.toLowerCase();

/** Fields only a non-human identity has, as the inputs name them. */
const NHI_FIELDS = ['nhiKind', 'environments', 'consumerIds', 'privileged', 'humanUse', 'lastRotatedAt', 'rotationIntervalDays', 'expiresAt', 'lastUsedAt'] as const;
type NhiInput = Partial<Record<(typeof NHI_FIELDS)[number], unknown>>;

/** Fields an import compares and writes (the source's view of an identity). */
const IMPORTED_FIELDS = ['name', 'nhiKind', 'environments', 'privileged', 'humanUse', 'lastRotatedAt', 'rotationIntervalDays', 'expiresAt', 'lastUsedAt', 'ownerId'] as const;

const ENVIRONMENT_ORDER = Object.values(Environment);
/** Environments without repeats, in the enum's order, so equal sets compare equal. */
const canonicalEnvironments = (envs: readonly Environment[] | null | undefined): Environment[] =>
  ENVIRONMENT_ORDER.filter((e) => (envs ?? []).includes(e));

function same(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => same([...a].sort(), [...b].sort());

/** The properties of `changes` whose value differs from the row's. */
function changedFields<T extends object>(before: T, changes: Partial<T>): string[] {
  return Object.entries(changes).filter(([key, value]) => !same((before as Record<string, unknown>)[key], value)).map(([key]) => key);
}

async function scopeIdsOf(tx: EntityManager, assetId: string): Promise<string[]> {
  return (await tx.find(AssetScope, { where: { assetId }, order: { createdAt: 'ASC', scopeId: 'ASC' } })).map((r) => r.scopeId);
}

async function consumerIdsOf(tx: EntityManager, assetId: string): Promise<string[]> {
  return (await tx.find(AssetConsumer, { where: { assetId }, order: { createdAt: 'ASC', consumerId: 'ASC' } })).map((r) => r.consumerId);
}

/** An asset is visible when any of its scopes is (DOMAIN.md "Access"); one without scopes only to unrestricted keys. */
async function visible(ctx: Context, asset: Asset | null): Promise<boolean> {
  if (!asset) return false;
  if ((await visibleScopeIds(ctx)) === null) return true;
  return canSeeAny(ctx, await ctx.loaders.assetScopeIds.load(asset.id));
}

/** Locks an asset the key may see: NOT_FOUND when absent or invisible. */
async function lockVisible(ctx: Context, tx: EntityManager, id: string): Promise<{ asset: Asset; scopeIds: string[] }> {
  const asset = await lockRow(tx, Asset, norm(id), TYPE);
  const scopeIds = await scopeIdsOf(tx, asset.id);
  if (!(await canSeeAny(ctx, scopeIds))) throw notFound(TYPE);
  return { asset, scopeIds };
}

async function appendLifecycle(tx: EntityManager, ctx: Context, assetIds: string | string[], kind: LifecycleEventKind, notes: string | null): Promise<void> {
  const ids = Array.isArray(assetIds) ? assetIds : [assetIds];
  for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
    await tx.insert(AssetLifecycleEvent, ids.slice(i, i + INSERT_CHUNK).map((assetId) => ({
      id: randomUUID(), assetId, kind, notes, actorKeyId: ctx.principal?.keyId ?? null,
    })));
  }
}

/** Audits a write with the asset's scopes and consumers before and after; the change event goes to every scope involved. */
function audit(ctx: Context, tx: EntityManager, operation: string, action: ChangeAction, before: (Asset & object) | null, after: Asset & { scopeIds: string[] }, beforeScopeIds: string[] = after.scopeIds): Promise<void> {
  const scopeIds = [...new Set([...beforeScopeIds, ...after.scopeIds])];
  return recordWrite(tx, ctx, { operation, entityType: EntityType.ASSET, entityId: after.id, action, before, after, version: after.version, scopeIds });
}

function isMeaningful(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  return !Array.isArray(value) || value.length > 0;
}

/** NHI fields set on another kind of asset are BAD_USER_INPUT (false, [] and null say nothing and pass). */
function assertNoNhiFields(input: NhiInput, kind: AssetKind): void {
  for (const field of NHI_FIELDS) {
    if (isMeaningful(input[field])) throw badInput(`${field} is only accepted for NON_HUMAN_IDENTITY assets, not ${kind}`, field);
  }
}

function assertNotFuture(date: Date | null | undefined, field: string): void {
  if (date && date.getTime() > Date.now() + CLOCK_SKEW_MS) throw badInput(`${field} must not be in the future`, field);
}

/**
 * API keys are inventoried as identities of source system `isms-graph`; their record follows the
 * key (createApiKey, rotateApiKey, revokeApiKey), so inventory writes must not change it apart.
 */
function assertNotKeyManaged(asset: Asset): void {
  if (asset.sourceSystem === API_KEY_SOURCE_SYSTEM) {
    throw forbidden(`${asset.name} is an API key of this service; rotate or revoke it with rotateApiKey / revokeApiKey`);
  }
}

function assertSourceNotReserved(sourceSystem: string | null, field = 'sourceSystem'): void {
  if (sourceSystem === API_KEY_SOURCE_SYSTEM) throw badInput(`The source system "${API_KEY_SOURCE_SYSTEM}" is reserved for this service's own API keys`, field);
}

/** externalId and sourceSystem identify an asset in its source together: both or neither. */
function assertSourcePair(externalId: string | null, sourceSystem: string | null): void {
  if (externalId !== null && sourceSystem === null) throw badInput('externalId needs the sourceSystem it belongs to', 'sourceSystem');
  if (sourceSystem !== null && externalId === null) throw badInput('sourceSystem needs the externalId of the asset in it', 'externalId');
}

const duplicateSource = (sourceSystem: string, externalId: string) => conflict(`An asset with externalId "${externalId}" from "${sourceSystem}" already exists`);

async function assertSourceFree(tx: EntityManager, sourceSystem: string | null, externalId: string | null, exceptId?: string): Promise<void> {
  if (sourceSystem === null || externalId === null) return;
  const existing = await tx.findOneBy(Asset, { sourceSystem, externalId });
  if (existing && existing.id !== exceptId) throw duplicateSource(sourceSystem, externalId);
}

/** The unique index decides a race the check above cannot see. */
async function sourceUnique<T>(sourceSystem: string | null, externalId: string | null, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if ((err as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION && sourceSystem && externalId) throw duplicateSource(sourceSystem, externalId);
    throw err;
  }
}

/** Consumers named by id: existing, visible (else FORBIDDEN), active APPLICATION or SERVICE assets. */
async function requireConsumers(ctx: Context, tx: EntityManager, ids: readonly string[]): Promise<string[]> {
  const unique = [...new Set(ids.map(norm))];
  const rows = unique.length ? await tx.createQueryBuilder(Asset, 'a').where('a.id = ANY(:ids)', { ids: unique }).getMany() : [];
  const byId = new Map(rows.map((a) => [a.id, a]));
  for (const id of unique) {
    const consumer = byId.get(id);
    if (!consumer) throw badInput(`No asset with id ${id}`, 'consumerIds');
    if (!(await canSeeAny(ctx, await scopeIdsOf(tx, id)))) throw forbidden('This API key is restricted to other scopes');
    if (consumer.archivedAt) throw badInput(`Asset ${consumer.name} is archived`, 'consumerIds');
    if (!CONSUMER_KINDS.includes(consumer.kind)) throw badInput(`${consumer.name} is a ${consumer.kind} asset; consumers must be APPLICATION or SERVICE assets`, 'consumerIds');
  }
  return unique;
}

async function insertConsumers(tx: EntityManager, rows: Array<{ assetId: string; consumerId: string }>): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) await tx.insert(AssetConsumer, rows.slice(i, i + INSERT_CHUNK));
}

/** Link writes (scopes, risks, controls) bump the asset's version and are audited; they add no lifecycle event. */
async function bumpForLink(ctx: Context, tx: EntityManager, asset: Asset, operation: string, before: { scopeIds: string[] }, after: { scopeIds: string[]; [detail: string]: unknown }): Promise<Asset> {
  const updated = await applyUpdate(tx, Asset, asset, {}, TYPE);
  await audit(ctx, tx, operation, ChangeAction.UPDATED, { ...asset, ...before }, { ...updated, ...after }, before.scopeIds);
  return updated;
}

const placeName = (place: Place): string => (place.path !== undefined ? place.path : `line ${place.line}`);
const idPlace = (row: NhiRow): Place => (row.place.path !== undefined ? { path: childPath(row.place.path, 'id') } : row.place);

/** Owners named by e-mail (preferred) or name, case-insensitively; unknown or ambiguous names are import faults. */
async function resolveOwners(tx: EntityManager, rows: readonly NhiRow[]): Promise<Map<NhiRow, string>> {
  const refs = [...new Set(rows.flatMap((r) => (r.owner ? [r.owner.value.toLowerCase()] : [])))];
  const owners: Array<{ id: string; name: string; email: string | null }> = refs.length ? await tx.query(
    'SELECT id, name, email FROM owner WHERE archived_at IS NULL AND (lower(email) = ANY($1::text[]) OR lower(name) = ANY($1::text[]))',
    [refs],
  ) : [];
  const resolved = new Map<NhiRow, string>();
  for (const row of rows) {
    if (!row.owner) continue;
    const wanted = row.owner.value.toLowerCase();
    const byEmail = owners.filter((o) => o.email?.toLowerCase() === wanted);
    const byName = owners.filter((o) => o.name.toLowerCase() === wanted);
    const matches = byEmail.length ? byEmail : byName;
    if (matches.length === 0) importFault(`No active owner has the e-mail address or name "${row.owner.value}"`, row.owner.place);
    if (matches.length > 1) importFault(`${matches.length} owners are called "${row.owner.value}"; name the owner by e-mail address`, row.owner.place);
    resolved.set(row, matches[0].id);
  }
  return resolved;
}

interface ConsumerCandidate { id: string; name: string; kind: AssetKind; external_id: string | null; source_system: string | null }

/**
 * Consumers named by external id or name: among the active assets the key may see, an external id
 * of the same source system first, then any external id, then the name (case-insensitive).
 */
async function resolveConsumerRefs(ctx: Context, tx: EntityManager, rows: readonly NhiRow[], sourceSystem: string): Promise<Map<RowRef, string>> {
  const refs = rows.flatMap((r) => r.consumers);
  if (!refs.length) return new Map();
  const values = [...new Set(refs.map((r) => r.value))];
  const allowed = await visibleScopeIds(ctx);
  const candidates: ConsumerCandidate[] = await tx.query(
    `SELECT a.id, a.name, a.kind, a.external_id, a.source_system FROM asset a
      WHERE a.archived_at IS NULL AND (a.external_id = ANY($1::text[]) OR lower(a.name) = ANY($2::text[]))
        AND ($3::uuid[] IS NULL OR EXISTS (SELECT 1 FROM asset_scope s WHERE s.asset_id = a.id AND s.scope_id = ANY($3::uuid[])))`,
    [values, values.map((v) => v.toLowerCase()), allowed],
  );
  const resolved = new Map<RowRef, string>();
  for (const ref of refs) {
    const named = candidates.filter((c) => c.external_id === ref.value || c.name.toLowerCase() === ref.value.toLowerCase());
    const apps = named.filter((c) => CONSUMER_KINDS.includes(c.kind));
    if (!apps.length) {
      if (named.length) importFault(`"${ref.value}" is a ${named[0].kind} asset; consumers must be APPLICATION or SERVICE assets`, ref.place);
      importFault(`No APPLICATION or SERVICE asset has the external id or name "${ref.value}"`, ref.place);
    }
    const bySource = apps.filter((c) => c.external_id === ref.value && c.source_system === sourceSystem);
    const byExternalId = apps.filter((c) => c.external_id === ref.value);
    const byName = apps.filter((c) => c.name.toLowerCase() === ref.value.toLowerCase());
    const pick = [bySource, byExternalId, byName].find((list) => list.length > 0)!;
    if (pick.length > 1) importFault(`"${ref.value}" names ${pick.length} assets; use the external id of the one meant`, ref.place);
    resolved.set(ref, pick[0].id);
  }
  return resolved;
}

/** What one row asks the asset to be. */
interface Desired {
  row: NhiRow;
  values: Pick<Asset, (typeof IMPORTED_FIELDS)[number]>;
  consumerIds: string[];
}

export const assetService = {
  async get(ctx: Context, id: string): Promise<Asset> {
    const asset = isUuid(id) ? await ctx.loaders.asset.load(norm(id)) : null;
    if (!(await visible(ctx, asset))) throw notFound(TYPE);
    return asset!;
  },

  /** For nested fields: the visible ones of these assets, in order. */
  async visibleMany(ctx: Context, ids: readonly string[]): Promise<Asset[]> {
    const assets = (await ctx.loaders.asset.loadMany([...ids])).filter((a): a is Asset => !!a && !(a instanceof Error));
    const shown = await Promise.all(assets.map((a) => visible(ctx, a)));
    return assets.filter((_a, i) => shown[i]);
  },

  async list(ctx: Context, filter: AssetFilter, page: PageRequest): Promise<Connection<Asset>> {
    const qb = ctx.db.getRepository(Asset).createQueryBuilder('a');
    const allowed = await visibleScopeIds(ctx);
    if (allowed) qb.andWhere('EXISTS (SELECT 1 FROM asset_scope vs WHERE vs.asset_id = a.id AND vs.scope_id = ANY(:allowed))', { allowed });
    if (!filter.includeArchived) qb.andWhere('a.archivedAt IS NULL');
    if (!filter.includeRevoked) qb.andWhere('a.revokedAt IS NULL');
    if (filter.kinds?.length) qb.andWhere('a.kind = ANY(:kinds)', { kinds: filter.kinds });
    if (filter.nhiKinds?.length) qb.andWhere('a.nhiKind = ANY(:nhiKinds)', { nhiKinds: filter.nhiKinds });
    if (filter.ownerIds?.length) qb.andWhere('a.ownerId = ANY(:ownerIds)', { ownerIds: filter.ownerIds });
    if (filter.scopeIds?.length) qb.andWhere('EXISTS (SELECT 1 FROM asset_scope fs WHERE fs.asset_id = a.id AND fs.scope_id = ANY(:scopeIds))', { scopeIds: filter.scopeIds });
    if (filter.environments?.length) qb.andWhere('a.environments && CAST(:environments AS text[])', { environments: filter.environments });
    if (filter.rotationDueBefore) qb.andWhere(`${nextRotationSql('a')} < :dueBefore`, { dueBefore: filter.rotationDueBefore });
    if (filter.sourceSystem) qb.andWhere('a.sourceSystem = :sourceSystem', { sourceSystem: filter.sourceSystem });
    if (filter.search) qb.andWhere("(a.name ILIKE '%' || :q || '%' OR a.externalId ILIKE '%' || :q || '%')", { q: escapeLike(filter.search) });
    return paginate(qb, page);
  },

  create(ctx: Context, input: CreateAssetInput, idempotencyKey?: string | null): Promise<Asset> {
    return inTransaction(ctx, async (tx) => {
      const claim = await claimCreate(tx, ctx, 'createAsset', idempotencyKey, input);
      if (claim.replay) return tx.findOneByOrFail(Asset, { id: claim.id });
      const nhi = input.kind === AssetKind.NON_HUMAN_IDENTITY;
      if (nhi && !input.nhiKind) throw badInput('nhiKind is required for a NON_HUMAN_IDENTITY asset', 'nhiKind');
      if (!nhi) assertNoNhiFields(input, input.kind);
      const externalId = input.externalId?.trim() ?? null;
      const sourceSystem = input.sourceSystem?.trim() ?? null;
      assertSourceNotReserved(sourceSystem);
      assertSourcePair(externalId, sourceSystem);
      const scopeIds = [...new Set((input.scopeIds ?? []).map(norm))];
      for (const scopeId of scopeIds) await scopeService.requireWritable(ctx, tx, scopeId, 'scopeIds');
      await assertScopesWritable(ctx, scopeIds);
      const ownerId = input.ownerId ? (await ownerService.requireActive(tx, norm(input.ownerId), 'ownerId')).id : null;
      const consumerIds = nhi ? await requireConsumers(ctx, tx, input.consumerIds ?? []) : [];
      assertNotFuture(input.lastRotatedAt, 'lastRotatedAt');
      assertNotFuture(input.lastUsedAt, 'lastUsedAt');
      await assertSourceFree(tx, sourceSystem, externalId);
      await sourceUnique(sourceSystem, externalId, () => tx.insert(Asset, {
        id: claim.id,
        name: input.name.trim(),
        kind: input.kind,
        description: input.description ?? null,
        ownerId,
        criticality: input.criticality ?? undefined,
        externalId,
        sourceSystem,
        nhiKind: nhi ? input.nhiKind! : null,
        environments: nhi ? canonicalEnvironments(input.environments) : [],
        privileged: nhi ? input.privileged ?? false : false,
        humanUse: nhi ? input.humanUse ?? false : false,
        lastRotatedAt: nhi ? input.lastRotatedAt ?? null : null,
        rotationIntervalDays: nhi ? input.rotationIntervalDays ?? null : null,
        expiresAt: nhi ? input.expiresAt ?? null : null,
        lastUsedAt: nhi ? input.lastUsedAt ?? null : null,
      }));
      if (scopeIds.length) await tx.insert(AssetScope, scopeIds.map((scopeId) => ({ assetId: claim.id, scopeId })));
      await insertConsumers(tx, consumerIds.map((consumerId) => ({ assetId: claim.id, consumerId })));
      await appendLifecycle(tx, ctx, claim.id, LifecycleEventKind.CREATED, null);
      const saved = await tx.findOneByOrFail(Asset, { id: claim.id });
      await audit(ctx, tx, 'createAsset', ChangeAction.CREATED, null, { ...saved, scopeIds, consumerIds } as Asset & { scopeIds: string[] });
      return saved;
    });
  },

  update(ctx: Context, id: string, input: UpdateAssetInput, expectedVersion?: number | null): Promise<Asset> {
    return inTransaction(ctx, async (tx) => {
      const { asset: before, scopeIds } = await lockVisible(ctx, tx, id);
      assertNotKeyManaged(before);
      assertVersion(before, expectedVersion, TYPE);
      const nhi = before.kind === AssetKind.NON_HUMAN_IDENTITY;
      const changes: Partial<Asset> = {};
      if (input.kind !== undefined && input.kind !== before.kind) {
        if ((input.kind === AssetKind.NON_HUMAN_IDENTITY) !== nhi) {
          throw badInput('An asset cannot become or stop being a NON_HUMAN_IDENTITY; archive it and create another', 'kind');
        }
        if (!CONSUMER_KINDS.includes(input.kind) && (await tx.countBy(AssetConsumer, { consumerId: before.id })) > 0) {
          throw badInput(`Identities name ${before.name} as a consumer: it must stay an APPLICATION or SERVICE asset`, 'kind');
        }
        changes.kind = input.kind;
      }
      if (!nhi) assertNoNhiFields(input, before.kind);
      if (input.name !== undefined) changes.name = input.name.trim();
      if (input.description !== undefined) changes.description = input.description;
      if (input.criticality !== undefined) changes.criticality = input.criticality;
      if (input.ownerId !== undefined) changes.ownerId = input.ownerId === null ? null : (await ownerService.requireActive(tx, norm(input.ownerId), 'ownerId')).id;
      const externalId = input.externalId !== undefined ? input.externalId?.trim() ?? null : before.externalId;
      const sourceSystem = input.sourceSystem !== undefined ? input.sourceSystem?.trim() ?? null : before.sourceSystem;
      if (input.sourceSystem !== undefined) assertSourceNotReserved(sourceSystem);
      assertSourcePair(externalId, sourceSystem);
      if (externalId !== before.externalId || sourceSystem !== before.sourceSystem) {
        await assertSourceFree(tx, sourceSystem, externalId, before.id);
        changes.externalId = externalId;
        changes.sourceSystem = sourceSystem;
      }
      let consumerIds = await consumerIdsOf(tx, before.id);
      const consumersBefore = consumerIds;
      if (nhi) {
        if (input.nhiKind !== undefined) changes.nhiKind = input.nhiKind;
        if (input.environments !== undefined) changes.environments = canonicalEnvironments(input.environments);
        if (input.privileged !== undefined) changes.privileged = input.privileged;
        if (input.humanUse !== undefined) changes.humanUse = input.humanUse;
        if (input.lastRotatedAt !== undefined) changes.lastRotatedAt = input.lastRotatedAt;
        if (input.rotationIntervalDays !== undefined) changes.rotationIntervalDays = input.rotationIntervalDays;
        if (input.expiresAt !== undefined) changes.expiresAt = input.expiresAt;
        if (input.lastUsedAt !== undefined) changes.lastUsedAt = input.lastUsedAt;
        assertNotFuture(changes.lastRotatedAt, 'lastRotatedAt');
        assertNotFuture(changes.lastUsedAt, 'lastUsedAt');
        if (input.consumerIds !== undefined) consumerIds = await requireConsumers(ctx, tx, input.consumerIds ?? []);
      }
      const consumersChanged = !sameSet(consumersBefore, consumerIds);
      if (consumersChanged) {
        await tx.delete(AssetConsumer, { assetId: before.id });
        await insertConsumers(tx, consumerIds.map((consumerId) => ({ assetId: before.id, consumerId })));
      }
      const changed = [...changedFields(before, changes), ...(consumersChanged ? ['consumers'] : [])];
      const after = await sourceUnique(sourceSystem, externalId, () => applyUpdate(tx, Asset, before, changes, TYPE));
      await appendLifecycle(tx, ctx, after.id, LifecycleEventKind.UPDATED, changed.length ? `Changed ${changed.join(', ')}` : null);
      await audit(ctx, tx, 'updateAsset', ChangeAction.UPDATED, { ...before, scopeIds, consumerIds: consumersBefore } as Asset, { ...after, scopeIds, consumerIds } as Asset & { scopeIds: string[] });
      return after;
    });
  },

  archive(ctx: Context, id: string, expectedVersion?: number | null): Promise<Asset> {
    return inTransaction(ctx, async (tx) => {
      const { asset: before, scopeIds } = await lockVisible(ctx, tx, id);
      assertNotKeyManaged(before);
      assertVersion(before, expectedVersion, TYPE);
      if (before.archivedAt) return before;
      const after = await applyUpdate(tx, Asset, before, { archivedAt: new Date() }, TYPE);
      await appendLifecycle(tx, ctx, after.id, LifecycleEventKind.ARCHIVED, null);
      await audit(ctx, tx, 'archiveAsset', ChangeAction.ARCHIVED, before, { ...after, scopeIds });
      return after;
    });
  },

  linkToScope(ctx: Context, assetId: string, scopeId: string): Promise<Asset> {
    return inTransaction(ctx, async (tx) => {
      const { asset, scopeIds } = await lockVisible(ctx, tx, assetId);
      const scope = await scopeService.requireWritable(ctx, tx, norm(scopeId), 'scopeId');
      if (scopeIds.includes(scope.id)) return asset;
      await tx.insert(AssetScope, { assetId: asset.id, scopeId: scope.id });
      return bumpForLink(ctx, tx, asset, 'linkAssetToScope', { scopeIds }, { scopeIds: [...scopeIds, scope.id] });
    });
  },

  unlinkFromScope(ctx: Context, assetId: string, scopeId: string): Promise<Asset> {
    return inTransaction(ctx, async (tx) => {
      const { asset, scopeIds } = await lockVisible(ctx, tx, assetId);
      if (!isUuid(scopeId)) throw badInput(`No scope with id ${scopeId}`, 'scopeId');
      const id = norm(scopeId);
      await assertScopesWritable(ctx, [id]);
      if (!scopeIds.includes(id)) return asset;
      await tx.delete(AssetScope, { assetId: asset.id, scopeId: id });
      return bumpForLink(ctx, tx, asset, 'unlinkAssetFromScope', { scopeIds }, { scopeIds: scopeIds.filter((s) => s !== id) });
    });
  },

  /** Links a risk (visible, active; else FORBIDDEN / BAD_USER_INPUT on riskId) to an asset; a no-op when linked. */
  linkRisk(ctx: Context, riskId: string, assetId: string): Promise<Asset> {
    return inTransaction(ctx, async (tx) => {
      const { asset, scopeIds } = await lockVisible(ctx, tx, assetId);
      const risk = await riskService.requireWritable(ctx, tx, riskId, 'riskId');
      if (await tx.findOneBy(RiskAsset, { riskId: risk.id, assetId: asset.id })) return asset;
      await tx.insert(RiskAsset, { riskId: risk.id, assetId: asset.id });
      return bumpForLink(ctx, tx, asset, 'linkRiskToAsset', { scopeIds }, { scopeIds, linkedRiskId: risk.id });
    });
  },

  unlinkRisk(ctx: Context, riskId: string, assetId: string): Promise<Asset> {
    return inTransaction(ctx, async (tx) => {
      const { asset, scopeIds } = await lockVisible(ctx, tx, assetId);
      if (!isUuid(riskId)) throw badInput(`No risk with id ${riskId}`, 'riskId');
      const result = await tx.delete(RiskAsset, { riskId: norm(riskId), assetId: asset.id });
      if (!result.affected) return asset;
      return bumpForLink(ctx, tx, asset, 'unlinkRiskFromAsset', { scopeIds }, { scopeIds, unlinkedRiskId: norm(riskId) });
    });
  },

  /** Links a control (visible, active; else FORBIDDEN / BAD_USER_INPUT on controlId) to an asset it protects. */
  linkControl(ctx: Context, controlId: string, assetId: string): Promise<Asset> {
    return inTransaction(ctx, async (tx) => {
      const { asset, scopeIds } = await lockVisible(ctx, tx, assetId);
      const control = await controlService.requireVisible(ctx, tx, controlId, 'controlId');
      if (await tx.findOneBy(ControlAsset, { controlId: control.id, assetId: asset.id })) return asset;
      await tx.insert(ControlAsset, { controlId: control.id, assetId: asset.id });
      return bumpForLink(ctx, tx, asset, 'linkControlToAsset', { scopeIds }, { scopeIds, linkedControlId: control.id });
    });
  },

  unlinkControl(ctx: Context, controlId: string, assetId: string): Promise<Asset> {
    return inTransaction(ctx, async (tx) => {
      const { asset, scopeIds } = await lockVisible(ctx, tx, assetId);
      if (!isUuid(controlId)) throw badInput(`No control with id ${controlId}`, 'controlId');
      const result = await tx.delete(ControlAsset, { controlId: norm(controlId), assetId: asset.id });
      if (!result.affected) return asset;
      return bumpForLink(ctx, tx, asset, 'unlinkControlFromAsset', { scopeIds }, { scopeIds, unlinkedControlId: norm(controlId) });
    });
  },

  /**
   * Records a rotation of an identity's secret (default now): lastRotatedAt moves, a ROTATED event
   * joins the history, and `expiresAt`, when given, is the new credential's expiry. Recording the
   * rotation already on record again changes nothing.
   */
  recordRotation(ctx: Context, args: { assetId: string; rotatedAt?: Date | null; notes?: string | null; expiresAt?: Date | null; expectedVersion?: number | null }): Promise<Asset> {
    return inTransaction(ctx, async (tx) => {
      const { asset: before, scopeIds } = await lockVisible(ctx, tx, args.assetId);
      assertNotKeyManaged(before);
      assertVersion(before, args.expectedVersion, TYPE);
      if (before.kind !== AssetKind.NON_HUMAN_IDENTITY) throw badInput(`${before.name} is a ${before.kind} asset; only non-human identities are rotated`, 'assetId');
      if (before.revokedAt) throw invalidTransition(`${before.name} was revoked; a revoked identity is not rotated`);
      if (before.archivedAt) throw invalidTransition(`${before.name} is archived`);
      const rotatedAt = args.rotatedAt ?? new Date();
      assertNotFuture(rotatedAt, 'rotatedAt');
      if (before.lastRotatedAt && rotatedAt < before.lastRotatedAt) {
        throw badInput(`rotatedAt is before the last recorded rotation (${before.lastRotatedAt.toISOString()})`, 'rotatedAt');
      }
      if (args.expiresAt && args.expiresAt <= rotatedAt) throw badInput('expiresAt must be after rotatedAt', 'expiresAt');
      const notes = args.notes === undefined || args.notes === null ? null : requireText(args.notes, 'notes');
      const changes: Partial<Asset> = { lastRotatedAt: rotatedAt };
      if (args.expiresAt !== undefined) changes.expiresAt = args.expiresAt;
      if (changedFields(before, changes).length === 0) return before;
      const after = await applyUpdate(tx, Asset, before, changes, TYPE);
      await appendLifecycle(tx, ctx, after.id, LifecycleEventKind.ROTATED, notes);
      await audit(ctx, tx, 'recordRotation', ChangeAction.UPDATED, before, { ...after, scopeIds });
      return after;
    });
  },

  /** Revokes an identity: revokedAt is set once, with the reason in a REVOKED event; again is INVALID_TRANSITION. */
  revoke(ctx: Context, args: { assetId: string; reason: string; expectedVersion?: number | null }): Promise<Asset> {
    return inTransaction(ctx, async (tx) => {
      const { asset: before, scopeIds } = await lockVisible(ctx, tx, args.assetId);
      assertNotKeyManaged(before);
      assertVersion(before, args.expectedVersion, TYPE);
      if (before.kind !== AssetKind.NON_HUMAN_IDENTITY) throw badInput(`${before.name} is a ${before.kind} asset; only non-human identities are revoked`, 'assetId');
      if (before.revokedAt) throw invalidTransition(`${before.name} was already revoked at ${before.revokedAt.toISOString()}`);
      const reason = requireText(args.reason, 'reason');
      const after = await applyUpdate(tx, Asset, before, { revokedAt: new Date() }, TYPE);
      await appendLifecycle(tx, ctx, after.id, LifecycleEventKind.REVOKED, reason);
      await audit(ctx, tx, 'revokeNonHumanIdentity', ChangeAction.TRANSITIONED, before, { ...after, scopeIds });
      return after;
    });
  },

  /**
   * Upserts the identities of an export by sourceSystem + id, all or nothing: every row is read and
   * resolved before anything is written. A row that describes its identity as it already is writes
   * nothing at all (no version, no lifecycle event, no audit row).
   */
  async importNonHumanIdentities(ctx: Context, input: ImportNonHumanIdentitiesInput): Promise<NhiImportResult> {
    const document = parseNhiDocument(input.document, input.format);
    const sourceSystem = input.sourceSystem.trim();
    assertSourceNotReserved(sourceSystem);
    return inTransaction(ctx, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${IMPORT_LOCK_PREFIX}${sourceSystem}`]);
      const scopeIds = [...new Set((input.scopeIds ?? []).map(norm))];
      for (const scopeId of scopeIds) await scopeService.requireWritable(ctx, tx, scopeId, 'scopeIds');
      await assertScopesWritable(ctx, scopeIds);
      const defaultOwnerId = input.ownerId ? (await ownerService.requireActive(tx, norm(input.ownerId), 'ownerId')).id : null;
      const owners = await resolveOwners(tx, document.rows);
      const consumers = await resolveConsumerRefs(ctx, tx, document.rows, sourceSystem);

      const externalIds = document.rows.map((r) => r.externalId);
      const existing = externalIds.length ? await tx.getRepository(Asset).createQueryBuilder('a').setLock('pessimistic_write')
        .where('a.sourceSystem = :sourceSystem AND a.externalId = ANY(:externalIds)', { sourceSystem, externalIds }).getMany() : [];
      const byExternalId = new Map(existing.map((a) => [a.externalId!, a]));
      const existingIds = existing.map((a) => a.id);
      const linkRows = async (table: string, column: string): Promise<Map<string, string[]>> => {
        const rows: Array<{ asset_id: string; v: string }> = existingIds.length
          ? await tx.query(`SELECT asset_id, ${column} AS v FROM ${table} WHERE asset_id = ANY($1::uuid[]) ORDER BY created_at, ${column}`, [existingIds]) : [];
        const map = new Map<string, string[]>();
        for (const r of rows) map.set(r.asset_id, [...(map.get(r.asset_id) ?? []), r.v]);
        return map;
      };
      const scopesOf = await linkRows('asset_scope', 'scope_id');
      const consumersOf = await linkRows('asset_consumer', 'consumer_id');

      const creates: Desired[] = [];
      const updates: Array<Desired & { before: Asset; changed: string[] }> = [];
      let unchanged = 0;
      for (const row of document.rows) {
        const current = byExternalId.get(row.externalId);
        if (current && current.kind !== AssetKind.NON_HUMAN_IDENTITY) {
          importFault(`id "${row.externalId}" of ${sourceSystem} is a ${current.kind} asset, not a non-human identity`, idPlace(row));
        }
        if (current && !(await canSeeAny(ctx, scopesOf.get(current.id) ?? []))) {
          const place = idPlace(row);
          throw new AppError(ErrorCode.FORBIDDEN, `The identity at ${placeName(place)} exists in scopes this API key is restricted from`, { ...place });
        }
        const desired: Desired = {
          row,
          values: {
            name: row.name,
            nhiKind: row.nhiKind,
            environments: row.environments,
            privileged: row.privileged,
            humanUse: row.humanUse,
            lastRotatedAt: row.lastRotatedAt,
            rotationIntervalDays: row.rotationIntervalDays,
            expiresAt: row.expiresAt,
            lastUsedAt: row.lastUsedAt,
            ownerId: owners.get(row) ?? defaultOwnerId ?? current?.ownerId ?? null,
          },
          consumerIds: [...new Set(row.consumers.map((ref) => consumers.get(ref)!))],
        };
        if (!current) {
          creates.push(desired);
          continue;
        }
        const currentValues = { ...current, environments: canonicalEnvironments(current.environments) };
        const changed = changedFields(currentValues, desired.values);
        if (!sameSet(consumersOf.get(current.id) ?? [], desired.consumerIds)) changed.push('consumers');
        if (changed.length) updates.push({ ...desired, before: current, changed });
        else unchanged += 1;
      }

      // every row is valid: write
      const createdIds = creates.map(() => randomUUID());
      for (let i = 0; i < creates.length; i += INSERT_CHUNK) {
        await tx.insert(Asset, creates.slice(i, i + INSERT_CHUNK).map((d, j) => ({
          id: createdIds[i + j], kind: AssetKind.NON_HUMAN_IDENTITY, externalId: d.row.externalId, sourceSystem, ...d.values,
        })));
      }
      const scopeLinks = createdIds.flatMap((assetId) => scopeIds.map((scopeId) => ({ assetId, scopeId })));
      for (let i = 0; i < scopeLinks.length; i += INSERT_CHUNK) await tx.insert(AssetScope, scopeLinks.slice(i, i + INSERT_CHUNK));
      await insertConsumers(tx, creates.flatMap((d, i) => d.consumerIds.map((consumerId) => ({ assetId: createdIds[i], consumerId }))));
      await appendLifecycle(tx, ctx, createdIds, LifecycleEventKind.IMPORTED, `Imported from ${sourceSystem}`);
      const saved = createdIds.length ? await tx.getRepository(Asset).createQueryBuilder('a').where('a.id = ANY(:ids)', { ids: createdIds }).getMany() : [];
      const savedById = new Map(saved.map((a) => [a.id, a]));
      for (const [i, assetId] of createdIds.entries()) {
        const after = { ...savedById.get(assetId)!, scopeIds, consumerIds: creates[i].consumerIds };
        await audit(ctx, tx, 'importNonHumanIdentities', ChangeAction.CREATED, null, after);
      }

      for (const update of updates) {
        const { before } = update;
        const consumersBefore = consumersOf.get(before.id) ?? [];
        if (update.changed.includes('consumers')) {
          await tx.delete(AssetConsumer, { assetId: before.id });
          await insertConsumers(tx, update.consumerIds.map((consumerId) => ({ assetId: before.id, consumerId })));
        }
        const after = await applyUpdate(tx, Asset, before, update.values, TYPE);
        await appendLifecycle(tx, ctx, before.id, LifecycleEventKind.UPDATED, `Import from ${sourceSystem} changed ${update.changed.join(', ')}`);
        const beforeScopes = scopesOf.get(before.id) ?? [];
        await audit(ctx, tx, 'importNonHumanIdentities', ChangeAction.UPDATED, { ...before, scopeIds: beforeScopes, consumerIds: consumersBefore } as Asset,
          { ...after, scopeIds: beforeScopes, consumerIds: update.consumerIds } as Asset & { scopeIds: string[] });
      }
      return { rowsRead: document.rows.length, created: creates.length, updated: updates.length, unchanged, ignoredFields: document.ignoredFields };
    });
  },

  /** Owner of an asset for nested fields (null when it has none). */
  async ownerOf(ctx: Context, asset: Asset): Promise<Owner | null> {
    return asset.ownerId ? ctx.loaders.owner.load(asset.ownerId) : null;
  },
};
