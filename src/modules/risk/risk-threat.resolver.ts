import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { Requirement } from '../framework/requirement.entity';
import { Risk } from './risk.entity';
import { riskThreatService } from './risk-threat.service';

@Resolver(() => Risk)
export class RiskThreatResolver {
  @FieldResolver(() => [Requirement], { description: 'Threats the risk names (RISK_TAXONOMY requirements such as NHI2).' })
  async threats(@Root() risk: Risk, @Ctx() ctx: Context): Promise<Requirement[]> {
    const ids = await ctx.loaders.riskThreatIds.load(risk.id);
    return (await ctx.loaders.requirement.loadMany(ids)).filter((r): r is Requirement => !!r && !(r instanceof Error));
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Risk, { description: 'Names a threat (a RISK_TAXONOMY requirement) for a risk (no-op when linked).' })
  linkRiskToThreat(
    @Ctx() ctx: Context,
    @Arg('riskId', () => ID, { description: 'Risk id.' }) riskId: string,
    @Arg('requirementId', () => ID, { description: 'Threat requirement id.' }) requirementId: string,
  ): Promise<Risk> {
    return riskThreatService.link(ctx, riskId, requirementId);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Risk, { description: 'Removes a threat from a risk (no-op when not linked).' })
  unlinkRiskFromThreat(
    @Ctx() ctx: Context,
    @Arg('riskId', () => ID, { description: 'Risk id.' }) riskId: string,
    @Arg('requirementId', () => ID, { description: 'Threat requirement id.' }) requirementId: string,
  ): Promise<Risk> {
    return riskThreatService.unlink(ctx, riskId, requirementId);
  }
}
