import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { VersionedRecord } from '../../common/base.entity';
import { Owner } from '../owner/owner.entity';
import { Control } from '../control/control.entity';

export enum EvidenceKind {
  DOCUMENT = 'DOCUMENT',
  RECORD = 'RECORD',
  SCREENSHOT = 'SCREENSHOT',
  LOG = 'LOG',
  REPORT = 'REPORT',
  TICKET = 'TICKET',
  CONFIGURATION = 'CONFIGURATION',
  ATTESTATION = 'ATTESTATION',
  OTHER = 'OTHER',
}
registerEnumType(EvidenceKind, { name: 'EvidenceKind', description: 'What kind of proof an evidence item is.' });

@ObjectType({ simpleResolvers: true, description: 'Proof that a control operates; stale once past validUntil.' })
@Entity('evidence')
@Index(['controlId', 'validUntil'])
export class Evidence extends VersionedRecord {
  @Column('uuid')
  controlId!: string;

  @ManyToOne(() => Control, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'control_id' })
  controlRecord?: Control;

  @Column('uuid')
  @Index()
  ownerId!: string;

  @ManyToOne(() => Owner, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'owner_id' })
  ownerRecord?: Owner;

  @Field({ description: 'Short title.' })
  @Column('text')
  title!: string;

  @Field(() => EvidenceKind, { description: 'Kind of proof.' })
  @Column({ type: 'enum', enum: EvidenceKind, enumName: 'evidence_kind' })
  kind!: EvidenceKind;

  @Field({ description: 'Where the proof is: a URL, document id or ticket key.' })
  @Column('text')
  reference!: string;

  @Field(() => Date, { description: 'When the proof was collected.' })
  @Column({ type: 'timestamptz', precision: 3 })
  collectedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Until when the proof is valid; stale after it.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  validUntil!: Date | null;
}
