import { randomUUID } from 'node:crypto';
import { startTestApp, ok, type TestApp } from './helpers/app';
import { createScope } from './helpers/factories';
import { createControl, createRisk } from './helpers/isms-factories';
import { Permission } from '../src/auth/permissions';
import { catalogRowCounts, createFramework, createRequirement, expectFailure, requirementId } from './catalog-factories';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const LINK_CONTROL = 'mutation($c: ID!, $r: ID!) { linkControlToRequirement(controlId: $c, requirementId: $r) { id version requirements { id code framework { key } } } }';
const UNLINK_CONTROL = 'mutation($c: ID!, $r: ID!) { unlinkControlFromRequirement(controlId: $c, requirementId: $r) { id version requirements { id code } } }';
const LINK_RISK = 'mutation($k: ID!, $r: ID!) { linkRiskToThreat(riskId: $k, requirementId: $r) { id version threats { id code framework { key kind } } } }';
const UNLINK_RISK = 'mutation($k: ID!, $r: ID!) { unlinkRiskFromThreat(riskId: $k, requirementId: $r) { id version threats { id code } } }';
const CONTROL_REQUIREMENTS = 'query($id: ID!) { control(id: $id) { version requirements { id code } } }';
const RISK_THREATS = 'query($id: ID!) { risk(id: $id) { version threats { id code } } }';

async function auditOps(id: string): Promise<string[]> {
  const rows = await app.sql('SELECT operation FROM audit_event WHERE entity_id = $1 ORDER BY at, operation', [id]);
  return rows.map((r) => r.operation);
}

async function eventsOf(id: string): Promise<number> {
  const [row] = await app.sql('SELECT count(*)::int AS n FROM audit_event WHERE entity_id = $1', [id]);
  return row.n;
}

describe('linkControlToRequirement', () => {
  test('links a control to requirements of any framework, in link order; each link bumps the version; linking again is a no-op', async () => {
    const control = await createControl(app);
    const a515 = await requirementId(app, 'iso27001-2022', 'A.5.15');
    const s515 = await requirementId(app, 'iso27002-2022', '5.15');
    const prAa05 = await requirementId(app, 'nist-csf-2.0', 'PR.AA-05');
    const custom = await createFramework(app);
    const own = await createRequirement(app, custom.id, 'OWN-1');

    const first = ok(await app.gql(LINK_CONTROL, { c: control.id, r: a515 })).linkControlToRequirement;
    expect(first).toEqual({ id: control.id, version: 2, requirements: [{ id: a515, code: 'A.5.15', framework: { key: 'iso27001-2022' } }] });
    ok(await app.gql(LINK_CONTROL, { c: control.id, r: s515 }));
    ok(await app.gql(LINK_CONTROL, { c: control.id, r: prAa05 }));
    const fourth = ok(await app.gql(LINK_CONTROL, { c: control.id, r: own.id })).linkControlToRequirement;
    expect(fourth.version).toBe(5);
    expect(fourth.requirements.map((r: any) => `${r.framework.key}:${r.code}`)).toEqual([
      'iso27001-2022:A.5.15', 'iso27002-2022:5.15', 'nist-csf-2.0:PR.AA-05', `${custom.key}:OWN-1`,
    ]);

    // idempotent: same answer, no version bump, no audit row, no duplicate link
    const before = await catalogRowCounts(app);
    const again = ok(await app.gql(LINK_CONTROL, { c: control.id, r: a515 })).linkControlToRequirement;
    expect(again.version).toBe(5);
    expect(again.requirements).toHaveLength(4);
    expect(await catalogRowCounts(app)).toEqual(before);

    const read = ok(await app.gql(CONTROL_REQUIREMENTS, { id: control.id })).control;
    expect(read).toEqual({ version: 5, requirements: fourth.requirements.map((r: any) => ({ id: r.id, code: r.code })) });
    expect(await auditOps(control.id)).toEqual(['createControl', ...Array(4).fill('linkControlToRequirement')]);
    const [audit] = await app.sql("SELECT after FROM audit_event WHERE entity_id = $1 AND operation = 'linkControlToRequirement' ORDER BY at LIMIT 1", [control.id]);
    expect(audit.after.requirementIds).toEqual([a515]);
  });

  test('unlink removes the link and bumps the version; unlinking what is not linked is a no-op', async () => {
    const control = await createControl(app);
    const a515 = await requirementId(app, 'iso27001-2022', 'A.5.15');
    const a516 = await requirementId(app, 'iso27001-2022', 'A.5.16');
    ok(await app.gql(LINK_CONTROL, { c: control.id, r: a515 }));
    ok(await app.gql(LINK_CONTROL, { c: control.id, r: a516 }));
    const unlinked = ok(await app.gql(UNLINK_CONTROL, { c: control.id, r: a515 })).unlinkControlFromRequirement;
    expect(unlinked).toEqual({ id: control.id, version: 4, requirements: [{ id: a516, code: 'A.5.16' }] });
    const events = await eventsOf(control.id);
    const noop = ok(await app.gql(UNLINK_CONTROL, { c: control.id, r: a515 })).unlinkControlFromRequirement;
    expect(noop.version).toBe(4);
    const unknown = ok(await app.gql(UNLINK_CONTROL, { c: control.id, r: randomUUID() })).unlinkControlFromRequirement;
    expect(unknown.version).toBe(4);
    expect(await eventsOf(control.id)).toBe(events);
    expect(await auditOps(control.id)).toEqual(['createControl', 'linkControlToRequirement', 'linkControlToRequirement', 'unlinkControlFromRequirement']);
    // relinking works
    expect(ok(await app.gql(LINK_CONTROL, { c: control.id, r: a515 })).linkControlToRequirement.requirements.map((r: any) => r.code)).toEqual(['A.5.16', 'A.5.15']);
  });

  test('concurrent links of one pair leave one row and one version bump', async () => {
    const control = await createControl(app);
    const a51 = await requirementId(app, 'iso27001-2022', 'A.5.1');
    const results = await Promise.all(Array.from({ length: 4 }, () => app.gql(LINK_CONTROL, { c: control.id, r: a51 })));
    for (const r of results) expect(r.errors).toBeUndefined();
    const rows = await app.sql('SELECT count(*)::int AS n FROM control_requirement WHERE control_id = $1', [control.id]);
    expect(rows[0].n).toBe(1);
    expect(ok(await app.gql(CONTROL_REQUIREMENTS, { id: control.id })).control.version).toBe(2);
  });

  test('an unknown control is NOT_FOUND, an unknown requirement BAD_USER_INPUT naming requirementId; nothing written', async () => {
    const control = await createControl(app);
    const a515 = await requirementId(app, 'iso27001-2022', 'A.5.15');
    const before = await catalogRowCounts(app);
    expectFailure(await app.gql(LINK_CONTROL, { c: randomUUID(), r: a515 }), 'NOT_FOUND');
    expectFailure(await app.gql(LINK_CONTROL, { c: 'CTL-1', r: a515 }), 'NOT_FOUND');
    expectFailure(await app.gql(LINK_CONTROL, { c: control.id, r: randomUUID() }), 'BAD_USER_INPUT', 'requirementId');
    expectFailure(await app.gql(LINK_CONTROL, { c: control.id, r: 'A.5.15' }), 'BAD_USER_INPUT', 'requirementId');
    expectFailure(await app.gql(UNLINK_CONTROL, { c: randomUUID(), r: a515 }), 'NOT_FOUND');
    expect(await catalogRowCounts(app)).toEqual(before);
    expect(ok(await app.gql(CONTROL_REQUIREMENTS, { id: control.id })).control).toEqual({ version: 1, requirements: [] });
  });

  test('a link to a requirement of an old framework version keeps pointing at it after a newer version arrives', async () => {
    const key = `links-${randomUUID().slice(0, 8)}`;
    const v1 = await createFramework(app, { key, version: '1' });
    const old = await createRequirement(app, v1.id, 'R-1');
    const control = await createControl(app);
    ok(await app.gql(LINK_CONTROL, { c: control.id, r: old.id }));
    const v2 = await createFramework(app, { key, version: '2' });
    await createRequirement(app, v2.id, 'R-1');
    const read = ok(await app.gql('query($id: ID!) { control(id: $id) { requirements { id framework { version } } } }', { id: control.id })).control;
    expect(read.requirements).toEqual([{ id: old.id, framework: { version: '1' } }]);
  });
});

describe('linkRiskToThreat', () => {
  test('accepts a RISK_TAXONOMY requirement (NHI2), idempotently; Risk.threats lists it; unlink removes it', async () => {
    const risk = await createRisk(app);
    const nhi2 = await requirementId(app, 'owasp-nhi-top10-2025', 'NHI2');
    const nhi7 = await requirementId(app, 'owasp-nhi-top10-2025', 'NHI7');
    const linked = ok(await app.gql(LINK_RISK, { k: risk.id, r: nhi2 })).linkRiskToThreat;
    expect(linked).toEqual({ id: risk.id, version: risk.version + 1, threats: [{ id: nhi2, code: 'NHI2', framework: { key: 'owasp-nhi-top10-2025', kind: 'RISK_TAXONOMY' } }] });

    const before = await catalogRowCounts(app);
    const again = ok(await app.gql(LINK_RISK, { k: risk.id, r: nhi2 })).linkRiskToThreat;
    expect(again.version).toBe(risk.version + 1);
    expect(await catalogRowCounts(app)).toEqual(before);

    ok(await app.gql(LINK_RISK, { k: risk.id, r: nhi7 }));
    expect(ok(await app.gql(RISK_THREATS, { id: risk.id })).risk).toEqual({ version: risk.version + 2, threats: [{ id: nhi2, code: 'NHI2' }, { id: nhi7, code: 'NHI7' }] });

    const unlinked = ok(await app.gql(UNLINK_RISK, { k: risk.id, r: nhi2 })).unlinkRiskFromThreat;
    expect(unlinked).toEqual({ id: risk.id, version: risk.version + 3, threats: [{ id: nhi7, code: 'NHI7' }] });
    const noop = ok(await app.gql(UNLINK_RISK, { k: risk.id, r: nhi2 })).unlinkRiskFromThreat;
    expect(noop.version).toBe(risk.version + 3);
    expect(await auditOps(risk.id)).toEqual(['createRisk', 'linkRiskToThreat', 'linkRiskToThreat', 'unlinkRiskFromThreat']);
  });

  test('a custom RISK_TAXONOMY works too', async () => {
    const taxonomy = await createFramework(app, { kind: 'RISK_TAXONOMY' });
    const threat = await createRequirement(app, taxonomy.id, 'T-1', { kind: 'RISK' });
    const risk = await createRisk(app);
    expect(ok(await app.gql(LINK_RISK, { k: risk.id, r: threat.id })).linkRiskToThreat.threats.map((t: any) => t.code)).toEqual(['T-1']);
  });

  test('refuses A.5.15 and other non-taxonomy requirements (BAD_USER_INPUT naming requirementId), nothing written', async () => {
    const risk = await createRisk(app);
    const catalog = await createFramework(app, { kind: 'CONTROL_CATALOG' });
    const notAThreat = await createRequirement(app, catalog.id, 'C-1', { kind: 'RISK' });
    const before = await catalogRowCounts(app);
    for (const [key, code] of [['iso27001-2022', 'A.5.15'], ['iso27002-2022', '5.15'], ['nist-csf-2.0', 'PR.AA-05']]) {
      const res = await app.gql(LINK_RISK, { k: risk.id, r: await requirementId(app, key, code) });
      expectFailure(res, 'BAD_USER_INPUT', 'requirementId');
      expect(res.errors![0].message).toMatch(/RISK_TAXONOMY/);
    }
    expectFailure(await app.gql(LINK_RISK, { k: risk.id, r: notAThreat.id }), 'BAD_USER_INPUT', 'requirementId');
    expectFailure(await app.gql(LINK_RISK, { k: risk.id, r: randomUUID() }), 'BAD_USER_INPUT', 'requirementId');
    expectFailure(await app.gql(LINK_RISK, { k: randomUUID(), r: await requirementId(app, 'owasp-nhi-top10-2025', 'NHI2') }), 'NOT_FOUND');
    expect(await catalogRowCounts(app)).toEqual(before);
    expect(ok(await app.gql(RISK_THREATS, { id: risk.id })).risk).toEqual({ version: risk.version, threats: [] });
  });
});

describe('who may link', () => {
  test('isms:read, treatment:write and catalog:write keys cannot link or unlink (FORBIDDEN, nothing written)', async () => {
    const control = await createControl(app);
    const risk = await createRisk(app);
    const a515 = await requirementId(app, 'iso27001-2022', 'A.5.15');
    const nhi2 = await requirementId(app, 'owasp-nhi-top10-2025', 'NHI2');
    ok(await app.gql(LINK_CONTROL, { c: control.id, r: a515 }));
    ok(await app.gql(LINK_RISK, { k: risk.id, r: nhi2 }));
    for (const permission of [Permission.ISMS_READ, Permission.TREATMENT_WRITE, Permission.CATALOG_WRITE]) {
      const key = (await app.createKey([permission])).secret;
      const before = await catalogRowCounts(app);
      const a516 = await requirementId(app, 'iso27001-2022', 'A.5.16');
      expectFailure(await app.gql(LINK_CONTROL, { c: control.id, r: a516 }, key), 'FORBIDDEN');
      expectFailure(await app.gql(UNLINK_CONTROL, { c: control.id, r: a515 }, key), 'FORBIDDEN');
      expectFailure(await app.gql(LINK_RISK, { k: risk.id, r: await requirementId(app, 'owasp-nhi-top10-2025', 'NHI3') }, key), 'FORBIDDEN');
      expectFailure(await app.gql(UNLINK_RISK, { k: risk.id, r: nhi2 }, key), 'FORBIDDEN');
      expect(await catalogRowCounts(app)).toEqual(before);
    }
    // an isms:write key may
    const writer = (await app.createKey([Permission.ISMS_WRITE])).secret;
    expect(ok(await app.gql(LINK_CONTROL, { c: control.id, r: await requirementId(app, 'iso27001-2022', 'A.5.16') }, writer)).linkControlToRequirement.requirements).toHaveLength(2);
    expect(ok(await app.gql(LINK_RISK, { k: risk.id, r: await requirementId(app, 'owasp-nhi-top10-2025', 'NHI3') }, writer)).linkRiskToThreat.threats).toHaveLength(2);
  });

  test('a scope-restricted key links in its scopes, and gets NOT_FOUND for a control or risk of another scope', async () => {
    const mine = await createScope(app);
    const child = await createScope(app, { parentId: mine.id });
    const theirs = await createScope(app);
    const key = (await app.createKey([Permission.ISMS_WRITE], { scopeIds: [mine.id] })).secret;
    const myControl = await createControl(app, { scopeIds: [mine.id] });
    const childControl = await createControl(app, { scopeIds: [child.id] });
    const sharedControl = await createControl(app, { scopeIds: [theirs.id, mine.id] });
    const theirControl = await createControl(app, { scopeIds: [theirs.id] });
    const unscopedControl = await createControl(app);
    const myRisk = await createRisk(app, { scopeId: mine.id });
    const theirRisk = await createRisk(app, { scopeId: theirs.id });
    const a515 = await requirementId(app, 'iso27001-2022', 'A.5.15');
    const nhi2 = await requirementId(app, 'owasp-nhi-top10-2025', 'NHI2');

    for (const c of [myControl, childControl, sharedControl]) {
      expect(ok(await app.gql(LINK_CONTROL, { c: c.id, r: a515 }, key)).linkControlToRequirement.requirements.map((r: any) => r.code)).toEqual(['A.5.15']);
    }
    expect(ok(await app.gql(LINK_RISK, { k: myRisk.id, r: nhi2 }, key)).linkRiskToThreat.threats.map((t: any) => t.code)).toEqual(['NHI2']);

    ok(await app.gql(LINK_CONTROL, { c: theirControl.id, r: a515 }));
    ok(await app.gql(LINK_RISK, { k: theirRisk.id, r: nhi2 }));
    const before = await catalogRowCounts(app);
    const a516 = await requirementId(app, 'iso27001-2022', 'A.5.16');
    const nhi3 = await requirementId(app, 'owasp-nhi-top10-2025', 'NHI3');
    for (const c of [theirControl, unscopedControl]) {
      expectFailure(await app.gql(LINK_CONTROL, { c: c.id, r: a516 }, key), 'NOT_FOUND');
    }
    expectFailure(await app.gql(UNLINK_CONTROL, { c: theirControl.id, r: a515 }, key), 'NOT_FOUND');
    expectFailure(await app.gql(LINK_RISK, { k: theirRisk.id, r: nhi3 }, key), 'NOT_FOUND');
    expectFailure(await app.gql(UNLINK_RISK, { k: theirRisk.id, r: nhi2 }, key), 'NOT_FOUND');
    // the NOT_FOUND does not depend on the requirement: a bad requirement id does not reveal the control
    expectFailure(await app.gql(LINK_CONTROL, { c: theirControl.id, r: randomUUID() }, key), 'NOT_FOUND');
    expectFailure(await app.gql(LINK_RISK, { k: theirRisk.id, r: a515 }, key), 'NOT_FOUND');
    expect(await catalogRowCounts(app)).toEqual(before);
    expect(ok(await app.gql(CONTROL_REQUIREMENTS, { id: theirControl.id })).control.requirements.map((r: any) => r.code)).toEqual(['A.5.15']);
    expect(ok(await app.gql(RISK_THREATS, { id: theirRisk.id })).risk.threats.map((t: any) => t.code)).toEqual(['NHI2']);
  });
});

describe('requirements stay readable from links', () => {
  test('Control.requirements and Risk.threats resolve each requirement with its framework in one request', async () => {
    const control = await createControl(app);
    const risk = await createRisk(app);
    for (const code of ['A.5.15', 'A.5.16', 'A.5.17', 'A.5.18']) ok(await app.gql(LINK_CONTROL, { c: control.id, r: await requirementId(app, 'iso27001-2022', code) }));
    for (const code of ['NHI1', 'NHI7']) ok(await app.gql(LINK_RISK, { k: risk.id, r: await requirementId(app, 'owasp-nhi-top10-2025', code) }));
    const res = ok(await app.gql(`query($c: ID!, $r: ID!) {
      control(id: $c) { requirements { code parent { code } framework { key } mappings(direction: INCOMING) { relationship other { code } } } }
      risk(id: $r) { threats { code title url framework { key attribution } } }
    }`, { c: control.id, r: risk.id }));
    expect(res.control.requirements.map((r: any) => r.code)).toEqual(['A.5.15', 'A.5.16', 'A.5.17', 'A.5.18']);
    expect(res.control.requirements.every((r: any) => r.parent.code === 'A.5' && r.framework.key === 'iso27001-2022')).toBe(true);
    for (const r of res.control.requirements) expect(r.mappings.find((m: any) => m.other.code === r.code.slice(2))).toMatchObject({ relationship: 'EQUAL' });
    expect(res.risk.threats.map((t: any) => [t.code, t.title])).toEqual([['NHI1', 'Improper Offboarding'], ['NHI7', 'Long-Lived Secrets']]);
    expect(res.risk.threats[0].framework.attribution).toMatch(/CC BY-SA/);
  });
});
