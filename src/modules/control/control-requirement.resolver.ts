import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { Requirement } from '../framework/requirement.entity';
import { Control } from './control.entity';
import { controlRequirementService } from './control-requirement.service';

@Resolver(() => Control)
export class ControlRequirementResolver {
  @FieldResolver(() => [Requirement], { description: 'Framework requirements the control implements.' })
  async requirements(@Root() control: Control, @Ctx() ctx: Context): Promise<Requirement[]> {
    const ids = await ctx.loaders.controlRequirementIds.load(control.id);
    return (await ctx.loaders.requirement.loadMany(ids)).filter((r): r is Requirement => !!r && !(r instanceof Error));
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Control, { description: 'Records that a control implements a requirement of any framework (no-op when linked).' })
  linkControlToRequirement(
    @Ctx() ctx: Context,
    @Arg('controlId', () => ID, { description: 'Control id.' }) controlId: string,
    @Arg('requirementId', () => ID, { description: 'Requirement id.' }) requirementId: string,
  ): Promise<Control> {
    return controlRequirementService.link(ctx, controlId, requirementId);
  }

  @Authorized(Permission.ISMS_WRITE)
  @Mutation(() => Control, { description: 'Removes a requirement from a control (no-op when not linked).' })
  unlinkControlFromRequirement(
    @Ctx() ctx: Context,
    @Arg('controlId', () => ID, { description: 'Control id.' }) controlId: string,
    @Arg('requirementId', () => ID, { description: 'Requirement id.' }) requirementId: string,
  ): Promise<Control> {
    return controlRequirementService.unlink(ctx, controlId, requirementId);
  }
}
