import { measure, type BenchEnv, type CaseResult } from '../harness';

/** A query that touches no table: what remains is HTTP, GraphQL and authentication. */
const TRIVIAL = '{ __typename }';

async function post(url: string, key: string | null): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query: TRIVIAL }) });
  const body = await res.text();
  if (!res.ok || body.includes('"errors"')) throw new Error(`benchmark query failed: ${res.status} ${body.slice(0, 300)}`);
  return Number(res.headers.get('x-sql-statements'));
}

/**
 * Authenticated request overhead: the trivial query with an API key (checksum, SHA-256, the key
 * lookup, the rate-limit counter) against the same query sent anonymously to the same process
 * (ALLOW_ANONYMOUS_READ: no lookup, no counter). Once with the rate limit on (a limit high
 * enough never to refuse, so every request pays for its counter), once with it off (the lookup
 * alone). Each pair runs on its own extra instance, so both sides share one process's warm state.
 */
export async function authOverheadCases(env: BenchEnv, options: { requests: number; concurrency: number }): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const variants = [
    { label: 'key lookup + rate-limit counter', env: { ALLOW_ANONYMOUS_READ: 'true', RATE_LIMIT_PER_MINUTE: '1000000' } },
    { label: 'key lookup only (RATE_LIMIT_PER_MINUTE=0)', env: { ALLOW_ANONYMOUS_READ: 'true', RATE_LIMIT_PER_MINUTE: '0' } },
  ];
  for (const variant of variants) {
    const url = await env.startServer(variant.env);
    const keyedStatements = await post(url, env.adminKey); // also writes lastUsedAt, once a minute
    const steady = await post(url, env.adminKey);
    const anonymousStatements = await post(url, null);
    const server = await measure(async () => { await post(url, env.adminKey); }, options.requests, options.concurrency, 50);
    const baseline = await measure(async () => { await post(url, null); }, options.requests, options.concurrency, 50);
    const overheadMs = server.p50Ms - baseline.p50Ms;
    results.push({
      name: `auth overhead: { __typename } with an API key (${variant.label})`,
      server,
      baseline,
      baselineName: `the same query without a key (ALLOW_ANONYMOUS_READ, ${anonymousStatements} SQL statements)`,
      statementsPerRequest: steady,
      notes: `+${Math.round(overheadMs * 100) / 100} ms p50 per request; ${keyedStatements} statements on the first keyed request (lastUsedAt), ${steady} after`,
    });
  }
  return results;
}
