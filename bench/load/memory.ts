import { readFileSync } from 'node:fs';

/** A field of /proc/<pid>/status in kB (Linux only, which is where the load test runs). */
function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} for process ${pid}`);
  return Number(match[1]);
}

export interface MemoryFigures {
  /** RSS when the load started. */
  startMb: number;
  /** Highest RSS seen by polling every 500 ms during the load. */
  maxSampledMb: number;
  /** The kernel's high-water mark of RSS (VmHWM) at the end, over the process's life (it can miss pages V8 returned with madvise). */
  hwmMb: number;
  /** The larger of the two. */
  peakMb: number;
}

/** Polls the resident set size of each process every 500 ms until stopped. */
export function sampleMemory(pids: number[]): { stop(): MemoryFigures[] } {
  const start = pids.map((pid) => statusKb(pid, 'VmRSS'));
  const max = [...start];
  const timer = setInterval(() => {
    pids.forEach((pid, i) => { max[i] = Math.max(max[i], statusKb(pid, 'VmRSS')); });
  }, 500);
  const mb = (kb: number) => Math.round(kb / 102.4) / 10;
  return {
    stop: () => {
      clearInterval(timer);
      return pids.map((pid, i) => {
        const hwm = statusKb(pid, 'VmHWM');
        return { startMb: mb(start[i]), maxSampledMb: mb(max[i]), hwmMb: mb(hwm), peakMb: mb(Math.max(hwm, max[i])) };
      });
    },
  };
}
