import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { loadByIds, loadGroups } from '../../db/load-by-ids';
import { Evidence } from './evidence.entity';
import { evidenceCounts, type EvidenceCounts } from './evidence.service';

export function evidenceLoaders(db: DataSource) {
  return {
    evidence: new DataLoader<string, Evidence | null>((ids) => loadByIds(db, Evidence, ids)),
    /** control.evidence: active evidence of each control, newest collected first. */
    controlEvidenceIds: new DataLoader<string, string[]>((ids) =>
      loadGroups(db, 'SELECT control_id AS k, id AS v FROM evidence WHERE control_id = ANY($1::uuid[]) AND archived_at IS NULL ORDER BY collected_at DESC, id', ids)),
    /** Fresh and stale active evidence of each control (for freshness). */
    controlEvidenceCounts: new DataLoader<string, EvidenceCounts>(async (ids) => {
      const counts = await evidenceCounts(db.manager, ids);
      return ids.map((id) => counts.get(id.toLowerCase()) ?? { fresh: 0, stale: 0 });
    }),
  };
}
