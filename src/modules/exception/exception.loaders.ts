import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { loadByIds, loadGroups } from '../../db/load-by-ids';
import { IsmsException } from './exception.entity';

export function exceptionLoaders(db: DataSource) {
  return {
    exception: new DataLoader<string, IsmsException | null>((ids) => loadByIds(db, IsmsException, ids)),
    compensatingControlIds: new DataLoader<string, string[]>((ids) =>
      loadGroups(db, 'SELECT exception_id AS k, control_id AS v FROM exception_compensating_control WHERE exception_id = ANY($1::uuid[]) ORDER BY created_at, control_id', ids)),
  };
}
