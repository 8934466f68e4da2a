import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { badInput, forbidden, invalidTransition, notFound } from '../../common/errors';
import { paginate, SortDirection, type Connection, type PageRequest } from '../../common/pagination';
import { isUuid } from '../../common/validation';
import { lockRow } from '../../common/versioning';
import { inTransaction } from '../../db/transaction';
import { EntityType } from '../../db/events';
import { visibleScopeIds } from '../../auth/visibility';
import { AuditEvent } from '../audit/audit.entity';
import { claimCreate } from '../idempotency/idempotency.service';
import { Scope } from '../scope/scope.entity';
import { WebhookDelivery, WebhookEndpoint, WebhookEndpointStatus } from './webhook.entity';
import type { CreateWebhookEndpointInput, WebhookDeliveryFilter, WebhookEndpointFilter } from './webhook.inputs';
import { generateWebhookSecret } from './webhook.signing';
import { checkWebhookUrl, WebhookUrlError } from './url-check';

const ENDPOINT = 'Webhook endpoint';
const DELIVERY = 'Webhook delivery';

type PageArgs = Omit<PageRequest, 'orderColumn' | 'orderProperty' | 'direction'>;

/** Audit rows never hold the signing secret. */
function shown(endpoint: WebhookEndpoint | null): Record<string, unknown> | null {
  if (!endpoint) return null;
  const { secret: _hidden, ...rest } = endpoint;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

/**
 * Webhook configuration is audited like every write, but sends no change event and no webhook of
 * its own (like calendar tokens): endpoints are integration plumbing, not ISMS data.
 */
export async function auditWebhookWrite(
  tx: EntityManager,
  ctx: { principal: Context['principal']; requestId: string },
  entry: { operation: string; entityType: 'WEBHOOK_ENDPOINT' | 'WEBHOOK_DELIVERY'; entityId: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null; scopeIds: string[] },
): Promise<void> {
  await tx.insert(AuditEvent, {
    id: randomUUID(),
    actorKeyId: ctx.principal?.keyId ?? null,
    operation: entry.operation,
    entityType: entry.entityType,
    entityId: entry.entityId,
    before: entry.before as never,
    after: entry.after as never,
    scopeIds: entry.scopeIds,
    requestId: ctx.requestId,
  });
}

/** A restricted admin manages only endpoints confined to its own scopes; others read as NOT_FOUND. */
async function canManage(ctx: Context, endpoint: WebhookEndpoint): Promise<boolean> {
  const allowed = await visibleScopeIds(ctx);
  return allowed === null || (endpoint.scopeIds !== null && endpoint.scopeIds.every((id) => allowed.includes(id)));
}

async function lockEndpoint(ctx: Context, tx: EntityManager, id: string): Promise<WebhookEndpoint> {
  const endpoint = await lockRow(tx, WebhookEndpoint, id, ENDPOINT);
  if (!(await canManage(ctx, endpoint))) throw notFound(ENDPOINT);
  return endpoint;
}

export const webhookService = {
  async create(ctx: Context, input: CreateWebhookEndpointInput, idempotencyKey?: string | null): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    // The DNS lookup runs before the transaction opens: no connection waits on the network.
    let url: URL;
    try {
      url = await checkWebhookUrl(input.url, ctx.config.webhookAllowPrivate);
    } catch (err) {
      if (err instanceof WebhookUrlError) throw badInput(err.message, 'url');
      throw err;
    }
    const eventTypes = [...new Set(input.eventTypes ?? [])];
    if (eventTypes.includes(EntityType.API_KEY)) throw badInput('Changes of API keys are never sent as webhooks', 'eventTypes');
    const scopeIds = input.scopeIds ? [...new Set(input.scopeIds.map((id) => id.toLowerCase()))] : null;
    const allowed = await visibleScopeIds(ctx);
    if (allowed !== null && scopeIds === null) throw forbidden('A scope-restricted key can only create endpoints restricted to its scopes');
    return inTransaction(ctx, async (tx) => {
      const claim = await claimCreate(tx, ctx, 'createWebhookEndpoint', idempotencyKey, input);
      if (claim.replay) {
        // the secret is stored as issued, so a retry can be answered with it
        const existing = await tx.findOneByOrFail(WebhookEndpoint, { id: claim.id });
        return { endpoint: existing, secret: existing.secret };
      }
      if (scopeIds) {
        const found = await tx.getRepository(Scope).createQueryBuilder('s').where('s.id = ANY(:ids)', { ids: scopeIds }).getMany();
        const unknown = scopeIds.find((id) => !found.some((s) => s.id === id));
        const outside = allowed === null ? undefined : scopeIds.find((id) => !allowed.includes(id));
        if (unknown && (allowed === null || allowed.includes(unknown))) throw badInput(`No scope with id ${unknown}`, 'scopeIds');
        if (outside) throw forbidden('An endpoint can only be restricted to scopes within the creating key\'s');
      }
      const secret = generateWebhookSecret();
      await tx.insert(WebhookEndpoint, {
        id: claim.id,
        url: url.href,
        description: input.description?.trim() || null,
        eventTypes,
        scopeIds,
        secret,
        status: WebhookEndpointStatus.ACTIVE,
        createdByKeyId: ctx.principal?.keyId ?? null,
      });
      const endpoint = await tx.findOneByOrFail(WebhookEndpoint, { id: claim.id });
      await auditWebhookWrite(tx, ctx, { operation: 'createWebhookEndpoint', entityType: 'WEBHOOK_ENDPOINT', entityId: endpoint.id, before: null, after: shown(endpoint), scopeIds: scopeIds ?? [] });
      return { endpoint, secret };
    });
  },

  async get(ctx: Context, id: string): Promise<WebhookEndpoint> {
    const endpoint = isUuid(id) ? await ctx.loaders.webhookEndpoint.load(id) : null;
    if (!endpoint || !(await canManage(ctx, endpoint))) throw notFound(ENDPOINT);
    return endpoint;
  },

  async list(ctx: Context, filter: WebhookEndpointFilter, page: PageArgs): Promise<Connection<WebhookEndpoint>> {
    const qb = ctx.db.getRepository(WebhookEndpoint).createQueryBuilder('e');
    const allowed = await visibleScopeIds(ctx);
    if (allowed !== null) qb.andWhere('e.scopeIds IS NOT NULL AND e.scopeIds <@ CAST(:allowed AS uuid[])', { allowed });
    if (!filter.includeArchived) qb.andWhere('e.archivedAt IS NULL');
    if (filter.status?.length) qb.andWhere('e.status = ANY(:status)', { status: filter.status });
    return paginate(qb, { ...page, orderColumn: 'e.createdAt', orderProperty: 'createdAt', direction: SortDirection.DESC });
  },

  disable(ctx: Context, id: string): Promise<WebhookEndpoint> {
    return inTransaction(ctx, async (tx) => {
      const before = await lockEndpoint(ctx, tx, id);
      if (before.archivedAt) throw invalidTransition('The endpoint was deleted');
      if (before.status === WebhookEndpointStatus.DISABLED) return before;
      await tx.query(
        `UPDATE webhook_endpoint SET status = 'DISABLED', disabled_at = now(), disabled_reason = 'Disabled by an administrator', version = version + 1, updated_at = now() WHERE id = $1`,
        [before.id],
      );
      const after = await tx.findOneByOrFail(WebhookEndpoint, { id: before.id });
      await auditWebhookWrite(tx, ctx, { operation: 'disableWebhookEndpoint', entityType: 'WEBHOOK_ENDPOINT', entityId: after.id, before: shown(before), after: shown(after), scopeIds: after.scopeIds ?? [] });
      return after;
    });
  },

  /** Re-enables an endpoint; its failure streak starts over and its pending deliveries resume. */
  enable(ctx: Context, id: string): Promise<WebhookEndpoint> {
    return inTransaction(ctx, async (tx) => {
      const before = await lockEndpoint(ctx, tx, id);
      if (before.archivedAt) throw invalidTransition('The endpoint was deleted');
      if (before.status === WebhookEndpointStatus.ACTIVE) return before;
      await tx.query(
        `UPDATE webhook_endpoint SET status = 'ACTIVE', disabled_at = NULL, disabled_reason = NULL, consecutive_failures = 0, failing_since = NULL,
                version = version + 1, updated_at = now() WHERE id = $1`,
        [before.id],
      );
      const after = await tx.findOneByOrFail(WebhookEndpoint, { id: before.id });
      await auditWebhookWrite(tx, ctx, { operation: 'enableWebhookEndpoint', entityType: 'WEBHOOK_ENDPOINT', entityId: after.id, before: shown(before), after: shown(after), scopeIds: after.scopeIds ?? [] });
      return after;
    });
  },

  /** Deletes (archives) an endpoint: it receives nothing more and its undelivered deliveries are CANCELLED. */
  delete(ctx: Context, id: string): Promise<WebhookEndpoint> {
    return inTransaction(ctx, async (tx) => {
      const before = await lockEndpoint(ctx, tx, id);
      if (before.archivedAt) return before;
      await tx.query('UPDATE webhook_endpoint SET archived_at = now(), version = version + 1, updated_at = now() WHERE id = $1', [before.id]);
      await tx.query(
        `UPDATE webhook_delivery SET status = 'CANCELLED', locked_until = NULL, updated_at = now() WHERE endpoint_id = $1 AND status = 'PENDING'`,
        [before.id],
      );
      const after = await tx.findOneByOrFail(WebhookEndpoint, { id: before.id });
      await auditWebhookWrite(tx, ctx, { operation: 'deleteWebhookEndpoint', entityType: 'WEBHOOK_ENDPOINT', entityId: after.id, before: shown(before), after: shown(after), scopeIds: after.scopeIds ?? [] });
      return after;
    });
  },

  async deliveries(ctx: Context, filter: WebhookDeliveryFilter, page: PageArgs): Promise<Connection<WebhookDelivery>> {
    const qb = ctx.db.getRepository(WebhookDelivery).createQueryBuilder('d');
    const allowed = await visibleScopeIds(ctx);
    if (allowed !== null) {
      qb.andWhere('d.endpointId IN (SELECT e.id FROM webhook_endpoint e WHERE e.scope_ids IS NOT NULL AND e.scope_ids <@ CAST(:allowed AS uuid[]))', { allowed });
    }
    if (filter.endpointId) qb.andWhere('d.endpointId = :endpointId', { endpointId: filter.endpointId });
    if (filter.eventId) qb.andWhere('d.eventId = :eventId', { eventId: filter.eventId });
    if (filter.status?.length) qb.andWhere('d.status = ANY(:status)', { status: filter.status });
    return paginate(qb, { ...page, orderColumn: 'd.createdAt', orderProperty: 'createdAt', direction: SortDirection.DESC });
  },

  /**
   * Queues a delivery again with the same `webhook-id`, due now, with a fresh retry budget.
   * A delivery still in flight elsewhere loses its lease: the late result of that attempt is ignored.
   */
  redeliver(ctx: Context, deliveryId: string): Promise<WebhookDelivery> {
    return inTransaction(ctx, async (tx) => {
      const before = await lockRow(tx, WebhookDelivery, deliveryId, DELIVERY);
      const endpoint = await tx.findOneByOrFail(WebhookEndpoint, { id: before.endpointId });
      if (!(await canManage(ctx, endpoint))) throw notFound(DELIVERY);
      if (endpoint.archivedAt) throw invalidTransition('The delivery\'s endpoint was deleted');
      if (endpoint.status !== WebhookEndpointStatus.ACTIVE) throw invalidTransition('The delivery\'s endpoint is disabled: enable it first');
      await tx.query(
        `UPDATE webhook_delivery SET status = 'PENDING', attempts = 0, next_attempt_at = now(), locked_until = NULL, updated_at = now() WHERE id = $1`,
        [before.id],
      );
      const after = await tx.findOneByOrFail(WebhookDelivery, { id: before.id });
      const plain = (d: WebhookDelivery) => JSON.parse(JSON.stringify(d)) as Record<string, unknown>;
      await auditWebhookWrite(tx, ctx, { operation: 'redeliverWebhook', entityType: 'WEBHOOK_DELIVERY', entityId: after.id, before: plain(before), after: plain(after), scopeIds: endpoint.scopeIds ?? [] });
      return after;
    });
  },
};
