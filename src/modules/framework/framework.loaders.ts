import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { loadByIds, loadGroups } from '../../db/load-by-ids';
import { Framework } from './framework.entity';
import { Requirement } from './requirement.entity';

export function frameworkLoaders(db: DataSource) {
  return {
    framework: new DataLoader<string, Framework | null>((ids) => loadByIds(db, Framework, ids)),
    requirement: new DataLoader<string, Requirement | null>((ids) => loadByIds(db, Requirement, ids)),
    /** Active children of each requirement, in catalog order. */
    /** Requirements each control implements. */
    controlRequirementIds: new DataLoader<string, string[]>((ids) =>
      loadGroups(db, 'SELECT control_id AS k, requirement_id AS v FROM control_requirement WHERE control_id = ANY($1::uuid[]) ORDER BY created_at, requirement_id', ids)),
    /** Threats each risk names. */
    riskThreatIds: new DataLoader<string, string[]>((ids) =>
      loadGroups(db, 'SELECT risk_id AS k, requirement_id AS v FROM risk_threat WHERE risk_id = ANY($1::uuid[]) ORDER BY created_at, requirement_id', ids)),
    requirementChildIds: new DataLoader<string, string[]>((ids) =>
      loadGroups(db, 'SELECT parent_id AS k, id AS v FROM requirement WHERE parent_id = ANY($1::uuid[]) AND archived_at IS NULL ORDER BY position, id', ids)),
  };
}
