import type { Job } from '../../jobs/scheduler';
import { takeCoverageSnapshot, utcDay } from './metrics.service';

/** A day's snapshot is retaken when older than this, so the row ends the day within an hour of the day's last state. */
export const SNAPSHOT_REFRESH_MS = 3_600_000;
/** Time one pass may spend on snapshots before leaving the rest to the next pass, so other jobs are not held up. */
export const SNAPSHOT_PASS_BUDGET_MS = 10_000;
/** First key of the per-pair advisory locks (the second is a hash of the pair). */
const LOCK_CLASS = 727_006;

/** Adopted frameworks of active scopes whose snapshot of the day is missing or older than $2; oldest first. */
const DUE_SQL = `
SELECT sf.scope_id AS "scopeId", sf.framework_id AS "frameworkId"
  FROM scope_framework sf
  JOIN scope s ON s.id = sf.scope_id
  JOIN framework f ON f.id = sf.framework_id
  LEFT JOIN coverage_snapshot cs ON cs.scope_id = sf.scope_id AND cs.framework_id = sf.framework_id AND cs.day = $1::date
 WHERE s.archived_at IS NULL AND f.archived_at IS NULL AND (cs.taken_at IS NULL OR cs.taken_at < $2)
 ORDER BY cs.taken_at NULLS FIRST, s.key, f.key, f.version`;

/**
 * Writes the daily coverage snapshot of every framework every active scope adopts. Several
 * instances may run it at once: each pair is taken under a transaction-scoped advisory lock (the
 * others skip it) and written by an upsert under the (scope, framework, day) key, so a pair is
 * never written twice in a row nor duplicated.
 */
export const coverageSnapshotJob: Job = {
  name: 'coverage-snapshots',
  async run(db, now, log) {
    const day = utcDay(now);
    const staleBefore = new Date(now.getTime() - SNAPSHOT_REFRESH_MS);
    const due = (await db.query(DUE_SQL, [day, staleBefore])) as Array<{ scopeId: string; frameworkId: string }>;
    const started = Date.now();
    let written = 0;
    for (const pair of due) {
      if (Date.now() - started > SNAPSHOT_PASS_BUDGET_MS) break;
      const wrote = await db.transaction(async (tx) => {
        const [{ locked }] = await tx.query('SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked', [LOCK_CLASS, `${pair.scopeId}/${pair.frameworkId}`]);
        if (!locked) return false;
        // another instance may have written it since the list was read
        const fresh = await tx.query(
          'SELECT 1 FROM coverage_snapshot WHERE scope_id = $1 AND framework_id = $2 AND day = $3::date AND taken_at >= $4',
          [pair.scopeId, pair.frameworkId, day, staleBefore],
        );
        if (fresh.length) return false;
        return (await takeCoverageSnapshot(tx, pair.scopeId, pair.frameworkId, now)) !== null;
      });
      if (wrote) written += 1;
    }
    if (written) log.info({ job: 'coverage-snapshots', written, due: due.length, day }, 'coverage snapshots written');
  },
};
