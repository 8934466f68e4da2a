import { EntityType } from '../../db/events';
import { ReminderKind } from '../reminder/reminder.entity';
import type { ReminderRule } from '../reminder/reminder.rules';

/**
 * Active evidence with a `validUntil` goes stale then: reminded ahead of it and once it has passed.
 * Its scopes are its control's.
 */
export const evidenceReminderRule: ReminderRule = {
  subjectType: EntityType.EVIDENCE,
  upcomingKind: ReminderKind.EVIDENCE_STALE,
  passedKind: ReminderKind.EVIDENCE_STALE,
  summary: { upcoming: 'Evidence expires', passed: 'Evidence stale' },
  candidatesSql: `
    SELECT e.id AS subject_id, e.valid_until AS due_at, e.owner_id,
           coalesce((SELECT array_agg(cs.scope_id ORDER BY cs.scope_id) FROM control_scope cs WHERE cs.control_id = e.control_id), '{}'::uuid[]) AS scope_ids,
           e.title || ' (' || c.code || ')' AS label
      FROM evidence e JOIN control c ON c.id = e.control_id
     WHERE e.archived_at IS NULL AND e.valid_until IS NOT NULL AND c.archived_at IS NULL`,
};
