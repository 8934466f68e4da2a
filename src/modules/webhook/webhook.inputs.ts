import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { ArrayMaxSize, ArrayMinSize, IsEnum, IsUUID, MaxLength } from 'class-validator';
import { Clearable, IsText } from '../../common/validation';
import { EntityType } from '../../db/events';
import { WebhookDeliveryStatus, WebhookEndpoint, WebhookEndpointStatus } from './webhook.entity';
import { WEBHOOK_URL_MAX } from './url-check';

export const DESCRIPTION_MAX = 1000;

@InputType({ description: 'A new webhook endpoint.' })
export class CreateWebhookEndpointInput {
  @Field({ description: `The http(s) URL to POST deliveries to (at most ${WEBHOOK_URL_MAX} characters). Hosts that resolve to private, loopback or link-local addresses are refused unless WEBHOOK_ALLOW_PRIVATE is set.` })
  @IsText()
  @MaxLength(WEBHOOK_URL_MAX)
  url!: string;

  @Field(() => [EntityType], { nullable: true, description: 'Entity types whose changes it receives; omitted or empty = every type (API keys never).' })
  @Clearable()
  @ArrayMaxSize(50)
  @IsEnum(EntityType, { each: true })
  eventTypes?: EntityType[] | null;

  @Field(() => [ID], { nullable: true, description: 'Receive only the changes of these scopes and their children (plus owners, frameworks and crosswalks); omit for every change. A scope-restricted key must name scopes within its own.' })
  @Clearable()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  scopeIds?: string[] | null;

  @Field(() => String, { nullable: true, description: `What the endpoint is for (at most ${DESCRIPTION_MAX} characters).` })
  @Clearable()
  @IsText()
  @MaxLength(DESCRIPTION_MAX)
  description?: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'A created endpoint with its signing secret, which is shown only here.' })
export class CreatedWebhookEndpoint {
  @Field(() => WebhookEndpoint, { description: 'The endpoint.' })
  endpoint!: WebhookEndpoint;

  @Field({ description: 'The Standard Webhooks signing secret (`whsec_` + base64 key): verify `webhook-signature` with it. Not retrievable later.' })
  secret!: string;
}

@InputType({ description: 'Which webhook endpoints to list.' })
export class WebhookEndpointFilter {
  @Field(() => [WebhookEndpointStatus], { nullable: true, description: 'Only these statuses.' })
  @Clearable()
  @IsEnum(WebhookEndpointStatus, { each: true })
  status?: WebhookEndpointStatus[] | null;

  @Field({ defaultValue: false, description: 'Include deleted (archived) endpoints.' })
  includeArchived: boolean = false;
}

@InputType({ description: 'Which webhook deliveries to list.' })
export class WebhookDeliveryFilter {
  @Field(() => ID, { nullable: true, description: 'Only deliveries to this endpoint.' })
  @Clearable()
  @IsUUID('all', { message: 'must be a webhook endpoint id' })
  endpointId?: string | null;

  @Field(() => [WebhookDeliveryStatus], { nullable: true, description: 'Only these statuses.' })
  @Clearable()
  @IsEnum(WebhookDeliveryStatus, { each: true })
  status?: WebhookDeliveryStatus[] | null;

  @Field(() => ID, { nullable: true, description: 'Only deliveries of this event (`WebhookEvent.id`).' })
  @Clearable()
  @IsUUID('all', { message: 'must be an event id' })
  eventId?: string | null;
}
