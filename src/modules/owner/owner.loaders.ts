import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { loadByIds } from '../../db/load-by-ids';
import { Owner } from './owner.entity';

export function ownerLoaders(db: DataSource) {
  return {
    owner: new DataLoader<string, Owner | null>((ids) => loadByIds(db, Owner, ids)),
  };
}
