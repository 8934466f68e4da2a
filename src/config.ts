import path from 'node:path';

/** Raised when an environment variable holds a value the service cannot run with. */
export class ConfigError extends Error {}

export interface Config {
  port: number;
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPgPort: number | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  nodeEnv: 'development' | 'production' | 'test';
  bodyLimitBytes: number;
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  /** Most lexical tokens in one GraphQL document, counted before it is parsed. */
  maxTokens: number;
  /** Time a client has to send a request's headers / the whole request, before 408 and a closed connection. */
  httpHeadersTimeoutMs: number;
  httpRequestTimeoutMs: number;
  allowAnonymousRead: boolean;
  dbPoolSize: number;
  /** How long a request waits for a database connection (connecting, or a busy pool) before it fails UNAVAILABLE. */
  dbConnectTimeoutMs: number;
  shutdownTimeoutMs: number;
  exposeSqlCount: boolean;
  schedulerIntervalMs: number;
  reminderLeadDays: number[];
  /** Lets webhook endpoints point at private, loopback and link-local addresses (tests, closed networks). */
  webhookAllowPrivate: boolean;
  /** Days a dispatched webhook event and its finished deliveries are kept before the scheduler deletes them. */
  webhookRetentionDays: number;
  /** Rotation interval recorded on each API key's NHI asset (drives ROTATION_DUE reminders). */
  apiKeyRotationDays: number;
  /** How long a rotated key's previous secret keeps working. */
  apiKeyRotationOverlapMs: number;
  /** Requests per key per minute, counted in PostgreSQL across instances; 0 = no limit. */
  rateLimitPerMinute: number;
  /** Length of the fixed rate-limit window. */
  rateLimitWindowSeconds: number;
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'on', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'off', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function bytes(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const match = /^(\d+)\s*(b|kb|mb)?$/i.exec(raw.trim());
  if (!match) throw new ConfigError(`${name} must be a size such as 5mb or 512kb, got "${raw}"`);
  const unit = (match[2] ?? 'b').toLowerCase();
  const value = Number(match[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
  if (value < 1024 || value > 100 * 1024 * 1024) throw new ConfigError(`${name} must be between 1kb and 100mb, got "${raw}"`);
  return value;
}

/** Days ahead of a due date that reminders fire: distinct whole numbers 1–365, largest first. */
function leadDays(env: Env, name: string, fallback: number[]): number[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.length > 10 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 365) || new Set(parts.map(Number)).size !== parts.length) {
    throw new ConfigError(`${name} must be up to 10 distinct whole numbers of days between 1 and 365, comma-separated, got "${raw}"`);
  }
  return parts.map(Number).sort((a, b) => b - a);
}

function databaseUrl(env: Env): string | undefined {
  const raw = env.DATABASE_URL;
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`DATABASE_URL must use postgres:// or postgresql://, got ${url.protocol}//`);
  }
  return raw;
}

/** Node refuses a headers timeout longer than the request timeout, so the pair is checked together. */
function httpTimeouts(env: Env): Pick<Config, 'httpHeadersTimeoutMs' | 'httpRequestTimeoutMs'> {
  const httpHeadersTimeoutMs = integer(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000);
  const httpRequestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 60_000, 100, 3_600_000);
  if (httpHeadersTimeoutMs > httpRequestTimeoutMs) throw new ConfigError(`HTTP_HEADERS_TIMEOUT_MS (${httpHeadersTimeoutMs}) must not exceed HTTP_REQUEST_TIMEOUT_MS (${httpRequestTimeoutMs})`);
  return { httpHeadersTimeoutMs, httpRequestTimeoutMs };
}

/** Reads and validates the whole configuration; the first bad variable stops it with one line. */
export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', 'development', ['development', 'production', 'test'] as const);
  return {
    port: integer(env, 'PORT', 4000, 0, 65535),
    databaseUrl: databaseUrl(env),
    dataDir: path.resolve(env.DATA_DIR || './.data'),
    embeddedPgPort: env.EMBEDDED_PG_PORT ? integer(env, 'EMBEDDED_PG_PORT', 0, 1, 65535) : undefined,
    logLevel: oneOf(env, 'LOG_LEVEL', nodeEnv === 'test' ? 'warn' : 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    nodeEnv,
    bodyLimitBytes: bytes(env, 'BODY_LIMIT', 5 * 1024 * 1024),
    maxDepth: integer(env, 'MAX_QUERY_DEPTH', 15, 2, 100),
    maxCost: integer(env, 'MAX_QUERY_COST', 25_000, 10, 10_000_000),
    maxAliases: integer(env, 'MAX_QUERY_ALIASES', 30, 1, 1000),
    maxTokens: integer(env, 'MAX_QUERY_TOKENS', 2000, 100, 1_000_000),
    ...httpTimeouts(env),
    allowAnonymousRead: flag(env, 'ALLOW_ANONYMOUS_READ', false),
    dbPoolSize: integer(env, 'DB_POOL_SIZE', 10, 1, 200),
    // 0 is pg's "wait forever": a request would hang while the database is unreachable
    dbConnectTimeoutMs: integer(env, 'DB_CONNECT_TIMEOUT_MS', 2000, 100, 60_000),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10000, 0, 600000),
    exposeSqlCount: flag(env, 'EXPOSE_SQL_COUNT', false),
    schedulerIntervalMs: integer(env, 'SCHEDULER_INTERVAL_MS', 60_000, 0, 86_400_000),
    reminderLeadDays: leadDays(env, 'REMINDER_LEAD_DAYS', [30, 7, 1]),
    webhookAllowPrivate: flag(env, 'WEBHOOK_ALLOW_PRIVATE', false),
    webhookRetentionDays: integer(env, 'WEBHOOK_RETENTION_DAYS', 30, 1, 3650),
    apiKeyRotationDays: integer(env, 'API_KEY_ROTATION_DAYS', 90, 1, 3650),
    apiKeyRotationOverlapMs: integer(env, 'API_KEY_ROTATION_OVERLAP_MS', 24 * 60 * 60 * 1000, 0, 30 * 24 * 60 * 60 * 1000),
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 600, 0, 1_000_000),
    rateLimitWindowSeconds: integer(env, 'RATE_LIMIT_WINDOW_SECONDS', 60, 1, 3600),
  };
}
