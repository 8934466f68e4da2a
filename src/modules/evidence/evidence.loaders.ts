import DataLoader from 'dataloader';
import type { DataSource, EntityManager } from 'typeorm';
import { isUuid } from '../../common/validation';
import { loadByIds, loadGroups } from '../../db/load-by-ids';
import { Evidence } from './evidence.entity';

/** Active evidence items of a control: those still valid (or without validUntil) and those past it. */
export interface EvidenceCounts {
  fresh: number;
  stale: number;
}

/**
 * Fresh and stale active evidence per control, in one statement. Takes a manager so a write's
 * transaction can read it on its own connection (see inTransaction).
 */
export async function evidenceCounts(manager: EntityManager, controlIds: readonly string[]): Promise<Map<string, EvidenceCounts>> {
  const ids = [...new Set(controlIds.filter(isUuid).map((id) => id.toLowerCase()))];
  const rows: Array<{ control_id: string; fresh: number; stale: number }> = ids.length ? await manager.query(
    `SELECT control_id, count(*) FILTER (WHERE valid_until IS NULL OR valid_until >= now())::int AS fresh,
            count(*) FILTER (WHERE valid_until < now())::int AS stale
       FROM evidence WHERE control_id = ANY($1::uuid[]) AND archived_at IS NULL GROUP BY control_id`,
    [ids],
  ) : [];
  return new Map(rows.map((r) => [r.control_id, { fresh: r.fresh, stale: r.stale }]));
}

export function evidenceLoaders(db: DataSource) {
  return {
    evidence: new DataLoader<string, Evidence | null>((ids) => loadByIds(db, Evidence, ids)),
    /** control.evidence: active evidence of each control, newest collected first. */
    controlEvidenceIds: new DataLoader<string, string[]>((ids) =>
      loadGroups(db, 'SELECT control_id AS k, id AS v FROM evidence WHERE control_id = ANY($1::uuid[]) AND archived_at IS NULL ORDER BY collected_at DESC, id', ids)),
    /** Fresh and stale active evidence of each control (control.evidenceFreshness). */
    controlEvidenceCounts: new DataLoader<string, EvidenceCounts>(async (ids) => {
      const counts = await evidenceCounts(db.manager, ids);
      return ids.map((id) => counts.get(id.toLowerCase()) ?? { fresh: 0, stale: 0 });
    }),
  };
}
