import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { AppError, ErrorCode, badInput } from '../../common/errors';
import { requireNoNul } from '../../common/validation';

export const IDEMPOTENCY_TTL_HOURS = 24;

/** Canonical JSON: keys sorted, so the same input always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export type Claim = { replay: false; id: string } | { replay: true; id: string };

/**
 * Claims the id a create will use. The claim row is inserted in the create's transaction, so a
 * concurrent duplicate blocks on the primary key until the first commits, then replays its
 * result; a rollback frees the key. Without an idempotency key every call gets a fresh id.
 */
export async function claimCreate(tx: EntityManager, ctx: Context, operation: string, idempotencyKey: string | null | undefined, input: unknown): Promise<Claim> {
  const id = randomUUID();
  if (idempotencyKey === undefined || idempotencyKey === null) return { replay: false, id };
  if (idempotencyKey.length < 1 || idempotencyKey.length > 200) throw badInput('idempotencyKey must be 1 to 200 characters', 'idempotencyKey');
  requireNoNul(idempotencyKey, 'idempotencyKey');
  const apiKeyId = ctx.principal?.keyId;
  if (!apiKeyId) throw badInput('idempotencyKey needs an API key to be remembered against', 'idempotencyKey');
  const hash = createHash('sha256').update(canonical(input)).digest('hex');
  const inserted: Array<{ entity_id: string }> = await tx.query(
    `INSERT INTO idempotency_key (api_key_id, operation, key, request_hash, entity_id, created_at)
     VALUES ($1, $2, $3, $4, $5, now())
     ON CONFLICT (api_key_id, operation, key) DO UPDATE
       SET request_hash = EXCLUDED.request_hash, entity_id = EXCLUDED.entity_id, created_at = now()
       WHERE idempotency_key.created_at < now() - make_interval(hours => $6)
     RETURNING entity_id`,
    [apiKeyId, operation, idempotencyKey, hash, id, IDEMPOTENCY_TTL_HOURS],
  );
  if (inserted.length === 1) return { replay: false, id };
  const [existing]: Array<{ request_hash: string; entity_id: string }> = await tx.query(
    'SELECT request_hash, entity_id FROM idempotency_key WHERE api_key_id = $1 AND operation = $2 AND key = $3',
    [apiKeyId, operation, idempotencyKey],
  );
  if (existing.request_hash !== hash) {
    throw new AppError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This idempotencyKey was already used with a different input', { field: 'idempotencyKey' });
  }
  return { replay: true, id: existing.entity_id };
}
