import type { Job } from '../jobs/scheduler';

/**
 * Deletes rate-limit windows that ended long ago. Windows last at most an hour
 * (RATE_LIMIT_WINDOW_SECONDS), so anything older than two hours is finished on every instance,
 * whatever window length each runs with. Safe on several instances at once: a plain DELETE.
 */
export const rateLimitCleanupJob: Job = {
  name: 'rate-limit-cleanup',
  async run(db, now) {
    await db.query(`DELETE FROM api_key_rate_window WHERE window_start < $1::timestamptz - interval '2 hours'`, [now]);
  },
};
