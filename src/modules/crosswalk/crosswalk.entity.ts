import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { VersionedRecord } from '../../common/base.entity';
import { Framework } from '../framework/framework.entity';
import { Requirement } from '../framework/requirement.entity';

export enum CrosswalkMethod { MANUAL = 'MANUAL', IMPORTED = 'IMPORTED', DERIVED = 'DERIVED' }
export enum CrosswalkStatus { DRAFT = 'DRAFT', APPROVED = 'APPROVED' }
/** NIST IR 8477 set-theory relationships. */
export enum Relationship {
  EQUAL = 'EQUAL',
  SUBSET_OF = 'SUBSET_OF',
  SUPERSET_OF = 'SUPERSET_OF',
  INTERSECTS_WITH = 'INTERSECTS_WITH',
  NOT_RELATED = 'NOT_RELATED',
}
export enum MappingRationale { SYNTACTIC = 'SYNTACTIC', SEMANTIC = 'SEMANTIC', FUNCTIONAL = 'FUNCTIONAL' }

registerEnumType(CrosswalkMethod, { name: 'CrosswalkMethod', description: 'How a crosswalk was made.' });
registerEnumType(CrosswalkStatus, { name: 'CrosswalkStatus', description: 'DRAFT, or APPROVED (only approved crosswalks count for coverage).' });
registerEnumType(Relationship, { name: 'Relationship', description: 'NIST IR 8477 relationship of a mapping, read source → target. Read backwards SUBSET_OF and SUPERSET_OF swap.' });
registerEnumType(MappingRationale, { name: 'MappingRationale', description: 'NIST IR 8477 rationale of a mapping.' });

@ObjectType({ simpleResolvers: true, description: 'A set of mappings from a source framework to a target framework, with provenance.' })
@Entity('crosswalk')
export class Crosswalk extends VersionedRecord {
  @Field({ description: 'Unique key, e.g. `nist-csf-2.0-to-iso27001-2022`.' })
  @Index({ unique: true })
  @Column('text')
  key!: string;

  @Field({ description: 'Display name.' })
  @Column('text')
  name!: string;

  @Column('uuid')
  @Index()
  sourceFrameworkId!: string;

  @ManyToOne(() => Framework, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'source_framework_id' })
  sourceFrameworkRecord?: Framework;

  @Column('uuid')
  @Index()
  targetFrameworkId!: string;

  @ManyToOne(() => Framework, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'target_framework_id' })
  targetFrameworkRecord?: Framework;

  @Field({ description: 'Provenance: who published the mappings, where, which revision.' })
  @Column('text')
  source!: string;

  @Field(() => CrosswalkMethod, { description: 'MANUAL, IMPORTED or DERIVED.' })
  @Column({ type: 'enum', enum: CrosswalkMethod, enumName: 'crosswalk_method' })
  method!: CrosswalkMethod;

  @Field(() => CrosswalkStatus, { description: 'DRAFT or APPROVED.' })
  @Column({ type: 'enum', enum: CrosswalkStatus, enumName: 'crosswalk_status', default: CrosswalkStatus.DRAFT })
  status!: CrosswalkStatus;

  @Field({ description: 'True for crosswalks shipped with the product; they cannot be edited.' })
  @Column({ type: 'boolean', default: false })
  builtIn!: boolean;
}

@ObjectType({ simpleResolvers: true, description: 'One mapping: source requirement RELATIONSHIP target requirement.' })
@Entity('mapping')
@Index(['crosswalkId', 'sourceRequirementId', 'targetRequirementId'], { unique: true })
export class Mapping extends VersionedRecord {
  @Column('uuid')
  crosswalkId!: string;

  @ManyToOne(() => Crosswalk, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'crosswalk_id' })
  crosswalkRecord?: Crosswalk;

  @Column('uuid')
  @Index()
  sourceRequirementId!: string;

  @ManyToOne(() => Requirement, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'source_requirement_id' })
  sourceRequirementRecord?: Requirement;

  @Column('uuid')
  @Index()
  targetRequirementId!: string;

  @ManyToOne(() => Requirement, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'target_requirement_id' })
  targetRequirementRecord?: Requirement;

  @Field(() => Relationship, { description: 'Relationship read source → target.' })
  @Column({ type: 'enum', enum: Relationship, enumName: 'relationship' })
  relationship!: Relationship;

  @Field(() => MappingRationale, { nullable: true, description: 'Why the requirements are related.' })
  @Column({ type: 'enum', enum: MappingRationale, enumName: 'mapping_rationale', nullable: true })
  rationale!: MappingRationale | null;

  @Field(() => Int, { nullable: true, description: 'Strength 0-10.' })
  @Column({ type: 'smallint', nullable: true })
  strength!: number | null;

  @Field(() => String, { nullable: true, description: 'Notes.' })
  @Column({ type: 'text', nullable: true })
  notes!: string | null;
}
