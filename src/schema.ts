import 'reflect-metadata';
import { buildSchema, type AuthChecker } from 'type-graphql';
import { DateTimeResolver } from 'graphql-scalars';
import type { GraphQLSchema } from 'graphql';
import type { Context } from './context';
import { unauthenticated } from './common/errors';
import { grants, type Permission } from './auth/permissions';
import { ApiKeyResolver } from './auth/api-key.resolver';
import { AllowedOperationResolver } from './auth/allowed-operation.resolver';
import { AuditResolver } from './modules/audit/audit.resolver';
import { OwnerResolver } from './modules/owner/owner.resolver';
import { ScopeResolver } from './modules/scope/scope.resolver';
import { ControlResolver, ScopeControlsResolver } from './modules/control/control.resolver';
import { RiskResolver, ScopeRisksResolver } from './modules/risk/risk.resolver';
import { RiskTreatmentTasksResolver, TreatmentTaskResolver } from './modules/treatment/treatment-task.resolver';
import { ExceptionResolver } from './modules/exception/exception.resolver';
import { ControlRequirementResolver } from './modules/control/control-requirement.resolver';
import { RiskThreatResolver } from './modules/risk/risk-threat.resolver';
import { CoverageResolver, GapCandidateResolver, RequirementCoverageResolver } from './modules/coverage/coverage.resolver';
import { ChangeResolver } from './modules/change/change.resolver';
import { ReminderSubscriptionResolver } from './modules/reminder/reminder.subscription';
import { ControlReviewsResolver, ReminderResolver, RiskReviewsResolver } from './modules/reminder/reminder.resolver';
import { FrameworkResolver, RequirementResolver } from './modules/framework/framework.resolver';
import { CrosswalkResolver, MappingResolver, RequirementMappingsResolver } from './modules/crosswalk/crosswalk.resolver';
import { ControlEvidenceResolver, EvidenceResolver } from './modules/evidence/evidence.resolver';
import { ScopeSoaResolver, SoaDiffResolver, SoaResolver, SoaRowResolver, SoaVersionResolver } from './modules/soa/soa.resolver';
import { CatalogImportResolver, CrosswalkExportResolver, FrameworkExportResolver } from './catalogs/catalog-io.resolver';
import { CoverageSnapshotResolver, MetricsResolver } from './modules/metrics/metrics.resolver';
import { AssetResolver, ControlAssetsResolver, RiskAssetsResolver } from './modules/asset/asset.resolver';
import { NhiFindingResolver } from './modules/asset/nhi-findings.resolver';
import { WebhookDeliveryResolver, WebhookEndpointResolver, WebhookEventResolver } from './modules/webhook/webhook.resolver';

export const resolvers = [
  OwnerResolver, ScopeResolver, ApiKeyResolver, AllowedOperationResolver, AuditResolver,
  ControlResolver, ScopeControlsResolver, RiskResolver, ScopeRisksResolver,
  TreatmentTaskResolver, RiskTreatmentTasksResolver, ExceptionResolver,
  FrameworkResolver, RequirementResolver, CrosswalkResolver, MappingResolver, RequirementMappingsResolver,
  ControlRequirementResolver, RiskThreatResolver,
  CoverageResolver, RequirementCoverageResolver, GapCandidateResolver,
  ChangeResolver, ReminderSubscriptionResolver,
  ReminderResolver, ControlReviewsResolver, RiskReviewsResolver,
  CatalogImportResolver, FrameworkExportResolver, CrosswalkExportResolver,
  MetricsResolver, CoverageSnapshotResolver,
  EvidenceResolver, ControlEvidenceResolver,
  SoaResolver, SoaDiffResolver, SoaRowResolver, SoaVersionResolver, ScopeSoaResolver,
  AssetResolver, RiskAssetsResolver, ControlAssetsResolver,
  NhiFindingResolver,
  WebhookEndpointResolver, WebhookDeliveryResolver, WebhookEventResolver,
] as const;

/** `@Authorized(permission)`: no key is UNAUTHENTICATED, a key without the permission FORBIDDEN. */
const authChecker: AuthChecker<Context, Permission> = ({ context }, needed) => {
  const principal = context.principal;
  if (!principal) throw unauthenticated();
  if (needed.every((permission) => grants(principal.permissions, permission))) return true;
  // The anonymous reader (ALLOW_ANONYMOUS_READ) lacks a key rather than a permission.
  if (principal.keyId === null) throw unauthenticated('This operation needs an API key');
  return false;
};

/**
 * type-graphql insists on a PubSub once a schema has subscriptions. Ours read the request's event
 * bus (LISTEN/NOTIFY, created per server) through `subscribe`, so topic-based use is an error.
 */
const noTopics = {
  publish(): void {
    throw new Error('Publish through the event bus (src/db/event-bus.ts), not type-graphql topics');
  },
  subscribe(): never {
    throw new Error('Subscribe through the event bus (src/db/event-bus.ts), not type-graphql topics');
  },
};

let built: Promise<GraphQLSchema> | undefined;

export function buildIsmsSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers: [...resolvers],
    authChecker,
    authMode: 'error',
    validate: { forbidUnknownValues: false },
    pubSub: noTopics,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
  });
  return built;
}
