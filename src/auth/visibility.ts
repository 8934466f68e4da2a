import type { Context } from '../context';
import { memo } from '../context';
import { forbidden, unauthenticated } from '../common/errors';
import { grants, type Permission } from './permissions';
import type { Principal } from './principal';

/**
 * The one place that decides what a restricted key sees (DOMAIN.md "Access"): the scopes named on
 * the key and all their descendants, worked out once per request. `null` means unrestricted.
 */
export function visibleScopeIds(ctx: Context): Promise<string[] | null> {
  const restriction = ctx.principal?.scopeIds;
  if (!restriction) return Promise.resolve(null);
  return memo(ctx, 'visibleScopeIds', async () => {
    const rows: Array<{ id: string }> = await ctx.db.query(
      `WITH RECURSIVE allowed AS (
         SELECT id FROM scope WHERE id = ANY($1::uuid[])
         UNION SELECT s.id FROM scope s JOIN allowed a ON s.parent_id = a.id)
       SELECT id FROM allowed`,
      [restriction],
    );
    return rows.map((r) => r.id);
  });
}

/** True when an entity with these scopes is visible: unrestricted, or any one scope allowed. */
export async function canSeeAny(ctx: Context, scopeIds: readonly string[]): Promise<boolean> {
  const allowed = await visibleScopeIds(ctx);
  return allowed === null || scopeIds.some((id) => allowed.includes(id.toLowerCase()));
}

/** A write that would touch a scope outside the key's restriction is FORBIDDEN. */
export async function assertScopesWritable(ctx: Context, scopeIds: readonly string[]): Promise<void> {
  const allowed = await visibleScopeIds(ctx);
  if (allowed === null) return;
  const outside = scopeIds.filter((id) => !allowed.includes(id.toLowerCase()));
  if (outside.length > 0 || scopeIds.length === 0) throw forbidden('This API key is restricted to other scopes');
}

export function requirePrincipal(ctx: Context): Principal {
  if (!ctx.principal) throw unauthenticated();
  return ctx.principal;
}

export function assertPermission(ctx: Context, permission: Permission): void {
  if (!grants(requirePrincipal(ctx).permissions, permission)) throw forbidden();
}
