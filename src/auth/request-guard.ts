import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { AppError, ErrorCode } from '../common/errors';
import { documentHash } from './allowed-operation.service';
import type { Principal } from './principal';

/** The allow-list test over the key row `k`; $2 is the document hash (null: no document to check). */
const ALLOWED_SQL = `($2::text IS NULL OR NOT k.allow_list_bound OR EXISTS (
    SELECT 1 FROM api_key_allowed_operation b JOIN allowed_operation o ON o.id = b.operation_id
     WHERE b.key_id = k.id AND o.document_hash = $2::text))`;

/**
 * Counts the request in the key's current window and reads the allow-list verdict, in one
 * statement. Windows are fixed and aligned to the database clock, so every instance counts into
 * the same row: `INSERT … ON CONFLICT DO UPDATE … RETURNING count` is atomic under concurrency.
 * The statement commits asynchronously (`synchronous_commit` off for its own transaction only):
 * waiting for the WAL flush of the commit record cost more than everything else in a keyed
 * request, and counters in an UNLOGGED table do not survive a crash anyway. Other sessions see the
 * new count as soon as it commits either way.
 */
const COUNT_AND_CHECK_SQL = `
WITH hit AS (
  INSERT INTO api_key_rate_window AS w (key_id, window_start, count)
  VALUES ($1::uuid, to_timestamp((floor(extract(epoch FROM clock_timestamp()) / $3::int) * $3::int)::float8), 1)
  ON CONFLICT (key_id, window_start) DO UPDATE SET count = w.count + 1
  RETURNING w.count, w.window_start)
SELECT hit.count,
       greatest(1, ceil(extract(epoch FROM hit.window_start - clock_timestamp()) + $3::int))::int AS retry_after,
       ${ALLOWED_SQL} AS allowed,
       set_config('synchronous_commit', 'off', true) AS async_commit
  FROM hit, api_key k WHERE k.id = $1::uuid`;

const CHECK_SQL = `SELECT ${ALLOWED_SQL} AS allowed FROM api_key k WHERE k.id = $1::uuid`;

/** Requests a key may make per window: its own per-minute limit or the server's, scaled to the window. 0 = unlimited. */
export function windowLimit(config: Config, principal: Principal): number {
  const perMinute = principal.rateLimitPerMinute ?? config.rateLimitPerMinute;
  return perMinute === 0 ? 0 : Math.ceil((perMinute * config.rateLimitWindowSeconds) / 60);
}

export function rateLimited(retryAfterSeconds: number, limit: number, windowSeconds: number): AppError {
  return new AppError(ErrorCode.RATE_LIMITED, `Rate limit of ${limit} requests per ${windowSeconds} s exceeded for this API key; retry in ${retryAfterSeconds} s`, {
    retryAfterSeconds,
    // not `limit`: that extension marks the query-complexity errors (QUERY_TOO_COMPLEX)
    requestsPerWindow: limit,
    windowSeconds,
    http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
  });
}

export function notOnAllowList(): AppError {
  return new AppError(ErrorCode.FORBIDDEN, 'This API key is bound to an operation allow-list that does not include this document', { http: { status: 403 } });
}

/**
 * The per-request limits of a keyed request, before anything runs: the rate limit (RATE_LIMITED,
 * with `retryAfterSeconds`) and the operation allow-list (FORBIDDEN). At most one SQL statement.
 * `principalIsFresh` says the principal was just read from the database (HTTP); a WebSocket's
 * principal dates from its connection, so the allow-list is always read anew for its operations.
 */
export async function guardRequest(db: DataSource, config: Config, principal: Principal | null, query: unknown, principalIsFresh: boolean): Promise<void> {
  if (!principal?.keyId) return;
  const limit = windowLimit(config, principal);
  // no query text (a batch, a persisted-query hash): no document a bound key may run matches ''
  const hash = typeof query === 'string' ? documentHash(query) : '';
  const checkList = principal.allowListBound || !principalIsFresh;
  if (limit > 0) {
    const rows: Array<{ count: number; retry_after: number; allowed: boolean }> = await db.query(COUNT_AND_CHECK_SQL, [principal.keyId, checkList ? hash : null, config.rateLimitWindowSeconds]);
    const row = rows[0];
    if (row && row.count > limit) throw rateLimited(row.retry_after, limit, config.rateLimitWindowSeconds);
    if (row && !row.allowed) throw notOnAllowList();
  } else if (checkList) {
    const rows: Array<{ allowed: boolean }> = await db.query(CHECK_SQL, [principal.keyId, hash]);
    if (rows[0] && !rows[0].allowed) throw notOnAllowList();
  }
}
