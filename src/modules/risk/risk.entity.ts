import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { VersionedRecord } from '../../common/base.entity';
import { Owner } from '../owner/owner.entity';
import { Scope } from '../scope/scope.entity';
import { Control } from '../control/control.entity';
import { Requirement } from '../framework/requirement.entity';

export enum RiskTreatment {
  UNDECIDED = 'UNDECIDED',
  MITIGATE = 'MITIGATE',
  ACCEPT = 'ACCEPT',
  AVOID = 'AVOID',
  TRANSFER = 'TRANSFER',
}
registerEnumType(RiskTreatment, { name: 'RiskTreatment', description: 'How the risk is treated (ISO 27001 6.1.3).' });

export enum RiskStatus {
  IDENTIFIED = 'IDENTIFIED',
  ASSESSED = 'ASSESSED',
  TREATING = 'TREATING',
  ACCEPTED = 'ACCEPTED',
  CLOSED = 'CLOSED',
}
registerEnumType(RiskStatus, { name: 'RiskStatus', description: 'Where the risk stands. ACCEPTED is set by approving a risk acceptance.' });

export enum RiskLevel {
  LOW = 'LOW',
  MEDIUM = 'MEDIUM',
  HIGH = 'HIGH',
  CRITICAL = 'CRITICAL',
}
registerEnumType(RiskLevel, { name: 'RiskLevel', description: 'Level of a score: LOW ≤ 4 < MEDIUM ≤ 9 < HIGH ≤ 15 < CRITICAL.' });

@ObjectType({ simpleResolvers: true, description: 'A risk in the register of one scope, with its inherent and residual scores.' })
@Entity('risk')
@Index(['scopeId', 'createdAt', 'id'])
export class Risk extends VersionedRecord {
  @Field({ description: 'Short title.' })
  @Column('text')
  title!: string;

  @Field(() => String, { nullable: true, description: 'Scenario: threat, vulnerability, consequence.' })
  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column('uuid')
  scopeId!: string;

  @ManyToOne(() => Scope, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'scope_id' })
  scopeRecord?: Scope;

  @Column('uuid')
  @Index()
  ownerId!: string;

  @ManyToOne(() => Owner, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'owner_id' })
  ownerRecord?: Owner;

  @Field(() => Int, { description: 'Likelihood 1-5.' })
  @Column('smallint')
  likelihood!: number;

  @Field(() => Int, { description: 'Impact 1-5.' })
  @Column('smallint')
  impact!: number;

  @Field(() => Int, { description: 'likelihood × impact, computed by the server.' })
  @Column('smallint')
  inherentScore!: number;

  @Field(() => RiskTreatment, { description: 'Treatment decision.' })
  @Column({ type: 'enum', enum: RiskTreatment, enumName: 'risk_treatment', default: RiskTreatment.UNDECIDED })
  treatment!: RiskTreatment;

  @Column({ type: 'smallint', nullable: true })
  residualLikelihoodSet!: number | null;

  @Column({ type: 'smallint', nullable: true })
  residualImpactSet!: number | null;

  @Field(() => Int, { description: 'Residual score after treatment, computed by the server.' })
  @Index()
  @Column('smallint')
  residualScore!: number;

  @Field(() => RiskStatus, { description: 'Where the risk stands.' })
  @Index()
  @Column({ type: 'enum', enum: RiskStatus, enumName: 'risk_status', default: RiskStatus.IDENTIFIED })
  status!: RiskStatus;

  @Field(() => Int, { description: 'Days between reviews (default 365).' })
  @Column({ type: 'int', default: 365 })
  reviewIntervalDays!: number;

  @Field(() => Date, { nullable: true, description: 'When the risk was last reviewed.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  lastReviewedAt!: Date | null;
}

/** A control that treats a risk. */
@Entity('risk_control')
export class RiskControl {
  @PrimaryColumn('uuid')
  riskId!: string;

  @PrimaryColumn('uuid')
  @Index()
  controlId!: string;

  @ManyToOne(() => Risk, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'risk_id' })
  riskRecord?: Risk;

  @ManyToOne(() => Control, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'control_id' })
  controlRecord?: Control;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}

/** A threat a risk names: a requirement of a RISK_TAXONOMY framework, such as `NHI2`. */
@Entity('risk_threat')
export class RiskThreat {
  @PrimaryColumn('uuid')
  riskId!: string;

  @PrimaryColumn('uuid')
  @Index()
  requirementId!: string;

  @ManyToOne(() => Risk, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'risk_id' })
  riskRecord?: Risk;

  @ManyToOne(() => Requirement, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'requirement_id' })
  requirementRecord?: Requirement;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
