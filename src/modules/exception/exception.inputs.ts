import { Field, ID, InputType } from 'type-graphql';
import { ArrayMaxSize, IsEnum, IsUUID, Length, Matches } from 'class-validator';
import { Clearable, IsText, NOT_BLANK, TEXT_MAX } from '../../common/validation';
import { OrderInput } from '../../common/pagination';
import { ExceptionKind, ExceptionStatus } from './exception.entity';

@InputType({ description: 'A request for a control exception or a risk acceptance.' })
export class RequestExceptionInput {
  @Field(() => ExceptionKind, { description: 'CONTROL_EXCEPTION (needs controlId, requirementId or both) or RISK_ACCEPTANCE (needs riskId).' })
  @IsEnum(ExceptionKind)
  kind!: ExceptionKind;

  @Field(() => ID, { description: 'The scope the exception applies to.' })
  @IsUUID('all', { message: 'must be a scope id' })
  scopeId!: string;

  @Field(() => ID, { nullable: true, description: 'Control exception: the control that is not met (it must operate in the scope).' })
  @Clearable()
  @IsUUID('all', { message: 'must be a control id' })
  controlId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Control exception: the framework requirement that is not met (instead of or with controlId).' })
  @Clearable()
  @IsUUID('all', { message: 'must be a requirement id' })
  requirementId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Risk acceptance: the risk retained (in the same scope, residual score above the appetite).' })
  @Clearable()
  @IsUUID('all', { message: 'must be a risk id' })
  riskId?: string | null;

  @Field({ description: 'Why the exception is needed.' })
  @IsText()
  @Length(1, TEXT_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  justification!: string;

  @Field(() => [ID], { nullable: true, description: 'Controls that compensate.' })
  @Clearable()
  @ArrayMaxSize(50)
  @IsUUID('all', { each: true, message: 'must be control ids' })
  compensatingControlIds?: string[] | null;

  @Field(() => ID, { description: 'Owner who requests it (named by the calling tool).' })
  @IsUUID('all', { message: 'must be an owner id' })
  requestedById!: string;

  @Field(() => Date, { nullable: true, description: 'Requested end; the approver sets the final one.' })
  expiresAt?: Date | null;
}

@InputType({ description: 'Which exceptions to list.' })
export class ExceptionFilter {
  @Field(() => [ExceptionKind], { nullable: true, description: 'Only these kinds.' })
  @Clearable()
  @IsEnum(ExceptionKind, { each: true })
  kind?: ExceptionKind[] | null;

  @Field(() => [ExceptionStatus], { nullable: true, description: 'Only these states (EXPIRED as read from expiresAt).' })
  @Clearable()
  @IsEnum(ExceptionStatus, { each: true })
  status?: ExceptionStatus[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only exceptions of these scopes.' })
  @Clearable()
  @IsUUID('all', { each: true })
  scopeIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only exceptions about these risks.' })
  @Clearable()
  @IsUUID('all', { each: true })
  riskIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only exceptions about these controls.' })
  @Clearable()
  @IsUUID('all', { each: true })
  controlIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only control exceptions naming these requirements.' })
  @Clearable()
  @IsUUID('all', { each: true })
  requirementIds?: string[] | null;

  @Field(() => Date, { nullable: true, description: 'Only approved, unexpired exceptions that expire before this time.' })
  expiringBefore?: Date | null;
}

export enum ExceptionOrderField {
  CREATED_AT = 'createdAt',
  UPDATED_AT = 'updatedAt',
}
export const ExceptionOrder = OrderInput(ExceptionOrderField, 'Exception', ExceptionOrderField.CREATED_AT);
export type ExceptionOrder = InstanceType<typeof ExceptionOrder>;
