import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index } from 'typeorm';
import { VersionedRecord } from '../../common/base.entity';

export enum OwnerKind {
  PERSON = 'PERSON',
  TEAM = 'TEAM',
}
registerEnumType(OwnerKind, { name: 'OwnerKind', description: 'A person or a team.' });

@ObjectType({ simpleResolvers: true, description: 'A person or team accountable for controls, risks, evidence, exceptions, assets and API keys.' })
@Entity('owner')
export class Owner extends VersionedRecord {
  @Field(() => OwnerKind, { description: 'PERSON or TEAM.' })
  @Column({ type: 'enum', enum: OwnerKind, enumName: 'owner_kind' })
  kind!: OwnerKind;

  @Field({ description: 'Display name.' })
  @Index()
  @Column('text')
  name!: string;

  @Field(() => String, { nullable: true, description: 'Contact e-mail address.' })
  @Column({ type: 'text', nullable: true })
  email!: string | null;
}
