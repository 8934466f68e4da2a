import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { badInput, notFound } from '../../common/errors';
import { paginate, type Connection, type PageRequest } from '../../common/pagination';
import { applyUpdate, assertVersion, lockRow } from '../../common/versioning';
import { isUuid, requireText } from '../../common/validation';
import { inTransaction, recordWrite } from '../../db/transaction';
import { ChangeAction, EntityType } from '../../db/events';
import { canSeeAny, visibleScopeIds } from '../../auth/visibility';
import { claimCreate } from '../idempotency/idempotency.service';
import { ownerService } from '../owner/owner.service';
import { scopeService } from '../scope/scope.service';
import { controlService } from '../control/control.service';
import { ControlScope } from '../control/control.entity';
import { riskService } from '../risk/risk.service';
import { Requirement } from '../framework/requirement.entity';
import { RiskStatus } from '../risk/risk.entity';
import { ExceptionCompensatingControl, ExceptionKind, ExceptionStatus, IsmsException } from './exception.entity';
import type { ExceptionFilter, RequestExceptionInput } from './exception.inputs';
import { assertTransition, effectiveStatus, effectiveStatusSql, targetOf, type ExceptionAction } from './exception.rules';

const TYPE = 'Exception';

async function lockVisible(ctx: Context, tx: EntityManager, id: string): Promise<IsmsException> {
  const exception = await lockRow(tx, IsmsException, id, TYPE);
  if (!(await canSeeAny(ctx, [exception.scopeId]))) throw notFound(TYPE);
  return exception;
}

function audit(ctx: Context, tx: EntityManager, operation: string, action: ChangeAction, before: IsmsException | null, after: IsmsException, extra: object = {}) {
  return recordWrite(tx, ctx, { operation, entityType: EntityType.EXCEPTION, entityId: after.id, action, before, after: { ...after, ...extra }, version: after.version, scopeIds: [after.scopeId] });
}

/** Moves an exception along its state machine, checking the version and the current (effective) state. */
async function transition(
  ctx: Context,
  tx: EntityManager,
  id: string,
  action: ExceptionAction,
  expectedVersion: number | null | undefined,
  changes: Partial<IsmsException>,
): Promise<{ before: IsmsException; after: IsmsException }> {
  const before = await lockVisible(ctx, tx, id);
  assertVersion(before, expectedVersion, TYPE);
  assertTransition(effectiveStatus(before.storedStatus, before.expiresAt), action);
  const after = await applyUpdate(tx, IsmsException, before, { ...changes, storedStatus: targetOf[action], decidedAt: new Date() }, TYPE);
  return { before, after };
}

/** Another approved, unexpired acceptance keeps the risk ACCEPTED when one ends. */
async function otherActiveAcceptance(tx: EntityManager, riskId: string, exceptId: string): Promise<boolean> {
  const [row] = await tx.query(
    `SELECT 1 FROM exception WHERE risk_id = $1 AND id <> $2 AND kind = 'RISK_ACCEPTANCE'
       AND stored_status = 'APPROVED' AND (expires_at IS NULL OR expires_at > now()) LIMIT 1`,
    [riskId, exceptId],
  );
  return Boolean(row);
}

export const exceptionService = {
  async get(ctx: Context, id: string): Promise<IsmsException> {
    const exception = isUuid(id) ? await ctx.loaders.exception.load(id) : null;
    if (!exception || !(await canSeeAny(ctx, [exception.scopeId]))) throw notFound(TYPE);
    return exception;
  },

  async list(ctx: Context, filter: ExceptionFilter, page: PageRequest): Promise<Connection<IsmsException>> {
    const qb = ctx.db.getRepository(IsmsException).createQueryBuilder('x');
    const allowed = await visibleScopeIds(ctx);
    if (allowed) qb.andWhere('x.scopeId = ANY(:allowed)', { allowed });
    qb.andWhere('x.archivedAt IS NULL');
    if (filter.kind?.length) qb.andWhere('x.kind = ANY(:kinds)', { kinds: filter.kind });
    if (filter.status?.length) qb.andWhere(`${effectiveStatusSql('x')} = ANY(:statuses)`, { statuses: filter.status });
    if (filter.scopeIds?.length) qb.andWhere('x.scopeId = ANY(:scopeIds)', { scopeIds: filter.scopeIds });
    if (filter.riskIds?.length) qb.andWhere('x.riskId = ANY(:riskIds)', { riskIds: filter.riskIds });
    if (filter.controlIds?.length) qb.andWhere('x.controlId = ANY(:controlIds)', { controlIds: filter.controlIds });
    if (filter.requirementIds?.length) qb.andWhere('x.requirementId = ANY(:requirementIds)', { requirementIds: filter.requirementIds });
    if (filter.expiringBefore) {
      qb.andWhere("x.storedStatus = 'APPROVED' AND x.expiresAt > now() AND x.expiresAt < :before", { before: filter.expiringBefore });
    }
    return paginate(qb, page);
  },

  request(ctx: Context, input: RequestExceptionInput, idempotencyKey?: string | null): Promise<IsmsException> {
    return inTransaction(ctx, async (tx) => {
      const claim = await claimCreate(tx, ctx, 'requestException', idempotencyKey, input);
      if (claim.replay) return tx.findOneByOrFail(IsmsException, { id: claim.id });
      const scope = await scopeService.requireWritable(ctx, tx, input.scopeId, 'scopeId');
      if (input.kind === ExceptionKind.CONTROL_EXCEPTION) {
        if (!input.controlId && !input.requirementId) throw badInput('A control exception names the control or the requirement that is not met', 'controlId');
        if (input.riskId) throw badInput('A control exception does not name a risk', 'riskId');
        if (input.controlId) {
          await controlService.requireVisible(ctx, tx, input.controlId, 'controlId');
          if (!(await tx.findOneBy(ControlScope, { controlId: input.controlId, scopeId: scope.id }))) {
            throw badInput('The control does not operate in this scope', 'controlId');
          }
        }
        if (input.requirementId) {
          const requirement = await tx.findOneBy(Requirement, { id: input.requirementId });
          if (!requirement || requirement.archivedAt) throw badInput(`No requirement with id ${input.requirementId}`, 'requirementId');
        }
      } else {
        if (!input.riskId) throw badInput('A risk acceptance names the risk retained', 'riskId');
        if (input.controlId) throw badInput('A risk acceptance does not name a control', 'controlId');
        if (input.requirementId) throw badInput('A risk acceptance does not name a requirement', 'requirementId');
        const risk = await riskService.requireWritable(ctx, tx, input.riskId, 'riskId');
        if (risk.scopeId !== scope.id) throw badInput('The risk belongs to another scope', 'riskId');
        if (risk.residualScore <= scope.riskAppetite) {
          throw badInput(`The residual score ${risk.residualScore} is within the scope's appetite (${scope.riskAppetite}); no acceptance is needed`, 'riskId');
        }
      }
      await ownerService.requireActive(tx, input.requestedById, 'requestedById');
      if (input.expiresAt && input.expiresAt <= new Date()) throw badInput('expiresAt must be in the future', 'expiresAt');
      // canonical ids: the same uuid in another letter case is one control (and one link row)
      const compensating: string[] = [];
      for (const controlId of new Set(input.compensatingControlIds ?? [])) {
        const { id } = await controlService.requireVisible(ctx, tx, controlId, 'compensatingControlIds');
        if (!compensating.includes(id)) compensating.push(id);
      }
      await tx.insert(IsmsException, {
        id: claim.id,
        kind: input.kind,
        scopeId: scope.id,
        controlId: input.controlId ?? null,
        requirementId: input.kind === ExceptionKind.CONTROL_EXCEPTION ? input.requirementId ?? null : null,
        riskId: input.riskId ?? null,
        justification: input.justification.trim(),
        requestedById: input.requestedById,
        storedStatus: ExceptionStatus.REQUESTED,
        expiresAt: input.expiresAt ?? null,
      });
      if (compensating.length) await tx.insert(ExceptionCompensatingControl, compensating.map((controlId) => ({ exceptionId: claim.id, controlId })));
      const saved = await tx.findOneByOrFail(IsmsException, { id: claim.id });
      await audit(ctx, tx, 'requestException', ChangeAction.CREATED, null, saved, { compensatingControlIds: compensating });
      return saved;
    });
  },

  approve(ctx: Context, id: string, approverId: string, expiresAt: Date, expectedVersion: number): Promise<IsmsException> {
    return inTransaction(ctx, async (tx) => {
      const current = await lockVisible(ctx, tx, id);
      if (!isUuid(approverId)) throw badInput(`No owner with id ${approverId}`, 'approverId');
      // compare canonical ids: Postgres reads 'ABC…' and 'abc…' as one uuid, so the raw argument would let a requester approve their own exception
      const approver = await ownerService.requireActive(tx, approverId, 'approverId');
      if (approver.id === current.requestedById) throw badInput('Segregation of duties: the approver must not be the requester', 'approverId');
      if (!(expiresAt > new Date())) throw badInput('expiresAt must be in the future', 'expiresAt');
      let acceptedResidualScore: number | null = null;
      if (current.kind === ExceptionKind.RISK_ACCEPTANCE && current.riskId) {
        acceptedResidualScore = (await riskService.requireWritable(ctx, tx, current.riskId, 'riskId', { lock: true })).residualScore;
      }
      const { before, after } = await transition(ctx, tx, id, 'approve', expectedVersion, { approverId: approver.id, expiresAt, acceptedResidualScore });
      if (after.riskId && after.kind === ExceptionKind.RISK_ACCEPTANCE) {
        await riskService.setStatusFromAcceptance(ctx, tx, after.riskId, RiskStatus.ACCEPTED, 'approveException');
      }
      await audit(ctx, tx, 'approveException', ChangeAction.TRANSITIONED, before, after);
      return after;
    });
  },

  reject(ctx: Context, id: string, approverId: string, reason: string, expectedVersion?: number | null): Promise<IsmsException> {
    return inTransaction(ctx, async (tx) => {
      const decisionReason = requireText(reason, 'reason');
      await lockVisible(ctx, tx, id);
      if (!isUuid(approverId)) throw badInput(`No owner with id ${approverId}`, 'approverId');
      const approver = await ownerService.requireActive(tx, approverId, 'approverId');
      const { before, after } = await transition(ctx, tx, id, 'reject', expectedVersion, { approverId: approver.id, decisionReason });
      await audit(ctx, tx, 'rejectException', ChangeAction.TRANSITIONED, before, after);
      return after;
    });
  },

  revoke(ctx: Context, id: string, reason: string, expectedVersion?: number | null): Promise<IsmsException> {
    return inTransaction(ctx, async (tx) => {
      const decisionReason = requireText(reason, 'reason');
      const { before, after } = await transition(ctx, tx, id, 'revoke', expectedVersion, { decisionReason });
      const wasActiveAcceptance = before.kind === ExceptionKind.RISK_ACCEPTANCE && before.storedStatus === ExceptionStatus.APPROVED && before.riskId;
      if (wasActiveAcceptance && !(await otherActiveAcceptance(tx, before.riskId!, id))) {
        await riskService.setStatusFromAcceptance(ctx, tx, before.riskId!, RiskStatus.ASSESSED, 'revokeException');
      }
      await audit(ctx, tx, 'revokeException', ChangeAction.TRANSITIONED, before, after);
      return after;
    });
  },
};
