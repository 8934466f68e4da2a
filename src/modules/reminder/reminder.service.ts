import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { badInput, forbidden, notFound } from '../../common/errors';
import { paginate, SortDirection, type Connection, type PageRequest } from '../../common/pagination';
import { lockRow } from '../../common/versioning';
import { isUuid } from '../../common/validation';
import { inTransaction, recordWrite } from '../../db/transaction';
import { ChangeAction, EntityType } from '../../db/events';
import { canSeeAny, requirePrincipal, visibleScopeIds } from '../../auth/visibility';
import { AuditEvent } from '../audit/audit.entity';
import { claimCreate } from '../idempotency/idempotency.service';
import { ownerService } from '../owner/owner.service';
import { controlReviewService } from '../control/control-review.service';
import { riskReviewService } from '../risk/risk-review.service';
import { Reminder } from './reminder.entity';
import { CalendarToken, Review } from './review.entity';
import type { CalendarTokenInfo, IssuedCalendarToken, RecordReviewInput, ReminderFilter } from './reminder.inputs';
import { daysSql, type ReminderRule } from './reminder.rules';
import { reminderRules } from './reminder.job';

const TYPE = 'Reminder';
const norm = (id: string): string => id.toLowerCase();

/** Feed tokens: 32 random bytes, base64url. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** One due date on an owner's calendar. */
export interface CalendarEntry {
  rule: ReminderRule;
  subjectId: string;
  dueAt: Date;
  /** The calendar day, `YYYY-MM-DD`. */
  dueOn: string;
  label: string;
  passed: boolean;
}

function tokenInfo(row: CalendarToken): CalendarTokenInfo {
  return { id: row.id, ownerId: row.ownerId, createdAt: row.createdAt, revokedAt: row.revokedAt };
}

/**
 * A feed shows every subject of its owner, whatever the scope; a key restricted to some scopes
 * would read other scopes through it, so only unrestricted keys manage feeds.
 */
async function assertUnrestricted(ctx: Context): Promise<void> {
  if ((await visibleScopeIds(ctx)) !== null) {
    throw forbidden('A calendar feed shows an owner\'s subjects in every scope: only a key without a scope restriction may manage feeds');
  }
}

export const reminderService = {
  async get(ctx: Context, id: string): Promise<Reminder> {
    const reminder = isUuid(id) ? await ctx.loaders.reminder.load(norm(id)) : null;
    if (!reminder || !(await canSeeAny(ctx, reminder.scopeIds))) throw notFound(TYPE);
    return reminder;
  },

  /** Reminders by due date, then id; a restricted key sees those whose scopes overlap its own. */
  async list(ctx: Context, filter: ReminderFilter, page: Pick<PageRequest, 'first' | 'after'>): Promise<Connection<Reminder>> {
    const qb = ctx.db.getRepository(Reminder).createQueryBuilder('r');
    const allowed = await visibleScopeIds(ctx);
    if (allowed) qb.andWhere('r.scopeIds && CAST(:allowed AS uuid[])', { allowed });
    if (filter.scopeIds?.length) qb.andWhere('r.scopeIds && CAST(:scopeIds AS uuid[])', { scopeIds: filter.scopeIds.map(norm) });
    if (filter.ownerIds?.length) qb.andWhere('r.ownerId = ANY(:ownerIds)', { ownerIds: filter.ownerIds.map(norm) });
    if (filter.subjectIds?.length) qb.andWhere('r.subjectId = ANY(:subjectIds)', { subjectIds: filter.subjectIds.map(norm) });
    if (filter.kinds?.length) qb.andWhere('r.kind = ANY(:kinds)', { kinds: filter.kinds });
    if (filter.dueBefore) qb.andWhere('r.dueAt < :dueBefore', { dueBefore: filter.dueBefore });
    if (filter.acknowledged === true) qb.andWhere('r.acknowledgedAt IS NOT NULL');
    if (filter.acknowledged === false) qb.andWhere('r.acknowledgedAt IS NULL');
    if (filter.fired === true) qb.andWhere('r.firedAt IS NOT NULL');
    if (filter.fired === false) qb.andWhere('r.firedAt IS NULL');
    return paginate(qb, { ...page, orderColumn: 'r.dueAt', orderProperty: 'dueAt', direction: SortDirection.ASC });
  },

  /** Marks a reminder seen; acknowledging it again changes nothing and writes nothing. */
  acknowledge(ctx: Context, id: string): Promise<Reminder> {
    return inTransaction(ctx, async (tx) => {
      const before = await lockRow(tx, Reminder, norm(id), TYPE);
      if (!(await canSeeAny(ctx, before.scopeIds))) throw notFound(TYPE);
      if (before.acknowledgedAt) return before;
      await tx.query('UPDATE reminder SET acknowledged_at = now() WHERE id = $1', [before.id]);
      const after = await tx.findOneByOrFail(Reminder, { id: before.id });
      // a reminder has no version column: this is its one change after planning
      await recordWrite(tx, ctx, { operation: 'acknowledgeReminder', entityType: EntityType.REMINDER, entityId: after.id, action: ChangeAction.UPDATED, before, after, version: 1, scopeIds: after.scopeIds });
      return after;
    });
  },

  /** Stores a review of a control or risk and moves the subject's next review date. */
  async recordReview(ctx: Context, input: RecordReviewInput, idempotencyKey?: string | null): Promise<Review> {
    if (input.subjectType !== EntityType.CONTROL && input.subjectType !== EntityType.RISK) {
      throw badInput('Reviews are recorded for controls and risks only', 'subjectType');
    }
    return inTransaction(ctx, async (tx) => {
      const claim = await claimCreate(tx, ctx, 'recordReview', idempotencyKey, input);
      if (claim.replay) return tx.findOneByOrFail(Review, { id: claim.id });
      const reviewedAt = new Date();
      const subjectId = norm(input.subjectId);
      if (input.subjectType === EntityType.CONTROL) await controlReviewService.markReviewed(ctx, tx, subjectId, reviewedAt, claim.id);
      else await riskReviewService.markReviewed(ctx, tx, subjectId, reviewedAt, claim.id);
      await tx.insert(Review, {
        id: claim.id,
        subjectType: input.subjectType,
        subjectId,
        outcome: input.outcome,
        notes: input.notes?.trim() || null,
        recordedByKeyId: ctx.principal?.keyId ?? null,
        reviewedAt,
      });
      return tx.findOneByOrFail(Review, { id: claim.id });
    });
  },

  /** Issues a feed link for an owner; the token is returned once and stored as its SHA-256 hash. */
  async issueCalendarToken(ctx: Context, ownerId: string): Promise<IssuedCalendarToken> {
    await assertUnrestricted(ctx);
    return inTransaction(ctx, async (tx) => {
      const owner = await ownerService.requireActive(tx, norm(ownerId), 'ownerId');
      const token = randomBytes(32).toString('base64url');
      const id = randomUUID();
      await tx.insert(CalendarToken, { id, ownerId: owner.id, tokenHash: hashToken(token) });
      const saved = await tx.findOneByOrFail(CalendarToken, { id });
      await audit(ctx, tx, 'issueCalendarToken', saved, null);
      return { id, ownerId: owner.id, token, url: `/calendar/${token}.ics` };
    });
  },

  /** Revokes a feed link: its URL answers 404 from then on. Revoking again changes nothing. */
  async revokeCalendarToken(ctx: Context, id: string): Promise<CalendarTokenInfo> {
    await assertUnrestricted(ctx);
    return inTransaction(ctx, async (tx) => {
      const before = await lockRow(tx, CalendarToken, norm(id), 'Calendar token');
      if (before.revokedAt) return tokenInfo(before);
      await tx.query('UPDATE calendar_token SET revoked_at = now() WHERE id = $1', [before.id]);
      const after = await tx.findOneByOrFail(CalendarToken, { id: before.id });
      await audit(ctx, tx, 'revokeCalendarToken', after, before);
      return tokenInfo(after);
    });
  },

  /** An owner's feed links, newest first (without their secrets). */
  async calendarTokens(ctx: Context, ownerId: string): Promise<CalendarTokenInfo[]> {
    await assertUnrestricted(ctx);
    if (!isUuid(ownerId)) return [];
    const rows = await ctx.db.getRepository(CalendarToken).find({ where: { ownerId: norm(ownerId) }, order: { createdAt: 'DESC', id: 'DESC' } });
    return rows.map(tokenInfo);
  },
};

/** Calendar tokens are no ISMS entity: audited, but no change event goes out for them. */
async function audit(ctx: Context, tx: EntityManager, operation: string, after: CalendarToken, before: CalendarToken | null): Promise<void> {
  const shown = (row: CalendarToken | null) => (row ? { id: row.id, ownerId: row.ownerId, createdAt: row.createdAt.toISOString(), revokedAt: row.revokedAt?.toISOString() ?? null } : null);
  await tx.insert(AuditEvent, {
    id: randomUUID(),
    actorKeyId: requirePrincipal(ctx).keyId,
    operation,
    entityType: 'CALENDAR_TOKEN',
    entityId: after.id,
    before: shown(before) as never,
    after: shown(after) as never,
    scopeIds: [],
    requestId: ctx.requestId,
  });
}

/** The owner a feed token belongs to; null for an unknown, revoked or malformed token, or an archived owner. */
export async function calendarOwner(db: DataSource, token: string): Promise<{ id: string; name: string } | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const [row]: Array<{ id: string; name: string }> = await db.query(
    `SELECT o.id, o.name FROM calendar_token t JOIN owner o ON o.id = t.owner_id
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND o.archived_at IS NULL`,
    [hashToken(token)],
  );
  return row ?? null;
}

const isoDay = (d: Date): string => d.toISOString().slice(0, 10);

/** An owner's due dates from every rule: all that are overdue and those of the next `horizonDays`. */
export async function calendarEntries(db: DataSource, ownerId: string, now: Date, horizonDays = 365, rules: readonly ReminderRule[] = reminderRules): Promise<CalendarEntry[]> {
  const entries: CalendarEntry[] = [];
  for (const rule of rules) {
    const rows: Array<{ subject_id: string; due_at: Date; due_on?: string | null; label: string }> = await db.query(
      `SELECT * FROM (${rule.candidatesSql}) c WHERE c.owner_id = $1 AND c.due_at <= $2::timestamptz + ${daysSql('$3::int')}`,
      [ownerId, now, horizonDays],
    );
    for (const row of rows) {
      const dueOn = row.due_on ?? isoDay(row.due_at);
      entries.push({ rule, subjectId: row.subject_id, dueAt: row.due_at, dueOn, label: row.label, passed: row.due_at.getTime() <= now.getTime() });
    }
  }
  return entries.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.subjectId.localeCompare(b.subjectId));
}

