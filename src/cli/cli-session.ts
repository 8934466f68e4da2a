import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { loadConfig, type Config } from '../config';
import { openDatabase, type Database } from '../db/database';
import { createContext, type Context } from '../context';

export interface CliSession {
  config: Config;
  database: Database;
  /** A system context (no API key) whose writes are audited under a `cli-` request id. */
  ctx: Context;
}

/**
 * Opens the database a command-line tool works on (DATABASE_URL or the embedded one in DATA_DIR).
 * stdout is left to the tool's own output (scripts capture it), so logs go to stderr, quiet unless
 * LOG_LEVEL asks for more.
 */
export async function openCliSession(): Promise<CliSession> {
  const config = loadConfig();
  const log = pino(
    { level: process.env.LOG_LEVEL ? config.logLevel : 'warn', base: { service: 'isms-graph-cli' }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 2, sync: true }),
  );
  const database = await openDatabase(config, log, { poolSize: 2 });
  const requestId = `cli-${randomUUID()}`;
  return { config, database, ctx: createContext({ requestId, log, db: database.dataSource, config, principal: null }) };
}
