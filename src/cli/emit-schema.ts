import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { printSDL } from '../schema-sdl';

/** Writes schema/schema.graphql, the API's reviewed contract. */
printSDL()
  .then((sdl) => {
    const file = path.join(__dirname, '..', '..', '..', 'schema', 'schema.graphql');
    fs.writeFileSync(file, sdl);
    process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  })
  .catch((err) => {
    process.stderr.write(`schema:emit failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
