import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { VersionedRecord } from '../../common/base.entity';
import { Owner } from '../owner/owner.entity';
import { Scope } from '../scope/scope.entity';
import { Control } from '../control/control.entity';
import { Risk } from '../risk/risk.entity';

export enum AssetKind {
  INFORMATION = 'INFORMATION',
  APPLICATION = 'APPLICATION',
  INFRASTRUCTURE = 'INFRASTRUCTURE',
  SERVICE = 'SERVICE',
  SUPPLIER = 'SUPPLIER',
  NON_HUMAN_IDENTITY = 'NON_HUMAN_IDENTITY',
}
export enum NhiKind {
  SERVICE_ACCOUNT = 'SERVICE_ACCOUNT',
  API_KEY = 'API_KEY',
  OAUTH_CLIENT = 'OAUTH_CLIENT',
  SECRET = 'SECRET',
  CERTIFICATE = 'CERTIFICATE',
  WORKLOAD_IDENTITY = 'WORKLOAD_IDENTITY',
  AI_AGENT = 'AI_AGENT',
}
export enum Environment {
  PRODUCTION = 'PRODUCTION',
  STAGING = 'STAGING',
  DEVELOPMENT = 'DEVELOPMENT',
  TEST = 'TEST',
}
export enum Criticality {
  LOW = 'LOW',
  MEDIUM = 'MEDIUM',
  HIGH = 'HIGH',
  CRITICAL = 'CRITICAL',
}
export enum LifecycleEventKind {
  CREATED = 'CREATED',
  IMPORTED = 'IMPORTED',
  UPDATED = 'UPDATED',
  ROTATED = 'ROTATED',
  REVOKED = 'REVOKED',
  ARCHIVED = 'ARCHIVED',
}
registerEnumType(AssetKind, { name: 'AssetKind', description: 'What an asset is.' });
registerEnumType(NhiKind, { name: 'NhiKind', description: 'Kind of non-human identity.' });
registerEnumType(Environment, { name: 'Environment', description: 'An environment an identity is used in.' });
registerEnumType(Criticality, { name: 'Criticality', description: 'How critical an asset is to the organisation.' });
registerEnumType(LifecycleEventKind, { name: 'LifecycleEventKind', description: 'A step in an asset\'s lifecycle history.' });

@ObjectType({ simpleResolvers: true, description: 'An asset of the inventory; non-human identities (API keys, service accounts, secrets…) carry lifecycle fields.' })
@Entity('asset')
@Index(['sourceSystem', 'externalId'], { unique: true, where: '"source_system" IS NOT NULL AND "external_id" IS NOT NULL' })
export class Asset extends VersionedRecord {
  @Field({ description: 'Name.' })
  @Column('text')
  name!: string;

  @Field(() => AssetKind, { description: 'Kind of asset.' })
  @Index()
  @Column({ type: 'enum', enum: AssetKind, enumName: 'asset_kind' })
  kind!: AssetKind;

  @Field(() => String, { nullable: true, description: 'Description.' })
  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'uuid', nullable: true })
  @Index()
  ownerId!: string | null;

  @ManyToOne(() => Owner, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'owner_id' })
  ownerRecord?: Owner | null;

  @Field(() => Criticality, { description: 'Criticality.' })
  @Column({ type: 'enum', enum: Criticality, enumName: 'criticality', default: Criticality.MEDIUM })
  criticality!: Criticality;

  @Field(() => String, { nullable: true, description: 'Id in the source system (secrets manager, cloud inventory, CMDB).' })
  @Column({ type: 'text', nullable: true })
  externalId!: string | null;

  @Field(() => String, { nullable: true, description: 'The system the asset was imported from; unique with externalId.' })
  @Column({ type: 'text', nullable: true })
  sourceSystem!: string | null;

  @Field(() => NhiKind, { nullable: true, description: 'Non-human identity: its kind.' })
  @Index()
  @Column({ type: 'enum', enum: NhiKind, enumName: 'nhi_kind', nullable: true })
  nhiKind!: NhiKind | null;

  @Field(() => [Environment], { description: 'Non-human identity: environments it is used in.' })
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  environments!: Environment[];

  @Field({ description: 'Non-human identity: holds privileged (admin-level) rights.' })
  @Column({ type: 'boolean', default: false })
  privileged!: boolean;

  @Field({ description: 'Non-human identity: flagged as used by people.' })
  @Column({ type: 'boolean', default: false })
  humanUse!: boolean;

  @Field(() => Date, { nullable: true, description: 'Non-human identity: last rotation of its secret.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  lastRotatedAt!: Date | null;

  @Field(() => Int, { nullable: true, description: 'Non-human identity: days between rotations.' })
  @Column({ type: 'int', nullable: true })
  rotationIntervalDays!: number | null;

  @Field(() => Date, { nullable: true, description: 'Non-human identity: when the credential expires.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  expiresAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Non-human identity: last use seen.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Non-human identity: when it was revoked.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  revokedAt!: Date | null;
}

/** Scopes an asset belongs to. */
@Entity('asset_scope')
export class AssetScope {
  @PrimaryColumn('uuid') assetId!: string;
  @PrimaryColumn('uuid') @Index() scopeId!: string;
  @ManyToOne(() => Asset, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'asset_id' }) assetRecord?: Asset;
  @ManyToOne(() => Scope, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'scope_id' }) scopeRecord?: Scope;
  @CreateDateColumn({ type: 'timestamptz', precision: 3 }) createdAt!: Date;
}

/** An application asset that uses a non-human identity. */
@Entity('asset_consumer')
export class AssetConsumer {
  @PrimaryColumn('uuid') assetId!: string;
  @PrimaryColumn('uuid') @Index() consumerId!: string;
  @ManyToOne(() => Asset, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'asset_id' }) assetRecord?: Asset;
  @ManyToOne(() => Asset, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'consumer_id' }) consumerRecord?: Asset;
  @CreateDateColumn({ type: 'timestamptz', precision: 3 }) createdAt!: Date;
}

/** An asset a risk concerns. */
@Entity('risk_asset')
export class RiskAsset {
  @PrimaryColumn('uuid') riskId!: string;
  @PrimaryColumn('uuid') @Index() assetId!: string;
  @ManyToOne(() => Risk, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'risk_id' }) riskRecord?: Risk;
  @ManyToOne(() => Asset, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'asset_id' }) assetRecord?: Asset;
  @CreateDateColumn({ type: 'timestamptz', precision: 3 }) createdAt!: Date;
}

/** An asset a control protects. */
@Entity('control_asset')
export class ControlAsset {
  @PrimaryColumn('uuid') controlId!: string;
  @PrimaryColumn('uuid') @Index() assetId!: string;
  @ManyToOne(() => Control, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'control_id' }) controlRecord?: Control;
  @ManyToOne(() => Asset, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'asset_id' }) assetRecord?: Asset;
  @CreateDateColumn({ type: 'timestamptz', precision: 3 }) createdAt!: Date;
}

/** The lifecycle history of an asset: created, imported, rotated, revoked… (append-only). */
@ObjectType({ simpleResolvers: true, description: 'One step in an asset\'s lifecycle.' })
@Entity('asset_lifecycle_event')
@Index(['assetId', 'at'])
export class AssetLifecycleEvent {
  @Field(() => String, { description: 'Event id.' })
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  assetId!: string;

  @ManyToOne(() => Asset, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'asset_id' })
  assetRecord?: Asset;

  @Field(() => LifecycleEventKind, { description: 'What happened.' })
  @Column({ type: 'enum', enum: LifecycleEventKind, enumName: 'lifecycle_event_kind' })
  kind!: LifecycleEventKind;

  @Field(() => Date, { description: 'When.' })
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  at!: Date;

  @Field(() => String, { nullable: true, description: 'Notes (e.g. the reason for a revocation).' })
  @Column({ type: 'text', nullable: true })
  notes!: string | null;

  @Field(() => String, { nullable: true, description: 'The API key that made the change.' })
  @Column({ type: 'uuid', nullable: true })
  actorKeyId!: string | null;
}
