import { randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type GqlResponse, type TestApp } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { createControl } from './helpers/isms-factories';
import { rawGet } from './helpers/http';
import { Permission } from '../src/auth/permissions';
import { parseCsvTable } from '../src/catalogs/importers/csv';
import { Applicability } from '../src/modules/soa/soa.entity';
import { CoverageStatus } from '../src/modules/coverage/coverage.types';
import { EvidenceFreshness } from '../src/modules/evidence/evidence.inputs';
import { freshnessOf } from '../src/modules/evidence/evidence.service';
import { SoaImplementationStatus, implementationStatus } from '../src/modules/soa/soa.types';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const ISO = 'iso27001-2022';
const ISO_27002 = 'iso27002-2022';
const DAY = 86_400_000;
const daysFromNow = (days: number) => new Date(Date.now() + days * DAY).toISOString();

const ROW = `requirementId frameworkKey frameworkVersion code title applicability justification drivers entryVersion
  implementationStatus coverageStatus evidenceFreshness controlCodes controls { id code } requirement { id code kind }`;
const SOA = `query($s: ID!, $v: Int) { statementOfApplicability(scopeId: $s, version: $v) {
  version approvedAt approver { id } scope { id } rows { ${ROW} } } }`;
const SET = `mutation($input: SetApplicabilityInput!) { setApplicability(input: $input) { ${ROW} } }`;
const SET_MANY = `mutation($inputs: [SetApplicabilityInput!]!) { setApplicabilities(inputs: $inputs) { ${ROW} } }`;
const ADOPT = 'mutation($s: ID!, $k: String!, $v: String) { adoptFramework(scopeId: $s, frameworkKey: $k, frameworkVersion: $v) { id frameworks { key version } } }';
const DROP = 'mutation($s: ID!, $k: String!) { dropFramework(scopeId: $s, frameworkKey: $k) { id frameworks { key version } } }';
const APPROVE = `mutation($s: ID!, $a: ID!, $k: String) { approveStatementOfApplicability(scopeId: $s, approverId: $a, idempotencyKey: $k) {
  id number approvedAt rowCount approver { id } scope { id } statement { version rows { code applicability implementationStatus } } } }`;
const DIFF = `query($s: ID!, $from: Int!, $to: Int) { soaDiff(scopeId: $s, from: $from, to: $to) {
  from to scope { id }
  changed { requirementId frameworkKey code title fields changes { field before after } before { ${ROW} } after { ${ROW} } }
  added { code frameworkKey } removed { code frameworkKey } } }`;
const EXPORT = 'query($s: ID!, $v: Int) { statementOfApplicability(scopeId: $s, version: $v) { version csv json } }';
const LINK_REQUIREMENT = 'mutation($c: ID!, $r: ID!) { linkControlToRequirement(controlId: $c, requirementId: $r) { id } }';
const CREATE_EVIDENCE = 'mutation($input: CreateEvidenceInput!) { createEvidence(input: $input) { id } }';

const requirementIds = new Map<string, string>();
/** The id of a shipped requirement by framework key and code. */
async function req(frameworkKey: string, code: string): Promise<string> {
  const key = `${frameworkKey}|${code}`;
  if (!requirementIds.has(key)) {
    const [row] = await app.sql('SELECT r.id FROM requirement r JOIN framework f ON f.id = r.framework_id WHERE f.key = $1 AND r.code = $2', [frameworkKey, code]);
    if (!row) throw new Error(`no requirement ${frameworkKey} ${code}`);
    requirementIds.set(key, row.id);
  }
  return requirementIds.get(key)!;
}

async function adopt(scopeId: string, frameworkKey = ISO, key?: string): Promise<any> {
  return ok(await app.gql(ADOPT, { s: scopeId, k: frameworkKey }, key)).adoptFramework;
}

/** A fresh scope adopting ISO 27001:2022. */
async function isoScope(): Promise<string> {
  const scope = await createScope(app);
  await adopt(scope.id);
  return scope.id;
}

async function soa(scopeId: string, version?: number, key?: string): Promise<any> {
  return ok(await app.gql(SOA, { s: scopeId, v: version ?? null }, key)).statementOfApplicability;
}

function rowOf(statement: { rows: any[] }, code: string, frameworkKey = ISO): any {
  const row = statement.rows.find((r) => r.code === code && r.frameworkKey === frameworkKey);
  if (!row) throw new Error(`no row ${frameworkKey} ${code}`);
  return row;
}

async function decide(scopeId: string, code: string, patch: Record<string, unknown> = {}, key?: string): Promise<any> {
  const res = await app.gql(SET, { input: { scopeId, requirementId: await req(ISO, code), applicability: 'APPLICABLE', ...patch } }, key);
  return ok(res).setApplicability;
}

/** An active control of the scope implementing the given requirements. */
async function implementing(scopeId: string, status: string, requirements: Array<[string, string]>, code?: string): Promise<string> {
  const control = await createControl(app, { scopeIds: [scopeId], status, ...(code ? { code } : {}) });
  for (const [frameworkKey, reqCode] of requirements) ok(await app.gql(LINK_REQUIREMENT, { c: control.id, r: await req(frameworkKey, reqCode) }));
  return control.id;
}

async function evidence(controlId: string, validUntil: string | null, collectedAt = daysFromNow(-30)): Promise<void> {
  const owner = await createOwner(app);
  ok(await app.gql(CREATE_EVIDENCE, { input: { controlId, ownerId: owner.id, title: 'Proof', kind: 'RECORD', reference: 'DOC-1', collectedAt, validUntil } }));
}

async function approve(scopeId: string, key?: string): Promise<any> {
  const approver = await createOwner(app);
  return ok(await app.gql(APPROVE, { s: scopeId, a: approver.id }, key)).approveStatementOfApplicability;
}

async function rowCounts(): Promise<Record<string, number>> {
  const [row] = await app.sql(`SELECT (SELECT count(*) FROM soa_entry)::int AS entries, (SELECT coalesce(sum(version), 0) FROM soa_entry)::int AS versions,
    (SELECT count(*) FROM soa_version)::int AS "soaVersions", (SELECT count(*) FROM scope_framework)::int AS adoptions,
    (SELECT count(*) FROM audit_event)::int AS audits, (SELECT count(*) FROM idempotency_key)::int AS idem`);
  return row as Record<string, number>;
}

function expectFailure(res: GqlResponse, code: string, field?: string) {
  expect(errorCode(res)).toBe(code);
  expect(res.data).toBeNull();
  if (field !== undefined) expect(res.errors![0].extensions.field).toBe(field);
}

describe('implementation status and evidence freshness (pure rules)', () => {
  const status = (applicability: Applicability, coverageStatus: CoverageStatus, controlStatuses: string[] = []) =>
    implementationStatus({ applicability, coverageStatus, controlStatuses });

  test('the first matching rule of SoaImplementationStatus gives the status', () => {
    expect(status(Applicability.NOT_APPLICABLE, CoverageStatus.EXCLUDED, ['IMPLEMENTED'])).toBe(SoaImplementationStatus.NOT_APPLICABLE);
    expect(status(Applicability.APPLICABLE, CoverageStatus.COVERED, ['IMPLEMENTED', 'PLANNED'])).toBe(SoaImplementationStatus.IMPLEMENTED);
    expect(status(Applicability.INHERITED, CoverageStatus.COVERED)).toBe(SoaImplementationStatus.IMPLEMENTED);
    expect(status(Applicability.UNDECIDED, CoverageStatus.COVERED)).toBe(SoaImplementationStatus.IMPLEMENTED);
    expect(status(Applicability.APPLICABLE, CoverageStatus.PARTIAL, ['PLANNED', 'IN_PROGRESS'])).toBe(SoaImplementationStatus.PARTIALLY_IMPLEMENTED);
    // coverage PARTIAL through a chain of mappings only: nothing of the scope implements it
    expect(status(Applicability.APPLICABLE, CoverageStatus.PARTIAL)).toBe(SoaImplementationStatus.NOT_IMPLEMENTED);
    expect(status(Applicability.APPLICABLE, CoverageStatus.PARTIAL, ['PLANNED'])).toBe(SoaImplementationStatus.PLANNED);
    // an approved exception implements nothing; a planned control under it still reads PLANNED
    expect(status(Applicability.APPLICABLE, CoverageStatus.EXCEPTED)).toBe(SoaImplementationStatus.NOT_IMPLEMENTED);
    expect(status(Applicability.APPLICABLE, CoverageStatus.EXCEPTED, ['PLANNED'])).toBe(SoaImplementationStatus.PLANNED);
    expect(status(Applicability.UNDECIDED, CoverageStatus.NOT_COVERED)).toBe(SoaImplementationStatus.NOT_IMPLEMENTED);
  });

  test('freshness pools the active evidence of all implementing controls', () => {
    expect(freshnessOf([])).toBe(EvidenceFreshness.NONE);
    expect(freshnessOf([{ fresh: 0, stale: 0 }, { fresh: 0, stale: 0 }])).toBe(EvidenceFreshness.NONE);
    expect(freshnessOf([{ fresh: 0, stale: 2 }])).toBe(EvidenceFreshness.STALE);
    expect(freshnessOf([{ fresh: 0, stale: 2 }, { fresh: 1, stale: 0 }])).toBe(EvidenceFreshness.FRESH);
  });
});

describe('adoptFramework and dropFramework', () => {
  test('adopt lists the framework on the scope, is idempotent, and is audited as SCOPE', async () => {
    const scope = await createScope(app);
    expect(ok(await app.gql('query($id: ID!) { scope(id: $id) { frameworks { key } } }', { id: scope.id })).scope.frameworks).toEqual([]);
    expect((await adopt(scope.id)).frameworks).toEqual([{ key: ISO, version: '2022' }]);
    const before = await rowCounts();
    expect((await adopt(scope.id)).frameworks).toEqual([{ key: ISO, version: '2022' }]);
    expect(await rowCounts()).toEqual(before);
    expect((await adopt(scope.id, ISO_27002)).frameworks).toEqual([{ key: ISO, version: '2022' }, { key: ISO_27002, version: '2022' }]);
    const audits = await app.sql("SELECT operation, entity_type, scope_ids, after->'frameworkIds' AS after FROM audit_event WHERE entity_id = $1 AND operation = 'adoptFramework' ORDER BY at", [scope.id]);
    expect(audits).toHaveLength(2);
    expect(audits.map((a) => [a.entity_type, a.scope_ids, a.after.length])).toEqual([['SCOPE', [scope.id], 1], ['SCOPE', [scope.id], 2]]);
  });

  test('drop removes the rows, keeps the decisions for a later adoption, and is a no-op when not adopted', async () => {
    const scopeId = await isoScope();
    await decide(scopeId, 'A.5.1', { applicability: 'NOT_APPLICABLE', justification: 'No policies here' });
    expect((await soa(scopeId)).rows).toHaveLength(93);
    expect(ok(await app.gql(DROP, { s: scopeId, k: ISO })).dropFramework.frameworks).toEqual([]);
    expect((await soa(scopeId)).rows).toEqual([]);
    const before = await rowCounts();
    expect(ok(await app.gql(DROP, { s: scopeId, k: ISO })).dropFramework.frameworks).toEqual([]);
    expect(await rowCounts()).toEqual(before);
    await adopt(scopeId);
    expect(rowOf(await soa(scopeId), 'A.5.1')).toMatchObject({ applicability: 'NOT_APPLICABLE', justification: 'No policies here', entryVersion: 1 });
    const ops = await app.sql("SELECT operation, entity_type FROM audit_event WHERE entity_id = $1 AND operation IN ('adoptFramework', 'dropFramework') ORDER BY at", [scopeId]);
    expect(ops).toEqual([{ operation: 'adoptFramework', entity_type: 'SCOPE' }, { operation: 'dropFramework', entity_type: 'SCOPE' }, { operation: 'adoptFramework', entity_type: 'SCOPE' }]);
  });

  test('unknown framework or version is BAD_USER_INPUT; another version of an adopted key is CONFLICT; unknown scope NOT_FOUND', async () => {
    const scopeId = await isoScope();
    const before = await rowCounts();
    expectFailure(await app.gql(ADOPT, { s: scopeId, k: 'no-such-framework' }), 'BAD_USER_INPUT', 'frameworkKey');
    expectFailure(await app.gql(ADOPT, { s: scopeId, k: ISO, v: '1999' }), 'BAD_USER_INPUT', 'frameworkKey');
    expectFailure(await app.gql(DROP, { s: scopeId, k: 'no-such-framework' }), 'BAD_USER_INPUT', 'frameworkKey');
    expectFailure(await app.gql(ADOPT, { s: randomUUID(), k: ISO }), 'NOT_FOUND');
    expectFailure(await app.gql(DROP, { s: 'nope', k: ISO }), 'NOT_FOUND');
    expect(await rowCounts()).toEqual(before);

    // a second version of a custom framework: adopting it beside the first is CONFLICT
    const key = `custom-${randomUUID().slice(0, 8)}`;
    const create = 'mutation($input: CreateFrameworkInput!) { createFramework(input: $input) { id } }';
    ok(await app.gql(create, { input: { key, version: '1.0', name: 'Custom', kind: 'CONTROL_CATALOG' } }));
    ok(await app.gql(create, { input: { key, version: '2.0', name: 'Custom', kind: 'CONTROL_CATALOG' } }));
    expect(ok(await app.gql(ADOPT, { s: scopeId, k: key, v: '1.0' })).adoptFramework.frameworks).toContainEqual({ key, version: '1.0' });
    const adopted = await rowCounts();
    expectFailure(await app.gql(ADOPT, { s: scopeId, k: key }), 'CONFLICT');
    expect(await rowCounts()).toEqual(adopted);
  });
});

describe('the current statement', () => {
  test('an ISO 27001 adoption has one UNDECIDED row per Annex A control (kind CONTROL, no clauses)', async () => {
    const scopeId = await isoScope();
    const statement = await soa(scopeId);
    expect(statement).toMatchObject({ version: null, approvedAt: null, approver: null, scope: { id: scopeId } });
    expect(statement.rows).toHaveLength(93);
    const codes = statement.rows.map((r: any) => r.code);
    expect(codes[0]).toBe('A.5.1');
    expect(codes.at(-1)).toBe('A.8.34');
    expect(new Set(codes).size).toBe(93);
    expect(codes.every((c: string) => /^A\.[5-8]\.\d+$/.test(c))).toBe(true);
    for (const row of statement.rows) {
      expect(row).toMatchObject({
        frameworkKey: ISO, frameworkVersion: '2022', applicability: 'UNDECIDED', justification: null, drivers: [], entryVersion: null,
        implementationStatus: 'NOT_IMPLEMENTED', coverageStatus: 'NOT_COVERED', evidenceFreshness: 'NONE', controlCodes: [], controls: [],
      });
      expect(row.requirement).toEqual({ id: row.requirementId, code: row.code, kind: 'CONTROL' });
    }
    const [{ n }] = await app.sql("SELECT count(*)::int AS n FROM requirement r JOIN framework f ON f.id = r.framework_id WHERE f.key = $1 AND r.kind = 'CONTROL' AND r.assessable", [ISO]);
    expect(n).toBe(93);
  });

  test('a scope without adopted frameworks has no rows', async () => {
    const scope = await createScope(app);
    expect((await soa(scope.id)).rows).toEqual([]);
  });

  test('derived columns follow the scope\'s controls, coverage and evidence', async () => {
    const scopeId = await isoScope();
    const done = await implementing(scopeId, 'IMPLEMENTED', [[ISO, 'A.5.1']], `POL-${randomUUID().slice(0, 6)}`);
    await evidence(done, daysFromNow(60));
    const staleOnly = await implementing(scopeId, 'IMPLEMENTED', [[ISO, 'A.5.2']]);
    await evidence(staleOnly, daysFromNow(-1), daysFromNow(-90));
    await implementing(scopeId, 'IN_PROGRESS', [[ISO, 'A.5.3']]);
    const planned = await implementing(scopeId, 'PLANNED', [[ISO, 'A.5.4']]);
    await implementing(scopeId, 'RETIRED', [[ISO, 'A.5.5']]);
    // ISO 27002 5.15 EQUAL A.5.15 in the shipped crosswalk: a FULL chain, no direct control
    await implementing(scopeId, 'IMPLEMENTED', [[ISO_27002, '5.15']]);
    // a control of another scope counts for nothing here
    await implementing((await createScope(app)).id, 'IMPLEMENTED', [[ISO, 'A.5.6']]);
    await decide(scopeId, 'A.5.7', { applicability: 'NOT_APPLICABLE', justification: 'No threat intelligence needs', drivers: ['BUSINESS'] });
    await decide(scopeId, 'A.5.8', { applicability: 'INHERITED', justification: 'Parent scope runs project security' });
    await implementing(scopeId, 'IMPLEMENTED', [[ISO, 'A.5.7']]);

    const statement = await soa(scopeId);
    const doneCode = rowOf(statement, 'A.5.1').controlCodes[0];
    expect(rowOf(statement, 'A.5.1')).toMatchObject({ implementationStatus: 'IMPLEMENTED', coverageStatus: 'COVERED', evidenceFreshness: 'FRESH', controls: [{ id: done, code: doneCode }] });
    expect(doneCode).toMatch(/^POL-/);
    expect(rowOf(statement, 'A.5.2')).toMatchObject({ implementationStatus: 'IMPLEMENTED', coverageStatus: 'COVERED', evidenceFreshness: 'STALE' });
    expect(rowOf(statement, 'A.5.3')).toMatchObject({ implementationStatus: 'PARTIALLY_IMPLEMENTED', coverageStatus: 'PARTIAL', evidenceFreshness: 'NONE' });
    expect(rowOf(statement, 'A.5.4')).toMatchObject({ implementationStatus: 'PLANNED', coverageStatus: 'PARTIAL', controls: [{ id: planned }] });
    expect(rowOf(statement, 'A.5.5')).toMatchObject({ implementationStatus: 'NOT_IMPLEMENTED', coverageStatus: 'NOT_COVERED', controlCodes: [] });
    expect(rowOf(statement, 'A.5.6')).toMatchObject({ implementationStatus: 'NOT_IMPLEMENTED', coverageStatus: 'NOT_COVERED' });
    expect(rowOf(statement, 'A.5.15')).toMatchObject({ implementationStatus: 'IMPLEMENTED', coverageStatus: 'COVERED', controlCodes: [], evidenceFreshness: 'NONE' });
    expect(rowOf(statement, 'A.5.7')).toMatchObject({ applicability: 'NOT_APPLICABLE', drivers: ['BUSINESS'], implementationStatus: 'NOT_APPLICABLE', coverageStatus: 'EXCLUDED' });
    expect(rowOf(statement, 'A.5.8')).toMatchObject({ applicability: 'INHERITED', implementationStatus: 'IMPLEMENTED', coverageStatus: 'COVERED' });
  });

  test('reading 93 rows with their controls and requirements runs a handful of statements', async () => {
    const scopeId = await isoScope();
    for (const code of ['A.5.1', 'A.5.2', 'A.5.3']) await implementing(scopeId, 'IMPLEMENTED', [[ISO, code]]);
    const res = await app.gql(SOA, { s: scopeId });
    expect(ok(res).statementOfApplicability.rows).toHaveLength(93);
    expect(res.statements).toBeLessThan(20);
  });
});

describe('setApplicability', () => {
  test('records a decision, returns the row, is audited as SOA_ENTRY; an identical decision writes nothing', async () => {
    const scopeId = await isoScope();
    const row = await decide(scopeId, 'A.8.1', { applicability: 'APPLICABLE', drivers: ['LEGAL', 'RISK_ASSESSMENT', 'LEGAL'] });
    expect(row).toMatchObject({ code: 'A.8.1', applicability: 'APPLICABLE', justification: null, drivers: ['RISK_ASSESSMENT', 'LEGAL'], entryVersion: 1, coverageStatus: 'NOT_COVERED' });
    const before = await rowCounts();
    expect(await decide(scopeId, 'A.8.1', { applicability: 'APPLICABLE', drivers: ['LEGAL', 'RISK_ASSESSMENT'] })).toMatchObject({ entryVersion: 1 });
    expect(await rowCounts()).toEqual(before);
    const changed = await decide(scopeId, 'A.8.1', { applicability: 'NOT_APPLICABLE', justification: '  No endpoints in scope  ', expectedVersion: 1 });
    expect(changed).toMatchObject({ applicability: 'NOT_APPLICABLE', justification: 'No endpoints in scope', drivers: [], entryVersion: 2, implementationStatus: 'NOT_APPLICABLE', coverageStatus: 'EXCLUDED' });
    const audits = await app.sql("SELECT operation, entity_type, scope_ids, after->>'applicability' AS applicability FROM audit_event WHERE entity_type = 'SOA_ENTRY' AND after->>'requirementId' = $1 AND $2 = ANY(scope_ids) ORDER BY at", [row.requirementId, scopeId]);
    expect(audits).toEqual([
      { operation: 'setApplicability', entity_type: 'SOA_ENTRY', scope_ids: [scopeId], applicability: 'APPLICABLE' },
      { operation: 'setApplicability', entity_type: 'SOA_ENTRY', scope_ids: [scopeId], applicability: 'NOT_APPLICABLE' },
    ]);
  });

  test('the justification rule: required unless APPLICABLE (BAD_USER_INPUT on justification, nothing written)', async () => {
    const scopeId = await isoScope();
    const before = await rowCounts();
    for (const patch of [
      { applicability: 'NOT_APPLICABLE' },
      { applicability: 'NOT_APPLICABLE', justification: null },
      { applicability: 'NOT_APPLICABLE', justification: '   ' },
      { applicability: 'INHERITED' },
      { applicability: 'INHERITED', justification: '' },
    ]) {
      const res = await app.gql(SET, { input: { scopeId, requirementId: await req(ISO, 'A.6.1'), ...patch } });
      expectFailure(res, 'BAD_USER_INPUT', 'justification');
    }
    expect(await rowCounts()).toEqual(before);
    expect(rowOf(await soa(scopeId), 'A.6.1')).toMatchObject({ applicability: 'UNDECIDED', entryVersion: null });
    // APPLICABLE needs none
    expect(await decide(scopeId, 'A.6.1', { applicability: 'APPLICABLE' })).toMatchObject({ applicability: 'APPLICABLE', justification: null });
  });

  test('bad inputs are BAD_USER_INPUT naming the field, and write nothing', async () => {
    const scopeId = await isoScope();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ applicability: 'UNDECIDED' }, 'applicability'],
      [{ requirementId: await req(ISO, '4.1') }, 'requirementId'], // a clause, not a CONTROL
      [{ requirementId: await req(ISO_27002, '5.1') }, 'requirementId'], // a framework the scope does not adopt
      [{ requirementId: await req(ISO, 'A.5') }, 'requirementId'], // a theme
      [{ requirementId: randomUUID() }, 'requirementId'],
      [{ requirementId: 'A.5.1' }, 'requirementId'],
      [{ scopeId: randomUUID() }, 'scopeId'],
      [{ applicability: 'NOT_APPLICABLE', justification: 'j'.repeat(10_001) }, 'justification'],
      [{ drivers: ['GUT_FEELING'] }, 'drivers'],
    ];
    const before = await rowCounts();
    for (const [patch, field] of cases) {
      const res = await app.gql(SET, { input: { scopeId, requirementId: await req(ISO, 'A.5.1'), applicability: 'APPLICABLE', ...patch } });
      expect({ patch, code: errorCode(res) }).toEqual({ patch, code: 'BAD_USER_INPUT' });
      if (res.data !== undefined) expect(res.data).toBeNull();
      // an unknown enum value is refused by GraphQL itself, without a field
      if (field !== 'drivers') expect({ patch, field: res.errors![0].extensions.field }).toEqual({ patch, field });
    }
    expect(await rowCounts()).toEqual(before);
  });

  test('expectedVersion: CONFLICT when stale, 0 asserts nothing was set yet', async () => {
    const scopeId = await isoScope();
    const before = await rowCounts();
    expectFailure(await app.gql(SET, { input: { scopeId, requirementId: await req(ISO, 'A.7.1'), applicability: 'APPLICABLE', expectedVersion: 3 } }), 'CONFLICT');
    expect(await rowCounts()).toEqual(before);
    expect(await decide(scopeId, 'A.7.1', { expectedVersion: 0 })).toMatchObject({ entryVersion: 1 });
    expect(await decide(scopeId, 'A.7.1', { applicability: 'INHERITED', justification: 'Landlord', expectedVersion: 1 })).toMatchObject({ entryVersion: 2 });
    const after = await rowCounts();
    expectFailure(await app.gql(SET, { input: { scopeId, requirementId: await req(ISO, 'A.7.1'), applicability: 'APPLICABLE', expectedVersion: 1 } }), 'CONFLICT');
    expectFailure(await app.gql(SET, { input: { scopeId, requirementId: await req(ISO, 'A.7.1'), applicability: 'APPLICABLE', expectedVersion: 0 } }), 'CONFLICT');
    expect(await rowCounts()).toEqual(after);
  });
});

describe('setApplicabilities', () => {
  async function inputsFor(scopeId: string, codes: string[], patch: (code: string, i: number) => Record<string, unknown> = () => ({})) {
    return Promise.all(codes.map(async (code, i) => ({ scopeId, requirementId: await req(ISO, code), applicability: 'APPLICABLE', ...patch(code, i) })));
  }

  test('one bad row writes nothing, and its fault names its index in extensions.path', async () => {
    const scopeId = await isoScope();
    const codes = ['A.5.1', 'A.5.2', 'A.5.3', 'A.5.4', 'A.5.5'];
    const before = await rowCounts();
    const cases: Array<[(inputs: any[]) => void, string, string, string]> = [
      [(inputs) => { inputs[3].applicability = 'NOT_APPLICABLE'; }, 'BAD_USER_INPUT', 'inputs[3].justification', 'justification'],
      [(inputs) => { inputs[2].applicability = 'INHERITED'; inputs[2].justification = ' '; }, 'BAD_USER_INPUT', 'inputs[2].justification', 'justification'],
      [(inputs) => { inputs[1].applicability = 'UNDECIDED'; }, 'BAD_USER_INPUT', 'inputs[1].applicability', 'applicability'],
      [(inputs) => { inputs[4].justification = 'x'.repeat(10_001); }, 'BAD_USER_INPUT', 'inputs[4].justification', 'justification'],
      [(inputs) => { inputs[0].requirementId = 'nope'; }, 'BAD_USER_INPUT', 'inputs[0].requirementId', 'requirementId'],
      [(inputs) => { inputs[4].requirementId = inputs[1].requirementId; }, 'BAD_USER_INPUT', 'inputs[4].requirementId', 'requirementId'],
      [(inputs) => { inputs[3].scopeId = randomUUID(); }, 'BAD_USER_INPUT', 'inputs[3].scopeId', 'scopeId'],
      [(inputs) => { inputs[2].expectedVersion = 7; }, 'CONFLICT', 'inputs[2]', ''],
    ];
    for (const [mutate, code, path, field] of cases) {
      const inputs = await inputsFor(scopeId, codes);
      mutate(inputs);
      const res = await app.gql(SET_MANY, { inputs });
      expect({ path, code: errorCode(res), at: res.errors![0].extensions.path }).toEqual({ path, code, at: path });
      if (field) expect(res.errors![0].extensions.field).toBe(field);
      expect(res.data).toBeNull();
    }
    // a requirement of a framework the scope does not adopt, found only in the database
    const inputs = await inputsFor(scopeId, codes);
    inputs[3].requirementId = await req(ISO_27002, '5.1');
    const res = await app.gql(SET_MANY, { inputs });
    expect(res.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', path: 'inputs[3].requirementId', field: 'requirementId' });
    expect(await rowCounts()).toEqual(before);
    expect((await soa(scopeId)).rows.every((r: any) => r.applicability === 'UNDECIDED')).toBe(true);
  });

  test('decides every row at once, in one transaction, returning the rows in input order', async () => {
    const scopeId = await isoScope();
    const statement = await soa(scopeId);
    const codes = statement.rows.map((r: any) => r.code).reverse();
    const inputs = await inputsFor(scopeId, codes, (_code, i) => (i % 3 === 0
      ? { applicability: 'NOT_APPLICABLE', justification: `Out of scope, reason ${i}`, drivers: ['CONTRACTUAL'] }
      : { drivers: ['RISK_ASSESSMENT'] }));
    const before = await rowCounts();
    const rows = ok(await app.gql(SET_MANY, { inputs })).setApplicabilities;
    expect(rows.map((r: any) => r.code)).toEqual(codes);
    expect(rows.filter((r: any) => r.applicability === 'NOT_APPLICABLE')).toHaveLength(31);
    const after = await rowCounts();
    expect(after.entries - before.entries).toBe(93);
    expect(after.audits - before.audits).toBe(93);
    const ops = await app.sql("SELECT DISTINCT operation, entity_type FROM audit_event WHERE entity_type = 'SOA_ENTRY' AND $1 = ANY(scope_ids)", [scopeId]);
    expect(ops).toEqual([{ operation: 'setApplicabilities', entity_type: 'SOA_ENTRY' }]);
    expect((await soa(scopeId)).rows.every((r: any) => r.applicability !== 'UNDECIDED')).toBe(true);
    expect(ok(await app.gql(SET_MANY, { inputs: [] })).setApplicabilities).toEqual([]);
  });
});

describe('approved versions and diffs', () => {
  test('versions 1 and 2 freeze the rows; the diff between them and against the current state lists what changed', async () => {
    const scopeId = await isoScope();
    // A.5.5 has no mapping to NIST CSF: implementing it starts no chain that would reach other rows
    const policy = await implementing(scopeId, 'PLANNED', [[ISO, 'A.5.5']]);
    await decide(scopeId, 'A.5.5', { drivers: ['RISK_ASSESSMENT'] });
    await decide(scopeId, 'A.5.2', { applicability: 'NOT_APPLICABLE', justification: 'Roles are defined by the parent' });

    const approver1 = await createOwner(app);
    const v1 = ok(await app.gql(APPROVE, { s: scopeId, a: approver1.id })).approveStatementOfApplicability;
    expect(v1).toMatchObject({ number: 1, rowCount: 93, approver: { id: approver1.id }, scope: { id: scopeId }, statement: { version: 1 } });
    expect(v1.statement.rows).toHaveLength(93);
    expect(await app.sql("SELECT entity_type, operation FROM audit_event WHERE entity_id = $1", [v1.id])).toEqual([{ entity_type: 'SOA_ENTRY', operation: 'approveStatementOfApplicability' }]);

    // changes after version 1: a decision, a justification, a control's status, a new implementing control, evidence
    ok(await app.gql('mutation($id: ID!) { updateControl(id: $id, input: { status: IMPLEMENTED }, expectedVersion: 2) { id } }', { id: policy }));
    await evidence(policy, daysFromNow(100));
    await decide(scopeId, 'A.5.2', { applicability: 'INHERITED', justification: 'Parent scope defines roles', expectedVersion: 1 });
    await decide(scopeId, 'A.5.3', { applicability: 'NOT_APPLICABLE', justification: 'Single person team, segregation impossible' });
    const extra = await implementing(scopeId, 'IN_PROGRESS', [[ISO, 'A.5.4']]);
    const v2 = await approve(scopeId);
    expect(v2.number).toBe(2);

    // version 1 reads as frozen, whatever changed since
    const frozen = await soa(scopeId, 1);
    expect(frozen).toMatchObject({ version: 1, approver: { id: approver1.id }, scope: { id: scopeId } });
    expect(Date.parse(frozen.approvedAt)).toBe(Date.parse(v1.approvedAt));
    expect(rowOf(frozen, 'A.5.5')).toMatchObject({ implementationStatus: 'PLANNED', coverageStatus: 'PARTIAL', evidenceFreshness: 'NONE', drivers: ['RISK_ASSESSMENT'], controls: [{ id: policy }] });
    expect(rowOf(frozen, 'A.5.2')).toMatchObject({ applicability: 'NOT_APPLICABLE', justification: 'Roles are defined by the parent', entryVersion: 1 });
    expect(rowOf(frozen, 'A.5.3')).toMatchObject({ applicability: 'UNDECIDED' });
    expect(rowOf(await soa(scopeId, 2), 'A.5.3')).toMatchObject({ applicability: 'NOT_APPLICABLE' });

    const diff = ok(await app.gql(DIFF, { s: scopeId, from: 1, to: 2 })).soaDiff;
    expect(diff).toMatchObject({ from: 1, to: 2, scope: { id: scopeId }, added: [], removed: [] });
    const byCode = Object.fromEntries(diff.changed.map((c: any) => [c.code, c]));
    expect(Object.keys(byCode).sort()).toEqual(['A.5.2', 'A.5.3', 'A.5.4', 'A.5.5']);
    expect(byCode['A.5.5'].fields).toEqual(['IMPLEMENTATION_STATUS', 'EVIDENCE_FRESHNESS', 'COVERAGE_STATUS']);
    expect(byCode['A.5.5'].changes).toEqual([
      { field: 'IMPLEMENTATION_STATUS', before: 'PLANNED', after: 'IMPLEMENTED' },
      { field: 'EVIDENCE_FRESHNESS', before: 'NONE', after: 'FRESH' },
      { field: 'COVERAGE_STATUS', before: 'PARTIAL', after: 'COVERED' },
    ]);
    expect(byCode['A.5.2'].changes).toEqual([
      { field: 'APPLICABILITY', before: 'NOT_APPLICABLE', after: 'INHERITED' },
      { field: 'JUSTIFICATION', before: 'Roles are defined by the parent', after: 'Parent scope defines roles' },
      { field: 'IMPLEMENTATION_STATUS', before: 'NOT_APPLICABLE', after: 'IMPLEMENTED' },
      { field: 'COVERAGE_STATUS', before: 'EXCLUDED', after: 'COVERED' },
    ]);
    expect(byCode['A.5.2'].before).toMatchObject({ applicability: 'NOT_APPLICABLE', entryVersion: 1 });
    expect(byCode['A.5.2'].after).toMatchObject({ applicability: 'INHERITED', entryVersion: 2 });
    expect(byCode['A.5.3'].fields).toEqual(['APPLICABILITY', 'JUSTIFICATION', 'IMPLEMENTATION_STATUS', 'COVERAGE_STATUS']);
    const extraCode = byCode['A.5.4'].after.controlCodes[0];
    expect(byCode['A.5.4'].changes).toEqual([
      { field: 'IMPLEMENTATION_STATUS', before: 'NOT_IMPLEMENTED', after: 'PARTIALLY_IMPLEMENTED' },
      { field: 'CONTROLS', before: null, after: extraCode },
      { field: 'COVERAGE_STATUS', before: 'NOT_COVERED', after: 'PARTIAL' },
    ]);
    expect(byCode['A.5.4'].after.controls).toEqual([{ id: extra, code: extraCode }]);

    // against the current state: nothing changed since version 2, then one decision and an adoption
    expect(ok(await app.gql(DIFF, { s: scopeId, from: 2 })).soaDiff).toMatchObject({ from: 2, to: null, changed: [], added: [], removed: [] });
    await decide(scopeId, 'A.8.34', { drivers: ['LEGAL', 'CONTRACTUAL'] });
    await adopt(scopeId, ISO_27002);
    const current = ok(await app.gql(DIFF, { s: scopeId, from: 2 })).soaDiff;
    expect(current.changed.map((c: any) => [c.code, c.changes])).toEqual([['A.8.34', [
      { field: 'APPLICABILITY', before: 'UNDECIDED', after: 'APPLICABLE' },
      { field: 'DRIVERS', before: null, after: 'LEGAL; CONTRACTUAL' },
    ]]]);
    expect(current.added).toHaveLength(93);
    expect(current.added.every((r: any) => r.frameworkKey === ISO_27002)).toBe(true);
    expect(current.removed).toEqual([]);
    // and back: 27002 dropped, its rows are removed against version 2 of a later approval
    const v3 = await approve(scopeId);
    ok(await app.gql(DROP, { s: scopeId, k: ISO_27002 }));
    const dropped = ok(await app.gql(DIFF, { s: scopeId, from: v3.number })).soaDiff;
    expect(dropped.removed).toHaveLength(93);
    expect(dropped.added).toEqual([]);

    const versions = ok(await app.gql('query($id: ID!) { scope(id: $id) { soaVersions { number rowCount approver { id } statement { version rows { code } } } } }', { id: scopeId })).scope.soaVersions;
    expect(versions.map((v: any) => [v.number, v.rowCount, v.statement.version, v.statement.rows.length])).toEqual([[1, 93, 1, 93], [2, 93, 2, 93], [3, 186, 3, 186]]);
  });

  test('an unknown version is NOT_FOUND for reads and diffs', async () => {
    const scopeId = await isoScope();
    await approve(scopeId);
    expectFailure(await app.gql(SOA, { s: scopeId, v: 2 }), 'NOT_FOUND');
    expectFailure(await app.gql(SOA, { s: scopeId, v: 0 }), 'NOT_FOUND');
    expectFailure(await app.gql(DIFF, { s: scopeId, from: 2 }), 'NOT_FOUND');
    expectFailure(await app.gql(DIFF, { s: scopeId, from: 1, to: 5 }), 'NOT_FOUND');
    expectFailure(await app.gql(SOA, { s: randomUUID() }), 'NOT_FOUND');
  });

  test('concurrent approvals of one scope get consecutive numbers', async () => {
    const scopeId = await isoScope();
    const approver = await createOwner(app);
    const results = await Promise.all(Array.from({ length: 5 }, () => app.gql(APPROVE, { s: scopeId, a: approver.id })));
    expect(results.map((r) => ok(r).approveStatementOfApplicability.number).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  test('approval refuses an unknown approver or a scope without rows, writing nothing; a retry with the idempotencyKey returns the same version', async () => {
    const scopeId = await isoScope();
    const empty = await createScope(app);
    const approver = await createOwner(app);
    const before = await rowCounts();
    expectFailure(await app.gql(APPROVE, { s: scopeId, a: randomUUID() }), 'BAD_USER_INPUT', 'approverId');
    expectFailure(await app.gql(APPROVE, { s: empty.id, a: approver.id }), 'BAD_USER_INPUT', 'scopeId');
    expectFailure(await app.gql(APPROVE, { s: randomUUID(), a: approver.id }), 'NOT_FOUND');
    expect(await rowCounts()).toEqual(before);
    const key = randomUUID();
    const first = ok(await app.gql(APPROVE, { s: scopeId, a: approver.id, k: key })).approveStatementOfApplicability;
    const again = ok(await app.gql(APPROVE, { s: scopeId, a: approver.id, k: key })).approveStatementOfApplicability;
    expect(again.id).toBe(first.id);
    expect((await rowCounts()).soaVersions).toBe(before.soaVersions + 1);
  });
});

describe('export', () => {
  const COLUMNS = ['framework', 'code', 'title', 'applicability', 'justification', 'drivers', 'implementing_controls', 'implementation_status', 'evidence_freshness', 'coverage_status'];

  async function exportedScope(): Promise<{ scopeId: string; controlCode: string; justification: string }> {
    const scopeId = await isoScope();
    const controlCode = `ACC-${randomUUID().slice(0, 6)}`;
    const control = await implementing(scopeId, 'IMPLEMENTED', [[ISO, 'A.5.15']], controlCode);
    await evidence(control, daysFromNow(30));
    const justification = 'Handled by "Group IT", see:\nhttps://wiki.example/a,b';
    await decide(scopeId, 'A.5.15', { drivers: ['RISK_ASSESSMENT', 'LEGAL'] });
    await decide(scopeId, 'A.7.4', { applicability: 'NOT_APPLICABLE', justification });
    return { scopeId, controlCode, justification };
  }

  test('the CSV parses back: a header with the auditor\'s columns, one record per row, the values of the rows', async () => {
    const { scopeId, controlCode, justification } = await exportedScope();
    const { csv, version } = ok(await app.gql(EXPORT, { s: scopeId })).statementOfApplicability;
    expect(version).toBeNull();
    expect(csv.endsWith('\r\n')).toBe(true);
    const table = parseCsvTable(csv);
    expect(table.columns).toEqual(COLUMNS);
    expect(table.records).toHaveLength(93);
    const records = table.records.map((r) => Object.fromEntries(COLUMNS.map((c, i) => [c, r.fields[i]])));
    expect(records.every((r) => r.framework === ISO)).toBe(true);
    expect(records.map((r) => r.code)).toEqual((await soa(scopeId)).rows.map((r: any) => r.code));
    expect(records.find((r) => r.code === 'A.5.15')).toEqual({
      framework: ISO, code: 'A.5.15', title: 'Access control', applicability: 'APPLICABLE', justification: '', drivers: 'RISK_ASSESSMENT; LEGAL',
      implementing_controls: controlCode, implementation_status: 'IMPLEMENTED', evidence_freshness: 'FRESH', coverage_status: 'COVERED',
    });
    expect(records.find((r) => r.code === 'A.7.4')).toMatchObject({ applicability: 'NOT_APPLICABLE', justification, implementation_status: 'NOT_APPLICABLE', coverage_status: 'EXCLUDED' });
    expect(records.filter((r) => r.applicability === 'UNDECIDED')).toHaveLength(91);
  });

  test('a version exports as frozen, as CSV and as JSON', async () => {
    const { scopeId, controlCode } = await exportedScope();
    const version = await approve(scopeId);
    await decide(scopeId, 'A.5.15', { applicability: 'NOT_APPLICABLE', justification: 'Changed after approval', expectedVersion: 1 });
    const exported = ok(await app.gql(EXPORT, { s: scopeId, v: version.number })).statementOfApplicability;
    const records = parseCsvTable(exported.csv).records;
    expect(records.find((r) => r.fields[1] === 'A.5.15')!.fields.slice(3, 8)).toEqual(['APPLICABLE', '', 'RISK_ASSESSMENT; LEGAL', controlCode, 'IMPLEMENTED']);
    expect(exported.json).toMatchObject({ scope: { id: scopeId }, version: version.number, approver: { id: version.approver.id }, columns: COLUMNS });
    expect(exported.json.generatedAt).toBeUndefined();
    expect(exported.json.rows).toHaveLength(93);
    expect(exported.json.rows.find((r: any) => r.code === 'A.5.15')).toMatchObject({
      framework: ISO, frameworkVersion: '2022', applicability: 'APPLICABLE', justification: null, drivers: ['RISK_ASSESSMENT', 'LEGAL'],
      implementingControls: [controlCode], implementationStatus: 'IMPLEMENTED', evidenceFreshness: 'FRESH', coverageStatus: 'COVERED',
    });
    const live = ok(await app.gql(EXPORT, { s: scopeId })).statementOfApplicability.json;
    expect(live).toMatchObject({ version: null, approvedAt: null, approver: null });
    expect(typeof live.generatedAt).toBe('string');
    expect(live.rows.find((r: any) => r.code === 'A.5.15')).toMatchObject({ applicability: 'NOT_APPLICABLE', justification: 'Changed after approval' });
  });

  test('GET /soa/<scopeId>.csv|.json: 200 with a key, 401 without, 404 outside a restricted key\'s scopes', async () => {
    const { scopeId } = await exportedScope();
    const version = await approve(scopeId);
    const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
    const reader = (await app.createKey([Permission.ISMS_READ])).secret;

    const csv = await rawGet(app, `/soa/${scopeId}.csv`, bearer(reader));
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="soa-.+-current\.csv"$/);
    expect(csv.text).toBe(ok(await app.gql(EXPORT, { s: scopeId })).statementOfApplicability.csv);

    const versioned = await rawGet(app, `/soa/${scopeId}.csv?version=${version.number}`, bearer(reader));
    expect(versioned.status).toBe(200);
    expect(versioned.text).toBe(ok(await app.gql(EXPORT, { s: scopeId, v: version.number })).statementOfApplicability.csv);
    expect(parseCsvTable(versioned.text).records).toHaveLength(93);

    const json = await rawGet(app, `/soa/${scopeId}.json?version=${version.number}`, bearer(reader));
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json.json).toEqual(ok(await app.gql(EXPORT, { s: scopeId, v: version.number })).statementOfApplicability.json);

    const anonymous = await rawGet(app, `/soa/${scopeId}.csv`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const badKey = await rawGet(app, `/soa/${scopeId}.json`, bearer('isms_not-a-real-key'));
    expect([badKey.status, badKey.json.errors[0].extensions.code]).toEqual([401, 'UNAUTHENTICATED']);

    const other = await createScope(app);
    const restricted = (await app.createKey([Permission.ISMS_READ], { scopeIds: [other.id] })).secret;
    const foreign = await rawGet(app, `/soa/${scopeId}.csv`, bearer(restricted));
    expect([foreign.status, foreign.json.errors[0].extensions.code]).toEqual([404, 'NOT_FOUND']);
    const allowed = (await app.createKey([Permission.ISMS_READ], { scopeIds: [scopeId] })).secret;
    expect((await rawGet(app, `/soa/${scopeId}.json`, bearer(allowed))).status).toBe(200);

    const catalogOnly = (await app.createKey([Permission.CATALOG_WRITE])).secret;
    const forbidden = await rawGet(app, `/soa/${scopeId}.csv`, bearer(catalogOnly));
    expect([forbidden.status, forbidden.json.errors[0].extensions.code]).toEqual([403, 'FORBIDDEN']);
    const missing = await rawGet(app, `/soa/${scopeId}.csv?version=99`, bearer(reader));
    expect([missing.status, missing.json.errors[0].extensions.code]).toEqual([404, 'NOT_FOUND']);
    const badVersion = await rawGet(app, `/soa/${scopeId}.csv?version=first`, bearer(reader));
    expect([badVersion.status, badVersion.json.errors[0].extensions]).toEqual([400, { code: 'BAD_USER_INPUT', field: 'version' }]);
    const unknownScope = await rawGet(app, `/soa/${randomUUID()}.json`, bearer(reader));
    expect([unknownScope.status, unknownScope.json.errors[0].extensions.code]).toEqual([404, 'NOT_FOUND']);
    const otherFormat = await rawGet(app, `/soa/${scopeId}.xml`, bearer(reader));
    expect([otherFormat.status, otherFormat.json.errors[0].extensions.code]).toEqual([404, 'NOT_FOUND']);
  });
});

describe('SoA access', () => {
  test('isms:read reads and cannot write; no key is UNAUTHENTICATED', async () => {
    const scopeId = await isoScope();
    const reader = (await app.createKey([Permission.ISMS_READ])).secret;
    const approver = await createOwner(app);
    const before = await rowCounts();
    expect((await soa(scopeId, undefined, reader)).rows).toHaveLength(93);
    expectFailure(await app.gql(SET, { input: { scopeId, requirementId: await req(ISO, 'A.5.1'), applicability: 'APPLICABLE' } }, reader), 'FORBIDDEN');
    expectFailure(await app.gql(SET_MANY, { inputs: [] }, reader), 'FORBIDDEN');
    expectFailure(await app.gql(ADOPT, { s: scopeId, k: ISO_27002 }, reader), 'FORBIDDEN');
    expectFailure(await app.gql(DROP, { s: scopeId, k: ISO }, reader), 'FORBIDDEN');
    expectFailure(await app.gql(APPROVE, { s: scopeId, a: approver.id }, reader), 'FORBIDDEN');
    expectFailure(await app.gql(SOA, { s: scopeId }, null), 'UNAUTHENTICATED');
    expect(await rowCounts()).toEqual(before);
  });

  test('a restricted key works in its scopes; elsewhere reads are NOT_FOUND and writes NOT_FOUND or FORBIDDEN', async () => {
    const mine = await isoScope();
    const theirs = await isoScope();
    await approve(theirs);
    const key = (await app.createKey([Permission.ISMS_WRITE], { scopeIds: [mine] })).secret;
    const approver = await createOwner(app);

    expect((await soa(mine, undefined, key)).rows).toHaveLength(93);
    expect(await decide(mine, 'A.5.1', {}, key)).toMatchObject({ applicability: 'APPLICABLE' });
    expect((await adopt(mine, ISO_27002, key)).frameworks).toHaveLength(2);
    expect(ok(await app.gql(APPROVE, { s: mine, a: approver.id }, key)).approveStatementOfApplicability.number).toBe(1);

    const before = await rowCounts();
    expectFailure(await app.gql(SOA, { s: theirs }, key), 'NOT_FOUND');
    expectFailure(await app.gql(SOA, { s: theirs, v: 1 }, key), 'NOT_FOUND');
    expectFailure(await app.gql(DIFF, { s: theirs, from: 1 }, key), 'NOT_FOUND');
    expectFailure(await app.gql(ADOPT, { s: theirs, k: ISO_27002 }, key), 'NOT_FOUND');
    expectFailure(await app.gql(DROP, { s: theirs, k: ISO }, key), 'NOT_FOUND');
    expectFailure(await app.gql(APPROVE, { s: theirs, a: approver.id }, key), 'NOT_FOUND');
    expectFailure(await app.gql(SET, { input: { scopeId: theirs, requirementId: await req(ISO, 'A.5.1'), applicability: 'APPLICABLE' } }, key), 'FORBIDDEN');
    const bulk = await app.gql(SET_MANY, { inputs: [
      { scopeId: mine, requirementId: await req(ISO, 'A.5.2'), applicability: 'APPLICABLE' },
      { scopeId: theirs, requirementId: await req(ISO, 'A.5.2'), applicability: 'APPLICABLE' },
    ] }, key);
    expect(bulk.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', path: 'inputs[1]' });
    expect(await rowCounts()).toEqual(before);
    const scopes = ok(await app.gql('query { scopes(first: 500) { edges { node { id frameworks { key } soaVersions { number } } } } }', {}, key)).scopes.edges;
    expect(scopes.map((e: any) => e.node.id)).toEqual([mine]);
  });
});
