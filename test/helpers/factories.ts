import type { TestApp } from './app';
import { ok } from './app';

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

export async function createOwner(app: TestApp, input: Partial<{ kind: string; name: string; email: string }> = {}): Promise<{ id: string; name: string; version: number }> {
  const res = await app.gql<{ createOwner: { id: string; name: string; version: number } }>(
    'mutation($input: CreateOwnerInput!) { createOwner(input: $input) { id name version } }',
    { input: { kind: 'PERSON', name: unique('Owner'), ...input } },
  );
  return ok(res).createOwner;
}

export async function createScope(app: TestApp, input: Record<string, unknown> = {}): Promise<{ id: string; key: string; version: number }> {
  const ownerId = (input.ownerId as string | undefined) ?? (await createOwner(app)).id;
  const res = await app.gql<{ createScope: { id: string; key: string; version: number } }>(
    'mutation($input: CreateScopeInput!) { createScope(input: $input) { id key version } }',
    { input: { key: unique('scope'), name: 'A scope', certification: 'CERTIFIABLE', ownerId, ...input } },
  );
  return ok(res).createScope;
}
