import { ApiKey } from '../auth/api-key.entity';
import { AuditEvent } from '../modules/audit/audit.entity';
import { IdempotencyRecord } from '../modules/idempotency/idempotency.entity';
import { Owner } from '../modules/owner/owner.entity';
import { Scope } from '../modules/scope/scope.entity';

/** Every TypeORM entity; the migration drift test compares these with the migrated database. */
export const entities = [Owner, Scope, ApiKey, AuditEvent, IdempotencyRecord];
