import type { DataSource } from 'typeorm';
import { ownerLoaders } from './modules/owner/owner.loaders';
import { scopeLoaders } from './modules/scope/scope.loaders';

/** One set of DataLoaders per request (or subscription event), so batches never cross callers. */
export function createLoaders(db: DataSource) {
  return {
    ...ownerLoaders(db),
    ...scopeLoaders(db),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
