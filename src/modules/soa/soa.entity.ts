import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { VersionedRecord } from '../../common/base.entity';
import { Owner } from '../owner/owner.entity';
import { Scope } from '../scope/scope.entity';
import { Framework } from '../framework/framework.entity';
import { Requirement } from '../framework/requirement.entity';

export enum Applicability {
  UNDECIDED = 'UNDECIDED',
  APPLICABLE = 'APPLICABLE',
  NOT_APPLICABLE = 'NOT_APPLICABLE',
  INHERITED = 'INHERITED',
}
registerEnumType(Applicability, {
  name: 'Applicability',
  description: 'Whether a requirement applies to a scope. UNDECIDED is what reads show where nothing was set; it is not accepted as input.',
  valuesConfig: {
    INHERITED: { description: 'Provided by a supplier or a parent scope.' },
  },
});

export enum InclusionDriver {
  RISK_ASSESSMENT = 'RISK_ASSESSMENT',
  LEGAL = 'LEGAL',
  CONTRACTUAL = 'CONTRACTUAL',
  BUSINESS = 'BUSINESS',
  BEST_PRACTICE = 'BEST_PRACTICE',
}
registerEnumType(InclusionDriver, { name: 'InclusionDriver', description: 'Why a requirement is included in the SoA.' });

/** A framework version a scope adopts: its assessable CONTROL requirements enter the scope's SoA. */
@Entity('scope_framework')
export class ScopeFramework {
  @PrimaryColumn('uuid')
  scopeId!: string;

  @PrimaryColumn('uuid')
  @Index()
  frameworkId!: string;

  @ManyToOne(() => Scope, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'scope_id' })
  scopeRecord?: Scope;

  @ManyToOne(() => Framework, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'framework_id' })
  frameworkRecord?: Framework;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}

/** A decision recorded in a scope's SoA; requirements without one read as UNDECIDED. */
@Entity('soa_entry')
@Index(['scopeId', 'requirementId'], { unique: true })
export class SoaEntry extends VersionedRecord {
  @Column('uuid')
  scopeId!: string;

  @ManyToOne(() => Scope, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'scope_id' })
  scopeRecord?: Scope;

  @Column('uuid')
  @Index()
  requirementId!: string;

  @ManyToOne(() => Requirement, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'requirement_id' })
  requirementRecord?: Requirement;

  @Column({ type: 'enum', enum: Applicability, enumName: 'applicability' })
  applicability!: Applicability;

  @Column({ type: 'text', nullable: true })
  justification!: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  drivers!: InclusionDriver[];
}

/** An approved, frozen version of a scope's SoA: the rows as they were, derived columns included. */
@ObjectType({ simpleResolvers: true, description: 'An approved version of a scope\'s Statement of Applicability.' })
@Entity('soa_version')
@Index(['scopeId', 'number'], { unique: true })
export class SoaVersion {
  @Field(() => ID, { description: 'Version id.' })
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  scopeId!: string;

  @ManyToOne(() => Scope, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'scope_id' })
  scopeRecord?: Scope;

  @Field(() => Int, { description: 'Version number, 1, 2, … per scope.' })
  @Column('int')
  number!: number;

  @Column('uuid')
  approverId!: string;

  @ManyToOne(() => Owner, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'approver_id' })
  approverRecord?: Owner;

  @Field(() => Date, { description: 'When it was approved.' })
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  approvedAt!: Date;

  /** The frozen rows (see soa.types.ts SoaRowSnapshot). */
  @Column('jsonb')
  rows!: unknown[];
}
