import { EntityType } from '../../db/events';
import { ReminderKind } from '../reminder/reminder.entity';
import { DAY_MS, daysSql, type ReminderRule } from '../reminder/reminder.rules';
import { AssetKind, type Asset } from './asset.entity';

type RotationFields = Pick<Asset, 'kind' | 'createdAt' | 'lastRotatedAt' | 'rotationIntervalDays' | 'expiresAt' | 'revokedAt'>;

/**
 * When a non-human identity must next be rotated: one interval after its last rotation, or its
 * expiry, whichever comes first. An identity with an interval but no rotation on record has been
 * due since it entered the inventory (its `createdAt`): nobody knows how old its secret is.
 * Null for other assets, revoked identities, and identities with neither an interval nor an expiry.
 */
export function nextRotationAt(asset: RotationFields): Date | null {
  if (asset.kind !== AssetKind.NON_HUMAN_IDENTITY || asset.revokedAt) return null;
  const dates: number[] = [];
  if (asset.rotationIntervalDays !== null) {
    dates.push(asset.lastRotatedAt ? asset.lastRotatedAt.getTime() + asset.rotationIntervalDays * DAY_MS : asset.createdAt.getTime());
  }
  if (asset.expiresAt) dates.push(asset.expiresAt.getTime());
  return dates.length ? new Date(Math.min(...dates)) : null;
}

/** `nextRotationAt` in SQL over an asset row aliased `alias` (LEAST skips NULLs). */
export function nextRotationSql(alias: string): string {
  return `(CASE WHEN ${alias}.kind = 'NON_HUMAN_IDENTITY' AND ${alias}.revoked_at IS NULL THEN LEAST(
      CASE WHEN ${alias}.rotation_interval_days IS NOT NULL
           THEN coalesce(${alias}.last_rotated_at + ${daysSql(`${alias}.rotation_interval_days`)}, ${alias}.created_at) END,
      ${alias}.expires_at) END)`;
}

/**
 * Active, unrevoked non-human identities are due for rotation at `nextRotationAt`: reminded ahead
 * of it and once it has passed. Identities without an owner get no reminder (nobody to remind:
 * that is an NHI1 finding of its own).
 */
export const assetReminderRule: ReminderRule = {
  subjectType: EntityType.ASSET,
  upcomingKind: ReminderKind.ROTATION_DUE,
  passedKind: ReminderKind.ROTATION_DUE,
  summary: { upcoming: 'Rotation due', passed: 'Rotation overdue' },
  candidatesSql: `
    SELECT a.id AS subject_id, ${nextRotationSql('a')} AS due_at, a.owner_id,
           coalesce((SELECT array_agg(s.scope_id ORDER BY s.scope_id) FROM asset_scope s WHERE s.asset_id = a.id), '{}'::uuid[]) AS scope_ids,
           'Rotate ' || a.name AS label
      FROM asset a
     WHERE a.kind = 'NON_HUMAN_IDENTITY' AND a.archived_at IS NULL AND a.revoked_at IS NULL AND a.owner_id IS NOT NULL
       AND ${nextRotationSql('a')} IS NOT NULL`,
};
