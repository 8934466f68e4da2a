import { registerEnumType } from 'type-graphql';

/** What an API key may do (DOMAIN.md "Access"). */
export enum Permission {
  ISMS_READ = 'isms:read',
  ISMS_WRITE = 'isms:write',
  TREATMENT_WRITE = 'treatment:write',
  CATALOG_WRITE = 'catalog:write',
  ADMIN = 'admin',
}

registerEnumType(Permission, {
  name: 'Permission',
  description: 'A right an API key holds.',
  valuesConfig: {
    ISMS_READ: { description: '`isms:read`: read every ISMS entity the key\'s scopes allow.' },
    ISMS_WRITE: { description: '`isms:write` (implies read): owners, scopes, controls, risks, evidence, exceptions, SoA, reviews, assets.' },
    TREATMENT_WRITE: { description: '`treatment:write` (implies read): treatment tasks only, for ticketing integrations.' },
    CATALOG_WRITE: { description: '`catalog:write`: frameworks, requirements, crosswalks, mappings and imports.' },
    ADMIN: { description: '`admin`: everything, plus API keys, webhooks and audit events.' },
  },
});

const implied: Record<Permission, Permission[]> = {
  [Permission.ADMIN]: Object.values(Permission),
  [Permission.ISMS_WRITE]: [Permission.ISMS_WRITE, Permission.ISMS_READ],
  [Permission.TREATMENT_WRITE]: [Permission.TREATMENT_WRITE, Permission.ISMS_READ],
  [Permission.CATALOG_WRITE]: [Permission.CATALOG_WRITE],
  [Permission.ISMS_READ]: [Permission.ISMS_READ],
};

/** True when the held permissions grant `needed`, directly or by implication. */
export function grants(held: readonly Permission[], needed: Permission): boolean {
  return held.some((p) => implied[p]?.includes(needed));
}

/** Parses `isms:read` or `ISMS_READ`; undefined for anything else. */
export function parsePermission(text: string): Permission | undefined {
  const value = text.trim();
  const byValue = Object.values(Permission).find((p) => p === value);
  return byValue ?? (Permission as Record<string, Permission>)[value.toUpperCase()];
}
