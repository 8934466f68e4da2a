import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import { ChangeAction, EntityType } from '../../db/events';

/**
 * One committed write, waiting to be (or already) fanned out to webhook endpoints. The row is
 * inserted in the write's own transaction (src/db/transaction.ts), so it exists if and only if the
 * write committed. Rows that matched no endpoint are deleted once fanned out.
 */
@ObjectType('WebhookEvent', { simpleResolvers: true, description: 'The change a webhook delivery carries: ids only, like `ismsChanged`; read the entity for its state.' })
@Entity('outbox_event')
@Index('IDX_outbox_event_undispatched', ['createdAt', 'id'], { where: '"dispatched_at" IS NULL' })
@Index('IDX_outbox_event_dispatched', ['dispatchedAt'], { where: '"dispatched_at" IS NOT NULL' })
export class OutboxEvent {
  @Field(() => ID, { description: 'Event id (`data.eventId` in the body); the same for every endpoint it goes to.' })
  @PrimaryColumn('uuid')
  id!: string;

  @Field(() => EntityType, { description: 'Type of the written entity.' })
  @Column('text')
  entityType!: EntityType;

  @Field(() => ID, { description: 'Id of the written entity.' })
  @Column('uuid')
  entityId!: string;

  @Field(() => ChangeAction, { description: 'What the write did.' })
  @Column('text')
  action!: ChangeAction;

  @Field(() => Int, { description: 'The entity\'s version after the write.' })
  @Column('int')
  version!: number;

  @Field(() => [ID], { description: 'Scopes the entity belongs to (before or after the write); empty for unscoped entities.' })
  @Column({ type: 'uuid', array: true, default: () => "'{}'" })
  scopeIds!: string[];

  @Field(() => Date, { description: 'When the write happened (the `at` of the change event).' })
  @Column({ type: 'timestamptz', precision: 3 })
  at!: Date;

  @Field(() => ID, { description: 'The audit event of the write (`auditEvents`).' })
  @Column('uuid')
  auditEventId!: string;

  @Field(() => Date, { description: 'When the write\'s transaction started.' })
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  /** Set once the event has been turned into deliveries for the endpoints it matched. */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  dispatchedAt!: Date | null;
}

/** The `type` of a webhook body, e.g. `risk.updated` or `treatment_task.created`. */
export function webhookEventType(event: { entityType: string; action: string }): string {
  return `${event.entityType.toLowerCase()}.${event.action.toLowerCase()}`;
}
