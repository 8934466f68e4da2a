import { Arg, Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../../context';
import { Permission } from '../../auth/permissions';
import { ConnectionType, PageArgs } from '../../common/pagination';
import { AuditEvent } from './audit.entity';
import { AuditEventFilter } from './audit.inputs';
import { auditService } from './audit.service';

export const AuditEventConnection = ConnectionType(AuditEvent, 'AuditEvent');

@Resolver(() => AuditEvent)
export class AuditResolver {
  @Authorized(Permission.ADMIN)
  @Query(() => AuditEventConnection, { description: 'Audit events, newest first (admin).' })
  auditEvents(
    @Ctx() ctx: Context,
    @Args() page: PageArgs,
    @Arg('filter', () => AuditEventFilter, { nullable: true, description: 'Which events.' }) filter?: AuditEventFilter,
  ) {
    return auditService.list(ctx, filter ?? new AuditEventFilter(), page);
  }
}
