import { Field, ID, InputType, registerEnumType } from 'type-graphql';
import { IsEnum, IsUUID, Length, Matches, MaxLength } from 'class-validator';
import { Clearable, IsText, NAME_MAX, NOT_BLANK, Omittable } from '../../common/validation';
import { OrderInput } from '../../common/pagination';
import { EvidenceKind } from './evidence.entity';

/** A URL, document id or ticket key: long URLs exist, whole documents do not belong here. */
export const REFERENCE_MAX = 2_000;

export enum EvidenceFreshness {
  FRESH = 'FRESH',
  STALE = 'STALE',
  NONE = 'NONE',
}
registerEnumType(EvidenceFreshness, {
  name: 'EvidenceFreshness',
  description: 'How current the active (not archived) evidence of one or more controls is, taken together.',
  valuesConfig: {
    FRESH: { description: 'At least one active evidence item is not past its validUntil (or has none).' },
    STALE: { description: 'There is active evidence, but every item is past its validUntil.' },
    NONE: { description: 'No active evidence at all.' },
  },
});

@InputType({ description: 'A new evidence item for a control.' })
export class CreateEvidenceInput {
  @Field(() => ID, { description: 'The control the evidence proves; the key must see it (through one of its scopes).' })
  @IsUUID('all', { message: 'must be a control id' })
  controlId!: string;

  @Field(() => ID, { description: 'The evidence owner: who keeps it current.' })
  @IsUUID('all', { message: 'must be an owner id' })
  ownerId!: string;

  @Field({ description: `Short title, 1 to ${NAME_MAX} characters.` })
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  title!: string;

  @Field(() => EvidenceKind, { description: 'Kind of proof.' })
  @IsEnum(EvidenceKind)
  kind!: EvidenceKind;

  @Field({ description: `Where the proof is: a URL, document id or ticket key, 1 to ${REFERENCE_MAX} characters.` })
  @IsText()
  @Length(1, REFERENCE_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  reference!: string;

  @Field(() => Date, { description: 'When the proof was collected (not in the future).' })
  collectedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Until when the proof is valid (after collectedAt); null: it does not expire.' })
  validUntil?: Date | null;
}

@InputType({ description: 'Changes to an evidence item; omitted fields stay as they are.' })
export class UpdateEvidenceInput {
  @Field(() => ID, { nullable: true, description: 'New evidence owner.' })
  @Omittable()
  @IsUUID('all', { message: 'must be an owner id' })
  ownerId?: string;

  @Field(() => String, { nullable: true, description: 'Short title.' })
  @Omittable()
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  title?: string;

  @Field(() => EvidenceKind, { nullable: true, description: 'Kind of proof.' })
  @Omittable()
  @IsEnum(EvidenceKind)
  kind?: EvidenceKind;

  @Field(() => String, { nullable: true, description: 'Where the proof is.' })
  @Omittable()
  @IsText()
  @Length(1, REFERENCE_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  reference?: string;

  @Field(() => Date, { nullable: true, description: 'When the proof was collected (not in the future).' })
  @Omittable()
  collectedAt?: Date;

  @Field(() => Date, { nullable: true, description: 'Until when the proof is valid (after collectedAt); null: it does not expire.' })
  validUntil?: Date | null;
}

@InputType({ description: 'Which evidence to list.' })
export class EvidenceFilter {
  @Field(() => [ID], { nullable: true, description: 'Only evidence of these controls.' })
  @Clearable()
  @IsUUID('all', { each: true })
  controlIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only evidence of these evidence owners.' })
  @Clearable()
  @IsUUID('all', { each: true })
  ownerIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only evidence of controls operating in one of these scopes.' })
  @Clearable()
  @IsUUID('all', { each: true })
  scopeIds?: string[] | null;

  @Field(() => [EvidenceKind], { nullable: true, description: 'Only these kinds.' })
  @Clearable()
  @IsEnum(EvidenceKind, { each: true })
  kind?: EvidenceKind[] | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only items past validUntil; false: only items still valid (or without validUntil).' })
  stale?: boolean | null;

  @Field(() => Date, { nullable: true, description: 'Only items whose validUntil is before this time (items without validUntil never match).' })
  validBefore?: Date | null;

  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of title or reference.' })
  @Clearable()
  @IsText()
  @MaxLength(NAME_MAX)
  search?: string | null;

  @Field({ defaultValue: false, description: 'Include archived evidence.' })
  includeArchived: boolean = false;
}

export enum EvidenceOrderField {
  COLLECTED_AT = 'collectedAt',
  TITLE = 'title',
  CREATED_AT = 'createdAt',
  UPDATED_AT = 'updatedAt',
}
export const EvidenceOrder = OrderInput(EvidenceOrderField, 'Evidence', EvidenceOrderField.COLLECTED_AT);
export type EvidenceOrder = InstanceType<typeof EvidenceOrder>;
