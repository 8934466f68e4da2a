import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { ConnectionType, PageArgs } from '../../common/pagination';
import { Owner } from '../owner/owner.entity';
import { Scope } from './scope.entity';
import { CreateScopeInput, ScopeFilter, ScopeOrder, UpdateScopeInput } from './scope.inputs';
import { scopeService } from './scope.service';

export const ScopeConnection = ConnectionType(Scope, 'Scope');

@Resolver(() => Scope)
export class ScopeResolver {
  @Authorized(Permission.ISMS_READ)
  @Query(() => Scope, { description: 'One scope by id or key; NOT_FOUND when absent or outside the key\'s scopes.' })
  scope(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { nullable: true, description: 'Scope id.' }) id?: string,
    @Arg('key', () => String, { nullable: true, description: 'Scope key.' }) key?: string,
  ): Promise<Scope> {
    return scopeService.get(ctx, { id, key });
  }

  @Authorized(Permission.ISMS_READ)
  @Query(() => ScopeConnection, { description: 'Scopes the key may see, filtered and ordered.' })
  scopes(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => ScopeFilter, { nullable: true, description: 'Which scopes.' }) filter?: ScopeFilter,
    @Arg('orderBy', () => ScopeOrder, { nullable: true, description: 'Order; default by key.' }) orderBy?: ScopeOrder,
  ) {
    const order = orderBy ?? new ScopeOrder();
    return scopeService.list(ctx, filter ?? new ScopeFilter(), { ...page, orderColumn: `s.${order.field}`, orderProperty: order.field, direction: order.direction });
  }

  @FieldResolver(() => Owner, { description: 'Accountable owner.' })
  async owner(@Root() scope: Scope, @Ctx() ctx: Context): Promise<Owner> {
    return (await ctx.loaders.owner.load(scope.ownerId))!;
  }

  @FieldResolver(() => Scope, { nullable: true, description: 'Parent scope (null at the top, or when outside the key\'s scopes).' })
  parent(@Root() scope: Scope, @Ctx() ctx: Context): Promise<Scope | null> {
    return scopeService.findVisible(ctx, scope.parentId);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Scope, { description: 'Creates a scope.' })
  createScope(
    @Ctx() ctx: Context,
    @Arg('input', () => CreateScopeInput, { description: 'The scope.' }) input: CreateScopeInput,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'Retry key: the same key and input return the scope first created.' }) idempotencyKey?: string,
  ): Promise<Scope> {
    return scopeService.create(ctx, input, idempotencyKey);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Scope, { description: 'Changes a scope; CONFLICT when `expectedVersion` is stale.' })
  updateScope(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Scope id.' }) id: string,
    @Arg('input', () => UpdateScopeInput, { description: 'The changes.' }) input: UpdateScopeInput,
    @Arg('expectedVersion', () => Int, { description: 'The version the change was made against.' }) expectedVersion: number,
  ): Promise<Scope> {
    return scopeService.update(ctx, id, input, expectedVersion);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Scope, { description: 'Archives a scope (refused while it has active child scopes).' })
  archiveScope(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Scope id.' }) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true, description: 'When given, CONFLICT unless the scope is at this version.' }) expectedVersion?: number,
  ): Promise<Scope> {
    return scopeService.archive(ctx, id, expectedVersion);
  }
}
