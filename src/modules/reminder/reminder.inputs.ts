import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { ArrayMaxSize, IsEnum, IsUUID, MaxLength } from 'class-validator';
import { EntityType } from '../../db/events';
import { Clearable, IsText, TEXT_MAX } from '../../common/validation';
import { ReminderKind } from './reminder.entity';
import { ReviewOutcome } from './review.entity';

@InputType({ description: 'A review of a control or a risk.' })
export class RecordReviewInput {
  @Field(() => EntityType, { description: 'CONTROL or RISK; any other type is BAD_USER_INPUT.' })
  @IsEnum(EntityType)
  subjectType!: EntityType;

  @Field(() => ID, { description: 'The reviewed control or risk.' })
  @IsUUID('all', { message: 'must be a control or risk id' })
  subjectId!: string;

  @Field(() => ReviewOutcome, { description: 'What the review concluded.' })
  @IsEnum(ReviewOutcome)
  outcome!: ReviewOutcome;

  @Field(() => String, { nullable: true, description: `Notes, at most ${TEXT_MAX} characters.` })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  notes?: string | null;
}

@InputType({ description: 'Which reminders to list; every field narrows the list.' })
export class ReminderFilter {
  @Field(() => [ID], { nullable: true, description: 'Only reminders of subjects in one of these scopes.' })
  @Clearable()
  @ArrayMaxSize(500)
  @IsUUID('all', { each: true })
  scopeIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only reminders for these owners.' })
  @Clearable()
  @ArrayMaxSize(500)
  @IsUUID('all', { each: true })
  ownerIds?: string[] | null;

  @Field(() => [ReminderKind], { nullable: true, description: 'Only these kinds.' })
  @Clearable()
  @IsEnum(ReminderKind, { each: true })
  kinds?: ReminderKind[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only reminders about these subjects.' })
  @Clearable()
  @ArrayMaxSize(500)
  @IsUUID('all', { each: true })
  subjectIds?: string[] | null;

  @Field(() => Date, { nullable: true, description: 'Only reminders whose dueAt is before this time.' })
  dueBefore?: Date | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only acknowledged ones; false: only unacknowledged ones.' })
  acknowledged?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only fired ones (what a disconnected subscriber missed); false: only planned, not yet fired.' })
  fired?: boolean | null;
}

@ObjectType({ simpleResolvers: true, description: 'A newly issued calendar feed link; the token is shown here only.' })
export class IssuedCalendarToken {
  @Field(() => ID, { description: 'Token id, to revoke it.' })
  id!: string;

  @Field(() => ID, { description: 'The owner whose due dates the feed shows.' })
  ownerId!: string;

  @Field({ description: 'The secret token; only its SHA-256 hash is stored, so it cannot be shown again.' })
  token!: string;

  @Field({ description: 'Path of the feed on this server (`/calendar/<token>.ics`); prefix it with the server\'s public address.' })
  url!: string;
}

@ObjectType({ simpleResolvers: true, description: 'A calendar feed link, without its secret.' })
export class CalendarTokenInfo {
  @Field(() => ID, { description: 'Token id.' })
  id!: string;

  @Field(() => ID, { description: 'The owner whose due dates the feed shows.' })
  ownerId!: string;

  @Field(() => Date, { description: 'When it was issued.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it was revoked; the feed answers 404 from then on.' })
  revokedAt!: Date | null;
}
