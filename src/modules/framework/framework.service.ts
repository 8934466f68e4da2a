import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { badInput, conflict, forbidden, notFound } from '../../common/errors';
import { paginate, SortDirection, type Connection, type PageRequest } from '../../common/pagination';
import { applyUpdate, assertVersion, lockRow } from '../../common/versioning';
import { hasNul, isUuid } from '../../common/validation';
import { escapeLike } from '../../common/sql';
import { inTransaction, recordWrite } from '../../db/transaction';
import { ChangeAction, EntityType } from '../../db/events';
import { claimCreate } from '../idempotency/idempotency.service';
import { Framework } from './framework.entity';
import { compareVersions } from './framework.rules';
import { Requirement } from './requirement.entity';
import type { CreateFrameworkInput, CreateRequirementInput, FrameworkFilter, RequirementFilter, UpdateFrameworkInput, UpdateRequirementInput } from './framework.inputs';

const FRAMEWORK = 'Framework';
const REQUIREMENT = 'Requirement';

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

function assertEditable(framework: Framework): void {
  if (framework.builtIn) throw forbidden(`${framework.key} ${framework.version} is shipped with the product and cannot be edited; create a custom framework instead`);
}

async function frameworkChange(ctx: Context, tx: EntityManager, operation: string, action: ChangeAction, before: Framework | null, after: Framework) {
  await recordWrite(tx, ctx, { operation, entityType: EntityType.FRAMEWORK, entityId: after.id, action, before, after, version: after.revision, scopeIds: [] });
}

export const frameworkService = {
  /** By id, or by key (newest version unless `version` is given). */
  async get(ctx: Context, by: { id?: string | null; key?: string | null; version?: string | null }): Promise<Framework> {
    let framework: Framework | null = null;
    if (by.id) framework = isUuid(by.id) ? await ctx.loaders.framework.load(by.id) : null;
    else if (by.key) framework = await this.findByKey(ctx.db.manager, by.key, by.version);
    else throw badInput('Give the framework id or key', 'key');
    if (!framework) throw notFound(FRAMEWORK);
    return framework;
  },

  /**
   * The given version of a key, or else its newest active version: the highest version number, the
   * most recently added among equal ones. Not by insertion time alone: an older version imported
   * later must not become the newest, and versions loaded in one transaction share `created_at`.
   */
  async findByKey(manager: EntityManager, key: string, version?: string | null): Promise<Framework | null> {
    // no key or version holds a NUL, and PostgreSQL refuses one even in a comparison
    if (hasNul(key) || (version && hasNul(version))) return null;
    if (version) return manager.findOneBy(Framework, { key, version });
    const versions = await manager.getRepository(Framework).createQueryBuilder('f')
      .where('f.key = :key AND f.archivedAt IS NULL', { key })
      .orderBy('f.createdAt', 'DESC').addOrderBy('f.id', 'DESC')
      .getMany();
    return versions.reduce<Framework | null>((best, f) => (!best || compareVersions(f.version, best.version) > 0 ? f : best), null);
  },

  /** For references by key inside inputs: BAD_USER_INPUT naming the field when unknown. */
  async requireByKey(manager: EntityManager, key: string, field: string, version?: string | null): Promise<Framework> {
    const framework = await this.findByKey(manager, key, version);
    if (!framework) throw badInput(`No framework with key ${key}${version ? ` version ${version}` : ''}`, field);
    return framework;
  },

  list(ctx: Context, filter: FrameworkFilter, page: PageRequest): Promise<Connection<Framework>> {
    const qb = ctx.db.getRepository(Framework).createQueryBuilder('f');
    if (!filter.includeArchived) qb.andWhere('f.archivedAt IS NULL');
    if (filter.kind?.length) qb.andWhere('f.kind = ANY(:kinds)', { kinds: filter.kind });
    if (filter.key) qb.andWhere('f.key = :key', { key: filter.key });
    return paginate(qb, page);
  },

  async requirement(ctx: Context, by: { id?: string | null; frameworkKey?: string | null; code?: string | null; frameworkVersion?: string | null }): Promise<Requirement> {
    let requirement: Requirement | null = null;
    if (by.id) requirement = isUuid(by.id) ? await ctx.loaders.requirement.load(by.id) : null;
    else if (by.frameworkKey && by.code) {
      const framework = await this.findByKey(ctx.db.manager, by.frameworkKey, by.frameworkVersion);
      requirement = framework && !hasNul(by.code) ? await ctx.db.getRepository(Requirement).findOneBy({ frameworkId: framework.id, code: by.code }) : null;
    } else throw badInput('Give the requirement id, or frameworkKey and code', 'id');
    if (!requirement) throw notFound(REQUIREMENT);
    return requirement;
  },

  async requirements(ctx: Context, filter: RequirementFilter & { frameworkId?: string }, page: Pick<PageRequest, 'first' | 'after'>): Promise<Connection<Requirement>> {
    const qb = ctx.db.getRepository(Requirement).createQueryBuilder('q');
    let frameworkId = filter.frameworkId;
    if (!frameworkId && filter.frameworkKey) {
      const framework = await this.findByKey(ctx.db.manager, filter.frameworkKey, filter.frameworkVersion);
      if (!framework) throw badInput(`No framework with key ${filter.frameworkKey}`, 'frameworkKey');
      frameworkId = framework.id;
    }
    if (frameworkId) qb.andWhere('q.frameworkId = :frameworkId', { frameworkId });
    if (!filter.includeWithdrawn) qb.andWhere('q.withdrawn = false AND q.archivedAt IS NULL');
    if (filter.parentId) qb.andWhere('q.parentId = :parentId', { parentId: filter.parentId });
    if (filter.topLevelOnly) qb.andWhere('q.parentId IS NULL');
    if (filter.kind?.length) qb.andWhere('q.kind = ANY(:kinds)', { kinds: filter.kind });
    if (filter.assessable !== undefined && filter.assessable !== null) qb.andWhere('q.assessable = :assessable', { assessable: filter.assessable });
    if (filter.search) {
      qb.andWhere("(q.code ILIKE '%' || :q || '%' OR q.title ILIKE '%' || :q || '%' OR q.text ILIKE '%' || :q || '%')", { q: escapeLike(filter.search) });
    }
    return paginate(qb, { ...page, orderColumn: 'q.position', orderProperty: 'position', direction: SortDirection.ASC });
  },

  createFramework(ctx: Context, input: CreateFrameworkInput, idempotencyKey?: string | null): Promise<Framework> {
    return inTransaction(ctx, async (tx) => {
      const claim = await claimCreate(tx, ctx, 'createFramework', idempotencyKey, input);
      if (claim.replay) return tx.findOneByOrFail(Framework, { id: claim.id });
      const duplicate = `Framework ${input.key} version ${input.version} already exists`;
      if (await tx.findOneBy(Framework, { key: input.key, version: input.version })) throw conflict(duplicate);
      await uniqueOrConflict(duplicate, () => tx.insert(Framework, { id: claim.id, ...input, publisher: input.publisher ?? null, licence: input.licence ?? null, sourceUrl: input.sourceUrl ?? null, attribution: input.attribution ?? null, builtIn: false }));
      const saved = await tx.findOneByOrFail(Framework, { id: claim.id });
      await frameworkChange(ctx, tx, 'createFramework', ChangeAction.CREATED, null, saved);
      return saved;
    });
  },

  updateFramework(ctx: Context, id: string, input: UpdateFrameworkInput, expectedRevision?: number | null): Promise<Framework> {
    return inTransaction(ctx, async (tx) => {
      const before = await lockRow(tx, Framework, id, FRAMEWORK);
      assertEditable(before);
      if (expectedRevision !== undefined && expectedRevision !== null && before.revision !== expectedRevision) {
        throw conflict(`Framework is at revision ${before.revision}, not ${expectedRevision}; read it again and retry`);
      }
      const changes = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
      const result = await tx.update(Framework, { id, revision: before.revision }, { ...changes, revision: before.revision + 1 });
      if (result.affected !== 1) throw conflict('Framework changed while writing; read it again and retry');
      const after = await tx.findOneByOrFail(Framework, { id });
      await frameworkChange(ctx, tx, 'updateFramework', ChangeAction.UPDATED, before, after);
      return after;
    });
  },

  archiveFramework(ctx: Context, id: string): Promise<Framework> {
    return inTransaction(ctx, async (tx) => {
      const before = await lockRow(tx, Framework, id, FRAMEWORK);
      assertEditable(before);
      if (before.archivedAt) return before;
      await tx.update(Framework, { id }, { archivedAt: new Date(), revision: before.revision + 1 });
      const after = await tx.findOneByOrFail(Framework, { id });
      await frameworkChange(ctx, tx, 'archiveFramework', ChangeAction.ARCHIVED, before, after);
      return after;
    });
  },

  createRequirement(ctx: Context, input: CreateRequirementInput, idempotencyKey?: string | null): Promise<Requirement> {
    return inTransaction(ctx, async (tx) => {
      const claim = await claimCreate(tx, ctx, 'createRequirement', idempotencyKey, input);
      if (claim.replay) return tx.findOneByOrFail(Requirement, { id: claim.id });
      // the framework row lock serialises requirement creates per framework: the code check and the
      // next position are then read after any concurrent create committed
      const locked: unknown[] = isUuid(input.frameworkId) ? await tx.query('SELECT id FROM framework WHERE id = $1 FOR NO KEY UPDATE', [input.frameworkId]) : [];
      const framework = locked.length ? await tx.findOneBy(Framework, { id: input.frameworkId }) : null;
      if (!framework) throw badInput(`No framework with id ${input.frameworkId}`, 'frameworkId');
      assertEditable(framework);
      const duplicate = `Requirement ${input.code} already exists in ${framework.key}`;
      if (await tx.findOneBy(Requirement, { frameworkId: framework.id, code: input.code })) throw conflict(duplicate);
      if (input.parentId) await this.checkParent(tx, framework.id, input.parentId, null);
      const [{ next }] = await tx.query('SELECT coalesce(max(position) + 1, 0) AS next FROM requirement WHERE framework_id = $1', [framework.id]);
      await uniqueOrConflict(duplicate, () => tx.insert(Requirement, {
        id: claim.id, frameworkId: framework.id, code: input.code, title: input.title.trim(), text: input.text ?? null,
        kind: input.kind, assessable: input.assessable, parentId: input.parentId ?? null, position: Number(next),
      }));
      const saved = await tx.findOneByOrFail(Requirement, { id: claim.id });
      await recordWrite(tx, ctx, { operation: 'createRequirement', entityType: EntityType.FRAMEWORK, entityId: saved.id, action: ChangeAction.CREATED, before: null, after: saved, version: saved.version, scopeIds: [] });
      return saved;
    });
  },

  /** The parent must be in the same framework and not below the requirement itself. */
  async checkParent(tx: EntityManager, frameworkId: string, parentId: string, selfId: string | null): Promise<void> {
    const parent = isUuid(parentId) ? await tx.findOneBy(Requirement, { id: parentId }) : null;
    if (!parent || parent.frameworkId !== frameworkId) throw badInput(`No requirement ${parentId} in this framework`, 'parentId');
    if (!selfId) return;
    const [cycle] = await tx.query(
      `WITH RECURSIVE up AS (SELECT id, parent_id FROM requirement WHERE id = $1
         UNION SELECT r.id, r.parent_id FROM requirement r JOIN up ON r.id = up.parent_id)
       SELECT 1 AS found FROM up WHERE id = $2`,
      [parentId, selfId],
    );
    if (cycle) throw badInput('A requirement cannot be placed under itself or one of its descendants', 'parentId');
  },

  updateRequirement(ctx: Context, id: string, input: UpdateRequirementInput, expectedVersion: number): Promise<Requirement> {
    return inTransaction(ctx, async (tx) => {
      if (input.parentId !== undefined && isUuid(id)) {
        // moves are serialised per framework, and the framework is locked before the requirement:
        // two concurrent moves (A under B, B under A) would otherwise each pass the cycle check
        // against the other's uncommitted state, or deadlock on each other's rows
        await tx.query('SELECT f.id FROM framework f JOIN requirement r ON r.framework_id = f.id WHERE r.id = $1 FOR NO KEY UPDATE OF f', [id]);
      }
      const before = await lockRow(tx, Requirement, id, REQUIREMENT);
      assertEditable(await tx.findOneByOrFail(Framework, { id: before.frameworkId }));
      assertVersion(before, expectedVersion, REQUIREMENT);
      const changes: Partial<Requirement> = {};
      if (input.title !== undefined) changes.title = input.title.trim();
      if (input.text !== undefined) changes.text = input.text;
      if (input.assessable !== undefined) changes.assessable = input.assessable;
      if (input.parentId !== undefined && input.parentId !== before.parentId) {
        if (input.parentId) await this.checkParent(tx, before.frameworkId, input.parentId, id);
        changes.parentId = input.parentId;
      }
      const after = await applyUpdate(tx, Requirement, before, changes, REQUIREMENT);
      await recordWrite(tx, ctx, { operation: 'updateRequirement', entityType: EntityType.FRAMEWORK, entityId: id, action: ChangeAction.UPDATED, before, after, version: after.version, scopeIds: [] });
      return after;
    });
  },

  archiveRequirement(ctx: Context, id: string): Promise<Requirement> {
    return inTransaction(ctx, async (tx) => {
      const before = await lockRow(tx, Requirement, id, REQUIREMENT);
      assertEditable(await tx.findOneByOrFail(Framework, { id: before.frameworkId }));
      if (before.archivedAt) return before;
      const after = await applyUpdate(tx, Requirement, before, { archivedAt: new Date() }, REQUIREMENT);
      await recordWrite(tx, ctx, { operation: 'archiveRequirement', entityType: EntityType.FRAMEWORK, entityId: id, action: ChangeAction.ARCHIVED, before, after, version: after.version, scopeIds: [] });
      return after;
    });
  },

};
