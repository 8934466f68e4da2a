import { AsyncLocalStorage } from 'node:async_hooks';

import type { Logger } from '../common/logger';

/**
 * Per-request state reachable from code that gets no context: the SQL statement count (so tests
 * and benchmarks can prove a query has no N+1) and the request's logger (so errors formatted far
 * from the request still log its id).
 */
export interface SqlStats {
  statements: number;
  log?: Logger;
}

export const sqlStats = new AsyncLocalStorage<SqlStats>();

export function countStatement(): void {
  const stats = sqlStats.getStore();
  if (stats) stats.statements += 1;
}
