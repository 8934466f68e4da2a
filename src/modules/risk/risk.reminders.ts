import { EntityType } from '../../db/events';
import { ReminderKind } from '../reminder/reminder.entity';
import { reviewDueAtSql, type ReminderRule } from '../reminder/reminder.rules';

/** Open risks (not archived, not closed) are due for review one interval after the last review. */
export const riskReminderRule: ReminderRule = {
  subjectType: EntityType.RISK,
  upcomingKind: ReminderKind.REVIEW_DUE,
  passedKind: ReminderKind.REVIEW_OVERDUE,
  summary: { upcoming: 'Review due', passed: 'Review overdue' },
  candidatesSql: `
    SELECT r.id AS subject_id, ${reviewDueAtSql('r')} AS due_at, r.owner_id, ARRAY[r.scope_id] AS scope_ids,
           'Risk ' || r.title AS label
      FROM risk r
     WHERE r.archived_at IS NULL AND r.status <> 'CLOSED'`,
};
