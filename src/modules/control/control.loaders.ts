import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { loadByIds, loadGroups } from '../../db/load-by-ids';
import { childPageLoaders } from '../../db/child-pages';
import { Control } from './control.entity';

export function controlLoaders(db: DataSource) {
  return {
    control: new DataLoader<string, Control | null>((ids) => loadByIds(db, Control, ids)),
    /** Scope ids of each control (for visibility and control.scopes). */
    controlScopeIds: new DataLoader<string, string[]>((ids) =>
      loadGroups(db, 'SELECT control_id AS k, scope_id AS v FROM control_scope WHERE control_id = ANY($1::uuid[]) ORDER BY created_at, scope_id', ids)),
    /** scope.controls: active controls of each scope, by code. */
    scopeControls: childPageLoaders(db, {
      name: 'scope.controls',
      from: 'control e JOIN control_scope l ON l.control_id = e.id',
      parentExpr: 'l.scope_id',
      orderExpr: 'e.code',
      orderType: 'text',
      where: 'e.archived_at IS NULL',
    }),
  };
}
