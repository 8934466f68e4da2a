import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { ConnectionType, PageArgs } from '../../common/pagination';
import { OutboxEvent, webhookEventType } from './outbox-event.entity';
import { WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint } from './webhook.entity';
import { CreatedWebhookEndpoint, CreateWebhookEndpointInput, WebhookDeliveryFilter, WebhookEndpointFilter } from './webhook.inputs';
import { webhookService } from './webhook.service';

export const WebhookEndpointConnection = ConnectionType(WebhookEndpoint, 'WebhookEndpoint');
export const WebhookDeliveryConnection = ConnectionType(WebhookDelivery, 'WebhookDelivery');

@Resolver(() => WebhookEndpoint)
export class WebhookEndpointResolver {
  @Authorized(Permission.ADMIN)
  @Query(() => WebhookEndpoint, { description: 'One webhook endpoint (admin); NOT_FOUND when absent or, for a scope-restricted key, not confined to its scopes.' })
  webhookEndpoint(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Endpoint id.' }) id: string): Promise<WebhookEndpoint> {
    return webhookService.get(ctx, id);
  }

  @Authorized(Permission.ADMIN)
  @Query(() => WebhookEndpointConnection, { description: 'Webhook endpoints, newest first (admin). A scope-restricted admin sees the endpoints confined to its scopes.' })
  webhookEndpoints(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => WebhookEndpointFilter, { nullable: true, description: 'Which endpoints.' }) filter?: WebhookEndpointFilter,
  ) {
    return webhookService.list(ctx, filter ?? new WebhookEndpointFilter(), page);
  }

  @Authorized(Permission.ADMIN)
  @Mutation(() => CreatedWebhookEndpoint, {
    description: 'Creates a webhook endpoint (admin) and returns its signing secret, shown only here (and to a retry with the same idempotencyKey). Only http(s) URLs; private, loopback and link-local hosts are BAD_USER_INPUT unless WEBHOOK_ALLOW_PRIVATE is set.',
  })
  createWebhookEndpoint(
    @Ctx() ctx: Context,
    @Arg('input', () => CreateWebhookEndpointInput, { description: 'The endpoint.' }) input: CreateWebhookEndpointInput,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'Retry key: the same key and input return the endpoint first created, with its secret.' }) idempotencyKey?: string,
  ): Promise<CreatedWebhookEndpoint> {
    return webhookService.create(ctx, input, idempotencyKey);
  }

  @Authorized(Permission.ADMIN)
  @Mutation(() => WebhookEndpoint, { description: 'Stops deliveries to an endpoint; its pending deliveries wait, and events written meanwhile are not queued for it. Disabling it again changes nothing.' })
  disableWebhookEndpoint(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Endpoint id.' }) id: string): Promise<WebhookEndpoint> {
    return webhookService.disable(ctx, id);
  }

  @Authorized(Permission.ADMIN)
  @Mutation(() => WebhookEndpoint, { description: 'Resumes deliveries to a disabled endpoint (also one disabled after repeated failure); its failure streak starts over.' })
  enableWebhookEndpoint(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Endpoint id.' }) id: string): Promise<WebhookEndpoint> {
    return webhookService.enable(ctx, id);
  }

  @Authorized(Permission.ADMIN)
  @Mutation(() => WebhookEndpoint, { description: 'Deletes an endpoint: archived (kept for the delivery log), receives nothing more, undelivered deliveries CANCELLED.' })
  deleteWebhookEndpoint(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Endpoint id.' }) id: string): Promise<WebhookEndpoint> {
    return webhookService.delete(ctx, id);
  }
}

@Resolver(() => WebhookDelivery)
export class WebhookDeliveryResolver {
  @Authorized(Permission.ADMIN)
  @Query(() => WebhookDeliveryConnection, { description: 'The webhook delivery log, newest first (admin). A scope-restricted admin sees the deliveries of endpoints confined to its scopes.' })
  webhookDeliveries(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => WebhookDeliveryFilter, { nullable: true, description: 'Which deliveries.' }) filter?: WebhookDeliveryFilter,
  ) {
    return webhookService.deliveries(ctx, filter ?? new WebhookDeliveryFilter(), page);
  }

  @Authorized(Permission.ADMIN)
  @Mutation(() => WebhookDelivery, { description: 'Queues a delivery again (admin), due now with a fresh retry budget and the same `webhook-id`, whatever its status. INVALID_TRANSITION when its endpoint is disabled or deleted.' })
  redeliverWebhook(@Ctx() ctx: Context, @Arg('deliveryId', () => ID, { description: 'Delivery id.' }) deliveryId: string): Promise<WebhookDelivery> {
    return webhookService.redeliver(ctx, deliveryId);
  }

  @FieldResolver(() => WebhookEndpoint, { description: 'The endpoint it goes to.' })
  async endpoint(@Root() delivery: WebhookDelivery, @Ctx() ctx: Context): Promise<WebhookEndpoint> {
    return (await ctx.loaders.webhookEndpoint.load(delivery.endpointId))!;
  }

  @FieldResolver(() => OutboxEvent, { description: 'The change it carries.' })
  async event(@Root() delivery: WebhookDelivery, @Ctx() ctx: Context): Promise<OutboxEvent> {
    return (await ctx.loaders.webhookEvent.load(delivery.eventId))!;
  }

  @FieldResolver(() => Date, { nullable: true, description: 'When the next attempt is due (null unless PENDING).' })
  nextAttemptAt(@Root() delivery: WebhookDelivery): Date | null {
    return delivery.status === WebhookDeliveryStatus.PENDING ? delivery.nextAttemptAt : null;
  }
}

@Resolver(() => OutboxEvent)
export class WebhookEventResolver {
  @FieldResolver(() => String, { description: 'The body\'s `type`: entity type and action in lower case, e.g. `risk.updated`.' })
  type(@Root() event: OutboxEvent): string {
    return webhookEventType(event);
  }
}
