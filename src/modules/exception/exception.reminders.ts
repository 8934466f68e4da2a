import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { applyUpdate, lockRow } from '../../common/versioning';
import { recordWrite } from '../../db/transaction';
import { ChangeAction, EntityType } from '../../db/events';
import { riskService } from '../risk/risk.service';
import { RiskStatus } from '../risk/risk.entity';
import { ReminderKind, type Reminder } from '../reminder/reminder.entity';
import type { ReminderRule } from '../reminder/reminder.rules';
import { ExceptionKind, ExceptionStatus, IsmsException } from './exception.entity';

/** Another approved acceptance of the risk that is still running at `at` keeps the risk ACCEPTED. */
async function otherActiveAcceptance(tx: EntityManager, riskId: string, exceptId: string, at: Date): Promise<boolean> {
  const [row] = await tx.query(
    `SELECT 1 FROM exception WHERE risk_id = $1 AND id <> $2 AND kind = 'RISK_ACCEPTANCE'
       AND stored_status = 'APPROVED' AND archived_at IS NULL AND (expires_at IS NULL OR expires_at > $3) LIMIT 1`,
    [riskId, exceptId, at],
  );
  return Boolean(row);
}

/**
 * EXCEPTION_EXPIRED stores what reads already show: the exception becomes EXPIRED (version bump,
 * audit row, change event), and the risk of a risk acceptance goes back to ASSESSED unless another
 * acceptance still holds it.
 */
async function expire(tx: EntityManager, ctx: Context, reminder: Reminder): Promise<void> {
  if (reminder.kind !== ReminderKind.EXCEPTION_EXPIRED) return;
  const at = reminder.firedAt ?? new Date();
  const before = await lockRow(tx, IsmsException, reminder.subjectId, 'Exception');
  // revoked, or renewed to a later date, since the reminder was planned
  if (before.storedStatus !== ExceptionStatus.APPROVED || !before.expiresAt || before.expiresAt > at) return;
  const after = await applyUpdate(tx, IsmsException, before, { storedStatus: ExceptionStatus.EXPIRED }, 'Exception');
  if (after.kind === ExceptionKind.RISK_ACCEPTANCE && after.riskId && !(await otherActiveAcceptance(tx, after.riskId, after.id, at))) {
    await riskService.setStatusFromAcceptance(ctx, tx, after.riskId, RiskStatus.ASSESSED, 'expireException');
  }
  await recordWrite(tx, ctx, {
    operation: 'expireException',
    entityType: EntityType.EXCEPTION,
    entityId: after.id,
    action: ChangeAction.TRANSITIONED,
    before,
    after,
    version: after.version,
    scopeIds: [after.scopeId],
  });
}

/** Approved exceptions end at `expiresAt`: reminded ahead of it, and expired (stored) once it passes. */
export const exceptionReminderRule: ReminderRule = {
  subjectType: EntityType.EXCEPTION,
  upcomingKind: ReminderKind.EXCEPTION_EXPIRING,
  passedKind: ReminderKind.EXCEPTION_EXPIRED,
  summary: { upcoming: 'Exception expires', passed: 'Exception expired' },
  // the requester answers for the exception (it has no owner of its own) and would renew it
  candidatesSql: `
    SELECT x.id AS subject_id, x.expires_at AS due_at, x.requested_by_id AS owner_id, ARRAY[x.scope_id] AS scope_ids,
           (CASE x.kind WHEN 'RISK_ACCEPTANCE' THEN 'Risk acceptance' ELSE 'Control exception' END)
             || coalesce(' ' || c.code, '') || coalesce(' ' || q.code, '') || coalesce(' ' || r.title, '') AS label
      FROM exception x
      LEFT JOIN control c ON c.id = x.control_id
      LEFT JOIN requirement q ON q.id = x.requirement_id
      LEFT JOIN risk r ON r.id = x.risk_id
     WHERE x.stored_status = 'APPROVED' AND x.expires_at IS NOT NULL AND x.archived_at IS NULL`,
  onFire: expire,
};
