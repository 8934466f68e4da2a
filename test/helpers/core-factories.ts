import type { TestApp } from './app';
import { ok } from './app';
import { createOwner, createScope } from './factories';

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

export interface RiskRef { id: string; scopeId: string; version: number; residualScore: number; status: string }
export interface ControlRef { id: string; code: string; version: number }
export interface TaskRef {
  id: string;
  title: string;
  version: number;
  status: string;
  dueDate: string | null;
  updatedAt: string;
  createdAt: string;
  externalRef: { system: string; key: string; url: string | null } | null;
}

export const TASK_FIELDS = 'id title description version status dueDate createdAt updatedAt archivedAt externalRef { system key url } risk { id } assignee { id } control { id }';
export const EXCEPTION_FIELDS = 'id kind status version justification expiresAt decidedAt decisionReason acceptedResidualScore stale scope { id } risk { id status residualScore } control { id } requestedBy { id } approver { id } compensatingControls { id }';

/** A risk through the API (admin key unless `key` is given); a fresh scope and owner when none are named. */
export async function createRisk(app: TestApp, input: Record<string, unknown> = {}, key?: string): Promise<RiskRef> {
  const scopeId = (input.scopeId as string | undefined) ?? (await createScope(app)).id;
  const ownerId = (input.ownerId as string | undefined) ?? (await createOwner(app)).id;
  const res = await app.gql(
    'mutation($input: CreateRiskInput!) { createRisk(input: $input) { id version residualScore status scope { id } } }',
    { input: { title: unique('Risk'), likelihood: 3, impact: 3, ...input, scopeId, ownerId } },
    key,
  );
  const risk = ok(res).createRisk;
  return { id: risk.id, scopeId: risk.scope.id, version: risk.version, residualScore: risk.residualScore, status: risk.status };
}

export async function createControl(app: TestApp, input: Record<string, unknown> = {}, key?: string): Promise<ControlRef> {
  const ownerId = (input.ownerId as string | undefined) ?? (await createOwner(app)).id;
  const res = await app.gql(
    'mutation($input: CreateControlInput!) { createControl(input: $input) { id code version } }',
    { input: { code: unique('CTL'), title: 'A control', ...input, ownerId } },
    key,
  );
  return ok(res).createControl;
}

export async function archiveRisk(app: TestApp, id: string): Promise<void> {
  ok(await app.gql('mutation($id: ID!) { archiveRisk(id: $id) { id } }', { id }));
}

export async function updateRisk(app: TestApp, id: string, input: Record<string, unknown>): Promise<{ id: string; version: number; residualScore: number; status: string }> {
  const { risk } = ok(await app.gql('query($id: ID!) { risk(id: $id) { version } }', { id }));
  const res = await app.gql(
    'mutation($id: ID!, $input: UpdateRiskInput!, $v: Int!) { updateRisk(id: $id, input: $input, expectedVersion: $v) { id version residualScore status } }',
    { id, input, v: risk.version },
  );
  return ok(res).updateRisk;
}

export async function readRisk(app: TestApp, id: string): Promise<{ id: string; version: number; residualScore: number; status: string }> {
  return ok(await app.gql('query($id: ID!) { risk(id: $id) { id version residualScore status } }', { id })).risk;
}

export const CREATE_TASK = `mutation($input: CreateTreatmentTaskInput!, $key: String) {
  createTreatmentTask(input: $input, idempotencyKey: $key) { ${TASK_FIELDS} } }`;
export const UPSERT_TASK = `mutation($input: UpsertTreatmentTaskInput!, $v: Int) {
  upsertTreatmentTaskByExternalRef(input: $input, expectedVersion: $v) { ${TASK_FIELDS} } }`;
export const UPDATE_TASK = `mutation($id: ID!, $input: UpdateTreatmentTaskInput!, $v: Int!) {
  updateTreatmentTask(id: $id, input: $input, expectedVersion: $v) { ${TASK_FIELDS} } }`;

/** A treatment task through the API; a fresh risk and assignee when none are named. */
export async function createTask(app: TestApp, input: Record<string, unknown> = {}, key?: string): Promise<TaskRef> {
  const riskId = (input.riskId as string | undefined) ?? (await createRisk(app)).id;
  const assigneeId = (input.assigneeId as string | undefined) ?? (await createOwner(app)).id;
  const res = await app.gql(CREATE_TASK, { input: { title: unique('Task'), ...input, riskId, assigneeId } }, key);
  return ok(res).createTreatmentTask;
}

export const REQUEST_EXCEPTION = `mutation($input: RequestExceptionInput!, $key: String) {
  requestException(input: $input, idempotencyKey: $key) { ${EXCEPTION_FIELDS} } }`;
export const APPROVE_EXCEPTION = `mutation($id: ID!, $approverId: ID!, $expiresAt: DateTime!, $v: Int!) {
  approveException(id: $id, approverId: $approverId, expiresAt: $expiresAt, expectedVersion: $v) { ${EXCEPTION_FIELDS} } }`;
export const REJECT_EXCEPTION = `mutation($id: ID!, $approverId: ID!, $reason: String!, $v: Int) {
  rejectException(id: $id, approverId: $approverId, reason: $reason, expectedVersion: $v) { ${EXCEPTION_FIELDS} } }`;
export const REVOKE_EXCEPTION = `mutation($id: ID!, $reason: String!, $v: Int) {
  revokeException(id: $id, reason: $reason, expectedVersion: $v) { ${EXCEPTION_FIELDS} } }`;

export const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

/** A scope with a control operating in it. */
export async function scopeWithControl(app: TestApp, scopeInput: Record<string, unknown> = {}): Promise<{ scopeId: string; controlId: string }> {
  const scope = await createScope(app, scopeInput);
  const control = await createControl(app, { scopeIds: [scope.id], status: 'IMPLEMENTED' });
  return { scopeId: scope.id, controlId: control.id };
}

/** A control exception in state REQUESTED (admin key unless `key` is given). */
export async function requestControlException(app: TestApp, input: Record<string, unknown> = {}, key?: string): Promise<any> {
  let { scopeId, controlId } = input as { scopeId?: string; controlId?: string };
  if (!scopeId || !controlId) ({ scopeId, controlId } = await scopeWithControl(app));
  const requestedById = (input.requestedById as string | undefined) ?? (await createOwner(app)).id;
  const res = await app.gql(REQUEST_EXCEPTION, {
    input: { kind: 'CONTROL_EXCEPTION', justification: 'Legacy system cannot support MFA', ...input, scopeId, controlId, requestedById },
  }, key);
  return ok(res).requestException;
}

/** A risk above its scope's appetite (9 by default) and a REQUESTED acceptance of it. */
export async function requestRiskAcceptance(app: TestApp, input: Record<string, unknown> = {}): Promise<{ exception: any; riskId: string; scopeId: string }> {
  let scopeId = input.scopeId as string | undefined;
  if (!scopeId) scopeId = (await createScope(app, { riskAppetite: 9 })).id;
  const riskId = (input.riskId as string | undefined) ?? (await createRisk(app, { scopeId, likelihood: 4, impact: 4, status: 'ASSESSED' })).id;
  const requestedById = (input.requestedById as string | undefined) ?? (await createOwner(app)).id;
  const res = await app.gql(REQUEST_EXCEPTION, {
    input: { kind: 'RISK_ACCEPTANCE', justification: 'Compensated by monitoring', ...input, scopeId, riskId, requestedById },
  });
  return { exception: ok(res).requestException, riskId, scopeId };
}

export async function count(app: TestApp, table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const [row] = await app.sql(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params);
  return row.n;
}
