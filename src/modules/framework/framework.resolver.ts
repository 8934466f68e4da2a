import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { ConnectionType, PageArgs } from '../../common/pagination';
import { Framework } from './framework.entity';
import { Requirement } from './requirement.entity';
import { RequirementAttributes } from './requirement-attributes';
import { CreateFrameworkInput, CreateRequirementInput, FrameworkFilter, FrameworkOrder, RequirementFilter, UpdateFrameworkInput, UpdateRequirementInput } from './framework.inputs';
import { frameworkService } from './framework.service';

export const FrameworkConnection = ConnectionType(Framework, 'Framework');
export const RequirementConnection = ConnectionType(Requirement, 'Requirement');

@Resolver(() => Framework)
export class FrameworkResolver {
  @Authorized(Permission.ISMS_READ)
  @Query(() => FrameworkConnection, { description: 'Framework catalogs (every version).' })
  frameworks(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => FrameworkFilter, { nullable: true, description: 'Which frameworks.' }) filter?: FrameworkFilter,
    @Arg('orderBy', () => FrameworkOrder, { nullable: true, description: 'Order; default by key.' }) orderBy?: FrameworkOrder,
  ) {
    const order = orderBy ?? new FrameworkOrder();
    return frameworkService.list(ctx, filter ?? new FrameworkFilter(), { ...page, orderColumn: `f.${order.field}`, orderProperty: order.field, direction: order.direction });
  }

  @Authorized(Permission.ISMS_READ)
  @Query(() => Framework, { description: 'A framework by id, or by key: the newest version unless `version` is given.' })
  framework(
    @Ctx() ctx: Context,
    @Arg('key', () => String, { nullable: true, description: 'Framework key, e.g. `iso27001-2022`.' }) key?: string,
    @Arg('version', () => String, { nullable: true, description: 'Catalog version.' }) version?: string,
    @Arg('id', () => ID, { nullable: true, description: 'Framework id.' }) id?: string,
  ): Promise<Framework> {
    return frameworkService.get(ctx, { id, key, version });
  }

  @FieldResolver(() => RequirementConnection, { description: 'The framework\'s requirements in catalog order.' })
  requirements(
    @Root() framework: Framework,
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => RequirementFilter, { nullable: true, description: 'Which requirements (framework fields are ignored).' }) filter?: RequirementFilter,
  ) {
    return frameworkService.requirements(ctx, { ...(filter ?? new RequirementFilter()), frameworkKey: null, frameworkId: framework.id }, page);
  }

  @Authorized(Permission.CATALOG_WRITE)
  @Mutation(() => Framework, { description: 'Creates a custom framework (catalog:write).' })
  createFramework(
    @Ctx() ctx: Context,
    @Arg('input', () => CreateFrameworkInput, { description: 'The framework.' }) input: CreateFrameworkInput,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'Retry key.' }) idempotencyKey?: string,
  ): Promise<Framework> {
    return frameworkService.createFramework(ctx, input, idempotencyKey);
  }

  @Authorized(Permission.CATALOG_WRITE)
  @Mutation(() => Framework, { description: 'Changes a custom framework; shipped ones are FORBIDDEN.' })
  updateFramework(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Framework id.' }) id: string,
    @Arg('input', () => UpdateFrameworkInput, { description: 'The changes.' }) input: UpdateFrameworkInput,
    @Arg('expectedRevision', () => Int, { description: 'The revision the change was made against.' }) expectedRevision: number,
  ): Promise<Framework> {
    return frameworkService.updateFramework(ctx, id, input, expectedRevision);
  }

  @Authorized(Permission.CATALOG_WRITE)
  @Mutation(() => Framework, { description: 'Archives a custom framework.' })
  archiveFramework(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Framework id.' }) id: string): Promise<Framework> {
    return frameworkService.archiveFramework(ctx, id);
  }
}

@Resolver(() => Requirement)
export class RequirementResolver {
  @Authorized(Permission.ISMS_READ)
  @Query(() => Requirement, { description: 'A requirement by id, or by framework key (newest version unless frameworkVersion is given) and code.' })
  requirement(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { nullable: true, description: 'Requirement id.' }) id?: string,
    @Arg('frameworkKey', () => String, { nullable: true, description: 'Framework key.' }) frameworkKey?: string,
    @Arg('code', () => String, { nullable: true, description: 'Requirement code, e.g. `A.5.15`.' }) code?: string,
    @Arg('frameworkVersion', () => String, { nullable: true, description: 'Framework version.' }) frameworkVersion?: string,
  ): Promise<Requirement> {
    return frameworkService.requirement(ctx, { id, frameworkKey, code, frameworkVersion });
  }

  @Authorized(Permission.ISMS_READ)
  @Query(() => RequirementConnection, { description: 'Requirements, in catalog order.' })
  requirements(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => RequirementFilter, { nullable: true, description: 'Which requirements.' }) filter?: RequirementFilter,
  ) {
    return frameworkService.requirements(ctx, filter ?? new RequirementFilter(), page);
  }

  @FieldResolver(() => Framework, { description: 'The framework (version) the requirement belongs to.' })
  async framework(@Root() requirement: Requirement, @Ctx() ctx: Context): Promise<Framework> {
    return (await ctx.loaders.framework.load(requirement.frameworkId))!;
  }

  @FieldResolver(() => Requirement, { nullable: true, description: 'Parent requirement (clause, theme, category…).' })
  parent(@Root() requirement: Requirement, @Ctx() ctx: Context): Promise<Requirement | null> {
    return requirement.parentId ? ctx.loaders.requirement.load(requirement.parentId) : Promise.resolve(null);
  }

  @FieldResolver(() => [Requirement], { description: 'Direct children in catalog order.' })
  async children(@Root() requirement: Requirement, @Ctx() ctx: Context): Promise<Requirement[]> {
    const ids = await ctx.loaders.requirementChildIds.load(requirement.id);
    return (await ctx.loaders.requirement.loadMany(ids)).filter((r): r is Requirement => !!r && !(r instanceof Error));
  }

  @FieldResolver(() => RequirementAttributes, { description: 'ISO/IEC 27002:2022 attributes (empty lists where none were imported).' })
  attributes(@Root() requirement: Requirement): RequirementAttributes {
    const v = requirement.attributeValues ?? {};
    return {
      controlType: (v.controlType ?? []) as RequirementAttributes['controlType'],
      securityProperties: (v.securityProperties ?? []) as RequirementAttributes['securityProperties'],
      cybersecurityConcepts: (v.cybersecurityConcepts ?? []) as RequirementAttributes['cybersecurityConcepts'],
      operationalCapabilities: (v.operationalCapabilities ?? []) as RequirementAttributes['operationalCapabilities'],
      securityDomains: (v.securityDomains ?? []) as RequirementAttributes['securityDomains'],
    };
  }

  @Authorized(Permission.CATALOG_WRITE)
  @Mutation(() => Requirement, { description: 'Adds a requirement to a custom framework.' })
  createRequirement(
    @Ctx() ctx: Context,
    @Arg('input', () => CreateRequirementInput, { description: 'The requirement.' }) input: CreateRequirementInput,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'Retry key.' }) idempotencyKey?: string,
  ): Promise<Requirement> {
    return frameworkService.createRequirement(ctx, input, idempotencyKey);
  }

  @Authorized(Permission.CATALOG_WRITE)
  @Mutation(() => Requirement, { description: 'Changes a requirement of a custom framework; CONFLICT when `expectedVersion` is stale.' })
  updateRequirement(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Requirement id.' }) id: string,
    @Arg('input', () => UpdateRequirementInput, { description: 'The changes.' }) input: UpdateRequirementInput,
    @Arg('expectedVersion', () => Int, { description: 'The version the change was made against.' }) expectedVersion: number,
  ): Promise<Requirement> {
    return frameworkService.updateRequirement(ctx, id, input, expectedVersion);
  }

  @Authorized(Permission.CATALOG_WRITE)
  @Mutation(() => Requirement, { description: 'Archives a requirement of a custom framework.' })
  archiveRequirement(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Requirement id.' }) id: string): Promise<Requirement> {
    return frameworkService.archiveRequirement(ctx, id);
  }
}
