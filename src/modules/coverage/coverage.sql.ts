/**
 * Coverage of one framework version in one scope, in one statement ($1 scope id, $2 framework id).
 * DOMAIN.md "Coverage" rules, first match wins: EXCLUDED (SoA NOT_APPLICABLE); COVERED (an
 * IMPLEMENTED control of the scope implements it, or a FULL chain of approved mappings reaches it
 * from such a requirement, or SoA INHERITED); EXCEPTED (approved, unexpired control exception of
 * the scope naming it or a control implementing it); PARTIAL (a PLANNED/IN_PROGRESS control
 * implements it, or a PARTIAL chain reaches it); NOT_COVERED.
 *
 * Chains are walked hop by hop (at most 3), keeping for every requirement only its best chain at
 * each hop (FULL first), so the work grows with the number of requirements, not of paths.
 */
const HOP = (from: string) => `
  SELECT DISTINCT ON (e.b) e.b AS req, h.origin, h.is_full AND e.rel IN ('EQUAL', 'SUPERSET_OF') AS is_full,
         h.path || e.id AS path, h.rels || e.rel AS rels
    FROM ${from} h JOIN edges e ON e.a = h.req
   WHERE e.b <> h.origin
   ORDER BY e.b, 3 DESC, h.path || e.id`;

export const COVERAGE_ROWS_CTE = `
WITH RECURSIVE
scope_controls AS (
  SELECT c.id, c.status::text AS status FROM control c JOIN control_scope cs ON cs.control_id = c.id
   WHERE cs.scope_id = $1 AND c.archived_at IS NULL AND c.status IN ('PLANNED', 'IN_PROGRESS', 'IMPLEMENTED')),
impl AS (
  SELECT cr.requirement_id AS req, sc.id AS control_id, sc.status
    FROM control_requirement cr JOIN scope_controls sc ON sc.id = cr.control_id),
covered0 AS (SELECT DISTINCT req FROM impl WHERE status = 'IMPLEMENTED'),
edges AS (
  SELECT m.id, m.source_requirement_id AS a, m.target_requirement_id AS b, m.relationship::text AS rel
    FROM mapping m JOIN crosswalk x ON x.id = m.crosswalk_id
   WHERE m.archived_at IS NULL AND x.archived_at IS NULL AND x.status = 'APPROVED' AND m.relationship <> 'NOT_RELATED'
  UNION ALL
  SELECT m.id, m.target_requirement_id, m.source_requirement_id,
         CASE m.relationship WHEN 'SUBSET_OF' THEN 'SUPERSET_OF' WHEN 'SUPERSET_OF' THEN 'SUBSET_OF' ELSE m.relationship::text END
    FROM mapping m JOIN crosswalk x ON x.id = m.crosswalk_id
   WHERE m.archived_at IS NULL AND x.archived_at IS NULL AND x.status = 'APPROVED' AND m.relationship <> 'NOT_RELATED'),
h0 AS (SELECT req, req AS origin, true AS is_full, ARRAY[]::uuid[] AS path, ARRAY[]::text[] AS rels FROM covered0),
h1 AS (${HOP('h0')}),
h2 AS (${HOP('h1')}),
h3 AS (${HOP('h2')}),
chains AS (
  SELECT DISTINCT ON (req) req, origin, is_full, path, rels, hops FROM (
    SELECT *, 1 AS hops FROM h1 UNION ALL SELECT *, 2 FROM h2 UNION ALL SELECT *, 3 FROM h3) walked
   ORDER BY req, is_full DESC, hops, path),
targets AS (
  SELECT r.id, r.code, r.title, r.position, r.parent_id FROM requirement r
   WHERE r.framework_id = $2 AND r.assessable AND NOT r.withdrawn AND r.archived_at IS NULL),
soa AS (SELECT requirement_id, applicability::text AS applicability, justification FROM soa_entry WHERE scope_id = $1 AND archived_at IS NULL),
active_exceptions AS (
  SELECT x.id, x.requirement_id, x.control_id FROM exception x
   WHERE x.scope_id = $1 AND x.kind = 'CONTROL_EXCEPTION' AND x.stored_status = 'APPROVED'
     AND x.expires_at > now() AND x.archived_at IS NULL),
excepted AS (
  SELECT requirement_id AS req, id FROM active_exceptions WHERE requirement_id IS NOT NULL
  UNION ALL
  SELECT cr.requirement_id, ae.id FROM active_exceptions ae JOIN control_requirement cr ON cr.control_id = ae.control_id),
ancestors AS (
  SELECT t.id AS req, t.parent_id AS group_id FROM targets t WHERE t.parent_id IS NOT NULL
  UNION ALL
  SELECT a.req, p.parent_id FROM ancestors a JOIN requirement p ON p.id = a.group_id WHERE p.parent_id IS NOT NULL),
direct AS (
  SELECT req, bool_or(status = 'IMPLEMENTED') AS implemented, bool_or(status <> 'IMPLEMENTED') AS planned,
         json_agg(json_build_object('id', control_id, 'status', status) ORDER BY control_id) AS controls
    FROM impl GROUP BY req),
exception_of AS (SELECT req, min(id::text)::uuid AS id FROM excepted GROUP BY req),
group_of AS (SELECT req, array_agg(group_id) AS group_ids FROM ancestors GROUP BY req),
rows AS (
  SELECT t.id, t.code, t.title, t.position,
         coalesce(s.applicability, 'UNDECIDED') AS applicability, s.justification AS soa_justification,
         CASE
           WHEN s.applicability = 'NOT_APPLICABLE' THEN 'EXCLUDED'
           WHEN d.implemented OR ch.is_full OR s.applicability = 'INHERITED' THEN 'COVERED'
           WHEN ex.id IS NOT NULL THEN 'EXCEPTED'
           WHEN d.planned OR ch.req IS NOT NULL THEN 'PARTIAL'
           ELSE 'NOT_COVERED'
         END AS status,
         coalesce(d.controls, '[]'::json) AS controls,
         CASE WHEN ch.req IS NULL OR d.implemented THEN NULL ELSE json_build_object(
           'fromRequirementId', ch.origin, 'strength', CASE WHEN ch.is_full THEN 'FULL' ELSE 'PARTIAL' END,
           'hops', ch.hops, 'mappingIds', ch.path, 'relationships', ch.rels) END AS chain,
         ex.id AS exception_id,
         coalesce(g.group_ids, ARRAY[]::uuid[]) AS group_ids
    FROM targets t
    LEFT JOIN soa s ON s.requirement_id = t.id
    LEFT JOIN chains ch ON ch.req = t.id
    LEFT JOIN direct d ON d.req = t.id
    LEFT JOIN exception_of ex ON ex.req = t.id
    LEFT JOIN group_of g ON g.req = t.id)`;

/** Rows, counts and per-group counts, aggregated in SQL and returned as one JSON value. */
export const COVERAGE_SQL = `${COVERAGE_ROWS_CTE},
group_counts AS (
  SELECT g.group_id,
         count(*) AS total,
         count(*) FILTER (WHERE r.status = 'COVERED') AS covered,
         count(*) FILTER (WHERE r.status = 'EXCLUDED') AS excluded,
         count(*) FILTER (WHERE r.status = 'EXCEPTED') AS excepted,
         count(*) FILTER (WHERE r.status = 'PARTIAL') AS partial,
         count(*) FILTER (WHERE r.status = 'NOT_COVERED') AS not_covered
    FROM rows r CROSS JOIN LATERAL unnest(r.group_ids) AS g(group_id)
   GROUP BY g.group_id)
SELECT
  (SELECT coalesce(json_agg(json_build_object(
      'requirementId', r.id, 'code', r.code, 'title', r.title, 'status', r.status, 'applicability', r.applicability, 'soaJustification', r.soa_justification,
      'controls', r.controls, 'chain', r.chain, 'exceptionId', r.exception_id, 'groupIds', r.group_ids) ORDER BY r.position, r.id), '[]'::json)
     FROM rows r) AS rows,
  (SELECT json_build_object('total', count(*),
      'covered', count(*) FILTER (WHERE status = 'COVERED'), 'excluded', count(*) FILTER (WHERE status = 'EXCLUDED'),
      'excepted', count(*) FILTER (WHERE status = 'EXCEPTED'), 'partial', count(*) FILTER (WHERE status = 'PARTIAL'),
      'notCovered', count(*) FILTER (WHERE status = 'NOT_COVERED')) FROM rows) AS counts,
  (SELECT coalesce(json_agg(json_build_object('groupId', gc.group_id, 'code', p.code, 'title', p.title, 'total', gc.total,
      'covered', gc.covered, 'excluded', gc.excluded, 'excepted', gc.excepted, 'partial', gc.partial, 'notCovered', gc.not_covered)
      ORDER BY p.position, p.id), '[]'::json)
     FROM group_counts gc JOIN requirement p ON p.id = gc.group_id) AS groups`;

/**
 * Gap assessment ($1 scope, $2 framework): the requirements not COVERED (nor EXCLUDED) with the
 * scope's controls that are not yet IMPLEMENTED (nor RETIRED) and implement the requirement itself
 * or a requirement mapped to it, and the status each would bring if it were IMPLEMENTED.
 */
export const GAP_SQL = `${COVERAGE_ROWS_CTE},
gaps AS (SELECT * FROM rows WHERE status NOT IN ('COVERED', 'EXCLUDED')),
pending AS (
  SELECT c.id FROM control c JOIN control_scope cs ON cs.control_id = c.id
   WHERE cs.scope_id = $1 AND c.archived_at IS NULL AND c.status IN ('NOT_STARTED', 'PLANNED', 'IN_PROGRESS')),
candidates AS (
  SELECT g.id AS req, p.id AS control_id, g.id AS via, 'COVERED' AS would, NULL::uuid AS mapping_id
    FROM gaps g JOIN control_requirement cr ON cr.requirement_id = g.id JOIN pending p ON p.id = cr.control_id
  UNION
  SELECT g.id, p.id, e.a, CASE WHEN e.rel IN ('EQUAL', 'SUPERSET_OF') THEN 'COVERED' ELSE 'PARTIAL' END, e.id
    FROM gaps g JOIN edges e ON e.b = g.id JOIN control_requirement cr ON cr.requirement_id = e.a JOIN pending p ON p.id = cr.control_id),
per_gap AS (
  SELECT g.id, g.code, g.title, g.status, g.position,
         bool_or(c.would = 'COVERED') AS any_covered, count(c.control_id) AS candidates,
         coalesce(json_agg(json_build_object('controlId', c.control_id, 'viaRequirementId', c.via, 'mappingId', c.mapping_id,
                  'wouldReach', c.would) ORDER BY c.would, c.control_id, c.via) FILTER (WHERE c.control_id IS NOT NULL), '[]'::json) AS list
    FROM gaps g LEFT JOIN candidates c ON c.req = g.id
   GROUP BY g.id, g.code, g.title, g.status, g.position)
SELECT coalesce(json_agg(json_build_object(
         'requirementId', id, 'code', code, 'title', title, 'status', status,
         'wouldReach', CASE WHEN any_covered THEN 'COVERED' WHEN candidates > 0 AND status = 'NOT_COVERED' THEN 'PARTIAL' ELSE status END,
         'candidates', list) ORDER BY position, id), '[]'::json) AS gaps
  FROM per_gap`;
