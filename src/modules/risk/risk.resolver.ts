import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { ConnectionType, PageArgs } from '../../common/pagination';
import { NestedPageArgs } from '../../common/nested-args';
import { childConnection } from '../../db/child-pages';
import { Owner } from '../owner/owner.entity';
import { Scope } from '../scope/scope.entity';
import { Control } from '../control/control.entity';
import { controlService } from '../control/control.service';
import { Risk, RiskLevel } from './risk.entity';
import { CreateRiskInput, RiskFilter, RiskOrder, UpdateRiskInput } from './risk.inputs';
import { levelOf } from './risk.scoring';
import { riskService } from './risk.service';

export const RiskConnection = ConnectionType(Risk, 'Risk');

@Resolver(() => Risk)
export class RiskResolver {
  @Authorized(Permission.ISMS_READ)
  @Query(() => Risk, { description: 'One risk by id; NOT_FOUND when absent or outside the key\'s scopes.' })
  risk(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Risk id.' }) id: string): Promise<Risk> {
    return riskService.get(ctx, id);
  }

  @Authorized(Permission.ISMS_READ)
  @Query(() => RiskConnection, { description: 'The risk register: risks the key may see, filtered and ordered.' })
  risks(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => RiskFilter, { nullable: true, description: 'Which risks.' }) filter?: RiskFilter,
    @Arg('orderBy', () => RiskOrder, { nullable: true, description: 'Order; default oldest first.' }) orderBy?: RiskOrder,
  ) {
    const order = orderBy ?? new RiskOrder();
    return riskService.list(ctx, filter ?? new RiskFilter(), { ...page, orderColumn: `r.${order.field}`, orderProperty: order.field, direction: order.direction });
  }

  @FieldResolver(() => Scope, { description: 'The scope whose register holds the risk.' })
  async scope(@Root() risk: Risk, @Ctx() ctx: Context): Promise<Scope> {
    return (await ctx.loaders.scope.load(risk.scopeId))!;
  }

  @FieldResolver(() => Owner, { description: 'Risk owner.' })
  async owner(@Root() risk: Risk, @Ctx() ctx: Context): Promise<Owner> {
    return (await ctx.loaders.owner.load(risk.ownerId))!;
  }

  @FieldResolver(() => [Control], { description: 'Controls that treat the risk (those the key may see).' })
  async controls(@Root() risk: Risk, @Ctx() ctx: Context): Promise<Control[]> {
    return controlService.visibleMany(ctx, await ctx.loaders.riskControlIds.load(risk.id));
  }

  @FieldResolver(() => Date, { description: 'When the next review is due: last review (or creation) plus the interval.' })
  nextReviewAt(@Root() risk: Risk): Date {
    const from = risk.lastReviewedAt ?? risk.createdAt;
    return new Date(from.getTime() + risk.reviewIntervalDays * 86_400_000);
  }

  @FieldResolver(() => RiskLevel, { description: 'Level of the inherent score.' })
  inherentLevel(@Root() risk: Risk): RiskLevel {
    return levelOf(risk.inherentScore);
  }

  @FieldResolver(() => Int, { description: 'Residual likelihood (the inherent one unless set).' })
  residualLikelihood(@Root() risk: Risk): number {
    return risk.residualLikelihoodSet ?? risk.likelihood;
  }

  @FieldResolver(() => Int, { description: 'Residual impact (the inherent one unless set).' })
  residualImpact(@Root() risk: Risk): number {
    return risk.residualImpactSet ?? risk.impact;
  }

  @FieldResolver(() => RiskLevel, { description: 'Level of the residual score.' })
  residualLevel(@Root() risk: Risk): RiskLevel {
    return levelOf(risk.residualScore);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Risk, { description: 'Adds a risk to a scope\'s register; scores and levels are computed.' })
  createRisk(
    @Ctx() ctx: Context,
    @Arg('input', () => CreateRiskInput, { description: 'The risk.' }) input: CreateRiskInput,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'Retry key: the same key and input return the risk first created.' }) idempotencyKey?: string,
  ): Promise<Risk> {
    return riskService.create(ctx, input, idempotencyKey);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Risk, { description: 'Changes a risk; CONFLICT when `expectedVersion` is stale.' })
  updateRisk(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Risk id.' }) id: string,
    @Arg('input', () => UpdateRiskInput, { description: 'The changes.' }) input: UpdateRiskInput,
    @Arg('expectedVersion', () => Int, { description: 'The version the change was made against.' }) expectedVersion: number,
  ): Promise<Risk> {
    return riskService.update(ctx, id, input, expectedVersion);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Risk, { description: 'Archives a risk: kept, hidden from lists by default.' })
  archiveRisk(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Risk id.' }) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true, description: 'When given, CONFLICT unless the risk is at this version.' }) expectedVersion?: number,
  ): Promise<Risk> {
    return riskService.archive(ctx, id, expectedVersion);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Risk, { description: 'Records that a control treats a risk (no-op when already linked).' })
  linkControlToRisk(
    @Ctx() ctx: Context,
    @Arg('controlId', () => ID, { description: 'Control id.' }) controlId: string,
    @Arg('riskId', () => ID, { description: 'Risk id.' }) riskId: string,
  ): Promise<Risk> {
    return riskService.linkControl(ctx, controlId, riskId);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Risk, { description: 'Removes a treating control from a risk (no-op when not linked).' })
  unlinkControlFromRisk(
    @Ctx() ctx: Context,
    @Arg('controlId', () => ID, { description: 'Control id.' }) controlId: string,
    @Arg('riskId', () => ID, { description: 'Risk id.' }) riskId: string,
  ): Promise<Risk> {
    return riskService.unlinkControl(ctx, controlId, riskId);
  }
}

/** scope.risks lives here: the risk module knows scopes, never the reverse. */
@Resolver(() => Scope)
export class ScopeRisksResolver {
  @FieldResolver(() => RiskConnection, { description: 'Active risks of this scope\'s register, oldest first.' })
  risks(@Root() scope: Scope, @Ctx() ctx: Context, @Args() page: NestedPageArgs) {
    return childConnection(ctx.loaders.scopeRisks, ctx.loaders.risk, { parentId: scope.id, first: page.first, after: page.after });
  }
}
