import type { Client } from 'pg';
import { COVERAGE_QUERY } from '../cases/coverage';

/** The ids the workload picks from at random. */
export interface Pools {
  riskIds: string[];
  controlIds: string[];
  ownerIds: string[];
  scopeIds: string[];
  coverageScopeId: string;
}

export type Kind = 'list read' | 'single read' | 'write' | 'coverage';
export type Category = 'read' | 'write' | 'coverage';
export const CATEGORY: Record<Kind, Category> = { 'list read': 'read', 'single read': 'read', write: 'write', coverage: 'coverage' };

/**
 * Every connection sends this cycle over and over: 7 reads, 2 writes, 1 coverage. The run only
 * ends on a cycle boundary (see load.ts), so the mix is exactly 70/20/10 by count.
 */
export const CYCLE: Kind[] = ['list read', 'single read', 'write', 'list read', 'single read', 'coverage', 'list read', 'single read', 'write', 'single read'];

export const COVERAGE_FRAMEWORK = 'iso27001-2022';

// a register page as a UI shows it: one scope's risks above a score, with owners, controls and tasks
const LIST_QUERY = `query($scope: ID!, $min: Int!) { risks(first: 50, filter: { scopeIds: [$scope], minResidualScore: $min }) {
  edges { node { id title residualScore status owner { id name }
    controls { id code status owner { id name } } treatmentTasks { id title status assignee { id name } } } }
  pageInfo { hasNextPage endCursor } } }`;

const RISK_QUERY = `query($id: ID!) { risk(id: $id) { id title description likelihood impact residualScore status
  owner { id name } scope { id key } controls { id code title status } treatmentTasks { id title status dueDate } } }`;

const CONTROL_QUERY = `query($id: ID!) { control(id: $id) { id code title status owner { id name } scopes { id key } } }`;

const CREATE_TASK = `mutation($input: CreateTreatmentTaskInput!) { createTreatmentTask(input: $input) { id title } }`;

const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];

/** Builds a fresh request body of the given kind (random ids; a unique title for writes). */
export function bodyFor(kind: Kind, pools: Pools, titles: { prefix: string; next: number }): string {
  switch (kind) {
    case 'list read':
      return JSON.stringify({ query: LIST_QUERY, variables: { scope: pick(pools.scopeIds), min: 1 + Math.floor(Math.random() * 12) } });
    case 'single read':
      return Math.random() < 0.5
        ? JSON.stringify({ query: RISK_QUERY, variables: { id: pick(pools.riskIds) } })
        : JSON.stringify({ query: CONTROL_QUERY, variables: { id: pick(pools.controlIds) } });
    case 'write':
      titles.next += 1;
      return JSON.stringify({ query: CREATE_TASK, variables: { input: { title: `${titles.prefix} #${titles.next}`, riskId: pick(pools.riskIds), assigneeId: pick(pools.ownerIds) } } });
    case 'coverage':
      return JSON.stringify({ query: COVERAGE_QUERY, variables: { scope: pools.coverageScopeId, key: COVERAGE_FRAMEWORK } });
  }
}

/**
 * An answer is good only with a 2xx status, no top-level "errors" and the data the query asked
 * for, so a broken request can never look fast. Returns the new task's id for a good write.
 */
export function judge(kind: Kind, status: number, body: string): { ok: boolean; taskId?: string; reason?: string } {
  if (status < 200 || status > 299) return { ok: false, reason: `HTTP ${status}: ${body.slice(0, 200)}` };
  let parsed: { data?: Record<string, any> | null; errors?: unknown };
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, reason: `not JSON: ${body.slice(0, 200)}` };
  }
  if (parsed.errors !== undefined) return { ok: false, reason: `errors: ${JSON.stringify(parsed.errors).slice(0, 300)}` };
  const data = parsed.data ?? {};
  switch (kind) {
    case 'list read':
      return Array.isArray(data.risks?.edges) ? { ok: true } : { ok: false, reason: 'no risks.edges' };
    case 'single read':
      return typeof (data.risk ?? data.control)?.id === 'string' ? { ok: true } : { ok: false, reason: 'no entity' };
    case 'write':
      return typeof data.createTreatmentTask?.id === 'string' ? { ok: true, taskId: data.createTreatmentTask.id } : { ok: false, reason: 'no task id' };
    case 'coverage':
      return data.coverage?.counts?.total > 0 ? { ok: true } : { ok: false, reason: 'empty coverage' };
  }
}

/** Reads the ids of the generated dataset (bench/dataset.ts) the workload picks from. */
export async function loadPools(client: Client, coverageScopeId: string): Promise<Pools> {
  const ids = async (sql: string) => (await client.query<{ id: string }>(sql)).rows.map((r) => r.id);
  return {
    riskIds: await ids('SELECT id FROM risk'),
    controlIds: await ids(`SELECT id FROM control WHERE code LIKE 'BENCH-%'`),
    ownerIds: await ids(`SELECT id FROM owner WHERE kind = 'PERSON'`),
    scopeIds: await ids(`SELECT id FROM scope WHERE key LIKE 'bench-%'`),
    coverageScopeId,
  };
}
