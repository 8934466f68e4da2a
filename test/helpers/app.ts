import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/common/logger';
import { createDataSource } from '../../src/db/data-source';
import { buildIsmsSchema } from '../../src/schema';
import { startServer, type RunningServer } from '../../src/server';
import { issueKey } from '../../src/auth/api-key.service';
import { Permission } from '../../src/auth/permissions';
import { Owner, OwnerKind } from '../../src/modules/owner/owner.entity';
import { createTestDatabase, dropTestDatabase } from './db';

export interface GqlResponse<T = Record<string, any>> {
  status: number;
  data: T | null | undefined;
  errors?: Array<{ message: string; path?: string[]; extensions: { code: string; field?: string; [k: string]: unknown } }>;
  headers: Headers;
  /** SQL statements the server ran for this request (x-sql-statements). */
  statements: number;
}

export interface TestApp {
  url: string;
  db: DataSource;
  databaseName: string;
  /** Owner of the keys the helpers create. */
  ownerId: string;
  /** An unrestricted admin key. */
  adminKey: string;
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, key?: string | null): Promise<GqlResponse<T>>;
  /** Issues a key directly in the database (no API call). */
  createKey(permissions: Permission[], options?: { scopeIds?: string[] | null; expiresAt?: Date }): Promise<{ id: string; secret: string }>;
  /** Rows of a SQL query against this file's database. */
  sql<T = any>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** Starts the real server (Express, Apollo, graphql-ws) on a random port over this file's own database. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  // The rate limit is off unless a test turns it on: a file's bursts through one admin key would
  // otherwise hit the 600-a-minute default on a fast machine (test/rate-limit.test.ts covers it).
  const config: Config = loadConfig({ NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'silent', EXPOSE_SQL_COUNT: 'true', RATE_LIMIT_PER_MINUTE: '0', DATABASE_URL: database.url, ...env });
  const log = createLogger(config.logLevel);
  const db = createDataSource(database.url, { poolSize: 10, log });
  await db.initialize();
  let server: RunningServer;
  try {
    server = await startServer({ config, db, schema: await buildIsmsSchema(), log });
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const ownerId = randomUUID();
  await db.getRepository(Owner).insert({ id: ownerId, kind: OwnerKind.TEAM, name: 'Test harness', email: null });

  const createKey: TestApp['createKey'] = async (permissions, options = {}) => {
    const id = randomUUID();
    const issued = await db.transaction((tx) => issueKey(tx, {
      id,
      name: `test-${permissions.join('-')}`,
      ownerId,
      permissions,
      scopeIds: options.scopeIds ?? null,
      expiresAt: options.expiresAt ?? new Date(Date.now() + 86_400_000),
      createdByKeyId: null,
    }));
    return { id, secret: issued.secret };
  };
  const admin = await createKey([Permission.ADMIN]);

  const gql: TestApp['gql'] = async (query, variables, key = admin.secret) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key) headers.authorization = `Bearer ${key}`;
    const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: any; errors?: any };
    return { status: res.status, data: body.data, errors: body.errors, headers: res.headers, statements: Number(res.headers.get('x-sql-statements') ?? NaN) };
  };

  return {
    url: server.url,
    db,
    databaseName: database.name,
    ownerId,
    adminKey: admin.secret,
    gql,
    createKey,
    sql: (text, params) => db.query(text, params as unknown[]),
    close: async () => {
      await server.stop();
      await db.destroy();
      await dropTestDatabase(database.name);
    },
  };
}

/** The data of a response that must have succeeded; fails the test with the errors otherwise. */
export function ok<T>(response: GqlResponse<T>): T {
  if (response.errors?.length || !response.data) {
    throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
  }
  return response.data;
}

/** The single error code of a response that must have failed. */
export function errorCode(response: GqlResponse): string | undefined {
  return response.errors?.[0]?.extensions.code;
}
