import { Arg, Args, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { ConnectionType, PageArgs } from '../../common/pagination';
import { Owner } from './owner.entity';
import { CreateOwnerInput, OwnerFilter, OwnerOrder, UpdateOwnerInput } from './owner.inputs';
import { ownerService } from './owner.service';

export const OwnerConnection = ConnectionType(Owner, 'Owner');

@Resolver(() => Owner)
export class OwnerResolver {
  @Authorized(Permission.ISMS_READ)
  @Query(() => Owner, { description: 'One owner by id; NOT_FOUND when it does not exist.' })
  owner(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Owner id.' }) id: string): Promise<Owner> {
    return ownerService.get(ctx, id);
  }

  @Authorized(Permission.ISMS_READ)
  @Query(() => OwnerConnection, { description: 'Owners, filtered and ordered, as a connection.' })
  owners(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => OwnerFilter, { nullable: true, description: 'Which owners.' }) filter?: OwnerFilter,
    @Arg('orderBy', () => OwnerOrder, { nullable: true, description: 'Order; default by name.' }) orderBy?: OwnerOrder,
  ) {
    const order = orderBy ?? new OwnerOrder();
    return ownerService.list(ctx, filter ?? new OwnerFilter(), { ...page, orderColumn: `o.${order.field}`, orderProperty: order.field, direction: order.direction });
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Owner, { description: 'Creates an owner.' })
  createOwner(
    @Ctx() ctx: Context,
    @Arg('input', () => CreateOwnerInput, { description: 'The owner.' }) input: CreateOwnerInput,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'Retry key: the same key and input return the owner first created.' }) idempotencyKey?: string,
  ): Promise<Owner> {
    return ownerService.create(ctx, input, idempotencyKey);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Owner, { description: 'Changes an owner; CONFLICT when `expectedVersion` is stale.' })
  updateOwner(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Owner id.' }) id: string,
    @Arg('input', () => UpdateOwnerInput, { description: 'The changes.' }) input: UpdateOwnerInput,
    @Arg('expectedVersion', () => Int, { description: 'The version the change was made against.' }) expectedVersion: number,
  ): Promise<Owner> {
    return ownerService.update(ctx, id, input, expectedVersion);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Owner, { description: 'Archives an owner: kept, hidden from lists by default.' })
  archiveOwner(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Owner id.' }) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true, description: 'When given, CONFLICT unless the owner is at this version.' }) expectedVersion?: number,
  ): Promise<Owner> {
    return ownerService.archive(ctx, id, expectedVersion);
  }
}
