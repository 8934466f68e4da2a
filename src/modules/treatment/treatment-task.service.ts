import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { conflict, forbidden, notFound } from '../../common/errors';
import { paginate, type Connection, type PageRequest } from '../../common/pagination';
import { applyUpdate, assertVersion, lockRow } from '../../common/versioning';
import { isUuid } from '../../common/validation';
import { inTransaction, recordWrite } from '../../db/transaction';
import { ChangeAction, EntityType } from '../../db/events';
import { canSeeAny, visibleScopeIds } from '../../auth/visibility';
import { claimCreate } from '../idempotency/idempotency.service';
import { ownerService } from '../owner/owner.service';
import { controlService } from '../control/control.service';
import { riskService } from '../risk/risk.service';
import { Risk } from '../risk/risk.entity';
import { TaskStatus, TreatmentTask } from './treatment-task.entity';
import type { CreateTreatmentTaskInput, ExternalRefInput, TreatmentTaskFilter, UpdateTreatmentTaskInput, UpsertTreatmentTaskInput } from './treatment-task.inputs';

const TYPE = 'TreatmentTask';

const isoDate = (d: Date | null | undefined) => (d ? d.toISOString().slice(0, 10) : null);

/** A task is visible through its risk's scope. */
async function scopeOf(tx: EntityManager, task: TreatmentTask): Promise<string> {
  const risk = await tx.findOneByOrFail(Risk, { id: task.riskId });
  return risk.scopeId;
}

async function lockVisible(ctx: Context, tx: EntityManager, id: string): Promise<{ task: TreatmentTask; scopeId: string }> {
  const task = await lockRow(tx, TreatmentTask, id, TYPE);
  const scopeId = await scopeOf(tx, task);
  if (!(await canSeeAny(ctx, [scopeId]))) throw notFound(TYPE);
  return { task, scopeId };
}

/**
 * Serialises every write that claims a ticket (create, update, upsert) until commit, so the
 * check in `assertRefFree` cannot race another writer. Taken before any task row lock, always.
 */
function lockTicket(tx: EntityManager, ref: ExternalRefInput): Promise<unknown> {
  return tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ticket:${ref.system}:${ref.key}`]);
}

const refTaken = (ref: ExternalRefInput) => conflict(`Ticket ${ref.system}:${ref.key} already mirrors another task`);

async function assertRefFree(tx: EntityManager, ref: ExternalRefInput, exceptId?: string): Promise<void> {
  await lockTicket(tx, ref);
  const existing = await tx.findOneBy(TreatmentTask, { externalSystem: ref.system, externalKey: ref.key });
  if (existing && existing.id !== exceptId) throw refTaken(ref);
}

/** The unique index is the last word: a violation that slipped past the lock is CONFLICT, not INTERNAL. */
async function guardRef<T>(ref: ExternalRefInput | null | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    const code = (err as { driverError?: { code?: string }; code?: string }).driverError?.code ?? (err as { code?: string }).code;
    if (ref && code === '23505') throw refTaken(ref);
    throw err;
  }
}

function refColumns(ref: ExternalRefInput | null | undefined): Pick<TreatmentTask, 'externalSystem' | 'externalKey' | 'externalUrl'> {
  return { externalSystem: ref?.system ?? null, externalKey: ref?.key ?? null, externalUrl: ref?.url ?? null };
}

/** Fields an update would change, leaving out those already equal (so a no-op sync bumps nothing). */
function diff(task: TreatmentTask, proposed: Partial<TreatmentTask>): Partial<TreatmentTask> {
  const changes: Partial<TreatmentTask> = {};
  for (const [key, value] of Object.entries(proposed) as Array<[keyof TreatmentTask, unknown]>) {
    if (value !== undefined && task[key] !== value) (changes as Record<string, unknown>)[key] = value;
  }
  return changes;
}

async function insertTask(ctx: Context, tx: EntityManager, id: string, input: CreateTreatmentTaskInput | UpsertTreatmentTaskInput, operation: string): Promise<TreatmentTask> {
  const risk = await riskService.requireWritable(ctx, tx, input.riskId, 'riskId');
  if (input.controlId) await controlService.requireVisible(ctx, tx, input.controlId, 'controlId');
  await ownerService.requireActive(tx, input.assigneeId, 'assigneeId');
  if (input.externalRef) await assertRefFree(tx, input.externalRef);
  await guardRef(input.externalRef, () => tx.insert(TreatmentTask, {
    id,
    riskId: input.riskId,
    controlId: input.controlId ?? null,
    title: input.title.trim(),
    description: input.description ?? null,
    assigneeId: input.assigneeId,
    dueDate: isoDate(input.dueDate),
    status: input.status ?? TaskStatus.OPEN,
    ...refColumns(input.externalRef),
  }));
  const saved = await tx.findOneByOrFail(TreatmentTask, { id });
  await recordWrite(tx, ctx, { operation, entityType: EntityType.TREATMENT_TASK, entityId: id, action: ChangeAction.CREATED, before: null, after: saved, version: saved.version, scopeIds: [risk.scopeId] });
  return saved;
}

/** Ids as Postgres returns them (lowercase), so an id spelled in capitals compares equal to the stored one. */
function canonicalId<T extends string | null | undefined>(id: T): T {
  return (typeof id === 'string' ? id.toLowerCase() : id) as T;
}

async function applyChanges(ctx: Context, tx: EntityManager, task: TreatmentTask, scopeId: string, input: Partial<Omit<UpsertTreatmentTaskInput, 'externalRef'>> & { externalRef?: ExternalRefInput | null }, operation: string): Promise<TreatmentTask> {
  let targetScope = scopeId;
  if (input.riskId !== undefined && canonicalId(input.riskId) !== task.riskId) targetScope = (await riskService.requireWritable(ctx, tx, input.riskId, 'riskId')).scopeId;
  // only a reference that changes is checked: a ticket re-sent unchanged must not fail because its control was archived since
  if (input.controlId && canonicalId(input.controlId) !== task.controlId) await controlService.requireVisible(ctx, tx, input.controlId, 'controlId');
  if (input.assigneeId !== undefined && canonicalId(input.assigneeId) !== task.assigneeId) await ownerService.requireActive(tx, input.assigneeId, 'assigneeId');
  if (input.externalRef) await assertRefFree(tx, input.externalRef, task.id);
  const changes = diff(task, {
    riskId: canonicalId(input.riskId),
    controlId: canonicalId(input.controlId),
    title: input.title?.trim(),
    description: input.description,
    assigneeId: canonicalId(input.assigneeId),
    dueDate: input.dueDate === undefined ? undefined : isoDate(input.dueDate),
    status: input.status ?? undefined,
    ...(input.externalRef === undefined ? {} : refColumns(input.externalRef)),
  });
  if (Object.keys(changes).length === 0) return task;
  const after = await guardRef(input.externalRef, () => applyUpdate(tx, TreatmentTask, task, changes, TYPE));
  await recordWrite(tx, ctx, { operation, entityType: EntityType.TREATMENT_TASK, entityId: task.id, action: ChangeAction.UPDATED, before: task, after, version: after.version, scopeIds: [...new Set([scopeId, targetScope])] });
  return after;
}

export const treatmentTaskService = {
  async get(ctx: Context, id: string): Promise<TreatmentTask> {
    const task = isUuid(id) ? await ctx.loaders.treatmentTask.load(id) : null;
    const risk = task ? await ctx.loaders.risk.load(task.riskId) : null;
    if (!task || !risk || !(await canSeeAny(ctx, [risk.scopeId]))) throw notFound(TYPE);
    return task;
  },

  async list(ctx: Context, filter: TreatmentTaskFilter, page: PageRequest): Promise<Connection<TreatmentTask>> {
    const qb = ctx.db.getRepository(TreatmentTask).createQueryBuilder('t');
    const allowed = await visibleScopeIds(ctx);
    if (allowed) qb.andWhere('EXISTS (SELECT 1 FROM risk vr WHERE vr.id = t.risk_id AND vr.scope_id = ANY(:allowed))', { allowed });
    if (!filter.includeArchived) qb.andWhere('t.archivedAt IS NULL');
    if (filter.status?.length) qb.andWhere('t.status = ANY(:status)', { status: filter.status });
    if (filter.assigneeIds?.length) qb.andWhere('t.assigneeId = ANY(:assignees)', { assignees: filter.assigneeIds });
    if (filter.riskIds?.length) qb.andWhere('t.riskId = ANY(:riskIds)', { riskIds: filter.riskIds });
    if (filter.externalSystem) qb.andWhere('t.externalSystem = :system', { system: filter.externalSystem });
    if (filter.updatedSince) qb.andWhere('t.updatedAt >= :since', { since: filter.updatedSince });
    if (filter.dueBefore) qb.andWhere('t.dueDate < :dueBefore', { dueBefore: isoDate(filter.dueBefore) });
    return paginate(qb, page);
  },

  create(ctx: Context, input: CreateTreatmentTaskInput, idempotencyKey?: string | null): Promise<TreatmentTask> {
    return inTransaction(ctx, async (tx) => {
      const claim = await claimCreate(tx, ctx, 'createTreatmentTask', idempotencyKey, input);
      if (claim.replay) return tx.findOneByOrFail(TreatmentTask, { id: claim.id });
      return insertTask(ctx, tx, claim.id, input, 'createTreatmentTask');
    });
  },

  update(ctx: Context, id: string, input: UpdateTreatmentTaskInput, expectedVersion?: number | null): Promise<TreatmentTask> {
    return inTransaction(ctx, async (tx) => {
      if (input.externalRef) await lockTicket(tx, input.externalRef);
      const { task, scopeId } = await lockVisible(ctx, tx, id);
      assertVersion(task, expectedVersion, TYPE);
      return applyChanges(ctx, tx, task, scopeId, input, 'updateTreatmentTask');
    });
  },

  archive(ctx: Context, id: string, expectedVersion?: number | null): Promise<TreatmentTask> {
    return inTransaction(ctx, async (tx) => {
      const { task, scopeId } = await lockVisible(ctx, tx, id);
      assertVersion(task, expectedVersion, TYPE);
      if (task.archivedAt) return task;
      const after = await applyUpdate(tx, TreatmentTask, task, { archivedAt: new Date() }, TYPE);
      await recordWrite(tx, ctx, { operation: 'archiveTreatmentTask', entityType: EntityType.TREATMENT_TASK, entityId: id, action: ChangeAction.ARCHIVED, before: task, after, version: after.version, scopeIds: [scopeId] });
      return after;
    });
  },

  /**
   * Creates the task a ticket mirrors, or brings it up to date. A transaction-scoped advisory lock
   * on the ticket makes concurrent syncs of one ticket run one after the other; an unchanged
   * ticket writes nothing.
   */
  upsertByExternalRef(ctx: Context, input: UpsertTreatmentTaskInput, expectedVersion?: number | null): Promise<TreatmentTask> {
    return inTransaction(ctx, async (tx) => {
      await lockTicket(tx, input.externalRef);
      const existing = await tx.getRepository(TreatmentTask).createQueryBuilder('t').setLock('pessimistic_write')
        .where('t.externalSystem = :system AND t.externalKey = :key', { system: input.externalRef.system, key: input.externalRef.key }).getOne();
      if (!existing) return insertTask(ctx, tx, randomUUID(), input, 'upsertTreatmentTaskByExternalRef');
      const scopeId = await scopeOf(tx, existing);
      if (!(await canSeeAny(ctx, [scopeId]))) throw forbidden('The ticket mirrors a task in a scope this key cannot write');
      assertVersion(existing, expectedVersion, TYPE);
      return applyChanges(ctx, tx, existing, scopeId, input, 'upsertTreatmentTaskByExternalRef');
    });
  },
};
