import { createHash, randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type TestApp } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { createControl, createRisk } from './helpers/isms-factories';
import { APPROVE_EXCEPTION, createTask, requestControlException, inDays } from './helpers/core-factories';
import { Permission } from '../src/auth/permissions';
import { escapeText, foldLine } from '../src/modules/reminder/reminder.calendar';

const DAY = 86_400_000;
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const icsDay = (d: Date) => isoDay(d).replace(/-/g, '');

/** RFC 5545 text values back to plain text. */
const unescapeText = (value: string) => value.replace(/\\([\\;,nN])/g, (_m, c: string) => (c === 'n' || c === 'N' ? '\n' : c));

interface Event { [name: string]: string }

/** Unfolds and splits an iCalendar document into its calendar properties and its VEVENTs. */
function parse(body: string): { calendar: Event; events: Event[] } {
  const lines = body.replace(/\r\n[ \t]/g, '').split('\r\n');
  expect(lines.pop()).toBe(''); // the document ends with CRLF
  const calendar: Event = {};
  const events: Event[] = [];
  let current: Event | null = null;
  for (const line of lines) {
    if (line === 'BEGIN:VEVENT') current = {};
    else if (line === 'END:VEVENT') {
      events.push(current!);
      current = null;
    } else {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon);
      (current ?? calendar)[name] = line.slice(colon + 1);
    }
  }
  return { calendar, events };
}

describe('iCalendar text (RFC 5545)', () => {
  it('escapes backslash, semicolon, comma and line breaks', () => {
    expect(escapeText('a\\b;c,d\ne\r\nf')).toBe('a\\\\b\\;c\\,d\\ne\\nf');
    expect(unescapeText(escapeText('Review; due, now\\ \n twice'))).toBe('Review; due, now\\ \n twice');
  });

  it('folds lines longer than 75 octets, never inside a UTF-8 character', () => {
    expect(foldLine('SUMMARY:short')).toBe('SUMMARY:short');
    const line = `SUMMARY:${'Überprüfung € '.repeat(20)}`;
    const folded = foldLine(line);
    const parts = folded.split('\r\n');
    expect(parts.length).toBeGreaterThan(3);
    for (const [i, part] of parts.entries()) {
      expect(Buffer.byteLength(part, 'utf8')).toBeLessThanOrEqual(75);
      if (i > 0) expect(part.startsWith(' ')).toBe(true);
      expect(part).not.toContain('\uFFFD');
    }
    expect(folded.replace(/\r\n /g, '')).toBe(line);
    const ascii = `X:${'a'.repeat(200)}`;
    expect(foldLine(ascii).split('\r\n').map((p) => Buffer.byteLength(p))).toEqual([75, 75, 54]); // 202 octets: 75 + (1 + 74) + (1 + 53)
  });
});

describe('calendar feed', () => {
  let app: TestApp;
  let owner: { id: string; name: string };
  let other: { id: string };
  const ISSUE = 'mutation($ownerId: ID!) { issueCalendarToken(ownerId: $ownerId) { id ownerId token url } }';
  const REVOKE = 'mutation($id: ID!) { revokeCalendarToken(id: $id) { id ownerId createdAt revokedAt } }';
  const TOKENS = 'query($ownerId: ID!) { calendarTokens(ownerId: $ownerId) { id ownerId createdAt revokedAt } }';
  const t0 = new Date();
  const subjects: Record<string, string> = {};
  let controlCode: string;
  const tricky = 'Quarterly access review, MFA; admins \\ operators\nsecond line';

  beforeAll(async () => {
    app = await startTestApp();
    owner = await createOwner(app, { name: 'Dana, Security; Ops' });
    other = await createOwner(app);
    const scope = await createScope(app);

    const c1 = await createControl(app, { ownerId: owner.id, scopeIds: [scope.id], reviewIntervalDays: 90, lastReviewedAt: plus(t0, -80 * DAY).toISOString() });
    await app.sql('UPDATE control SET title = $2 WHERE id = $1', [c1.id, tricky]);
    subjects.dueSoon = c1.id;
    controlCode = c1.code;
    subjects.overdue = (await createControl(app, { ownerId: owner.id, scopeIds: [scope.id], reviewIntervalDays: 30, lastReviewedAt: plus(t0, -33 * DAY).toISOString() })).id;
    subjects.long = (await createControl(app, { ownerId: owner.id, scopeIds: [scope.id], title: 'Überprüfung der Zugriffsrechte € '.repeat(6).trim(), reviewIntervalDays: 90, lastReviewedAt: plus(t0, -60 * DAY).toISOString() })).id;
    const archived = await createControl(app, { ownerId: owner.id, scopeIds: [scope.id], reviewIntervalDays: 30, lastReviewedAt: plus(t0, -33 * DAY).toISOString() });
    ok(await app.gql('mutation($id: ID!) { archiveControl(id: $id) { id } }', { id: archived.id }));
    await createControl(app, { ownerId: other.id, scopeIds: [scope.id], reviewIntervalDays: 30, lastReviewedAt: plus(t0, -20 * DAY).toISOString() });

    const risk = await createRisk(app, { ownerId: owner.id, scopeId: scope.id, title: 'Leaked CI token', reviewIntervalDays: 365 });
    await app.sql('UPDATE risk SET last_reviewed_at = $2 WHERE id = $1', [risk.id, plus(t0, -165 * DAY)]);
    subjects.risk = risk.id;
    await createRisk(app, { ownerId: owner.id, scopeId: scope.id, reviewIntervalDays: 1095 }); // due in 3 years: beyond the horizon

    subjects.evidence = ok(await app.gql('mutation($input: CreateEvidenceInput!) { createEvidence(input: $input) { id } }', {
      input: { controlId: c1.id, ownerId: owner.id, title: 'SOC 2 report', kind: 'REPORT', reference: 'vault/soc2', collectedAt: plus(t0, -10 * DAY).toISOString(), validUntil: plus(t0, 50 * DAY).toISOString() },
    })).createEvidence.id;

    const exception = await requestControlException(app, { requestedById: owner.id, scopeId: scope.id, controlId: c1.id });
    const approver = await createOwner(app);
    ok(await app.gql(APPROVE_EXCEPTION, { id: exception.id, approverId: approver.id, expiresAt: inDays(90), v: exception.version }));
    subjects.exception = exception.id;

    subjects.task = (await createTask(app, { assigneeId: owner.id, title: 'Rotate the CI token', dueDate: isoDay(plus(t0, 5 * DAY)) })).id;
  });
  afterAll(() => app.close());

  async function issue(ownerId = owner.id, key?: string) {
    return ok(await app.gql(ISSUE, { ownerId }, key)).issueCalendarToken;
  }
  const fetchFeed = (path: string) => fetch(`${app.url}${path}`);

  it('serves one VEVENT per upcoming or overdue due date of the owner, as RFC 5545 text', async () => {
    const issued = await issue();
    expect(issued).toMatchObject({ ownerId: owner.id, url: `/calendar/${issued.token}.ics` });
    const res = await fetchFeed(issued.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/calendar/);
    const body = await res.text();

    // CRLF line endings only, and no physical line over 75 octets
    expect(body.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of body.split('\r\n')) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);

    const { calendar, events } = parse(body);
    expect(calendar).toMatchObject({ BEGIN: 'VCALENDAR', VERSION: '2.0', END: 'VCALENDAR' });
    expect(calendar.PRODID).toBeTruthy();
    expect(unescapeText(calendar['X-WR-CALNAME'])).toBe('ISMS due dates: Dana, Security; Ops');
    expect(events).toHaveLength(7);
    const uids = events.map((e) => e.UID);
    expect(new Set(uids).size).toBe(7);
    for (const e of events) {
      expect(e.DTSTAMP).toMatch(/^\d{8}T\d{6}Z$/);
      expect(e['DTSTART;VALUE=DATE']).toMatch(/^\d{8}$/);
      expect(e.UID).toMatch(/@isms-graph$/);
    }
    const bySubject = (id: string) => {
      const found = events.filter((e) => e.UID.includes(id));
      expect(found).toHaveLength(1);
      return found[0];
    };

    const dueSoon = bySubject(subjects.dueSoon);
    expect(dueSoon.SUMMARY).toBe(escapeText(`Review due: ${controlCode} ${tricky}`));
    expect(dueSoon.SUMMARY).toContain('review\\, MFA\\; admins \\\\ operators\\nsecond line');
    expect(unescapeText(dueSoon.SUMMARY)).toBe(`Review due: ${controlCode} ${tricky}`);
    expect(dueSoon['DTSTART;VALUE=DATE']).toBe(icsDay(plus(t0, 10 * DAY)));
    expect(dueSoon.UID).toBe(`CONTROL-${subjects.dueSoon}-REVIEW_DUE-${icsDay(plus(t0, 10 * DAY))}@isms-graph`);

    expect(unescapeText(bySubject(subjects.overdue).SUMMARY)).toMatch(/^Review overdue: /);
    expect(bySubject(subjects.overdue)['DTSTART;VALUE=DATE']).toBe(icsDay(plus(t0, -3 * DAY)));
    expect(unescapeText(bySubject(subjects.long).SUMMARY)).toMatch(/^Review due: \S+ Überprüfung der Zugriffsrechte € Überprüfung/);
    expect(unescapeText(bySubject(subjects.risk).SUMMARY)).toBe('Review due: Risk Leaked CI token');
    expect(bySubject(subjects.risk)['DTSTART;VALUE=DATE']).toBe(icsDay(plus(t0, 200 * DAY)));
    expect(unescapeText(bySubject(subjects.evidence).SUMMARY)).toBe(`Evidence expires: SOC 2 report (${controlCode})`);
    expect(unescapeText(bySubject(subjects.exception).SUMMARY)).toBe(`Exception expires: Control exception ${controlCode}`);
    const task = bySubject(subjects.task);
    expect(unescapeText(task.SUMMARY)).toBe('Task due: Rotate the CI token');
    expect(task['DTSTART;VALUE=DATE']).toBe(icsDay(plus(t0, 5 * DAY)));
    expect(task.UID).toBe(`TREATMENT_TASK-${subjects.task}-TASK_OVERDUE-${icsDay(plus(t0, 5 * DAY))}@isms-graph`);
  });

  it('keeps UIDs stable between fetches; a review moves only its subject\'s event', async () => {
    const { url } = await issue();
    const uidsOf = async () => parse(await (await fetchFeed(url)).text()).events.map((e) => e.UID).sort();
    const first = await uidsOf();
    expect(await uidsOf()).toEqual(first);

    ok(await app.gql('mutation($input: RecordReviewInput!) { recordReview(input: $input) { id } }', {
      input: { subjectType: 'CONTROL', subjectId: subjects.overdue, outcome: 'NO_CHANGE' },
    }));
    const after = await uidsOf();
    expect(after).toHaveLength(first.length);
    const gone = first.filter((u) => !after.includes(u));
    const added = after.filter((u) => !first.includes(u));
    expect(gone).toEqual([expect.stringContaining(subjects.overdue)]);
    expect(added).toEqual([`CONTROL-${subjects.overdue}-REVIEW_DUE-${icsDay(plus(new Date(), 30 * DAY))}@isms-graph`]);
  });

  it('stores only the SHA-256 of the token', async () => {
    const issued = await issue();
    expect(issued.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await app.sql('SELECT * FROM calendar_token WHERE id = $1', [issued.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toBe(createHash('sha256').update(issued.token).digest('hex'));
    expect(JSON.stringify(rows[0])).not.toContain(issued.token);
    const audits = await app.sql(`SELECT operation, entity_type, before, after FROM audit_event WHERE entity_id = $1`, [issued.id]);
    expect(audits).toEqual([{ operation: 'issueCalendarToken', entity_type: 'CALENDAR_TOKEN', before: null, after: expect.objectContaining({ ownerId: owner.id }) }]);
    expect(JSON.stringify(audits)).not.toContain(issued.token);
    const listed = ok(await app.gql(TOKENS, { ownerId: owner.id })).calendarTokens;
    expect(listed[0]).toEqual({ id: issued.id, ownerId: owner.id, createdAt: expect.any(String), revokedAt: null });
    expect(JSON.stringify(listed)).not.toContain(issued.token);
  });

  it('a revoked, unknown or malformed token is 404; other tokens keep working', async () => {
    const revoked = await issue();
    const kept = await issue();
    expect((await fetchFeed(revoked.url)).status).toBe(200);
    const first = ok(await app.gql(REVOKE, { id: revoked.id })).revokeCalendarToken;
    expect(first).toMatchObject({ id: revoked.id, ownerId: owner.id, revokedAt: expect.any(String) });
    expect(ok(await app.gql(REVOKE, { id: revoked.id })).revokeCalendarToken).toEqual(first);
    expect((await app.sql(`SELECT count(*)::int AS n FROM audit_event WHERE entity_id = $1 AND operation = 'revokeCalendarToken'`, [revoked.id]))[0].n).toBe(1);

    const res = await fetchFeed(revoked.url);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('BEGIN:VCALENDAR');
    expect((await fetchFeed(kept.url)).status).toBe(200);
    expect((await fetchFeed(`/calendar/${'A'.repeat(43)}.ics`)).status).toBe(404);
    expect((await fetchFeed('/calendar/short.ics')).status).toBe(404);
    expect((await fetchFeed(`/calendar/${kept.token}.ical`)).status).toBe(404);
    expect(errorCode(await app.gql(REVOKE, { id: randomUUID() }))).toBe('NOT_FOUND');
    expect(errorCode(await app.gql(REVOKE, { id: 'nope' }))).toBe('NOT_FOUND');
  });

  it('an archived owner\'s feed is 404', async () => {
    const gone = await createOwner(app);
    const { url } = await issue(gone.id);
    expect((await fetchFeed(url)).status).toBe(200);
    expect(parse(await (await fetchFeed(url)).text()).events).toEqual([]);
    await app.sql('UPDATE owner SET archived_at = now() WHERE id = $1', [gone.id]);
    expect((await fetchFeed(url)).status).toBe(404);
  });

  it('only unrestricted keys with isms:write manage feeds; the owner must exist', async () => {
    const scope = await createScope(app);
    const restricted = await app.createKey([Permission.ISMS_WRITE], { scopeIds: [scope.id] });
    const readKey = await app.createKey([Permission.ISMS_READ]);
    const count = async () => (await app.sql('SELECT count(*)::int AS n FROM calendar_token'))[0].n;
    const before = await count();
    expect(errorCode(await app.gql(ISSUE, { ownerId: owner.id }, restricted.secret))).toBe('FORBIDDEN');
    expect(errorCode(await app.gql(ISSUE, { ownerId: owner.id }, readKey.secret))).toBe('FORBIDDEN');
    expect(errorCode(await app.gql(ISSUE, { ownerId: owner.id }, null))).toBe('UNAUTHENTICATED');
    const unknown = await app.gql(ISSUE, { ownerId: randomUUID() });
    expect(errorCode(unknown)).toBe('BAD_USER_INPUT');
    expect(unknown.errors![0].extensions.field).toBe('ownerId');
    expect(await count()).toBe(before);

    const writer = await app.createKey([Permission.ISMS_WRITE]);
    const issued = await issue(owner.id, writer.secret);
    expect(errorCode(await app.gql(REVOKE, { id: issued.id }, restricted.secret))).toBe('FORBIDDEN');
    expect(errorCode(await app.gql(TOKENS, { ownerId: owner.id }, restricted.secret))).toBe('FORBIDDEN');
    expect(ok(await app.gql(REVOKE, { id: issued.id }, writer.secret)).revokeCalendarToken.revokedAt).not.toBeNull();
  });
});
