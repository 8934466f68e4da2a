/** Response times of one group of requests; percentiles by nearest rank over every recorded value (no sampling). */
export class Latencies {
  private readonly values: number[] = [];
  errors = 0;

  add(ms: number, ok: boolean): void {
    this.values.push(ms);
    if (!ok) this.errors += 1;
  }

  get count(): number {
    return this.values.length;
  }

  summary(seconds: number): LatencySummary {
    const sorted = [...this.values].sort((a, b) => a - b);
    const rank = (q: number) => (sorted.length ? sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] : 0);
    const round = (ms: number) => Math.round(ms * 10) / 10;
    return {
      requests: sorted.length,
      perSecond: Math.round((sorted.length / seconds) * 10) / 10,
      p50Ms: round(rank(0.5)),
      p95Ms: round(rank(0.95)),
      p99Ms: round(rank(0.99)),
      maxMs: round(sorted.length ? sorted[sorted.length - 1] : 0),
      errors: this.errors,
    };
  }
}

export interface LatencySummary {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
}
