import { randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type TestApp, type GqlResponse } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { createControl, createRisk } from './helpers/isms-factories';
import { Permission } from '../src/auth/permissions';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

let seq = 0;
/** A prefix no other test of this file uses, so `search` isolates a test's risks. */
const prefix = () => `r${++seq}x${randomUUID().slice(0, 6)}`;

const FIELDS = `id title description likelihood impact inherentScore inherentLevel residualLikelihood residualImpact residualScore residualLevel
  treatment status reviewIntervalDays lastReviewedAt version createdAt updatedAt archivedAt scope { id } owner { id } controls { id }`;
const GET = `query($id: ID!) { risk(id: $id) { ${FIELDS} } }`;
const CREATE = `mutation($input: CreateRiskInput!, $k: String) { createRisk(input: $input, idempotencyKey: $k) { ${FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateRiskInput!, $v: Int!) { updateRisk(id: $id, input: $input, expectedVersion: $v) { ${FIELDS} } }`;
const ARCHIVE = 'mutation($id: ID!, $v: Int) { archiveRisk(id: $id, expectedVersion: $v) { id archivedAt version } }';
const LINK = 'mutation($c: ID!, $r: ID!) { linkControlToRisk(controlId: $c, riskId: $r) { id version controls { id } } }';
const UNLINK = 'mutation($c: ID!, $r: ID!) { unlinkControlFromRisk(controlId: $c, riskId: $r) { id version controls { id } } }';
const LIST = `query($filter: RiskFilter, $orderBy: RiskOrder, $first: Int, $after: String) {
  risks(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title inherentScore residualScore createdAt updatedAt } }
  }
}`;

async function rowCounts() {
  const [row] = await app.sql(`SELECT (SELECT count(*) FROM risk)::int AS risks, (SELECT count(*) FROM risk_control)::int AS links,
    (SELECT count(*) FROM audit_event)::int AS audits, (SELECT count(*) FROM idempotency_key)::int AS idem`);
  return row as Record<string, number>;
}

function expectFailure(res: GqlResponse, code: string, field?: string) {
  expect(errorCode(res)).toBe(code);
  expect(res.data).toBeNull();
  if (field !== undefined) expect(res.errors![0].extensions.field).toBe(field);
}

async function titlesOf(filter: Record<string, unknown>, key?: string): Promise<string[]> {
  const res = ok(await app.gql(LIST, { filter, first: 500 }, key)).risks;
  expect(res.totalCount).toBe(res.edges.length);
  return res.edges.map((e: any) => e.node.title);
}

describe('risk CRUD', () => {
  test('creates with every field, reads, updates, archives; an audit row per write', async () => {
    const owner = await createOwner(app);
    const scope = await createScope(app);
    const c1 = await createControl(app, { scopeIds: [scope.id] });
    const c2 = await createControl(app, { scopeIds: [scope.id] });
    const input = {
      title: '  Leaked CI token  ',
      description: 'A long-lived token in CI logs gives push access',
      scopeId: scope.id,
      ownerId: owner.id,
      likelihood: 4,
      impact: 5,
      treatment: 'MITIGATE',
      residualLikelihood: 2,
      residualImpact: 3,
      status: 'ASSESSED',
      reviewIntervalDays: 180,
      controlIds: [c2.id, c1.id, c2.id],
    };
    const created = ok(await app.gql(CREATE, { input })).createRisk;
    expect(created).toMatchObject({
      title: 'Leaked CI token', description: input.description, likelihood: 4, impact: 5, inherentScore: 20, inherentLevel: 'CRITICAL',
      residualLikelihood: 2, residualImpact: 3, residualScore: 6, residualLevel: 'MEDIUM', treatment: 'MITIGATE', status: 'ASSESSED',
      reviewIntervalDays: 180, lastReviewedAt: null, version: 1, archivedAt: null, scope: { id: scope.id }, owner: { id: owner.id },
    });
    expect(created.controls.map((c: any) => c.id).sort()).toEqual([c1.id, c2.id].sort());
    const [row] = await app.sql(`SELECT title, scope_id, owner_id, likelihood, impact, inherent_score, residual_likelihood_set, residual_impact_set, residual_score,
      treatment::text AS treatment, status::text AS status FROM risk WHERE id = $1`, [created.id]);
    expect(row).toEqual({ title: 'Leaked CI token', scope_id: scope.id, owner_id: owner.id, likelihood: 4, impact: 5, inherent_score: 20, residual_likelihood_set: 2, residual_impact_set: 3, residual_score: 6, treatment: 'MITIGATE', status: 'ASSESSED' });

    const read = ok(await app.gql(GET, { id: created.id })).risk;
    expect({ ...read, controls: read.controls.map((c: any) => c.id).sort() }).toEqual({ ...created, controls: created.controls.map((c: any) => c.id).sort() });
    // ids are case-insensitive
    expect(ok(await app.gql(GET, { id: created.id.toUpperCase() })).risk.id).toBe(created.id);

    const owner2 = await createOwner(app);
    const scope2 = await createScope(app);
    const reviewed = '2026-02-01T00:00:00.000Z';
    const updated = ok(await app.gql(UPDATE, {
      id: created.id, v: 1,
      input: { title: 'Leaked token', description: null, scopeId: scope2.id, ownerId: owner2.id, likelihood: 3, impact: 3, treatment: 'TRANSFER', status: 'TREATING', reviewIntervalDays: 30, lastReviewedAt: reviewed },
    })).updateRisk;
    expect(updated).toMatchObject({
      title: 'Leaked token', description: null, scope: { id: scope2.id }, owner: { id: owner2.id }, likelihood: 3, impact: 3, inherentScore: 9, inherentLevel: 'MEDIUM',
      residualLikelihood: 2, residualImpact: 3, residualScore: 6, treatment: 'TRANSFER', status: 'TREATING', reviewIntervalDays: 30, lastReviewedAt: reviewed, version: 2,
    });
    const partial = ok(await app.gql(UPDATE, { id: created.id, v: 2, input: { title: 'Leaked CI token, again' } })).updateRisk;
    expect(partial).toMatchObject({ title: 'Leaked CI token, again', likelihood: 3, treatment: 'TRANSFER', status: 'TREATING', version: 3, scope: { id: scope2.id } });

    const archived = ok(await app.gql(ARCHIVE, { id: created.id, v: 3 })).archiveRisk;
    expect(archived).toMatchObject({ version: 4 });
    expect(archived.archivedAt).not.toBeNull();
    expect(ok(await app.gql(GET, { id: created.id })).risk.archivedAt).toBe(archived.archivedAt);
    expect(await titlesOf({ scopeIds: [scope2.id] })).toEqual([]);
    expect(await titlesOf({ scopeIds: [scope2.id], includeArchived: true })).toEqual(['Leaked CI token, again']);
    expect(ok(await app.gql(ARCHIVE, { id: created.id })).archiveRisk).toEqual(archived);

    const audits = await app.sql('SELECT operation, after FROM audit_event WHERE entity_id = $1 ORDER BY (after->>\'version\')::int', [created.id]);
    expect(audits.map((a) => a.operation)).toEqual(['createRisk', 'updateRisk', 'updateRisk', 'archiveRisk']);
    expect(audits[0].after.controlIds.sort()).toEqual([c1.id, c2.id].sort());
  });

  test('defaults: UNDECIDED, IDENTIFIED, 365 days, residual = inherent, no controls', async () => {
    const r = await createRisk(app, { likelihood: 2, impact: 4 });
    const read = ok(await app.gql(GET, { id: r.id })).risk;
    expect(read).toMatchObject({
      treatment: 'UNDECIDED', status: 'IDENTIFIED', reviewIntervalDays: 365, description: null, controls: [],
      inherentScore: 8, residualLikelihood: 2, residualImpact: 4, residualScore: 8, inherentLevel: 'MEDIUM', residualLevel: 'MEDIUM',
    });
  });

  test('unknown or malformed id is NOT_FOUND for reads and writes', async () => {
    const control = await createControl(app);
    for (const id of [randomUUID(), 'risk-1']) {
      expectFailure(await app.gql(GET, { id }), 'NOT_FOUND');
      expectFailure(await app.gql(UPDATE, { id, v: 1, input: { title: 'x' } }), 'NOT_FOUND');
      expectFailure(await app.gql(ARCHIVE, { id }), 'NOT_FOUND');
      expectFailure(await app.gql(LINK, { c: control.id, r: id }), 'NOT_FOUND');
    }
  });

  test('a stale expectedVersion is CONFLICT and writes nothing', async () => {
    const r = await createRisk(app);
    ok(await app.gql(UPDATE, { id: r.id, v: 1, input: { likelihood: 4 } }));
    const before = await rowCounts();
    expectFailure(await app.gql(UPDATE, { id: r.id, v: 1, input: { likelihood: 1, title: 'Lost' } }), 'CONFLICT');
    expectFailure(await app.gql(ARCHIVE, { id: r.id, v: 1 }), 'CONFLICT');
    expect(await rowCounts()).toEqual(before);
    const [row] = await app.sql('SELECT title, likelihood, inherent_score, version, archived_at FROM risk WHERE id = $1', [r.id]);
    expect(row).toEqual({ title: 'A risk', likelihood: 4, inherent_score: 12, version: 2, archived_at: null });
  });

  test('concurrent updates against one version: one wins, the others are CONFLICT', async () => {
    const r = await createRisk(app);
    const results = await Promise.all([1, 2, 3, 4, 5].map((likelihood) => app.gql(UPDATE, { id: r.id, v: 1, input: { likelihood } })));
    const winners = results.filter((res) => !res.errors);
    expect(winners).toHaveLength(1);
    expect(results.filter((res) => errorCode(res) === 'CONFLICT')).toHaveLength(4);
    const [row] = await app.sql('SELECT likelihood, inherent_score, version FROM risk WHERE id = $1', [r.id]);
    expect(row).toEqual({ likelihood: winners[0].data!.updateRisk.likelihood, inherent_score: winners[0].data!.updateRisk.likelihood * 3, version: 2 });
  });

  test('idempotent createRisk: a retry returns the risk first created; another input is IDEMPOTENCY_KEY_REUSED', async () => {
    const scope = await createScope(app);
    const owner = await createOwner(app);
    const input = { title: 'Idempotent risk', scopeId: scope.id, ownerId: owner.id, likelihood: 2, impact: 2 };
    const results = await Promise.all(Array.from({ length: 5 }, () => app.gql(CREATE, { input, k: 'risk-1' })));
    expect(new Set(results.map((r) => ok(r).createRisk.id)).size).toBe(1);
    expect((await app.sql('SELECT count(*)::int AS n FROM risk WHERE scope_id = $1', [scope.id]))[0].n).toBe(1);
    const before = await rowCounts();
    expectFailure(await app.gql(CREATE, { input: { ...input, likelihood: 3 }, k: 'risk-1' }), 'IDEMPOTENCY_KEY_REUSED', 'idempotencyKey');
    expect(await rowCounts()).toEqual(before);
  });
});

describe('scores and levels, computed by the server', () => {
  let scope: string;
  let owner: string;
  beforeAll(async () => {
    scope = (await createScope(app)).id;
    owner = (await createOwner(app)).id;
  });

  // LOW ≤ 4 < MEDIUM ≤ 9 < HIGH ≤ 15 < CRITICAL, at each boundary from both sides
  const boundaries: Array<[number, number, number, string]> = [
    [1, 1, 1, 'LOW'], [1, 4, 4, 'LOW'], [2, 2, 4, 'LOW'], [5, 1, 5, 'MEDIUM'], [1, 5, 5, 'MEDIUM'],
    [3, 3, 9, 'MEDIUM'], [2, 5, 10, 'HIGH'], [5, 2, 10, 'HIGH'], [3, 5, 15, 'HIGH'], [5, 3, 15, 'HIGH'],
    [4, 4, 16, 'CRITICAL'], [4, 5, 20, 'CRITICAL'], [5, 5, 25, 'CRITICAL'],
  ];

  test.each(boundaries)('inherent %i × %i = %i (%s), and residual defaults to it', async (likelihood, impact, score, level) => {
    const r = ok(await app.gql(CREATE, { input: { title: `Boundary ${score}`, scopeId: scope, ownerId: owner, likelihood, impact } })).createRisk;
    expect(r).toMatchObject({ inherentScore: score, inherentLevel: level, residualLikelihood: likelihood, residualImpact: impact, residualScore: score, residualLevel: level });
    const [row] = await app.sql('SELECT inherent_score, residual_score, residual_likelihood_set, residual_impact_set FROM risk WHERE id = $1', [r.id]);
    expect(row).toEqual({ inherent_score: score, residual_score: score, residual_likelihood_set: null, residual_impact_set: null });
  });

  test.each(boundaries)('residual %i × %i = %i (%s), apart from the inherent score', async (likelihood, impact, score, level) => {
    const r = ok(await app.gql(CREATE, { input: { title: `Residual ${score}`, scopeId: scope, ownerId: owner, likelihood: 5, impact: 5, residualLikelihood: likelihood, residualImpact: impact } })).createRisk;
    expect(r).toMatchObject({ inherentScore: 25, inherentLevel: 'CRITICAL', residualLikelihood: likelihood, residualImpact: impact, residualScore: score, residualLevel: level });
  });

  test('updates recompute both scores; a residual factor set to null resets to the inherent one', async () => {
    const r = ok(await app.gql(CREATE, { input: { title: 'Moving', scopeId: scope, ownerId: owner, likelihood: 2, impact: 2 } })).createRisk;
    expect(r).toMatchObject({ inherentScore: 4, residualScore: 4, inherentLevel: 'LOW' });
    // inherent moves, residual follows while unset: 4 → 5 crosses LOW/MEDIUM
    let u = ok(await app.gql(UPDATE, { id: r.id, v: 1, input: { likelihood: 5, impact: 1 } })).updateRisk;
    expect(u).toMatchObject({ inherentScore: 5, inherentLevel: 'MEDIUM', residualScore: 5, residualLevel: 'MEDIUM', residualLikelihood: 5, residualImpact: 1 });
    // only the residual impact is set: residual likelihood still follows the inherent one
    u = ok(await app.gql(UPDATE, { id: r.id, v: 2, input: { residualImpact: 2 } })).updateRisk;
    expect(u).toMatchObject({ inherentScore: 5, residualLikelihood: 5, residualImpact: 2, residualScore: 10, residualLevel: 'HIGH' });
    u = ok(await app.gql(UPDATE, { id: r.id, v: 3, input: { likelihood: 4, impact: 4 } })).updateRisk;
    expect(u).toMatchObject({ inherentScore: 16, inherentLevel: 'CRITICAL', residualLikelihood: 4, residualImpact: 2, residualScore: 8, residualLevel: 'MEDIUM' });
    u = ok(await app.gql(UPDATE, { id: r.id, v: 4, input: { residualLikelihood: 3, residualImpact: 3 } })).updateRisk;
    expect(u).toMatchObject({ residualScore: 9, residualLevel: 'MEDIUM', inherentScore: 16 });
    u = ok(await app.gql(UPDATE, { id: r.id, v: 5, input: { residualLikelihood: null } })).updateRisk;
    expect(u).toMatchObject({ residualLikelihood: 4, residualImpact: 3, residualScore: 12, residualLevel: 'HIGH' });
    u = ok(await app.gql(UPDATE, { id: r.id, v: 6, input: { residualImpact: null } })).updateRisk;
    expect(u).toMatchObject({ residualLikelihood: 4, residualImpact: 4, residualScore: 16, residualLevel: 'CRITICAL' });
    const [row] = await app.sql('SELECT inherent_score, residual_score, residual_likelihood_set, residual_impact_set FROM risk WHERE id = $1', [r.id]);
    expect(row).toEqual({ inherent_score: 16, residual_score: 16, residual_likelihood_set: null, residual_impact_set: null });
    // and once reset, the residual follows the inherent values again
    u = ok(await app.gql(UPDATE, { id: r.id, v: 7, input: { impact: 1 } })).updateRisk;
    expect(u).toMatchObject({ inherentScore: 4, residualScore: 4, residualLevel: 'LOW' });
  });
});

describe('bad inputs are answered with their code, and nothing is written', () => {
  let scope: string;
  let owner: string;
  let archivedScope: string;
  let archivedOwner: string;
  let risk: { id: string };
  beforeAll(async () => {
    scope = (await createScope(app)).id;
    owner = (await createOwner(app)).id;
    archivedScope = (await createScope(app)).id;
    ok(await app.gql('mutation($id: ID!) { archiveScope(id: $id) { id } }', { id: archivedScope }));
    archivedOwner = (await createOwner(app)).id;
    ok(await app.gql('mutation($id: ID!) { archiveOwner(id: $id) { id } }', { id: archivedOwner }));
    risk = await createRisk(app, { scopeId: scope, ownerId: owner });
  });
  const valid = () => ({ title: 'Valid', scopeId: scope, ownerId: owner, likelihood: 3, impact: 3 });

  const createCases: Array<[string, () => Record<string, unknown>, string, string]> = [
    ['likelihood 0', () => ({ likelihood: 0 }), 'BAD_USER_INPUT', 'likelihood'],
    ['likelihood 6', () => ({ likelihood: 6 }), 'BAD_USER_INPUT', 'likelihood'],
    ['impact 0', () => ({ impact: 0 }), 'BAD_USER_INPUT', 'impact'],
    ['impact 6', () => ({ impact: 6 }), 'BAD_USER_INPUT', 'impact'],
    ['residual likelihood 6', () => ({ residualLikelihood: 6 }), 'BAD_USER_INPUT', 'residualLikelihood'],
    ['residual impact 0', () => ({ residualImpact: 0 }), 'BAD_USER_INPUT', 'residualImpact'],
    ['an unknown owner id', () => ({ ownerId: randomUUID() }), 'BAD_USER_INPUT', 'ownerId'],
    ['an archived owner', () => ({ ownerId: archivedOwner }), 'BAD_USER_INPUT', 'ownerId'],
    ['an unknown scope id', () => ({ scopeId: randomUUID() }), 'BAD_USER_INPUT', 'scopeId'],
    ['a malformed scope id', () => ({ scopeId: 'payments' }), 'BAD_USER_INPUT', 'scopeId'],
    ['an archived scope', () => ({ scopeId: archivedScope }), 'BAD_USER_INPUT', 'scopeId'],
    ['an empty title', () => ({ title: '' }), 'BAD_USER_INPUT', 'title'],
    ['a blank title', () => ({ title: ' \t ' }), 'BAD_USER_INPUT', 'title'],
    ['an unknown control id', () => ({ controlIds: [randomUUID()] }), 'BAD_USER_INPUT', 'controlIds'],
    ['status ACCEPTED', () => ({ status: 'ACCEPTED' }), 'INVALID_TRANSITION', ''],
  ];
  test.each(createCases)('createRisk with %s', async (_label, patch, code, field) => {
    const before = await rowCounts();
    const res = await app.gql(CREATE, { input: { ...valid(), ...patch() }, k: randomUUID() });
    expectFailure(res, code, field || undefined);
    expect(await rowCounts()).toEqual(before);
  });

  const updateCases: Array<[string, Record<string, unknown>, string, string]> = [
    ['likelihood 0', { likelihood: 0 }, 'BAD_USER_INPUT', 'likelihood'],
    ['likelihood 6', { likelihood: 6 }, 'BAD_USER_INPUT', 'likelihood'],
    ['likelihood null', { likelihood: null }, 'BAD_USER_INPUT', 'likelihood'],
    ['impact 6', { impact: 6 }, 'BAD_USER_INPUT', 'impact'],
    ['an unknown owner id', { ownerId: randomUUID() }, 'BAD_USER_INPUT', 'ownerId'],
    ['an unknown scope id', { scopeId: randomUUID() }, 'BAD_USER_INPUT', 'scopeId'],
    ['an empty title', { title: '' }, 'BAD_USER_INPUT', 'title'],
    ['a blank title', { title: '   ' }, 'BAD_USER_INPUT', 'title'],
    ['status ACCEPTED', { status: 'ACCEPTED' }, 'INVALID_TRANSITION', ''],
  ];
  test.each(updateCases)('updateRisk with %s', async (_label, input, code, field) => {
    const [start] = await app.sql('SELECT * FROM risk WHERE id = $1', [risk.id]);
    const before = await rowCounts();
    expectFailure(await app.gql(UPDATE, { id: risk.id, v: start.version, input }), code, field || undefined);
    expect(await rowCounts()).toEqual(before);
    expect((await app.sql('SELECT * FROM risk WHERE id = $1', [risk.id]))[0]).toEqual(start);
  });

  test('an archived scope as the new scope of a risk', async () => {
    const before = await rowCounts();
    expectFailure(await app.gql(UPDATE, { id: risk.id, v: 1, input: { scopeId: archivedScope } }), 'BAD_USER_INPUT', 'scopeId');
    expect(await rowCounts()).toEqual(before);
  });

  test('statuses other than ACCEPTED may be set directly', async () => {
    const r = await createRisk(app, { scopeId: scope, ownerId: owner, status: 'ASSESSED' });
    let v = r.version;
    for (const status of ['TREATING', 'CLOSED', 'IDENTIFIED']) {
      const u = ok(await app.gql(UPDATE, { id: r.id, v, input: { status } })).updateRisk;
      expect(u.status).toBe(status);
      v = u.version;
    }
  });
});

describe('control ↔ risk links', () => {
  test('link and unlink: idempotent, each real change bumps the version and writes an audit row; risk.controls in link order', async () => {
    const scope = await createScope(app);
    const risk = await createRisk(app, { scopeId: scope.id });
    const c1 = await createControl(app, { scopeIds: [scope.id] });
    const c2 = await createControl(app, { scopeIds: [scope.id] });
    const l1 = ok(await app.gql(LINK, { c: c1.id, r: risk.id })).linkControlToRisk;
    expect(l1).toEqual({ id: risk.id, version: 2, controls: [{ id: c1.id }] });
    expect(ok(await app.gql(LINK, { c: c1.id, r: risk.id })).linkControlToRisk).toEqual(l1);
    expect(ok(await app.gql(LINK, { c: c1.id.toUpperCase(), r: risk.id.toUpperCase() })).linkControlToRisk).toEqual(l1);
    const l2 = ok(await app.gql(LINK, { c: c2.id, r: risk.id })).linkControlToRisk;
    expect(l2).toEqual({ id: risk.id, version: 3, controls: [{ id: c1.id }, { id: c2.id }] });
    const u1 = ok(await app.gql(UNLINK, { c: c1.id, r: risk.id })).unlinkControlFromRisk;
    expect(u1).toEqual({ id: risk.id, version: 4, controls: [{ id: c2.id }] });
    expect(ok(await app.gql(UNLINK, { c: c1.id, r: risk.id })).unlinkControlFromRisk).toEqual(u1);
    expect(ok(await app.gql(UNLINK, { c: randomUUID(), r: risk.id })).unlinkControlFromRisk).toEqual(u1);

    expect(await app.sql('SELECT control_id FROM risk_control WHERE risk_id = $1', [risk.id])).toEqual([{ control_id: c2.id }]);
    const audits = await app.sql("SELECT operation, before, after FROM audit_event WHERE entity_id = $1 AND operation LIKE '%Risk' AND operation <> 'createRisk' ORDER BY (after->>'version')::int", [risk.id]);
    expect(audits.map((a) => [a.operation, a.before.version, a.after.version])).toEqual([
      ['linkControlToRisk', 1, 2], ['linkControlToRisk', 2, 3], ['unlinkControlFromRisk', 3, 4],
    ]);
    expect(audits.map((a) => a.after.linkedControlId ?? a.after.unlinkedControlId)).toEqual([c1.id, c2.id, c1.id]);
    // the control itself is not versioned by a risk link
    expect((await app.sql('SELECT version FROM control WHERE id = $1', [c1.id]))[0].version).toBe(1);
  });

  test('concurrent links of one pair make one link and one version', async () => {
    const risk = await createRisk(app);
    const control = await createControl(app);
    const results = await Promise.all(Array.from({ length: 6 }, () => app.gql(LINK, { c: control.id, r: risk.id })));
    for (const res of results) expect(ok(res).linkControlToRisk).toEqual({ id: risk.id, version: 2, controls: [{ id: control.id }] });
    expect((await app.sql("SELECT count(*)::int AS n FROM audit_event WHERE entity_id = $1 AND operation = 'linkControlToRisk'", [risk.id]))[0].n).toBe(1);
  });

  test('an unknown or archived control is BAD_USER_INPUT naming controlId; nothing written', async () => {
    const risk = await createRisk(app);
    const archived = await createControl(app);
    ok(await app.gql('mutation($id: ID!) { archiveControl(id: $id) { id } }', { id: archived.id }));
    const before = await rowCounts();
    expectFailure(await app.gql(LINK, { c: randomUUID(), r: risk.id }), 'BAD_USER_INPUT', 'controlId');
    expectFailure(await app.gql(LINK, { c: archived.id, r: risk.id }), 'BAD_USER_INPUT', 'controlId');
    expectFailure(await app.gql(UNLINK, { c: 'nope', r: risk.id }), 'BAD_USER_INPUT', 'controlId');
    expect(await rowCounts()).toEqual(before);
  });
});

describe('risk lists', () => {
  let p: string;
  let s1: string;
  let s2: string;
  let o1: string;
  let o2: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    p = prefix();
    s1 = (await createScope(app)).id;
    s2 = (await createScope(app)).id;
    o1 = (await createOwner(app)).id;
    o2 = (await createOwner(app)).id;
    const make = async (name: string, extra: Record<string, unknown>) => {
      ids[name] = (await createRisk(app, { title: `${p} ${name}`, ...extra })).id;
    };
    // inherent / residual: a 4/4 LOW/LOW, b 20/6 CRITICAL/MEDIUM, c 10/10 HIGH/HIGH, d 16/15 CRITICAL/HIGH, e 9/5 MEDIUM/MEDIUM, f archived 25/25
    await make('a', { scopeId: s1, ownerId: o1, likelihood: 2, impact: 2, treatment: 'ACCEPT', status: 'ASSESSED' });
    await make('b', { scopeId: s1, ownerId: o2, likelihood: 4, impact: 5, residualLikelihood: 2, residualImpact: 3, treatment: 'MITIGATE', status: 'TREATING' });
    await make('c', { scopeId: s2, ownerId: o1, likelihood: 2, impact: 5, treatment: 'MITIGATE', status: 'IDENTIFIED' });
    await make('d', { scopeId: s2, ownerId: o2, likelihood: 4, impact: 4, residualLikelihood: 5, residualImpact: 3, treatment: 'TRANSFER', status: 'ASSESSED' });
    await make('e 100%_done', { scopeId: s1, ownerId: o1, likelihood: 3, impact: 3, residualLikelihood: 1, residualImpact: 5, status: 'CLOSED' });
    await make('f', { scopeId: s2, ownerId: o1, likelihood: 5, impact: 5, treatment: 'AVOID' });
    ok(await app.gql(ARCHIVE, { id: ids.f }));
  });

  const names = async (filter: Record<string, unknown>) => (await titlesOf({ search: p, ...filter })).map((t) => t.slice(p.length + 1, p.length + 2)).sort();

  test('scope, owner, status and treatment filters take lists and combine with AND', async () => {
    expect(await names({})).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await names({ scopeIds: [s1] })).toEqual(['a', 'b', 'e']);
    expect(await names({ scopeIds: [s1, s2] })).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await names({ scopeIds: [randomUUID()] })).toEqual([]);
    expect(await names({ ownerIds: [o2] })).toEqual(['b', 'd']);
    expect(await names({ ownerIds: [o1], scopeIds: [s2] })).toEqual(['c']);
    expect(await names({ status: ['ASSESSED'] })).toEqual(['a', 'd']);
    expect(await names({ status: ['IDENTIFIED', 'CLOSED'] })).toEqual(['c', 'e']);
    expect(await names({ treatment: ['MITIGATE'] })).toEqual(['b', 'c']);
    expect(await names({ treatment: ['UNDECIDED', 'TRANSFER'] })).toEqual(['d', 'e']);
    expect(await names({ treatment: ['MITIGATE'], scopeIds: [s1] })).toEqual(['b']);
  });

  test('inherent and residual level filters use the bands, not the factors', async () => {
    expect(await names({ inherentLevel: ['LOW'] })).toEqual(['a']);
    expect(await names({ inherentLevel: ['MEDIUM'] })).toEqual(['e']);
    expect(await names({ inherentLevel: ['HIGH'] })).toEqual(['c']);
    expect(await names({ inherentLevel: ['CRITICAL'] })).toEqual(['b', 'd']);
    expect(await names({ inherentLevel: ['LOW', 'CRITICAL'] })).toEqual(['a', 'b', 'd']);
    expect(await names({ residualLevel: ['LOW'] })).toEqual(['a']);
    expect(await names({ residualLevel: ['MEDIUM'] })).toEqual(['b', 'e']);
    expect(await names({ residualLevel: ['HIGH'] })).toEqual(['c', 'd']);
    expect(await names({ residualLevel: ['CRITICAL'] })).toEqual([]);
    expect(await names({ inherentLevel: ['CRITICAL'], residualLevel: ['HIGH'] })).toEqual(['d']);
  });

  test('minResidualScore is inclusive', async () => {
    expect(await names({ minResidualScore: 1 })).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await names({ minResidualScore: 5 })).toEqual(['b', 'c', 'd', 'e']);
    expect(await names({ minResidualScore: 6 })).toEqual(['b', 'c', 'd']);
    expect(await names({ minResidualScore: 10 })).toEqual(['c', 'd']);
    expect(await names({ minResidualScore: 15 })).toEqual(['d']);
    expect(await names({ minResidualScore: 16 })).toEqual([]);
    expect(await names({ minResidualScore: 16, includeArchived: true })).toEqual(['f']);
    expect(errorCode(await app.gql(LIST, { filter: { minResidualScore: 26 } }))).toBe('BAD_USER_INPUT');
  });

  test('includeArchived shows archived risks with the other filters still applied', async () => {
    expect(await names({ includeArchived: true })).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(await names({ includeArchived: true, treatment: ['AVOID'] })).toEqual(['f']);
    expect(await names({ includeArchived: true, scopeIds: [s1] })).toEqual(['a', 'b', 'e']);
  });

  test('search matches the title case-insensitively, % and _ literally', async () => {
    expect(await titlesOf({ search: `${p} B` })).toEqual([`${p} b`]);
    expect(await titlesOf({ search: '100%_done', scopeIds: [s1] })).toEqual([`${p} e 100%_done`]);
    expect(await titlesOf({ search: `${p} e 1_0`, scopeIds: [s1] })).toEqual([]);
    expect(await titlesOf({ search: `${p}%`, scopeIds: [s1] })).toEqual([]);
  });

  test('bad filter values are BAD_USER_INPUT', async () => {
    expect(errorCode(await app.gql(LIST, { filter: { scopeIds: ['s1'] } }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(LIST, { filter: { inherentLevel: ['SEVERE'] } }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(LIST, { filter: { minResidualScore: 0 } }))).toBe('BAD_USER_INPUT');
  });
});

describe('risk orderBy with keyset paging', () => {
  const q = prefix();
  // title, likelihood, impact, residual likelihood: ties in every field
  const spec: Array<[string, number, number, number | null]> = [
    ['delta', 3, 3, null], ['alpha', 5, 5, 1], ['charlie', 2, 2, null], ['bravo', 3, 3, 2], ['alpha', 1, 4, null],
    ['echo', 4, 5, 3], ['bravo', 5, 2, null], ['delta', 2, 5, 1], ['charlie', 4, 4, 4], ['alpha', 3, 3, null],
  ];
  const ids: string[] = [];
  beforeAll(async () => {
    const scope = await createScope(app);
    const owner = await createOwner(app);
    for (const [title, likelihood, impact, residualLikelihood] of spec) {
      ids.push((await createRisk(app, { title: `${q} ${title}`, likelihood, impact, residualLikelihood, scopeId: scope.id, ownerId: owner.id })).id);
    }
    for (const i of [6, 1, 3]) ok(await app.gql(UPDATE, { id: ids[i], v: 1, input: { description: 'touched' } }));
  });

  const columns: Record<string, string> = { CREATED_AT: 'created_at', UPDATED_AT: 'updated_at', TITLE: 'title', INHERENT_SCORE: 'inherent_score', RESIDUAL_SCORE: 'residual_score' };
  async function expected(field: string, direction: string): Promise<string[]> {
    const rows = await app.sql(`SELECT id FROM risk WHERE id = ANY($1::uuid[]) ORDER BY ${columns[field]} ${direction}, id ${direction}`, [ids]);
    return rows.map((r) => r.id);
  }
  async function walk(orderBy: Record<string, string>, size: number) {
    const seen: any[] = [];
    let after: string | null = null;
    for (let page = 0; page < 50; page += 1) {
      const res: any = ok(await app.gql(LIST, { filter: { search: q }, orderBy, first: size, after })).risks;
      expect(res.totalCount).toBe(spec.length);
      seen.push(...res.edges.map((e: any) => e.node));
      if (!res.pageInfo.hasNextPage) return seen;
      expect(res.edges).toHaveLength(size);
      expect(res.pageInfo.endCursor).toBe(res.edges.at(-1).cursor);
      after = res.pageInfo.endCursor;
    }
    throw new Error('pagination did not end');
  }

  const cases: Array<[string, string, number]> = [];
  for (const field of Object.keys(columns)) for (const [direction, size] of [['ASC', 3], ['DESC', 4]] as const) cases.push([field, direction, size]);
  test.each(cases)('orderBy %s %s in pages of %i: every row once, in order, ties broken by id', async (field, direction, size) => {
    const all = await walk({ field, direction }, size);
    expect(all.map((n) => n.id)).toEqual(await expected(field, direction));
  });

  test('the orders mean what they say', async () => {
    const inh = (await walk({ field: 'INHERENT_SCORE', direction: 'DESC' }, 3)).map((n) => n.inherentScore);
    expect(inh).toEqual([...inh].sort((a, b) => b - a));
    expect(inh[0]).toBe(25);
    const res = (await walk({ field: 'RESIDUAL_SCORE', direction: 'ASC' }, 3)).map((n) => n.residualScore);
    expect(res).toEqual([...res].sort((a, b) => a - b));
    expect(res[0]).toBe(4);
    const created = await walk({ field: 'CREATED_AT', direction: 'ASC' }, 4);
    expect(created.map((n) => n.id)).toEqual(ids);
    const updated = await walk({ field: 'UPDATED_AT', direction: 'DESC' }, 4);
    expect(updated.slice(0, 3).map((n) => n.id)).toEqual([ids[3], ids[1], ids[6]]);
    const titles = (await walk({ field: 'TITLE', direction: 'ASC' }, 4)).map((n) => n.title.slice(q.length + 1));
    expect(titles.slice(0, 3)).toEqual(['alpha', 'alpha', 'alpha']);
  });

  test('default order is oldest first', async () => {
    const res = ok(await app.gql(LIST, { filter: { search: q } })).risks;
    expect(res.edges.map((e: any) => e.node.id)).toEqual(ids);
  });

  test('a cursor of another order is BAD_USER_INPUT', async () => {
    const page = ok(await app.gql(LIST, { filter: { search: q }, orderBy: { field: 'TITLE' }, first: 1 })).risks;
    for (const field of ['CREATED_AT', 'INHERENT_SCORE', 'RESIDUAL_SCORE']) {
      expect(errorCode(await app.gql(LIST, { filter: { search: q }, orderBy: { field }, first: 1, after: page.pageInfo.endCursor }))).toBe('BAD_USER_INPUT');
    }
  });
});

describe('a scope-restricted key', () => {
  let a: string;
  let aChild: string;
  let b: string;
  let owner: string;
  let riskA: { id: string };
  let riskChild: { id: string };
  let riskB: { id: string };
  let ctlA: { id: string };
  let ctlB: { id: string };
  let ctlAB: { id: string };
  let writer: string;
  let reader: string;
  let p: string;

  beforeAll(async () => {
    p = prefix();
    owner = (await createOwner(app)).id;
    a = (await createScope(app)).id;
    aChild = (await createScope(app, { parentId: a })).id;
    b = (await createScope(app)).id;
    ctlA = await createControl(app, { ownerId: owner, scopeIds: [a] });
    ctlB = await createControl(app, { ownerId: owner, scopeIds: [b] });
    ctlAB = await createControl(app, { ownerId: owner, scopeIds: [a, b] });
    riskA = await createRisk(app, { title: `${p} A`, scopeId: a, ownerId: owner, controlIds: [ctlA.id, ctlB.id, ctlAB.id] });
    riskChild = await createRisk(app, { title: `${p} child`, scopeId: aChild, ownerId: owner, likelihood: 5, impact: 5 });
    riskB = await createRisk(app, { title: `${p} B`, scopeId: b, ownerId: owner, controlIds: [ctlB.id], likelihood: 5, impact: 5 });
    writer = (await app.createKey([Permission.ISMS_WRITE], { scopeIds: [a] })).secret;
    reader = (await app.createKey([Permission.ISMS_READ], { scopeIds: [a] })).secret;
  });

  test('reads its scopes\' risks; another scope\'s risk is NOT_FOUND', async () => {
    expect(ok(await app.gql(GET, { id: riskA.id }, reader)).risk.id).toBe(riskA.id);
    expect(ok(await app.gql(GET, { id: riskChild.id }, reader)).risk.id).toBe(riskChild.id);
    expectFailure(await app.gql(GET, { id: riskB.id }, reader), 'NOT_FOUND');
  });

  test('risk.controls omits a control that operates only in other scopes', async () => {
    const res = ok(await app.gql(GET, { id: riskA.id }, reader)).risk;
    expect(res.controls.map((c: any) => c.id).sort()).toEqual([ctlA.id, ctlAB.id].sort());
    const admin = ok(await app.gql(GET, { id: riskA.id })).risk;
    expect(admin.controls).toHaveLength(3);
  });

  test('lists and totalCount omit other scopes\' risks, whatever the filter asks', async () => {
    expect((await titlesOf({ search: p }, reader)).sort()).toEqual([`${p} A`, `${p} child`]);
    expect(await titlesOf({ search: p, scopeIds: [b] }, reader)).toEqual([]);
    expect(await titlesOf({ search: p, minResidualScore: 25 }, reader)).toEqual([`${p} child`]);
    const page = ok(await app.gql(LIST, { filter: { search: p, includeArchived: true }, first: 1 }, reader)).risks;
    expect(page.totalCount).toBe(2);
  });

  test('scopes { risks } shows only its scopes and their risks', async () => {
    const Q = '{ scopes(first: 50) { edges { node { id risks(first: 50) { totalCount edges { node { id controls { id } } } } } } } }';
    const scopes = ok(await app.gql(Q, {}, reader)).scopes.edges.map((e: any) => e.node);
    expect(scopes.map((s: any) => s.id).sort()).toEqual([a, aChild].sort());
    const byScope = Object.fromEntries(scopes.map((s: any) => [s.id, s.risks]));
    expect(byScope[a].edges.map((e: any) => e.node.id)).toEqual([riskA.id]);
    expect(byScope[a].totalCount).toBe(1);
    expect(byScope[a].edges[0].node.controls.map((c: any) => c.id).sort()).toEqual([ctlA.id, ctlAB.id].sort());
    expect(byScope[aChild].edges.map((e: any) => e.node.id)).toEqual([riskChild.id]);
    expectFailure(await app.gql('query($id: ID) { scope(id: $id) { risks { totalCount } } }', { id: b }, reader), 'NOT_FOUND');
  });

  test('writes inside its scopes succeed', async () => {
    const made = ok(await app.gql(CREATE, { input: { title: `${p} mine`, scopeId: aChild, ownerId: owner, likelihood: 2, impact: 2, controlIds: [ctlAB.id] } }, writer)).createRisk;
    expect(made.scope).toEqual({ id: aChild });
    const moved = ok(await app.gql(UPDATE, { id: made.id, v: 1, input: { scopeId: a } }, writer)).updateRisk;
    expect(moved.scope).toEqual({ id: a });
    ok(await app.gql(LINK, { c: ctlA.id, r: made.id }, writer));
    ok(await app.gql(ARCHIVE, { id: made.id }, writer));
    // ids are case-insensitive, also where the key's scopes are checked
    const upper = ok(await app.gql(CREATE, { input: { title: `${p} upper`, scopeId: a.toUpperCase(), ownerId: owner.toUpperCase(), likelihood: 1, impact: 1 } }, writer)).createRisk;
    expect(upper.scope).toEqual({ id: a });
    const movedUpper = ok(await app.gql(UPDATE, { id: upper.id.toUpperCase(), v: 1, input: { scopeId: aChild.toUpperCase() } }, writer)).updateRisk;
    expect(movedUpper).toMatchObject({ version: 2, scope: { id: aChild } });
    ok(await app.gql(ARCHIVE, { id: upper.id }, writer));
  });

  test('writes touching another scope are FORBIDDEN; another scope\'s risk is NOT_FOUND; nothing is written', async () => {
    const before = await rowCounts();
    expectFailure(await app.gql(CREATE, { input: { title: 'Theirs', scopeId: b, ownerId: owner, likelihood: 1, impact: 1 } }, writer), 'FORBIDDEN');
    expectFailure(await app.gql(CREATE, { input: { title: 'Uses B', scopeId: a, ownerId: owner, likelihood: 1, impact: 1, controlIds: [ctlB.id] } }, writer), 'FORBIDDEN');
    expectFailure(await app.gql(UPDATE, { id: riskA.id, v: 1, input: { scopeId: b } }, writer), 'FORBIDDEN');
    expectFailure(await app.gql(LINK, { c: ctlB.id, r: riskA.id }, writer), 'FORBIDDEN');
    expectFailure(await app.gql('mutation($c: ID!, $s: ID!) { linkControlToScope(controlId: $c, scopeId: $s) { id } }', { c: ctlA.id, s: b }, writer), 'FORBIDDEN');
    expectFailure(await app.gql(UPDATE, { id: riskB.id, v: 1, input: { title: 'Taken' } }, writer), 'NOT_FOUND');
    expectFailure(await app.gql(ARCHIVE, { id: riskB.id }, writer), 'NOT_FOUND');
    expectFailure(await app.gql(LINK, { c: ctlA.id, r: riskB.id }, writer), 'NOT_FOUND');
    expectFailure(await app.gql(UNLINK, { c: ctlB.id, r: riskB.id }, writer), 'NOT_FOUND');
    expect(await rowCounts()).toEqual(before);
    expect((await app.sql('SELECT version, title, scope_id FROM risk WHERE id = ANY($1::uuid[]) ORDER BY title', [[riskA.id, riskB.id]]))).toEqual([
      { version: 1, title: `${p} A`, scope_id: a }, { version: 1, title: `${p} B`, scope_id: b },
    ]);
  });
});

describe('permissions', () => {
  test('isms:read reads but may not write; treatment:write may not write risks', async () => {
    const scope = await createScope(app);
    const owner = await createOwner(app);
    const risk = await createRisk(app, { scopeId: scope.id, ownerId: owner.id });
    const control = await createControl(app, { scopeIds: [scope.id] });
    for (const permission of [Permission.ISMS_READ, Permission.TREATMENT_WRITE]) {
      const key = (await app.createKey([permission])).secret;
      expect(ok(await app.gql(GET, { id: risk.id }, key)).risk.id).toBe(risk.id);
      expect(ok(await app.gql(LIST, { filter: { scopeIds: [scope.id] } }, key)).risks.totalCount).toBe(1);
      const before = await rowCounts();
      expectFailure(await app.gql(CREATE, { input: { title: 'No', scopeId: scope.id, ownerId: owner.id, likelihood: 1, impact: 1 } }, key), 'FORBIDDEN');
      expectFailure(await app.gql(UPDATE, { id: risk.id, v: 1, input: { title: 'No' } }, key), 'FORBIDDEN');
      expectFailure(await app.gql(ARCHIVE, { id: risk.id }, key), 'FORBIDDEN');
      expectFailure(await app.gql(LINK, { c: control.id, r: risk.id }, key), 'FORBIDDEN');
      expectFailure(await app.gql(UNLINK, { c: control.id, r: risk.id }, key), 'FORBIDDEN');
      expect(await rowCounts()).toEqual(before);
    }
  });
});
