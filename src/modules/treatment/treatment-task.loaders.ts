import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { loadByIds } from '../../db/load-by-ids';
import { TreatmentTask } from './treatment-task.entity';

export function treatmentTaskLoaders(db: DataSource) {
  return {
    treatmentTask: new DataLoader<string, TreatmentTask | null>((ids) => loadByIds(db, TreatmentTask, ids)),
    /** risk.treatmentTasks: the active tasks of each risk, oldest first, in one statement. */
    riskTreatmentTasks: new DataLoader<string, TreatmentTask[]>(async (riskIds) => {
      const rows = await db.getRepository(TreatmentTask).createQueryBuilder('t')
        .where('t.riskId = ANY(:riskIds) AND t.archivedAt IS NULL', { riskIds: [...riskIds] })
        .orderBy('t.createdAt').addOrderBy('t.id').getMany();
      const byRisk = new Map<string, TreatmentTask[]>();
      for (const task of rows) {
        const list = byRisk.get(task.riskId);
        if (list) list.push(task);
        else byRisk.set(task.riskId, [task]);
      }
      return riskIds.map((id) => byRisk.get(id) ?? []);
    }),
  };
}
