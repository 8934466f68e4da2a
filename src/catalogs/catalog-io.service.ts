import { randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import { In, IsNull, type EntityManager } from 'typeorm';
import { memo, type Context } from '../context';
import { badInput, conflict, forbidden } from '../common/errors';
import { hasNul, NAME_MAX, NOT_BLANK, TEXT_MAX } from '../common/validation';
import { inTransaction, recordWrite } from '../db/transaction';
import { ChangeAction, EntityType } from '../db/events';
import { claimCreate } from '../modules/idempotency/idempotency.service';
import { Framework, FrameworkKind } from '../modules/framework/framework.entity';
import { Requirement, RequirementKind, type RequirementAttributeValues } from '../modules/framework/requirement.entity';
import { FRAMEWORK_KEY } from '../modules/framework/framework.inputs';
import { frameworkService } from '../modules/framework/framework.service';
import { Crosswalk, CrosswalkMethod, CrosswalkStatus, Relationship } from '../modules/crosswalk/crosswalk.entity';
import { insertMappings, insertRequirements, requirementIndex, type MappingDraft } from './catalog-writer';
import { ATTRIBUTES } from './importers/attributes';
import { importFault, type Place } from './importers/document';
import { parseOscalCatalog, type ImportedRequirement } from './importers/oscal-catalog.importer';
import { parseRequirementsCsv } from './importers/requirements-csv.importer';
import { parseMappingsCsv } from './importers/mappings-csv.importer';
import { parseCisoAssistantYaml, type CisoMappingSet } from './importers/ciso-assistant-yaml.importer';
import { toOscalCatalog, type ExportedRequirement } from './exporters/oscal-catalog.exporter';
import { toCisoAssistantYaml, toMappingsCsv, type ExportedCrosswalk, type ExportedMapping } from './exporters/mappings.exporter';

export enum MappingDocumentFormat {
  CSV = 'CSV',
  CISO_ASSISTANT_YAML = 'CISO_ASSISTANT_YAML',
}

export interface FrameworkImportResult {
  framework: Framework;
  rowsRead: number;
  requirementsCreated: number;
  requirementsUpdated: number;
  withdrawn: number;
  ignoredColumns: string[];
}

export interface CrosswalkImportResult {
  crosswalk: Crosswalk;
  created: boolean;
  mappingsCreated: number;
}

export interface MappingImportResult {
  crosswalks: CrosswalkImportResult[];
  rowsRead: number;
  mappingsCreated: number;
  duplicatesSkipped: number;
  ignoredColumns: string[];
}

export interface ImportOscalArgs {
  document: string;
  frameworkKey: string;
  name?: string | null;
  kind?: FrameworkKind | null;
  idempotencyKey?: string | null;
}

export interface ImportRequirementsCsvArgs {
  document: string;
  frameworkKey: string;
  frameworkVersion?: string | null;
}

export interface ImportMappingsArgs {
  document: string;
  format: MappingDocumentFormat;
  sourceFrameworkKey?: string | null;
  sourceFrameworkVersion?: string | null;
  targetFrameworkKey?: string | null;
  targetFrameworkVersion?: string | null;
  crosswalkKey: string;
  name?: string | null;
  provenance: string;
  status?: CrosswalkStatus | null;
}

/** Deepest requirement tree a CSV may build (the tree walks that follow are recursive). */
const MAX_TREE_DEPTH = 64;

/**
 * New rows may not hang deeper than MAX_TREE_DEPTH below the root; a cycle is left for
 * checkRequirementTree to report, an unknown parent too.
 */
function checkDepth(drafts: ImportedRequirement[], existing: Map<string, Requirement>): void {
  const byCode = new Map(drafts.map((d) => [d.code, d]));
  const existingByCode = new Map([...existing.values()].map((r) => [r.code, r]));
  for (const d of drafts) {
    let depth = 0;
    const seen = new Set<string>([d.code]);
    let parent = d.parent ?? null;
    while (parent !== null && depth <= MAX_TREE_DEPTH) {
      if (seen.has(parent)) break;
      seen.add(parent);
      depth += 1;
      const draft = byCode.get(parent);
      if (draft) {
        parent = draft.parent ?? null;
        continue;
      }
      const row = existingByCode.get(parent);
      const up = row?.parentId ? existing.get(row.parentId) : undefined;
      parent = up?.code ?? null;
    }
    if (depth > MAX_TREE_DEPTH) importFault(`Requirement ${d.code} would be more than ${MAX_TREE_DEPTH} levels deep`, d.at ?? {});
  }
}

/** Assessable by default when a CSV row leaves `assessable` empty. */
const ASSESSABLE_KINDS = new Set<RequirementKind>([RequirementKind.CONTROL, RequirementKind.SUBCATEGORY, RequirementKind.RISK]);

/** A fault in an argument (not in the document): names it as `field`, and as `path` like document faults. */
function argumentFault(message: string, field: string): never {
  throw badInput(message, field, { path: field });
}

function checkKey(key: string, field: string): void {
  if (!FRAMEWORK_KEY.test(key)) argumentFault(`${field} must be 2 to 64 of a-z, 0-9, ., -, _ starting with a letter or digit`, field);
}

function checkText(value: string | null | undefined, field: string, max: number): string | null {
  if (value === null || value === undefined) return null;
  if (hasNul(value)) argumentFault(`${field} must not contain NUL characters`, field);
  if (!NOT_BLANK.test(value)) argumentFault(`${field} must not be blank`, field);
  if (value.length > max) argumentFault(`${field} must be at most ${max} characters`, field);
  return value.trim();
}

/** Serialises imports that create the same key (a framework key or crosswalk key) until commit. */
async function lockName(tx: EntityManager, name: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [name]);
}

/** A unique violation from a write racing outside these imports' locks reads as CONFLICT, not INTERNAL. */
async function conflictOnRace<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const code = (err as { driverError?: { code?: string }; code?: string }).driverError?.code ?? (err as { code?: string }).code;
    if (code === '23505') throw conflict('The catalog changed while importing; retry the import');
    throw err;
  }
}

const hasAttributes = (values: RequirementAttributeValues | undefined) => !!values && Object.values(values).some((v) => v !== undefined);

/** Sets the ISO/IEC 27002 attributes of just-inserted requirements (one statement). */
async function setAttributes(tx: EntityManager, frameworkId: string, drafts: ImportedRequirement[]): Promise<void> {
  const withValues = drafts.filter((d) => hasAttributes(d.attributes));
  if (!withValues.length) return;
  await tx.query(
    `UPDATE requirement r SET attribute_values = v.a
       FROM unnest($2::text[], $3::jsonb[]) AS v(code, a)
      WHERE r.framework_id = $1 AND r.code = v.code`,
    [frameworkId, withValues.map((d) => d.code), withValues.map((d) => JSON.stringify(normalAttributes(d.attributes!)))],
  );
}

/** Attribute values with every list in vocabulary order and empty lists dropped. */
function normalAttributes(values: RequirementAttributeValues): RequirementAttributeValues {
  const out: RequirementAttributeValues = {};
  for (const a of ATTRIBUTES) if (values[a.name]?.length) out[a.name] = values[a.name];
  return out;
}

const sameAttributes = (a: RequirementAttributeValues, b: RequirementAttributeValues) =>
  JSON.stringify(normalAttributes(a ?? {})) === JSON.stringify(normalAttributes(b ?? {}));

async function frameworkSummary(tx: EntityManager, framework: Framework): Promise<FrameworkImportResult> {
  const [counts] = await tx.query('SELECT count(*)::int AS total, count(*) FILTER (WHERE withdrawn)::int AS withdrawn FROM requirement WHERE framework_id = $1', [framework.id]);
  return { framework, rowsRead: counts.total, requirementsCreated: counts.total, requirementsUpdated: 0, withdrawn: counts.withdrawn, ignoredColumns: [] };
}

export const catalogIoService = {
  /** A new framework version from an OSCAL 1.0/1.1 catalog (JSON), all or nothing. */
  async importOscalCatalog(ctx: Context, args: ImportOscalArgs): Promise<FrameworkImportResult> {
    checkKey(args.frameworkKey, 'frameworkKey');
    const givenName = checkText(args.name, 'name', NAME_MAX);
    if (args.kind !== undefined && args.kind !== null && !Object.values(FrameworkKind).includes(args.kind)) argumentFault(`Unknown framework kind ${args.kind}`, 'kind');
    const catalog = parseOscalCatalog(args.document);
    const name = givenName ?? catalog.title;
    if (name.length > NAME_MAX) importFault(`The catalog title is longer than ${NAME_MAX} characters; pass a name`, { path: 'catalog.metadata.title' });

    return conflictOnRace(() => inTransaction(ctx, async (tx) => {
      const claim = await claimCreate(tx, ctx, 'importOscalCatalog', args.idempotencyKey, { document: args.document, frameworkKey: args.frameworkKey, name: givenName, kind: args.kind ?? null });
      if (claim.replay) return frameworkSummary(tx, await tx.findOneByOrFail(Framework, { id: claim.id }));
      await lockName(tx, `framework:${args.frameworkKey}`);
      if (await tx.findOneBy(Framework, { key: args.frameworkKey, builtIn: true })) {
        argumentFault(`${args.frameworkKey} is shipped with the product; import the catalog under another key`, 'frameworkKey');
      }
      if (await tx.findOneBy(Framework, { key: args.frameworkKey, version: catalog.version })) {
        importFault(`Framework ${args.frameworkKey} version ${catalog.version} already exists`, { path: 'catalog.metadata.version' });
      }
      const id = claim.id;
      await tx.insert(Framework, {
        id,
        key: args.frameworkKey,
        version: catalog.version,
        name,
        kind: args.kind ?? catalog.kind ?? FrameworkKind.CONTROL_CATALOG,
        publisher: catalog.publisher?.slice(0, NAME_MAX) ?? null,
        licence: catalog.licence,
        sourceUrl: catalog.sourceUrl,
        attribution: catalog.attribution,
        builtIn: false,
      });
      const created = await insertRequirements(tx, id, catalog.requirements);
      await setAttributes(tx, id, catalog.requirements);
      const framework = await tx.findOneByOrFail(Framework, { id });
      const withdrawn = catalog.requirements.filter((r) => r.withdrawn).length;
      const summary = { format: 'OSCAL', oscalVersion: catalog.oscalVersion, requirementsCreated: created, withdrawn };
      await recordWrite(tx, ctx, { operation: 'importOscalCatalog', entityType: EntityType.FRAMEWORK, entityId: id, action: ChangeAction.CREATED, before: null, after: { ...framework, import: summary }, version: framework.revision, scopeIds: [] });
      return { framework, rowsRead: catalog.requirements.length, requirementsCreated: created, requirementsUpdated: 0, withdrawn, ignoredColumns: [] };
    }));
  },

  /**
   * Requirements from CSV into a stored framework version. A custom framework gains the new codes
   * and the rows of existing codes update their title, text and attributes; a shipped framework
   * takes the ISO/IEC 27002 attribute columns only.
   */
  async importRequirementsCsv(ctx: Context, args: ImportRequirementsCsvArgs): Promise<FrameworkImportResult> {
    const csv = parseRequirementsCsv(args.document);
    return conflictOnRace(() => inTransaction(ctx, async (tx) => {
      const found = await frameworkService.findByKey(tx, args.frameworkKey, args.frameworkVersion);
      if (!found) argumentFault(`No framework with key ${args.frameworkKey}${args.frameworkVersion ? ` version ${args.frameworkVersion}` : ''}`, args.frameworkVersion ? 'frameworkVersion' : 'frameworkKey');
      await tx.query('SELECT id FROM framework WHERE id = $1 FOR UPDATE', [found.id]);
      const framework = await tx.findOneByOrFail(Framework, { id: found.id });
      if (framework.archivedAt) argumentFault(`${framework.key} ${framework.version} is archived`, 'frameworkKey');

      const existing = await tx.find(Requirement, { where: { frameworkId: framework.id }, lock: { mode: 'pessimistic_write' } });
      const byId = new Map(existing.map((r) => [r.id, r]));
      const index = await requirementIndex(tx, framework.id);
      const resolve = (code: string) => {
        const id = index.get(code) ?? index.get(code.toLowerCase());
        return id ? byId.get(id) : undefined;
      };
      const newCodes = new Map(csv.rows.filter((r) => !resolve(r.code)).map((r) => [r.code.toLowerCase(), r.code]));
      /** A parent named by a new row of the file or an existing requirement, in any spelling it resolves by (case, alias). */
      const parentCode = (code: string) => resolve(code)?.code ?? newCodes.get(code.toLowerCase()) ?? code;

      const drafts: ImportedRequirement[] = [];
      const updates: Array<{ id: string; title: string; text: string | null; attributes: RequirementAttributeValues }> = [];
      const claimed = new Map<string, number>();
      for (const row of csv.rows) {
        const at: Place = { line: row.line };
        const current = resolve(row.code);
        if (!current) {
          if (framework.builtIn) importFault(`${row.code} is not a requirement of ${framework.key} ${framework.version}; requirements cannot be added to a shipped framework`, at);
          if (!row.title) importFault(`The new requirement ${row.code} needs a title`, at);
          const kind = row.kind ?? RequirementKind.CONTROL;
          drafts.push({
            code: row.code,
            title: row.title,
            text: row.text ?? null,
            kind,
            assessable: row.assessable ?? ASSESSABLE_KINDS.has(kind),
            parent: row.parent === undefined ? null : parentCode(row.parent),
            attributes: row.attributes,
            at,
          });
          continue;
        }
        const first = claimed.get(current.id);
        if (first !== undefined) importFault(`Line ${row.line} names ${current.code} again (first on line ${first})`, at);
        claimed.set(current.id, row.line);
        const currentParent = current.parentId ? byId.get(current.parentId)?.code ?? null : null;
        const differs = {
          title: row.title !== undefined && row.title !== current.title,
          text: row.text !== undefined && row.text !== (current.text ?? '').trim(),
          kind: row.kind !== undefined && row.kind !== current.kind,
          assessable: row.assessable !== undefined && row.assessable !== current.assessable,
          parent: row.parent !== undefined && parentCode(row.parent) !== currentParent,
        };
        if (framework.builtIn) {
          const column = (Object.keys(differs) as Array<keyof typeof differs>).find((c) => differs[c]);
          if (column) importFault(`${framework.key} is shipped with the product: only the attribute columns (${ATTRIBUTES.map((a) => a.column).join(', ')}) may be set, but line ${row.line} changes the ${column} of ${current.code}`, at);
        } else {
          const column = (['kind', 'assessable', 'parent'] as const).find((c) => differs[c]);
          if (column) importFault(`Line ${row.line} changes the ${column} of the existing requirement ${current.code}; use updateRequirement for that`, at);
        }
        const attributes = normalAttributes({ ...(current.attributeValues ?? {}), ...row.attributes });
        const title = differs.title ? row.title! : current.title;
        const text = differs.text ? row.text! : current.text;
        if (title !== current.title || text !== current.text || !sameAttributes(attributes, current.attributeValues)) {
          updates.push({ id: current.id, title, text, attributes });
        }
      }

      checkDepth(drafts, byId);

      let created = 0;
      if (drafts.length) {
        const [{ next }] = await tx.query('SELECT coalesce(max(position) + 1, 0) AS next FROM requirement WHERE framework_id = $1', [framework.id]);
        created = await insertRequirements(tx, framework.id, drafts, Number(next));
        await setAttributes(tx, framework.id, drafts);
      }
      if (updates.length) {
        await tx.query(
          `UPDATE requirement r SET title = v.title, text = v.text, attribute_values = v.a, version = r.version + 1, updated_at = now()
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[]) AS v(id, title, text, a)
            WHERE r.id = v.id`,
          [updates.map((u) => u.id), updates.map((u) => u.title), updates.map((u) => u.text), updates.map((u) => JSON.stringify(u.attributes))],
        );
      }
      const summary = { format: 'REQUIREMENTS_CSV', rowsRead: csv.rows.length, requirementsCreated: created, requirementsUpdated: updates.length };
      await recordWrite(tx, ctx, { operation: 'importRequirementsCsv', entityType: EntityType.FRAMEWORK, entityId: framework.id, action: ChangeAction.UPDATED, before: null, after: { ...framework, import: summary }, version: framework.revision, scopeIds: [] });
      return { framework, rowsRead: csv.rows.length, requirementsCreated: created, requirementsUpdated: updates.length, withdrawn: 0, ignoredColumns: csv.ignoredColumns };
    }));
  },

  /**
   * Mappings from CSV or a CISO Assistant library into the crosswalk `crosswalkKey` (created, or
   * added to when it exists and is not shipped). A multi-set library whose sets name different
   * framework pairs fills one crosswalk per pair: `crosswalkKey`, then `crosswalkKey-2`, …
   */
  async importMappings(ctx: Context, args: ImportMappingsArgs): Promise<MappingImportResult> {
    checkKey(args.crosswalkKey, 'input.crosswalkKey');
    const provenance = checkText(args.provenance, 'input.provenance', TEXT_MAX);
    if (!provenance) argumentFault('input.provenance is required', 'input.provenance');
    const givenName = checkText(args.name, 'input.name', NAME_MAX);
    let sets: Array<Pick<CisoMappingSet, 'name' | 'sourceFramework' | 'targetFramework' | 'drafts' | 'place'>>;
    let ignoredColumns: string[] = [];
    let libraryName: string | null = null;
    if (args.format === MappingDocumentFormat.CSV) {
      if (!args.sourceFrameworkKey) argumentFault('A mappings CSV needs sourceFrameworkKey', 'input.sourceFrameworkKey');
      if (!args.targetFrameworkKey) argumentFault('A mappings CSV needs targetFrameworkKey', 'input.targetFrameworkKey');
      const csv = parseMappingsCsv(args.document);
      ignoredColumns = csv.ignoredColumns;
      sets = [{ name: null, sourceFramework: null, targetFramework: null, drafts: csv.drafts, place: { line: 1 } }];
    } else if (args.format === MappingDocumentFormat.CISO_ASSISTANT_YAML) {
      const library = parseCisoAssistantYaml(args.document);
      libraryName = library.name;
      sets = library.sets;
    } else {
      argumentFault(`Unknown format ${String(args.format)}`, 'input.format');
    }

    return conflictOnRace(() => inTransaction(ctx, async (tx) => {
      const frameworks = new Map<string, Framework | null>();
      const lookup = async (key: string, version: string | null | undefined) => {
        const cacheKey = `${key}@${version ?? ''}`;
        if (!frameworks.has(cacheKey)) frameworks.set(cacheKey, await frameworkService.findByKey(tx, key, version));
        return frameworks.get(cacheKey)!;
      };
      const resolveFramework = async (side: 'source' | 'target', set: (typeof sets)[number]): Promise<Framework> => {
        const givenKey = side === 'source' ? args.sourceFrameworkKey : args.targetFrameworkKey;
        const givenVersion = side === 'source' ? args.sourceFrameworkVersion : args.targetFrameworkVersion;
        if (givenKey) {
          const framework = await lookup(givenKey, givenVersion);
          if (!framework) argumentFault(`No framework with key ${givenKey}${givenVersion ? ` version ${givenVersion}` : ''}`, `input.${side}FrameworkKey`);
          return framework;
        }
        const named = side === 'source' ? set.sourceFramework : set.targetFramework;
        if (!named) importFault(`The mapping set names no ${side} framework (${side}_framework_urn); pass ${side}FrameworkKey`, set.place);
        const framework = await lookup(named.key, givenVersion);
        if (!framework) importFault(`No framework with key ${named.key}${givenVersion ? ` version ${givenVersion}` : ''}`, named.place);
        return framework;
      };

      // one crosswalk per framework pair, in the order the sets name them
      const groups: Array<{ source: Framework; target: Framework; name: string | null; drafts: MappingDraft[] }> = [];
      for (const set of sets) {
        const source = await resolveFramework('source', set);
        const target = await resolveFramework('target', set);
        const group = groups.find((g) => g.source.id === source.id && g.target.id === target.id);
        if (group) group.drafts.push(...set.drafts);
        else groups.push({ source, target, name: set.name, drafts: [...set.drafts] });
      }

      const results: CrosswalkImportResult[] = [];
      for (const [i, group] of groups.entries()) {
        const key = i === 0 ? args.crosswalkKey : `${args.crosswalkKey}-${i + 1}`;
        checkKey(key, 'input.crosswalkKey');
        await lockName(tx, `crosswalk:${key}`);
        let crosswalk = await tx.findOneBy(Crosswalk, { key });
        const created = !crosswalk;
        if (crosswalk) {
          if (crosswalk.builtIn) throw forbidden(`${key} is shipped with the product and cannot be edited; import into another crosswalk key`);
          if (crosswalk.archivedAt) argumentFault(`The crosswalk ${key} is archived`, 'input.crosswalkKey');
          if (crosswalk.sourceFrameworkId !== group.source.id || crosswalk.targetFrameworkId !== group.target.id) {
            argumentFault(`The crosswalk ${key} maps other frameworks than ${group.source.key} ${group.source.version} → ${group.target.key} ${group.target.version}`, 'input.crosswalkKey');
          }
          await tx.query('SELECT id FROM crosswalk WHERE id = $1 FOR UPDATE', [crosswalk.id]);
        } else {
          const id = randomUUID();
          await tx.insert(Crosswalk, {
            id,
            key,
            name: (givenName ?? group.name ?? libraryName ?? `${group.source.name} → ${group.target.name}`).slice(0, NAME_MAX),
            sourceFrameworkId: group.source.id,
            targetFrameworkId: group.target.id,
            source: provenance,
            method: CrosswalkMethod.IMPORTED,
            status: args.status ?? CrosswalkStatus.DRAFT,
            builtIn: false,
          });
          crosswalk = await tx.findOneByOrFail(Crosswalk, { id });
        }
        const before = crosswalk;
        const mappingsCreated = await insertMappings(tx, { crosswalkId: crosswalk.id, sourceFrameworkId: group.source.id, targetFrameworkId: group.target.id }, group.drafts);
        if (!created && mappingsCreated > 0) {
          await tx.query('UPDATE crosswalk SET version = version + 1, updated_at = now() WHERE id = $1', [crosswalk.id]);
          crosswalk = await tx.findOneByOrFail(Crosswalk, { id: crosswalk.id });
        }
        const summary = { format: args.format, rowsRead: group.drafts.length, mappingsCreated };
        await recordWrite(tx, ctx, {
          operation: 'importMappings',
          entityType: EntityType.CROSSWALK,
          entityId: crosswalk.id,
          action: created ? ChangeAction.CREATED : ChangeAction.UPDATED,
          before: created ? null : before,
          after: { ...crosswalk, import: summary },
          version: crosswalk.version,
          scopeIds: [],
        });
        results.push({ crosswalk, created, mappingsCreated });
      }
      const rowsRead = sets.reduce((n, s) => n + s.drafts.length, 0);
      const mappingsCreated = results.reduce((n, r) => n + r.mappingsCreated, 0);
      return { crosswalks: results, rowsRead, mappingsCreated, duplicatesSkipped: rowsRead - mappingsCreated, ignoredColumns };
    }));
  },

  /** The framework version as an OSCAL 1.1 catalog (active requirements). */
  async oscal(ctx: Context, framework: Framework): Promise<Record<string, unknown>> {
    const loader = await memo(ctx, 'catalog-io:requirements', async () =>
      new DataLoader<string, Requirement[]>(async (ids) => {
        const rows = await ctx.db.getRepository(Requirement).find({ where: { frameworkId: In([...ids]), archivedAt: IsNull() }, order: { position: 'ASC', code: 'ASC' } });
        return ids.map((id) => rows.filter((r) => r.frameworkId === id));
      }));
    const requirements: ExportedRequirement[] = await loader.load(framework.id);
    return toOscalCatalog(framework, requirements);
  },

  /** The crosswalk with its active mappings as codes, in source then target catalog order. */
  async crosswalkExport(ctx: Context, crosswalk: Crosswalk): Promise<ExportedCrosswalk> {
    const loader = await memo(ctx, 'catalog-io:mappings', async () =>
      new DataLoader<string, ExportedMapping[]>(async (ids) => {
        const rows: Array<ExportedMapping & { crosswalkId: string }> = await ctx.db.query(
          `SELECT m.crosswalk_id AS "crosswalkId", s.code AS "sourceCode", t.code AS "targetCode", m.relationship::text AS relationship,
                  m.rationale::text AS rationale, m.strength::int AS strength, m.notes
             FROM mapping m
             JOIN requirement s ON s.id = m.source_requirement_id
             JOIN requirement t ON t.id = m.target_requirement_id
            WHERE m.crosswalk_id = ANY($1::uuid[]) AND m.archived_at IS NULL
            ORDER BY s.position, t.position, m.id`,
          [[...ids]],
        );
        return ids.map((id) => rows.filter((r) => r.crosswalkId === id).map(({ crosswalkId: _c, ...m }) => ({ ...m, relationship: m.relationship as Relationship })));
      }));
    const [mappings, source, target] = await Promise.all([
      loader.load(crosswalk.id),
      ctx.loaders.framework.load(crosswalk.sourceFrameworkId),
      ctx.loaders.framework.load(crosswalk.targetFrameworkId),
    ]);
    return { crosswalk, sourceFramework: source!, targetFramework: target!, mappings };
  },

  async crosswalkCsv(ctx: Context, crosswalk: Crosswalk): Promise<string> {
    return toMappingsCsv(await this.crosswalkExport(ctx, crosswalk));
  },

  async crosswalkCisoAssistantYaml(ctx: Context, crosswalk: Crosswalk): Promise<string> {
    return toCisoAssistantYaml(await this.crosswalkExport(ctx, crosswalk));
  },
};
