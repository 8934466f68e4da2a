import { Field, ID, InputType, Int } from 'type-graphql';
import { ArrayMaxSize, IsEnum, IsIn, IsInt, IsUUID, MaxLength, Min } from 'class-validator';
import { Clearable, IsText, TEXT_MAX } from '../../common/validation';
import { Applicability, InclusionDriver } from './soa.entity';

/** What a decision may set: UNDECIDED is only what reads show where nothing was set. */
export const DECIDED = [Applicability.APPLICABLE, Applicability.NOT_APPLICABLE, Applicability.INHERITED] as const;

/** Most rows one setApplicabilities call may carry (SP 800-53 has 1,189 controls). */
export const MAX_BULK_DECISIONS = 2_000;

@InputType({ description: 'The scope\'s decision on one requirement of its SoA; it replaces any earlier decision as a whole.' })
export class SetApplicabilityInput {
  @Field(() => ID, { description: 'The scope.' })
  @IsUUID('all', { message: 'must be a scope id' })
  scopeId!: string;

  @Field(() => ID, { description: 'An assessable requirement of kind CONTROL of a framework the scope adopts.' })
  @IsUUID('all', { message: 'must be a requirement id' })
  requirementId!: string;

  @Field(() => Applicability, { description: 'APPLICABLE, NOT_APPLICABLE or INHERITED (UNDECIDED is BAD_USER_INPUT).' })
  @IsIn(DECIDED, { message: 'must be APPLICABLE, NOT_APPLICABLE or INHERITED (UNDECIDED is only what reads show where nothing was set)' })
  applicability!: Applicability;

  @Field(() => String, { nullable: true, description: `Why; required unless APPLICABLE, at most ${TEXT_MAX} characters.` })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  justification?: string | null;

  @Field(() => [InclusionDriver], { nullable: true, description: 'Why the requirement is included; default none.' })
  @Clearable()
  @ArrayMaxSize(Object.keys(InclusionDriver).length)
  @IsEnum(InclusionDriver, { each: true })
  drivers?: InclusionDriver[] | null;

  @Field(() => Int, { nullable: true, description: 'When given, CONFLICT unless the entry is at this version (0: nothing was set yet).' })
  @Clearable()
  @IsInt()
  @Min(0)
  expectedVersion?: number | null;
}
