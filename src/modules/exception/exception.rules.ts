import { invalidTransition } from '../../common/errors';
import { ExceptionStatus } from './exception.entity';

/** An APPROVED exception past `expiresAt` reads as EXPIRED even before the scheduler stores it. */
export function effectiveStatus(stored: ExceptionStatus, expiresAt: Date | null, now = new Date()): ExceptionStatus {
  return stored === ExceptionStatus.APPROVED && expiresAt !== null && expiresAt <= now ? ExceptionStatus.EXPIRED : stored;
}

/** The same rule in SQL, for filters over the exception table aliased `alias`. */
export function effectiveStatusSql(alias: string): string {
  return `(CASE WHEN ${alias}.stored_status = 'APPROVED' AND ${alias}.expires_at <= now() THEN 'EXPIRED' ELSE ${alias}.stored_status::text END)`;
}

export type ExceptionAction = 'approve' | 'reject' | 'revoke';

const allowedFrom: Record<ExceptionAction, ExceptionStatus[]> = {
  approve: [ExceptionStatus.REQUESTED],
  reject: [ExceptionStatus.REQUESTED],
  revoke: [ExceptionStatus.REQUESTED, ExceptionStatus.APPROVED],
};

export const targetOf: Record<ExceptionAction, ExceptionStatus> = {
  approve: ExceptionStatus.APPROVED,
  reject: ExceptionStatus.REJECTED,
  revoke: ExceptionStatus.REVOKED,
};

/** REQUESTED → APPROVED | REJECTED; REQUESTED or APPROVED → REVOKED; anything else is INVALID_TRANSITION. */
export function assertTransition(current: ExceptionStatus, action: ExceptionAction): void {
  if (!allowedFrom[action].includes(current)) {
    throw invalidTransition(`Cannot ${action} an exception that is ${current}`);
  }
}
