import { randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type TestApp, type GqlResponse } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import {
  APPROVE_EXCEPTION, EXCEPTION_FIELDS, REJECT_EXCEPTION, REQUEST_EXCEPTION, REVOKE_EXCEPTION,
  archiveRisk, count, createControl, createRisk, inDays, readRisk, requestControlException, requestRiskAcceptance, scopeWithControl, updateRisk,
} from './helpers/core-factories';
import { Permission } from '../src/auth/permissions';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const GET = `query($id: ID!) { exception(id: $id) { ${EXCEPTION_FIELDS} } }`;
const LIST = `query($filter: ExceptionFilter, $orderBy: ExceptionOrder, $first: Int, $after: String) {
  exceptions(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount edges { cursor node { id kind status createdAt updatedAt expiresAt } } pageInfo { hasNextPage endCursor } } }`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function approve(id: string, approverId: string, version: number, expiresAt = inDays(90), key?: string): Promise<GqlResponse> {
  return app.gql(APPROVE_EXCEPTION, { id, approverId, expiresAt, v: version }, key);
}

async function listIds(filter: Record<string, unknown>, key?: string, orderBy?: Record<string, unknown>): Promise<string[]> {
  const res = ok(await app.gql(LIST, { filter, first: 500, orderBy }, key)).exceptions;
  return res.edges.map((e: { node: { id: string } }) => e.node.id);
}

/** The exception, risk, task and audit tables as they stand: a refused write changes none of them. */
async function snapshot(): Promise<unknown> {
  const [counts] = await app.sql(`SELECT (SELECT count(*) FROM exception)::int AS exceptions,
    (SELECT count(*) FROM exception_compensating_control)::int AS compensating,
    (SELECT count(*) FROM audit_event)::int AS audits, (SELECT count(*) FROM idempotency_key)::int AS idem`);
  const exceptions = await app.sql('SELECT id, version, stored_status, approver_id, expires_at, decided_at, decision_reason, accepted_residual_score FROM exception ORDER BY id');
  const risks = await app.sql('SELECT id, version, status FROM risk ORDER BY id');
  return { counts, exceptions, risks };
}

async function expectRefused(res: GqlResponse, code: string, before: unknown, field?: string): Promise<void> {
  expect(res.errors).toHaveLength(1);
  expect(errorCode(res)).toBe(code);
  if (field !== undefined) expect(res.errors![0].extensions.field).toBe(field);
  expect(res.data).toBeNull();
  expect(await snapshot()).toEqual(before);
}

async function audits(id: string): Promise<Array<{ operation: string; before: string | null; after: string | null; actor: string | null }>> {
  return app.sql(`SELECT operation, before->>'storedStatus' AS before, after->>'storedStatus' AS after, actor_key_id AS actor
    FROM audit_event WHERE entity_id = $1 ORDER BY at, operation`, [id]);
}

/** Puts an APPROVED exception's end in the past, as if time had passed. */
async function expire(id: string): Promise<void> {
  await app.sql("UPDATE exception SET expires_at = now() - interval '1 hour' WHERE id = $1", [id]);
}

describe('legal transitions, each with its audit row', () => {
  test('request → approve → revoke (control exception)', async () => {
    const { scopeId, controlId } = await scopeWithControl(app);
    const compensating = await createControl(app, { scopeIds: [scopeId] });
    const requester = await createOwner(app);
    const approver = await createOwner(app);
    const requested = ok(await app.gql(REQUEST_EXCEPTION, {
      input: {
        kind: 'CONTROL_EXCEPTION', scopeId, controlId, requestedById: requester.id, justification: '  Vendor appliance lacks MFA  ',
        compensatingControlIds: [compensating.id, compensating.id], expiresAt: inDays(30),
      },
    })).requestException;
    expect(requested).toMatchObject({
      kind: 'CONTROL_EXCEPTION', status: 'REQUESTED', version: 1, justification: 'Vendor appliance lacks MFA', stale: false,
      scope: { id: scopeId }, control: { id: controlId }, risk: null, requestedBy: { id: requester.id }, approver: null,
      compensatingControls: [{ id: compensating.id }], decidedAt: null, acceptedResidualScore: null,
    });
    expect(ok(await app.gql(GET, { id: requested.id })).exception).toEqual(requested);

    const expiresAt = inDays(180);
    const approved = ok(await approve(requested.id, approver.id, 1, expiresAt)).approveException;
    expect(approved).toMatchObject({ status: 'APPROVED', version: 2, approver: { id: approver.id }, expiresAt, acceptedResidualScore: null, stale: false });
    expect(approved.decidedAt).not.toBeNull();

    const revoked = ok(await app.gql(REVOKE_EXCEPTION, { id: requested.id, reason: 'Appliance replaced', v: 2 })).revokeException;
    expect(revoked).toMatchObject({ status: 'REVOKED', version: 3, decisionReason: 'Appliance replaced', approver: { id: approver.id } });

    expect(await audits(requested.id)).toEqual([
      { operation: 'requestException', before: null, after: 'REQUESTED', actor: expect.any(String) },
      { operation: 'approveException', before: 'REQUESTED', after: 'APPROVED', actor: expect.any(String) },
      { operation: 'revokeException', before: 'APPROVED', after: 'REVOKED', actor: expect.any(String) },
    ]);
    const [created] = await app.sql("SELECT after->'compensatingControlIds' AS ids FROM audit_event WHERE entity_id = $1 AND operation = 'requestException'", [requested.id]);
    expect(created.ids).toEqual([compensating.id]);
  });

  test('request → reject', async () => {
    const requested = await requestControlException(app);
    const approver = await createOwner(app);
    const rejected = ok(await app.gql(REJECT_EXCEPTION, { id: requested.id, approverId: approver.id, reason: '  Not justified  ', v: 1 })).rejectException;
    expect(rejected).toMatchObject({ status: 'REJECTED', version: 2, approver: { id: approver.id }, decisionReason: 'Not justified' });
    expect(rejected.decidedAt).not.toBeNull();
    expect((await audits(requested.id)).map((a) => [a.operation, a.before, a.after])).toEqual([
      ['requestException', null, 'REQUESTED'],
      ['rejectException', 'REQUESTED', 'REJECTED'],
    ]);
  });

  test('request → revoke (a request can be withdrawn)', async () => {
    const requested = await requestControlException(app);
    const revoked = ok(await app.gql(REVOKE_EXCEPTION, { id: requested.id, reason: 'Withdrawn' })).revokeException;
    expect(revoked).toMatchObject({ status: 'REVOKED', version: 2, approver: null });
    expect((await audits(requested.id)).map((a) => a.operation).sort()).toEqual(['requestException', 'revokeException']);
  });

  test('rejection may come from the requester (only approval needs another person)', async () => {
    const requester = await createOwner(app);
    const requested = await requestControlException(app, { requestedById: requester.id });
    const rejected = ok(await app.gql(REJECT_EXCEPTION, { id: requested.id, approverId: requester.id, reason: 'Changed my mind' })).rejectException;
    expect(rejected.status).toBe('REJECTED');
  });
});

describe('illegal transitions are INVALID_TRANSITION and write nothing', () => {
  let approver: string;
  beforeAll(async () => {
    approver = (await createOwner(app)).id;
  });

  async function inState(state: 'APPROVED' | 'REJECTED' | 'REVOKED'): Promise<{ id: string; version: number }> {
    const x = await requestControlException(app);
    if (state === 'APPROVED') return ok(await approve(x.id, approver, 1)).approveException;
    if (state === 'REJECTED') return ok(await app.gql(REJECT_EXCEPTION, { id: x.id, approverId: approver, reason: 'no' })).rejectException;
    return ok(await app.gql(REVOKE_EXCEPTION, { id: x.id, reason: 'gone' })).revokeException;
  }

  test.each(['APPROVED', 'REJECTED', 'REVOKED'] as const)('approve of %s', async (state) => {
    const x = await inState(state);
    const before = await snapshot();
    await expectRefused(await approve(x.id, approver, x.version), 'INVALID_TRANSITION', before);
  });

  test.each(['APPROVED', 'REJECTED', 'REVOKED'] as const)('reject of %s', async (state) => {
    const x = await inState(state);
    const before = await snapshot();
    await expectRefused(await app.gql(REJECT_EXCEPTION, { id: x.id, approverId: approver, reason: 'late', v: x.version }), 'INVALID_TRANSITION', before);
  });

  test.each(['REJECTED', 'REVOKED'] as const)('revoke of %s', async (state) => {
    const x = await inState(state);
    const before = await snapshot();
    await expectRefused(await app.gql(REVOKE_EXCEPTION, { id: x.id, reason: 'again', v: x.version }), 'INVALID_TRANSITION', before);
  });
});

describe('approval rules', () => {
  test('approval by the requester (segregation of duties) is BAD_USER_INPUT naming approverId; nothing changes', async () => {
    const requester = await createOwner(app);
    const x = await requestControlException(app, { requestedById: requester.id });
    const before = await snapshot();
    await expectRefused(await approve(x.id, requester.id, 1), 'BAD_USER_INPUT', before, 'approverId');
    expect(ok(await app.gql(GET, { id: x.id })).exception).toMatchObject({ status: 'REQUESTED', version: 1, approver: null });
    // the same id in another spelling is the same person
    await expectRefused(await approve(x.id, requester.id.toUpperCase(), 1), 'BAD_USER_INPUT', before, 'approverId');
  });

  test.each([
    ['in the past', () => new Date(Date.now() - 60_000).toISOString()],
    ['right now', () => new Date(Date.now() - 1).toISOString()],
  ])('approval with an expiresAt %s is BAD_USER_INPUT naming expiresAt; nothing changes', async (_name, when) => {
    const x = await requestControlException(app);
    const approver = await createOwner(app);
    const before = await snapshot();
    await expectRefused(await approve(x.id, approver.id, 1, when()), 'BAD_USER_INPUT', before, 'expiresAt');
  });

  test('an unknown, malformed or archived approver is BAD_USER_INPUT naming approverId', async () => {
    const x = await requestControlException(app);
    const archived = await createOwner(app);
    ok(await app.gql('mutation($id: ID!) { archiveOwner(id: $id) { id } }', { id: archived.id }));
    for (const approverId of [randomUUID(), 'someone', archived.id]) {
      const before = await snapshot();
      await expectRefused(await approve(x.id, approverId, 1), 'BAD_USER_INPUT', before, 'approverId');
      await expectRefused(await app.gql(REJECT_EXCEPTION, { id: x.id, approverId, reason: 'r' }), 'BAD_USER_INPUT', before, 'approverId');
    }
  });

  test('a blank reason is BAD_USER_INPUT naming reason', async () => {
    const x = await requestControlException(app);
    const approver = await createOwner(app);
    const before = await snapshot();
    await expectRefused(await app.gql(REJECT_EXCEPTION, { id: x.id, approverId: approver.id, reason: '  ' }), 'BAD_USER_INPUT', before, 'reason');
    await expectRefused(await app.gql(REVOKE_EXCEPTION, { id: x.id, reason: '' }), 'BAD_USER_INPUT', before, 'reason');
  });

  test('a stale expectedVersion is CONFLICT on every transition; nothing changes', async () => {
    const approver = await createOwner(app);
    const x = await requestControlException(app);
    // another write moved it on: version 2
    const approved = ok(await approve(x.id, approver.id, 1)).approveException;
    expect(approved.version).toBe(2);
    const before = await snapshot();
    await expectRefused(await app.gql(REVOKE_EXCEPTION, { id: x.id, reason: 'stale', v: 1 }), 'CONFLICT', before);

    const y = await requestControlException(app);
    const before2 = await snapshot();
    await expectRefused(await approve(y.id, approver.id, 2), 'CONFLICT', before2);
    await expectRefused(await approve(y.id, approver.id, 0), 'CONFLICT', before2);
    await expectRefused(await app.gql(REJECT_EXCEPTION, { id: y.id, approverId: approver.id, reason: 'r', v: 5 }), 'CONFLICT', before2);
    await expectRefused(await app.gql(REVOKE_EXCEPTION, { id: y.id, reason: 'r', v: 3 }), 'CONFLICT', before2);
  });

  test('two concurrent approvals of one request: one wins, the other is CONFLICT; one audit row', async () => {
    const x = await requestControlException(app);
    const a = await createOwner(app);
    const b = await createOwner(app);
    const [r1, r2] = await Promise.all([approve(x.id, a.id, 1), approve(x.id, b.id, 1)]);
    const codes = [r1, r2].map((r) => errorCode(r) ?? 'OK').sort();
    expect(codes).toEqual(['CONFLICT', 'OK']);
    expect(await count(app, 'audit_event', "entity_id = $1 AND operation = 'approveException'", [x.id])).toBe(1);
  });

  test('unknown or malformed exception ids are NOT_FOUND', async () => {
    const approver = await createOwner(app);
    for (const id of [randomUUID(), 'x-1']) {
      expect(errorCode(await app.gql(GET, { id }))).toBe('NOT_FOUND');
      expect(errorCode(await approve(id, approver.id, 1))).toBe('NOT_FOUND');
      expect(errorCode(await app.gql(REJECT_EXCEPTION, { id, approverId: approver.id, reason: 'r' }))).toBe('NOT_FOUND');
      expect(errorCode(await app.gql(REVOKE_EXCEPTION, { id, reason: 'r' }))).toBe('NOT_FOUND');
    }
  });
});

describe('expiry', () => {
  test('an APPROVED exception past expiresAt reads EXPIRED, cannot be approved or revoked, and the EXPIRED filter finds it', async () => {
    const approver = await createOwner(app);
    const x = await requestControlException(app);
    const approved = ok(await approve(x.id, approver.id, 1)).approveException;
    await expire(x.id);
    const read = ok(await app.gql(GET, { id: x.id })).exception;
    expect(read).toMatchObject({ status: 'EXPIRED', version: approved.version });
    expect((await app.sql('SELECT stored_status FROM exception WHERE id = $1', [x.id]))[0].stored_status).toBe('APPROVED');

    const before = await snapshot();
    await expectRefused(await app.gql(REVOKE_EXCEPTION, { id: x.id, reason: 'too late', v: approved.version }), 'INVALID_TRANSITION', before);
    await expectRefused(await approve(x.id, approver.id, approved.version), 'INVALID_TRANSITION', before);
    await expectRefused(await app.gql(REJECT_EXCEPTION, { id: x.id, approverId: approver.id, reason: 'r' }), 'INVALID_TRANSITION', before);

    expect(await listIds({ status: ['EXPIRED'] })).toContain(x.id);
    expect(await listIds({ status: ['APPROVED'] })).not.toContain(x.id);
    expect(await listIds({ status: ['APPROVED', 'EXPIRED'] })).toContain(x.id);
    expect(await listIds({ expiringBefore: inDays(365) })).not.toContain(x.id);
  });

  test('an expired risk acceptance is no longer stale-checked', async () => {
    const approver = await createOwner(app);
    const { exception, riskId } = await requestRiskAcceptance(app);
    ok(await approve(exception.id, approver.id, 1));
    await updateRisk(app, riskId, { likelihood: 5, impact: 5 });
    expect(ok(await app.gql(GET, { id: exception.id })).exception.stale).toBe(true);
    await expire(exception.id);
    expect(ok(await app.gql(GET, { id: exception.id })).exception).toMatchObject({ status: 'EXPIRED', stale: false });
  });
});

describe('risk acceptance', () => {
  test('approval records the accepted residual, sets the risk ACCEPTED; a higher residual makes it stale; revocation sets the risk ASSESSED', async () => {
    const approver = await createOwner(app);
    const scope = await createScope(app, { riskAppetite: 9 });
    const risk = await createRisk(app, { scopeId: scope.id, likelihood: 4, impact: 4, residualLikelihood: 2, residualImpact: 5, status: 'ASSESSED' });
    expect(risk.residualScore).toBe(10);
    const { exception } = await requestRiskAcceptance(app, { scopeId: scope.id, riskId: risk.id });
    expect(exception).toMatchObject({ kind: 'RISK_ACCEPTANCE', status: 'REQUESTED', risk: { id: risk.id, status: 'ASSESSED' }, control: null, acceptedResidualScore: null, stale: false });

    const approved = ok(await approve(exception.id, approver.id, 1)).approveException;
    expect(approved).toMatchObject({ status: 'APPROVED', acceptedResidualScore: 10, stale: false, risk: { status: 'ACCEPTED', residualScore: 10 } });
    expect((await readRisk(app, risk.id)).status).toBe('ACCEPTED');
    const riskAudit = await app.sql("SELECT before->>'status' AS b, after->>'status' AS a FROM audit_event WHERE entity_id = $1 AND operation = 'approveException'", [risk.id]);
    expect(riskAudit).toEqual([{ b: 'ASSESSED', a: 'ACCEPTED' }]);

    // the same residual by other factors is not stale; a lower one neither
    await updateRisk(app, risk.id, { residualLikelihood: 5, residualImpact: 2 });
    expect(ok(await app.gql(GET, { id: exception.id })).exception.stale).toBe(false);
    await updateRisk(app, risk.id, { residualLikelihood: 3, residualImpact: 3 });
    expect(ok(await app.gql(GET, { id: exception.id })).exception.stale).toBe(false);
    // raised above the accepted score
    const raised = await updateRisk(app, risk.id, { residualLikelihood: 4, residualImpact: 4 });
    expect(raised).toMatchObject({ residualScore: 16, status: 'ACCEPTED' });
    const stale = ok(await app.gql(GET, { id: exception.id })).exception;
    expect(stale).toMatchObject({ stale: true, acceptedResidualScore: 10, status: 'APPROVED' });
    expect(ok(await app.gql('query($f: ExceptionFilter) { exceptions(filter: $f) { edges { node { id stale } } } }', { f: { riskIds: [risk.id] } })).exceptions.edges)
      .toEqual([{ node: { id: exception.id, stale: true } }]);

    const revoked = ok(await app.gql(REVOKE_EXCEPTION, { id: exception.id, reason: 'Re-assess', v: stale.version })).revokeException;
    expect(revoked).toMatchObject({ status: 'REVOKED', stale: false, acceptedResidualScore: 10, risk: { status: 'ASSESSED' } });
    expect((await readRisk(app, risk.id)).status).toBe('ASSESSED');
    const riskRevokeAudit = await app.sql("SELECT before->>'status' AS b, after->>'status' AS a FROM audit_event WHERE entity_id = $1 AND operation = 'revokeException'", [risk.id]);
    expect(riskRevokeAudit).toEqual([{ b: 'ACCEPTED', a: 'ASSESSED' }]);
  });

  test('the residual must lie above the scope\'s appetite: at the appetite is BAD_USER_INPUT naming riskId; nothing written', async () => {
    const requester = await createOwner(app);
    const scope = await createScope(app, { riskAppetite: 12 });
    const atAppetite = await createRisk(app, { scopeId: scope.id, likelihood: 3, impact: 4 });
    const above = await createRisk(app, { scopeId: scope.id, likelihood: 5, impact: 3 });
    const before = await snapshot();
    const res = await app.gql(REQUEST_EXCEPTION, { input: { kind: 'RISK_ACCEPTANCE', scopeId: scope.id, riskId: atAppetite.id, requestedById: requester.id, justification: 'j' } });
    await expectRefused(res, 'BAD_USER_INPUT', before, 'riskId');
    const accepted = ok(await app.gql(REQUEST_EXCEPTION, { input: { kind: 'RISK_ACCEPTANCE', scopeId: scope.id, riskId: above.id, requestedById: requester.id, justification: 'j' } }));
    expect(accepted.requestException.status).toBe('REQUESTED');
  });

  test('the default appetite is 9: residual 9 needs no acceptance, 10 does', async () => {
    const requester = await createOwner(app);
    const scope = await createScope(app);
    const nine = await createRisk(app, { scopeId: scope.id, likelihood: 3, impact: 3 });
    const ten = await createRisk(app, { scopeId: scope.id, likelihood: 2, impact: 5 });
    const before = await snapshot();
    await expectRefused(await app.gql(REQUEST_EXCEPTION, { input: { kind: 'RISK_ACCEPTANCE', scopeId: scope.id, riskId: nine.id, requestedById: requester.id, justification: 'j' } }), 'BAD_USER_INPUT', before, 'riskId');
    ok(await app.gql(REQUEST_EXCEPTION, { input: { kind: 'RISK_ACCEPTANCE', scopeId: scope.id, riskId: ten.id, requestedById: requester.id, justification: 'j' } }));
  });

  test.each([
    ['no riskId', () => ({ riskId: undefined }), 'riskId'],
    ['a controlId as well', (ctx: Ctx) => ({ controlId: ctx.controlId }), 'controlId'],
    ['an unknown risk', () => ({ riskId: randomUUID() }), 'riskId'],
    ['a risk of another scope', (ctx: Ctx) => ({ riskId: ctx.otherRiskId }), 'riskId'],
    ['an archived risk', (ctx: Ctx) => ({ riskId: ctx.archivedRiskId }), 'riskId'],
  ])('a risk acceptance with %s is BAD_USER_INPUT; nothing written', async (_name, patch, field) => {
    const ctx = await acceptanceContext();
    const before = await snapshot();
    const res = await app.gql(REQUEST_EXCEPTION, { input: { kind: 'RISK_ACCEPTANCE', scopeId: ctx.scopeId, riskId: ctx.riskId, requestedById: ctx.requester, justification: 'j', ...patch(ctx) } });
    await expectRefused(res, 'BAD_USER_INPUT', before, field);
  });

  test('another approved acceptance of the same risk keeps it ACCEPTED when one is revoked', async () => {
    const approver = await createOwner(app);
    const { exception: first, riskId, scopeId } = await requestRiskAcceptance(app);
    const { exception: second } = await requestRiskAcceptance(app, { scopeId, riskId });
    ok(await approve(first.id, approver.id, 1));
    ok(await approve(second.id, approver.id, 1));
    ok(await app.gql(REVOKE_EXCEPTION, { id: first.id, reason: 'dup' }));
    expect((await readRisk(app, riskId)).status).toBe('ACCEPTED');
    ok(await app.gql(REVOKE_EXCEPTION, { id: second.id, reason: 'done' }));
    expect((await readRisk(app, riskId)).status).toBe('ASSESSED');
  });

  test('revoking a request that was never approved leaves the risk as it is', async () => {
    const { exception, riskId } = await requestRiskAcceptance(app);
    const before = await readRisk(app, riskId);
    ok(await app.gql(REVOKE_EXCEPTION, { id: exception.id, reason: 'withdrawn' }));
    expect(await readRisk(app, riskId)).toEqual(before);
  });

  test('rejection leaves the risk as it is', async () => {
    const approver = await createOwner(app);
    const { exception, riskId } = await requestRiskAcceptance(app);
    const before = await readRisk(app, riskId);
    ok(await app.gql(REJECT_EXCEPTION, { id: exception.id, approverId: approver.id, reason: 'Mitigate instead' }));
    expect(await readRisk(app, riskId)).toEqual(before);
  });

  test('approving an acceptance whose risk was archived meanwhile is BAD_USER_INPUT; nothing changes', async () => {
    const approver = await createOwner(app);
    const { exception, riskId } = await requestRiskAcceptance(app);
    await archiveRisk(app, riskId);
    const before = await snapshot();
    await expectRefused(await approve(exception.id, approver.id, 1), 'BAD_USER_INPUT', before, 'riskId');
  });
});

type Ctx = { scopeId: string; riskId: string; requester: string; controlId: string; otherRiskId: string; archivedRiskId: string };
async function acceptanceContext(): Promise<Ctx> {
  const { scopeId, controlId } = await scopeWithControl(app);
  const riskId = (await createRisk(app, { scopeId, likelihood: 5, impact: 5 })).id;
  const otherRiskId = (await createRisk(app, { likelihood: 5, impact: 5 })).id;
  const archivedRiskId = (await createRisk(app, { scopeId, likelihood: 5, impact: 5 })).id;
  await archiveRisk(app, archivedRiskId);
  return { scopeId, riskId, requester: (await createOwner(app)).id, controlId, otherRiskId, archivedRiskId };
}

type CtlCtx = Ctx & { otherControlId: string; archivedControlId: string };

describe('control exception', () => {
  test.each([
    ['no controlId', () => ({ controlId: undefined }), 'controlId'],
    ['a riskId as well', (c: CtlCtx) => ({ riskId: c.riskId }), 'riskId'],
    ['an unknown control', () => ({ controlId: randomUUID() }), 'controlId'],
    ['a control that does not operate in the scope', (c: CtlCtx) => ({ controlId: c.otherControlId }), 'controlId'],
    ['an archived control', (c: CtlCtx) => ({ controlId: c.archivedControlId }), 'controlId'],
    ['an unknown scope', () => ({ scopeId: randomUUID() }), 'scopeId'],
    ['an unknown requester', () => ({ requestedById: randomUUID() }), 'requestedById'],
    ['an empty justification', () => ({ justification: '' }), 'justification'],
    ['a blank justification', () => ({ justification: '   ' }), 'justification'],
    ['a requested expiresAt in the past', () => ({ expiresAt: new Date(Date.now() - 60_000).toISOString() }), 'expiresAt'],
    ['an unknown compensating control', () => ({ compensatingControlIds: [randomUUID()] }), 'compensatingControlIds'],
    ['a malformed compensating control id', () => ({ compensatingControlIds: ['ctl'] }), 'compensatingControlIds'],
  ] as Array<[string, (c: CtlCtx) => Record<string, unknown>, string]>)(
    'with %s is BAD_USER_INPUT; nothing written', async (_name, patch, field) => {
      const base = await acceptanceContext();
      const c = {
        ...base,
        otherControlId: (await createControl(app, { scopeIds: [(await createScope(app)).id] })).id,
        archivedControlId: (await createControl(app, { scopeIds: [base.scopeId] })).id,
      };
      ok(await app.gql('mutation($id: ID!) { archiveControl(id: $id) { id } }', { id: c.archivedControlId }));
      const before = await snapshot();
      const res = await app.gql(REQUEST_EXCEPTION, { input: { kind: 'CONTROL_EXCEPTION', scopeId: c.scopeId, controlId: c.controlId, requestedById: c.requester, justification: 'j', ...patch(c) } });
      await expectRefused(res, 'BAD_USER_INPUT', before, field);
    });

  test('a control exception in an archived scope is BAD_USER_INPUT naming scopeId', async () => {
    const { scopeId, controlId } = await scopeWithControl(app);
    const requester = await createOwner(app);
    ok(await app.gql('mutation($id: ID!) { archiveScope(id: $id) { id } }', { id: scopeId }));
    const before = await snapshot();
    const res = await app.gql(REQUEST_EXCEPTION, { input: { kind: 'CONTROL_EXCEPTION', scopeId, controlId, requestedById: requester.id, justification: 'j' } });
    await expectRefused(res, 'BAD_USER_INPUT', before, 'scopeId');
  });

  test('approval of a control exception sets no accepted residual and changes no risk', async () => {
    const approver = await createOwner(app);
    const x = await requestControlException(app);
    const approved = ok(await approve(x.id, approver.id, 1)).approveException;
    expect(approved).toMatchObject({ acceptedResidualScore: null, stale: false, risk: null });
  });
});

describe('idempotent requests', () => {
  test('the same idempotencyKey and input return the same exception; another input is IDEMPOTENCY_KEY_REUSED', async () => {
    const { scopeId, controlId } = await scopeWithControl(app);
    const requester = await createOwner(app);
    const input = { kind: 'CONTROL_EXCEPTION', scopeId, controlId, requestedById: requester.id, justification: 'Once' };
    const first = ok(await app.gql(REQUEST_EXCEPTION, { input, key: 'exc-1' })).requestException;
    const again = ok(await app.gql(REQUEST_EXCEPTION, { input, key: 'exc-1' })).requestException;
    expect(again).toEqual(first);
    expect(await count(app, 'exception', 'control_id = $1', [controlId])).toBe(1);
    const before = await snapshot();
    await expectRefused(await app.gql(REQUEST_EXCEPTION, { input: { ...input, justification: 'Twice' }, key: 'exc-1' }), 'IDEMPOTENCY_KEY_REUSED', before, 'idempotencyKey');
  });

  test('10 concurrent requests with one idempotencyKey create one exception', async () => {
    const { scopeId, controlId } = await scopeWithControl(app);
    const requester = await createOwner(app);
    const input = { kind: 'CONTROL_EXCEPTION', scopeId, controlId, requestedById: requester.id, justification: 'Burst' };
    const results = await Promise.all(Array.from({ length: 10 }, () => app.gql(REQUEST_EXCEPTION, { input, key: 'exc-burst' })));
    const ids = new Set(results.map((r) => ok(r).requestException.id));
    expect(ids.size).toBe(1);
    expect(await count(app, 'exception', 'control_id = $1', [controlId])).toBe(1);
  });
});

describe('filters and order', () => {
  let scopeA: string;
  let scopeB: string;
  const x: Record<string, { id: string }> = {};
  let approver: string;

  beforeAll(async () => {
    approver = (await createOwner(app)).id;
    const a = await scopeWithControl(app);
    scopeA = a.scopeId;
    scopeB = (await createScope(app)).id;
    const controlB = await createControl(app, { scopeIds: [scopeB] });
    x.requestedA = await requestControlException(app, { scopeId: scopeA, controlId: a.controlId });
    x.approvedSoonA = await requestControlException(app, { scopeId: scopeA, controlId: a.controlId });
    ok(await approve(x.approvedSoonA.id, approver, 1, inDays(10)));
    x.approvedLaterB = await requestControlException(app, { scopeId: scopeB, controlId: controlB.id });
    ok(await approve(x.approvedLaterB.id, approver, 1, inDays(100)));
    x.rejectedB = await requestControlException(app, { scopeId: scopeB, controlId: controlB.id });
    ok(await app.gql(REJECT_EXCEPTION, { id: x.rejectedB.id, approverId: approver, reason: 'no' }));
    x.acceptanceA = (await requestRiskAcceptance(app, { scopeId: scopeA })).exception;
    x.acceptanceB = (await requestRiskAcceptance(app, { scopeId: scopeB })).exception;
    ok(await approve(x.acceptanceB.id, approver, 1, inDays(20)));
    x.expiredA = await requestControlException(app, { scopeId: scopeA, controlId: a.controlId });
    ok(await approve(x.expiredA.id, approver, 1, inDays(5)));
    await expire(x.expiredA.id);
    x.revokedB = (await requestRiskAcceptance(app, { scopeId: scopeB })).exception;
    ok(await app.gql(REVOKE_EXCEPTION, { id: x.revokedB.id, reason: 'r' }));
  });

  const ids = (...names: string[]) => names.map((n) => x[n].id).sort();
  const mine = (filter: Record<string, unknown> = {}) => listIds({ scopeIds: [scopeA, scopeB], ...filter }).then((l) => l.sort());

  test('scopeIds', async () => {
    expect(await mine()).toEqual(ids('requestedA', 'approvedSoonA', 'approvedLaterB', 'rejectedB', 'acceptanceA', 'acceptanceB', 'expiredA', 'revokedB'));
    expect((await listIds({ scopeIds: [scopeA] })).sort()).toEqual(ids('requestedA', 'approvedSoonA', 'acceptanceA', 'expiredA'));
    expect(await listIds({ scopeIds: [randomUUID()] })).toEqual([]);
  });

  test('kind', async () => {
    expect(await mine({ kind: ['RISK_ACCEPTANCE'] })).toEqual(ids('acceptanceA', 'acceptanceB', 'revokedB'));
    expect(await mine({ kind: ['CONTROL_EXCEPTION'] })).toEqual(ids('requestedA', 'approvedSoonA', 'approvedLaterB', 'rejectedB', 'expiredA'));
    expect(await mine({ kind: ['CONTROL_EXCEPTION', 'RISK_ACCEPTANCE'] })).toHaveLength(8);
  });

  test('status (effective: EXPIRED as read from expiresAt)', async () => {
    expect(await mine({ status: ['REQUESTED'] })).toEqual(ids('requestedA', 'acceptanceA'));
    expect(await mine({ status: ['APPROVED'] })).toEqual(ids('approvedSoonA', 'approvedLaterB', 'acceptanceB'));
    expect(await mine({ status: ['EXPIRED'] })).toEqual(ids('expiredA'));
    expect(await mine({ status: ['REJECTED', 'REVOKED'] })).toEqual(ids('rejectedB', 'revokedB'));
    const statuses = ok(await app.gql(LIST, { filter: { scopeIds: [scopeA, scopeB] }, first: 500 })).exceptions.edges.map((e: any) => [e.node.id, e.node.status]);
    expect(Object.fromEntries(statuses)[x.expiredA.id]).toBe('EXPIRED');
  });

  test('expiringBefore: approved, unexpired, ending before the time', async () => {
    expect(await mine({ expiringBefore: inDays(15) })).toEqual(ids('approvedSoonA'));
    expect(await mine({ expiringBefore: inDays(30) })).toEqual(ids('approvedSoonA', 'acceptanceB'));
    expect(await mine({ expiringBefore: inDays(365) })).toEqual(ids('approvedSoonA', 'acceptanceB', 'approvedLaterB'));
    expect(await mine({ expiringBefore: inDays(1) })).toEqual([]);
  });

  test('riskIds and controlIds', async () => {
    const acceptance = ok(await app.gql(GET, { id: x.acceptanceA.id })).exception;
    expect(await mine({ riskIds: [acceptance.risk.id] })).toEqual(ids('acceptanceA'));
    const control = ok(await app.gql(GET, { id: x.requestedA.id })).exception.control.id;
    expect(await mine({ controlIds: [control] })).toEqual(ids('requestedA', 'approvedSoonA', 'expiredA'));
  });

  test('filters combine, totalCount counts the filter', async () => {
    expect(await mine({ kind: ['CONTROL_EXCEPTION'], status: ['APPROVED'], scopeIds: [scopeB] })).toEqual(ids('approvedLaterB'));
    const res = ok(await app.gql(LIST, { filter: { scopeIds: [scopeA, scopeB], status: ['APPROVED', 'EXPIRED'] }, first: 1 })).exceptions;
    expect(res.totalCount).toBe(4);
    expect(res.edges).toHaveLength(1);
    expect(res.pageInfo.hasNextPage).toBe(true);
  });

  const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

  test.each([
    ['CREATED_AT', 'createdAt', 'ASC', 3],
    ['CREATED_AT', 'createdAt', 'DESC', 2],
    ['UPDATED_AT', 'updatedAt', 'ASC', 3],
    ['UPDATED_AT', 'updatedAt', 'DESC', 1],
  ] as const)('orderBy %s (%s) %s in pages of %i: every row once, in order, ties broken by id', async (field, prop, direction, size) => {
    const all = ok(await app.gql(LIST, { filter: { scopeIds: [scopeA, scopeB] }, first: 500 })).exceptions.edges.map((e: any) => e.node);
    const sign = direction === 'ASC' ? 1 : -1;
    const expected = [...all].sort((a: any, b: any) => sign * (cmp(new Date(a[prop]).getTime(), new Date(b[prop]).getTime()) || cmp(a.id, b.id))).map((r: any) => r.id);
    const walked: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 20; i++) {
      const page: any = ok(await app.gql(LIST, { filter: { scopeIds: [scopeA, scopeB] }, orderBy: { field, direction }, first: size, after })).exceptions;
      walked.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(walked).toEqual(expected);
    expect(walked).toHaveLength(8);
  });

  test('UPDATED_AT is not CREATED_AT: a transition moves an exception to the end', async () => {
    await sleep(5);
    ok(await app.gql(REVOKE_EXCEPTION, { id: x.requestedA.id, reason: 'moved' }));
    const byUpdated = await listIds({ scopeIds: [scopeA, scopeB] }, undefined, { field: 'UPDATED_AT', direction: 'ASC' });
    expect(byUpdated.at(-1)).toBe(x.requestedA.id);
    const byCreated = await listIds({ scopeIds: [scopeA, scopeB] }, undefined, { field: 'CREATED_AT', direction: 'ASC' });
    expect(byCreated[0]).toBe(x.requestedA.id);
  });

  test('bad filter values are BAD_USER_INPUT', async () => {
    expect(errorCode(await app.gql(LIST, { filter: { status: ['PENDING'] } }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(LIST, { filter: { scopeIds: ['nope'] } }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(LIST, { filter: { expiringBefore: 'soon' } }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await app.gql(LIST, { first: 501 }))).toBe('BAD_USER_INPUT');
  });
});

describe('access', () => {
  let mineScope: string;
  let foreignScope: string;
  let mineControl: string;
  let foreignControl: string;
  let mine: { id: string };
  let foreign: { id: string };
  let foreignAcceptance: { id: string };
  let foreignRisk: string;
  let key: string;
  let requester: string;
  let approver: string;

  beforeAll(async () => {
    requester = (await createOwner(app)).id;
    approver = (await createOwner(app)).id;
    ({ scopeId: mineScope, controlId: mineControl } = await scopeWithControl(app));
    ({ scopeId: foreignScope, controlId: foreignControl } = await scopeWithControl(app));
    mine = await requestControlException(app, { scopeId: mineScope, controlId: mineControl, compensatingControlIds: [foreignControl] });
    foreign = await requestControlException(app, { scopeId: foreignScope, controlId: foreignControl });
    const acceptance = await requestRiskAcceptance(app, { scopeId: foreignScope });
    foreignAcceptance = acceptance.exception;
    foreignRisk = acceptance.riskId;
    key = (await app.createKey([Permission.ISMS_WRITE], { scopeIds: [mineScope] })).secret;
  });

  test('a restricted key gets NOT_FOUND outside its scopes and omits foreign exceptions from lists and totals', async () => {
    expect(ok(await app.gql(GET, { id: mine.id }, key)).exception.id).toBe(mine.id);
    expect(errorCode(await app.gql(GET, { id: foreign.id }, key))).toBe('NOT_FOUND');
    expect(errorCode(await app.gql(GET, { id: foreignAcceptance.id }, key))).toBe('NOT_FOUND');
    const res = ok(await app.gql(LIST, { first: 500 }, key)).exceptions;
    const ids = res.edges.map((e: any) => e.node.id);
    expect(ids).toEqual([mine.id]);
    expect(res.totalCount).toBe(1);
    expect(ok(await app.gql(LIST, { filter: { scopeIds: [foreignScope] } }, key)).exceptions.totalCount).toBe(0);
  });

  test('nested fields show only what the key may see: a foreign compensating control is left out', async () => {
    expect(ok(await app.gql(GET, { id: mine.id }, key)).exception.compensatingControls).toEqual([]);
    expect(ok(await app.gql(GET, { id: mine.id })).exception.compensatingControls).toEqual([{ id: foreignControl }]);
  });

  test('a risk moved out of the key\'s scopes after its acceptance reads as null through the exception', async () => {
    const { exception, riskId } = await requestRiskAcceptance(app, { scopeId: mineScope });
    expect(ok(await app.gql(GET, { id: exception.id }, key)).exception.risk).toMatchObject({ id: riskId });
    await updateRisk(app, riskId, { scopeId: foreignScope });
    expect(errorCode(await app.gql('query($id: ID!) { risk(id: $id) { id } }', { id: riskId }, key))).toBe('NOT_FOUND');
    const read = ok(await app.gql(GET, { id: exception.id }, key)).exception;
    expect(read.risk).toBeNull();
    expect(ok(await app.gql(GET, { id: exception.id })).exception.risk).toMatchObject({ id: riskId });
  });

  test('a request in a foreign scope is FORBIDDEN; transitions of foreign exceptions are NOT_FOUND; nothing written', async () => {
    const before = await snapshot();
    await expectRefused(await app.gql(REQUEST_EXCEPTION, { input: { kind: 'CONTROL_EXCEPTION', scopeId: foreignScope, controlId: foreignControl, requestedById: requester, justification: 'j' } }, key), 'FORBIDDEN', before);
    await expectRefused(await app.gql(REQUEST_EXCEPTION, { input: { kind: 'RISK_ACCEPTANCE', scopeId: foreignScope, riskId: foreignRisk, requestedById: requester, justification: 'j' } }, key), 'FORBIDDEN', before);
    // a foreign risk named under an own scope
    await expectRefused(await app.gql(REQUEST_EXCEPTION, { input: { kind: 'RISK_ACCEPTANCE', scopeId: mineScope, riskId: foreignRisk, requestedById: requester, justification: 'j' } }, key), 'FORBIDDEN', before);
    await expectRefused(await app.gql(REQUEST_EXCEPTION, { input: { kind: 'CONTROL_EXCEPTION', scopeId: mineScope, controlId: mineControl, compensatingControlIds: [foreignControl], requestedById: requester, justification: 'j' } }, key), 'FORBIDDEN', before);
    await expectRefused(await approve(foreign.id, approver, 1, inDays(30), key), 'NOT_FOUND', before);
    await expectRefused(await app.gql(REJECT_EXCEPTION, { id: foreign.id, approverId: approver, reason: 'r' }, key), 'NOT_FOUND', before);
    await expectRefused(await app.gql(REVOKE_EXCEPTION, { id: foreign.id, reason: 'r' }, key), 'NOT_FOUND', before);
  });

  test('inside its scopes the restricted key requests and decides', async () => {
    const x = ok(await app.gql(REQUEST_EXCEPTION, { input: { kind: 'CONTROL_EXCEPTION', scopeId: mineScope, controlId: mineControl, requestedById: requester, justification: 'j' } }, key)).requestException;
    const approved = ok(await approve(x.id, approver, 1, inDays(30), key)).approveException;
    expect(approved.status).toBe('APPROVED');
    const [row] = await app.sql("SELECT actor_key_id FROM audit_event WHERE entity_id = $1 AND operation = 'approveException'", [x.id]);
    expect(row.actor_key_id).not.toBeNull();
  });

  test.each([
    ['isms:read', [Permission.ISMS_READ]],
    ['treatment:write', [Permission.TREATMENT_WRITE]],
  ])('a %s key reads exceptions but cannot request or decide them (FORBIDDEN, nothing written)', async (_name, permissions) => {
    const k = (await app.createKey(permissions)).secret;
    const x = await requestControlException(app);
    expect(ok(await app.gql(GET, { id: x.id }, k)).exception.id).toBe(x.id);
    const before = await snapshot();
    await expectRefused(await app.gql(REQUEST_EXCEPTION, { input: { kind: 'CONTROL_EXCEPTION', scopeId: mineScope, controlId: mineControl, requestedById: requester, justification: 'j' } }, k), 'FORBIDDEN', before);
    await expectRefused(await approve(x.id, approver, 1, inDays(30), k), 'FORBIDDEN', before);
    await expectRefused(await app.gql(REJECT_EXCEPTION, { id: x.id, approverId: approver, reason: 'r' }, k), 'FORBIDDEN', before);
    await expectRefused(await app.gql(REVOKE_EXCEPTION, { id: x.id, reason: 'r' }, k), 'FORBIDDEN', before);
  });
});

describe('control exception naming a requirement', () => {
  const FIELDS = 'id kind status control { id } requirement { id code } scope { id }';
  const REQUEST = `mutation($input: RequestExceptionInput!) { requestException(input: $input) { ${FIELDS} } }`;
  async function requirement(code = 'A.5.15'): Promise<string> {
    return ok(await app.gql('query($c: String!) { requirement(frameworkKey: "iso27001-2022", code: $c) { id } }', { c: code })).requirement.id;
  }

  test('a requirement instead of a control, or with one; both read back', async () => {
    const { scopeId, controlId } = await scopeWithControl(app);
    const requester = await createOwner(app);
    const requirementId = await requirement();
    const only = ok(await app.gql(REQUEST, { input: { kind: 'CONTROL_EXCEPTION', scopeId, requirementId, requestedById: requester.id, justification: 'Not met yet' } })).requestException;
    expect(only).toMatchObject({ kind: 'CONTROL_EXCEPTION', status: 'REQUESTED', control: null, requirement: { id: requirementId, code: 'A.5.15' }, scope: { id: scopeId } });
    const both = ok(await app.gql(REQUEST, { input: { kind: 'CONTROL_EXCEPTION', scopeId, controlId, requirementId, requestedById: requester.id, justification: 'Not met yet' } })).requestException;
    expect(both).toMatchObject({ control: { id: controlId }, requirement: { id: requirementId } });
    expect(ok(await app.gql(`query($id: ID!) { exception(id: $id) { ${FIELDS} } }`, { id: only.id })).exception.requirement).toEqual({ id: requirementId, code: 'A.5.15' });
    const [row] = await app.sql('SELECT requirement_id, control_id FROM exception WHERE id = $1', [only.id]);
    expect(row).toEqual({ requirement_id: requirementId, control_id: null });
    // a control-only exception has no requirement
    const control = await requestControlException(app, { scopeId, controlId });
    expect(ok(await app.gql(`query($id: ID!) { exception(id: $id) { ${FIELDS} } }`, { id: control.id })).exception.requirement).toBeNull();
    // filter by requirement
    expect((await listIds({ requirementIds: [requirementId] })).sort()).toEqual([only.id, both.id].sort());
  });

  test.each([
    ['neither a control nor a requirement', () => ({}), 'controlId'],
    ['an unknown requirement', () => ({ requirementId: randomUUID() }), 'requirementId'],
    ['a malformed requirement id', () => ({ requirementId: 'A.5.15' }), 'requirementId'],
  ] as Array<[string, () => Record<string, unknown>, string]>)('a control exception with %s is BAD_USER_INPUT; nothing written', async (_name, patch, field) => {
    const scope = await createScope(app);
    const requester = await createOwner(app);
    const before = await snapshot();
    const res = await app.gql(REQUEST, { input: { kind: 'CONTROL_EXCEPTION', scopeId: scope.id, requestedById: requester.id, justification: 'j', ...patch() } });
    await expectRefused(res, 'BAD_USER_INPUT', before, field);
  });

  test('a known requirement with an unknown control is still BAD_USER_INPUT naming controlId', async () => {
    const scope = await createScope(app);
    const requester = await createOwner(app);
    const before = await snapshot();
    const res = await app.gql(REQUEST, { input: { kind: 'CONTROL_EXCEPTION', scopeId: scope.id, controlId: randomUUID(), requirementId: await requirement(), requestedById: requester.id, justification: 'j' } });
    await expectRefused(res, 'BAD_USER_INPUT', before, 'controlId');
  });

  test('a risk acceptance naming a requirement is BAD_USER_INPUT naming requirementId; nothing written', async () => {
    const ctx = await acceptanceContext();
    const before = await snapshot();
    const res = await app.gql(REQUEST, { input: { kind: 'RISK_ACCEPTANCE', scopeId: ctx.scopeId, riskId: ctx.riskId, requirementId: await requirement(), requestedById: ctx.requester, justification: 'j' } });
    await expectRefused(res, 'BAD_USER_INPUT', before, 'requirementId');
  });

  test('an approved requirement exception can be revoked like any other', async () => {
    const scope = await createScope(app);
    const requester = await createOwner(app);
    const approver = await createOwner(app);
    const x = ok(await app.gql(REQUEST, { input: { kind: 'CONTROL_EXCEPTION', scopeId: scope.id, requirementId: await requirement('A.8.5'), requestedById: requester.id, justification: 'j' } })).requestException;
    expect(ok(await approve(x.id, approver.id, 1)).approveException.status).toBe('APPROVED');
    expect(ok(await app.gql(REVOKE_EXCEPTION, { id: x.id, reason: 'met', v: 2 })).revokeException.status).toBe('REVOKED');
  });
});
