import { createHash } from 'node:crypto';
import { NhiKind } from './asset.entity';
import { NhiFindingRule } from './nhi-findings.types';

/**
 * NHI kinds that carry a secret of their own, to which the NHI7 rules (ROTATION_OVERDUE,
 * NO_EXPIRY) apply: secrets, API keys, OAuth clients (their client secret), certificates (their
 * private key) and service accounts (their keys). Workload identities get short-lived federated
 * tokens, and an AI agent authenticates with credentials that are inventoried as identities of
 * their own, so neither is a long-lived secret itself.
 */
export const SECRET_KINDS: readonly NhiKind[] = [NhiKind.SECRET, NhiKind.API_KEY, NhiKind.OAUTH_CLIENT, NhiKind.CERTIFICATE, NhiKind.SERVICE_ACCOUNT];

/** Prefix of the name a finding id is derived from (see `nhiFindingId`). */
const ID_NAMESPACE = 'isms-graph/nhi-finding/';

/**
 * The stable id of a finding: a name-based UUID, version 8 (RFC 9562), from the first 16 bytes
 * of SHA-256 over `isms-graph/nhi-finding/<RULE>/<asset id>`. PostgreSQL 15 has no SHA-1 (v5)
 * without pgcrypto, and sha256() is built in, so the SQL computes the very same value. The same
 * rule on the same asset always gives the same id, in every scope that sees the asset.
 */
export function nhiFindingId(rule: NhiFindingRule, assetId: string): string {
  const h = createHash('sha256').update(`${ID_NAMESPACE}${rule}/${assetId.toLowerCase()}`, 'utf8').digest().subarray(0, 16);
  h[6] = (h[6] & 0x0f) | 0x80;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The rules in their tie-break order (`ord`), each with its item, base severity rank and mask bit. */
export const RULES: ReadonlyArray<{ rule: NhiFindingRule; item: string; base: number; ord: number; bit: number }> = [
  { rule: NhiFindingRule.NO_ACTIVE_OWNER, item: 'NHI1', base: 3 },
  { rule: NhiFindingRule.ROTATION_OVERDUE, item: 'NHI7', base: 2 },
  // LOW instead when a rotation interval bounds the secret's life (see `bounded` below)
  { rule: NhiFindingRule.NO_EXPIRY, item: 'NHI7', base: 2 },
  { rule: NhiFindingRule.PRIVILEGED, item: 'NHI5', base: 2 },
  { rule: NhiFindingRule.CROSS_ENVIRONMENT, item: 'NHI8', base: 3 },
  { rule: NhiFindingRule.SHARED_BY_CONSUMERS, item: 'NHI9', base: 2 },
  { rule: NhiFindingRule.HUMAN_USE, item: 'NHI10', base: 2 },
].map((r, i) => ({ ...r, ord: i + 1, bit: 1 << i }));

const bit = (rule: NhiFindingRule): number => RULES.find((r) => r.rule === rule)!.bit;
const secretKinds = SECRET_KINDS.map((k) => `'${k}'`).join(', ');

/** SQL for the finding id of a rule and an asset id column, the same value as `nhiFindingId`. */
const idOf = (rule: string, assetId: string) => `(SELECT encode(set_byte(set_byte(substring(h FROM 1 FOR 16), 6, (get_byte(h, 6) & 15) | 128), 8, (get_byte(h, 8) & 63) | 128), 'hex')::uuid
      FROM (SELECT sha256(convert_to('${ID_NAMESPACE}' || ${rule} || '/' || ${assetId}::text, 'UTF8')) AS h) d)`;

/**
 * Every finding of a scope and its descendant scopes, filtered, keyset-paged, in one statement.
 *
 * The identities looked at: assets of kind NON_HUMAN_IDENTITY in any scope of the tree (archived
 * child scopes included: a live credential stays a finding until it is revoked or archived
 * itself), neither archived nor revoked. `nhi` computes once per identity (MATERIALIZED, or the
 * planner would inline it and evaluate every rule once per rule row) a bit mask of the rules it
 * breaks, counting consumers only for the tree's identities so a small scope never aggregates a
 * large inventory; `filtered` expands the mask into one row per rule with its item and severity
 * rank (1 LOW … 4 CRITICAL): the rule's base, LOW for NO_EXPIRY when a rotation interval is set,
 * plus one when the identity is privileged and used in PRODUCTION, at most 4. Ids (SHA-256) and
 * messages are only computed for the page returned, and ids for every row only when filtering by
 * id, which is why the order is by asset id and rule rather than by finding id. Joins against CTE
 * columns (which have no statistics) are avoided: their estimates ran into millions of rows,
 * enough cost to switch on JIT compilation, which took longer than the query.
 *
 * $1 scope id, $2 id of the owasp-nhi-top10-2025 framework version, $3 rules (text[] or null),
 * $4 severity ranks (int[] or null), $5 finding ids (uuid[] or null), $6/$7/$8 cursor rank, asset
 * id and rule order (or null), $9 rows to return. Order: rank descending, asset id, rule order.
 * Answers one row `{ total, rows }`, total counting every filtered finding regardless of the cursor.
 */
export const NHI_FINDINGS_SQL = `
WITH RECURSIVE tree AS (
  SELECT id FROM scope WHERE id = $1::uuid
  UNION
  SELECT s.id FROM scope s JOIN tree t ON s.parent_id = t.id
),
nhi AS MATERIALIZED (
  SELECT a.id,
         CASE WHEN a.owner_id IS NULL OR o.archived_at IS NOT NULL THEN ${bit(NhiFindingRule.NO_ACTIVE_OWNER)} ELSE 0 END
       | CASE WHEN a.nhi_kind IN (${secretKinds}) AND coalesce(a.last_rotated_at, a.created_at) + make_interval(days => a.rotation_interval_days) < now()
              THEN ${bit(NhiFindingRule.ROTATION_OVERDUE)} ELSE 0 END
       | CASE WHEN a.nhi_kind IN (${secretKinds}) AND a.expires_at IS NULL THEN ${bit(NhiFindingRule.NO_EXPIRY)} ELSE 0 END
       | CASE WHEN a.privileged THEN ${bit(NhiFindingRule.PRIVILEGED)} ELSE 0 END
       | CASE WHEN 'PRODUCTION' = ANY(a.environments) AND a.environments && ARRAY['STAGING', 'DEVELOPMENT', 'TEST']
              THEN ${bit(NhiFindingRule.CROSS_ENVIRONMENT)} ELSE 0 END
       | CASE WHEN shared.asset_id IS NOT NULL THEN ${bit(NhiFindingRule.SHARED_BY_CONSUMERS)} ELSE 0 END
       | CASE WHEN a.human_use THEN ${bit(NhiFindingRule.HUMAN_USE)} ELSE 0 END AS mask,
         CASE WHEN a.privileged AND 'PRODUCTION' = ANY(a.environments) THEN 1 ELSE 0 END AS raise,
         a.rotation_interval_days IS NOT NULL AS bounded
    FROM asset a
    LEFT JOIN owner o ON o.id = a.owner_id
    LEFT JOIN (SELECT ac.asset_id
                 FROM asset_consumer ac
                 JOIN asset ca ON ca.id = ac.consumer_id
                WHERE ca.archived_at IS NULL
                  AND ac.asset_id IN (SELECT x.asset_id FROM asset_scope x WHERE x.scope_id IN (SELECT id FROM tree))
                GROUP BY ac.asset_id
               HAVING count(*) > 1) shared ON shared.asset_id = a.id
   WHERE a.kind = 'NON_HUMAN_IDENTITY' AND a.archived_at IS NULL AND a.revoked_at IS NULL
     AND a.id IN (SELECT x.asset_id FROM asset_scope x WHERE x.scope_id IN (SELECT id FROM tree))
),
rules (rule, item, bit, base, ord) AS (VALUES
  ${RULES.map((r) => `('${r.rule}', '${r.item}', ${r.bit}, ${r.base}, ${r.ord})`).join(',\n  ')}
),
filtered AS (
  SELECT n.id AS asset_id, r.rule, r.item, r.ord,
         least(4, CASE WHEN r.bit = ${bit(NhiFindingRule.NO_EXPIRY)} AND n.bounded THEN 1 ELSE r.base END + n.raise) AS rank
    FROM nhi n
    JOIN rules r ON n.mask & r.bit <> 0
   WHERE ($3::text[] IS NULL OR r.rule = ANY($3::text[]))
     AND ($4::int[] IS NULL OR least(4, CASE WHEN r.bit = ${bit(NhiFindingRule.NO_EXPIRY)} AND n.bounded THEN 1 ELSE r.base END + n.raise) = ANY($4::int[]))
     AND ($5::uuid[] IS NULL OR ${idOf('r.rule', 'n.id')} = ANY($5::uuid[]))
),
page AS (
  SELECT * FROM filtered
   WHERE $6::int IS NULL OR rank < $6::int OR (rank = $6::int AND (asset_id, ord) > ($7::uuid, $8::int))
   ORDER BY rank DESC, asset_id, ord
   LIMIT $9::int
)
SELECT (SELECT count(*)::int FROM filtered) AS total,
       coalesce((
         SELECT json_agg(json_build_object(
                  'id', ${idOf('p.rule', 'p.asset_id')}, 'rule', p.rule, 'rank', p.rank, 'ord', p.ord,
                  'itemCode', p.item, 'itemTitle', q.title, 'requirementId', q.id, 'assetId', a.id, 'assetName', a.name,
                  'message', a.name || ' (' || a.nhi_kind || ') ' || CASE p.rule
                    WHEN '${NhiFindingRule.NO_ACTIVE_OWNER}' THEN CASE WHEN o.id IS NULL
                      THEN 'has no owner: nobody is accountable for offboarding it'
                      ELSE format('belongs to the archived owner %s: nobody active is accountable for offboarding it', o.name) END
                    WHEN '${NhiFindingRule.ROTATION_OVERDUE}' THEN format('%s; its %s-day rotation interval ran out on %s',
                      CASE WHEN a.last_rotated_at IS NULL THEN 'has not been rotated since it was created on ' ELSE 'was last rotated on ' END
                        || to_char(coalesce(a.last_rotated_at, a.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                      a.rotation_interval_days,
                      to_char((coalesce(a.last_rotated_at, a.created_at) + make_interval(days => a.rotation_interval_days)) AT TIME ZONE 'UTC', 'YYYY-MM-DD'))
                    WHEN '${NhiFindingRule.NO_EXPIRY}' THEN 'has no expiry date' || CASE WHEN a.rotation_interval_days IS NULL
                      THEN ' and no rotation interval: nothing bounds its lifetime'
                      ELSE format(' (its rotation interval is %s days)', a.rotation_interval_days) END
                    WHEN '${NhiFindingRule.PRIVILEGED}' THEN 'holds privileged rights'
                      || CASE WHEN 'PRODUCTION' = ANY(a.environments) THEN ' and is used in PRODUCTION' ELSE '' END
                    WHEN '${NhiFindingRule.CROSS_ENVIRONMENT}' THEN 'is used in PRODUCTION and in ' || array_to_string(ARRAY(
                      SELECT u.e FROM unnest(ARRAY['STAGING', 'DEVELOPMENT', 'TEST']) WITH ORDINALITY AS u(e, i)
                       WHERE u.e = ANY(a.environments) ORDER BY u.i), ', ')
                    WHEN '${NhiFindingRule.SHARED_BY_CONSUMERS}' THEN format('is used by %s applications', (
                      SELECT count(*) FROM asset_consumer ac JOIN asset ca ON ca.id = ac.consumer_id
                       WHERE ac.asset_id = a.id AND ca.archived_at IS NULL))
                    ELSE 'is flagged as used by people'
                  END)
                ORDER BY p.rank DESC, p.asset_id, p.ord)
           FROM page p
           JOIN asset a ON a.id = p.asset_id
           LEFT JOIN owner o ON o.id = a.owner_id
           LEFT JOIN requirement q ON q.framework_id = $2::uuid AND q.code = p.item
       ), '[]'::json) AS rows
`;

/** One finding as NHI_FINDINGS_SQL returns it. */
export interface NhiFindingRow {
  id: string;
  rule: NhiFindingRule;
  rank: number;
  /** The rule's tie-break order, for the cursor. */
  ord: number;
  itemCode: string;
  itemTitle: string | null;
  requirementId: string | null;
  assetId: string;
  assetName: string;
  message: string;
}

/** Where a page starts: after this (rank, asset, rule order). */
export interface FindingsCursor {
  rank: number;
  assetId: string;
  ord: number;
}

/** Parameters of NHI_FINDINGS_SQL, in order. */
export function findingsParams(p: {
  scopeId: string;
  frameworkId: string;
  rules?: readonly string[] | null;
  ranks?: readonly number[] | null;
  ids?: readonly string[] | null;
  cursor?: FindingsCursor | null;
  limit: number;
}): unknown[] {
  return [
    p.scopeId, p.frameworkId, p.rules?.length ? p.rules : null, p.ranks?.length ? p.ranks : null, p.ids ?? null,
    p.cursor?.rank ?? null, p.cursor?.assetId ?? null, p.cursor?.ord ?? null, p.limit,
  ];
}
