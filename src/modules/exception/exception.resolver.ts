import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { canSeeAny } from '../../auth/visibility';
import { ConnectionType, PageArgs } from '../../common/pagination';
import { Owner } from '../owner/owner.entity';
import { Scope } from '../scope/scope.entity';
import { Control } from '../control/control.entity';
import { controlService } from '../control/control.service';
import { Risk } from '../risk/risk.entity';
import { Requirement } from '../framework/requirement.entity';
import { ExceptionKind, ExceptionStatus, IsmsException } from './exception.entity';
import { ExceptionFilter, ExceptionOrder, RequestExceptionInput } from './exception.inputs';
import { effectiveStatus } from './exception.rules';
import { exceptionService } from './exception.service';

export const ExceptionConnection = ConnectionType(IsmsException, 'Exception');

@Resolver(() => IsmsException)
export class ExceptionResolver {
  @Authorized(Permission.ISMS_READ)
  @Query(() => IsmsException, { description: 'One exception by id; NOT_FOUND when absent or outside the key\'s scopes.' })
  exception(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Exception id.' }) id: string): Promise<IsmsException> {
    return exceptionService.get(ctx, id);
  }

  @Authorized(Permission.ISMS_READ)
  @Query(() => ExceptionConnection, { description: 'Exceptions and risk acceptances the key may see.' })
  exceptions(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => ExceptionFilter, { nullable: true, description: 'Which exceptions.' }) filter?: ExceptionFilter,
    @Arg('orderBy', () => ExceptionOrder, { nullable: true, description: 'Order; default oldest first.' }) orderBy?: ExceptionOrder,
  ) {
    const order = orderBy ?? new ExceptionOrder();
    return exceptionService.list(ctx, filter ?? new ExceptionFilter(), { ...page, orderColumn: `x.${order.field}`, orderProperty: order.field, direction: order.direction });
  }

  @FieldResolver(() => ExceptionStatus, { description: 'State; an APPROVED exception past expiresAt reads EXPIRED.' })
  status(@Root() exception: IsmsException): ExceptionStatus {
    return effectiveStatus(exception.storedStatus, exception.expiresAt);
  }

  @FieldResolver(() => Boolean, { description: 'Risk acceptance only: true while approved and the risk\'s residual score has risen above the accepted one.' })
  async stale(@Root() exception: IsmsException, @Ctx() ctx: Context): Promise<boolean> {
    if (exception.kind !== ExceptionKind.RISK_ACCEPTANCE || !exception.riskId || exception.acceptedResidualScore === null) return false;
    if (effectiveStatus(exception.storedStatus, exception.expiresAt) !== ExceptionStatus.APPROVED) return false;
    const risk = await ctx.loaders.risk.load(exception.riskId);
    return risk !== null && risk.residualScore > exception.acceptedResidualScore;
  }

  @FieldResolver(() => Scope, { description: 'The scope the exception applies to.' })
  async scope(@Root() exception: IsmsException, @Ctx() ctx: Context): Promise<Scope> {
    return (await ctx.loaders.scope.load(exception.scopeId))!;
  }

  @FieldResolver(() => Control, { nullable: true, description: 'Control exception: the control not met.' })
  async control(@Root() exception: IsmsException, @Ctx() ctx: Context): Promise<Control | null> {
    return exception.controlId ? ((await controlService.visibleMany(ctx, [exception.controlId]))[0] ?? null) : null;
  }

  @FieldResolver(() => Requirement, { nullable: true, description: 'Control exception: the framework requirement not met (null when the exception names only a control).' })
  requirement(@Root() exception: IsmsException, @Ctx() ctx: Context): Promise<Requirement | null> {
    return exception.requirementId ? ctx.loaders.requirement.load(exception.requirementId) : Promise.resolve(null);
  }

  @FieldResolver(() => Risk, { nullable: true, description: 'Risk acceptance: the risk retained (null when the key cannot see it, e.g. after the risk moved to another scope).' })
  async risk(@Root() exception: IsmsException, @Ctx() ctx: Context): Promise<Risk | null> {
    const risk = exception.riskId ? await ctx.loaders.risk.load(exception.riskId) : null;
    // the risk may have moved scopes since it was accepted: it is visible by its own scope
    return risk && (await canSeeAny(ctx, [risk.scopeId])) ? risk : null;
  }

  @FieldResolver(() => [Control], { description: 'Compensating controls (those the key may see).' })
  async compensatingControls(@Root() exception: IsmsException, @Ctx() ctx: Context): Promise<Control[]> {
    return controlService.visibleMany(ctx, await ctx.loaders.compensatingControlIds.load(exception.id));
  }

  @FieldResolver(() => Owner, { description: 'Who requested it.' })
  async requestedBy(@Root() exception: IsmsException, @Ctx() ctx: Context): Promise<Owner> {
    return (await ctx.loaders.owner.load(exception.requestedById))!;
  }

  @FieldResolver(() => Owner, { nullable: true, description: 'Who approved or rejected it.' })
  approver(@Root() exception: IsmsException, @Ctx() ctx: Context): Promise<Owner | null> {
    return exception.approverId ? ctx.loaders.owner.load(exception.approverId) : Promise.resolve(null);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => IsmsException, { description: 'Requests a control exception or a risk acceptance (state REQUESTED).' })
  requestException(
    @Ctx() ctx: Context,
    @Arg('input', () => RequestExceptionInput, { description: 'The request.' }) input: RequestExceptionInput,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'Retry key: the same key and input return the exception first requested.' }) idempotencyKey?: string,
  ): Promise<IsmsException> {
    return exceptionService.request(ctx, input, idempotencyKey);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => IsmsException, { description: 'REQUESTED → APPROVED. The approver must differ from the requester and expiresAt lie ahead; a risk acceptance records the residual score and sets the risk ACCEPTED.' })
  approveException(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Exception id.' }) id: string,
    @Arg('approverId', () => ID, { description: 'Owner who approves.' }) approverId: string,
    @Arg('expiresAt', () => Date, { description: 'When the exception ends.' }) expiresAt: Date,
    @Arg('expectedVersion', () => Int, { description: 'The version the decision was made against.' }) expectedVersion: number,
  ): Promise<IsmsException> {
    return exceptionService.approve(ctx, id, approverId, expiresAt, expectedVersion);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => IsmsException, { description: 'REQUESTED → REJECTED, with a reason.' })
  rejectException(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Exception id.' }) id: string,
    @Arg('approverId', () => ID, { description: 'Owner who rejects.' }) approverId: string,
    @Arg('reason', () => String, { description: 'Why.' }) reason: string,
    @Arg('expectedVersion', () => Int, { nullable: true, description: 'When given, CONFLICT unless the exception is at this version.' }) expectedVersion?: number,
  ): Promise<IsmsException> {
    return exceptionService.reject(ctx, id, approverId, reason, expectedVersion);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => IsmsException, { description: 'REQUESTED or APPROVED → REVOKED, with a reason; an accepted risk goes back to ASSESSED.' })
  revokeException(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Exception id.' }) id: string,
    @Arg('reason', () => String, { description: 'Why.' }) reason: string,
    @Arg('expectedVersion', () => Int, { nullable: true, description: 'When given, CONFLICT unless the exception is at this version.' }) expectedVersion?: number,
  ): Promise<IsmsException> {
    return exceptionService.revoke(ctx, id, reason, expectedVersion);
  }
}
