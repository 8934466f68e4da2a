import { AsyncLocalStorage } from 'node:async_hooks';

/** Per-request SQL statement count, so tests and benchmarks can prove a query has no N+1. */
export interface SqlStats {
  statements: number;
}

export const sqlStats = new AsyncLocalStorage<SqlStats>();

export function countStatement(): void {
  const stats = sqlStats.getStore();
  if (stats) stats.statements += 1;
}
