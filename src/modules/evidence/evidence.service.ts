import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { badInput, notFound } from '../../common/errors';
import { paginate, type Connection, type PageRequest } from '../../common/pagination';
import { applyUpdate, assertVersion, lockRow } from '../../common/versioning';
import { isUuid } from '../../common/validation';
import { escapeLike } from '../../common/sql';
import { inTransaction, recordWrite } from '../../db/transaction';
import { ChangeAction, EntityType } from '../../db/events';
import { canSeeAny, visibleScopeIds } from '../../auth/visibility';
import { claimCreate } from '../idempotency/idempotency.service';
import { ownerService } from '../owner/owner.service';
import { controlService } from '../control/control.service';
import { ControlScope } from '../control/control.entity';
import { Evidence } from './evidence.entity';
import { EvidenceFreshness, type CreateEvidenceInput, type EvidenceFilter, type UpdateEvidenceInput } from './evidence.inputs';
import type { EvidenceCounts } from './evidence.loaders';

const TYPE = 'Evidence';
/** Clocks of callers drift; proof collected "a moment from now" is still proof. */
const CLOCK_SKEW_MS = 5 * 60_000;

const norm = (id: string): string => id.toLowerCase();

/**
 * Freshness of the active evidence of one or more controls taken together: NONE without any item,
 * FRESH when at least one item is still valid, STALE when every item is past its validUntil.
 */
export function freshnessOf(counts: readonly EvidenceCounts[]): EvidenceFreshness {
  const fresh = counts.reduce((n, c) => n + c.fresh, 0);
  const stale = counts.reduce((n, c) => n + c.stale, 0);
  if (fresh > 0) return EvidenceFreshness.FRESH;
  return stale > 0 ? EvidenceFreshness.STALE : EvidenceFreshness.NONE;
}

export function isStale(evidence: Pick<Evidence, 'validUntil'>, now = new Date()): boolean {
  return evidence.validUntil !== null && evidence.validUntil < now;
}

function checkDates(collectedAt: Date, validUntil: Date | null): void {
  if (collectedAt.getTime() > Date.now() + CLOCK_SKEW_MS) throw badInput('collectedAt must not be in the future', 'collectedAt');
  if (validUntil && validUntil <= collectedAt) throw badInput('validUntil must be after collectedAt', 'validUntil');
}

async function scopeIdsOf(tx: EntityManager, controlId: string): Promise<string[]> {
  return (await tx.find(ControlScope, { where: { controlId } })).map((r) => r.scopeId);
}

/** Evidence is visible when its control is: through any of the control's scopes (DOMAIN.md "Access"). */
async function visible(ctx: Context, evidence: Evidence | null): Promise<boolean> {
  return !!evidence && (await controlService.visibleMany(ctx, [evidence.controlId])).length === 1;
}

/** Locks an evidence item the key may see: NOT_FOUND when invisible. */
async function lockVisible(ctx: Context, tx: EntityManager, id: string): Promise<{ evidence: Evidence; scopeIds: string[] }> {
  const evidence = await lockRow(tx, Evidence, norm(id), TYPE);
  const scopeIds = await scopeIdsOf(tx, evidence.controlId);
  if (!(await canSeeAny(ctx, scopeIds))) throw notFound(TYPE);
  return { evidence, scopeIds };
}

export const evidenceService = {
  async get(ctx: Context, id: string): Promise<Evidence> {
    const evidence = isUuid(id) ? await ctx.loaders.evidence.load(norm(id)) : null;
    if (!(await visible(ctx, evidence))) throw notFound(TYPE);
    return evidence!;
  },

  /** For nested fields: the items with these ids, in order (visibility follows the parent control). */
  async many(ctx: Context, ids: readonly string[]): Promise<Evidence[]> {
    return (await ctx.loaders.evidence.loadMany([...ids])).filter((e): e is Evidence => !!e && !(e instanceof Error));
  },

  async list(ctx: Context, filter: EvidenceFilter, page: PageRequest): Promise<Connection<Evidence>> {
    const qb = ctx.db.getRepository(Evidence).createQueryBuilder('e');
    const allowed = await visibleScopeIds(ctx);
    if (allowed) qb.andWhere('EXISTS (SELECT 1 FROM control_scope cs WHERE cs.control_id = e.control_id AND cs.scope_id = ANY(:allowed))', { allowed });
    if (!filter.includeArchived) qb.andWhere('e.archivedAt IS NULL');
    if (filter.controlIds?.length) qb.andWhere('e.controlId = ANY(:controlIds)', { controlIds: filter.controlIds });
    if (filter.ownerIds?.length) qb.andWhere('e.ownerId = ANY(:ownerIds)', { ownerIds: filter.ownerIds });
    if (filter.scopeIds?.length) qb.andWhere('EXISTS (SELECT 1 FROM control_scope fs WHERE fs.control_id = e.control_id AND fs.scope_id = ANY(:scopeIds))', { scopeIds: filter.scopeIds });
    if (filter.kind?.length) qb.andWhere('e.kind = ANY(:kinds)', { kinds: filter.kind });
    if (filter.stale === true) qb.andWhere('e.validUntil < now()');
    if (filter.stale === false) qb.andWhere('(e.validUntil IS NULL OR e.validUntil >= now())');
    if (filter.validBefore) qb.andWhere('e.validUntil < :validBefore', { validBefore: filter.validBefore });
    if (filter.search) qb.andWhere("(e.title ILIKE '%' || :q || '%' OR e.reference ILIKE '%' || :q || '%')", { q: escapeLike(filter.search) });
    return paginate(qb, page);
  },

  create(ctx: Context, input: CreateEvidenceInput, idempotencyKey?: string | null): Promise<Evidence> {
    return inTransaction(ctx, async (tx) => {
      const claim = await claimCreate(tx, ctx, 'createEvidence', idempotencyKey, input);
      if (claim.replay) return tx.findOneByOrFail(Evidence, { id: claim.id });
      const control = await controlService.requireVisible(ctx, tx, input.controlId, 'controlId');
      await ownerService.requireActive(tx, input.ownerId, 'ownerId');
      checkDates(input.collectedAt, input.validUntil ?? null);
      await tx.insert(Evidence, {
        id: claim.id,
        controlId: control.id,
        ownerId: norm(input.ownerId),
        title: input.title.trim(),
        kind: input.kind,
        reference: input.reference.trim(),
        collectedAt: input.collectedAt,
        validUntil: input.validUntil ?? null,
      });
      const saved = await tx.findOneByOrFail(Evidence, { id: claim.id });
      const scopeIds = await scopeIdsOf(tx, control.id);
      await recordWrite(tx, ctx, { operation: 'createEvidence', entityType: EntityType.EVIDENCE, entityId: saved.id, action: ChangeAction.CREATED, before: null, after: saved, version: saved.version, scopeIds });
      return saved;
    });
  },

  update(ctx: Context, id: string, input: UpdateEvidenceInput, expectedVersion?: number | null): Promise<Evidence> {
    return inTransaction(ctx, async (tx) => {
      const { evidence: before, scopeIds } = await lockVisible(ctx, tx, id);
      assertVersion(before, expectedVersion, TYPE);
      const changes: Partial<Evidence> = {};
      if (input.title !== undefined) changes.title = input.title.trim();
      if (input.kind !== undefined) changes.kind = input.kind;
      if (input.reference !== undefined) changes.reference = input.reference.trim();
      if (input.collectedAt !== undefined) changes.collectedAt = input.collectedAt;
      if (input.validUntil !== undefined) changes.validUntil = input.validUntil;
      if (input.ownerId !== undefined) changes.ownerId = (await ownerService.requireActive(tx, input.ownerId, 'ownerId')).id;
      if (changes.collectedAt !== undefined || changes.validUntil !== undefined) {
        checkDates(changes.collectedAt ?? before.collectedAt, changes.validUntil !== undefined ? changes.validUntil : before.validUntil);
      }
      const after = await applyUpdate(tx, Evidence, before, changes, TYPE);
      await recordWrite(tx, ctx, { operation: 'updateEvidence', entityType: EntityType.EVIDENCE, entityId: after.id, action: ChangeAction.UPDATED, before, after, version: after.version, scopeIds });
      return after;
    });
  },

  archive(ctx: Context, id: string, expectedVersion?: number | null): Promise<Evidence> {
    return inTransaction(ctx, async (tx) => {
      const { evidence: before, scopeIds } = await lockVisible(ctx, tx, id);
      assertVersion(before, expectedVersion, TYPE);
      if (before.archivedAt) return before;
      const after = await applyUpdate(tx, Evidence, before, { archivedAt: new Date() }, TYPE);
      await recordWrite(tx, ctx, { operation: 'archiveEvidence', entityType: EntityType.EVIDENCE, entityId: after.id, action: ChangeAction.ARCHIVED, before, after, version: after.version, scopeIds });
      return after;
    });
  },
};
