import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { GraphQLJSONObject } from 'graphql-scalars';

/** Append-only record of a write; a database trigger refuses UPDATE, DELETE and TRUNCATE. */
@ObjectType({ simpleResolvers: true, description: 'One write, as it happened: who, what, before and after.' })
@Entity('audit_event')
@Index(['entityType', 'entityId'])
export class AuditEvent {
  @Field(() => ID, { description: 'Event id.' })
  @PrimaryColumn('uuid')
  id!: string;

  @Field(() => Date, { description: 'When the write\'s transaction started.' })
  @Index()
  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  at!: Date;

  @Field(() => ID, { nullable: true, description: 'The API key that made the write (null for the CLI).' })
  @Column({ type: 'uuid', nullable: true })
  actorKeyId!: string | null;

  @Field({ description: 'The GraphQL operation, e.g. `createScope`.' })
  @Column('text')
  operation!: string;

  @Field({ description: 'Entity type, e.g. `SCOPE`.' })
  @Column('text')
  entityType!: string;

  @Field(() => ID, { description: 'Id of the written entity.' })
  @Column('uuid')
  entityId!: string;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The entity before the write (null on create).' })
  @Column({ type: 'jsonb', nullable: true })
  before!: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The entity after the write.' })
  @Column({ type: 'jsonb', nullable: true })
  after!: Record<string, unknown> | null;

  @Field(() => [ID], { description: 'Scopes the written entity belonged to (before or after the write); empty for unscoped entities.' })
  @Column({ type: 'uuid', array: true, default: () => "'{}'" })
  scopeIds!: string[];

  @Field({ description: 'Request id of the write, as returned in the x-request-id header.' })
  @Column('text')
  requestId!: string;
}
