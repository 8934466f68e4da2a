import fs from 'node:fs/promises';
import pg from 'pg';

export default async function globalTeardown() {
  const { adminUrl, template } = globalThis.__ISMS_TEMPLATE__ ?? {};
  if (adminUrl) {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    const { rows } = await admin.query(`SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2`, [template, `isms_t_${template.slice('isms_tpl_'.length)}_%`]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    await admin.end();
  }
  const local = globalThis.__ISMS_EMBEDDED__;
  if (local) {
    await local.embedded.stop();
    await fs.rm(local.dataDir, { recursive: true, force: true });
  }
}
