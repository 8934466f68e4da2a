import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { badInput, forbidden, invalidTransition, notFound } from '../../common/errors';
import { paginate, type Connection, type PageRequest } from '../../common/pagination';
import { applyUpdate, assertVersion, lockRow } from '../../common/versioning';
import { isUuid } from '../../common/validation';
import { escapeLike } from '../../common/sql';
import { inTransaction, recordWrite } from '../../db/transaction';
import { ChangeAction, EntityType } from '../../db/events';
import { canSeeAny, visibleScopeIds } from '../../auth/visibility';
import { claimCreate } from '../idempotency/idempotency.service';
import { ownerService } from '../owner/owner.service';
import { scopeService } from '../scope/scope.service';
import { controlService } from '../control/control.service';
import { Risk, RiskControl, RiskStatus, RiskTreatment } from './risk.entity';
import type { CreateRiskInput, RiskFilter, UpdateRiskInput } from './risk.inputs';
import { levelCondition, scoresOf } from './risk.scoring';

const TYPE = 'Risk';

/** UUIDs are case-insensitive on input; rows, loaders and visibility lists hold them lower-case. */
const norm = (id: string): string => id.toLowerCase();

/** Locks a risk the key may see: NOT_FOUND when absent or in another scope. */
async function lockVisible(ctx: Context, tx: EntityManager, id: string): Promise<Risk> {
  const risk = await lockRow(tx, Risk, norm(id), TYPE);
  if (!(await canSeeAny(ctx, [risk.scopeId]))) throw notFound(TYPE);
  return risk;
}

/** Audits a write; a risk moved between scopes is announced to both, so the old scope hears it left. */
function audit(ctx: Context, tx: EntityManager, operation: string, action: ChangeAction, before: Risk | null, after: Risk, extra: object = {}) {
  const scopeIds = before && before.scopeId !== after.scopeId ? [before.scopeId, after.scopeId] : [after.scopeId];
  return recordWrite(tx, ctx, { operation, entityType: EntityType.RISK, entityId: after.id, action, before, after: { ...after, ...extra }, version: after.version, scopeIds });
}

export const riskService = {
  async get(ctx: Context, id: string): Promise<Risk> {
    const risk = isUuid(id) ? await ctx.loaders.risk.load(norm(id)) : null;
    if (!risk || !(await canSeeAny(ctx, [risk.scopeId]))) throw notFound(TYPE);
    return risk;
  },

  /** For references inside inputs of other modules: exists, visible (else FORBIDDEN), active. */
  async requireWritable(ctx: Context, tx: EntityManager, id: string, field: string, options: { lock?: boolean } = {}): Promise<Risk> {
    const risk = !isUuid(id) ? null : options.lock
      ? await tx.getRepository(Risk).createQueryBuilder('r').setLock('pessimistic_write').where('r.id = :id', { id: norm(id) }).getOne()
      : await tx.findOneBy(Risk, { id: norm(id) });
    if (!risk) throw badInput(`No risk with id ${id}`, field);
    if (!(await canSeeAny(ctx, [risk.scopeId]))) throw forbidden('This API key is restricted to other scopes');
    if (risk.archivedAt) throw badInput('The risk is archived', field);
    return risk;
  },

  async list(ctx: Context, filter: RiskFilter, page: PageRequest): Promise<Connection<Risk>> {
    const qb = ctx.db.getRepository(Risk).createQueryBuilder('r');
    const allowed = await visibleScopeIds(ctx);
    if (allowed) qb.andWhere('r.scopeId = ANY(:allowed)', { allowed });
    if (!filter.includeArchived) qb.andWhere('r.archivedAt IS NULL');
    if (filter.scopeIds?.length) qb.andWhere('r.scopeId = ANY(:scopeIds)', { scopeIds: filter.scopeIds });
    if (filter.ownerIds?.length) qb.andWhere('r.ownerId = ANY(:ownerIds)', { ownerIds: filter.ownerIds });
    if (filter.status?.length) qb.andWhere('r.status = ANY(:status)', { status: filter.status });
    if (filter.treatment?.length) qb.andWhere('r.treatment = ANY(:treatment)', { treatment: filter.treatment });
    if (filter.inherentLevel?.length) {
      const c = levelCondition('r.inherentScore', filter.inherentLevel, 'inh');
      qb.andWhere(c.sql, c.params);
    }
    if (filter.residualLevel?.length) {
      const c = levelCondition('r.residualScore', filter.residualLevel, 'res');
      qb.andWhere(c.sql, c.params);
    }
    if (filter.minResidualScore) qb.andWhere('r.residualScore >= :minResidual', { minResidual: filter.minResidualScore });
    if (filter.search) qb.andWhere("r.title ILIKE '%' || :q || '%'", { q: escapeLike(filter.search) });
    return paginate(qb, page);
  },

  create(ctx: Context, input: CreateRiskInput, idempotencyKey?: string | null): Promise<Risk> {
    return inTransaction(ctx, async (tx) => {
      const claim = await claimCreate(tx, ctx, 'createRisk', idempotencyKey, input);
      if (claim.replay) return tx.findOneByOrFail(Risk, { id: claim.id });
      if (input.status === RiskStatus.ACCEPTED) throw invalidTransition('A risk becomes ACCEPTED only by approving a risk acceptance');
      const scope = await scopeService.requireWritable(ctx, tx, norm(input.scopeId), 'scopeId');
      const owner = await ownerService.requireActive(tx, norm(input.ownerId), 'ownerId');
      const controlIds: string[] = [];
      for (const controlId of new Set((input.controlIds ?? []).map(norm))) controlIds.push((await controlService.requireVisible(ctx, tx, controlId, 'controlIds')).id);
      const values = {
        likelihood: input.likelihood,
        impact: input.impact,
        residualLikelihoodSet: input.residualLikelihood ?? null,
        residualImpactSet: input.residualImpact ?? null,
      };
      await tx.insert(Risk, {
        id: claim.id,
        title: input.title.trim(),
        description: input.description ?? null,
        scopeId: scope.id,
        ownerId: owner.id,
        ...values,
        ...scoresOf(values),
        treatment: input.treatment ?? RiskTreatment.UNDECIDED,
        status: input.status ?? RiskStatus.IDENTIFIED,
        reviewIntervalDays: input.reviewIntervalDays ?? 365,
      });
      if (controlIds.length) await tx.insert(RiskControl, controlIds.map((controlId) => ({ riskId: claim.id, controlId })));
      const saved = await tx.findOneByOrFail(Risk, { id: claim.id });
      await audit(ctx, tx, 'createRisk', ChangeAction.CREATED, null, saved, { controlIds });
      return saved;
    });
  },

  update(ctx: Context, id: string, input: UpdateRiskInput, expectedVersion?: number | null): Promise<Risk> {
    return inTransaction(ctx, async (tx) => {
      const before = await lockVisible(ctx, tx, id);
      assertVersion(before, expectedVersion, TYPE);
      if (input.status === RiskStatus.ACCEPTED && before.status !== RiskStatus.ACCEPTED) {
        throw invalidTransition('A risk becomes ACCEPTED only by approving a risk acceptance');
      }
      const changes: Partial<Risk> = {};
      if (input.title !== undefined) changes.title = input.title.trim();
      if (input.description !== undefined) changes.description = input.description;
      if (input.treatment !== undefined) changes.treatment = input.treatment;
      if (input.status !== undefined) changes.status = input.status;
      if (input.reviewIntervalDays !== undefined) changes.reviewIntervalDays = input.reviewIntervalDays;
      if (input.lastReviewedAt !== undefined) changes.lastReviewedAt = input.lastReviewedAt;
      if (input.likelihood !== undefined) changes.likelihood = input.likelihood;
      if (input.impact !== undefined) changes.impact = input.impact;
      if (input.residualLikelihood !== undefined) changes.residualLikelihoodSet = input.residualLikelihood;
      if (input.residualImpact !== undefined) changes.residualImpactSet = input.residualImpact;
      if (input.scopeId !== undefined && norm(input.scopeId) !== before.scopeId) {
        changes.scopeId = (await scopeService.requireWritable(ctx, tx, norm(input.scopeId), 'scopeId')).id;
      }
      if (input.ownerId !== undefined) {
        changes.ownerId = (await ownerService.requireActive(tx, norm(input.ownerId), 'ownerId')).id;
      }
      Object.assign(changes, scoresOf({ ...before, ...changes }));
      const after = await applyUpdate(tx, Risk, before, changes, TYPE);
      await audit(ctx, tx, 'updateRisk', ChangeAction.UPDATED, before, after);
      return after;
    });
  },

  archive(ctx: Context, id: string, expectedVersion?: number | null): Promise<Risk> {
    return inTransaction(ctx, async (tx) => {
      const before = await lockVisible(ctx, tx, id);
      assertVersion(before, expectedVersion, TYPE);
      if (before.archivedAt) return before;
      const after = await applyUpdate(tx, Risk, before, { archivedAt: new Date() }, TYPE);
      await audit(ctx, tx, 'archiveRisk', ChangeAction.ARCHIVED, before, after);
      return after;
    });
  },

  /**
   * Status changes driven by risk acceptances (exception module), inside their transaction:
   * approval sets ACCEPTED; revocation or expiry moves an ACCEPTED risk back to ASSESSED.
   */
  async setStatusFromAcceptance(ctx: Context, tx: EntityManager, riskId: string, status: RiskStatus.ACCEPTED | RiskStatus.ASSESSED, operation: string): Promise<Risk> {
    const before = await lockRow(tx, Risk, riskId, TYPE);
    if (before.status === status || (status === RiskStatus.ASSESSED && before.status !== RiskStatus.ACCEPTED)) return before;
    const after = await applyUpdate(tx, Risk, before, { status }, TYPE);
    await audit(ctx, tx, operation, ChangeAction.TRANSITIONED, before, after);
    return after;
  },

  linkControl(ctx: Context, controlId: string, riskId: string): Promise<Risk> {
    return inTransaction(ctx, async (tx) => {
      const risk = await lockVisible(ctx, tx, riskId);
      const control = await controlService.requireVisible(ctx, tx, controlId, 'controlId');
      const existing = await tx.findOneBy(RiskControl, { riskId: risk.id, controlId: control.id });
      if (existing) return risk;
      await tx.insert(RiskControl, { riskId: risk.id, controlId: control.id });
      const after = await applyUpdate(tx, Risk, risk, {}, TYPE);
      await audit(ctx, tx, 'linkControlToRisk', ChangeAction.UPDATED, risk, after, { linkedControlId: control.id });
      return after;
    });
  },

  unlinkControl(ctx: Context, controlId: string, riskId: string): Promise<Risk> {
    return inTransaction(ctx, async (tx) => {
      const risk = await lockVisible(ctx, tx, riskId);
      if (!isUuid(controlId)) throw badInput(`No control with id ${controlId}`, 'controlId');
      const result = await tx.delete(RiskControl, { riskId: risk.id, controlId: norm(controlId) });
      if (!result.affected) return risk;
      const after = await applyUpdate(tx, Risk, risk, {}, TYPE);
      await audit(ctx, tx, 'unlinkControlFromRisk', ChangeAction.UPDATED, risk, after, { unlinkedControlId: norm(controlId) });
      return after;
    });
  },
};
