import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ArrayMaxSize, IsEnum, IsUUID, Length, Matches, Max, MaxLength, Min, IsInt } from 'class-validator';
import { Clearable, IsText, NAME_MAX, NOT_BLANK, Omittable, TEXT_MAX } from '../../common/validation';
import { OrderInput } from '../../common/pagination';
import { AssetKind, Criticality, Environment, NhiKind } from './asset.entity';

/** External ids (ARNs, resource paths) can be long; whole documents do not belong here. */
export const EXTERNAL_ID_MAX = 500;
export const SOURCE_SYSTEM_MAX = 100;
/** Ten years: longer intervals are no rotation policy. */
export const ROTATION_INTERVAL_MAX = 3650;
export const CONSUMERS_MAX = 100;

@InputType({ description: 'A new asset. The non-human identity fields (nhiKind … lastUsedAt) are accepted only for kind NON_HUMAN_IDENTITY, which requires nhiKind.' })
export class CreateAssetInput {
  @Field({ description: `Name, 1 to ${NAME_MAX} characters.` })
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  name!: string;

  @Field(() => AssetKind, { description: 'Kind of asset.' })
  @IsEnum(AssetKind)
  kind!: AssetKind;

  @Field(() => String, { nullable: true, description: 'Description.' })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  description?: string | null;

  @Field(() => ID, { nullable: true, description: 'Accountable owner; an asset without one is a finding (OWASP NHI1 for identities).' })
  @Clearable()
  @IsUUID('all', { message: 'must be an owner id' })
  ownerId?: string | null;

  @Field(() => Criticality, { nullable: true, description: 'Criticality; default MEDIUM.' })
  @Clearable()
  @IsEnum(Criticality)
  criticality?: Criticality | null;

  @Field(() => String, { nullable: true, description: `Id in the source system, 1 to ${EXTERNAL_ID_MAX} characters; given together with sourceSystem, unique with it.` })
  @Clearable()
  @IsText()
  @Length(1, EXTERNAL_ID_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  externalId?: string | null;

  @Field(() => String, { nullable: true, description: `The system the asset comes from (secrets manager, cloud inventory, CMDB), 1 to ${SOURCE_SYSTEM_MAX} characters; given together with externalId.` })
  @Clearable()
  @IsText()
  @Length(1, SOURCE_SYSTEM_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  sourceSystem?: string | null;

  @Field(() => [ID], { nullable: true, description: 'Scopes the asset belongs to; a key restricted to scopes must name at least one of its own.' })
  @Clearable()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true, message: 'must be scope ids' })
  scopeIds?: string[] | null;

  @Field(() => NhiKind, { nullable: true, description: 'Non-human identity: its kind (required for NON_HUMAN_IDENTITY).' })
  @Clearable()
  @IsEnum(NhiKind)
  nhiKind?: NhiKind | null;

  @Field(() => [Environment], { nullable: true, description: 'Non-human identity: environments it is used in.' })
  @Clearable()
  @IsEnum(Environment, { each: true })
  environments?: Environment[] | null;

  @Field(() => [ID], { nullable: true, description: `Non-human identity: the APPLICATION or SERVICE assets that use it (at most ${CONSUMERS_MAX}).` })
  @Clearable()
  @ArrayMaxSize(CONSUMERS_MAX)
  @IsUUID('all', { each: true, message: 'must be asset ids' })
  consumerIds?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: 'Non-human identity: holds privileged rights; default false.' })
  privileged?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Non-human identity: used by people; default false.' })
  humanUse?: boolean | null;

  @Field(() => Date, { nullable: true, description: 'Non-human identity: last rotation of its secret (not in the future).' })
  lastRotatedAt?: Date | null;

  @Field(() => Int, { nullable: true, description: `Non-human identity: days between rotations, 1 to ${ROTATION_INTERVAL_MAX}.` })
  @Clearable()
  @IsInt()
  @Min(1)
  @Max(ROTATION_INTERVAL_MAX)
  rotationIntervalDays?: number | null;

  @Field(() => Date, { nullable: true, description: 'Non-human identity: when the credential expires.' })
  expiresAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Non-human identity: last use seen (not in the future).' })
  lastUsedAt?: Date | null;
}

@InputType({ description: 'Changes to an asset; omitted fields stay as they are. Non-human identity fields are accepted only for NON_HUMAN_IDENTITY assets; consumerIds replaces the set.' })
export class UpdateAssetInput {
  @Field(() => String, { nullable: true, description: 'Name.' })
  @Omittable()
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  name?: string;

  @Field(() => AssetKind, { nullable: true, description: 'Kind; an asset cannot become or stop being a NON_HUMAN_IDENTITY.' })
  @Omittable()
  @IsEnum(AssetKind)
  kind?: AssetKind;

  @Field(() => String, { nullable: true, description: 'Description; null clears it.' })
  @Clearable()
  @IsText()
  @MaxLength(TEXT_MAX)
  description?: string | null;

  @Field(() => ID, { nullable: true, description: 'Owner; null leaves the asset without one.' })
  @Clearable()
  @IsUUID('all', { message: 'must be an owner id' })
  ownerId?: string | null;

  @Field(() => Criticality, { nullable: true, description: 'Criticality.' })
  @Omittable()
  @IsEnum(Criticality)
  criticality?: Criticality;

  @Field(() => String, { nullable: true, description: 'Id in the source system; null clears it (and needs sourceSystem cleared too).' })
  @Clearable()
  @IsText()
  @Length(1, EXTERNAL_ID_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  externalId?: string | null;

  @Field(() => String, { nullable: true, description: 'Source system; null clears it (and needs externalId cleared too).' })
  @Clearable()
  @IsText()
  @Length(1, SOURCE_SYSTEM_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  sourceSystem?: string | null;

  @Field(() => NhiKind, { nullable: true, description: 'Non-human identity: its kind.' })
  @Omittable()
  @IsEnum(NhiKind)
  nhiKind?: NhiKind;

  @Field(() => [Environment], { nullable: true, description: 'Non-human identity: environments; null or [] clears them.' })
  @Clearable()
  @IsEnum(Environment, { each: true })
  environments?: Environment[] | null;

  @Field(() => [ID], { nullable: true, description: 'Non-human identity: the APPLICATION or SERVICE assets that use it (replaces the set); null or [] clears it.' })
  @Clearable()
  @ArrayMaxSize(CONSUMERS_MAX)
  @IsUUID('all', { each: true, message: 'must be asset ids' })
  consumerIds?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: 'Non-human identity: holds privileged rights.' })
  @Omittable()
  privileged?: boolean;

  @Field(() => Boolean, { nullable: true, description: 'Non-human identity: used by people.' })
  @Omittable()
  humanUse?: boolean;

  @Field(() => Date, { nullable: true, description: 'Non-human identity: last rotation (use recordRotation to keep the history); null clears it.' })
  lastRotatedAt?: Date | null;

  @Field(() => Int, { nullable: true, description: `Non-human identity: days between rotations, 1 to ${ROTATION_INTERVAL_MAX}; null clears it.` })
  @Clearable()
  @IsInt()
  @Min(1)
  @Max(ROTATION_INTERVAL_MAX)
  rotationIntervalDays?: number | null;

  @Field(() => Date, { nullable: true, description: 'Non-human identity: when the credential expires; null clears it.' })
  expiresAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Non-human identity: last use seen; null clears it.' })
  lastUsedAt?: Date | null;
}

@InputType({ description: 'Which assets to list.' })
export class AssetFilter {
  @Field(() => [AssetKind], { nullable: true, description: 'Only these kinds.' })
  @Clearable()
  @IsEnum(AssetKind, { each: true })
  kinds?: AssetKind[] | null;

  @Field(() => [NhiKind], { nullable: true, description: 'Only non-human identities of these kinds.' })
  @Clearable()
  @IsEnum(NhiKind, { each: true })
  nhiKinds?: NhiKind[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only assets of these owners.' })
  @Clearable()
  @IsUUID('all', { each: true })
  ownerIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only assets in one of these scopes.' })
  @Clearable()
  @IsUUID('all', { each: true })
  scopeIds?: string[] | null;

  @Field(() => [Environment], { nullable: true, description: 'Only identities used in at least one of these environments.' })
  @Clearable()
  @IsEnum(Environment, { each: true })
  environments?: Environment[] | null;

  @Field(() => Date, { nullable: true, description: 'Only unrevoked non-human identities whose next rotation (see Asset.nextRotationAt) is before this time.' })
  rotationDueBefore?: Date | null;

  @Field(() => String, { nullable: true, description: 'Only assets of this source system.' })
  @Clearable()
  @IsText()
  @MaxLength(SOURCE_SYSTEM_MAX)
  sourceSystem?: string | null;

  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of name or external id.' })
  @Clearable()
  @IsText()
  @MaxLength(NAME_MAX)
  search?: string | null;

  @Field({ defaultValue: false, description: 'Include revoked non-human identities.' })
  includeRevoked: boolean = false;

  @Field({ defaultValue: false, description: 'Include archived assets.' })
  includeArchived: boolean = false;
}

export enum AssetOrderField {
  NAME = 'name',
  KIND = 'kind',
  CRITICALITY = 'criticality',
  CREATED_AT = 'createdAt',
  UPDATED_AT = 'updatedAt',
}
export const AssetOrder = OrderInput(AssetOrderField, 'Asset', AssetOrderField.NAME);
export type AssetOrder = InstanceType<typeof AssetOrder>;

export enum NhiDocumentFormat {
  JSON = 'JSON',
  CSV = 'CSV',
}
registerEnumType(NhiDocumentFormat, {
  name: 'NhiDocumentFormat',
  description: 'Format of a non-human identity inventory export.',
  valuesConfig: {
    JSON: { description: 'An array of identity objects, or `{ "items": [...] }` (see importNonHumanIdentities).' },
    CSV: { description: 'A header line, then one identity per line, with the same column names as the JSON keys.' },
  },
});

@InputType({
  description: `An inventory export of non-human identities (secrets manager, cloud IAM, CI/CD), upserted by sourceSystem + id, all or nothing.

JSON: \`[{ "id": "…", "name": "…", "type": "service_account", "owner": "alice@example.com", "environments": ["production"], "consumers": ["billing-api"], "privileged": true, "humanUse": false, "lastRotated": "2025-01-31", "rotationDays": 90, "expires": "2026-01-31T00:00:00Z", "lastUsed": "2025-06-01T12:00:00Z" }]\`, or the same array as \`{ "items": [...] }\`.
CSV: a header line with the same names, then one identity per line; list cells (environments, consumers) separate values with \`;\` or \`|\`.

Keys and columns are matched case-insensitively, ignoring \`_\`, \`-\` and spaces; accepted aliases: \`externalId\` for id; \`kind\`/\`nhiKind\` for type; \`ownerEmail\` for owner; \`environment\`/\`env\` for environments; \`usedBy\` for consumers; \`lastRotatedAt\`/\`rotatedAt\` for lastRotated; \`rotationIntervalDays\`/\`rotationInterval\` for rotationDays; \`expiresAt\`/\`expiry\`/\`expiration\` for expires; \`lastUsedAt\` for lastUsed. Other keys are ignored and reported.

Values: \`id\` required; \`name\` defaults to the id; \`type\` one of service_account, api_key, oauth_client, secret, certificate, workload_identity, ai_agent (any case, \`-\` or space for \`_\`); \`owner\` an owner's e-mail or name (when absent: the input's ownerId, else the asset keeps its owner); environments production|prod, staging|stage|stg, development|dev, test|testing; consumers the names or external ids of APPLICATION or SERVICE assets the key may see; privileged and humanUse true|false|yes|no|1|0 (default false); dates ISO-8601 (a bare date is midnight UTC); rotationDays 1 to ${ROTATION_INTERVAL_MAX}. A value left out or empty is stored as empty (no date, no environments, no consumers, false).

Every fault is BAD_USER_INPUT naming \`extensions.path\` (JSON, e.g. \`[3].type\`) or \`extensions.line\` (CSV, header = line 1); nothing is written then.`,
})
export class ImportNonHumanIdentitiesInput {
  @Field({ description: 'The export, JSON or CSV text.' })
  @IsText()
  document!: string;

  @Field(() => NhiDocumentFormat, { description: 'JSON or CSV.' })
  @IsEnum(NhiDocumentFormat)
  format!: NhiDocumentFormat;

  @Field({ description: `The system the export comes from, e.g. \`aws-iam\` or \`vault-prod\`, 1 to ${SOURCE_SYSTEM_MAX} characters: with each row's id it identifies the asset.` })
  @IsText()
  @Length(1, SOURCE_SYSTEM_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  sourceSystem!: string;

  @Field(() => [ID], { nullable: true, description: 'Scopes of the identities the import creates (existing ones keep theirs); a key restricted to scopes must name at least one of its own.' })
  @Clearable()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true, message: 'must be scope ids' })
  scopeIds?: string[] | null;

  @Field(() => ID, { nullable: true, description: 'Owner of rows that name none.' })
  @Clearable()
  @IsUUID('all', { message: 'must be an owner id' })
  ownerId?: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'What an import of non-human identities did.' })
export class NhiImportResult {
  @Field(() => Int, { description: 'Rows read from the document.' })
  rowsRead!: number;

  @Field(() => Int, { description: 'Identities created (each with an IMPORTED lifecycle event).' })
  created!: number;

  @Field(() => Int, { description: 'Existing identities changed (each with an UPDATED lifecycle event).' })
  updated!: number;

  @Field(() => Int, { description: 'Existing identities the document describes as they already are: nothing written for them.' })
  unchanged!: number;

  @Field(() => [String], { description: 'Keys or columns the importer does not know and did not read.' })
  ignoredFields!: string[];
}
