import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ArrayMaxSize, ArrayMinSize, IsEnum, IsInt, IsUUID, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { Clearable, IsText, NAME_MAX, NOT_BLANK } from '../common/validation';
import { ApiKey } from './api-key.entity';
import { Permission } from './permissions';

export const DEFAULT_KEY_DAYS = 90;
export const MAX_KEY_DAYS = 365;

@InputType({ description: 'A new API key.' })
export class CreateApiKeyInput {
  @Field({ description: 'What the key is for.' })
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  name!: string;

  @Field(() => ID, { description: 'Accountable owner of the key.' })
  @IsUUID('all', { message: 'must be an owner id' })
  ownerId!: string;

  @Field(() => [Permission], { description: 'Rights; within the creating key\'s own.' })
  @ArrayMinSize(1)
  @ArrayMaxSize(5)
  @IsEnum(Permission, { each: true })
  permissions!: Permission[];

  @Field(() => [ID], { nullable: true, description: 'Restrict the key to these scopes and their children; omit for all scopes.' })
  @Clearable()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  scopeIds?: string[] | null;

  @Field(() => Date, { nullable: true, description: `Expiry; default ${DEFAULT_KEY_DAYS} days, at most ${MAX_KEY_DAYS} days ahead.` })
  expiresAt?: Date | null;

  @Field(() => Int, { nullable: true, description: 'The key\'s own rate limit in requests per minute (0 = unlimited); omit for the server default (RATE_LIMIT_PER_MINUTE).' })
  @Clearable()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  rateLimitPerMinute?: number | null;
}

@ObjectType({ simpleResolvers: true, description: 'A created key with its secret, which is never shown again.' })
export class CreatedApiKey {
  @Field(() => ApiKey, { description: 'The key.' })
  apiKey!: ApiKey;

  @Field({ description: 'The secret to send as `Authorization: Bearer <secret>`.' })
  secret!: string;
}

@InputType({ description: 'Which API keys to list.' })
export class ApiKeyFilter {
  @Field(() => [ID], { nullable: true, description: 'Only keys of these owners.' })
  @Clearable()
  @IsUUID('all', { each: true })
  ownerIds?: string[] | null;

  @Field({ defaultValue: false, description: 'Include revoked and expired keys.' })
  includeInactive: boolean = false;
}

/** Largest registered document: a stored query, not an import. */
export const DOCUMENT_MAX = 100_000;

@InputType({ description: 'A GraphQL document to register for operation allow-lists.' })
export class RegisterAllowedOperationInput {
  @Field({ description: 'A name for people, e.g. `powerbi-risk-register`.' })
  @IsText()
  @Length(1, NAME_MAX)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  name!: string;

  @Field({ description: 'The document exactly as clients will send it as `query`: its SHA-256 over the exact UTF-8 bytes is what is matched, so whitespace and comments count.' })
  @IsText()
  @Length(1, DOCUMENT_MAX)
  document!: string;
}

@InputType({ description: 'Which allowed operations to list.' })
export class AllowedOperationFilter {
  @Field(() => ID, { nullable: true, description: 'Only the operations this key is bound to.' })
  @Clearable()
  @IsUUID('all')
  apiKeyId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only the operation with this document hash (lower-case hex SHA-256).' })
  @Clearable()
  @IsText()
  @MaxLength(64)
  documentHash?: string | null;
}
