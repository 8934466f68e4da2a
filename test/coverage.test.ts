import { randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type TestApp } from './helpers/app';
import { Permission } from '../src/auth/permissions';
import { createOwner, createScope } from './helpers/factories';
import { createControl } from './helpers/isms-factories';
import { APPROVE_EXCEPTION, REQUEST_EXCEPTION, REVOKE_EXCEPTION, inDays } from './helpers/core-factories';
import { createCrosswalk, createFramework, createMapping, createRequirement, expectFailure } from './catalog-factories';

/**
 * Coverage and gap assessment on a hand-built scenario (DOMAIN.md "Coverage"). Three custom
 * frameworks: F1 (the source: requirements S-*), F2 (M-*) and F3 (the one mostly assessed), with
 * approved crosswalks F1→F2 (X12), F2→F3 (X23), F1→F3 (X13) and a DRAFT F1→F3 (X13D).
 *
 * Scope S and its controls:
 *   C_impl     IMPLEMENTED  S-A S-B S-C S-D S-E, D1, COVEX, NAIMPL
 *   C_planned  PLANNED      PLANNED, EXPART, S-P
 *   C_inprog   IN_PROGRESS  INPROG
 *   C_retired  RETIRED      RETIRED
 *   C_ns       NOT_STARTED  NOTSTARTED, S-N
 *   C_ns2      NOT_STARTED  S-I, S-D
 *   C_exc      NOT_STARTED  EXCTL
 *   C_arch     IMPLEMENTED, archived: GINT
 * Scope S2 (another scope): C_other IMPLEMENTED and C_other2 NOT_STARTED, both implementing FAR.
 *
 * Mappings (source REL target):
 *   X12: S-A EQUAL M-A; S-B EQUAL M-B; S-E EQUAL M-E; S-A SUBSET_OF M-S
 *   X23: M-A SUPERSET_OF FULL2; M-B INTERSECTS_WITH PART2; M-A EQUAL BEST; M-E EQUAL M; M-E2 EQUAL M;
 *        M-E2 EQUAL FAR; M-R SUBSET_OF D1; M-X SUPERSET_OF D1; M-Y SUBSET_OF PLANNED; M-Z SUPERSET_OF PLANNED;
 *        M-W EQUAL INH; M-V EQUAL EXREQ
 *   X13: S-B INTERSECTS_WITH PART1; S-B INTERSECTS_WITH BEST; S-D NOT_RELATED NREL; S-P EQUAL NOPROP;
 *        S-N EQUAL GEQ; S-I INTERSECTS_WITH GINT
 *   X13D (DRAFT): S-C EQUAL DRAFT
 *
 * SoA of S: D1 APPLICABLE; NA and NAIMPL NOT_APPLICABLE; INH INHERITED.
 * Exceptions of S: E_req (requirement EXREQ, approved), E_both (control C_exc and requirement
 * EXPART, approved), E_cov (requirement COVEX, approved), E_na (requirement NA, approved), E_exp
 * (requirement EXPIRED, approved, then expires_at moved into the past), E_pending (requirement
 * RETIRED, only requested), E_revoked (requirement NOPROP, approved then revoked). Of S2: E_other
 * (requirement NOTSTARTED, approved).
 */

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const COVERAGE = `query($scope: ID!, $key: String!, $status: [CoverageStatus!]) {
  coverage(scopeId: $scope, frameworkKey: $key) {
    scope { id } framework { key }
    counts { total covered excluded excepted partial notCovered }
    percentages { covered excepted partial notCovered }
    groups { groupId code counts { total covered excluded excepted partial notCovered } percentages { covered excepted partial notCovered } }
    requirements(status: $status) {
      requirementId code status applicability
      chain { fromRequirementId strength hops mappingIds relationships }
      chainPath { id relationship source { code } target { code } }
      chainFrom { id code framework { key } }
      controls { id code status }
      exception { id status requirement { id code } control { id } }
      explanation
    }
  }
}`;

const GAPS = `query($scope: ID!, $key: String!) {
  gapAssessment(scopeId: $scope, frameworkKey: $key) {
    scope { id } framework { key }
    gaps { requirementId code status wouldReach candidates { controlId viaRequirementId mappingId wouldReach control { code status } via { code } mapping { id relationship } } }
  }
}`;

interface Row {
  requirementId: string;
  code: string;
  status: string;
  applicability: string;
  chain: { fromRequirementId: string; strength: string; hops: number; mappingIds: string[]; relationships: string[] } | null;
  chainPath: Array<{ id: string; relationship: string; source: { code: string }; target: { code: string } }>;
  chainFrom: { id: string; code: string; framework: { key: string } } | null;
  controls: Array<{ id: string; code: string; status: string }>;
  exception: { id: string; status: string; requirement: { id: string; code: string } | null; control: { id: string } | null } | null;
  explanation: string;
}

async function coverage(scopeId: string, frameworkKey: string, status?: string[]): Promise<any> {
  return ok(await app.gql(COVERAGE, { scope: scopeId, key: frameworkKey, status: status ?? null })).coverage;
}

async function rowsByCode(scopeId: string, frameworkKey: string): Promise<Record<string, Row>> {
  const c = await coverage(scopeId, frameworkKey);
  return Object.fromEntries(c.requirements.map((r: Row) => [r.code, r]));
}

async function gaps(scopeId: string, frameworkKey: string): Promise<any[]> {
  return ok(await app.gql(GAPS, { scope: scopeId, key: frameworkKey })).gapAssessment.gaps;
}

async function link(controlId: string, requirementId: string): Promise<void> {
  ok(await app.gql('mutation($c: ID!, $r: ID!) { linkControlToRequirement(controlId: $c, requirementId: $r) { id } }', { c: controlId, r: requirementId }));
}

/** A SoA decision, written directly (columns of soa_entry). */
async function setSoa(scopeId: string, requirementId: string, applicability: string, justification: string | null): Promise<void> {
  await app.sql(
    `INSERT INTO soa_entry (id, scope_id, requirement_id, applicability, justification, drivers, version)
     VALUES ($1, $2, $3, $4, $5, '{}', 1)`,
    [randomUUID(), scopeId, requirementId, applicability, justification],
  );
}

async function requestException(scopeId: string, target: { controlId?: string; requirementId?: string }, requesterId: string): Promise<any> {
  return ok(await app.gql(REQUEST_EXCEPTION, {
    input: { kind: 'CONTROL_EXCEPTION', scopeId, requestedById: requesterId, justification: 'Legacy platform, replacement planned', ...target },
  })).requestException;
}

async function approvedException(scopeId: string, target: { controlId?: string; requirementId?: string }, requesterId: string, approverId: string): Promise<any> {
  const requested = await requestException(scopeId, target, requesterId);
  return ok(await app.gql(APPROVE_EXCEPTION, { id: requested.id, approverId, expiresAt: inDays(30), v: requested.version })).approveException;
}

// ---------------------------------------------------------------------------------------------
// The scenario

const F1_CODES = ['S-A', 'S-B', 'S-C', 'S-D', 'S-E', 'S-P', 'S-N', 'S-I'];
const F2_CODES = ['M-A', 'M-B', 'M-E', 'M-E2', 'M-R', 'M-S', 'M-X', 'M-Y', 'M-Z', 'M-W', 'M-V'];
/** F3's groups (not assessable) and their assessable requirements, in catalog order. */
const F3_LAYOUT: Array<{ group: string; kind: string; parent: string | null; codes: string[] }> = [
  { group: 'TOP', kind: 'THEME', parent: null, codes: [] },
  { group: 'G1', kind: 'GROUP', parent: 'TOP', codes: ['D1', 'FULL2', 'PART2', 'PART1', 'DRAFT', 'NREL', 'BEST', 'M', 'FAR'] },
  { group: 'G2', kind: 'GROUP', parent: 'TOP', codes: ['NA', 'NAIMPL', 'INH', 'EXREQ', 'EXCTL', 'EXPIRED', 'COVEX', 'EXPART'] },
  { group: 'G3', kind: 'GROUP', parent: null, codes: ['PLANNED', 'INPROG', 'RETIRED', 'NOTSTARTED', 'NOPROP', 'GEQ', 'GINT'] },
];
const F3_CODES = F3_LAYOUT.flatMap((g) => g.codes);

/**
 * The expected status of every F3 requirement in scope S, worked out from DOMAIN.md's rules
 * (first matching rule wins: EXCLUDED, COVERED, EXCEPTED, PARTIAL, NOT_COVERED).
 */
const F3_EXPECTED: Record<string, string> = {
  // rule 2, directly: C_impl (IMPLEMENTED) implements it
  D1: 'COVERED',
  // rule 2, chain: S-A (covered by C_impl) EQUAL M-A (FULL), M-A SUPERSET_OF FULL2 (FULL): FULL chain of 2
  FULL2: 'COVERED',
  // rule 4: S-B EQUAL M-B (FULL), then M-B INTERSECTS_WITH PART2: the chain turns PARTIAL at its second hop
  PART2: 'PARTIAL',
  // rule 4: S-B INTERSECTS_WITH PART1: one PARTIAL hop
  PART1: 'PARTIAL',
  // S-C EQUAL DRAFT exists only in the DRAFT crosswalk, which does not count
  DRAFT: 'NOT_COVERED',
  // S-D NOT_RELATED NREL is no hop
  NREL: 'NOT_COVERED',
  // S-B INTERSECTS_WITH BEST is a PARTIAL chain of 1, but S-A EQUAL M-A EQUAL BEST is FULL: the FULL chain wins
  BEST: 'COVERED',
  // S-E EQUAL M-E EQUAL M: FULL chain of 2
  M: 'COVERED',
  // S-E → M-E → M → M-E2 → FAR would be 4 hops (chains have at most 3); C_other implements it only in S2
  FAR: 'NOT_COVERED',
  // rule 1: SoA NOT_APPLICABLE (E_na names it as well: EXCLUDED comes first)
  NA: 'EXCLUDED',
  // rule 1 beats rule 2: NOT_APPLICABLE although C_impl (IMPLEMENTED) implements it
  NAIMPL: 'EXCLUDED',
  // rule 2: SoA INHERITED
  INH: 'COVERED',
  // rule 3: E_req, approved and unexpired, names the requirement
  EXREQ: 'EXCEPTED',
  // rule 3: E_both names C_exc, a (NOT_STARTED) control implementing it
  EXCTL: 'EXCEPTED',
  // E_exp is past its expiresAt: it no longer excepts, and nothing else applies
  EXPIRED: 'NOT_COVERED',
  // rule 2 beats rule 3: implemented by C_impl although E_cov names it
  COVEX: 'COVERED',
  // rule 3 beats rule 4: E_both names it although C_planned (PLANNED) implements it
  EXPART: 'EXCEPTED',
  // rule 4: C_planned is PLANNED
  PLANNED: 'PARTIAL',
  // rule 4: C_inprog is IN_PROGRESS
  INPROG: 'PARTIAL',
  // RETIRED counts for nothing; E_pending is only REQUESTED
  RETIRED: 'NOT_COVERED',
  // NOT_STARTED counts for nothing; E_other belongs to another scope
  NOTSTARTED: 'NOT_COVERED',
  // S-P EQUAL NOPROP, but S-P is only PARTIAL (C_planned): chains start only at directly covered requirements; E_revoked was revoked
  NOPROP: 'NOT_COVERED',
  // S-N EQUAL GEQ, but S-N's only control (C_ns) is NOT_STARTED
  GEQ: 'NOT_COVERED',
  // S-I INTERSECTS_WITH GINT, S-I's control C_ns2 is NOT_STARTED; C_arch is IMPLEMENTED but archived
  GINT: 'NOT_COVERED',
};

interface Scenario {
  f1: string; f2: string; f3: string;
  req: Record<string, string>;
  ctl: Record<string, { id: string; code: string }>;
  map: Record<string, string>;
  x13d: { id: string; version: number };
  exc: Record<string, string>;
  scope: string; scope2: string;
}
let s: Scenario;

beforeAll(async () => {
  const f1 = await createFramework(app, { name: 'F1 source' });
  const f2 = await createFramework(app, { name: 'F2 middle' });
  const f3 = await createFramework(app, { name: 'F3 assessed' });
  const req: Record<string, string> = {};
  for (const code of F1_CODES) req[code] = (await createRequirement(app, f1.id, code)).id;
  for (const code of F2_CODES) req[code] = (await createRequirement(app, f2.id, code)).id;
  for (const g of F3_LAYOUT) {
    req[g.group] = (await createRequirement(app, f3.id, g.group, { kind: g.kind, assessable: false, parentId: g.parent ? req[g.parent] : null })).id;
    for (const code of g.codes) req[code] = (await createRequirement(app, f3.id, code, { parentId: req[g.group] })).id;
  }

  const x12 = await createCrosswalk(app, f1.id, f2.id);
  const x23 = await createCrosswalk(app, f2.id, f3.id);
  const x13 = await createCrosswalk(app, f1.id, f3.id);
  const x13d = await createCrosswalk(app, f1.id, f3.id, { status: 'DRAFT' });
  expect([x12.status, x23.status, x13.status, x13d.status]).toEqual(['APPROVED', 'APPROVED', 'APPROVED', 'DRAFT']);
  const map: Record<string, string> = {};
  const mappings: Array<[string, string, string, string]> = [
    [x12.id, 'S-A', 'EQUAL', 'M-A'], [x12.id, 'S-B', 'EQUAL', 'M-B'], [x12.id, 'S-E', 'EQUAL', 'M-E'], [x12.id, 'S-A', 'SUBSET_OF', 'M-S'],
    [x23.id, 'M-A', 'SUPERSET_OF', 'FULL2'], [x23.id, 'M-B', 'INTERSECTS_WITH', 'PART2'], [x23.id, 'M-A', 'EQUAL', 'BEST'],
    [x23.id, 'M-E', 'EQUAL', 'M'], [x23.id, 'M-E2', 'EQUAL', 'M'], [x23.id, 'M-E2', 'EQUAL', 'FAR'],
    [x23.id, 'M-R', 'SUBSET_OF', 'D1'], [x23.id, 'M-X', 'SUPERSET_OF', 'D1'], [x23.id, 'M-Y', 'SUBSET_OF', 'PLANNED'], [x23.id, 'M-Z', 'SUPERSET_OF', 'PLANNED'],
    [x23.id, 'M-W', 'EQUAL', 'INH'], [x23.id, 'M-V', 'EQUAL', 'EXREQ'],
    [x13.id, 'S-B', 'INTERSECTS_WITH', 'PART1'], [x13.id, 'S-B', 'INTERSECTS_WITH', 'BEST'], [x13.id, 'S-D', 'NOT_RELATED', 'NREL'],
    [x13.id, 'S-P', 'EQUAL', 'NOPROP'], [x13.id, 'S-N', 'EQUAL', 'GEQ'], [x13.id, 'S-I', 'INTERSECTS_WITH', 'GINT'],
    [x13d.id, 'S-C', 'EQUAL', 'DRAFT'],
  ];
  for (const [crosswalk, source, relationship, target] of mappings) {
    map[`${source}>${target}`] = (await createMapping(app, crosswalk, req[source], req[target], relationship)).id;
  }

  const owner = await createOwner(app);
  const scope = (await createScope(app, { ownerId: owner.id })).id;
  const scope2 = (await createScope(app, { ownerId: owner.id })).id;
  const ctl: Scenario['ctl'] = {};
  const controls: Array<[string, string, string, string[]]> = [
    ['C_impl', 'IMPLEMENTED', scope, ['S-A', 'S-B', 'S-C', 'S-D', 'S-E', 'D1', 'COVEX', 'NAIMPL']],
    ['C_planned', 'PLANNED', scope, ['PLANNED', 'EXPART', 'S-P']],
    ['C_inprog', 'IN_PROGRESS', scope, ['INPROG']],
    ['C_retired', 'RETIRED', scope, ['RETIRED']],
    ['C_ns', 'NOT_STARTED', scope, ['NOTSTARTED', 'S-N']],
    ['C_ns2', 'NOT_STARTED', scope, ['S-I', 'S-D']],
    ['C_exc', 'NOT_STARTED', scope, ['EXCTL']],
    ['C_arch', 'IMPLEMENTED', scope, ['GINT']],
    ['C_other', 'IMPLEMENTED', scope2, ['FAR']],
    ['C_other2', 'NOT_STARTED', scope2, ['FAR']],
  ];
  for (const [name, status, scopeId, codes] of controls) {
    const control = await createControl(app, { code: `${name}-${randomUUID().slice(0, 6)}`, status, scopeIds: [scopeId], ownerId: owner.id });
    for (const code of codes) await link(control.id, req[code]);
    ctl[name] = { id: control.id, code: control.code };
  }
  ok(await app.gql('mutation($id: ID!) { archiveControl(id: $id) { id } }', { id: ctl.C_arch.id }));

  await setSoa(scope, req.D1, 'APPLICABLE', null);
  await setSoa(scope, req.NA, 'NOT_APPLICABLE', 'No such processing in this scope');
  await setSoa(scope, req.NAIMPL, 'NOT_APPLICABLE', 'Out of scope despite the control');
  await setSoa(scope, req.INH, 'INHERITED', 'Provided by the hosting provider');

  const requester = (await createOwner(app)).id;
  const approver = (await createOwner(app)).id;
  const exc: Record<string, string> = {};
  exc.E_req = (await approvedException(scope, { requirementId: req.EXREQ }, requester, approver)).id;
  exc.E_both = (await approvedException(scope, { controlId: ctl.C_exc.id, requirementId: req.EXPART }, requester, approver)).id;
  exc.E_cov = (await approvedException(scope, { requirementId: req.COVEX }, requester, approver)).id;
  exc.E_na = (await approvedException(scope, { requirementId: req.NA }, requester, approver)).id;
  exc.E_exp = (await approvedException(scope, { requirementId: req.EXPIRED }, requester, approver)).id;
  await app.sql(`UPDATE exception SET expires_at = now() - interval '1 day' WHERE id = $1`, [exc.E_exp]);
  exc.E_pending = (await requestException(scope, { requirementId: req.RETIRED }, requester)).id;
  const revoked = await approvedException(scope, { requirementId: req.NOPROP }, requester, approver);
  ok(await app.gql(REVOKE_EXCEPTION, { id: revoked.id, reason: 'Control delivered', v: revoked.version }));
  exc.E_revoked = revoked.id;
  exc.E_other = (await approvedException(scope2, { requirementId: req.NOTSTARTED }, requester, approver)).id;

  s = { f1: f1.key, f2: f2.key, f3: f3.key, req, ctl, map, x13d: { id: x13d.id, version: x13d.version }, exc, scope, scope2 };
});

// ---------------------------------------------------------------------------------------------

describe('coverage of the hand-built scenario', () => {
  test('every F3 requirement has the status worked out from the rules, in catalog order', async () => {
    const c = await coverage(s.scope, s.f3);
    expect(c.scope).toEqual({ id: s.scope });
    expect(c.framework).toEqual({ key: s.f3 });
    expect(c.requirements.map((r: Row) => r.code)).toEqual(F3_CODES);
    expect(Object.fromEntries(c.requirements.map((r: Row) => [r.code, r.status]))).toEqual(F3_EXPECTED);
    for (const r of c.requirements as Row[]) expect(r.requirementId).toBe(s.req[r.code]);
  });

  test('counts and percentages leave EXCLUDED out (exact numbers)', async () => {
    const c = await coverage(s.scope, s.f3);
    // 24 assessable (the four groups are not): 6 COVERED, 2 EXCLUDED, 3 EXCEPTED, 4 PARTIAL, 9 NOT_COVERED
    expect(c.counts).toEqual({ total: 24, covered: 6, excluded: 2, excepted: 3, partial: 4, notCovered: 9 });
    const tally = (status: string) => Object.values(F3_EXPECTED).filter((v) => v === status).length;
    expect(c.counts).toEqual({
      total: F3_CODES.length, covered: tally('COVERED'), excluded: tally('EXCLUDED'), excepted: tally('EXCEPTED'), partial: tally('PARTIAL'), notCovered: tally('NOT_COVERED'),
    });
    // over 24 - 2 = 22: 6/22 = 27.3 %, 3/22 = 13.6 %, 4/22 = 18.2 %, 9/22 = 40.9 % (not 25, 12.5, 16.7, 37.5 over 24)
    expect(c.percentages).toEqual({ covered: 27.3, excepted: 13.6, partial: 18.2, notCovered: 40.9 });
  });

  test('groups count their assessable descendants, nested groups included', async () => {
    const c = await coverage(s.scope, s.f3);
    const groups = Object.fromEntries(c.groups.map((g: any) => [g.code, g]));
    expect(c.groups.map((g: any) => g.code)).toEqual(['TOP', 'G1', 'G2', 'G3']);
    expect(groups.TOP.groupId).toBe(s.req.TOP);
    // G1: D1 FULL2 BEST M covered; PART2 PART1 partial; DRAFT NREL FAR not covered
    expect(groups.G1.counts).toEqual({ total: 9, covered: 4, excluded: 0, excepted: 0, partial: 2, notCovered: 3 });
    expect(groups.G1.percentages).toEqual({ covered: 44.4, excepted: 0, partial: 22.2, notCovered: 33.3 });
    // G2: NA NAIMPL excluded; INH COVEX covered; EXREQ EXCTL EXPART excepted; EXPIRED not covered — over 6
    expect(groups.G2.counts).toEqual({ total: 8, covered: 2, excluded: 2, excepted: 3, partial: 0, notCovered: 1 });
    expect(groups.G2.percentages).toEqual({ covered: 33.3, excepted: 50, partial: 0, notCovered: 16.7 });
    // TOP = G1 + G2, over 17 - 2 = 15
    expect(groups.TOP.counts).toEqual({ total: 17, covered: 6, excluded: 2, excepted: 3, partial: 2, notCovered: 4 });
    expect(groups.TOP.percentages).toEqual({ covered: 40, excepted: 20, partial: 13.3, notCovered: 26.7 });
    // G3: PLANNED INPROG partial; the other five not covered
    expect(groups.G3.counts).toEqual({ total: 7, covered: 0, excluded: 0, excepted: 0, partial: 2, notCovered: 5 });
    expect(groups.G3.percentages).toEqual({ covered: 0, excepted: 0, partial: 28.6, notCovered: 71.4 });
  });

  test('requirements(status) filters the rows', async () => {
    const c = await coverage(s.scope, s.f3, ['EXCEPTED', 'EXCLUDED']);
    expect(c.requirements.map((r: Row) => r.code)).toEqual(['NA', 'NAIMPL', 'EXREQ', 'EXCTL', 'EXPART']);
    expect(c.counts.total).toBe(24);
  });

  test('explanation of a directly covered requirement: its controls, no chain', async () => {
    const rows = await rowsByCode(s.scope, s.f3);
    expect(rows.D1).toMatchObject({
      status: 'COVERED', applicability: 'APPLICABLE', chain: null, chainPath: [], chainFrom: null, exception: null,
      controls: [{ id: s.ctl.C_impl.id, code: s.ctl.C_impl.code, status: 'IMPLEMENTED' }],
      explanation: `COVERED: implemented by ${s.ctl.C_impl.code} (IMPLEMENTED)`,
    });
    // only active controls are listed: RETIRED and NOT_STARTED ones give nothing
    expect(rows.RETIRED.controls).toEqual([]);
    expect(rows.NOTSTARTED.controls).toEqual([]);
    expect(rows.NOTSTARTED.explanation).toMatch(/^NOT_COVERED/);
    expect(rows.GINT.controls).toEqual([]);
  });

  test('explanation of a FULL chain: the mapping path with relationships, read from the covered side', async () => {
    const rows = await rowsByCode(s.scope, s.f3);
    expect(rows.FULL2).toMatchObject({
      status: 'COVERED', controls: [],
      chain: { fromRequirementId: s.req['S-A'], strength: 'FULL', hops: 2, mappingIds: [s.map['S-A>M-A'], s.map['M-A>FULL2']], relationships: ['EQUAL', 'SUPERSET_OF'] },
      chainPath: [
        { id: s.map['S-A>M-A'], relationship: 'EQUAL', source: { code: 'S-A' }, target: { code: 'M-A' } },
        { id: s.map['M-A>FULL2'], relationship: 'SUPERSET_OF', source: { code: 'M-A' }, target: { code: 'FULL2' } },
      ],
      chainFrom: { id: s.req['S-A'], code: 'S-A', framework: { key: s.f1 } },
      explanation: 'COVERED: FULL chain of 2 mapping(s) from S-A (EQUAL → SUPERSET_OF)',
    });
    // a FULL chain of 2 beats a PARTIAL chain of 1
    expect(rows.BEST).toMatchObject({
      status: 'COVERED',
      chain: { fromRequirementId: s.req['S-A'], strength: 'FULL', hops: 2, mappingIds: [s.map['S-A>M-A'], s.map['M-A>BEST']], relationships: ['EQUAL', 'EQUAL'] },
    });
    expect(rows.M.chain).toMatchObject({ fromRequirementId: s.req['S-E'], strength: 'FULL', hops: 2, relationships: ['EQUAL', 'EQUAL'] });
  });

  test('explanation of a chain that turns PARTIAL at its second hop', async () => {
    const rows = await rowsByCode(s.scope, s.f3);
    expect(rows.PART2).toMatchObject({
      status: 'PARTIAL', controls: [],
      chain: { fromRequirementId: s.req['S-B'], strength: 'PARTIAL', hops: 2, mappingIds: [s.map['S-B>M-B'], s.map['M-B>PART2']], relationships: ['EQUAL', 'INTERSECTS_WITH'] },
      chainPath: [{ id: s.map['S-B>M-B'], relationship: 'EQUAL' }, { id: s.map['M-B>PART2'], relationship: 'INTERSECTS_WITH' }],
      chainFrom: { code: 'S-B' },
      explanation: 'PARTIAL: PARTIAL chain of 2 mapping(s) from S-B (EQUAL → INTERSECTS_WITH)',
    });
    expect(rows.PART1.chain).toEqual({ fromRequirementId: s.req['S-B'], strength: 'PARTIAL', hops: 1, mappingIds: [s.map['S-B>PART1']], relationships: ['INTERSECTS_WITH'] });
  });

  test('NOT_RELATED is no hop, chains stop at 3 hops, and only start at directly covered requirements', async () => {
    const rows = await rowsByCode(s.scope, s.f3);
    for (const code of ['NREL', 'FAR', 'NOPROP', 'GEQ', 'GINT', 'DRAFT']) {
      expect({ code, status: rows[code].status, chain: rows[code].chain, chainPath: rows[code].chainPath }).toEqual({ code, status: 'NOT_COVERED', chain: null, chainPath: [] });
    }
    // the third hop still counts: S-E → M-E → M → M-E2 (F2), read back over M-E2 EQUAL M
    const f2 = await rowsByCode(s.scope, s.f2);
    expect(f2['M-E2'].chain).toEqual({
      fromRequirementId: s.req['S-E'], strength: 'FULL', hops: 3,
      mappingIds: [s.map['S-E>M-E'], s.map['M-E>M'], s.map['M-E2>M']], relationships: ['EQUAL', 'EQUAL', 'EQUAL'],
    });
    // the PLANNED source requirement is itself PARTIAL, but propagates nothing
    const f1 = await rowsByCode(s.scope, s.f1);
    expect(f1['S-P']).toMatchObject({ status: 'PARTIAL', controls: [{ code: s.ctl.C_planned.code, status: 'PLANNED' }], chain: null });
  });

  test('F2: relationships are read from the covered side (SUBSET_OF and SUPERSET_OF swap backwards)', async () => {
    const c = await coverage(s.scope, s.f2);
    const rows: Record<string, Row> = Object.fromEntries(c.requirements.map((r: Row) => [r.code, r]));
    expect(Object.fromEntries(c.requirements.map((r: Row) => [r.code, r.status]))).toEqual({
      'M-A': 'COVERED', // S-A EQUAL M-A
      'M-B': 'COVERED', // S-B EQUAL M-B
      'M-E': 'COVERED', // S-E EQUAL M-E
      'M-E2': 'COVERED', // 3 FULL hops
      'M-R': 'COVERED', // M-R SUBSET_OF D1, read from D1 (covered): D1 SUPERSET_OF M-R
      'M-S': 'PARTIAL', // S-A SUBSET_OF M-S
      'M-X': 'PARTIAL', // M-X SUPERSET_OF D1, read from D1: D1 SUBSET_OF M-X
      'M-Y': 'NOT_COVERED', // mapped to PLANNED, which is not directly covered
      'M-Z': 'NOT_COVERED',
      'M-W': 'NOT_COVERED', // EQUAL to INH, which is COVERED by the SoA (INHERITED), not by a control: no chain starts there
      'M-V': 'NOT_COVERED', // EQUAL to EXREQ, which is EXCEPTED: an exception does not travel along mappings
    });
    expect(c.counts).toEqual({ total: 11, covered: 5, excluded: 0, excepted: 0, partial: 2, notCovered: 4 });
    // 5/11, 2/11, 4/11
    expect(c.percentages).toEqual({ covered: 45.5, excepted: 0, partial: 18.2, notCovered: 36.4 });
    expect(rows['M-W']).toMatchObject({ chain: null, exception: null });
    expect(rows['M-V']).toMatchObject({ chain: null, exception: null });
    expect(c.groups).toEqual([]);
    expect(rows['M-R']).toMatchObject({
      chain: { fromRequirementId: s.req.D1, strength: 'FULL', hops: 1, relationships: ['SUPERSET_OF'] },
      chainPath: [{ id: s.map['M-R>D1'], relationship: 'SUBSET_OF', source: { code: 'M-R' }, target: { code: 'D1' } }],
      explanation: 'COVERED: FULL chain of 1 mapping(s) from D1 (SUPERSET_OF)',
    });
    expect(rows['M-X'].chain).toMatchObject({ fromRequirementId: s.req.D1, strength: 'PARTIAL', hops: 1, relationships: ['SUBSET_OF'] });
    expect(rows['M-S'].chain).toMatchObject({ fromRequirementId: s.req['S-A'], strength: 'PARTIAL', hops: 1, relationships: ['SUBSET_OF'] });
  });

  test('explanation of SoA rows: EXCLUDED (even when implemented or excepted) and INHERITED', async () => {
    const rows = await rowsByCode(s.scope, s.f3);
    expect(rows.NA).toMatchObject({ status: 'EXCLUDED', applicability: 'NOT_APPLICABLE' });
    expect(rows.NA.explanation).toBe('EXCLUDED: the SoA marks it NOT_APPLICABLE (No such processing in this scope)');
    expect(rows.NAIMPL).toMatchObject({ status: 'EXCLUDED', applicability: 'NOT_APPLICABLE', controls: [{ code: s.ctl.C_impl.code }] });
    expect(rows.INH).toMatchObject({ status: 'COVERED', applicability: 'INHERITED', controls: [], chain: null });
    expect(rows.INH.explanation).toBe('COVERED: the SoA marks it INHERITED (Provided by the hosting provider)');
    expect(rows.PLANNED.applicability).toBe('UNDECIDED');
  });

  test('explanation of EXCEPTED rows: the exception naming the requirement, or naming a control that implements it', async () => {
    const rows = await rowsByCode(s.scope, s.f3);
    expect(rows.EXREQ).toMatchObject({
      status: 'EXCEPTED', controls: [],
      exception: { id: s.exc.E_req, status: 'APPROVED', requirement: { id: s.req.EXREQ, code: 'EXREQ' }, control: null },
    });
    expect(rows.EXREQ.explanation).toMatch(/^EXCEPTED:/);
    expect(rows.EXREQ.explanation).toContain(s.exc.E_req);
    // C_exc is NOT_STARTED (not listed among the active controls), but the exception names it
    expect(rows.EXCTL).toMatchObject({
      status: 'EXCEPTED', controls: [],
      exception: { id: s.exc.E_both, status: 'APPROVED', requirement: { code: 'EXPART' }, control: { id: s.ctl.C_exc.id } },
    });
    expect(rows.EXPART).toMatchObject({ status: 'EXCEPTED', controls: [{ code: s.ctl.C_planned.code, status: 'PLANNED' }], exception: { id: s.exc.E_both } });
    // COVERED beats EXCEPTED: the explanation is the control
    expect(rows.COVEX).toMatchObject({ status: 'COVERED', explanation: `COVERED: implemented by ${s.ctl.C_impl.code} (IMPLEMENTED)` });
    // a requested, a revoked and another scope's exception except nothing
    for (const code of ['RETIRED', 'NOPROP', 'NOTSTARTED']) expect({ code, status: rows[code].status, exception: rows[code].exception }).toEqual({ code, status: 'NOT_COVERED', exception: null });
  });

  test('explanation of PARTIAL rows through PLANNED and IN_PROGRESS controls', async () => {
    const rows = await rowsByCode(s.scope, s.f3);
    expect(rows.PLANNED).toMatchObject({
      status: 'PARTIAL', chain: null, controls: [{ id: s.ctl.C_planned.id, status: 'PLANNED' }],
      explanation: `PARTIAL: implementation under way in ${s.ctl.C_planned.code} (PLANNED)`,
    });
    expect(rows.INPROG).toMatchObject({
      status: 'PARTIAL', controls: [{ id: s.ctl.C_inprog.id, status: 'IN_PROGRESS' }],
      explanation: `PARTIAL: implementation under way in ${s.ctl.C_inprog.code} (IN_PROGRESS)`,
    });
  });

  test('an expired exception no longer excepts; the same exception before its expiry does', async () => {
    const read = async () => (await rowsByCode(s.scope, s.f3)).EXPIRED;
    const status = async () => ok(await app.gql('query($id: ID!) { exception(id: $id) { status } }', { id: s.exc.E_exp })).exception.status;
    expect(await status()).toBe('EXPIRED');
    expect(await read()).toMatchObject({ status: 'NOT_COVERED', exception: null });
    try {
      await app.sql(`UPDATE exception SET expires_at = now() + interval '1 day' WHERE id = $1`, [s.exc.E_exp]);
      expect(await status()).toBe('APPROVED');
      expect(await read()).toMatchObject({ status: 'EXCEPTED', exception: { id: s.exc.E_exp } });
    } finally {
      await app.sql(`UPDATE exception SET expires_at = now() - interval '1 day' WHERE id = $1`, [s.exc.E_exp]);
    }
    expect(await read()).toMatchObject({ status: 'NOT_COVERED', exception: null });
  });

  test('the other scope: its own control covers FAR there (and M through FAR), nothing from S leaks in', async () => {
    const c = await coverage(s.scope2, s.f3);
    const rows: Record<string, Row> = Object.fromEntries(c.requirements.map((r: Row) => [r.code, r]));
    const expected = Object.fromEntries(F3_CODES.map((code) => [code, 'NOT_COVERED']));
    Object.assign(expected, {
      FAR: 'COVERED', // C_other (IMPLEMENTED) in S2
      M: 'COVERED', // FAR ← M-E2 EQUAL FAR (read backwards: EQUAL), M-E2 EQUAL M: FULL chain of 2
      NOTSTARTED: 'EXCEPTED', // E_other, approved in S2
    });
    expect(Object.fromEntries(c.requirements.map((r: Row) => [r.code, r.status]))).toEqual(expected);
    expect(rows.FAR).toMatchObject({ controls: [{ id: s.ctl.C_other.id }], chain: null });
    expect(rows.M.chain).toEqual({ fromRequirementId: s.req.FAR, strength: 'FULL', hops: 2, mappingIds: [s.map['M-E2>FAR'], s.map['M-E2>M']], relationships: ['EQUAL', 'EQUAL'] });
    expect(rows.NOTSTARTED).toMatchObject({ exception: { id: s.exc.E_other } });
    // no SoA in S2: nothing EXCLUDED, percentages over all 24
    expect(c.counts).toEqual({ total: 24, covered: 2, excluded: 0, excepted: 1, partial: 0, notCovered: 21 });
    expect(c.percentages).toEqual({ covered: 8.3, excepted: 4.2, partial: 0, notCovered: 87.5 });
  });

  test('a DRAFT crosswalk does not count, and counts once approved', async () => {
    const before = await coverage(s.scope, s.f3);
    expect(before.requirements.find((r: Row) => r.code === 'DRAFT')).toMatchObject({ status: 'NOT_COVERED', chain: null });
    const update = 'mutation($id: ID!, $input: UpdateCrosswalkInput!, $v: Int!) { updateCrosswalk(id: $id, input: $input, expectedVersion: $v) { status version } }';
    const approved = ok(await app.gql(update, { id: s.x13d.id, input: { status: 'APPROVED' }, v: s.x13d.version })).updateCrosswalk;
    try {
      const after = await coverage(s.scope, s.f3);
      expect(after.requirements.find((r: Row) => r.code === 'DRAFT')).toMatchObject({
        status: 'COVERED',
        chain: { fromRequirementId: s.req['S-C'], strength: 'FULL', hops: 1, mappingIds: [s.map['S-C>DRAFT']], relationships: ['EQUAL'] },
        explanation: 'COVERED: FULL chain of 1 mapping(s) from S-C (EQUAL)',
      });
      // one more COVERED, one less NOT_COVERED: 7/22 and 8/22
      expect(after.counts).toEqual({ total: 24, covered: 7, excluded: 2, excepted: 3, partial: 4, notCovered: 8 });
      expect(after.percentages).toEqual({ covered: 31.8, excepted: 13.6, partial: 18.2, notCovered: 36.4 });
      expect(Object.fromEntries(after.requirements.map((r: Row) => [r.code, r.status]))).toEqual({ ...F3_EXPECTED, DRAFT: 'COVERED' });
    } finally {
      ok(await app.gql(update, { id: s.x13d.id, input: { status: 'DRAFT' }, v: approved.version }));
      s.x13d.version = approved.version + 1;
    }
    const reverted = await coverage(s.scope, s.f3);
    expect(reverted.requirements.find((r: Row) => r.code === 'DRAFT')).toMatchObject({ status: 'NOT_COVERED', chain: null });
  });
});

describe('archived catalog rows', () => {
  test('an archived mapping or crosswalk is no hop', async () => {
    const p1 = await createFramework(app, { name: 'P1' });
    const p2 = await createFramework(app, { name: 'P2' });
    const [a, b] = [await createRequirement(app, p1.id, 'A'), await createRequirement(app, p1.id, 'B')];
    const [x, y] = [await createRequirement(app, p2.id, 'X'), await createRequirement(app, p2.id, 'Y')];
    const kept = await createCrosswalk(app, p1.id, p2.id);
    const doomed = await createCrosswalk(app, p1.id, p2.id);
    const ax = await createMapping(app, kept.id, a.id, x.id, 'EQUAL');
    await createMapping(app, doomed.id, b.id, y.id, 'EQUAL');
    const scope = (await createScope(app)).id;
    const control = await createControl(app, { status: 'IMPLEMENTED', scopeIds: [scope] });
    await link(control.id, a.id);
    await link(control.id, b.id);
    const statuses = async () => Object.fromEntries(Object.values(await rowsByCode(scope, p2.key)).map((r) => [r.code, r.status]));
    expect(await statuses()).toEqual({ X: 'COVERED', Y: 'COVERED' });
    ok(await app.gql('mutation($id: ID!) { archiveMapping(id: $id) { id } }', { id: ax.id }));
    ok(await app.gql('mutation($id: ID!) { archiveCrosswalk(id: $id) { id } }', { id: doomed.id }));
    expect(await statuses()).toEqual({ X: 'NOT_COVERED', Y: 'NOT_COVERED' });
  });
});

describe('gap assessment of the hand-built scenario', () => {
  const candidatesOf = (gap: any) => gap.candidates
    .map((c: any) => ({ control: c.control.code, via: c.via.code, mapping: c.mapping?.relationship ?? null, wouldReach: c.wouldReach }))
    .sort((a: any, b: any) => `${a.control}${a.via}`.localeCompare(`${b.control}${b.via}`));

  test('gaps are the requirements neither COVERED nor EXCLUDED, in catalog order, with their status now', async () => {
    const list = await gaps(s.scope, s.f3);
    const expected = F3_CODES.filter((code) => !['COVERED', 'EXCLUDED'].includes(F3_EXPECTED[code]));
    expect(list.map((g) => g.code)).toEqual(expected);
    expect(list.map((g) => g.code)).toEqual([
      'PART2', 'PART1', 'DRAFT', 'NREL', 'FAR', 'EXREQ', 'EXCTL', 'EXPIRED', 'EXPART', 'PLANNED', 'INPROG', 'RETIRED', 'NOTSTARTED', 'NOPROP', 'GEQ', 'GINT',
    ]);
    for (const g of list) expect({ code: g.code, status: g.status, id: g.requirementId }).toEqual({ code: g.code, status: F3_EXPECTED[g.code], id: s.req[g.code] });
  });

  test('candidates: controls of the scope not yet IMPLEMENTED (nor RETIRED), directly or over one approved mapping, with the status they would bring', async () => {
    const list = await gaps(s.scope, s.f3);
    const byCode = Object.fromEntries(list.map((g) => [g.code, g]));
    const view = (code: string) => ({ wouldReach: byCode[code].wouldReach, candidates: candidatesOf(byCode[code]) });
    const { C_planned, C_inprog, C_ns, C_ns2, C_exc } = s.ctl;
    // a PLANNED control implementing the gap directly: it would be COVERED
    expect(view('PLANNED')).toEqual({ wouldReach: 'COVERED', candidates: [{ control: C_planned.code, via: 'PLANNED', mapping: null, wouldReach: 'COVERED' }] });
    expect(view('INPROG')).toEqual({ wouldReach: 'COVERED', candidates: [{ control: C_inprog.code, via: 'INPROG', mapping: null, wouldReach: 'COVERED' }] });
    expect(view('NOTSTARTED')).toEqual({ wouldReach: 'COVERED', candidates: [{ control: C_ns.code, via: 'NOTSTARTED', mapping: null, wouldReach: 'COVERED' }] });
    // an EXCEPTED gap whose control would cover it
    expect(view('EXCTL')).toEqual({ wouldReach: 'COVERED', candidates: [{ control: C_exc.code, via: 'EXCTL', mapping: null, wouldReach: 'COVERED' }] });
    expect(view('EXPART')).toEqual({ wouldReach: 'COVERED', candidates: [{ control: C_planned.code, via: 'EXPART', mapping: null, wouldReach: 'COVERED' }] });
    // a NOT_STARTED control implementing a requirement mapped EQUAL: COVERED
    expect(view('GEQ')).toEqual({ wouldReach: 'COVERED', candidates: [{ control: C_ns.code, via: 'S-N', mapping: 'EQUAL', wouldReach: 'COVERED' }] });
    expect(byCode.GEQ.candidates[0]).toMatchObject({ controlId: C_ns.id, viaRequirementId: s.req['S-N'], mappingId: s.map['S-N>GEQ'] });
    // the PLANNED source's EQUAL mapping: COVERED once implemented
    expect(view('NOPROP')).toEqual({ wouldReach: 'COVERED', candidates: [{ control: C_planned.code, via: 'S-P', mapping: 'EQUAL', wouldReach: 'COVERED' }] });
    // mapped INTERSECTS_WITH: PARTIAL (the archived IMPLEMENTED control is no candidate)
    expect(view('GINT')).toEqual({ wouldReach: 'PARTIAL', candidates: [{ control: C_ns2.code, via: 'S-I', mapping: 'INTERSECTS_WITH', wouldReach: 'PARTIAL' }] });
    // no candidates: RETIRED control; IMPLEMENTED control behind a PARTIAL mapping; NOT_RELATED; other scope's controls; nothing at all
    expect(view('RETIRED')).toEqual({ wouldReach: 'NOT_COVERED', candidates: [] });
    expect(view('PART1')).toEqual({ wouldReach: 'PARTIAL', candidates: [] });
    expect(view('PART2')).toEqual({ wouldReach: 'PARTIAL', candidates: [] });
    expect(view('NREL')).toEqual({ wouldReach: 'NOT_COVERED', candidates: [] });
    expect(view('FAR')).toEqual({ wouldReach: 'NOT_COVERED', candidates: [] });
    expect(view('DRAFT')).toEqual({ wouldReach: 'NOT_COVERED', candidates: [] });
    expect(view('EXREQ')).toEqual({ wouldReach: 'EXCEPTED', candidates: [] });
    expect(view('EXPIRED')).toEqual({ wouldReach: 'NOT_COVERED', candidates: [] });
    // no IMPLEMENTED or RETIRED control is ever a candidate
    const candidateIds = new Set(list.flatMap((g) => g.candidates.map((c: any) => c.controlId)));
    for (const name of ['C_impl', 'C_retired', 'C_arch', 'C_other', 'C_other2']) expect(candidateIds.has(s.ctl[name].id)).toBe(false);
  });

  test('candidates over a mapping read backwards: SUBSET_OF read from the control\'s side is SUPERSET_OF (COVERED), SUPERSET_OF is SUBSET_OF (PARTIAL)', async () => {
    const list = await gaps(s.scope, s.f2);
    const byCode = Object.fromEntries(list.map((g) => [g.code, g]));
    expect(list.map((g) => g.code)).toEqual(['M-S', 'M-X', 'M-Y', 'M-Z', 'M-W', 'M-V']);
    expect({ wouldReach: byCode['M-Y'].wouldReach, candidates: candidatesOf(byCode['M-Y']) })
      .toEqual({ wouldReach: 'COVERED', candidates: [{ control: s.ctl.C_planned.code, via: 'PLANNED', mapping: 'SUBSET_OF', wouldReach: 'COVERED' }] });
    expect({ wouldReach: byCode['M-Z'].wouldReach, candidates: candidatesOf(byCode['M-Z']) })
      .toEqual({ wouldReach: 'PARTIAL', candidates: [{ control: s.ctl.C_planned.code, via: 'PLANNED', mapping: 'SUPERSET_OF', wouldReach: 'PARTIAL' }] });
    // M-S and M-X are reached from requirements C_impl (IMPLEMENTED) implements: no candidate
    expect(byCode['M-S']).toMatchObject({ status: 'PARTIAL', wouldReach: 'PARTIAL', candidates: [] });
    expect(byCode['M-X']).toMatchObject({ status: 'PARTIAL', wouldReach: 'PARTIAL', candidates: [] });
  });

  test('implementing a candidate brings the status it announced', async () => {
    const scope = (await createScope(app)).id;
    const planned = await createControl(app, { status: 'PLANNED', scopeIds: [scope] });
    await link(planned.id, s.req['S-N']);
    const before = (await gaps(scope, s.f3)).find((g) => g.code === 'GEQ');
    expect(before).toMatchObject({ status: 'NOT_COVERED', wouldReach: 'COVERED' });
    const { control } = ok(await app.gql('query($id: ID!) { control(id: $id) { version } }', { id: planned.id }));
    ok(await app.gql('mutation($id: ID!, $input: UpdateControlInput!, $v: Int!) { updateControl(id: $id, input: $input, expectedVersion: $v) { id } }',
      { id: planned.id, input: { status: 'IMPLEMENTED' }, v: control.version }));
    expect((await rowsByCode(scope, s.f3)).GEQ.status).toBe('COVERED');
    expect((await gaps(scope, s.f3)).find((g) => g.code === 'GEQ')).toBeUndefined();
  });
});

describe('access and errors', () => {
  test('a key restricted to another scope gets NOT_FOUND for this scope\'s coverage and gaps; its own scope reads', async () => {
    const key = await app.createKey([Permission.ISMS_READ], { scopeIds: [s.scope2] });
    for (const query of [COVERAGE, GAPS]) {
      const res = await app.gql(query, { scope: s.scope, key: s.f3 }, key.secret);
      expectFailure(res, 'NOT_FOUND');
    }
    const own = ok(await app.gql(COVERAGE, { scope: s.scope2, key: s.f3 }, key.secret)).coverage;
    expect(own.counts.covered).toBe(2);
    ok(await app.gql(GAPS, { scope: s.scope2, key: s.f3 }, key.secret));
    const mine = await app.createKey([Permission.ISMS_READ], { scopeIds: [s.scope] });
    expect(ok(await app.gql(COVERAGE, { scope: s.scope, key: s.f3 }, mine.secret)).coverage.counts.total).toBe(24);
  });

  test('an unknown scope is NOT_FOUND; an unknown framework key is BAD_USER_INPUT naming frameworkKey', async () => {
    expectFailure(await app.gql(COVERAGE, { scope: randomUUID(), key: s.f3 }), 'NOT_FOUND');
    expectFailure(await app.gql(COVERAGE, { scope: s.scope, key: 'no-such-framework' }), 'BAD_USER_INPUT', 'frameworkKey');
    expectFailure(await app.gql(GAPS, { scope: s.scope, key: 'no-such-framework' }), 'BAD_USER_INPUT', 'frameworkKey');
  });

  test('frameworkVersion picks a version; without it the newest one is rated', async () => {
    const key = `fwv-${randomUUID().slice(0, 8)}`;
    const v1 = await createFramework(app, { key, version: '1.0' });
    const v2 = await createFramework(app, { key, version: '2.0' });
    const r1 = await createRequirement(app, v1.id, 'R-1');
    await createRequirement(app, v2.id, 'R-1');
    const scope = (await createScope(app)).id;
    const control = await createControl(app, { status: 'IMPLEMENTED', scopeIds: [scope] });
    await link(control.id, r1.id);
    const q = 'query($s: ID!, $k: String!, $v: String) { coverage(scopeId: $s, frameworkKey: $k, frameworkVersion: $v) { framework { version } requirements { requirementId status } } }';
    const newest = ok<any>(await app.gql(q, { s: scope, k: key })).coverage;
    expect(newest.framework.version).toBe('2.0');
    expect(newest.requirements.map((r: any) => r.status)).toEqual(['NOT_COVERED']);
    const first = ok<any>(await app.gql(q, { s: scope, k: key, v: '1.0' })).coverage;
    expect(first).toEqual({ framework: { version: '1.0' }, requirements: [{ requirementId: r1.id, status: 'COVERED' }] });
  });

  test('a key without isms:read is FORBIDDEN', async () => {
    const key = await app.createKey([Permission.CATALOG_WRITE]);
    expect(errorCode(await app.gql(COVERAGE, { scope: s.scope, key: s.f3 }, key.secret))).toBe('FORBIDDEN');
  });
});

describe('no N+1', () => {
  const NESTED = `query($scope: ID!, $key: String!) { coverage(scopeId: $scope, frameworkKey: $key) {
    counts { total } requirements { code controls { code } chainPath { id } } } }`;
  const FULL = `query($scope: ID!, $key: String!) { coverage(scopeId: $scope, frameworkKey: $key) {
    counts { total } requirements { code controls { code } chainPath { id source { code } } chainFrom { code } exception { id } explanation } } }`;

  test('the statement count of coverage does not grow with the number of controls, chains or exceptions', async () => {
    // few: one IMPLEMENTED control (one direct row, one chain)
    const few = (await createScope(app)).id;
    const lone = await createControl(app, { status: 'IMPLEMENTED', scopeIds: [few] });
    await link(lone.id, s.req.D1);
    await link(lone.id, s.req['S-A']);
    // and one NOT_STARTED control: a gap candidate (GEQ, over S-N EQUAL GEQ) for the gap assessment's count
    const pending = await createControl(app, { status: 'NOT_STARTED', scopeIds: [few] });
    await link(pending.id, s.req['S-N']);
    // many: 16 controls over most F3 requirements and every source
    const many = (await createScope(app)).id;
    const statuses = ['IMPLEMENTED', 'PLANNED', 'IN_PROGRESS', 'IMPLEMENTED'];
    const targets = [...F3_CODES, ...F1_CODES];
    for (let i = 0; i < 16; i++) {
      const control = await createControl(app, { status: statuses[i % statuses.length], scopeIds: [many] });
      await link(control.id, s.req[targets[(2 * i) % targets.length]]);
      await link(control.id, s.req[targets[(2 * i + 1) % targets.length]]);
    }
    // an approved exception in each of the two scopes compared on the full explanation
    const requester = (await createOwner(app)).id;
    const approver = (await createOwner(app)).id;
    await approvedException(many, { requirementId: s.req.EXREQ }, requester, approver);
    const fewRes = await app.gql(NESTED, { scope: few, key: s.f3 });
    const manyRes = await app.gql(NESTED, { scope: many, key: s.f3 });
    const mainRes = await app.gql(NESTED, { scope: s.scope, key: s.f3 });
    const controlsListed = (res: any) => ok<any>(res).coverage.requirements.reduce((n: number, r: any) => n + r.controls.length, 0);
    const mappingsListed = (res: any) => ok<any>(res).coverage.requirements.reduce((n: number, r: any) => n + r.chainPath.length, 0);
    expect(controlsListed(fewRes)).toBe(1);
    expect(controlsListed(manyRes)).toBeGreaterThan(10);
    expect(mappingsListed(fewRes)).toBeGreaterThan(0);
    expect(mappingsListed(manyRes)).toBeGreaterThan(0);
    expect(Number.isFinite(fewRes.statements)).toBe(true);
    expect(manyRes.statements).toBe(fewRes.statements);
    expect(mainRes.statements).toBe(fewRes.statements);

    // the whole explanation too (exceptions and chain origins): the main scope against the many-controls one
    const fullMain = await app.gql(FULL, { scope: s.scope, key: s.f3 });
    const fullMany = await app.gql(FULL, { scope: many, key: s.f3 });
    ok(fullMain);
    ok(fullMany);
    expect(fullMain.statements).toBe(fullMany.statements);

    // the gap assessment with its candidates' control, via requirement and mapping
    const GAP_NESTED = `query($scope: ID!, $key: String!) { gapAssessment(scopeId: $scope, frameworkKey: $key) {
      gaps { code candidates { control { code } via { code } mapping { id } } } } }`;
    const gapFew = await app.gql(GAP_NESTED, { scope: few, key: s.f3 });
    const gapMain = await app.gql(GAP_NESTED, { scope: s.scope, key: s.f3 });
    const candidatesListed = (res: any) => ok<any>(res).gapAssessment.gaps.reduce((n: number, g: any) => n + g.candidates.length, 0);
    expect(candidatesListed(gapFew)).toBe(1);
    expect(candidatesListed(gapMain)).toBeGreaterThan(5);
    expect(gapMain.statements).toBe(gapFew.statements);
  });
});
