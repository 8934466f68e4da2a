import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { ArrayMaxSize, ArrayMinSize, IsEnum, IsString, IsUUID, Length, Matches } from 'class-validator';
import { Clearable, NAME_MAX, NOT_BLANK } from '../common/validation';
import { ApiKey } from './api-key.entity';
import { Permission } from './permissions';

export const DEFAULT_KEY_DAYS = 90;
export const MAX_KEY_DAYS = 365;

@InputType({ description: 'A new API key.' })
export class CreateApiKeyInput {
  @Field({ description: 'What the key is for.' })
  @IsString()
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
