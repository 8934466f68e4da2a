import path from 'node:path';
import { DataSource, type Logger as OrmLogger } from 'typeorm';
import type { Logger } from '../common/logger';
import { SnakeNamingStrategy } from './naming';
import { countStatement } from './sql-stats';
import { entities } from './entities';
import { markingPg } from './pg-driver';

/** Counts every statement for the current request and keeps SQL out of normal logs. */
class StatementLogger implements OrmLogger {
  constructor(private readonly out?: Logger) {}
  logQuery(query: string): void {
    countStatement();
    this.out?.trace({ sql: query }, 'sql');
  }
  logQueryError(error: string | Error, query: string): void {
    this.out?.debug({ err: String(error), sql: query }, 'sql failed');
  }
  logQuerySlow(time: number, query: string): void {
    this.out?.warn({ ms: time, sql: query.slice(0, 500) }, 'slow sql');
  }
  logSchemaBuild(): void {}
  logMigration(message: string): void {
    this.out?.info({ migration: message }, 'migration');
  }
  log(): void {}
}

export const migrationsGlob = path.join(__dirname, '..', '..', 'migrations', '*.js');

/** How long taking a connection may wait (connecting, or queueing for a busy pool) before the request fails. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 2000;

export function createDataSource(url: string, options: { poolSize?: number; log?: Logger; connectTimeoutMs?: number } = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations: [migrationsGlob],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    invalidWhereValuesBehavior: { null: 'throw', undefined: 'throw' },
    logger: new StatementLogger(options.log),
    maxQueryExecutionTime: 1000,
    poolSize: options.poolSize ?? 10,
    // pg's default connect timeout is none: with the database unreachable a request would wait forever
    extra: { connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, application_name: 'isms-graph' },
    // errors of an unreachable database are marked UNAVAILABLE at the source (503, retryable)
    driver: markingPg,
    // an idle connection the server closed (a restart) leaves the pool by itself; say so once per connection
    poolErrorHandler: (err: unknown) => options.log?.warn({ err: String(err) }, 'idle database connection lost'),
  });
}
