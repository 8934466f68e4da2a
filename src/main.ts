import 'reflect-metadata';
import { ConfigError, loadConfig, type Config } from './config';
import { createLogger } from './common/logger';
import { openDatabase, type Database } from './db/database';
import { buildIsmsSchema } from './schema';
import { startServer, type RunningServer } from './server';
import { startScheduler, type Scheduler } from './jobs/scheduler';
import { jobs, wakeWebhooksOnCommit } from './jobs/jobs';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`isms-graph: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  let database: Database | undefined;
  let server: RunningServer | undefined;
  let scheduler: Scheduler | undefined;
  let stopRequested = false;

  // Signals are handled from the first moment: a Ctrl-C while the embedded PostgreSQL starts or the
  // migrations run must still stop that PostgreSQL, not leave it running without its server.
  const startup = (async () => {
    database = await openDatabase(config, log);
    if (stopRequested) return;
    const schema = await buildIsmsSchema();
    if (stopRequested) return;
    server = await startServer({ config, db: database.dataSource, schema, log });
    scheduler = startScheduler({ db: database.dataSource, log, intervalMs: config.schedulerIntervalMs, jobs });
    if (config.schedulerIntervalMs > 0) wakeWebhooksOnCommit(server.bus, scheduler);
    log.info({ url: `${server.url}/graphql`, embedded: Boolean(database.embedded), schedulerIntervalMs: config.schedulerIntervalMs }, 'isms-graph ready');
  })();

  const shutdown = async (signal: string) => {
    if (stopRequested) return;
    stopRequested = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown timed out');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5000);
    force.unref();
    try {
      await startup.catch(() => undefined); // a start in progress settles first, then is undone
      await scheduler?.stop();
      await server?.stop();
      await database?.close();
      log.info('stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    await startup;
  } catch (err) {
    if (stopRequested) return; // the shutdown reports and exits
    stopRequested = true;
    await database?.close().catch(() => undefined);
    throw err;
  }
}

main().catch((err) => {
  process.stderr.write(`isms-graph: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
