import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { badInput, type ErrorDetails } from '../common/errors';
import { Framework, FrameworkKind } from '../modules/framework/framework.entity';
import { Requirement, RequirementKind } from '../modules/framework/requirement.entity';
import { Crosswalk, CrosswalkMethod, CrosswalkStatus, Mapping, MappingRationale, Relationship } from '../modules/crosswalk/crosswalk.entity';
import type { CrosswalkFile, FrameworkFile } from './catalog-files';

/** Where in an imported document a row came from: a JSON path or a line number. */
export type Location = Pick<ErrorDetails, 'path' | 'line'>;

export type RequirementDraft = FrameworkFile['requirements'][number] & { at?: Location };
export type MappingDraft = CrosswalkFile['mappings'][number] & { at?: Location };

const CHUNK = 500;

async function insertChunked<T extends object>(tx: EntityManager, entity: new () => T, rows: T[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await tx.insert(entity, rows.slice(i, i + CHUNK) as never);
}

function fail(message: string, at: Location | undefined, fallbackPath: string): never {
  throw badInput(message, undefined, at ?? { path: fallbackPath });
}

/**
 * Checks a requirement tree before anything is written: codes present and unique, kinds known,
 * parents known, no cycles. Faults name the row (`extensions.path` or `extensions.line`).
 */
export function checkRequirementTree(drafts: RequirementDraft[], existingCodes: ReadonlySet<string> = new Set()): void {
  const byCode = new Map<string, RequirementDraft>();
  drafts.forEach((d, i) => {
    const where = `requirements[${i}]`;
    if (!d.code || typeof d.code !== 'string' || !d.code.trim()) fail('A requirement has no code', d.at, `${where}.code`);
    if (!d.title || typeof d.title !== 'string') fail(`Requirement ${d.code} has no title`, d.at, `${where}.title`);
    if (!Object.values(RequirementKind).includes(d.kind as RequirementKind)) fail(`Requirement ${d.code} has the unknown kind "${d.kind}"`, d.at, `${where}.kind`);
    if (byCode.has(d.code)) fail(`Duplicate requirement code ${d.code}`, d.at, `${where}.code`);
    byCode.set(d.code, d);
  });
  drafts.forEach((d, i) => {
    if (d.parent && !byCode.has(d.parent) && !existingCodes.has(d.parent)) fail(`Requirement ${d.code} names the unknown parent ${d.parent}`, d.at, `requirements[${i}].parent`);
  });
  drafts.forEach((d, i) => {
    const seen = new Set<string>([d.code]);
    for (let p = d.parent; p; p = byCode.get(p)?.parent ?? null) {
      if (seen.has(p)) fail(`Requirement ${d.code} is its own ancestor (cycle through ${p})`, d.at, `requirements[${i}].parent`);
      seen.add(p);
    }
  });
}

/** Orders drafts so every parent comes before its children (stable otherwise). */
function parentsFirst(drafts: RequirementDraft[]): RequirementDraft[] {
  const byCode = new Map(drafts.map((d) => [d.code, d]));
  const done = new Set<string>();
  const out: RequirementDraft[] = [];
  const visit = (d: RequirementDraft) => {
    if (done.has(d.code)) return;
    const parent = d.parent ? byCode.get(d.parent) : undefined;
    if (parent) visit(parent);
    done.add(d.code);
    out.push(d);
  };
  drafts.forEach(visit);
  return out;
}

/** Inserts requirements under a framework; parents may be new or already stored. */
export async function insertRequirements(tx: EntityManager, frameworkId: string, drafts: RequirementDraft[], startPosition = 0): Promise<number> {
  const existing = await tx.find(Requirement, { where: { frameworkId }, select: { id: true, code: true } });
  const ids = new Map(existing.map((r) => [r.code, r.id]));
  checkRequirementTree(drafts, new Set(ids.keys()));
  const clash = drafts.findIndex((d) => ids.has(d.code));
  if (clash >= 0) fail(`Requirement ${drafts[clash].code} already exists in this framework`, drafts[clash].at, `requirements[${clash}].code`);
  const ordered = parentsFirst(drafts);
  for (const d of ordered) ids.set(d.code, randomUUID());
  // position = place in the input (catalog order), looked up once: indexOf per row is quadratic
  const positions = new Map(drafts.map((d, i) => [d, startPosition + i]));
  const rows = ordered.map((d) => Object.assign(new Requirement(), {
    id: ids.get(d.code)!,
    frameworkId,
    code: d.code,
    title: d.title,
    text: d.text ?? null,
    kind: d.kind as RequirementKind,
    assessable: Boolean(d.assessable),
    parentId: d.parent ? ids.get(d.parent)! : null,
    position: positions.get(d)!,
    aliases: d.aliases ?? [],
    withdrawn: Boolean(d.withdrawn),
    examples: d.examples ?? [],
    url: d.url ?? null,
    attributeValues: {},
  }));
  await insertChunked(tx, Requirement, rows);
  return rows.length;
}

/** Inserts a framework version with its requirements. */
export async function insertFramework(tx: EntityManager, file: FrameworkFile, options: { builtIn: boolean }): Promise<Framework> {
  if (!Object.values(FrameworkKind).includes(file.kind as FrameworkKind)) fail(`Unknown framework kind "${file.kind}"`, undefined, 'kind');
  const taken = await tx.findOneBy(Framework, { key: file.key, version: file.version });
  if (taken) fail(`Framework ${file.key} version ${file.version} already exists`, undefined, 'version');
  checkRequirementTree(file.requirements);
  const id = randomUUID();
  await tx.insert(Framework, {
    id,
    key: file.key,
    version: file.version,
    name: file.name,
    kind: file.kind as FrameworkKind,
    publisher: file.publisher ?? null,
    licence: file.licence ?? null,
    sourceUrl: file.sourceUrl ?? null,
    attribution: file.attribution ?? null,
    builtIn: options.builtIn,
  });
  await insertRequirements(tx, id, file.requirements);
  return tx.findOneByOrFail(Framework, { id });
}

/** Requirement ids of a framework by code, aliases included (OSCAL ids, lower-case URNs resolve too). */
export async function requirementIndex(tx: EntityManager, frameworkId: string): Promise<Map<string, string>> {
  const rows = await tx.find(Requirement, { where: { frameworkId }, select: { id: true, code: true, aliases: true } });
  const index = new Map<string, string>();
  for (const r of rows) {
    index.set(r.code, r.id);
    for (const alias of r.aliases) if (!index.has(alias)) index.set(alias, r.id);
  }
  // Lower-case forms last, so an exact code or alias always wins over a case-folded one.
  for (const r of rows) {
    for (const name of [r.code, ...r.aliases]) if (!index.has(name.toLowerCase())) index.set(name.toLowerCase(), r.id);
  }
  return index;
}

export interface MappingTarget {
  crosswalkId: string;
  sourceFrameworkId: string;
  targetFrameworkId: string;
}

/** Resolves codes and inserts mappings; an unknown code or relationship names its row. Duplicates collapse. */
export async function insertMappings(tx: EntityManager, target: MappingTarget, drafts: MappingDraft[]): Promise<number> {
  const sources = await requirementIndex(tx, target.sourceFrameworkId);
  const targets = await requirementIndex(tx, target.targetFrameworkId);
  const existing = new Set(
    (await tx.find(Mapping, { where: { crosswalkId: target.crosswalkId }, select: { sourceRequirementId: true, targetRequirementId: true } }))
      .map((m) => `${m.sourceRequirementId}|${m.targetRequirementId}`),
  );
  const rows: Mapping[] = [];
  drafts.forEach((d, i) => {
    const where = `mappings[${i}]`;
    const sourceId = sources.get(d.source) ?? sources.get(String(d.source).toLowerCase());
    if (!sourceId) fail(`Unknown source requirement code ${d.source}`, d.at, `${where}.source`);
    const targetId = targets.get(d.target) ?? targets.get(String(d.target).toLowerCase());
    if (!targetId) fail(`Unknown target requirement code ${d.target}`, d.at, `${where}.target`);
    if (!Object.values(Relationship).includes(d.relationship as Relationship)) fail(`Unknown relationship "${d.relationship}"`, d.at, `${where}.relationship`);
    if (d.rationale && !Object.values(MappingRationale).includes(d.rationale as MappingRationale)) fail(`Unknown rationale "${d.rationale}"`, d.at, `${where}.rationale`);
    if (d.strength !== undefined && d.strength !== null && !(Number.isInteger(d.strength) && d.strength >= 0 && d.strength <= 10)) fail('strength must be a whole number from 0 to 10', d.at, `${where}.strength`);
    const key = `${sourceId}|${targetId}`;
    if (existing.has(key)) return;
    existing.add(key);
    rows.push(Object.assign(new Mapping(), {
      id: randomUUID(),
      crosswalkId: target.crosswalkId,
      sourceRequirementId: sourceId,
      targetRequirementId: targetId,
      relationship: d.relationship as Relationship,
      rationale: (d.rationale ?? null) as MappingRationale | null,
      strength: d.strength ?? null,
      notes: d.notes ?? null,
    }));
  });
  await insertChunked(tx, Mapping, rows);
  return rows.length;
}

/** Inserts a crosswalk between two stored framework versions, with its mappings. */
export async function insertCrosswalk(
  tx: EntityManager,
  file: Omit<CrosswalkFile, 'sourceFramework' | 'targetFramework'>,
  frameworks: { sourceFrameworkId: string; targetFrameworkId: string },
  options: { builtIn: boolean },
): Promise<Crosswalk> {
  const id = randomUUID();
  await tx.insert(Crosswalk, {
    id,
    key: file.key,
    name: file.name,
    ...frameworks,
    source: file.source,
    method: file.method as CrosswalkMethod,
    status: file.status as CrosswalkStatus,
    builtIn: options.builtIn,
  });
  await insertMappings(tx, { crosswalkId: id, ...frameworks }, file.mappings);
  return tx.findOneByOrFail(Crosswalk, { id });
}
