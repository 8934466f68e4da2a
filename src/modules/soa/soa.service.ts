import { randomUUID } from 'node:crypto';
import { validate } from 'class-validator';
import type { EntityManager } from 'typeorm';
import type { Context } from '../../context';
import { AppError, badInput, conflict, notFound, type ErrorCode } from '../../common/errors';
import { assertVersion, applyUpdate } from '../../common/versioning';
import { hasNul, isUuid } from '../../common/validation';
import { inTransaction, recordWrite } from '../../db/transaction';
import { ChangeAction, EntityType } from '../../db/events';
import { canSeeAny } from '../../auth/visibility';
import { claimCreate } from '../idempotency/idempotency.service';
import { ownerService } from '../owner/owner.service';
import { Scope } from '../scope/scope.entity';
import { scopeService } from '../scope/scope.service';
import { Framework } from '../framework/framework.entity';
import { frameworkService } from '../framework/framework.service';
import { RequirementKind } from '../framework/requirement.entity';
import type { ControlStatus } from '../control/control.entity';
import { coverageService } from '../coverage/coverage.service';
import { CoverageStatus, type CoverageRow } from '../coverage/coverage.types';
import { evidenceCounts } from '../evidence/evidence.loaders';
import { freshnessOf } from '../evidence/evidence.service';
import { Applicability, InclusionDriver, ScopeFramework, SoaEntry, SoaVersion } from './soa.entity';
import { MAX_BULK_DECISIONS, type SetApplicabilityInput } from './soa.inputs';
import type { SoaVersionHeader } from './soa.loaders';
import {
  SoaField, implementationStatus, type SoaControlRef, type SoaDiff, type SoaFieldChange, type SoaRow, type SoaRowChange, type SoaRowSnapshot,
  type StatementOfApplicability,
} from './soa.types';

const VERSION = 'SoaVersion';
const ENTRY = 'SoA entry';
const DRIVER_ORDER = Object.values(InclusionDriver);

/** Locks a scope that is the target of a SoA write: NOT_FOUND when absent or invisible; archived is BAD_USER_INPUT. */
async function lockTargetScope(ctx: Context, tx: EntityManager, scopeId: string): Promise<Scope> {
  const locked: unknown[] = isUuid(scopeId) ? await tx.query('SELECT id FROM scope WHERE id = $1 FOR NO KEY UPDATE', [scopeId]) : [];
  const scope = locked.length ? await tx.findOneBy(Scope, { id: scopeId.toLowerCase() }) : null;
  if (!scope || !(await canSeeAny(ctx, [scope.id]))) throw notFound('Scope');
  if (scope.archivedAt) throw badInput(`Scope ${scope.key} is archived`, 'scopeId');
  return scope;
}

async function adoptedFrameworks(manager: EntityManager, scopeId: string): Promise<Array<{ id: string; key: string; version: string }>> {
  return manager.query(
    'SELECT f.id, f.key, f.version FROM scope_framework sf JOIN framework f ON f.id = sf.framework_id WHERE sf.scope_id = $1 ORDER BY f.key, f.version, f.id',
    [scopeId],
  );
}

interface BaseRow {
  requirement_id: string;
  framework_id: string;
  framework_key: string;
  framework_version: string;
  code: string;
  title: string;
  entry_version: number | null;
  applicability: Applicability | null;
  justification: string | null;
  drivers: InclusionDriver[] | null;
}

/**
 * The current rows of a scope's SoA (only those of `frameworkIds` when given): one per assessable,
 * active requirement of kind CONTROL of each adopted framework, with the scope's decision and the
 * columns derived from coverage (one statement per framework), the implementing controls and
 * their evidence. Every statement runs on `manager`.
 */
async function currentRows(ctx: Context, manager: EntityManager, scope: Scope, frameworkIds?: string[]): Promise<SoaRowSnapshot[]> {
  const base: BaseRow[] = await manager.query(
    `SELECT r.id AS requirement_id, f.id AS framework_id, f.key AS framework_key, f.version AS framework_version, r.code, r.title,
            e.version AS entry_version, e.applicability::text AS applicability, e.justification, e.drivers
       FROM scope_framework sf
       JOIN framework f ON f.id = sf.framework_id
       JOIN requirement r ON r.framework_id = f.id
       LEFT JOIN soa_entry e ON e.scope_id = sf.scope_id AND e.requirement_id = r.id AND e.archived_at IS NULL
      WHERE sf.scope_id = $1 AND ($2::uuid[] IS NULL OR f.id = ANY($2::uuid[]))
        AND r.kind = $3 AND r.assessable AND NOT r.withdrawn AND r.archived_at IS NULL
      ORDER BY f.key, f.version, f.id, r.position, r.id`,
    [scope.id, frameworkIds ?? null, RequirementKind.CONTROL],
  );
  if (!base.length) return [];
  const ids = [...new Set(base.map((b) => b.framework_id))];
  const frameworks = await manager.getRepository(Framework).createQueryBuilder('f').where('f.id = ANY(:ids)', { ids }).getMany();
  const coverage = new Map<string, CoverageRow>();
  for (const framework of frameworks) {
    const result = await coverageService.compute(ctx, scope, framework, manager);
    for (const row of result.rows) coverage.set(row.requirementId, row);
  }
  const controlIds = [...new Set([...coverage.values()].flatMap((c) => c.controls.map((x) => x.id)))];
  const controls: Array<{ id: string; code: string }> = controlIds.length ? await manager.query('SELECT id, code FROM control WHERE id = ANY($1::uuid[])', [controlIds]) : [];
  const codes = new Map(controls.map((c) => [c.id, c.code]));
  const counts = await evidenceCounts(manager, controlIds);
  return base.map((b) => {
    const cov = coverage.get(b.requirement_id);
    const applicability = b.applicability ?? Applicability.UNDECIDED;
    const coverageStatus = cov?.status ?? CoverageStatus.NOT_COVERED;
    const refs: SoaControlRef[] = (cov?.controls ?? [])
      .map((c) => ({ id: c.id, code: codes.get(c.id) ?? c.id, status: c.status as ControlStatus }))
      .sort((a, z) => a.code.localeCompare(z.code) || a.id.localeCompare(z.id));
    return {
      requirementId: b.requirement_id,
      frameworkId: b.framework_id,
      frameworkKey: b.framework_key,
      frameworkVersion: b.framework_version,
      code: b.code,
      title: b.title,
      applicability,
      justification: b.justification,
      drivers: b.drivers ?? [],
      entryVersion: b.entry_version,
      implementationStatus: implementationStatus({ applicability, coverageStatus, controlStatuses: refs.map((r) => r.status) }),
      coverageStatus,
      evidenceFreshness: freshnessOf(refs.map((r) => counts.get(r.id) ?? { fresh: 0, stale: 0 })),
      controls: refs,
    };
  });
}

/** A consistent snapshot of the current rows: every statement in one REPEATABLE READ transaction. */
function snapshotRows(ctx: Context, scope: Scope): Promise<SoaRowSnapshot[]> {
  return ctx.db.transaction('REPEATABLE READ', (manager) => currentRows(ctx, manager, scope));
}

export function toRow(snapshot: SoaRowSnapshot): SoaRow {
  const { controls, ...rest } = snapshot;
  return { ...rest, controlCodes: controls.map((c) => c.code), controlRefs: controls };
}

function statementOf(scope: Scope, rows: SoaRowSnapshot[], version: Pick<SoaVersion, 'number' | 'approvedAt' | 'approverId'> | null): StatementOfApplicability {
  return { scope, version: version?.number ?? null, approvedAt: version?.approvedAt ?? null, approverId: version?.approverId ?? null, rows: rows.map(toRow) };
}

async function frozenRows(ctx: Context, scope: Scope, number: number): Promise<SoaVersion> {
  const version = Number.isInteger(number) ? await ctx.db.getRepository(SoaVersion).findOneBy({ scopeId: scope.id, number }) : null;
  if (!version) throw notFound(VERSION);
  return version;
}

/**
 * Inside setApplicabilities a fault also names where it is: `extensions.path` `inputs[i].<field>`
 * (or `inputs[i]` when the error names no field), and the message starts with it.
 */
async function atIndex<T>(index: number | null, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (index === null || !(err instanceof AppError)) throw err;
    const field = err.extensions.field as string | undefined;
    const path = `inputs[${index}]${field ? `.${field}` : ''}`;
    throw new AppError(err.extensions.code as ErrorCode, `${path}: ${err.message}`, { ...err.extensions, path });
  }
}

/** The class-validator rules of the input, run per item so a fault names its index (type-graphql's array validation does not). */
async function validateItem(input: SetApplicabilityInput): Promise<void> {
  const [error] = await validate(input, { skipMissingProperties: true, forbidUnknownValues: false });
  if (error) throw badInput(`Invalid value for ${error.property}: ${Object.values(error.constraints ?? {})[0] ?? 'invalid'}`, error.property);
}

interface Decision {
  input: SetApplicabilityInput;
  /** Position in setApplicabilities; null for setApplicability. */
  index: number | null;
  scopeId: string;
  requirementId: string;
  justification: string | null;
  drivers: InclusionDriver[];
}

/** The rule that needs no database: a justification unless APPLICABLE (UNDECIDED is refused by the input's rules). */
function prepare(input: SetApplicabilityInput, index: number | null): Decision {
  const justification = input.justification?.trim() || null;
  if (!justification && input.applicability !== Applicability.APPLICABLE) {
    throw badInput(`A justification is required when the requirement is ${input.applicability}`, 'justification');
  }
  const drivers = DRIVER_ORDER.filter((d) => (input.drivers ?? []).includes(d));
  return { input, index, scopeId: input.scopeId.toLowerCase(), requirementId: input.requirementId.toLowerCase(), justification, drivers };
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Writes decisions (already prepared) in the caller's transaction; returns the rows they now show. */
async function writeDecisions(ctx: Context, tx: EntityManager, decisions: Decision[], operation: string): Promise<SoaRow[]> {
  // every SoA write of a scope takes its row lock first (in id order, so bulk writes never deadlock)
  const scopeIds = [...new Set(decisions.map((d) => d.scopeId))].filter(isUuid).sort();
  if (scopeIds.length) await tx.query('SELECT id FROM scope WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE', [scopeIds]);
  const requirementIds = [...new Set(decisions.map((d) => d.requirementId))].filter(isUuid);
  const requirements: Array<{ id: string; framework_id: string; code: string; kind: string; assessable: boolean; withdrawn: boolean; archived: boolean }> = requirementIds.length
    ? await tx.query('SELECT id, framework_id, code, kind::text AS kind, assessable, withdrawn, archived_at IS NOT NULL AS archived FROM requirement WHERE id = ANY($1::uuid[])', [requirementIds])
    : [];
  const byId = new Map(requirements.map((r) => [r.id, r]));
  const adoptions: Array<{ scope_id: string; framework_id: string }> = scopeIds.length
    ? await tx.query('SELECT scope_id, framework_id FROM scope_framework WHERE scope_id = ANY($1::uuid[])', [scopeIds])
    : [];
  const adopted = new Set(adoptions.map((a) => `${a.scope_id}|${a.framework_id}`));
  const existing = requirementIds.length && scopeIds.length
    ? await tx.getRepository(SoaEntry).createQueryBuilder('e').where('e.scopeId = ANY(:scopeIds) AND e.requirementId = ANY(:requirementIds)', { scopeIds, requirementIds }).getMany()
    : [];
  const entries = new Map(existing.map((e) => [`${e.scopeId}|${e.requirementId}`, e]));
  const scopes = new Map<string, Scope>();
  const touched = new Map<string, Set<string>>();

  for (const d of decisions) {
    await atIndex(d.index, async () => {
      let scope = scopes.get(d.scopeId);
      if (!scope) {
        scope = await scopeService.requireWritable(ctx, tx, d.scopeId, 'scopeId');
        scopes.set(d.scopeId, scope);
      }
      const requirement = byId.get(d.requirementId);
      if (!requirement) throw badInput(`No requirement with id ${d.input.requirementId}`, 'requirementId');
      if (requirement.kind !== RequirementKind.CONTROL || !requirement.assessable || requirement.withdrawn || requirement.archived) {
        throw badInput(`Requirement ${requirement.code} is not an assessable, active requirement of kind CONTROL, so it has no SoA entry`, 'requirementId');
      }
      if (!adopted.has(`${scope.id}|${requirement.framework_id}`)) {
        throw badInput(`Scope ${scope.key} does not adopt the framework of requirement ${requirement.code}; adoptFramework first`, 'requirementId');
      }
      const key = `${scope.id}|${requirement.id}`;
      const before = entries.get(key);
      if (before) assertVersion(before, d.input.expectedVersion, ENTRY);
      else if (d.input.expectedVersion !== undefined && d.input.expectedVersion !== null && d.input.expectedVersion !== 0) {
        throw conflict(`Nothing was set yet for requirement ${requirement.code} in scope ${scope.key} (version 0), not version ${d.input.expectedVersion}; read it again and retry`);
      }
      touched.set(scope.id, (touched.get(scope.id) ?? new Set()).add(requirement.framework_id));
      const unchanged = before && before.applicability === d.input.applicability && before.justification === d.justification && sameList(before.drivers, d.drivers);
      if (unchanged) return;
      const changes = { applicability: d.input.applicability, justification: d.justification, drivers: d.drivers };
      let after: SoaEntry;
      if (before) {
        after = await applyUpdate(tx, SoaEntry, before, changes, ENTRY);
      } else {
        const id = randomUUID();
        await tx.insert(SoaEntry, { id, scopeId: scope.id, requirementId: requirement.id, ...changes });
        after = await tx.findOneByOrFail(SoaEntry, { id });
      }
      entries.set(key, after);
      await recordWrite(tx, ctx, {
        operation, entityType: EntityType.SOA_ENTRY, entityId: after.id, action: before ? ChangeAction.UPDATED : ChangeAction.CREATED,
        before: before ?? null, after, version: after.version, scopeIds: [scope.id],
      });
    });
  }

  const rows = new Map<string, SoaRowSnapshot>();
  for (const [scopeId, frameworkIds] of touched) {
    for (const row of await currentRows(ctx, tx, scopes.get(scopeId)!, [...frameworkIds])) rows.set(`${scopeId}|${row.requirementId}`, row);
  }
  return decisions.map((d) => toRow(rows.get(`${d.scopeId}|${d.requirementId}`)!));
}

const list = (values: readonly string[]) => (values.length ? values.join('; ') : null);

/** The columns a diff compares: each with its comparable and its displayed value. */
const COMPARED: Array<[SoaField, (r: SoaRow) => { key: string; shown: string | null }]> = [
  [SoaField.APPLICABILITY, (r) => ({ key: r.applicability, shown: r.applicability })],
  [SoaField.JUSTIFICATION, (r) => ({ key: r.justification ?? '', shown: r.justification })],
  [SoaField.DRIVERS, (r) => ({ key: [...r.drivers].sort().join(','), shown: list(r.drivers) })],
  [SoaField.IMPLEMENTATION_STATUS, (r) => ({ key: r.implementationStatus, shown: r.implementationStatus })],
  // controls compare by id (a renamed control is the same control) and show by code
  [SoaField.CONTROLS, (r) => ({ key: r.controlRefs.map((c) => c.id).sort().join(','), shown: list(r.controlCodes) })],
  [SoaField.EVIDENCE_FRESHNESS, (r) => ({ key: r.evidenceFreshness, shown: r.evidenceFreshness })],
  [SoaField.COVERAGE_STATUS, (r) => ({ key: r.coverageStatus, shown: r.coverageStatus })],
];

export function diffRows(from: readonly SoaRow[], to: readonly SoaRow[]): Pick<SoaDiff, 'changed' | 'added' | 'removed'> {
  const before = new Map(from.map((r) => [r.requirementId, r]));
  const after = new Set(to.map((r) => r.requirementId));
  const changed: SoaRowChange[] = [];
  for (const row of to) {
    const old = before.get(row.requirementId);
    if (!old) continue;
    const changes: SoaFieldChange[] = [];
    for (const [field, read] of COMPARED) {
      const a = read(old);
      const b = read(row);
      if (a.key !== b.key) changes.push({ field, before: a.shown, after: b.shown });
    }
    if (changes.length) {
      changed.push({ requirementId: row.requirementId, frameworkKey: row.frameworkKey, code: row.code, title: row.title, fields: changes.map((c) => c.field), changes, before: old, after: row });
    }
  }
  return { changed, added: to.filter((r) => !before.has(r.requirementId)), removed: from.filter((r) => !after.has(r.requirementId)) };
}

export const soaService = {
  /** The current state computed live (no version), or an approved version as frozen; NOT_FOUND for a version that does not exist. */
  async statement(ctx: Context, scopeId: string, version?: number | null): Promise<StatementOfApplicability> {
    const scope = await scopeService.get(ctx, { id: scopeId });
    if (version === undefined || version === null) return statementOf(scope, await snapshotRows(ctx, scope), null);
    const frozen = await frozenRows(ctx, scope, version);
    return statementOf(scope, frozen.rows as SoaRowSnapshot[], frozen);
  },

  /** The rows of an approved version (for a version header loaded without them). */
  async versionStatement(ctx: Context, version: SoaVersionHeader): Promise<StatementOfApplicability> {
    if (!version.rows) return this.statement(ctx, version.scopeId, version.number);
    const scope = await scopeService.get(ctx, { id: version.scopeId });
    return statementOf(scope, version.rows as SoaRowSnapshot[], version);
  },

  async diff(ctx: Context, scopeId: string, from: number, to?: number | null): Promise<SoaDiff> {
    const scope = await scopeService.get(ctx, { id: scopeId });
    const before = (await frozenRows(ctx, scope, from)).rows as SoaRowSnapshot[];
    const after = to === undefined || to === null ? await snapshotRows(ctx, scope) : (await frozenRows(ctx, scope, to)).rows as SoaRowSnapshot[];
    return { scope, from, to: to ?? null, ...diffRows(before.map(toRow), after.map(toRow)) };
  },

  /** Adopts a framework version (the newest unless given); a no-op when already adopted. */
  adopt(ctx: Context, scopeId: string, frameworkKey: string, frameworkVersion?: string | null): Promise<Scope> {
    return inTransaction(ctx, async (tx) => {
      const scope = await lockTargetScope(ctx, tx, scopeId);
      const framework = await frameworkService.requireByKey(tx, frameworkKey, 'frameworkKey', frameworkVersion);
      if (framework.archivedAt) throw badInput(`Framework ${framework.key} ${framework.version} is archived`, 'frameworkVersion');
      const before = await adoptedFrameworks(tx, scope.id);
      if (before.some((f) => f.id === framework.id)) return scope;
      const other = before.find((f) => f.key === framework.key);
      if (other) throw conflict(`Scope ${scope.key} already adopts ${other.key} version ${other.version}; drop it before adopting version ${framework.version}`);
      await tx.insert(ScopeFramework, { scopeId: scope.id, frameworkId: framework.id });
      const after = await adoptedFrameworks(tx, scope.id);
      await recordWrite(tx, ctx, {
        operation: 'adoptFramework', entityType: EntityType.SCOPE, entityId: scope.id, action: ChangeAction.UPDATED,
        before: { ...scope, frameworkIds: before.map((f) => f.id) }, after: { ...scope, frameworkIds: after.map((f) => f.id) }, version: scope.version, scopeIds: [scope.id],
      });
      return scope;
    });
  },

  /** Drops every adopted version of a framework key; a no-op when none is adopted. Decisions are kept for a later adoption. */
  drop(ctx: Context, scopeId: string, frameworkKey: string): Promise<Scope> {
    return inTransaction(ctx, async (tx) => {
      const scope = await lockTargetScope(ctx, tx, scopeId);
      // no key holds a NUL, and PostgreSQL refuses one even in a comparison
      const [known] = hasNul(frameworkKey) ? [] : await tx.query('SELECT 1 AS found FROM framework WHERE key = $1 LIMIT 1', [frameworkKey]);
      if (!known) throw badInput(`No framework with key ${frameworkKey}`, 'frameworkKey');
      const before = await adoptedFrameworks(tx, scope.id);
      const dropped = before.filter((f) => f.key === frameworkKey).map((f) => f.id);
      if (!dropped.length) return scope;
      await tx.query('DELETE FROM scope_framework WHERE scope_id = $1 AND framework_id = ANY($2::uuid[])', [scope.id, dropped]);
      await recordWrite(tx, ctx, {
        operation: 'dropFramework', entityType: EntityType.SCOPE, entityId: scope.id, action: ChangeAction.UPDATED,
        before: { ...scope, frameworkIds: before.map((f) => f.id) }, after: { ...scope, frameworkIds: before.filter((f) => !dropped.includes(f.id)).map((f) => f.id) },
        version: scope.version, scopeIds: [scope.id],
      });
      return scope;
    });
  },

  /** setApplicability: the input was validated by type-graphql. */
  setOne(ctx: Context, input: SetApplicabilityInput): Promise<SoaRow> {
    const decision = prepare(input, null);
    return inTransaction(ctx, async (tx) => (await writeDecisions(ctx, tx, [decision], 'setApplicability'))[0]);
  },

  /** setApplicabilities: all or nothing, in one transaction; a fault names `inputs[i].<field>` in extensions.path. */
  async setMany(ctx: Context, inputs: SetApplicabilityInput[]): Promise<SoaRow[]> {
    if (inputs.length > MAX_BULK_DECISIONS) throw badInput(`At most ${MAX_BULK_DECISIONS} decisions per call`, 'inputs');
    const decisions: Decision[] = [];
    const seen = new Map<string, number>();
    for (const [index, input] of inputs.entries()) {
      const decision = await atIndex(index, async () => {
        await validateItem(input);
        const prepared = prepare(input, index);
        const first = seen.get(`${prepared.scopeId}|${prepared.requirementId}`);
        if (first !== undefined) throw badInput(`The same scope and requirement are already decided at inputs[${first}]`, 'requirementId');
        return prepared;
      });
      seen.set(`${decision.scopeId}|${decision.requirementId}`, index);
      decisions.push(decision);
    }
    if (!decisions.length) return [];
    return inTransaction(ctx, (tx) => writeDecisions(ctx, tx, decisions, 'setApplicabilities'));
  },

  /** Freezes the current rows as the scope's next version (numbers per scope; the scope row lock serialises them). */
  approve(ctx: Context, scopeId: string, approverId: string, idempotencyKey?: string | null): Promise<SoaVersion> {
    return inTransaction(ctx, async (tx) => {
      const claim = await claimCreate(tx, ctx, 'approveStatementOfApplicability', idempotencyKey, { scopeId, approverId });
      if (claim.replay) return tx.findOneByOrFail(SoaVersion, { id: claim.id });
      const scope = await lockTargetScope(ctx, tx, scopeId);
      const approver = await ownerService.requireActive(tx, approverId, 'approverId');
      const rows = await currentRows(ctx, tx, scope);
      if (!rows.length) throw badInput(`Scope ${scope.key} adopts no framework with CONTROL requirements: there is nothing to approve`, 'scopeId');
      const [{ next }] = await tx.query('SELECT coalesce(max(number), 0) + 1 AS next FROM soa_version WHERE scope_id = $1', [scope.id]);
      await tx.insert(SoaVersion, { id: claim.id, scopeId: scope.id, number: Number(next), approverId: approver.id, rows });
      const saved = await tx.findOneByOrFail(SoaVersion, { id: claim.id });
      const { rows: _frozen, ...header } = saved;
      await recordWrite(tx, ctx, {
        operation: 'approveStatementOfApplicability', entityType: EntityType.SOA_ENTRY, entityId: saved.id, action: ChangeAction.CREATED,
        before: null, after: { ...header, rowCount: rows.length }, version: saved.number, scopeIds: [scope.id],
      });
      return saved;
    });
  },
};
