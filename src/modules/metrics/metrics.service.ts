import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { badInput } from '../../common/errors';
import { isUuid } from '../../common/validation';
import { pageSize, type Connection } from '../../common/pagination';
import { inTransaction } from '../../db/transaction';
import { visibleScopeIds } from '../../auth/visibility';
import { AuditEvent } from '../audit/audit.entity';
import { scopeService } from '../scope/scope.service';
import { frameworkService } from '../framework/framework.service';
import type { Framework } from '../framework/framework.entity';
import { COVERAGE_SQL } from '../coverage/coverage.sql';
import { percentages, type CoverageResult } from '../coverage/coverage.service';
import type { CoverageStatus } from '../coverage/coverage.types';
import { CoverageSnapshotRecord } from './coverage-snapshot.entity';
import type { CoverageRowFilter } from './metrics.inputs';
import {
  COVERAGE_PAIRS_SQL, COVERAGE_PAIR_COUNT_SQL, COVERAGE_PAIR_ROWS_SQL, EXPIRING_WITHIN_DAYS, RISK_METRICS_SQL, UPSERT_SNAPSHOT_SQL,
} from './metrics.sql';
import type { CoverageFlatRow, CoverageSnapshot, RiskMetrics } from './metrics.types';

/** Longest `coverageTrend` range, in days (inclusive): ten years of daily rows. */
export const MAX_TREND_DAYS = 3660;

/** The UTC day of an instant, as `YYYY-MM-DD`. */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

type Queryable = Pick<DataSource | EntityManager, 'query'>;

/**
 * Computes the coverage of one scope and framework with the coverage module's own statement and
 * upserts the counts and percentages as the snapshot of `at`'s UTC day. Returns the row's id, or
 * null when a snapshot taken later the same day is already there (it is kept).
 */
export async function takeCoverageSnapshot(db: Queryable, scopeId: string, frameworkId: string, at: Date): Promise<string | null> {
  const [result] = (await db.query(COVERAGE_SQL, [scopeId, frameworkId])) as Array<Pick<CoverageResult, 'counts'>>;
  const c = result.counts;
  const p = percentages(c);
  const rows = (await db.query(UPSERT_SNAPSHOT_SQL, [
    scopeId, frameworkId, utcDay(at), at, c.total, c.covered, c.excluded, c.excepted, c.partial, c.notCovered,
    p.covered, p.excepted, p.partial, p.notCovered,
  ])) as Array<{ id: string }>;
  return rows[0]?.id ?? null;
}

function toSnapshot(r: CoverageSnapshotRecord): CoverageSnapshot {
  return {
    id: r.id,
    day: r.day,
    takenAt: r.takenAt,
    scopeId: r.scopeId,
    frameworkId: r.frameworkId,
    counts: { total: r.total, covered: r.covered, excluded: r.excluded, excepted: r.excepted, partial: r.partial, notCovered: r.notCovered },
    percentages: { covered: r.coveredPct, excepted: r.exceptedPct, partial: r.partialPct, notCovered: r.notCoveredPct },
  };
}

async function requireFramework(ctx: Context, key: string, version?: string | null): Promise<Framework> {
  return frameworkService.requireByKey(ctx.db.manager, key, 'frameworkKey', version);
}

/** Where a page of flat coverage rows starts: after this row of this pair. */
interface RowCursor {
  scopeKey: string;
  frameworkKey: string;
  frameworkVersion: string;
  position: number;
  requirementId: string;
}

const CURSOR_TAG = 'coverageRow';

function encodeRowCursor(c: RowCursor): string {
  return Buffer.from(JSON.stringify([CURSOR_TAG, c.scopeKey, c.frameworkKey, c.frameworkVersion, c.position, c.requirementId])).toString('base64url');
}

function decodeRowCursor(cursor: string): RowCursor {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 6 && v[0] === CURSOR_TAG && typeof v[1] === 'string' && typeof v[2] === 'string'
      && typeof v[3] === 'string' && Number.isSafeInteger(v[4]) && Math.abs(v[4] as number) < 2 ** 31 && isUuid(v[5])) {
      return { scopeKey: v[1], frameworkKey: v[2], frameworkVersion: v[3], position: v[4] as number, requirementId: v[5] as string };
    }
  } catch {
    // fall through
  }
  throw badInput('`after` is not a cursor this list issued', 'after');
}

interface Pair {
  scopeId: string;
  scopeKey: string;
  frameworkId: string;
  frameworkKey: string;
  frameworkVersion: string;
}

interface PairRow {
  requirementId: string;
  code: string;
  title: string;
  position: number;
  status: CoverageStatus;
  groupCode: string | null;
  groupTitle: string | null;
}

const listOrNull = <T>(list: T[] | null | undefined): T[] | null => (list && list.length ? list : null);

export const metricsService = {
  /**
   * Risk metrics of a scope and all its descendants, or of every scope when `scopeId` is null,
   * counting only what the key may see (a scope outside its restriction is NOT_FOUND). One statement.
   */
  async riskMetrics(ctx: Context, scopeId?: string | null): Promise<RiskMetrics> {
    const rootId = scopeId ? (await scopeService.get(ctx, { id: scopeId.toLowerCase() })).id : null;
    const allowed = await visibleScopeIds(ctx);
    const [row] = await ctx.db.query(RISK_METRICS_SQL, [rootId, allowed]);
    return { ...row, asOf: new Date(row.asOf), scopeId: rootId, expiringWithinDays: EXPIRING_WITHIN_DAYS };
  },

  /** Takes (or retakes) today's snapshot of one scope and framework now; audited. */
  async snapshotCoverage(ctx: Context, scopeId: string, frameworkKey: string, frameworkVersion?: string | null): Promise<CoverageSnapshot> {
    const scope = await scopeService.get(ctx, { id: scopeId.toLowerCase() });
    const framework = await requireFramework(ctx, frameworkKey, frameworkVersion);
    return inTransaction(ctx, async (tx) => {
      const at = new Date();
      const where = { scopeId: scope.id, frameworkId: framework.id, day: utcDay(at) };
      const before = await tx.findOneBy(CoverageSnapshotRecord, where);
      await takeCoverageSnapshot(tx, scope.id, framework.id, at);
      const after = await tx.findOneByOrFail(CoverageSnapshotRecord, where);
      // derived data, not ISMS state: audited as a write, but no change event (nothing subscribes to it)
      await tx.insert(AuditEvent, {
        id: randomUUID(),
        actorKeyId: ctx.principal?.keyId ?? null,
        operation: 'snapshotCoverage',
        entityType: 'COVERAGE_SNAPSHOT',
        entityId: after.id,
        before: (before ? JSON.parse(JSON.stringify(before)) : null) as never,
        after: JSON.parse(JSON.stringify(after)) as never,
        scopeIds: [scope.id],
        requestId: ctx.requestId,
      });
      return toSnapshot(after);
    });
  },

  /** The daily snapshots of one scope and framework version between two UTC days (inclusive), oldest first. */
  async coverageTrend(ctx: Context, scopeId: string, frameworkKey: string, from: Date, to: Date, frameworkVersion?: string | null): Promise<CoverageSnapshot[]> {
    const scope = await scopeService.get(ctx, { id: scopeId.toLowerCase() });
    const framework = await requireFramework(ctx, frameworkKey, frameworkVersion);
    if (to < from) throw badInput('`to` must not be before `from`', 'to');
    if ((to.getTime() - from.getTime()) / 86_400_000 + 1 > MAX_TREND_DAYS) throw badInput(`The range may span at most ${MAX_TREND_DAYS} days`, 'to');
    const rows = await ctx.db.getRepository(CoverageSnapshotRecord).createQueryBuilder('cs')
      .where('cs.scopeId = :scopeId AND cs.frameworkId = :frameworkId', { scopeId: scope.id, frameworkId: framework.id })
      .andWhere('cs.day BETWEEN :from AND :to', { from: utcDay(from), to: utcDay(to) })
      .orderBy('cs.day', 'ASC')
      .getMany();
    return rows.map(toSnapshot);
  },

  /**
   * Flat coverage rows, keyset-paged in the order scope key, framework key, framework version,
   * requirement position, requirement id. Coverage is computed per (scope, framework) pair in SQL
   * by the coverage module's statement, with filter, cursor and limit applied there: a page runs
   * one statement for the pairs plus one per pair it reaches; it never computes the pairs before
   * its cursor. `totalCount`, when selected, runs one count per matching pair.
   */
  async coverageRows(ctx: Context, filter: CoverageRowFilter, page: { first?: number | null; after?: string | null }): Promise<Connection<CoverageFlatRow>> {
    const limit = pageSize(page.first);
    const cursor = page.after ? decodeRowCursor(page.after) : null;
    const allowed = await visibleScopeIds(ctx);
    const scopeIds = listOrNull(filter.scopeIds?.map((id) => id.toLowerCase()));
    const frameworkKeys = listOrNull(filter.frameworkKeys);
    const statuses = listOrNull(filter.statuses);
    const groupCodes = listOrNull(filter.groupCodes);
    const pairsFrom = (c: RowCursor | null): Promise<Pair[]> =>
      ctx.db.query(COVERAGE_PAIRS_SQL, [allowed, scopeIds, frameworkKeys, c?.scopeKey ?? null, c?.frameworkKey ?? null, c?.frameworkVersion ?? null]);

    const rows: CoverageFlatRow[] = [];
    const positions: number[] = [];
    if (limit > 0) {
      for (const pair of await pairsFrom(cursor)) {
        const within = cursor !== null && pair.scopeKey === cursor.scopeKey && pair.frameworkKey === cursor.frameworkKey && pair.frameworkVersion === cursor.frameworkVersion;
        const found = (await ctx.db.query(COVERAGE_PAIR_ROWS_SQL, [
          pair.scopeId, pair.frameworkId, statuses, groupCodes, within ? cursor.position : null, within ? cursor.requirementId : null, limit + 1 - rows.length,
        ])) as PairRow[];
        for (const r of found) {
          rows.push({
            scopeId: pair.scopeId, scopeKey: pair.scopeKey, frameworkId: pair.frameworkId, frameworkKey: pair.frameworkKey, frameworkVersion: pair.frameworkVersion,
            requirementId: r.requirementId, requirementCode: r.code, requirementTitle: r.title, status: r.status, groupCode: r.groupCode, groupTitle: r.groupTitle,
          });
          positions.push(r.position);
        }
        if (rows.length > limit) break;
      }
    }
    const nodes = rows.slice(0, limit);
    const edges = nodes.map((node, i) => ({
      cursor: encodeRowCursor({ scopeKey: node.scopeKey, frameworkKey: node.frameworkKey, frameworkVersion: node.frameworkVersion, position: positions[i], requirementId: node.requirementId }),
      node,
    }));
    let count: Promise<number> | undefined;
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null },
      get totalCount() {
        count ??= (async () => {
          let total = 0;
          for (const pair of await pairsFrom(null)) {
            const [{ n }] = await ctx.db.query(COVERAGE_PAIR_COUNT_SQL, [pair.scopeId, pair.frameworkId, statuses, groupCodes]);
            total += n;
          }
          return total;
        })();
        return count;
      },
    };
  },
};
