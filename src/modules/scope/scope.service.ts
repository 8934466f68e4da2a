import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { badInput, conflict, notFound } from '../../common/errors';
import { paginate, type Connection, type PageRequest } from '../../common/pagination';
import { applyUpdate, assertVersion, lockRow } from '../../common/versioning';
import { hasNul, isUuid } from '../../common/validation';
import { escapeLike } from '../../common/sql';
import { inTransaction, recordWrite } from '../../db/transaction';
import { ChangeAction, EntityType } from '../../db/events';
import { assertScopesWritable, canSeeAny, visibleScopeIds } from '../../auth/visibility';
import { claimCreate } from '../idempotency/idempotency.service';
import { ownerService } from '../owner/owner.service';
import { DEFAULT_RISK_APPETITE, Scope } from './scope.entity';
import type { CreateScopeInput, ScopeFilter, UpdateScopeInput } from './scope.inputs';

const TYPE = 'Scope';
/** Serialises changes to the scope tree, so two concurrent re-parentings cannot close a cycle. */
const TREE_LOCK = 727_002;
const UNIQUE_VIOLATION = '23505';

async function assertKeyFree(tx: EntityManager, key: string, exceptId?: string): Promise<void> {
  const existing = await tx.findOneBy(Scope, { key });
  if (existing && existing.id !== exceptId) throw conflict(`A scope with key "${key}" already exists`);
}

/** The unique index decides a race the check above cannot see (two creates with one key at once). */
async function keyUnique<T>(key: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if ((err as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) throw conflict(`A scope with key "${key}" already exists`);
    throw err;
  }
}

/** The parent must exist, be active and writable for the key, and not sit below the scope itself. */
async function checkParent(ctx: Context, tx: EntityManager, parentId: string, selfId: string | null): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [TREE_LOCK]);
  const parent = await tx.findOneBy(Scope, { id: parentId });
  if (!parent) throw badInput(`No scope with id ${parentId}`, 'parentId');
  // a parent outside the key's scopes is a write to another scope: FORBIDDEN, before anything about it is told
  await assertScopesWritable(ctx, [parentId]);
  if (parent.archivedAt) throw badInput(`Parent scope ${parent.key} is archived`, 'parentId');
  if (!selfId) return;
  const [cycle] = await tx.query(
    `WITH RECURSIVE ancestors AS (
       SELECT id, parent_id FROM scope WHERE id = $1
       UNION SELECT s.id, s.parent_id FROM scope s JOIN ancestors a ON s.id = a.parent_id)
     SELECT 1 AS found FROM ancestors WHERE id = $2`,
    [parentId, selfId],
  );
  if (cycle) throw badInput('A scope cannot be placed under itself or one of its descendants', 'parentId');
}

export const scopeService = {
  /** By id or key; NOT_FOUND when absent or outside the key's scopes. */
  async get(ctx: Context, by: { id?: string | null; key?: string | null }): Promise<Scope> {
    let scope: Scope | null = null;
    if (by.id) scope = isUuid(by.id) ? await ctx.loaders.scope.load(by.id) : null;
    // no key holds a NUL, and PostgreSQL refuses one even in a comparison
    else if (by.key) scope = hasNul(by.key) ? null : await ctx.db.getRepository(Scope).findOneBy({ key: by.key });
    else throw badInput('Give the scope id or key', 'id');
    if (!scope || !(await canSeeAny(ctx, [scope.id]))) throw notFound(TYPE);
    return scope;
  },

  /** For nested fields: the scope when visible, otherwise null. */
  async findVisible(ctx: Context, id: string | null): Promise<Scope | null> {
    if (!id) return null;
    const scope = await ctx.loaders.scope.load(id);
    return scope && (await canSeeAny(ctx, [scope.id])) ? scope : null;
  },

  async list(ctx: Context, filter: ScopeFilter, page: PageRequest): Promise<Connection<Scope>> {
    const qb = ctx.db.getRepository(Scope).createQueryBuilder('s');
    const allowed = await visibleScopeIds(ctx);
    if (allowed) qb.andWhere('s.id = ANY(:allowed)', { allowed });
    if (!filter.includeArchived) qb.andWhere('s.archivedAt IS NULL');
    if (filter.ownerIds?.length) qb.andWhere('s.ownerId = ANY(:ownerIds)', { ownerIds: filter.ownerIds });
    if (filter.parentId) qb.andWhere('s.parentId = :parentId', { parentId: filter.parentId });
    if (filter.topLevelOnly) qb.andWhere('s.parentId IS NULL');
    if (filter.certification?.length) qb.andWhere('s.certification = ANY(:certs)', { certs: filter.certification });
    if (filter.search) qb.andWhere("(s.key ILIKE '%' || :q || '%' OR s.name ILIKE '%' || :q || '%')", { q: escapeLike(filter.search) });
    return paginate(qb, page);
  },

  /** For references inside inputs of other modules: the scope must exist, be active and writable. */
  async requireWritable(ctx: Context, tx: EntityManager, id: string, field: string): Promise<Scope> {
    const scope = isUuid(id) ? await tx.findOneBy(Scope, { id }) : null;
    if (!scope) throw badInput(`No scope with id ${id}`, field);
    await assertScopesWritable(ctx, [scope.id]);
    if (scope.archivedAt) throw badInput(`Scope ${scope.key} is archived`, field);
    return scope;
  },

  create(ctx: Context, input: CreateScopeInput, idempotencyKey?: string | null): Promise<Scope> {
    return inTransaction(ctx, async (tx) => {
      const claim = await claimCreate(tx, ctx, 'createScope', idempotencyKey, input);
      if (claim.replay) return tx.findOneByOrFail(Scope, { id: claim.id });
      if (input.parentId) await checkParent(ctx, tx, input.parentId, null);
      else await assertScopesWritable(ctx, []);
      await ownerService.requireActive(tx, input.ownerId, 'ownerId');
      await assertKeyFree(tx, input.key);
      await keyUnique(input.key, () => tx.insert(Scope, {
        id: claim.id,
        key: input.key,
        name: input.name.trim(),
        description: input.description ?? null,
        inclusions: input.inclusions ?? [],
        exclusions: input.exclusions ?? [],
        certification: input.certification,
        ownerId: input.ownerId,
        parentId: input.parentId ?? null,
        riskAppetite: input.riskAppetite ?? DEFAULT_RISK_APPETITE,
      }));
      const saved = await tx.findOneByOrFail(Scope, { id: claim.id });
      await recordWrite(tx, ctx, { operation: 'createScope', entityType: EntityType.SCOPE, entityId: saved.id, action: ChangeAction.CREATED, before: null, after: saved, version: saved.version, scopeIds: [saved.id] });
      return saved;
    });
  },

  update(ctx: Context, id: string, input: UpdateScopeInput, expectedVersion?: number | null): Promise<Scope> {
    return inTransaction(ctx, async (tx) => {
      const before = await lockRow(tx, Scope, id, TYPE);
      if (!(await canSeeAny(ctx, [id]))) throw notFound(TYPE);
      assertVersion(before, expectedVersion, TYPE);
      const changes: Partial<Scope> = {};
      if (input.key !== undefined && input.key !== before.key) {
        await assertKeyFree(tx, input.key, id);
        changes.key = input.key;
      }
      if (input.name !== undefined) changes.name = input.name.trim();
      if (input.description !== undefined) changes.description = input.description;
      if (input.inclusions !== undefined) changes.inclusions = input.inclusions;
      if (input.exclusions !== undefined) changes.exclusions = input.exclusions;
      if (input.certification !== undefined) changes.certification = input.certification;
      if (input.riskAppetite !== undefined) changes.riskAppetite = input.riskAppetite;
      if (input.ownerId !== undefined) {
        await ownerService.requireActive(tx, input.ownerId, 'ownerId');
        changes.ownerId = input.ownerId;
      }
      if (input.parentId !== undefined && input.parentId !== before.parentId) {
        if (input.parentId) await checkParent(ctx, tx, input.parentId, id);
        else await assertScopesWritable(ctx, []);
        changes.parentId = input.parentId;
      }
      const after = await keyUnique(changes.key ?? before.key, () => applyUpdate(tx, Scope, before, changes, TYPE));
      await recordWrite(tx, ctx, { operation: 'updateScope', entityType: EntityType.SCOPE, entityId: id, action: ChangeAction.UPDATED, before, after, version: after.version, scopeIds: [id] });
      return after;
    });
  },

  archive(ctx: Context, id: string, expectedVersion?: number | null): Promise<Scope> {
    return inTransaction(ctx, async (tx) => {
      const before = await lockRow(tx, Scope, id, TYPE);
      if (!(await canSeeAny(ctx, [id]))) throw notFound(TYPE);
      assertVersion(before, expectedVersion, TYPE);
      if (before.archivedAt) return before;
      const [child] = await tx.query('SELECT key FROM scope WHERE parent_id = $1 AND archived_at IS NULL LIMIT 1', [id]);
      if (child) throw conflict(`Scope ${before.key} still has the active child scope ${child.key}; archive or move it first`);
      const after = await applyUpdate(tx, Scope, before, { archivedAt: new Date() }, TYPE);
      await recordWrite(tx, ctx, { operation: 'archiveScope', entityType: EntityType.SCOPE, entityId: id, action: ChangeAction.ARCHIVED, before, after, version: after.version, scopeIds: [id] });
      return after;
    });
  },
};
