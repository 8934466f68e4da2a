import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { loadByIds, loadGroups } from '../../db/load-by-ids';
import { childPageLoaders } from '../../db/child-pages';
import { Risk } from './risk.entity';

export function riskLoaders(db: DataSource) {
  return {
    risk: new DataLoader<string, Risk | null>((ids) => loadByIds(db, Risk, ids)),
    /** Treating controls of each risk, in link order. */
    riskControlIds: new DataLoader<string, string[]>((ids) =>
      loadGroups(db, `SELECT rc.risk_id AS k, rc.control_id AS v FROM risk_control rc JOIN control c ON c.id = rc.control_id
                       WHERE rc.risk_id = ANY($1::uuid[]) AND c.archived_at IS NULL ORDER BY rc.created_at, rc.control_id`, ids)),
    /** scope.risks: active risks of each scope, oldest first. */
    scopeRisks: childPageLoaders(db, {
      name: 'scope.risks',
      from: 'risk e',
      parentExpr: 'e.scope_id',
      orderExpr: 'e.created_at',
      orderType: 'timestamp',
      where: 'e.archived_at IS NULL',
    }),
  };
}
