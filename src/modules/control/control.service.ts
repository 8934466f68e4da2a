import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { badInput, conflict, forbidden, notFound } from '../../common/errors';
import { paginate, type Connection, type PageRequest } from '../../common/pagination';
import { applyUpdate, assertVersion, lockRow } from '../../common/versioning';
import { isUuid } from '../../common/validation';
import { escapeLike } from '../../common/sql';
import { inTransaction, recordWrite } from '../../db/transaction';
import { ChangeAction, EntityType } from '../../db/events';
import { assertScopesWritable, canSeeAny, visibleScopeIds } from '../../auth/visibility';
import { claimCreate } from '../idempotency/idempotency.service';
import { ownerService } from '../owner/owner.service';
import { scopeService } from '../scope/scope.service';
import { Control, ControlScope, ControlStatus, ControlEffectiveness, DEFAULT_REVIEW_INTERVAL_DAYS } from './control.entity';
import type { ControlFilter, CreateControlInput, UpdateControlInput } from './control.inputs';

const TYPE = 'Control';
const UNIQUE_VIOLATION = '23505';

/** UUIDs are case-insensitive on input; rows, loaders and visibility lists hold them lower-case. */
const norm = (id: string): string => id.toLowerCase();

async function scopeIdsOf(tx: EntityManager, controlId: string): Promise<string[]> {
  const rows = await tx.find(ControlScope, { where: { controlId } });
  return rows.map((r) => r.scopeId);
}

async function assertCodeFree(tx: EntityManager, code: string, exceptId?: string): Promise<void> {
  const existing = await tx.findOneBy(Control, { code });
  if (existing && existing.id !== exceptId) throw conflict(`A control with code "${code}" already exists`);
}

/** The unique index decides a race the check above cannot see (two writes of one code at once). */
async function codeUnique<T>(code: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if ((err as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) throw conflict(`A control with code "${code}" already exists`);
    throw err;
  }
}

/** A control is visible when any of its scopes is (DOMAIN.md "Access"). */
async function visible(ctx: Context, control: Control | null): Promise<boolean> {
  if (!control) return false;
  if ((await visibleScopeIds(ctx)) === null) return true;
  return canSeeAny(ctx, await ctx.loaders.controlScopeIds.load(control.id));
}

/** Locks a control the key may see and write: NOT_FOUND when invisible. */
async function lockVisible(ctx: Context, tx: EntityManager, id: string): Promise<{ control: Control; scopeIds: string[] }> {
  const control = await lockRow(tx, Control, norm(id), TYPE);
  const scopeIds = await scopeIdsOf(tx, control.id);
  if (!(await canSeeAny(ctx, scopeIds))) throw notFound(TYPE);
  return { control, scopeIds };
}

/**
 * A link write bumps the control's version and is audited with the scopes before and after;
 * the change event goes to both sets of scopes, so a scope that lost the control hears of it.
 */
async function bumpForLink(ctx: Context, tx: EntityManager, control: Control, operation: string, before: { scopeIds: string[] } & object, after: { scopeIds: string[] } & object): Promise<Control> {
  const updated = await applyUpdate(tx, Control, control, {}, TYPE);
  const scopeIds = [...new Set([...before.scopeIds, ...after.scopeIds])];
  await recordWrite(tx, ctx, { operation, entityType: EntityType.CONTROL, entityId: control.id, action: ChangeAction.UPDATED, before: { ...control, ...before }, after: { ...updated, ...after }, version: updated.version, scopeIds });
  return updated;
}

export const controlService = {
  async get(ctx: Context, id: string): Promise<Control> {
    const control = isUuid(id) ? await ctx.loaders.control.load(norm(id)) : null;
    if (!(await visible(ctx, control))) throw notFound(TYPE);
    return control!;
  },

  /** For nested fields: the visible ones of these controls, in order. */
  async visibleMany(ctx: Context, ids: readonly string[]): Promise<Control[]> {
    const controls = (await ctx.loaders.control.loadMany([...ids])).filter((c): c is Control => !!c && !(c instanceof Error));
    const shown = await Promise.all(controls.map((c) => visible(ctx, c)));
    return controls.filter((_c, i) => shown[i]);
  },

  /** For references inside inputs of other modules. */
  async requireVisible(ctx: Context, tx: EntityManager, id: string, field: string): Promise<Control> {
    const control = isUuid(id) ? await tx.findOneBy(Control, { id: norm(id) }) : null;
    if (!control) throw badInput(`No control with id ${id}`, field);
    if (!(await canSeeAny(ctx, await scopeIdsOf(tx, control.id)))) throw forbidden('This API key is restricted to other scopes');
    if (control.archivedAt) throw badInput(`Control ${control.code} is archived`, field);
    return control;
  },

  async list(ctx: Context, filter: ControlFilter, page: PageRequest): Promise<Connection<Control>> {
    const qb = ctx.db.getRepository(Control).createQueryBuilder('c');
    const allowed = await visibleScopeIds(ctx);
    if (allowed) qb.andWhere('EXISTS (SELECT 1 FROM control_scope cs WHERE cs.control_id = c.id AND cs.scope_id = ANY(:allowed))', { allowed });
    if (!filter.includeArchived) qb.andWhere('c.archivedAt IS NULL');
    if (filter.status?.length) qb.andWhere('c.status = ANY(:status)', { status: filter.status });
    if (filter.effectiveness?.length) qb.andWhere('c.effectiveness = ANY(:eff)', { eff: filter.effectiveness });
    if (filter.ownerIds?.length) qb.andWhere('c.ownerId = ANY(:ownerIds)', { ownerIds: filter.ownerIds });
    if (filter.scopeIds?.length) qb.andWhere('EXISTS (SELECT 1 FROM control_scope fs WHERE fs.control_id = c.id AND fs.scope_id = ANY(:scopeIds))', { scopeIds: filter.scopeIds });
    if (filter.search) qb.andWhere("(c.code ILIKE '%' || :q || '%' OR c.title ILIKE '%' || :q || '%')", { q: escapeLike(filter.search) });
    return paginate(qb, page);
  },

  create(ctx: Context, input: CreateControlInput, idempotencyKey?: string | null): Promise<Control> {
    return inTransaction(ctx, async (tx) => {
      const claim = await claimCreate(tx, ctx, 'createControl', idempotencyKey, input);
      if (claim.replay) return tx.findOneByOrFail(Control, { id: claim.id });
      const scopeIds = [...new Set((input.scopeIds ?? []).map(norm))];
      for (const scopeId of scopeIds) await scopeService.requireWritable(ctx, tx, scopeId, 'scopeIds');
      await assertScopesWritable(ctx, scopeIds);
      await ownerService.requireActive(tx, input.ownerId, 'ownerId');
      await assertCodeFree(tx, input.code);
      await codeUnique(input.code, () => tx.insert(Control, {
        id: claim.id,
        code: input.code,
        title: input.title.trim(),
        description: input.description ?? null,
        ownerId: input.ownerId,
        status: input.status ?? ControlStatus.NOT_STARTED,
        effectiveness: input.effectiveness ?? ControlEffectiveness.NOT_ASSESSED,
        reviewIntervalDays: input.reviewIntervalDays ?? DEFAULT_REVIEW_INTERVAL_DAYS,
        lastReviewedAt: input.lastReviewedAt ?? null,
      }));
      if (scopeIds.length) await tx.insert(ControlScope, scopeIds.map((scopeId) => ({ controlId: claim.id, scopeId })));
      const saved = await tx.findOneByOrFail(Control, { id: claim.id });
      await recordWrite(tx, ctx, { operation: 'createControl', entityType: EntityType.CONTROL, entityId: saved.id, action: ChangeAction.CREATED, before: null, after: { ...saved, scopeIds }, version: saved.version, scopeIds });
      return saved;
    });
  },

  update(ctx: Context, id: string, input: UpdateControlInput, expectedVersion?: number | null): Promise<Control> {
    return inTransaction(ctx, async (tx) => {
      const { control: before, scopeIds } = await lockVisible(ctx, tx, id);
      assertVersion(before, expectedVersion, TYPE);
      const changes: Partial<Control> = {};
      if (input.code !== undefined && input.code !== before.code) {
        await assertCodeFree(tx, input.code, before.id);
        changes.code = input.code;
      }
      if (input.title !== undefined) changes.title = input.title.trim();
      if (input.description !== undefined) changes.description = input.description;
      if (input.status !== undefined) changes.status = input.status;
      if (input.effectiveness !== undefined) changes.effectiveness = input.effectiveness;
      if (input.reviewIntervalDays !== undefined) changes.reviewIntervalDays = input.reviewIntervalDays;
      if (input.lastReviewedAt !== undefined) changes.lastReviewedAt = input.lastReviewedAt;
      if (input.ownerId !== undefined) {
        await ownerService.requireActive(tx, input.ownerId, 'ownerId');
        changes.ownerId = input.ownerId;
      }
      const after = await codeUnique(changes.code ?? before.code, () => applyUpdate(tx, Control, before, changes, TYPE));
      await recordWrite(tx, ctx, { operation: 'updateControl', entityType: EntityType.CONTROL, entityId: after.id, action: ChangeAction.UPDATED, before, after, version: after.version, scopeIds });
      return after;
    });
  },

  archive(ctx: Context, id: string, expectedVersion?: number | null): Promise<Control> {
    return inTransaction(ctx, async (tx) => {
      const { control: before, scopeIds } = await lockVisible(ctx, tx, id);
      assertVersion(before, expectedVersion, TYPE);
      if (before.archivedAt) return before;
      const after = await applyUpdate(tx, Control, before, { archivedAt: new Date() }, TYPE);
      await recordWrite(tx, ctx, { operation: 'archiveControl', entityType: EntityType.CONTROL, entityId: after.id, action: ChangeAction.ARCHIVED, before, after, version: after.version, scopeIds });
      return after;
    });
  },

  linkToScope(ctx: Context, controlId: string, scopeId: string): Promise<Control> {
    return inTransaction(ctx, async (tx) => {
      const { control, scopeIds } = await lockVisible(ctx, tx, controlId);
      const scope = await scopeService.requireWritable(ctx, tx, norm(scopeId), 'scopeId');
      if (scopeIds.includes(scope.id)) return control;
      await tx.insert(ControlScope, { controlId: control.id, scopeId: scope.id });
      return bumpForLink(ctx, tx, control, 'linkControlToScope', { scopeIds }, { scopeIds: [...scopeIds, scope.id] });
    });
  },

  unlinkFromScope(ctx: Context, controlId: string, scopeId: string): Promise<Control> {
    return inTransaction(ctx, async (tx) => {
      const { control, scopeIds } = await lockVisible(ctx, tx, controlId);
      if (!isUuid(scopeId)) throw badInput(`No scope with id ${scopeId}`, 'scopeId');
      const id = norm(scopeId);
      await assertScopesWritable(ctx, [id]);
      if (!scopeIds.includes(id)) return control;
      await tx.delete(ControlScope, { controlId: control.id, scopeId: id });
      return bumpForLink(ctx, tx, control, 'unlinkControlFromScope', { scopeIds }, { scopeIds: scopeIds.filter((s) => s !== id) });
    });
  },

  /** Locks and returns a control for another module's link write (risk↔control). */
  lockVisible,
  bumpForLink,
};
