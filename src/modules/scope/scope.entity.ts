import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { VersionedRecord } from '../../common/base.entity';
import { Owner } from '../owner/owner.entity';

export enum Certification {
  CERTIFIABLE = 'CERTIFIABLE',
  GUIDANCE_ONLY = 'GUIDANCE_ONLY',
}
registerEnumType(Certification, {
  name: 'Certification',
  description: 'What the scope aims at.',
  valuesConfig: {
    CERTIFIABLE: { description: 'Aims at ISO 27001 certification.' },
    GUIDANCE_ONLY: { description: 'Aligns to ISO 27002 without certification.' },
  },
});

export const DEFAULT_RISK_APPETITE = 9;

@ObjectType({ simpleResolvers: true, description: 'An ISMS scope (ISO 27001 clause 4.3): what the management system covers.' })
@Entity('scope')
export class Scope extends VersionedRecord {
  @Field({ description: 'Unique key, e.g. `payments-eu`: lowercase letters, digits, dot, dash, underscore.' })
  @Index({ unique: true })
  @Column('text')
  key!: string;

  @Field({ description: 'Display name.' })
  @Column('text')
  name!: string;

  @Field(() => String, { nullable: true, description: 'What the scope is.' })
  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Field(() => [String], { description: 'What is inside the scope (sites, units, systems, processes).' })
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  inclusions!: string[];

  @Field(() => [String], { description: 'What is explicitly outside, with the reason.' })
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  exclusions!: string[];

  @Field(() => Certification, { description: 'CERTIFIABLE or GUIDANCE_ONLY.' })
  @Column({ type: 'enum', enum: Certification, enumName: 'certification' })
  certification!: Certification;

  @Column('uuid')
  @Index()
  ownerId!: string;

  @ManyToOne(() => Owner, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'owner_id' })
  ownerRecord?: Owner;

  @Column({ type: 'uuid', nullable: true })
  @Index()
  parentId!: string | null;

  @ManyToOne(() => Scope, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'parent_id' })
  parentRecord?: Scope | null;

  @Field(() => Int, { description: `The highest residual risk score (1-25) accepted without a risk acceptance; default ${DEFAULT_RISK_APPETITE}.` })
  @Column({ type: 'int', default: DEFAULT_RISK_APPETITE })
  riskAppetite!: number;
}
