import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { ConnectionType, PageArgs } from '../common/pagination';
import { Owner } from '../modules/owner/owner.entity';
import { Asset } from '../modules/asset/asset.entity';
import { ApiKey } from './api-key.entity';
import { AllowedOperation } from './allowed-operation.entity';
import { ApiKeyFilter, CreateApiKeyInput, CreatedApiKey } from './api-key.inputs';
import { apiKeyService } from './api-key.service';
import { Permission } from './permissions';

export const ApiKeyConnection = ConnectionType(ApiKey, 'ApiKey');

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Authorized(Permission.ADMIN)
  @Query(() => ApiKeyConnection, { description: 'API keys, newest first (admin). A scope-restricted admin sees the keys confined to its scopes.' })
  apiKeys(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => ApiKeyFilter, { nullable: true, description: 'Which keys.' }) filter?: ApiKeyFilter,
  ) {
    return apiKeyService.list(ctx, filter ?? new ApiKeyFilter(), page);
  }

  @FieldResolver(() => Owner, { description: 'Accountable owner of the key.' })
  async owner(@Root() key: ApiKey, @Ctx() ctx: Context): Promise<Owner> {
    return (await ctx.loaders.owner.load(key.ownerId))!;
  }

  @FieldResolver(() => Asset, { description: 'The key as a non-human identity in the asset inventory (nhiKind API_KEY): its rotation, use and revocation lifecycle.' })
  async asset(@Root() key: ApiKey, @Ctx() ctx: Context): Promise<Asset> {
    return (await ctx.loaders.asset.load(key.assetId))!;
  }

  @FieldResolver(() => [AllowedOperation], { description: 'The operations the key may run when `allowListBound`, oldest binding first (empty otherwise).' })
  allowedOperations(@Root() key: ApiKey, @Ctx() ctx: Context): Promise<AllowedOperation[]> {
    return ctx.loaders.apiKeyAllowedOperations.load(key.id);
  }

  @Authorized(Permission.ADMIN)
  @Mutation(() => CreatedApiKey, { description: 'Creates a key within the calling key\'s own rights and scopes; the secret is returned only here.' })
  createApiKey(
    @Ctx() ctx: Context,
    @Arg('input', () => CreateApiKeyInput, { description: 'The key.' }) input: CreateApiKeyInput,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'Retry key; a replay is refused because the secret is shown only once.' }) idempotencyKey?: string,
  ): Promise<CreatedApiKey> {
    return apiKeyService.create(ctx, input, idempotencyKey);
  }

  @Authorized(Permission.ADMIN)
  @Mutation(() => ApiKey, { description: 'Revokes a key: every later request with it is UNAUTHENTICATED.' })
  revokeApiKey(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Key id.' }) id: string): Promise<ApiKey> {
    return apiKeyService.revoke(ctx, id);
  }

  @Authorized(Permission.ADMIN)
  @Mutation(() => CreatedApiKey, { description: 'Issues a new secret for the key (same id, permissions and expiry) and returns it, only here. The previous secret keeps working for API_KEY_ROTATION_OVERLAP_MS (see `previousSecretExpiresAt`); the key\'s asset gets a ROTATED event. A revoked or expired key is INVALID_TRANSITION.' })
  rotateApiKey(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Key id.' }) id: string): Promise<CreatedApiKey> {
    return apiKeyService.rotate(ctx, id);
  }
}
