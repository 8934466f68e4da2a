import { EntityType } from '../../db/events';
import { ReminderKind } from '../reminder/reminder.entity';
import type { ReminderRule } from '../reminder/reminder.rules';

/**
 * An open task is overdue once its due date has ended (UTC): `due_at` is the midnight after
 * `dueDate`, `due_on` the date itself for calendars. Its scope is its risk's.
 */
export const treatmentTaskReminderRule: ReminderRule = {
  subjectType: EntityType.TREATMENT_TASK,
  upcomingKind: null,
  passedKind: ReminderKind.TASK_OVERDUE,
  summary: { upcoming: 'Task due', passed: 'Task overdue' },
  candidatesSql: `
    SELECT t.id AS subject_id, ((t.due_date + 1)::timestamp AT TIME ZONE 'UTC') AS due_at, to_char(t.due_date, 'YYYY-MM-DD') AS due_on,
           t.assignee_id AS owner_id, ARRAY[r.scope_id] AS scope_ids, t.title AS label
      FROM treatment_task t JOIN risk r ON r.id = t.risk_id
     WHERE t.archived_at IS NULL AND t.status IN ('OPEN', 'IN_PROGRESS') AND t.due_date IS NOT NULL`,
};
