import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import type { EntityType } from '../../db/events';
import type { Reminder, ReminderKind } from './reminder.entity';

export const DAY_MS = 86_400_000;

/**
 * How one kind of subject becomes due (DOMAIN.md "Review cadence and reminders"). Each subject
 * module exports its rule from `<domain>.reminders.ts`; the reminder job lists them, so a new kind
 * (ROTATION_DUE for non-human identities) is one more rule file, not a new scheduler.
 */
export interface ReminderRule {
  subjectType: EntityType;
  /** Kind fired at each lead time before the date; null when nothing fires ahead of it. */
  upcomingKind: ReminderKind | null;
  /** Kind fired once the date has passed (lead 0); null when nothing fires then. */
  passedKind: ReminderKind | null;
  /**
   * SQL without parameters: one row per active subject with `subject_id` (uuid), `due_at`
   * (timestamptz), `owner_id` (uuid), `scope_ids` (uuid[]) and `label` (text, for calendars);
   * optionally `due_on` (text `YYYY-MM-DD`) when the calendar day differs from the UTC day of
   * `due_at`.
   * The job and the calendar wrap it as a subquery and filter it.
   */
  candidatesSql: string;
  /** Calendar wording before and after the date, e.g. "Review due" / "Review overdue". */
  summary: { upcoming: string; passed: string };
  /** Side effect in the firing transaction (the reminder's `firedAt` is the job's clock). */
  onFire?(tx: EntityManager, ctx: Context, reminder: Reminder): Promise<void>;
}

/**
 * The lead time a reminder fires for now: 0 once the date has passed (at the due moment itself
 * included), otherwise the smallest lead whose window the date is already inside — so a date that
 * enters the window late fires only the nearest lead, never the backlog of larger ones — or null
 * while the date is beyond the largest lead.
 */
export function currentLead(dueAt: Date, now: Date, leads: readonly number[]): number | null {
  const ahead = dueAt.getTime() - now.getTime();
  if (ahead <= 0) return 0;
  const reached = leads.filter((days) => ahead <= days * DAY_MS);
  return reached.length ? Math.min(...reached) : null;
}

/** The kind a rule fires at a lead (0 = passed); null when the rule fires nothing then. */
export function kindAt(rule: Pick<ReminderRule, 'upcomingKind' | 'passedKind'>, lead: number): ReminderKind | null {
  return lead === 0 ? rule.passedKind : rule.upcomingKind;
}

/** Review cadence: the next review is due one interval after the last one (or after creation). */
export function reviewDueAt(lastReviewedAt: Date | null, createdAt: Date, intervalDays: number): Date {
  return new Date((lastReviewedAt ?? createdAt).getTime() + intervalDays * DAY_MS);
}

/** When a reminder of this lead fires: `leadDays` before the due date. */
export function firesAt(dueAt: Date, leadDays: number): Date {
  return new Date(dueAt.getTime() - leadDays * DAY_MS);
}

// Days are counted as 24 hours, like the pure functions above: `interval '1 day'` on a timestamptz
// follows the session time zone's daylight-saving shifts.
export const daysSql = (days: string): string => `make_interval(hours => 24 * (${days}))`;

/** `reviewDueAt` in SQL over a control or risk row aliased `alias`. */
export function reviewDueAtSql(alias: string): string {
  return `(coalesce(${alias}.last_reviewed_at, ${alias}.created_at) + ${daysSql(`${alias}.review_interval_days`)})`;
}

/** `currentLead` in SQL: `leads` is an int[] expression, `now` a timestamptz one. */
export function currentLeadSql(dueAt: string, now: string, leads: string): string {
  return `(CASE WHEN ${dueAt} <= ${now} THEN 0
     ELSE (SELECT min(l) FROM unnest(${leads}) l WHERE ${dueAt} <= ${now} + ${daysSql('l')}) END)`;
}
