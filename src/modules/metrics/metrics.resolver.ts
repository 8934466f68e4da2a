import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { DateResolver } from 'graphql-scalars';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { ConnectionType, PageArgs } from '../../common/pagination';
import { Scope } from '../scope/scope.entity';
import { Framework } from '../framework/framework.entity';
import { CoverageFlatRow, CoverageSnapshot, RiskMetrics } from './metrics.types';
import { CoverageRowFilter } from './metrics.inputs';
import { metricsService } from './metrics.service';

export const CoverageRowConnection = ConnectionType(CoverageFlatRow, 'CoverageRow');

@Resolver()
export class MetricsResolver {
  @Authorized(Permission.ISMS_READ)
  @Query(() => RiskMetrics, { description: 'Risk register figures (heat maps, levels, treatments, statuses, overdue tasks, acceptances, expiring exceptions) computed in one SQL statement over what the key may see.' })
  riskMetrics(
    @Ctx() ctx: Context,
    @Arg('scopeId', () => ID, { nullable: true, description: 'A scope: its figures include its descendants. Omitted: every scope the key may see. NOT_FOUND outside the key\'s scopes.' }) scopeId?: string | null,
  ): Promise<RiskMetrics> {
    return metricsService.riskMetrics(ctx, scopeId);
  }

  @Authorized(Permission.ISMS_READ)
  @Query(() => [CoverageSnapshot], { description: 'Daily coverage snapshots of a scope and framework between two UTC days (inclusive), oldest first; days without a snapshot are absent.' })
  coverageTrend(
    @Ctx() ctx: Context,
    @Arg('scopeId', () => ID, { description: 'Scope id.' }) scopeId: string,
    @Arg('frameworkKey', { description: 'Framework key, e.g. `iso27001-2022`.' }) frameworkKey: string,
    @Arg('from', () => DateResolver, { description: 'First day (UTC).' }) from: Date,
    @Arg('to', () => DateResolver, { description: 'Last day (UTC), at most 3660 days after `from`.' }) to: Date,
    @Arg('frameworkVersion', () => String, { nullable: true, description: 'Framework version; default the newest.' }) frameworkVersion?: string | null,
  ): Promise<CoverageSnapshot[]> {
    return metricsService.coverageTrend(ctx, scopeId, frameworkKey, from, to, frameworkVersion);
  }

  @Authorized(Permission.ISMS_READ)
  @Query(() => CoverageRowConnection, {
    description: 'Live coverage as flat rows, one per scope × adopted framework × assessable requirement, ordered by scope key, framework key and version, then catalog order; only scopes the key may see.',
  })
  coverageRows(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => CoverageRowFilter, { nullable: true, description: 'Which rows.' }) filter?: CoverageRowFilter,
  ) {
    return metricsService.coverageRows(ctx, filter ?? new CoverageRowFilter(), page);
  }

  @Authorized(Permission.ADMIN)
  @Mutation(() => CoverageSnapshot, { description: 'Takes today\'s (UTC) coverage snapshot of a scope and framework now, replacing one taken earlier today. The scheduler takes them on its own.' })
  snapshotCoverage(
    @Ctx() ctx: Context,
    @Arg('scopeId', () => ID, { description: 'Scope id.' }) scopeId: string,
    @Arg('frameworkKey', { description: 'Framework key.' }) frameworkKey: string,
    @Arg('frameworkVersion', () => String, { nullable: true, description: 'Framework version; default the newest.' }) frameworkVersion?: string | null,
  ): Promise<CoverageSnapshot> {
    return metricsService.snapshotCoverage(ctx, scopeId, frameworkKey, frameworkVersion);
  }
}

@Resolver(() => CoverageSnapshot)
export class CoverageSnapshotResolver {
  @FieldResolver(() => Scope, { description: 'The scope.' })
  async scope(@Root() snapshot: CoverageSnapshot, @Ctx() ctx: Context): Promise<Scope> {
    return (await ctx.loaders.scope.load(snapshot.scopeId))!;
  }

  @FieldResolver(() => Framework, { description: 'The framework version.' })
  async framework(@Root() snapshot: CoverageSnapshot, @Ctx() ctx: Context): Promise<Framework> {
    return (await ctx.loaders.framework.load(snapshot.frameworkId))!;
  }
}
