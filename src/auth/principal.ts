import type { Permission } from './permissions';

/** Who is calling: an API key, or the anonymous reader when ALLOW_ANONYMOUS_READ is on. */
export interface Principal {
  keyId: string | null;
  ownerId: string | null;
  permissions: Permission[];
  /** Scope restriction as stored on the key (children are added when visibility is computed); null = all scopes. */
  scopeIds: string[] | null;
  expiresAt: Date | null;
}
