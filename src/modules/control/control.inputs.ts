import { Field, ID, InputType, Int } from 'type-graphql';
import { ArrayMaxSize, IsEnum, IsInt, IsUUID, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { Clearable, IsText, NAME_MAX, NOT_BLANK, Omittable, TEXT_MAX } from '../../common/validation';
import { OrderInput } from '../../common/pagination';
import { ControlEffectiveness, ControlStatus } from './control.entity';

export const CONTROL_CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const CODE_MESSAGE = 'must be 1 to 32 of A-Z, a-z, 0-9, ., -, _ starting with a letter or digit';

@InputType({ description: 'A new control.' })
export class CreateControlInput {
  @Field({ description: 'Unique code, e.g. `CTL-012`.' })
  @IsText()
  @Matches(CONTROL_CODE, { message: CODE_MESSAGE })
  code!: string;

  @Field({ description: `Short title, 1 to ${NAME_MAX} characters.` })
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  title!: string;

  @Field(() => String, { nullable: true, description: 'How the control works.' })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  description?: string | null;

  @Field(() => ID, { description: 'Accountable owner.' })
  @IsUUID('all', { message: 'must be an owner id' })
  ownerId!: string;

  @Field(() => ControlStatus, { nullable: true, description: 'Implementation state; default NOT_STARTED.' })
  @Clearable()
  @IsEnum(ControlStatus)
  status?: ControlStatus | null;

  @Field(() => ControlEffectiveness, { nullable: true, description: 'Effectiveness; default NOT_ASSESSED.' })
  @Clearable()
  @IsEnum(ControlEffectiveness)
  effectiveness?: ControlEffectiveness | null;

  @Field(() => Int, { nullable: true, description: 'Days between reviews, 1 to 1095; default 365.' })
  @Clearable()
  @IsInt()
  @Min(1)
  @Max(1095)
  reviewIntervalDays?: number | null;

  @Field(() => Date, { nullable: true, description: 'When the control was last reviewed.' })
  lastReviewedAt?: Date | null;

  @Field(() => [ID], { nullable: true, description: 'Scopes the control operates in.' })
  @Clearable()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true, message: 'must be scope ids' })
  scopeIds?: string[] | null;
}

@InputType({ description: 'Changes to a control; omitted fields stay as they are.' })
export class UpdateControlInput {
  @Field(() => String, { nullable: true, description: 'New unique code.' })
  @Omittable()
  @IsText()
  @Matches(CONTROL_CODE, { message: CODE_MESSAGE })
  code?: string;

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

  @Field(() => ID, { nullable: true, description: 'New owner.' })
  @Omittable()
  @IsUUID('all', { message: 'must be an owner id' })
  ownerId?: string;

  @Field(() => ControlStatus, { nullable: true, description: 'Implementation state.' })
  @Omittable()
  @IsEnum(ControlStatus)
  status?: ControlStatus;

  @Field(() => ControlEffectiveness, { nullable: true, description: 'Effectiveness.' })
  @Omittable()
  @IsEnum(ControlEffectiveness)
  effectiveness?: ControlEffectiveness;

  @Field(() => Int, { nullable: true, description: 'Days between reviews, 1 to 1095.' })
  @Omittable()
  @IsInt()
  @Min(1)
  @Max(1095)
  reviewIntervalDays?: number;

  @Field(() => Date, { nullable: true, description: 'When the control was last reviewed.' })
  lastReviewedAt?: Date | null;
}

@InputType({ description: 'Which controls to list.' })
export class ControlFilter {
  @Field(() => [ControlStatus], { nullable: true, description: 'Only these states.' })
  @Clearable()
  @IsEnum(ControlStatus, { each: true })
  status?: ControlStatus[] | null;

  @Field(() => [ControlEffectiveness], { nullable: true, description: 'Only these effectiveness results.' })
  @Clearable()
  @IsEnum(ControlEffectiveness, { each: true })
  effectiveness?: ControlEffectiveness[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only controls of these owners.' })
  @Clearable()
  @IsUUID('all', { each: true })
  ownerIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only controls operating in one of these scopes.' })
  @Clearable()
  @IsUUID('all', { each: true })
  scopeIds?: string[] | null;

  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of code or title.' })
  @Clearable()
  @IsText()
  @MaxLength(NAME_MAX)
  search?: string | null;

  @Field({ defaultValue: false, description: 'Include archived controls.' })
  includeArchived: boolean = false;
}

export enum ControlOrderField {
  CODE = 'code',
  TITLE = 'title',
  STATUS = 'status',
  CREATED_AT = 'createdAt',
  UPDATED_AT = 'updatedAt',
}
export const ControlOrder = OrderInput(ControlOrderField, 'Control', ControlOrderField.CODE);
export type ControlOrder = InstanceType<typeof ControlOrder>;
