import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Columns every versioned, archivable record shares. */
@ObjectType('VersionedRecord', { description: 'Base of versioned records; never emitted on its own.' })
export abstract class VersionedRecord {
  @Field(() => ID, { description: 'Stable UUID.' })
  @PrimaryColumn('uuid')
  id!: string;

  @Field(() => Int, { description: 'Incremented by every write; pass it as `expectedVersion` to update.' })
  @Column({ type: 'int', default: 1 })
  version!: number;

  @Field(() => Date, { description: 'When the record was created.' })
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the record last changed.' })
  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Set when archived; archived records are hidden from lists unless asked for.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  archivedAt!: Date | null;
}
