import { Arg, Authorized, Ctx, Field, ID, InputType, Int, ObjectType, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { assertPermission } from '../../auth/visibility';
import { AppError, ErrorCode } from '../../common/errors';
import { CHANGE_CHANNEL, ChangeAction, EntityType, type ChangeEvent } from '../../db/events';
import { filtered, SubscriberAccess } from './subscription-access';

/** Entity types every reader may see, whatever its scope restriction. */
const UNSCOPED = new Set<EntityType>([EntityType.OWNER, EntityType.FRAMEWORK, EntityType.CROSSWALK]);

@ObjectType({ simpleResolvers: true, description: 'A committed write, as every instance hears it: ids only; read the entity for its state.' })
export class IsmsChange {
  @Field(() => EntityType, { description: 'Type of the written entity.' }) entityType!: EntityType;
  @Field(() => ID, { description: 'Its id.' }) entityId!: string;
  @Field(() => ChangeAction, { description: 'What the write did.' }) action!: ChangeAction;
  @Field(() => Int, { description: 'The entity\'s version after the write.' }) version!: number;
  @Field(() => [ID], { description: 'Scopes the entity belongs to (before or after the write).' }) scopeIds!: string[];
  @Field(() => Date, { description: 'When the write happened.' }) at!: Date;
}

@InputType({ description: 'Which changes to receive.' })
export class IsmsChangedFilter {
  @Field(() => [EntityType], { nullable: true, description: 'Only these entity types.' })
  entityTypes?: EntityType[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only changes touching one of these scopes.' })
  scopeIds?: string[] | null;
}

@Resolver()
export class ChangeResolver {
  @Authorized(Permission.ISMS_READ)
  @Subscription(() => IsmsChange, {
    description: 'Every committed write the key may read, from every instance (permission and scope restriction checked per event).',
    subscribe: ({ args, context }) => {
      const ctx = context as Context;
      if (!ctx.bus) throw new AppError(ErrorCode.BAD_REQUEST, 'Subscriptions need the WebSocket endpoint');
      assertPermission(ctx, Permission.ISMS_READ);
      const filter = (args.filter ?? {}) as IsmsChangedFilter;
      const access = new SubscriberAccess(ctx);
      return filtered(ctx.bus.subscribe(CHANGE_CHANNEL), async (event: ChangeEvent) => {
        if (event.entityType === EntityType.API_KEY) return false;
        if (filter.entityTypes?.length && !filter.entityTypes.includes(event.entityType)) return false;
        if (filter.scopeIds?.length && !event.scopeIds.some((id) => filter.scopeIds!.includes(id))) return false;
        return access.canSee(event.scopeIds, UNSCOPED.has(event.entityType));
      });
    },
  })
  ismsChanged(
    @Root() event: ChangeEvent,
    @Ctx() _ctx: Context,
    @Arg('filter', () => IsmsChangedFilter, { nullable: true, description: 'Which changes.' }) _filter?: IsmsChangedFilter,
  ): IsmsChange {
    return { ...event, at: new Date(event.at) };
  }
}
