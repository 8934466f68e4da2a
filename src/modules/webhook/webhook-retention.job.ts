import type { DataSource } from 'typeorm';
import type { Job } from '../../jobs/scheduler';
import type { Logger } from '../../common/logger';
import { loadConfig, type Config } from '../../config';

/** Rows deleted per statement, so a large backlog never holds long locks. */
const BATCH = 5000;
/** A pass stops deleting after this long; the next pass goes on. */
const BUDGET_MS = 5000;

/**
 * Deletes webhook events dispatched more than WEBHOOK_RETENTION_DAYS ago once none of their
 * deliveries is still PENDING; their deliveries (SUCCEEDED, FAILED or CANCELLED) go with them
 * (ON DELETE CASCADE). The audit trail keeps every write; this is the delivery log only. Rows are
 * claimed with SKIP LOCKED, so instances pruning at once never wait on each other.
 */
export function createWebhookRetentionJob(options: { config?: Config } = {}): Job {
  return {
    name: 'webhook-retention',
    async run(db: DataSource, now: Date, log: Logger): Promise<void> {
      const days = (options.config ?? loadConfig()).webhookRetentionDays;
      const started = performance.now();
      let deleted = 0;
      for (;;) {
        const raw: unknown = await db.query(
          `DELETE FROM outbox_event WHERE id IN (
             SELECT o.id FROM outbox_event o
              WHERE o.dispatched_at < $1::timestamptz - make_interval(days => $2)
                AND NOT EXISTS (SELECT 1 FROM webhook_delivery d WHERE d.event_id = o.id AND d.status = 'PENDING')
              ORDER BY o.dispatched_at LIMIT $3 FOR UPDATE SKIP LOCKED)`,
          [now, days, BATCH],
        );
        // TypeORM answers a DELETE with [rows, rowCount]
        const count = Array.isArray(raw) && typeof raw[1] === 'number' ? raw[1] : 0;
        deleted += count;
        if (count < BATCH || performance.now() - started > BUDGET_MS) break;
      }
      if (deleted) log.info({ deleted, retentionDays: days }, 'pruned webhook events past retention');
    },
  };
}

export const webhookRetentionJob = createWebhookRetentionJob();
