import { randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type TestApp, type GqlResponse } from './helpers/app';
import { createScope } from './helpers/factories';
import { Permission } from '../src/auth/permissions';
import { Owner, OwnerKind } from '../src/modules/owner/owner.entity';
import { Control, ControlScope } from '../src/modules/control/control.entity';
import { Risk, RiskControl } from '../src/modules/risk/risk.entity';
import { TreatmentTask } from '../src/modules/treatment/treatment-task.entity';

// The nested query over 10 and over 200 risks must issue the same number of SQL
// statements: every relation goes through a per-request DataLoader. The query cost limit is
// raised for this file, since `risks(first: 500)` under a list of scopes is costly by design and
// the point here is the statement count, not the limit.
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ MAX_QUERY_COST: '10000000' });
});
afterAll(() => app.close());

const SCOPES_PER_DATASET = 4;

interface Dataset {
  prefix: string;
  scopeIds: string[];
  scopeOwnerId: string;
  /** Risk ids per scope, in their nested order (created_at, id). */
  risksByScope: Map<string, string[]>;
  risks: Map<string, { ownerId: string; controlIds: string[]; assigneeIds: string[] }>;
  controls: Map<string, { ownerId: string }>;
}

/**
 * Owners, scopes through the API; controls, risks, links and tasks straight into the tables
 * through the entity repositories (200 risks through the API would be slow). Scores are kept
 * consistent: inherent = likelihood × impact, residual likewise with the residual factors.
 * Each level (scope, risk, control, task) has its own owners, so no level is served from an
 * earlier level's DataLoader cache and every level really loads.
 */
async function seed(riskCount: number): Promise<Dataset> {
  const prefix = `nq${riskCount}x${randomUUID().slice(0, 6)}`;
  const owner = (name: string) => ({ id: randomUUID(), kind: OwnerKind.PERSON, name: `${prefix} ${name}`, email: null });
  const scopeOwner = owner('scope owner');
  const riskOwners = [owner('risk owner 1'), owner('risk owner 2'), owner('risk owner 3')];
  const controlOwners = [owner('control owner 1'), owner('control owner 2')];
  const assignees = [owner('assignee 1'), owner('assignee 2'), owner('assignee 3')];
  await app.db.getRepository(Owner).insert([scopeOwner, ...riskOwners, ...controlOwners, ...assignees]);

  const scopeIds: string[] = [];
  for (let s = 0; s < SCOPES_PER_DATASET; s += 1) scopeIds.push((await createScope(app, { key: `${prefix}-s${s}`, ownerId: scopeOwner.id })).id);

  const base = Date.now() - riskCount * 1000;
  const risks: Array<Partial<Risk>> = [];
  const controls: Array<Partial<Control>> = [];
  const controlScopes: Array<Partial<ControlScope>> = [];
  const links: Array<Partial<RiskControl>> = [];
  const tasks: Array<Partial<TreatmentTask>> = [];
  const ds: Dataset = { prefix, scopeIds, scopeOwnerId: scopeOwner.id, risksByScope: new Map(scopeIds.map((id) => [id, []])), risks: new Map(), controls: new Map() };
  for (let i = 0; i < riskCount; i += 1) {
    const id = randomUUID();
    const scopeId = scopeIds[i % scopeIds.length];
    const likelihood = 1 + (i % 5);
    const impact = 1 + (Math.floor(i / 5) % 5);
    const residualLikelihoodSet = i % 3 === 0 ? 1 : null;
    const createdAt = new Date(base + i * 1000);
    risks.push({
      id, title: `${prefix} risk ${i}`, scopeId, ownerId: riskOwners[i % riskOwners.length].id, likelihood, impact,
      inherentScore: likelihood * impact, residualLikelihoodSet, residualImpactSet: null, residualScore: (residualLikelihoodSet ?? likelihood) * impact,
      createdAt, updatedAt: createdAt,
    });
    ds.risksByScope.get(scopeId)!.push(id);
    const entry = { ownerId: riskOwners[i % riskOwners.length].id, controlIds: [] as string[], assigneeIds: [] as string[] };
    for (let c = 0; c < 2; c += 1) {
      const controlId = randomUUID();
      const controlOwner = controlOwners[(i + c) % controlOwners.length].id;
      controls.push({ id: controlId, code: `${prefix}-C${i}-${c}`, title: `Control ${i}.${c}`, ownerId: controlOwner });
      controlScopes.push({ controlId, scopeId });
      links.push({ riskId: id, controlId, createdAt: new Date(createdAt.getTime() + c) });
      ds.controls.set(controlId, { ownerId: controlOwner });
      entry.controlIds.push(controlId);
      const assigneeId = assignees[(i + c) % assignees.length].id;
      tasks.push({ id: randomUUID(), title: `Task ${i}.${c}`, riskId: id, controlId, assigneeId, createdAt: new Date(createdAt.getTime() + c), updatedAt: createdAt });
      entry.assigneeIds.push(assigneeId);
    }
    ds.risks.set(id, entry);
  }
  await app.db.transaction(async (tx) => {
    await tx.getRepository(Control).insert(controls);
    await tx.getRepository(ControlScope).insert(controlScopes);
    await tx.getRepository(Risk).insert(risks);
    await tx.getRepository(RiskControl).insert(links);
    await tx.getRepository(TreatmentTask).insert(tasks);
  });
  return ds;
}

/** The query, with the ids and scores needed to check that the answer is complete and right. */
const NESTED = `query($search: String!) {
  scopes(first: 10, filter: { search: $search }) {
    totalCount
    edges { node {
      id
      owner { id }
      risks(first: 500) {
        totalCount
        pageInfo { hasNextPage }
        edges { node {
          id likelihood impact inherentScore residualLikelihood residualImpact residualScore
          owner { id }
          controls { id owner { id } }
          treatmentTasks { id assignee { id } }
        } }
      }
    } }
  }
}`;

/** Checks every row of the answer against the seeded data; returns the number of risks. */
function checkAnswer(data: any, ds: Dataset): number {
  const scopes = data.scopes.edges.map((e: any) => e.node);
  expect(data.scopes.totalCount).toBe(SCOPES_PER_DATASET);
  expect(scopes.map((s: any) => s.id).sort()).toEqual([...ds.scopeIds].sort());
  let rows = 0;
  for (const scope of scopes) {
    expect(scope.owner.id).toBe(ds.scopeOwnerId);
    const expected = ds.risksByScope.get(scope.id)!;
    expect(scope.risks.totalCount).toBe(expected.length);
    expect(scope.risks.pageInfo.hasNextPage).toBe(false);
    expect(scope.risks.edges.map((e: any) => e.node.id)).toEqual(expected);
    for (const { node } of scope.risks.edges) {
      const seeded = ds.risks.get(node.id)!;
      expect(node.owner.id).toBe(seeded.ownerId);
      expect(node.inherentScore).toBe(node.likelihood * node.impact);
      expect(node.residualScore).toBe(node.residualLikelihood * node.residualImpact);
      expect(node.controls.map((c: any) => c.id)).toEqual(seeded.controlIds);
      expect(node.controls.map((c: any) => c.owner.id)).toEqual(seeded.controlIds.map((id) => ds.controls.get(id)!.ownerId));
      expect(node.treatmentTasks.map((t: any) => t.assignee.id)).toEqual(seeded.assigneeIds);
      rows += 1;
    }
  }
  return rows;
}

describe('the nested query issues the same number of SQL statements over 10 and over 200 risks', () => {
  let small: Dataset;
  let large: Dataset;
  beforeAll(async () => {
    small = await seed(10);
    large = await seed(200);
  });

  async function measure(ds: Dataset, key?: string): Promise<{ statements: number; rows: number }> {
    const res = await app.gql(NESTED, { search: ds.prefix }, key);
    const rows = checkAnswer(ok(res), ds);
    expect(Number.isInteger(res.statements)).toBe(true);
    return { statements: res.statements, rows };
  }

  test('with an unrestricted key', async () => {
    const key = (await app.createKey([Permission.ISMS_READ])).secret;
    // the first request of a key records its use: warm it up so both measurements are alike
    ok(await app.gql('{ owners(first: 1) { totalCount } }', {}, key));
    const s = await measure(small, key);
    const l = await measure(large, key);
    expect(s.rows).toBe(10);
    expect(l.rows).toBe(200);
    expect(l.statements).toBe(s.statements);
    // and it is a handful, not one per row
    expect(s.statements).toBeLessThan(20);
  });

  test('with a scope-restricted key (visibility of controls is batched too)', async () => {
    const key = (await app.createKey([Permission.ISMS_READ], { scopeIds: [...small.scopeIds, ...large.scopeIds] })).secret;
    ok(await app.gql('{ owners(first: 1) { totalCount } }', {}, key));
    const s = await measure(small, key);
    const l = await measure(large, key);
    expect([s.rows, l.rows]).toEqual([10, 200]);
    expect(l.statements).toBe(s.statements);
  });

  test('scope.controls is batched as well', async () => {
    const Q = `query($search: String!) { scopes(first: 10, filter: { search: $search }) { edges { node {
      controls(first: 500) { totalCount edges { node { id owner { id } scopes { id } } } } } } } }`;
    ok(await app.gql('{ owners(first: 1) { totalCount } }'));
    const s = await app.gql(Q, { search: small.prefix });
    const l = await app.gql(Q, { search: large.prefix });
    const count = (res: GqlResponse): number => ok(res).scopes.edges.reduce((n: number, e: any) => n + e.node.controls.edges.length, 0);
    expect(count(s)).toBe(20);
    expect(count(l)).toBe(400);
    const totals = ok(l).scopes.edges.map((e: any) => e.node.controls.totalCount);
    expect(totals).toEqual(Array(SCOPES_PER_DATASET).fill(100));
    expect(l.statements).toBe(s.statements);
  });
});

describe('nested paging of scope.risks', () => {
  let ds: Dataset;
  beforeAll(async () => {
    ds = await seed(20);
  });

  const PAGE = 'query($id: ID, $first: Int, $after: String) { scope(id: $id) { risks(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } } }';

  test('first: 2, then after endCursor, returns the next ones, oldest first; totalCount counts all pages', async () => {
    const scopeId = ds.scopeIds[0];
    const expected = ds.risksByScope.get(scopeId)!;
    expect(expected).toHaveLength(5);
    const first = ok(await app.gql(PAGE, { id: scopeId, first: 2 })).scope.risks;
    expect(first.edges.map((e: any) => e.node.id)).toEqual(expected.slice(0, 2));
    expect(first.totalCount).toBe(5);
    expect(first.pageInfo).toEqual({ hasNextPage: true, endCursor: first.edges[1].cursor });
    const second = ok(await app.gql(PAGE, { id: scopeId, first: 2, after: first.pageInfo.endCursor })).scope.risks;
    expect(second.edges.map((e: any) => e.node.id)).toEqual(expected.slice(2, 4));
    expect(second.totalCount).toBe(5);
    expect(second.pageInfo.hasNextPage).toBe(true);
    const third = ok(await app.gql(PAGE, { id: scopeId, first: 2, after: second.pageInfo.endCursor })).scope.risks;
    expect(third.edges.map((e: any) => e.node.id)).toEqual(expected.slice(4));
    expect(third.pageInfo).toEqual({ hasNextPage: false, endCursor: third.edges[0].cursor });
    const past = ok(await app.gql(PAGE, { id: scopeId, first: 2, after: third.pageInfo.endCursor })).scope.risks;
    expect(past).toEqual({ totalCount: 5, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });
  });

  test('risks with equal creation times are paged by id, none lost or repeated', async () => {
    const scopeId = ds.scopeIds[1];
    const expected = ds.risksByScope.get(scopeId)!;
    await app.sql('UPDATE risk SET created_at = $2 WHERE id = ANY($1::uuid[])', [expected, new Date('2026-01-01T00:00:00.000Z')]);
    const sorted = [...expected].sort();
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i += 1) {
      const page: any = ok(await app.gql(PAGE, { id: scopeId, first: 2, after })).scope.risks;
      seen.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(sorted);
  });

  test('archived risks are left out of the page and the total', async () => {
    const scopeId = ds.scopeIds[2];
    const [gone, ...rest] = ds.risksByScope.get(scopeId)!;
    ok(await app.gql('mutation($id: ID!) { archiveRisk(id: $id) { id } }', { id: gone }));
    const res = ok(await app.gql(PAGE, { id: scopeId, first: 500 })).scope.risks;
    expect(res.edges.map((e: any) => e.node.id)).toEqual(rest);
    expect(res.totalCount).toBe(rest.length);
  });

  test('the default page is 50; first: 0 gives only the total; first above 500 is BAD_USER_INPUT', async () => {
    const scopeId = ds.scopeIds[3];
    const all = ok(await app.gql(PAGE, { id: scopeId })).scope.risks;
    expect(all.edges).toHaveLength(5);
    const none = ok(await app.gql(PAGE, { id: scopeId, first: 0 })).scope.risks;
    expect(none.edges).toEqual([]);
    expect(none.totalCount).toBe(5);
    expect(none.pageInfo.endCursor).toBeNull();
    expect(errorCode(await app.gql(PAGE, { id: scopeId, first: 501 }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(PAGE, { id: scopeId, first: -1 }))).toBe('BAD_USER_INPUT');
  });

  test('a forged cursor, or one issued by another list, is BAD_USER_INPUT naming `after`', async () => {
    const scopeId = ds.scopeIds[0];
    const controls = ok(await app.gql('query($id: ID) { scope(id: $id) { controls(first: 1) { pageInfo { endCursor } } } }', { id: scopeId })).scope.controls;
    const risks = ok(await app.gql(PAGE, { id: scopeId, first: 1 })).scope.risks;
    const topLevel = ok(await app.gql('{ risks(first: 1) { pageInfo { endCursor } } }')).risks;
    const forged = [
      'garbage',
      Buffer.from(JSON.stringify([42, randomUUID(), 'scope.risks'])).toString('base64url'),
      Buffer.from(JSON.stringify(['yesterday', randomUUID(), 'scope.risks'])).toString('base64url'),
      controls.pageInfo.endCursor,
      topLevel.pageInfo.endCursor,
    ];
    for (const after of forged) {
      const res = await app.gql(PAGE, { id: scopeId, first: 2, after });
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors![0].extensions.field).toBe('after');
    }
    // and a scope.risks cursor is no scope.controls cursor
    const res = await app.gql('query($id: ID, $after: String) { scope(id: $id) { controls(first: 1, after: $after) { totalCount } } }', { id: scopeId, after: risks.pageInfo.endCursor });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
  });

  test('a bad cursor fails only the field that carries it, not the whole batch of nested pages', async () => {
    // `a` and `b` resolve the same parent in the same tick, so their pages load in one batch;
    // `parent` is nullable, so a failure of `a` leaves `b` standing
    const child = await createScope(app, { key: `${ds.prefix}-child`, parentId: ds.scopeIds[0] });
    const Q = `query($id: ID) { scope(id: $id) {
      a: parent { risks(first: 1, after: "garbage") { totalCount } }
      b: parent { risks(first: 1) { edges { node { id } } } }
    } }`;
    const res = await app.gql(Q, { id: child.id });
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]).toMatchObject({ path: ['scope', 'a', 'risks'], extensions: { code: 'BAD_USER_INPUT', field: 'after' } });
    expect(res.data!.scope).toEqual({ a: null, b: { risks: { edges: [{ node: { id: ds.risksByScope.get(ds.scopeIds[0])![0] } }] } } });
  });
});
