import { randomUUID } from 'node:crypto';
import { ok, errorCode, type GqlResponse, type TestApp } from './helpers/app';

/** Catalog factories through the GraphQL API (catalog:write mutations), shared by the catalog tests. */

let counter = 0;
/** A framework or crosswalk key no other call produced (keys are global). */
export const uniqueKey = (prefix = 'fw') => `${prefix}-${process.pid}-${++counter}-${randomUUID().slice(0, 6)}`;

export interface FrameworkRef { id: string; key: string; version: string; revision: number; kind: string }
export interface RequirementRef { id: string; code: string; version: number }
export interface CrosswalkRef { id: string; key: string; version: number; status: string }
export interface MappingRef { id: string; version: number; relationship: string }

export const FRAMEWORK_FIELDS = 'id key version name kind publisher licence sourceUrl attribution builtIn revision archivedAt';
export const REQUIREMENT_FIELDS = 'id code title text kind assessable version archivedAt parent { id code } framework { id key version }';
export const CROSSWALK_FIELDS = 'id key name source method status builtIn version archivedAt sourceFramework { id key } targetFramework { id key }';
export const MAPPING_FIELDS = 'id relationship rationale strength notes version archivedAt crosswalk { id } source { id code } target { id code }';

export const CREATE_FRAMEWORK = `mutation($input: CreateFrameworkInput!, $k: String) { createFramework(input: $input, idempotencyKey: $k) { ${FRAMEWORK_FIELDS} } }`;
export const CREATE_REQUIREMENT = `mutation($input: CreateRequirementInput!) { createRequirement(input: $input) { ${REQUIREMENT_FIELDS} } }`;
export const CREATE_CROSSWALK = `mutation($input: CreateCrosswalkInput!) { createCrosswalk(input: $input) { ${CROSSWALK_FIELDS} } }`;
export const CREATE_MAPPING = `mutation($input: CreateMappingInput!) { createMapping(input: $input) { ${MAPPING_FIELDS} } }`;

export async function createFramework(app: TestApp, input: Record<string, unknown> = {}, key?: string): Promise<FrameworkRef> {
  const res = await app.gql(CREATE_FRAMEWORK, { input: { key: uniqueKey(), version: '1.0', name: 'Custom framework', kind: 'CONTROL_CATALOG', ...input } }, key);
  return ok(res).createFramework;
}

export async function createRequirement(app: TestApp, frameworkId: string, code: string, input: Record<string, unknown> = {}, key?: string): Promise<RequirementRef> {
  const res = await app.gql(CREATE_REQUIREMENT, { input: { frameworkId, code, title: `Requirement ${code}`, kind: 'CONTROL', assessable: true, ...input } }, key);
  return ok(res).createRequirement;
}

export async function createCrosswalk(app: TestApp, sourceFrameworkId: string, targetFrameworkId: string, input: Record<string, unknown> = {}, key?: string): Promise<CrosswalkRef> {
  const res = await app.gql(CREATE_CROSSWALK, {
    input: { key: uniqueKey('xw'), name: 'Custom crosswalk', sourceFrameworkId, targetFrameworkId, source: 'test fixture', status: 'APPROVED', ...input },
  }, key);
  return ok(res).createCrosswalk;
}

export async function createMapping(
  app: TestApp, crosswalkId: string, sourceRequirementId: string, targetRequirementId: string, relationship: string, input: Record<string, unknown> = {}, key?: string,
): Promise<MappingRef> {
  const res = await app.gql(CREATE_MAPPING, { input: { crosswalkId, sourceRequirementId, targetRequirementId, relationship, ...input } }, key);
  return ok(res).createMapping;
}

/** The id of a requirement by framework key (newest version unless given) and code. */
export async function requirementId(app: TestApp, frameworkKey: string, code: string, frameworkVersion?: string): Promise<string> {
  const res = await app.gql('query($k: String!, $c: String!, $v: String) { requirement(frameworkKey: $k, code: $c, frameworkVersion: $v) { id } }', { k: frameworkKey, c: code, v: frameworkVersion ?? null });
  return ok(res).requirement.id;
}

/** Rows of every table a catalog write touches, to prove that a refused write wrote nothing. */
export async function catalogRowCounts(app: TestApp): Promise<Record<string, number>> {
  const [row] = await app.sql(`SELECT
      (SELECT count(*) FROM framework)::int AS frameworks,
      (SELECT count(*) FROM requirement)::int AS requirements,
      (SELECT count(*) FROM crosswalk)::int AS crosswalks,
      (SELECT count(*) FROM mapping)::int AS mappings,
      (SELECT count(*) FROM control_requirement)::int AS "controlRequirements",
      (SELECT count(*) FROM risk_threat)::int AS "riskThreats",
      (SELECT count(*) FROM audit_event)::int AS audits,
      (SELECT count(*) FROM idempotency_key)::int AS idempotency,
      (SELECT coalesce(sum(revision), 0) FROM framework)::int AS "frameworkRevisions",
      (SELECT coalesce(sum(version), 0) FROM requirement)::int AS "requirementVersions",
      (SELECT coalesce(sum(version), 0) FROM crosswalk)::int AS "crosswalkVersions",
      (SELECT coalesce(sum(version), 0) FROM mapping)::int AS "mappingVersions"`);
  return row as Record<string, number>;
}

/** A response that failed with this code (and field, when given), returning no data. */
export function expectFailure(res: GqlResponse, code: string, field?: string): void {
  expect({ code: errorCode(res), errors: res.errors?.length ?? 0 }).toEqual({ code, errors: 1 });
  if (res.data !== undefined) expect(res.data).toBeNull();
  if (field !== undefined) expect(res.errors![0].extensions.field).toBe(field);
}
