import { randomUUID } from 'node:crypto';
import { startTestApp, ok, type TestApp, type GqlResponse } from './helpers/app';
import { createOwner, createScope } from './helpers/factories';
import { createControl, createRisk, createTask, requestControlException } from './helpers/core-factories';
import { rootOperations, type GeneratedOperation } from './helpers/operations';
import { buildIsmsSchema } from '../src/schema';
import { grants, Permission } from '../src/auth/permissions';

/**
 * The permission matrix, generated from the built schema: every Query and Mutation field is called
 * with minimal (possibly invalid) arguments by a key holding each single permission, and by an
 * admin key restricted to one scope.
 *
 * - A key without the operation's permission gets FORBIDDEN, before any validation of the
 *   arguments, and nothing is written.
 * - A key with it gets anything but FORBIDDEN (NOT_FOUND, BAD_USER_INPUT and success are all fine:
 *   the arguments are junk), and never INTERNAL, UNAUTHENTICATED or a malformed-request error.
 * - The scope-restricted admin gets the same as an unrestricted one, except where a rule says the
 *   operation is for unrestricted keys only (or its junk arguments would act outside its scopes);
 *   and for scoped operations it gets NOT_FOUND for another scope's entity (FORBIDDEN for a create
 *   into another scope).
 *
 * Every operation needs a rule below: a new operation without one fails the first test, and so
 * does a rule for an operation that no longer exists.
 */

const { ISMS_READ: READ, ISMS_WRITE: WRITE, TREATMENT_WRITE: TREATMENT, CATALOG_WRITE: CATALOG, ADMIN } = Permission;

/** Entities in scope B, which the restricted key (scope A) must not reach. */
interface Fixtures {
  scopeA: string;
  scopeB: string;
  owner: string;
  controlB: string;
  riskB: string;
  taskB: string;
  exceptionB: string;
  evidenceB: string;
  assetB: string;
  reminderB: string;
  keyB: string;
  endpointB: string;
  requirement: string;
}

type Vars = Record<string, any>;
interface OtherScope {
  /** Variables aimed at scope B, built from the generated minimal ones. */
  variables: (fx: Fixtures, minimal: Vars) => Vars;
  expect: 'NOT_FOUND' | 'FORBIDDEN';
  /** A document of its own, where the argument aimed at scope B is optional (the generated one passes only required arguments). */
  document?: string;
}
interface Rule {
  /** The permission the operation needs (held directly or implied). */
  need: Permission;
  /** Whether what it reads or writes belongs to scopes (a restricted key sees only its own). */
  scoped: boolean;
  /** The restricted admin is refused even with the permission: the operation is for unrestricted keys, or its minimal arguments act outside the key's scopes. */
  restrictedForbidden?: string;
  /** A call on another scope's entity by the restricted key; required for scoped reads by id. */
  otherScope?: OtherScope;
}

const notFound = (variables: OtherScope['variables']): OtherScope => ({ variables, expect: 'NOT_FOUND' });
const forbidden = (variables: OtherScope['variables']): OtherScope => ({ variables, expect: 'FORBIDDEN' });
const byId = (pick: (fx: Fixtures) => string, arg = 'id') => notFound((fx, v) => ({ ...v, [arg]: pick(fx) }));
const inScopeB = (frameworkKey = 'iso27001-2022') => notFound((fx, v) => ({ ...v, scopeId: fx.scopeB, ...(v.frameworkKey ? { frameworkKey } : {}) }));

const RULES: Record<string, Rule> = {
  // API keys, allow-lists and audit: admin
  'Query.apiKeys': { need: ADMIN, scoped: true },
  'Query.allowedOperations': { need: ADMIN, scoped: false },
  'Query.auditEvents': { need: ADMIN, scoped: true },
  'Mutation.createApiKey': { need: ADMIN, scoped: true, restrictedForbidden: 'a key without scopeIds would reach beyond the creator\'s scopes', otherScope: forbidden((fx) => ({ input: { name: 'beyond', ownerId: fx.owner, permissions: ['ISMS_READ'], scopeIds: [fx.scopeB] } })) },
  'Mutation.revokeApiKey': { need: ADMIN, scoped: true, otherScope: byId((fx) => fx.keyB) },
  'Mutation.rotateApiKey': { need: ADMIN, scoped: true, otherScope: byId((fx) => fx.keyB) },
  'Mutation.registerAllowedOperation': { need: ADMIN, scoped: false },
  'Mutation.bindApiKeyToAllowList': { need: ADMIN, scoped: true, otherScope: notFound((fx) => ({ keyId: fx.keyB, operationIds: [] })) },
  'Mutation.unbindApiKeyFromAllowList': { need: ADMIN, scoped: true, otherScope: notFound((fx) => ({ keyId: fx.keyB })) },
  'Mutation.snapshotCoverage': { need: ADMIN, scoped: true, otherScope: inScopeB() },

  // owners: every reader sees them
  'Query.owner': { need: READ, scoped: false },
  'Query.owners': { need: READ, scoped: false },
  'Mutation.createOwner': { need: WRITE, scoped: false },
  'Mutation.updateOwner': { need: WRITE, scoped: false },
  'Mutation.archiveOwner': { need: WRITE, scoped: false },

  // scopes
  'Query.scope': { need: READ, scoped: true, otherScope: { ...byId((fx) => fx.scopeB), document: 'query($id: ID) { scope(id: $id) { __typename } }' } },
  'Query.scopes': { need: READ, scoped: true },
  'Mutation.createScope': { need: WRITE, scoped: true, otherScope: forbidden((fx) => ({ input: { key: `child-${randomUUID().slice(0, 8)}`, name: 'child of B', certification: 'CERTIFIABLE', ownerId: fx.owner, parentId: fx.scopeB } })) },
  'Mutation.updateScope': { need: WRITE, scoped: true, otherScope: byId((fx) => fx.scopeB) },
  'Mutation.archiveScope': { need: WRITE, scoped: true, otherScope: byId((fx) => fx.scopeB) },

  // controls
  'Query.control': { need: READ, scoped: true, otherScope: byId((fx) => fx.controlB) },
  'Query.controls': { need: READ, scoped: true },
  'Mutation.createControl': { need: WRITE, scoped: true, restrictedForbidden: 'its minimal scopeIds name a scope outside the key\'s', otherScope: forbidden((fx, v) => ({ input: { ...v.input, ownerId: fx.owner, scopeIds: [fx.scopeB] } })) },
  'Mutation.updateControl': { need: WRITE, scoped: true, otherScope: byId((fx) => fx.controlB) },
  'Mutation.archiveControl': { need: WRITE, scoped: true, otherScope: byId((fx) => fx.controlB) },
  'Mutation.linkControlToScope': { need: WRITE, scoped: true, otherScope: notFound((fx) => ({ controlId: fx.controlB, scopeId: fx.scopeA })) },
  'Mutation.unlinkControlFromScope': { need: WRITE, scoped: true, otherScope: notFound((fx) => ({ controlId: fx.controlB, scopeId: fx.scopeB })) },
  'Mutation.linkControlToRequirement': { need: WRITE, scoped: true, otherScope: notFound((fx) => ({ controlId: fx.controlB, requirementId: fx.requirement })) },
  'Mutation.unlinkControlFromRequirement': { need: WRITE, scoped: true, otherScope: notFound((fx) => ({ controlId: fx.controlB, requirementId: fx.requirement })) },

  // risks
  'Query.risk': { need: READ, scoped: true, otherScope: byId((fx) => fx.riskB) },
  'Query.risks': { need: READ, scoped: true },
  'Query.riskMetrics': { need: READ, scoped: true, otherScope: { ...inScopeB(), document: 'query($scopeId: ID) { riskMetrics(scopeId: $scopeId) { __typename } }' } },
  'Mutation.createRisk': { need: WRITE, scoped: true, otherScope: forbidden((fx, v) => ({ input: { ...v.input, ownerId: fx.owner, scopeId: fx.scopeB } })) },
  'Mutation.updateRisk': { need: WRITE, scoped: true, otherScope: byId((fx) => fx.riskB) },
  'Mutation.archiveRisk': { need: WRITE, scoped: true, otherScope: byId((fx) => fx.riskB) },
  'Mutation.linkControlToRisk': { need: WRITE, scoped: true, otherScope: notFound((fx) => ({ controlId: fx.controlB, riskId: fx.riskB })) },
  'Mutation.unlinkControlFromRisk': { need: WRITE, scoped: true, otherScope: notFound((fx) => ({ controlId: fx.controlB, riskId: fx.riskB })) },
  'Mutation.linkRiskToThreat': { need: WRITE, scoped: true, otherScope: notFound((fx) => ({ riskId: fx.riskB, requirementId: fx.requirement })) },
  'Mutation.unlinkRiskFromThreat': { need: WRITE, scoped: true, otherScope: notFound((fx) => ({ riskId: fx.riskB, requirementId: fx.requirement })) },
  'Mutation.recordReview': { need: WRITE, scoped: true, otherScope: notFound((fx, v) => ({ input: { ...v.input, subjectType: 'RISK', subjectId: fx.riskB } })) },

  // treatment tasks: their own permission (isms:write does not imply it), scoped through their risk
  'Query.treatmentTask': { need: READ, scoped: true, otherScope: byId((fx) => fx.taskB) },
  'Query.treatmentTasks': { need: READ, scoped: true },
  'Mutation.createTreatmentTask': { need: TREATMENT, scoped: true, otherScope: forbidden((fx, v) => ({ input: { ...v.input, riskId: fx.riskB, assigneeId: fx.owner } })) },
  'Mutation.updateTreatmentTask': { need: TREATMENT, scoped: true, otherScope: byId((fx) => fx.taskB) },
  'Mutation.archiveTreatmentTask': { need: TREATMENT, scoped: true, otherScope: byId((fx) => fx.taskB) },
  'Mutation.upsertTreatmentTaskByExternalRef': { need: TREATMENT, scoped: true, otherScope: forbidden((fx, v) => ({ input: { ...v.input, riskId: fx.riskB, assigneeId: fx.owner } })) },

  // exceptions
  'Query.exception': { need: READ, scoped: true, otherScope: byId((fx) => fx.exceptionB) },
  'Query.exceptions': { need: READ, scoped: true },
  'Mutation.requestException': { need: WRITE, scoped: true, otherScope: forbidden((fx) => ({ input: { kind: 'CONTROL_EXCEPTION', scopeId: fx.scopeB, controlId: fx.controlB, requestedById: fx.owner, justification: 'outside' } })) },
  'Mutation.approveException': { need: WRITE, scoped: true, otherScope: byId((fx) => fx.exceptionB) },
  'Mutation.rejectException': { need: WRITE, scoped: true, otherScope: byId((fx) => fx.exceptionB) },
  'Mutation.revokeException': { need: WRITE, scoped: true, otherScope: byId((fx) => fx.exceptionB) },

  // evidence
  'Query.evidenceItem': { need: READ, scoped: true, otherScope: byId((fx) => fx.evidenceB) },
  'Query.evidence': { need: READ, scoped: true },
  'Mutation.createEvidence': { need: WRITE, scoped: true, otherScope: forbidden((fx, v) => ({ input: { ...v.input, controlId: fx.controlB, ownerId: fx.owner } })) },
  'Mutation.updateEvidence': { need: WRITE, scoped: true, otherScope: byId((fx) => fx.evidenceB) },
  'Mutation.archiveEvidence': { need: WRITE, scoped: true, otherScope: byId((fx) => fx.evidenceB) },

  // statement of applicability and coverage
  'Query.statementOfApplicability': { need: READ, scoped: true, otherScope: inScopeB() },
  'Query.soaDiff': { need: READ, scoped: true, otherScope: inScopeB() },
  'Query.coverage': { need: READ, scoped: true, otherScope: inScopeB() },
  'Query.gapAssessment': { need: READ, scoped: true, otherScope: inScopeB() },
  'Query.coverageTrend': { need: READ, scoped: true, otherScope: inScopeB() },
  'Query.coverageRows': { need: READ, scoped: true },
  'Mutation.adoptFramework': { need: WRITE, scoped: true, otherScope: inScopeB() },
  'Mutation.dropFramework': { need: WRITE, scoped: true, otherScope: inScopeB() },
  'Mutation.setApplicability': { need: WRITE, scoped: true, otherScope: forbidden((fx, v) => ({ input: { ...v.input, scopeId: fx.scopeB, requirementId: fx.requirement, applicability: 'APPLICABLE' } })) },
  'Mutation.setApplicabilities': { need: WRITE, scoped: true, otherScope: forbidden((fx, v) => ({ inputs: [{ ...v.inputs[0], scopeId: fx.scopeB, requirementId: fx.requirement, applicability: 'APPLICABLE' }] })) },
  'Mutation.approveStatementOfApplicability': { need: WRITE, scoped: true, otherScope: notFound((fx) => ({ scopeId: fx.scopeB, approverId: fx.owner })) },

  // reminders and calendar feeds (feeds span every scope: unrestricted keys only)
  'Query.reminder': { need: READ, scoped: true, otherScope: byId((fx) => fx.reminderB) },
  'Query.reminders': { need: READ, scoped: true },
  'Mutation.acknowledgeReminder': { need: WRITE, scoped: true, otherScope: byId((fx) => fx.reminderB) },
  'Query.calendarTokens': { need: WRITE, scoped: false, restrictedForbidden: 'a feed shows an owner\'s subjects in every scope' },
  'Mutation.issueCalendarToken': { need: WRITE, scoped: false, restrictedForbidden: 'a feed shows an owner\'s subjects in every scope' },
  'Mutation.revokeCalendarToken': { need: WRITE, scoped: false, restrictedForbidden: 'a feed shows an owner\'s subjects in every scope' },

  // catalogs: read by every reader, written with catalog:write only
  'Query.frameworks': { need: READ, scoped: false },
  'Query.framework': { need: READ, scoped: false },
  'Query.requirement': { need: READ, scoped: false },
  'Query.requirements': { need: READ, scoped: false },
  'Query.crosswalks': { need: READ, scoped: false },
  'Query.crosswalk': { need: READ, scoped: false },
  'Query.mappings': { need: READ, scoped: false },
  'Query.relatedRequirements': { need: READ, scoped: false },
  'Mutation.createFramework': { need: CATALOG, scoped: false },
  'Mutation.updateFramework': { need: CATALOG, scoped: false },
  'Mutation.archiveFramework': { need: CATALOG, scoped: false },
  'Mutation.createRequirement': { need: CATALOG, scoped: false },
  'Mutation.updateRequirement': { need: CATALOG, scoped: false },
  'Mutation.archiveRequirement': { need: CATALOG, scoped: false },
  'Mutation.createCrosswalk': { need: CATALOG, scoped: false },
  'Mutation.updateCrosswalk': { need: CATALOG, scoped: false },
  'Mutation.archiveCrosswalk': { need: CATALOG, scoped: false },
  'Mutation.createMapping': { need: CATALOG, scoped: false },
  'Mutation.updateMapping': { need: CATALOG, scoped: false },
  'Mutation.archiveMapping': { need: CATALOG, scoped: false },
  'Mutation.importOscalCatalog': { need: CATALOG, scoped: false },
  'Mutation.importRequirementsCsv': { need: CATALOG, scoped: false },
  'Mutation.importMappings': { need: CATALOG, scoped: false },

  // assets and non-human identities
  'Query.asset': { need: READ, scoped: true, otherScope: byId((fx) => fx.assetB) },
  'Query.assets': { need: READ, scoped: true },
  'Query.nhiFindings': { need: READ, scoped: true, otherScope: inScopeB() },
  'Mutation.createAsset': { need: WRITE, scoped: true, restrictedForbidden: 'an asset without scopes is outside every restricted key\'s scopes', otherScope: forbidden((fx, v) => ({ input: { ...v.input, scopeIds: [fx.scopeB] } })) },
  'Mutation.updateAsset': { need: WRITE, scoped: true, otherScope: byId((fx) => fx.assetB) },
  'Mutation.archiveAsset': { need: WRITE, scoped: true, otherScope: byId((fx) => fx.assetB) },
  'Mutation.linkAssetToScope': { need: WRITE, scoped: true, otherScope: notFound((fx) => ({ assetId: fx.assetB, scopeId: fx.scopeA })) },
  'Mutation.unlinkAssetFromScope': { need: WRITE, scoped: true, otherScope: notFound((fx) => ({ assetId: fx.assetB, scopeId: fx.scopeB })) },
  'Mutation.linkRiskToAsset': { need: WRITE, scoped: true, otherScope: notFound((fx) => ({ riskId: fx.riskB, assetId: fx.assetB })) },
  'Mutation.unlinkRiskFromAsset': { need: WRITE, scoped: true, otherScope: notFound((fx) => ({ riskId: fx.riskB, assetId: fx.assetB })) },
  'Mutation.linkControlToAsset': { need: WRITE, scoped: true, otherScope: notFound((fx) => ({ controlId: fx.controlB, assetId: fx.assetB })) },
  'Mutation.unlinkControlFromAsset': { need: WRITE, scoped: true, otherScope: notFound((fx) => ({ controlId: fx.controlB, assetId: fx.assetB })) },
  'Mutation.recordRotation': { need: WRITE, scoped: true, otherScope: byId((fx) => fx.assetB, 'assetId') },
  'Mutation.revokeNonHumanIdentity': { need: WRITE, scoped: true, otherScope: byId((fx) => fx.assetB, 'assetId') },
  'Mutation.importNonHumanIdentities': { need: WRITE, scoped: true },
  'Mutation.createRisksFromFindings': { need: WRITE, scoped: true },

  // webhooks (admin)
  'Query.webhookEndpoint': { need: ADMIN, scoped: true, otherScope: byId((fx) => fx.endpointB) },
  'Query.webhookEndpoints': { need: ADMIN, scoped: true },
  'Query.webhookDeliveries': { need: ADMIN, scoped: true },
  'Mutation.createWebhookEndpoint': { need: ADMIN, scoped: true },
  'Mutation.disableWebhookEndpoint': { need: ADMIN, scoped: true, otherScope: byId((fx) => fx.endpointB) },
  'Mutation.enableWebhookEndpoint': { need: ADMIN, scoped: true, otherScope: byId((fx) => fx.endpointB) },
  'Mutation.deleteWebhookEndpoint': { need: ADMIN, scoped: true, otherScope: byId((fx) => fx.endpointB) },
  'Mutation.redeliverWebhook': { need: ADMIN, scoped: true },
};

/** Codes that mean the matrix itself is broken (bad generated arguments) or the server is. */
const NEVER = ['INTERNAL', 'UNAUTHENTICATED', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST', 'QUERY_TOO_COMPLEX'];

let app: TestApp;
let operations: Map<string, GeneratedOperation>;
const keys = new Map<Permission | 'restricted', string>();
let fx: Fixtures;

beforeAll(async () => {
  // loopback webhook URLs are allowed so an endpoint fixture can exist (nothing is delivered: no scheduler runs here)
  app = await startTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true' });
  operations = new Map(rootOperations(await buildIsmsSchema()).map((op) => [op.name, op]));
  for (const permission of Object.values(Permission)) keys.set(permission, (await app.createKey([permission])).secret);

  const scopeA = (await createScope(app)).id;
  const scopeB = (await createScope(app)).id;
  keys.set('restricted', (await app.createKey([ADMIN], { scopeIds: [scopeA] })).secret);
  const owner = (await createOwner(app)).id;
  const controlB = (await createControl(app, { scopeIds: [scopeB], ownerId: owner })).id;
  const riskB = (await createRisk(app, { scopeId: scopeB, ownerId: owner })).id;
  const taskB = (await createTask(app, { riskId: riskB, assigneeId: owner })).id;
  const exceptionB = (await requestControlException(app, { scopeId: scopeB, controlId: controlB, requestedById: owner })).id;
  const evidenceB = ok(await app.gql('mutation($input: CreateEvidenceInput!) { createEvidence(input: $input) { id } }', {
    input: { controlId: controlB, ownerId: owner, kind: 'DOCUMENT', title: 'Policy', reference: 'doc://policy', collectedAt: new Date().toISOString() },
  })).createEvidence.id;
  const assetB = ok(await app.gql('mutation($input: CreateAssetInput!) { createAsset(input: $input) { id } }', {
    input: { name: 'B app', kind: 'APPLICATION', scopeIds: [scopeB], ownerId: owner },
  })).createAsset.id;
  const [{ id: reminderB }] = await app.sql(
    `INSERT INTO reminder (id, kind, subject_type, subject_id, scope_ids, owner_id, due_at, lead_days)
     VALUES (gen_random_uuid(), 'REVIEW_DUE', 'RISK', $1, ARRAY[$2]::uuid[], $3, now() + interval '7 days', 7) RETURNING id`,
    [riskB, scopeB, owner],
  );
  const keyB = (await app.createKey([READ], { scopeIds: [scopeB] })).id;
  const endpointB = ok(await app.gql('mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }', {
    input: { url: 'http://127.0.0.1:9/hook', scopeIds: [scopeB] },
  })).createWebhookEndpoint.endpoint.id;
  // an approved SoA version 1 in scope B, for soaDiff
  ok(await app.gql('mutation($s: ID!) { adoptFramework(scopeId: $s, frameworkKey: "iso27001-2022") { __typename } }', { s: scopeB }));
  ok(await app.gql('mutation($s: ID!, $o: ID!) { approveStatementOfApplicability(scopeId: $s, approverId: $o) { __typename } }', { s: scopeB, o: owner }));
  const [{ id: requirement }] = await app.sql(`SELECT r.id FROM requirement r JOIN framework f ON f.id = r.framework_id WHERE f.key = 'owasp-nhi-top10-2025' AND r.code = 'NHI1'`);
  fx = { scopeA, scopeB, owner, controlB, riskB, taskB, exceptionB, evidenceB, assetB, reminderB, keyB, endpointB, requirement };
});
afterAll(() => app.close());

async function call(op: GeneratedOperation, variables: Vars, key: string, document = op.document): Promise<GqlResponse> {
  return app.gql(document, variables, key);
}

const codeOf = (res: GqlResponse): string => res.errors?.[0]?.extensions.code ?? 'OK';
const describeCall = (who: string, op: GeneratedOperation, res: GqlResponse) => `${who} → ${op.name}: ${codeOf(res)} ${res.errors?.[0]?.message ?? ''}`;

test('every Query and Mutation of the schema has a rule, and every rule an operation', () => {
  const missing = [...operations.keys()].filter((name) => !RULES[name]);
  const stale = Object.keys(RULES).filter((name) => !operations.has(name));
  expect({ missing, stale }).toEqual({ missing: [], stale: [] });
  // a scoped read by id must say what another scope's entity gives
  const unchecked = Object.entries(RULES).filter(([name, rule]) => name.startsWith('Query.') && rule.scoped && !rule.otherScope
    && operations.get(name)?.document.match(/\$(id|scopeId): ID!/)).map(([name]) => name);
  expect(unchecked).toEqual([]);
});

describe.each(Object.keys(RULES))('%s', (name) => {
  const rule = RULES[name];

  test(`needs ${rule.need}: FORBIDDEN before validation without it, never FORBIDDEN with it`, async () => {
    const op = operations.get(name);
    if (!op) throw new Error(`${name} is not in the schema (see the first test)`);
    const audited = async () => (await app.sql('SELECT count(*)::int AS n FROM audit_event'))[0].n as number;
    const failures: string[] = [];
    for (const permission of Object.values(Permission)) {
      const before = await audited();
      const res = await call(op, op.variables(), keys.get(permission)!);
      const code = codeOf(res);
      if (grants([permission], rule.need)) {
        if (code === 'FORBIDDEN' || NEVER.includes(code)) failures.push(describeCall(permission, op, res));
      } else {
        // refused: FORBIDDEN, no data, nothing written (allowed calls with junk may write, e.g. createOwner)
        if (code !== 'FORBIDDEN' || res.data?.[op.field] || (await audited()) !== before) failures.push(describeCall(permission, op, res));
      }
    }
    expect(failures).toEqual([]);
  });

  test(`a scope-restricted admin: ${rule.restrictedForbidden ? 'FORBIDDEN' : 'as an unrestricted one'}${rule.otherScope ? `, ${rule.otherScope.expect} for another scope's entity` : ''}`, async () => {
    const op = operations.get(name)!;
    const key = keys.get('restricted')!;
    const res = await call(op, op.variables(), key);
    const code = codeOf(res);
    if (rule.restrictedForbidden) expect(describeCall('restricted', op, res)).toMatch(/: FORBIDDEN /);
    else expect(code === 'FORBIDDEN' || NEVER.includes(code) ? describeCall('restricted', op, res) : 'ok').toBe('ok');
    if (rule.otherScope) {
      const other = await call(op, rule.otherScope.variables(fx, op.variables()), key, rule.otherScope.document);
      expect(describeCall('restricted, other scope', op, other)).toMatch(new RegExp(`: ${rule.otherScope.expect} `));
      expect(other.data?.[op.field] ?? null).toBeNull();
      // an unrestricted admin reads the same entity: NOT_FOUND above is the restriction, not junk
      // (queries only: the mutations would change scope B's fixtures for the rules after them)
      if (rule.otherScope.expect === 'NOT_FOUND' && op.kind === 'query') {
        const unrestricted = await call(op, rule.otherScope.variables(fx, op.variables()), keys.get(ADMIN)!, rule.otherScope.document);
        expect(describeCall('admin, other scope', op, unrestricted)).not.toMatch(/: (NOT_FOUND|FORBIDDEN) /);
      }
    }
  });
});

