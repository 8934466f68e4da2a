import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { badInput } from '../../common/errors';
import { isUuid } from '../../common/validation';
import { inTransaction } from '../../db/transaction';
import { Requirement } from '../framework/requirement.entity';
import { Control, ControlRequirement } from './control.entity';
import { controlService } from './control.service';

async function requireRequirement(tx: EntityManager, id: string): Promise<Requirement> {
  const requirement = isUuid(id) ? await tx.findOneBy(Requirement, { id }) : null;
  if (!requirement) throw badInput(`No requirement with id ${id}`, 'requirementId');
  return requirement;
}

/** Which framework requirements a control implements (any framework, any version). */
export const controlRequirementService = {
  link(ctx: Context, controlId: string, requirementId: string): Promise<Control> {
    return inTransaction(ctx, async (tx) => {
      const { control, scopeIds } = await controlService.lockVisible(ctx, tx, controlId);
      const requirement = await requireRequirement(tx, requirementId);
      if (await tx.findOneBy(ControlRequirement, { controlId, requirementId: requirement.id })) return control;
      await tx.insert(ControlRequirement, { controlId, requirementId: requirement.id });
      return controlService.bumpForLink(ctx, tx, control, 'linkControlToRequirement', { scopeIds }, { scopeIds, requirementIds: [requirement.id] } as { scopeIds: string[] });
    });
  },

  unlink(ctx: Context, controlId: string, requirementId: string): Promise<Control> {
    return inTransaction(ctx, async (tx) => {
      const { control, scopeIds } = await controlService.lockVisible(ctx, tx, controlId);
      if (!isUuid(requirementId)) throw badInput(`No requirement with id ${requirementId}`, 'requirementId');
      const result = await tx.delete(ControlRequirement, { controlId, requirementId });
      if (!result.affected) return control;
      return controlService.bumpForLink(ctx, tx, control, 'unlinkControlFromRequirement', { scopeIds }, { scopeIds, unlinkedRequirementIds: [requirementId] } as { scopeIds: string[] });
    });
  },
};
