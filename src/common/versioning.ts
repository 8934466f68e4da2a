import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { conflict, notFound } from './errors';
import { isUuid } from './validation';

/** Loads a row for update (a row lock until the transaction ends); NOT_FOUND when it does not exist. */
export async function lockRow<T extends ObjectLiteral>(tx: EntityManager, entity: EntityTarget<T>, id: string, typeName: string): Promise<T> {
  if (!isUuid(id)) throw notFound(typeName);
  const row = await tx.getRepository(entity).createQueryBuilder('t').setLock('pessimistic_write').where('t.id = :id', { id }).getOne();
  if (!row) throw notFound(typeName);
  return row;
}

/** A stale `expectedVersion` is CONFLICT: the caller read an older state than the one it would overwrite. */
export function assertVersion(row: { version: number }, expectedVersion: number | null | undefined, typeName: string): void {
  if (expectedVersion !== undefined && expectedVersion !== null && row.version !== expectedVersion) {
    throw conflict(`${typeName} is at version ${row.version}, not ${expectedVersion}; read it again and retry`);
  }
}

/** Writes the changes and bumps the version, guarded by the version read under the lock. */
export async function applyUpdate<T extends ObjectLiteral & { id: string; version: number }>(
  tx: EntityManager,
  entity: EntityTarget<T>,
  row: T,
  changes: Partial<T>,
  typeName: string,
): Promise<T> {
  const result = await tx.getRepository(entity).createQueryBuilder()
    .update()
    .set({ ...changes, version: row.version + 1 } as never)
    .where('id = :id AND version = :version', { id: row.id, version: row.version })
    .execute();
  if (result.affected !== 1) throw conflict(`${typeName} changed while writing; read it again and retry`);
  return tx.getRepository(entity).findOneByOrFail({ id: row.id } as never);
}
