import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Job } from '../../jobs/scheduler';
import type { Logger } from '../../common/logger';
import { loadConfig, type Config } from '../../config';
import { webhookEventType } from './outbox-event.entity';
import { auditWebhookWrite } from './webhook.service';
import { signWebhook } from './webhook.signing';
import { postWebhook, type AttemptResult } from './webhook.http';
import { parseWebhookUrl } from './url-check';

/** Delivery policy (README "Webhooks"). */
export const WEBHOOK_POLICY = {
  /** Outbox events turned into deliveries per transaction. */
  fanOutBatch: 500,
  /** Parallel workers per instance, each claiming `claimBatch` deliveries at a time. */
  workers: 8,
  claimBatch: 4,
  /** One attempt's deadline: connect, send and read the answer. */
  requestTimeoutMs: 10_000,
  /** How long a claimed delivery stays locked to its instance: longer than an attempt takes. */
  leaseMs: 30_000,
  /** Retry n (1-based) waits 30 s × 2^(n−1), at most 2 h. */
  backoffBaseMs: 30_000,
  backoffCapMs: 2 * 60 * 60 * 1000,
  /** Attempts before a delivery is FAILED: about 24 h of retries. */
  maxAttempts: 20,
  /** An endpoint is disabled once it has failed this many attempts in a row … */
  disableAfterFailures: 10,
  /** … and has not succeeded for this long. */
  disableAfterMs: 24 * 60 * 60 * 1000,
  /** A pass stops claiming more work after this long, so the scheduler's other jobs are not held up. */
  passBudgetMs: 20_000,
} as const;

/** Entity types every reader may see, whatever its scope restriction (as for `ismsChanged`). */
const UNSCOPED = new Set(['OWNER', 'FRAMEWORK', 'CROSSWALK']);

/** Rows of an `UPDATE … RETURNING`: TypeORM answers UPDATE statements with `[rows, rowCount]`. */
async function updateReturning<T>(db: DataSource | EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const raw: unknown = await db.query(sql, params);
  return (Array.isArray(raw) && Array.isArray(raw[0]) ? raw[0] : raw) as T[];
}

interface EventRow { id: string; entity_type: string; scope_ids: string[]; created_at: Date }
interface EndpointRow { id: string; event_types: string[]; scope_ids: string[] | null; created_at: Date }

/**
 * Turns undispatched outbox events into one delivery per matching active endpoint. The events are
 * claimed with FOR UPDATE SKIP LOCKED and the deliveries are unique per (event, endpoint), so
 * instances fanning out at once never duplicate one. Events no endpoint wants are deleted.
 */
async function fanOut(db: DataSource, now: Date, batch: number): Promise<{ events: number; deliveries: number }> {
  return db.transaction(async (tx) => {
    const events: EventRow[] = await tx.query(
      `SELECT id, entity_type, scope_ids, created_at FROM outbox_event WHERE dispatched_at IS NULL
       ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [batch],
    );
    if (!events.length) return { events: 0, deliveries: 0 };
    const endpoints: EndpointRow[] = await tx.query(
      `SELECT id, event_types, scope_ids, created_at FROM webhook_endpoint WHERE status = 'ACTIVE' AND archived_at IS NULL`,
    );
    // a restricted endpoint receives its scopes and their descendants, as a restricted key sees them
    const restricted = endpoints.filter((e) => e.scope_ids !== null).map((e) => e.id);
    const allowed = new Map<string, Set<string>>();
    if (restricted.length) {
      const rows: Array<{ endpoint_id: string; scope_ids: string[] }> = await tx.query(
        `WITH RECURSIVE allowed(endpoint_id, scope_id) AS (
           SELECT e.id, s.id FROM webhook_endpoint e CROSS JOIN LATERAL unnest(e.scope_ids) AS s(id) WHERE e.id = ANY($1::uuid[])
           UNION SELECT a.endpoint_id, c.id FROM scope c JOIN allowed a ON c.parent_id = a.scope_id)
         SELECT endpoint_id, array_agg(scope_id) AS scope_ids FROM allowed GROUP BY endpoint_id`,
        [restricted],
      );
      for (const row of rows) allowed.set(row.endpoint_id, new Set(row.scope_ids));
    }
    const wants = (endpoint: EndpointRow, event: EventRow): boolean => {
      if (event.created_at.getTime() < endpoint.created_at.getTime()) return false; // written before the endpoint existed
      if (endpoint.event_types.length && !endpoint.event_types.includes(event.entity_type)) return false;
      if (endpoint.scope_ids === null) return true;
      if (event.scope_ids.length === 0) return UNSCOPED.has(event.entity_type);
      const scopes = allowed.get(endpoint.id);
      return Boolean(scopes && event.scope_ids.some((id) => scopes.has(id)));
    };
    const eventIds: string[] = [];
    const endpointIds: string[] = [];
    const unmatched: string[] = [];
    for (const event of events) {
      const matching = endpoints.filter((endpoint) => wants(endpoint, event));
      if (!matching.length) unmatched.push(event.id);
      for (const endpoint of matching) {
        eventIds.push(event.id);
        endpointIds.push(endpoint.id);
      }
    }
    if (eventIds.length) {
      await tx.query(
        `INSERT INTO webhook_delivery (id, event_id, endpoint_id, status, attempts, next_attempt_at)
         SELECT gen_random_uuid(), t.event_id, t.endpoint_id, 'PENDING', 0, $3 FROM unnest($1::uuid[], $2::uuid[]) AS t(event_id, endpoint_id)
         ON CONFLICT (event_id, endpoint_id) DO NOTHING`,
        [eventIds, endpointIds, now],
      );
    }
    const skipped = new Set(unmatched);
    const matched = events.map((e) => e.id).filter((id) => !skipped.has(id));
    if (matched.length) await tx.query('UPDATE outbox_event SET dispatched_at = $2 WHERE id = ANY($1::uuid[])', [matched, now]);
    if (unmatched.length) await tx.query('DELETE FROM outbox_event WHERE id = ANY($1::uuid[])', [unmatched]);
    return { events: events.length, deliveries: eventIds.length };
  });
}

interface Claimed {
  id: string;
  attempts: number;
  locked_until: Date;
  endpoint_id: string;
  url: string;
  secret: string;
  event_id: string;
  entity_type: string;
  entity_id: string;
  action: string;
  version: number;
  scope_ids: string[];
  at: Date;
  audit_event_id: string;
}

/**
 * Claims due deliveries of active endpoints: one statement (its own short transaction) locks them
 * with FOR UPDATE SKIP LOCKED and sets a lease. The HTTP call happens after that commits, outside
 * any transaction; an instance that dies before recording the result leaves the lease to expire,
 * and another instance delivers again (at least once; receivers deduplicate by webhook-id).
 */
async function claim(db: DataSource, now: Date, batch: number, leaseMs: number): Promise<Claimed[]> {
  return updateReturning<Claimed>(
    db,
    `WITH due AS (
       SELECT d.id FROM webhook_delivery d JOIN webhook_endpoint e ON e.id = d.endpoint_id
        WHERE d.status = 'PENDING' AND d.next_attempt_at <= $1 AND (d.locked_until IS NULL OR d.locked_until <= $1)
          AND e.status = 'ACTIVE' AND e.archived_at IS NULL
        ORDER BY d.next_attempt_at, d.id
        LIMIT $2
        FOR UPDATE OF d SKIP LOCKED)
     UPDATE webhook_delivery d SET locked_until = $3
       FROM due, webhook_endpoint e, outbox_event o
      WHERE d.id = due.id AND e.id = d.endpoint_id AND o.id = d.event_id
     RETURNING d.id, d.attempts, d.locked_until, e.id AS endpoint_id, e.url, e.secret,
               o.id AS event_id, o.entity_type, o.entity_id, o.action, o.version, o.scope_ids, o.at, o.audit_event_id`,
    [now, batch, new Date(now.getTime() + leaseMs)],
  );
}

/** The JSON body: the same bytes on every attempt of a delivery. */
export function webhookBody(event: { event_id: string; entity_type: string; entity_id: string; action: string; version: number; scope_ids: string[]; at: Date; audit_event_id: string }): string {
  const at = event.at.toISOString();
  return JSON.stringify({
    type: webhookEventType({ entityType: event.entity_type, action: event.action }),
    timestamp: at,
    data: {
      eventId: event.event_id,
      entityType: event.entity_type,
      entityId: event.entity_id,
      action: event.action,
      version: event.version,
      scopeIds: event.scope_ids,
      at,
      auditEventId: event.audit_event_id,
    },
  });
}

async function attempt(delivery: Claimed, allowPrivate: boolean, timeoutMs: number): Promise<AttemptResult> {
  let url: URL;
  try {
    url = parseWebhookUrl(delivery.url);
  } catch {
    return { ok: false, statusCode: null, error: 'invalid url' };
  }
  const body = webhookBody(delivery);
  // the real clock: receivers compare it with theirs to refuse replays
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'webhook-id': delivery.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(delivery.secret, delivery.id, timestamp, body),
  };
  return postWebhook(url, headers, body, { allowPrivate, timeoutMs });
}

/** Records an attempt under the lease it was made with; a lease lost meanwhile (redelivery) drops it. */
async function record(db: DataSource, delivery: Claimed, result: AttemptResult, now: Date): Promise<void> {
  const { backoffBaseMs, backoffCapMs, maxAttempts } = WEBHOOK_POLICY;
  if (result.ok) {
    await db.query(
      `UPDATE webhook_delivery SET status = 'SUCCEEDED', attempts = attempts + 1, last_attempt_at = $2, last_status_code = $3,
              last_error = NULL, delivered_at = $2, locked_until = NULL, updated_at = now()
        WHERE id = $1 AND locked_until = $4 AND status = 'PENDING'`,
      [delivery.id, now, result.statusCode, delivery.locked_until],
    );
    return;
  }
  await db.query(
    `UPDATE webhook_delivery SET attempts = attempts + 1, last_attempt_at = $2, last_status_code = $3, last_error = $4, locked_until = NULL,
            status = CASE WHEN attempts + 1 >= $6 THEN 'FAILED'::webhook_delivery_status ELSE status END,
            next_attempt_at = $2::timestamptz + LEAST($7 * power(2, attempts), $8) * interval '1 millisecond',
            updated_at = now()
      WHERE id = $1 AND locked_until = $5 AND status = 'PENDING'`,
    [delivery.id, now, result.statusCode, result.error, delivery.locked_until, maxAttempts, backoffBaseMs, backoffCapMs],
  );
}

/**
 * Endpoint health after a batch: a success resets the failure streak; failures lengthen it, and
 * an endpoint with at least `disableAfterFailures` failed attempts in a row and no success for
 * `disableAfterMs` is disabled (audited as the scheduler's write).
 */
async function updateEndpoints(db: DataSource, outcomes: Array<{ delivery: Claimed; result: AttemptResult }>, now: Date, log: Logger): Promise<void> {
  const byEndpoint = new Map<string, { ok: number; failed: number }>();
  for (const { delivery, result } of outcomes) {
    const tally = byEndpoint.get(delivery.endpoint_id) ?? { ok: 0, failed: 0 };
    if (result.ok) tally.ok += 1;
    else tally.failed += 1;
    byEndpoint.set(delivery.endpoint_id, tally);
  }
  for (const [endpointId, tally] of byEndpoint) {
    if (tally.ok) {
      await db.query(
        'UPDATE webhook_endpoint SET consecutive_failures = 0, failing_since = NULL, last_success_at = $2 WHERE id = $1',
        [endpointId, now],
      );
      continue;
    }
    const [health] = await updateReturning<{ status: string; consecutive_failures: number; failing_since: Date }>(
      db,
      `UPDATE webhook_endpoint SET consecutive_failures = consecutive_failures + $2, failing_since = COALESCE(failing_since, $3), last_failure_at = $3
        WHERE id = $1 RETURNING status, consecutive_failures, failing_since`,
      [endpointId, tally.failed, now],
    );
    if (health && health.status === 'ACTIVE' && health.consecutive_failures >= WEBHOOK_POLICY.disableAfterFailures
      && now.getTime() - health.failing_since.getTime() >= WEBHOOK_POLICY.disableAfterMs) {
      await disableFailing(db, endpointId, now, log);
    }
  }
}

async function disableFailing(db: DataSource, endpointId: string, now: Date, log: Logger): Promise<void> {
  await db.transaction(async (tx) => {
    const [before]: Array<Record<string, unknown>> = await tx.query(
      `SELECT id, url, status, consecutive_failures, failing_since, scope_ids FROM webhook_endpoint WHERE id = $1 AND status = 'ACTIVE' FOR UPDATE`,
      [endpointId],
    );
    if (!before) return;
    const reason = `Disabled after ${before.consecutive_failures as number} consecutive failed attempts since ${(before.failing_since as Date).toISOString()}`;
    const [after] = await updateReturning<Record<string, unknown>>(
      tx,
      `UPDATE webhook_endpoint SET status = 'DISABLED', disabled_at = $2, disabled_reason = $3, version = version + 1, updated_at = now()
        WHERE id = $1 RETURNING id, url, status, consecutive_failures, failing_since, disabled_at, disabled_reason, version`,
      [endpointId, now, reason],
    );
    await auditWebhookWrite(tx, { principal: null, requestId: `scheduler-${randomUUID()}` }, {
      operation: 'disableWebhookEndpoint',
      entityType: 'WEBHOOK_ENDPOINT',
      entityId: endpointId,
      before: JSON.parse(JSON.stringify(before)) as Record<string, unknown>,
      after: JSON.parse(JSON.stringify(after)) as Record<string, unknown>,
      scopeIds: (before.scope_ids as string[] | null) ?? [],
    });
    log.warn({ endpointId, reason }, 'webhook endpoint disabled');
  });
}

export interface WebhookJobOptions {
  /** Defaults to the environment's configuration, read on each pass. */
  config?: Config;
  /** Overrides WEBHOOK_POLICY.requestTimeoutMs (tests of a silent receiver). */
  requestTimeoutMs?: number;
}

/**
 * Fans out new outbox events, then delivers due deliveries with `workers` parallel workers until
 * none is due or the pass budget is spent. Times come from the pass's `now` plus the time the
 * pass has run, so a test can run a pass "a day later". A run woken by a commit delivers only when
 * its own fan-out queued something: every instance is woken by every write, and the one that won
 * the events delivers them (retries wait for the periodic pass), so the others cost one statement
 * set, not a claim per worker.
 */
export function createWebhookDeliveryJob(options: WebhookJobOptions = {}): Job {
  return {
    name: 'webhooks',
    async run(db: DataSource, now: Date, log: Logger, trigger = { woken: false }): Promise<void> {
      const config = options.config ?? loadConfig();
      const policy = WEBHOOK_POLICY;
      const timeoutMs = options.requestTimeoutMs ?? policy.requestTimeoutMs;
      const started = performance.now();
      const clock = () => new Date(now.getTime() + Math.round(performance.now() - started));
      const overBudget = () => performance.now() - started > policy.passBudgetMs;

      let events = 0;
      let queued = 0;
      for (;;) {
        const batch = await fanOut(db, clock(), policy.fanOutBatch);
        events += batch.events;
        queued += batch.deliveries;
        if (batch.events < policy.fanOutBatch || overBudget()) break;
      }
      if (trigger.woken && queued === 0) return;

      let delivered = 0;
      let failed = 0;
      const worker = async () => {
        while (!overBudget()) {
          const claimed = await claim(db, clock(), policy.claimBatch, Math.max(policy.leaseMs, timeoutMs * 2));
          if (!claimed.length) return;
          const outcomes = await Promise.all(claimed.map(async (delivery) => {
            const result = await attempt(delivery, config.webhookAllowPrivate, timeoutMs);
            await record(db, delivery, result, clock());
            if (result.ok) delivered += 1;
            else failed += 1;
            return { delivery, result };
          }));
          await updateEndpoints(db, outcomes, clock(), log);
          if (claimed.length < policy.claimBatch) return;
        }
      };
      await Promise.all(Array.from({ length: policy.workers }, worker));
      if (events || delivered || failed) log.info({ events, queued, delivered, failed }, 'webhooks');
    },
  };
}

export const webhookDeliveryJob: Job = createWebhookDeliveryJob();
