import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { Owner } from '../owner/owner.entity';
import { Scope } from '../scope/scope.entity';
import { Framework } from '../framework/framework.entity';
import { Requirement } from '../framework/requirement.entity';
import { Control } from '../control/control.entity';
import { controlService } from '../control/control.service';
import { SoaVersion } from './soa.entity';
import { SetApplicabilityInput } from './soa.inputs';
import type { SoaVersionHeader } from './soa.loaders';
import { soaService } from './soa.service';
import { SoaDiff, SoaRow, StatementOfApplicability } from './soa.types';
import { soaCsv, soaJson } from './soa.export';

@Resolver(() => StatementOfApplicability)
export class SoaResolver {
  @Authorized(Permission.ISMS_READ)
  @Query(() => StatementOfApplicability, { description: 'A scope\'s Statement of Applicability: without `version` the current state computed live, with it an approved version as frozen (NOT_FOUND when it does not exist).' })
  statementOfApplicability(
    @Ctx() ctx: Context,
    @Arg('scopeId', () => ID, { description: 'Scope id.' }) scopeId: string,
    @Arg('version', () => Int, { nullable: true, description: 'Approved version number; omit for the current state.' }) version?: number,
  ): Promise<StatementOfApplicability> {
    return soaService.statement(ctx, scopeId, version);
  }

  @Authorized(Permission.ISMS_READ)
  @Query(() => SoaDiff, { description: 'What changed in a scope\'s SoA from an approved version to another one, or to the current state.' })
  soaDiff(
    @Ctx() ctx: Context,
    @Arg('scopeId', () => ID, { description: 'Scope id.' }) scopeId: string,
    @Arg('from', () => Int, { description: 'Approved version to compare from.' }) from: number,
    @Arg('to', () => Int, { nullable: true, description: 'Approved version to compare to; omit for the current state.' }) to?: number,
  ): Promise<SoaDiff> {
    return soaService.diff(ctx, scopeId, from, to);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Scope, { description: 'Adopts a framework version in a scope (the newest unless `frameworkVersion`): its assessable CONTROL requirements enter the scope\'s SoA. A no-op when already adopted; CONFLICT when another version of the key is adopted.' })
  adoptFramework(
    @Ctx() ctx: Context,
    @Arg('scopeId', () => ID, { description: 'Scope id.' }) scopeId: string,
    @Arg('frameworkKey', { description: 'Framework key, e.g. `iso27001-2022`.' }) frameworkKey: string,
    @Arg('frameworkVersion', () => String, { nullable: true, description: 'Framework version; default the newest.' }) frameworkVersion?: string,
  ): Promise<Scope> {
    return soaService.adopt(ctx, scopeId, frameworkKey, frameworkVersion);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Scope, { description: 'Drops a framework (every adopted version of the key) from a scope; a no-op when not adopted. The scope\'s decisions are kept for a later adoption.' })
  dropFramework(
    @Ctx() ctx: Context,
    @Arg('scopeId', () => ID, { description: 'Scope id.' }) scopeId: string,
    @Arg('frameworkKey', { description: 'Framework key.' }) frameworkKey: string,
  ): Promise<Scope> {
    return soaService.drop(ctx, scopeId, frameworkKey);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => SoaRow, { description: 'Records the scope\'s decision on one requirement (replacing any earlier one) and returns the row as it now reads. A justification is required unless APPLICABLE.' })
  setApplicability(
    @Ctx() ctx: Context,
    @Arg('input', () => SetApplicabilityInput, { description: 'The decision.' }) input: SetApplicabilityInput,
  ): Promise<SoaRow> {
    return soaService.setOne(ctx, input);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => [SoaRow], { description: 'Records many decisions all or nothing, in one transaction; a fault names its input in `extensions.path` (e.g. `inputs[3].justification`). Returns the rows in input order.' })
  setApplicabilities(
    @Ctx() ctx: Context,
    // validated per item by the service, so that a fault can name its index
    @Arg('inputs', () => [SetApplicabilityInput], { validate: false, description: 'The decisions (at most 2,000; each scope and requirement once).' }) inputs: SetApplicabilityInput[],
  ): Promise<SoaRow[]> {
    return soaService.setMany(ctx, inputs);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => SoaVersion, { description: 'Approves the scope\'s current SoA: freezes its rows, derived columns included, as the next version number of the scope.' })
  approveStatementOfApplicability(
    @Ctx() ctx: Context,
    @Arg('scopeId', () => ID, { description: 'Scope id.' }) scopeId: string,
    @Arg('approverId', () => ID, { description: 'The owner who approves (named by the calling tool; the calling key is audited).' }) approverId: string,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'Retry key: the same key and input return the version first approved.' }) idempotencyKey?: string,
  ): Promise<SoaVersion> {
    return soaService.approve(ctx, scopeId, approverId, idempotencyKey);
  }

  @FieldResolver(() => Scope, { description: 'The scope.' })
  scope(@Root() statement: StatementOfApplicability): Scope {
    return statement.scope;
  }

  @FieldResolver(() => Owner, { nullable: true, description: 'Who approved the version; null for the current state.' })
  approver(@Root() statement: StatementOfApplicability, @Ctx() ctx: Context): Promise<Owner | null> {
    return statement.approverId ? ctx.loaders.owner.load(statement.approverId) : Promise.resolve(null);
  }

  @FieldResolver(() => String, { description: 'The rows as RFC 4180 CSV (CRLF line ends, header `framework,code,title,applicability,justification,drivers,implementing_controls,implementation_status,evidence_freshness,coverage_status`; lists joined with `; `). Also at `GET /soa/<scopeId>.csv?version=N`.' })
  csv(@Root() statement: StatementOfApplicability): string {
    return soaCsv(statement);
  }

  @FieldResolver(() => GraphQLJSONObject, { description: 'The statement as JSON: scope, version, approval and the rows with the CSV\'s columns. Also at `GET /soa/<scopeId>.json?version=N`.' })
  json(@Root() statement: StatementOfApplicability, @Ctx() ctx: Context): Promise<Record<string, unknown>> {
    return soaJson(ctx, statement);
  }
}

@Resolver(() => SoaDiff)
export class SoaDiffResolver {
  @FieldResolver(() => Scope, { description: 'The scope.' })
  scope(@Root() diff: SoaDiff): Scope {
    return diff.scope;
  }
}

@Resolver(() => SoaRow)
export class SoaRowResolver {
  @FieldResolver(() => Requirement, { description: 'The requirement.' })
  async requirement(@Root() row: SoaRow, @Ctx() ctx: Context): Promise<Requirement> {
    return (await ctx.loaders.requirement.load(row.requirementId))!;
  }

  @FieldResolver(() => [Control], { description: 'The implementing controls (those the key may see), by code.' })
  controls(@Root() row: SoaRow, @Ctx() ctx: Context): Promise<Control[]> {
    return controlService.visibleMany(ctx, row.controlRefs.map((c) => c.id));
  }
}

@Resolver(() => SoaVersion)
export class SoaVersionResolver {
  @FieldResolver(() => Scope, { description: 'The scope.' })
  async scope(@Root() version: SoaVersionHeader, @Ctx() ctx: Context): Promise<Scope> {
    return (await ctx.loaders.scope.load(version.scopeId))!;
  }

  @FieldResolver(() => Owner, { description: 'Who approved it.' })
  async approver(@Root() version: SoaVersionHeader, @Ctx() ctx: Context): Promise<Owner> {
    return (await ctx.loaders.owner.load(version.approverId))!;
  }

  @FieldResolver(() => Int, { description: 'Number of rows frozen.' })
  rowCount(@Root() version: SoaVersionHeader): number {
    return version.rows?.length ?? version.rowCount ?? 0;
  }

  @FieldResolver(() => StatementOfApplicability, { description: 'The frozen statement.' })
  statement(@Root() version: SoaVersionHeader, @Ctx() ctx: Context): Promise<StatementOfApplicability> {
    return soaService.versionStatement(ctx, version);
  }
}

/** scope.frameworks and scope.soaVersions live here: the SoA module knows scopes, never the reverse. */
@Resolver(() => Scope)
export class ScopeSoaResolver {
  @FieldResolver(() => [Framework], { description: 'The framework versions the scope adopts, by key.' })
  async frameworks(@Root() scope: Scope, @Ctx() ctx: Context): Promise<Framework[]> {
    const frameworks = await ctx.loaders.framework.loadMany(await ctx.loaders.scopeFrameworkIds.load(scope.id));
    return frameworks.filter((f): f is Framework => !!f && !(f instanceof Error));
  }

  @FieldResolver(() => [SoaVersion], { description: 'Approved versions of the scope\'s SoA, oldest first (rows through `statement`).' })
  soaVersions(@Root() scope: Scope, @Ctx() ctx: Context): Promise<SoaVersionHeader[]> {
    return ctx.loaders.scopeSoaVersions.load(scope.id);
  }
}
