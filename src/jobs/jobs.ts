import type { Job } from './scheduler';
import { reminderJob } from '../modules/reminder/reminder.job';
import { coverageSnapshotJob } from '../modules/metrics/coverage-snapshot.job';
import { webhookDeliveryJob } from '../modules/webhook/webhook.job';
import { rateLimitCleanupJob } from '../auth/rate-limit.job';

/** The jobs every instance runs; each subject module contributes its own (see scheduler.ts). */
export const jobs: Job[] = [
  reminderJob,
  webhookDeliveryJob,
  rateLimitCleanupJob,
  // last: it may spend up to its budget (10 s) per pass, and reminders should not wait for it
  coverageSnapshotJob,
];
