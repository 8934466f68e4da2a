import type { DataSource } from 'typeorm';
import type { Logger } from '../common/logger';

/**
 * A periodic job. Every instance runs every job, so a job must be safe to run concurrently with
 * itself on other instances: claim work with row locks (`FOR UPDATE SKIP LOCKED`) or write under
 * unique keys, and do the side effects (NOTIFY) inside the same transaction.
 */
export interface Job {
  name: string;
  run(db: DataSource, now: Date, log: Logger): Promise<void>;
}

export interface Scheduler {
  /** One pass of every job, in order; what tests and `snapshot`-style mutations call. */
  runOnce(now?: Date): Promise<void>;
  stop(): Promise<void>;
}

/** Runs the jobs every `intervalMs` (0 = never; `runOnce` still works). Passes never overlap. */
export function startScheduler(options: { db: DataSource; log: Logger; intervalMs: number; jobs: readonly Job[] }): Scheduler {
  const { db, log, jobs } = options;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const pass = async (now: Date) => {
    for (const job of jobs) {
      if (stopped) return;
      try {
        await job.run(db, now, log);
      } catch (err) {
        log.error({ err, job: job.name }, 'scheduled job failed');
      }
    }
  };
  const runOnce = (now = new Date()) => {
    running = running.then(() => pass(now));
    return running;
  };
  const timer = options.intervalMs > 0 ? setInterval(() => void runOnce(), options.intervalMs) : undefined;
  timer?.unref();
  return {
    runOnce,
    stop: async () => {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
