import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { isUuid } from '../common/validation';
import { AllowedOperation } from './allowed-operation.entity';

/** The operations each key is bound to, oldest binding first: one statement per batch. */
async function loadAllowedOperations(db: DataSource, keyIds: readonly string[]): Promise<AllowedOperation[][]> {
  const valid = [...new Set(keyIds.filter(isUuid).map((id) => id.toLowerCase()))];
  const rows: Array<{ key_id: string; operation_id: string }> = valid.length
    ? await db.query('SELECT key_id, operation_id FROM api_key_allowed_operation WHERE key_id = ANY($1::uuid[]) ORDER BY created_at, operation_id', [valid])
    : [];
  const operationIds = [...new Set(rows.map((r) => r.operation_id))];
  const operations = operationIds.length ? await db.getRepository(AllowedOperation).createQueryBuilder('o').where('o.id = ANY(:ids)', { ids: operationIds }).getMany() : [];
  const byId = new Map(operations.map((o) => [o.id, o]));
  const byKey = new Map<string, AllowedOperation[]>();
  for (const row of rows) {
    const operation = byId.get(row.operation_id);
    if (!operation) continue;
    byKey.set(row.key_id, [...(byKey.get(row.key_id) ?? []), operation]);
  }
  return keyIds.map((id) => (isUuid(id) ? byKey.get(id.toLowerCase()) ?? [] : []));
}

export function apiKeyLoaders(db: DataSource) {
  return {
    /** apiKey.allowedOperations */
    apiKeyAllowedOperations: new DataLoader<string, AllowedOperation[]>((ids) => loadAllowedOperations(db, ids)),
  };
}
