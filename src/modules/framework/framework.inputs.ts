import { Field, ID, InputType } from 'type-graphql';
import { IsBoolean, IsEnum, IsUUID, Length, Matches, MaxLength } from 'class-validator';
import { Clearable, IsText, NAME_MAX, NOT_BLANK, Omittable, TEXT_MAX } from '../../common/validation';
import { OrderInput } from '../../common/pagination';
import { FrameworkKind } from './framework.entity';
import { RequirementKind } from './requirement.entity';

export const FRAMEWORK_KEY = /^[a-z0-9][a-z0-9._-]{1,63}$/;
const KEY_MESSAGE = 'must be 2 to 64 of a-z, 0-9, ., -, _ starting with a letter or digit';

@InputType({ description: 'A custom framework (catalog:write).' })
export class CreateFrameworkInput {
  @Field({ description: 'Key, e.g. `acme-policy`.' })
  @IsText()
  @Matches(FRAMEWORK_KEY, { message: KEY_MESSAGE })
  key!: string;

  @Field({ description: 'Catalog version, e.g. `1.0`.' })
  @IsText()
  @Length(1, 64)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  version!: string;

  @Field({ description: 'Display name.' })
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  name!: string;

  @Field(() => FrameworkKind, { description: 'Kind of framework.' })
  @IsEnum(FrameworkKind)
  kind!: FrameworkKind;

  @Field(() => String, { nullable: true, description: 'Publisher.' })
  @Clearable()
  @IsText()
  @MaxLength(NAME_MAX)
  publisher?: string | null;

  @Field(() => String, { nullable: true, description: 'Licence of the catalog data.' })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  licence?: string | null;

  @Field(() => String, { nullable: true, description: 'Source URL.' })
  @Clearable()
  @IsText()
  @MaxLength(2000)
  sourceUrl?: string | null;

  @Field(() => String, { nullable: true, description: 'Attribution.' })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  attribution?: string | null;
}

@InputType({ description: 'Changes to a custom framework.' })
export class UpdateFrameworkInput {
  @Field(() => String, { nullable: true, description: 'Display name.' })
  @Omittable()
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  name?: string;

  @Field(() => String, { nullable: true, description: 'Publisher.' })
  @Clearable()
  @IsText()
  @MaxLength(NAME_MAX)
  publisher?: string | null;

  @Field(() => String, { nullable: true, description: 'Licence.' })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  licence?: string | null;

  @Field(() => String, { nullable: true, description: 'Source URL.' })
  @Clearable()
  @IsText()
  @MaxLength(2000)
  sourceUrl?: string | null;

  @Field(() => String, { nullable: true, description: 'Attribution.' })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  attribution?: string | null;
}

@InputType({ description: 'Which frameworks to list.' })
export class FrameworkFilter {
  @Field(() => [FrameworkKind], { nullable: true, description: 'Only these kinds.' })
  @Clearable()
  @IsEnum(FrameworkKind, { each: true })
  kind?: FrameworkKind[] | null;

  @Field(() => String, { nullable: true, description: 'Only versions of this key.' })
  @Clearable()
  @IsText()
  @MaxLength(64)
  key?: string | null;

  @Field({ defaultValue: false, description: 'Include archived frameworks.' })
  includeArchived: boolean = false;
}

export enum FrameworkOrderField {
  KEY = 'key',
  CREATED_AT = 'createdAt',
}
export const FrameworkOrder = OrderInput(FrameworkOrderField, 'Framework', FrameworkOrderField.KEY);
export type FrameworkOrder = InstanceType<typeof FrameworkOrder>;

@InputType({ description: 'A requirement of a custom framework (catalog:write).' })
export class CreateRequirementInput {
  @Field(() => ID, { description: 'The framework.' })
  @IsUUID('all', { message: 'must be a framework id' })
  frameworkId!: string;

  @Field({ description: 'Code, unique in the framework.' })
  @IsText()
  @Length(1, 64)
  @Matches(/^\S(.*\S)?$/, { message: 'must not start or end with spaces' })
  code!: string;

  @Field({ description: 'Short title.' })
  @IsText()
  @Length(1, 500)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  title!: string;

  @Field(() => String, { nullable: true, description: 'Full text.' })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  text?: string | null;

  @Field(() => RequirementKind, { description: 'Kind.' })
  @IsEnum(RequirementKind)
  kind!: RequirementKind;

  @Field({ description: 'Assessed by coverage and the SoA.' })
  @IsBoolean()
  assessable!: boolean;

  @Field(() => ID, { nullable: true, description: 'Parent requirement in the same framework.' })
  @Clearable()
  @IsUUID('all', { message: 'must be a requirement id' })
  parentId?: string | null;
}

@InputType({ description: 'Changes to a requirement of a custom framework.' })
export class UpdateRequirementInput {
  @Field(() => String, { nullable: true, description: 'Short title.' })
  @Omittable()
  @IsText()
  @Length(1, 500)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  title?: string;

  @Field(() => String, { nullable: true, description: 'Full text; null clears it.' })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  text?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Assessed by coverage and the SoA.' })
  @Omittable()
  @IsBoolean()
  assessable?: boolean;

  @Field(() => ID, { nullable: true, description: 'New parent; null makes it top-level.' })
  @Clearable()
  @IsUUID('all', { message: 'must be a requirement id' })
  parentId?: string | null;
}

@InputType({ description: 'Which requirements to list.' })
export class RequirementFilter {
  @Field(() => String, { nullable: true, description: 'Only requirements of this framework key (newest version unless frameworkVersion is given).' })
  @Clearable()
  @IsText()
  @MaxLength(64)
  frameworkKey?: string | null;

  @Field(() => String, { nullable: true, description: 'Version of frameworkKey.' })
  @Clearable()
  @IsText()
  @MaxLength(64)
  frameworkVersion?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only direct children of this requirement.' })
  @Clearable()
  @IsUUID('all')
  parentId?: string | null;

  @Field({ defaultValue: false, description: 'Only top-level requirements.' })
  topLevelOnly: boolean = false;

  @Field(() => [RequirementKind], { nullable: true, description: 'Only these kinds.' })
  @Clearable()
  @IsEnum(RequirementKind, { each: true })
  kind?: RequirementKind[] | null;

  @Field(() => Boolean, { nullable: true, description: 'Only assessable (true) or only non-assessable (false) requirements.' })
  assessable?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Case-insensitive text search in code, title and text.' })
  @Clearable()
  @IsText()
  @MaxLength(NAME_MAX)
  search?: string | null;

  @Field({ defaultValue: false, description: 'Include withdrawn and archived requirements.' })
  includeWithdrawn: boolean = false;
}
