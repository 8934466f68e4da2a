import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { ConnectionType, PageArgs } from '../../common/pagination';
import { NestedPageArgs } from '../../common/nested-args';
import { childConnection } from '../../db/child-pages';
import { Owner } from '../owner/owner.entity';
import { Scope } from '../scope/scope.entity';
import { scopeService } from '../scope/scope.service';
import { Control } from './control.entity';
import { ControlFilter, ControlOrder, CreateControlInput, UpdateControlInput } from './control.inputs';
import { controlService } from './control.service';

export const ControlConnection = ConnectionType(Control, 'Control');

@Resolver(() => Control)
export class ControlResolver {
  @Authorized(Permission.ISMS_READ)
  @Query(() => Control, { description: 'One control by id; NOT_FOUND when absent or outside the key\'s scopes.' })
  control(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Control id.' }) id: string): Promise<Control> {
    return controlService.get(ctx, id);
  }

  @Authorized(Permission.ISMS_READ)
  @Query(() => ControlConnection, { description: 'Controls the key may see, filtered and ordered.' })
  controls(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => ControlFilter, { nullable: true, description: 'Which controls.' }) filter?: ControlFilter,
    @Arg('orderBy', () => ControlOrder, { nullable: true, description: 'Order; default by code.' }) orderBy?: ControlOrder,
  ) {
    const order = orderBy ?? new ControlOrder();
    return controlService.list(ctx, filter ?? new ControlFilter(), { ...page, orderColumn: `c.${order.field}`, orderProperty: order.field, direction: order.direction });
  }

  @FieldResolver(() => Owner, { description: 'Accountable owner.' })
  async owner(@Root() control: Control, @Ctx() ctx: Context): Promise<Owner> {
    return (await ctx.loaders.owner.load(control.ownerId))!;
  }

  @FieldResolver(() => [Scope], { description: 'Scopes the control operates in (those the key may see).' })
  async scopes(@Root() control: Control, @Ctx() ctx: Context): Promise<Scope[]> {
    const ids = await ctx.loaders.controlScopeIds.load(control.id);
    const scopes = await Promise.all(ids.map((id) => scopeService.findVisible(ctx, id)));
    return scopes.filter((s): s is Scope => s !== null);
  }

  @FieldResolver(() => Date, { description: 'When the next review is due: last review (or creation) plus the interval.' })
  nextReviewAt(@Root() control: Control): Date {
    const from = control.lastReviewedAt ?? control.createdAt;
    return new Date(from.getTime() + control.reviewIntervalDays * 86_400_000);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Control, { description: 'Creates a control, optionally in scopes.' })
  createControl(
    @Ctx() ctx: Context,
    @Arg('input', () => CreateControlInput, { description: 'The control.' }) input: CreateControlInput,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'Retry key: the same key and input return the control first created.' }) idempotencyKey?: string,
  ): Promise<Control> {
    return controlService.create(ctx, input, idempotencyKey);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Control, { description: 'Changes a control; CONFLICT when `expectedVersion` is stale.' })
  updateControl(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Control id.' }) id: string,
    @Arg('input', () => UpdateControlInput, { description: 'The changes.' }) input: UpdateControlInput,
    @Arg('expectedVersion', () => Int, { description: 'The version the change was made against.' }) expectedVersion: number,
  ): Promise<Control> {
    return controlService.update(ctx, id, input, expectedVersion);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Control, { description: 'Archives a control: kept, hidden from lists by default.' })
  archiveControl(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Control id.' }) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true, description: 'When given, CONFLICT unless the control is at this version.' }) expectedVersion?: number,
  ): Promise<Control> {
    return controlService.archive(ctx, id, expectedVersion);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Control, { description: 'Puts a control in a scope (no-op when already linked).' })
  linkControlToScope(
    @Ctx() ctx: Context,
    @Arg('controlId', () => ID, { description: 'Control id.' }) controlId: string,
    @Arg('scopeId', () => ID, { description: 'Scope id.' }) scopeId: string,
  ): Promise<Control> {
    return controlService.linkToScope(ctx, controlId, scopeId);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Control, { description: 'Takes a control out of a scope (no-op when not linked).' })
  unlinkControlFromScope(
    @Ctx() ctx: Context,
    @Arg('controlId', () => ID, { description: 'Control id.' }) controlId: string,
    @Arg('scopeId', () => ID, { description: 'Scope id.' }) scopeId: string,
  ): Promise<Control> {
    return controlService.unlinkFromScope(ctx, controlId, scopeId);
  }
}

/** scope.controls lives here: the control module knows scopes, never the reverse. */
@Resolver(() => Scope)
export class ScopeControlsResolver {
  @FieldResolver(() => ControlConnection, { description: 'Active controls operating in this scope, by code.' })
  controls(@Root() scope: Scope, @Ctx() ctx: Context, @Args() page: NestedPageArgs) {
    return childConnection(ctx.loaders.scopeControls, ctx.loaders.control, { parentId: scope.id, first: page.first, after: page.after });
  }
}
