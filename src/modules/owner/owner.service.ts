import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { badInput, notFound } from '../../common/errors';
import { paginate, type Connection, type PageRequest } from '../../common/pagination';
import { applyUpdate, assertVersion, lockRow } from '../../common/versioning';
import { isUuid } from '../../common/validation';
import { escapeLike } from '../../common/sql';
import { inTransaction, recordWrite } from '../../db/transaction';
import { ChangeAction, EntityType } from '../../db/events';
import { claimCreate } from '../idempotency/idempotency.service';
import { Owner } from './owner.entity';
import type { CreateOwnerInput, OwnerFilter, UpdateOwnerInput } from './owner.inputs';

const TYPE = 'Owner';

/** Owners are visible to every key that may read; they are not scoped. */
export const ownerService = {
  async get(ctx: Context, id: string): Promise<Owner> {
    const owner = isUuid(id) ? await ctx.loaders.owner.load(id) : null;
    if (!owner) throw notFound(TYPE);
    return owner;
  },

  list(ctx: Context, filter: OwnerFilter, page: PageRequest): Promise<Connection<Owner>> {
    const qb = ctx.db.getRepository(Owner).createQueryBuilder('o');
    if (!filter.includeArchived) qb.andWhere('o.archivedAt IS NULL');
    if (filter.kind?.length) qb.andWhere('o.kind = ANY(:kinds)', { kinds: filter.kind });
    if (filter.nameContains) qb.andWhere("o.name ILIKE '%' || :name || '%'", { name: escapeLike(filter.nameContains) });
    return paginate(qb, page);
  },

  /** For references inside inputs: an unknown or archived owner is BAD_USER_INPUT naming the field. */
  async requireActive(tx: EntityManager, id: string, field: string): Promise<Owner> {
    const owner = isUuid(id) ? await tx.findOneBy(Owner, { id }) : null;
    if (!owner) throw badInput(`No owner with id ${id}`, field);
    if (owner.archivedAt) throw badInput(`Owner ${id} is archived`, field);
    return owner;
  },

  create(ctx: Context, input: CreateOwnerInput, idempotencyKey?: string | null): Promise<Owner> {
    return inTransaction(ctx, async (tx) => {
      const claim = await claimCreate(tx, ctx, 'createOwner', idempotencyKey, input);
      if (claim.replay) return tx.findOneByOrFail(Owner, { id: claim.id });
      const owner = tx.create(Owner, { id: claim.id, kind: input.kind, name: input.name.trim(), email: input.email ?? null });
      await tx.insert(Owner, owner);
      const saved = await tx.findOneByOrFail(Owner, { id: claim.id });
      await recordWrite(tx, ctx, { operation: 'createOwner', entityType: EntityType.OWNER, entityId: saved.id, action: ChangeAction.CREATED, before: null, after: saved, version: saved.version, scopeIds: [] });
      return saved;
    });
  },

  update(ctx: Context, id: string, input: UpdateOwnerInput, expectedVersion?: number | null): Promise<Owner> {
    return inTransaction(ctx, async (tx) => {
      const before = await lockRow(tx, Owner, id, TYPE);
      assertVersion(before, expectedVersion, TYPE);
      const changes: Partial<Owner> = {};
      if (input.kind !== undefined) changes.kind = input.kind;
      if (input.name !== undefined) changes.name = input.name.trim();
      if (input.email !== undefined) changes.email = input.email;
      const after = await applyUpdate(tx, Owner, before, changes, TYPE);
      await recordWrite(tx, ctx, { operation: 'updateOwner', entityType: EntityType.OWNER, entityId: id, action: ChangeAction.UPDATED, before, after, version: after.version, scopeIds: [] });
      return after;
    });
  },

  archive(ctx: Context, id: string, expectedVersion?: number | null): Promise<Owner> {
    return inTransaction(ctx, async (tx) => {
      const before = await lockRow(tx, Owner, id, TYPE);
      assertVersion(before, expectedVersion, TYPE);
      if (before.archivedAt) return before;
      const after = await applyUpdate(tx, Owner, before, { archivedAt: new Date() }, TYPE);
      await recordWrite(tx, ctx, { operation: 'archiveOwner', entityType: EntityType.OWNER, entityId: id, action: ChangeAction.ARCHIVED, before, after, version: after.version, scopeIds: [] });
      return after;
    });
  },
};
