import { Field, ID, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ApiKey } from './api-key.entity';

/**
 * A GraphQL document registered for operation allow-lists. It is identified by the SHA-256 of the
 * exact bytes of its text (UTF-8), which is what a client bound to an allow-list must send as
 * `query`: no whitespace or comment normalisation (the same hash Apollo's persisted queries use).
 */
@ObjectType({ simpleResolvers: true, description: 'A GraphQL document that keys bound to an allow-list may be allowed to run.' })
@Entity('allowed_operation')
export class AllowedOperation {
  @Field(() => ID, { description: 'Operation id.' })
  @PrimaryColumn('uuid')
  id!: string;

  @Field({ description: 'A name for people, e.g. `powerbi-risk-register`.' })
  @Column('text')
  name!: string;

  @Field({ description: 'Lower-case hex SHA-256 of the document\'s exact UTF-8 bytes: a request\'s `query` must hash to this.' })
  @Index({ unique: true })
  @Column('text')
  documentHash!: string;

  @Field({ description: 'The document text, exactly as registered.' })
  @Column('text')
  document!: string;

  @Field(() => ID, { nullable: true, description: 'The key that registered it (null when made outside the API).' })
  @Column({ type: 'uuid', nullable: true })
  createdByKeyId!: string | null;

  @Field(() => Date, { description: 'When it was registered.' })
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}

/** An operation a key bound to an allow-list may run (link row). */
@Entity('api_key_allowed_operation')
export class ApiKeyAllowedOperation {
  @PrimaryColumn('uuid') keyId!: string;
  @PrimaryColumn('uuid') @Index() operationId!: string;
  @ManyToOne(() => ApiKey, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'key_id' }) keyRecord?: ApiKey;
  @ManyToOne(() => AllowedOperation, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'operation_id' }) operationRecord?: AllowedOperation;
  @CreateDateColumn({ type: 'timestamptz', precision: 3 }) createdAt!: Date;
}
