import { ApiKey } from '../auth/api-key.entity';
import { AllowedOperation, ApiKeyAllowedOperation } from '../auth/allowed-operation.entity';
import { ApiKeyRateWindow } from '../auth/rate-limit.entity';
import { AuditEvent } from '../modules/audit/audit.entity';
import { Control, ControlRequirement, ControlScope } from '../modules/control/control.entity';
import { Crosswalk, Mapping } from '../modules/crosswalk/crosswalk.entity';
import { Framework } from '../modules/framework/framework.entity';
import { Requirement } from '../modules/framework/requirement.entity';
import { ExceptionCompensatingControl, IsmsException } from '../modules/exception/exception.entity';
import { IdempotencyRecord } from '../modules/idempotency/idempotency.entity';
import { Owner } from '../modules/owner/owner.entity';
import { Risk, RiskControl, RiskThreat } from '../modules/risk/risk.entity';
import { Scope } from '../modules/scope/scope.entity';
import { ScopeFramework, SoaEntry, SoaVersion } from '../modules/soa/soa.entity';
import { Evidence } from '../modules/evidence/evidence.entity';
import { Reminder } from '../modules/reminder/reminder.entity';
import { Asset, AssetConsumer, AssetLifecycleEvent, AssetScope, ControlAsset, RiskAsset } from '../modules/asset/asset.entity';
import { CalendarToken, Review } from '../modules/reminder/review.entity';
import { TreatmentTask } from '../modules/treatment/treatment-task.entity';
import { CoverageSnapshotRecord } from '../modules/metrics/coverage-snapshot.entity';
import { RiskFinding } from '../modules/asset/risk-finding.entity';
import { OutboxEvent } from '../modules/webhook/outbox-event.entity';
import { WebhookDelivery, WebhookEndpoint } from '../modules/webhook/webhook.entity';

/** Every TypeORM entity; the migration drift test compares these with the migrated database. */
export const entities = [
  Owner, Scope, ApiKey, AllowedOperation, ApiKeyAllowedOperation, ApiKeyRateWindow, AuditEvent, IdempotencyRecord,
  Control, ControlScope, Risk, RiskControl, TreatmentTask, IsmsException, ExceptionCompensatingControl,
  Framework, Requirement, Crosswalk, Mapping, ControlRequirement, RiskThreat,
  ScopeFramework, SoaEntry, SoaVersion, Evidence,
  Reminder, Review, CalendarToken,
  Asset, AssetScope, AssetConsumer, RiskAsset, ControlAsset, AssetLifecycleEvent,
  CoverageSnapshotRecord,
  RiskFinding,
  WebhookEndpoint, OutboxEvent, WebhookDelivery,
];
