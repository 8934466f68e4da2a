import { startScheduler, WAKE_GAP_MS, type Job } from '../src/jobs/scheduler';
import { createLogger } from '../src/common/logger';

/** The scheduler's own timing rules, with jobs that only count their runs (no database involved). */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function countingJob(name: string, runMs: number): Job & { runs: number } {
  const job = {
    name,
    runs: 0,
    run: async () => {
      job.runs += 1;
      await sleep(runMs);
    },
  };
  return job;
}

test('a burst of wakes is one run, plus one more for wakes that came in while it ran', async () => {
  const job = countingJob('deliver', 50);
  const other = countingJob('other', 0);
  const scheduler = startScheduler({ db: null as never, log: createLogger('silent'), intervalMs: 0, jobs: [job, other] });
  for (let i = 0; i < 20; i += 1) scheduler.wake('deliver');
  await sleep(10);
  expect(job.runs).toBe(1); // started at once, the other 19 folded into one follow-up
  await sleep(50 + WAKE_GAP_MS + 50 + WAKE_GAP_MS + 50);
  expect(job.runs).toBe(2);
  expect(other.runs).toBe(0); // only the woken job runs
  scheduler.wake('deliver');
  await sleep(10);
  expect(job.runs).toBe(3); // idle again: a new wake runs at once
  await scheduler.stop();
});

test('a wake after stop runs nothing, and stop waits for a woken run in progress', async () => {
  const job = countingJob('deliver', 100);
  const scheduler = startScheduler({ db: null as never, log: createLogger('silent'), intervalMs: 0, jobs: [job] });
  scheduler.wake('deliver');
  const started = Date.now();
  await scheduler.stop();
  expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  scheduler.wake('deliver');
  await sleep(20);
  expect(job.runs).toBe(1);
  expect(() => scheduler.wake('nope')).toThrow('no job named nope');
});

test('a job learns whether a pass or a wake runs it', async () => {
  const triggers: boolean[] = [];
  const job: Job = { name: 'deliver', run: async (_db, _now, _log, trigger) => { triggers.push(trigger!.woken); } };
  const scheduler = startScheduler({ db: null as never, log: createLogger('silent'), intervalMs: 0, jobs: [job] });
  await scheduler.runOnce();
  scheduler.wake('deliver');
  await scheduler.stop();
  expect(triggers).toEqual([false, true]);
});
