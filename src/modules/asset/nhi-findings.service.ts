import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { memo } from '../../context';
import { badInput } from '../../common/errors';
import { pageSize } from '../../common/pagination';
import { isUuid, NAME_MAX } from '../../common/validation';
import { inTransaction, recordWrite } from '../../db/transaction';
import { ChangeAction, EntityType } from '../../db/events';
import { frameworkService } from '../framework/framework.service';
import type { Framework } from '../framework/framework.entity';
import { ownerService } from '../owner/owner.service';
import { scopeService } from '../scope/scope.service';
import { Risk, RiskStatus, RiskThreat, RiskTreatment } from '../risk/risk.entity';
import { scoresOf } from '../risk/risk.scoring';
import { RiskAsset, type Asset } from './asset.entity';
import { RiskFinding } from './risk-finding.entity';
import { NHI_FINDINGS_SQL, RULES, findingsParams, type FindingsCursor, type NhiFindingRow } from './nhi-findings.sql';
import {
  NHI_FRAMEWORK_KEY, RISK_SCORES_BY_SEVERITY, rankOf, severityOf,
  type CreateRisksFromFindingsInput, type FindingRisk, type NhiFinding, type NhiFindingConnection, type NhiFindingFilter,
} from './nhi-findings.types';

const CURSOR_TAG = 'nhiFindings';

/** Opaque keyset cursor: the finding's severity rank, asset id and rule (the list's order). */
function encodeFindingCursor(finding: NhiFinding): string {
  return Buffer.from(JSON.stringify([CURSOR_TAG, finding.rank, finding.assetId, finding.rule])).toString('base64url');
}

function decodeFindingCursor(cursor: string): FindingsCursor {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 4 && parsed[0] === CURSOR_TAG) {
      const [, rank, assetId, rule] = parsed as [string, unknown, unknown, unknown];
      const known = RULES.find((r) => r.rule === rule);
      if (typeof rank === 'number' && Number.isInteger(rank) && rank >= 1 && rank <= 4 && isUuid(assetId) && known) {
        return { rank, assetId: norm(assetId), ord: known.ord };
      }
    }
  } catch {
    // fall through
  }
  throw badInput('`after` is not a cursor this list issued', 'after');
}
/** First key of the advisory locks that serialise risk creation per (scope, finding). */
const FINDING_LOCK = 727_008;

const norm = (id: string): string => id.toLowerCase();

async function nhiFramework(manager: EntityManager): Promise<Framework> {
  const framework = await frameworkService.findByKey(manager, NHI_FRAMEWORK_KEY);
  // shipped and loaded at start-up, so its absence is the server's fault (INTERNAL, logged)
  if (!framework) throw new Error(`The ${NHI_FRAMEWORK_KEY} catalog is not loaded (or archived): findings name its items`);
  return framework;
}

function toFinding(row: NhiFindingRow): NhiFinding {
  if (!row.requirementId || !row.itemTitle) throw new Error(`${NHI_FRAMEWORK_KEY} has no requirement ${row.itemCode}`);
  return {
    id: row.id,
    rule: row.rule,
    severity: severityOf(row.rank),
    itemCode: row.itemCode,
    message: row.message,
    assetId: row.assetId,
    assetName: row.assetName,
    requirementId: row.requirementId,
    itemTitle: row.itemTitle,
    rank: row.rank,
    ord: row.ord,
  };
}

async function runFindings(manager: EntityManager, params: unknown[]): Promise<{ total: number; rows: NhiFindingRow[] }> {
  const [result] = await manager.query(NHI_FINDINGS_SQL, params);
  return { total: result.total, rows: result.rows };
}

/** `findingIds[i]: …` with `extensions.field` `findingIds` and `extensions.index` i. */
const badFinding = (index: number, message: string) =>
  badInput(`findingIds[${index}]: ${message}`, 'findingIds', { index, path: `findingIds[${index}]` });

function riskTitle(finding: NhiFinding): string {
  const title = `${finding.itemCode} ${finding.itemTitle}: ${finding.assetName}`;
  return title.length <= NAME_MAX ? title : `${title.slice(0, NAME_MAX - 1)}…`;
}

/**
 * Posture over the NHI inventory (issue 8): findings are computed in SQL on every read
 * (nhi-findings.sql.ts); only the risks made from them are stored.
 */
export const nhiFindingsService = {
  /** A page of the findings of a scope and its descendants; NOT_FOUND when the scope is absent or outside the key's scopes. */
  async list(ctx: Context, scopeId: string, filter: NhiFindingFilter, page: { first?: number | null; after?: string | null }): Promise<NhiFindingConnection> {
    const limit = pageSize(page.first);
    const cursor = page.after ? decodeFindingCursor(page.after) : null;
    const scope = await scopeService.get(ctx, { id: scopeId });
    const framework = await memo(ctx, 'nhiFramework', () => nhiFramework(ctx.db.manager));
    const { total, rows } = await runFindings(ctx.db.manager, findingsParams({
      scopeId: scope.id,
      frameworkId: framework.id,
      rules: filter.rules,
      ranks: filter.severities?.map(rankOf),
      cursor,
      limit: limit + 1,
    }));
    const nodes = rows.slice(0, limit).map(toFinding);
    const edges = nodes.map((node) => ({ cursor: encodeFindingCursor(node), node }));
    return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null }, totalCount: total };
  },

  /** The asset of a finding, through the request's asset loader (one `WHERE id = ANY($1)` for a page). */
  async asset(ctx: Context, assetId: string): Promise<Asset> {
    const asset = await ctx.loaders.asset.load(assetId);
    if (!asset) throw new Error(`Asset ${assetId} of a finding vanished`);
    return asset;
  },

  /**
   * Turns findings into risks of the scope's register, in one transaction: per finding one risk
   * (title `<item> <item title>: <asset name>`, the finding's message as description,
   * likelihood × impact from the severity, IDENTIFIED, UNDECIDED), its threat (the OWASP item,
   * risk_threat), its asset (risk_asset) and the risk_finding row that makes the call idempotent
   * per finding and register. Advisory locks per (scope, finding), taken in sorted order, make
   * concurrent calls for one finding wait for the first and then return its risk.
   *
   * The rows are written here rather than through riskService.create, which opens a transaction
   * of its own per risk: a batch must be all-or-nothing. Each risk gets the audit and change event
   * riskService would write (operation `createRisksFromFindings`).
   */
  createRisks(ctx: Context, input: CreateRisksFromFindingsInput): Promise<FindingRisk[]> {
    return inTransaction(ctx, async (tx) => {
      const scope = await scopeService.requireWritable(ctx, tx, norm(input.scopeId), 'scopeId');
      const owner = await ownerService.requireActive(tx, norm(input.ownerId), 'ownerId');
      input.findingIds.forEach((id, index) => {
        if (!isUuid(id)) throw badFinding(index, `${id} is not a finding id`);
      });
      const ids = input.findingIds.map(norm);
      const unique = [...new Set(ids)].sort();
      const locks: Array<{ key: number }> = await tx.query('SELECT hashtext($1::text || id) AS key FROM unnest($2::text[]) AS id', [scope.id, unique]);
      for (const key of [...new Set(locks.map((l) => l.key))].sort((a, b) => a - b)) {
        await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [FINDING_LOCK, key]);
      }

      const existing = await tx.getRepository(RiskFinding).createQueryBuilder('rf')
        .where('rf.scopeId = :scopeId AND rf.findingId = ANY(:ids)', { scopeId: scope.id, ids: unique }).getMany();
      const riskIdByFinding = new Map(existing.map((e) => [e.findingId, e.riskId]));
      const missing = unique.filter((id) => !riskIdByFinding.has(id));

      const createdIds = new Set<string>();
      if (missing.length) {
        const framework = await nhiFramework(tx);
        const { rows } = await runFindings(tx, findingsParams({ scopeId: scope.id, frameworkId: framework.id, ids: missing, limit: missing.length }));
        const current = new Map(rows.map((r) => [r.id, toFinding(r)]));
        ids.forEach((id, index) => {
          if (!riskIdByFinding.has(id) && !current.has(id)) throw badFinding(index, `${input.findingIds[index]} is not a current NHI finding of scope ${scope.key}`);
        });
        const made = missing.map((findingId) => {
          const finding = current.get(findingId)!;
          const values = { ...RISK_SCORES_BY_SEVERITY[finding.severity], residualLikelihoodSet: null, residualImpactSet: null };
          return {
            finding,
            risk: {
              id: randomUUID(),
              title: riskTitle(finding),
              description: `${finding.message}.\n\nFrom NHI finding ${finding.id} (${finding.rule}, severity ${finding.severity}).`,
              scopeId: scope.id,
              ownerId: owner.id,
              ...values,
              ...scoresOf(values),
              treatment: RiskTreatment.UNDECIDED,
              status: RiskStatus.IDENTIFIED,
              reviewIntervalDays: 365,
            },
          };
        });
        await tx.insert(Risk, made.map((m) => m.risk));
        await tx.insert(RiskThreat, made.map((m) => ({ riskId: m.risk.id, requirementId: m.finding.requirementId })));
        // one identity may have several findings: one risk_asset row per risk, never a duplicate pair
        await tx.insert(RiskAsset, made.map((m) => ({ riskId: m.risk.id, assetId: m.finding.assetId })));
        await tx.insert(RiskFinding, made.map((m) => ({ scopeId: scope.id, findingId: m.finding.id, riskId: m.risk.id, rule: m.finding.rule, assetId: m.finding.assetId })));
        const saved = await tx.getRepository(Risk).createQueryBuilder('r').where('r.id = ANY(:ids)', { ids: made.map((m) => m.risk.id) }).getMany();
        const savedById = new Map(saved.map((r) => [r.id, r]));
        for (const m of made) {
          const risk = savedById.get(m.risk.id)!;
          await recordWrite(tx, ctx, {
            operation: 'createRisksFromFindings',
            entityType: EntityType.RISK,
            entityId: risk.id,
            action: ChangeAction.CREATED,
            before: null,
            after: { ...risk, threatIds: [m.finding.requirementId], assetIds: [m.finding.assetId], findingId: m.finding.id, findingRule: m.finding.rule },
            version: risk.version,
            scopeIds: [scope.id],
          });
          riskIdByFinding.set(m.finding.id, risk.id);
          createdIds.add(m.finding.id);
        }
      }

      const risks = await tx.getRepository(Risk).createQueryBuilder('r').where('r.id = ANY(:ids)', { ids: [...new Set(riskIdByFinding.values())] }).getMany();
      const riskById = new Map(risks.map((r) => [r.id, r]));
      const reported = new Set<string>();
      return ids.map((id, index) => {
        // a finding named twice is created once: the second mention reports it as existing
        const created = createdIds.has(id) && !reported.has(id);
        reported.add(id);
        return { findingId: input.findingIds[index], created, risk: riskById.get(riskIdByFinding.get(id)!)! };
      });
    });
  },
};
