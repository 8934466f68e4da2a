import { Client } from 'pg';
import type { DataSource } from 'typeorm';

/** One lock id for every instance: whoever holds it migrates, the others wait and find nothing to do. */
const MIGRATION_LOCK = 727_001;

/**
 * Runs pending migrations (and whatever else must happen once per database, such as catalog
 * loading) under a session advisory lock, so instances starting together migrate once.
 */
export async function migrateUnderLock(url: string, dataSource: DataSource, also: Array<(ds: DataSource) => Promise<void>> = []): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    for (const step of also) await step(dataSource);
    return ran.map((m) => m.name);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await client.end();
  }
}
