import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { ConnectionType, PageArgs } from '../../common/pagination';
import { Framework } from '../framework/framework.entity';
import { Requirement } from '../framework/requirement.entity';
import { Crosswalk, Mapping } from './crosswalk.entity';
import { CreateCrosswalkInput, CreateMappingInput, CrosswalkFilter, MappingDirection, MappingFilter, UpdateCrosswalkInput, UpdateMappingInput } from './crosswalk.inputs';
import { RelatedRequirement, RequirementMapping } from './crosswalk.types';
import { crosswalkService, MAX_HOPS } from './crosswalk.service';

export const CrosswalkConnection = ConnectionType(Crosswalk, 'Crosswalk');
export const MappingConnection = ConnectionType(Mapping, 'Mapping');

@Resolver(() => Crosswalk)
export class CrosswalkResolver {
  @Authorized(Permission.ISMS_READ)
  @Query(() => CrosswalkConnection, { description: 'Crosswalks between frameworks, by key.' })
  crosswalks(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => CrosswalkFilter, { nullable: true, description: 'Which crosswalks.' }) filter?: CrosswalkFilter,
  ) {
    return crosswalkService.list(ctx, filter ?? new CrosswalkFilter(), page);
  }

  @Authorized(Permission.ISMS_READ)
  @Query(() => Crosswalk, { description: 'A crosswalk by id or key.' })
  crosswalk(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { nullable: true, description: 'Crosswalk id.' }) id?: string,
    @Arg('key', () => String, { nullable: true, description: 'Crosswalk key.' }) key?: string,
  ): Promise<Crosswalk> {
    return crosswalkService.get(ctx, { id, key });
  }

  @FieldResolver(() => Framework, { description: 'Source framework version.' })
  async sourceFramework(@Root() crosswalk: Crosswalk, @Ctx() ctx: Context): Promise<Framework> {
    return (await ctx.loaders.framework.load(crosswalk.sourceFrameworkId))!;
  }

  @FieldResolver(() => Framework, { description: 'Target framework version.' })
  async targetFramework(@Root() crosswalk: Crosswalk, @Ctx() ctx: Context): Promise<Framework> {
    return (await ctx.loaders.framework.load(crosswalk.targetFrameworkId))!;
  }

  @FieldResolver(() => MappingConnection, { description: 'The crosswalk\'s mappings.' })
  mappings(
    @Root() crosswalk: Crosswalk,
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => MappingFilter, { nullable: true, description: 'Which mappings (crosswalkId is ignored).' }) filter?: MappingFilter,
  ) {
    return crosswalkService.mappings(ctx, { ...(filter ?? new MappingFilter()), crosswalkId: crosswalk.id }, page);
  }

  @Authorized(Permission.CATALOG_WRITE)
  @Mutation(() => Crosswalk, { description: 'Creates a crosswalk (DRAFT unless given APPROVED).' })
  createCrosswalk(
    @Ctx() ctx: Context,
    @Arg('input', () => CreateCrosswalkInput, { description: 'The crosswalk.' }) input: CreateCrosswalkInput,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'Retry key.' }) idempotencyKey?: string,
  ): Promise<Crosswalk> {
    return crosswalkService.createCrosswalk(ctx, input, idempotencyKey);
  }

  @Authorized(Permission.CATALOG_WRITE)
  @Mutation(() => Crosswalk, { description: 'Changes a crosswalk, e.g. DRAFT → APPROVED; CONFLICT when `expectedVersion` is stale.' })
  updateCrosswalk(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Crosswalk id.' }) id: string,
    @Arg('input', () => UpdateCrosswalkInput, { description: 'The changes.' }) input: UpdateCrosswalkInput,
    @Arg('expectedVersion', () => Int, { description: 'The version the change was made against.' }) expectedVersion: number,
  ): Promise<Crosswalk> {
    return crosswalkService.updateCrosswalk(ctx, id, input, expectedVersion);
  }

  @Authorized(Permission.CATALOG_WRITE)
  @Mutation(() => Crosswalk, { description: 'Archives a custom crosswalk; its mappings stop counting.' })
  archiveCrosswalk(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Crosswalk id.' }) id: string): Promise<Crosswalk> {
    return crosswalkService.archiveCrosswalk(ctx, id);
  }
}

@Resolver(() => Mapping)
export class MappingResolver {
  @Authorized(Permission.ISMS_READ)
  @Query(() => MappingConnection, { description: 'Mappings across crosswalks.' })
  mappings(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => MappingFilter, { nullable: true, description: 'Which mappings.' }) filter?: MappingFilter,
  ) {
    return crosswalkService.mappings(ctx, filter ?? new MappingFilter(), page);
  }

  @Authorized(Permission.ISMS_READ)
  @Query(() => [RelatedRequirement], { description: `Requirements reachable through mappings of approved crosswalks, at most ${MAX_HOPS} hops, each by its best chain.` })
  relatedRequirements(
    @Ctx() ctx: Context,
    @Arg('requirementId', () => ID, { description: 'Starting requirement.' }) requirementId: string,
    // nullable with defaults: a null variable in a non-null argument fails before any resolver runs
    @Arg('maxHops', () => Int, { nullable: true, defaultValue: MAX_HOPS, description: `1 to ${MAX_HOPS}; null means ${MAX_HOPS}.` }) maxHops: number | null,
    @Arg('includeDraft', () => Boolean, { nullable: true, defaultValue: false, description: 'Also walk DRAFT crosswalks; null means false.' }) includeDraft: boolean | null,
  ): Promise<RelatedRequirement[]> {
    return crosswalkService.related(ctx, requirementId, maxHops ?? MAX_HOPS, !includeDraft);
  }

  @FieldResolver(() => Crosswalk, { description: 'The crosswalk holding the mapping.' })
  async crosswalk(@Root() mapping: Mapping, @Ctx() ctx: Context): Promise<Crosswalk> {
    return (await ctx.loaders.crosswalk.load(mapping.crosswalkId))!;
  }

  @FieldResolver(() => Requirement, { description: 'Source requirement.' })
  async source(@Root() mapping: Mapping, @Ctx() ctx: Context): Promise<Requirement> {
    return (await ctx.loaders.requirement.load(mapping.sourceRequirementId))!;
  }

  @FieldResolver(() => Requirement, { description: 'Target requirement.' })
  async target(@Root() mapping: Mapping, @Ctx() ctx: Context): Promise<Requirement> {
    return (await ctx.loaders.requirement.load(mapping.targetRequirementId))!;
  }

  @Authorized(Permission.CATALOG_WRITE)
  @Mutation(() => Mapping, { description: 'Adds a mapping to a custom crosswalk.' })
  createMapping(
    @Ctx() ctx: Context,
    @Arg('input', () => CreateMappingInput, { description: 'The mapping.' }) input: CreateMappingInput,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'Retry key.' }) idempotencyKey?: string,
  ): Promise<Mapping> {
    return crosswalkService.createMapping(ctx, input, idempotencyKey);
  }

  @Authorized(Permission.CATALOG_WRITE)
  @Mutation(() => Mapping, { description: 'Changes a mapping; CONFLICT when `expectedVersion` is stale.' })
  updateMapping(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Mapping id.' }) id: string,
    @Arg('input', () => UpdateMappingInput, { description: 'The changes.' }) input: UpdateMappingInput,
    @Arg('expectedVersion', () => Int, { description: 'The version the change was made against.' }) expectedVersion: number,
  ): Promise<Mapping> {
    return crosswalkService.updateMapping(ctx, id, input, expectedVersion);
  }

  @Authorized(Permission.CATALOG_WRITE)
  @Mutation(() => Mapping, { description: 'Archives a mapping of a custom crosswalk.' })
  archiveMapping(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Mapping id.' }) id: string): Promise<Mapping> {
    return crosswalkService.archiveMapping(ctx, id);
  }
}

/** Requirement.mappings lives here: crosswalks know requirements, never the reverse. */
@Resolver(() => Requirement)
export class RequirementMappingsResolver {
  @FieldResolver(() => [RequirementMapping], { description: 'Mappings touching this requirement, the relationship read from its side.' })
  mappings(
    @Root() requirement: Requirement,
    @Ctx() ctx: Context,
    @Arg('direction', () => MappingDirection, { nullable: true, defaultValue: MappingDirection.BOTH, description: 'OUTGOING, INCOMING or BOTH (null means BOTH).' }) direction: MappingDirection | null,
  ): Promise<RequirementMapping[]> {
    return crosswalkService.requirementMappings(ctx, requirement, direction ?? MappingDirection.BOTH);
  }
}
