import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { VersionedRecord } from '../../common/base.entity';
import { EntityType } from '../../db/events';
import { OutboxEvent } from './outbox-event.entity';

export enum WebhookEndpointStatus {
  ACTIVE = 'ACTIVE',
  DISABLED = 'DISABLED',
}
registerEnumType(WebhookEndpointStatus, {
  name: 'WebhookEndpointStatus',
  description: 'Whether an endpoint receives deliveries.',
  valuesConfig: {
    ACTIVE: { description: 'Receives deliveries.' },
    DISABLED: { description: 'Receives nothing: disabled by an admin or after repeated failure (see `disabledReason`). Its pending deliveries wait; events written meanwhile are not queued for it.' },
  },
});

export enum WebhookDeliveryStatus {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  description: 'Where a delivery stands.',
  valuesConfig: {
    PENDING: { description: 'Not delivered yet: waiting for its first attempt or a retry (`nextAttemptAt`), or in flight.' },
    SUCCEEDED: { description: 'The receiver answered 2xx.' },
    FAILED: { description: 'Every retry failed; `redeliverWebhook` queues it again.' },
    CANCELLED: { description: 'The endpoint was deleted before the delivery succeeded.' },
  },
});

@ObjectType({ simpleResolvers: true, description: 'A URL that receives signed webhook deliveries of committed writes (Standard Webhooks). Its signing secret is shown once, at creation.' })
@Entity('webhook_endpoint')
export class WebhookEndpoint extends VersionedRecord {
  @Field({ description: 'The http(s) URL deliveries are POSTed to.' })
  @Column('text')
  url!: string;

  @Field(() => String, { nullable: true, description: 'What the endpoint is for.' })
  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Field(() => [EntityType], { description: 'Entity types whose changes it receives; empty = every type.' })
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  eventTypes!: EntityType[];

  @Field(() => [ID], { nullable: true, description: 'Scope restriction (with child scopes): it receives only the changes of these scopes, plus owners, frameworks and crosswalks; null = every change.' })
  @Column({ type: 'uuid', array: true, nullable: true })
  scopeIds!: string[] | null;

  /**
   * The signing secret as issued (`whsec_…`). HMAC needs the key itself, so it cannot be hashed;
   * it is never exposed through GraphQL or written to the audit trail.
   */
  @Column('text')
  secret!: string;

  @Field(() => WebhookEndpointStatus, { description: 'ACTIVE or DISABLED.' })
  @Column({ type: 'enum', enum: WebhookEndpointStatus, enumName: 'webhook_endpoint_status', default: WebhookEndpointStatus.ACTIVE })
  status!: WebhookEndpointStatus;

  @Field(() => Date, { nullable: true, description: 'When it was last disabled (null while ACTIVE).' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  disabledAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why it is disabled (null while ACTIVE).' })
  @Column({ type: 'text', nullable: true })
  disabledReason!: string | null;

  @Field(() => Int, { description: 'Failed attempts since its last successful one.' })
  @Column({ type: 'int', default: 0 })
  consecutiveFailures!: number;

  @Field(() => Date, { nullable: true, description: 'First failed attempt since its last successful one (null when the last attempt succeeded).' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  failingSince!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Last successful attempt.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  lastSuccessAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Last failed attempt.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  lastFailureAt!: Date | null;

  @Field(() => ID, { nullable: true, description: 'The API key that created it.' })
  @Column({ type: 'uuid', nullable: true })
  createdByKeyId!: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'One event to one endpoint: the delivery log entry. Its `id` is the `webhook-id` header, the same on every attempt, so receivers deduplicate by it.' })
@Entity('webhook_delivery')
@Index(['eventId', 'endpointId'], { unique: true })
@Index(['endpointId', 'createdAt'])
@Index('IDX_webhook_delivery_due', ['nextAttemptAt', 'id'], { where: '"status" = \'PENDING\'' })
export class WebhookDelivery {
  @Field(() => ID, { description: 'Delivery id: the `webhook-id` header of every attempt.' })
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  eventId!: string;

  @ManyToOne(() => OutboxEvent, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'event_id' })
  eventRecord?: OutboxEvent;

  @Column('uuid')
  endpointId!: string;

  @ManyToOne(() => WebhookEndpoint, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'endpoint_id' })
  endpointRecord?: WebhookEndpoint;

  @Field(() => WebhookDeliveryStatus, { description: 'PENDING, SUCCEEDED, FAILED or CANCELLED.' })
  @Column({ type: 'enum', enum: WebhookDeliveryStatus, enumName: 'webhook_delivery_status', default: WebhookDeliveryStatus.PENDING })
  status!: WebhookDeliveryStatus;

  @Field(() => Int, { description: 'Attempts made since it was (last) queued.' })
  @Column({ type: 'int', default: 0 })
  attempts!: number;

  /** When the next attempt is due (meaningful while PENDING). */
  @Column({ type: 'timestamptz', precision: 3 })
  nextAttemptAt!: Date;

  /** Lease of the instance delivering it: until then no other instance claims it. */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  lockedUntil!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the last attempt was made.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  lastAttemptAt!: Date | null;

  @Field(() => Int, { nullable: true, description: 'HTTP status of the last attempt (null when no response came).' })
  @Column({ type: 'int', nullable: true })
  lastStatusCode!: number | null;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed, e.g. `HTTP 500` or `timed out after 10 s` (null after a success).' })
  @Column({ type: 'text', nullable: true })
  lastError!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the receiver last answered 2xx.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  deliveredAt!: Date | null;

  @Field(() => Date, { description: 'When the delivery was queued.' })
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the delivery last changed.' })
  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
