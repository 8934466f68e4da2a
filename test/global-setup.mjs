// Starts the database every test file clones its own copy from: DATABASE_URL when set, otherwise
// an embedded PostgreSQL on a free port. One template database is migrated once per run.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import pg from 'pg';

const require = createRequire(import.meta.url);
const dist = path.resolve(import.meta.dirname, '..', 'dist', 'src');

export default async function globalSetup() {
  require('reflect-metadata');
  const { startEmbedded, withDatabase } = require(path.join(dist, 'db', 'embedded.js'));
  const { createDataSource } = require(path.join(dist, 'db', 'data-source.js'));
  const { migrateUnderLock } = require(path.join(dist, 'db', 'migrate.js'));

  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'isms-graph-test-'));
    const embedded = await startEmbedded({ dataDir, persistent: false });
    globalThis.__ISMS_EMBEDDED__ = { embedded, dataDir };
    adminUrl = embedded.url;
  }
  const template = `isms_tpl_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();

  const templateUrl = withDatabase(adminUrl, template);
  const ds = createDataSource(templateUrl, { poolSize: 2 });
  await ds.initialize();
  await migrateUnderLock(templateUrl, ds);
  await ds.destroy();

  process.env.TEST_ADMIN_URL = adminUrl;
  process.env.TEST_TEMPLATE_DB = template;
  globalThis.__ISMS_TEMPLATE__ = { adminUrl, template };
}
