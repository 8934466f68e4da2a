import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The `reporting` schema: read-only views for BI tools that connect to PostgreSQL directly (README
 * "Reporting for BI tools"). Flat rows, enums as text, keys and names beside ids, active
 * (non-archived) rows only. Every view joins several tables, so none is automatically updatable:
 * writes through them fail even for the owner, and a BI role is granted SELECT on them only.
 *
 * Written by hand and frozen like every migration: the level bands and the EXPIRED rule are spelled
 * out here rather than imported, so later code changes cannot alter what this migration created.
 * A later migration that changes or drops a column these views read must drop and recreate the
 * view (PostgreSQL refuses otherwise), and re-grant SELECT on it (see the README).
 */
const level = (score: string) => `CASE WHEN ${score} <= 4 THEN 'LOW' WHEN ${score} <= 9 THEN 'MEDIUM' WHEN ${score} <= 15 THEN 'HIGH' ELSE 'CRITICAL' END`;

const SNAPSHOT_COLUMNS = `cs.scope_id, s.key AS scope_key, s.name AS scope_name,
       cs.framework_id, f.key AS framework_key, f.version AS framework_version,
       cs.day, cs.taken_at, cs.total, cs.covered, cs.excluded, cs.excepted, cs.partial, cs.not_covered,
       cs.covered_pct, cs.excepted_pct, cs.partial_pct, cs.not_covered_pct`;

export class ReportingViews1796014881554 implements MigrationInterface {
  name = 'ReportingViews1796014881554';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA "reporting"`);
    await queryRunner.query(`COMMENT ON SCHEMA "reporting" IS 'Read-only views for BI tools (README: Reporting for BI tools)'`);

    await queryRunner.query(`CREATE VIEW "reporting"."risks" AS
SELECT r.id AS risk_id, r.title, r.description,
       s.id AS scope_id, s.key AS scope_key, s.name AS scope_name,
       o.id AS owner_id, o.name AS owner_name,
       r.likelihood::int AS likelihood, r.impact::int AS impact,
       r.inherent_score::int AS inherent_score, ${level('r.inherent_score')} AS inherent_level,
       coalesce(r.residual_likelihood_set, r.likelihood)::int AS residual_likelihood,
       coalesce(r.residual_impact_set, r.impact)::int AS residual_impact,
       r.residual_score::int AS residual_score, ${level('r.residual_score')} AS residual_level,
       r.residual_score > s.risk_appetite AS above_appetite,
       r.treatment::text AS treatment, r.status::text AS status,
       r.review_interval_days, r.last_reviewed_at,
       coalesce(r.last_reviewed_at, r.created_at) + r.review_interval_days * interval '24 hours' AS next_review_at,
       r.version, r.created_at, r.updated_at
  FROM risk r
  JOIN scope s ON s.id = r.scope_id
  JOIN owner o ON o.id = r.owner_id
 WHERE r.archived_at IS NULL`);
    await queryRunner.query(`COMMENT ON VIEW "reporting"."risks" IS 'Active risks with scope, owner, scores, levels (LOW <= 4 < MEDIUM <= 9 < HIGH <= 15 < CRITICAL), treatment and status'`);

    await queryRunner.query(`CREATE VIEW "reporting"."controls" AS
SELECT c.id AS control_id, c.code, c.title, c.description,
       o.id AS owner_id, o.name AS owner_name,
       c.status::text AS status, c.effectiveness::text AS effectiveness,
       c.review_interval_days, c.last_reviewed_at,
       coalesce(c.last_reviewed_at, c.created_at) + c.review_interval_days * interval '24 hours' AS next_review_at,
       coalesce(sc.scope_keys, '{}'::text[]) AS scope_keys,
       coalesce(rq.requirement_count, 0) AS requirement_count,
       c.version, c.created_at, c.updated_at
  FROM control c
  JOIN owner o ON o.id = c.owner_id
  LEFT JOIN LATERAL (
    SELECT array_agg(s.key ORDER BY s.key) AS scope_keys
      FROM control_scope cs JOIN scope s ON s.id = cs.scope_id
     WHERE cs.control_id = c.id) sc ON true
  LEFT JOIN LATERAL (
    SELECT count(*)::int AS requirement_count FROM control_requirement cr WHERE cr.control_id = c.id) rq ON true
 WHERE c.archived_at IS NULL`);
    await queryRunner.query(`COMMENT ON VIEW "reporting"."controls" IS 'Active controls with owner, status, effectiveness, the keys of their scopes and the number of requirements they implement'`);

    await queryRunner.query(`CREATE VIEW "reporting"."control_scopes" AS
SELECT c.id AS control_id, c.code AS control_code, s.id AS scope_id, s.key AS scope_key
  FROM control_scope cs
  JOIN control c ON c.id = cs.control_id
  JOIN scope s ON s.id = cs.scope_id
 WHERE c.archived_at IS NULL`);
    await queryRunner.query(`COMMENT ON VIEW "reporting"."control_scopes" IS 'One row per active control and scope it operates in, for joins'`);

    await queryRunner.query(`CREATE VIEW "reporting"."coverage_history" AS
SELECT ${SNAPSHOT_COLUMNS}
  FROM coverage_snapshot cs
  JOIN scope s ON s.id = cs.scope_id
  JOIN framework f ON f.id = cs.framework_id`);
    await queryRunner.query(`COMMENT ON VIEW "reporting"."coverage_history" IS 'Every daily coverage snapshot (one per scope, framework version and UTC day)'`);

    await queryRunner.query(`CREATE VIEW "reporting"."coverage" AS
SELECT DISTINCT ON (cs.scope_id, cs.framework_id) ${SNAPSHOT_COLUMNS}
  FROM coverage_snapshot cs
  JOIN scope_framework sf ON sf.scope_id = cs.scope_id AND sf.framework_id = cs.framework_id
  JOIN scope s ON s.id = cs.scope_id
  JOIN framework f ON f.id = cs.framework_id
 WHERE s.archived_at IS NULL
 ORDER BY cs.scope_id, cs.framework_id, cs.day DESC`);
    await queryRunner.query(`COMMENT ON VIEW "reporting"."coverage" IS 'The latest coverage snapshot of each framework an active scope adopts (not live: see coverage(scopeId, frameworkKey) for that)'`);

    await queryRunner.query(`CREATE VIEW "reporting"."soa" AS
SELECT s.id AS scope_id, s.key AS scope_key,
       f.id AS framework_id, f.key AS framework_key, f.version AS framework_version,
       r.id AS requirement_id, r.code AS requirement_code, r.title AS requirement_title, r.position AS requirement_position,
       coalesce(e.applicability::text, 'UNDECIDED') AS applicability,
       e.justification, coalesce(e.drivers, '{}'::text[]) AS drivers,
       e.updated_at AS decided_at
  FROM scope_framework sf
  JOIN scope s ON s.id = sf.scope_id
  JOIN framework f ON f.id = sf.framework_id
  JOIN requirement r ON r.framework_id = f.id
  LEFT JOIN soa_entry e ON e.scope_id = s.id AND e.requirement_id = r.id AND e.archived_at IS NULL
 WHERE s.archived_at IS NULL
   AND r.assessable AND r.kind = 'CONTROL' AND NOT r.withdrawn AND r.archived_at IS NULL`);
    await queryRunner.query(`COMMENT ON VIEW "reporting"."soa" IS 'Statement of Applicability rows: every assessable CONTROL requirement of every framework an active scope adopts, UNDECIDED where nothing was set'`);

    await queryRunner.query(`CREATE VIEW "reporting"."exceptions" AS
SELECT x.id AS exception_id, x.kind::text AS kind,
       CASE WHEN x.stored_status = 'APPROVED' AND x.expires_at <= now() THEN 'EXPIRED' ELSE x.stored_status::text END AS status,
       s.id AS scope_id, s.key AS scope_key,
       x.control_id, c.code AS control_code,
       x.requirement_id, rq.code AS requirement_code,
       x.risk_id, rk.title AS risk_title, rk.residual_score::int AS risk_residual_score,
       x.accepted_residual_score::int AS accepted_residual_score,
       coalesce(x.kind = 'RISK_ACCEPTANCE' AND x.stored_status = 'APPROVED' AND x.expires_at > now()
                AND rk.residual_score > x.accepted_residual_score, false) AS stale,
       x.justification,
       x.requested_by_id, rb.name AS requested_by_name,
       x.approver_id, ap.name AS approver_name,
       x.expires_at, x.decided_at, x.decision_reason,
       x.version, x.created_at, x.updated_at
  FROM exception x
  JOIN scope s ON s.id = x.scope_id
  JOIN owner rb ON rb.id = x.requested_by_id
  LEFT JOIN owner ap ON ap.id = x.approver_id
  LEFT JOIN control c ON c.id = x.control_id
  LEFT JOIN requirement rq ON rq.id = x.requirement_id
  LEFT JOIN risk rk ON rk.id = x.risk_id
 WHERE x.archived_at IS NULL`);
    await queryRunner.query(`COMMENT ON VIEW "reporting"."exceptions" IS 'Active control exceptions and risk acceptances; status reads EXPIRED once an approved one is past expires_at'`);

    await queryRunner.query(`CREATE VIEW "reporting"."tasks" AS
SELECT t.id AS task_id, t.title, t.description, t.status::text AS status, t.due_date,
       coalesce(t.status IN ('OPEN', 'IN_PROGRESS') AND t.due_date < (now() AT TIME ZONE 'UTC')::date, false) AS overdue,
       t.risk_id, r.title AS risk_title,
       s.id AS scope_id, s.key AS scope_key,
       t.control_id, c.code AS control_code,
       t.assignee_id, a.name AS assignee_name,
       t.external_system, t.external_key, t.external_url,
       t.version, t.created_at, t.updated_at
  FROM treatment_task t
  JOIN risk r ON r.id = t.risk_id
  JOIN scope s ON s.id = r.scope_id
  JOIN owner a ON a.id = t.assignee_id
  LEFT JOIN control c ON c.id = t.control_id
 WHERE t.archived_at IS NULL AND r.archived_at IS NULL`);
    await queryRunner.query(`COMMENT ON VIEW "reporting"."tasks" IS 'Active treatment tasks of active risks; overdue = OPEN or IN_PROGRESS with a due date before today (UTC)'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP SCHEMA "reporting" CASCADE`);
  }
}
