import fs from 'node:fs/promises';
import path from 'node:path';
import { startTestApp, type TestApp } from './helpers/app';
import { printSDL } from '../src/schema-sdl';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

test('the schema the code builds is the committed schema/schema.graphql', async () => {
  const committed = await fs.readFile(path.join(__dirname, '..', 'schema', 'schema.graphql'), 'utf8');
  const built = await printSDL();
  if (built !== committed) {
    const a = committed.split('\n');
    const b = built.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    throw new Error(
      `schema/schema.graphql is out of date with the code: run \`npm run schema:emit\` and review the diff.\n`
      + `First difference at line ${line + 1}:\n  committed: ${a[line] ?? '<end of file>'}\n  built:     ${b[line] ?? '<end of file>'}`,
    );
  }
  expect(built).toBe(committed);
});

test('the migrations produce exactly the schema the entities describe (no drift)', async () => {
  const sqlInMemory = await app.db.driver.createSchemaBuilder().log();
  const pending = sqlInMemory.upQueries.map((q) => q.query);
  if (pending.length) {
    throw new Error(`The entities need a migration the migrations folder does not have (run \`npm run migration:generate\`):\n${pending.join(';\n')}`);
  }
  expect(pending).toEqual([]);
});

test('every migration has run on this database and none is unknown to the code', async () => {
  const ran: Array<{ name: string }> = await app.sql('SELECT name FROM migrations ORDER BY id');
  // migrations/<timestamp>-<Name>.ts holds class <Name><timestamp>, TypeORM's record of it
  const files = (await fs.readdir(path.join(__dirname, '..', 'migrations'))).filter((f) => /^\d+-\w+\.ts$/.test(f));
  const known = files.map((f) => {
    const [, timestamp, name] = /^(\d+)-(\w+)\.ts$/.exec(f)!;
    return `${name}${timestamp}`;
  });
  expect(known.length).toBeGreaterThan(0);
  expect(ran.map((r) => r.name).sort()).toEqual(known.sort());
});

test('the audit trigger is installed by the migrations', async () => {
  const triggers = await app.sql("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass AND NOT tgisinternal ORDER BY tgname");
  expect(triggers.map((t) => t.tgname)).toEqual(['audit_event_no_change', 'audit_event_no_truncate']);
});
