import { Field, ID, InputType, Int } from 'type-graphql';
import { ArrayMaxSize, IsEnum, IsInt, IsUUID, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { Clearable, IsText, NAME_MAX, NOT_BLANK, Omittable, TEXT_MAX } from '../../common/validation';
import { OrderInput } from '../../common/pagination';
import { Certification } from './scope.entity';

export const SCOPE_KEY = /^[a-z0-9][a-z0-9._-]{1,63}$/;
const LIST_MAX = 100;
const ITEM_MAX = 500;

@InputType({ description: 'A new scope.' })
export class CreateScopeInput {
  @Field({ description: 'Unique key: 2 to 64 of a-z, 0-9, `.`, `-`, `_`, starting with a letter or digit.' })
  @IsText()
  @Matches(SCOPE_KEY, { message: 'must be 2 to 64 of a-z, 0-9, ., -, _ starting with a letter or digit' })
  key!: string;

  @Field({ description: `Display name, 1 to ${NAME_MAX} characters.` })
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'What the scope is.' })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  description?: string | null;

  @Field(() => [String], { nullable: true, description: `What is inside, at most ${LIST_MAX} items.` })
  @Clearable()
  @ArrayMaxSize(LIST_MAX)
  @IsText({ each: true })
  @Length(1, ITEM_MAX, { each: true })
  inclusions?: string[] | null;

  @Field(() => [String], { nullable: true, description: `What is outside, at most ${LIST_MAX} items.` })
  @Clearable()
  @ArrayMaxSize(LIST_MAX)
  @IsText({ each: true })
  @Length(1, ITEM_MAX, { each: true })
  exclusions?: string[] | null;

  @Field(() => Certification, { description: 'CERTIFIABLE or GUIDANCE_ONLY.' })
  @IsEnum(Certification)
  certification!: Certification;

  @Field(() => ID, { description: 'Accountable owner.' })
  @IsUUID('all', { message: 'must be an owner id' })
  ownerId!: string;

  @Field(() => ID, { nullable: true, description: 'Parent scope, for a scope inside another.' })
  @Clearable()
  @IsUUID('all', { message: 'must be a scope id' })
  parentId?: string | null;

  @Field(() => Int, { nullable: true, description: 'Highest residual score accepted without a risk acceptance (1-25, default 9).' })
  @Clearable()
  @IsInt()
  @Min(1)
  @Max(25)
  riskAppetite?: number | null;
}

@InputType({ description: 'Changes to a scope; omitted fields stay as they are.' })
export class UpdateScopeInput {
  @Field(() => String, { nullable: true, description: 'New unique key.' })
  @Omittable()
  @IsText()
  @Matches(SCOPE_KEY, { message: 'must be 2 to 64 of a-z, 0-9, ., -, _ starting with a letter or digit' })
  key?: string;

  @Field(() => String, { nullable: true, description: 'Display name.' })
  @Omittable()
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  name?: string;

  @Field(() => String, { nullable: true, description: 'Description; null clears it.' })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  description?: string | null;

  @Field(() => [String], { nullable: true, description: 'Replaces the inclusions.' })
  @Omittable()
  @ArrayMaxSize(LIST_MAX)
  @IsText({ each: true })
  @Length(1, ITEM_MAX, { each: true })
  inclusions?: string[];

  @Field(() => [String], { nullable: true, description: 'Replaces the exclusions.' })
  @Omittable()
  @ArrayMaxSize(LIST_MAX)
  @IsText({ each: true })
  @Length(1, ITEM_MAX, { each: true })
  exclusions?: string[];

  @Field(() => Certification, { nullable: true, description: 'CERTIFIABLE or GUIDANCE_ONLY.' })
  @Omittable()
  @IsEnum(Certification)
  certification?: Certification;

  @Field(() => ID, { nullable: true, description: 'New owner.' })
  @Omittable()
  @IsUUID('all', { message: 'must be an owner id' })
  ownerId?: string;

  @Field(() => ID, { nullable: true, description: 'New parent scope; null makes it a top-level scope.' })
  @Clearable()
  @IsUUID('all', { message: 'must be a scope id' })
  parentId?: string | null;

  @Field(() => Int, { nullable: true, description: 'Risk appetite (1-25).' })
  @Omittable()
  @IsInt()
  @Min(1)
  @Max(25)
  riskAppetite?: number;
}

@InputType({ description: 'Which scopes to list.' })
export class ScopeFilter {
  @Field(() => [ID], { nullable: true, description: 'Only scopes owned by these owners.' })
  @Clearable()
  @IsUUID('all', { each: true })
  ownerIds?: string[] | null;

  @Field(() => ID, { nullable: true, description: 'Only the direct children of this scope.' })
  @Clearable()
  @IsUUID('all')
  parentId?: string | null;

  @Field({ defaultValue: false, description: 'Only top-level scopes (no parent).' })
  topLevelOnly: boolean = false;

  @Field(() => [Certification], { nullable: true, description: 'Only these certification aims.' })
  @Clearable()
  @IsEnum(Certification, { each: true })
  certification?: Certification[] | null;

  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of key or name.' })
  @Clearable()
  @IsText()
  @MaxLength(NAME_MAX)
  search?: string | null;

  @Field({ defaultValue: false, description: 'Include archived scopes.' })
  includeArchived: boolean = false;
}

export enum ScopeOrderField {
  KEY = 'key',
  NAME = 'name',
  CREATED_AT = 'createdAt',
  UPDATED_AT = 'updatedAt',
}
export const ScopeOrder = OrderInput(ScopeOrderField, 'Scope', ScopeOrderField.KEY);
export type ScopeOrder = InstanceType<typeof ScopeOrder>;
