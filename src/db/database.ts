import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { Logger } from '../common/logger';
import { createDataSource } from './data-source';
import { startEmbedded, type EmbeddedHandle } from './embedded';
import { migrateUnderLock } from './migrate';

export interface Database {
  url: string;
  dataSource: DataSource;
  embedded?: EmbeddedHandle;
  close(): Promise<void>;
}

/** DATABASE_URL, or the embedded PostgreSQL of DATA_DIR; migrated under the advisory lock. */
export async function openDatabase(config: Config, log: Logger, options: { poolSize?: number } = {}): Promise<Database> {
  let embedded: EmbeddedHandle | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbedded({ dataDir: config.dataDir, port: config.embeddedPgPort, log: (m) => log.info(m) });
    url = embedded.url;
  }
  const dataSource = createDataSource(url, { poolSize: options.poolSize ?? config.dbPoolSize, connectTimeoutMs: config.dbConnectTimeoutMs, log });
  try {
    await dataSource.initialize();
    const ran = await migrateUnderLock(url, dataSource);
    if (ran.length) log.info({ migrations: ran }, 'migrations applied');
  } catch (err) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
    throw err;
  }
  return {
    url,
    dataSource,
    embedded,
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await embedded?.stop();
    },
  };
}
