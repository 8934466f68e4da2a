import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { VersionedRecord } from '../../common/base.entity';
import { Framework } from './framework.entity';

export enum RequirementKind {
  CLAUSE = 'CLAUSE',
  THEME = 'THEME',
  CONTROL = 'CONTROL',
  FUNCTION = 'FUNCTION',
  CATEGORY = 'CATEGORY',
  SUBCATEGORY = 'SUBCATEGORY',
  GROUP = 'GROUP',
  RISK = 'RISK',
}
registerEnumType(RequirementKind, { name: 'RequirementKind', description: 'Place of a requirement in its catalog: clause, theme, control, CSF function/category/subcategory, OSCAL group, or risk.' });

/** ISO/IEC 27002:2022 attribute values of a control (imported per control from the user's licensed copy). */
export interface RequirementAttributeValues {
  controlType?: string[];
  securityProperties?: string[];
  cybersecurityConcepts?: string[];
  operationalCapabilities?: string[];
  securityDomains?: string[];
}

@ObjectType({ simpleResolvers: true, description: 'One requirement of a framework: a clause, control, subcategory or risk item.' })
@Entity('requirement')
@Index(['frameworkId', 'code'], { unique: true })
@Index(['frameworkId', 'position'])
export class Requirement extends VersionedRecord {
  @Column('uuid')
  frameworkId!: string;

  @ManyToOne(() => Framework, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'framework_id' })
  frameworkRecord?: Framework;

  @Field({ description: 'Code within the framework, e.g. `A.5.15`, `GV.OC-01`, `NHI7`, `AC-2(12)`.' })
  @Column('text')
  code!: string;

  @Field({ description: 'Short title.' })
  @Column('text')
  title!: string;

  @Field(() => String, { nullable: true, description: 'Full text, only where the licence allows (never ISO text).' })
  @Column({ type: 'text', nullable: true })
  text!: string | null;

  @Field(() => RequirementKind, { description: 'Kind of requirement.' })
  @Column({ type: 'enum', enum: RequirementKind, enumName: 'requirement_kind' })
  kind!: RequirementKind;

  @Field({ description: 'Whether coverage and the SoA assess this requirement.' })
  @Column('boolean')
  assessable!: boolean;

  @Column({ type: 'uuid', nullable: true })
  @Index()
  parentId!: string | null;

  @ManyToOne(() => Requirement, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'parent_id' })
  parentRecord?: Requirement | null;

  /** Order within the catalog as published. */
  @Column('int')
  position!: number;

  @Field(() => [String], { description: 'Other identifiers of the requirement, e.g. the OSCAL id `ac-2.12`.' })
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  aliases!: string[];

  @Field({ description: 'True when the catalog withdrew it (kept so mappings still resolve).' })
  @Column({ type: 'boolean', default: false })
  withdrawn!: boolean;

  @Field(() => [String], { description: 'Implementation examples (NIST CSF 2.0).' })
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  examples!: string[];

  @Field(() => String, { nullable: true, description: 'Link to the requirement\'s page.' })
  @Column({ type: 'text', nullable: true })
  url!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  attributeValues!: RequirementAttributeValues;
}
