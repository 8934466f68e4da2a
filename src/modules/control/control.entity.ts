import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { VersionedRecord } from '../../common/base.entity';
import { Owner } from '../owner/owner.entity';
import { Scope } from '../scope/scope.entity';
import { Requirement } from '../framework/requirement.entity';

export enum ControlStatus {
  NOT_STARTED = 'NOT_STARTED',
  PLANNED = 'PLANNED',
  IN_PROGRESS = 'IN_PROGRESS',
  IMPLEMENTED = 'IMPLEMENTED',
  RETIRED = 'RETIRED',
}
registerEnumType(ControlStatus, { name: 'ControlStatus', description: 'Implementation state of a control.' });

export enum ControlEffectiveness {
  NOT_ASSESSED = 'NOT_ASSESSED',
  EFFECTIVE = 'EFFECTIVE',
  PARTIALLY_EFFECTIVE = 'PARTIALLY_EFFECTIVE',
  INEFFECTIVE = 'INEFFECTIVE',
}
registerEnumType(ControlEffectiveness, { name: 'ControlEffectiveness', description: 'Result of the last effectiveness assessment.' });

export const DEFAULT_REVIEW_INTERVAL_DAYS = 365;

@ObjectType({ simpleResolvers: true, description: 'A safeguard the organisation operates, e.g. `CTL-012 Quarterly access review`.' })
@Entity('control')
export class Control extends VersionedRecord {
  @Field({ description: 'Unique code, e.g. `CTL-012`.' })
  @Index({ unique: true })
  @Column('text')
  code!: string;

  @Field({ description: 'Short title.' })
  @Column('text')
  title!: string;

  @Field(() => String, { nullable: true, description: 'How the control works.' })
  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column('uuid')
  @Index()
  ownerId!: string;

  @ManyToOne(() => Owner, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'owner_id' })
  ownerRecord?: Owner;

  @Field(() => ControlStatus, { description: 'Implementation state.' })
  @Index()
  @Column({ type: 'enum', enum: ControlStatus, enumName: 'control_status', default: ControlStatus.NOT_STARTED })
  status!: ControlStatus;

  @Field(() => ControlEffectiveness, { description: 'Effectiveness from the last assessment.' })
  @Column({ type: 'enum', enum: ControlEffectiveness, enumName: 'control_effectiveness', default: ControlEffectiveness.NOT_ASSESSED })
  effectiveness!: ControlEffectiveness;

  @Field(() => Int, { description: `Days between reviews (default ${DEFAULT_REVIEW_INTERVAL_DAYS}).` })
  @Column({ type: 'int', default: DEFAULT_REVIEW_INTERVAL_DAYS })
  reviewIntervalDays!: number;

  @Field(() => Date, { nullable: true, description: 'When the control was last reviewed.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  lastReviewedAt!: Date | null;
}

/** Which scopes a control operates in (a link row: created and deleted, never versioned). */
@Entity('control_scope')
export class ControlScope {
  @PrimaryColumn('uuid')
  controlId!: string;

  @PrimaryColumn('uuid')
  @Index()
  scopeId!: string;

  @ManyToOne(() => Control, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'control_id' })
  controlRecord?: Control;

  @ManyToOne(() => Scope, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'scope_id' })
  scopeRecord?: Scope;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}

/** A framework requirement a control implements (any framework). */
@Entity('control_requirement')
export class ControlRequirement {
  @PrimaryColumn('uuid')
  controlId!: string;

  @PrimaryColumn('uuid')
  @Index()
  requirementId!: string;

  @ManyToOne(() => Control, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'control_id' })
  controlRecord?: Control;

  @ManyToOne(() => Requirement, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'requirement_id' })
  requirementRecord?: Requirement;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
