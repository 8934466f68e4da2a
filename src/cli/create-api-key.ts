import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { openCliSession } from './cli-session';
import { inTransaction, recordWrite } from '../db/transaction';
import { ChangeAction, EntityType } from '../db/events';
import { issueKey, redact, resolveExpiry } from '../auth/api-key.service';
import { parsePermission, type Permission } from '../auth/permissions';
import { Owner, OwnerKind } from '../modules/owner/owner.entity';
import { Scope } from '../modules/scope/scope.entity';

const usage = `usage: npm run create-api-key -- --name <name> --permissions <admin,isms:write,...> --owner-name <name>
       [--owner-kind PERSON|TEAM] [--scope-keys <key,...>] [--expires-days <1-365>]
Prints the new key once on stdout. Creates the owner when no active owner has that name.`;

/** A mistake in the arguments: reported with the usage, exit code 2. */
class UsageError extends Error {}

function fail(message: string): never {
  throw new UsageError(message);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      name: { type: 'string' },
      permissions: { type: 'string' },
      'owner-name': { type: 'string' },
      'owner-kind': { type: 'string', default: 'TEAM' },
      'scope-keys': { type: 'string' },
      'expires-days': { type: 'string' },
    },
    strict: true,
  });
  const name = values.name?.trim();
  const ownerName = values['owner-name']?.trim();
  if (!name) fail('--name is required');
  if (!ownerName) fail('--owner-name is required');
  const permissions = (values.permissions ?? '').split(',').filter(Boolean).map((p) => parsePermission(p) ?? fail(`unknown permission "${p}"`));
  if (permissions.length === 0) fail('--permissions is required');
  const ownerKind = (OwnerKind as Record<string, OwnerKind>)[values['owner-kind']!.toUpperCase()] ?? fail('--owner-kind must be PERSON or TEAM');
  const days = values['expires-days'] === undefined ? undefined : Number(values['expires-days']);
  if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= 365)) fail('--expires-days must be a whole number from 1 to 365');

  const { config, database, ctx } = await openCliSession();
  try {
    const secret = await inTransaction(ctx, async (tx) => {
      let owner = await tx.findOne(Owner, { where: { name: ownerName }, order: { createdAt: 'ASC' } });
      if (owner?.archivedAt) owner = null;
      if (!owner) {
        const id = randomUUID();
        await tx.insert(Owner, { id, kind: ownerKind, name: ownerName, email: null });
        owner = await tx.findOneByOrFail(Owner, { id });
        await recordWrite(tx, ctx, { operation: 'cli:createOwner', entityType: EntityType.OWNER, entityId: id, action: ChangeAction.CREATED, before: null, after: owner, version: 1, scopeIds: [] });
      }
      let scopeIds: string[] | null = null;
      if (values['scope-keys']) {
        const keys = values['scope-keys'].split(',').map((k) => k.trim()).filter(Boolean);
        const scopes = await tx.getRepository(Scope).createQueryBuilder('s').where('s.key = ANY(:keys)', { keys }).getMany();
        const missing = keys.find((k) => !scopes.some((s) => s.key === k));
        if (missing) fail(`no scope with key "${missing}"`);
        scopeIds = scopes.map((s) => s.id);
      }
      const expiresAt = resolveExpiry(days ? new Date(Date.now() + days * 86_400_000) : undefined);
      const id = randomUUID();
      const issued = await issueKey(
        tx,
        { id, name, ownerId: owner.id, permissions: permissions as Permission[], scopeIds, expiresAt, createdByKeyId: null, rotationIntervalDays: config.apiKeyRotationDays },
        { ctx, operation: 'cli:createApiKey' },
      );
      await recordWrite(tx, ctx, { operation: 'cli:createApiKey', entityType: EntityType.API_KEY, entityId: id, action: ChangeAction.CREATED, before: null, after: redact(issued.apiKey), version: 1, scopeIds: scopeIds ?? [] });
      process.stderr.write(`created API key "${name}" (${id}) for owner "${owner.name}", permissions ${permissions.join(',')}, expires ${expiresAt.toISOString()}\n`);
      return issued.secret;
    });
    process.stdout.write(`${secret}\n`);
  } finally {
    await database.close();
  }
}

main().catch((err) => {
  if (err instanceof UsageError || String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`create-api-key: ${err.message}\n${usage}\n`);
    process.exit(2);
  }
  process.stderr.write(`create-api-key failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
