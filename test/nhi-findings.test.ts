import { randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type TestApp } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { Permission } from '../src/auth/permissions';
import { nhiFindingId } from '../src/modules/asset/nhi-findings.sql';
import { NhiFindingRule } from '../src/modules/asset/nhi-findings.types';

let app: TestApp;
let ownerId: string;
beforeAll(async () => {
  app = await startTestApp({ MAX_QUERY_COST: '10000000' });
  ownerId = (await createOwner(app)).id;
});
afterAll(() => app.close());

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY);
const inDays = (n: number) => new Date(Date.now() + n * DAY);

interface NhiFields {
  name?: string;
  kind?: string;
  nhiKind?: string | null;
  ownerId?: string | null;
  environments?: string[];
  privileged?: boolean;
  humanUse?: boolean;
  lastRotatedAt?: Date | null;
  rotationIntervalDays?: number | null;
  expiresAt?: Date | null;
  revokedAt?: Date | null;
  archivedAt?: Date | null;
  createdAt?: Date;
  consumers?: number;
  archivedConsumers?: number;
}

let assetCounter = 0;

/**
 * An identity written straight into the inventory tables. Without overrides it breaks no rule:
 * owned, an API key rotated yesterday every 90 days, expiring in a month, production only, one consumer.
 */
async function insertNhi(scopeIds: string[], fields: NhiFields = {}): Promise<string> {
  const id = randomUUID();
  const f = {
    name: `nhi-${++assetCounter}`, kind: 'NON_HUMAN_IDENTITY', nhiKind: 'API_KEY', ownerId, environments: ['PRODUCTION'], privileged: false, humanUse: false,
    lastRotatedAt: daysAgo(1), rotationIntervalDays: 90, expiresAt: inDays(30), revokedAt: null, archivedAt: null, createdAt: daysAgo(2),
    consumers: 1, archivedConsumers: 0, ...fields,
  };
  await app.sql(
    `INSERT INTO asset (id, name, kind, nhi_kind, owner_id, environments, privileged, human_use, last_rotated_at, rotation_interval_days, expires_at,
                        revoked_at, archived_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)`,
    [id, f.name, f.kind, f.nhiKind, f.ownerId, f.environments, f.privileged, f.humanUse, f.lastRotatedAt, f.rotationIntervalDays, f.expiresAt, f.revokedAt, f.archivedAt, f.createdAt],
  );
  for (const scopeId of scopeIds) await app.sql('INSERT INTO asset_scope (asset_id, scope_id) VALUES ($1, $2)', [id, scopeId]);
  for (let i = 0; i < f.consumers + f.archivedConsumers; i += 1) {
    const consumer = randomUUID();
    await app.sql(`INSERT INTO asset (id, name, kind, owner_id, archived_at) VALUES ($1, $2, 'APPLICATION', $3, $4)`,
      [consumer, `app-${assetCounter}-${i}`, ownerId, i >= f.consumers ? new Date() : null]);
    await app.sql('INSERT INTO asset_consumer (asset_id, consumer_id) VALUES ($1, $2)', [id, consumer]);
  }
  return id;
}

interface Finding {
  id: string;
  rule: string;
  severity: string;
  itemCode: string;
  message: string;
  asset: { id: string; name: string };
  item: { code: string; title: string; framework: { key: string } };
}

const FINDINGS = `query($scopeId: ID!, $first: Int, $after: String, $filter: NhiFindingFilter) {
  nhiFindings(scopeId: $scopeId, first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id rule severity itemCode message asset { id name } item { code title framework { key } } } } } }`;

async function findings(scopeId: string, options: { filter?: unknown; key?: string } = {}): Promise<Finding[]> {
  const page = ok(await app.gql(FINDINGS, { scopeId, first: 500, filter: options.filter ?? null }, options.key)).nhiFindings;
  expect(page.totalCount).toBe(page.edges.length);
  return page.edges.map((e: { node: Finding }) => e.node);
}

const of = (list: Finding[], assetId: string) => list.filter((f) => f.asset.id === assetId);
const rulesOf = (list: Finding[], assetId: string) => of(list, assetId).map((f) => f.rule).sort();
const one = (list: Finding[], assetId: string, rule: string): Finding => {
  const found = of(list, assetId).filter((f) => f.rule === rule);
  expect(found).toHaveLength(1);
  return found[0];
};

describe('nhiFindings: the rules', () => {
  let scopeId: string;
  beforeAll(async () => {
    scopeId = (await createScope(app)).id;
  });

  test('an identity that breaks no rule has no finding', async () => {
    const clean = await insertNhi([scopeId]);
    expect(rulesOf(await findings(scopeId), clean)).toEqual([]);
  });

  test('NHI1: no owner or an archived owner is NO_ACTIVE_OWNER (HIGH); an active owner is not', async () => {
    const archivedOwner = (await createOwner(app, { name: 'Gone Team' })).id;
    await app.sql('UPDATE owner SET archived_at = now() WHERE id = $1', [archivedOwner]);
    const ownerless = await insertNhi([scopeId], { ownerId: null });
    const orphaned = await insertNhi([scopeId], { ownerId: archivedOwner });
    const owned = await insertNhi([scopeId]);
    const list = await findings(scopeId);
    const a = one(list, ownerless, 'NO_ACTIVE_OWNER');
    expect(a).toMatchObject({ severity: 'HIGH', itemCode: 'NHI1', item: { code: 'NHI1', title: 'Improper Offboarding', framework: { key: 'owasp-nhi-top10-2025' } } });
    expect(a.message).toMatch(/has no owner/);
    const b = one(list, orphaned, 'NO_ACTIVE_OWNER');
    expect(b.message).toMatch(/archived owner Gone Team/);
    expect(rulesOf(list, owned)).toEqual([]);
  });

  test('NHI7: a secret past its rotation interval is ROTATION_OVERDUE (MEDIUM); within it, or a kind that holds no secret, is not', async () => {
    const overdue = await insertNhi([scopeId], { nhiKind: 'SECRET', lastRotatedAt: daysAgo(40), rotationIntervalDays: 30 });
    const neverRotated = await insertNhi([scopeId], { nhiKind: 'SERVICE_ACCOUNT', lastRotatedAt: null, createdAt: daysAgo(100), rotationIntervalDays: 90 });
    const onTime = await insertNhi([scopeId], { nhiKind: 'SECRET', lastRotatedAt: daysAgo(20), rotationIntervalDays: 30 });
    const youngNeverRotated = await insertNhi([scopeId], { nhiKind: 'CERTIFICATE', lastRotatedAt: null, createdAt: daysAgo(10), rotationIntervalDays: 90 });
    const workload = await insertNhi([scopeId], { nhiKind: 'WORKLOAD_IDENTITY', lastRotatedAt: daysAgo(400), rotationIntervalDays: 30 });
    const noInterval = await insertNhi([scopeId], { nhiKind: 'API_KEY', lastRotatedAt: daysAgo(4000), rotationIntervalDays: null });
    const list = await findings(scopeId);
    const a = one(list, overdue, 'ROTATION_OVERDUE');
    expect(a).toMatchObject({ severity: 'MEDIUM', itemCode: 'NHI7', item: { code: 'NHI7', title: 'Long-Lived Secrets' } });
    expect(a.message).toMatch(/was last rotated on \d{4}-\d{2}-\d{2}; its 30-day rotation interval ran out on/);
    expect(one(list, neverRotated, 'ROTATION_OVERDUE').message).toMatch(/has not been rotated since it was created on/);
    for (const id of [onTime, youngNeverRotated, workload]) expect(rulesOf(list, id)).toEqual([]);
    expect(rulesOf(list, noInterval)).toEqual([]);
  });

  test('NHI7: a secret without expiry is NO_EXPIRY (LOW with a rotation interval, MEDIUM without); an expiry, or a kind that holds no secret, is not', async () => {
    const rotated = await insertNhi([scopeId], { nhiKind: 'OAUTH_CLIENT', expiresAt: null });
    const unbounded = await insertNhi([scopeId], { nhiKind: 'SECRET', expiresAt: null, rotationIntervalDays: null });
    const expiring = await insertNhi([scopeId], { nhiKind: 'SECRET', expiresAt: inDays(10), rotationIntervalDays: null });
    const agent = await insertNhi([scopeId], { nhiKind: 'AI_AGENT', expiresAt: null, rotationIntervalDays: null });
    const workload = await insertNhi([scopeId], { nhiKind: 'WORKLOAD_IDENTITY', expiresAt: null, rotationIntervalDays: null });
    const list = await findings(scopeId);
    expect(one(list, rotated, 'NO_EXPIRY')).toMatchObject({ severity: 'LOW', itemCode: 'NHI7' });
    expect(one(list, rotated, 'NO_EXPIRY').message).toMatch(/has no expiry date \(its rotation interval is 90 days\)/);
    expect(one(list, unbounded, 'NO_EXPIRY')).toMatchObject({ severity: 'MEDIUM', itemCode: 'NHI7' });
    expect(one(list, unbounded, 'NO_EXPIRY').message).toMatch(/nothing bounds its lifetime/);
    for (const id of [expiring, agent, workload]) expect(rulesOf(list, id)).toEqual([]);
  });

  test('each secret-bearing kind gets the NHI7 rules; WORKLOAD_IDENTITY and AI_AGENT do not', async () => {
    const kinds = ['SECRET', 'API_KEY', 'OAUTH_CLIENT', 'CERTIFICATE', 'SERVICE_ACCOUNT', 'WORKLOAD_IDENTITY', 'AI_AGENT'];
    const ids = await Promise.all(kinds.map((nhiKind) => insertNhi([scopeId], { nhiKind, expiresAt: null, lastRotatedAt: daysAgo(100), rotationIntervalDays: 30 })));
    const list = await findings(scopeId);
    const byKind = Object.fromEntries(kinds.map((k, i) => [k, rulesOf(list, ids[i])]));
    expect(byKind).toEqual({
      SECRET: ['NO_EXPIRY', 'ROTATION_OVERDUE'], API_KEY: ['NO_EXPIRY', 'ROTATION_OVERDUE'], OAUTH_CLIENT: ['NO_EXPIRY', 'ROTATION_OVERDUE'],
      CERTIFICATE: ['NO_EXPIRY', 'ROTATION_OVERDUE'], SERVICE_ACCOUNT: ['NO_EXPIRY', 'ROTATION_OVERDUE'], WORKLOAD_IDENTITY: [], AI_AGENT: [],
    });
  });

  test('NHI5: a privileged identity is PRIVILEGED (MEDIUM, HIGH in production); an unprivileged one is not', async () => {
    const staging = await insertNhi([scopeId], { privileged: true, environments: ['STAGING'] });
    const production = await insertNhi([scopeId], { privileged: true, environments: ['PRODUCTION'] });
    const plain = await insertNhi([scopeId], { privileged: false });
    const list = await findings(scopeId);
    expect(one(list, staging, 'PRIVILEGED')).toMatchObject({ severity: 'MEDIUM', itemCode: 'NHI5', item: { title: 'Overprivileged NHI' } });
    expect(one(list, production, 'PRIVILEGED')).toMatchObject({ severity: 'HIGH', itemCode: 'NHI5' });
    expect(one(list, production, 'PRIVILEGED').message).toMatch(/holds privileged rights and is used in PRODUCTION/);
    expect(rulesOf(list, plain)).toEqual([]);
  });

  test('NHI8: production and a non-production environment is CROSS_ENVIRONMENT (HIGH); one side only is not', async () => {
    const mixed = await insertNhi([scopeId], { environments: ['TEST', 'PRODUCTION', 'DEVELOPMENT'] });
    const staged = await insertNhi([scopeId], { environments: ['PRODUCTION', 'STAGING'] });
    const prodOnly = await insertNhi([scopeId], { environments: ['PRODUCTION'] });
    const nonProd = await insertNhi([scopeId], { environments: ['STAGING', 'DEVELOPMENT', 'TEST'] });
    const nowhere = await insertNhi([scopeId], { environments: [] });
    const list = await findings(scopeId);
    const a = one(list, mixed, 'CROSS_ENVIRONMENT');
    expect(a).toMatchObject({ severity: 'HIGH', itemCode: 'NHI8', item: { title: 'Environment Isolation' } });
    expect(a.message).toMatch(/is used in PRODUCTION and in DEVELOPMENT, TEST$/);
    expect(one(list, staged, 'CROSS_ENVIRONMENT').message).toMatch(/PRODUCTION and in STAGING$/);
    for (const id of [prodOnly, nonProd, nowhere]) expect(rulesOf(list, id)).toEqual([]);
  });

  test('NHI9: more than one active consumer is SHARED_BY_CONSUMERS (MEDIUM); one, none, or archived extra consumers are not', async () => {
    const shared = await insertNhi([scopeId], { consumers: 3 });
    const single = await insertNhi([scopeId], { consumers: 1 });
    const unused = await insertNhi([scopeId], { consumers: 0 });
    const formerlyShared = await insertNhi([scopeId], { consumers: 1, archivedConsumers: 2 });
    const list = await findings(scopeId);
    const a = one(list, shared, 'SHARED_BY_CONSUMERS');
    expect(a).toMatchObject({ severity: 'MEDIUM', itemCode: 'NHI9', item: { title: 'NHI Reuse' } });
    expect(a.message).toMatch(/is used by 3 applications/);
    for (const id of [single, unused, formerlyShared]) expect(rulesOf(list, id)).toEqual([]);
  });

  test('NHI10: flagged for human use is HUMAN_USE (MEDIUM); unflagged is not', async () => {
    const human = await insertNhi([scopeId], { humanUse: true });
    const machine = await insertNhi([scopeId], { humanUse: false });
    const list = await findings(scopeId);
    expect(one(list, human, 'HUMAN_USE')).toMatchObject({ severity: 'MEDIUM', itemCode: 'NHI10', item: { title: 'Human Use of NHI' } });
    expect(one(list, human, 'HUMAN_USE').message).toMatch(/is flagged as used by people/);
    expect(rulesOf(list, machine)).toEqual([]);
  });

  test('only active identities count: revoked, archived and non-NHI assets have no findings', async () => {
    const bad = { ownerId: null, privileged: true, humanUse: true, expiresAt: null };
    const revoked = await insertNhi([scopeId], { ...bad, revokedAt: daysAgo(1) });
    const archived = await insertNhi([scopeId], { ...bad, archivedAt: daysAgo(1) });
    const application = await insertNhi([scopeId], { ...bad, kind: 'APPLICATION', nhiKind: null });
    const live = await insertNhi([scopeId], bad);
    const list = await findings(scopeId);
    for (const id of [revoked, archived, application]) expect(of(list, id)).toEqual([]);
    expect(rulesOf(list, live)).toEqual(['HUMAN_USE', 'NO_ACTIVE_OWNER', 'NO_EXPIRY', 'PRIVILEGED']);
  });
});

describe('nhiFindings: severity, ids, scope tree, access, pages', () => {
  test('privileged and in production raises every finding of the identity one level, at most to CRITICAL; most severe first', async () => {
    const scopeId = (await createScope(app)).id;
    const exposed = await insertNhi([scopeId], {
      privileged: true, environments: ['PRODUCTION', 'DEVELOPMENT'], ownerId: null, humanUse: true, consumers: 2, expiresAt: null, rotationIntervalDays: 30, lastRotatedAt: daysAgo(60),
    });
    const list = await findings(scopeId);
    const severities = Object.fromEntries(of(list, exposed).map((f) => [f.rule, f.severity]));
    expect(severities).toEqual({
      NO_ACTIVE_OWNER: 'CRITICAL', CROSS_ENVIRONMENT: 'CRITICAL', PRIVILEGED: 'HIGH', HUMAN_USE: 'HIGH', SHARED_BY_CONSUMERS: 'HIGH',
      ROTATION_OVERDUE: 'HIGH', NO_EXPIRY: 'MEDIUM',
    });
    // privileged outside production: no raise
    const notExposed = await insertNhi([scopeId], { privileged: true, environments: ['STAGING'], ownerId: null, humanUse: true });
    const after = await findings(scopeId);
    expect(Object.fromEntries(of(after, notExposed).map((f) => [f.rule, f.severity]))).toEqual({ NO_ACTIVE_OWNER: 'HIGH', PRIVILEGED: 'MEDIUM', HUMAN_USE: 'MEDIUM' });
    // most severe first, then by asset id, then in rule order
    const rank = (s: string) => ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'].indexOf(s);
    const ruleOrder = Object.values(NhiFindingRule) as string[];
    const order = after.map((f) => [-rank(f.severity), f.asset.id, ruleOrder.indexOf(f.rule)] as const);
    expect(order).toEqual([...order].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2])));
  });

  test('ids are stable: derived from rule and asset, equal across reads, other changes and scopes', async () => {
    const parent = (await createScope(app)).id;
    const child = (await createScope(app, { parentId: parent })).id;
    const assetId = await insertNhi([child], { privileged: true, humanUse: true });
    const first = of(await findings(parent), assetId);
    expect(first.map((f) => f.id).sort()).toEqual([nhiFindingId(NhiFindingRule.HUMAN_USE, assetId), nhiFindingId(NhiFindingRule.PRIVILEGED, assetId)].sort());
    for (const f of first) expect(f.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await insertNhi([parent], { ownerId: null });
    await app.sql('UPDATE asset SET name = $2, updated_at = now() WHERE id = $1', [assetId, 'renamed-identity']);
    const again = of(await findings(parent), assetId);
    expect(again.map((f) => f.id).sort()).toEqual(first.map((f) => f.id).sort());
    expect(again[0].asset.name).toBe('renamed-identity');
    expect(of(await findings(child), assetId).map((f) => f.id).sort()).toEqual(first.map((f) => f.id).sort());
  });

  test('a scope\'s findings include its descendants\' identities, once each, and not its parent\'s or siblings\'', async () => {
    const root = (await createScope(app)).id;
    const child = (await createScope(app, { parentId: root })).id;
    const grandchild = (await createScope(app, { parentId: child })).id;
    const sibling = (await createScope(app, { parentId: root })).id;
    const inRoot = await insertNhi([root], { humanUse: true });
    const inGrandchild = await insertNhi([grandchild], { humanUse: true });
    const inTwo = await insertNhi([child, grandchild], { humanUse: true });
    const inSibling = await insertNhi([sibling], { humanUse: true });
    const elsewhere = await insertNhi([(await createScope(app)).id], { humanUse: true });
    const all = await findings(root);
    expect(new Set(all.map((f) => f.asset.id))).toEqual(new Set([inRoot, inGrandchild, inTwo, inSibling]));
    expect(of(all, inTwo)).toHaveLength(1);
    const fromChild = await findings(child);
    expect(new Set(fromChild.map((f) => f.asset.id))).toEqual(new Set([inGrandchild, inTwo]));
    expect(of(fromChild, elsewhere)).toEqual([]);
    expect(new Set((await findings(grandchild)).map((f) => f.asset.id))).toEqual(new Set([inGrandchild, inTwo]));
  });

  test('scope restriction: NOT_FOUND outside the key\'s scopes, its child scopes allowed; unknown scopes NOT_FOUND; no key UNAUTHENTICATED', async () => {
    const allowed = (await createScope(app)).id;
    const child = (await createScope(app, { parentId: allowed })).id;
    const other = (await createScope(app)).id;
    await insertNhi([child], { humanUse: true });
    await insertNhi([other], { humanUse: true });
    const restricted = await app.createKey([Permission.ISMS_READ], { scopeIds: [allowed] });
    expect(await findings(allowed, { key: restricted.secret })).toHaveLength(1);
    expect(await findings(child, { key: restricted.secret })).toHaveLength(1);
    const denied = await app.gql(FINDINGS, { scopeId: other }, restricted.secret);
    expect(errorCode(denied)).toBe('NOT_FOUND');
    expect(denied.data).toBeNull();
    expect(errorCode(await app.gql(FINDINGS, { scopeId: randomUUID() }))).toBe('NOT_FOUND');
    expect(errorCode(await app.gql(FINDINGS, { scopeId: 'not-a-uuid' }))).toBe('NOT_FOUND');
    expect(errorCode(await app.gql(FINDINGS, { scopeId: allowed }, null))).toBe('UNAUTHENTICATED');
    const catalogOnly = await app.createKey([Permission.CATALOG_WRITE]);
    expect(errorCode(await app.gql(FINDINGS, { scopeId: allowed }, catalogOnly.secret))).toBe('FORBIDDEN');
  });

  test('pages follow the cursor without gaps or repeats; filters narrow; bad cursors and page sizes are BAD_USER_INPUT', async () => {
    const scopeId = (await createScope(app)).id;
    for (let i = 0; i < 4; i += 1) await insertNhi([scopeId], { ownerId: null, humanUse: true, privileged: i % 2 === 0, environments: i === 0 ? ['PRODUCTION'] : ['STAGING'] });
    const all = await findings(scopeId);
    expect(all).toHaveLength(4 + 4 + 2);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: { totalCount: number; edges: Array<{ node: Finding }>; pageInfo: { hasNextPage: boolean; endCursor: string } } = ok(await app.gql(FINDINGS, { scopeId, first: 3, after })).nhiFindings;
      expect(page.totalCount).toBe(10);
      seen.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.map((f) => f.id));
    const high = await findings(scopeId, { filter: { severities: ['HIGH', 'CRITICAL'] } });
    expect(high.map((f) => f.severity)).toEqual(['CRITICAL', 'HIGH', 'HIGH', 'HIGH', 'HIGH', 'HIGH']);
    const human = await findings(scopeId, { filter: { rules: ['HUMAN_USE', 'PRIVILEGED'], severities: ['MEDIUM'] } });
    expect(human.map((f) => f.rule).sort()).toEqual(['HUMAN_USE', 'HUMAN_USE', 'HUMAN_USE', 'PRIVILEGED']);
    const empty = ok(await app.gql(FINDINGS, { scopeId, first: 0 })).nhiFindings;
    expect(empty).toMatchObject({ totalCount: 10, edges: [], pageInfo: { hasNextPage: true } });
    expect(errorCode(await app.gql(FINDINGS, { scopeId, after: 'bogus' }))).toBe('BAD_USER_INPUT');
    for (const forged of [['nhiFindings', 9, randomUUID(), 'HUMAN_USE'], ['nhiFindings', 2, 'x', 'HUMAN_USE'], ['nhiFindings', 2, randomUUID(), 'NOPE'], [2, randomUUID(), 'risks']]) {
      const after = Buffer.from(JSON.stringify(forged)).toString('base64url');
      expect(errorCode(await app.gql(FINDINGS, { scopeId, after }))).toBe('BAD_USER_INPUT');
    }
    expect(errorCode(await app.gql(FINDINGS, { scopeId, first: 501 }))).toBe('BAD_USER_INPUT');
  });

  test('a page of findings with their assets and items takes a fixed number of statements', async () => {
    const scopeId = (await createScope(app)).id;
    await insertNhi([scopeId], { humanUse: true });
    const small = await app.gql(FINDINGS, { scopeId, first: 500 });
    for (let i = 0; i < 15; i += 1) await insertNhi([scopeId], { humanUse: true, privileged: true });
    const large = await app.gql(FINDINGS, { scopeId, first: 500 });
    expect(ok(large).nhiFindings.edges).toHaveLength(31);
    expect(large.statements).toBe(small.statements);
  });
});

const CREATE = `mutation($input: CreateRisksFromFindingsInput!) {
  createRisksFromFindings(input: $input) {
    findingId created
    risk { id title description likelihood impact inherentScore inherentLevel status treatment scope { id } owner { id } threats { code framework { key } } } } }`;

interface FindingRiskResult {
  findingId: string;
  created: boolean;
  risk: { id: string; title: string; description: string; likelihood: number; impact: number; inherentScore: number; inherentLevel: string; status: string; treatment: string; scope: { id: string }; owner: { id: string }; threats: Array<{ code: string; framework: { key: string } }> };
}

async function createRisks(input: Record<string, unknown>, key?: string): Promise<FindingRiskResult[]> {
  return ok(await app.gql(CREATE, { input }, key)).createRisksFromFindings;
}

async function countRows(): Promise<Record<string, number>> {
  const [row] = await app.sql(`SELECT (SELECT count(*)::int FROM risk) AS risks, (SELECT count(*)::int FROM risk_threat) AS threats,
                                      (SELECT count(*)::int FROM risk_asset) AS assets, (SELECT count(*)::int FROM risk_finding) AS findings,
                                      (SELECT count(*)::int FROM audit_event) AS audits`);
  return row;
}

describe('createRisksFromFindings', () => {
  let scopeId: string;
  let riskOwner: string;
  beforeAll(async () => {
    scopeId = (await createScope(app)).id;
    riskOwner = (await createOwner(app)).id;
  });

  test('makes one risk per finding: item as threat, identity as asset, likelihood × impact from the severity, audited', async () => {
    const critical = await insertNhi([scopeId], { name: 'deploy-bot', ownerId: null, privileged: true, environments: ['PRODUCTION'] });
    const medium = await insertNhi([scopeId], { name: 'report-key', humanUse: true });
    const low = await insertNhi([scopeId], { name: 'webhook-secret', nhiKind: 'SECRET', expiresAt: null });
    const list = await findings(scopeId);
    const picked = [one(list, critical, 'NO_ACTIVE_OWNER'), one(list, critical, 'PRIVILEGED'), one(list, medium, 'HUMAN_USE'), one(list, low, 'NO_EXPIRY')];
    expect(picked.map((f) => f.severity)).toEqual(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']);
    const before = await countRows();
    const results = await createRisks({ findingIds: picked.map((f) => f.id), scopeId, ownerId: riskOwner });
    expect(results.map((r) => [r.findingId, r.created])).toEqual(picked.map((f) => [f.id, true]));
    expect(results.map((r) => [r.risk.likelihood, r.risk.impact, r.risk.inherentScore, r.risk.inherentLevel])).toEqual([
      [5, 5, 25, 'CRITICAL'], [4, 3, 12, 'HIGH'], [3, 3, 9, 'MEDIUM'], [2, 2, 4, 'LOW'],
    ]);
    expect(results.map((r) => r.risk.threats)).toEqual([
      [{ code: 'NHI1', framework: { key: 'owasp-nhi-top10-2025' } }], [{ code: 'NHI5', framework: { key: 'owasp-nhi-top10-2025' } }],
      [{ code: 'NHI10', framework: { key: 'owasp-nhi-top10-2025' } }], [{ code: 'NHI7', framework: { key: 'owasp-nhi-top10-2025' } }],
    ]);
    expect(results[0].risk).toMatchObject({ title: 'NHI1 Improper Offboarding: deploy-bot', status: 'IDENTIFIED', treatment: 'UNDECIDED', scope: { id: scopeId }, owner: { id: riskOwner } });
    expect(results[0].risk.description).toContain('deploy-bot (API_KEY) has no owner');
    expect(results[0].risk.description).toContain(picked[0].id);
    expect(results[3].risk.title).toBe('NHI7 Long-Lived Secrets: webhook-secret');
    const links = await app.sql('SELECT risk_id, asset_id FROM risk_asset WHERE risk_id = ANY($1::uuid[])', [results.map((r) => r.risk.id)]);
    expect(new Map(links.map((l) => [l.risk_id, l.asset_id]))).toEqual(new Map(results.map((r, i) => [r.risk.id, [critical, critical, medium, low][i]])));
    const recorded = await app.sql('SELECT finding_id, risk_id, rule, asset_id, scope_id FROM risk_finding WHERE risk_id = ANY($1::uuid[])', [results.map((r) => r.risk.id)]);
    expect(recorded).toHaveLength(4);
    const audits = await app.sql(`SELECT entity_id, after FROM audit_event WHERE operation = 'createRisksFromFindings' AND entity_id = ANY($1::uuid[])`, [results.map((r) => r.risk.id)]);
    expect(audits).toHaveLength(4);
    expect(audits.find((a) => a.entity_id === results[0].risk.id).after).toMatchObject({ findingId: picked[0].id, assetIds: [critical], scopeId });
    expect(await countRows()).toEqual({ risks: before.risks + 4, threats: before.threats + 4, assets: before.assets + 4, findings: before.findings + 4, audits: before.audits + 4 });
    // the register lists them like any risk
    const listed = ok(await app.gql('query($id: ID!) { risk(id: $id) { id title } }', { id: results[1].risk.id })).risk;
    expect(listed.title).toBe('NHI5 Overprivileged NHI: deploy-bot');
  });

  test('idempotent per finding: a second call returns the existing risk and writes nothing; a repeated id in one call is made once', async () => {
    const assetId = await insertNhi([scopeId], { humanUse: true, privileged: true });
    const [a, b] = of(await findings(scopeId), assetId).map((f) => f.id);
    const first = await createRisks({ findingIds: [a], scopeId, ownerId: riskOwner });
    const before = await countRows();
    const second = await createRisks({ findingIds: [a.toUpperCase(), b, a], scopeId, ownerId: riskOwner });
    expect(second.map((r) => [r.findingId, r.created])).toEqual([[a.toUpperCase(), false], [b, true], [a, false]]);
    expect(second[0].risk.id).toBe(first[0].risk.id);
    expect(second[2].risk.id).toBe(first[0].risk.id);
    expect(await countRows()).toMatchObject({ risks: before.risks + 1, findings: before.findings + 1 });
    const third = await createRisks({ findingIds: [b, b], scopeId, ownerId: riskOwner });
    expect(third.map((r) => [r.created, r.risk.id])).toEqual([[false, second[1].risk.id], [false, second[1].risk.id]]);
    // a finding resolved since its risk was made still answers with that risk
    await app.sql('UPDATE asset SET human_use = false WHERE id = $1', [assetId]);
    const resolved = await createRisks({ findingIds: [a], scopeId, ownerId: riskOwner });
    expect(resolved[0]).toMatchObject({ created: false, risk: { id: first[0].risk.id } });
  });

  test('20 concurrent calls for the same findings create each risk once', async () => {
    const ids = [await insertNhi([scopeId], { humanUse: true, consumers: 2 }), await insertNhi([scopeId], { ownerId: null })];
    const list = await findings(scopeId);
    const findingIds = ids.flatMap((id) => of(list, id).map((f) => f.id));
    expect(findingIds).toHaveLength(3);
    const before = await countRows();
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      app.gql(CREATE, { input: { findingIds: i % 2 ? findingIds : [...findingIds].reverse(), scopeId, ownerId: riskOwner } })));
    const results = responses.map((r) => ok(r).createRisksFromFindings as FindingRiskResult[]);
    const riskByFinding = new Map<string, Set<string>>();
    let created = 0;
    for (const result of results) {
      for (const r of result) {
        if (!riskByFinding.has(r.findingId)) riskByFinding.set(r.findingId, new Set());
        riskByFinding.get(r.findingId)!.add(r.risk.id);
        if (r.created) created += 1;
      }
    }
    expect([...riskByFinding.values()].map((s) => s.size)).toEqual([1, 1, 1]);
    expect(created).toBe(3);
    expect(await countRows()).toMatchObject({ risks: before.risks + 3, threats: before.threats + 3, assets: before.assets + 3, findings: before.findings + 3, audits: before.audits + 3 });
  });

  test('per register: the same finding becomes one risk in the parent\'s register and another in the child\'s', async () => {
    const parent = (await createScope(app)).id;
    const child = (await createScope(app, { parentId: parent })).id;
    const assetId = await insertNhi([child], { humanUse: true });
    const [finding] = of(await findings(parent), assetId);
    const [inParent] = await createRisks({ findingIds: [finding.id], scopeId: parent, ownerId: riskOwner });
    const [inChild] = await createRisks({ findingIds: [finding.id], scopeId: child, ownerId: riskOwner });
    expect(inParent.risk.scope.id).toBe(parent);
    expect(inChild.risk.scope.id).toBe(child);
    expect(inParent.risk.id).not.toBe(inChild.risk.id);
  });

  test('unknown, malformed, stale or foreign finding ids are BAD_USER_INPUT naming the index, and nothing is written', async () => {
    const assetId = await insertNhi([scopeId], { humanUse: true, privileged: true });
    const [good, soon] = of(await findings(scopeId), assetId).map((f) => f.id);
    const otherScope = (await createScope(app)).id;
    const foreignAsset = await insertNhi([otherScope], { humanUse: true });
    const [foreign] = of(await findings(otherScope), foreignAsset).map((f) => f.id);
    await app.sql('UPDATE asset SET privileged = false WHERE id = $1', [assetId]);
    const stale = [good, soon].find((id) => id === nhiFindingId(NhiFindingRule.PRIVILEGED, assetId))!;
    const live = [good, soon].find((id) => id !== stale)!;
    const before = await countRows();
    const cases: Array<[string[], number]> = [
      [[live, randomUUID()], 1],
      [[live, live, 'not-a-finding'], 2],
      [[stale, live], 0],
      [[live, foreign], 1],
      [[nhiFindingId(NhiFindingRule.PRIVILEGED, randomUUID())], 0],
    ];
    for (const [findingIds, index] of cases) {
      const res = await app.gql(CREATE, { input: { findingIds, scopeId, ownerId: riskOwner } });
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors![0].extensions).toMatchObject({ field: 'findingIds', index, path: `findingIds[${index}]` });
      expect(res.errors![0].message).toMatch(new RegExp(`^findingIds\\[${index}\\]: `));
    }
    const empty = await app.gql(CREATE, { input: { findingIds: [], scopeId, ownerId: riskOwner } });
    expect(errorCode(empty)).toBe('BAD_USER_INPUT');
    expect(await countRows()).toEqual(before);
  });

  test('bad scope, owner, permissions and scope restriction are refused, nothing written', async () => {
    const assetId = await insertNhi([scopeId], { humanUse: true });
    const [finding] = of(await findings(scopeId), assetId);
    const archivedOwner = (await createOwner(app)).id;
    await app.sql('UPDATE owner SET archived_at = now() WHERE id = $1', [archivedOwner]);
    const otherScope = (await createScope(app)).id;
    const reader = await app.createKey([Permission.ISMS_READ]);
    const restricted = await app.createKey([Permission.ISMS_WRITE], { scopeIds: [otherScope] });
    const before = await countRows();
    const input = { findingIds: [finding.id], scopeId, ownerId: riskOwner };
    const unknownScope = await app.gql(CREATE, { input: { ...input, scopeId: randomUUID() } });
    expect([errorCode(unknownScope), unknownScope.errors![0].extensions.field]).toEqual(['BAD_USER_INPUT', 'scopeId']);
    const unknownOwner = await app.gql(CREATE, { input: { ...input, ownerId: randomUUID() } });
    expect([errorCode(unknownOwner), unknownOwner.errors![0].extensions.field]).toEqual(['BAD_USER_INPUT', 'ownerId']);
    const archived = await app.gql(CREATE, { input: { ...input, ownerId: archivedOwner } });
    expect([errorCode(archived), archived.errors![0].extensions.field]).toEqual(['BAD_USER_INPUT', 'ownerId']);
    expect(errorCode(await app.gql(CREATE, { input }, reader.secret))).toBe('FORBIDDEN');
    expect(errorCode(await app.gql(CREATE, { input }, restricted.secret))).toBe('FORBIDDEN');
    expect(errorCode(await app.gql(CREATE, { input }, null))).toBe('UNAUTHENTICATED');
    expect(await countRows()).toEqual(before);
    // the restricted key may write its own scope's register
    const ownAsset = await insertNhi([otherScope], { humanUse: true });
    const [own] = of(await findings(otherScope), ownAsset);
    const [made] = await createRisks({ findingIds: [own.id], scopeId: otherScope, ownerId: riskOwner }, restricted.secret);
    expect(made).toMatchObject({ created: true, risk: { scope: { id: otherScope } } });
  });
});
