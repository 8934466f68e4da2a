import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { loadShippedCatalogs } from '../catalogs/catalog-loader';

/** One lock id for every instance: whoever holds it migrates, the others wait and find nothing to do. */
const MIGRATION_LOCK = 727_001;

/**
 * Runs pending migrations, then loads the shipped catalogs, under a session advisory lock, so
 * instances starting together migrate once.
 */
export async function migrateUnderLock(url: string, dataSource: DataSource): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    const catalogs = await loadShippedCatalogs(dataSource);
    return [...ran.map((m) => m.name), ...catalogs.map((c) => `catalog ${c}`)];
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await client.end();
  }
}
