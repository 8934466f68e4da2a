import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { badInput, notFound } from '../../common/errors';
import { applyUpdate, lockRow } from '../../common/versioning';
import { recordWrite } from '../../db/transaction';
import { ChangeAction, EntityType } from '../../db/events';
import { canSeeAny } from '../../auth/visibility';
import { Risk } from './risk.entity';

export const riskReviewService = {
  /**
   * Records that a risk was reviewed at `reviewedAt`, inside the review's transaction: its next
   * review date moves one interval on. NOT_FOUND outside the key's scopes.
   */
  async markReviewed(ctx: Context, tx: EntityManager, riskId: string, reviewedAt: Date, reviewId: string): Promise<Risk> {
    const before = await lockRow(tx, Risk, riskId.toLowerCase(), 'Risk');
    if (!(await canSeeAny(ctx, [before.scopeId]))) throw notFound('Risk');
    if (before.archivedAt) throw badInput('The risk is archived', 'subjectId');
    const after = await applyUpdate(tx, Risk, before, { lastReviewedAt: reviewedAt }, 'Risk');
    await recordWrite(tx, ctx, {
      operation: 'recordReview',
      entityType: EntityType.RISK,
      entityId: after.id,
      action: ChangeAction.UPDATED,
      before,
      after: { ...after, reviewId },
      version: after.version,
      scopeIds: [after.scopeId],
    });
    return after;
  },
};
