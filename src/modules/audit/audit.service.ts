import type { Context } from '../../context';
import { paginate, SortDirection, type Connection, type PageRequest } from '../../common/pagination';
import { AuditEvent } from './audit.entity';
import { visibleScopeIds } from '../../auth/visibility';
import { EntityType } from '../../db/events';

const UNSCOPED_TYPES = [EntityType.OWNER, EntityType.FRAMEWORK, EntityType.CROSSWALK];
import type { AuditEventFilter } from './audit.inputs';

export const auditService = {
  /**
   * Newest first (admin). A scope-restricted admin sees the events of its scopes and those of
   * entities every reader may see (owners, frameworks, crosswalks).
   */
  async list(ctx: Context, filter: AuditEventFilter, page: Pick<PageRequest, 'first' | 'after'>): Promise<Connection<AuditEvent>> {
    const qb = ctx.db.getRepository(AuditEvent).createQueryBuilder('a');
    const allowed = await visibleScopeIds(ctx);
    if (allowed) qb.andWhere('(a.scopeIds && :allowed::uuid[] OR a.entityType = ANY(:unscoped))', { allowed, unscoped: UNSCOPED_TYPES });
    if (filter.entityTypes?.length) qb.andWhere('a.entityType = ANY(:types)', { types: filter.entityTypes });
    if (filter.entityId) qb.andWhere('a.entityId = :entityId', { entityId: filter.entityId });
    if (filter.actorKeyId) qb.andWhere('a.actorKeyId = :actor', { actor: filter.actorKeyId });
    if (filter.operation) qb.andWhere('a.operation = :operation', { operation: filter.operation });
    if (filter.since) qb.andWhere('a.at >= :since', { since: filter.since });
    return paginate(qb, { ...page, orderColumn: 'a.at', orderProperty: 'at', direction: SortDirection.DESC });
  },
};
