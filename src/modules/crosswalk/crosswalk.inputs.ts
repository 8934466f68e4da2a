import { Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { IsEnum, IsInt, IsUUID, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { Clearable, IsText, NAME_MAX, NOT_BLANK, Omittable, TEXT_MAX } from '../../common/validation';
import { CrosswalkMethod, CrosswalkStatus, MappingRationale, Relationship } from './crosswalk.entity';
import { FRAMEWORK_KEY } from '../framework/framework.inputs';

@InputType({ description: 'A new crosswalk between two frameworks (catalog:write); starts as DRAFT unless approved.' })
export class CreateCrosswalkInput {
  @Field({ description: 'Unique key.' })
  @IsText()
  @Matches(FRAMEWORK_KEY, { message: 'must be 2 to 64 of a-z, 0-9, ., -, _ starting with a letter or digit' })
  key!: string;

  @Field({ description: 'Display name.' })
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  name!: string;

  @Field(() => ID, { description: 'Source framework (version) id.' })
  @IsUUID('all', { message: 'must be a framework id' })
  sourceFrameworkId!: string;

  @Field(() => ID, { description: 'Target framework (version) id.' })
  @IsUUID('all', { message: 'must be a framework id' })
  targetFrameworkId!: string;

  @Field({ description: 'Provenance: who made the mappings, from what.' })
  @IsText()
  @Length(1, TEXT_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  source!: string;

  @Field(() => CrosswalkMethod, { defaultValue: CrosswalkMethod.MANUAL, description: 'How it was made.' })
  @IsEnum(CrosswalkMethod)
  method: CrosswalkMethod = CrosswalkMethod.MANUAL;

  @Field(() => CrosswalkStatus, { defaultValue: CrosswalkStatus.DRAFT, description: 'DRAFT or APPROVED.' })
  @IsEnum(CrosswalkStatus)
  status: CrosswalkStatus = CrosswalkStatus.DRAFT;
}

@InputType({ description: 'Changes to a crosswalk.' })
export class UpdateCrosswalkInput {
  @Field(() => String, { nullable: true, description: 'Display name.' })
  @Omittable()
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  name?: string;

  @Field(() => String, { nullable: true, description: 'Provenance.' })
  @Omittable()
  @IsText()
  @Length(1, TEXT_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  source?: string;

  @Field(() => CrosswalkStatus, { nullable: true, description: 'DRAFT → APPROVED (only approved crosswalks count for coverage), or back to DRAFT.' })
  @Omittable()
  @IsEnum(CrosswalkStatus)
  status?: CrosswalkStatus;
}

@InputType({ description: 'Which crosswalks to list.' })
export class CrosswalkFilter {
  @Field(() => String, { nullable: true, description: 'Only crosswalks from this framework key.' })
  @Clearable()
  @IsText()
  @MaxLength(64)
  sourceFrameworkKey?: string | null;

  @Field(() => String, { nullable: true, description: 'Only crosswalks to this framework key.' })
  @Clearable()
  @IsText()
  @MaxLength(64)
  targetFrameworkKey?: string | null;

  @Field(() => [CrosswalkStatus], { nullable: true, description: 'Only these states.' })
  @Clearable()
  @IsEnum(CrosswalkStatus, { each: true })
  status?: CrosswalkStatus[] | null;

  @Field({ defaultValue: false, description: 'Include archived crosswalks.' })
  includeArchived: boolean = false;
}

@InputType({ description: 'A new mapping in a crosswalk.' })
export class CreateMappingInput {
  @Field(() => ID, { description: 'The crosswalk.' })
  @IsUUID('all', { message: 'must be a crosswalk id' })
  crosswalkId!: string;

  @Field(() => ID, { description: 'Requirement of the source framework.' })
  @IsUUID('all', { message: 'must be a requirement id' })
  sourceRequirementId!: string;

  @Field(() => ID, { description: 'Requirement of the target framework.' })
  @IsUUID('all', { message: 'must be a requirement id' })
  targetRequirementId!: string;

  @Field(() => Relationship, { description: 'Relationship read source → target.' })
  @IsEnum(Relationship)
  relationship!: Relationship;

  @Field(() => MappingRationale, { nullable: true, description: 'Rationale.' })
  @Clearable()
  @IsEnum(MappingRationale)
  rationale?: MappingRationale | null;

  @Field(() => Int, { nullable: true, description: 'Strength 0-10.' })
  @Clearable()
  @IsInt()
  @Min(0)
  @Max(10)
  strength?: number | null;

  @Field(() => String, { nullable: true, description: 'Notes.' })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  notes?: string | null;
}

@InputType({ description: 'Changes to a mapping.' })
export class UpdateMappingInput {
  @Field(() => Relationship, { nullable: true, description: 'Relationship read source → target.' })
  @Omittable()
  @IsEnum(Relationship)
  relationship?: Relationship;

  @Field(() => MappingRationale, { nullable: true, description: 'Rationale; null clears it.' })
  @Clearable()
  @IsEnum(MappingRationale)
  rationale?: MappingRationale | null;

  @Field(() => Int, { nullable: true, description: 'Strength 0-10; null clears it.' })
  @Clearable()
  @IsInt()
  @Min(0)
  @Max(10)
  strength?: number | null;

  @Field(() => String, { nullable: true, description: 'Notes; null clears them.' })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  notes?: string | null;
}

@InputType({ description: 'Which mappings to list.' })
export class MappingFilter {
  @Field(() => ID, { nullable: true, description: 'Only mappings of this crosswalk.' })
  @Clearable()
  @IsUUID('all')
  crosswalkId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only mappings with this requirement on either side.' })
  @Clearable()
  @IsUUID('all')
  requirementId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only mappings whose source framework has this key.' })
  @Clearable()
  @IsText()
  @MaxLength(64)
  sourceFrameworkKey?: string | null;

  @Field(() => String, { nullable: true, description: 'Only mappings whose target framework has this key.' })
  @Clearable()
  @IsText()
  @MaxLength(64)
  targetFrameworkKey?: string | null;

  @Field(() => [Relationship], { nullable: true, description: 'Only these relationships.' })
  @Clearable()
  @IsEnum(Relationship, { each: true })
  relationship?: Relationship[] | null;
}

export enum MappingDirection {
  OUTGOING = 'OUTGOING',
  INCOMING = 'INCOMING',
  BOTH = 'BOTH',
}
registerEnumType(MappingDirection, { name: 'MappingDirection', description: 'Mappings where the requirement is the source (OUTGOING), the target (INCOMING), or either.' });

export enum ChainStrength {
  FULL = 'FULL',
  PARTIAL = 'PARTIAL',
}
registerEnumType(ChainStrength, { name: 'ChainStrength', description: 'FULL when every hop, read from the starting side, is EQUAL or SUPERSET_OF; PARTIAL otherwise.' });
