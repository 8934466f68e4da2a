import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { ConnectionType, PageArgs } from '../common/pagination';
import { ApiKey } from './api-key.entity';
import { AllowedOperation } from './allowed-operation.entity';
import { AllowedOperationFilter, RegisterAllowedOperationInput } from './api-key.inputs';
import { allowedOperationService } from './allowed-operation.service';
import { Permission } from './permissions';

export const AllowedOperationConnection = ConnectionType(AllowedOperation, 'AllowedOperation');

/** Operation allow-lists: registered documents and the keys bound to them (admin). */
@Resolver(() => AllowedOperation)
export class AllowedOperationResolver {
  @Authorized(Permission.ADMIN)
  @Query(() => AllowedOperationConnection, { description: 'Registered operations for allow-lists, oldest first (admin).' })
  allowedOperations(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => AllowedOperationFilter, { nullable: true, description: 'Which operations.' }) filter?: AllowedOperationFilter,
  ) {
    return allowedOperationService.list(ctx, filter ?? new AllowedOperationFilter(), page);
  }

  @Authorized(Permission.ADMIN)
  @Mutation(() => AllowedOperation, { description: 'Registers a GraphQL document that keys can be allowed to run, by the SHA-256 of its exact text. BAD_USER_INPUT (document) when it does not parse; CONFLICT when the same text is registered already.' })
  registerAllowedOperation(
    @Ctx() ctx: Context,
    @Arg('input', () => RegisterAllowedOperationInput, { description: 'The operation.' }) input: RegisterAllowedOperationInput,
  ): Promise<AllowedOperation> {
    return allowedOperationService.register(ctx, input);
  }

  @Authorized(Permission.ADMIN)
  @Mutation(() => ApiKey, { description: 'Binds a key to an operation allow-list and adds these operations to it: from then on the key runs only registered documents bound to it (HTTP and WebSocket); anything else is FORBIDDEN. An empty list binds the key to nothing.' })
  bindApiKeyToAllowList(
    @Ctx() ctx: Context,
    @Arg('keyId', () => ID, { description: 'Key id.' }) keyId: string,
    @Arg('operationIds', () => [ID], { description: 'Registered operations to allow.' }) operationIds: string[],
  ): Promise<ApiKey> {
    return allowedOperationService.bind(ctx, keyId, operationIds);
  }

  @Authorized(Permission.ADMIN)
  @Mutation(() => ApiKey, { description: 'Removes operations from a key\'s allow-list; the key stays bound (with none left it can run nothing). Without `operationIds`, every binding goes and the key is released from the allow-list.' })
  unbindApiKeyFromAllowList(
    @Ctx() ctx: Context,
    @Arg('keyId', () => ID, { description: 'Key id.' }) keyId: string,
    @Arg('operationIds', () => [ID], { nullable: true, description: 'Operations to remove; omit to release the key from the allow-list.' }) operationIds?: string[] | null,
  ): Promise<ApiKey> {
    return allowedOperationService.unbind(ctx, keyId, operationIds);
  }
}
