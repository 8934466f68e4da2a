import { Field, ID, InputType, Int } from 'type-graphql';
import { ArrayMaxSize, IsEnum, IsInt, IsUUID, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { Clearable, IsText, NAME_MAX, NOT_BLANK, Omittable, TEXT_MAX } from '../../common/validation';
import { OrderInput } from '../../common/pagination';
import { RiskLevel, RiskStatus, RiskTreatment } from './risk.entity';

@InputType({ description: 'A new risk.' })
export class CreateRiskInput {
  @Field({ description: `Short title, 1 to ${NAME_MAX} characters.` })
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  title!: string;

  @Field(() => String, { nullable: true, description: 'Scenario: threat, vulnerability, consequence.' })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  description?: string | null;

  @Field(() => ID, { description: 'The scope whose register holds the risk.' })
  @IsUUID('all', { message: 'must be a scope id' })
  scopeId!: string;

  @Field(() => ID, { description: 'Risk owner.' })
  @IsUUID('all', { message: 'must be an owner id' })
  ownerId!: string;

  @Field(() => Int, { description: 'Likelihood 1-5.' })
  @IsInt()
  @Min(1)
  @Max(5)
  likelihood!: number;

  @Field(() => Int, { description: 'Impact 1-5.' })
  @IsInt()
  @Min(1)
  @Max(5)
  impact!: number;

  @Field(() => RiskTreatment, { nullable: true, description: 'Treatment; default UNDECIDED.' })
  @Clearable()
  @IsEnum(RiskTreatment)
  treatment?: RiskTreatment | null;

  @Field(() => Int, { nullable: true, description: 'Residual likelihood 1-5; default the inherent one.' })
  @Clearable()
  @IsInt()
  @Min(1)
  @Max(5)
  residualLikelihood?: number | null;

  @Field(() => Int, { nullable: true, description: 'Residual impact 1-5; default the inherent one.' })
  @Clearable()
  @IsInt()
  @Min(1)
  @Max(5)
  residualImpact?: number | null;

  @Field(() => RiskStatus, { nullable: true, description: 'Status; default IDENTIFIED. ACCEPTED is set only by approving a risk acceptance.' })
  @Clearable()
  @IsEnum(RiskStatus)
  status?: RiskStatus | null;

  @Field(() => Int, { nullable: true, description: 'Days between reviews, 1 to 1095; default 365.' })
  @Clearable()
  @IsInt()
  @Min(1)
  @Max(1095)
  reviewIntervalDays?: number | null;

  @Field(() => [ID], { nullable: true, description: 'Controls that treat the risk.' })
  @Clearable()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true, message: 'must be control ids' })
  controlIds?: string[] | null;
}

@InputType({ description: 'Changes to a risk; omitted fields stay as they are.' })
export class UpdateRiskInput {
  @Field(() => String, { nullable: true, description: 'Short title.' })
  @Omittable()
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  title?: string;

  @Field(() => String, { nullable: true, description: 'Description; null clears it.' })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  description?: string | null;

  @Field(() => ID, { nullable: true, description: 'Move the risk to another scope.' })
  @Omittable()
  @IsUUID('all', { message: 'must be a scope id' })
  scopeId?: string;

  @Field(() => ID, { nullable: true, description: 'New risk owner.' })
  @Omittable()
  @IsUUID('all', { message: 'must be an owner id' })
  ownerId?: string;

  @Field(() => Int, { nullable: true, description: 'Likelihood 1-5.' })
  @Omittable()
  @IsInt()
  @Min(1)
  @Max(5)
  likelihood?: number;

  @Field(() => Int, { nullable: true, description: 'Impact 1-5.' })
  @Omittable()
  @IsInt()
  @Min(1)
  @Max(5)
  impact?: number;

  @Field(() => RiskTreatment, { nullable: true, description: 'Treatment.' })
  @Omittable()
  @IsEnum(RiskTreatment)
  treatment?: RiskTreatment;

  @Field(() => Int, { nullable: true, description: 'Residual likelihood 1-5; null resets it to the inherent one.' })
  @Clearable()
  @IsInt()
  @Min(1)
  @Max(5)
  residualLikelihood?: number | null;

  @Field(() => Int, { nullable: true, description: 'Residual impact 1-5; null resets it to the inherent one.' })
  @Clearable()
  @IsInt()
  @Min(1)
  @Max(5)
  residualImpact?: number | null;

  @Field(() => RiskStatus, { nullable: true, description: 'Status (not ACCEPTED: approve a risk acceptance instead).' })
  @Omittable()
  @IsEnum(RiskStatus)
  status?: RiskStatus;

  @Field(() => Int, { nullable: true, description: 'Days between reviews, 1 to 1095.' })
  @Omittable()
  @IsInt()
  @Min(1)
  @Max(1095)
  reviewIntervalDays?: number;

  @Field(() => Date, { nullable: true, description: 'When the risk was last reviewed.' })
  lastReviewedAt?: Date | null;
}

@InputType({ description: 'Which risks to list.' })
export class RiskFilter {
  @Field(() => [ID], { nullable: true, description: 'Only risks of these scopes.' })
  @Clearable()
  @IsUUID('all', { each: true })
  scopeIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only risks of these owners.' })
  @Clearable()
  @IsUUID('all', { each: true })
  ownerIds?: string[] | null;

  @Field(() => [RiskStatus], { nullable: true, description: 'Only these states.' })
  @Clearable()
  @IsEnum(RiskStatus, { each: true })
  status?: RiskStatus[] | null;

  @Field(() => [RiskTreatment], { nullable: true, description: 'Only these treatments.' })
  @Clearable()
  @IsEnum(RiskTreatment, { each: true })
  treatment?: RiskTreatment[] | null;

  @Field(() => [RiskLevel], { nullable: true, description: 'Only these inherent levels.' })
  @Clearable()
  @IsEnum(RiskLevel, { each: true })
  inherentLevel?: RiskLevel[] | null;

  @Field(() => [RiskLevel], { nullable: true, description: 'Only these residual levels.' })
  @Clearable()
  @IsEnum(RiskLevel, { each: true })
  residualLevel?: RiskLevel[] | null;

  @Field(() => Int, { nullable: true, description: 'Only risks whose residual score is at least this.' })
  @Clearable()
  @IsInt()
  @Min(1)
  @Max(25)
  minResidualScore?: number | null;

  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of the title.' })
  @Clearable()
  @IsText()
  @MaxLength(NAME_MAX)
  search?: string | null;

  @Field({ defaultValue: false, description: 'Include archived risks.' })
  includeArchived: boolean = false;
}

export enum RiskOrderField {
  CREATED_AT = 'createdAt',
  UPDATED_AT = 'updatedAt',
  TITLE = 'title',
  INHERENT_SCORE = 'inherentScore',
  RESIDUAL_SCORE = 'residualScore',
}
export const RiskOrder = OrderInput(RiskOrderField, 'Risk', RiskOrderField.CREATED_AT);
export type RiskOrder = InstanceType<typeof RiskOrder>;
