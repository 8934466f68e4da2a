import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { EntityType } from '../../db/events';
import { Owner } from '../owner/owner.entity';

export enum ReminderKind {
  REVIEW_DUE = 'REVIEW_DUE',
  REVIEW_OVERDUE = 'REVIEW_OVERDUE',
  EVIDENCE_STALE = 'EVIDENCE_STALE',
  EXCEPTION_EXPIRING = 'EXCEPTION_EXPIRING',
  EXCEPTION_EXPIRED = 'EXCEPTION_EXPIRED',
  TASK_OVERDUE = 'TASK_OVERDUE',
  ROTATION_DUE = 'ROTATION_DUE',
}
registerEnumType(ReminderKind, { name: 'ReminderKind', description: 'Why a subject needs attention (DOMAIN.md "Review cadence and reminders").' });

/**
 * A due review, persisted: unique per subject, kind, due date and lead time, so however many
 * instances plan it, it exists once; `firedAt` is set by the one transaction that fires it.
 */
@ObjectType({ simpleResolvers: true, description: 'A reminder that a control, risk, evidence item, exception or task needs attention.' })
@Entity('reminder')
@Index(['subjectType', 'subjectId', 'kind', 'dueAt', 'leadDays'], { unique: true })
@Index(['firedAt', 'dueAt'])
export class Reminder {
  @Field(() => ID, { description: 'Reminder id.' })
  @PrimaryColumn('uuid')
  id!: string;

  @Field(() => ReminderKind, { description: 'Kind.' })
  @Column({ type: 'enum', enum: ReminderKind, enumName: 'reminder_kind' })
  kind!: ReminderKind;

  @Field(() => EntityType, { description: 'Type of the subject.' })
  @Column('text')
  subjectType!: EntityType;

  @Field(() => ID, { description: 'Id of the subject.' })
  @Column('uuid')
  subjectId!: string;

  @Field(() => [ID], { description: 'Scopes of the subject when the reminder was planned.' })
  @Column({ type: 'uuid', array: true, default: () => "'{}'" })
  scopeIds!: string[];

  @Column('uuid')
  @Index()
  ownerId!: string;

  @ManyToOne(() => Owner, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'owner_id' })
  ownerRecord?: Owner;

  @Field(() => Date, { description: 'The date the subject is due (review, validity end, expiry, task due date).' })
  @Column({ type: 'timestamptz', precision: 3 })
  dueAt!: Date;

  @Field(() => Int, { description: 'Days ahead of dueAt this reminder fires (0 once the date has passed).' })
  @Column('int')
  leadDays!: number;

  @Field(() => Date, { nullable: true, description: 'When it fired (exactly once, on one instance).' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  firedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When someone acknowledged it.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  acknowledgedAt!: Date | null;

  @Field(() => Date, { description: 'When it was planned.' })
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
