import { EntityType } from '../../db/events';
import { ReminderKind } from '../reminder/reminder.entity';
import { reviewDueAtSql, type ReminderRule } from '../reminder/reminder.rules';

/** Active controls (not archived, not retired) are due for review one interval after the last review. */
export const controlReminderRule: ReminderRule = {
  subjectType: EntityType.CONTROL,
  upcomingKind: ReminderKind.REVIEW_DUE,
  passedKind: ReminderKind.REVIEW_OVERDUE,
  summary: { upcoming: 'Review due', passed: 'Review overdue' },
  candidatesSql: `
    SELECT c.id AS subject_id, ${reviewDueAtSql('c')} AS due_at, c.owner_id,
           coalesce((SELECT array_agg(cs.scope_id ORDER BY cs.scope_id) FROM control_scope cs WHERE cs.control_id = c.id), '{}'::uuid[]) AS scope_ids,
           c.code || ' ' || c.title AS label
      FROM control c
     WHERE c.archived_at IS NULL AND c.status <> 'RETIRED'`,
};
