import { Field, InputType } from 'type-graphql';
import { IsEmail, IsEnum, Length, Matches, MaxLength } from 'class-validator';
import { Clearable, IsText, NAME_MAX, NOT_BLANK, Omittable } from '../../common/validation';
import { OrderInput } from '../../common/pagination';
import { OwnerKind } from './owner.entity';

@InputType({ description: 'A new owner.' })
export class CreateOwnerInput {
  @Field(() => OwnerKind, { description: 'PERSON or TEAM.' })
  @IsEnum(OwnerKind)
  kind!: OwnerKind;

  @Field({ description: `Display name, 1 to ${NAME_MAX} characters.` })
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Contact e-mail address.' })
  @Clearable()
  @IsText()
  @IsEmail()
  @MaxLength(320)
  email?: string | null;
}

@InputType({ description: 'Changes to an owner; omitted fields stay as they are.' })
export class UpdateOwnerInput {
  @Field(() => OwnerKind, { nullable: true, description: 'PERSON or TEAM.' })
  @Omittable()
  @IsEnum(OwnerKind)
  kind?: OwnerKind;

  @Field(() => String, { nullable: true, description: `Display name, 1 to ${NAME_MAX} characters.` })
  @Omittable()
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  name?: string;

  @Field(() => String, { nullable: true, description: 'Contact e-mail address; null clears it.' })
  @Clearable()
  @IsText()
  @IsEmail()
  @MaxLength(320)
  email?: string | null;
}

@InputType({ description: 'Which owners to list.' })
export class OwnerFilter {
  @Field(() => [OwnerKind], { nullable: true, description: 'Only these kinds.' })
  @Clearable()
  @IsEnum(OwnerKind, { each: true })
  kind?: OwnerKind[] | null;

  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of the name.' })
  @Clearable()
  @IsText()
  @MaxLength(NAME_MAX)
  nameContains?: string | null;

  @Field({ defaultValue: false, description: 'Include archived owners.' })
  includeArchived: boolean = false;
}

export enum OwnerOrderField {
  NAME = 'name',
  CREATED_AT = 'createdAt',
  UPDATED_AT = 'updatedAt',
}
export const OwnerOrder = OrderInput(OwnerOrderField, 'Owner', OwnerOrderField.NAME);
export type OwnerOrder = InstanceType<typeof OwnerOrder>;
