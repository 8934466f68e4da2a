import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Job } from '../../jobs/scheduler';
import type { Logger } from '../../common/logger';
import { loadConfig, type Config } from '../../config';
import { createContext, type Context } from '../../context';
import { REMINDER_CHANNEL } from '../../db/event-bus';
import { controlReminderRule } from '../control/control.reminders';
import { riskReminderRule } from '../risk/risk.reminders';
import { evidenceReminderRule } from '../evidence/evidence.reminders';
import { exceptionReminderRule } from '../exception/exception.reminders';
import { treatmentTaskReminderRule } from '../treatment/treatment-task.reminders';
import { assetReminderRule } from '../asset/asset.reminders';
import { Reminder } from './reminder.entity';
import { currentLead, currentLeadSql, daysSql, kindAt, type ReminderRule } from './reminder.rules';

/** Every subject module's rule; a new kind of reminder is one more entry. */
export const reminderRules: readonly ReminderRule[] = [
  controlReminderRule,
  riskReminderRule,
  evidenceReminderRule,
  exceptionReminderRule,
  treatmentTaskReminderRule,
  assetReminderRule,
];


const DEFAULT_BATCH = 500;

/**
 * Plans the current reminder of every due subject of one rule: the current lead (0 once passed)
 * under the unique key, so concurrent planners on any number of instances insert each row once.
 * Rows that exist are skipped before the insert: ON CONFLICT alone would wait for any transaction
 * still holding a new version of the row (an instance stuck mid-batch) before doing nothing.
 */
async function plan(db: DataSource, rule: ReminderRule, now: Date, leads: readonly number[]): Promise<number> {
  const lead = currentLeadSql('c.due_at', '$2::timestamptz', '$3::int[]');
  const kind = 'CASE WHEN l.lead = 0 THEN $5::text ELSE $6::text END';
  const inserted: unknown[] = await db.query(
    `WITH c AS (${rule.candidatesSql}),
     l AS (SELECT c.subject_id, c.due_at, c.owner_id, c.scope_ids, ${lead} AS lead
             FROM c WHERE c.due_at <= $2::timestamptz + ${daysSql('$4::int')})
     INSERT INTO reminder (id, kind, subject_type, subject_id, scope_ids, owner_id, due_at, lead_days)
     SELECT gen_random_uuid(), (${kind})::reminder_kind, $1, l.subject_id, l.scope_ids, l.owner_id, l.due_at, l.lead
       FROM l WHERE l.lead IS NOT NULL AND (${kind}) IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM reminder r WHERE r.subject_type = $1 AND r.subject_id = l.subject_id
                          AND r.kind = (${kind})::reminder_kind AND r.due_at = l.due_at AND r.lead_days = l.lead)
     ON CONFLICT (subject_type, subject_id, kind, due_at, lead_days) DO NOTHING
     RETURNING id`,
    [rule.subjectType, now, leads, Math.max(0, ...leads), rule.passedKind, rule.upcomingKind],
  );
  return inserted.length;
}

/**
 * A claimed reminder still fires only when it is still the current one: its subject is still a
 * candidate with the same due date (a review moved it, the exception was revoked, the task done),
 * and it is still the lead due now (instances that were down across a lead boundary must not
 * fire the backlog). Anything else is obsolete.
 */
async function currentOnes(tx: EntityManager, rules: readonly ReminderRule[], claimed: Reminder[], now: Date, leads: readonly number[]): Promise<Set<string>> {
  const current = new Set<string>();
  for (const rule of rules) {
    const mine = claimed.filter((r) => r.subjectType === rule.subjectType);
    if (!mine.length) continue;
    const rows: Array<{ subject_id: string; due_at: Date }> = await tx.query(
      `SELECT c.subject_id, c.due_at FROM (${rule.candidatesSql}) c WHERE c.subject_id = ANY($1::uuid[])`,
      [[...new Set(mine.map((r) => r.subjectId))]],
    );
    const dueAt = new Map(rows.map((r) => [r.subject_id, r.due_at.getTime()]));
    for (const reminder of mine) {
      const lead = currentLead(reminder.dueAt, now, leads);
      if (dueAt.get(reminder.subjectId) === reminder.dueAt.getTime() && lead === reminder.leadDays && kindAt(rule, lead) === reminder.kind) {
        current.add(reminder.id);
      }
    }
  }
  return current;
}

/**
 * Fires one batch in one transaction: claim unfired reminders whose time has come with
 * FOR UPDATE SKIP LOCKED (other instances skip them), run the side effects, mark them fired and
 * queue a NOTIFY per reminder. PostgreSQL delivers the NOTIFYs only when this commits, and a crash
 * before that releases the rows unfired for the next pass: each reminder fires exactly once.
 */
async function fireBatch(db: DataSource, ctx: Context, rules: readonly ReminderRule[], now: Date, leads: readonly number[], batch: number): Promise<{ claimed: number; fired: number; dropped: number }> {
  return db.transaction(async (tx) => {
    const claimed = await tx.getRepository(Reminder).createQueryBuilder('r')
      .where('r.firedAt IS NULL')
      .andWhere('r.subjectType = ANY(:types)', { types: rules.map((r) => r.subjectType) })
      .andWhere(`r.dueAt <= CAST(:now AS timestamptz) + ${daysSql('r.leadDays')}`, { now })
      .orderBy('r.dueAt').addOrderBy('r.id')
      .limit(batch)
      .setLock('pessimistic_write').setOnLocked('skip_locked')
      .getMany();
    if (!claimed.length) return { claimed: 0, fired: 0, dropped: 0 };

    const current = await currentOnes(tx, rules, claimed, now, leads);
    const obsolete = claimed.filter((r) => !current.has(r.id)).map((r) => r.id);
    if (obsolete.length) await tx.query('DELETE FROM reminder WHERE id = ANY($1::uuid[])', [obsolete]);

    const fired: string[] = [];
    for (const reminder of claimed.filter((r) => current.has(r.id))) {
      const rule = rules.find((r) => r.subjectType === reminder.subjectType)!;
      if (!rule.onFire) {
        fired.push(reminder.id);
        continue;
      }
      // A failing side effect must not hold back the rest of the batch: it is undone alone and its
      // reminder stays unfired, to be retried on the next pass.
      await tx.query('SAVEPOINT reminder_on_fire');
      try {
        await rule.onFire(tx, ctx, { ...reminder, firedAt: now });
        await tx.query('RELEASE SAVEPOINT reminder_on_fire');
        fired.push(reminder.id);
      } catch (err) {
        await tx.query('ROLLBACK TO SAVEPOINT reminder_on_fire');
        ctx.log.error({ err, reminderId: reminder.id, kind: reminder.kind }, 'reminder side effect failed; retried on the next pass');
      }
    }
    if (fired.length) {
      await tx.query('UPDATE reminder SET fired_at = $2 WHERE id = ANY($1::uuid[]) AND fired_at IS NULL', [fired, now]);
      // ids only: the payload stays far below NOTIFY's 8,000 bytes, and each instance loads the row
      await tx.query(
        `SELECT pg_notify($2, json_build_object('id', id)::text) FROM reminder WHERE id = ANY($1::uuid[]) ORDER BY due_at, id`,
        [fired, REMINDER_CHANNEL],
      );
    }
    return { claimed: claimed.length, fired: fired.length, dropped: obsolete.length };
  });
}

export interface ReminderJobOptions {
  rules?: readonly ReminderRule[];
  /** Defaults to the environment's configuration, read on each pass. */
  config?: Config;
  batchSize?: number;
}

/** Plans reminders for every rule, then fires due ones in batches until none are left. */
export function createReminderJob(options: ReminderJobOptions = {}): Job {
  const rules = options.rules ?? reminderRules;
  const batch = options.batchSize ?? DEFAULT_BATCH;
  return {
    name: 'reminders',
    async run(db: DataSource, now: Date, log: Logger): Promise<void> {
      const config = options.config ?? loadConfig();
      const leads = config.reminderLeadDays;
      const failures: unknown[] = [];
      let planned = 0;
      for (const rule of rules) {
        try {
          planned += await plan(db, rule, now, leads);
        } catch (err) {
          log.error({ err, subjectType: rule.subjectType }, 'planning reminders failed');
          failures.push(err);
        }
      }
      let fired = 0;
      for (;;) {
        // a fresh system context per batch: its loaders must not serve rows read before the batch
        const requestId = `scheduler-${randomUUID()}`;
        const ctx = createContext({ requestId, log: log.child({ requestId }), db, config, principal: null });
        const result = await fireBatch(db, ctx, rules, now, leads, batch);
        fired += result.fired;
        // a full batch of side effects that all failed would come back forever: stop until the next pass
        if (result.claimed < batch || result.fired + result.dropped === 0) break;
      }
      if (planned || fired) log.info({ planned, fired }, 'reminders');
      if (failures.length) throw failures[0];
    },
  };
}

export const reminderJob: Job = createReminderJob();
