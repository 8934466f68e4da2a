import { ConfigError, loadConfig } from '../src/config';
import { ReminderKind } from '../src/modules/reminder/reminder.entity';
import { DAY_MS, currentLead, firesAt, kindAt, reviewDueAt } from '../src/modules/reminder/reminder.rules';
import { controlReminderRule } from '../src/modules/control/control.reminders';
import { riskReminderRule } from '../src/modules/risk/risk.reminders';
import { evidenceReminderRule } from '../src/modules/evidence/evidence.reminders';
import { exceptionReminderRule } from '../src/modules/exception/exception.reminders';
import { treatmentTaskReminderRule } from '../src/modules/treatment/treatment-task.reminders';
import { reminderRules } from '../src/modules/reminder/reminder.job';

const LEADS = [30, 7, 1];
const now = new Date('2025-06-01T12:00:00.000Z');
const at = (days: number, extraMs = 0) => new Date(now.getTime() + days * DAY_MS + extraMs);

describe('currentLead: which lead time fires now', () => {
  it('is null while the date is beyond the largest lead time', () => {
    expect(currentLead(at(45), now, LEADS)).toBeNull();
    expect(currentLead(at(30, 1), now, LEADS)).toBeNull();
  });

  it('fires a lead exactly on its boundary', () => {
    expect(currentLead(at(30), now, LEADS)).toBe(30);
    expect(currentLead(at(7), now, LEADS)).toBe(7);
    expect(currentLead(at(1), now, LEADS)).toBe(1);
  });

  it('a date already inside the window fires only the nearest lead, not the backlog', () => {
    // 5 days ahead: the 30-day moment is behind, the 7-day one is the nearest reached
    expect(currentLead(at(5), now, LEADS)).toBe(7);
    expect(currentLead(at(10), now, LEADS)).toBe(30);
    expect(currentLead(at(7, 1), now, LEADS)).toBe(30);
    expect(currentLead(at(0.5), now, LEADS)).toBe(1);
    expect(currentLead(at(0, 1), now, LEADS)).toBe(1);
  });

  it('is 0 once the date has passed, the due moment itself included', () => {
    expect(currentLead(at(0), now, LEADS)).toBe(0);
    expect(currentLead(at(-1), now, LEADS)).toBe(0);
    expect(currentLead(at(-400), now, LEADS)).toBe(0);
  });

  it('does not depend on the order of the lead times', () => {
    expect(currentLead(at(5), now, [1, 30, 7])).toBe(7);
    expect(currentLead(at(20), now, [14])).toBeNull();
    expect(currentLead(at(10), now, [14])).toBe(14);
  });

  it('walking the clock towards a date fires each lead once, in order, then the passed one', () => {
    const due = at(40);
    const fired: number[] = [];
    for (let t = now.getTime(); t <= due.getTime() + 3 * DAY_MS; t += 3_600_000) {
      const lead = currentLead(due, new Date(t), LEADS);
      if (lead !== null && fired.at(-1) !== lead) fired.push(lead);
    }
    expect(fired).toEqual([30, 7, 1, 0]);
  });

  it('a date first seen 5 days ahead never fires the 30-day lead', () => {
    const due = at(5);
    const fired = new Set<number>();
    for (let t = now.getTime(); t <= due.getTime() + DAY_MS; t += 3_600_000) {
      const lead = currentLead(due, new Date(t), LEADS);
      if (lead !== null) fired.add(lead);
    }
    expect([...fired]).toEqual([7, 1, 0]);
  });

  it('firesAt is the lead before the date', () => {
    expect(firesAt(at(30), 30)).toEqual(now);
    expect(firesAt(at(3), 0)).toEqual(at(3));
  });
});

describe('review cadence', () => {
  const created = new Date('2025-01-10T08:00:00.000Z');

  it('is due one interval after creation when never reviewed', () => {
    expect(reviewDueAt(null, created, 90)).toEqual(new Date('2025-04-10T08:00:00.000Z'));
  });

  it('is due one interval after the last review', () => {
    expect(reviewDueAt(new Date('2025-05-01T09:30:00.000Z'), created, 30)).toEqual(new Date('2025-05-31T09:30:00.000Z'));
  });

  it('counts days as 24 hours, across daylight-saving changes', () => {
    expect(reviewDueAt(new Date('2025-03-20T12:00:00.000Z'), created, 14).getTime() - new Date('2025-03-20T12:00:00.000Z').getTime()).toBe(14 * DAY_MS);
  });

  it('a review moves the next date and with it the lead that fires', () => {
    const lastReview = at(-85);
    expect(currentLead(reviewDueAt(lastReview, created, 90), now, LEADS)).toBe(7);
    expect(currentLead(reviewDueAt(now, created, 90), now, LEADS)).toBeNull();
  });
});

describe('rules', () => {
  it('every subject module contributes one rule, once', () => {
    expect(reminderRules.map((r) => r.subjectType).sort()).toEqual(['ASSET', 'CONTROL', 'EVIDENCE', 'EXCEPTION', 'RISK', 'TREATMENT_TASK']);
  });

  it('fires the kinds of DOMAIN.md at each lead', () => {
    expect([kindAt(controlReminderRule, 30), kindAt(controlReminderRule, 0)]).toEqual([ReminderKind.REVIEW_DUE, ReminderKind.REVIEW_OVERDUE]);
    expect([kindAt(riskReminderRule, 7), kindAt(riskReminderRule, 0)]).toEqual([ReminderKind.REVIEW_DUE, ReminderKind.REVIEW_OVERDUE]);
    expect([kindAt(evidenceReminderRule, 1), kindAt(evidenceReminderRule, 0)]).toEqual([ReminderKind.EVIDENCE_STALE, ReminderKind.EVIDENCE_STALE]);
    expect([kindAt(exceptionReminderRule, 30), kindAt(exceptionReminderRule, 0)]).toEqual([ReminderKind.EXCEPTION_EXPIRING, ReminderKind.EXCEPTION_EXPIRED]);
    expect([kindAt(treatmentTaskReminderRule, 7), kindAt(treatmentTaskReminderRule, 0)]).toEqual([null, ReminderKind.TASK_OVERDUE]);
  });

  it('only the exception rule has a side effect', () => {
    expect(reminderRules.filter((r) => r.onFire).map((r) => r.subjectType)).toEqual(['EXCEPTION']);
  });
});

describe('REMINDER_LEAD_DAYS', () => {
  const leads = (value?: string) => loadConfig({ REMINDER_LEAD_DAYS: value }).reminderLeadDays;

  it('defaults to 30, 7 and 1 days', () => {
    expect(leads()).toEqual([30, 7, 1]);
    expect(leads('')).toEqual([30, 7, 1]);
  });

  it('accepts any order and spacing, largest first', () => {
    expect(leads('1, 14,60')).toEqual([60, 14, 1]);
    expect(leads('3')).toEqual([3]);
  });

  it.each(['0', '366', 'seven', '7,7', '7,,1', '-1', '1.5', '1,2,3,4,5,6,7,8,9,10,11'])('refuses %p with one line naming the variable', (value) => {
    expect(() => leads(value)).toThrow(ConfigError);
    expect(() => leads(value)).toThrow(/^REMINDER_LEAD_DAYS /);
  });
});
