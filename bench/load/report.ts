import type { MemoryFigures } from './memory';
import type { LatencySummary } from './stats';

export interface LoadReport {
  database: string;
  instances: number;
  connectionsPerInstance: number;
  durationS: number;
  /** Wall time from the first request to the last response (the duration plus finishing the last cycles). */
  measuredS: number;
  rateLimit: string;
  machine: { cpus: number; loadAverageBefore: number; loadAverageAfter: number };
  dataset: Record<string, number>;
  overall: LatencySummary;
  /** read (list + single), write, coverage, and the two kinds of read. */
  kinds: Array<{ kind: string; sharePercent: number } & LatencySummary>;
  perInstance: Array<{ url: string; memory: MemoryFigures } & LatencySummary>;
  writes: { acknowledged: number; distinctIds: number; rowsWithRunTitle: number; acknowledgedIdsFound: number; lost: number };
  errors: { responses: number; transport: number; examples: string[] };
  problems: string[];
  ok: boolean;
}

const pad = (cells: Array<string | number>, widths: number[]) =>
  cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');

export function printReport(r: LoadReport): void {
  const out: string[] = [];
  out.push(`Load test: ${r.instances} instances on one database (${r.database}), ${r.connectionsPerInstance} connections each, ${r.durationS} s (measured ${r.measuredS.toFixed(1)} s)`);
  out.push(`Rate limit: ${r.rateLimit}`);
  out.push(`Dataset: ${Object.entries(r.dataset).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  out.push(`Machine: ${r.machine.cpus} CPUs, load average ${r.machine.loadAverageBefore.toFixed(2)} before / ${r.machine.loadAverageAfter.toFixed(2)} after (other processes share it)`);
  out.push('');
  const widths = [14, 9, 7, 8, 8, 8, 8, 8, 7];
  out.push(pad(['kind', 'requests', 'share', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors'], widths));
  for (const k of [{ kind: 'all', sharePercent: 100, ...r.overall }, ...r.kinds]) {
    out.push(pad([k.kind, k.requests, `${k.sharePercent.toFixed(1)}%`, k.perSecond, k.p50Ms, k.p95Ms, k.p99Ms, k.maxMs, k.errors], widths));
  }
  out.push('');
  const iw = [24, 9, 8, 8, 8, 8, 7, 10, 10, 10, 10];
  out.push(pad(['instance', 'requests', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'RSS start', 'RSS max', 'VmHWM', 'peak RSS'], iw));
  for (const i of r.perInstance) {
    const m = i.memory;
    out.push(pad([i.url, i.requests, i.perSecond, i.p50Ms, i.p95Ms, i.p99Ms, i.errors, `${m.startMb} MB`, `${m.maxSampledMb} MB`, `${m.hwmMb} MB`, `${m.peakMb} MB`], iw));
  }
  out.push('(RSS max: polled every 500 ms during the load; VmHWM: the kernel’s high-water mark at the end; peak: the larger)');
  out.push('');
  const w = r.writes;
  out.push(`Writes: ${w.acknowledged} acknowledged (${w.distinctIds} distinct ids), ${w.rowsWithRunTitle} treatment_task rows with this run's titles, ${w.acknowledgedIdsFound} acknowledged ids found, ${w.lost} lost`);
  out.push(`Errors: ${r.errors.responses} bad responses, ${r.errors.transport} connection errors or timeouts`);
  for (const e of r.errors.examples) out.push(`  ${e}`);
  out.push(r.ok ? 'Result: OK' : `Result: FAILED\n${r.problems.map((p) => `  ${p}`).join('\n')}`);
  process.stdout.write(`${out.join('\n')}\n`);
}
