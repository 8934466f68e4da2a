import 'reflect-metadata';
import { loadConfig } from '../config';
import { createLogger } from '../common/logger';
import { openDatabase } from '../db/database';

/** Applies pending migrations (the server does this at start too) and exits. */
openDatabase(loadConfig(), createLogger('info'))
  .then((database) => database.close())
  .catch((err) => {
    process.stderr.write(`migration:run failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
