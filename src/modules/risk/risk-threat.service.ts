import type { Context } from '../../context';
import { badInput } from '../../common/errors';
import { isUuid } from '../../common/validation';
import { applyUpdate, lockRow } from '../../common/versioning';
import { inTransaction, recordWrite } from '../../db/transaction';
import { ChangeAction, EntityType } from '../../db/events';
import { canSeeAny } from '../../auth/visibility';
import { notFound } from '../../common/errors';
import { Framework, FrameworkKind } from '../framework/framework.entity';
import { Requirement } from '../framework/requirement.entity';
import { Risk, RiskThreat } from './risk.entity';

/** Threats a risk names: requirements of RISK_TAXONOMY frameworks such as the OWASP NHI Top 10. */
export const riskThreatService = {
  link(ctx: Context, riskId: string, requirementId: string): Promise<Risk> {
    return this.write(ctx, riskId, requirementId, 'linkRiskToThreat');
  },

  unlink(ctx: Context, riskId: string, requirementId: string): Promise<Risk> {
    return this.write(ctx, riskId, requirementId, 'unlinkRiskFromThreat');
  },

  write(ctx: Context, riskId: string, requirementId: string, operation: 'linkRiskToThreat' | 'unlinkRiskFromThreat'): Promise<Risk> {
    return inTransaction(ctx, async (tx) => {
      const risk = await lockRow(tx, Risk, riskId, 'Risk');
      if (!(await canSeeAny(ctx, [risk.scopeId]))) throw notFound('Risk');
      const requirement = isUuid(requirementId) ? await tx.findOneBy(Requirement, { id: requirementId }) : null;
      if (!requirement) throw badInput(`No requirement with id ${requirementId}`, 'requirementId');
      if (operation === 'linkRiskToThreat') {
        const framework = await tx.findOneByOrFail(Framework, { id: requirement.frameworkId });
        if (framework.kind !== FrameworkKind.RISK_TAXONOMY) throw badInput(`${requirement.code} is not a threat: ${framework.key} is not a RISK_TAXONOMY`, 'requirementId');
        if (await tx.findOneBy(RiskThreat, { riskId, requirementId })) return risk;
        await tx.insert(RiskThreat, { riskId, requirementId });
      } else if (!(await tx.delete(RiskThreat, { riskId, requirementId })).affected) {
        return risk;
      }
      const after = await applyUpdate(tx, Risk, risk, {}, 'Risk');
      await recordWrite(tx, ctx, { operation, entityType: EntityType.RISK, entityId: riskId, action: ChangeAction.UPDATED, before: risk, after: { ...after, threatId: requirementId }, version: after.version, scopeIds: [risk.scopeId] });
      return after;
    });
  },
};
