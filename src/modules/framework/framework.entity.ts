import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export enum FrameworkKind {
  MANAGEMENT_SYSTEM = 'MANAGEMENT_SYSTEM',
  CONTROL_CATALOG = 'CONTROL_CATALOG',
  RISK_TAXONOMY = 'RISK_TAXONOMY',
}
registerEnumType(FrameworkKind, {
  name: 'FrameworkKind',
  description: 'What a framework is.',
  valuesConfig: {
    MANAGEMENT_SYSTEM: { description: 'A certifiable management system standard, e.g. ISO/IEC 27001.' },
    CONTROL_CATALOG: { description: 'A catalog of controls or outcomes, e.g. ISO/IEC 27002, NIST CSF 2.0, SP 800-53.' },
    RISK_TAXONOMY: { description: 'A list of threats or risks that risks can name, e.g. OWASP NHI Top 10.' },
  },
});

@ObjectType({ simpleResolvers: true, description: 'A framework catalog in one version, with its tree of requirements.' })
@Entity('framework')
@Index(['key', 'version'], { unique: true })
export class Framework {
  @Field(() => ID, { description: 'Stable UUID.' })
  @PrimaryColumn('uuid')
  id!: string;

  @Field({ description: 'Stable key, e.g. `iso27001-2022`; several versions may share it.' })
  @Column('text')
  key!: string;

  @Field({ description: 'Version of the catalog, e.g. `2022` or `2.0`.' })
  @Column('text')
  version!: string;

  @Field({ description: 'Display name.' })
  @Column('text')
  name!: string;

  @Field(() => FrameworkKind, { description: 'MANAGEMENT_SYSTEM, CONTROL_CATALOG or RISK_TAXONOMY.' })
  @Column({ type: 'enum', enum: FrameworkKind, enumName: 'framework_kind' })
  kind!: FrameworkKind;

  @Field(() => String, { nullable: true, description: 'Who publishes the catalog.' })
  @Column({ type: 'text', nullable: true })
  publisher!: string | null;

  @Field(() => String, { nullable: true, description: 'Licence of the catalog data.' })
  @Column({ type: 'text', nullable: true })
  licence!: string | null;

  @Field(() => String, { nullable: true, description: 'Where the catalog comes from.' })
  @Column({ type: 'text', nullable: true })
  sourceUrl!: string | null;

  @Field(() => String, { nullable: true, description: 'Attribution the licence asks for.' })
  @Column({ type: 'text', nullable: true })
  attribution!: string | null;

  @Field({ description: 'True for catalogs shipped with the product; they cannot be edited.' })
  @Column({ type: 'boolean', default: false })
  builtIn!: boolean;

  @Field(() => Int, { description: 'Incremented by every write; pass it as `expectedRevision` to update.' })
  @Column({ type: 'int', default: 1 })
  revision!: number;

  @Field(() => Date, { description: 'When the framework was added.' })
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the framework last changed.' })
  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Set when archived.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  archivedAt!: Date | null;
}
