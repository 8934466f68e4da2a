import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { ConnectionType, PageArgs } from '../../common/pagination';
import { Owner } from '../owner/owner.entity';
import { Control } from '../control/control.entity';
import { controlService } from '../control/control.service';
import { Risk } from '../risk/risk.entity';
import { ExternalRef, TreatmentTask } from './treatment-task.entity';
import { CreateTreatmentTaskInput, TreatmentTaskFilter, TreatmentTaskOrder, UpdateTreatmentTaskInput, UpsertTreatmentTaskInput } from './treatment-task.inputs';
import { treatmentTaskService } from './treatment-task.service';

export const TreatmentTaskConnection = ConnectionType(TreatmentTask, 'TreatmentTask');

@Resolver(() => TreatmentTask)
export class TreatmentTaskResolver {
  @Authorized(Permission.ISMS_READ)
  @Query(() => TreatmentTask, { description: 'One treatment task by id; NOT_FOUND when absent or outside the key\'s scopes.' })
  treatmentTask(@Ctx() ctx: Context, @Arg('id', () => ID, { description: 'Task id.' }) id: string): Promise<TreatmentTask> {
    return treatmentTaskService.get(ctx, id);
  }

  @Authorized(Permission.ISMS_READ)
  @Query(() => TreatmentTaskConnection, { description: 'Treatment tasks the key may see; order by UPDATED_AT with `updatedSince` to poll for ticket sync.' })
  treatmentTasks(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => TreatmentTaskFilter, { nullable: true, description: 'Which tasks.' }) filter?: TreatmentTaskFilter,
    @Arg('orderBy', () => TreatmentTaskOrder, { nullable: true, description: 'Order; default oldest first.' }) orderBy?: TreatmentTaskOrder,
  ) {
    const order = orderBy ?? new TreatmentTaskOrder();
    return treatmentTaskService.list(ctx, filter ?? new TreatmentTaskFilter(), { ...page, orderColumn: `t.${order.field}`, orderProperty: order.field, direction: order.direction });
  }

  @FieldResolver(() => Risk, { description: 'The risk the task treats.' })
  async risk(@Root() task: TreatmentTask, @Ctx() ctx: Context): Promise<Risk> {
    return (await ctx.loaders.risk.load(task.riskId))!;
  }

  @FieldResolver(() => Control, { nullable: true, description: 'The control the task implements (null when none or not visible).' })
  async control(@Root() task: TreatmentTask, @Ctx() ctx: Context): Promise<Control | null> {
    if (!task.controlId) return null;
    return (await controlService.visibleMany(ctx, [task.controlId]))[0] ?? null;
  }

  @FieldResolver(() => Owner, { description: 'Who does the work.' })
  async assignee(@Root() task: TreatmentTask, @Ctx() ctx: Context): Promise<Owner> {
    return (await ctx.loaders.owner.load(task.assigneeId))!;
  }

  @FieldResolver(() => ExternalRef, { nullable: true, description: 'The ticket that mirrors the task.' })
  externalRef(@Root() task: TreatmentTask): ExternalRef | null {
    if (!task.externalSystem || !task.externalKey) return null;
    return { system: task.externalSystem, key: task.externalKey, url: task.externalUrl };
  }

  @Authorized(Permission.TREATMENT_WRITE)
  @Mutation(() => TreatmentTask, { description: 'Creates a treatment task (treatment:write).' })
  createTreatmentTask(
    @Ctx() ctx: Context,
    @Arg('input', () => CreateTreatmentTaskInput, { description: 'The task.' }) input: CreateTreatmentTaskInput,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'Retry key: the same key and input return the task first created.' }) idempotencyKey?: string,
  ): Promise<TreatmentTask> {
    return treatmentTaskService.create(ctx, input, idempotencyKey);
  }

  @Authorized(Permission.TREATMENT_WRITE)
  @Mutation(() => TreatmentTask, { description: 'Changes a treatment task; CONFLICT when `expectedVersion` is stale.' })
  updateTreatmentTask(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Task id.' }) id: string,
    @Arg('input', () => UpdateTreatmentTaskInput, { description: 'The changes.' }) input: UpdateTreatmentTaskInput,
    @Arg('expectedVersion', () => Int, { description: 'The version the change was made against.' }) expectedVersion: number,
  ): Promise<TreatmentTask> {
    return treatmentTaskService.update(ctx, id, input, expectedVersion);
  }

  @Authorized(Permission.TREATMENT_WRITE)
  @Mutation(() => TreatmentTask, { description: 'Archives a treatment task.' })
  archiveTreatmentTask(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { description: 'Task id.' }) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true, description: 'When given, CONFLICT unless the task is at this version.' }) expectedVersion?: number,
  ): Promise<TreatmentTask> {
    return treatmentTaskService.archive(ctx, id, expectedVersion);
  }

  @Authorized(Permission.TREATMENT_WRITE)
  @Mutation(() => TreatmentTask, { description: 'Creates the task a ticket mirrors, or updates it: safe to call on every ticket change.' })
  upsertTreatmentTaskByExternalRef(
    @Ctx() ctx: Context,
    @Arg('input', () => UpsertTreatmentTaskInput, { description: 'The task as the ticket describes it.' }) input: UpsertTreatmentTaskInput,
    @Arg('expectedVersion', () => Int, { nullable: true, description: 'When given and the task exists, CONFLICT unless it is at this version.' }) expectedVersion?: number,
  ): Promise<TreatmentTask> {
    return treatmentTaskService.upsertByExternalRef(ctx, input, expectedVersion);
  }
}

/** risk.treatmentTasks lives here: the treatment module knows risks, never the reverse. */
@Resolver(() => Risk)
export class RiskTreatmentTasksResolver {
  @FieldResolver(() => [TreatmentTask], { description: 'Active treatment tasks of the risk, oldest first.' })
  treatmentTasks(@Root() risk: Risk, @Ctx() ctx: Context): Promise<TreatmentTask[]> {
    return ctx.loaders.riskTreatmentTasks.load(risk.id);
  }
}
