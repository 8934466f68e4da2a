import { LEVEL_BANDS } from '../risk/risk.scoring';
import { COVERAGE_ROWS_CTE } from '../coverage/coverage.sql';

/** `CASE` turning a score column into its level, built from the one table of bands (risk.scoring.ts). */
function levelCase(column: string): string {
  const branches = Object.entries(LEVEL_BANDS).map(([level, [low, high]]) => `WHEN ${column} BETWEEN ${low} AND ${high} THEN '${level}'`);
  return `CASE ${branches.join(' ')} END`;
}

/** The levels in band order, as a VALUES list with their rank. */
const LEVELS = `(VALUES ${Object.keys(LEVEL_BANDS).map((level, i) => `('${level}', ${i})`).join(', ')}) AS lv(level, rank)`;

/** Days ahead within which an approved exception counts as expiring. */
export const EXPIRING_WITHIN_DAYS = 30;

/**
 * Every risk metric in one statement ($1 root scope id or null for all, $2 the key's visible scope
 * ids or null when unrestricted). The scope set is the root and all its descendants (archived ones
 * included: rows are filtered by their own `archived_at`), intersected with what the key may see.
 * Risks, tasks and exceptions count only when active (not archived); a task counts through an
 * active risk of the set, an exception by its own scope.
 */
export const RISK_METRICS_SQL = `
WITH RECURSIVE
subtree AS (
  SELECT id FROM scope WHERE id = $1::uuid
  UNION SELECT s.id FROM scope s JOIN subtree t ON s.parent_id = t.id),
scopes AS (
  SELECT s.id FROM scope s
   WHERE ($1::uuid IS NULL OR s.id IN (SELECT id FROM subtree))
     AND ($2::uuid[] IS NULL OR s.id = ANY($2::uuid[]))),
active_risks AS NOT MATERIALIZED (
  SELECT r.* FROM risk r WHERE r.archived_at IS NULL AND r.scope_id IN (SELECT id FROM scopes)),
-- one pass over the risks into at most 5^4 × 25 × 5 × 5 groups; every figure below sums these few rows
counted AS MATERIALIZED (
  SELECT r.likelihood, r.impact, coalesce(r.residual_likelihood_set, r.likelihood) AS residual_likelihood,
         coalesce(r.residual_impact_set, r.impact) AS residual_impact, r.inherent_score, r.residual_score, r.treatment, r.status,
         count(*)::int AS n
    FROM active_risks r
   GROUP BY 1, 2, 3, 4, 5, 6, 7, 8),
grid AS (SELECT l, i FROM generate_series(1, 5) l, generate_series(1, 5) i),
approved AS (
  SELECT x.kind::text AS kind, x.expires_at, x.accepted_residual_score, rk.residual_score
    FROM exception x LEFT JOIN risk rk ON rk.id = x.risk_id
   WHERE x.archived_at IS NULL AND x.stored_status = 'APPROVED' AND x.expires_at > now()
     AND x.scope_id IN (SELECT id FROM scopes))
SELECT
  now() AS "asOf",
  (SELECT coalesce(sum(n), 0)::int FROM counted) AS "totalRisks",
  (SELECT json_agg(json_build_object('likelihood', g.l, 'impact', g.i, 'count', coalesce(c.n, 0)) ORDER BY g.l, g.i)
     FROM grid g LEFT JOIN (SELECT likelihood, impact, sum(n)::int AS n FROM counted GROUP BY 1, 2) c ON c.likelihood = g.l AND c.impact = g.i) AS "inherentHeatMap",
  (SELECT json_agg(json_build_object('likelihood', g.l, 'impact', g.i, 'count', coalesce(c.n, 0)) ORDER BY g.l, g.i)
     FROM grid g LEFT JOIN (SELECT residual_likelihood, residual_impact, sum(n)::int AS n FROM counted GROUP BY 1, 2) c
       ON c.residual_likelihood = g.l AND c.residual_impact = g.i) AS "residualHeatMap",
  (SELECT json_agg(json_build_object('level', lv.level, 'count', coalesce(c.n, 0)) ORDER BY lv.rank)
     FROM ${LEVELS} LEFT JOIN (SELECT ${levelCase('inherent_score')} AS level, sum(n)::int AS n FROM counted GROUP BY 1) c ON c.level = lv.level) AS "inherentByLevel",
  (SELECT json_agg(json_build_object('level', lv.level, 'count', coalesce(c.n, 0)) ORDER BY lv.rank)
     FROM ${LEVELS} LEFT JOIN (SELECT ${levelCase('residual_score')} AS level, sum(n)::int AS n FROM counted GROUP BY 1) c ON c.level = lv.level) AS "residualByLevel",
  (SELECT json_agg(json_build_object('treatment', e.v, 'count', coalesce(c.n, 0)) ORDER BY e.v)
     FROM unnest(enum_range(NULL::risk_treatment)) AS e(v) LEFT JOIN (SELECT treatment, sum(n)::int AS n FROM counted GROUP BY 1) c ON c.treatment = e.v) AS "byTreatment",
  (SELECT json_agg(json_build_object('status', e.v, 'count', coalesce(c.n, 0)) ORDER BY e.v)
     FROM unnest(enum_range(NULL::risk_status)) AS e(v) LEFT JOIN (SELECT status, sum(n)::int AS n FROM counted GROUP BY 1) c ON c.status = e.v) AS "byStatus",
  (SELECT count(*)::int FROM treatment_task t JOIN active_risks r ON r.id = t.risk_id
    WHERE t.archived_at IS NULL AND t.status IN ('OPEN', 'IN_PROGRESS') AND t.due_date < (now() AT TIME ZONE 'UTC')::date) AS "overdueTreatmentTasks",
  (SELECT count(*)::int FROM approved WHERE kind = 'RISK_ACCEPTANCE') AS "activeRiskAcceptances",
  (SELECT count(*)::int FROM approved WHERE kind = 'RISK_ACCEPTANCE' AND residual_score > accepted_residual_score) AS "staleRiskAcceptances",
  (SELECT count(*)::int FROM approved WHERE expires_at <= now() + interval '${EXPIRING_WITHIN_DAYS} days') AS "exceptionsExpiringSoon"`;

/**
 * Upserts the day's snapshot of one scope and framework. A snapshot taken earlier the same day is
 * replaced; one taken later (another instance, racing) is kept, so the row always holds the newest.
 */
export const UPSERT_SNAPSHOT_SQL = `
INSERT INTO coverage_snapshot AS cs (id, scope_id, framework_id, day, taken_at, total, covered, excluded, excepted, partial, not_covered,
                                     covered_pct, excepted_pct, partial_pct, not_covered_pct)
VALUES (gen_random_uuid(), $1, $2, $3::date, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (scope_id, framework_id, day) DO UPDATE SET
  taken_at = EXCLUDED.taken_at, total = EXCLUDED.total, covered = EXCLUDED.covered, excluded = EXCLUDED.excluded,
  excepted = EXCLUDED.excepted, partial = EXCLUDED.partial, not_covered = EXCLUDED.not_covered,
  covered_pct = EXCLUDED.covered_pct, excepted_pct = EXCLUDED.excepted_pct, partial_pct = EXCLUDED.partial_pct,
  not_covered_pct = EXCLUDED.not_covered_pct
WHERE cs.taken_at <= EXCLUDED.taken_at
RETURNING cs.id`;

/**
 * The (scope, framework) pairs the flat coverage rows walk, in their order ($1 visible scope ids or
 * null, $2 scope ids or null, $3 framework keys or null, $4..$6 the cursor's pair or nulls):
 * adopted frameworks of active scopes, by scope key, framework key and version (byte order, so the
 * order does not depend on the server's collation).
 */
export const COVERAGE_PAIRS_SQL = `
SELECT s.id AS "scopeId", s.key AS "scopeKey", f.id AS "frameworkId", f.key AS "frameworkKey", f.version AS "frameworkVersion"
  FROM scope_framework sf
  JOIN scope s ON s.id = sf.scope_id
  JOIN framework f ON f.id = sf.framework_id
 WHERE s.archived_at IS NULL AND f.archived_at IS NULL
   AND ($1::uuid[] IS NULL OR s.id = ANY($1::uuid[]))
   AND ($2::uuid[] IS NULL OR s.id = ANY($2::uuid[]))
   AND ($3::text[] IS NULL OR f.key = ANY($3::text[]))
   AND ($4::text IS NULL OR (s.key COLLATE "C", f.key COLLATE "C", f.version COLLATE "C") >= ($4::text, $5::text, $6::text))
 ORDER BY s.key COLLATE "C", f.key COLLATE "C", f.version COLLATE "C"`;

/**
 * The rows of one pair, computed by the coverage module's own statement (COVERAGE_ROWS_CTE: $1
 * scope, $2 framework), then filtered and cut in SQL: $3 statuses or null, $4 top-level group
 * codes or null, $5/$6 the cursor's (position, requirement id) within this pair or nulls, $7 limit.
 * The group is the requirement's top-level ancestor (ISO clause or Annex A theme, CSF function).
 */
export const COVERAGE_PAIR_ROWS_SQL = `${COVERAGE_ROWS_CTE},
flat AS (
  SELECT r.id, r.code, r.title, r.position, r.status, g.id AS group_id, g.code AS group_code, g.title AS group_title
    FROM rows r
    LEFT JOIN LATERAL (
      SELECT p.id, p.code, p.title FROM requirement p WHERE p.id = ANY(r.group_ids) AND p.parent_id IS NULL LIMIT 1) g ON true)
SELECT id AS "requirementId", code, title, position, status, group_code AS "groupCode", group_title AS "groupTitle"
  FROM flat
 WHERE ($3::text[] IS NULL OR status = ANY($3::text[]))
   AND ($4::text[] IS NULL OR group_code = ANY($4::text[]))
   AND ($5::int IS NULL OR (position, id) > ($5::int, $6::uuid))
 ORDER BY position, id
 LIMIT $7`;

/** How many rows of one pair match the filter (same parameters as above, without cursor and limit). */
export const COVERAGE_PAIR_COUNT_SQL = `${COVERAGE_ROWS_CTE},
flat AS (
  SELECT r.status, (SELECT p.code FROM requirement p WHERE p.id = ANY(r.group_ids) AND p.parent_id IS NULL LIMIT 1) AS group_code
    FROM rows r)
SELECT count(*)::int AS n FROM flat
 WHERE ($3::text[] IS NULL OR status = ANY($3::text[]))
   AND ($4::text[] IS NULL OR group_code = ANY($4::text[]))`;
