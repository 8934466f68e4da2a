import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Owner } from '../modules/owner/owner.entity';
import { Asset } from '../modules/asset/asset.entity';
import { Permission } from './permissions';

@ObjectType({ simpleResolvers: true, description: 'A machine client\'s credential. The secret is shown once, at creation; only its hash is stored.' })
@Entity('api_key')
export class ApiKey {
  @Field(() => ID, { description: 'Key id.' })
  @PrimaryColumn('uuid')
  id!: string;

  @Field({ description: 'What the key is for, e.g. `jira-sync`.' })
  @Column('text')
  name!: string;

  @Field({ description: 'First characters of the secret, to recognise it in logs and scanners.' })
  @Column('text')
  prefix!: string;

  @Index({ unique: true })
  @Column('text')
  secretHash!: string;

  /** The secret replaced by the last rotation, valid until `previousSecretExpiresAt`. */
  @Index({ unique: true, where: '"previous_secret_hash" IS NOT NULL' })
  @Column({ type: 'text', nullable: true })
  previousSecretHash!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the secret replaced by the last rotation stops (or stopped) working: API_KEY_ROTATION_OVERLAP_MS after that rotation. Null before the first rotation, or when the overlap is 0.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  previousSecretExpiresAt!: Date | null;

  /** The key's record in the asset inventory (a NON_HUMAN_IDENTITY of nhiKind API_KEY). */
  @Index({ unique: true })
  @Column('uuid')
  assetId!: string;

  @ManyToOne(() => Asset, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'asset_id' })
  assetRecord?: Asset;

  @Field(() => Int, { nullable: true, description: 'Requests per minute this key may make, across all instances; null = the server default (RATE_LIMIT_PER_MINUTE), 0 = unlimited.' })
  @Column({ type: 'int', nullable: true })
  rateLimitPerMinute!: number | null;

  @Field({ description: 'True when the key is bound to an operation allow-list: it runs only the operations in `allowedOperations`, anything else is FORBIDDEN.' })
  @Column({ type: 'boolean', default: false })
  allowListBound!: boolean;

  @Column('uuid')
  @Index()
  ownerId!: string;

  @ManyToOne(() => Owner, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'owner_id' })
  ownerRecord?: Owner;

  @Field(() => [Permission], { description: 'What the key may do.' })
  @Column({ type: 'text', array: true })
  permissions!: Permission[];

  @Field(() => [ID], { nullable: true, description: 'Scope restriction (with child scopes); null = every scope.' })
  @Column({ type: 'uuid', array: true, nullable: true })
  scopeIds!: string[] | null;

  @Field(() => Date, { description: 'The key stops working at this time.' })
  @Column({ type: 'timestamptz', precision: 3 })
  expiresAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Last request made with the key (written at most once a minute).' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the key was revoked.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  revokedAt!: Date | null;

  @Field(() => ID, { nullable: true, description: 'The key that created this one (null when made by the CLI).' })
  @Column({ type: 'uuid', nullable: true })
  createdByKeyId!: string | null;

  @Field(() => Date, { description: 'When the key was created.' })
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
