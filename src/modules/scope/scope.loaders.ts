import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { loadByIds } from '../../db/load-by-ids';
import { Scope } from './scope.entity';

export function scopeLoaders(db: DataSource) {
  return {
    scope: new DataLoader<string, Scope | null>((ids) => loadByIds(db, Scope, ids)),
  };
}
