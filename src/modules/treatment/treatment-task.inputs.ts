import { Field, ID, InputType } from 'type-graphql';
import { DateResolver } from 'graphql-scalars';
import { IsEnum, IsUrl, IsUUID, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { Clearable, IsText, NAME_MAX, NOT_BLANK, Omittable, TEXT_MAX } from '../../common/validation';
import { OrderInput } from '../../common/pagination';
import { TaskStatus } from './treatment-task.entity';

@InputType({ description: 'The ticket that mirrors a task.' })
export class ExternalRefInput {
  @Field({ description: 'Ticketing system, lowercase, e.g. `jira`, `servicenow`.' })
  @IsText()
  @Matches(/^[a-z0-9][a-z0-9._-]{0,31}$/, { message: 'must be 1 to 32 of a-z, 0-9, ., -, _' })
  system!: string;

  @Field({ description: 'Ticket key in that system, e.g. `SEC-123`.' })
  @IsText()
  @Matches(/^\S{1,100}$/, { message: 'must be 1 to 100 characters without spaces' })
  key!: string;

  @Field(() => String, { nullable: true, description: 'Link to the ticket (http or https).' })
  @Clearable()
  @IsText()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  @MaxLength(2000)
  url?: string | null;
}

@InputType({ description: 'A new treatment task.' })
export class CreateTreatmentTaskInput {
  @Field(() => ID, { description: 'The risk the task treats.' })
  @IsUUID('all', { message: 'must be a risk id' })
  riskId!: string;

  @Field(() => ID, { nullable: true, description: 'The control the task implements, if any.' })
  @Clearable()
  @IsUUID('all', { message: 'must be a control id' })
  controlId?: string | null;

  @Field({ description: `What has to be done, 1 to ${NAME_MAX} characters.` })
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  title!: string;

  @Field(() => String, { nullable: true, description: 'Details.' })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  description?: string | null;

  @Field(() => ID, { description: 'Owner who does the work.' })
  @IsUUID('all', { message: 'must be an owner id' })
  assigneeId!: string;

  @Field(() => DateResolver, { nullable: true, description: 'Due date.' })
  dueDate?: Date | null;

  @Field(() => TaskStatus, { nullable: true, description: 'State; default OPEN.' })
  @Clearable()
  @IsEnum(TaskStatus)
  status?: TaskStatus | null;

  @Field(() => ExternalRefInput, { nullable: true, description: 'The mirroring ticket; unique per system and key.' })
  @Clearable()
  @ValidateNested()
  externalRef?: ExternalRefInput | null;
}

@InputType({ description: 'Changes to a treatment task; omitted fields stay as they are.' })
export class UpdateTreatmentTaskInput {
  @Field(() => ID, { nullable: true, description: 'The control the task implements; null clears it.' })
  @Clearable()
  @IsUUID('all', { message: 'must be a control id' })
  controlId?: string | null;

  @Field(() => String, { nullable: true, description: 'What has to be done.' })
  @Omittable()
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  title?: string;

  @Field(() => String, { nullable: true, description: 'Details; null clears them.' })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  description?: string | null;

  @Field(() => ID, { nullable: true, description: 'New assignee.' })
  @Omittable()
  @IsUUID('all', { message: 'must be an owner id' })
  assigneeId?: string;

  @Field(() => DateResolver, { nullable: true, description: 'Due date; null clears it.' })
  dueDate?: Date | null;

  @Field(() => TaskStatus, { nullable: true, description: 'State.' })
  @Omittable()
  @IsEnum(TaskStatus)
  status?: TaskStatus;

  @Field(() => ExternalRefInput, { nullable: true, description: 'The mirroring ticket; null unlinks it.' })
  @Clearable()
  @ValidateNested()
  externalRef?: ExternalRefInput | null;
}

@InputType({ description: 'A task as a ticketing system knows it: created when its ticket is new, updated otherwise.' })
export class UpsertTreatmentTaskInput {
  @Field(() => ExternalRefInput, { description: 'The ticket: system and key identify the task.' })
  @ValidateNested()
  externalRef!: ExternalRefInput;

  @Field(() => ID, { description: 'The risk the task treats.' })
  @IsUUID('all', { message: 'must be a risk id' })
  riskId!: string;

  @Field(() => ID, { nullable: true, description: 'The control the task implements, if any.' })
  @Clearable()
  @IsUUID('all', { message: 'must be a control id' })
  controlId?: string | null;

  @Field({ description: 'What has to be done.' })
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  title!: string;

  @Field(() => String, { nullable: true, description: 'Details.' })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  description?: string | null;

  @Field(() => ID, { description: 'Owner who does the work.' })
  @IsUUID('all', { message: 'must be an owner id' })
  assigneeId!: string;

  @Field(() => DateResolver, { nullable: true, description: 'Due date.' })
  dueDate?: Date | null;

  @Field(() => TaskStatus, { nullable: true, description: 'State; default OPEN on create, unchanged on update when omitted.' })
  @Clearable()
  @IsEnum(TaskStatus)
  status?: TaskStatus | null;
}

@InputType({ description: 'Which treatment tasks to list.' })
export class TreatmentTaskFilter {
  @Field(() => [TaskStatus], { nullable: true, description: 'Only these states.' })
  @Clearable()
  @IsEnum(TaskStatus, { each: true })
  status?: TaskStatus[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only tasks of these assignees.' })
  @Clearable()
  @IsUUID('all', { each: true })
  assigneeIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only tasks of these risks.' })
  @Clearable()
  @IsUUID('all', { each: true })
  riskIds?: string[] | null;

  @Field(() => String, { nullable: true, description: 'Only tasks mirrored in this ticketing system.' })
  @Clearable()
  @IsText()
  @MaxLength(32)
  externalSystem?: string | null;

  @Field(() => Date, { nullable: true, description: 'Only tasks changed at or after this time (for ticket sync polling).' })
  updatedSince?: Date | null;

  @Field(() => DateResolver, { nullable: true, description: 'Only tasks due before this date.' })
  dueBefore?: Date | null;

  @Field({ defaultValue: false, description: 'Include archived tasks.' })
  includeArchived: boolean = false;
}

export enum TreatmentTaskOrderField {
  CREATED_AT = 'createdAt',
  UPDATED_AT = 'updatedAt',
  TITLE = 'title',
}
export const TreatmentTaskOrder = OrderInput(TreatmentTaskOrderField, 'TreatmentTask', TreatmentTaskOrderField.CREATED_AT);
export type TreatmentTaskOrder = InstanceType<typeof TreatmentTaskOrder>;
