import type { Permission } from './permissions';

/** Who is calling: an API key, or the anonymous reader when ALLOW_ANONYMOUS_READ is on. */
export interface Principal {
  keyId: string | null;
  ownerId: string | null;
  permissions: Permission[];
  /** Scope restriction as stored on the key (children are added when visibility is computed); null = all scopes. */
  scopeIds: string[] | null;
  /** When this credential stops working: the key's expiry, or sooner for a secret a rotation replaced. */
  expiresAt: Date | null;
  /** The key's own rate limit (null: the server's RATE_LIMIT_PER_MINUTE; 0: none). */
  rateLimitPerMinute: number | null;
  /** The key runs only the operations of its allow-list. */
  allowListBound: boolean;
}
