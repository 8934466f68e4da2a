import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { isUuid } from '../common/validation';

/** The batch function of a by-id DataLoader: one `WHERE id = ANY($1)` for the whole batch. */
export async function loadByIds<T extends ObjectLiteral & { id: string }>(db: DataSource, entity: EntityTarget<T>, ids: readonly string[]): Promise<Array<T | null>> {
  const valid = ids.filter(isUuid);
  const rows = valid.length ? await db.getRepository(entity).createQueryBuilder('e').where('e.id = ANY(:ids)', { ids: valid }).getMany() : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id) ?? null);
}
