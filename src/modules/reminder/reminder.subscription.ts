import { Arg, Authorized, Ctx, Field, ID, InputType, Resolver, Root, Subscription } from 'type-graphql';
import type { DataSource } from 'typeorm';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { assertPermission } from '../../auth/visibility';
import { AppError, ErrorCode } from '../../common/errors';
import { REMINDER_CHANNEL } from '../../db/event-bus';
import { SubscriberAccess } from '../change/subscription-access';
import { Reminder, ReminderKind } from './reminder.entity';

@InputType({ description: 'Which fired reminders to receive.' })
export class ReminderFiredFilter {
  @Field(() => [ID], { nullable: true, description: 'Only reminders about subjects of these scopes.' })
  scopeIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only reminders for these owners.' })
  ownerIds?: string[] | null;

  @Field(() => [ReminderKind], { nullable: true, description: 'Only these kinds.' })
  kinds?: ReminderKind[] | null;
}

/**
 * Each instance loads a fired reminder once, however many of its subscribers receive it
 * (NOTIFY carries the id only).
 */
const loading = new Map<string, Promise<Reminder | null>>();
function loadOnce(db: DataSource, id: string): Promise<Reminder | null> {
  let pending = loading.get(id);
  if (!pending) {
    pending = db.getRepository(Reminder).findOneBy({ id });
    loading.set(id, pending);
    setTimeout(() => loading.delete(id), 10_000).unref();
  }
  return pending;
}

async function* firedFor(ctx: Context, filter: ReminderFiredFilter): AsyncGenerator<Reminder> {
  const access = new SubscriberAccess(ctx);
  for await (const { id } of ctx.bus!.subscribe(REMINDER_CHANNEL)) {
    const reminder = await loadOnce(ctx.db, id);
    if (!reminder) continue;
    if (filter.kinds?.length && !filter.kinds.includes(reminder.kind)) continue;
    if (filter.ownerIds?.length && !filter.ownerIds.includes(reminder.ownerId)) continue;
    if (filter.scopeIds?.length && !reminder.scopeIds.some((s) => filter.scopeIds!.includes(s))) continue;
    if (await access.canSee(reminder.scopeIds, false)) yield reminder;
  }
}

@Resolver()
export class ReminderSubscriptionResolver {
  @Authorized(Permission.ISMS_READ)
  @Subscription(() => Reminder, {
    description: 'Reminders as they fire, on whichever instance: each reminder fires once. A subscriber that was away catches up with the `reminders` query (fired, not acknowledged).',
    subscribe: ({ args, context }) => {
      const ctx = context as Context;
      if (!ctx.bus) throw new AppError(ErrorCode.BAD_REQUEST, 'Subscriptions need the WebSocket endpoint');
      assertPermission(ctx, Permission.ISMS_READ);
      return firedFor(ctx, (args.filter ?? {}) as ReminderFiredFilter);
    },
  })
  reminderFired(
    @Root() reminder: Reminder,
    @Ctx() _ctx: Context,
    @Arg('filter', () => ReminderFiredFilter, { nullable: true, description: 'Which reminders.' }) _filter?: ReminderFiredFilter,
  ): Reminder {
    return reminder;
  }
}
