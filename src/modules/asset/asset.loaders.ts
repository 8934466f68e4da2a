import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { isUuid } from '../../common/validation';
import { loadByIds, loadGroups } from '../../db/load-by-ids';
import { Asset, AssetLifecycleEvent } from './asset.entity';

/** One asset's newest lifecycle events, at most `first` of them. */
export interface LifecycleKey {
  assetId: string;
  first: number;
}

/**
 * Lifecycle events of many assets in one statement per page size: newest first, cut per asset with
 * a window, so a long history is never read whole for a list.
 */
async function loadLifecycles(db: DataSource, keys: readonly LifecycleKey[]): Promise<AssetLifecycleEvent[][]> {
  const bySize = new Map<number, string[]>();
  for (const key of keys) {
    if (!isUuid(key.assetId)) continue;
    bySize.set(key.first, [...(bySize.get(key.first) ?? []), key.assetId.toLowerCase()]);
  }
  const found = new Map<string, AssetLifecycleEvent[]>();
  const repo = db.getRepository(AssetLifecycleEvent);
  for (const [first, assetIds] of bySize) {
    if (first <= 0) continue;
    const events = await repo.createQueryBuilder('e')
      .where(`e.id IN (SELECT x.id FROM (
                 SELECT l.id, row_number() OVER (PARTITION BY l.asset_id ORDER BY l.at DESC, l.id DESC) AS rn
                   FROM asset_lifecycle_event l WHERE l.asset_id = ANY(CAST(:assetIds AS uuid[]))) x
               WHERE x.rn <= :first)`, { assetIds: [...new Set(assetIds)], first })
      .orderBy('e.at', 'DESC').addOrderBy('e.id', 'DESC').getMany();
    for (const event of events) {
      const key = `${event.assetId}|${first}`;
      const list = found.get(key);
      if (list) list.push(event);
      else found.set(key, [event]);
    }
  }
  return keys.map((k) => (isUuid(k.assetId) ? found.get(`${k.assetId.toLowerCase()}|${k.first}`) ?? [] : []));
}

export function assetLoaders(db: DataSource) {
  return {
    asset: new DataLoader<string, Asset | null>((ids) => loadByIds(db, Asset, ids)),
    /** Scope ids of each asset (for visibility and asset.scopes). */
    assetScopeIds: new DataLoader<string, string[]>((ids) =>
      loadGroups(db, 'SELECT asset_id AS k, scope_id AS v FROM asset_scope WHERE asset_id = ANY($1::uuid[]) ORDER BY created_at, scope_id', ids)),
    /** Active application assets that use each identity, in link order. */
    assetConsumerIds: new DataLoader<string, string[]>((ids) =>
      loadGroups(db, `SELECT l.asset_id AS k, l.consumer_id AS v FROM asset_consumer l JOIN asset a ON a.id = l.consumer_id
                       WHERE l.asset_id = ANY($1::uuid[]) AND a.archived_at IS NULL ORDER BY l.created_at, a.name, l.consumer_id`, ids)),
    /** asset.lifecycle: newest first, at most `first` per asset. */
    assetLifecycle: new DataLoader<LifecycleKey, AssetLifecycleEvent[], string>((keys) => loadLifecycles(db, keys), {
      cacheKeyFn: (k) => `${k.assetId}|${k.first}`,
    }),
    /** risk.assets: active assets each risk concerns. */
    riskAssetIds: new DataLoader<string, string[]>((ids) =>
      loadGroups(db, `SELECT l.risk_id AS k, l.asset_id AS v FROM risk_asset l JOIN asset a ON a.id = l.asset_id
                       WHERE l.risk_id = ANY($1::uuid[]) AND a.archived_at IS NULL ORDER BY l.created_at, l.asset_id`, ids)),
    /** control.assets: active assets each control protects. */
    controlAssetIds: new DataLoader<string, string[]>((ids) =>
      loadGroups(db, `SELECT l.control_id AS k, l.asset_id AS v FROM control_asset l JOIN asset a ON a.id = l.asset_id
                       WHERE l.control_id = ANY($1::uuid[]) AND a.archived_at IS NULL ORDER BY l.created_at, l.asset_id`, ids)),
    /** asset.risks: active risks that concern each asset. */
    assetRiskIds: new DataLoader<string, string[]>((ids) =>
      loadGroups(db, `SELECT l.asset_id AS k, l.risk_id AS v FROM risk_asset l JOIN risk r ON r.id = l.risk_id
                       WHERE l.asset_id = ANY($1::uuid[]) AND r.archived_at IS NULL ORDER BY l.created_at, l.risk_id`, ids)),
    /** asset.controls: active controls that protect each asset. */
    assetControlIds: new DataLoader<string, string[]>((ids) =>
      loadGroups(db, `SELECT l.asset_id AS k, l.control_id AS v FROM control_asset l JOIN control c ON c.id = l.control_id
                       WHERE l.asset_id = ANY($1::uuid[]) AND c.archived_at IS NULL ORDER BY l.created_at, l.control_id`, ids)),
  };
}
