import { Router, type NextFunction, type Request, type Response } from 'express';
import type { DataSource } from 'typeorm';
import { calendarEntries, calendarOwner, type CalendarEntry } from './reminder.service';

const CRLF = '\r\n';
const MAX_OCTETS = 75;

/** RFC 5545 3.3.11 TEXT: backslash, semicolon, comma and line breaks are escaped. */
export function escapeText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r\n|\r|\n/g, '\\n');
}

/**
 * RFC 5545 3.1: a content line longer than 75 octets is folded, each continuation starting with
 * one space. Splits fall between characters, never inside a UTF-8 sequence.
 */
export function foldLine(line: string): string {
  const parts: string[] = [];
  let current = '';
  let octets = 0;
  for (const char of line) {
    const size = Buffer.byteLength(char, 'utf8');
    const limit = parts.length === 0 ? MAX_OCTETS : MAX_OCTETS - 1; // continuation lines carry the leading space
    if (octets + size > limit) {
      parts.push(current);
      current = '';
      octets = 0;
    }
    current += char;
    octets += size;
  }
  parts.push(current);
  return parts.join(`${CRLF} `);
}

const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
const day = (isoDate: string): string => isoDate.replace(/-/g, '');

function nextDay(isoDate: string): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return day(d.toISOString().slice(0, 10));
}

/**
 * UID per subject, rule and due date: the same event while the date stands (also once it has
 * passed and the summary turns to "overdue"), a new one when a review moves the date.
 */
export function eventUid(entry: Pick<CalendarEntry, 'rule' | 'subjectId' | 'dueOn'>): string {
  const kind = entry.rule.upcomingKind ?? entry.rule.passedKind;
  return `${entry.rule.subjectType}-${entry.subjectId}-${kind}-${day(entry.dueOn)}@isms-graph`;
}

/** The iCalendar document of an owner's due dates: one all-day VEVENT per due date. */
export function renderCalendar(ownerName: string, entries: readonly CalendarEntry[], now: Date): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//isms-graph//review reminders//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(`ISMS due dates: ${ownerName}`)}`,
  ];
  for (const entry of entries) {
    const summary = `${entry.passed ? entry.rule.summary.passed : entry.rule.summary.upcoming}: ${entry.label}`;
    lines.push(
      'BEGIN:VEVENT',
      `UID:${eventUid(entry)}`,
      `DTSTAMP:${stamp(now)}`,
      `DTSTART;VALUE=DATE:${day(entry.dueOn)}`,
      `DTEND;VALUE=DATE:${nextDay(entry.dueOn)}`,
      `SUMMARY:${escapeText(summary)}`,
      `DESCRIPTION:${escapeText(`${summary}\n${entry.rule.subjectType} ${entry.subjectId}, due ${entry.dueAt.toISOString()}`)}`,
      'TRANSP:TRANSPARENT',
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  return lines.map(foldLine).join(CRLF) + CRLF;
}

/**
 * `GET /calendar/<token>.ics`: the token is the credential (no API key), so an unknown, revoked or
 * malformed one is a plain 404 that tells nothing about which.
 */
export function calendarRouter(options: { db: DataSource; now?: () => Date }): Router {
  const router = Router();
  router.get('/calendar/:token.ics', async (req: Request, res: Response, next: NextFunction) => {
    const token = String(req.params.token);
    // the request log line prints the path: keep the secret out of it
    req.originalUrl = '/calendar/<token>.ics';
    try {
      const owner = await calendarOwner(options.db, token);
      if (!owner) {
        res.status(404).type('text/plain').send('Not found');
        return;
      }
      const now = options.now?.() ?? new Date();
      const body = renderCalendar(owner.name, await calendarEntries(options.db, owner.id, now), now);
      res.status(200)
        .set('content-type', 'text/calendar; charset=utf-8')
        .set('cache-control', 'private, no-store')
        .set('content-disposition', 'inline; filename="isms-due-dates.ics"')
        .send(body);
    } catch (err) {
      next(err);
    }
  });
  return router;
}
