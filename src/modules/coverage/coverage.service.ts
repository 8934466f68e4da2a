import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { badInput } from '../../common/errors';
import { Framework } from '../framework/framework.entity';
import { frameworkService } from '../framework/framework.service';
import { scopeService } from '../scope/scope.service';
import type { Scope } from '../scope/scope.entity';
import { COVERAGE_SQL, GAP_SQL } from './coverage.sql';
import { CoverageStatus, type CoverageRow } from './coverage.types';

export interface CoverageGroupCounts {
  groupId: string;
  code: string;
  title: string;
  total: number;
  covered: number;
  excluded: number;
  excepted: number;
  partial: number;
  notCovered: number;
}

export interface CoverageResult {
  scope: Scope;
  framework: Framework;
  rows: CoverageRow[];
  counts: Omit<CoverageGroupCounts, 'groupId' | 'code' | 'title'>;
  groups: CoverageGroupCounts[];
}

export interface GapRow {
  requirementId: string;
  code: string;
  title: string;
  status: CoverageStatus;
  wouldReach: CoverageStatus;
  candidates: Array<{ controlId: string; viaRequirementId: string; mappingId: string | null; wouldReach: CoverageStatus }>;
}

/** Percentages over the assessable requirements minus EXCLUDED, to one decimal. */
export function percentages(c: CoverageResult['counts']) {
  const base = c.total - c.excluded;
  const pct = (n: number) => (base === 0 ? 0 : Math.round((n / base) * 1000) / 10);
  return { covered: pct(c.covered), excepted: pct(c.excepted), partial: pct(c.partial), notCovered: pct(c.notCovered) };
}

async function resolve(ctx: Context, scopeId: string, frameworkKey: string, frameworkVersion?: string | null): Promise<{ scope: Scope; framework: Framework }> {
  const scope = await scopeService.get(ctx, { id: scopeId });
  const framework = await frameworkService.findByKey(ctx.db.manager, frameworkKey, frameworkVersion);
  if (!framework) throw badInput(`No framework with key ${frameworkKey}`, 'frameworkKey');
  return { scope, framework };
}

/** Coverage and gaps are computed in SQL (coverage.sql.ts); this only shapes the answer. */
export const coverageService = {
  async coverage(ctx: Context, scopeId: string, frameworkKey: string, frameworkVersion?: string | null): Promise<CoverageResult> {
    const { scope, framework } = await resolve(ctx, scopeId, frameworkKey, frameworkVersion);
    return this.compute(ctx, scope, framework);
  },

  /** For other modules (SoA) that already hold the scope and framework; inside a write, pass its manager. */
  async compute(ctx: Context, scope: Scope, framework: Framework, manager?: EntityManager): Promise<CoverageResult> {
    const [result] = await (manager ?? ctx.db).query(COVERAGE_SQL, [scope.id, framework.id]);
    return { scope, framework, rows: result.rows, counts: result.counts, groups: result.groups };
  },

  async gaps(ctx: Context, scopeId: string, frameworkKey: string, frameworkVersion?: string | null): Promise<{ scope: Scope; framework: Framework; gaps: GapRow[] }> {
    const { scope, framework } = await resolve(ctx, scopeId, frameworkKey, frameworkVersion);
    const [result] = await ctx.db.query(GAP_SQL, [scope.id, framework.id]);
    return { scope, framework, gaps: result.gaps };
  },
};
