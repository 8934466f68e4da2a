import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { ConnectionType, PageArgs } from '../../common/pagination';
import { Owner } from '../owner/owner.entity';
import { Control } from '../control/control.entity';
import { Risk } from '../risk/risk.entity';
import { Reminder } from './reminder.entity';
import { Review } from './review.entity';
import { CalendarTokenInfo, IssuedCalendarToken, RecordReviewInput, ReminderFilter } from './reminder.inputs';
import { reminderService } from './reminder.service';

export const ReminderConnection = ConnectionType(Reminder, 'Reminder');

@Resolver(() => Reminder)
export class ReminderResolver {
  @Authorized(Permission.ISMS_READ)
  @Query(() => Reminder, { description: 'One reminder by id; NOT_FOUND when absent or when none of its scopes is the key\'s.' })
  reminder(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Reminder id.' }) id: string): Promise<Reminder> {
    return reminderService.get(ctx, id);
  }

  @Authorized(Permission.ISMS_READ)
  @Query(() => ReminderConnection, {
    description: 'Reminders the key may see, by due date then id. A subscriber that was disconnected catches up here with `filter: { fired: true, acknowledged: false }`.',
  })
  reminders(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => ReminderFilter, { nullable: true, description: 'Which reminders.' }) filter?: ReminderFilter,
  ) {
    return reminderService.list(ctx, filter ?? new ReminderFilter(), page);
  }

  @FieldResolver(() => Owner, { description: 'Who is reminded: the subject\'s owner (the requester of an exception, the assignee of a task).' })
  async owner(@Root() reminder: Reminder, @Ctx() ctx: Context): Promise<Owner> {
    return (await ctx.loaders.owner.load(reminder.ownerId))!;
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Reminder, { description: 'Marks a reminder as seen; acknowledging it again returns it unchanged.' })
  acknowledgeReminder(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Reminder id.' }) id: string): Promise<Reminder> {
    return reminderService.acknowledge(ctx, id);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Review, { description: 'Records a review of a control or risk; the subject\'s next review date moves one interval on from now.' })
  recordReview(
    @Ctx() ctx: Context,
    @Arg('input', () => RecordReviewInput, { description: 'The review.' }) input: RecordReviewInput,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'Retry key: the same key and input return the review first recorded.' }) idempotencyKey?: string,
  ): Promise<Review> {
    return reminderService.recordReview(ctx, input, idempotencyKey);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => IssuedCalendarToken, {
    description: 'Issues an iCalendar feed of an owner\'s due dates (`GET /calendar/<token>.ics`). The token is shown only in this answer. Keys restricted to scopes get FORBIDDEN: the feed spans all scopes.',
  })
  issueCalendarToken(@Ctx() ctx: Context, @Arg('ownerId', () => ID, { description: 'The owner whose due dates the feed shows.' }) ownerId: string): Promise<IssuedCalendarToken> {
    return reminderService.issueCalendarToken(ctx, ownerId);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => CalendarTokenInfo, { description: 'Revokes a calendar feed: its URL answers 404 from then on; revoking again changes nothing.' })
  revokeCalendarToken(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Calendar token id.' }) id: string): Promise<CalendarTokenInfo> {
    return reminderService.revokeCalendarToken(ctx, id);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Query(() => [CalendarTokenInfo], { description: 'The calendar feeds issued for an owner, newest first, without their tokens.' })
  calendarTokens(@Ctx() ctx: Context, @Arg('ownerId', () => ID, { description: 'Owner id.' }) ownerId: string): Promise<CalendarTokenInfo[]> {
    return reminderService.calendarTokens(ctx, ownerId);
  }
}

/** control.reviews lives here: the reminder module knows controls, never the reverse. */
@Resolver(() => Control)
export class ControlReviewsResolver {
  @FieldResolver(() => [Review], { description: 'Reviews of the control, newest first.' })
  reviews(@Root() control: Control, @Ctx() ctx: Context): Promise<Review[]> {
    return ctx.loaders.subjectReviews.load(control.id);
  }
}

/** risk.reviews lives here: the reminder module knows risks, never the reverse. */
@Resolver(() => Risk)
export class RiskReviewsResolver {
  @FieldResolver(() => [Review], { description: 'Reviews of the risk, newest first.' })
  reviews(@Root() risk: Risk, @Ctx() ctx: Context): Promise<Review[]> {
    return ctx.loaders.subjectReviews.load(risk.id);
  }
}
