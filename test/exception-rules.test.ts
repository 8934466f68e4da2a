import { ExceptionStatus } from '../src/modules/exception/exception.entity';
import { assertTransition, effectiveStatus, effectiveStatusSql, targetOf, type ExceptionAction } from '../src/modules/exception/exception.rules';
import { AppError } from '../src/common/errors';

const NOW = new Date('2030-06-15T12:00:00.000Z');
const before = new Date(NOW.getTime() - 1);
const after = new Date(NOW.getTime() + 1);

describe('effectiveStatus: an APPROVED exception past expiresAt reads EXPIRED', () => {
  test.each([
    [ExceptionStatus.APPROVED, after, ExceptionStatus.APPROVED],
    [ExceptionStatus.APPROVED, NOW, ExceptionStatus.EXPIRED],
    [ExceptionStatus.APPROVED, before, ExceptionStatus.EXPIRED],
    [ExceptionStatus.APPROVED, null, ExceptionStatus.APPROVED],
    // only APPROVED expires: a request whose wished-for end has passed is still a request
    [ExceptionStatus.REQUESTED, before, ExceptionStatus.REQUESTED],
    [ExceptionStatus.REJECTED, before, ExceptionStatus.REJECTED],
    [ExceptionStatus.REVOKED, before, ExceptionStatus.REVOKED],
    [ExceptionStatus.EXPIRED, after, ExceptionStatus.EXPIRED],
    [ExceptionStatus.EXPIRED, null, ExceptionStatus.EXPIRED],
  ])('%s with expiresAt %p reads %s', (stored, expiresAt, expected) => {
    expect(effectiveStatus(stored, expiresAt, NOW)).toBe(expected);
  });

  test('defaults to the current time', () => {
    expect(effectiveStatus(ExceptionStatus.APPROVED, new Date(Date.now() - 1000))).toBe(ExceptionStatus.EXPIRED);
    expect(effectiveStatus(ExceptionStatus.APPROVED, new Date(Date.now() + 60_000))).toBe(ExceptionStatus.APPROVED);
  });

  test('the SQL form uses the alias it is given and the same rule (expires_at <= now())', () => {
    const sql = effectiveStatusSql('xx');
    expect(sql).toContain("xx.stored_status = 'APPROVED'");
    expect(sql).toContain('xx.expires_at <= now()');
    expect(sql).toContain("THEN 'EXPIRED'");
    expect(sql).toContain('ELSE xx.stored_status::text');
  });
});

describe('assertTransition: REQUESTED → APPROVED | REJECTED; REQUESTED or APPROVED → REVOKED', () => {
  const legal: Record<ExceptionAction, ExceptionStatus[]> = {
    approve: [ExceptionStatus.REQUESTED],
    reject: [ExceptionStatus.REQUESTED],
    revoke: [ExceptionStatus.REQUESTED, ExceptionStatus.APPROVED],
  };
  const cases = (Object.keys(legal) as ExceptionAction[]).flatMap((action) =>
    Object.values(ExceptionStatus).map((from) => [action, from, legal[action].includes(from)] as const));

  test.each(cases)('%s from %s: legal %s', (action, from, isLegal) => {
    if (isLegal) {
      expect(() => assertTransition(from, action)).not.toThrow();
    } else {
      let thrown: unknown;
      try {
        assertTransition(from, action);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(AppError);
      expect((thrown as AppError).extensions.code).toBe('INVALID_TRANSITION');
      expect((thrown as AppError).message).toContain(from);
    }
  });

  test('covers every status for every action (15 cases), 4 of them legal', () => {
    expect(cases).toHaveLength(15);
    expect(cases.filter(([, , ok]) => ok)).toHaveLength(4);
  });

  test('targets', () => {
    expect(targetOf).toEqual({ approve: ExceptionStatus.APPROVED, reject: ExceptionStatus.REJECTED, revoke: ExceptionStatus.REVOKED });
  });

  test('no transition leads out of a terminal state', () => {
    for (const terminal of [ExceptionStatus.REJECTED, ExceptionStatus.REVOKED, ExceptionStatus.EXPIRED]) {
      for (const action of ['approve', 'reject', 'revoke'] as const) {
        expect(() => assertTransition(terminal, action)).toThrow(AppError);
      }
    }
  });
});
