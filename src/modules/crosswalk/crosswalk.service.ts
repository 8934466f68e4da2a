import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { badInput, conflict, forbidden, notFound } from '../../common/errors';
import { paginate, SortDirection, type Connection, type PageRequest } from '../../common/pagination';
import { applyUpdate, assertVersion, lockRow } from '../../common/versioning';
import { hasNul, isUuid } from '../../common/validation';
import { inTransaction, recordWrite } from '../../db/transaction';
import { ChangeAction, EntityType } from '../../db/events';
import { claimCreate } from '../idempotency/idempotency.service';
import { Framework } from '../framework/framework.entity';
import { Requirement } from '../framework/requirement.entity';
import { Crosswalk, Mapping, Relationship } from './crosswalk.entity';
import { ChainStrength, MappingDirection, type CreateCrosswalkInput, type CreateMappingInput, type CrosswalkFilter, type MappingFilter, type UpdateCrosswalkInput, type UpdateMappingInput } from './crosswalk.inputs';
import { inverse } from './crosswalk.rules';
import type { RelatedRequirement, RequirementMapping } from './crosswalk.types';

const CROSSWALK = 'Crosswalk';
const MAPPING = 'Mapping';
export const MAX_HOPS = 3;

const UNIQUE_VIOLATION = '23505';

/** A unique index refused the row: a concurrent create won the race the pre-check could not see. */
async function uniqueOrConflict<T>(message: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if ((err as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) throw conflict(message);
    throw err;
  }
}

function assertEditable(crosswalk: Crosswalk): void {
  if (crosswalk.builtIn) throw forbidden(`${crosswalk.key} is shipped with the product and cannot be edited; create a custom crosswalk instead`);
}

function change(ctx: Context, tx: EntityManager, operation: string, action: ChangeAction, before: object | null, after: Crosswalk | Mapping) {
  return recordWrite(tx, ctx, { operation, entityType: EntityType.CROSSWALK, entityId: after.id, action, before, after, version: after.version, scopeIds: [] });
}

/**
 * Usable mapping edges in both directions, the relationship read from `a` to `b`: active mappings
 * of active crosswalks (APPROVED only unless asked otherwise); NOT_RELATED is no edge.
 */
const EDGES_SQL = `
  SELECT m.id, m.source_requirement_id AS a, m.target_requirement_id AS b, m.relationship::text AS rel
    FROM mapping m JOIN crosswalk c ON c.id = m.crosswalk_id
   WHERE m.archived_at IS NULL AND c.archived_at IS NULL AND m.relationship <> 'NOT_RELATED' AND (c.status = 'APPROVED' OR NOT $3)
  UNION ALL
  SELECT m.id, m.target_requirement_id, m.source_requirement_id,
         CASE m.relationship WHEN 'SUBSET_OF' THEN 'SUPERSET_OF' WHEN 'SUPERSET_OF' THEN 'SUBSET_OF' ELSE m.relationship::text END
    FROM mapping m JOIN crosswalk c ON c.id = m.crosswalk_id
   WHERE m.archived_at IS NULL AND c.archived_at IS NULL AND m.relationship <> 'NOT_RELATED' AND (c.status = 'APPROVED' OR NOT $3)`;

export const crosswalkService = {
  async get(ctx: Context, by: { id?: string | null; key?: string | null }): Promise<Crosswalk> {
    let crosswalk: Crosswalk | null = null;
    if (by.id) crosswalk = isUuid(by.id) ? await ctx.loaders.crosswalk.load(by.id) : null;
    // no key holds a NUL, and PostgreSQL refuses one even in a comparison
    else if (by.key) crosswalk = hasNul(by.key) ? null : await ctx.db.getRepository(Crosswalk).findOneBy({ key: by.key });
    else throw badInput('Give the crosswalk id or key', 'key');
    if (!crosswalk) throw notFound(CROSSWALK);
    return crosswalk;
  },

  list(ctx: Context, filter: CrosswalkFilter, page: Pick<PageRequest, 'first' | 'after'>): Promise<Connection<Crosswalk>> {
    const qb = ctx.db.getRepository(Crosswalk).createQueryBuilder('c');
    if (!filter.includeArchived) qb.andWhere('c.archivedAt IS NULL');
    if (filter.status?.length) qb.andWhere('c.status = ANY(:status)', { status: filter.status });
    if (filter.sourceFrameworkKey) qb.andWhere('c.sourceFrameworkId IN (SELECT id FROM framework WHERE key = :sk)', { sk: filter.sourceFrameworkKey });
    if (filter.targetFrameworkKey) qb.andWhere('c.targetFrameworkId IN (SELECT id FROM framework WHERE key = :tk)', { tk: filter.targetFrameworkKey });
    return paginate(qb, { ...page, orderColumn: 'c.key', orderProperty: 'key', direction: SortDirection.ASC });
  },

  mappings(ctx: Context, filter: MappingFilter, page: Pick<PageRequest, 'first' | 'after'>): Promise<Connection<Mapping>> {
    const qb = ctx.db.getRepository(Mapping).createQueryBuilder('m').andWhere('m.archivedAt IS NULL');
    if (filter.crosswalkId) qb.andWhere('m.crosswalkId = :crosswalkId', { crosswalkId: filter.crosswalkId });
    // an archived crosswalk's mappings stop counting: hidden unless that crosswalk is asked for
    else qb.andWhere('m.crosswalkId IN (SELECT c.id FROM crosswalk c WHERE c.archived_at IS NULL)');
    if (filter.requirementId) qb.andWhere('(m.sourceRequirementId = :rid OR m.targetRequirementId = :rid)', { rid: filter.requirementId });
    if (filter.relationship?.length) qb.andWhere('m.relationship = ANY(:rels)', { rels: filter.relationship });
    if (filter.sourceFrameworkKey) {
      qb.andWhere('m.crosswalkId IN (SELECT c.id FROM crosswalk c JOIN framework f ON f.id = c.source_framework_id WHERE f.key = :sk)', { sk: filter.sourceFrameworkKey });
    }
    if (filter.targetFrameworkKey) {
      qb.andWhere('m.crosswalkId IN (SELECT c.id FROM crosswalk c JOIN framework f ON f.id = c.target_framework_id WHERE f.key = :tk)', { tk: filter.targetFrameworkKey });
    }
    return paginate(qb, { ...page, orderColumn: 'm.createdAt', orderProperty: 'createdAt', direction: SortDirection.ASC });
  },

  /** The mappings touching a requirement, with the relationship read from its side. */
  async requirementMappings(ctx: Context, requirement: Requirement, direction: MappingDirection): Promise<RequirementMapping[]> {
    const mappings = (await ctx.loaders.requirementMappings.load(requirement.id)).filter((mapping) => {
      const outgoing = mapping.sourceRequirementId === requirement.id;
      return direction === MappingDirection.BOTH || (direction === MappingDirection.OUTGOING) === outgoing;
    });
    // one batch for every other side (awaiting each in turn would be one query per mapping)
    const others = await ctx.loaders.requirement.loadMany(mappings.map((m) => (m.sourceRequirementId === requirement.id ? m.targetRequirementId : m.sourceRequirementId)));
    const out: RequirementMapping[] = [];
    mappings.forEach((mapping, i) => {
      const other = others[i];
      if (!other || other instanceof Error) return;
      const outgoing = mapping.sourceRequirementId === requirement.id;
      out.push({ mapping, direction: outgoing ? MappingDirection.OUTGOING : MappingDirection.INCOMING, relationship: outgoing ? mapping.relationship : inverse(mapping.relationship), other });
    });
    return out;
  },

  /**
   * Requirements reachable from one requirement in at most `maxHops` mappings, walked in SQL. Each
   * is reported once, by its best chain: FULL before PARTIAL, then fewest hops.
   */
  async related(ctx: Context, requirementId: string, maxHops: number, approvedOnly: boolean): Promise<RelatedRequirement[]> {
    if (!Number.isInteger(maxHops) || maxHops < 1 || maxHops > MAX_HOPS) throw badInput(`maxHops must be 1 to ${MAX_HOPS}`, 'maxHops');
    const start = isUuid(requirementId) ? await ctx.loaders.requirement.load(requirementId) : null;
    if (!start) throw notFound('Requirement');
    // `full` is a reserved word in PostgreSQL: the column is `is_full`
    const rows: Array<{ req: string; hops: number; is_full: boolean; path: string[]; rels: string[] }> = await ctx.db.query(
      `WITH RECURSIVE edges AS (${EDGES_SQL}),
       walk AS (
         SELECT e.b AS req, 1 AS hops, e.rel IN ('EQUAL', 'SUPERSET_OF') AS is_full, ARRAY[e.id] AS path, ARRAY[e.rel] AS rels, ARRAY[$1::uuid, e.b] AS visited
           FROM edges e WHERE e.a = $1 AND e.b <> $1
         UNION ALL
         SELECT e.b, w.hops + 1, w.is_full AND e.rel IN ('EQUAL', 'SUPERSET_OF'), w.path || e.id, w.rels || e.rel, w.visited || e.b
           FROM walk w JOIN edges e ON e.a = w.req
          WHERE w.hops < $2 AND NOT e.b = ANY(w.visited))
       SELECT DISTINCT ON (req) req, hops, is_full, path::text[] AS path, rels FROM walk
        ORDER BY req, is_full DESC, hops, path`,
      [start.id, maxHops, approvedOnly],
    );
    const requirements = await ctx.loaders.requirement.loadMany(rows.map((r) => r.req));
    const mappings = await ctx.loaders.mapping.loadMany([...new Set(rows.flatMap((r) => r.path))]);
    const mappingById = new Map(mappings.filter((m): m is Mapping => !!m && !(m instanceof Error)).map((m) => [m.id, m]));
    return rows
      .map((r, i) => ({
        requirement: requirements[i] as Requirement,
        chain: r.is_full ? ChainStrength.FULL : ChainStrength.PARTIAL,
        hops: r.hops,
        path: r.path.map((id) => mappingById.get(id)!),
        relationships: r.rels as Relationship[],
      }))
      .filter((r) => r.requirement && !(r.requirement instanceof Error))
      .sort((a, b) => (a.chain === b.chain ? a.hops - b.hops || a.requirement.code.localeCompare(b.requirement.code) : a.chain === ChainStrength.FULL ? -1 : 1));
  },

  createCrosswalk(ctx: Context, input: CreateCrosswalkInput, idempotencyKey?: string | null): Promise<Crosswalk> {
    return inTransaction(ctx, async (tx) => {
      const claim = await claimCreate(tx, ctx, 'createCrosswalk', idempotencyKey, input);
      if (claim.replay) return tx.findOneByOrFail(Crosswalk, { id: claim.id });
      for (const field of ['sourceFrameworkId', 'targetFrameworkId'] as const) {
        if (!(await tx.findOneBy(Framework, { id: input[field] }))) throw badInput(`No framework with id ${input[field]}`, field);
      }
      const duplicate = `A crosswalk with key ${input.key} already exists`;
      if (await tx.findOneBy(Crosswalk, { key: input.key })) throw conflict(duplicate);
      await uniqueOrConflict(duplicate, () => tx.insert(Crosswalk, { id: claim.id, ...input, builtIn: false }));
      const saved = await tx.findOneByOrFail(Crosswalk, { id: claim.id });
      await change(ctx, tx, 'createCrosswalk', ChangeAction.CREATED, null, saved);
      return saved;
    });
  },

  updateCrosswalk(ctx: Context, id: string, input: UpdateCrosswalkInput, expectedVersion: number): Promise<Crosswalk> {
    return inTransaction(ctx, async (tx) => {
      const before = await lockRow(tx, Crosswalk, id, CROSSWALK);
      assertEditable(before);
      assertVersion(before, expectedVersion, CROSSWALK);
      const changes = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<Crosswalk>;
      const after = await applyUpdate(tx, Crosswalk, before, changes, CROSSWALK);
      await change(ctx, tx, 'updateCrosswalk', input.status && input.status !== before.status ? ChangeAction.TRANSITIONED : ChangeAction.UPDATED, before, after);
      return after;
    });
  },

  archiveCrosswalk(ctx: Context, id: string): Promise<Crosswalk> {
    return inTransaction(ctx, async (tx) => {
      const before = await lockRow(tx, Crosswalk, id, CROSSWALK);
      assertEditable(before);
      if (before.archivedAt) return before;
      const after = await applyUpdate(tx, Crosswalk, before, { archivedAt: new Date() }, CROSSWALK);
      await change(ctx, tx, 'archiveCrosswalk', ChangeAction.ARCHIVED, before, after);
      return after;
    });
  },

  createMapping(ctx: Context, input: CreateMappingInput, idempotencyKey?: string | null): Promise<Mapping> {
    return inTransaction(ctx, async (tx) => {
      const claim = await claimCreate(tx, ctx, 'createMapping', idempotencyKey, input);
      if (claim.replay) return tx.findOneByOrFail(Mapping, { id: claim.id });
      const crosswalk = await tx.findOneBy(Crosswalk, { id: input.crosswalkId });
      if (!crosswalk) throw badInput(`No crosswalk with id ${input.crosswalkId}`, 'crosswalkId');
      assertEditable(crosswalk);
      const source = await tx.findOneBy(Requirement, { id: input.sourceRequirementId });
      if (!source || source.frameworkId !== crosswalk.sourceFrameworkId) throw badInput('The source requirement is not in the crosswalk\'s source framework', 'sourceRequirementId');
      const target = await tx.findOneBy(Requirement, { id: input.targetRequirementId });
      if (!target || target.frameworkId !== crosswalk.targetFrameworkId) throw badInput('The target requirement is not in the crosswalk\'s target framework', 'targetRequirementId');
      const duplicate = `${source.code} → ${target.code} is already mapped in this crosswalk`;
      if (await tx.findOneBy(Mapping, { crosswalkId: crosswalk.id, sourceRequirementId: source.id, targetRequirementId: target.id })) throw conflict(duplicate);
      await uniqueOrConflict(duplicate, () => tx.insert(Mapping, { id: claim.id, ...input, rationale: input.rationale ?? null, strength: input.strength ?? null, notes: input.notes ?? null }));
      const saved = await tx.findOneByOrFail(Mapping, { id: claim.id });
      await change(ctx, tx, 'createMapping', ChangeAction.CREATED, null, saved);
      return saved;
    });
  },

  updateMapping(ctx: Context, id: string, input: UpdateMappingInput, expectedVersion: number): Promise<Mapping> {
    return inTransaction(ctx, async (tx) => {
      const before = await lockRow(tx, Mapping, id, MAPPING);
      assertEditable(await tx.findOneByOrFail(Crosswalk, { id: before.crosswalkId }));
      assertVersion(before, expectedVersion, MAPPING);
      const changes = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<Mapping>;
      const after = await applyUpdate(tx, Mapping, before, changes, MAPPING);
      await change(ctx, tx, 'updateMapping', ChangeAction.UPDATED, before, after);
      return after;
    });
  },

  archiveMapping(ctx: Context, id: string): Promise<Mapping> {
    return inTransaction(ctx, async (tx) => {
      const before = await lockRow(tx, Mapping, id, MAPPING);
      assertEditable(await tx.findOneByOrFail(Crosswalk, { id: before.crosswalkId }));
      if (before.archivedAt) return before;
      const after = await applyUpdate(tx, Mapping, before, { archivedAt: new Date() }, MAPPING);
      await change(ctx, tx, 'archiveMapping', ChangeAction.ARCHIVED, before, after);
      return after;
    });
  },
};
