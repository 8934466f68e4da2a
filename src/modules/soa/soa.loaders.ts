import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { isUuid } from '../../common/validation';
import { loadGroups } from '../../db/load-by-ids';
import type { SoaVersion } from './soa.entity';

/** An approved version without its frozen rows (lists of versions never need them), or with them (just approved). */
export type SoaVersionHeader = Omit<SoaVersion, 'rows' | 'scopeRecord' | 'approverRecord'> & { rowCount?: number; rows?: unknown[] };

export function soaLoaders(db: DataSource) {
  return {
    /** Framework versions each scope adopts, by key and version. */
    scopeFrameworkIds: new DataLoader<string, string[]>((ids) =>
      loadGroups(db, `SELECT sf.scope_id AS k, sf.framework_id AS v FROM scope_framework sf JOIN framework f ON f.id = sf.framework_id
                       WHERE sf.scope_id = ANY($1::uuid[]) ORDER BY f.key, f.version, f.id`, ids)),
    /** Approved SoA versions of each scope, oldest first. */
    scopeSoaVersions: new DataLoader<string, SoaVersionHeader[]>(async (ids) => {
      const valid = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
      const rows: Array<{ id: string; scope_id: string; number: number; approver_id: string; approved_at: Date; row_count: number }> = valid.length ? await db.query(
        'SELECT id, scope_id, number, approver_id, approved_at, jsonb_array_length(rows) AS row_count FROM soa_version WHERE scope_id = ANY($1::uuid[]) ORDER BY number',
        [valid],
      ) : [];
      const byScope = new Map<string, SoaVersionHeader[]>();
      for (const r of rows) {
        const header = { id: r.id, scopeId: r.scope_id, number: r.number, approverId: r.approver_id, approvedAt: r.approved_at, rowCount: r.row_count };
        byScope.set(r.scope_id, [...(byScope.get(r.scope_id) ?? []), header]);
      }
      return ids.map((id) => byScope.get(id.toLowerCase()) ?? []);
    }),
  };
}
