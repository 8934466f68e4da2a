import 'reflect-metadata';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { GraphQLError } from 'graphql';
import { openCliSession } from './cli-session';
import { FrameworkKind } from '../modules/framework/framework.entity';
import { CrosswalkStatus } from '../modules/crosswalk/crosswalk.entity';
import { catalogIoService, MappingDocumentFormat, type FrameworkImportResult, type MappingImportResult } from '../catalogs/catalog-io.service';

const usage = `usage: npm run import -- <file> --format oscal|requirements-csv|mappings-csv|ciso-yaml [options]
  oscal             --framework <new key> [--name <name>] [--kind CONTROL_CATALOG|MANAGEMENT_SYSTEM|RISK_TAXONOMY]
  requirements-csv  --framework <key> [--version <version>]
  mappings-csv      --framework <source key> --target <key> --crosswalk <key> [--provenance "..."] [--status DRAFT|APPROVED] [--name <name>]
  ciso-yaml         --crosswalk <key> [--framework <source key>] [--target <key>] [--provenance "..."] [--status DRAFT|APPROVED] [--name <name>]
The same import as the GraphQL mutations, without the request size limit: all or nothing in one
transaction. Prints the counts on stdout; a fault in the file names its line or path.`;

/** A mistake in the arguments: reported with the usage, exit code 2. */
class UsageError extends Error {}

function fail(message: string): never {
  throw new UsageError(message);
}

const FORMATS = ['oscal', 'requirements-csv', 'mappings-csv', 'ciso-yaml'] as const;
type Format = (typeof FORMATS)[number];

function frameworkLine(label: string, r: FrameworkImportResult, ms: number): string {
  const f = r.framework;
  return `${label} ${f.key} ${f.version} (${f.name}): ${r.rowsRead} rows read, ${r.requirementsCreated} requirements created, `
    + `${r.requirementsUpdated} updated, ${r.withdrawn} withdrawn${r.ignoredColumns.length ? `; ignored columns: ${r.ignoredColumns.join(', ')}` : ''} in ${ms} ms`;
}

function mappingLines(r: MappingImportResult, ms: number): string {
  const lines = r.crosswalks.map((c) => `crosswalk ${c.crosswalk.key} (${c.created ? 'created' : 'existing'}, ${c.crosswalk.status}): ${c.mappingsCreated} mappings created`);
  lines.push(`${r.rowsRead} rows read, ${r.mappingsCreated} mappings created, ${r.duplicatesSkipped} duplicates skipped${r.ignoredColumns.length ? `; ignored columns: ${r.ignoredColumns.join(', ')}` : ''} in ${ms} ms`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      framework: { type: 'string' },
      version: { type: 'string' },
      target: { type: 'string' },
      crosswalk: { type: 'string' },
      provenance: { type: 'string' },
      status: { type: 'string' },
      name: { type: 'string' },
      kind: { type: 'string' },
    },
    strict: true,
  });
  if (positionals.length !== 1) fail('give exactly one file');
  const file = positionals[0];
  const format = values.format as Format | undefined;
  if (!format || !FORMATS.includes(format)) fail(`--format must be one of ${FORMATS.join(', ')}`);
  const status = values.status === undefined ? CrosswalkStatus.DRAFT : (CrosswalkStatus as Record<string, CrosswalkStatus>)[values.status.toUpperCase()] ?? fail('--status must be DRAFT or APPROVED');
  const kind = values.kind === undefined ? undefined : (FrameworkKind as Record<string, FrameworkKind>)[values.kind.toUpperCase()] ?? fail(`--kind must be one of ${Object.values(FrameworkKind).join(', ')}`);
  if ((format === 'oscal' || format === 'requirements-csv' || format === 'mappings-csv') && !values.framework) fail('--framework is required');
  if (format === 'mappings-csv' && !values.target) fail('--target is required');
  if ((format === 'mappings-csv' || format === 'ciso-yaml') && !values.crosswalk) fail('--crosswalk is required');
  let document: string;
  try {
    document = await fs.readFile(file, 'utf8');
  } catch (err) {
    fail(`cannot read ${file}: ${(err as Error).message}`);
  }

  const { database, ctx } = await openCliSession();
  try {
    const started = process.hrtime.bigint();
    const elapsed = () => Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    const provenance = values.provenance ?? `Imported from ${path.basename(file)} on ${new Date().toISOString().slice(0, 10)}`;
    if (format === 'oscal') {
      const result = await catalogIoService.importOscalCatalog(ctx, { document, frameworkKey: values.framework!, name: values.name, kind });
      process.stdout.write(`${frameworkLine('imported OSCAL catalog as', result, elapsed())}\n`);
    } else if (format === 'requirements-csv') {
      const result = await catalogIoService.importRequirementsCsv(ctx, { document, frameworkKey: values.framework!, frameworkVersion: values.version });
      process.stdout.write(`${frameworkLine('imported requirements into', result, elapsed())}\n`);
    } else {
      const result = await catalogIoService.importMappings(ctx, {
        document,
        format: format === 'mappings-csv' ? MappingDocumentFormat.CSV : MappingDocumentFormat.CISO_ASSISTANT_YAML,
        sourceFrameworkKey: values.framework,
        targetFrameworkKey: values.target,
        crosswalkKey: values.crosswalk!,
        name: values.name,
        provenance,
        status,
      });
      process.stdout.write(`${mappingLines(result, elapsed())}\n`);
    }
  } finally {
    await database.close();
  }
}

main().catch((err) => {
  if (err instanceof UsageError || String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`import: ${err.message}\n${usage}\n`);
    process.exit(2);
  }
  if (err instanceof GraphQLError) {
    const { code, path: at, line, field } = err.extensions as { code?: string; path?: string; line?: number; field?: string };
    const place = [line !== undefined ? `line ${line}` : null, at ? `path ${at}` : null, field && field !== at ? `field ${field}` : null].filter(Boolean).join(', ');
    process.stderr.write(`import failed, nothing written: ${code ?? 'ERROR'}${place ? ` at ${place}` : ''}: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`import failed, nothing written: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
