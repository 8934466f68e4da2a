import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { ConnectionType, PageArgs } from '../../common/pagination';
import { Owner } from '../owner/owner.entity';
import { Control } from '../control/control.entity';
import { Evidence } from './evidence.entity';
import { CreateEvidenceInput, EvidenceFilter, EvidenceFreshness, EvidenceOrder, UpdateEvidenceInput } from './evidence.inputs';
import { evidenceService, freshnessOf, isStale } from './evidence.service';

export const EvidenceConnection = ConnectionType(Evidence, 'Evidence');

@Resolver(() => Evidence)
export class EvidenceResolver {
  @Authorized(Permission.ISMS_READ)
  @Query(() => Evidence, { description: 'One evidence item by id; NOT_FOUND when absent or when its control is outside the key\'s scopes.' })
  evidenceItem(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Evidence id.' }) id: string): Promise<Evidence> {
    return evidenceService.get(ctx, id);
  }

  @Authorized(Permission.ISMS_READ)
  @Query(() => EvidenceConnection, { description: 'Evidence the key may see (through the scopes of its control), filtered and ordered.' })
  evidence(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => EvidenceFilter, { nullable: true, description: 'Which evidence.' }) filter?: EvidenceFilter,
    @Arg('orderBy', () => EvidenceOrder, { nullable: true, description: 'Order; default by collectedAt, oldest first.' }) orderBy?: EvidenceOrder,
  ) {
    const order = orderBy ?? new EvidenceOrder();
    return evidenceService.list(ctx, filter ?? new EvidenceFilter(), { ...page, orderColumn: `e.${order.field}`, orderProperty: order.field, direction: order.direction });
  }

  @FieldResolver(() => Boolean, { description: 'True once validUntil has passed.' })
  stale(@Root() evidence: Evidence): boolean {
    return isStale(evidence);
  }

  @FieldResolver(() => Control, { description: 'The control the evidence proves.' })
  async control(@Root() evidence: Evidence, @Ctx() ctx: Context): Promise<Control> {
    return (await ctx.loaders.control.load(evidence.controlId))!;
  }

  @FieldResolver(() => Owner, { description: 'The evidence owner.' })
  async owner(@Root() evidence: Evidence, @Ctx() ctx: Context): Promise<Owner> {
    return (await ctx.loaders.owner.load(evidence.ownerId))!;
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Evidence, { description: 'Records evidence for a control. An unknown control is BAD_USER_INPUT (field controlId), one outside the key\'s scopes FORBIDDEN.' })
  createEvidence(
    @Ctx() ctx: Context,
    @Arg('input', () => CreateEvidenceInput, { description: 'The evidence.' }) input: CreateEvidenceInput,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'Retry key: the same key and input return the evidence first created.' }) idempotencyKey?: string,
  ): Promise<Evidence> {
    return evidenceService.create(ctx, input, idempotencyKey);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Evidence, { description: 'Changes an evidence item; CONFLICT when `expectedVersion` is stale.' })
  updateEvidence(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Evidence id.' }) id: string,
    @Arg('input', () => UpdateEvidenceInput, { description: 'The changes.' }) input: UpdateEvidenceInput,
    @Arg('expectedVersion', () => Int, { description: 'The version the change was made against.' }) expectedVersion: number,
  ): Promise<Evidence> {
    return evidenceService.update(ctx, id, input, expectedVersion);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Evidence, { description: 'Archives an evidence item: kept, hidden from lists and freshness by default.' })
  archiveEvidence(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Evidence id.' }) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true, description: 'When given, CONFLICT unless the evidence is at this version.' }) expectedVersion?: number,
  ): Promise<Evidence> {
    return evidenceService.archive(ctx, id, expectedVersion);
  }
}

/** control.evidence lives here: the evidence module knows controls, never the reverse. */
@Resolver(() => Control)
export class ControlEvidenceResolver {
  @FieldResolver(() => [Evidence], { description: 'Active evidence of this control, newest collected first.' })
  async evidence(@Root() control: Control, @Ctx() ctx: Context): Promise<Evidence[]> {
    return evidenceService.many(ctx, await ctx.loaders.controlEvidenceIds.load(control.id));
  }

  @FieldResolver(() => EvidenceFreshness, { description: 'FRESH when some active evidence is still valid, STALE when all of it is past validUntil, NONE without any.' })
  async evidenceFreshness(@Root() control: Control, @Ctx() ctx: Context): Promise<EvidenceFreshness> {
    return freshnessOf([await ctx.loaders.controlEvidenceCounts.load(control.id)]);
  }
}
