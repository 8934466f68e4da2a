import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import { EntityType } from '../../db/events';

export enum ReviewOutcome {
  NO_CHANGE = 'NO_CHANGE',
  UPDATED = 'UPDATED',
  ACTION_REQUIRED = 'ACTION_REQUIRED',
}
registerEnumType(ReviewOutcome, { name: 'ReviewOutcome', description: 'What a review concluded.' });

/** A recorded review of a control or risk; recording one moves the subject's next review date. */
@ObjectType({ simpleResolvers: true, description: 'A review of a control or a risk.' })
@Entity('review')
@Index(['subjectType', 'subjectId', 'reviewedAt'])
export class Review {
  @Field(() => ID, { description: 'Review id.' })
  @PrimaryColumn('uuid')
  id!: string;

  @Field(() => EntityType, { description: 'CONTROL or RISK.' })
  @Column('text')
  subjectType!: EntityType;

  @Field(() => ID, { description: 'The reviewed control or risk.' })
  @Column('uuid')
  subjectId!: string;

  @Field(() => ReviewOutcome, { description: 'What the review concluded.' })
  @Column({ type: 'enum', enum: ReviewOutcome, enumName: 'review_outcome' })
  outcome!: ReviewOutcome;

  @Field(() => String, { nullable: true, description: 'Notes.' })
  @Column({ type: 'text', nullable: true })
  notes!: string | null;

  @Field(() => ID, { nullable: true, description: 'The API key that recorded it.' })
  @Column({ type: 'uuid', nullable: true })
  recordedByKeyId!: string | null;

  @Field(() => Date, { description: 'When the review happened.' })
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  reviewedAt!: Date;
}

/** A secret link to an owner's iCalendar feed of due reviews; stored hashed. */
@Entity('calendar_token')
export class CalendarToken {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  @Index()
  ownerId!: string;

  @Index({ unique: true })
  @Column('text')
  tokenHash!: string;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  revokedAt!: Date | null;
}
