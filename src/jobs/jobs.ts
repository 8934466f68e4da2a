import type { Job, Scheduler } from './scheduler';
import type { EventBus } from '../db/event-bus';
import { CHANGE_CHANNEL } from '../db/events';
import { reminderJob } from '../modules/reminder/reminder.job';
import { coverageSnapshotJob } from '../modules/metrics/coverage-snapshot.job';
import { webhookDeliveryJob } from '../modules/webhook/webhook.job';
import { webhookRetentionJob } from '../modules/webhook/webhook-retention.job';
import { rateLimitCleanupJob } from '../auth/rate-limit.job';

/** The jobs every instance runs; each subject module contributes its own (see scheduler.ts). */
export const jobs: Job[] = [
  reminderJob,
  webhookDeliveryJob,
  webhookRetentionJob,
  rateLimitCleanupJob,
  // last: it may spend up to its budget (10 s) per pass, and reminders should not wait for it
  coverageSnapshotJob,
];

/**
 * Webhooks go out when their write commits, not on the next pass: every change NOTIFY wakes the
 * delivery job. Every instance hears it and wakes; the deliveries are still claimed once.
 */
export function wakeWebhooksOnCommit(bus: EventBus, scheduler: Scheduler): void {
  void (async () => {
    for await (const _change of bus.subscribe(CHANGE_CHANNEL)) scheduler.wake(webhookDeliveryJob.name);
  })();
}
