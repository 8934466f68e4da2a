import { randomUUID } from 'node:crypto';
import type { TestApp } from './app';
import { ok } from './app';
import { createOwner, createScope } from './factories';

let counter = 0;
/** A code no other call of this process produced (control codes are unique). */
export const uniqueCode = (prefix = 'CTL') => `${prefix}-${process.pid}-${++counter}-${randomUUID().slice(0, 4)}`;

export interface CreatedControl {
  id: string;
  code: string;
  title: string;
  version: number;
}

export interface CreatedRisk {
  id: string;
  title: string;
  version: number;
  inherentScore: number;
  residualScore: number;
}

/** Creates a control through the API; the owner defaults to a fresh owner, scopes to none. */
export async function createControl(app: TestApp, input: Record<string, unknown> = {}, key?: string): Promise<CreatedControl> {
  const ownerId = (input.ownerId as string | undefined) ?? (await createOwner(app)).id;
  const res = await app.gql<{ createControl: CreatedControl }>(
    'mutation($input: CreateControlInput!) { createControl(input: $input) { id code title version } }',
    { input: { code: uniqueCode(), title: 'A control', ownerId, ...input } },
    key,
  );
  return ok(res).createControl;
}

/** Creates a risk through the API; scope and owner default to fresh ones, likelihood and impact to 3. */
export async function createRisk(app: TestApp, input: Record<string, unknown> = {}, key?: string): Promise<CreatedRisk> {
  const ownerId = (input.ownerId as string | undefined) ?? (await createOwner(app)).id;
  const scopeId = (input.scopeId as string | undefined) ?? (await createScope(app)).id;
  const res = await app.gql<{ createRisk: CreatedRisk }>(
    'mutation($input: CreateRiskInput!) { createRisk(input: $input) { id title version inherentScore residualScore } }',
    { input: { title: 'A risk', likelihood: 3, impact: 3, ownerId, scopeId, ...input } },
    key,
  );
  return ok(res).createRisk;
}
