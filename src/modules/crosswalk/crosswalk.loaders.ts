import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { loadByIds } from '../../db/load-by-ids';
import { Crosswalk, Mapping } from './crosswalk.entity';

export function crosswalkLoaders(db: DataSource) {
  return {
    crosswalk: new DataLoader<string, Crosswalk | null>((ids) => loadByIds(db, Crosswalk, ids)),
    mapping: new DataLoader<string, Mapping | null>((ids) => loadByIds(db, Mapping, ids)),
    /** Active mappings of active crosswalks with each requirement on either side. */
    requirementMappings: new DataLoader<string, Mapping[]>(async (ids) => {
      const rows = await db.getRepository(Mapping).createQueryBuilder('m')
        .where('(m.sourceRequirementId = ANY(:ids) OR m.targetRequirementId = ANY(:ids)) AND m.archivedAt IS NULL', { ids: [...ids] })
        .andWhere('m.crosswalkId IN (SELECT c.id FROM crosswalk c WHERE c.archived_at IS NULL)')
        .orderBy('m.createdAt').addOrderBy('m.id').getMany();
      const byRequirement = new Map<string, Mapping[]>();
      for (const m of rows) {
        for (const id of new Set([m.sourceRequirementId, m.targetRequirementId])) {
          const list = byRequirement.get(id);
          if (list) list.push(m);
          else byRequirement.set(id, [m]);
        }
      }
      return ids.map((id) => byRequirement.get(id) ?? []);
    }),
  };
}
