import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { isUuid } from '../common/validation';

/**
 * The batch function of a by-id DataLoader: one `WHERE id = ANY($1)` for the whole batch.
 * UUIDs are case-insensitive: Postgres returns them lower-case, so keys are matched lower-case.
 */
export async function loadByIds<T extends ObjectLiteral & { id: string }>(db: DataSource, entity: EntityTarget<T>, ids: readonly string[]): Promise<Array<T | null>> {
  const valid = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
  const rows = valid.length ? await db.getRepository(entity).createQueryBuilder('e').where('e.id = ANY(:ids)', { ids: valid }).getMany() : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => (isUuid(id) ? byId.get(id.toLowerCase()) ?? null : null));
}

/**
 * The batch function of a one-to-many DataLoader: `sql` takes the keys as $1 and returns rows
 * `{ k, v }`; the values of each key come back in the order the SQL gives. A key that is not a
 * UUID has no values (instead of failing the `$1::uuid[]` cast for the whole batch).
 */
export async function loadGroups(db: DataSource, sql: string, keys: readonly string[]): Promise<string[][]> {
  const valid = [...new Set(keys.filter(isUuid).map((k) => k.toLowerCase()))];
  const rows: Array<{ k: string; v: string }> = valid.length ? await db.query(sql, [valid]) : [];
  const map = new Map<string, string[]>();
  for (const r of rows) {
    const list = map.get(r.k);
    if (list) list.push(r.v);
    else map.set(r.k, [r.v]);
  }
  return keys.map((k) => (isUuid(k) ? map.get(k.toLowerCase()) ?? [] : []));
}
