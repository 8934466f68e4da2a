import type { DataSource } from 'typeorm';
import type { Logger } from '../common/logger';

/**
 * A periodic job. Every instance runs every job, so a job must be safe to run concurrently with
 * itself on other instances: claim work with row locks (`FOR UPDATE SKIP LOCKED`) or write under
 * unique keys, and do the side effects (NOTIFY) inside the same transaction.
 */
export interface Job {
  name: string;
  /** `woken`: run by `wake` for something that just happened, not by a periodic pass. */
  run(db: DataSource, now: Date, log: Logger, trigger?: { woken: boolean }): Promise<void>;
}

export interface Scheduler {
  /** One pass of every job, in order; what tests and `snapshot`-style mutations call. */
  runOnce(now?: Date): Promise<void>;
  /**
   * Runs one job soon, beside the periodic passes (a job is safe to run concurrently with itself):
   * a burst of wakes is one run, and one more after it if wakes came in while it ran.
   */
  wake(jobName: string): void;
  stop(): Promise<void>;
}

/** Woken runs of a job start at least this far apart, so a stream of writes costs a few runs a second. */
export const WAKE_GAP_MS = 100;

/** Runs the jobs every `intervalMs` (0 = never; `runOnce` still works). Passes never overlap. */
export function startScheduler(options: { db: DataSource; log: Logger; intervalMs: number; jobs: readonly Job[] }): Scheduler {
  const { db, log, jobs } = options;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const runJob = async (job: Job, now: Date, woken = false) => {
    try {
      await job.run(db, now, log, { woken });
    } catch (err) {
      log.error({ err, job: job.name }, 'scheduled job failed');
    }
  };
  const pass = async (now: Date) => {
    for (const job of jobs) {
      if (stopped) return;
      await runJob(job, now);
    }
  };
  // per woken job: whether a run is in progress and whether another was asked for meanwhile
  const lanes = new Map<string, { busy: Promise<void> | null; again: boolean }>();
  const wake = (jobName: string) => {
    const job = jobs.find((j) => j.name === jobName);
    if (!job) throw new Error(`no job named ${jobName}`);
    const lane = lanes.get(jobName) ?? { busy: null, again: false };
    lanes.set(jobName, lane);
    if (stopped) return;
    if (lane.busy) {
      lane.again = true;
      return;
    }
    lane.busy = (async () => {
      do {
        lane.again = false;
        await runJob(job, new Date(), true);
        await new Promise((r) => setTimeout(r, WAKE_GAP_MS));
      } while (lane.again && !stopped);
      lane.busy = null;
    })();
  };
  const runOnce = (now = new Date()) => {
    running = running.then(() => pass(now));
    return running;
  };
  const timer = options.intervalMs > 0 ? setInterval(() => void runOnce(), options.intervalMs) : undefined;
  timer?.unref();
  return {
    runOnce,
    wake,
    stop: async () => {
      stopped = true;
      if (timer) clearInterval(timer);
      await Promise.all([running, ...[...lanes.values()].map((lane) => lane.busy)]);
    },
  };
}
