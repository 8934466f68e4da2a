import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { VersionedRecord } from '../../common/base.entity';
import { Owner } from '../owner/owner.entity';
import { Scope } from '../scope/scope.entity';
import { Control } from '../control/control.entity';
import { Risk } from '../risk/risk.entity';
import { Requirement } from '../framework/requirement.entity';

export enum ExceptionKind {
  CONTROL_EXCEPTION = 'CONTROL_EXCEPTION',
  RISK_ACCEPTANCE = 'RISK_ACCEPTANCE',
}
registerEnumType(ExceptionKind, {
  name: 'ExceptionKind',
  description: 'What is excepted.',
  valuesConfig: {
    CONTROL_EXCEPTION: { description: 'A control (or requirement) is not met in a scope.' },
    RISK_ACCEPTANCE: { description: 'A risk is retained with a residual score above the scope\'s appetite.' },
  },
});

export enum ExceptionStatus {
  REQUESTED = 'REQUESTED',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
  REVOKED = 'REVOKED',
  EXPIRED = 'EXPIRED',
}
registerEnumType(ExceptionStatus, {
  name: 'ExceptionStatus',
  description: 'REQUESTED → APPROVED | REJECTED; REQUESTED or APPROVED → REVOKED; APPROVED → EXPIRED (read from expiresAt).',
});

@ObjectType('Exception', { simpleResolvers: true, description: 'A control exception or a risk acceptance, with its approval state machine.' })
@Entity('exception')
export class IsmsException extends VersionedRecord {
  @Field(() => ExceptionKind, { description: 'CONTROL_EXCEPTION or RISK_ACCEPTANCE.' })
  @Column({ type: 'enum', enum: ExceptionKind, enumName: 'exception_kind' })
  kind!: ExceptionKind;

  @Column('uuid')
  @Index()
  scopeId!: string;

  @ManyToOne(() => Scope, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'scope_id' })
  scopeRecord?: Scope;

  @Column({ type: 'uuid', nullable: true })
  @Index()
  controlId!: string | null;

  @ManyToOne(() => Control, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'control_id' })
  controlRecord?: Control | null;

  @Column({ type: 'uuid', nullable: true })
  @Index()
  requirementId!: string | null;

  @ManyToOne(() => Requirement, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'requirement_id' })
  requirementRecord?: Requirement | null;

  @Column({ type: 'uuid', nullable: true })
  @Index()
  riskId!: string | null;

  @ManyToOne(() => Risk, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'risk_id' })
  riskRecord?: Risk | null;

  @Field({ description: 'Why the exception is needed.' })
  @Column('text')
  justification!: string;

  @Column('uuid')
  requestedById!: string;

  @ManyToOne(() => Owner, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'requested_by_id' })
  requestedByRecord?: Owner;

  @Column({ type: 'uuid', nullable: true })
  approverId!: string | null;

  @ManyToOne(() => Owner, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'approver_id' })
  approverRecord?: Owner | null;

  /** Stored state; reads turn an APPROVED exception past `expiresAt` into EXPIRED. */
  @Index()
  @Column({ type: 'enum', enum: ExceptionStatus, enumName: 'exception_status', default: ExceptionStatus.REQUESTED })
  storedStatus!: ExceptionStatus;

  @Field(() => Date, { nullable: true, description: 'Requested or approved end of the exception.' })
  @Index()
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  expiresAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it was approved, rejected or revoked.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  decidedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Reason given on rejection or revocation.' })
  @Column({ type: 'text', nullable: true })
  decisionReason!: string | null;

  @Field(() => Int, { nullable: true, description: 'Risk acceptance: the residual score accepted at approval.' })
  @Column({ type: 'smallint', nullable: true })
  acceptedResidualScore!: number | null;
}

/** Controls that compensate for an exception. */
@Entity('exception_compensating_control')
export class ExceptionCompensatingControl {
  @PrimaryColumn('uuid')
  exceptionId!: string;

  @PrimaryColumn('uuid')
  controlId!: string;

  @ManyToOne(() => IsmsException, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'exception_id' })
  exceptionRecord?: IsmsException;

  @ManyToOne(() => Control, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'control_id' })
  controlRecord?: Control;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
