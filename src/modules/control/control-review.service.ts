import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { badInput } from '../../common/errors';
import { applyUpdate } from '../../common/versioning';
import { recordWrite } from '../../db/transaction';
import { ChangeAction, EntityType } from '../../db/events';
import { Control } from './control.entity';
import { controlService } from './control.service';

export const controlReviewService = {
  /**
   * Records that a control was reviewed at `reviewedAt`, inside the review's transaction: its next
   * review date moves one interval on. NOT_FOUND outside the key's scopes.
   */
  async markReviewed(ctx: Context, tx: EntityManager, controlId: string, reviewedAt: Date, reviewId: string): Promise<Control> {
    const { control: before, scopeIds } = await controlService.lockVisible(ctx, tx, controlId);
    if (before.archivedAt) throw badInput(`Control ${before.code} is archived`, 'subjectId');
    const after = await applyUpdate(tx, Control, before, { lastReviewedAt: reviewedAt }, 'Control');
    await recordWrite(tx, ctx, {
      operation: 'recordReview',
      entityType: EntityType.CONTROL,
      entityId: after.id,
      action: ChangeAction.UPDATED,
      before,
      after: { ...after, reviewId },
      version: after.version,
      scopeIds,
    });
    return after;
  },
};
